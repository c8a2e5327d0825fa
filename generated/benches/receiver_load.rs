//! Load on loopback, against a floor measured in the same run: the same client sends the same requests
//! to a bare axum route that answers 200 without looking at them, and to the receiver with the duplicate
//! filter on. 20,000 distinct signed deliveries (plus every tenth again, as Zoom re-delivers) over 64
//! keep-alive connections, in alternating rounds. Checks that every delivery to the receiver is answered
//! 200 and each distinct one reaches the handler exactly once, and prints both rates and their ratio
//! (target: the receiver at 0.7x the bare route or better).
//!
//! With the `redis` feature and a Redis answering at `REDIS_URL` (default `redis://127.0.0.1:6379/`),
//! each round also loads a receiver whose duplicate filter is in Redis, and prints its rate as a ratio of
//! the in-memory filter's in the same round (target: 0.4x or better, with client, receiver and Redis on
//! the same cores). Without a Redis it says so and measures the rest.
//!
//! It also prints what a duplicate filter holding its default capacity (100,000 handled bodies) costs in
//! resident memory.
//!
//! `cargo bench -p zoom-webhooks --features redis --bench receiver_load` (`DELIVERIES`, `CONNECTIONS` and
//! `ROUNDS` in the environment change the sizes).

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use common::{Client, Recorder, SECRET, cnam_body, now, serve, signed};
use hyper::StatusCode;
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::number_management;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let deliveries = env_or("DELIVERIES", 20_000);
    let connections = env_or("CONNECTIONS", 64).max(1);
    let rounds = env_or("ROUNDS", 3).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let memory = runtime.block_on(filter_memory(DuplicateFilter::DEFAULT_CAPACITY as u64));
    let load = runtime.block_on(run(deliveries, connections, rounds));
    if memory && load { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The requests of one run: each distinct delivery once, every tenth twice.
fn requests(worker: u64, deliveries: u64, connections: u64) -> impl Iterator<Item = u64> {
    (worker..deliveries)
        .step_by(connections as usize)
        .flat_map(|id| std::iter::repeat_n(id, if id % 10 == 0 { 2 } else { 1 }))
}

/// Sends the deliveries of one run (ids offset by `first_id`, so each run's are new) to `address`; returns
/// the time taken, the number answered 200 and the first other answers.
async fn load(
    address: SocketAddr,
    first_id: u64,
    deliveries: u64,
    connections: u64,
) -> (Duration, u64, Vec<(u64, StatusCode)>) {
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            tokio::spawn(async move {
                let mut client = Client::connect(address).await;
                let (mut ok, mut other) = (0u64, Vec::new());
                for id in requests(worker, deliveries, connections) {
                    let status = client.deliver(&cnam_body(first_id + id, "ACME")).await.status;
                    if status == StatusCode::OK {
                        ok += 1;
                    } else if other.len() < 10 {
                        other.push((first_id + id, status));
                    }
                }
                (ok, other)
            })
        })
        .collect();
    let (mut ok, mut other) = (0u64, Vec::new());
    for worker in workers {
        let (worker_ok, worker_other) = worker.await.expect("worker");
        ok += worker_ok;
        other.extend(worker_other);
    }
    (started.elapsed(), ok, other)
}

