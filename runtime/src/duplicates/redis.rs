//! The Redis duplicate store (feature `redis`): one store shared by every replica of a receiver, and kept
//! across their restarts (and Redis's own, with its append-only file on).
//!
//! Each key is one Redis string, `<prefix><hex SHA-256>`:
//!
//! - **claim**: `SET key <token> NX PX <in-flight time>`, atomic on the server, so two replicas never both
//!   hold a key. The token is unique to the claim. A replica that dies while holding it leaves a key that
//!   expires after the in-flight time, and a later delivery handles the body.
//! - **handled**: a script replaces the value with `handled` for the time-to-live, only if it is still
//!   this claim's token (so a claim that expired and was taken over is not overwritten).
//! - **released** (the handler failed, panicked or was dropped): a script deletes the key, only if it is
//!   still this claim's token.
//!
//! A delivery that finds the key in flight polls it for a bounded time (1 s by default), then is
//! answered as in flight (409, so that Zoom retries later). Every command has an operation timeout
//! (1 s by default): Redis down or slow is a [`StoreError`] within that bound, never a hang. A claim
//! given up on that way may still reach the server once it answers again (a stall): its release is sent
//! right after it on the same connection, so it is deleted as soon as it lands instead of holding the
//! key for the in-flight time.
//!
//! At connect, the store reads the server's persistence settings ([`RedisStore::persistence`]) and
//! logs a warning when handled keys would not survive a restart of Redis.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use super::{BoxFuture, ClaimedKey, DeliveryKey, DuplicateStore, StoreClaim, StoreError};
use crate::error_chain::ErrorChain;

/// The value of a handled key; claim tokens are 32 hex digits, so never equal to it.
const HANDLED: &str = "handled";

/// Marks a key handled for `ARGV[2]` milliseconds if it still holds the claim's token `ARGV[1]`.
static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], 'handled', 'PX', ARGV[2]) return 1 end return 0",
    )
});

/// Deletes a key if it still holds the claim's token `ARGV[1]`.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0")
});

/// A duplicate store in Redis, shared by every replica that connects to the same server with the same
/// key prefix. Clones share one multiplexed connection, which reconnects by itself after Redis comes back.
///
/// # Exactly once across restarts of Redis needs persistence
///
/// The handled keys live in Redis's memory. Without persistence a restart of Redis forgets them all
/// (in a test, 398 of 718 bodies handled before the restart ran their handler again when retried
/// after it). Turn on the append-only file:
///
/// - `appendonly yes` with `appendfsync everysec` (Redis's default once the file is on): a crash of
///   Redis or of its machine loses at most the last second or so of handled keys;
/// - `appendonly yes` with `appendfsync always`: nothing acknowledged is lost, at the cost of one disk
///   write per command (each delivery writes twice: claim and completion);
/// - RDB snapshots alone (`save 3600 1 300 100 60 10000`, Redis's default) lose everything since the
///   last snapshot, minutes of deliveries; with neither, everything.
///
/// When the server comes back empty the store carries on with no error: claims in flight are gone
/// (their holders' completions fail with [`StoreError::ClaimLost`], logged, the deliveries still
/// answered 200), and a retry of a body handled before the restart is handled again, once. At connect
/// the store reads the server's settings ([`RedisStore::persistence`]) and logs a warning when the
/// append-only file is off; a server that does not allow `CONFIG` (managed services often rename it)
/// is read through `INFO persistence` alone.
///
/// ```no_run
/// use webhook_runtime::duplicates::{DuplicateFilter, RedisStore, StoreFailure};
///
/// # async fn run() -> Result<(), webhook_runtime::duplicates::StoreError> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379/").await?;
/// let filter = DuplicateFilter::with_store(store).on_store_failure(StoreFailure::FailClosed);
/// # let _ = filter;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    ttl: Duration,
    in_flight_ttl: Duration,
    in_flight_wait: Duration,
    operation_timeout: Duration,
}

