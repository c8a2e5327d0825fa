//! The receiver in hand-off mode, with sinks that confirm, fail or never answer.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "axum")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use tokio::sync::{Notify, Semaphore};
use webhook_runtime::axum::Receiver;
use webhook_runtime::duplicates::{DeliveryKey, DuplicateFilter};
use webhook_runtime::handoff::{Delivery, DeliveryTooLarge, Sink};
use webhook_runtime::signature::zoom::{self, Verifier};
use webhook_runtime::{BoxError, Route, UnknownEvent};

const SECRET: &str = "hand-off-secret";

/// What a test sink answers.
#[derive(Debug)]
enum Answer {
    Confirm,
    Fail,
    Never,
}

/// A sink recording every delivery given to it, answering as told.
#[derive(Debug, Clone)]
struct TestSink {
    answer: Arc<Mutex<Answer>>,
    published: Arc<Mutex<Vec<Delivery>>>,
    /// Confirmations wait for a permit of this gate when it is set.
    gate: Option<Arc<Semaphore>>,
    received: Arc<Notify>,
}

impl TestSink {
    fn new(answer: Answer) -> Self {
        Self { answer: Arc::new(Mutex::new(answer)), published: Arc::default(), gate: None, received: Arc::default() }
    }

    fn published(&self) -> Vec<Delivery> {
        self.published.lock().unwrap().clone()
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }
}

impl Sink for TestSink {
    fn publish<'a>(
        &'a self,
        delivery: &'a Delivery,
    ) -> webhook_runtime::duplicates::BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.published.lock().unwrap().push(delivery.clone());
            self.received.notify_one();
            if let Some(gate) = &self.gate {
                gate.acquire().await.unwrap().forget();
            }
            let answer = match *self.answer.lock().unwrap() {
                Answer::Confirm => Some(Ok(())),
                Answer::Fail => Some(Err("the queue refused the delivery".into())),
                Answer::Never => None,
            };
            match answer {
                Some(answer) => answer,
                None => std::future::pending().await,
            }
        })
    }
}

fn meetings() -> Route {
    Route::from_fn("meetings", &["meeting.started"], |_: UnknownEvent| async {
        Err::<(), _>("handlers are not called in hand-off mode")
    })
}

fn receiver(sink: &TestSink) -> Receiver {
    Receiver::new(SECRET)
        .route(meetings())
        .on_unknown(|_: UnknownEvent| async { Err::<(), _>("on_unknown is not called in hand-off mode") })
        .hand_off(sink.clone())
}

fn signed(body: &[u8]) -> HeaderMap {
    signed_at(body, SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs())
}

fn signed_at(body: &[u8], timestamp: u64) -> HeaderMap {
    let timestamp = timestamp.to_string();
    let mut headers = HeaderMap::new();
    headers.insert(zoom::TIMESTAMP_HEADER, HeaderValue::from_str(&timestamp).unwrap());
    let signature = Verifier::new(SECRET.as_bytes()).sign(&timestamp, body);
    headers.insert(zoom::SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    headers
}

const STARTED: &[u8] = br#"{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":"85"}}}"#;

#[tokio::test]
async fn answers_200_only_after_the_sink_confirmed() {
    let mut sink = TestSink::new(Answer::Confirm);
    let gate = Arc::new(Semaphore::new(0));
    sink.gate = Some(Arc::clone(&gate));
    let receiver = Arc::new(receiver(&sink));
    let answer = tokio::spawn({
        let receiver = Arc::clone(&receiver);
        async move { receiver.receive(&signed(STARTED), STARTED).await }
    });
    sink.received.notified().await;
    // Published, not confirmed: the receiver is still waiting.
    tokio::task::yield_now().await;
    assert!(!answer.is_finished());
    gate.add_permits(1);
    assert_eq!(answer.await.unwrap().status(), StatusCode::OK);
    let published = sink.published();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].name, "meeting.started");
    assert_eq!(published[0].module, Some("meetings"));
    assert_eq!(&published[0].body[..], STARTED);
}

#[tokio::test]
async fn answers_503_when_the_sink_fails_or_does_not_answer_in_time() {
    let failing = TestSink::new(Answer::Fail);
    let response = receiver(&failing).receive(&signed(STARTED), STARTED).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(failing.published().len(), 1);

    let silent = TestSink::new(Answer::Never);
    let receiver = receiver(&silent).hand_off_timeout(Duration::from_millis(50));
    let response = receiver.receive(&signed(STARTED), STARTED).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(silent.published().len(), 1);
}

