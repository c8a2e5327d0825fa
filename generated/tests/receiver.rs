//! The axum receiver over real HTTP: a server on 127.0.0.1 (port 0) and a hyper client, one test per
//! answer the receiver gives, routing across several modules, the duplicate filter, and a bounded load run.
//!
//! Needs the `axum` feature: `cargo test -p zoom-webhooks --features axum --test receiver` (or
//! `cargo test --workspace --all-features`).

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Client, Recorder, SECRET, address_body, cnam_body, deliver, now, post, serve, signed};
use hyper::StatusCode;
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::{DeliveryKey, DuplicateFilter};
use zoom_webhooks::signature::zoom::{self, UrlValidationResponse};
use zoom_webhooks::{Received, Route, UnknownEvent, number_management};

fn app(receiver: Receiver) -> axum::Router {
    axum::Router::new().route(common::PATH, receiver.into_method_router())
}

async fn start(receiver: Receiver) -> std::net::SocketAddr {
    serve(app(receiver)).await
}

#[tokio::test]
async fn url_validation_is_answered_with_both_tokens() {
    let address = start(Receiver::new(SECRET)).await;
    let body = br#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let answer = deliver(address, body).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let tokens: UrlValidationResponse = serde_json::from_str(&answer.body).expect("JSON answer");
    assert_eq!(tokens, zoom::url_validation_response(SECRET.as_bytes(), "qgg8vlvZRS6UYooatFL8Aw"));
    assert_eq!(tokens.plain_token, "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(tokens.encrypted_token.len(), 64);
}

#[tokio::test]
async fn url_validation_is_answered_even_when_no_route_reads_event() {
    let typed =
        Route::from_fn("typed", &["thing.happened"], |_: UnknownEvent| async { Ok::<_, std::convert::Infallible>(()) })
            .with_discriminator("type");
    let address = start(Receiver::new(SECRET).route(typed)).await;
    let body = br#"{"payload":{"plainToken":"abc"},"event_ts":1,"event":"endpoint.url_validation"}"#;
    let answer = deliver(address, body).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let tokens: UrlValidationResponse = serde_json::from_str(&answer.body).expect("JSON answer");
    assert_eq!(tokens, zoom::url_validation_response(SECRET.as_bytes(), "abc"));
    assert_eq!(deliver(address, br#"{"type":"thing.happened"}"#).await.status, StatusCode::OK);
}

#[test]
#[should_panic(expected = "the webhook secret token is empty")]
fn an_empty_secret_is_refused() {
    let _ = Receiver::new("");
}

#[test]
fn empty_or_blank_secrets_cannot_build_a_receiver() {
    use zoom_webhooks::signature::SecretError;
    assert_eq!(Receiver::try_new("").err(), Some(SecretError::Empty));
    assert_eq!(Receiver::try_new(" \t\n").err(), Some(SecretError::Blank));
    assert!(Receiver::try_new(SECRET).is_ok());
    let panic = std::panic::catch_unwind(|| Receiver::new("   ")).expect_err("a blank secret panics");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("only whitespace"), "{message}");
}

#[tokio::test]
async fn url_validation_needs_a_valid_signature() {
    let address = start(Receiver::new(SECRET)).await;
    let body = br#"{"payload":{"plainToken":"abc"},"event_ts":1,"event":"endpoint.url_validation"}"#;
    let unsigned = post(address, &[], body).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    let forged = post(address, &signed("another-secret", now(), body), body).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(!forged.body.contains("encryptedToken"));

    let no_token = br#"{"payload":{},"event":"endpoint.url_validation"}"#;
    let answer = deliver(address, no_token).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("plainToken"), "{}", answer.body);
}

#[tokio::test]
async fn bad_or_missing_signatures_and_stale_timestamps_are_401() {
    let recorder = Recorder::default();
    let address = start(Receiver::new(SECRET).route(number_management::route(recorder.clone()))).await;
    let body = cnam_body(1, "ACME");
    let timestamp = now().to_string();
    let good = zoom::sign(SECRET.as_bytes(), &timestamp, &body);
    let header = |name: &str, value: &str| (name.to_owned(), value.to_owned());

    type Headers = Vec<(String, String)>;
    let cases: Vec<(&str, Headers, &str)> = vec![
        ("no headers", vec![], "missing `x-zm-request-timestamp`"),
        ("no signature", vec![header(zoom::TIMESTAMP_HEADER, &timestamp)], "missing `x-zm-signature`"),
        ("no timestamp", vec![header(zoom::SIGNATURE_HEADER, &good)], "missing `x-zm-request-timestamp`"),
        (
            "malformed signature",
            vec![header(zoom::TIMESTAMP_HEADER, &timestamp), header(zoom::SIGNATURE_HEADER, "v1=abc")],
            "malformed `x-zm-signature`",
        ),
        ("wrong secret", signed("not-the-secret", now(), &body), "does not match"),
        ("stale timestamp", signed(SECRET, now() - 3600, &body), "in the past"),
        ("future timestamp", signed(SECRET, now() + 3600, &body), "in the future"),
        (
            "malformed timestamp",
            vec![header(zoom::TIMESTAMP_HEADER, "yesterday"), header(zoom::SIGNATURE_HEADER, &good)],
            "malformed `x-zm-request-timestamp`",
        ),
    ];
    for (case, headers, message) in cases {
        let answer = post(address, &headers, &body).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{case}: {answer:?}");
        assert!(answer.body.contains(message), "{case}: {}", answer.body);
    }

    // A body altered after signing.
    let mut altered = body.clone();
    let at = altered.iter().position(|&b| b == b'A').expect("an A");
    altered[at] = b'B';
    let answer = post(address, &signed(SECRET, now(), &body), &altered).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(recorder.total(), 0, "no refused delivery reaches the handler");
}

#[tokio::test]
async fn missing_or_malformed_signature_headers_are_401_before_the_body_is_read() {
    use tokio::io::AsyncWriteExt;
    let address = start(Receiver::new(SECRET)).await;
    let header = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    let timestamp = now().to_string();
    let cases = [
        ("no signature headers", vec![], "missing `x-zm-request-timestamp`"),
        (
            "malformed signature",
            vec![header(zoom::TIMESTAMP_HEADER, &timestamp), header(zoom::SIGNATURE_HEADER, "v1=abc")],
            "malformed `x-zm-signature`",
        ),
        (
            "malformed timestamp",
            vec![
                header(zoom::TIMESTAMP_HEADER, "now"),
                header(zoom::SIGNATURE_HEADER, &format!("v0={}", "0".repeat(64))),
            ],
            "malformed `x-zm-request-timestamp`",
        ),
    ];
    for (case, headers, message) in cases {
        // Announces 2,000,000 bytes (under the 2 MB limit) and sends none of them.
        let mut stream = common::raw(address).await;
        stream.write_all(&common::request_head(2_000_000, &headers)).await.expect("send the head");
        // Answered, and the connection closed rather than left waiting for the body.
        let answer = common::read_until_closed(&mut stream, Duration::from_secs(2)).await;
        let answer = answer.unwrap_or_else(|| panic!("{case}: not answered and closed within 2 s without the body"));
        assert!(answer.starts_with("HTTP/1.1 401"), "{case}: {answer}");
        assert!(answer.contains(message), "{case}: {answer}");
    }
}

#[tokio::test]
async fn tolerance_sets_the_replay_window() {
    let address = start(Receiver::new(SECRET).tolerance(Duration::from_secs(30))).await;
    let body = cnam_body(1, "ACME");
    assert_eq!(post(address, &signed(SECRET, now() - 120, &body), &body).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post(address, &signed(SECRET, now() - 10, &body), &body).await.status, StatusCode::OK);
}

#[tokio::test]
async fn during_a_rotation_either_secret_passes_and_the_new_one_answers_url_validation() {
    let recorder = Recorder::default();
    let verifier = zoom::Verifier::try_from_secrets(&["the-new-secret", SECRET]).expect("secrets");
    let address = start(Receiver::with_verifier(verifier).route(number_management::route(recorder.clone()))).await;
    let old = cnam_body(1, "OLD");
    let new = cnam_body(2, "NEW");
    assert_eq!(post(address, &signed(SECRET, now(), &old), &old).await.status, StatusCode::OK);
    assert_eq!(post(address, &signed("the-new-secret", now(), &new), &new).await.status, StatusCode::OK);
    assert_eq!((recorder.count(1), recorder.count(2)), (1, 1));
    let body = br#"{"payload":{"plainToken":"abc"},"event_ts":1,"event":"endpoint.url_validation"}"#;
    let answer = post(address, &signed(SECRET, now(), body), body).await;
    let tokens: UrlValidationResponse = serde_json::from_str(&answer.body).expect("JSON answer");
    assert_eq!(tokens, zoom::url_validation_response(b"the-new-secret", "abc"));

    // The old secret removed: its deliveries are refused.
    let rotated = start(Receiver::new("the-new-secret").route(number_management::route(recorder.clone()))).await;
    let again = cnam_body(3, "OLD");
    assert_eq!(post(rotated, &signed(SECRET, now(), &again), &again).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(recorder.count(3), 0);
}

#[tokio::test]
async fn bodies_that_do_not_parse_are_400_with_the_message() {
    let recorder = Recorder::default();
    let address = start(Receiver::new(SECRET).route(number_management::route(recorder.clone()))).await;

    let answer = deliver(address, b"{not json").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.starts_with("the body is not valid JSON"), "{}", answer.body);

    let answer = deliver(address, br#"{"event_ts":1,"payload":{}}"#).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("no string `event`"), "{}", answer.body);

    let wrong_type = br#"{"event":"number_management.peering_number_cnam_updated","event_ts":1,
        "payload":{"account_id":"a","object":{"carrier_code":"3457","phone_numbers":[]}}}"#;
    let answer = deliver(address, wrong_type).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body.starts_with(
            "the `number_management.peering_number_cnam_updated` payload does not match its schema at `payload.object.carrier_code`"
        ),
        "{}",
        answer.body
    );
    assert_eq!(recorder.total(), 0);
}

