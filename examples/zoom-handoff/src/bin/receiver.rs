//! The receiver of the hand-off: it runs no handler, but publishes each verified Zoom delivery to NATS
//! JetStream and answers 200 once the server confirmed it is stored (503 when that fails or takes over
//! 2 s, so Zoom retries). The `worker` binary of this example runs the handlers.
//!
//! ```text
//! ZOOM_WEBHOOK_NATS_URL=nats://127.0.0.1:4222 ZOOM_WEBHOOK_SECRET_TOKEN=... PORT=8080 \
//!     cargo run -p example-zoom-handoff --bin receiver
//! ```
//!
//! `ZOOM_WEBHOOK_NATS_STREAM` (default `WEBHOOKS`) and `ZOOM_WEBHOOK_NATS_SUBJECT` (subject prefix,
//! default `webhooks`) must match the worker's. Duplicates are filtered in memory here (a repeat of a
//! stored delivery is answered 200 without publishing it again) and by JetStream within its duplicate
//! window; the shared Redis store belongs to the workers, so `ZOOM_WEBHOOK_REDIS_URL` is refused here.

use std::process::ExitCode;

use example_zoom_handoff::{NATS_URL, NatsSettings};
use example_zoom_receiver::{LogMeetings, LogNumbers, REDIS_URL, listener_from_env, receiver_from_env};
use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::{meetings, number_management};

/// Sets the receiver up from the environment and serves it until Ctrl-C or SIGTERM.
async fn run() -> Result<(), String> {
    let settings =
        NatsSettings::from_env().ok_or(format!("set {NATS_URL} to the NATS server (nats://127.0.0.1:4222)"))?;
    if std::env::var(REDIS_URL).is_ok() {
        return Err(format!("{REDIS_URL} is for the workers when the receiver hands deliveries off"));
    }
    let receiver = receiver_from_env()?;
    let listener = listener_from_env().await?;
    let sink = settings.sink().await.map_err(|err| format!("{NATS_URL} is not usable: {err}"))?;
    tracing::info!(
        url = settings.url,
        stream = settings.stream,
        subject_prefix = settings.subject_prefix,
        "deliveries are handed off to NATS JetStream"
    );
    // The routes tell the sink each delivery's module; no handler runs here.
    let webhooks = receiver
        .route(meetings::route(LogMeetings::default()))
        .route(number_management::route(LogNumbers::default()))
        .duplicate_filter(DuplicateFilter::default())
        .hand_off(sink);
    let app = axum::Router::new().route("/webhooks/zoom", webhooks.into_method_router());
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
