//! Publishing handed-off deliveries to JetStream.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::PublishErrorKind;
use tokio::sync::OnceCell;

use super::{
    DEAD_LETTER_HEADROOM, DEFAULT_DUPLICATE_WINDOW, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, DELIVERY_KEY_HEADER,
    EVENT_HEADER, MODULE_HEADER, MSG_ID_HEADER, NatsError, PublishError, StreamLimits, ensure_stream, message_size,
    subject,
};
use crate::BoxError;
use crate::handoff::{Delivery, DeliveryTooLarge, Sink};
use crate::route::BoxFuture;

/// The [`Sink`] of a receiver in hand-off mode on NATS JetStream: publishes each delivery on
/// `<prefix>.deliveries.<module>` and confirms it once JetStream acknowledged storing it (its PubAck).
///
/// Before publishing it checks what the server would refuse or hold back, so no delivery is sent that
/// could be stored after its 503, or that would break the connection every other delivery shares:
///
/// - while the client is not connected (NATS unreachable, reconnecting), a delivery is not sent at all:
///   [`PublishError::Disconnected`], 503;
/// - a delivery larger, with its headers, than the server's `max_payload` (1 MiB by default) less
///   [`DEAD_LETTER_HEADROOM`](super::DEAD_LETTER_HEADROOM) is not sent:
///   [`DeliveryTooLarge`], which the receiver answers 413 (raise `max_payload` in the server's
///   configuration, up to 64 MiB, to take larger deliveries);
/// - a stream whose limit is reached refuses it: [`PublishError::StreamFull`], naming the limit, 503.
///
/// See the [module docs](super) for the subjects, headers, the stream it creates and what happens to a
/// delivery answered 503.
#[derive(Debug, Clone)]
pub struct JetStreamSink {
    context: jetstream::Context,
    stream: String,
    prefix: String,
    duplicate_window: Duration,
    limits: StreamLimits,
    /// Set once the stream is known to exist (by [`JetStreamSink::ensure_stream`] or the first publish).
    stream_ready: Arc<OnceCell<()>>,
}

impl JetStreamSink {
    /// Connects to the NATS server at `url`, for the stream [`DEFAULT_STREAM`] with the subject prefix
    /// [`DEFAULT_SUBJECT_PREFIX`] (set others with the builder methods). It does not wait for the server:
    /// the client connects in the background and reconnects whenever the connection breaks, and while it
    /// is not connected the receiver answers 503. The stream is created on the first publish unless it
    /// exists; call [`JetStreamSink::ensure_stream`] to find out at start-up whether it can be.
    ///
    /// # Errors
    ///
    /// [`NatsError::Connect`] when `url` is not a NATS address.
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
            limits: StreamLimits::default(),
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

    /// Sets how long the stream drops a re-published delivery key as a duplicate, when
    /// [`JetStreamSink::ensure_stream`] creates it (2 minutes by default). An existing stream keeps its
    /// own. The server keeps every key of the window in memory; past it, the workers' duplicate filter
    /// recognises a copy (see the [module docs](super)).
    #[must_use]
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// Bounds how many messages the stream holds (deliveries not yet handled, and dead letters), when
    /// [`JetStreamSink::ensure_stream`] creates it; unbounded by default. A full stream refuses new
    /// deliveries (503, logged as [`PublishError::StreamFull`]) and never drops stored ones.
    #[must_use]
    pub fn max_messages(mut self, messages: u64) -> Self {
        self.limits.max_messages = Some(i64::try_from(messages).unwrap_or(i64::MAX));
        self
    }

