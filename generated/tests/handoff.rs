//! The hand-off end to end, with a worker killed mid-run: a receiver in hand-off mode behind a real TCP
//! listener publishes to NATS JetStream; the hand-off example's worker (`examples/zoom-handoff`), built
//! and run as a process of its own, handles the stream. 2,000 distinct signed deliveries come from 16 concurrent clients; once the worker
//! has printed a few hundred `handled` lines it is killed (SIGKILL) and a new one started. Every delivery
//! answered 200 must have been handled (its handler's own log line printed), none lost, nothing
//! dead-lettered, and the second worker must stop cleanly on SIGTERM. Run twice: with duplicates
//! filtered only in each worker's memory (lost with it), printing the bodies handled twice, and with the
//! Redis store shared by both workers, where no body may be recorded as handled (a `handled` line, printed
//! after the store's record) twice.
//!
//! Needs a NATS server with JetStream at `NATS_URL` (default `nats://127.0.0.1:4222`) and, for the second
//! test, a Redis at `REDIS_URL` (default `redis://127.0.0.1:6379/`). Without them each test prints why it
//! is skipped and passes, unless `REQUIRE_NATS=1` / `REQUIRE_REDIS=1` (as in CI) make that a failure.
//! `cargo test -p zoom-webhooks --no-default-features --features axum,nats,redis,number_management --test handoff -- --nocapture`
//! shows the counts.

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
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::DeliveryKey;
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

/// The NATS server the tests use (`NATS_URL`), said once per test binary past the harness's capture, so a run
/// shows which server it talked to.
fn nats_url() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
        let _ = writeln!(std::io::stderr(), "these tests use the NATS server at {url} (NATS_URL)");
        url
    })
    .clone()
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
    let store = match zoom_webhooks::duplicates::RedisStore::connect(url).await {
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

/// The hand-off example's worker (`examples/zoom-handoff`, binary `worker`), built once per test process.
/// The example crate asks only for the modules it handles (Meetings and Number Management), so the
/// build stays small whichever features this test was built with; cargo builds the runtime and this
/// crate once more for it when the example's features differ from this test's (about 20 s here).
fn worker_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/zoom-handoff/Cargo.toml");
            let output = Command::new(env!("CARGO"))
                .args(["build", "--bin", "worker", "--message-format", "json-render-diagnostics", "--manifest-path"])
                .arg(&manifest)
                .output()
                .expect("run cargo build");
            // Quiet unless it fails: cargo's progress would land in the middle of the test output.
            assert!(
                output.status.success(),
                "cargo build of the hand-off example's worker failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "worker")
                .find_map(|message| message["executable"].as_str().map(PathBuf::from))
                .expect("cargo names the worker's executable")
        })
        .clone()
}

/// What the workers printed: their `handled` lines, by the body's SHA-256, and the handler's own line
/// (`CNAM updated`, logged inside the handler), by `event_ts`, which tells a run's bodies apart. The
/// handler's line shows that the handler ran; the `handled` line comes after the worker recorded the body
/// as handled in its duplicate store, so a worker killed between the two prints only the first.
#[derive(Clone, Default)]
struct WorkerLogs(Arc<Mutex<Counts>>);

#[derive(Default)]
struct Counts {
    handled: HashMap<String, usize>,
    ran: HashMap<i64, usize>,
}

impl WorkerLogs {
    fn handled_total(&self) -> usize {
        self.0.lock().expect("lock").handled.values().sum()
    }

    fn handled(&self, sha256: &str) -> usize {
        self.0.lock().expect("lock").handled.get(sha256).copied().unwrap_or(0)
    }

    fn ran(&self, event_ts: i64) -> usize {
        self.0.lock().expect("lock").ran.get(&event_ts).copied().unwrap_or(0)
    }

