//! The hand-off queue on NATS JetStream (feature `nats`): [`JetStreamSink`] publishes the deliveries a
//! receiver in hand-off mode verified, [`Worker`] runs the same [`Route`](crate::Route)s on them.
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! use webhook_runtime::axum::Receiver;
//! use webhook_runtime::nats::{JetStreamSink, Worker};
//! use webhook_runtime::{Route, UnknownEvent};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let meetings = Route::from_fn("meetings", &["meeting.started"], |event: UnknownEvent| async move {
//!     println!("{} {}", event.name, event.body["payload"]["object"]["id"]);
//!     Ok::<_, std::convert::Infallible>(())
//! });
//!
//! // The receiver (feature `axum`): verifies, publishes, answers 200 once JetStream stored the delivery.
//! # #[cfg(feature = "axum")] {
//! let sink = JetStreamSink::connect("nats://127.0.0.1:4222").await?;
//! let secret = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN")?;
//! let receiver = Receiver::try_new(secret)?.route(meetings.clone()).hand_off(sink);
//! let app = axum::Router::new().route("/webhooks/zoom", receiver.into_method_router());
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! tokio::spawn(webhook_runtime::axum::serve(listener, app).into_future());
//! # }
//!
//! // A worker (any number of them, in this process or others): runs the handlers.
//! Worker::connect("nats://127.0.0.1:4222").await?.route(meetings).run().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Subjects and headers
//!
//! One stream ([`DEFAULT_STREAM`]) takes the subjects `<prefix>.>` ([`DEFAULT_SUBJECT_PREFIX`]):
//!
//! - deliveries are published on `<prefix>.deliveries.<module>`, the module of the route answering for the
//!   webhook, or `<prefix>.deliveries._unrouted` for a webhook no route of the receiver answers for;
//! - dead letters go to `<prefix>.dead.<module>` (or `<prefix>.dead._unrouted`);
//! - workers share one durable pull consumer ([`DEFAULT_CONSUMER`]) on `<prefix>.deliveries.>`.
//!
//! Each message is the raw body with the headers `Nats-Msg-Id` (the body's SHA-256 in hex),
//! `Webhook-Event` (the webhook name) and `Webhook-Module` (absent for an unrouted webhook). A dead letter
//! has the same body and headers, except `Nats-Msg-Id` (`dead-<sha256>-<stream sequence>`, so it is not
//! dropped as a copy of the delivery), plus `Webhook-Error` (the last error, with its sources, on one
//! line) and `Webhook-Attempts`.
//!
//! # Duplicates
//!
//! JetStream stores a body once within the stream's duplicate window ([`JetStreamSink::duplicate_window`],
//! 2 minutes by default), keyed by `Nats-Msg-Id`: a vendor's retry of a delivery whose answer got lost is
//! not queued twice. Zoom retries for much longer (about 85 minutes), so for exactly-once handling give
//! the workers (or the receiver) a [`DuplicateFilter`](crate::duplicates::DuplicateFilter) that outlives
//! that, such as one on Redis.
//!
//! # Retries and dead letters
//!
//! A worker acknowledges a message only once it was handled, or dead-lettered:
//!
//! - handled: acknowledged, waiting for the server's confirmation (a `handled` line at `info` level with
//!   `event`, `module` and `sha256`);
//! - the handler (or `on_unknown`) returned an error or panicked: a negative acknowledgement with a delay
//!   ([`Worker::backoff`]: 1 s, 5 s, 30 s, then 2 minutes by default), so JetStream redelivers it; the
//!   delivery that fails for the [`Worker::max_attempts`]th time (5 by default, counted by JetStream's
//!   delivery count) is published as a dead letter and, once JetStream stored that, terminated;
//! - a payload that does not match its schema: [`Worker::on_invalid`] when there is one (its error is
//!   retried like a handler's), else a dead letter at once (retrying would not make it parse);
//! - a dead letter that cannot be stored: retried later like a handler error.
//!
//! The worker ends retries itself; the consumer has no `max_deliver`, which would make JetStream stop
//! redelivering with only an advisory, and the message would never reach a handler or the dead letters.
//! While a handler runs, the worker tells JetStream every third of [`Worker::ack_wait`] that the message is
//! in progress, so a slow handler is not redelivered to another worker; a worker that dies stops telling,
//! and its messages come back after the ack wait (30 s by default). Dead letters stay in the stream, for
//! inspection and replay.
//!
//! With a [`Worker::duplicate_filter`], a body already handled is acknowledged without running the handler.
//! While an identical body is in flight elsewhere (or the store cannot answer and fails closed), the message
//! is held, in progress, and the claim tried again every half second; it is not negatively acknowledged, so
//! waiting does not count towards the dead letters. A worker killed mid-way leaves its claims in a shared
//! store in flight until the store's in-flight time runs out: set that (`RedisStore`) to about the ack wait.