impl fmt::Debug for RedisStore {
    // Never the URL: it may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .field("in_flight_ttl", &self.in_flight_ttl)
            .field("in_flight_wait", &self.in_flight_wait)
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}

impl RedisStore {
    /// The default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "webhook:dup:";
    /// How long a claim lasts by default when its holder neither finishes nor releases it (it died).
    pub const DEFAULT_IN_FLIGHT_TTL: Duration = Duration::from_secs(30);
    /// How long a delivery waits by default for another one holding its key before it is answered 409.
    pub const DEFAULT_IN_FLIGHT_WAIT: Duration = Duration::from_secs(1);
    /// How long one Redis command may take by default before the store counts as unreachable.
    pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(1);

    /// A store on the Redis server at `url` (`redis://[:password@]host:port/db`), with the defaults:
    /// prefix `webhook:dup:`, handled keys kept for two hours, claims for 30 s, waits of 1 s, operation
    /// timeout 1 s.
    ///
    /// It does not wait for the server: the connection is made on first use and remade whenever it
    /// breaks, so a receiver starts (and answers per its [`StoreFailure`](super::StoreFailure) policy)
    /// while Redis is down. Only a URL that does not parse is an error here; [`RedisStore::ping`] checks
    /// the server. Call it inside a Tokio runtime (the connection runs a background task).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(backend)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Self::DEFAULT_OPERATION_TIMEOUT))
            .set_response_timeout(Some(Self::DEFAULT_OPERATION_TIMEOUT))
            // Reconnect quickly and give up soon: the next command starts a new attempt.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config).map_err(backend)?;
        let store = Self {
            connection,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            ttl: super::DuplicateFilter::DEFAULT_TTL,
            in_flight_ttl: Self::DEFAULT_IN_FLIGHT_TTL,
            in_flight_wait: Self::DEFAULT_IN_FLIGHT_WAIT,
            operation_timeout: Self::DEFAULT_OPERATION_TIMEOUT,
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(warn_without_persistence(store.clone()));
        }
        Ok(store)
    }

    /// Sets the key prefix (`webhook:dup:` by default): receivers that must not share keys (two apps on
    /// one Redis) use different prefixes.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets how long a handled key is remembered (two hours by default, longer than Zoom's retries).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets how long a claim lasts when its holder neither finishes nor releases it (30 s by default):
    /// the bound on how long a replica that died keeps a body from being handled. Keep it longer than
    /// any handler runs (Zoom waits 3 s) and shorter than Zoom's first retry (about 5 minutes).
    #[must_use]
    pub fn in_flight_ttl(mut self, ttl: Duration) -> Self {
        self.in_flight_ttl = ttl;
        self
    }

    /// Sets how long a delivery waits for another one holding its key (1 s by default) before it is
    /// answered 409; keep it well inside Zoom's 3 s.
    #[must_use]
    pub fn in_flight_wait(mut self, wait: Duration) -> Self {
        self.in_flight_wait = wait;
        self
    }

    /// Sets how long one Redis command may take (1 s by default) before the store counts as unreachable.
    #[must_use]
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Checks that the server answers, within the operation timeout.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        self.bounded(redis::cmd("PING").query_async::<String>(&mut connection)).await.map(drop)
    }

    /// What the server keeps across its own restart, as it reports it: `INFO persistence`, and
    /// `CONFIG GET appendfsync` and `save` where the server allows `CONFIG` (`None` where it does not).
    /// See [`RedisStore`] for the settings that keep exactly-once across a restart of Redis.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the server cannot be reached within the operation timeout.
    pub async fn persistence(&self) -> Result<RedisPersistence, StoreError> {
        let mut connection = self.connection.clone();
        let info = redis::cmd("INFO").arg("persistence").clone();
        let append_only = match self.bounded(info.query_async::<String>(&mut connection)).await {
            Ok(info) => info_field(&info, "aof_enabled").map(|value| value == "1"),
            Err(err) if refused(&err) => None,
            Err(err) => return Err(err),
        };
        let append_fsync = self.config(&mut connection, "appendfsync").await?;
        let rdb_save = self.config(&mut connection, "save").await?;
        Ok(RedisPersistence { append_only, append_fsync, rdb_save })
    }

    /// One `CONFIG GET` value, or `None` when the server refuses `CONFIG` or has no such parameter.
    async fn config(&self, connection: &mut ConnectionManager, parameter: &str) -> Result<Option<String>, StoreError> {
        let get = redis::cmd("CONFIG").arg("GET").arg(parameter).clone();
        match self.bounded(get.query_async::<Vec<String>>(connection)).await {
            Ok(pair) => Ok(pair.into_iter().nth(1)),
            Err(err) if refused(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Runs one Redis operation within the operation timeout.
    async fn bounded<T>(&self, operation: impl Future<Output = Result<T, RedisError>>) -> Result<T, StoreError> {
        bounded(self.operation_timeout, operation).await
    }

    async fn claim_key(&self, key: DeliveryKey) -> Result<StoreClaim, StoreError> {
        let name = format!("{}{}", self.prefix, key.to_hex());
        let token = claim_token();
        let deadline = Instant::now() + self.in_flight_wait;
        let mut pause = Duration::from_millis(10);
        let mut connection = self.connection.clone();
        loop {
            let set =
                redis::cmd("SET").arg(&name).arg(&token).arg("NX").arg("PX").arg(millis(self.in_flight_ttl)).clone();
            let claimed: Option<String> = match self.bounded(set.query_async(&mut connection)).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    // Given up on, the SET may still land once a stalled server answers again: release
                    // this claim's token right after it, so it does not block the body for the in-flight
                    // time.
                    spawn_release(self.clone(), name, token);
                    return Err(err);
                }
            };
            if claimed.is_some() {
                let claimed = RedisClaimed { store: self.clone(), name, token, finished: false };
                return Ok(StoreClaim::Claimed(Box::new(claimed)));
            }
            let held: Option<String> = self.bounded(redis::cmd("GET").arg(&name).query_async(&mut connection)).await?;
            match held.as_deref() {
                Some(HANDLED) => return Ok(StoreClaim::Handled),
                // Released or expired between the two commands: claim it again at once.
                None => continue,
                Some(_) => {}
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(StoreClaim::InFlight);
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }
}

impl DuplicateStore for RedisStore {
    fn claim(&self, key: DeliveryKey) -> BoxFuture<'_, Result<StoreClaim, StoreError>> {
        Box::pin(self.claim_key(key))
    }
}

/// A key this replica holds in Redis. Dropping it unfinished releases the key in a background task.
struct RedisClaimed {
    store: RedisStore,
    name: String,
    token: String,
    finished: bool,
}

impl ClaimedKey for RedisClaimed {
    fn handled(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        self.finished = true;
        let (store, name, token) =
            (self.store.clone(), std::mem::take(&mut self.name), std::mem::take(&mut self.token));
        Box::pin(async move {
            let mut connection = store.connection.clone();
            let mut complete = COMPLETE.key(&name);
            complete.arg(&token).arg(millis(store.ttl));
            match store.bounded(complete.invoke_async::<i64>(&mut connection)).await? {
                1 => Ok(()),
                _ => Err(StoreError::ClaimLost),
            }
        })
    }
}

impl Drop for RedisClaimed {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        spawn_release(self.store.clone(), std::mem::take(&mut self.name), std::mem::take(&mut self.token));
    }
}