    /// Counts `line` if it is a `handled` line (its `sha256=` field) or the handler's (its `event_ts=`).
    fn read(&self, line: &str) {
        let field = |name: &str| {
            line.split_whitespace().find_map(|word| word.strip_prefix(name)).map(|value| value.trim_matches('"'))
        };
        let mut counts = self.0.lock().expect("lock");
        if line.split_whitespace().any(|word| word == "handled") {
            if let Some(sha256) = field("sha256=") {
                *counts.handled.entry(sha256.to_owned()).or_default() += 1;
            }
        } else if line.contains("CNAM updated") {
            if let Some(event_ts) = field("event_ts=").and_then(|value| value.parse().ok()) {
                *counts.ran.entry(event_ts).or_default() += 1;
            }
        }
    }
}

/// A worker process of the hand-off example, killed when dropped so a failing test leaves none behind.
struct WorkerProcess(Child);

impl WorkerProcess {
    /// Starts a worker on `stream` and `prefix` (with the Redis store when `redis` is set) whose lines go
    /// to `logs`.
    fn start(stream: &str, prefix: &str, redis: Option<&str>, logs: &WorkerLogs) -> Self {
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
        let mut child = command.spawn().expect("start the hand-off example's worker");
        let stdout = child.stdout.take().expect("the worker's stdout");
        let logs = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                logs.read(&line);
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

/// One body per delivery of this run, by `event_ts`: distinct from each other and from every other run's.
fn bodies(run: &str) -> Vec<(i64, Vec<u8>)> {
    (0..DELIVERIES as i64).map(|event_ts| (event_ts, cnam_body(event_ts as u64, run))).collect()
}

/// Sends every body, from [`CLIENTS`] clients, retrying (as Zoom does) what is not answered 200, up to 5
/// times; returns the `event_ts` and SHA-256 of each body answered 200 and the number of other answers.
async fn send_all(address: SocketAddr, bodies: Vec<(i64, Vec<u8>)>) -> (Vec<(i64, String)>, usize) {
    let bodies = Arc::new(bodies);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let bodies = Arc::clone(&bodies);
            tokio::spawn(async move {
                let mut connection = Client::connect(address).await;
                let (mut answered, mut refused) = (Vec::new(), 0);
                for (event_ts, body) in bodies.iter().skip(client).step_by(CLIENTS) {
                    for _ in 0..5 {
                        if connection.deliver(body).await.status == StatusCode::OK {
                            answered.push((*event_ts, DeliveryKey::of(body).to_hex()));
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

/// What one run counted, over the deliveries answered 200.
struct Doubles {
    /// Bodies with more than one `handled` line: recorded as handled more than once.
    handled: usize,
    /// Bodies whose handler ran more than once.
    ran: usize,
}

/// One run: receiver in hand-off mode, a worker killed after [`KILL_AFTER`] deliveries, a second worker.
async fn kill_a_worker_mid_run(test: &str, redis: Option<&str>) -> Doubles {
    // One run at a time: both runs load the same cores and server.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let url = nats_url();
    let name = unique(test);
    let (stream, prefix) = (name.to_uppercase(), name.replace('_', "-"));
    let sink = JetStreamSink::connect(&url)
        .await
        .expect("connect to NATS")
        .stream(stream.clone())
        .subject_prefix(prefix.clone());
    sink.ensure_stream().await.expect("create the test's stream");
    let _cleanup = StreamCleanup(stream.clone());
    // The routes name each delivery's module; in hand-off mode no handler runs here.
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET).route(number_management::route(recorder.clone())).hand_off(sink);
    let address = common::serve(axum::Router::new().route(common::PATH, receiver.into_method_router())).await;
    tokio::task::spawn_blocking(worker_binary).await.expect("build the worker");

    let logs = WorkerLogs::default();
    let mut first = WorkerProcess::start(&stream, &prefix, redis, &logs);
    let sending = tokio::spawn(send_all(address, bodies(&name)));
    let started = Instant::now();
    while logs.handled_total() < KILL_AFTER {
        assert!(first.running(), "the first worker exited early");
        assert!(started.elapsed() < DEADLINE, "the first worker handled {} in {DEADLINE:?}", logs.handled_total());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.0.kill().expect("SIGKILL the first worker");
    let _ = first.0.wait();
    let at_kill = logs.handled_total();
    let mut second = WorkerProcess::start(&stream, &prefix, redis, &logs);

    let (answered, refused) = sending.await.expect("the clients");
    println!(
        "{test}: {} of {DELIVERIES} deliveries answered 200 ({refused} answers other than 200, retried); the first worker was killed after {at_kill} handled lines",
        answered.len()
    );
    // Every delivery answered 200 is handled, and the consumer holds nothing unacknowledged, so no
    // further redelivery (and no further double) can come.
    let mut settled_since: Option<Instant> = None;
    loop {
        let missing: Vec<_> = answered.iter().filter(|(event_ts, _)| logs.ran(*event_ts) == 0).collect();
        let backlog = consumer_backlog(&url, &stream).await;
        if missing.is_empty() && backlog == Ok((0, 0)) {
            break;
        }
        // Nothing left to deliver, yet a delivery's handler never ran: it was acknowledged unhandled.
        let settled = *settled_since.get_or_insert_with(Instant::now);
        if backlog != Ok((0, 0)) {
            settled_since = None;
        }
        assert!(
            backlog != Ok((0, 0)) || settled.elapsed() < Duration::from_secs(10),
            "{} deliveries answered 200 were acknowledged without their handler running; the first (event_ts, sha256, handled lines): {:?}",
            missing.len(),
            missing
                .iter()
                .take(5)
                .map(|(event_ts, sha256)| (event_ts, sha256, logs.handled(sha256)))
                .collect::<Vec<_>>()
        );
        assert!(second.running(), "the second worker exited");
        assert!(
            started.elapsed() < DEADLINE,
            "after {DEADLINE:?}: {} deliveries answered 200 but not handled; consumer backlog (pending, unacknowledged): {backlog:?}",
            missing.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered.len(), DELIVERIES, "every delivery is answered 200 within 5 tries");
    assert_eq!(recorder.total(), 0, "in hand-off mode the receiver runs no handler");
    assert_eq!(dead_letters(&url, &stream, &prefix).await, 0, "nothing was dead-lettered");
    assert!(terminate(&mut second).await, "the second worker exits cleanly on SIGTERM");
    let doubles = Doubles {
        handled: answered.iter().filter(|(_, sha256)| logs.handled(sha256) > 1).count(),
        ran: answered.iter().filter(|(event_ts, _)| logs.ran(*event_ts) > 1).count(),
    };
    let unrecorded = answered.iter().filter(|(_, sha256)| logs.handled(sha256) == 0).count();
    println!(
        "{test}: every delivery answered 200 was handled, in {:.1} s; {} handled lines; bodies with more than one handled line: {}; bodies whose handler ran more than once: {}; bodies handled without a handled line: {unrecorded}",
        started.elapsed().as_secs_f64(),
        logs.handled_total(),
        doubles.handled,
        doubles.ran
    );
    doubles
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_loses_nothing_without_a_shared_store() {
    let test = "killed_worker_loses_nothing_without_a_shared_store";
    if !nats_answers(test, &nats_url()).await {
        return;
    }
    // Duplicates are filtered in each worker's memory only: what the killed worker handled but had not
    // acknowledged is handled again by the second.
    let doubles = kill_a_worker_mid_run(test, None).await;
    let _ = writeln!(
        std::io::stderr(),
        "{test}: {} bodies handled twice, {} with two handled lines (in-memory duplicate filter only)",
        doubles.ran,
        doubles.handled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_with_the_redis_store_handles_each_delivery_once() {
    let test = "killed_worker_with_the_redis_store_handles_each_delivery_once";
    let (url, redis) = (nats_url(), redis_url());
    if !nats_answers(test, &url).await || !redis_answers(test, &redis).await {
        return;
    }
    let doubles = kill_a_worker_mid_run(test, Some(&redis)).await;
    assert_eq!(doubles.handled, 0, "with the Redis store no body is recorded as handled twice");
    // A handler can run again only when its worker died between the handler's return and the store's
    // record of it; printed, not asserted: the store cannot make a side effect and its record atomic.
    let _ = writeln!(
        std::io::stderr(),
        "{test}: {} bodies whose handler ran twice (killed between handler and record)",
        doubles.ran
    );
}
