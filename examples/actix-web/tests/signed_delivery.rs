//! Deliveries signed as Zoom signs them, through actix-web's test service: 200 for a signed one, 401 for
//! a wrong signature, 413 over the receiver's body limit.

use actix_web::{App, test};
use example_actix_web::{configure, receiver};
use zoom_webhooks::axum::DEFAULT_BODY_LIMIT;
use zoom_webhooks::testing::{SignedDelivery, ZoomSigner};

const SECRET: &str = "actix-secret";
const CNAM: &str = r#"{"event":"number_management.peering_number_cnam_updated","event_ts":1,"payload":{"account_id":"a","object":{"carrier_code":3457,"phone_numbers":["+18008001000"],"cnam":"ACME"}}}"#;

/// The actix-web request of a signed delivery.
fn request(delivery: SignedDelivery) -> actix_web::test::TestRequest {
    let mut request = test::TestRequest::post().uri("/webhooks/zoom");
    for (name, value) in &delivery.headers {
        request = request.insert_header((name.as_str(), value.as_bytes()));
    }
    request.set_payload(delivery.body)
}

#[actix_web::test]
async fn signed_deliveries_are_answered_as_the_receiver_answers() {
    let app =
        test::init_service(App::new().configure(configure(receiver(SECRET).expect("a secret"), "/webhooks/zoom")))
            .await;
    let signed = ZoomSigner::new(SECRET).expect("a secret");
    let answer = test::call_service(&app, request(signed.sign(CNAM)).to_request()).await;
    assert_eq!(answer.status(), 200);
    let forged = ZoomSigner::new("another-secret").expect("a secret");
    let answer = test::call_service(&app, request(forged.sign(CNAM)).to_request()).await;
    assert_eq!(answer.status(), 401);
    let body = test::read_body(answer).await;
    assert!(String::from_utf8_lossy(&body).contains("signature"), "{body:?}");
    // Padded past the limit, still valid JSON.
    let oversized = format!("{CNAM}{}", " ".repeat(DEFAULT_BODY_LIMIT));
    let answer = test::call_service(&app, request(signed.sign(oversized)).to_request()).await;
    assert_eq!(answer.status(), 413);
}
