//! What the hand-off example's receiver (`src/bin/receiver.rs`) and worker (`src/bin/worker.rs`) share:
//! where deliveries are handed off to and read from, from the same environment variables. Their handlers,
//! logging and duplicate filter are the Zoom receiver example's (`example_zoom_receiver`).

use std::time::Duration;

/// The variable naming the NATS server: set, the receiver hands deliveries off to JetStream.
pub const NATS_URL: &str = "ZOOM_WEBHOOK_NATS_URL";
/// The variable naming the JetStream stream (default `WEBHOOKS`).
pub const NATS_STREAM: &str = "ZOOM_WEBHOOK_NATS_STREAM";
/// The variable naming the subject prefix (default `webhooks`).
pub const NATS_SUBJECT: &str = "ZOOM_WEBHOOK_NATS_SUBJECT";
/// The variable setting the worker's ack wait in seconds (default 30).
pub const NATS_ACK_WAIT_SECS: &str = "ZOOM_WEBHOOK_NATS_ACK_WAIT_SECS";

/// `ZOOM_WEBHOOK_NATS_URL`, when it is set.
pub fn nats_url() -> Option<String> {
    std::env::var(NATS_URL).ok()
}

/// Where deliveries are handed off to and read from: the server, the stream and the subject prefix.
#[derive(Debug, Clone)]
pub struct NatsSettings {
    /// The server, `ZOOM_WEBHOOK_NATS_URL`.
    pub url: String,
    /// The stream, `ZOOM_WEBHOOK_NATS_STREAM`.
    pub stream: String,
    /// The subject prefix, `ZOOM_WEBHOOK_NATS_SUBJECT`.
    pub subject_prefix: String,
}

impl NatsSettings {
    /// From the environment, or `None` when `ZOOM_WEBHOOK_NATS_URL` is not set. The stream and the
    /// prefix default to the runtime's.
    pub fn from_env() -> Option<Self> {
        use zoom_webhooks::nats::{DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX};
        let url = nats_url()?;
        let stream = std::env::var(NATS_STREAM).unwrap_or_else(|_| DEFAULT_STREAM.to_owned());
        let subject_prefix = std::env::var(NATS_SUBJECT).unwrap_or_else(|_| DEFAULT_SUBJECT_PREFIX.to_owned());
        Some(Self { url, stream, subject_prefix })
    }

    /// A sink publishing to the stream, which is created when missing. NATS down at start is a warning:
    /// the sink connects once the server is back, and deliveries are answered 503 meanwhile.
    pub async fn sink(&self) -> Result<zoom_webhooks::nats::JetStreamSink, zoom_webhooks::nats::NatsError> {
        let sink = zoom_webhooks::nats::JetStreamSink::connect(&self.url)
            .await?
            .stream(self.stream.clone())
            .subject_prefix(self.subject_prefix.clone());
        if let Err(err) = sink.ensure_stream().await {
            tracing::warn!(%err, "NATS JetStream does not answer yet; deliveries are answered 503 until it does");
        }
        Ok(sink)
    }

    /// A worker reading the stream, without routes yet.
    pub async fn worker(&self) -> Result<zoom_webhooks::nats::Worker, zoom_webhooks::nats::NatsError> {
        let worker = zoom_webhooks::nats::Worker::connect(&self.url).await?;
        Ok(worker.stream(self.stream.clone()).subject_prefix(self.subject_prefix.clone()))
    }
}

/// `ZOOM_WEBHOOK_NATS_ACK_WAIT_SECS`, when it is set: how long JetStream waits for a worker's answer
/// before it delivers the message again.
pub fn ack_wait() -> Result<Option<Duration>, String> {
    let Ok(secs) = std::env::var(NATS_ACK_WAIT_SECS) else { return Ok(None) };
    match secs.parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(Some(Duration::from_secs(secs))),
        _ => Err(format!("{NATS_ACK_WAIT_SECS} must be a whole number of seconds above 0, not `{secs}`")),
    }
}
