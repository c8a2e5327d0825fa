//! A request signed as Zoom signs it, as `lambda_http` hands it to the function (`lambda_http::Request`),
//! through the service directly: no Lambda runtime needed.

use http_body_util::BodyExt as _;
use lambda_http::{Body, Request};
use tower_service::Service as _;
use zoom_webhooks::testing::{SignedDelivery, ZoomSigner};

const SECRET: &str = "lambda-secret";
const CNAM: &str = r#"{"event":"number_management.peering_number_cnam_updated","event_ts":1,"payload":{"account_id":"a","object":{"carrier_code":3457,"phone_numbers":["+18008001000"],"cnam":"ACME"}}}"#;

/// The Lambda request of a signed delivery: what API Gateway's event becomes in `lambda_http`.
fn request(delivery: SignedDelivery) -> Request {
    let mut request = Request::new(Body::from(delivery.body.to_vec()));
    *request.method_mut() = lambda_http::http::Method::POST;
    *request.headers_mut() = delivery.headers;
    request
}

/// The status and body the function answers `request` with.
async fn answer(request: Request) -> (u16, String) {
    let mut service = example_lambda::service(SECRET).expect("a usable secret");
    let response = service.call(request).await.expect("the service never fails");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("a complete answer").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_signed_request_is_answered_200() {
    let signed = ZoomSigner::new(SECRET).expect("a usable secret").sign(CNAM);
    assert_eq!(answer(request(signed)).await, (200, String::new()));
}

#[tokio::test]
async fn a_request_signed_with_another_secret_is_answered_401() {
    let forged = ZoomSigner::new("another-secret").expect("a usable secret").sign(CNAM);
    let (status, body) = answer(request(forged)).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn zooms_url_validation_is_answered_with_the_encrypted_token() {
    let validation = r#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}"#;
    let signed = ZoomSigner::new(SECRET).expect("a usable secret").sign(validation);
    let (status, body) = answer(request(signed)).await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""plainToken":"qgg8vlvZRS6UYooatFL8Aw""#) && body.contains("encryptedToken"), "{body}");
}
