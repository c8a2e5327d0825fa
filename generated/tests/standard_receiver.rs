//! The axum receiver for a vendor that signs with Standard Webhooks, over real HTTP: a module generated
//! from two of Svix's webhooks (`tests/specs/svix.yaml`, by `cargo xtask codegen`), routed by its `type`
//! property, every row of the answers table, secret rotation, `svix-*` header names, and the duplicate
//! filter keyed by `webhook-id`.
//!
//! Needs the `axum` feature: `cargo test -p zoom-webhooks --features axum --test standard_receiver`.

mod common;

// A generated module used only in part here; its unused items are not dead code of the crate.
#[allow(dead_code)]
#[rustfmt::skip] // Generated and formatted by `cargo xtask codegen`.
#[path = "generated/svix.rs"]
mod svix;

use std::sync::{Arc, Mutex};

use common::{Client, now, serve};
use hyper::StatusCode;
use zoom_webhooks::UnknownEvent;
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::signature::SecretError;
use zoom_webhooks::signature::standard;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const PATH: &str = "/webhooks/svix";

/// Records the endpoints each typed method saw; fails for the app id `app_fail`.
#[derive(Clone, Default)]
struct Endpoints {
    seen: Arc<Mutex<Vec<String>>>,
}

impl Endpoints {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the endpoint store is down")]
struct StoreDown;

impl svix::Handler for Endpoints {
    type Error = StoreDown;

    async fn on_endpoint_created(&self, event: svix::EndpointCreatedEvent) -> Result<(), StoreDown> {
        if event.data.app_id == "app_fail" {
            return Err(StoreDown);
        }
        self.seen.lock().expect("lock").push(format!("created {}", event.data.endpoint_id));
        Ok(())
    }

    async fn on_endpoint_deleted(&self, event: svix::EndpointDeletedEvent) -> Result<(), StoreDown> {
        self.seen.lock().expect("lock").push(format!("deleted {}", event.data.endpoint_id));
        Ok(())
    }
}

fn body(kind: &str, app: &str, endpoint: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"data": {"appId": app, "endpointId": endpoint}, "type": kind}))
        .expect("JSON")
}

/// The three headers of a delivery signed with `secret` at `timestamp`, under `prefix` (`webhook` or
/// `svix`).
fn signed(prefix: &str, secret: &str, id: &str, timestamp: u64, body: &[u8]) -> Vec<(String, String)> {
    let timestamp = timestamp.to_string();
    let signature = standard::sign(secret, id, &timestamp, body).expect("a usable secret");
    vec![
        (format!("{prefix}-id"), id.to_owned()),
        (format!("{prefix}-timestamp"), timestamp),
        (format!("{prefix}-signature"), signature),
    ]
}

async fn start(receiver: Receiver) -> std::net::SocketAddr {
    serve(axum::Router::new().route(PATH, receiver.into_method_router())).await
}

async fn post(address: std::net::SocketAddr, headers: &[(String, String)], body: &[u8]) -> common::Answer {
    Client::connect(address).await.send("POST", PATH, headers, body.to_vec()).await
}

async fn deliver(address: std::net::SocketAddr, id: &str, body: &[u8]) -> common::Answer {
    post(address, &signed("webhook", SECRET, id, now(), body), body).await
}

#[tokio::test]
async fn deliveries_are_routed_by_type_to_their_typed_method_with_either_header_names() {
    let endpoints = Endpoints::default();
    let address = start(Receiver::standard(&[SECRET]).expect("secret").route(svix::route(endpoints.clone()))).await;
    let created = body("endpoint.created", "app_1", "ep_1");
    assert_eq!(deliver(address, "msg_1", &created).await.status, StatusCode::OK);
    let deleted = body("endpoint.deleted", "app_1", "ep_2");
    let answer = post(address, &signed("svix", SECRET, "msg_2", now(), &deleted), &deleted).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(endpoints.seen(), ["created ep_1", "deleted ep_2"]);
}