    /// Bounds how many bytes the stream holds, when [`JetStreamSink::ensure_stream`] creates it;
    /// unbounded by default (the server's storage bounds it). As [`JetStreamSink::max_messages`].
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_bytes = Some(i64::try_from(bytes).unwrap_or(i64::MAX));
        self
    }

    /// Creates the stream unless it exists: file storage, the subjects `<prefix>.>`, the duplicate window,
    /// work-queue retention (a delivery is removed once a worker acknowledged it), the limits set, and
    /// new messages refused when a limit is reached. An existing stream is left as it is. Once it
    /// succeeded, publishing does not check again: a stream deleted later makes publishing fail (and the
    /// receiver answer 503) until it is created again.
    ///
    /// # Errors
    ///
    /// [`NatsError::Stream`] when the server cannot be reached, refuses, or has no JetStream.
    pub async fn ensure_stream(&self) -> Result<(), NatsError> {
        self.stream_ready
            .get_or_try_init(|| async {
                ensure_stream(&self.context, &self.stream, &self.prefix, self.duplicate_window, self.limits)
                    .await
                    .map(drop)
            })
            .await?;
        Ok(())
    }

    /// Publishes `delivery` and waits for JetStream's acknowledgement.
    async fn publish_confirmed(&self, delivery: &Delivery) -> Result<(), BoxError> {
        let client = self.context.client();
        let state = client.connection_state();
        if state != async_nats::connection::State::Connected {
            return Err(PublishError::Disconnected { state: state.to_string() }.into());
        }
        self.ensure_stream().await?;
        let key = delivery.key.to_hex();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(MSG_ID_HEADER, key.as_str());
        headers.insert(DELIVERY_KEY_HEADER, key.as_str());
        headers.insert(EVENT_HEADER, delivery.name.as_str());
        if let Some(module) = delivery.module {
            headers.insert(MODULE_HEADER, module);
        }
        // The server closes the connection on a message over its limit (which counts the headers too);
        // room is left for the headers a dead letter adds.
        let limit = client.server_info().max_payload.saturating_sub(DEAD_LETTER_HEADROOM);
        let size = message_size(&headers, delivery.body.len());
        if limit > 0 && size > limit {
            return Err(DeliveryTooLarge::new(size, limit).into());
        }
        let subject = subject(&self.prefix, "deliveries", delivery.module);
        let published =
            async { self.context.publish_with_headers(subject, headers, delivery.body.clone()).await?.await };
        let ack = published.await.map_err(|err| self.publish_error(err))?;
        if ack.stream != self.stream {
            tracing::warn!(
                expected = self.stream,
                stored_in = ack.stream,
                "a delivery was stored in another stream than the sink's"
            );
        }
        Ok(())
    }

    /// The error to report for a refused publish: [`PublishError::StreamFull`] when a limit of the
    /// stream or of the server's storage is reached, else the client's own.
    fn publish_error(&self, err: async_nats::jetstream::context::PublishError) -> BoxError {
        use std::error::Error as _;
        if err.kind() == PublishErrorKind::Other {
            let api = err.source().and_then(|source| source.downcast_ref::<async_nats::jetstream::Error>());
            if let Some(limit) = api.and_then(full_limit) {
                return PublishError::StreamFull { stream: self.stream.clone(), limit }.into();
            }
        }
        err.into()
    }
}

/// Which limit a JetStream error says is reached, if it says the stream or the server's storage is full.
fn full_limit(error: &async_nats::jetstream::Error) -> Option<String> {
    let description = error.to_string();
    let described = |name: &str| Some(format!("{name} ({description})"));
    match error.error_code() {
        ErrorCode::STREAM_STORE_FAILED => {
            // The server's texts for its limit errors (`ErrMaxMsgs` and the like).
            let lower = description.to_lowercase();
            if lower.contains("maximum messages per subject") {
                described("max_messages_per_subject")
            } else if lower.contains("maximum messages") {
                described("max_messages")
            } else if lower.contains("maximum bytes") {
                described("max_bytes")
            } else {
                None
            }
        }
        ErrorCode::STORAGE_RESOURCES_EXCEEDED => described("the server's JetStream storage (max_file_store)"),
        ErrorCode::INSUFFICIENT_RESOURCES => described("the server's JetStream resources"),
        _ => None,
    }
}

impl Sink for JetStreamSink {
    fn publish<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(self.publish_confirmed(delivery))
    }
}
