//! Properties of the axum receiver over arbitrary input, without HTTP: signed arbitrary bodies are never
//! refused as unsigned, arbitrary JSON gets 200 or 400, anything signed with another secret gets 401.
//!
//! Needs the `axum` feature (`cargo test -p zoom-webhooks --features axum --test receiver_properties`).

use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use proptest::prelude::*;
use zoom_webhooks::axum::{Receiver, URL_VALIDATION_EVENT};
use zoom_webhooks::{UnknownEvent, number_management, signature::zoom};

const SECRET: &[u8] = b"unit-test-secret";

fn headers(signed_at: u64, body: &[u8], secret: &[u8]) -> HeaderMap {
    let timestamp = signed_at.to_string();
    let signature = zoom::sign(secret, &timestamp, body);
    let mut headers = HeaderMap::new();
    for (name, value) in [(zoom::TIMESTAMP_HEADER, timestamp), (zoom::SIGNATURE_HEADER, signature)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

struct Accept;

impl number_management::Handler for Accept {
    type Error = std::convert::Infallible;
}

fn receiver() -> Receiver {
    Receiver::new(SECRET)
        .route(number_management::route(Accept))
        .on_unknown(|_: UnknownEvent| async { Ok::<_, std::convert::Infallible>(()) })
}

fn status(receiver: &Receiver, headers: &HeaderMap, body: &[u8]) -> StatusCode {
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let Ok(runtime) = runtime else { panic!("a runtime") };
    runtime.block_on(receiver.receive(headers, body)).status()
}

proptest! {
    #[test]
    fn signed_arbitrary_bodies_always_pass_verification(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        skew in -300i64..=300,
    ) {
        let receiver = receiver();
        let signed_at = now_secs().saturating_add_signed(skew);
        let status = status(&receiver, &headers(signed_at, &body, SECRET), &body);
        prop_assert_ne!(status, StatusCode::UNAUTHORIZED);
        prop_assert!(matches!(status, StatusCode::OK | StatusCode::BAD_REQUEST), "{}", status);
    }

    #[test]
    fn signed_arbitrary_json_is_200_or_400(value in json_value()) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        let receiver = receiver();
        let status = status(&receiver, &headers(now_secs(), &body, SECRET), &body);
        prop_assert!(matches!(status, StatusCode::OK | StatusCode::BAD_REQUEST), "{}", status);
    }

    #[test]
    fn anything_signed_otherwise_is_401(
        body in proptest::collection::vec(any::<u8>(), 0..256),
        secret in proptest::collection::vec(any::<u8>(), 1..32),
    ) {
        prop_assume!(secret != SECRET && !secret.iter().all(u8::is_ascii_whitespace));
        let receiver = receiver();
        let status = status(&receiver, &headers(now_secs(), &body, &secret), &body);
        prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

/// JSON values, half of them shaped like a delivery of a known, unknown or validation webhook.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    let any_json = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    });
    let names = prop_oneof![
        Just(URL_VALIDATION_EVENT.to_owned()),
        Just("meeting.started".to_owned()),
        proptest::sample::select(number_management::EVENT_NAMES).prop_map(str::to_owned),
    ];
    let delivery = (names, any_json.clone(), any_json.clone()).prop_map(
        |(name, payload, event_ts)| serde_json::json!({ "event": name, "event_ts": event_ts, "payload": payload }),
    );
    prop_oneof![any_json, delivery]
}