#[tokio::test]
async fn handled_events_are_200_and_reach_their_typed_method() {
    let recorder = Recorder::default();
    let address = start(Receiver::new(SECRET).route(number_management::route(recorder.clone()))).await;
    let answer = deliver(address, &cnam_body(7, "ACME")).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, ""));
    let answer = deliver(address, &address_body(8)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!((recorder.count(7), recorder.count(8)), (1, 1));
    assert_eq!(
        *recorder.names.lock().expect("lock"),
        ["number_management.peering_number_cnam_updated", "number_management.peering_number_emergency_address_updated"]
    );
}

#[tokio::test]
async fn handler_errors_are_500_so_zoom_retries() {
    let recorder = Recorder::default();
    let address = start(Receiver::new(SECRET).route(number_management::route(recorder.clone()))).await;
    let answer = deliver(address, &cnam_body(9, "FAIL")).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!answer.body.contains("CNAM store"), "the handler's message stays in the logs: {}", answer.body);

    let failing_fallback = Receiver::new(SECRET).on_unknown(|_: UnknownEvent| async { Err::<(), _>("queue full") });
    let address = start(failing_fallback).await;
    let answer = deliver(address, br#"{"event":"meeting.started","payload":{}}"#).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn unknown_events_go_to_the_fallback_and_are_200() {
    let unknown = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&unknown);
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET).route(number_management::route(recorder.clone())).on_unknown(
        move |event: UnknownEvent| {
            let seen = Arc::clone(&seen);
            async move {
                seen.lock().expect("lock").push((event.name, event.body["payload"]["object"]["id"].clone()));
                Ok::<_, std::convert::Infallible>(())
            }
        },
    );
    let address = start(receiver).await;
    let body = br#"{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":42}}}"#;
    let answer = deliver(address, body).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(*unknown.lock().expect("lock"), [("meeting.started".to_owned(), serde_json::json!(42))]);
    assert_eq!(recorder.total(), 0);

    // Without a fallback they are accepted as well.
    let address = start(Receiver::new(SECRET)).await;
    assert_eq!(deliver(address, body).await.status, StatusCode::OK);
    // So are events of a module the receiver has no route for.
    assert_eq!(deliver(address, &cnam_body(1, "ACME")).await.status, StatusCode::OK);
}

