//! Overlays (the OpenAPI Overlay Specification, 1.0 and 1.1): changes to a vendor's spec kept in a file
//! of their own, applied to the parsed document before it is loaded. One job: read an overlay, and apply
//! it to a document, saying what each action changed.
//!
//! Targets are RFC 9535 JSONPath queries (`serde_json_path`). What an action does follows the Overlay
//! Specification; where 1.0 leaves the merge open, the rules 1.1 spells out apply to both:
//!
//! - `update` on objects: merged into each one. A property only in the update is added; in both, a
//!   primitive replaces a primitive, an array is appended to an array, an object is merged into an object,
//!   and any other pair is an error.
//! - `update` on arrays: appended to each as one entry (1.0); 1.1 appends the entries of an array.
//! - `update` on primitive values (1.1 only): replaces each.
//! - `remove: true`: each selected node leaves the object or array that holds it (primitive values only
//!   in 1.1; 1.0 selects objects and arrays only).
//!
//! An overlay is input like a spec: every error names the overlay file and the JSON pointer of the part
//! at fault, and the work is bounded (see [`MAX_TARGET_CHARS`] and the rules of [`Overlay::parse`]).

use std::collections::BTreeMap;

use foldhash::HashSet;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::error::{Error, Warning};
use crate::pointer::JsonPointer;
use crate::source;

/// The longest `target` read, in characters; real targets are a few dozen.
pub const MAX_TARGET_CHARS: usize = 1024;

/// How many actions an overlay may have.
pub const MAX_ACTIONS: usize = 10_000;

/// How many JSON values all the `update`s of one overlay may copy into a document together (an update's
/// size times the nodes it is merged into), so a small overlay cannot make a huge document.
pub const MAX_COPIED_VALUES: usize = 10_000_000;

/// How deeply brackets and parentheses may nest in a `target` (the JSONPath parser and its filters
/// recurse once per level).
const MAX_TARGET_NESTING: usize = 32;

/// How many selections a `target` may make that can select more than one node, or one node more than
/// once: wildcards, filters, slices, extra selectors and the descendant segment. Each can multiply the
/// nodes a query goes through, so together they bound its work to a small multiple of the document.
const MAX_TARGET_BRANCHES: usize = 8;

/// The minor versions of the Overlay Specification read (the patch version is not considered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1_0,
    V1_1,
}

/// A parsed overlay document, ready to apply to a spec.
///
/// ```
/// let overlay = webhook_codegen::Overlay::parse(
///     "specs/shop.overlay.yaml",
///     b"overlay: 1.1.0\ninfo: {title: Relax the shop, version: '1'}\nactions:\n  - target: $..required[?@ == 'total']\n    remove: true\n",
/// )?;
/// let mut document = serde_json::json!({"components": {"schemas": {"Order": {"required": ["id", "total"]}}}});
/// let report = overlay.apply(&mut document)?;
/// assert_eq!(document["components"]["schemas"]["Order"]["required"], serde_json::json!(["id"]));
/// assert_eq!(report[0].to_string(), "/components/schemas/Order/required/1: overlay `specs/shop.overlay.yaml#/actions/0` removed 1 node");
/// # Ok::<(), webhook_codegen::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    file: String,
    version: Version,
    actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Action {
    target: JsonPath,
    change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    /// The value to merge, and how many JSON values it holds.
    Update(Value, usize),
    Remove,
}

/// One step of a node's location in the document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Index(usize),
    Name(String),
}

