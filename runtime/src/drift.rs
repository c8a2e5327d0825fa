//! Where a vendor's deliveries drift from its spec, counted while the receiver runs: a
//! [`DriftCollector`] takes the webhook name and the [`ParseError`] of each delivery that did not match
//! its schema, and gives counts per webhook and JSON path ([`DriftSnapshot`], serializable for a
//! metrics or admin endpoint). `webhook-codegen check` gives the same report offline, from captured
//! deliveries; the paths are written the same way.
//!
//! Plug it into the receiver's [`on_invalid`](crate::axum::Receiver::on_invalid) fallback (and the same
//! way into the NATS worker's `on_invalid`); the collector is a cheap handle to shared counts, so keep a
//! clone to read them:
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # fn main() {
//! use webhook_runtime::InvalidDelivery;
//! use webhook_runtime::axum::Receiver;
//! use webhook_runtime::drift::DriftCollector;
//!
//! let drift = DriftCollector::new();
//! let recorder = drift.clone();
//! let receiver = Receiver::new("secret").on_invalid(move |delivery: InvalidDelivery| {
//!     recorder.record_invalid(&delivery);
//!     // Keep the delivery too (a table, a folder): it is answered 200 and not sent again.
//!     async { Ok::<_, std::convert::Infallible>(()) }
//! });
//! // Later, from an admin route: `serde_json::to_string(&drift.snapshot())`.
//! let snapshot = drift.snapshot();
//! assert!(snapshot.webhooks.is_empty());
//! # }
//! # #[cfg(not(feature = "axum"))]
//! # fn main() {}
//! ```
//!
//! Memory is bounded: at most [`DriftCollector::with_max_keys`] distinct (webhook, path, kind) keys are
//! kept (1,024 by default); a delivery whose key would exceed it is counted in
//! [`DriftSnapshot::overflow`] only.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use crate::{InvalidDelivery, ParseError};

/// How many distinct (webhook, path, kind) keys a collector keeps unless told otherwise.
pub const DEFAULT_MAX_KEYS: usize = 1024;

/// The most characters of an error message kept as a key's example.
const MAX_EXAMPLE_CHARS: usize = 200;

/// What kind of difference a parse error shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A required property is absent (the path names the property).
    MissingField,
    /// A value of another type than the schema's, or out of its range.
    WrongType,
    /// A value a closed enum does not list (generated enums are open and keep unknown values; this is for
    /// hand-written types).
    UnknownEnumValue,
    /// The body is not JSON, not an object, or names no webhook.
    NotParsed,
    /// Any other payload error.
    Other,
}

/// The count of one kind of difference at one path of one webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathDrift {
    /// The path, as `webhook-codegen check` writes it: `payload.object.id`, array indices as `[]`, `.` for
    /// the top level.
    pub path: String,
    /// What kind of difference.
    pub kind: DriftKind,
    /// How many deliveries had it.
    pub count: u64,
    /// The first one's error message (at most 200 characters; it may quote the value found).
    pub example: String,
}

/// The drift of one webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WebhookDrift {
    /// Deliveries recorded for this webhook, overflowed ones included.
    pub invalid: u64,
    /// Per path and kind, in path order.
    pub paths: Vec<PathDrift>,
}

/// The counts of a [`DriftCollector`] at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriftSnapshot {
    /// Per webhook name, in name order.
    pub webhooks: BTreeMap<String, WebhookDrift>,
    /// Deliveries whose (webhook, path, kind) key was not kept because the collector was full.
    pub overflow: u64,
}

/// Counts of deliveries that did not match their schema, per webhook, JSON path and kind; thread-safe,
/// cheap to clone (clones share the counts), bounded in memory.
#[derive(Debug, Clone)]
pub struct DriftCollector {
    state: Arc<Mutex<State>>,
    max_keys: usize,
}

#[derive(Debug, Default)]
struct State {
    keys: BTreeMap<(String, String, DriftKind), (u64, String)>,
    invalid: BTreeMap<String, u64>,
    overflow: u64,
}

impl Default for DriftCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl DriftCollector {
    /// A collector keeping up to [`DEFAULT_MAX_KEYS`] keys.
    pub fn new() -> Self {
        Self::with_max_keys(DEFAULT_MAX_KEYS)
    }

    /// A collector keeping up to `max_keys` distinct (webhook, path, kind) keys; webhook names count
    /// against the same bound.
    pub fn with_max_keys(max_keys: usize) -> Self {
        Self { state: Arc::default(), max_keys }
    }

    /// Records a delivery of `webhook` that failed with `error`.
    pub fn record(&self, webhook: &str, error: &ParseError) {
        let (path, kind) = classify(error);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = state.keys.len() + state.invalid.len();
        let has_webhook = state.invalid.contains_key(webhook);
        let key = (webhook.to_owned(), path, kind);
        let new_entries = usize::from(!has_webhook) + usize::from(!state.keys.contains_key(&key));
        if stored + new_entries > self.max_keys {
            state.overflow += 1;
            if let Some(count) = state.invalid.get_mut(webhook) {
                *count += 1;
            }
            return;
        }
        *state.invalid.entry(webhook.to_owned()).or_default() += 1;
        match state.keys.entry(key) {
            Entry::Occupied(mut entry) => entry.get_mut().0 += 1,
            Entry::Vacant(entry) => {
                entry.insert((1, error.to_string().chars().take(MAX_EXAMPLE_CHARS).collect()));
            }
        }
    }

    /// Records an [`InvalidDelivery`], as the receiver's or worker's `on_invalid` gets it.
    pub fn record_invalid(&self, delivery: &InvalidDelivery) {
        self.record(&delivery.name, &delivery.error);
    }

