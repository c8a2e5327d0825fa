//! What arrived with the delivery being handled: the raw body next to the typed event, so that what a
//! correctly signed delivery carried is never lost, whatever the generated types declare.
//!
//! The receiver, its `tower` service and the hand-off worker run every handler (and their `on_unknown` and
//! `on_invalid` fallbacks) inside a [`Received::scope`]; a handler reads it with [`Received::current`].
//! The scope is a task-local value kept by the future itself (installed while it is polled), so it works on
//! any async runtime.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use crate::duplicates::DeliveryKey;

/// What arrived with the delivery being handled: the webhook's name, the body byte for byte as received
/// (its signature was checked over these bytes), the delivery key and when it was received.
///
/// Generated payload types read only the properties their schema declares (unless the spec setting
/// `unknown_properties: keep` opens them), so a handler that stores or forwards the typed event alone loses
/// what the vendor sent besides. Every handler the runtime calls can reach the exact body with
/// [`Received::current`]: undeclared properties, numbers as they were written, keys in their order.
///
/// Cloning is cheap (the value is shared). Outside a receiver or worker, as when calling a module's
/// `dispatch` yourself or in tests, provide one with [`Received::scope`]:
///
/// ```
/// use webhook_runtime::Received;
/// use webhook_runtime::duplicates::DeliveryKey;
///
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut context = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
/// #             return output;
/// #         }
/// #     }
/// # }
/// let body = br#"{"event":"meeting.started","payload":{"object":{"id":85,"custom":1.0e2}}}"#;
/// let received = Received::new("meeting.started", &body[..]).with_key(DeliveryKey::of(b"request-1"));
/// let handler = async {
///     // Inside the handler: the body as it came, undeclared properties and all.
///     let received = Received::current().expect("inside a scope");
///     assert_eq!(received.name(), "meeting.started");
///     received.body().len()
/// };
/// assert_eq!(block_on(received.scope(handler)), body.len());
/// assert!(Received::current().is_none(), "only inside the scope");
/// ```
#[derive(Clone)]
pub struct Received(Arc<Delivered>);

#[derive(Clone)]
struct Delivered {
    name: String,
    body: Bytes,
    key: Option<DeliveryKey>,
    received_at: SystemTime,
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("name", &self.0.name)
            .field("body_len", &self.0.body.len())
            .field("key", &self.0.key)
            .field("received_at", &self.0.received_at)
            .finish()
    }
}

impl Received {
    /// A delivery of the webhook `name` with `body`, received now, without a key
    /// ([`Received::with_key`] and [`Received::with_received_at`] set them).
    pub fn new(name: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self(Arc::new(Delivered { name: name.into(), body: body.into(), key: None, received_at: SystemTime::now() }))
    }

    /// The same delivery with the delivery key `key`.
    #[must_use]
    pub fn with_key(mut self, key: DeliveryKey) -> Self {
        Arc::make_mut(&mut self.0).key = Some(key);
        self
    }

    /// The same delivery, received at `time`.
    #[must_use]
    pub fn with_received_at(mut self, time: SystemTime) -> Self {
        Arc::make_mut(&mut self.0).received_at = time;
        self
    }

    /// The webhook name the handler was called for (such as `phone.callee_ended`), or the body's
    /// discriminator value for a webhook no route answers for (what `on_unknown` gets).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The body, byte for byte as received: the signature was checked over these bytes.
    pub fn body(&self) -> &Bytes {
        &self.0.body
    }

    /// The delivery key: what the receiver's duplicate filter claims and the hand-off carries
    /// ([`Delivery::key`](crate::handoff::Delivery::key)), derived from GitHub's `X-GitHub-Delivery`,
    /// Standard Webhooks' `webhook-id`, or the body for Zoom (which sends no delivery id). The receiver
    /// and the worker always set it; `None` for a value built without [`Received::with_key`].
    pub fn key(&self) -> Option<&DeliveryKey> {
        self.0.key.as_ref()
    }

    /// When the delivery was received: in the receiver, when it took the request (before checking the
    /// signature); in the hand-off worker, when JetStream stored the message the receiver handed off (its
    /// published time), a few milliseconds after the receiver took it.
    pub fn received_at(&self) -> SystemTime {
        self.0.received_at
    }

    /// The delivery whose handler is running: inside a handler (or an `on_unknown` or `on_invalid`
    /// fallback) the receiver or the worker called, or inside a [`Received::scope`]; `None` elsewhere.
    pub fn current() -> Option<Self> {
        CURRENT.with(|current| {
            let value = current.take();
            let copy = value.clone();
            current.set(value);
            copy
        })
    }

    /// Runs `future` with this delivery as [`Received::current`]: it is set while `future` is polled, on
    /// whatever thread polls it, and the value it replaced is back after each poll (also when the poll
    /// panics).
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut value = Some(self);
        std::future::poll_fn(move |cx| {
            let _installed = Installed::new(&mut value);
            future.as_mut().poll(cx)
        })
        .await
    }
}

