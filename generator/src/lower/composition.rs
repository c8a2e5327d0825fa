//! Composition keywords. `allOf` merges its members into one struct. `oneOf` / `anyOf` become an enum
//! of alternatives: with a `discriminator`, the tag property picks the alternative; without, the
//! alternative that parses the value and declares the most of its keys wins. Either way a value no
//! alternative takes is kept in `Other(serde_json::Value)` rather than failing.

use foldhash::{HashSet, HashSetExt};

use crate::IndexMap;
use serde_json::{Map, Value};

use super::schema::Open;
use super::{Lowered, Lowerer, WantedName, component_schema_name};
use crate::error::Error;
use crate::ir::{Alternative, Tag, TypeKind, TypeRef};
use crate::naming::{self, UniqueNames};
use crate::pointer::JsonPointer;

impl Lowerer<'_, '_> {
    /// Lowers the alternatives listed under `keyword` (`oneOf` or `anyOf`).
    pub(super) fn lower_alternatives(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        keyword: &str,
        wanted_name: &WantedName<'_>,
    ) -> Result<Lowered, Error> {
        let list_pointer = pointer.push(keyword);
        let Some(list) = schema.get(keyword).and_then(Value::as_array) else {
            self.warn(&list_pointer, format!("`{keyword}` must be an array; typed as any JSON value"));
            return Ok(Lowered::plain(TypeRef::Json));
        };
        // `{type: null}` alternatives make the whole value nullable rather than being a variant.
        let mut nullable = false;
        let mut candidates = Vec::with_capacity(list.len());
        for (i, alternative) in list.iter().enumerate() {
            let alternative_pointer = list_pointer.index(i);
            let (target, node) = self.doc.deref_node(&alternative_pointer, alternative, self.diag)?;
            let target = target.into_owned();
            if node.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
            } else {
                candidates.push((alternative_pointer, alternative, target, node));
            }
        }
        if let [(only, alternative, _, _)] = candidates.as_slice() {
            let (only, alternative) = (only.clone(), *alternative);
            let lowered = self.lower_schema(&only, alternative, wanted_name)?;
            return Ok(Lowered { nullable: nullable || lowered.nullable, ..lowered });
        }
        if candidates.is_empty() {
            return Ok(Lowered { ty: TypeRef::Json, nullable, recursive: false });
        }
        let tag_property = self.tag_property(pointer, schema);
        let docs = self.description(schema);
        let id = self.reserve_type(pointer, wanted_name.get(), docs);
        let enum_name = self.types[id].name.clone();
        self.in_progress.insert(id);
        let mut names = UniqueNames::with_reserved(&["Other"]);
        let mut variants: Vec<Alternative> = Vec::with_capacity(candidates.len());
        for (alternative_pointer, alternative, target, node) in candidates {
            let wanted_variant = variant_name(&target, node);
            let (name, _) = names.claim(&wanted_variant, "");
            let lowered = self.lower_schema(
                &alternative_pointer,
                alternative,
                &WantedName::given(&format!("{enum_name}{name}")),
            )?;
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
            let tag_values = match &tag_property {
                Some(property) => self.tag_values(schema, &target, node, property),
                None => Vec::new(),
            };
            variants.push(Alternative {
                name,
                boxed: lowered.recursive && matches!(lowered.ty, TypeRef::Named(_)),
                ty: lowered.ty,
                known_properties,
                tag_values,
            });
        }
        self.in_progress.remove(&id);
        let tag = tag_property.map(|property| Tag { property });
        self.types[id].kind = TypeKind::OneOf { variants, tag };
        Ok(Lowered { ty: TypeRef::Named(id), nullable, recursive: false })
    }
}