/// A second and third module next to `number_management`, as another spec of the crate would add.
fn meetings(log: &Arc<Mutex<Vec<String>>>) -> Route {
    let log = Arc::clone(log);
    Route::from_fn("meetings", &["meeting.started", "meeting.ended"], move |event: UnknownEvent| {
        let log = Arc::clone(&log);
        async move {
            log.lock().expect("lock").push(format!("meetings {}", event.name));
            Ok::<_, std::convert::Infallible>(())
        }
    })
}

fn shadowing(log: &Arc<Mutex<Vec<String>>>) -> Route {
    let log = Arc::clone(log);
    Route::from_fn(
        "shadowing",
        &["meeting.ended", "number_management.peering_number_cnam_updated", "recording.completed"],
        move |event: UnknownEvent| {
            let log = Arc::clone(&log);
            async move {
                log.lock().expect("lock").push(format!("shadowing {}", event.name));
                Ok::<_, std::convert::Infallible>(())
            }
        },
    )
}

#[tokio::test]
async fn one_endpoint_routes_by_event_name_across_modules() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .route(meetings(&log))
        .route(shadowing(&log));
    assert_eq!(
        receiver.routes().iter().map(Route::module).collect::<Vec<_>>(),
        ["number_management", "meetings", "shadowing"]
    );
    let address = start(receiver).await;
    let mut client = Client::connect(address).await;
    for body in [
        cnam_body(1, "ACME"),
        br#"{"event":"meeting.started","payload":{}}"#.to_vec(),
        br#"{"event":"meeting.ended","payload":{}}"#.to_vec(),
        br#"{"event":"recording.completed","payload":{}}"#.to_vec(),
        address_body(2),
    ] {
        assert_eq!(client.deliver(&body).await.status, StatusCode::OK);
    }
    // The first route that declares a name keeps it.
    assert_eq!(recorder.total(), 2);
    assert_eq!(
        *log.lock().expect("lock"),
        ["meetings meeting.started", "meetings meeting.ended", "shadowing recording.completed"]
    );
}

