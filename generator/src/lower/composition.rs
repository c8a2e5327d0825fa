//! `oneOf` / `anyOf` -> an enum of alternatives that picks, for each value, the alternative that fits
//! it best, with `Other(serde_json::Value)` as the last resort rather than a failure.

use serde_json::{Map, Value};

use super::{Lowered, Lowerer, component_schema_name, description};
use crate::error::Error;
use crate::ir::{Alternative, TypeKind, TypeRef};
use crate::naming::{self, UniqueNames};
use crate::pointer::JsonPointer;

impl Lowerer<'_, '_> {
    /// Lowers the alternatives listed under `keyword` (`oneOf` or `anyOf`).
    pub(super) fn lower_alternatives(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        keyword: &str,
        wanted_name: &str,
    ) -> Result<Lowered, Error> {
        let list_pointer = pointer.push(keyword);
        let Some(list) = schema.get(keyword).and_then(Value::as_array) else {
            self.warn(&list_pointer, format!("`{keyword}` must be an array; typed as any JSON value"));
            return Ok(Lowered::plain(TypeRef::Json));
        };
        // `{type: null}` alternatives make the whole value nullable rather than being a variant.
        let mut nullable = false;
        let mut candidates = Vec::with_capacity(list.len());
        for i in 0..list.len() {
            let alternative_pointer = list_pointer.index(i);
            let (target, node) = self.doc.deref(&alternative_pointer, self.diag)?;
            if node.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
            } else {
                candidates.push((alternative_pointer, target, node));
            }
        }
        if let [(only, _, _)] = candidates.as_slice() {
            let only = only.clone();
            let lowered = self.lower_schema(&only, wanted_name)?;
            return Ok(Lowered { nullable: nullable || lowered.nullable, ..lowered });
        }
        if candidates.is_empty() {
            return Ok(Lowered { ty: TypeRef::Json, nullable, recursive: false });
        }
        let id = self.reserve_type(pointer, wanted_name, description(schema));
        let enum_name = self.types[id].name.clone();
        self.in_progress.insert(id);
        let mut names = UniqueNames::with_reserved(&["Other"]);
        let mut variants: Vec<Alternative> = Vec::with_capacity(candidates.len());
        for (alternative_pointer, target, node) in candidates {
            let wanted_variant = variant_name(&target, node);
            let (name, _) = names.claim(&wanted_variant, "");
            let lowered = self.lower_schema(&alternative_pointer, &format!("{enum_name}{name}"))?;
            // An alternative that accepts anything, or repeats an earlier one, adds nothing to `Other`.
            if lowered.ty == TypeRef::Json || variants.iter().any(|variant| variant.ty == lowered.ty) {
                continue;
            }
            self.document_if_undocumented(&lowered.ty, || format!("the `{name}` alternative of [`{enum_name}`]"));
            let known_properties = node
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| properties.keys().cloned().collect())
                .unwrap_or_default();
            variants.push(Alternative {
                name,
                boxed: lowered.recursive && matches!(lowered.ty, TypeRef::Named(_)),
                ty: lowered.ty,
                known_properties,
            });
        }
        self.in_progress.remove(&id);
        self.types[id].kind = TypeKind::OneOf { variants };
        Ok(Lowered { ty: TypeRef::Named(id), nullable, recursive: false })
    }
}

/// A variant name for an alternative: its `title`, its component name, or the kind of value it is.
fn variant_name(target: &JsonPointer, node: &Value) -> String {
    if let Some(title) = node.get("title").and_then(Value::as_str).filter(|title| !title.trim().is_empty()) {
        return naming::type_name(title);
    }
    if let Some(component) = component_schema_name(target) {
        return naming::type_name(&component);
    }
    let kind = match node.get("type").and_then(Value::as_str) {
        Some("object") => "Object",
        Some("array") => "Array",
        Some("string") => "String",
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Boolean",
        _ if node.get("properties").is_some() => "Object",
        _ => "Variant",
    };
    kind.to_owned()
}
