//! The example checker of `cargo xtask conformance`, copied into a scratch copy of the generated crate as
//! `src/bin/conformance_check.rs` and run there. Not compiled as part of xtask.
//!
//! Usage: `conformance_check <examples.jsonl> [first index]`. The file holds one JSON object per line,
//! `{"module", "event", "pointer", "value"}`, so a line that cannot be read fails alone. Each example
//! from the first index (counted from 0) on is parsed with its module's `from_named`, written back with
//! `serde_json::to_value` and compared with the example. One JSON line per example goes to stdout:
//! `{"index": N, "outcome": "ok"}`, or an outcome of `parse_error` (with `error`), `unknown`,
//! `misrouted` (with `module` and `event`), `mismatch` (with `actual`), `serialize_error` (with
//! `error`), `no_module` or `bad_input` (with `error`).
//!
//! The input comes from user specs, so nothing here unwraps it.

use std::process::ExitCode;

use serde_json::{Value, json};
use zoom_webhooks::{AnyEvent, MODULES};

/// One example to check.
#[derive(serde::Deserialize)]
struct Example {
    /// The Rust module name.
    module: String,
    /// The webhook name.
    event: String,
    /// The example payload.
    value: Value,
}

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
        let mut line = match serde_json::from_str::<Example>(line) {
            Ok(example) => check(&example),
            Err(err) => json!({ "outcome": "bad_input", "error": err.to_string() }),
        };
        if let Some(object) = line.as_object_mut() {
            object.insert("index".to_owned(), json!(index));
        }
        println!("{line}");
    }
    ExitCode::SUCCESS
}

/// Checks one example; the outcome as a JSON object (without its index).
fn check(example: &Example) -> Value {
    let Some(module) = MODULES.iter().find(|module| module.name == example.module) else {
        return json!({ "outcome": "no_module" });
    };
    let body = match serde_json::to_vec(&example.value) {
        Ok(body) => body,
        Err(err) => return json!({ "outcome": "serialize_error", "error": err.to_string() }),
    };
    let parsed = match (module.from_named)(&example.event, &body) {
        Ok(AnyEvent::Unknown(_)) => return json!({ "outcome": "unknown" }),
        Ok(parsed) => parsed,
        Err(err) => return json!({ "outcome": "parse_error", "error": err.to_string() }),
    };
    if parsed.module() != Some(module.name) || parsed.name() != example.event {
        return json!({ "outcome": "misrouted", "module": parsed.module(), "event": parsed.name() });
    }
    match serde_json::to_value(&parsed) {
        Ok(actual) if actual == example.value => json!({ "outcome": "ok" }),
        Ok(actual) => json!({ "outcome": "mismatch", "actual": actual }),
        Err(err) => json!({ "outcome": "serialize_error", "error": err.to_string() }),
    }
}
