//! Where real deliveries differ from their spec, without building any Rust: each delivery (a JSON value)
//! is checked against the types generated code would have for its webhook ([`Module`]), and the
//! differences are counted per webhook and per JSON path in a [`DriftReport`].
//!
//! The check follows what the generated types accept, so "failed" means the generated `from_slice` or
//! `from_named` would return a parse error:
//!
//! - a required property absent ([`DifferenceKind::MissingField`]) fails, unless it is nullable (its
//!   `Option` reads an absent property as `None`); an optional one may be absent or `null`;
//! - a value of another JSON type, or an integer out of the field's range ([`DifferenceKind::WrongType`])
//!   fails; `null` for an optional property the spec does not mark nullable is read as absent and
//!   reported without failing;
//! - a string or integer enum value the spec does not list ([`DifferenceKind::UnknownEnumValue`]) is kept
//!   by the enum's `Other` variant: reported, not a failure;
//! - a property the schema does not declare ([`DifferenceKind::UndeclaredProperty`]) is ignored, or kept by
//!   an open object (which checks it against its `additionalProperties` type instead): reported only
//!   where it is ignored, never a failure;
//! - a `oneOf`/`anyOf` value that fits no alternative ([`DifferenceKind::NoAlternative`]) is kept whole by
//!   the type's `Other` variant: reported, not a failure. An alternative picked by its tag must parse.
//!
//! Paths are written as the runtime writes a parse error's path (`payload.object.id`), with `[]` for any
//! array element and `*` for any key of a map, so the deliveries of one webhook add up per field.
//!
//! ```
//! let spec = br#"{"openapi": "3.1.0", "webhooks": {"ping": {"post": {"requestBody": {"content": {
//!     "application/json": {"schema": {"type": "object", "required": ["event", "id"], "properties": {
//!         "event": {"type": "string", "enum": ["ping"]}, "id": {"type": "integer"}}}}}}}}}}"#;
//! let loaded = webhook_codegen::load("ping.json", spec)?;
//! let options = webhook_codegen::ModuleOptions::new("ping.json", &Default::default());
//! let (module, _) = webhook_codegen::lower(&loaded.document, &options)?;
//!
//! let mut report = webhook_codegen::check::DriftReport::new();
//! let checker = webhook_codegen::check::Checker::new(&module);
//! report.add(&checker, None, "1.json", &serde_json::json!({"event": "ping", "id": "7", "extra": 1}));
//! report.add(&checker, None, "2.json", &serde_json::json!({"event": "ping", "id": 8}));
//! let ping = &report.webhooks["ping"];
//! assert_eq!((ping.parsed, ping.failed), (1, 1));
//! assert!(!report.is_clean());
//! assert!(report.render().contains("id  wrong type  1"));
//! # Ok::<(), webhook_codegen::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::ir::{Event, Module, TypeKind, TypeRef};

/// How many type steps one delivery's check may take; a value nested past it is not looked into further
/// (generated types are bounded in depth, and JSON text nests at most 128 deep, so real deliveries never
/// get near it; it bounds a hostile one with many alternatives at every level).
pub const MAX_STEPS: usize = 1_000_000;

/// How deeply types may lead into each other without the value getting deeper (alternatives of
/// alternatives, newtypes).
const MAX_TYPE_DEPTH: usize = 256;

/// How a delivery differs from its webhook's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DifferenceKind {
    /// A required property is absent.
    MissingField,
    /// A value of another JSON type than the schema's, or an integer out of the type's range.
    WrongType,
    /// An enum value the schema does not list.
    UnknownEnumValue,
    /// A property the schema does not declare.
    UndeclaredProperty,
    /// A `oneOf`/`anyOf` value no alternative parses.
    NoAlternative,
}

impl DifferenceKind {
    /// The kind as the report prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingField => "missing required field",
            Self::WrongType => "wrong type",
            Self::UnknownEnumValue => "unknown enum value",
            Self::UndeclaredProperty => "undeclared property",
            Self::NoAlternative => "fits no alternative",
        }
    }
}

impl fmt::Display for DifferenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where: `payload.object.id`, `[]` for array elements, `*` for map keys, `.` for the top level.
    pub path: String,
    /// What kind of difference.
    pub kind: DifferenceKind,
    /// What was found, such as `expected an integer, got a string "7"`.
    pub detail: String,
    /// Whether the generated types refuse the delivery for it (a parse error), rather than accept it.
    pub fails: bool,
}

