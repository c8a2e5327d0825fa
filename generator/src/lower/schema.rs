//! Schemas -> types: the tolerant reading of `type`, objects, arrays and scalars.

use serde_json::{Map, Value};

use super::{Lowered, Lowerer, WantedName, component_schema_name, keywords, kind_of};
use crate::config::UnknownProperties;
use crate::docs;
use crate::error::Error;
use crate::ir::{AdditionalProperties, Field, TypeDef, TypeKind, TypeRef};
use crate::naming::{self, UniqueNames};
use crate::pointer::JsonPointer;
use foldhash::{HashSet, HashSetExt};

/// How deeply schemas may nest while one is lowered (each `$ref`, property, array item, map value or
/// composition member is a level). Real specs nest a few dozen levels at most; the limit keeps lowering,
/// and everything after it that walks the types, well inside a 2 MiB thread stack.
pub(crate) const MAX_SCHEMA_DEPTH: usize = 128;

/// How deeply arrays and maps may nest inside one field's type (`Vec<Vec<...>>`), counting from the
/// field: their Rust types nest as deeply, and compiling (and formatting) deeply nested generics needs
/// stack in proportion. Real payloads nest arrays two or three deep.
pub(crate) const MAX_TYPE_NESTING: usize = 16;

/// How many arrays and maps `ty` nests before a named or scalar type.
fn type_nesting(mut ty: &TypeRef) -> usize {
    let mut depth = 0;
    while let TypeRef::Vec(inner) | TypeRef::Map(inner) = ty {
        depth += 1;
        ty = inner;
    }
    depth
}

/// Where an object keeps the properties its schema does not declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Open {
    /// The schema says so: `additionalProperties: true` (any JSON values), or the schema of the values.
    Declared(Option<JsonPointer>),
    /// The schema says nothing; the spec's settings keep them as any JSON values.
    Kept,
}

impl Lowerer<'_, '_> {
    /// Lowers the schema `node`, found at `pointer`; `wanted_name` names the type if the schema needs one.
    /// The walk passes each schema's node down with its pointer, so no schema is looked up from the root
    /// again (only `$ref` targets are).
    ///
    /// A schema that contains itself gets a named type even where it would otherwise be inlined (an
    /// array or a map of itself: a [`TypeKind::Newtype`]), and lowering stops with an error naming the
    /// schema where nesting passes [`MAX_SCHEMA_DEPTH`], so no spec can exhaust the stack.
    pub(super) fn lower_schema(
        &mut self,
        pointer: &JsonPointer,
        node: &Value,
        wanted_name: &WantedName<'_>,
    ) -> Result<Lowered, Error> {
        let (target, node) = self.doc.deref_node(pointer, node, self.diag)?;
        if let Some(&id) = self.by_pointer.get(&target) {
            let recursive = self.in_progress.contains(&id);
            let nullable = node.as_object().is_some_and(|schema| self.schema_types(&target, schema, false).1);
            return Ok(Lowered { ty: TypeRef::Named(id), nullable, recursive });
        }
        // A schema from `components/schemas` is named after its component, wherever it is used.
        let component_name = component_schema_name(&target).map(|name| WantedName::given(&naming::type_name(&name)));
        let wanted_name = component_name.as_ref().unwrap_or(wanted_name);
        if let Some(depth) = self.lowering.get_index_of(target.as_ref()) {
            // Back at a schema still being lowered that has no named type yet: give it one now, so the
            // inner occurrence can refer to it.
            let id = match self.lowering[depth] {
                Some(id) => id,
                None => {
                    let docs = node.as_object().and_then(|schema| self.description(schema));
                    let id = self.reserve_type(&target, wanted_name.get(), docs);
                    self.in_progress.insert(id);
                    self.lowering[depth] = Some(id);
                    id
                }
            };
            let nullable = node.as_object().is_some_and(|schema| self.schema_types(&target, schema, false).1);
            return Ok(Lowered { ty: TypeRef::Named(id), nullable, recursive: true });
        }
        if self.lowering.len() >= MAX_SCHEMA_DEPTH {
            return Err(self.diag.error(
                &target,
                format!(
                    "schemas nest more than {MAX_SCHEMA_DEPTH} levels deep here (each `$ref`, property, item or \
                     member is a level); bound the nesting of the schemas that lead to this one"
                ),
            ));
        }
        self.lowering.insert(target.clone().into_owned(), None);
        let lowered = self.lower_schema_body(&target, node, wanted_name);
        let reserved = self.lowering.pop().and_then(|(_, reserved)| reserved);
        let lowered = lowered?;
        if type_nesting(&lowered.ty) > MAX_TYPE_NESTING {
            return Err(self.diag.error(
                &target,
                format!(
                    "arrays and maps nest more than {MAX_TYPE_NESTING} levels deep here; give an inner schema a \
                     name of its own (a component with properties) or bound the nesting"
                ),
            ));
        }
        let Some(id) = reserved else { return Ok(lowered) };
        // The schema contained itself: its type is the newtype reserved for the inner occurrence.
        self.in_progress.remove(&id);
        let inner = if lowered.ty == TypeRef::Named(id) {
            self.warn(
                &target,
                "the schema is only itself (through `allOf`, `oneOf` or `anyOf`); typed as any JSON value",
            );
            TypeRef::Json
        } else {
            lowered.ty
        };
        let name = self.types[id].name.clone();
        self.document_if_undocumented(&inner, || format!("the value of [`{name}`]"));
        self.types[id].kind = TypeKind::Newtype { inner };
        Ok(Lowered { ty: TypeRef::Named(id), nullable: lowered.nullable, recursive: lowered.recursive })
    }

