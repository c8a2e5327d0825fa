//! Parsing throughput of `Event::from_slice` and `dispatch` against two baselines on the same bytes:
//!
//! - the floor, `serde_json::from_slice::<T>` with the right payload type `T` (a caller that already
//!   knows which webhook the body is); target: at least 0.9x its throughput;
//! - a Value-first dispatcher: `serde_json::from_slice::<Value>`, read `event`, then
//!   `serde_json::from_value::<T>`; target: at least 1.5x its throughput.
//!
//! Payloads: the two examples of `specs/number_management.yaml` (small), a large emergency-address
//! delivery built from the same schema (a full address and 5,000 phone numbers, generated
//! deterministically), and, for information only, the small example with `event` as its last property
//! (the two-pass path of `from_slice`).
//!
//! Also, without a target: the module's route (`Route::dispatch`, as a receiver calls it) alone and inside
//! a `Received::scope` (what a receiver and a worker add to give handlers the raw body), each against
//! `dispatch` called directly, in the same rounds.
//!
//! `cargo bench -p zoom-webhooks --bench dispatch` (`SAMPLES` and `SAMPLE_MS` in the environment change the
//! number of samples and the length of each). All candidates run in turn within each sample round; the
//! table shows the median throughput of each and the median of the per-round ratios.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use serde_json::Value;
use zoom_webhooks::number_management::{
    self, Event, Handler, NumberManagementPeeringNumberCnamUpdated,
    NumberManagementPeeringNumberEmergencyAddressUpdated,
};
use zoom_webhooks::{Received, Route, UnknownEvent};

const EMERGENCY: &str = "number_management.peering_number_emergency_address_updated";
const CNAM: &str = "number_management.peering_number_cnam_updated";

/// `#/webhooks/number_management.peering_number_emergency_address_updated/.../example`, as Zoom sends it.
const EMERGENCY_EXAMPLE: &str = r#"{"event":"number_management.peering_number_emergency_address_updated","event_ts":1619155436400,"payload":{"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","object":{"emergency_address":{"country":"US","address_line1":"55 ALMADEN BLVD","address_line2":"13F","city":"SAN JOSE","zip":"95113","state_code":"CA"},"carrier_code":3457,"phone_numbers":["+18008001000"]}}}"#;
/// `#/webhooks/number_management.peering_number_cnam_updated/.../example`.
const CNAM_EXAMPLE: &str = r#"{"event":"number_management.peering_number_cnam_updated","event_ts":1619155436400,"payload":{"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","object":{"cnam":"ZOOM VIDEO","carrier_code":3457,"phone_numbers":["+18008001000"]}}}"#;
/// The emergency-address example with `event` moved to the end.
const EMERGENCY_EVENT_LAST: &str = r#"{"event_ts":1619155436400,"payload":{"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","object":{"emergency_address":{"country":"US","address_line1":"55 ALMADEN BLVD","address_line2":"13F","city":"SAN JOSE","zip":"95113","state_code":"CA"},"carrier_code":3457,"phone_numbers":["+18008001000"]}},"event":"number_management.peering_number_emergency_address_updated"}"#;

/// A large emergency-address delivery: a full address and `count` distinct E.164 numbers.
fn large_emergency(count: u64) -> String {
    let numbers: Vec<String> = (0..count)
        // A fixed permutation of 7-digit subscriber numbers, so the numbers look unordered but never vary.
        .map(|i| format!("\"+1800{:07}\"", (i * 7_919 + 1_000) % 10_000_000))
        .collect();
    format!(
        r#"{{"event":"{EMERGENCY}","event_ts":1619155436400,"payload":{{"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","object":{{"emergency_address":{{"country":"US","address_line1":"55 ALMADEN BLVD","address_line2":"13F, Suite 1300 (reception on 12F)","city":"SAN JOSE","zip":"95113","state_code":"CA"}},"carrier_code":3457,"phone_numbers":[{}]}}}}}}"#,
        numbers.join(",")
    )
}

