//! The duplicate filter on a real Redis, shared by several replicas of the receiver: a burst delivered to
//! two replicas at once, Redis stopped and restarted mid-run, a replica killed while it holds a claim, and
//! claims completed or released only by their owner.
//!
//! Needs a Redis server: `REDIS_URL` (default `redis://127.0.0.1:6379/`) for the shared one, and the
//! `redis-server` command for the tests that stop and start their own. Without them each test prints why
//! it is skipped and passes, unless `REQUIRE_REDIS=1` (as in CI), which turns every skip into a failure.
//! `cargo test -p zoom-webhooks --features redis --test redis_store`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Client, Recorder, SECRET, cnam_body, deliver, serve};
use hyper::StatusCode;
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::{
    DeliveryKey, DuplicateFilter, DuplicateStore, RedisStore, StoreClaim, StoreError, StoreFailure,
};
use zoom_webhooks::number_management;

/// Zoom's budget for an answer.
const BUDGET: Duration = Duration::from_secs(3);

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
    let _ = writeln!(std::io::stderr(), "skipped redis_store::{test}: {reason}");
}

/// An error and its sources, separated by `: `.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(&format!(": {next}"));
        source = next.source();
    }
    text
}

/// A key prefix no other test or run uses, so tests share one Redis without seeing each other's keys.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("test:{test}:{}:{nanos}:", std::process::id())
}

/// A store on the shared Redis (default prefix), or `None` (after printing why) when none answers.
async fn shared_store(test: &str) -> Option<RedisStore> {
    let url = redis_url();
    let store = match RedisStore::connect(&url).await {
        Ok(store) => store,
        Err(err) => {
            skip(test, &format!("REDIS_URL `{url}` is not usable: {}", chain(&err)));
            return None;
        }
    };
    if let Err(err) = store.ping().await {
        skip(test, &format!("no Redis answers at {url} ({}); set REDIS_URL to a Redis server", chain(&err)));
        return None;
    }
    Some(store)
}

/// A receiver of Number Management events recorded by `recorder`, with `filter`, served on loopback.
async fn replica(recorder: &Recorder, filter: DuplicateFilter) -> SocketAddr {
    let receiver = Receiver::new(SECRET).route(number_management::route(recorder.clone())).duplicate_filter(filter);
    serve(axum::Router::new().route(common::PATH, receiver.into_method_router())).await
}