    /// [`Self::lower_schema`] for a schema known by its pointer alone (where a walk starts).
    pub(super) fn lower_schema_at(&mut self, pointer: &JsonPointer, wanted_name: &str) -> Result<Lowered, Error> {
        let (target, node) = self.doc.deref(pointer, self.diag)?;
        self.lower_schema(&target, node, &WantedName::given(wanted_name))
    }

    /// Lowers the schema `node` found at `target`, which is not lowered yet.
    fn lower_schema_body(
        &mut self,
        target: &JsonPointer,
        node: &Value,
        wanted_name: &WantedName<'_>,
    ) -> Result<Lowered, Error> {
        let synthesized;
        let schema = match node {
            Value::Object(schema) => schema,
            Value::Bool(true) => return Ok(Lowered::plain(TypeRef::Json)),
            Value::Bool(false) => {
                self.warn(target, "schema `false` allows no value; typed as any JSON value");
                return Ok(Lowered::plain(TypeRef::Json));
            }
            // A type name where a schema belongs (`"status": "object"`): read as `{type: ...}`.
            Value::String(text) if keywords::read_type(text).is_some() => {
                self.warn(target, format!("a schema given as the string `{text}`; read as `{{type: {text}}}`"));
                synthesized = Map::from_iter([("type".to_owned(), Value::String(text.clone()))]);
                &synthesized
            }
            _ => {
                return Err(self
                    .diag
                    .error(target, format!("a schema must be an object or a boolean, found {}", kind_of(node))));
            }
        };
        for keyword in schema.keys().filter(|keyword| !keywords::is_known_keyword(keyword)) {
            self.warn(&target.push(keyword), format!("unknown schema keyword `{keyword}`; ignored"));
        }
        let (types, nullable) = self.schema_types(target, schema, true);
        if let Some(lowered) = self.lower_enum(target, schema, &types, wanted_name)? {
            return Ok(Lowered { nullable: nullable || lowered.nullable, ..lowered });
        }
        if schema.contains_key("allOf") {
            return self.lower_all_of(target, schema, wanted_name, nullable);
        }
        if !schema.contains_key("properties") {
            for keyword in ["oneOf", "anyOf"] {
                if schema.contains_key(keyword) {
                    let lowered = self.lower_alternatives(target, schema, keyword, wanted_name)?;
                    return Ok(Lowered { nullable: nullable || lowered.nullable, ..lowered });
                }
            }
        }
        let ty = match types.as_slice() {
            [] => return self.untyped(target, schema, wanted_name, nullable),
            [single] => match *single {
                "object" => return self.lower_object(target, schema, wanted_name, nullable),
                "array" => self.lower_array(target, schema, wanted_name)?,
                "string" => self.string_type(target, schema),
                "integer" => self.integer_type(target, schema),
                "number" => self.number_type(target, schema),
                "boolean" => TypeRef::Bool,
                _ => TypeRef::Json,
            },
            // Several types (`[string, integer]`): any JSON value is the faithful reading.
            _ => TypeRef::Json,
        };
        Ok(Lowered { ty, nullable, recursive: false })
    }

