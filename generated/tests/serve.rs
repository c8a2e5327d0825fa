//! `zoom_webhooks::axum::serve` over real TCP: slow and idle clients are cut off by the header and body
//! read timeouts, connections are bounded, and shutdown answers the requests in progress but does not wait
//! for stalled clients. Short limits keep the tests quick; every wait is bounded.
//!
//! Needs the `axum` feature: `cargo test -p zoom-webhooks --features axum --test serve`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{Client, Recorder, SECRET, cnam_body, now, raw, read_head, read_until_closed, request_head, signed};
use hyper::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use zoom_webhooks::axum::{self as zoom, Receiver, Serve};
use zoom_webhooks::{UnknownEvent, number_management};

/// Long enough never to fire during a test, to show that another limit did the work.
const NEVER: Duration = Duration::from_secs(600);

/// How long a test waits for something that should happen within a short limit.
const BOUND: Duration = Duration::from_secs(5);

/// A running server: its address, the trigger of its shutdown, and its task.
struct Running {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// Triggers shutdown and waits (at most `bound`) for the server to stop; whether it stopped.
    async fn stop(mut self, bound: Duration) -> bool {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        tokio::time::timeout(bound, &mut self.task).await.is_ok()
    }
}

async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await.expect("bind a loopback port")
}

fn app(receiver: Receiver) -> axum::Router {
    axum::Router::new().route(common::PATH, receiver.into_method_router())
}

/// Starts `configure(serve(listener, app))` with a shutdown trigger.
async fn start(receiver: Receiver, configure: impl FnOnce(Serve) -> Serve) -> Running {
    let listener = listener().await;
    let address = listener.local_addr().expect("local address");
    let (shutdown, signal) = oneshot::channel::<()>();
    let server = configure(zoom::serve(listener, app(receiver))).with_graceful_shutdown(async {
        let _ = signal.await;
    });
    Running { address, shutdown: Some(shutdown), task: tokio::spawn(server.into_future()) }
}

