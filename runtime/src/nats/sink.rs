//! Publishing handed-off deliveries to JetStream.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use tokio::sync::OnceCell;

use super::{
    DEFAULT_DUPLICATE_WINDOW, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, EVENT_HEADER, MODULE_HEADER, MSG_ID_HEADER,
    NatsError, ensure_stream, subject,
};
use crate::BoxError;
use crate::handoff::{Delivery, Sink};
use crate::route::BoxFuture;

/// The [`Sink`] of a receiver in hand-off mode on NATS JetStream: publishes each delivery on
/// `<prefix>.deliveries.<module>` and confirms it once JetStream acknowledged storing it (its PubAck).
///
/// See the [module docs](super) for the subjects, headers and the duplicate window.
#[derive(Debug, Clone)]
pub struct JetStreamSink {
    context: jetstream::Context,
    stream: String,
    prefix: String,
    duplicate_window: Duration,
    /// Set once the stream is known to exist (by [`JetStreamSink::ensure_stream`] or the first publish).
    stream_ready: Arc<OnceCell<()>>,
}

impl JetStreamSink {
    /// Connects to the NATS server at `url`, for the stream [`DEFAULT_STREAM`] with the subject prefix
    /// [`DEFAULT_SUBJECT_PREFIX`] (set others with the builder methods). The stream is created on the first
    /// publish unless it exists; call [`JetStreamSink::ensure_stream`] to find out at start-up whether it can
    /// be.
    ///
    /// # Errors
    ///
    /// [`NatsError::Connect`] when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, NatsError> {
        Ok(Self::new(super::connect(url).await?))
    }

    /// A sink publishing through `context` (of an [`async_nats::Client`](super::async_nats::Client) you
    /// connected yourself), to the stream [`DEFAULT_STREAM`] with the subject prefix
    /// [`DEFAULT_SUBJECT_PREFIX`].
    pub fn new(context: jetstream::Context) -> Self {
        Self {
            context,
            stream: DEFAULT_STREAM.to_owned(),
            prefix: DEFAULT_SUBJECT_PREFIX.to_owned(),
            duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            stream_ready: Arc::new(OnceCell::new()),
        }
    }

    /// Sets the stream's name ([`DEFAULT_STREAM`] by default).
    #[must_use]
    pub fn stream(mut self, name: impl Into<String>) -> Self {
        self.stream = name.into();
        self.stream_ready = Arc::new(OnceCell::new());
        self
    }

    /// Sets the first token of the subjects ([`DEFAULT_SUBJECT_PREFIX`] by default); the workers must use
    /// the same.
    #[must_use]
    pub fn subject_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self.stream_ready = Arc::new(OnceCell::new());
        self
    }

    /// Sets how long the stream drops a re-published body as a duplicate, when
    /// [`JetStreamSink::ensure_stream`] creates it (2 minutes by default). An existing stream keeps its own.
    #[must_use]
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// Creates the stream unless it exists: file storage, the subjects `<prefix>.>`, the duplicate window.
    /// An existing stream is left as it is. Once it succeeded, publishing does not check again: a stream
    /// deleted later makes publishing fail (and the receiver answer 503) until it is created again.
    ///
    /// # Errors
    ///
    /// [`NatsError::Stream`] when the server refuses, or has no JetStream.
    pub async fn ensure_stream(&self) -> Result<(), NatsError> {
        self.stream_ready
            .get_or_try_init(|| async {
                ensure_stream(&self.context, &self.stream, &self.prefix, self.duplicate_window).await.map(drop)
            })
            .await?;
        Ok(())
    }

    /// Publishes `delivery` and waits for JetStream's acknowledgement.
    async fn publish_confirmed(&self, delivery: &Delivery) -> Result<(), BoxError> {
        self.ensure_stream().await?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(MSG_ID_HEADER, delivery.sha256().to_hex());
        headers.insert(EVENT_HEADER, delivery.name.as_str());
        if let Some(module) = delivery.module {
            headers.insert(MODULE_HEADER, module);
        }
        let subject = subject(&self.prefix, "deliveries", delivery.module);
        let ack = self.context.publish_with_headers(subject, headers, delivery.body.clone()).await?.await?;
        if ack.stream != self.stream {
            tracing::warn!(
                expected = self.stream,
                stored_in = ack.stream,
                "a delivery was stored in another stream than the sink's"
            );
        }
        Ok(())
    }
}

impl Sink for JetStreamSink {
    fn publish<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(self.publish_confirmed(delivery))
    }
}