/// Deletes `name` in a background task if it still holds `token`. The script goes out on the store's
/// connection after every command sent before it (a multiplexed connection keeps their order), so it
/// also catches a claim whose answer never came. It waits for Redis up to the in-flight time, after which
/// the claim has expired anyway, and is sent again while the connection breaks.
fn spawn_release(store: RedisStore, name: String, token: String) {
    // Outside a runtime nothing can be sent; the claim then expires after the in-flight time.
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let deadline = Instant::now() + store.in_flight_ttl;
        let mut pause = Duration::from_millis(50);
        loop {
            let mut connection = store.connection.clone();
            let mut release = RELEASE.key(&name);
            release.arg(&token);
            let left = deadline.saturating_duration_since(Instant::now());
            let err = match bounded(left, release.invoke_async::<i64>(&mut connection)).await {
                Ok(_) => return,
                Err(err) => err,
            };
            if Instant::now() + pause >= deadline {
                tracing::warn!(error = %ErrorChain(&err), in_flight_ttl = ?store.in_flight_ttl, "could not release a claim in Redis; it expires after the in-flight time");
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    });
}

/// What a Redis server keeps across its own restart, as [`RedisStore::persistence`] read it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisPersistence {
    /// Whether the append-only file is on (`aof_enabled` of `INFO persistence`); `None` when the server
    /// did not say.
    pub append_only: Option<bool>,
    /// How often the append-only file is flushed to disk (`always`, `everysec` or `no`); `None` when the
    /// server does not allow `CONFIG`.
    pub append_fsync: Option<String>,
    /// The RDB snapshot schedule (`save`, empty when snapshots are off); `None` when the server does not
    /// allow `CONFIG`.
    pub rdb_save: Option<String>,
}