fn recording() -> (Recorder, Receiver) {
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET).route(number_management::route(recorder.clone()));
    (recorder, receiver)
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_header_read_timeout() {
    let (_, receiver) = recording();
    let server = start(receiver, |serve| serve.header_read_timeout(Duration::from_millis(200))).await;
    let mut idle = raw(server.address).await;
    let sent = read_until_closed(&mut idle, BOUND).await;
    assert_eq!(sent.as_deref(), Some(""), "closed without an answer");

    // Between requests on a kept-alive connection too.
    let mut client = raw(server.address).await;
    let body = cnam_body(1, "ACME");
    client.write_all(&request_head(body.len(), &signed(SECRET, now(), &body))).await.expect("head");
    client.write_all(&body).await.expect("body");
    let head = read_head(&mut client, BOUND).await.expect("an answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(read_until_closed(&mut client, BOUND).await.is_some(), "the idle kept-alive connection is closed");
}

#[tokio::test]
async fn half_sent_headers_are_closed_after_the_header_read_timeout() {
    let (recorder, receiver) = recording();
    let server = start(receiver, |serve| serve.header_read_timeout(Duration::from_millis(200))).await;
    let mut stalled = raw(server.address).await;
    stalled.write_all(b"POST /webhooks/zoom HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-").await.expect("half a head");
    let sent = read_until_closed(&mut stalled, BOUND).await;
    assert_eq!(sent.as_deref(), Some(""), "closed without an answer");
    assert_eq!(recorder.total(), 0);
}

#[tokio::test]
async fn stalled_bodies_are_answered_408_and_closed() {
    let (recorder, receiver) = recording();
    let server =
        start(receiver, |serve| serve.header_read_timeout(NEVER).body_read_timeout(Duration::from_millis(300))).await;
    let body = cnam_body(1, "ACME");
    let mut stalled = raw(server.address).await;
    stalled.write_all(&request_head(body.len(), &signed(SECRET, now(), &body))).await.expect("head");
    stalled.write_all(&body[..1]).await.expect("one byte of the body");
    let sent = read_until_closed(&mut stalled, BOUND).await.expect("closed within the bound");
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert_eq!(recorder.total(), 0);
}

#[tokio::test]
async fn a_trickled_body_cannot_outlast_the_body_read_timeout() {
    let (recorder, receiver) = recording();
    let server =
        start(receiver, |serve| serve.header_read_timeout(NEVER).body_read_timeout(Duration::from_millis(300))).await;
    let body = cnam_body(1, "ACME");
    let mut trickle = raw(server.address).await;
    trickle.write_all(&request_head(body.len(), &signed(SECRET, now(), &body))).await.expect("head");
    // A byte every 50 ms: never idle for long, but the whole body would take seconds.
    let send = async {
        for byte in &body {
            if trickle.write_all(std::slice::from_ref(byte)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let _ = tokio::time::timeout(BOUND, send).await;
    let sent = read_until_closed(&mut trickle, BOUND).await.expect("closed within the bound");
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert_eq!(recorder.total(), 0);
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let (recorder, receiver) = recording();
    let server = start(receiver, |serve| serve.header_read_timeout(NEVER).max_connections(2)).await;
    let first = raw(server.address).await;
    let _second = raw(server.address).await;
    let delivery = tokio::spawn(async move { common::deliver(server.address, &cnam_body(1, "ACME")).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!delivery.is_finished(), "a third connection is not served while two are open");
    drop(first);
    let answer = tokio::time::timeout(BOUND, delivery).await.expect("answered once a slot is free");
    assert_eq!(answer.expect("delivery task").status, StatusCode::OK);
    assert_eq!(recorder.count(1), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_200_idle_connections_open_a_delivery_is_answered_within_2_s() {
    // Default limits.
    let (recorder, receiver) = recording();
    let server = start(receiver, |serve| serve).await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(raw(server.address).await);
    }
    let answer = tokio::time::timeout(Duration::from_secs(2), common::deliver(server.address, &cnam_body(1, "ACME")))
        .await
        .expect("answered within 2 s");
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(recorder.count(1), 1);
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_requests_in_progress_and_drops_stalled_clients() {
    let started = Arc::new(Notify::new());
    let handler_started = Arc::clone(&started);
    let receiver = Receiver::new(SECRET).on_unknown(move |_: UnknownEvent| {
        let started = Arc::clone(&handler_started);
        async move {
            started.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok::<_, std::convert::Infallible>(())
        }
    });
    // Only the shutdown timeout can end the stalled client's connection.
    let server = start(receiver, |serve| {
        serve.header_read_timeout(NEVER).body_read_timeout(NEVER).shutdown_timeout(Duration::from_secs(2))
    })
    .await;
    let address = server.address;
    let mut stalled = raw(address).await;
    stalled.write_all(b"POST /webhooks/zoom HTTP/1.1\r\nhost: 127.0.0.1\r\n").await.expect("half a head");
    let in_progress = tokio::spawn(async move {
        let mut client = Client::connect(address).await;
        client.deliver(br#"{"event":"meeting.started","payload":{}}"#).await
    });
    tokio::time::timeout(BOUND, started.notified()).await.expect("the handler starts");

    assert!(server.stop(BOUND).await, "the server stops within the bound");
    let answer = in_progress.await.expect("delivery task");
    assert_eq!(answer.status, StatusCode::OK, "the request in progress is answered");
    assert!(read_until_closed(&mut stalled, BOUND).await.is_some(), "the stalled connection is dropped");
    assert!(tokio::net::TcpStream::connect(address).await.is_err(), "no longer listening");
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once() {
    let (_, receiver) = recording();
    let server = start(receiver, |serve| serve.header_read_timeout(NEVER).shutdown_timeout(NEVER)).await;
    let mut idle = raw(server.address).await;
    // Make sure the server has accepted it: a first request on it is answered.
    let body = cnam_body(1, "ACME");
    idle.write_all(&request_head(body.len(), &signed(SECRET, now(), &body))).await.expect("head");
    idle.write_all(&body).await.expect("body");
    assert!(read_head(&mut idle, BOUND).await.is_some_and(|head| head.starts_with("HTTP/1.1 200")));
    assert!(server.stop(BOUND).await, "shutdown does not wait for idle connections");
    assert!(read_until_closed(&mut idle, BOUND).await.is_some());
}

#[tokio::test]
async fn defaults_are_the_documented_ones() {
    assert_eq!(zoom::DEFAULT_HEADER_READ_TIMEOUT, Duration::from_secs(5));
    assert_eq!(zoom::DEFAULT_BODY_READ_TIMEOUT, Duration::from_secs(10));
    assert_eq!(zoom::DEFAULT_MAX_CONNECTIONS, 512);
    assert_eq!(zoom::DEFAULT_SHUTDOWN_TIMEOUT, Duration::from_secs(10));
    let serve = zoom::serve(listener().await, axum::Router::new());
    let debug = format!("{serve:?}");
    for expected in
        ["header_read_timeout: 5s", "body_read_timeout: 10s", "max_connections: 512", "shutdown_timeout: 10s"]
    {
        assert!(debug.contains(expected), "{debug}");
    }
    let notes = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime/docs/security.md"))
        .expect("the receiver's security notes");
    for documented in
        ["header read timeout, 5 s", "body read timeout, 10 s", "at most 512 connections", "shutdown timeout, 10 s"]
    {
        assert!(notes.contains(documented), "the security notes should say `{documented}`");
    }
}
