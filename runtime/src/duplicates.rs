#![doc = include_str!("../docs/duplicates.md")]
#![cfg_attr(feature = "redis", doc = include_str!("../docs/redis.md"))]

use std::fmt;
#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::BoxError;
#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
use crate::error_chain::ErrorChain;
pub use crate::route::BoxFuture;

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
pub use self::redis::{RedisPersistence, RedisStore};
#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
pub use memory::MemoryStore;

/// What a [`DuplicateFilter`] keys a delivery by: the SHA-256 of the bytes the receiver gives it (the raw
/// body for Zoom, whose retries carry the same body under a new signature; the `webhook-id` for Standard
/// Webhooks). A receiver in hand-off mode sends it with the delivery, and the worker's filter claims it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryKey([u8; 32]);

impl DeliveryKey {
    /// The key of a delivery identified by `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The 32 bytes of the SHA-256.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key written by [`DeliveryKey::to_hex`] (64 hex digits, either case); `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
        let mut bytes = [0; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(Self(bytes))
    }

    /// The SHA-256 in lowercase hex (64 characters).
    pub fn to_hex(&self) -> String {
        use std::fmt::Write;
        self.0.iter().fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
    }
}

impl fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeliveryKey({})", self.to_hex())
    }
}

/// Why a [`DuplicateStore`] could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store did not answer within its operation timeout.
    #[error("the duplicate store did not answer within {0:?}")]
    Timeout(Duration),
    /// The store answered with an error, or could not be reached.
    #[error("the duplicate store failed")]
    Backend(#[source] BoxError),
    /// The claim expired (its in-flight time ran out) and the key was claimed again or released before
    /// this delivery's handler finished: another delivery may run the handler again.
    #[error("the claim on the delivery expired before its handler finished")]
    ClaimLost,
}

/// What a store answers to [`DuplicateStore::claim`].
#[non_exhaustive]
pub enum StoreClaim {
    /// The key was handled within the time-to-live: answer without running the handler.
    Handled,
    /// Another delivery (here or on another replica) holds the key and did not finish within the store's
    /// wait: answer so that the vendor retries later.
    InFlight,
    /// This delivery holds the key: run the handler, then [`ClaimedKey::handled`] on success. Dropping it
    /// instead releases the key.
    Claimed(Box<dyn ClaimedKey>),
}

impl fmt::Debug for StoreClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Handled => "Handled",
            Self::InFlight => "InFlight",
            Self::Claimed(_) => "Claimed",
        })
    }
}

/// A key held by one delivery while its handler runs. Dropping it without [`ClaimedKey::handled`]
/// releases the key, so the next delivery handles it.
pub trait ClaimedKey: Send {
    /// Marks the key handled (kept for the store's time-to-live), if this claim still holds it.
    fn handled(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>>;
}

/// Where a [`DuplicateFilter`] keeps its keys: [`MemoryStore`] (one process) or, with the `redis`
/// feature, `RedisStore` (every replica of a receiver).
pub trait DuplicateStore: fmt::Debug + Send + Sync + 'static {
    /// Claims `key` for this delivery, atomically: at most one delivery holds a key at a time. While
    /// another delivery holds it, the store waits (for a bounded time, its choice) for that one to finish.
    fn claim(&self, key: DeliveryKey) -> BoxFuture<'_, Result<StoreClaim, StoreError>>;
}