impl RedisPersistence {
    /// Whether handled keys survive a restart of Redis (all but the last second or so with
    /// `appendfsync everysec`): the append-only file is on. `None` when the server did not say.
    pub fn keeps_handled_keys(&self) -> Option<bool> {
        self.append_only
    }

    /// What to tell the operator, if anything: why duplicates may run again after a restart of Redis.
    fn advice(&self) -> Option<&'static str> {
        match (self.append_only, self.append_fsync.as_deref(), self.rdb_save.as_deref()) {
            (Some(false), _, Some("")) => Some(
                "Redis persists nothing (appendonly no, no RDB snapshots): after a restart of Redis, retries of deliveries handled before it run their handler again; set appendonly yes (appendfsync everysec or always)",
            ),
            (Some(false), _, _) => Some(
                "Redis keeps no append-only file (appendonly no): after a restart of Redis, retries of deliveries handled since its last RDB snapshot run their handler again; set appendonly yes (appendfsync everysec or always)",
            ),
            (Some(true), Some("no"), _) => Some(
                "Redis flushes its append-only file when the OS does (appendfsync no): a crash of its machine can lose about 30 s of handled deliveries, whose retries then run their handler again; set appendfsync everysec or always",
            ),
            _ => None,
        }
    }
}

/// Reads the server's persistence at connect (again while it cannot be reached, for a while) and logs a
/// warning when handled keys would not survive a restart of Redis.
async fn warn_without_persistence(store: RedisStore) {
    let mut pause = Duration::from_secs(1);
    for _ in 0..10 {
        match store.persistence().await {
            Ok(persistence) => {
                match persistence.advice() {
                    Some(advice) => tracing::warn!(prefix = %store.prefix, ?persistence, "{advice}"),
                    None if persistence.append_only.is_none() => {
                        tracing::debug!("Redis does not say whether it persists its keys (INFO persistence refused)");
                    }
                    None => {}
                }
                return;
            }
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// A field of an `INFO` answer (`name:value` lines).
fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
}

/// Whether the server answered with an error (a command renamed, disabled or denied by an ACL), rather
/// than not at all.
fn refused(err: &StoreError) -> bool {
    match err {
        StoreError::Backend(source) => source.downcast_ref::<RedisError>().is_some_and(|err| err.code().is_some()),
        _ => false,
    }
}

async fn bounded<T>(
    timeout: Duration,
    operation: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, operation).await {
        Ok(result) => result.map_err(backend),
        Err(_) => Err(StoreError::Timeout(timeout)),
    }
}

fn backend(err: RedisError) -> StoreError {
    StoreError::Backend(Box::new(err))
}

/// Whole milliseconds, at least 1 (`PX 0` is an error).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A token unique to one claim across replicas: a random per-process part and a counter.
fn claim_token() -> String {
    static PROCESS: LazyLock<u64> = LazyLock::new(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos());
        hasher.finish()
    });
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("{:016x}{:016x}", *PROCESS, COUNTER.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Write;
    use std::net::{Ipv4Addr, SocketAddr};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::watch;

    #[test]
    fn claim_tokens_are_unique_and_never_the_handled_mark() {
        let (a, b) = (claim_token(), claim_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_ne!(a, HANDLED);
    }

    #[test]
    fn millis_is_never_zero() {
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_secs(2)), 2000);
    }

    #[test]
    fn info_fields_are_read_by_name() {
        let info = "# Persistence\r\nloading:0\r\naof_enabled:1\r\naof_rewrite_in_progress:0\r\n";
        assert_eq!(info_field(info, "aof_enabled"), Some("1"));
        assert_eq!(info_field(info, "aof"), None);
        assert_eq!(info_field(info, "rdb_changes_since_last_save"), None);
    }

    fn persistence(append_only: Option<bool>, append_fsync: Option<&str>, rdb_save: Option<&str>) -> RedisPersistence {
        RedisPersistence {
            append_only,
            append_fsync: append_fsync.map(str::to_owned),
            rdb_save: rdb_save.map(str::to_owned),
        }
    }

    #[test]
    fn advice_names_what_a_restart_of_redis_loses() {
        let nothing = persistence(Some(false), Some("everysec"), Some("")).advice().expect("a warning");
        assert!(nothing.contains("persists nothing") && nothing.contains("appendonly yes"), "{nothing}");
        let rdb = persistence(Some(false), None, None).advice().expect("a warning");
        assert!(rdb.contains("since its last RDB snapshot"), "{rdb}");
        let os = persistence(Some(true), Some("no"), None).advice().expect("a warning");
        assert!(os.contains("appendfsync everysec or always"), "{os}");
        for kept in [persistence(Some(true), Some("everysec"), Some("")), persistence(Some(true), None, None)] {
            assert_eq!(kept.advice(), None, "{kept:?}");
            assert_eq!(kept.keeps_handled_keys(), Some(true));
        }
        assert_eq!(persistence(None, None, None).advice(), None);
    }

    /// The Redis server the tests use (`REDIS_URL`), said once per test binary past the harness's capture, so a run
    /// shows which server it talked to.
    fn redis_url() -> String {
        static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        URL.get_or_init(|| {
            let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
            let _ = writeln!(std::io::stderr(), "these tests use the Redis server at {url} (REDIS_URL)");
            url
        })
        .clone()
    }

    /// Prints (past the test harness's capture) why `test` is skipped, or fails it when `REQUIRE_REDIS=1`.
    fn skip(test: &str, reason: &str) {
        if std::env::var("REQUIRE_REDIS").is_ok_and(|value| value == "1") {
            panic!("{test}: {reason} (REQUIRE_REDIS=1 makes this a failure)");
        }
        let _ = writeln!(std::io::stderr(), "skipped duplicates::redis::{test}: {reason}");
    }

    /// A key prefix no other test or run uses.
    fn unique_prefix(test: &str) -> String {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        format!("test:{test}:{}:{nanos}:", std::process::id())
    }

    /// A store on `url` whose server answers, or `None` (after printing why) when it does not.
    async fn answering_store(test: &str, url: &str) -> Option<RedisStore> {
        let store = match RedisStore::connect(url).await {
            Ok(store) => store,
            Err(err) => {
                skip(test, &format!("REDIS_URL `{url}` is not usable: {}", ErrorChain(&err)));
                return None;
            }
        };
        if let Err(err) = store.ping().await {
            skip(test, &format!("no Redis answers at {url} ({}); set REDIS_URL to a Redis server", ErrorChain(&err)));
            return None;
        }
        Some(store)
    }

    /// `url` with its host and port replaced by `address` (the user, password and database kept).
    fn via(url: &str, address: SocketAddr) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let user = authority.rsplit_once('@').map_or(String::new(), |(user, _)| format!("{user}@"));
        format!("{scheme}://{user}{address}/{path}")
    }

    /// A TCP proxy on a loopback port that holds every byte either way while paused: a stalled Redis, as
    /// the store sees it, without pausing the shared server.
    struct StallingProxy {
        address: SocketAddr,
        paused: watch::Sender<bool>,
    }

    impl StallingProxy {
        async fn start(upstream: SocketAddr) -> Self {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("a loopback port");
            let address = listener.local_addr().expect("its address");
            let (paused, watching) = watch::channel(false);
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let ((from_client, to_client), (from_server, to_server)) =
                        (client.into_split(), server.into_split());
                    tokio::spawn(Self::forward(from_client, to_server, watching.clone()));
                    tokio::spawn(Self::forward(from_server, to_client, watching.clone()));
                }
            });
            Self { address, paused }
        }

        async fn forward(
            mut from: tokio::net::tcp::OwnedReadHalf,
            mut to: tokio::net::tcp::OwnedWriteHalf,
            mut paused: watch::Receiver<bool>,
        ) {
            let mut buffer = vec![0; 16 * 1024];
            loop {
                let read = match from.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => read,
                };
                if paused.wait_for(|paused| !paused).await.is_err() || to.write_all(&buffer[..read]).await.is_err() {
                    return;
                }
            }
        }

        fn pause(&self, paused: bool) {
            self.paused.send_replace(paused);
        }
    }

    #[tokio::test]
    async fn a_claim_given_up_on_in_a_stall_is_released_when_it_lands() {
        let test = "a_claim_given_up_on_in_a_stall_is_released_when_it_lands";
        let url = redis_url();
        let Some(direct) = answering_store(test, &url).await else { return };
        let upstream = match redis::Client::open(url.as_str()).map(|client| client.get_connection_info().addr().clone())
        {
            Ok(redis::ConnectionAddr::Tcp(host, port)) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .ok()
                .and_then(|mut addresses| addresses.next())
                .expect("the Redis host resolves"),
            _ => return skip(test, &format!("REDIS_URL `{url}` is not plain TCP")),
        };
        let proxy = StallingProxy::start(upstream).await;
        let prefix = unique_prefix(test);
        let store = RedisStore::connect(&via(&url, proxy.address))
            .await
            .expect("a store")
            .prefix(prefix.clone())
            .operation_timeout(Duration::from_millis(300));
        store.ping().await.expect("Redis answers through the proxy");
        let key = DeliveryKey::of(b"a delivery claimed during a stall");
        let name = format!("{prefix}{}", key.to_hex());

        // Redis stalls: the claim is given up on, but its SET is on its way.
        proxy.pause(true);
        assert!(matches!(store.claim(key).await, Err(StoreError::Timeout(_))));
        // Redis answers again: the SET lands (a PING sent after it is answered after it) ...
        proxy.pause(false);
        store.ping().await.expect("Redis answers again");
        // ... and the release sent after it deletes the key, instead of the claim holding the body for the
        // in-flight time (30 s). PTTL is -2 for a key that does not exist.
        let mut connection = direct.connection.clone();
        let mut ttl = 0;
        for _ in 0..100 {
            ttl = redis::cmd("PTTL").arg(&name).query_async::<i64>(&mut connection).await.expect("PTTL");
            if ttl == -2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(ttl, -2, "the stalled claim still holds the key, for {ttl} ms more");
        // A retry of the same delivery is handled.
        let retry = store.clone().in_flight_wait(Duration::ZERO).claim(key).await;
        let Ok(StoreClaim::Claimed(claimed)) = retry else { panic!("the retry is claimed: {retry:?}") };
        assert!(claimed.handled().await.is_ok());
    }

    #[tokio::test]
    async fn persistence_is_read_from_the_shared_redis() {
        let test = "persistence_is_read_from_the_shared_redis";
        let Some(store) = answering_store(test, &redis_url()).await else { return };
        let read = store.persistence().await.expect("the settings");
        let mut connection = store.connection.clone();
        let info: String = redis::cmd("INFO").arg("persistence").query_async(&mut connection).await.expect("INFO");
        assert_eq!(read.append_only, Some(info.contains("aof_enabled:1")), "{info}");
        assert!(read.append_fsync.is_some() && read.rdb_save.is_some(), "{read:?}");
        // This machine's Redis runs without persistence, so the store warns at connect.
        if read.append_only == Some(false) {
            assert_eq!(read.keeps_handled_keys(), Some(false));
            assert!(read.advice().is_some_and(|advice| advice.contains("appendonly yes")), "{read:?}");
        }
    }

    /// What the runtime logs while a test runs (on the test's thread, so in tasks of its runtime too).
    #[derive(Clone, Default)]
    struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Logs {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
        }
    }

    impl Write for Logs {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn connecting_to_a_redis_without_persistence_logs_a_warning() {
        let test = "connecting_to_a_redis_without_persistence_logs_a_warning";
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let Some(store) = answering_store(test, &redis_url()).await else { return };
        let mut connection = store.connection.clone();
        let info: String = redis::cmd("INFO").arg("persistence").query_async(&mut connection).await.expect("INFO");
        if !info.contains("aof_enabled:0") {
            let _ =
                writeln!(std::io::stderr(), "duplicates::redis::{test}: the shared Redis keeps an append-only file");
            return;
        }
        // The check runs in the background after connect, and retries after a pause when Redis does not
        // answer within the operation timeout (as on a loaded machine); give it up to 30 s.
        for _ in 0..1500 {
            if logs.text().contains("appendonly yes") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let text = logs.text();
        assert!(text.contains("WARN") && text.contains("appendonly no") && text.contains("appendonly yes"), "{text}");
    }

    /// A `redis-server` of a test's own on a free port, with its files in a folder of its own; stopped,
    /// and the folder removed, when dropped.
    struct OwnRedis {
        child: Child,
        port: u16,
        dir: PathBuf,
    }

    impl OwnRedis {
        fn start(test: &str, args: &[&str]) -> Option<Self> {
            let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .expect("a free port")
                .port();
            let dir = std::env::temp_dir().join(format!("{test}-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a folder for the server's files");
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
                .arg(&dir)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            match child {
                Ok(child) => Some(Self { child, port, dir }),
                Err(err) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    skip(test, &format!("cannot run `redis-server` ({err}); install it (Debian: redis-server)"));
                    None
                }
            }
        }

        /// A store on it, once it answers (10 s at most).
        async fn store(&self) -> RedisStore {
            let store = RedisStore::connect(&format!("redis://127.0.0.1:{}/", self.port)).await.expect("a store");
            for _ in 0..200 {
                if store.ping().await.is_ok() {
                    return store;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("redis-server on port {} did not answer within 10 s", self.port);
        }
    }

    impl Drop for OwnRedis {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[tokio::test]
    async fn persistence_is_read_without_config_where_the_server_refuses_it() {
        let test = "persistence_is_read_without_config_where_the_server_refuses_it";
        let args = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--rename-command", "CONFIG", ""];
        let Some(redis) = OwnRedis::start(test, &args) else { return };
        let read = redis.store().await.persistence().await.expect("the settings, without CONFIG");
        assert_eq!(read, persistence(Some(true), None, None));
        assert_eq!(read.keeps_handled_keys(), Some(true));
        assert_eq!(read.advice(), None);
    }
}