use std::time::Duration;

mod sink;
mod worker;

/// The NATS client this module is built on, for [`JetStreamSink::new`] and [`Worker::new`] with a client
/// of your own (credentials, TLS, several servers).
pub use async_nats;
pub use sink::JetStreamSink;
pub use worker::Worker;

/// The stream's name unless set otherwise.
pub const DEFAULT_STREAM: &str = "WEBHOOKS";

/// The first token of the stream's subjects unless set otherwise: `webhooks.deliveries.<module>`,
/// `webhooks.dead.<module>`.
pub const DEFAULT_SUBJECT_PREFIX: &str = "webhooks";

/// The workers' durable consumer unless set otherwise.
pub const DEFAULT_CONSUMER: &str = "webhook-worker";

/// How long the stream drops a re-published body as a duplicate by default: 2 minutes.
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60);

/// The header naming the webhook of a delivery.
pub const EVENT_HEADER: &str = "Webhook-Event";

/// The header naming the module whose route answers for the webhook (absent when none does).
pub const MODULE_HEADER: &str = "Webhook-Module";

/// The header of a dead letter with the error that put it there.
pub const ERROR_HEADER: &str = "Webhook-Error";

/// The header of a dead letter with how many times it was delivered to a worker.
pub const ATTEMPTS_HEADER: &str = "Webhook-Attempts";

/// JetStream's de-duplication header (`Nats-Msg-Id`), by its standard name: a header map built from the
/// wire holds it under that name, which a `&str` key would not find or replace.
const MSG_ID_HEADER: async_nats::HeaderName = async_nats::header::NATS_MESSAGE_ID;

/// The subject token of a webhook no route answers for.
const UNROUTED: &str = "_unrouted";

/// Why connecting to NATS, or setting up the stream or the consumer, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NatsError {
    /// The server could not be reached.
    #[error("could not connect to NATS at {url}")]
    Connect {
        /// The server address given.
        url: String,
        /// Why.
        #[source]
        source: async_nats::ConnectError,
    },
    /// The stream could not be created or read.
    #[error("could not set up the JetStream stream {stream}")]
    Stream {
        /// The stream's name.
        stream: String,
        /// Why.
        #[source]
        source: async_nats::jetstream::context::CreateStreamError,
    },
    /// The workers' consumer could not be created, or its messages not read.
    #[error("could not read the JetStream consumer {consumer}")]
    Consumer {
        /// The consumer's durable name.
        consumer: String,
        /// Why.
        #[source]
        source: crate::BoxError,
    },
}

/// Connects to the NATS server at `url`, for JetStream. The client connects in the background and
/// reconnects whenever the connection breaks, without limit: a receiver or worker started while NATS is
/// unreachable runs, and works once the server is back. Only an address that does not parse is an error.
async fn connect(url: &str) -> Result<async_nats::jetstream::Context, NatsError> {
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(url)
        .await
        .map_err(|source| NatsError::Connect { url: url.to_owned(), source })?;
    Ok(async_nats::jetstream::new(client))
}

