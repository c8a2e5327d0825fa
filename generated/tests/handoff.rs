//! The hand-off end to end, with a worker killed mid-run: a receiver in hand-off mode behind a real TCP
//! listener publishes to NATS JetStream; the `worker` example, built and run as a process of its own,
//! handles the stream and prints a `handled` line per delivery. 2,000 distinct signed deliveries come from
//! 16 concurrent clients; once the worker has handled a few hundred it is killed (SIGKILL) and a new one
//! started. Every delivery answered 200 must be handled, none lost; the deliveries handled twice are
//! counted: with duplicates filtered only in the worker's memory (lost with it) they are printed, with the
//! Redis store shared by both workers there must be none.
//!
//! Needs a NATS server with JetStream at `NATS_URL` (default `nats://127.0.0.1:4222`) and, for the second
//! test, a Redis at `REDIS_URL` (default `redis://127.0.0.1:6379/`). Without them each test prints why it
//! is skipped and passes, unless `REQUIRE_NATS=1` / `REQUIRE_REDIS=1` (as in CI) make that a failure.
//! `cargo test -p zoom-webhooks --features nats,redis --test handoff -- --nocapture` shows the counts.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Client, Recorder, SECRET, cnam_body, jetstream_api};
use hyper::StatusCode;
use zoom_webhooks::axum::{DeliveryKey, Receiver};
use zoom_webhooks::nats::{DEFAULT_CONSUMER, JetStreamSink};
use zoom_webhooks::number_management;

/// Distinct deliveries per run.
const DELIVERIES: usize = 2_000;
/// Concurrent clients sending them, each on its own keep-alive connection.
const CLIENTS: usize = 16;
/// The first worker is killed once it has printed this many `handled` lines.
const KILL_AFTER: usize = 300;
/// The workers' ack wait: how soon JetStream redelivers what the killed worker held.
const ACK_WAIT_SECS: u64 = 2;
/// How long the workers may take to handle everything, kill and redeliveries included.
const DEADLINE: Duration = Duration::from_secs(180);

fn nats_url() -> String {
    std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// Prints (past the test harness's capture) why `test` is skipped, or fails it when `require` is set to 1.
fn skip(test: &str, require: &str, reason: &str) {
    if std::env::var(require).is_ok_and(|value| value == "1") {
        panic!("{test}: {reason} ({require}=1 makes this a failure)");
    }
    let _ = writeln!(std::io::stderr(), "skipped {test}: {reason}");
}

/// Whether a NATS server with JetStream answers at `url`; skips `test` (or fails it) when not.
async fn nats_answers(test: &str, url: &str) -> bool {
    match jetstream_api(url, "$JS.API.INFO", "").await {
        Ok(_) => true,
        Err(err) => {
            skip(test, "REQUIRE_NATS", &format!("no NATS server with JetStream at {url} ({err}) (set NATS_URL)"));
            false
        }
    }
}

/// Whether a Redis answers PING at `url`; skips `test` (or fails it) when not.
async fn redis_answers(test: &str, url: &str) -> bool {
    let store = match zoom_webhooks::axum::RedisStore::connect(url).await {
        Ok(store) => store,
        Err(err) => {
            skip(test, "REQUIRE_REDIS", &format!("REDIS_URL `{url}` is not usable ({err})"));
            return false;
        }
    };
    if let Err(err) = store.ping().await {
        skip(test, "REQUIRE_REDIS", &format!("no Redis answers at {url} ({err}); set REDIS_URL to a Redis server"));
        return false;
    }
    true
}

/// The `worker` example's binary, built once per test process with this test's feature set, so cargo
/// reuses the library this test was built with.
fn worker_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
            let output = Command::new(env!("CARGO"))
                .args(["build", "--example", "worker", "--features", "nats,redis,number_management"])
                .args(["--message-format", "json-render-diagnostics", "--manifest-path"])
                .arg(&manifest)
                .stderr(Stdio::inherit())
                .output()
                .expect("run cargo build");
            assert!(output.status.success(), "cargo build --example worker failed");
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "worker")
                .find_map(|message| message["executable"].as_str().map(PathBuf::from))
                .expect("cargo names the worker's executable")
        })
        .clone()
}

/// The `handled` lines the workers printed: how often each body (by SHA-256) was handled.
#[derive(Clone, Default)]
struct Handled(Arc<Mutex<HashMap<String, usize>>>);

impl Handled {
    fn total(&self) -> usize {
        self.0.lock().expect("lock").values().sum()
    }

    fn times(&self, sha256: &str) -> usize {
        self.0.lock().expect("lock").get(sha256).copied().unwrap_or(0)
    }

