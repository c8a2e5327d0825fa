//! Load on loopback: 20,000 distinct signed deliveries (plus every tenth again, as Zoom re-delivers) over
//! 64 keep-alive connections to the axum receiver with the duplicate filter on. Checks that every
//! delivery is answered 200 and each distinct one reaches the handler exactly once, and prints the rate.
//!
//! `cargo bench -p zoom-webhooks --features axum --bench receiver_load` (`DELIVERIES` and `CONNECTIONS`
//! in the environment change the sizes).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::Instant;

use common::{Client, Recorder, SECRET, cnam_body, serve};
use hyper::StatusCode;
use zoom_webhooks::axum::{DuplicateFilter, Receiver};
use zoom_webhooks::number_management;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let deliveries = env_or("DELIVERIES", 20_000);
    let connections = env_or("CONNECTIONS", 64).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(deliveries, connections))
}

async fn run(deliveries: u64, connections: u64) -> ExitCode {
    let recorder = Recorder::default();
    let receiver = Receiver::new(SECRET)
        .route(number_management::route(recorder.clone()))
        .duplicate_filter(DuplicateFilter::default());
    let address = serve(axum::Router::new().route(common::PATH, receiver.into_method_router())).await;

    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            tokio::spawn(async move {
                let mut client = Client::connect(address).await;
                let (mut ok, mut other) = (0u64, Vec::new());
                for id in (worker..deliveries).step_by(connections as usize) {
                    let body = cnam_body(id, "ACME");
                    let repeats = if id % 10 == 0 { 2 } else { 1 };
                    for _ in 0..repeats {
                        let status = client.deliver(&body).await.status;
                        if status == StatusCode::OK {
                            ok += 1;
                        } else {
                            other.push((id, status));
                        }
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
    let elapsed = started.elapsed();

    let sent = deliveries + deliveries.div_ceil(10);
    let handled = recorder.total() as u64;
    let exactly_once = (0..deliveries).filter(|&id| recorder.count(id as i64) == 1).count() as u64;
    println!(
        "receiver_load: {sent} requests ({deliveries} distinct deliveries, {} repeated) over {connections} connections",
        deliveries.div_ceil(10)
    );
    println!(
        "receiver_load: {ok} answered 200, {} otherwise, {handled} handler calls, {exactly_once} distinct deliveries handled exactly once",
        other.len()
    );
    println!("receiver_load: {:.2} s, {:.0} requests/s", elapsed.as_secs_f64(), sent as f64 / elapsed.as_secs_f64());
    if ok == sent && other.is_empty() && handled == deliveries && exactly_once == deliveries {
        ExitCode::SUCCESS
    } else {
        eprintln!("receiver_load: FAILED; first other answers: {:?}", &other[..other.len().min(10)]);
        ExitCode::FAILURE
    }
}