impl Overlay {
    /// Reads an overlay document (YAML or JSON); `file` names it in errors and in the report.
    ///
    /// # Errors
    ///
    /// When it is not YAML or JSON, or not an Overlay 1.0 or 1.1 document: the `overlay` version
    /// missing or of another major or minor version, `info` without `title` and `version`, `actions`
    /// missing or empty, an unknown key (`x-` extensions are allowed), an action with neither `update`
    /// nor `remove: true` (it would change nothing) or with both (the specification ignores `update`
    /// then), or a `target` that is not a JSONPath query. A `target` must also stay within bounds: at
    /// most [`MAX_TARGET_CHARS`] characters, one descendant segment (`..`), no query from the root
    /// (`$`) inside a filter (it would run over the whole document for every node), and a few
    /// selections that can select many nodes (wildcards, filters, slices, lists of selectors).
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, Error> {
        let root = source::parse(file, bytes)?;
        let error = |pointer: JsonPointer, message: String| Error::Spec { file: file.to_owned(), pointer, message };
        let here = JsonPointer::root();
        let Some(top) = root.as_object() else {
            return Err(error(here, "an overlay must be a mapping".to_owned()));
        };
        known_keys(top, &["overlay", "info", "extends", "actions"], &here).map_err(|(p, m)| error(p, m))?;
        let version = match top.get("overlay") {
            None => {
                return Err(error(
                    here,
                    "`overlay` (the Overlay Specification version, `1.0.0`) is required".to_owned(),
                ));
            }
            Some(Value::String(text)) => read_version(text).map_err(|message| error(here.push("overlay"), message))?,
            Some(_) => {
                return Err(error(
                    here.push("overlay"),
                    "`overlay` must be a version string, such as `1.0.0`".to_owned(),
                ));
            }
        };
        match top.get("info") {
            None => return Err(error(here, "`info` (with `title` and `version`) is required".to_owned())),
            Some(Value::Object(info)) => {
                let at = here.push("info");
                known_keys(info, &["title", "version", "description"], &at).map_err(|(p, m)| error(p, m))?;
                for key in ["title", "version"] {
                    match info.get(key) {
                        Some(Value::String(_)) => {}
                        Some(_) => return Err(error(at.push(key), format!("`{key}` must be a string"))),
                        None => return Err(error(at, format!("`info` must have a `{key}`"))),
                    }
                }
            }
            Some(_) => return Err(error(here.push("info"), "`info` must be a mapping".to_owned())),
        }
        if top.get("extends").is_some_and(|extends| !extends.is_string()) {
            return Err(error(here.push("extends"), "`extends` must be a string".to_owned()));
        }
        let actions = match top.get("actions") {
            None => return Err(error(here, "`actions` (a list of at least one action) is required".to_owned())),
            Some(Value::Array(actions)) if actions.is_empty() => {
                return Err(error(here.push("actions"), "`actions` must have at least one action".to_owned()));
            }
            Some(Value::Array(actions)) if actions.len() > MAX_ACTIONS => {
                return Err(error(
                    here.push("actions"),
                    format!("{} actions; an overlay may have at most {MAX_ACTIONS}", actions.len()),
                ));
            }
            Some(Value::Array(actions)) => actions,
            Some(_) => return Err(error(here.push("actions"), "`actions` must be a list".to_owned())),
        };
        let mut parsed = Vec::with_capacity(actions.len());
        for (index, action) in actions.iter().enumerate() {
            let at = here.push("actions").index(index);
            parsed.push(read_action(action, &at).map_err(|(p, m)| error(p, m))?);
        }
        Ok(Self { file: file.to_owned(), version, actions: parsed })
    }

    /// The overlay file, as it was named.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Applies every action in order to `document` (a parsed spec, before its `$ref`s are followed).
    /// Returns one line per action: what it changed, at the first node it changed (by location: array entries by index, keys by name), or that it matched
    /// nothing.
    ///
    /// # Errors
    ///
    /// When an action cannot be applied as the Overlay Specification says: a `remove` of the document
    /// root, targets of mixed kinds for one `update`, an `update` of the wrong kind for its targets, a
    /// merge of an object and an array, a primitive target in an Overlay 1.0 document, or updates that
    /// would copy more than [`MAX_COPIED_VALUES`] values. The error names the overlay file and the
    /// pointer of the action's part at fault; the document may be partly changed.
    pub fn apply(&self, document: &mut Value) -> Result<Vec<Warning>, Error> {
        let mut budget = MAX_COPIED_VALUES;
        let mut report = Vec::with_capacity(self.actions.len());
        for (index, action) in self.actions.iter().enumerate() {
            let at = JsonPointer::root().push("actions").index(index);
            let name = format!("overlay `{}#{}`", self.file, at);
            let error =
                |pointer: JsonPointer, message: String| Error::Spec { file: self.file.clone(), pointer, message };
            let found = locate(&action.target, document);
            let Some(first) = found.first().map(|steps| pointer_of(steps)) else {
                report.push(Warning {
                    pointer: JsonPointer::root(),
                    message: format!("{name} matched nothing; it changed nothing"),
                });
                continue;
            };
            let changed = match &action.change {
                Change::Remove => self.remove(document, found, &at).map_err(|(p, m)| error(p, m))?,
                Change::Update(update, size) => {
                    let copied = found.len().saturating_mul(*size);
                    if copied > budget {
                        return Err(error(
                            at.push("update"),
                            format!(
                                "merging this update into its {} targets would copy {copied} values; the updates \
                                 of an overlay may copy at most {MAX_COPIED_VALUES}",
                                found.len()
                            ),
                        ));
                    }
                    budget -= copied;
                    self.update(document, &found, update, &at).map_err(|(p, m)| error(p, m))?
                }
            };
            let verb = if matches!(action.change, Change::Remove) { "removed" } else { "updated" };
            let nodes = if changed == 1 { "node" } else { "nodes" };
            report.push(Warning { pointer: first, message: format!("{name} {verb} {changed} {nodes}") });
        }
        Ok(report)
    }

