//! The receiver in hand-off mode against the receiver that handles deliveries itself, on loopback, in the
//! same run: the same client sends distinct signed deliveries over 64 keep-alive connections to the
//! direct receiver (in-memory duplicate filter, a handler that records) and to a receiver handing each
//! delivery off to NATS JetStream (in-memory duplicate filter, 200 only after the server stored it), in
//! alternating rounds. Checks that every delivery is answered 200, each reaches the direct receiver's
//! handler once and the stream holds each handed-off one, and prints both rates, their ratio and the 99th
//! percentile of the time to answer for both.
//!
//! Needs a NATS server with JetStream at `NATS_URL` (default `nats://127.0.0.1:4222`); client, receiver
//! and server share the machine's cores.
//!
//! `cargo bench -p zoom-webhooks --features axum,nats --bench handoff_load` (`DELIVERIES`, `CONNECTIONS`
//! and `ROUNDS` in the environment change the sizes).

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Client, Recorder, SECRET, cnam_body, jetstream_api};
use hyper::StatusCode;
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::nats::JetStreamSink;
use zoom_webhooks::number_management;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let deliveries = env_or("DELIVERIES", 10_000);
    let connections = env_or("CONNECTIONS", 64).max(1);
    let rounds = env_or("ROUNDS", 3).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    if runtime.block_on(run(deliveries, connections, rounds)) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// One round's load on one receiver: time taken, answers 200, the first other answers, and each
/// request's time to answer.
struct Load {
    elapsed: Duration,
    ok: u64,
    other: Vec<(u64, StatusCode)>,
    latencies: Vec<Duration>,
}

impl Load {
    fn rate(&self, sent: u64) -> f64 {
        sent as f64 / self.elapsed.as_secs_f64()
    }

    /// The 99th percentile of the times to answer.
    fn p99(&mut self) -> Duration {
        self.latencies.sort();
        self.latencies.get(self.latencies.len() * 99 / 100).copied().unwrap_or_default()
    }
}

/// Sends deliveries `first_id..first_id + deliveries` (the body names `run`, so each bench run's are new)
/// to `address` over `connections` connections.
async fn load(address: SocketAddr, run: &str, first_id: u64, deliveries: u64, connections: u64) -> Load {
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let run = run.to_owned();
            tokio::spawn(async move {
                let mut client = Client::connect(address).await;
                let (mut ok, mut other, mut latencies) = (0u64, Vec::new(), Vec::new());
                for id in (first_id + worker..first_id + deliveries).step_by(connections as usize) {
                    let body = cnam_body(id, &run);
                    let sent = Instant::now();
                    let status = client.deliver(&body).await.status;
                    latencies.push(sent.elapsed());
                    if status == StatusCode::OK {
                        ok += 1;
                    } else if other.len() < 10 {
                        other.push((id, status));
                    }
                }
                (ok, other, latencies)
            })
        })
        .collect();
    let mut load = Load { elapsed: Duration::ZERO, ok: 0, other: Vec::new(), latencies: Vec::new() };
    for worker in workers {
        let (ok, other, latencies) = worker.await.expect("worker");
        load.ok += ok;
        load.other.extend(other);
        load.latencies.extend(latencies);
    }
    load.elapsed = started.elapsed();
    load
}

async fn run(deliveries: u64, connections: u64, rounds: u64) -> bool {
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    if let Err(err) = jetstream_api(&url, "$JS.API.INFO", "").await {
        eprintln!("handoff_load: no NATS server with JetStream at {url} ({err}); set NATS_URL");
        return false;
    }
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    let run = format!("handoff-load-{}-{nanos}", std::process::id());
    let stream = run.to_uppercase().replace('-', "_");
    let sink = match JetStreamSink::connect(&url).await {
        Ok(sink) => sink.stream(stream.clone()).subject_prefix(run.clone()),
        Err(err) => {
            eprintln!("handoff_load: cannot connect to {url}: {err}");
            return false;
        }
    };
    if let Err(err) = sink.ensure_stream().await {
        eprintln!("handoff_load: cannot create the stream {stream}: {err}");
        return false;
    }
    let passed = measure(&url, &stream, &run, sink, deliveries, connections, rounds).await;
    if let Err(err) = jetstream_api(&url, &format!("$JS.API.STREAM.DELETE.{stream}"), "").await {
        eprintln!("handoff_load: the stream {stream} is left behind: {err}");
    }
    passed
}