#[tokio::test]
async fn into_router_nests_and_other_methods_are_405() {
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET).route(number_management::route(recorder.clone()));
    let address = serve(axum::Router::new().nest_service(common::PATH, receiver.into_router())).await;
    assert_eq!(deliver(address, &cnam_body(3, "ACME")).await.status, StatusCode::OK);
    assert_eq!(recorder.count(3), 1);
    let answer = Client::connect(address).await.send("GET", common::PATH, &[], Vec::new()).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let address = start(Receiver::new(SECRET)).await;
    let mut body = br#"{"event":"meeting.started","payload":""#.to_vec();
    body.resize(body.len() + 3 * 1024 * 1024, b'x');
    body.extend_from_slice(br#""}"#);
    let answer = post(address, &signed(SECRET, now(), &body), &body).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn duplicate_filter_runs_the_handler_once_per_body() {
    let recorder = Recorder::default();
    let filter = DuplicateFilter::default();
    let receiver =
        Receiver::new(SECRET).route(number_management::route(recorder.clone())).duplicate_filter(filter.clone());
    let address = start(receiver).await;
    let body = cnam_body(11, "ACME");
    for _ in 0..3 {
        // Zoom re-signs each retry; the body is what identifies it.
        assert_eq!(deliver(address, &body).await.status, StatusCode::OK);
    }
    assert_eq!(recorder.count(11), 1);
    assert_eq!(filter.len(), 1);
    assert_eq!(deliver(address, &cnam_body(12, "ACME")).await.status, StatusCode::OK);
    assert_eq!(recorder.count(12), 1);
    assert_eq!(filter.len(), 2);
}

#[tokio::test]
async fn duplicate_filter_lets_failed_deliveries_be_retried() {
    let recorder = Recorder::default();
    let fails = Arc::new(Mutex::new(2));
    let remaining = Arc::clone(&fails);
    let receiver = Receiver::new(SECRET)
        .on_unknown(move |_: UnknownEvent| {
            let remaining = Arc::clone(&remaining);
            async move {
                let mut remaining = remaining.lock().expect("lock");
                if *remaining > 0 {
                    *remaining -= 1;
                    return Err("not yet");
                }
                Ok(())
            }
        })
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::default());
    let address = start(receiver).await;
    let body = br#"{"event":"meeting.started","payload":{}}"#;
    let statuses = [
        deliver(address, body).await.status,
        deliver(address, body).await.status,
        deliver(address, body).await.status,
        deliver(address, body).await.status,
    ];
    assert_eq!(
        statuses,
        [StatusCode::INTERNAL_SERVER_ERROR, StatusCode::INTERNAL_SERVER_ERROR, StatusCode::OK, StatusCode::OK]
    );
    assert_eq!(*fails.lock().expect("lock"), 0);

    // A 400 leaves no mark either (and the handler never ran).
    let wrong = br#"{"event":"number_management.peering_number_cnam_updated","payload":{}}"#;
    assert_eq!(deliver(address, wrong).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(deliver(address, wrong).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_deliveries_run_the_handler_once() {
    let recorder = Recorder::with_delay(Duration::from_millis(300));
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::default());
    let address = start(receiver).await;
    let body = cnam_body(21, "ACME");
    let deliveries: Vec<_> = (0..8)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move { deliver(address, &body).await.status })
        })
        .collect();
    for delivery in deliveries {
        assert_eq!(delivery.await.expect("delivery task"), StatusCode::OK);
    }
    assert_eq!(recorder.count(21), 1);

    // When the first of concurrent identical deliveries fails, a waiting one runs the handler itself.
    let body = cnam_body(22, "FAIL");
    let (first, second) = tokio::join!(deliver(address, &body), deliver(address, &body));
    assert_eq!((first.status, second.status), (StatusCode::INTERNAL_SERVER_ERROR, StatusCode::INTERNAL_SERVER_ERROR));
}

