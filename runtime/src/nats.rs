#![doc = include_str!("../docs/handoff.md")]

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

/// How long the stream drops a re-published delivery key as a duplicate by default: 2 minutes.
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
    /// The address could not be used. An unreachable server is not this error: the client connects in
    /// the background and reconnects by itself.
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

/// How many bytes under the server's `max_payload` a delivery must stay, so that its dead letter (the same
/// body, a longer message id, the attempts and the error) fits too: 512. The error is shortened to fit.
pub const DEAD_LETTER_HEADROOM: usize = 512;

/// The size of a message with `headers` and a body of `body` bytes, as the server counts it against its
/// `max_payload`: the headers in their wire form (`NATS/1.0`, one `name: value` line each, a blank line)
/// and the body.
fn message_size(headers: &async_nats::HeaderMap, body: usize) -> usize {
    let lines: usize = headers
        .iter()
        .map(|(name, values)| {
            values.iter().map(|value| AsRef::<str>::as_ref(name).len() + 2 + value.as_str().len() + 2).sum::<usize>()
        })
        .sum();
    "NATS/1.0\r\n".len() + lines + "\r\n".len() + body
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

    #[test]
    fn the_size_counts_the_headers_in_their_wire_form() {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Webhook-Event", "a.b");
        // "NATS/1.0\r\n" + "Webhook-Event: a.b\r\n" + "\r\n" + 5.
        assert_eq!(message_size(&headers, 5), 10 + 20 + 2 + 5);
    }
}