impl<'a> Lowerer<'a, '_> {
    /// The `discriminator.propertyName` of a `oneOf`/`anyOf`, if it has a usable one.
    fn tag_property(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>) -> Option<String> {
        let discriminator = schema.get("discriminator")?;
        match discriminator.get("propertyName").and_then(Value::as_str) {
            Some(property) => Some(property.to_owned()),
            None => {
                self.warn(
                    &pointer.push("discriminator"),
                    "`discriminator` without a string `propertyName`; alternatives chosen by fit",
                );
                None
            }
        }
    }

    /// The tag values that select the alternative `node` at `target`: the `discriminator.mapping` keys
    /// that point to it, or else its component name (OpenAPI's implicit mapping), or the single value its
    /// schema fixes for the tag property.
    fn tag_values(
        &self,
        schema: &Map<String, Value>,
        target: &JsonPointer,
        node: &Value,
        property: &str,
    ) -> Vec<String> {
        let mapping = schema.get("discriminator").and_then(|d| d.get("mapping")).and_then(Value::as_object);
        let mut values: Vec<String> = mapping
            .into_iter()
            .flatten()
            .filter(|(_, reference)| {
                reference.as_str().is_some_and(|reference| {
                    JsonPointer::from_local_ref(reference).as_ref() == Some(target)
                        || component_schema_name(target).is_some_and(|name| reference == name)
                })
            })
            .map(|(value, _)| value.clone())
            .collect();
        if values.is_empty() {
            let fixed = node
                .get("properties")
                .and_then(|properties| properties.get(property))
                .and_then(|tag| {
                    tag.get("const")
                        .or_else(|| tag.get("enum").and_then(|e| e.as_array().filter(|e| e.len() == 1)?.first()))
                })
                .and_then(Value::as_str);
            match (fixed, component_schema_name(target)) {
                (Some(value), _) => values.push(value.to_owned()),
                (None, Some(name)) if mapping.is_none() => values.push(name),
                _ => {}
            }
        }
        values
    }

    /// Lowers `allOf` (with any properties beside it) to one struct holding every member's properties.
    /// A single member with nothing beside it is that member's type (the 3.0 way to describe a `$ref`).
    pub(super) fn lower_all_of<'s>(
        &mut self,
        pointer: &JsonPointer,
        schema: &'s Map<String, Value>,
        wanted_name: &WantedName<'_>,
        nullable: bool,
    ) -> Result<Lowered, Error>
    where
        'a: 's,
    {
        let Some(list) = schema.get("allOf").and_then(Value::as_array) else {
            self.warn(&pointer.push("allOf"), "`allOf` must be an array; typed as any JSON value");
            return Ok(Lowered { ty: TypeRef::Json, nullable, recursive: false });
        };
        if let ([only], false) = (list.as_slice(), schema.contains_key("properties")) {
            let lowered = self.lower_schema(&pointer.push("allOf").index(0), only, wanted_name)?;
            return Ok(Lowered { nullable: nullable || lowered.nullable, ..lowered });
        }
        let mut members: IndexMap<String, (JsonPointer, &'s Value)> = IndexMap::default();
        let mut required: IndexMap<String, JsonPointer> = IndexMap::default();
        let mut seen = HashSet::new();
        let mut docs = self.description(schema);
        let mut open = None;
        self.collect_members(pointer, schema, &mut members, &mut required, &mut seen, &mut docs, &mut open)?;
        if members.is_empty() {
            // Members without properties (`allOf: [{type: string}, {minLength: 1}]`): the first typed one.
            for (i, member) in list.iter().enumerate() {
                let member_pointer = pointer.push("allOf").index(i);
                let (_, node) = self.doc.deref_node(&member_pointer, member, self.diag)?;
                if node.get("type").is_some() || node.get("enum").is_some() {
                    let lowered = self.lower_schema(&member_pointer, member, wanted_name)?;
                    return Ok(Lowered { nullable: nullable || lowered.nullable, ..lowered });
                }
            }
            return Ok(Lowered { ty: TypeRef::Json, nullable, recursive: false });
        }
        let mut required_names = HashSet::new();
        for (name, at) in required {
            if members.contains_key(&name) {
                required_names.insert(name);
            } else {
                self.warn(&at, format!("required property `{name}` is not declared by any `allOf` member; ignored"));
            }
        }
        let open = open.unwrap_or_else(|| self.default_openness());
        let members = members.into_iter().map(|(name, (at, node))| (name, at, node)).collect();
        let lowered = self.lower_struct(pointer, wanted_name.get(), docs, members, &required_names, open)?;
        Ok(Lowered { nullable, ..lowered })
    }

    /// Gathers the properties and required names of a schema and, recursively, of its `allOf` members.
    /// A property declared again by a later member takes the later schema and keeps its first position.
    /// The first of them (the schema itself first) that says anything about `additionalProperties`
    /// decides `open`.
    #[allow(clippy::too_many_arguments)] // One accumulator per thing gathered.
    fn collect_members<'s>(
        &mut self,
        pointer: &JsonPointer,
        schema: &'s Map<String, Value>,
        members: &mut IndexMap<String, (JsonPointer, &'s Value)>,
        required: &mut IndexMap<String, JsonPointer>,
        seen: &mut HashSet<JsonPointer>,
        docs: &mut Option<String>,
        open: &mut Option<Option<Open>>,
    ) -> Result<(), Error>
    where
        'a: 's,
    {
        if !seen.insert(pointer.clone()) {
            return Ok(());
        }
        if open.is_none() && schema.contains_key("additionalProperties") {
            *open = Some(self.openness(pointer, schema));
        }
        if docs.is_none() {
            *docs = self.description(schema);
        }
        if let Some(list) = schema.get("allOf").and_then(Value::as_array) {
            for (i, member) in list.iter().enumerate() {
                let member_pointer = pointer.push("allOf").index(i);
                let (target, node) = self.doc.deref_node(&member_pointer, member, self.diag)?;
                match node.as_object() {
                    Some(member) => self.collect_members(&target, member, members, required, seen, docs, open)?,
                    None => self.warn(&target, "an `allOf` member that is not a schema object; ignored"),
                }
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            if schema.contains_key(keyword) {
                self.warn(
                    &pointer.push(keyword),
                    format!("`{keyword}` inside `allOf` is not merged; its properties are not typed"),
                );
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                // A later declaration replaces the schema and keeps the first position.
                members.insert(name.clone(), (pointer.push("properties").push(name), property));
            }
        }
        if let Some(list) = schema.get("required").and_then(Value::as_array) {
            for (i, name) in list.iter().enumerate() {
                if let Some(name) = name.as_str() {
                    if !required.contains_key(name) {
                        required.insert(name.to_owned(), pointer.push("required").index(i));
                    }
                }
            }
        }
        Ok(())
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