thread_local! {
    /// The delivery of the scope being polled on this thread.
    static CURRENT: Cell<Option<Received>> = const { Cell::new(None) };
}

/// A scope's value installed as the thread's current one for one poll; dropping it (after the poll, or
/// while a panic unwinds through it) puts the value back in its scope and restores the previous one.
struct Installed<'a> {
    slot: &'a mut Option<Received>,
    previous: Option<Received>,
}

impl<'a> Installed<'a> {
    fn new(slot: &'a mut Option<Received>) -> Self {
        let previous = CURRENT.with(|current| current.replace(slot.take()));
        Self { slot, previous }
    }
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // During the thread's teardown the slot may be gone already; nothing is left to restore then.
        if let Ok(value) = CURRENT.try_with(|current| current.replace(previous)) {
            *self.slot = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn poll<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = poll(future.as_mut()) {
                return output;
            }
        }
    }

    /// The name of the current delivery, if any.
    fn current_name() -> Option<String> {
        Received::current().map(|received| received.name().to_owned())
    }

    /// A future that is pending once (yielding to whoever polls it), then ready.
    async fn yield_once() {
        let mut yielded = false;
        std::future::poll_fn(|_| if std::mem::replace(&mut yielded, true) { Poll::Ready(()) } else { Poll::Pending })
            .await;
    }

    #[test]
    fn there_is_no_current_delivery_outside_a_scope() {
        assert!(Received::current().is_none());
        block_on(async { assert!(Received::current().is_none()) });
    }

    #[test]
    fn inside_a_scope_the_current_delivery_is_its_value() {
        let key = DeliveryKey::of(b"msg_1");
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let received = Received::new("meeting.started", &b"{\"a\":1.0e2}"[..]).with_key(key).with_received_at(at);
        let seen = block_on(received.scope(async {
            yield_once().await;
            Received::current()
        }))
        .expect("a current delivery");
        assert_eq!(seen.name(), "meeting.started");
        assert_eq!(seen.body().as_ref(), b"{\"a\":1.0e2}");
        assert_eq!(seen.key(), Some(&key));
        assert_eq!(seen.received_at(), at);
        assert!(Received::current().is_none(), "unset after the scope");
    }

    #[test]
    fn a_nested_scope_restores_the_outer_delivery() {
        let names = block_on(Received::new("outer", Bytes::new()).scope(async {
            let before = current_name();
            let inner = Received::new("inner", Bytes::new()).scope(async {
                yield_once().await;
                current_name()
            });
            let inside = inner.await;
            (before, inside, current_name())
        }));
        let expected = (Some("outer"), Some("inner"), Some("outer"));
        assert_eq!((names.0.as_deref(), names.1.as_deref(), names.2.as_deref()), expected);
    }

    #[test]
    fn a_panic_inside_a_scope_leaves_no_delivery_set() {
        let outer = Received::new("outer", Bytes::new());
        let panicked = block_on(outer.scope(async {
            let mut scoped = std::pin::pin!(Received::new("panics", Bytes::new()).scope(async {
                yield_once().await;
                panic!("the handler has a bug");
            }));
            assert!(poll(scoped.as_mut()).is_pending());
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(scoped.as_mut())));
            (caught.is_err(), current_name())
        }));
        assert_eq!(panicked, (true, Some("outer".to_owned())), "the outer delivery is back after the panic");
        assert!(Received::current().is_none());
        // A panic directly under no other scope leaves nothing behind either.
        let caught = std::panic::catch_unwind(|| {
            block_on(Received::new("panics", Bytes::new()).scope(async { panic!("the handler has a bug") }))
        });
        assert!(caught.is_err());
        assert!(Received::current().is_none());
    }

    #[test]
    fn interleaved_scopes_on_one_thread_each_see_their_own_delivery() {
        let scoped = |name: &'static str| {
            Received::new(name, Bytes::from_static(name.as_bytes())).scope(async move {
                let mut seen = Vec::new();
                for _ in 0..3 {
                    seen.push(Received::current().map(|received| received.body().clone()));
                    yield_once().await;
                }
                seen
            })
        };
        let mut first = std::pin::pin!(scoped("first"));
        let mut second = std::pin::pin!(scoped("second"));
        let (mut first_seen, mut second_seen) = (None, None);
        while first_seen.is_none() || second_seen.is_none() {
            if first_seen.is_none() {
                if let Poll::Ready(seen) = poll(first.as_mut()) {
                    first_seen = Some(seen);
                }
            }
            assert!(Received::current().is_none(), "nothing set between polls");
            if second_seen.is_none() {
                if let Poll::Ready(seen) = poll(second.as_mut()) {
                    second_seen = Some(seen);
                }
            }
        }
        assert_eq!(first_seen, Some(vec![Some(Bytes::from_static(b"first")); 3]));
        assert_eq!(second_seen, Some(vec![Some(Bytes::from_static(b"second")); 3]));
    }
}