/// Bounded load: `DELIVERIES` distinct signed deliveries plus every tenth one again, over `CONNECTIONS`
/// keep-alive connections, with the duplicate filter on. Every delivery must be answered 200 and every
/// distinct body must reach the handler exactly once. (`cargo bench` runs the 20,000-delivery version and
/// prints the rate.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_every_delivery_reaches_the_handler_exactly_once() {
    const DELIVERIES: u64 = 2_000;
    const CONNECTIONS: u64 = 64;
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::default());
    let address = start(receiver).await;
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|worker| {
            tokio::spawn(async move {
                let mut client = Client::connect(address).await;
                let mut statuses = Vec::new();
                for id in (worker..DELIVERIES).step_by(CONNECTIONS as usize) {
                    let body = cnam_body(id, "ACME");
                    statuses.push((id, client.deliver(&body).await.status));
                    if id % 10 == 0 {
                        statuses.push((id, client.deliver(&body).await.status));
                    }
                }
                statuses
            })
        })
        .collect();
    let mut answered = 0;
    let mut ids = HashSet::new();
    for worker in workers {
        for (id, status) in worker.await.expect("worker") {
            assert_eq!(status, StatusCode::OK, "delivery {id}");
            answered += 1;
            ids.insert(id);
        }
    }
    assert_eq!(answered, DELIVERIES + DELIVERIES / 10);
    assert_eq!(ids.len() as u64, DELIVERIES);
    assert_eq!(recorder.total() as u64, DELIVERIES, "handler calls");
    for id in 0..DELIVERIES {
        assert_eq!(recorder.count(id as i64), 1, "delivery {id}");
    }
}