#[tokio::test]
async fn either_secret_passes_during_a_rotation_and_a_removed_one_is_401() {
    let endpoints = Endpoints::default();
    let rotating = Receiver::standard(&[NEW_SECRET, SECRET]).expect("secrets").route(svix::route(endpoints.clone()));
    let address = start(rotating).await;
    let first = body("endpoint.created", "app_1", "ep_old");
    let second = body("endpoint.created", "app_1", "ep_new");
    assert_eq!(post(address, &signed("webhook", SECRET, "msg_1", now(), &first), &first).await.status, StatusCode::OK);
    assert_eq!(
        post(address, &signed("webhook", NEW_SECRET, "msg_2", now(), &second), &second).await.status,
        StatusCode::OK
    );
    assert_eq!(endpoints.seen(), ["created ep_old", "created ep_new"]);

    let rotated = start(Receiver::standard(&[NEW_SECRET]).expect("secret").route(svix::route(endpoints.clone()))).await;
    let answer = post(rotated, &signed("webhook", SECRET, "msg_3", now(), &first), &first).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("does not match"), "{answer:?}");
    assert_eq!(endpoints.seen().len(), 2);
}

#[test]
fn unusable_secrets_cannot_build_a_receiver() {
    assert_eq!(Receiver::standard(&[]).err(), Some(SecretError::NoSecret));
    assert_eq!(Receiver::standard(&["whsec_"]).err(), Some(SecretError::Empty));
    assert_eq!(Receiver::standard(&[SECRET, "whsec_???"]).err(), Some(SecretError::Malformed));
}

#[tokio::test]
async fn missing_wrong_empty_truncated_or_stale_signatures_are_401() {
    let endpoints = Endpoints::default();
    let address = start(Receiver::standard(&[SECRET]).expect("secret").route(svix::route(endpoints.clone()))).await;
    let body = body("endpoint.created", "app_1", "ep_1");
    let good = signed("webhook", SECRET, "msg_1", now(), &body);
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        let mut headers: Vec<_> = good.iter().filter(|(header, _)| header != name).cloned().collect();
        headers.push((name.to_owned(), value.to_owned()));
        headers
    };
    let without =
        |name: &str| -> Vec<(String, String)> { good.iter().filter(|(header, _)| header != name).cloned().collect() };
    let signature = good[2].1.clone();
    let cases = [
        (without("webhook-id"), "missing `webhook-id`"),
        (without("webhook-timestamp"), "missing `webhook-timestamp`"),
        (without("webhook-signature"), "missing `webhook-signature`"),
        (with("webhook-signature", "v1,"), "malformed `webhook-signature`"),
        (with("webhook-signature", &signature[..signature.len() - 4]), "malformed `webhook-signature`"),
        (with("webhook-signature", &format!("v1a,{}", &signature[3..])), "malformed `webhook-signature`"),
        (with("webhook-id", "msg_other"), "does not match"),
        (signed("webhook", NEW_SECRET, "msg_1", now(), &body), "does not match"),
        (signed("webhook", SECRET, "msg_1", now() - 301, &body), "in the past"),
        (signed("webhook", SECRET, "msg_1", now() + 301, &body), "in the future"),
        // Zoom's headers are not this scheme's.
        (common::signed(SECRET, now(), &body), "missing `webhook-id`"),
    ];
    for (headers, message) in cases {
        let answer = post(address, &headers, &body).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert!(answer.body.contains(message), "{headers:?}: {answer:?}");
        assert!(!answer.body.contains("MfKQ9r8"), "{answer:?}");
    }
    assert!(endpoints.seen().is_empty());
}