/// What the receiver does when the duplicate store cannot answer (Redis unreachable, or too slow).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreFailure {
    /// Answer 503 without running the handler, so the vendor retries the delivery later (the default):
    /// nothing is handled twice, and nothing is lost while the vendor's retries last.
    #[default]
    FailClosed,
    /// Run the handler without duplicate filtering, with a warning each time: nothing waits for the
    /// store, and a duplicate may reach the handler while the store is down.
    FailOpen,
}

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
/// Remembers which deliveries were handled recently, so Zoom's re-deliveries do not reach the handler
/// twice.
///
/// Zoom has no event id and may deliver the same event more than once: when an answer came too late,
/// and occasionally otherwise. Its retries carry the same body (with a new signature), so the filter keys
/// deliveries by the SHA-256 of the bytes the receiver gives it (the raw body). Switch it on with
/// `axum::Receiver::duplicate_filter` or `nats::Worker::duplicate_filter`; clones share the same store.
///
/// - A delivery is marked as seen only **after the handler succeeded**. A failed delivery (400 or 500)
///   leaves no mark, so Zoom's retry runs the handler again.
/// - **Concurrent identical deliveries do not both run the handler.** The first one claims the key and
///   runs the handler; the others wait for its outcome. If it succeeds they are answered 200 without
///   running the handler; if it fails (or its connection is dropped mid-way), the next one runs the
///   handler itself.
/// - **In memory** (the default, [`DuplicateFilter::new`]): per process, bounded in time and memory. A
///   handled body is remembered for the time-to-live (two hours by default, longer than Zoom's
///   retries) and at most `capacity` bodies are remembered (100,000 by default, some 15 MB); past that the oldest is forgotten early. A waiter waits until the running handler
///   returns.
/// - **In Redis** ([`DuplicateFilter::with_store`] and `RedisStore`, feature `redis`): shared by every
///   replica and kept across their restarts (across a restart of Redis only with its append-only file
///   on: see `RedisStore`). A waiter waits a bounded time (1 s by default) and is then answered
///   409 so that Zoom retries; a claim left by a replica that died expires after the in-flight time
///   (30 s by default). When Redis cannot answer, [`StoreFailure`] decides (503 by default).
#[derive(Clone)]
pub struct DuplicateFilter {
    store: Arc<dyn DuplicateStore>,
    memory: Option<MemoryStore>,
    on_failure: StoreFailure,
}

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
impl fmt::Debug for DuplicateFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuplicateFilter").field("store", &self.store).field("on_failure", &self.on_failure).finish()
    }
}

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
impl Default for DuplicateFilter {
    /// An in-memory filter with [`DuplicateFilter::DEFAULT_TTL`] and [`DuplicateFilter::DEFAULT_CAPACITY`].
    fn default() -> Self {
        Self::new(Self::DEFAULT_TTL, Self::DEFAULT_CAPACITY)
    }
}

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
impl DuplicateFilter {
    /// How long a handled delivery is remembered by default: two hours.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(2 * 60 * 60);

    /// How many handled bodies the in-memory store remembers at most by default.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An in-memory filter remembering each handled body for `ttl`, and at most `capacity` bodies (the
    /// oldest is forgotten first). A capacity of 0 remembers nothing but still keeps identical deliveries
    /// from running the handler at the same time.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        let memory = MemoryStore::new(ttl, capacity);
        Self { store: Arc::new(memory.clone()), memory: Some(memory), on_failure: StoreFailure::default() }
    }

    /// A filter keeping its keys in `store`, such as a `RedisStore` shared by every replica.
    pub fn with_store(store: impl DuplicateStore) -> Self {
        Self { store: Arc::new(store), memory: None, on_failure: StoreFailure::default() }
    }

    /// Sets what the receiver does when the store cannot answer; [`StoreFailure::FailClosed`] (503) by
    /// default. The in-memory store always answers.
    #[must_use]
    pub fn on_store_failure(mut self, policy: StoreFailure) -> Self {
        self.on_failure = policy;
        self
    }

    /// How many handled bodies the in-memory store remembers now (0 for any other store, which keeps its
    /// count elsewhere).
    pub fn len(&self) -> usize {
        self.memory.as_ref().map_or(0, MemoryStore::len)
    }

    /// Whether [`DuplicateFilter::len`] is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Claims the delivery whose key is `key` ([`DeliveryKey::of`] the identifying bytes, which are never
    /// stored as given), applying the store-failure policy.
    pub(crate) async fn claim(&self, key: DeliveryKey) -> Claim {
        match self.store.claim(key).await {
            Ok(StoreClaim::Handled) => Claim::Duplicate,
            Ok(StoreClaim::InFlight) => Claim::InFlight,
            Ok(StoreClaim::Claimed(claimed)) => Claim::First(Claimed(claimed)),
            Err(err) => match self.on_failure {
                StoreFailure::FailClosed => {
                    tracing::error!(error = %ErrorChain(&err), "the duplicate store cannot answer; the delivery is refused for now, to be retried later");
                    Claim::StoreDown
                }
                StoreFailure::FailOpen => {
                    tracing::warn!(error = %ErrorChain(&err), "the duplicate store cannot answer; handling the delivery without duplicate filtering");
                    Claim::Unfiltered
                }
            },
        }
    }
}

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
/// The outcome of [`DuplicateFilter::claim`], as the receiver answers it.
pub(crate) enum Claim {
    /// Already handled within the time-to-live: 200, the handler is not called.
    Duplicate,
    /// Held by another delivery that did not finish within the store's wait: 409, so the sender retries.
    InFlight,
    /// The store cannot answer and the policy is to fail closed: 503, so the sender retries.
    StoreDown,
    /// The store cannot answer and the policy is to fail open: run the handler, mark nothing.
    Unfiltered,
    /// This delivery runs the handler; mark it with [`Claimed::handled`] when it succeeds.
    First(Claimed),
}

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
/// A key this delivery holds. Dropping it without [`Claimed::handled`] releases it.
pub(crate) struct Claimed(Box<dyn ClaimedKey>);