    fn more_than_once(&self) -> usize {
        self.0.lock().expect("lock").values().filter(|&&times| times > 1).count()
    }

    /// Counts `line` if it is a `handled` line; its SHA-256 is the `sha256=` field.
    fn read(&self, line: &str) {
        let mut words = line.split_whitespace();
        if !words.any(|word| word == "handled") {
            return;
        }
        let sha256 = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("sha256="))
            .map(|value| value.trim_matches('"').to_owned());
        if let Some(sha256) = sha256 {
            *self.0.lock().expect("lock").entry(sha256).or_default() += 1;
        }
    }
}

/// A `worker` example process, killed when dropped so a failing test leaves none behind.
struct WorkerProcess(Child);

impl WorkerProcess {
    /// Starts a worker on `stream` and `prefix` (with the Redis store when `redis` is set) whose `handled`
    /// lines go to `handled`.
    fn start(stream: &str, prefix: &str, redis: Option<&str>, handled: &Handled) -> Self {
        let mut command = Command::new(worker_binary());
        command
            .env("ZOOM_WEBHOOK_NATS_URL", nats_url())
            .env("ZOOM_WEBHOOK_NATS_STREAM", stream)
            .env("ZOOM_WEBHOOK_NATS_SUBJECT", prefix)
            .env("ZOOM_WEBHOOK_NATS_ACK_WAIT_SECS", ACK_WAIT_SECS.to_string())
            .env_remove("ZOOM_WEBHOOK_REDIS_URL")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(redis) = redis {
            command.env("ZOOM_WEBHOOK_REDIS_URL", redis);
        }
        let mut child = command.spawn().expect("start the worker example");
        let stdout = child.stdout.take().expect("the worker's stdout");
        let handled = handled.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                handled.read(&line);
            }
        });
        Self(child)
    }

    /// Whether the process is still running.
    fn running(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends SIGTERM to `worker` and waits (10 s at most) for it to exit; returns whether it exited cleanly.
async fn terminate(worker: &mut WorkerProcess) -> bool {
    let sent = Command::new("kill").args(["-TERM", &worker.0.id().to_string()]).status();
    assert!(sent.is_ok_and(|status| status.success()), "send SIGTERM to the worker");
    for _ in 0..200 {
        if let Ok(Some(status)) = worker.0.try_wait() {
            return status.success();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A name no other test or run uses.
fn unique(test: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{test}_{}_{nanos}", std::process::id())
}

/// One body per delivery of this run: distinct from each other and from every other run's.
fn bodies(run: &str) -> Vec<Vec<u8>> {
    (0..DELIVERIES as u64).map(|id| cnam_body(id, run)).collect()
}

/// Sends every body, from [`CLIENTS`] clients, retrying (as Zoom does) what is not answered 200, up to 5
/// times; returns the SHA-256 of each body answered 200 and the number of other answers seen.
async fn send_all(address: SocketAddr, bodies: Vec<Vec<u8>>) -> (Vec<String>, usize) {
    let bodies = Arc::new(bodies);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let bodies = Arc::clone(&bodies);
            tokio::spawn(async move {
                let mut connection = Client::connect(address).await;
                let (mut answered, mut refused) = (Vec::new(), 0);
                for body in bodies.iter().skip(client).step_by(CLIENTS) {
                    for _ in 0..5 {
                        if connection.deliver(body).await.status == StatusCode::OK {
                            answered.push(DeliveryKey::of(body).to_hex());
                            break;
                        }
                        refused += 1;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
                (answered, refused)
            })
        })
        .collect();
    let (mut answered, mut refused) = (Vec::new(), 0);
    for client in clients {
        let (client_answered, client_refused) = client.await.expect("client");
        answered.extend(client_answered);
        refused += client_refused;
    }
    (answered, refused)
}

/// The worker's consumer: messages not yet delivered and delivered but not acknowledged.
async fn consumer_backlog(url: &str, stream: &str) -> Result<(u64, u64), String> {
    let info = jetstream_api(url, &format!("$JS.API.CONSUMER.INFO.{stream}.{DEFAULT_CONSUMER}"), "").await?;
    let number = |field: &str| info[field].as_u64().ok_or_else(|| format!("no {field} in {info}"));
    Ok((number("num_pending")?, number("num_ack_pending")?))
}

/// How many dead letters the stream holds (messages on `<prefix>.dead.>`).
async fn dead_letters(url: &str, stream: &str, prefix: &str) -> u64 {
    let filter = format!("{{\"subjects_filter\":\"{prefix}.dead.>\"}}");
    let info = jetstream_api(url, &format!("$JS.API.STREAM.INFO.{stream}"), &filter).await.expect("stream info");
    info["state"]["subjects"].as_object().map_or(0, |subjects| subjects.values().filter_map(|n| n.as_u64()).sum())
}

/// Deletes the test's stream when dropped.
struct StreamCleanup(String);

impl Drop for StreamCleanup {
    fn drop(&mut self) {
        let (url, stream) = (nats_url(), self.0.clone());
        // The test's runtime may be panicking: delete from a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(jetstream_api(&url, &format!("$JS.API.STREAM.DELETE.{stream}"), "")).ok()
        })
        .join();
    }
}

/// One run: receiver in hand-off mode, a worker killed after [`KILL_AFTER`] deliveries, a second worker;
/// returns how many bodies were handled more than once.
async fn kill_a_worker_mid_run(test: &str, redis: Option<&str>) -> usize {
    // One run at a time: both runs load the same cores and server.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let url = nats_url();
    let name = unique(test);
    let (stream, prefix) = (name.to_uppercase(), name.replace('_', "-"));
    let sink = JetStreamSink::connect(&url).await.expect("connect to NATS").stream(stream.clone()).subject_prefix(prefix.clone());
    sink.ensure_stream().await.expect("create the test's stream");
    let _cleanup = StreamCleanup(stream.clone());
    // The routes name each delivery's module; in hand-off mode no handler runs here.
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET).route(number_management::route(recorder.clone())).hand_off(sink);
    let address = common::serve(axum::Router::new().route(common::PATH, receiver.into_method_router())).await;
    let builder = tokio::task::spawn_blocking(worker_binary);
    builder.await.expect("build the worker");

    let handled = Handled::default();
    let mut first = WorkerProcess::start(&stream, &prefix, redis, &handled);
    let sending = tokio::spawn(send_all(address, bodies(&name)));
    let started = Instant::now();
    while handled.total() < KILL_AFTER {
        assert!(first.running(), "the first worker exited early");
        assert!(started.elapsed() < DEADLINE, "the first worker handled {} in {DEADLINE:?}", handled.total());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.0.kill().expect("SIGKILL the first worker");
    let _ = first.0.wait();
    let at_kill = handled.total();
    let mut second = WorkerProcess::start(&stream, &prefix, redis, &handled);

    let (answered, refused) = sending.await.expect("the clients");
    println!(
        "{test}: {} of {DELIVERIES} deliveries answered 200 ({refused} answers other than 200, retried); the first worker was killed after {at_kill} handled",
        answered.len()
    );
    // Every delivery answered 200 is handled, and the consumer holds nothing unacknowledged, so no
    // further redelivery (and no further double) can come.
    loop {
        let missing = answered.iter().filter(|sha256| handled.times(sha256) == 0).count();
        let backlog = consumer_backlog(&url, &stream).await;
        if missing == 0 && backlog == Ok((0, 0)) {
            break;
        }
        assert!(second.running(), "the second worker exited");
        assert!(
            started.elapsed() < DEADLINE,
            "after {DEADLINE:?}: {missing} deliveries answered 200 but not handled; consumer backlog (pending, unacknowledged): {backlog:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered.len(), DELIVERIES, "every delivery is answered 200 within 5 tries");
    assert_eq!(recorder.total(), 0, "in hand-off mode the receiver runs no handler");
    assert_eq!(dead_letters(&url, &stream, &prefix).await, 0, "nothing was dead-lettered");
    assert!(terminate(&mut second).await, "the second worker exits cleanly on SIGTERM");
    let twice = handled.more_than_once();
    println!(
        "{test}: all {} handled at least once in {:.1} s ({} handled lines); handled more than once: {twice}",
        answered.len(),
        started.elapsed().as_secs_f64(),
        handled.total()
    );
    twice
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_loses_nothing_without_a_shared_store() {
    let test = "killed_worker_loses_nothing_without_a_shared_store";
    if !nats_answers(test, &nats_url()).await {
        return;
    }
    // Duplicates are filtered in each worker's memory: what the killed worker handled but had not
    // acknowledged is handled again by the second.
    let twice = kill_a_worker_mid_run(test, None).await;
    let _ = writeln!(std::io::stderr(), "{test}: {twice} deliveries handled twice (in-memory duplicate filter only)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_with_the_redis_store_handles_each_delivery_once() {
    let test = "killed_worker_with_the_redis_store_handles_each_delivery_once";
    let (url, redis) = (nats_url(), redis_url());
    if !nats_answers(test, &url).await || !redis_answers(test, &redis).await {
        return;
    }
    let twice = kill_a_worker_mid_run(test, Some(&redis)).await;
    assert_eq!(twice, 0, "with the Redis store no delivery is handled twice");
}
