//! Serves the GitHub receiver at `POST /webhooks/github` until Ctrl-C or SIGTERM, logging pushes, opened
//! pull requests and opened issues; see the crate docs.

use std::net::{Ipv4Addr, SocketAddr};

use example_github::{Activity, receiver};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let secret =
        std::env::var("GITHUB_WEBHOOK_SECRET").map_err(|_| "set GITHUB_WEBHOOK_SECRET to the webhook's secret")?;
    let port: u16 = std::env::var("PORT").map_or(Ok(8080), |port| port.parse())?;
    let app = axum::Router::new().route("/webhooks/github", receiver(&secret, Activity)?.into_method_router());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))).await?;
    webhook_runtime::axum::serve(listener, app).await;
    Ok(())
}
