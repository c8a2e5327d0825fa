//! Handing deliveries off to a durable queue: the receiver checks a delivery, publishes it raw to a
//! [`Sink`] and answers 200 only once the queue confirmed it; workers run the handlers later.
//!
//! [`Delivery`] is what travels: the webhook name, the module whose route answers for it, the body
//! byte for byte as the signature was checked over it, and the delivery's duplicate key (what tells a
//! vendor's retry from another delivery). A [`Sink`] is the queue's side of the receiver:
//! with the `nats` feature, `nats::JetStreamSink` publishes to NATS JetStream and `nats::Worker` runs the
//! routes on what it stored. Switch the receiver to hand-off mode with `axum::Receiver::hand_off`.

use std::fmt;

use bytes::Bytes;

use crate::duplicates::DeliveryKey;
use crate::route::{BoxError, BoxFuture};

/// A verified delivery, as the receiver hands it off: which webhook it is, which module's route answers
/// for it, the raw body and its duplicate key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// The webhook name a route's `dispatch` gets (such as `phone.callee_ended`), or the body's
    /// discriminator value when no route answers for it.
    pub name: String,
    /// The answering route's [`Route::module`](crate::Route::module), `None` for a webhook no route
    /// answers for (the worker's `on_unknown` gets it).
    pub module: Option<&'static str>,
    /// The body, byte for byte as received: the signature was checked over these bytes.
    pub body: Bytes,
    /// What identifies the delivery across the vendor's retries, as the receiver's signature scheme
    /// keys it: the `webhook-id` for Standard Webhooks (two messages with equal bodies are two
    /// deliveries), the body for Zoom (which has no delivery id and retries with the same body). The
    /// queue's de-duplication and the workers' duplicate filter key by it.
    pub key: DeliveryKey,
}

impl Delivery {
    /// A delivery of the webhook `name`, answered by the route of `module` (`None`: no route answers),
    /// keyed by its body (as Zoom's deliveries are); [`Delivery::with_key`] sets another key.
    pub fn new(name: impl Into<String>, module: Option<&'static str>, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        Self { name: name.into(), module, key: DeliveryKey::of(&body), body }
    }

    /// The same delivery under the duplicate key `key`.
    #[must_use]
    pub fn with_key(mut self, key: DeliveryKey) -> Self {
        self.key = key;
        self
    }

    /// The SHA-256 of the body, for logs (the duplicate key is [`Delivery::key`]).
    pub fn sha256(&self) -> DeliveryKey {
        DeliveryKey::of(&self.body)
    }
}

/// The error a [`Sink`] returns for a delivery too large for its queue: the receiver answers it 413
/// (Payload Too Large) rather than 503, since retrying the same body cannot succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the delivery is {size} bytes with its headers, over the queue's limit of {limit} bytes per message")]
#[non_exhaustive]
pub struct DeliveryTooLarge {
    /// The message's size as the queue counts it (body and headers), in bytes.
    pub size: usize,
    /// The largest message the queue takes, in bytes.
    pub limit: usize,
}

impl DeliveryTooLarge {
    /// A delivery of `size` bytes over a queue's `limit`.
    pub fn new(size: usize, limit: usize) -> Self {
        Self { size, limit }
    }
}

/// A durable queue the receiver hands deliveries off to, such as `nats::JetStreamSink`.
///
/// The receiver answers 200 only after [`Sink::publish`] returned `Ok`, so `Ok` must mean the queue
/// confirmed the delivery durably (stored it, replicated as it is configured to). On
/// [`DeliveryTooLarge`] it answers 413; on another error, or when the receiver's hand-off timeout runs
/// out first, it answers 503 and the vendor retries. A publish that timed out may still be stored, so a
/// delivery published twice must be harmless: a sink keys the queue's de-duplication by
/// [`Delivery::key`], and the workers' duplicate filter recognises the copy by the same key.
pub trait Sink: fmt::Debug + Send + Sync + 'static {
    /// Publishes `delivery`, resolving once the queue confirmed it durably.
    fn publish<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), BoxError>>;
}

impl<S: Sink + ?Sized> Sink for std::sync::Arc<S> {
    fn publish<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), BoxError>> {
        (**self).publish(delivery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_of_a_delivery_is_the_sha256_of_its_body_unless_set() {
        let delivery = Delivery::new("meeting.started", None, &b"abc"[..]);
        // SHA-256("abc"), from FIPS 180-2.
        assert_eq!(delivery.sha256().to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(delivery.key, delivery.sha256());
        let keyed = delivery.with_key(DeliveryKey::of(b"msg_1"));
        assert_eq!(keyed.key, DeliveryKey::of(b"msg_1"));
        assert_eq!(keyed.sha256().to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
