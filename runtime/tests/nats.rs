//! The hand-off on a real NATS server with JetStream: publishing, retries, dead letters, payloads that do
//! not match their schema, and a receiver and a worker end to end.
//!
//! Needs a NATS server with JetStream at `NATS_URL` (default `nats://127.0.0.1:4222`), and the
//! `nats-server` command for the test that stops a server of its own. Without them each test prints why it
//! is skipped and passes, unless `REQUIRE_NATS=1` (as in CI), which turns every skip into a failure. Each test uses its own stream and subject prefix and deletes the stream.
//! `cargo test -p webhook-runtime --features nats,axum --test nats` (the end-to-end tests need `axum`).
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "nats")]

#[path = "support/logs.rs"]
mod logs;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use logs::Logs;
use webhook_runtime::duplicates::DeliveryKey;
use webhook_runtime::handoff::{Delivery, Sink};
use webhook_runtime::nats::async_nats::jetstream::{self, message::StreamMessage};
use webhook_runtime::nats::{JetStreamSink, NatsError, Worker, async_nats};
use webhook_runtime::{DispatchError, InvalidDelivery, ParseError, Route, UnknownEvent};

/// The NATS server the tests use (`NATS_URL`), said once per test binary past the harness's capture, so a run
/// shows which server it talked to.
fn nats_url() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
        let _ = writeln!(std::io::stderr(), "these tests use the NATS server at {url} (NATS_URL)");
        url
    })
    .clone()
}

/// Prints (past the test harness's capture) why `test` is skipped, or fails it when `REQUIRE_NATS=1`.
fn skip(test: &str) {
    skip_because(test, &format!("no NATS server with JetStream at {} (set NATS_URL)", nats_url()));
}

/// As [`skip`], for another reason.
fn skip_because(test: &str, reason: &str) {
    if std::env::var("REQUIRE_NATS").is_ok_and(|value| value == "1") {
        panic!("{test}: {reason} (REQUIRE_NATS=1 makes this a failure)");
    }
    let _ = writeln!(std::io::stderr(), "skipped nats::{test}: {reason}");
}

/// One test's stream and subject prefix on the server; the stream is deleted when it is dropped.
struct Fixture {
    context: jetstream::Context,
    stream: String,
    prefix: String,
}

impl Fixture {
    /// Connects and creates the stream of `test` (named after `short`), or `None` (after [`skip`]) when
    /// there is no server with JetStream.
    async fn new(test: &str, short: &str) -> Option<Self> {
        let unique =
            format!("{}_{}", std::process::id(), SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos());
        let connect = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(2)).connect(nats_url());
        let Ok(client) = connect.await else {
            skip(test);
            return None;
        };
        let fixture = Self {
            context: jetstream::new(client),
            stream: format!("TEST_{}_{unique}", short.to_uppercase()),
            prefix: format!("test_{short}_{unique}"),
        };
        if fixture.sink().ensure_stream().await.is_err() {
            skip(test);
            return None;
        }
        Some(fixture)
    }

    fn sink(&self) -> JetStreamSink {
        JetStreamSink::new(self.context.clone()).stream(&self.stream).subject_prefix(&self.prefix)
    }

    /// A worker on the test's stream with short waits.
    fn worker(&self) -> Worker {
        Worker::new(self.context.clone())
            .stream(&self.stream)
            .subject_prefix(&self.prefix)
            .consumer("worker")
            .ack_wait(Duration::from_secs(2))
    }

    /// Every message of the stream, in order.
    async fn messages(&self) -> Vec<StreamMessage> {
        let stream = self.context.get_stream(&self.stream).await.unwrap();
        let last = stream.get_info().await.unwrap().state.last_sequence;
        let mut messages = Vec::new();
        for sequence in 1..=last {
            if let Ok(message) = stream.get_raw_message(sequence).await {
                messages.push(message);
            }
        }
        messages
    }

    /// The messages of the stream on `<prefix>.<rest>`.
    async fn messages_on(&self, rest: &str) -> Vec<StreamMessage> {
        let subject = format!("{}.{rest}", self.prefix);
        self.messages().await.into_iter().filter(|message| message.subject.as_str() == subject).collect()
    }

    /// Waits until the worker acknowledged the first `count` messages of the stream and has none left.
    async fn all_acknowledged(&self, count: u64) {
        eventually("the messages acknowledged", || async { self.consumer_state().await == (count, 0, 0) }).await;
    }

    /// The worker's consumer: (stream sequence of the ack floor, messages delivered and not acknowledged,
    /// messages not yet delivered); `(0, 0, u64::MAX)` before the worker created it.
    async fn consumer_state(&self) -> (u64, usize, u64) {
        let stream = self.context.get_stream(&self.stream).await.unwrap();
        match stream.consumer_info("worker").await {
            Ok(info) => (info.ack_floor.stream_sequence, info.num_ack_pending, info.num_pending),
            // The worker has not created it yet.
            Err(_) => (0, 0, u64::MAX),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // The client runs on the test's runtime, which is blocked here: delete through a connection of its own.
        let stream = self.stream.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(client) = async_nats::connect(nats_url()).await {
                    let _ = jetstream::new(client).delete_stream(&stream).await;
                }
            });
        })
        .join();
    }
}

/// Waits until `condition` holds, failing the test after 20 seconds (a hang guard, not a speed check).
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A worker running on the test's runtime.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), NatsError>>,
}

impl Running {
    fn start(worker: Worker) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(worker.run_until(async move {
            let _ = stopped.await;
        }));
        Self { stop, task }
    }

    /// Stops the worker, which must have run without an error.
    async fn stop(self) {
        drop(self.stop);
        self.task.await.unwrap().unwrap();
    }
}