#[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
impl Claimed {
    /// Records that the handler succeeded. A store that cannot record it is logged: the delivery was
    /// handled, so it is still answered 200, and a retry may run the handler again.
    #[cfg(feature = "axum")]
    pub(crate) async fn handled(self) {
        if let Err(err) = self.0.handled().await {
            tracing::warn!(error = %ErrorChain(&err), "could not mark a handled delivery in the duplicate store; a retry of it may run the handler again");
        }
    }

    /// Records that the handler succeeded, giving the store's error when it could not.
    #[cfg(feature = "nats")]
    pub(crate) async fn try_handled(self) -> Result<(), StoreError> {
        self.0.handled().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_sha256_of_the_bytes_given() {
        // SHA-256("abc"), from FIPS 180-2.
        assert_eq!(
            DeliveryKey::of(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(DeliveryKey::of(b"abc"), DeliveryKey::of(b"abd"));
    }

    #[test]
    fn keys_read_back_from_hex_and_nothing_else_does() {
        let key = DeliveryKey::of(b"abc");
        assert_eq!(DeliveryKey::from_hex(&key.to_hex()), Some(key));
        assert_eq!(DeliveryKey::from_hex(&key.to_hex().to_uppercase()), Some(key));
        assert_eq!(DeliveryKey::from_hex(&key.to_hex()[1..]), None);
        assert_eq!(DeliveryKey::from_hex(&format!("{}g", &key.to_hex()[1..])), None);
        assert_eq!(DeliveryKey::from_hex("+1"), None);
        assert_eq!(DeliveryKey::from_hex(&"é".repeat(32)), None);
    }

    #[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
    /// A store that is always down.
    #[derive(Debug)]
    struct Down;

    #[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
    impl DuplicateStore for Down {
        fn claim(&self, _key: DeliveryKey) -> BoxFuture<'_, Result<StoreClaim, StoreError>> {
            Box::pin(async { Err(StoreError::Timeout(Duration::from_millis(5))) })
        }
    }

    #[cfg(any(feature = "axum", feature = "nats", feature = "redis"))]
    #[tokio::test]
    async fn a_store_that_cannot_answer_follows_the_policy() {
        let closed = DuplicateFilter::with_store(Down);
        assert!(matches!(closed.claim(DeliveryKey::of(b"body")).await, Claim::StoreDown));
        let open = DuplicateFilter::with_store(Down).on_store_failure(StoreFailure::FailOpen);
        assert!(matches!(open.claim(DeliveryKey::of(b"body")).await, Claim::Unfiltered));
    }
}