/// Why a delivery could not be matched to one of the spec's webhooks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unmatched {
    /// The body names a webhook the spec does not declare (generated code gives an unknown event).
    UnknownWebhook(String),
    /// The body is not an object with a string discriminator property.
    NoWebhookName(String),
    /// The spec has no discriminator and no webhook was named.
    NoDiscriminator,
}

impl fmt::Display for Unmatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownWebhook(name) => write!(f, "unknown webhook `{name}`"),
            Self::NoWebhookName(property) => write!(f, "no string `{property}` naming the webhook"),
            Self::NoDiscriminator => f.write_str("the spec names no property telling webhooks apart; name one"),
        }
    }
}

/// Checks deliveries against one lowered spec.
#[derive(Debug, Clone, Copy)]
pub struct Checker<'m> {
    module: &'m Module,
}

impl<'m> Checker<'m> {
    /// A checker for the webhooks of `module`.
    pub fn new(module: &'m Module) -> Self {
        Self { module }
    }

    /// The webhook a delivery is, as the generated `Event::from_slice` finds it: the event whose
    /// discriminator value the body carries, else the event of that name.
    ///
    /// # Errors
    ///
    /// When the module has no discriminator, the body names none, or names no webhook of the spec.
    pub fn webhook_of(&self, delivery: &Value) -> Result<&'m Event, Unmatched> {
        let Some(discriminator) = &self.module.discriminator else { return Err(Unmatched::NoDiscriminator) };
        let Some(value) = delivery.get(&discriminator.property).and_then(Value::as_str) else {
            return Err(Unmatched::NoWebhookName(discriminator.property.clone()));
        };
        let by_value = discriminator.values.iter().position(|candidate| candidate == value);
        by_value
            .and_then(|index| self.module.events.get(index))
            .or_else(|| self.module.events.iter().find(|event| event.name == value))
            .ok_or_else(|| Unmatched::UnknownWebhook(value.to_owned()))
    }

    /// The webhook called `name`.
    pub fn webhook_named(&self, name: &str) -> Option<&'m Event> {
        self.module.events.iter().find(|event| event.name == name)
    }

    /// Every difference between `delivery` and the payload type of `event`, in document order.
    pub fn check(&self, event: &Event, delivery: &Value) -> Vec<Difference> {
        let mut walk = Walk { module: self.module, differences: Vec::new(), steps: 0 };
        walk.value(&event.payload, delivery, "", 0);
        walk.differences
    }
}

/// One walk over a delivery and its type.
struct Walk<'m> {
    module: &'m Module,
    differences: Vec<Difference>,
    steps: usize,
}