#[tokio::test]
async fn answers_url_validation_itself_without_publishing() {
    let sink = TestSink::new(Answer::Confirm);
    let body = br#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}"#;
    let response = receiver(&sink).receive(&signed(body), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let json = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let expected = Verifier::new(SECRET.as_bytes()).url_validation_response("qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(answer["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(answer["encryptedToken"], expected.encrypted_token.as_str());
    assert!(sink.published().is_empty());
}

#[tokio::test]
async fn refuses_a_bad_signature_or_a_body_without_a_name_without_publishing() {
    let sink = TestSink::new(Answer::Confirm);
    let receiver = receiver(&sink);
    let mut forged = signed(STARTED);
    forged.insert(zoom::SIGNATURE_HEADER, HeaderValue::from_static("v0=00"));
    assert_eq!(receiver.receive(&forged, STARTED).await.status(), StatusCode::UNAUTHORIZED);
    let other_body = br#"{"event":"meeting.started","event_ts":2}"#;
    assert_eq!(receiver.receive(&signed(STARTED), other_body).await.status(), StatusCode::UNAUTHORIZED);

    let nameless = br#"{"payload":{"object":{"id":"85"}}}"#;
    assert_eq!(receiver.receive(&signed(nameless), nameless).await.status(), StatusCode::BAD_REQUEST);
    let not_json = b"meeting.started";
    assert_eq!(receiver.receive(&signed(not_json), not_json).await.status(), StatusCode::BAD_REQUEST);
    assert!(sink.published().is_empty());
}

#[tokio::test]
async fn publishes_an_unknown_webhook_with_no_module() {
    let sink = TestSink::new(Answer::Confirm);
    let body = br#"{"event":"meeting.ended","payload":{}}"#;
    assert_eq!(receiver(&sink).receive(&signed(body), body).await.status(), StatusCode::OK);
    let published = sink.published();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].name, "meeting.ended");
    assert_eq!(published[0].module, None);
    assert_eq!(&published[0].body[..], body);
}

#[tokio::test]
async fn the_duplicate_filter_publishes_a_body_once_and_releases_it_when_publishing_failed() {
    let sink = TestSink::new(Answer::Fail);
    let receiver = receiver(&sink).duplicate_filter(DuplicateFilter::default());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    // Zoom's retries: the same body under a new timestamp and signature.
    let status = receiver.receive(&signed_at(STARTED, now), STARTED).await.status();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    sink.answer(Answer::Confirm);
    assert_eq!(receiver.receive(&signed_at(STARTED, now + 1), STARTED).await.status(), StatusCode::OK);
    assert_eq!(receiver.receive(&signed_at(STARTED, now + 2), STARTED).await.status(), StatusCode::OK);
    // Published on the first try (failed) and the second; the third was a duplicate of a handed-off body.
    assert_eq!(sink.published().len(), 2);
}

const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn standard_signed(id: &str, body: &[u8]) -> HeaderMap {
    use webhook_runtime::signature::standard;
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
    let mut headers = HeaderMap::new();
    headers.insert(standard::ID_HEADER, HeaderValue::from_str(id).unwrap());
    headers.insert(standard::TIMESTAMP_HEADER, HeaderValue::from_str(&timestamp).unwrap());
    let signature = standard::sign(STANDARD_SECRET, id, &timestamp, body).unwrap();
    headers.insert(standard::SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    headers
}

#[tokio::test]
async fn standard_webhooks_deliveries_are_keyed_by_their_webhook_id_not_their_body() {
    let sink = TestSink::new(Answer::Confirm);
    let route = Route::from_fn("invoices", &["invoice.paid"], |_: UnknownEvent| async {
        Err::<(), _>("handlers are not called in hand-off mode")
    })
    .with_discriminator("type");
    let receiver = Receiver::standard(&[STANDARD_SECRET])
        .unwrap()
        .route(route)
        .duplicate_filter(DuplicateFilter::default())
        .hand_off(sink.clone());
    let body = br#"{"type":"invoice.paid","data":{"amount":5}}"#;
    // Three messages with one body, then the vendor's retry of the second.
    for id in ["msg_1", "msg_2", "msg_3", "msg_2"] {
        assert_eq!(receiver.receive(&standard_signed(id, body), body).await.status(), StatusCode::OK);
    }
    let published = sink.published();
    assert_eq!(published.len(), 3, "three messages published, the retry of one not again");
    let keys: Vec<_> = published.iter().map(|delivery| delivery.key).collect();
    assert_ne!(keys[0], keys[1]);
    assert_ne!(keys[1], keys[2]);
    assert_ne!(keys[0], keys[2]);
    assert!(keys.iter().all(|key| *key != DeliveryKey::of(body)), "no key is the body's");
    assert!(published.iter().all(|delivery| &delivery.body[..] == body));
}

#[tokio::test]
async fn zoom_deliveries_are_keyed_by_their_body() {
    let sink = TestSink::new(Answer::Confirm);
    assert_eq!(receiver(&sink).receive(&signed(STARTED), STARTED).await.status(), StatusCode::OK);
    assert_eq!(sink.published()[0].key, DeliveryKey::of(STARTED));
}

/// A sink for which every delivery is too large.
#[derive(Debug)]
struct SmallQueue;

impl Sink for SmallQueue {
    fn publish<'a>(
        &'a self,
        delivery: &'a Delivery,
    ) -> webhook_runtime::duplicates::BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move { Err(DeliveryTooLarge::new(delivery.body.len() + 100, 16).into()) })
    }
}

#[tokio::test]
async fn a_delivery_too_large_for_the_queue_is_answered_413_and_released() {
    let filter = DuplicateFilter::default();
    let receiver = Receiver::new(SECRET).route(meetings()).duplicate_filter(filter.clone()).hand_off(SmallQueue);
    let response = receiver.receive(&signed(STARTED), STARTED).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains(&format!("{} bytes", STARTED.len() + 100)) && text.contains("limit of 16 bytes"), "{text}");
    assert!(filter.is_empty(), "the key is not marked handed off");
}