#[tokio::test]
async fn bodies_that_name_no_single_type_are_400() {
    let address = start(Receiver::standard(&[SECRET]).expect("secret").route(svix::route(Endpoints::default()))).await;
    let cases: [(&[u8], &str); 4] = [
        (b"not json", "JSON"),
        (br#"{"data": {}}"#, "type"),
        (br#"{"type": "endpoint.created", "data": {}, "type": "endpoint.deleted"}"#, "type"),
        (br#"{"type": "endpoint.created", "data": {"appId": 5}}"#, "data.appId"),
    ];
    for (body, message) in cases {
        let answer = deliver(address, "msg_1", body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
        assert!(answer.body.contains(message), "{answer:?}");
    }
}

#[tokio::test]
async fn handler_errors_are_500() {
    let address = start(Receiver::standard(&[SECRET]).expect("secret").route(svix::route(Endpoints::default()))).await;
    let answer = deliver(address, "msg_1", &body("endpoint.created", "app_fail", "ep_1")).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!answer.body.contains("store is down"), "{answer:?}");
}

#[tokio::test]
async fn unknown_types_go_to_the_fallback_and_no_url_validation_is_answered() {
    let unknown = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&unknown);
    let receiver = Receiver::standard(&[SECRET]).expect("secret").route(svix::route(Endpoints::default())).on_unknown(
        move |event: UnknownEvent| {
            let log = Arc::clone(&log);
            async move {
                log.lock().expect("lock").push(event.name);
                Ok::<_, std::convert::Infallible>(())
            }
        },
    );
    let address = start(receiver).await;
    let answer = deliver(address, "msg_1", br#"{"type": "message.attempt.exhausted", "data": {}}"#).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, ""));
    // Zoom's URL validation means nothing under this scheme: no token is computed for it.
    let validation = br#"{"payload":{"plainToken":"abc"},"event_ts":1,"event":"endpoint.url_validation"}"#;
    let answer = deliver(address, "msg_2", validation).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert!(!answer.body.contains("encryptedToken"), "{answer:?}");
    assert_eq!(*unknown.lock().expect("lock"), ["message.attempt.exhausted"]);
}

#[tokio::test]
async fn the_duplicate_filter_keys_deliveries_by_webhook_id() {
    let endpoints = Endpoints::default();
    let filter = DuplicateFilter::default();
    let receiver = Receiver::standard(&[SECRET])
        .expect("secret")
        .route(svix::route(endpoints.clone()))
        .duplicate_filter(filter.clone());
    let address = start(receiver).await;
    let first = body("endpoint.created", "app_1", "ep_1");
    // A retry: the same id, signed again (later, and under Svix's names): handled once.
    assert_eq!(deliver(address, "msg_1", &first).await.status, StatusCode::OK);
    let retry = signed("svix", SECRET, "msg_1", now() + 1, &first);
    assert_eq!(post(address, &retry, &first).await.status, StatusCode::OK);
    assert_eq!(endpoints.seen(), ["created ep_1"]);
    // Another message with the same body: a new id, handled again.
    assert_eq!(deliver(address, "msg_2", &first).await.status, StatusCode::OK);
    assert_eq!(endpoints.seen(), ["created ep_1", "created ep_1"]);
    assert_eq!(filter.len(), 2);
    // A failed delivery leaves no mark: its retry runs the handler again.
    let failing = body("endpoint.created", "app_fail", "ep_3");
    assert_eq!(deliver(address, "msg_3", &failing).await.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(filter.len(), 2);
}

#[tokio::test]
async fn routes_with_different_discriminators_share_one_receiver() {
    let endpoints = Endpoints::default();
    let things = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&things);
    let other = zoom_webhooks::Route::from_fn("things", &["thing.happened"], move |event: UnknownEvent| {
        let log = Arc::clone(&log);
        async move {
            log.lock().expect("lock").push(event.body["id"].to_string());
            Ok::<_, std::convert::Infallible>(())
        }
    })
    .with_discriminator("kind");
    let receiver = Receiver::standard(&[SECRET]).expect("secret").route(svix::route(endpoints.clone())).route(other);
    let address = start(receiver).await;
    assert_eq!(deliver(address, "msg_1", br#"{"kind": "thing.happened", "id": 7}"#).await.status, StatusCode::OK);
    assert_eq!(deliver(address, "msg_2", &body("endpoint.deleted", "app_1", "ep_9")).await.status, StatusCode::OK);
    assert_eq!(*things.lock().expect("lock"), ["7"]);
    assert_eq!(endpoints.seen(), ["deleted ep_9"]);
}
