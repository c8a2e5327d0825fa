//! What the receiver logs: one `webhook_delivery` span per delivery, one `info` line with its outcome, no
//! body text at `info` or above, and messages that name the sender without assuming it is Zoom.
#![cfg(feature = "axum")]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use webhook_runtime::axum::Receiver;
use webhook_runtime::signature::{self, Verifier, standard};
use webhook_runtime::{Route, UnknownEvent};

const SECRET: &str = "logging-secret";
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// In every body; it must never reach the log at `info` or above.
const MARKER: &str = "private-text-9f2c";

/// Everything the subscriber writes, for the test to read back.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The lines that end a delivery.
    fn answered(&self) -> Vec<String> {
        self.text().lines().filter(|line| line.contains("webhook delivery answered")).map(str::to_owned).collect()
    }
}

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs at `info` and above, as a production receiver would, into [`Logs`].
fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn zoom_signed(body: &[u8]) -> HeaderMap {
    let timestamp = now().to_string();
    let mut headers = HeaderMap::new();
    headers.insert(signature::TIMESTAMP_HEADER, HeaderValue::from_str(&timestamp).unwrap());
    let signature = Verifier::new(SECRET.as_bytes()).sign(&timestamp, body);
    headers.insert(signature::SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    headers
}

fn standard_signed(id: &str, body: &[u8]) -> HeaderMap {
    let timestamp = now().to_string();
    let signature = standard::sign(STANDARD_SECRET, id, &timestamp, body).unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in [("webhook-id", id), ("webhook-timestamp", &timestamp), ("webhook-signature", &signature)] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value).unwrap());
    }
    headers
}

fn meetings() -> Route {
    Route::from_fn("meetings", &["meeting.started", "meeting.ended"], |event: UnknownEvent| async move {
        if event.name == "meeting.ended" { Err("the store is down") } else { Ok(()) }
    })
}

#[tokio::test]
async fn each_delivery_has_a_span_and_one_info_line_and_no_body_text() {
    let (logs, _guard) = capture();
    let receiver = Receiver::new(SECRET).route(meetings());
    let started = format!(r#"{{"event":"meeting.started","payload":{{"topic":"{MARKER}"}}}}"#);
    let unknown = format!(r#"{{"event":"phone.call_ended","payload":{{"note":"{MARKER}"}}}}"#);
    let ended = format!(r#"{{"event":"meeting.ended","payload":{{"topic":"{MARKER}"}}}}"#);
    let not_json = format!("{{not json {MARKER}");

    let answers = [
        receiver.receive(&zoom_signed(started.as_bytes()), started.as_bytes()).await.status(),
        receiver.receive(&zoom_signed(unknown.as_bytes()), unknown.as_bytes()).await.status(),
        receiver.receive(&zoom_signed(ended.as_bytes()), ended.as_bytes()).await.status(),
        receiver.receive(&zoom_signed(not_json.as_bytes()), not_json.as_bytes()).await.status(),
        receiver.receive(&zoom_signed(b"{}"), started.as_bytes()).await.status(),
    ];
    assert_eq!(
        answers,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_REQUEST,
            StatusCode::UNAUTHORIZED
        ]
    );

    let answered = logs.answered();
    assert_eq!(answered.len(), 5, "one info line per delivery:\n{}", logs.text());
    let expected = [
        ("meeting.started", Some("meetings"), "200", "handled"),
        ("phone.call_ended", None, "200", "unrouted"),
        ("meeting.ended", Some("meetings"), "500", "failed"),
    ];
    for (line, (event, module, status, outcome)) in answered.iter().zip(expected) {
        assert!(line.contains(" INFO webhook_delivery{scheme=\"zoom\""), "{line}");
        assert!(line.contains(&format!("event=\"{event}\"")), "{line}");
        assert_eq!(line.contains("module=\"meetings\""), module.is_some(), "{line}");
        assert!(line.contains(" key=") && line.contains(&format!("status={status} outcome=\"{outcome}\"")), "{line}");
        assert!(line.contains("latency_ms="), "{line}");
    }
    assert!(answered[3].contains("status=400 outcome=\"invalid\""), "{}", answered[3]);
    assert!(answered[4].contains("status=401 outcome=\"refused\""), "{}", answered[4]);
    assert!(!logs.text().contains(MARKER), "a body reached the log:\n{}", logs.text());
}

#[tokio::test]
async fn a_standard_webhooks_receiver_does_not_name_zoom() {
    let (logs, _guard) = capture();
    let receiver = Receiver::standard(&[STANDARD_SECRET]).unwrap().route(meetings());
    let ended = format!(r#"{{"event":"meeting.ended","payload":{{"topic":"{MARKER}"}}}}"#);
    let response = receiver.receive(&standard_signed("msg_1", ended.as_bytes()), ended.as_bytes()).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = logs.text();
    assert!(text.contains("answering 500 so that the sender retries"), "{text}");
    assert!(!text.contains("Zoom"), "{text}");
    let answered = logs.answered();
    assert_eq!(answered.len(), 1, "{text}");
    assert!(answered[0].contains("webhook_delivery{scheme=\"standard\""), "{}", answered[0]);
}

#[tokio::test]
async fn the_served_receiver_logs_the_clients_address() {
    let (logs, _guard) = capture();
    let app = axum::Router::new().route("/hooks", Receiver::new(SECRET).route(meetings()).into_method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(webhook_runtime::axum::serve(listener, app).into_future());

    let body = br#"{"event":"meeting.started","payload":{}}"#;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let client = stream.local_addr().unwrap();
    let headers = zoom_signed(body);
    let mut request = format!("POST /hooks HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n");
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    request.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()));
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.abort();

    let answered = logs.answered();
    assert_eq!(answered.len(), 1, "{}", logs.text());
    assert!(answered[0].contains(&format!("remote={client}")), "{}", answered[0]);
}