impl Walk<'_> {
    fn report(&mut self, path: &str, kind: DifferenceKind, detail: String, fails: bool) {
        let path = if path.is_empty() { ".".to_owned() } else { path.to_owned() };
        self.differences.push(Difference { path, kind, detail, fails });
    }

    fn wrong_type(&mut self, path: &str, expected: &str, value: &Value) {
        self.report(path, DifferenceKind::WrongType, format!("expected {expected}, got {}", describe(value)), true);
    }

    fn value(&mut self, ty: &TypeRef, value: &Value, path: &str, depth: usize) {
        self.steps += 1;
        if self.steps > MAX_STEPS || depth > MAX_TYPE_DEPTH {
            return;
        }
        match ty {
            TypeRef::Json => {}
            TypeRef::String if !value.is_string() => self.wrong_type(path, "a string", value),
            TypeRef::Bool if !value.is_boolean() => self.wrong_type(path, "a boolean", value),
            TypeRef::Number if !value.is_number() => self.wrong_type(path, "a number", value),
            TypeRef::I32 if value.as_i64().and_then(|n| i32::try_from(n).ok()).is_none() => {
                self.wrong_type(path, "a 32-bit integer", value);
            }
            TypeRef::I64 if value.as_i64().is_none() => self.wrong_type(path, "a 64-bit integer", value),
            TypeRef::String | TypeRef::Bool | TypeRef::Number | TypeRef::I32 | TypeRef::I64 => {}
            TypeRef::Vec(item) => match value.as_array() {
                Some(items) => {
                    let path = format!("{path}[]");
                    for element in items {
                        self.value(item, element, &path, 0);
                    }
                }
                None => self.wrong_type(path, "an array", value),
            },
            TypeRef::Map(item) => match value.as_object() {
                Some(entries) => {
                    let path = child(path, "*");
                    for entry in entries.values() {
                        self.value(item, entry, &path, 0);
                    }
                }
                None => self.wrong_type(path, "an object", value),
            },
            TypeRef::Named(id) => self.named(*id, value, path, depth),
        }
    }

    fn named(&mut self, id: usize, value: &Value, path: &str, depth: usize) {
        let module = self.module;
        let Some(def) = module.types.get(id) else { return };
        match &def.kind {
            TypeKind::Newtype { inner } => self.value(inner, value, path, depth + 1),
            TypeKind::StringEnum { variants } => match value.as_str() {
                Some(text) if variants.iter().any(|variant| variant.value == text) => {}
                Some(_) => self.report(path, DifferenceKind::UnknownEnumValue, describe(value), false),
                None => self.wrong_type(path, "a string", value),
            },
            TypeKind::IntegerEnum { variants } => match value.as_i64() {
                Some(number) if variants.iter().any(|variant| variant.value == number) => {}
                Some(_) => self.report(path, DifferenceKind::UnknownEnumValue, describe(value), false),
                None => self.wrong_type(path, "an integer", value),
            },
            TypeKind::Struct { fields, additional } => {
                let Some(object) = value.as_object() else { return self.wrong_type(path, "an object", value) };
                for field in fields {
                    let field_path = child(path, &field.json_name);
                    match object.get(&field.json_name) {
                        None if field.required => {
                            let detail = format!("`{}` is absent", field.json_name);
                            // A required nullable field is an `Option`, which serde reads as `None` when absent.
                            self.report(&field_path, DifferenceKind::MissingField, detail, !field.nullable);
                        }
                        None => {}
                        Some(Value::Null) if field.nullable || *module.unwrap_newtypes(&field.ty) == TypeRef::Json => {}
                        Some(Value::Null) if !field.required => {
                            let detail = "null, which the spec does not allow (read as absent)".to_owned();
                            self.report(&field_path, DifferenceKind::WrongType, detail, false);
                        }
                        Some(found) => self.value(&field.ty, found, &field_path, 0),
                    }
                }
                let undeclared = object.iter().filter(|(key, _)| !fields.iter().any(|field| &field.json_name == *key));
                for (key, found) in undeclared {
                    let key_path = child(path, key);
                    match additional {
                        Some(open) => self.value(&open.ty, found, &key_path, 0),
                        None => {
                            self.report(&key_path, DifferenceKind::UndeclaredProperty, describe(found), false);
                        }
                    }
                }
            }
            TypeKind::OneOf { variants, tag } => {
                if let Some(tag) = tag {
                    let name = value.get(&tag.property).and_then(Value::as_str);
                    let picked = name.and_then(|name| variants.iter().find(|v| v.tag_values.iter().any(|t| t == name)));
                    match picked {
                        Some(alternative) => self.value(&alternative.ty, value, path, depth + 1),
                        None => {
                            let detail = match name {
                                Some(name) => format!("`{}` is \"{}\", which names no alternative", tag.property, name),
                                None => format!("no string `{}` naming an alternative", tag.property),
                            };
                            self.report(path, DifferenceKind::NoAlternative, detail, false);
                        }
                    }
                    return;
                }
                // As the generated code: the alternative that parses and declares the most of the value's
                // properties, the first of those that tie.
                let mut best: Option<(usize, Vec<Difference>)> = None;
                for alternative in variants {
                    let mut trial = Walk { module, differences: Vec::new(), steps: self.steps };
                    trial.value(&alternative.ty, value, path, depth + 1);
                    self.steps = trial.steps;
                    if trial.differences.iter().any(|difference| difference.fails) {
                        continue;
                    }
                    let declared = value.as_object().map_or(0, |object| {
                        object.keys().filter(|key| alternative.known_properties.contains(key)).count()
                    });
                    if best.as_ref().is_none_or(|(most, _)| declared > *most) {
                        best = Some((declared, trial.differences));
                    }
                }
                match best {
                    Some((_, differences)) => self.differences.extend(differences),
                    None => {
                        let detail = format!("{} fits none of the {} alternatives", describe(value), variants.len());
                        self.report(path, DifferenceKind::NoAlternative, detail, false);
                    }
                }
            }
        }
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// A value's JSON type and, for scalars, its text (at most 60 characters).
fn describe(value: &Value) -> String {
    let text = |kind: &str| {
        let shown = value.to_string();
        let shown: String = shown.chars().take(60).collect();
        format!("{kind} {shown}")
    };
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => text("a boolean"),
        Value::Number(number) if number.is_i64() || number.is_u64() => text("an integer"),
        Value::Number(_) => text("a number"),
        Value::String(_) => text("a string"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// How often one kind of difference was found at one path, with the first delivery that had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathDrift {
    /// How many deliveries had it (a delivery with it at several array elements counts once).
    pub count: usize,
    /// Whether it makes the generated types refuse the delivery.
    pub fails: bool,
    /// The first delivery that had it (its label) and what was found there.
    pub example: String,
}

/// The deliveries of one webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookDrift {
    /// Deliveries the generated types accept.
    pub parsed: usize,
    /// Deliveries they refuse.
    pub failed: usize,
    /// Of the parsed deliveries, those with differences the types tolerate.
    pub drifted: usize,
    /// Per JSON path and kind of difference.
    pub paths: BTreeMap<(String, DifferenceKind), PathDrift>,
}

/// Deliveries that matched no webhook, by reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedDrift {
    /// How many.
    pub count: usize,
    /// The first one's label.
    pub example: String,
}