/// Accepts every event and does nothing (every method keeps its default).
struct NoOp;

impl Handler for NoOp {
    type Error = Infallible;
}

/// Polls a future that never waits (the no-op handler's) to completion.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// The dispatcher many hand-written receivers use: the whole body as a `Value`, then the typed payload.
fn value_first(body: &[u8]) -> Result<Event, serde_json::Error> {
    let value: Value = serde_json::from_slice(body)?;
    let name = value.get("event").and_then(Value::as_str).unwrap_or_default();
    Ok(match name {
        EMERGENCY => Event::NumberManagementPeeringNumberEmergencyAddressUpdated(serde_json::from_value(value)?),
        CNAM => Event::NumberManagementPeeringNumberCnamUpdated(serde_json::from_value(value)?),
        _ => Event::Unknown(UnknownEvent { name: name.to_owned(), body: value }),
    })
}

/// The floor: the caller knows the payload type.
fn typed(event: &str, body: &[u8]) -> bool {
    if event == EMERGENCY {
        black_box(serde_json::from_slice::<NumberManagementPeeringNumberEmergencyAddressUpdated>(body)).is_ok()
    } else {
        black_box(serde_json::from_slice::<NumberManagementPeeringNumberCnamUpdated>(body)).is_ok()
    }
}

/// At least this share of the floor's throughput.
const FLOOR_TARGET: f64 = 0.9;
/// At least this multiple of the Value-first dispatcher's throughput.
const VALUE_FIRST_TARGET: f64 = 1.5;

const CANDIDATES: [&str; 6] = [
    "Event::from_slice",
    "dispatch (no-op handler)",
    "floor: from_slice::<T>",
    "Value-first",
    "Route::dispatch",
    "Route::dispatch in a scope",
];

/// What the candidates run on: the body, the module's route, and the body shared as a receiver holds it
/// (in a `Received`, whose body a new one shares).
struct Input<'a> {
    event: &'static str,
    body: &'a [u8],
    shared: Received,
    route: Route,
}

fn run(candidate: usize, input: &Input<'_>) -> bool {
    let body = black_box(input.body);
    match candidate {
        0 => black_box(Event::from_slice(body)).is_ok(),
        1 => black_box(block_on(number_management::dispatch(&NoOp, body))).is_ok(),
        2 => typed(input.event, body),
        3 => black_box(value_first(body)).is_ok(),
        4 => black_box(block_on(input.route.dispatch(input.event, body))).is_ok(),
        _ => {
            // As the receiver does per delivery: the delivery's `Received`, then the route inside its scope.
            let received = Received::new(input.event, black_box(&input.shared).body().clone());
            black_box(block_on(received.scope(input.route.dispatch(input.event, body)))).is_ok()
        }
    }
}

