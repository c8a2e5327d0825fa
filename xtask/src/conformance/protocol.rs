//! What `cargo xtask conformance` and its example checker say to each other: one JSON line per example
//! each way. Compiled into xtask and, copied beside `checker.rs`, into the checker, so both sides read
//! and write the same types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One example for the checker, a line of its input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleLine {
    /// The Rust module name.
    pub module: String,
    /// The webhook name.
    pub event: String,
    /// Where the example is in its spec, for messages.
    pub pointer: String,
    /// The example payload.
    pub value: Value,
    /// The form field that carries the payload's JSON when the webhook is posted as a form: the checker
    /// then sends the example url-encoded in that field, as the vendor posts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_field: Option<String>,
}

/// The checker's result for one example, a line of its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckLine {
    /// The example's line in the input file, counted from 0.
    pub index: usize,
    /// What became of it.
    pub outcome: Outcome,
}

/// What became of one example. Externally tagged, so reading it back needs no buffering of the line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It parsed with its module's `from_named` and wrote back to the same JSON.
    Ok,
    /// `from_named` rejected it.
    ParseError {
        /// The parse error, naming the failing field's path.
        error: String,
    },
    /// `from_named` did not know the event (`AnyEvent::Unknown`).
    Unknown,
    /// It parsed as another module's or another event's delivery.
    Misrouted {
        /// The module it parsed as.
        module: Option<String>,
        /// The event it parsed as.
        event: Option<String>,
    },
    /// It parsed, but wrote back to other JSON.
    Mismatch {
        /// What it wrote back.
        actual: Value,
    },
    /// Writing it back failed.
    SerializeError {
        /// The serializer's error.
        error: String,
    },
    /// No module of the crate has its module name.
    NoModule,
    /// Its input line could not be read.
    BadInput {
        /// Why.
        error: String,
    },
}
