//! A Zoom webhook receiver: `POST /webhooks/zoom`, every event logged with `tracing`. Meetings
//! (`meeting.started`, `meeting.participant_joined`, `recording.completed` have handlers of their own) and
//! Number Management are typed; every other webhook reaches `on_unknown`.
//!
//! ```text
//! ZOOM_WEBHOOK_SECRET_TOKEN=... PORT=8080 cargo run -p example-zoom-receiver
//! ```
//!
//! Then point the app's event subscription at `https://<your host>/webhooks/zoom` (a tunnel to this port
//! works for development), or send a signed example with
//! `cargo xtask send meeting.started --url http://127.0.0.1:8080/webhooks/zoom --secret ...`.
//! It is served by `zoom_webhooks::axum::serve`, with its default limits for slow and idle clients; Ctrl-C or
//! SIGTERM stops it after the deliveries in progress are answered (10 s at most). An unset, empty or blank
//! `ZOOM_WEBHOOK_SECRET_TOKEN` stops it before it listens.
//!
//! Duplicates are filtered in memory, or, when `ZOOM_WEBHOOK_REDIS_URL` is set (`redis://127.0.0.1:6379/`),
//! in Redis shared by every replica, failing closed (503) while Redis is unreachable. Each delivery a handler accepted is logged at `info` level as `handled`, with `event` and
//! `sha256` (of the raw body), so the deliveries of several replicas can be counted from their logs.
//!
//! The hand-off to NATS JetStream, with a worker running the handlers, is `examples/zoom-handoff`.

use std::process::ExitCode;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use example_zoom_receiver::{LogMeetings, LogNumbers, duplicate_filter, listener_from_env, receiver_from_env};
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

/// Sets the receiver up from the environment and serves it until Ctrl-C or SIGTERM.
async fn run() -> Result<(), String> {
    let receiver = receiver_from_env()?;
    let filter = duplicate_filter(None).await.map_err(|err| format!("no duplicate filter: {err}"))?;
    let listener = listener_from_env().await?;
    let webhooks = receiver
        .route(meetings::route(LogMeetings::then(log_handled)))
        .route(number_management::route(LogNumbers::then(log_handled)))
        .on_unknown(|event: UnknownEvent| async move {
            // The body may hold personal data: its text goes to the log at debug level only.
            tracing::info!(event = event.name, "webhook without a typed module");
            tracing::debug!(event = event.name, body = %event.body, "webhook without a typed module");
            log_handled(&event.name);
            Ok::<_, std::convert::Infallible>(())
        })
        .duplicate_filter(filter);
    let app = axum::Router::new()
        .route("/webhooks/zoom", webhooks.into_method_router())
        .layer(axum::middleware::from_fn(body_digest));
    tracing::info!(address = ?listener.local_addr().ok(), "receiving Zoom webhooks at POST /webhooks/zoom; Ctrl-C stops");
    zoom_webhooks::axum::serve(listener, app).await;
    tracing::info!("stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    example_zoom_receiver::init_logging();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(%err, "cannot run the receiver");
            ExitCode::FAILURE
        }
    }
}