/// Runs `candidate` `iterations` times; the time per run.
fn time(candidate: usize, input: &Input<'_>, iterations: u64) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        assert!(run(candidate, input), "{} failed", CANDIDATES[candidate]);
    }
    started.elapsed().as_secs_f64() / iterations as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn bench(label: &str, event: &'static str, body: &[u8], samples: usize, sample_time: Duration) -> Ratios {
    let input =
        Input { event, body, shared: Received::new(event, body.to_vec()), route: number_management::route(NoOp) };
    // Calibrate on the slowest candidate so every sample of every candidate lasts about `sample_time`
    // (this also warms the caches and the allocator up).
    let slowest = (0..CANDIDATES.len())
        .map(|candidate| {
            let mut iterations = 1;
            loop {
                let per_run = time(candidate, &input, iterations);
                if per_run * iterations as f64 >= sample_time.as_secs_f64() / 4.0 {
                    break per_run;
                }
                iterations *= 2;
            }
        })
        .fold(0.0, f64::max);
    let iterations = ((sample_time.as_secs_f64() / slowest) as u64).max(1);
    let rounds: Vec<[f64; CANDIDATES.len()]> =
        (0..samples).map(|_| std::array::from_fn(|candidate| time(candidate, &input, iterations))).collect();
    let per_run: Vec<f64> = (0..CANDIDATES.len()).map(|c| median(rounds.iter().map(|r| r[c]).collect())).collect();
    // Ratios of throughputs, paired within each round (the machine's state is the same for both).
    let ratio = |c: usize, base: usize| median(rounds.iter().map(|r| r[base] / r[c]).collect());

    println!("{label}: {} bytes, {iterations} runs x {samples} samples", body.len());
    println!(
        "  {:<26} {:>10} {:>12} {:>10} {:>14} {:>12}",
        "", "MB/s", "deliveries/s", "vs floor", "vs Value-first", "vs dispatch"
    );
    for (candidate, name) in CANDIDATES.iter().enumerate() {
        let seconds = per_run[candidate];
        let throughput = format!("{:10.1} {:12.0}", body.len() as f64 / seconds / 1e6, 1.0 / seconds);
        let ratios = match candidate {
            0 | 1 => format!("{:9.2}x {:13.2}x", ratio(candidate, 2), ratio(candidate, 3)),
            2 => format!("{:>10} {:13.2}x", "1", ratio(2, 3)),
            3 => format!("{:9.2}x {:>14}", ratio(3, 2), "1"),
            _ => format!("{:9.2}x {:13.2}x {:11.2}x", ratio(candidate, 2), ratio(candidate, 3), ratio(candidate, 1)),
        };
        println!("  {name:<26} {throughput} {ratios}");
    }
    Ratios { from_slice: [ratio(0, 2), ratio(0, 3)], dispatch: [ratio(1, 2), ratio(1, 3)], floor: ratio(2, 3) }
}

/// Throughput ratios of one payload: against the floor, then against Value-first.
struct Ratios {
    from_slice: [f64; 2],
    dispatch: [f64; 2],
    /// The floor against Value-first: the most any parser of these types can reach on this payload.
    floor: f64,
}

fn main() {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let samples = env("SAMPLES", 15).max(1) as usize;
    let sample_time = Duration::from_millis(env("SAMPLE_MS", 40).max(1));
    let large = large_emergency(5_000);
    println!(
        "dispatch: targets from_slice and dispatch >= 0.9x the floor and >= 1.5x Value-first; medians of {samples} samples"
    );
    let mut missed = Vec::new();
    for (label, event, body, checked) in [
        ("small: emergency_address_updated example", EMERGENCY, EMERGENCY_EXAMPLE, true),
        ("small: cnam_updated example", CNAM, CNAM_EXAMPLE, true),
        ("large: emergency_address_updated, 5,000 numbers", EMERGENCY, large.as_str(), true),
        ("small, `event` last (two-pass path; no target)", EMERGENCY, EMERGENCY_EVENT_LAST, false),
    ] {
        let ratios = bench(label, event, body.as_bytes(), samples, sample_time);
        if checked {
            for (what, value, target) in [
                ("Event::from_slice vs floor", ratios.from_slice[0], FLOOR_TARGET),
                ("Event::from_slice vs Value-first", ratios.from_slice[1], VALUE_FIRST_TARGET),
                ("dispatch vs floor", ratios.dispatch[0], FLOOR_TARGET),
                ("dispatch vs Value-first", ratios.dispatch[1], VALUE_FIRST_TARGET),
            ] {
                if value < target {
                    let mut line = format!("{label}: {what} {value:.2}x < {target}x");
                    if target == VALUE_FIRST_TARGET && ratios.floor < target {
                        line.push_str(&format!(
                            " (out of reach: the floor itself is {:.2}x Value-first)",
                            ratios.floor
                        ));
                    }
                    missed.push(line);
                }
            }
        }
        println!();
    }
    if missed.is_empty() {
        println!("all targets met");
    } else {
        println!("targets missed:");
        for line in missed {
            println!("  {line}");
        }
    }
}
