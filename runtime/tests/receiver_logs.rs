//! What the receiver logs: one `webhook_delivery` span per delivery, one `info` line with its outcome, no
//! body text at `info` or above, and messages that name the sender without assuming it is Zoom.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]
#![cfg(all(feature = "testing", feature = "axum"))]

#[path = "support/logs.rs"]
mod logs;

use axum::http::StatusCode;
use logs::Logs;
use webhook_runtime::axum::Receiver;
use webhook_runtime::testing::{SignedDelivery, StandardSigner, ZoomSigner};
use webhook_runtime::{Route, UnknownEvent};

const SECRET: &str = "logging-secret";
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// In every body; it must never reach the log at `info` or above.
const MARKER: &str = "private-text-9f2c";

/// The lines that end a delivery.
fn answered(logs: &Logs) -> Vec<String> {
    logs.text().lines().filter(|line| line.contains("webhook delivery answered")).map(str::to_owned).collect()
}

/// Logs at `info` and above, as a production receiver would, into [`Logs`].
fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    (logs, guard)
}

fn zoom_signed(body: &str) -> SignedDelivery {
    ZoomSigner::new(SECRET).unwrap().sign(body.to_owned())
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

    let forged = SignedDelivery { body: started.clone().into(), ..zoom_signed("{}") };
    let mut answers = Vec::new();
    for delivery in [zoom_signed(&started), zoom_signed(&unknown), zoom_signed(&ended), zoom_signed(&not_json), forged]
    {
        answers.push(delivery.send_to(&receiver).await.status);
    }
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

    let answered = answered(&logs);
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
    let delivery = StandardSigner::new(STANDARD_SECRET).unwrap().sign(ended);
    assert_eq!(delivery.send_to(&receiver).await.status, StatusCode::INTERNAL_SERVER_ERROR);
    let text = logs.text();
    assert!(text.contains("answering 500 so that the sender retries"), "{text}");
    assert!(!text.contains("Zoom"), "{text}");
    let answered = answered(&logs);
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
    let headers = zoom_signed(std::str::from_utf8(body).unwrap()).headers;
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

    let answered = answered(&logs);
    assert_eq!(answered.len(), 1, "{}", logs.text());
    assert!(answered[0].contains(&format!("remote={client}")), "{}", answered[0]);
}
