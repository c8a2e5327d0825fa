//! The in-memory duplicate store: one process, nothing to run, bounded in time and memory.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{BoxFuture, ClaimedKey, DeliveryKey, DuplicateStore, StoreClaim, StoreError};

/// Keeps handled keys in this process's memory: at most `capacity` of them, each for the time-to-live
/// (the oldest is forgotten first). Clones share the same memory. A delivery whose key is in flight waits
/// until the running handler returns, and is then answered as a duplicate or runs the handler itself.
#[derive(Clone)]
pub struct MemoryStore {
    shared: Arc<Shared>,
}

struct Shared {
    ttl: Duration,
    capacity: usize,
    state: Mutex<StoreState>,
}

#[derive(Default)]
struct StoreState {
    entries: HashMap<DeliveryKey, Entry>,
    /// Handled keys, oldest first (they all live for the same time-to-live).
    handled: VecDeque<(DeliveryKey, Instant)>,
}

enum Entry {
    /// A handler is running for this key; the receiver ends when it finishes or gives up.
    InFlight(watch::Receiver<()>),
    /// Handled successfully at this time.
    Handled(Instant),
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("ttl", &self.shared.ttl)
            .field("capacity", &self.shared.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl MemoryStore {
    /// A store remembering each handled key for `ttl`, and at most `capacity` keys.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { shared: Arc::new(Shared { ttl, capacity, state: Mutex::new(StoreState::default()) }) }
    }

    /// How many handled keys are remembered now.
    pub fn len(&self) -> usize {
        let mut state = self.shared.lock();
        state.expire(Instant::now(), self.shared.ttl);
        state.handled.len()
    }

    /// Whether no handled key is remembered now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Claims `key`, waiting while an identical delivery is being handled.
    async fn claim_key(&self, key: DeliveryKey) -> StoreClaim {
        loop {
            match self.try_claim_memory(key, Instant::now()) {
                Ok(MemoryClaim::Handled) => return StoreClaim::Handled,
                Ok(MemoryClaim::First(claimed)) => return StoreClaim::Claimed(Box::new(claimed)),
                // Ends (with an error, as nothing is ever sent) when the first delivery is done.
                Err(mut running) => {
                    let _ = running.changed().await;
                }
            }
        }
    }

    /// Claims `key` at `now`, or returns the receiver to wait on while another delivery of it runs.
    fn try_claim_memory(&self, key: DeliveryKey, now: Instant) -> Result<MemoryClaim, watch::Receiver<()>> {
        let mut state = self.shared.lock();
        state.expire(now, self.shared.ttl);
        match state.entries.get(&key) {
            Some(Entry::InFlight(running)) if running.has_changed().is_ok() => return Err(running.clone()),
            Some(Entry::Handled(at)) if now.saturating_duration_since(*at) < self.shared.ttl => {
                return Ok(MemoryClaim::Handled);
            }
            _ => {}
        }
        let (done, running) = watch::channel(());
        state.entries.insert(key, Entry::InFlight(running));
        Ok(MemoryClaim::First(MemoryClaimed { shared: Arc::clone(&self.shared), key, finished: false, _done: done }))
    }
}

impl DuplicateStore for MemoryStore {
    fn claim(&self, key: DeliveryKey) -> BoxFuture<'_, Result<StoreClaim, StoreError>> {
        Box::pin(async move { Ok(self.claim_key(key).await) })
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, StoreState> {
        // The state stays consistent even if a holder panicked: every update is a single insert or remove.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StoreState {
    /// Forgets handled keys older than `ttl`.
    fn expire(&mut self, now: Instant, ttl: Duration) {
        while let Some(&(key, at)) = self.handled.front() {
            if now.saturating_duration_since(at) < ttl {
                break;
            }
            self.forget_oldest(key, at);
        }
    }

    /// Drops the oldest handled record, and its entry unless the key was claimed again since.
    fn forget_oldest(&mut self, key: DeliveryKey, at: Instant) {
        self.handled.pop_front();
        if matches!(self.entries.get(&key), Some(Entry::Handled(when)) if *when == at) {
            self.entries.remove(&key);
        }
    }
}

/// A claim before it is boxed for the filter.
enum MemoryClaim {
    Handled,
    First(MemoryClaimed),
}

/// A key being handled by this delivery. Dropping it without marking it handled releases the key, and
/// wakes identical deliveries waiting for it.
struct MemoryClaimed {
    shared: Arc<Shared>,
    key: DeliveryKey,
    finished: bool,
    /// Dropped after the state is updated, which wakes the waiters.
    _done: watch::Sender<()>,
}

impl MemoryClaimed {
    fn handled_at(mut self, now: Instant) {
        let mut state = self.shared.lock();
        state.entries.insert(self.key, Entry::Handled(now));
        state.handled.push_back((self.key, now));
        while state.handled.len() > self.shared.capacity {
            if let Some(&(key, at)) = state.handled.front() {
                state.forget_oldest(key, at);
            }
        }
        drop(state);
        self.finished = true;
    }
}

impl ClaimedKey for MemoryClaimed {
    fn handled(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        self.handled_at(Instant::now());
        Box::pin(std::future::ready(Ok(())))
    }
}

impl Drop for MemoryClaimed {
    fn drop(&mut self) {
        if !self.finished {
            let mut state = self.shared.lock();
            if matches!(state.entries.get(&self.key), Some(Entry::InFlight(_))) {
                state.entries.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> DeliveryKey {
        DeliveryKey([n; 32])
    }

    fn first(claim: Result<MemoryClaim, watch::Receiver<()>>) -> MemoryClaimed {
        match claim {
            Ok(MemoryClaim::First(claimed)) => claimed,
            Ok(MemoryClaim::Handled) => panic!("expected a first claim, got a duplicate"),
            Err(_) => panic!("expected a first claim, got one in flight"),
        }
    }

    fn is_duplicate(claim: Result<MemoryClaim, watch::Receiver<()>>) -> bool {
        matches!(claim, Ok(MemoryClaim::Handled))
    }

    #[test]
    fn handled_keys_are_remembered_for_the_ttl() {
        let ttl = Duration::from_secs(60);
        let store = MemoryStore::new(ttl, 10);
        let t0 = Instant::now();
        first(store.try_claim_memory(key(1), t0)).handled_at(t0);
        assert!(is_duplicate(store.try_claim_memory(key(1), t0 + ttl - Duration::from_millis(1))));
        assert!(!is_duplicate(store.try_claim_memory(key(2), t0)));
        // Expired: claimed again, and the old record does not evict the new one.
        let again = first(store.try_claim_memory(key(1), t0 + ttl));
        again.handled_at(t0 + ttl);
        assert!(is_duplicate(store.try_claim_memory(key(1), t0 + ttl + Duration::from_secs(1))));
        let state = store.shared.lock();
        assert_eq!(state.handled.len(), 1);
    }

    #[test]
    fn capacity_forgets_the_oldest_first() {
        let store = MemoryStore::new(Duration::from_secs(3600), 2);
        let t0 = Instant::now();
        for n in 1..=3 {
            first(store.try_claim_memory(key(n), t0)).handled_at(t0 + Duration::from_secs(u64::from(n)));
        }
        assert_eq!(store.shared.lock().handled.len(), 2);
        assert_eq!(store.shared.lock().entries.len(), 2);
        assert!(is_duplicate(store.try_claim_memory(key(2), t0)));
        assert!(is_duplicate(store.try_claim_memory(key(3), t0)));
        assert!(!is_duplicate(store.try_claim_memory(key(1), t0)));

        let nothing = MemoryStore::new(Duration::from_secs(3600), 0);
        first(nothing.try_claim_memory(key(1), t0)).handled_at(t0);
        assert!(nothing.is_empty());
        assert!(nothing.shared.lock().entries.is_empty());
    }

    #[test]
    fn failed_deliveries_leave_no_mark() {
        let store = MemoryStore::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        drop(first(store.try_claim_memory(key(1), t0)));
        assert!(store.shared.lock().entries.is_empty());
        first(store.try_claim_memory(key(1), t0)).handled_at(t0);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn identical_deliveries_in_flight_wait_for_the_first() {
        let store = MemoryStore::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        let running = first(store.try_claim_memory(key(1), t0));
        let Err(waiting) = store.try_claim_memory(key(1), t0) else { panic!("the key is in flight") };
        assert!(matches!(waiting.has_changed(), Ok(false)));
        // The first fails: the waiter is woken and claims the key itself.
        drop(running);
        assert!(waiting.has_changed().is_err());
        let retry = first(store.try_claim_memory(key(1), t0));
        let Err(waiting) = store.try_claim_memory(key(1), t0) else { panic!("the key is in flight") };
        // The retry succeeds: the waiter finds a duplicate.
        retry.handled_at(t0);
        assert!(waiting.has_changed().is_err());
        assert!(is_duplicate(store.try_claim_memory(key(1), t0)));

        // Even a store that remembers nothing keeps identical deliveries apart while they run.
        let nothing = MemoryStore::new(Duration::from_secs(60), 0);
        let _running = first(nothing.try_claim_memory(key(1), t0));
        assert!(nothing.try_claim_memory(key(1), t0).is_err());
    }

    #[tokio::test]
    async fn claim_waits_for_the_running_delivery() {
        let store = MemoryStore::new(Duration::from_secs(60), 10);
        let Ok(StoreClaim::Claimed(running)) = store.claim(key(1)).await else { panic!("first delivery") };
        let waiter = tokio::spawn({
            let store = store.clone();
            async move { matches!(store.claim(key(1)).await, Ok(StoreClaim::Handled)) }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        assert!(running.handled().await.is_ok());
        assert!(waiter.await.unwrap_or(false));
    }
}
