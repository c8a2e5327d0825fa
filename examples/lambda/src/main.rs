//! The Lambda function: the receiver's service under `lambda_http::run`; see the crate docs.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let secret = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN").map_err(|_| "set ZOOM_WEBHOOK_SECRET_TOKEN")?;
    lambda_http::run(example_lambda::service(&secret)?).await
}
