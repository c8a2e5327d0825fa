//! A worker handling the Zoom webhook deliveries this example's `receiver` hands off to NATS JetStream.
//!
//! ```text
//! ZOOM_WEBHOOK_NATS_URL=nats://127.0.0.1:4222 cargo run -p example-zoom-handoff --bin worker
//! ZOOM_WEBHOOK_NATS_URL=nats://127.0.0.1:4222 ZOOM_WEBHOOK_SECRET_TOKEN=... \
//!     cargo run -p example-zoom-handoff --bin receiver
//! ```
//!
//! It runs the same Meetings and Number Management handlers as the Zoom receiver example on each stored delivery, then
//! acknowledges it; a failing handler's delivery is retried with a backoff and dead-lettered after 5
//! attempts. Each delivery handled is logged at `info` level as `handled`, with `event`, `module` and
//! `sha256` (of the raw body), once per handling, so the deliveries of several workers can be counted from
//! their logs. Several workers share the stream's durable consumer; Ctrl-C or SIGTERM stops one after the
//! deliveries it holds are finished.
//!
//! The environment:
//! - `ZOOM_WEBHOOK_NATS_URL` (required): the NATS server, with JetStream on.
//! - `ZOOM_WEBHOOK_NATS_STREAM` (default `WEBHOOKS`) and `ZOOM_WEBHOOK_NATS_SUBJECT` (subject prefix,
//!   default `webhooks`): the same as the receiver's.
//! - `ZOOM_WEBHOOK_NATS_ACK_WAIT_SECS` (default 30): how long JetStream waits for this worker's answer on
//!   a delivery before giving it to another worker; a worker that dies holding deliveries delays them by
//!   this much.
//! - `ZOOM_WEBHOOK_REDIS_URL` (`redis://127.0.0.1:6379/`): duplicates are
//!   filtered in Redis, shared by every worker and kept past a worker's death, so a delivery handled by a
//!   worker killed before its acknowledgement is not handled again. A claim of a worker that died holds
//!   for the ack wait when `ZOOM_WEBHOOK_NATS_ACK_WAIT_SECS` is set (the store's 30 s otherwise). Without
//!   it duplicates are filtered in this process's memory, which a restart forgets.

use std::process::ExitCode;

use example_zoom_handoff::{NATS_URL, NatsSettings, ack_wait};
use example_zoom_receiver::{LogMeetings, LogNumbers, duplicate_filter};
use zoom_webhooks::UnknownEvent;
use zoom_webhooks::{meetings, number_management};

#[tokio::main]
async fn main() -> ExitCode {
    example_zoom_receiver::init_logging();
    let Some(settings) = NatsSettings::from_env() else {
        tracing::error!("set {NATS_URL} to the NATS server (nats://127.0.0.1:4222)");
        return ExitCode::FAILURE;
    };
    let ack_wait = match ack_wait() {
        Ok(ack_wait) => ack_wait,
        Err(err) => {
            tracing::error!(%err, "cannot set up the worker");
            return ExitCode::FAILURE;
        }
    };
    let filter = match duplicate_filter(ack_wait).await {
        Ok(filter) => filter,
        Err(err) => {
            tracing::error!(%err, "cannot set up the duplicate filter");
            return ExitCode::FAILURE;
        }
    };
    let worker = match settings.worker().await {
        Ok(worker) => worker,
        Err(err) => {
            tracing::error!(%err, url = settings.url, "cannot reach NATS JetStream");
            return ExitCode::FAILURE;
        }
    };
    // The worker logs `handled` for each delivery it completes; the handler only logs the event.
    let mut worker = worker
        .route(meetings::route(LogMeetings::default()))
        .route(number_management::route(LogNumbers::default()))
        .on_unknown(|event: UnknownEvent| async move {
            tracing::info!(event = event.name, body = %event.body, "webhook without a typed module");
            Ok::<_, std::convert::Infallible>(())
        })
        .duplicate_filter(filter);
    if let Some(ack_wait) = ack_wait {
        worker = worker.ack_wait(ack_wait);
    }
    tracing::info!(
        url = settings.url,
        stream = settings.stream,
        subject_prefix = settings.subject_prefix,
        "handling the deliveries handed off to NATS JetStream; Ctrl-C stops"
    );
    match worker.run_until(zoom_webhooks::shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!(%err, "the worker stopped");
            ExitCode::FAILURE
        }
    }
}