/// A route for `meeting.started` counting its calls, failing the calls `fails` says.
fn counted(calls: &Arc<AtomicUsize>, fails: fn(usize) -> bool) -> Route {
    let calls = Arc::clone(calls);
    Route::from_fn("meetings", &["meeting.started"], move |_: UnknownEvent| {
        let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move { if fails(call) { Err(format!("the database is down (call {call})")) } else { Ok(()) } }
    })
}

fn header(message: &StreamMessage, name: &str) -> Option<String> {
    message.headers.get(name).map(|value| value.as_str().to_owned())
}

fn msg_id(message: &StreamMessage) -> Option<String> {
    message.headers.get(async_nats::header::NATS_MESSAGE_ID).map(|value| value.as_str().to_owned())
}

const STARTED: &[u8] = br#"{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":"85"}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_on_the_module_subject_with_the_headers_and_once_per_body() {
    let Some(fixture) =
        Fixture::new("publishes_on_the_module_subject_with_the_headers_and_once_per_body", "publish").await
    else {
        return;
    };
    let sink = fixture.sink();
    let routed = Delivery::new("meeting.started", Some("meetings"), STARTED);
    let unrouted_body = br#"{"event":"meeting.ended","event_ts":2}"#;
    let unrouted = Delivery::new("meeting.ended", None, &unrouted_body[..]);
    sink.publish(&routed).await.unwrap();
    sink.publish(&unrouted).await.unwrap();
    // A vendor's retry of the first one, within the duplicate window.
    sink.publish(&routed).await.unwrap();

    let messages = fixture.messages().await;
    assert_eq!(messages.len(), 2, "the same body is stored once");
    let first = &messages[0];
    assert_eq!(first.subject.as_str(), format!("{}.deliveries.meetings", fixture.prefix));
    assert_eq!(&first.payload[..], STARTED);
    assert_eq!(msg_id(first).unwrap(), DeliveryKey::of(STARTED).to_hex());
    assert_eq!(header(first, "Webhook-Event").as_deref(), Some("meeting.started"));
    assert_eq!(header(first, "Webhook-Module").as_deref(), Some("meetings"));
    let second = &messages[1];
    assert_eq!(second.subject.as_str(), format!("{}.deliveries._unrouted", fixture.prefix));
    assert_eq!(&second.payload[..], unrouted_body);
    assert_eq!(msg_id(second).unwrap(), DeliveryKey::of(unrouted_body).to_hex());
    assert_eq!(header(second, "Webhook-Event").as_deref(), Some("meeting.ended"));
    assert_eq!(header(second, "Webhook-Module"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_fails_when_the_stream_is_gone() {
    let Some(fixture) = Fixture::new("publishing_fails_when_the_stream_is_gone", "gone").await else { return };
    let sink = fixture.sink();
    sink.ensure_stream().await.unwrap();
    fixture.context.delete_stream(&fixture.stream).await.unwrap();
    let delivery = Delivery::new("meeting.started", Some("meetings"), STARTED);
    assert!(sink.publish(&delivery).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_handler_is_retried_after_the_backoff_then_acknowledged() {
    let Some(fixture) = Fixture::new("a_failing_handler_is_retried_after_the_backoff_then_acknowledged", "retry").await
    else {
        return;
    };
    let calls = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let route = Route::from_fn("meetings", &["meeting.started"], {
        let calls = Arc::clone(&calls);
        move |_: UnknownEvent| {
            let attempt = {
                let mut calls = calls.lock().unwrap();
                calls.push(Instant::now());
                calls.len()
            };
            async move { if attempt < 3 { Err(format!("attempt {attempt} failed")) } else { Ok(()) } }
        }
    });
    let backoff = [Duration::from_millis(200), Duration::from_millis(400)];
    let worker = fixture.worker().route(route).max_attempts(5).backoff(backoff.to_vec());
    let running = Running::start(worker);
    fixture.sink().publish(&Delivery::new("meeting.started", Some("meetings"), STARTED)).await.unwrap();

    fixture.all_acknowledged(1).await;
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3);
    assert!(calls[1] - calls[0] >= backoff[0], "first retry after {:?}", calls[1] - calls[0]);
    assert!(calls[2] - calls[1] >= backoff[1], "second retry after {:?}", calls[2] - calls[1]);
    assert!(fixture.messages_on("dead.meetings").await.is_empty());
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_retried_and_the_worker_keeps_serving() {
    let Some(fixture) = Fixture::new("a_panicking_handler_is_retried_and_the_worker_keeps_serving", "panic").await
    else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let route = Route::from_fn("meetings", &["meeting.started"], {
        let calls = Arc::clone(&calls);
        move |_: UnknownEvent| {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            assert!(call > 1, "the handler panics on its first call");
            async { Ok::<_, std::convert::Infallible>(()) }
        }
    });
    let worker = fixture.worker().route(route).backoff(vec![Duration::from_millis(100)]).concurrency(1);
    let running = Running::start(worker);
    let sink = fixture.sink();
    sink.publish(&Delivery::new("meeting.started", Some("meetings"), STARTED)).await.unwrap();
    let second = br#"{"event":"meeting.started","event_ts":6}"#;
    sink.publish(&Delivery::new("meeting.started", Some("meetings"), &second[..])).await.unwrap();

    fixture.all_acknowledged(2).await;
    // The first delivery panicked once and was retried; the second was handled once.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(fixture.messages_on("dead.meetings").await.is_empty());
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_always_fails_ends_in_the_dead_letters_after_max_attempts() {
    let Some(fixture) =
        Fixture::new("a_handler_that_always_fails_ends_in_the_dead_letters_after_max_attempts", "dead").await
    else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let route = counted(&calls, |_| true);
    let worker = fixture.worker().route(route).max_attempts(3).backoff(vec![Duration::from_millis(100)]);
    let running = Running::start(worker);
    fixture.sink().publish(&Delivery::new("meeting.started", Some("meetings"), STARTED)).await.unwrap();

    eventually("a dead letter", || async { !fixture.messages_on("dead.meetings").await.is_empty() }).await;
    fixture.all_acknowledged(1).await;
    let dead = fixture.messages_on("dead.meetings").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(&dead[0].payload[..], STARTED);
    assert_eq!(header(&dead[0], "Webhook-Error").as_deref(), Some("the database is down (call 3)"));
    assert_eq!(header(&dead[0], "Webhook-Attempts").as_deref(), Some("3"));
    assert_eq!(header(&dead[0], "Webhook-Event").as_deref(), Some("meeting.started"));
    assert_eq!(header(&dead[0], "Webhook-Module").as_deref(), Some("meetings"));
    let id = msg_id(&dead[0]).unwrap();
    assert_eq!(id, format!("dead-{}-1", DeliveryKey::of(STARTED).to_hex()));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    running.stop().await;
}

/// A route whose dispatch finds every payload off its schema, as a generated module's would for a
/// drifted payload.
fn drifted_route(calls: Arc<AtomicUsize>) -> Route {
    webhook_runtime::__private::module_route(
        "number_management",
        &["number_management.peering_number_cnam_updated"],
        Some(("event", &["number_management.peering_number_cnam_updated"])),
        calls,
        |calls: &Arc<AtomicUsize>, name: &str, _body: &[u8]| {
            calls.fetch_add(1, Ordering::SeqCst);
            let source = serde_json::from_str::<u32>("\"3457\"").unwrap_err();
            let error = ParseError::InvalidPayload {
                event: name.to_owned(),
                path: "payload.object.carrier_code".to_owned(),
                source,
            };
            Box::pin(async move { Err(DispatchError::Parse(error)) })
        },
    )
}

const CNAM: &[u8] =
    br#"{"event":"number_management.peering_number_cnam_updated","payload":{"object":{"carrier_code":"3457"}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_off_its_schema_goes_to_on_invalid() {
    let Some(fixture) = Fixture::new("a_payload_off_its_schema_goes_to_on_invalid", "invalid").await else { return };
    let calls = Arc::new(AtomicUsize::new(0));
    let invalid = Arc::new(Mutex::new(Vec::<(String, Vec<u8>, Option<String>)>::new()));
    let worker = fixture.worker().route(drifted_route(Arc::clone(&calls))).on_invalid({
        let invalid = Arc::clone(&invalid);
        move |delivery: InvalidDelivery| {
            let path = delivery.error.path().map(str::to_owned);
            invalid.lock().unwrap().push((delivery.name, delivery.body, path));
            async { Ok::<_, std::convert::Infallible>(()) }
        }
    });
    let running = Running::start(worker);
    let delivery = Delivery::new("number_management.peering_number_cnam_updated", Some("number_management"), CNAM);
    fixture.sink().publish(&delivery).await.unwrap();

    fixture.all_acknowledged(1).await;
    let invalid = invalid.lock().unwrap().clone();
    assert_eq!(
        invalid,
        [(
            "number_management.peering_number_cnam_updated".to_owned(),
            CNAM.to_vec(),
            Some("payload.object.carrier_code".to_owned())
        )]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(fixture.messages_on("dead.number_management").await.is_empty());
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_on_invalid_a_payload_off_its_schema_goes_to_the_dead_letters_at_once() {
    let Some(fixture) =
        Fixture::new("without_on_invalid_a_payload_off_its_schema_goes_to_the_dead_letters_at_once", "invalid_dead")
            .await
    else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let worker = fixture.worker().route(drifted_route(Arc::clone(&calls))).max_attempts(5);
    let running = Running::start(worker);
    let delivery = Delivery::new("number_management.peering_number_cnam_updated", Some("number_management"), CNAM);
    fixture.sink().publish(&delivery).await.unwrap();

    eventually("a dead letter", || async { !fixture.messages_on("dead.number_management").await.is_empty() }).await;
    fixture.all_acknowledged(1).await;
    let dead = fixture.messages_on("dead.number_management").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(&dead[0].payload[..], CNAM);
    assert_eq!(header(&dead[0], "Webhook-Attempts").as_deref(), Some("1"));
    let error = header(&dead[0], "Webhook-Error").unwrap();
    assert!(error.contains("payload.object.carrier_code"), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    running.stop().await;
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_delivery_is_answered_200_and_handled_once_by_the_worker() {
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use webhook_runtime::axum::Receiver;
    use webhook_runtime::signature::zoom::{self, Verifier};

    let Some(fixture) =
        Fixture::new("a_signed_delivery_is_answered_200_and_handled_once_by_the_worker", "end_to_end").await
    else {
        return;
    };
    let secret = "end-to-end-secret";
    let handled = Arc::new(Mutex::new(Vec::<(String, serde_json::Value)>::new()));
    let route = || {
        let handled = Arc::clone(&handled);
        Route::from_fn("meetings", &["meeting.started"], move |event: UnknownEvent| {
            handled.lock().unwrap().push((event.name, event.body));
            async { Ok::<_, std::convert::Infallible>(()) }
        })
    };
    let unknown = Arc::new(Mutex::new(Vec::<String>::new()));
    let worker = fixture.worker().route(route()).on_unknown({
        let unknown = Arc::clone(&unknown);
        move |event: UnknownEvent| {
            unknown.lock().unwrap().push(event.name);
            async { Ok::<_, std::convert::Infallible>(()) }
        }
    });
    let running = Running::start(worker);
    let receiver = Receiver::new(secret).route(route()).hand_off(fixture.sink());

    let sign = |body: &[u8]| {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
        let mut headers = HeaderMap::new();
        headers.insert(zoom::TIMESTAMP_HEADER, HeaderValue::from_str(&timestamp).unwrap());
        let signature = Verifier::new(secret.as_bytes()).sign(&timestamp, body);
        headers.insert(zoom::SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
        headers
    };
    assert_eq!(receiver.receive(&sign(STARTED), STARTED).await.status(), StatusCode::OK);
    let ended = br#"{"event":"meeting.ended","event_ts":3}"#;
    assert_eq!(receiver.receive(&sign(ended), ended).await.status(), StatusCode::OK);

    fixture.all_acknowledged(2).await;
    let handled = handled.lock().unwrap().clone();
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].0, "meeting.started");
    assert_eq!(handled[0].1["payload"]["object"]["id"], "85");
    assert_eq!(*unknown.lock().unwrap(), ["meeting.ended"]);

    running.stop().await;

    // With the stream gone, the receiver answers 503 (and Zoom retries).
    fixture.context.delete_stream(&fixture.stream).await.unwrap();
    let again = br#"{"event":"meeting.started","event_ts":4}"#;
    assert_eq!(receiver.receive(&sign(again), again).await.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_handler_reads_the_body_and_key_the_receiver_handed_off() {
    use axum::http::StatusCode;
    use webhook_runtime::Received;
    use webhook_runtime::axum::Receiver;
    use webhook_runtime::signature::standard;

    let Some(fixture) =
        Fixture::new("the_workers_handler_reads_the_body_and_key_the_receiver_handed_off", "received").await
    else {
        return;
    };
    let seen = Arc::new(Mutex::new(Vec::<Option<Received>>::new()));
    let route = || {
        let seen = Arc::clone(&seen);
        Route::from_fn("invoices", &["invoice.paid"], move |_: UnknownEvent| {
            seen.lock().unwrap().push(Received::current());
            async { Ok::<_, std::convert::Infallible>(()) }
        })
        .with_discriminator("type")
    };
    let receiver = Receiver::standard(&[STANDARD_SECRET]).unwrap().route(route()).hand_off(fixture.sink());
    // Undeclared properties, a number as no serializer writes it, keys in an unusual order.
    let body =
        br#"{"data":{"amount":100.50,"extra":{"z":1.0e2,"a":[]}},"type":"invoice.paid","installation":{"id":7}}"#;
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(standard::ID_HEADER, axum::http::HeaderValue::from_static("msg_received"));
    headers.insert(standard::TIMESTAMP_HEADER, axum::http::HeaderValue::from_str(&timestamp).unwrap());
    let signature = standard::sign(STANDARD_SECRET, "msg_received", &timestamp, body).unwrap();
    headers.insert(standard::SIGNATURE_HEADER, axum::http::HeaderValue::from_str(&signature).unwrap());
    let handed_off = SystemTime::now();
    assert_eq!(receiver.receive(&headers, body).await.status(), StatusCode::OK);
    assert!(seen.lock().unwrap().is_empty(), "in hand-off mode the receiver runs no handler");

    let stored = fixture.messages_on("deliveries.invoices").await;
    let [message] = stored.as_slice() else { panic!("one delivery stored, got {}", stored.len()) };
    let key = header(message, "Webhook-Delivery-Key").unwrap();
    let running = Running::start(fixture.worker().route(route()));
    fixture.all_acknowledged(1).await;
    running.stop().await;

    let seen = seen.lock().unwrap().clone();
    let [Some(received)] = seen.as_slice() else { panic!("one delivery handled inside its scope: {seen:?}") };
    assert_eq!(received.body().as_ref(), &body[..], "every byte the receiver handed off");
    assert_eq!(received.name(), "invoice.paid");
    assert_eq!(received.key().map(DeliveryKey::to_hex), Some(key), "the key the receiver handed off");
    assert_ne!(received.key(), Some(&DeliveryKey::of(body)), "keyed by the webhook-id, not the body");
    // When JetStream stored it (its clock and ours may differ by a little).
    let stored_at = SystemTime::from(message.time);
    assert_eq!(received.received_at(), stored_at);
    let from_hand_off = stored_at.duration_since(handed_off).unwrap_or_else(|early| early.duration());
    assert!(from_hand_off < Duration::from_secs(60), "stored {from_hand_off:?} from the hand-off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_filter_handles_a_body_stored_twice_once() {
    let Some(fixture) = Fixture::new("the_duplicate_filter_handles_a_body_stored_twice_once", "filter").await else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let route = counted(&calls, |_| false);
    let worker =
        fixture.worker().route(route).duplicate_filter(webhook_runtime::duplicates::DuplicateFilter::default());
    // A vendor's retry after JetStream's duplicate window: the same body under another message id.
    let subject = format!("{}.deliveries.meetings", fixture.prefix);
    for id in ["first", "retry"] {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
        headers.insert("Webhook-Event", "meeting.started");
        headers.insert("Webhook-Module", "meetings");
        fixture.context.publish_with_headers(subject.clone(), headers, STARTED.into()).await.unwrap().await.unwrap();
    }
    assert_eq!(fixture.messages().await.len(), 2);
    let running = Running::start(worker);

    fixture.all_acknowledged(2).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    running.stop().await;
}

/// A `nats-server` with JetStream of the test's own, on a free port, killed when dropped; it can be
/// killed and started again on the same port with the same storage.
struct OwnServer {
    child: Option<std::process::Child>,
    port: u16,
    url: String,
    store: StoreDir,
}

/// The server's storage directory, removed when dropped.
struct StoreDir(std::path::PathBuf);

impl Drop for StoreDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port nothing listens on now.
fn free_port() -> Option<u16> {
    Some(std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port())
}

impl OwnServer {
    /// Starts one, or `None` when there is no `nats-server` command or it does not come up.
    async fn start() -> Option<Self> {
        let mut server = Self::on(free_port()?);
        server.restart().await.then_some(server)
    }

    /// A server for `port`, not started yet.
    fn on(port: u16) -> Self {
        let store = StoreDir(std::env::temp_dir().join(format!("nats-test-{}-{port}", std::process::id())));
        Self { child: None, port, url: format!("nats://127.0.0.1:{port}"), store }
    }

    /// Starts it (again), with the same port and storage; whether it came up.
    async fn restart(&mut self) -> bool {
        self.kill();
        let Ok(child) = std::process::Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&self.store.0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        else {
            return false;
        };
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Kills it (SIGKILL), if it runs.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_gone_publishing_fails_and_the_receiver_answers_503() {
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use webhook_runtime::axum::Receiver;
    use webhook_runtime::signature::zoom::{self, Verifier};

    let Some(mut server) = OwnServer::start().await else {
        let test = "with_the_server_gone_publishing_fails_and_the_receiver_answers_503";
        skip_because(test, "no `nats-server` command to start a server of its own");
        return;
    };
    let sink = JetStreamSink::connect(&server.url).await.unwrap().stream("GONE").subject_prefix("gone");
    sink.ensure_stream().await.unwrap();
    sink.publish(&Delivery::new("meeting.started", Some("meetings"), STARTED)).await.unwrap();
    let secret = "server-gone-secret";
    let receiver = Receiver::new(secret)
        .route(Route::from_fn("meetings", &["meeting.started"], |_: UnknownEvent| async {
            Ok::<_, std::convert::Infallible>(())
        }))
        .hand_off(sink.clone())
        .hand_off_timeout(Duration::from_millis(500));

    server.kill();
    let body = br#"{"event":"meeting.started","event_ts":5}"#;
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
    let mut headers = HeaderMap::new();
    headers.insert(zoom::TIMESTAMP_HEADER, HeaderValue::from_str(&timestamp).unwrap());
    let signature = Verifier::new(secret.as_bytes()).sign(&timestamp, body);
    headers.insert(zoom::SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    assert_eq!(receiver.receive(&headers, body).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(sink.publish(&Delivery::new("meeting.started", Some("meetings"), &body[..])).await.is_err());
}

/// Headers signing `body` with Zoom's scheme for `secret`, timestamped now.
#[cfg(feature = "axum")]
fn zoom_signed(secret: &str, body: &[u8]) -> axum::http::HeaderMap {
    use axum::http::HeaderValue;
    use webhook_runtime::signature::zoom::{self, Verifier};
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(zoom::TIMESTAMP_HEADER, HeaderValue::from_str(&timestamp).unwrap());
    let signature = Verifier::new(secret.as_bytes()).sign(&timestamp, body);
    headers.insert(zoom::SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    headers
}

/// A `meeting.started` body told apart by its `event_ts`.
fn started(event_ts: u64) -> Vec<u8> {
    format!(r#"{{"event":"meeting.started","event_ts":{event_ts},"payload":{{"object":{{"id":"85"}}}}}}"#).into_bytes()
}

/// A route for `meeting.started` counting its calls by the body's `event_ts`.
fn counted_by_event_ts(calls: &Arc<Mutex<std::collections::HashMap<u64, usize>>>) -> Route {
    let calls = Arc::clone(calls);
    Route::from_fn("meetings", &["meeting.started"], move |event: UnknownEvent| {
        let event_ts = event.body["event_ts"].as_u64().unwrap_or(u64::MAX);
        *calls.lock().unwrap().entry(event_ts).or_default() += 1;
        async { Ok::<_, std::convert::Infallible>(()) }
    })
}

const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_webhooks_messages_with_equal_bodies_are_all_stored_and_handled() {
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use webhook_runtime::axum::Receiver;
    use webhook_runtime::duplicates::DuplicateFilter;
    use webhook_runtime::signature::standard;

    let Some(fixture) =
        Fixture::new("standard_webhooks_messages_with_equal_bodies_are_all_stored_and_handled", "equal").await
    else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let route = || {
        let calls = Arc::clone(&calls);
        Route::from_fn("invoices", &["invoice.paid"], move |_: UnknownEvent| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, std::convert::Infallible>(()) }
        })
        .with_discriminator("type")
    };
    let running = Running::start(fixture.worker().route(route()).duplicate_filter(DuplicateFilter::default()));
    let receiver = Receiver::standard(&[STANDARD_SECRET]).unwrap().route(route()).hand_off(fixture.sink());
    let body = br#"{"type":"invoice.paid","data":{"amount":5}}"#;
    let signed = |id: &str| {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
        let mut headers = HeaderMap::new();
        headers.insert(standard::ID_HEADER, HeaderValue::from_str(id).unwrap());
        headers.insert(standard::TIMESTAMP_HEADER, HeaderValue::from_str(&timestamp).unwrap());
        let signature = standard::sign(STANDARD_SECRET, id, &timestamp, body).unwrap();
        headers.insert(standard::SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
        headers
    };
    // Three messages with one body, and the vendor's retry of the second.
    for id in ["msg_1", "msg_2", "msg_3", "msg_2"] {
        assert_eq!(receiver.receive(&signed(id), body).await.status(), StatusCode::OK);
    }
    fixture.all_acknowledged(3).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3, "each message handled once, the retry not again");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_keys_its_duplicate_filter_by_the_delivery_key_header() {
    let Some(fixture) = Fixture::new("the_worker_keys_its_duplicate_filter_by_the_delivery_key_header", "key").await
    else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let worker = fixture
        .worker()
        .route(counted(&calls, |_| false))
        .duplicate_filter(webhook_runtime::duplicates::DuplicateFilter::default());
    // Past JetStream's duplicate window: two messages with one body under distinct keys, and one of them
    // again under its key (the same message stored twice).
    let subject = format!("{}.deliveries.meetings", fixture.prefix);
    for (id, key) in [("a", "msg_1"), ("b", "msg_2"), ("c", "msg_1")] {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
        headers.insert("Webhook-Delivery-Key", DeliveryKey::of(key.as_bytes()).to_hex());
        headers.insert("Webhook-Event", "meeting.started");
        headers.insert("Webhook-Module", "meetings");
        fixture.context.publish_with_headers(subject.clone(), headers, STARTED.into()).await.unwrap().await.unwrap();
    }
    let running = Running::start(worker);
    fixture.all_acknowledged(3).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    running.stop().await;
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_over_the_servers_max_payload_is_413_and_concurrent_ones_are_200() {
    use axum::http::StatusCode;
    use webhook_runtime::axum::Receiver;

    let test = "a_delivery_over_the_servers_max_payload_is_413_and_concurrent_ones_are_200";
    let Some(fixture) = Fixture::new(test, "large").await else { return };
    let max_payload = fixture.context.client().server_info().max_payload;
    let size = 3 * 1024 * 1024 / 2;
    if max_payload >= size {
        skip_because(test, &format!("the server's max_payload ({max_payload}) takes a 1.5 MiB delivery"));
        return;
    }
    let secret = "large-secret";
    let route = Route::from_fn("meetings", &["meeting.started"], |_: UnknownEvent| async {
        Ok::<_, std::convert::Infallible>(())
    });
    let receiver = Arc::new(Receiver::new(secret).route(route).hand_off(fixture.sink()));
    let mut large = br#"{"event":"meeting.started","payload":""#.to_vec();
    large.resize(size - 2, b'x');
    large.extend_from_slice(br#""}"#);
    let normal: Vec<_> = (0..200).map(started).collect();
    let answers: Vec<_> = normal
        .iter()
        .cloned()
        .map(|body| {
            let receiver = Arc::clone(&receiver);
            tokio::spawn(async move { receiver.receive(&zoom_signed(secret, &body), &body).await.status() })
        })
        .collect();
    for _ in 0..3 {
        let answer = receiver.receive(&zoom_signed(secret, &large), &large).await;
        assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    for answer in answers {
        assert_eq!(answer.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(fixture.messages().await.len(), normal.len(), "every normal delivery is stored, the large one not");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_the_sink_creates_removes_handled_messages_and_keeps_dead_letters() {
    use webhook_runtime::nats::async_nats::jetstream::stream::{DiscardPolicy, RetentionPolicy};

    let Some(fixture) =
        Fixture::new("a_stream_the_sink_creates_removes_handled_messages_and_keeps_dead_letters", "retention").await
    else {
        return;
    };
    let mut stream = fixture.context.get_stream(&fixture.stream).await.unwrap();
    let config = stream.info().await.unwrap().config.clone();
    assert_eq!(config.retention, RetentionPolicy::WorkQueue);
    assert_eq!(config.discard, DiscardPolicy::New, "a full stream refuses new messages, never drops stored ones");
    // The second delivery's handler always fails: it ends in the dead letters.
    let calls = Arc::new(AtomicUsize::new(0));
    let route = Route::from_fn("meetings", &["meeting.started"], {
        let calls = Arc::clone(&calls);
        move |event: UnknownEvent| {
            calls.fetch_add(1, Ordering::SeqCst);
            let fails = event.body["event_ts"] == 2;
            async move { if fails { Err("the database refuses it") } else { Ok(()) } }
        }
    });
    let worker = fixture.worker().route(route).max_attempts(2).backoff(vec![Duration::from_millis(50)]);
    let running = Running::start(worker);
    let sink = fixture.sink();
    for event_ts in 1..=3 {
        sink.publish(&Delivery::new("meeting.started", Some("meetings"), started(event_ts))).await.unwrap();
    }
    eventually("the handled deliveries removed, the dead letter stored", || async {
        let mut stream = fixture.context.get_stream(&fixture.stream).await.unwrap();
        stream.info().await.unwrap().state.messages == 1 && fixture.messages_on("dead.meetings").await.len() == 1
    })
    .await;
    let left = fixture.messages().await;
    assert_eq!(left.len(), 1, "only the dead letter is left");
    assert_eq!(left[0].subject.as_str(), format!("{}.dead.meetings", fixture.prefix));
    assert_eq!(&left[0].payload[..], &started(2)[..]);
    running.stop().await;
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stream_is_a_503_whose_log_line_names_the_limit() {
    use axum::http::StatusCode;
    use tracing::instrument::WithSubscriber;
    use webhook_runtime::axum::Receiver;
    use webhook_runtime::nats::async_nats::jetstream::stream::{Config, DiscardPolicy, RetentionPolicy};

    let Some(fixture) = Fixture::new("a_full_stream_is_a_503_whose_log_line_names_the_limit", "full").await else {
        return;
    };
    // A stream of two messages at most, as an operator may bound it.
    let (stream, prefix) = (format!("{}_BOUNDED", fixture.stream), format!("{}_bounded", fixture.prefix));
    let config = Config {
        name: stream.clone(),
        subjects: vec![format!("{prefix}.>")],
        retention: RetentionPolicy::WorkQueue,
        discard: DiscardPolicy::New,
        max_messages: 2,
        ..Default::default()
    };
    fixture.context.create_stream(config).await.unwrap();
    let _cleanup = Fixture { context: fixture.context.clone(), stream: stream.clone(), prefix: prefix.clone() };
    let sink = JetStreamSink::new(fixture.context.clone()).stream(&stream).subject_prefix(&prefix);
    let secret = "full-secret";
    let route = Route::from_fn("meetings", &["meeting.started"], |_: UnknownEvent| async {
        Ok::<_, std::convert::Infallible>(())
    });
    let receiver = Receiver::new(secret).route(route).hand_off(sink);
    for event_ts in 1..=2 {
        let body = started(event_ts);
        assert_eq!(receiver.receive(&zoom_signed(secret, &body), &body).await.status(), StatusCode::OK);
    }
    let logs = Logs::default();
    let body = started(3);
    let answer = receiver.receive(&zoom_signed(secret, &body), &body).with_subscriber(logs.subscriber()).await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = logs.text();
    let line = text.lines().find(|line| line.contains("ERROR")).unwrap_or_default();
    assert!(line.contains(&format!("the stream {stream} is full")) && line.contains("max_messages"), "{text}");
}

#[cfg(all(feature = "axum", feature = "redis"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_outage_mid_stream_loses_no_delivery_answered_200_and_with_redis_handles_none_twice() {
    use std::collections::HashMap;

    use axum::http::StatusCode;
    use webhook_runtime::axum::Receiver;
    use webhook_runtime::duplicates::{DuplicateFilter, RedisStore};

    let test = "a_nats_outage_mid_stream_loses_no_delivery_answered_200_and_with_redis_handles_none_twice";
    let Some(mut server) = OwnServer::start().await else {
        skip_because(test, "no `nats-server` command to start a server of its own");
        return;
    };
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let unique = format!("{}_{}", std::process::id(), SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos());
    let store = RedisStore::connect(&redis_url).await.unwrap().prefix(format!("test:outage:{unique}:"));
    if store.ping().await.is_err() {
        if std::env::var("REQUIRE_REDIS").is_ok_and(|value| value == "1") {
            panic!("{test}: no Redis at {redis_url} (REQUIRE_REDIS=1 makes this a failure)");
        }
        let _ = writeln!(std::io::stderr(), "skipped nats::{test}: no Redis at {redis_url} (set REDIS_URL)");
        return;
    }
    let client = async_nats::ConnectOptions::new().retry_on_initial_connect().connect(&server.url).await.unwrap();
    let context = jetstream::new(client.clone());
    let sink = JetStreamSink::new(context.clone()).stream("OUTAGE").subject_prefix("outage");
    sink.ensure_stream().await.unwrap();
    let calls = Arc::new(Mutex::new(HashMap::<u64, usize>::new()));
    let worker = Worker::new(context.clone())
        .stream("OUTAGE")
        .subject_prefix("outage")
        .consumer("worker")
        .ack_wait(Duration::from_secs(2))
        .route(counted_by_event_ts(&calls))
        .duplicate_filter(DuplicateFilter::with_store(store.in_flight_ttl(Duration::from_secs(2))));
    let running = Running::start(worker);
    let secret = "outage-secret";
    let receiver = Arc::new(
        Receiver::new(secret)
            .route(counted_by_event_ts(&Arc::default()))
            .hand_off(sink)
            .hand_off_timeout(Duration::from_millis(500)),
    );
    // The vendor: each delivery retried until it is answered 200 (a hang guard of 60 s each).
    const DELIVERIES: u64 = 120;
    // Each vendor task sends the first third of its deliveries at once (some are in flight when NATS is
    // killed), the rest once the outage began.
    let refused = Arc::new(AtomicUsize::new(0));
    let (outage_began, outage) = tokio::sync::watch::channel(false);
    let vendor = |range: std::ops::Range<u64>| {
        let (receiver, refused, mut outage) = (Arc::clone(&receiver), Arc::clone(&refused), outage.clone());
        let before_outage = range.start + (range.end - range.start) / 3;
        tokio::spawn(async move {
            for event_ts in range {
                if event_ts == before_outage {
                    outage.wait_for(|began| *began).await.unwrap();
                }
                let body = started(event_ts);
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let status = receiver.receive(&zoom_signed(secret, &body), &body).await.status();
                    if status == StatusCode::OK {
                        break;
                    }
                    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
                    assert!(Instant::now() < deadline, "delivery {event_ts} never answered 200");
                    refused.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        })
    };
    let vendors: Vec<_> = (0..4).map(|part| vendor(part * DELIVERIES / 4..(part + 1) * DELIVERIES / 4)).collect();
    let handled = || calls.lock().unwrap().len();
    eventually("some deliveries handled", || async { handled() >= 10 }).await;
    server.kill();
    eventually("the client to see the outage", || async {
        client.connection_state() != async_nats::connection::State::Connected
    })
    .await;
    outage_began.send(true).unwrap();
    // Sent once while NATS is down, and never retried: answered 503, it must not be stored later.
    let lost = started(DELIVERIES + 1);
    let status = receiver.receive(&zoom_signed(secret, &lost), &lost).await.status();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    // The vendor's deliveries and retries meet the outage for a while.
    eventually("deliveries refused during the outage", || async { refused.load(Ordering::SeqCst) >= 40 }).await;
    assert!(server.restart().await, "nats-server starts again");
    for vendor in vendors {
        vendor.await.unwrap();
    }
    let refused = refused.load(Ordering::SeqCst);
    // Every delivery was answered 200; wait until each is handled and the consumer holds nothing more.
    eventually("every delivery handled and the consumer settled", || async {
        let Ok(stream) = context.get_stream("OUTAGE").await else { return false };
        let Ok(info) = stream.consumer_info("worker").await else { return false };
        handled() as u64 >= DELIVERIES && info.num_pending == 0 && info.num_ack_pending == 0
    })
    .await;
    let calls = calls.lock().unwrap().clone();
    let twice: Vec<_> = calls.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "handled more than once: {twice:?}");
    assert!((0..DELIVERIES).all(|event_ts| calls.get(&event_ts) == Some(&1)));
    assert_eq!(calls.get(&(DELIVERIES + 1)), None, "a delivery answered 503 while NATS was down was stored later");
    let _ = writeln!(
        std::io::stderr(),
        "{test}: {DELIVERIES} deliveries, {refused} answers 503 retried, each handled once"
    );
    running.stop().await;
    let _ = context.delete_stream("OUTAGE").await;
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sink_and_the_worker_start_while_nats_is_unreachable_and_work_once_it_is_up() {
    use axum::http::StatusCode;
    use webhook_runtime::axum::Receiver;

    let test = "the_sink_and_the_worker_start_while_nats_is_unreachable_and_work_once_it_is_up";
    let Some(port) = free_port() else { return };
    let mut server = OwnServer::on(port);
    // Nothing listens on the port yet.
    let sink = JetStreamSink::connect(&server.url).await.expect("the sink starts without NATS");
    let sink = sink.stream("LATE").subject_prefix("late");
    let worker = Worker::connect(&server.url).await.expect("the worker starts without NATS");
    let calls = Arc::new(Mutex::new(std::collections::HashMap::<u64, usize>::new()));
    let worker = worker.stream("LATE").subject_prefix("late").consumer("worker").route(counted_by_event_ts(&calls));
    let running = Running::start(worker);
    let secret = "late-secret";
    let receiver = Receiver::new(secret).route(counted_by_event_ts(&Arc::default())).hand_off(sink);
    let body = started(1);
    assert_eq!(receiver.receive(&zoom_signed(secret, &body), &body).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!running.task.is_finished(), "the worker waits for NATS");

    if !server.restart().await {
        skip_because(test, "no `nats-server` command to start a server of its own");
        return;
    }
    eventually("the delivery answered 200", || async {
        receiver.receive(&zoom_signed(secret, &body), &body).await.status() == StatusCode::OK
    })
    .await;
    eventually("the delivery handled", || async { calls.lock().unwrap().get(&1) == Some(&1) }).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_queue_stream_refuses_a_second_consumer_on_its_deliveries() {
    let Some(fixture) = Fixture::new("a_work_queue_stream_refuses_a_second_consumer_on_its_deliveries", "second").await
    else {
        return;
    };
    let running = Running::start(fixture.worker());
    eventually("the first worker's consumer", || async { fixture.consumer_state().await.2 != u64::MAX }).await;
    let other = fixture.worker().consumer("another");
    // A hang guard: a stream that took the second consumer would let it run on.
    let outcome = tokio::time::timeout(Duration::from_secs(20), other.run_until(std::future::pending())).await;
    let outcome = outcome.expect("the second worker is refused, not left running");
    assert!(matches!(outcome, Err(NatsError::Consumer { ref consumer, .. }) if consumer == "another"), "{outcome:?}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dead_letter_of_a_delivery_near_max_payload_is_stored_with_its_error_shortened() {
    let test = "the_dead_letter_of_a_delivery_near_max_payload_is_stored_with_its_error_shortened";
    let Some(fixture) = Fixture::new(test, "near_limit").await else { return };
    let max_payload = fixture.context.client().server_info().max_payload;
    // As large as the sink takes: its headers and the room left for a dead letter's.
    let mut body = br#"{"event":"meeting.started","payload":""#.to_vec();
    body.resize(max_payload - webhook_runtime::nats::DEAD_LETTER_HEADROOM - 300, b'x');
    body.extend_from_slice(br#""}"#);
    let route = Route::from_fn("meetings", &["meeting.started"], |_: UnknownEvent| async {
        Err::<(), _>("the database refuses it: ".repeat(200))
    });
    let running = Running::start(fixture.worker().route(route).max_attempts(1));
    let sink = fixture.sink();
    sink.publish(&Delivery::new("meeting.started", Some("meetings"), body.clone())).await.unwrap();
    eventually("a dead letter", || async { !fixture.messages_on("dead.meetings").await.is_empty() }).await;
    let dead = fixture.messages_on("dead.meetings").await;
    assert_eq!(&dead[0].payload[..], &body[..]);
    let error = header(&dead[0], "Webhook-Error").unwrap();
    assert!(error.starts_with("the database refuses it") && error.ends_with("..."), "{error}");
    assert!(error.len() < "the database refuses it: ".len() * 200);
    // The connection every delivery shares is intact.
    sink.publish(&Delivery::new("meeting.started", Some("meetings"), STARTED)).await.unwrap();
    running.stop().await;
}
