//! The example checker of `cargo xtask conformance`, copied into a scratch copy of the generated crate as
//! `src/bin/conformance_check/main.rs` (with `protocol.rs` beside it) and run there. Not compiled as part
//! of xtask.
//!
//! Usage: `conformance_check <examples.jsonl> [first index]`. The file holds one
//! [`protocol::ExampleLine`] per line, so a line that cannot be read fails alone. Each example from the
//! first index (counted from 0) on is parsed with its module's `from_named`, written back with
//! `serde_json::to_value` and compared with the example; one [`protocol::CheckLine`] per example goes to
//! stdout.
//!
//! The input comes from user specs, so nothing here unwraps it.

mod protocol;

use std::process::ExitCode;

use protocol::{CheckLine, ExampleLine, Outcome};
use zoom_webhooks::{AnyEvent, MODULES};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: conformance_check <examples.jsonl> [first index]");
        return ExitCode::from(2);
    };
    let first = match args.next().map(|arg| arg.to_string_lossy().parse::<usize>()) {
        None => 0,
        Some(Ok(first)) => first,
        Some(Err(err)) => {
            eprintln!("conformance_check: the first index is not a number: {err}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("conformance_check: {}: {err}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    for (index, line) in text.lines().enumerate().skip(first) {
        let outcome = match serde_json::from_str::<ExampleLine>(line) {
            Ok(example) => check(&example),
            Err(err) => Outcome::BadInput { error: err.to_string() },
        };
        match serde_json::to_string(&CheckLine { index, outcome }) {
            Ok(line) => println!("{line}"),
            Err(err) => eprintln!("conformance_check: cannot write the result of example {index}: {err}"),
        }
    }
    ExitCode::SUCCESS
}

/// Checks one example.
fn check(example: &ExampleLine) -> Outcome {
    let Some(module) = MODULES.iter().find(|module| module.name == example.module) else {
        return Outcome::NoModule;
    };
    let body = match serde_json::to_vec(&example.value) {
        Ok(body) => match &example.form_field {
            Some(field) => url_encoded_form(field, &body),
            None => body,
        },
        Err(err) => return Outcome::SerializeError { error: err.to_string() },
    };
    let parsed = match (module.from_named)(&example.event, &body) {
        Ok(AnyEvent::Unknown(_)) => return Outcome::Unknown,
        Ok(parsed) => parsed,
        Err(err) => return Outcome::ParseError { error: err.to_string() },
    };
    if parsed.module() != Some(module.name) || parsed.name() != example.event {
        return Outcome::Misrouted {
            module: parsed.module().map(str::to_owned),
            event: Some(parsed.name().to_owned()),
        };
    }
    match serde_json::to_value(&parsed) {
        Ok(actual) if actual == example.value => Outcome::Ok,
        Ok(actual) => Outcome::Mismatch { actual },
        Err(err) => Outcome::SerializeError { error: err.to_string() },
    }
}

/// An `application/x-www-form-urlencoded` body with one field, `field`, holding `value`.
fn url_encoded_form(field: &str, value: &[u8]) -> Vec<u8> {
    let mut body = percent_encoded(field.as_bytes());
    body.push(b'=');
    body.extend(percent_encoded(value));
    body
}

/// `bytes` with every byte but ASCII letters, digits and `-._~` percent-encoded.
fn percent_encoded(bytes: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::with_capacity(bytes.len() * 3);
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte);
        } else {
            encoded.extend_from_slice(format!("%{byte:02X}").as_bytes());
        }
    }
    encoded
}