async fn run(deliveries: u64, connections: u64, rounds: u64) -> bool {
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::default());
    let receiver = serve(axum::Router::new().route(common::PATH, receiver.into_method_router())).await;
    let bare = serve(axum::Router::new().route(common::PATH, axum::routing::post(|| async { StatusCode::OK }))).await;
    let redis_recorder = Recorder::default();
    let redis = redis_receiver(&redis_recorder).await;

    let sent = deliveries + deliveries.div_ceil(10);
    println!(
        "receiver_load: {rounds} rounds of {sent} requests ({deliveries} distinct deliveries, {} repeated) over {connections} connections, to a bare route and to the receiver",
        deliveries.div_ceil(10)
    );
    let mut passed = true;
    let (mut bare_rates, mut receiver_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut redis_rates, mut redis_ratios) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let first_id = round * deliveries;
        let (bare_time, bare_ok, _) = load(bare, first_id, deliveries, connections).await;
        let (receiver_time, ok, other) = load(receiver, first_id, deliveries, connections).await;
        let handled = (first_id..first_id + deliveries).map(|id| recorder.count(id as i64)).sum::<usize>() as u64;
        let once = (first_id..first_id + deliveries).filter(|&id| recorder.count(id as i64) == 1).count() as u64;
        let (bare_rate, receiver_rate) =
            (sent as f64 / bare_time.as_secs_f64(), sent as f64 / receiver_time.as_secs_f64());
        println!(
            "receiver_load: round {}: bare route {bare_rate:.0} requests/s ({bare_ok} answered 200); receiver {receiver_rate:.0} requests/s ({ok} answered 200, {handled} handler calls, {once} handled exactly once); ratio {:.2}x",
            round + 1,
            receiver_rate / bare_rate
        );
        if !(ok == sent && other.is_empty() && handled == deliveries && once == deliveries && bare_ok == sent) {
            eprintln!("receiver_load: FAILED in round {}; first other answers: {other:?}", round + 1);
            passed = false;
        }
        bare_rates.push(bare_rate);
        receiver_rates.push(receiver_rate);
        ratios.push(receiver_rate / bare_rate);
        if let Some(redis) = redis {
            let (redis_time, ok, other) = load(redis, first_id, deliveries, connections).await;
            let count = |id: u64| redis_recorder.count(id as i64);
            let handled = (first_id..first_id + deliveries).map(count).sum::<usize>() as u64;
            let once = (first_id..first_id + deliveries).filter(|&id| count(id) == 1).count() as u64;
            let redis_rate = sent as f64 / redis_time.as_secs_f64();
            println!(
                "receiver_load: round {}: receiver with the Redis store {redis_rate:.0} requests/s ({ok} answered 200, {handled} handler calls, {once} handled exactly once); ratio to the in-memory store {:.2}x",
                round + 1,
                redis_rate / receiver_rate
            );
            if !(ok == sent && other.is_empty() && handled == deliveries && once == deliveries) {
                eprintln!(
                    "receiver_load: FAILED with the Redis store in round {}; first other answers: {other:?}",
                    round + 1
                );
                passed = false;
            }
            redis_rates.push(redis_rate);
            redis_ratios.push(redis_rate / receiver_rate);
        }
    }
    println!(
        "receiver_load: median: bare route {:.0} requests/s, receiver {:.0} requests/s, receiver / bare route {:.2}x (target >= 0.70x)",
        median(&mut bare_rates),
        median(&mut receiver_rates),
        median(&mut ratios)
    );
    if !redis_rates.is_empty() {
        println!(
            "receiver_load: median: receiver with the Redis store {:.0} requests/s, Redis store / in-memory store {:.2}x (target >= 0.40x)",
            median(&mut redis_rates),
            median(&mut redis_ratios)
        );
    }
    passed
}

/// A receiver whose duplicate filter is in Redis (a fresh key prefix per run), or `None` when there is no
/// Redis to measure with.
#[cfg(feature = "redis")]
async fn redis_receiver(recorder: &Recorder) -> Option<SocketAddr> {
    use zoom_webhooks::duplicates::RedisStore;
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let store = match RedisStore::connect(&url).await {
        Ok(store) => store,
        Err(err) => {
            println!("receiver_load: no Redis store round: REDIS_URL `{url}` is not usable ({err})");
            return None;
        }
    };
    if let Err(err) = store.ping().await {
        println!("receiver_load: no Redis store round: no Redis answers at {url} ({err})");
        return None;
    }
    let prefix = format!("bench:receiver_load:{}:{}:", std::process::id(), now());
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::with_store(store.prefix(prefix)));
    Some(serve(axum::Router::new().route(common::PATH, receiver.into_method_router())).await)
}

#[cfg(not(feature = "redis"))]
async fn redis_receiver(_recorder: &Recorder) -> Option<SocketAddr> {
    println!("receiver_load: no Redis store round: built without the `redis` feature");
    None
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Fills a duplicate filter with `capacity` handled deliveries through `Receiver::receive` and prints how
/// much the process's resident memory grew.
async fn filter_memory(capacity: u64) -> bool {
    let filter = DuplicateFilter::default();
    let receiver = Receiver::new(SECRET).route(number_management::route(Accept)).duplicate_filter(filter.clone());
    let before = resident_bytes();
    let timestamp = now();
    for id in 0..capacity {
        let body = cnam_body(id, "ACME");
        let mut headers = HeaderMap::new();
        for (name, value) in signed(SECRET, timestamp, &body) {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                headers.insert(name, value);
            }
        }
        if receiver.receive(&headers, &body).await.status() != StatusCode::OK {
            eprintln!("receiver_load: a delivery filling the filter was refused");
            return false;
        }
    }
    let after = resident_bytes();
    match (before, after) {
        (Some(before), Some(after)) => println!(
            "receiver_load: a duplicate filter holding {} handled bodies: resident memory grew by {:.1} MB",
            filter.len(),
            after.saturating_sub(before) as f64 / 1e6
        ),
        _ => println!("receiver_load: resident memory is not readable on this system (/proc/self/statm)"),
    }
    filter.len() as u64 == capacity
}

/// Accepts every delivery and keeps nothing, so only the filter's memory is measured.
struct Accept;

impl number_management::Handler for Accept {
    type Error = std::convert::Infallible;
}

/// Resident memory of this process, from `/proc/self/statm` (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
