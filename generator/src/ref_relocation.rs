//! `$ref`s left pointing into the other form of a webhooks document.
//!
//! Zoom publishes each area in two forms: webhooks under `paths` (its docs site) and under `webhooks` (its
//! API hub download). The download is made from the `paths` form, and some of its `$ref`s still point into
//! `#/paths/<webhook>/...`, where nothing is any more. Such a `$ref` is read as the same pointer under the
//! section the document's webhooks are in (`#/webhooks/<webhook>/...`), and the other way round for a
//! document in the `paths` form, with a warning naming the `$ref`. Nothing else is guessed: a `$ref` that
//! resolves neither way stays as it is and is the usual error where it is followed.

use serde_json::Value;

use crate::error::Diagnostics;
use crate::pointer::JsonPointer;

/// Rewrites every `$ref` that points to nothing under `paths` or the webhooks map to the same pointer in
/// the other one, when that resolves; one warning per rewritten `$ref`.
pub(crate) fn relocate_webhook_refs(root: &mut Value, diag: &mut Diagnostics) {
    let Some(top) = root.as_object() else { return };
    // The section the webhooks are in, and the one stale references may point into instead.
    let webhooks_key = ["webhooks", "x-webhooks"].into_iter().find(|key| top.contains_key(*key));
    let (home, stale) = match webhooks_key {
        Some(key) => (key, "paths"),
        None if top.contains_key("paths") => ("paths", "webhooks"),
        None => return,
    };
    let rewrites = find_stale_refs(root, home, stale);
    for (ref_pointer, original, relocated) in rewrites {
        let reference = format!("#{}", escape_percent(relocated.as_str()));
        diag.warn(
            &ref_pointer,
            format!(
                "`$ref: {original}` points to nothing in this document; read as `{reference}`, where this document's webhooks are"
            ),
        );
        if let Some(slot) = root.pointer_mut(ref_pointer.as_str()) {
            *slot = Value::String(reference);
        }
    }
}

/// The `$ref`s (their pointer, text and relocated target) that point to nothing under `stale` but resolve
/// under `home`. Walks the document with an explicit stack, so a deep document cannot overflow the stack.
fn find_stale_refs(root: &Value, home: &str, stale: &str) -> Vec<(JsonPointer, String, JsonPointer)> {
    let mut found = Vec::new();
    let mut stack = vec![(JsonPointer::root(), root)];
    while let Some((pointer, node)) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    if let Some(relocated) = relocated_target(root, reference, home, stale) {
                        found.push((pointer.push("$ref"), reference.clone(), relocated));
                    }
                }
                for (key, value) in map {
                    if value.is_object() || value.is_array() {
                        stack.push((pointer.push(key), value));
                    }
                }
            }
            Value::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    if value.is_object() || value.is_array() {
                        stack.push((pointer.index(i), value));
                    }
                }
            }
            _ => {}
        }
    }
    // Document order, so warnings read top to bottom and output stays deterministic.
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// `#/<stale>/<rest>` as `/<home>/<rest>`, when the former points to nothing and the latter to something.
fn relocated_target(root: &Value, reference: &str, home: &str, stale: &str) -> Option<JsonPointer> {
    let target = JsonPointer::from_local_ref(reference)?;
    let mut tokens = target.tokens();
    if tokens.next()? != stale || target.resolve(root).is_some() {
        return None;
    }
    let relocated = tokens.fold(JsonPointer::root().push(home), |pointer, token| pointer.push(&token));
    relocated.resolve(root).is_some().then_some(relocated)
}

/// A pointer as URI fragment text: `%` is the only character [`JsonPointer::from_local_ref`] decodes.
fn escape_percent(pointer: &str) -> String {
    pointer.replace('%', "%25")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn relocate(mut doc: Value) -> (Value, Vec<String>) {
        let mut diag = Diagnostics::new("spec.json");
        relocate_webhook_refs(&mut doc, &mut diag);
        (doc, diag.into_warnings().iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_ref_into_paths_is_read_under_webhooks() {
        let (doc, warnings) = relocate(json!({
            "webhooks": {"a.b": {"post": {"requestBody": {"content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "x": {"type": "string"},
                    "y": {"$ref": "#/paths/a.b/post/requestBody/content/application~1json/schema/properties/x"}
                }
            }}}}}}}
        }));
        assert_eq!(
            doc.pointer("/webhooks/a.b/post/requestBody/content/application~1json/schema/properties/y/$ref"),
            Some(&json!("#/webhooks/a.b/post/requestBody/content/application~1json/schema/properties/x"))
        );
        assert_eq!(
            warnings,
            ["/webhooks/a.b/post/requestBody/content/application~1json/schema/properties/y/$ref: \
                 `$ref: #/paths/a.b/post/requestBody/content/application~1json/schema/properties/x` points to \
                 nothing in this document; read as \
                 `#/webhooks/a.b/post/requestBody/content/application~1json/schema/properties/x`, \
                 where this document's webhooks are"]
        );
    }

    #[test]
    fn a_ref_into_webhooks_is_read_under_paths() {
        let (doc, warnings) = relocate(json!({
            "paths": {"a.b": {"post": {"requestBody": {"content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"x": {"type": "string"}}
            }}}}}}},
            "components": {"schemas": {"X": {"$ref": "#/webhooks/a.b/post/requestBody/content/application~1json/schema/properties/x"}}}
        }));
        assert_eq!(
            doc.pointer("/components/schemas/X/$ref"),
            Some(&json!("#/paths/a.b/post/requestBody/content/application~1json/schema/properties/x"))
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("/components/schemas/X/$ref: `$ref: #/webhooks/a.b/"), "{warnings:?}");
    }

    #[test]
    fn refs_that_resolve_or_resolve_nowhere_are_left_alone() {
        let original = json!({
            "webhooks": {"a.b": {"post": {"x": {"type": "string"}}}},
            "paths": {"a.b": {"post": {"x": {"type": "integer"}}}},
            "components": {"schemas": {
                "Resolves": {"$ref": "#/paths/a.b/post/x"},
                "Nowhere": {"$ref": "#/paths/a.b/post/missing"},
                "Other": {"$ref": "#/components/schemas/Missing"},
                "External": {"$ref": "other.json#/paths/a.b/post/x"}
            }}
        });
        let (doc, warnings) = relocate(original.clone());
        assert_eq!(doc, original);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn escapes_survive_the_rewrite() {
        let (doc, warnings) = relocate(json!({
            "webhooks": {"a/b%c": {"post": {"x": {"type": "string"}}}},
            "components": {"schemas": {"X": {"$ref": "#/paths/a~1b%25c/post/x"}}}
        }));
        assert_eq!(warnings.len(), 1);
        let reference = doc.pointer("/components/schemas/X/$ref").and_then(Value::as_str).unwrap();
        let target = JsonPointer::from_local_ref(reference).unwrap();
        assert_eq!(target.resolve(&doc), Some(&json!({"type": "string"})));
    }
}