    /// Removes the nodes at `found` (sorted, distinct) from their parents; returns how many left.
    fn remove(&self, document: &mut Value, found: Vec<Vec<Step>>, at: &JsonPointer) -> Result<usize, Failure> {
        // A node inside another removed node goes with it. `found` is sorted, so a node's descendants
        // come right after it.
        let mut kept: Vec<Vec<Step>> = Vec::with_capacity(found.len());
        for steps in found {
            if kept.last().is_some_and(|ancestor| steps.starts_with(ancestor)) {
                continue;
            }
            kept.push(steps);
        }
        let mut by_parent: BTreeMap<Vec<Step>, Vec<Step>> = BTreeMap::new();
        for mut steps in kept {
            let Some(last) = steps.pop() else {
                return Err((
                    at.push("target"),
                    "selects the document root, which no object or array holds; it cannot be removed".to_owned(),
                ));
            };
            by_parent.entry(steps).or_default().push(last);
        }
        if self.version == Version::V1_0 {
            for (parent, children) in &by_parent {
                for child in children {
                    let mut steps = parent.clone();
                    steps.push(child.clone());
                    let pointer = pointer_of(&steps);
                    if let Some(value) = pointer.resolve(document).filter(|value| !is_container(value)) {
                        return Err((at.push("target"), primitive_in_1_0(value, &pointer)));
                    }
                }
            }
        }
        // Later parents first: a parent's own descendants (which sort after it) lose their children
        // before it loses any, so no removal shifts an index another one still needs.
        let mut removed = 0;
        for (parent, children) in by_parent.into_iter().rev() {
            match pointer_mut(document, &parent) {
                Some(Value::Array(items)) => {
                    let gone: HashSet<usize> = children
                        .iter()
                        .filter_map(|step| if let Step::Index(i) = step { Some(*i) } else { None })
                        .collect();
                    let before = items.len();
                    let mut index = 0;
                    items.retain(|_| {
                        let keep = !gone.contains(&index);
                        index += 1;
                        keep
                    });
                    removed += before - items.len();
                }
                Some(Value::Object(map)) => {
                    let gone: HashSet<&str> = children
                        .iter()
                        .filter_map(|step| if let Step::Name(n) = step { Some(n.as_str()) } else { None })
                        .collect();
                    let before = map.len();
                    map.retain(|key, _| !gone.contains(key.as_str()));
                    removed += before - map.len();
                }
                _ => {}
            }
        }
        Ok(removed)
    }

