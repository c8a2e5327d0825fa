//! A Zoom webhook receiver: `POST /webhooks/zoom`, every event logged with `tracing`. Meetings
//! (`meeting.started`, `meeting.participant_joined`, `recording.completed` have handlers of their own) and
//! Number Management are typed; every other webhook reaches `on_unknown`.
//!
//! ```text
//! ZOOM_WEBHOOK_SECRET_TOKEN=... PORT=8080 cargo run -p zoom-webhooks --example receiver --features axum
//! ```
//!
//! Then point the app's event subscription at `https://<your host>/webhooks/zoom` (a tunnel to this port
//! works for development), or send a signed example with
//! `cargo xtask send meeting.started --url http://127.0.0.1:8080/webhooks/zoom --secret ...`.
//! It is served by `zoom_webhooks::axum::serve`, with its default limits for slow and idle clients; Ctrl-C or
//! SIGTERM stops it after the deliveries in progress are answered (10 s at most). An unset, empty or blank
//! `ZOOM_WEBHOOK_SECRET_TOKEN` stops it before it listens.
//!
//! Duplicates are filtered in memory, or, when `ZOOM_WEBHOOK_REDIS_URL` is set (`redis://127.0.0.1:6379/`,
//! with `--features axum,redis`), in Redis shared by every replica, failing closed (503) while Redis is
//! unreachable. Each delivery a handler accepted is logged at `info` level as `handled`, with `event` and
//! `sha256` (of the raw body), so the deliveries of several replicas can be counted from their logs.
//!
//! Hand-off: when `ZOOM_WEBHOOK_NATS_URL` is set (`nats://127.0.0.1:4222`, with `--features axum,nats`),
//! the receiver runs no handler; it publishes each verified delivery to NATS JetStream and answers 200 once
//! the server confirmed it is stored (503 when that fails or takes over 2 s, so Zoom retries). The
//! `worker` example handles the stream. `ZOOM_WEBHOOK_NATS_STREAM` (default `WEBHOOKS`) and
//! `ZOOM_WEBHOOK_NATS_SUBJECT` (subject prefix, default `webhooks`) must match the worker's. Duplicates are
//! then filtered in memory here (a repeat of a stored delivery is answered 200 without publishing it
//! again) and by JetStream within its duplicate window; the shared Redis store belongs to the workers, so
//! `ZOOM_WEBHOOK_REDIS_URL` is refused in this mode.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use common::{LogMeetings, LogNumbers};
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::DeliveryKey;
use zoom_webhooks::{UnknownEvent, signature::zoom};
use zoom_webhooks::{meetings, number_management};

tokio::task_local! {
    /// The hex SHA-256 of the raw body of the delivery being handled.
    static BODY_SHA256: String;
}

/// One `handled` line per delivery a handler accepted.
fn log_handled(event: &str) {
    let sha256 = BODY_SHA256.try_with(Clone::clone).unwrap_or_default();
    tracing::info!(event, sha256, "handled");
}

/// Makes the raw body's SHA-256 known to the handlers, which see only the parsed event. Requests without
/// well-formed signature headers pass untouched: the receiver refuses them before reading their body.
async fn body_digest(request: Request, next: Next) -> Response {
    if zoom::check_headers(request.headers()).is_err() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // The same extractor as the receiver's, with axum's body limit (2 MB; 413 over it).
    let body = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let sha256 = DeliveryKey::of(&body).to_hex();
    BODY_SHA256.scope(sha256, next.run(Request::from_parts(parts, Body::from(body)))).await
}

/// The receiver in hand-off mode when `ZOOM_WEBHOOK_NATS_URL` is set (with its in-memory duplicate filter),
/// otherwise handling deliveries itself with the duplicate filter `common::duplicate_filter` gives.
async fn receiver_mode(receiver: Receiver) -> Result<Receiver, String> {
    if common::nats_url().is_none() {
        let filter = common::duplicate_filter(None).await.map_err(|err| format!("no duplicate filter: {err}"))?;
        return Ok(receiver
            .route(meetings::route(LogMeetings::then(log_handled)))
            .route(number_management::route(LogNumbers::then(log_handled)))
            .on_unknown(|event: UnknownEvent| async move {
                // The body may hold personal data: its text goes to the log at debug level only.
                tracing::info!(event = event.name, "webhook without a typed module");
                tracing::debug!(event = event.name, body = %event.body, "webhook without a typed module");
                log_handled(&event.name);
                Ok::<_, std::convert::Infallible>(())
            })
            .duplicate_filter(filter));
    }
    if std::env::var(common::REDIS_URL).is_ok() {
        return Err(format!(
            "{} is for the workers when the receiver hands deliveries off ({} is set)",
            common::REDIS_URL,
            common::NATS_URL
        ));
    }
    hand_off(receiver).await
}

#[cfg(feature = "nats")]
async fn hand_off(receiver: Receiver) -> Result<Receiver, String> {
    let Some(settings) = common::NatsSettings::from_env() else {
        return Err(format!("{} is not set", common::NATS_URL));
    };
    let sink = settings.sink().await.map_err(|err| format!("{} is not usable: {err}", common::NATS_URL))?;
    tracing::info!(
        url = settings.url,
        stream = settings.stream,
        subject_prefix = settings.subject_prefix,
        "deliveries are handed off to NATS JetStream"
    );
    // The routes tell the sink each delivery's module; no handler runs here.
    Ok(receiver
        .route(meetings::route(LogMeetings::default()))
        .route(number_management::route(LogNumbers::default()))
        .duplicate_filter(zoom_webhooks::duplicates::DuplicateFilter::default())
        .hand_off(sink))
}

#[cfg(not(feature = "nats"))]
async fn hand_off(_receiver: Receiver) -> Result<Receiver, String> {
    Err(format!("{} is set, but the example was built without the `nats` feature", common::NATS_URL))
}

#[tokio::main]
async fn main() -> ExitCode {
    common::init_logging();
    let Ok(secret) = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN") else {
        tracing::error!("set ZOOM_WEBHOOK_SECRET_TOKEN to the app's secret token");
        return ExitCode::FAILURE;
    };
    // Anyone can sign with an empty key: refuse it before listening.
    let receiver = match Receiver::try_new(secret) {
        Ok(receiver) => receiver,
        Err(err) => {
            tracing::error!(%err, "ZOOM_WEBHOOK_SECRET_TOKEN is not usable");
            return ExitCode::FAILURE;
        }
    };
    let port = match std::env::var("PORT").map(|port| port.parse::<u16>()) {
        Err(_) => 8080,
        Ok(Ok(port)) => port,
        Ok(Err(err)) => {
            tracing::error!(%err, "PORT must be a port number");
            return ExitCode::FAILURE;
        }
    };

    let webhooks = match receiver_mode(receiver).await {
        Ok(receiver) => receiver,
        Err(err) => {
            tracing::error!(%err, "cannot set up the receiver");
            return ExitCode::FAILURE;
        }
    };
    let app = axum::Router::new()
        .route("/webhooks/zoom", webhooks.into_method_router())
        .layer(axum::middleware::from_fn(body_digest));

    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!(%err, %address, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(%address, "receiving Zoom webhooks at POST /webhooks/zoom; Ctrl-C stops");
    zoom_webhooks::axum::serve(listener, app).await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}