async fn measure(
    url: &str,
    stream: &str,
    run: &str,
    sink: JetStreamSink,
    deliveries: u64,
    connections: u64,
    rounds: u64,
) -> bool {
    let recorder = Recorder::default();
    let direct = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::default());
    let direct = common::serve(axum::Router::new().route(common::PATH, direct.into_method_router())).await;
    let unused = Recorder::default();
    let hand_off = Receiver::new(SECRET)
        .route(number_management::route(unused.clone()))
        .duplicate_filter(DuplicateFilter::default())
        .hand_off(sink);
    let hand_off = common::serve(axum::Router::new().route(common::PATH, hand_off.into_method_router())).await;

    println!(
        "handoff_load: {rounds} rounds of {deliveries} distinct deliveries over {connections} connections, to the direct receiver and to the receiver handing off to JetStream at {url}"
    );
    let mut passed = true;
    let (mut direct_rates, mut hand_off_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut direct_p99s, mut hand_off_p99s) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Distinct ids per receiver and round: the hand-off's stream drops repeats of a body.
        let first_id = 2 * round * deliveries;
        let mut direct_load = load(direct, run, first_id, deliveries, connections).await;
        let mut hand_off_load = load(hand_off, run, first_id + deliveries, deliveries, connections).await;
        let handled = (first_id..first_id + deliveries).filter(|&id| recorder.count(id as i64) == 1).count() as u64;
        let stored = stored(url, stream).await;
        let (direct_rate, hand_off_rate) = (direct_load.rate(deliveries), hand_off_load.rate(deliveries));
        let (direct_p99, hand_off_p99) = (direct_load.p99(), hand_off_load.p99());
        println!(
            "handoff_load: round {}: direct {direct_rate:.0} deliveries/s (p99 {:.1} ms, {} answered 200, {handled} handled once); hand-off {hand_off_rate:.0} deliveries/s (p99 {:.1} ms, {} answered 200, stream holds {stored:?}); ratio {:.2}x",
            round + 1,
            direct_p99.as_secs_f64() * 1e3,
            direct_load.ok,
            hand_off_p99.as_secs_f64() * 1e3,
            hand_off_load.ok,
            hand_off_rate / direct_rate
        );
        let expected_stored = (round + 1) * deliveries;
        if direct_load.ok != deliveries || handled != deliveries || !direct_load.other.is_empty() {
            eprintln!("handoff_load: FAILED (direct) in round {}: {:?}", round + 1, direct_load.other);
            passed = false;
        }
        if hand_off_load.ok != deliveries || stored != Some(expected_stored) || !hand_off_load.other.is_empty() {
            eprintln!(
                "handoff_load: FAILED (hand-off) in round {}: stream holds {stored:?}, expected {expected_stored}; {:?}",
                round + 1,
                hand_off_load.other
            );
            passed = false;
        }
        direct_rates.push(direct_rate);
        hand_off_rates.push(hand_off_rate);
        ratios.push(hand_off_rate / direct_rate);
        direct_p99s.push(direct_p99.as_secs_f64() * 1e3);
        hand_off_p99s.push(hand_off_p99.as_secs_f64() * 1e3);
    }
    if unused.total() != 0 {
        eprintln!("handoff_load: FAILED: the hand-off receiver ran a handler");
        passed = false;
    }
    println!(
        "handoff_load: median: direct {:.0} deliveries/s (p99 {:.1} ms), hand-off {:.0} deliveries/s (p99 {:.1} ms), hand-off / direct {:.2}x",
        median(&mut direct_rates),
        median(&mut direct_p99s),
        median(&mut hand_off_rates),
        median(&mut hand_off_p99s),
        median(&mut ratios)
    );
    passed
}

/// The number of messages the stream holds.
async fn stored(url: &str, stream: &str) -> Option<u64> {
    let info = jetstream_api(url, &format!("$JS.API.STREAM.INFO.{stream}"), "").await.ok()?;
    info["state"]["messages"].as_u64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