/// Sends `body` on `client`, or `None` if it is not answered within Zoom's budget.
async fn within_budget(client: &mut Client, body: &[u8]) -> Option<StatusCode> {
    tokio::time::timeout(BUDGET, client.deliver(body)).await.ok().map(|answer| answer.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_handle_each_distinct_body_once() {
    const DISTINCT: u64 = 1_000;
    const REPEATS: u64 = 300;
    const PAIRS: u64 = 25;
    let test = "two_replicas_handle_each_distinct_body_once";
    let Some(store_a) = shared_store(test).await else { return };
    let prefix = unique_prefix(test);
    let store_a = store_a.prefix(prefix.clone());
    // The second replica has its own connection, on the same server and prefix.
    let store_b = RedisStore::connect(&redis_url()).await.expect("the second replica's store").prefix(prefix);
    let (recorder_a, recorder_b) = (Recorder::default(), Recorder::default());
    let a = replica(&recorder_a, DuplicateFilter::with_store(store_a)).await;
    let b = replica(&recorder_b, DuplicateFilter::with_store(store_b)).await;

    // Each distinct delivery to both replicas at once, from PAIRS pairs of keep-alive connections.
    let workers: Vec<_> = (0..PAIRS)
        .map(|worker| {
            tokio::spawn(async move {
                let (mut to_a, mut to_b) = (Client::connect(a).await, Client::connect(b).await);
                let mut answers = Vec::new();
                for id in (worker..DISTINCT).step_by(PAIRS as usize) {
                    let body = cnam_body(id, "ACME");
                    let (at_a, at_b) = tokio::join!(within_budget(&mut to_a, &body), within_budget(&mut to_b, &body));
                    answers.push((id, at_a, at_b));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.expect("worker"));
    }
    assert_eq!(answers.len() as u64, DISTINCT);
    for (id, at_a, at_b) in &answers {
        // 200 (handled, or a duplicate of the other replica's), or 409 (still in flight there): Zoom retries.
        for answer in [at_a, at_b] {
            assert!(
                matches!(answer, Some(StatusCode::OK | StatusCode::CONFLICT)),
                "delivery {id}: {answer:?} (None: not answered within 3 s)"
            );
        }
        assert!(
            at_a == &Some(StatusCode::OK) || at_b == &Some(StatusCode::OK),
            "delivery {id}: neither replica handled it"
        );
    }
    let handled = |id: u64| recorder_a.count(id as i64) + recorder_b.count(id as i64);
    let not_once: Vec<_> = (0..DISTINCT).filter(|&id| handled(id) != 1).map(|id| (id, handled(id))).collect();
    assert!(
        not_once.is_empty(),
        "{} bodies not handled exactly once; the first (id, times): {:?}",
        not_once.len(),
        &not_once[..not_once.len().min(10)]
    );
    assert!(recorder_a.total() > 0 && recorder_b.total() > 0, "both replicas handled some");

    // Zoom's retries, later, to either replica: answered 200 without running a handler again.
    let (mut to_a, mut to_b) = (Client::connect(a).await, Client::connect(b).await);
    for id in 0..REPEATS {
        let client = if id % 2 == 0 { &mut to_a } else { &mut to_b };
        assert_eq!(within_budget(client, &cnam_body(id * 3, "ACME")).await, Some(StatusCode::OK), "repeat of {id}");
    }
    assert_eq!(recorder_a.total() + recorder_b.total(), DISTINCT as usize, "a repeat reached a handler");
}

#[tokio::test]
async fn claims_are_completed_and_released_only_by_their_owner() {
    let test = "claims_are_completed_and_released_only_by_their_owner";
    let Some(store) = shared_store(test).await else { return };
    let store = store.prefix(unique_prefix(test));
    let short = store.clone().in_flight_ttl(Duration::from_millis(200)).in_flight_wait(Duration::ZERO);
    let key = DeliveryKey::of(b"a delivery");
    let claim = |store: &RedisStore| {
        let store = store.clone();
        async move { store.claim(key).await }
    };

    let Ok(StoreClaim::Claimed(first)) = claim(&short).await else { panic!("the first claim holds the key") };
    assert!(matches!(claim(&short).await, Ok(StoreClaim::InFlight)));
    // The first holder stalls past its in-flight time; a later delivery takes the key over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let Ok(StoreClaim::Claimed(second)) = claim(&store.clone().in_flight_wait(Duration::ZERO)).await else {
        panic!("an expired claim is taken over")
    };
    // The stale holder can neither complete nor release the new claim.
    assert!(matches!(first.handled().await, Err(StoreError::ClaimLost)));
    assert!(matches!(claim(&short).await, Ok(StoreClaim::InFlight)), "the new claim still holds the key");
    // The new holder fails (its claim is dropped): the key is released for the next delivery.
    drop(second);
    let mut next = None;
    for _ in 0..100 {
        match claim(&short).await {
            Ok(StoreClaim::Claimed(claimed)) => {
                next = Some(claimed);
                break;
            }
            Ok(StoreClaim::InFlight) => tokio::time::sleep(Duration::from_millis(20)).await,
            other => panic!("unexpected {other:?}"),
        }
    }
    let next = next.expect("the released key is claimed again within 2 s");
    assert!(next.handled().await.is_ok());
    assert!(matches!(claim(&short).await, Ok(StoreClaim::Handled)));
}

/// A `redis-server` of a test's own on a free port, stopped when dropped.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    /// Starts one on a free port, or `None` (after printing why) when `redis-server` is not installed.
    fn start(test: &str) -> Option<Self> {
        let port = match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()) {
            Ok(address) => address.port(),
            Err(err) => panic!("no free port: {err}"),
        };
        let mut redis = Self { port, child: None };
        if let Err(err) = redis.restart() {
            skip(test, &format!("cannot run `redis-server` ({err}); install it (Debian: redis-server)"));
            return None;
        }
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server (again) on its port, with nothing persisted.
    fn restart(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits (10 s at most) until the server answers `store`'s ping.
    async fn answers(&self, store: &RedisStore) {
        for _ in 0..200 {
            if store.ping().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {} did not answer within 10 s", self.port);
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn redis_stopped_mid_run_follows_the_policy_and_service_resumes() {
    let Some(mut redis) = OwnRedis::start("redis_stopped_mid_run_follows_the_policy_and_service_resumes") else {
        return;
    };
    let store = RedisStore::connect(&redis.url()).await.expect("a store").operation_timeout(Duration::from_millis(300));
    redis.answers(&store).await;
    let (closed_log, open_log) = (Recorder::default(), Recorder::default());
    let closed = replica(&closed_log, DuplicateFilter::with_store(store.clone())).await;
    let open =
        replica(&open_log, DuplicateFilter::with_store(store.clone()).on_store_failure(StoreFailure::FailOpen)).await;
    let mut to_closed = Client::connect(closed).await;
    let mut to_open = Client::connect(open).await;

    // Redis up: handled once, the repeat is a duplicate.
    assert_eq!(within_budget(&mut to_closed, &cnam_body(1, "ACME")).await, Some(StatusCode::OK));
    assert_eq!(within_budget(&mut to_closed, &cnam_body(1, "ACME")).await, Some(StatusCode::OK));
    assert_eq!(closed_log.count(1), 1);

    redis.stop();
    for round in 0..3 {
        // Fail closed: 503 within the budget, the handler is not run, so Zoom's retry is not lost.
        let answer = within_budget(&mut to_closed, &cnam_body(2, "ACME")).await;
        assert_eq!(answer, Some(StatusCode::SERVICE_UNAVAILABLE), "round {round}");
        // Fail open: handled without duplicate filtering, so the repeat runs the handler again.
        assert_eq!(within_budget(&mut to_open, &cnam_body(3, "ACME")).await, Some(StatusCode::OK), "round {round}");
    }
    assert_eq!(closed_log.count(2), 0, "failing closed runs no handler");
    assert_eq!(open_log.count(3), 3, "failing open handles every delivery");

    // Redis back (empty, nothing was persisted): both replicas filter again, on the same connections.
    redis.restart().expect("restart redis-server");
    redis.answers(&store).await;
    for replica_client in [&mut to_closed, &mut to_open] {
        assert_eq!(within_budget(replica_client, &cnam_body(4, "ACME")).await, Some(StatusCode::OK));
    }
    assert_eq!(closed_log.count(4) + open_log.count(4), 1, "one replica handles it, the other finds a duplicate");
    assert_eq!(within_budget(&mut to_closed, &cnam_body(2, "ACME")).await, Some(StatusCode::OK));
    assert_eq!(closed_log.count(2), 1, "the delivery refused while Redis was down is handled on retry");
}

/// The environment variable that makes [`replica_process`] run: the key prefix of its store.
const REPLICA_PREFIX: &str = "REDIS_STORE_TEST_REPLICA_PREFIX";

/// A handler that announces each delivery on stdout and then never finishes, so the replica holds its
/// claim until it is killed.
struct Stuck;

impl number_management::Handler for Stuck {
    type Error = std::convert::Infallible;

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: number_management::NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Self::Error> {
        println!("replica: handling {}", event.event_ts);
        std::future::pending::<()>().await;
        Ok(())
    }
}

/// A replica in a process of its own, started by [`a_replica_killed_while_holding_a_claim`]: it prints its
/// address and serves until it is killed. Ignored when run directly.
#[tokio::test]
#[ignore = "a child process of a_replica_killed_while_holding_a_claim"]
async fn replica_process() {
    let Ok(prefix) = std::env::var(REPLICA_PREFIX) else { return };
    let store = RedisStore::connect(&redis_url()).await.expect("a store");
    let store = store.prefix(prefix).in_flight_ttl(Duration::from_secs(3));
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(Stuck))
        .duplicate_filter(DuplicateFilter::with_store(store));
    let address = serve(axum::Router::new().route(common::PATH, receiver.into_method_router())).await;
    println!("replica: listening {address}");
    std::future::pending::<()>().await;
}

/// Kills the child process when dropped, so a failing test leaves none behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_replica_killed_while_holding_a_claim() {
    let test = "a_replica_killed_while_holding_a_claim";
    let Some(store) = shared_store(test).await else { return };
    let prefix = unique_prefix(test);
    let exe = std::env::current_exe().expect("the test binary");
    let child = Command::new(exe)
        .args(["--exact", "replica_process", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(REPLICA_PREFIX, &prefix)
        .env("REDIS_URL", redis_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the replica process");
    let mut child = Killed(child);
    let stdout = child.0.stdout.take().expect("the replica's stdout");
    let (lines, mut replica_said) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // The harness may print `test replica_process ... ` on the same line first.
            if let Some(at) = line.find("replica: ") {
                let _ = lines.send(line[at + "replica: ".len()..].to_owned());
            }
        }
    });
    let mut next_line =
        async || tokio::time::timeout(Duration::from_secs(30), replica_said.recv()).await.ok().flatten();
    let address: SocketAddr = next_line()
        .await
        .and_then(|line| line.strip_prefix("listening ")?.parse().ok())
        .expect("the replica process prints its address");

    // The replica claims the body and its handler hangs; then the replica is killed (no release).
    let body = cnam_body(7, "ACME");
    let hanging = tokio::spawn({
        let body = body.clone();
        async move { deliver(address, &body).await }
    });
    assert_eq!(next_line().await.as_deref(), Some("handling 7"));
    child.0.kill().expect("kill the replica");
    let _ = child.0.wait();
    hanging.abort();

    // Another replica: the dead one's claim still holds the body, so it answers 409 (Zoom retries) ...
    let recorder = Recorder::default();
    let survivor =
        replica(&recorder, DuplicateFilter::with_store(store.prefix(prefix).in_flight_wait(Duration::ZERO))).await;
    let mut client = Client::connect(survivor).await;
    assert_eq!(within_budget(&mut client, &body).await, Some(StatusCode::CONFLICT));
    assert_eq!(recorder.count(7), 0);
    // ... until the claim's in-flight time (3 s) runs out; then a later delivery handles it, once.
    let mut answers = Vec::new();
    for _ in 0..40 {
        let answer = within_budget(&mut client, &body).await;
        answers.push(answer);
        if answer == Some(StatusCode::OK) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(answers.last(), Some(&Some(StatusCode::OK)), "answers after the kill: {answers:?}");
    assert!(answers.iter().rev().skip(1).all(|answer| *answer == Some(StatusCode::CONFLICT)), "{answers:?}");
    assert_eq!(recorder.count(7), 1);
    assert_eq!(within_budget(&mut client, &body).await, Some(StatusCode::OK));
    assert_eq!(recorder.count(7), 1, "handled once, then a duplicate");
}