#[tokio::test]
async fn a_second_top_level_event_is_400_and_never_answered_as_url_validation() {
    let recorder = Recorder::default();
    let address = start(Receiver::new(SECRET).route(number_management::route(recorder.clone()))).await;
    let bodies: [&[u8]; 3] = [
        br#"{"event":"endpoint.url_validation","payload":{"plainToken":"abc"},"event":"meeting.started"}"#,
        br#"{"event":"meeting.started","payload":{"plainToken":"abc"},"event":"endpoint.url_validation"}"#,
        br#"{"event":"number_management.peering_number_cnam_updated","event_ts":1,"payload":{"account_id":"a","object":{"carrier_code":1,"phone_numbers":[]}},"event":"number_management.peering_number_cnam_updated"}"#,
    ];
    for body in bodies {
        let answer = deliver(address, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(answer.body, "the body has more than one `event` property naming the event");
    }
    assert_eq!(recorder.total(), 0);
}

#[tokio::test]
async fn bodies_must_be_utf8_json_objects() {
    let recorder = Recorder::default();
    let address = start(
        Receiver::new(SECRET)
            .route(number_management::route(recorder.clone()))
            .on_unknown(|_: UnknownEvent| async { Ok::<_, std::convert::Infallible>(()) }),
    )
    .await;
    // Invalid UTF-8 in a property the payload type does not declare, of a known and of an unknown webhook.
    for name in ["number_management.peering_number_cnam_updated", "meeting.started"] {
        let mut body = cnam_body(1, "ACME");
        let text = String::from_utf8(body.clone()).expect("UTF-8");
        body = text
            .replace("number_management.peering_number_cnam_updated", name)
            .replacen('{', r#"{"note":"AB","#, 1)
            .into_bytes();
        let at = body.windows(2).position(|window| window == b"AB").expect("AB");
        body[at..at + 2].copy_from_slice(&[0xC3, 0x28]);
        let answer = deliver(address, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}: {answer:?}");
        assert!(answer.body.starts_with("the body is not valid UTF-8"), "{name}: {}", answer.body);
    }
    for body in [&b"[1]"[..], b"\"number_management.peering_number_cnam_updated\"", b"42"] {
        let answer = deliver(address, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(answer.body, "the body is not a JSON object");
    }
    assert_eq!(recorder.total(), 0);
}

/// Panics on its first CNAM delivery, then records like a [`Recorder`].
#[derive(Clone, Default)]
struct PanicsOnce {
    panicked: Arc<std::sync::atomic::AtomicBool>,
    recorder: Recorder,
}

impl number_management::Handler for PanicsOnce {
    type Error = common::StoreDown;

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: number_management::NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Self::Error> {
        if !self.panicked.swap(true, std::sync::atomic::Ordering::SeqCst) {
            panic!("the handler has a bug");
        }
        number_management::Handler::on_number_management_peering_number_cnam_updated(&self.recorder, event).await
    }
}

#[tokio::test]
async fn a_panicking_handler_is_500_releases_the_body_and_the_receiver_keeps_serving() {
    let handler = PanicsOnce::default();
    let address = start(
        Receiver::new(SECRET)
            .route(number_management::route(handler.clone()))
            .duplicate_filter(DuplicateFilter::default()),
    )
    .await;
    let body = cnam_body(7, "ACME");
    let mut client = Client::connect(address).await;
    let answer = client.deliver(&body).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{answer:?}");
    // Zoom's retry of the same body runs the handler again (the panic left no mark), on the same connection.
    let answer = client.deliver(&body).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(handler.recorder.count(7), 1);
    assert_eq!(deliver(address, &cnam_body(8, "ACME")).await.status, StatusCode::OK);
    assert_eq!(handler.recorder.count(8), 1);
}

/// A Number Management delivery whose `carrier_code` is a string: Zoom's payload drifted from its spec.
fn drifted_body(event_ts: u64) -> Vec<u8> {
    let text = String::from_utf8(cnam_body(event_ts, "ACME")).expect("UTF-8");
    text.replace("\"carrier_code\":3457", "\"carrier_code\":\"3457\"").into_bytes()
}

#[tokio::test]
async fn drifted_payloads_are_handed_to_on_invalid_raw_with_the_error() {
    // (name, raw body, failing path) of each delivery handed over.
    type Kept = Arc<Mutex<Vec<(String, Vec<u8>, String)>>>;
    let kept: Kept = Arc::default();
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::default())
        .on_invalid({
            let kept = Arc::clone(&kept);
            move |delivery: zoom_webhooks::InvalidDelivery| {
                let kept = Arc::clone(&kept);
                async move {
                    let path = delivery.error.path().unwrap_or_default().to_owned();
                    if delivery.body.windows(4).any(|window| window == b"FAIL") {
                        return Err("the store for raw deliveries is down");
                    }
                    kept.lock().expect("lock").push((delivery.name, delivery.body, path));
                    Ok(())
                }
            }
        });
    let address = start(receiver).await;
    let body = drifted_body(1);
    assert!(zoom_webhooks::AnyEvent::from_slice(&body).is_err(), "the body really does not match the schema");
    let answer = deliver(address, &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    // A retry of a delivery handed over is a duplicate.
    assert_eq!(deliver(address, &body).await.status, StatusCode::OK);
    {
        let kept = kept.lock().expect("lock");
        assert_eq!(kept.len(), 1);
        let (name, raw, path) = &kept[0];
        assert_eq!(name, "number_management.peering_number_cnam_updated");
        assert_eq!(raw, &body, "the raw bytes as received");
        assert_eq!(path, "payload.object.carrier_code");
    }
    // Its error answers 500, so the vendor retries.
    let failing = String::from_utf8(drifted_body(2)).expect("UTF-8").replace("ACME", "FAIL").into_bytes();
    assert_eq!(deliver(address, &failing).await.status, StatusCode::INTERNAL_SERVER_ERROR);
    // Bodies that are not JSON are still refused; valid ones still reach their handler.
    assert_eq!(deliver(address, b"{not json").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(deliver(address, &cnam_body(3, "ACME")).await.status, StatusCode::OK);
    assert_eq!((kept.lock().expect("lock").len(), recorder.total()), (1, 1));

    // Without `on_invalid`, the drifted delivery is refused as before.
    let plain = start(Receiver::new(SECRET).route(number_management::route(Recorder::default()))).await;
    let answer = deliver(plain, &drifted_body(4)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("payload.object.carrier_code"), "{}", answer.body);
}

#[tokio::test]
async fn a_drift_collector_fed_by_on_invalid_counts_drifted_deliveries_per_webhook_and_path() {
    use zoom_webhooks::drift::{DriftCollector, DriftKind};

    let drift = DriftCollector::new();
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET).route(number_management::route(recorder.clone())).on_invalid({
        let drift = drift.clone();
        move |delivery: zoom_webhooks::InvalidDelivery| {
            drift.record_invalid(&delivery);
            async { Ok::<_, std::convert::Infallible>(()) }
        }
    });
    let address = start(receiver).await;
    for n in 1..=3 {
        assert_eq!(deliver(address, &drifted_body(n)).await.status, StatusCode::OK);
    }
    assert_eq!(deliver(address, &cnam_body(4, "ACME")).await.status, StatusCode::OK);
    let snapshot = drift.snapshot();
    assert_eq!(recorder.total(), 1, "the valid delivery reached its handler");
    assert_eq!(snapshot.webhooks.len(), 1, "{snapshot:?}");
    let cnam = &snapshot.webhooks["number_management.peering_number_cnam_updated"];
    assert_eq!(cnam.invalid, 3, "{snapshot:?}");
    assert_eq!(cnam.paths.len(), 1, "{snapshot:?}");
    let path = &cnam.paths[0];
    assert_eq!((path.path.as_str(), path.kind, path.count), ("payload.object.carrier_code", DriftKind::WrongType, 3));
    assert_eq!(snapshot.overflow, 0);
}

/// A CNAM event and the delivery its handler saw it come in (`None`: none was set).
type Kept = (number_management::NumberManagementPeeringNumberCnamUpdated, Option<Received>);

/// A Number Management handler that keeps each CNAM event it gets with the delivery it came in.
#[derive(Clone, Default)]
struct KeepsReceived {
    kept: Arc<Mutex<Vec<Kept>>>,
}

impl number_management::Handler for KeepsReceived {
    type Error = std::convert::Infallible;

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: number_management::NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Self::Error> {
        self.kept.lock().expect("lock").push((event, Received::current()));
        Ok(())
    }
}

#[tokio::test]
async fn a_handler_reads_every_byte_of_its_delivery_next_to_the_typed_event() {
    let handler = KeepsReceived::default();
    let address = start(Receiver::new(SECRET).route(number_management::route(handler.clone()))).await;
    // Properties the spec does not declare at the top, in `payload` and in `payload.object`; numbers
    // written as no serializer writes them; `event` after `event_ts`, and `object`'s keys shuffled.
    let body = br#"{"event_ts":1619155436400,"event":"number_management.peering_number_cnam_updated","payload":{"object":{"phone_numbers":["+18008001000"],"price":100.50,"custom_properties":{"tier":"gold","weight":1.0e2},"carrier_code":3457,"cnam":"ACME"},"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","web_commit_signoff_required":false},"installation":{"id":-0.0,"big":123456789012345678901234567890}}"#;
    let answer = deliver(address, body).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");

    let kept = handler.kept.lock().expect("lock").clone();
    let [(event, received)] = kept.as_slice() else { panic!("one delivery handled, got {}", kept.len()) };
    assert_eq!(event.payload.object.cnam.as_deref(), Some("ACME"));
    let received = received.as_ref().expect("the handler sees the delivery it came in");
    assert_eq!(received.body().as_ref(), &body[..], "every byte back");
    assert_eq!(received.name(), "number_management.peering_number_cnam_updated");
    assert_eq!(received.key(), Some(&DeliveryKey::of(body)), "Zoom's deliveries are keyed by their body");
    let age = received.received_at().elapsed().expect("received in the past");
    assert!(age < Duration::from_secs(60), "received during this test, {age:?} ago");

    // The typed event alone has lost what its types do not declare.
    let typed = serde_json::to_string(event).expect("JSON");
    for undeclared in ["installation", "web_commit_signoff_required", "custom_properties", "price", "100.50", "1.0e2"] {
        assert!(!typed.contains(undeclared), "{undeclared} in {typed}");
    }
    assert!(Received::current().is_none(), "only inside the handler");
}