    /// The non-null types a schema declares (read tolerantly), and whether it allows `null`.
    pub(super) fn schema_types(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        report: bool,
    ) -> (Vec<&'static str>, bool) {
        let mut nullable = schema.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        // Each value with its index in a list of types; the pointer to it is made only for a warning.
        let raw: Vec<(Option<usize>, &Value)> = match schema.get("type") {
            None => Vec::new(),
            Some(Value::Array(list)) => list.iter().enumerate().map(|(i, item)| (Some(i), item)).collect(),
            Some(single) => vec![(None, single)],
        };
        let type_pointer = |index: Option<usize>| match index {
            Some(i) => pointer.push("type").index(i),
            None => pointer.push("type"),
        };
        let mut types = Vec::new();
        for (index, value) in raw {
            let Some(text) = value.as_str() else {
                if report {
                    self.warn(
                        &type_pointer(index),
                        format!("`type` must be a string, found {}; ignored", kind_of(value)),
                    );
                }
                continue;
            };
            match keywords::read_type(text) {
                Some(("null", _)) => nullable = true,
                Some((ty, alias)) => {
                    if alias && report {
                        self.warn(&type_pointer(index), format!("`{text}` is not a JSON Schema type; read as `{ty}`"));
                    }
                    if !types.contains(&ty) {
                        types.push(ty);
                    }
                }
                None => {
                    if report {
                        self.warn(&type_pointer(index), format!("unknown type `{text}`; typed as any JSON value"));
                    }
                    return (vec!["unknown"], nullable);
                }
            }
        }
        if types.is_empty() && schema.get("type").and_then(Value::as_str) == Some("null") {
            // `type: null` alone: the only value is null.
            return (vec!["unknown"], true);
        }
        (types, nullable)
    }

    /// A schema without `type`: its keywords say what it is, otherwise it accepts any JSON value.
    fn untyped(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        wanted_name: &WantedName<'_>,
        nullable: bool,
    ) -> Result<Lowered, Error> {
        if schema.contains_key("properties") || schema.contains_key("additionalProperties") {
            return self.lower_object(pointer, schema, wanted_name, nullable);
        }
        if schema.contains_key("items") {
            let ty = self.lower_array(pointer, schema, wanted_name)?;
            return Ok(Lowered { ty, nullable, recursive: false });
        }
        Ok(Lowered { ty: TypeRef::Json, nullable, recursive: false })
    }