/// What a set of deliveries shows about a spec: per webhook how many parsed and where they differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftReport {
    /// Per webhook name, in name order.
    pub webhooks: BTreeMap<String, WebhookDrift>,
    /// Deliveries that matched no webhook of the spec.
    pub unmatched: BTreeMap<Unmatched, UnmatchedDrift>,
    /// Deliveries that could not be read as JSON: their label and the error.
    pub unreadable: Vec<String>,
}

impl DriftReport {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks one delivery (`label` names it in the report, such as `deliveries/3.json:7`) as the webhook
    /// `webhook`, or as the webhook its body names when `None`, and adds what it found.
    pub fn add(&mut self, checker: &Checker<'_>, webhook: Option<&str>, label: &str, delivery: &Value) {
        let event = match webhook {
            Some(name) => checker.webhook_named(name).ok_or_else(|| Unmatched::UnknownWebhook(name.to_owned())),
            None => checker.webhook_of(delivery),
        };
        let event = match event {
            Ok(event) => event,
            Err(reason) => {
                let entry = self
                    .unmatched
                    .entry(reason)
                    .or_insert_with(|| UnmatchedDrift { count: 0, example: label.to_owned() });
                entry.count += 1;
                return;
            }
        };
        let differences = checker.check(event, delivery);
        let drift = self.webhooks.entry(event.name.clone()).or_default();
        if differences.iter().any(|difference| difference.fails) {
            drift.failed += 1;
        } else {
            drift.parsed += 1;
            if !differences.is_empty() {
                drift.drifted += 1;
            }
        }
        let mut seen = foldhash::HashSet::default();
        for difference in differences {
            if !seen.insert((difference.path.clone(), difference.kind)) {
                continue;
            }
            let example = format!("{label}: {}", difference.detail);
            let entry = drift.paths.entry((difference.path, difference.kind)).or_insert(PathDrift {
                count: 0,
                fails: difference.fails,
                example,
            });
            entry.count += 1;
        }
    }

    /// Adds a delivery that could not be read as JSON.
    pub fn add_unreadable(&mut self, label: &str, error: &dyn fmt::Display) {
        self.unreadable.push(format!("{label}: {error}"));
    }

    /// Whether every delivery matched a webhook and its schema exactly.
    pub fn is_clean(&self) -> bool {
        self.unmatched.is_empty()
            && self.unreadable.is_empty()
            && self.webhooks.values().all(|drift| drift.failed == 0 && drift.paths.is_empty())
    }

