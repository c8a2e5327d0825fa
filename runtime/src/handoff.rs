//! Handing deliveries off to a durable queue: the receiver checks a delivery, publishes it raw to a
//! [`Sink`] and answers 200 only once the queue confirmed it; workers run the handlers later.
//!
//! [`Delivery`] is what travels: the webhook name, the module whose route answers for it and the body
//! byte for byte as the signature was checked over it. A [`Sink`] is the queue's side of the receiver:
//! with the `nats` feature, `nats::JetStreamSink` publishes to NATS JetStream and `nats::Worker` runs the
//! routes on what it stored. Switch the receiver to hand-off mode with `axum::Receiver::hand_off`.

use std::fmt;

use bytes::Bytes;

use crate::duplicates::DeliveryKey;
use crate::route::{BoxError, BoxFuture};

/// A verified delivery, as the receiver hands it off: which webhook it is, which module's route answers
/// for it, and the raw body.
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
}

impl Delivery {
    /// A delivery of the webhook `name`, answered by the route of `module` (`None`: no route answers).
    pub fn new(name: impl Into<String>, module: Option<&'static str>, body: impl Into<Bytes>) -> Self {
        Self { name: name.into(), module, body: body.into() }
    }

    /// The SHA-256 of the body: the key of the duplicate filter, and of the queue's de-duplication.
    pub fn sha256(&self) -> DeliveryKey {
        DeliveryKey::of(&self.body)
    }
}

/// A durable queue the receiver hands deliveries off to, such as `nats::JetStreamSink`.
///
/// The receiver answers 200 only after [`Sink::publish`] returned `Ok`, so `Ok` must mean the queue
/// confirmed the delivery durably (stored it, replicated as it is configured to). On an error, or when
/// the receiver's hand-off timeout runs out first, the receiver answers 503 and the vendor retries; a
/// delivery published twice that way must be harmless (JetStream drops the copy by its message id).
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
    fn the_key_of_a_delivery_is_the_sha256_of_its_body() {
        let delivery = Delivery::new("meeting.started", None, &b"abc"[..]);
        // SHA-256("abc"), from FIPS 180-2.
        assert_eq!(delivery.sha256().to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