/// The limits of a stream the sink or a worker creates: none by default (the server's storage bounds it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StreamLimits {
    /// The most messages it holds (deliveries not yet handled, and dead letters), if bounded.
    pub(crate) max_messages: Option<i64>,
    /// The most bytes it holds, if bounded.
    pub(crate) max_bytes: Option<i64>,
}

/// Gets the stream `name`, creating it unless it exists: file storage, the subjects `<prefix>.>`, the
/// duplicate window, work-queue retention (a delivery is removed once a worker acknowledged it, handled
/// or dead-lettered; dead letters, which no consumer reads, stay), `limits`, and a full stream refusing
/// new messages rather than dropping old ones. An existing stream is left as it is; one that never
/// removes what was handled is logged as a warning.
async fn ensure_stream(
    context: &async_nats::jetstream::Context,
    name: &str,
    prefix: &str,
    duplicate_window: Duration,
    limits: StreamLimits,
) -> Result<async_nats::jetstream::stream::Stream, NatsError> {
    use async_nats::jetstream::stream::{Config, DiscardPolicy, RetentionPolicy, StorageType};
    let config = Config {
        name: name.to_owned(),
        subjects: vec![format!("{prefix}.>")],
        duplicate_window,
        storage: StorageType::File,
        retention: RetentionPolicy::WorkQueue,
        discard: DiscardPolicy::New,
        max_messages: limits.max_messages.unwrap_or(-1),
        max_bytes: limits.max_bytes.unwrap_or(-1),
        ..Default::default()
    };
    let stream = context
        .get_or_create_stream(config)
        .await
        .map_err(|source| NatsError::Stream { stream: name.to_owned(), source })?;
    let existing = &stream.cached_info().config;
    if existing.retention == RetentionPolicy::Limits
        && existing.max_age.is_zero()
        && existing.max_bytes < 0
        && existing.max_messages < 0
    {
        tracing::warn!(
            stream = name,
            "the stream keeps every message it stores (limits retention without limits): handled deliveries are never removed, and once the server's storage is used up every delivery is answered 503; create it anew with work-queue retention (the sink does for a stream it creates)"
        );
    }
    Ok(stream)
}

/// The header of a message's delivery key in hex (see [`Delivery::key`](crate::handoff::Delivery::key)):
/// the key the workers' duplicate filter claims, also its `Nats-Msg-Id`.
pub const DELIVERY_KEY_HEADER: &str = "Webhook-Delivery-Key";

/// Why the [`JetStreamSink`] did not store a delivery (the receiver answers 503), besides the client's
/// own errors (timeouts, a stream that is gone).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The client is not connected (NATS unreachable, or reconnecting): nothing was sent, so the
    /// delivery is not stored later either.
    #[error("not connected to NATS ({state}); the delivery was not sent")]
    Disconnected {
        /// The client's connection state.
        state: String,
    },
    /// The stream refused the delivery because one of its limits is reached.
    #[error(
        "the stream {stream} is full: {limit}; nothing more is stored until workers handle what it holds or the limit is raised"
    )]
    StreamFull {
        /// The stream's name.
        stream: String,
        /// Which limit, as the server names it (such as `max_messages: maximum messages exceeded`).
        limit: String,
    },
}

/// The subject of a delivery for `module`, or of a dead letter with `kind` = `dead`.
fn subject(prefix: &str, kind: &str, module: Option<&str>) -> String {
    format!("{prefix}.{kind}.{}", module.unwrap_or(UNROUTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_module_or_unrouted() {
        assert_eq!(
            subject("webhooks", "deliveries", Some("number_management")),
            "webhooks.deliveries.number_management"
        );
        assert_eq!(subject("hooks", "dead", None), "hooks.dead._unrouted");
    }
}
