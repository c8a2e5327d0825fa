//! The receiver in GitHub's scheme: `X-Hub-Signature-256`, routing by `X-GitHub-Event` and `action`,
//! `ping`, and duplicates keyed by `X-GitHub-Delivery`.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]
#![cfg(all(feature = "testing", feature = "axum"))]

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use tower_service::Service as _;
use webhook_runtime::axum::Receiver;
use webhook_runtime::duplicates::{DeliveryKey, DuplicateFilter};
use webhook_runtime::handoff::{Delivery, Sink};
use webhook_runtime::testing::GitHubSigner;
use webhook_runtime::{BoxError, Route, UnknownEvent};

const SECRET: &str = "github-secret";

/// The names each route was called with, in order, as `module:name`.
type Calls = Arc<Mutex<Vec<String>>>;

fn recording(module: &'static str, names: &'static [&'static str], calls: &Calls) -> Route {
    let calls = Arc::clone(calls);
    Route::from_fn(module, names, move |event: UnknownEvent| {
        calls.lock().unwrap().push(format!("{module}:{}", event.name));
        async { Ok::<_, std::convert::Infallible>(()) }
    })
}

fn receiver(calls: &Calls) -> Receiver {
    let unknown = Arc::clone(calls);
    Receiver::github(&[SECRET])
        .unwrap()
        .route(recording("pulls", &["pull-request-opened", "pull-request-closed"], calls))
        .route(recording("pushes", &["push"], calls))
        .on_unknown(move |event: UnknownEvent| {
            unknown.lock().unwrap().push(format!("unknown:{}", event.name));
            async { Ok::<_, std::convert::Infallible>(()) }
        })
        .duplicate_filter(DuplicateFilter::default())
}

fn signer(event: &str) -> GitHubSigner {
    GitHubSigner::new(SECRET).unwrap().event(event)
}

#[tokio::test]
async fn deliveries_are_routed_by_event_header_and_action() {
    let calls = Calls::default();
    let receiver = receiver(&calls);
    let deliveries = [
        signer("pull_request").sign(r#"{"action":"closed","number":1}"#),
        signer("pull_request").sign(r#"{"action":"opened","number":2}"#),
        signer("push").sign(r#"{"ref":"refs/heads/main"}"#),
        signer("pull_request").sign(r#"{"action":"labeled","number":3}"#),
        signer("issues").sign(r#"{"action":"opened"}"#),
    ];
    for delivery in deliveries {
        let answer = delivery.send_to(&receiver).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }
    assert_eq!(
        *calls.lock().unwrap(),
        [
            "pulls:pull-request-closed",
            "pulls:pull-request-opened",
            "pushes:push",
            "unknown:pull-request-labeled",
            "unknown:issues-opened"
        ]
    );
}

#[tokio::test]
async fn wrong_or_missing_signatures_are_refused_with_401() {
    let calls = Calls::default();
    let receiver = receiver(&calls);
    let forged = GitHubSigner::new("another secret").unwrap().event("push").sign("{}");
    assert_eq!(forged.send_to(&receiver).await.status, StatusCode::UNAUTHORIZED);
    let mut altered = signer("push").sign(r#"{"ref":"a"}"#);
    altered.body = r#"{"ref":"b"}"#.into();
    assert_eq!(altered.send_to(&receiver).await.status, StatusCode::UNAUTHORIZED);
    assert!(calls.lock().unwrap().is_empty());

    // Through the router, a request without `X-Hub-Signature-256` (SHA-1 only) is refused before its
    // body is read.
    let mut router = axum::Router::new().route("/github", receiver.into_method_router());
    let mut sha1_only = signer("push").sign("{}");
    sha1_only.headers.remove("x-hub-signature-256");
    sha1_only.headers.insert("x-hub-signature", "sha1=0000000000000000000000000000000000000000".parse().unwrap());
    let response = router.call(sha1_only.into_request("/github")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let mut malformed = signer("push").sign("{}");
    malformed.headers.insert("x-hub-signature-256", "sha256=abc".parse().unwrap());
    let response = router.call(malformed.into_request("/github")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = router.call(signer("push").sign("{}").into_request("/github")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn ping_is_answered_200_without_a_route_and_a_missing_event_is_400() {
    let calls = Calls::default();
    let receiver = receiver(&calls);
    let ping = signer("ping").sign(r#"{"zen":"Keep it logically awesome.","hook_id":1}"#);
    assert_eq!(ping.send_to(&receiver).await.status, StatusCode::OK);
    assert!(calls.lock().unwrap().is_empty(), "ping reaches no handler: {calls:?}");
    let nameless = GitHubSigner::new(SECRET).unwrap().sign("{}");
    assert_eq!(nameless.send_to(&receiver).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_redelivery_is_answered_without_running_the_handler_again() {
    let calls = Calls::default();
    let receiver = receiver(&calls);
    let body = r#"{"ref":"refs/heads/main"}"#;
    let redelivered = signer("push").delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958");
    assert_eq!(redelivered.sign(body).send_to(&receiver).await.status, StatusCode::OK);
    assert_eq!(redelivered.sign(body).send_to(&receiver).await.status, StatusCode::OK);
    assert_eq!(calls.lock().unwrap().len(), 1, "the redelivery ran no handler");
    // A new delivery with the same body is handled.
    assert_eq!(signer("push").sign(body).send_to(&receiver).await.status, StatusCode::OK);
    assert_eq!(calls.lock().unwrap().len(), 2);
}

/// A sink recording what it is given, confirming each.
#[derive(Debug, Clone, Default)]
struct RecordingSink(Arc<Mutex<Vec<Delivery>>>);

impl Sink for RecordingSink {
    fn publish<'a>(
        &'a self,
        delivery: &'a Delivery,
    ) -> webhook_runtime::duplicates::BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.0.lock().unwrap().push(delivery.clone());
            Ok(())
        })
    }
}

#[tokio::test]
async fn handed_off_deliveries_carry_their_delivery_guid_key_and_name() {
    let sink = RecordingSink::default();
    let calls = Calls::default();
    let receiver = receiver(&calls).hand_off(sink.clone());
    let body = r#"{"action":"opened"}"#;
    for guid in ["guid-1", "guid-2", "guid-1"] {
        let delivery = signer("pull_request").delivery(guid).sign(body);
        assert_eq!(delivery.send_to(&receiver).await.status, StatusCode::OK);
    }
    let published = sink.0.lock().unwrap().clone();
    assert_eq!(published.len(), 2, "the redelivery of guid-1 is not published again");
    assert_ne!(published[0].key, published[1].key);
    assert!(published.iter().all(|delivery| delivery.key != DeliveryKey::of(body.as_bytes())));
    assert!(published.iter().all(|delivery| delivery.name == "pull-request-opened"));
    assert!(published.iter().all(|delivery| delivery.module == Some("pulls")));
    assert!(calls.lock().unwrap().is_empty(), "no handler runs in hand-off mode");
}