    /// The counts now.
    pub fn snapshot(&self) -> DriftSnapshot {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut webhooks: BTreeMap<String, WebhookDrift> = state
            .invalid
            .iter()
            .map(|(name, invalid)| (name.clone(), WebhookDrift { invalid: *invalid, paths: Vec::new() }))
            .collect();
        for ((webhook, path, kind), (count, example)) in &state.keys {
            if let Some(drift) = webhooks.get_mut(webhook) {
                drift.paths.push(PathDrift {
                    path: path.clone(),
                    kind: *kind,
                    count: *count,
                    example: example.clone(),
                });
            }
        }
        DriftSnapshot { webhooks, overflow: state.overflow }
    }
}

/// The path (array indices as `[]`; a missing field's own path) and kind of a parse error.
fn classify(error: &ParseError) -> (String, DriftKind) {
    let ParseError::InvalidPayload { path, source, .. } = error else { return (".".to_owned(), DriftKind::NotParsed) };
    let path = without_indices(path);
    let message = source.to_string();
    if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.split_once('`')) {
        let field = field.0;
        let path = if path == "." { field.to_owned() } else { format!("{path}.{field}") };
        return (path, DriftKind::MissingField);
    }
    let kind = if ["invalid type", "invalid value", "invalid length", "number out of range"]
        .iter()
        .any(|prefix| message.starts_with(prefix))
    {
        DriftKind::WrongType
    } else if message.starts_with("unknown variant") {
        DriftKind::UnknownEnumValue
    } else {
        DriftKind::Other
    };
    (path, kind)
}

/// `a[3].b[0]` -> `a[].b[]`.
fn without_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        rest = if digits > 0 && after[digits..].starts_with(']') { &after[digits..] } else { after };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Payload {
        object: Object,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Object {
        id: String,
        participants: Vec<Participant>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Participant {
        duration: i32,
    }

    fn error(body: &str) -> ParseError {
        crate::private::parse_payload::<Payload>("meeting.ended", body.as_bytes()).unwrap_err()
    }

    #[test]
    fn counts_per_webhook_path_and_kind() {
        let drift = DriftCollector::new();
        let missing = error(r#"{"object": {"participants": []}}"#);
        let wrong_first = error(r#"{"object": {"id": "1", "participants": [{"duration": "60"}]}}"#);
        let wrong_third =
            error(r#"{"object": {"id": "1", "participants": [{"duration": 1}, {"duration": 2}, {"duration": 1.5}]}}"#);
        drift.record("meeting.ended", &missing);
        drift.record("meeting.ended", &missing);
        drift.record("meeting.ended", &wrong_first);
        drift.record("meeting.ended", &wrong_third);
        drift.record("meeting.started", &ParseError::NotAnObject);
        let snapshot = drift.snapshot();
        let ended = &snapshot.webhooks["meeting.ended"];
        assert_eq!(ended.invalid, 4);
        let paths: Vec<(&str, DriftKind, u64)> =
            ended.paths.iter().map(|path| (path.path.as_str(), path.kind, path.count)).collect();
        assert_eq!(
            paths,
            [("object.id", DriftKind::MissingField, 2), ("object.participants[].duration", DriftKind::WrongType, 2),]
        );
        assert!(ended.paths[1].example.contains("invalid type: string \"60\""), "{:?}", ended.paths[1]);
        assert_eq!(snapshot.webhooks["meeting.started"].paths[0].kind, DriftKind::NotParsed);
        assert_eq!(snapshot.overflow, 0);

        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["webhooks"]["meeting.ended"]["paths"][0]["kind"], "missing_field");
        assert_eq!(json["webhooks"]["meeting.ended"]["paths"][1]["count"], 2);
    }

    #[test]
    fn keys_past_the_bound_are_counted_as_overflow() {
        let drift = DriftCollector::with_max_keys(3);
        let missing = error(r#"{"object": {"participants": []}}"#);
        let wrong = error(r#"{"object": {"id": 1, "participants": []}}"#);
        drift.record("a", &missing); // keys: a, (a, id, missing)
        drift.record("a", &wrong); // (a, id, wrong)
        drift.record("a", &missing); // known key: counted
        drift.record("b", &missing); // two new keys: over
        drift.record("a", &ParseError::NotAnObject); // one new key: over
        let snapshot = drift.snapshot();
        assert_eq!(snapshot.overflow, 2);
        assert_eq!(snapshot.webhooks.len(), 1);
        assert_eq!(snapshot.webhooks["a"].invalid, 4, "a's overflowed delivery still counts for a");
        assert_eq!(snapshot.webhooks["a"].paths.iter().map(|path| path.count).sum::<u64>(), 3);
    }

    #[test]
    fn clones_share_counts_across_threads() {
        let drift = DriftCollector::new();
        let missing = Arc::new(error(r#"{"object": {"participants": []}}"#));
        std::thread::scope(|scope| {
            for _ in 0..4 {
                let (drift, missing) = (drift.clone(), Arc::clone(&missing));
                scope.spawn(move || (0..100).for_each(|_| drift.record("a", &missing)));
            }
        });
        assert_eq!(drift.snapshot().webhooks["a"].paths[0].count, 400);
    }

    #[test]
    fn indices_are_dropped_from_paths_only() {
        assert_eq!(without_indices("a[3].b[10].c"), "a[].b[].c");
        assert_eq!(without_indices("a[x].b[]"), "a[x].b[]");
        assert_eq!(without_indices("."), ".");
    }
}