    /// `string` -> `String`, whatever the format; a non-standard format is reported.
    fn string_type(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>) -> TypeRef {
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            if !keywords::is_known_string_format(format) {
                self.warn(&pointer.push("format"), format!("unknown string format `{format}`; kept as a string"));
            }
        }
        TypeRef::String
    }

    /// `int32` (and narrower) -> `i32`; `int64`, unsigned 32/64-bit or no format -> `i64` (webhook
    /// integers are commonly millisecond timestamps and IDs that overflow 32 bits); any other format is
    /// reported and read as `i64`.
    fn integer_type(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>) -> TypeRef {
        match schema.get("format").and_then(Value::as_str) {
            Some("int8" | "int16" | "int32" | "uint8" | "uint16") => TypeRef::I32,
            None | Some("int64" | "uint32" | "uint64" | "uint" | "int") => TypeRef::I64,
            Some(format) => {
                self.warn(
                    &pointer.push("format"),
                    format!("format `{format}` on an integer; read as a 64-bit integer"),
                );
                TypeRef::I64
            }
        }
    }

    /// `number` -> `serde_json::Number` (exact, whether written as an integer or a float); formats other
    /// than `float`/`double` are reported.
    fn number_type(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>) -> TypeRef {
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            if !matches!(format, "float" | "double" | "decimal") {
                self.warn(&pointer.push("format"), format!("format `{format}` on a number; kept as a JSON number"));
            }
        }
        TypeRef::Number
    }

    fn lower_array(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        wanted_name: &WantedName<'_>,
    ) -> Result<TypeRef, Error> {
        match schema.get("items") {
            None => {
                self.warn(pointer, "array without `items`; items typed as any JSON value");
                Ok(TypeRef::Vec(Box::new(TypeRef::Json)))
            }
            Some(Value::Array(_)) => {
                self.warn(
                    &pointer.push("items"),
                    "tuple-style `items` (an array of schemas); items typed as any JSON value",
                );
                Ok(TypeRef::Vec(Box::new(TypeRef::Json)))
            }
            Some(items) => {
                let item_name = || format!("{}Item", wanted_name.get());
                let item = self.lower_schema(&pointer.push("items"), items, &WantedName::lazy(&item_name))?;
                let ty = if item.nullable { TypeRef::Json } else { item.ty };
                Ok(TypeRef::Vec(Box::new(ty)))
            }
        }
    }

    pub(super) fn lower_object(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        wanted_name: &WantedName<'_>,
        nullable: bool,
    ) -> Result<Lowered, Error> {
        let properties = match schema.get("properties") {
            None => None,
            Some(Value::Object(properties)) if properties.is_empty() => None,
            Some(Value::Object(properties)) => Some(properties),
            Some(other) => {
                return Err(self.diag.error(
                    &pointer.push("properties"),
                    format!("`properties` must be an object, found {}", kind_of(other)),
                ));
            }
        };
        let Some(properties) = properties else {
            // No declared properties: a map from names to values.
            let value = match schema.get("additionalProperties") {
                Some(node @ Value::Object(_)) => {
                    let value_name = || format!("{}Value", wanted_name.get());
                    let value =
                        self.lower_schema(&pointer.push("additionalProperties"), node, &WantedName::lazy(&value_name))?;
                    if value.nullable { TypeRef::Json } else { value.ty }
                }
                _ => TypeRef::Json,
            };
            return Ok(Lowered { ty: TypeRef::Map(Box::new(value)), nullable, recursive: false });
        };
        let required = self.required_names(pointer, schema, properties);
        let members = properties
            .iter()
            .map(|(json_name, node)| (json_name.clone(), pointer.push("properties").push(json_name), node))
            .collect();
        let open = self.openness(pointer, schema);
        let docs = self.description(schema);
        let lowered = self.lower_struct(pointer, wanted_name.get(), docs, members, &required, open)?;
        Ok(Lowered { nullable, ..lowered })
    }

    /// Whether the object schema at `pointer` keeps the properties it does not declare, and as what:
    /// as its `additionalProperties` says, or as the spec's settings say when it says nothing.
    pub(super) fn openness(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>) -> Option<Open> {
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => Some(Open::Declared(None)),
            Some(Value::Bool(false)) => None,
            Some(Value::Object(_)) => Some(Open::Declared(Some(pointer.push("additionalProperties")))),
            Some(other) => {
                self.warn(
                    &pointer.push("additionalProperties"),
                    format!("`additionalProperties` must be a boolean or a schema, found {}; ignored", kind_of(other)),
                );
                self.default_openness()
            }
            None => self.default_openness(),
        }
    }

    /// The openness of an object schema that says nothing about `additionalProperties`.
    pub(super) fn default_openness(&self) -> Option<Open> {
        (self.unknown_properties == UnknownProperties::Keep).then_some(Open::Kept)
    }

    /// Lowers a struct from its properties (name, schema pointer and schema, in order), required names
    /// and openness. The result is not nullable; the caller knows whether the schema allows `null`.
    pub(super) fn lower_struct(
        &mut self,
        pointer: &JsonPointer,
        wanted_name: &str,
        docs: Option<String>,
        properties: Vec<(String, JsonPointer, &Value)>,
        required: &HashSet<String>,
        open: Option<Open>,
    ) -> Result<Lowered, Error> {
        let id = self.reserve_type(pointer, wanted_name, docs);
        let name = self.types[id].name.clone();
        self.in_progress.insert(id);
        // The field keeping undeclared properties is named first, so no property can take its name.
        let mut field_names = match open {
            Some(_) => UniqueNames::with_reserved(&[naming::ADDITIONAL_PROPERTIES_FIELD]),
            None => UniqueNames::default(),
        };
        let mut fields = Vec::with_capacity(properties.len());
        for (json_name, property_pointer, property) in properties {
            let wanted_field = self.field_name(&json_name);
            let (field_name, renamed) = field_names.claim(&wanted_field, "_");
            if renamed && open.is_some() && wanted_field == naming::ADDITIONAL_PROPERTIES_FIELD {
                self.warn(
                    &property_pointer,
                    format!(
                        "property `{json_name}` has the Rust name of the field that keeps undeclared properties; field named `{field_name}`"
                    ),
                );
            } else if renamed {
                self.warn(
                    &property_pointer,
                    format!(
                        "property `{json_name}` has the same Rust name as an earlier one; field named `{field_name}`"
                    ),
                );
            }
            let property_name = || format!("{name}{}", naming::type_name(&json_name));
            let lowered = self.lower_schema(&property_pointer, property, &WantedName::lazy(&property_name))?;
            self.document_if_undocumented(&lowered.ty, || {
                format!("the {} property of [`{name}`]", docs::code_span(&json_name))
            });
            // A description beside a `$ref` wins over the referenced schema's own.
            let own = property.as_object().and_then(|schema| self.description(schema));
            let docs = match own {
                Some(docs) => Some(docs),
                None => match self.doc.deref_node(&property_pointer, property, self.diag) {
                    Ok((_, node)) => node.as_object().and_then(|schema| self.description(schema)),
                    Err(_) => None,
                },
            };
            fields.push(Field {
                name: field_name,
                boxed: lowered.recursive && matches!(lowered.ty, TypeRef::Named(_)),
                ty: lowered.ty,
                required: self.required == crate::config::RequiredProperties::AsDeclared
                    && required.contains(&json_name),
                nullable: lowered.nullable,
                json_name,
                docs,
            });
        }
        let additional = match open {
            None => None,
            Some(open) => Some(self.additional_properties(&name, open)?),
        };
        self.in_progress.remove(&id);
        self.types[id].kind = TypeKind::Struct { fields, additional };
        Ok(Lowered::plain(TypeRef::Named(id)))
    }

    /// The field of the open struct `name` that keeps its undeclared properties.
    fn additional_properties(&mut self, name: &str, open: Open) -> Result<AdditionalProperties, Error> {
        let (ty, why) = match open {
            Open::Declared(None) => (TypeRef::Json, "its schema allows any (`additionalProperties: true`)"),
            Open::Declared(Some(schema)) => {
                let value = self.lower_schema_at(&schema, &format!("{name}AdditionalProperty"))?;
                self.document_if_undocumented(&value.ty, || format!("an additional property of [`{name}`]"));
                let ty = if value.nullable { TypeRef::Json } else { value.ty };
                (ty, "its schema gives their type (`additionalProperties`)")
            }
            Open::Kept => (TypeRef::Json, "the spec's settings keep them (`unknown_properties: keep`)"),
        };
        Ok(AdditionalProperties {
            name: naming::ADDITIONAL_PROPERTIES_FIELD.to_owned(),
            ty,
            docs: format!(
                "Properties not declared above, kept in the order they came and written back after the\ndeclared ones: {why}."
            ),
        })
    }

    /// Claims a type name and registers the schema at `pointer` as that type, before its body is lowered
    /// (so recursive references find it). The kind is filled in by the caller.
    pub(super) fn reserve_type(&mut self, pointer: &JsonPointer, wanted_name: &str, docs: Option<String>) -> usize {
        let (name, renamed) = self.type_names.claim(wanted_name, "");
        if renamed {
            self.warn(pointer, format!("type name `{wanted_name}` is taken; this schema's type is `{name}`"));
        }
        let id = self.types.len();
        self.types.push(TypeDef {
            name,
            pointer: pointer.clone(),
            docs,
            kind: TypeKind::Struct { fields: Vec::new(), additional: None },
        });
        self.by_pointer.insert(pointer.clone(), id);
        id
    }

    /// Gives a named type (or the item type of a list or map) a doc line when its schema has no
    /// description, so every public type says what it is. `what` names the place, such as
    /// "the `object` property of [`Payload`]".
    pub(super) fn document_if_undocumented(&mut self, ty: &TypeRef, what: impl FnOnce() -> String) {
        let id = match ty {
            TypeRef::Named(id) => *id,
            TypeRef::Vec(item) | TypeRef::Map(item) => match **item {
                TypeRef::Named(id) => id,
                _ => return,
            },
            _ => return,
        };
        if self.types[id].docs.is_none() {
            let text = match ty {
                TypeRef::Vec(_) => format!("An item of {}.", what()),
                TypeRef::Map(_) => format!("A value of {}.", what()),
                _ => {
                    let what = what();
                    let mut chars = what.chars();
                    let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
                    format!("{first}{}.", chars.as_str())
                }
            };
            self.types[id].docs = Some(text);
        }
    }

    /// The `required` names of an object schema that it also declares; the others are warned about.
    fn required_names(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        properties: &Map<String, Value>,
    ) -> HashSet<String> {
        let mut required = HashSet::new();
        let Some(list) = schema.get("required") else { return required };
        let Some(list) = list.as_array() else {
            self.warn(&pointer.push("required"), "`required` is not an array; ignored");
            return required;
        };
        for (i, name) in list.iter().enumerate() {
            match name.as_str() {
                Some(name) if properties.contains_key(name) => {
                    required.insert(name.to_owned());
                }
                Some(name) => self.warn(
                    &pointer.push("required").index(i),
                    format!("required property `{name}` is not declared; ignored"),
                ),
                None => {
                    self.warn(&pointer.push("required").index(i), "a `required` entry that is not a string; ignored")
                }
            }
        }
        required
    }
}