    /// Merges `update` into each node at `found`; returns how many nodes it changed.
    fn update(
        &self,
        document: &mut Value,
        found: &[Vec<Step>],
        update: &Value,
        at: &JsonPointer,
    ) -> Result<usize, Failure> {
        let target = at.push("target");
        let mut kind = None;
        for steps in found {
            let pointer = pointer_of(steps);
            let Some(value) = pointer.resolve(document) else { continue };
            if self.version == Version::V1_0 && !is_container(value) {
                return Err((target, primitive_in_1_0(value, &pointer)));
            }
            let this = Kind::of(value);
            match kind {
                None => kind = Some((this, pointer)),
                Some((first, ref first_at)) if first != this => {
                    return Err((
                        target,
                        format!(
                            "selects {} (at {first_at}) and {} (at {pointer}); the targets of an `update` must be \
                             all objects, all arrays or all primitive values",
                            first.plural(),
                            this.plural()
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let Some((kind, _)) = kind else { return Ok(0) };
        let update_at = at.push("update");
        match (kind, update) {
            (Kind::Object, Value::Object(_)) | (Kind::Array, _) => {}
            (Kind::Primitive, value) if !is_container(value) => {}
            (Kind::Object, other) => {
                return Err((
                    update_at,
                    format!(
                        "must be a mapping to merge into the objects `target` selects, not {}",
                        Kind::of(other).one()
                    ),
                ));
            }
            (Kind::Primitive, other) => {
                return Err((
                    update_at,
                    format!(
                        "must be a primitive value to replace the primitive values `target` selects, not {}",
                        Kind::of(other).one()
                    ),
                ));
            }
        }
        let mut changed = 0;
        for steps in found {
            let pointer = pointer_of(steps);
            let Some(node) = pointer_mut(document, steps) else { continue };
            match (node, update) {
                (Value::Object(map), Value::Object(properties)) => merge(map, properties, &update_at, &pointer)?,
                (Value::Array(items), Value::Array(entries)) if self.version == Version::V1_1 => {
                    items.extend(entries.iter().cloned());
                }
                (Value::Array(items), entry) => items.push(entry.clone()),
                (node, value) => *node = value.clone(),
            }
            changed += 1;
        }
        Ok(changed)
    }
}

/// An error of an action: the pointer into the overlay and the message.
type Failure = (JsonPointer, String);

/// What a node is, for the rules of `update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    Primitive,
}

impl Kind {
    fn of(value: &Value) -> Self {
        match value {
            Value::Object(_) => Self::Object,
            Value::Array(_) => Self::Array,
            _ => Self::Primitive,
        }
    }

    fn one(self) -> &'static str {
        match self {
            Self::Object => "a mapping",
            Self::Array => "a list",
            Self::Primitive => "a primitive value",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Self::Object => "objects",
            Self::Array => "arrays",
            Self::Primitive => "primitive values",
        }
    }
}

/// Merges the properties of an update into an object, by the Overlay Specification's rules.
/// `update_at` points to `properties` in the overlay, `node_at` to `map` in the document.
fn merge(
    map: &mut Map<String, Value>,
    properties: &Map<String, Value>,
    update_at: &JsonPointer,
    node_at: &JsonPointer,
) -> Result<(), Failure> {
    for (key, value) in properties {
        let Some(current) = map.get_mut(key) else {
            map.insert(key.clone(), value.clone());
            continue;
        };
        match (current, value) {
            (Value::Object(inner), Value::Object(update)) => {
                merge(inner, update, &update_at.push(key), &node_at.push(key))?
            }
            (Value::Array(items), Value::Array(entries)) => items.extend(entries.iter().cloned()),
            (current, value) if !is_container(current) && !is_container(value) => *current = value.clone(),
            (current, value) => {
                return Err((
                    update_at.push(key),
                    format!(
                        "is {} and the spec has {} at {}; an update merges a mapping into a mapping, appends a list \
                         to a list and replaces a primitive value with one",
                        Kind::of(value).one(),
                        Kind::of(current).one(),
                        node_at.push(key)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn is_container(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

fn primitive_in_1_0(value: &Value, pointer: &JsonPointer) -> String {
    format!(
        "selects {} at {pointer}; Overlay 1.0 targets only objects and arrays (Overlay 1.1, `overlay: 1.1.0`, \
         also updates and removes primitive values such as one entry of a `required` list)",
        Kind::of(value).one()
    )
}

/// The distinct nodes `target` selects in `document`, sorted by location (array entries by index).
fn locate(target: &JsonPath, document: &Value) -> Vec<Vec<Step>> {
    let mut found: Vec<Vec<Step>> = target
        .query_located(document)
        .iter()
        .map(|node| {
            node.location()
                .iter()
                .map(|element| match element {
                    serde_json_path::PathElement::Index(index) => Step::Index(*index),
                    serde_json_path::PathElement::Name(name) => Step::Name((*name).to_owned()),
                })
                .collect()
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

fn pointer_of(steps: &[Step]) -> JsonPointer {
    steps.iter().fold(JsonPointer::root(), |pointer, step| match step {
        Step::Index(index) => pointer.index(*index),
        Step::Name(name) => pointer.push(name),
    })
}

fn pointer_mut<'a>(document: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    let mut node = document;
    for step in steps {
        node = match (node, step) {
            (Value::Object(map), Step::Name(name)) => map.get_mut(name)?,
            (Value::Array(items), Step::Index(index)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

/// `1.0.x` or `1.1.x`.
fn read_version(text: &str) -> Result<Version, String> {
    let mut parts = text.split('.');
    let (major, minor, patch) = (parts.next(), parts.next(), parts.next());
    let (Some(major), Some(minor), Some(_), None) = (number(major), number(minor), number(patch), parts.next()) else {
        return Err(format!("`{text}` is not a version such as `1.0.0`"));
    };
    match (major, minor) {
        ("1", "0") => Ok(Version::V1_0),
        ("1", "1") => Ok(Version::V1_1),
        ("1", _) => Err(format!("Overlay `{text}` is not supported (this generator reads Overlay 1.0 and 1.1)")),
        _ => Err(format!("Overlay `{text}` is of major version {major}; this generator reads Overlay 1 (1.0 and 1.1)")),
    }
}

/// A version part: digits only.
fn number(part: Option<&str>) -> Option<&str> {
    part.filter(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()))
}

/// Checks that `object` has only `known` keys and `x-` extensions.
fn known_keys(object: &Map<String, Value>, known: &[&str], at: &JsonPointer) -> Result<(), Failure> {
    for key in object.keys() {
        if !known.contains(&key.as_str()) && !key.starts_with("x-") {
            let names: Vec<String> = known.iter().map(|name| format!("`{name}`")).collect();
            return Err((
                at.push(key),
                format!("unknown key `{key}` (known: {}, and `x-` extensions)", names.join(", ")),
            ));
        }
    }
    Ok(())
}

fn read_action(action: &Value, at: &JsonPointer) -> Result<Action, Failure> {
    let Some(fields) = action.as_object() else {
        return Err((at.clone(), "an action must be a mapping".to_owned()));
    };
    known_keys(fields, &["target", "description", "update", "remove"], at)?;
    let target = match fields.get("target") {
        None => return Err((at.clone(), "an action must have a `target` (a JSONPath query)".to_owned())),
        Some(Value::String(target)) => read_target(target).map_err(|message| (at.push("target"), message))?,
        Some(_) => return Err((at.push("target"), "`target` must be a string (a JSONPath query)".to_owned())),
    };
    if fields.get("description").is_some_and(|description| !description.is_string()) {
        return Err((at.push("description"), "`description` must be a string".to_owned()));
    }
    let remove = match fields.get("remove") {
        None => false,
        Some(Value::Bool(remove)) => *remove,
        Some(_) => return Err((at.push("remove"), "`remove` must be `true` or `false`".to_owned())),
    };
    let change = match (fields.get("update"), remove) {
        (Some(_), true) => {
            return Err((
                at.clone(),
                "the action has both `update` and `remove: true` (the Overlay Specification ignores `update` then); \
                 keep one"
                    .to_owned(),
            ));
        }
        (None, false) => {
            return Err((
                at.clone(),
                "the action has neither `update` nor `remove: true`; it would change nothing".to_owned(),
            ));
        }
        (Some(update), false) => Change::Update(update.clone(), count_values(update)),
        (None, true) => Change::Remove,
    };
    Ok(Action { target, change })
}

/// How many JSON values `value` holds, itself included.
fn count_values(value: &Value) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        count += 1;
        match value {
            Value::Object(map) => stack.extend(map.values()),
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    count
}

/// Parses a `target`, after checking it keeps the query's work bounded.
fn read_target(target: &str) -> Result<JsonPath, String> {
    if target.chars().count() > MAX_TARGET_CHARS {
        return Err(format!("the target is longer than {MAX_TARGET_CHARS} characters"));
    }
    let shape = scan(target);
    if shape.nesting > MAX_TARGET_NESTING {
        return Err(format!("brackets and parentheses nest more than {MAX_TARGET_NESTING} deep"));
    }
    let path = JsonPath::parse(target).map_err(|err| format!("invalid JSONPath: {err}"))?;
    if shape.descendants > 1 {
        return Err("more than one descendant segment (`..`); a target may have one".to_owned());
    }
    if shape.roots > 1 {
        return Err(
            "a query inside a filter starts at the root (`$`), which would run over the whole document for every \
             node; start it at the current node (`@`)"
                .to_owned(),
        );
    }
    if shape.branches > MAX_TARGET_BRANCHES {
        return Err(format!(
            "{} wildcards, filters, slices, descendant segments and extra selectors; a target may have at most \
             {MAX_TARGET_BRANCHES}",
            shape.branches
        ));
    }
    Ok(path)
}

/// What a target's text says about the work of its query, counted outside string literals.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    descendants: usize,
    roots: usize,
    branches: usize,
    nesting: usize,
}

fn scan(target: &str) -> Shape {
    let mut shape = Shape::default();
    let mut depth = 0usize;
    let mut quote = None;
    let mut chars = target.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(open) = quote {
            match c {
                '\\' => {
                    chars.next();
                }
                c if c == open => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '$' => shape.roots += 1,
            '.' if chars.peek() == Some(&'.') => {
                chars.next();
                shape.descendants += 1;
                shape.branches += 1;
            }
            '*' | '?' | ',' | ':' => shape.branches += 1,
            '[' | '(' => {
                depth += 1;
                shape.nesting = shape.nesting.max(depth);
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    shape
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const HEAD: &str = "overlay: 1.1.0\ninfo: {title: Fixes, version: '1'}\n";

    fn overlay(actions: &str) -> Overlay {
        Overlay::parse("specs/shop.overlay.yaml", format!("{HEAD}actions:\n{actions}").as_bytes()).unwrap()
    }

    fn error(text: &str) -> String {
        Overlay::parse("specs/shop.overlay.yaml", text.as_bytes()).unwrap_err().to_string()
    }

    fn report(overlay: &Overlay, document: &mut Value) -> Vec<String> {
        overlay.apply(document).unwrap().iter().map(Warning::to_string).collect()
    }

    #[test]
    fn an_update_merges_into_objects_recursively() {
        let mut doc = json!({"info": {"title": "Shop", "x-tags": ["a"], "contact": {"name": "N", "url": "u"}}});
        let overlay = overlay(
            "  - target: $.info\n    update: {title: Fixed shop, x-tags: [b], contact: {name: M, email: e}, x-new: 1}\n",
        );
        assert_eq!(report(&overlay, &mut doc), ["/info: overlay `specs/shop.overlay.yaml#/actions/0` updated 1 node"]);
        assert_eq!(
            doc,
            json!({"info": {"title": "Fixed shop", "x-tags": ["a", "b"], "contact": {"name": "M", "url": "u", "email": "e"}, "x-new": 1}})
        );
        // Keys keep their place; new ones come last.
        let keys: Vec<&String> = doc["info"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["title", "x-tags", "contact", "x-new"]);
    }

    #[test]
    fn an_update_of_several_nodes_changes_each_and_says_how_many() {
        let mut doc = json!({"webhooks": {"a": {"post": {}}, "b": {"post": {"x": 1}}, "c": {"get": {}}}});
        let overlay = overlay("  - target: $.webhooks.*.post\n    update: {x-safe: true}\n");
        assert_eq!(
            report(&overlay, &mut doc),
            ["/webhooks/a/post: overlay `specs/shop.overlay.yaml#/actions/0` updated 2 nodes"]
        );
        assert_eq!(doc["webhooks"]["a"]["post"], json!({"x-safe": true}));
        assert_eq!(doc["webhooks"]["b"]["post"], json!({"x": 1, "x-safe": true}));
        assert_eq!(doc["webhooks"]["c"], json!({"get": {}}));
    }

    #[test]
    fn updates_of_arrays_and_primitives_follow_the_version() {
        let mut doc = json!({"tags": ["a"], "s": {"type": "string"}});
        let overlay = overlay("  - target: $.tags\n    update: [b, c]\n  - target: $.s.type\n    update: integer\n");
        report(&overlay, &mut doc);
        assert_eq!(doc, json!({"tags": ["a", "b", "c"], "s": {"type": "integer"}}));
        // 1.0 appends the update as one entry, and targets no primitive value.
        let old = Overlay::parse(
            "o.yaml",
            b"overlay: 1.0.0\ninfo: {title: T, version: '1'}\nactions:\n  - target: $.tags\n    update: [d]\n",
        )
        .unwrap();
        old.apply(&mut doc).unwrap();
        assert_eq!(doc["tags"], json!(["a", "b", "c", ["d"]]));
        let old = Overlay::parse(
            "o.yaml",
            b"overlay: 1.0.1\ninfo: {title: T, version: '1'}\nactions:\n  - target: $.s.type\n    update: number\n",
        )
        .unwrap();
        let err = old.apply(&mut doc).unwrap_err().to_string();
        assert!(err.starts_with("o.yaml#/actions/0/target: selects a primitive value at /s/type; Overlay 1.0 targets only objects and arrays"), "{err}");
    }

    #[test]
    fn remove_takes_nodes_out_of_their_objects_and_arrays() {
        let mut doc = json!({"paths": {"/a": {}, "/b": {}}, "required": ["id", "x", "y", "x", "z"]});
        let overlay = overlay(
            "  - target: $.paths['/a']\n    remove: true\n  - target: $.required[?@ == 'x' || @ == 'z']\n    remove: true\n",
        );
        assert_eq!(
            report(&overlay, &mut doc),
            [
                "/paths/~1a: overlay `specs/shop.overlay.yaml#/actions/0` removed 1 node",
                "/required/1: overlay `specs/shop.overlay.yaml#/actions/1` removed 3 nodes",
            ]
        );
        assert_eq!(doc, json!({"paths": {"/b": {}}, "required": ["id", "y"]}));
    }

    /// Removing entries of one array, and entries inside later entries of it, removes exactly the
    /// selected ones: no removal shifts an index another still needs.
    #[test]
    fn removals_in_arrays_do_not_shift_each_other() {
        let mut doc = json!({"list": [{"k": 0, "tags": ["drop", "keep"]}, {"k": 1}, {"k": 2, "tags": ["keep", "drop"]}, {"k": 3}]});
        let drops = overlay("  - target: $..[?@ == 'drop' || @.k == 1 || @.k == 3]\n    remove: true\n");
        assert_eq!(
            report(&drops, &mut doc),
            ["/list/0/tags/0: overlay `specs/shop.overlay.yaml#/actions/0` removed 4 nodes"]
        );
        assert_eq!(doc, json!({"list": [{"k": 0, "tags": ["keep"]}, {"k": 2, "tags": ["keep"]}]}));
        // A node inside a removed node goes with it, and counts once.
        let mut doc = json!({"a": [{"b": [1, 2]}, 3]});
        assert_eq!(
            report(&overlay("  - target: $..*\n    remove: true\n"), &mut doc),
            ["/a: overlay `specs/shop.overlay.yaml#/actions/0` removed 1 node"]
        );
        assert_eq!(doc, json!({}));
    }

    #[test]
    fn a_target_matching_nothing_is_a_warning_and_later_actions_see_earlier_changes() {
        let mut doc = json!({"a": {"b": 1}});
        let overlay = overlay(
            "  - target: $.missing\n    remove: true\n  - target: $.a\n    remove: true\n  - target: $.a\n    update: {c: 1}\n",
        );
        assert_eq!(
            report(&overlay, &mut doc),
            [
                "/: overlay `specs/shop.overlay.yaml#/actions/0` matched nothing; it changed nothing",
                "/a: overlay `specs/shop.overlay.yaml#/actions/1` removed 1 node",
                "/: overlay `specs/shop.overlay.yaml#/actions/2` matched nothing; it changed nothing",
            ]
        );
        assert_eq!(doc, json!({}));
    }

    #[test]
    fn updates_that_cannot_merge_are_errors_naming_the_overlay_part() {
        let mut doc = json!({"a": {"b": {"c": 1}}, "list": [1], "s": "x"});
        let cases = [
            (
                "  - target: $.a\n    update: {b: [1]}\n",
                "specs/shop.overlay.yaml#/actions/0/update/b: is a list and the spec has a mapping at /a/b; an update merges a mapping into a mapping, appends a list to a list and replaces a primitive value with one",
            ),
            (
                "  - target: $.a\n    update: {b: {c: {d: 1}}}\n",
                "specs/shop.overlay.yaml#/actions/0/update/b/c: is a mapping and the spec has a primitive value at /a/b/c; an update merges a mapping into a mapping, appends a list to a list and replaces a primitive value with one",
            ),
            (
                "  - target: $.a\n    update: 3\n",
                "specs/shop.overlay.yaml#/actions/0/update: must be a mapping to merge into the objects `target` selects, not a primitive value",
            ),
            (
                "  - target: $.s\n    update: {x: 1}\n",
                "specs/shop.overlay.yaml#/actions/0/update: must be a primitive value to replace the primitive values `target` selects, not a mapping",
            ),
            (
                "  - target: $[?@.b || @ == 'x']\n    update: {x: 1}\n",
                "specs/shop.overlay.yaml#/actions/0/target: selects objects (at /a) and primitive values (at /s); the targets of an `update` must be all objects, all arrays or all primitive values",
            ),
            (
                "  - target: $\n    remove: true\n",
                "specs/shop.overlay.yaml#/actions/0/target: selects the document root, which no object or array holds; it cannot be removed",
            ),
        ];
        for (actions, expected) in cases {
            assert_eq!(overlay(actions).apply(&mut doc.clone()).unwrap_err().to_string(), expected, "{actions}");
        }
        // The budget of copied values.
        let big: Vec<String> = (0..1000).map(|i| format!("k{i}: {i}")).collect();
        let mut wide = json!({"list": (0..20_000).map(|_| json!({})).collect::<Vec<_>>()});
        let err = overlay(&format!("  - target: $.list[*]\n    update: {{{}}}\n", big.join(", ")))
            .apply(&mut wide)
            .unwrap_err();
        assert!(err.to_string().starts_with("specs/shop.overlay.yaml#/actions/0/update: merging this update into its 20000 targets would copy 20020000 values"), "{err}");
        doc["a"] = json!(1);
    }

    #[test]
    fn invalid_overlays_are_errors_naming_the_file_and_pointer() {
        let actions = "actions:\n  - target: $.a\n    remove: true\n";
        let info = "info: {title: T, version: '1'}\n";
        for (text, expected) in [
            ("overlay: [", "specs/shop.overlay.yaml: not a valid YAML document: "),
            (
                &format!("{info}{actions}"),
                "specs/shop.overlay.yaml#/: `overlay` (the Overlay Specification version, `1.0.0`) is required",
            ),
            (
                &format!("overlay: 2.0.0\n{info}{actions}"),
                "specs/shop.overlay.yaml#/overlay: Overlay `2.0.0` is of major version 2; this generator reads Overlay 1 (1.0 and 1.1)",
            ),
            (
                &format!("overlay: 1.2.0\n{info}{actions}"),
                "specs/shop.overlay.yaml#/overlay: Overlay `1.2.0` is not supported (this generator reads Overlay 1.0 and 1.1)",
            ),
            (
                &format!("overlay: '1.0'\n{info}{actions}"),
                "specs/shop.overlay.yaml#/overlay: `1.0` is not a version such as `1.0.0`",
            ),
            (
                &format!("overlay: 1.0.0\n{actions}"),
                "specs/shop.overlay.yaml#/: `info` (with `title` and `version`) is required",
            ),
            (
                &format!("overlay: 1.0.0\ninfo: {{title: T}}\n{actions}"),
                "specs/shop.overlay.yaml#/info: `info` must have a `version`",
            ),
            (
                &format!("overlay: 1.0.0\n{info}"),
                "specs/shop.overlay.yaml#/: `actions` (a list of at least one action) is required",
            ),
            (
                &format!("overlay: 1.0.0\n{info}actions: []\n"),
                "specs/shop.overlay.yaml#/actions: `actions` must have at least one action",
            ),
            (
                &format!("overlay: 1.0.0\n{info}{actions}updates: []\n"),
                "specs/shop.overlay.yaml#/updates: unknown key `updates` (known: `overlay`, `info`, `extends`, `actions`, and `x-` extensions)",
            ),
            (
                &format!("overlay: 1.0.0\n{info}actions:\n  - target: $.a\n"),
                "specs/shop.overlay.yaml#/actions/0: the action has neither `update` nor `remove: true`; it would change nothing",
            ),
            (
                &format!("overlay: 1.0.0\n{info}actions:\n  - target: $.a\n    remove: true\n    update: {{}}\n"),
                "specs/shop.overlay.yaml#/actions/0: the action has both `update` and `remove: true` (the Overlay Specification ignores `update` then); keep one",
            ),
            (
                &format!(
                    "overlay: 1.0.0\n{info}actions:\n  - {{target: $.a, remove: true}}\n  - {{target: $.a, remove: yes}}\n"
                ),
                "specs/shop.overlay.yaml#/actions/1/remove: `remove` must be `true` or `false`",
            ),
            (
                &format!("overlay: 1.0.0\n{info}actions:\n  - remove: true\n"),
                "specs/shop.overlay.yaml#/actions/0: an action must have a `target` (a JSONPath query)",
            ),
            (
                &format!(
                    "overlay: 1.0.0\n{info}actions:\n  - {{target: '$.a', remove: true}}\n  - {{target: '$.a', remove: true}}\n  - {{target: 'paths.a', remove: true}}\n"
                ),
                "specs/shop.overlay.yaml#/actions/2/target: invalid JSONPath: at position 0, parser error",
            ),
            (
                &format!("overlay: 1.0.0\n{info}actions:\n  - {{target: \"$..a..b\", remove: true}}\n"),
                "specs/shop.overlay.yaml#/actions/0/target: more than one descendant segment (`..`); a target may have one",
            ),
            (
                &format!("overlay: 1.0.0\n{info}actions:\n  - {{target: \"$..[?$.x]\", remove: true}}\n"),
                "specs/shop.overlay.yaml#/actions/0/target: a query inside a filter starts at the root (`$`)",
            ),
            (
                &format!("overlay: 1.0.0\n{info}actions:\n  - {{target: \"$[*,*,*][*,*,*]\", remove: true}}\n"),
                "specs/shop.overlay.yaml#/actions/0/target: 10 wildcards, filters, slices, descendant segments and extra selectors; a target may have at most 8",
            ),
        ] {
            let err = error(text);
            assert!(err.starts_with(expected), "{text}\n{err}\nexpected {expected}");
        }
        let deep = format!(
            "overlay: 1.0.0\n{info}actions:\n  - target: \"$[?{}@.a{}]\"\n    remove: true\n",
            "(".repeat(40),
            ")".repeat(40)
        );
        assert!(
            error(&deep).ends_with("/actions/0/target: brackets and parentheses nest more than 32 deep"),
            "{}",
            error(&deep)
        );
        let long =
            format!("overlay: 1.0.0\n{info}actions:\n  - target: \"$.{}\"\n    remove: true\n", "a".repeat(2000));
        assert!(error(&long).ends_with("/actions/0/target: the target is longer than 1024 characters"));
    }

    #[test]
    fn the_target_scan_skips_string_literals() {
        assert_eq!(
            scan("$..required[?@ == 'has..discussions, $*']"),
            Shape { descendants: 1, roots: 1, branches: 2, nesting: 1 }
        );
        assert_eq!(scan(r#"$["a\"..b"]"#), Shape { descendants: 0, roots: 1, branches: 0, nesting: 1 });
        // Extensions and filters that overlays in the wild use are read.
        assert!(read_target("$.paths[*][?(@.operationId == 'x')]").is_ok());
        assert!(read_target("$.webhooks.*.post[?length(@.parameters) > 0]").is_ok());
    }
}
