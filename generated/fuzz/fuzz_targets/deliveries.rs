//! Arbitrary bytes through everything a receiver does with a delivery: `Event::from_slice`,
//! `AnyEvent::from_slice`, `dispatch` and `dispatch_named`, and the signature check.
//!
//! The input is also split at its first two newlines into a timestamp, a signature and a body, so the
//! fuzzer reaches past the header checks; a body signed here must always verify.

#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use zoom_webhooks::number_management::{self, Handler};
use zoom_webhooks::signature::zoom::{self, Verifier};
use zoom_webhooks::AnyEvent;

const SECRET: &[u8] = b"fuzz-secret";

struct Accept;

impl Handler for Accept {
    type Error = std::convert::Infallible;
}

/// Runs a future whose handlers never wait (the default `Handler` methods).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let event = number_management::Event::from_slice(data);
    let any = AnyEvent::from_slice(data);
    assert_eq!(event.is_ok(), any.is_ok());
    let dispatched = block_on(number_management::dispatch(&Accept, data));
    assert_eq!(dispatched.is_ok(), event.is_ok());
    for name in number_management::EVENT_NAMES {
        let _ = block_on(number_management::dispatch_named(&Accept, name, data));
    }

    let mut parts = data.splitn(3, |&byte| byte == b'\n');
    let timestamp = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let signature = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_720_705_455);
    let verifier = Verifier::new(SECRET);
    let _ = verifier.verify(&timestamp, &signature, body, now);
    let _ = verifier.verify_headers(
        [(zoom::TIMESTAMP_HEADER, timestamp.as_bytes()), (zoom::SIGNATURE_HEADER, signature.as_bytes())],
        body,
        now,
    );
    let _ = zoom::verify(SECRET, &timestamp, &signature, data, now);
    // Zoom's timestamps are plain decimal digits (no sign), which is all `verify` accepts.
    let digits = !timestamp.is_empty() && timestamp.bytes().all(|byte| byte.is_ascii_digit());
    if let (true, Ok(sent)) = (digits, timestamp.parse::<u64>()) {
        let signed = verifier.sign(&timestamp, body);
        let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(sent));
        if let Some(at) = at {
            assert_eq!(verifier.verify(&timestamp, &signed, body, at), Ok(()));
        }
    }
});