    /// The report as text: per webhook a line with its counts, then per path and kind the count and the
    /// first example; the deliveries that matched no webhook or could not be read; a total.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let (mut parsed, mut failed, mut drifted) = (0, 0, 0);
        for (name, drift) in &self.webhooks {
            parsed += drift.parsed;
            failed += drift.failed;
            drifted += drift.drifted;
            let _ = writeln!(
                text,
                "{name}: {} deliveries, {} parsed ({} with drift), {} failed",
                drift.parsed + drift.failed,
                drift.parsed,
                drift.drifted,
                drift.failed
            );
            for ((path, kind), found) in &drift.paths {
                let effect = if found.fails { "fails" } else { "tolerated" };
                let _ = writeln!(text, "  {path}  {kind}  {}  ({effect}; e.g. {})", found.count, found.example);
            }
        }
        let unmatched: usize = self.unmatched.values().map(|drift| drift.count).sum();
        if unmatched > 0 {
            let _ = writeln!(text, "not matched to a webhook: {unmatched}");
            for (reason, drift) in &self.unmatched {
                let _ = writeln!(text, "  {reason}  {}  (e.g. {})", drift.count, drift.example);
            }
        }
        if !self.unreadable.is_empty() {
            let _ = writeln!(text, "not JSON: {}", self.unreadable.len());
            for line in self.unreadable.iter().take(10) {
                let _ = writeln!(text, "  {line}");
            }
        }
        let total = parsed + failed + unmatched + self.unreadable.len();
        let _ = writeln!(
            text,
            "{total} deliveries: {parsed} parsed ({drifted} with drift), {failed} failed, {unmatched} not matched, {} not JSON",
            self.unreadable.len()
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(spec: &str) -> Module {
        let loaded = crate::load("spec.yaml", spec.as_bytes()).unwrap();
        let options = crate::ModuleOptions::new("spec.yaml", &Default::default());
        crate::lower(&loaded.document, &options).unwrap().0
    }

    const SPEC: &str = r#"
openapi: 3.1.0
webhooks:
  thing.happened:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event, payload]
              properties:
                event: {type: string}
                payload:
                  type: object
                  required: [id, count, note]
                  properties:
                    id: {type: string}
                    count: {type: integer, format: int32}
                    note: {type: [string, "null"]}
                    status: {type: string, enum: [on, off]}
                    size: {type: integer}
                    tags: {type: array, items: {type: string}}
                    extra:
                      type: object
                      additionalProperties: {type: integer}
"#;

    fn differences(delivery: Value) -> Vec<(String, DifferenceKind, bool)> {
        let module = module(SPEC);
        let checker = Checker::new(&module);
        let event = checker.webhook_of(&delivery).unwrap();
        checker.check(event, &delivery).into_iter().map(|d| (d.path, d.kind, d.fails)).collect()
    }

    #[test]
    fn a_delivery_as_the_spec_says_has_no_differences() {
        let delivery = serde_json::json!({"event": "thing.happened", "payload": {"id": "a", "count": 1, "note": null,
            "status": "on", "size": 9_007_199_254_740_993_i64, "tags": ["x"], "extra": {"a": 1}}});
        assert_eq!(differences(delivery), []);
    }

    #[test]
    fn each_kind_is_found_at_its_path_and_fails_as_the_generated_types_would() {
        use DifferenceKind::*;
        let delivery = serde_json::json!({"event": "thing.happened", "payload": {"count": 3_000_000_000_i64,
            "status": "paused", "size": null, "tags": ["x", 2], "extra": {"a": "1"}, "new": true}});
        assert_eq!(
            differences(delivery),
            [
                ("payload.id".to_owned(), MissingField, true),
                ("payload.count".to_owned(), WrongType, true),
                // Required but nullable: an absent one is read as `None`.
                ("payload.note".to_owned(), MissingField, false),
                ("payload.status".to_owned(), UnknownEnumValue, false),
                ("payload.size".to_owned(), WrongType, false),
                ("payload.tags[]".to_owned(), WrongType, true),
                ("payload.extra.*".to_owned(), WrongType, true),
                ("payload.new".to_owned(), UndeclaredProperty, false),
            ]
        );
    }

    #[test]
    fn the_report_counts_deliveries_per_path_and_unmatched_ones() {
        let module = module(SPEC);
        let checker = Checker::new(&module);
        let mut report = DriftReport::new();
        let wrong = serde_json::json!({"event": "thing.happened", "payload": {"id": 1, "count": 1, "note": null,
            "tags": [1, 2]}});
        report.add(&checker, None, "a.json", &wrong);
        report.add(&checker, None, "b.json", &wrong);
        report.add(&checker, None, "c.json", &serde_json::json!({"event": "thing.new"}));
        report.add(&checker, None, "d.json", &serde_json::json!([1]));
        let drift = &report.webhooks["thing.happened"];
        assert_eq!((drift.parsed, drift.failed), (0, 2));
        assert_eq!(drift.paths[&("payload.tags[]".to_owned(), DifferenceKind::WrongType)].count, 2);
        assert!(drift.paths[&("payload.id".to_owned(), DifferenceKind::WrongType)].example.starts_with("a.json: "));
        assert_eq!(report.unmatched.len(), 2);
        let text = report.render();
        assert!(
            text.contains("  payload.tags[]  wrong type  2  (fails; e.g. a.json: expected a string, got an integer 1)"),
            "{text}"
        );
        assert!(text.contains("unknown webhook `thing.new`  1  (e.g. c.json)"), "{text}");
        assert!(!report.is_clean());
    }
}
