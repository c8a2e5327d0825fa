//! Document -> IR: every naming, typing and fallback decision is made here.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::docs;
use crate::document::{Document, Webhook};
use crate::error::{Diagnostics, Error};
use crate::ir::{Discriminator, DiscriminatorRule, Event, Field, Module, TypeDef, TypeKind, TypeRef};
use crate::naming::{self, UniqueNames};
use crate::pointer::JsonPointer;

/// What the caller decides about a module rather than the spec.
#[derive(Debug, Clone)]
pub struct ModuleOptions {
    /// The Rust module name.
    pub module_name: String,
    /// The spec file as it should appear in the `@generated` header, such as `specs/zoom.yaml`.
    pub source_file: String,
}

/// The property Zoom uses to name the event in every delivery.
const ZOOM_EVENT_PROPERTY: &str = "event";

/// Lowers a loaded document to the IR of one module.
pub(crate) fn lower(doc: &Document, options: &ModuleOptions, diag: &mut Diagnostics) -> Result<Module, Error> {
    let mut lowerer = Lowerer {
        doc,
        diag,
        types: Vec::new(),
        type_names: UniqueNames::with_reserved(naming::RESERVED_TYPE_NAMES),
        by_pointer: HashMap::new(),
        in_progress: HashSet::new(),
    };
    let mut variants = UniqueNames::with_reserved(&["Unknown"]);
    let mut methods = UniqueNames::with_reserved(&["on_unknown"]);
    let mut events = Vec::with_capacity(doc.webhooks.len());
    for webhook in &doc.webhooks {
        let (variant, renamed) = variants.claim(&naming::type_name(&webhook.name), "");
        if renamed {
            lowerer.warn(&webhook.operation.pointer, format!("webhook `{}` gets variant `{variant}`: its plain name is taken", webhook.name));
        }
        let (handler_method, _) = methods.claim(&naming::method_name("on", &webhook.name), "_");
        let payload = match webhook.operation.body.as_ref().and_then(|body| body.schema.as_ref()) {
            Some(schema) => lowerer.lower_schema(schema, &variant)?.ty,
            None => TypeRef::Json,
        };
        lowerer.document_if_undocumented(&payload, || format!("the payload of the `{}` webhook", webhook.name));
        events.push(Event {
            name: webhook.name.clone(),
            variant,
            handler_method,
            payload,
            docs: event_docs(webhook),
            examples: webhook.operation.body.as_ref().map(|body| body.examples.clone()).unwrap_or_default(),
        });
    }
    let discriminator = lowerer.find_discriminator(&events);
    Ok(Module {
        name: options.module_name.clone(),
        source_file: options.source_file.clone(),
        title: doc.info.title.clone(),
        description: doc.info.description.as_deref().and_then(docs::sanitize),
        version: doc.info.version.clone(),
        discriminator,
        events,
        types: lowerer.types,
    })
}

/// The result of lowering one schema.
struct Lowered {
    ty: TypeRef,
    /// The schema allows `null` (`type: [T, "null"]` or `nullable: true`).
    nullable: bool,
    /// The type is a struct still being lowered: a field holding it directly must be boxed.
    recursive: bool,
}

impl Lowered {
    fn plain(ty: TypeRef) -> Self {
        Self { ty, nullable: false, recursive: false }
    }
}

struct Lowerer<'a, 'd> {
    doc: &'a Document,
    diag: &'d mut Diagnostics,
    types: Vec<TypeDef>,
    type_names: UniqueNames,
    /// Named types by the pointer of the schema they came from, so every `$ref` to a schema shares one type.
    by_pointer: HashMap<JsonPointer, usize>,
    /// Structs whose fields are being lowered (to detect recursion).
    in_progress: HashSet<usize>,
}

impl Lowerer<'_, '_> {
    fn warn(&mut self, pointer: &JsonPointer, message: impl Into<String>) {
        self.diag.warn(pointer, message);
    }

    /// Lowers the schema at `pointer`; `wanted_name` names the type if the schema needs one.
    fn lower_schema(&mut self, pointer: &JsonPointer, wanted_name: &str) -> Result<Lowered, Error> {
        let (target, node) = self.doc.deref(pointer, self.diag)?;
        if let Some(&id) = self.by_pointer.get(&target) {
            let recursive = self.in_progress.contains(&id);
            return Ok(Lowered { ty: TypeRef::Named(id), nullable: false, recursive });
        }
        // A schema from `components/schemas` is named after its component, wherever it is used.
        let component_name = component_schema_name(&target).map(|name| naming::type_name(&name));
        let wanted_name = component_name.as_deref().unwrap_or(wanted_name);
        let schema = match node {
            Value::Object(schema) => schema,
            Value::Bool(true) => return Ok(Lowered::plain(TypeRef::Json)),
            Value::Bool(false) => {
                self.warn(&target, "schema `false` allows no value; typed as any JSON value");
                return Ok(Lowered::plain(TypeRef::Json));
            }
            _ => return Err(self.diag.error(&target, format!("a schema must be an object or a boolean, found {}", kind_of(node)))),
        };
        let (types, nullable) = self.schema_types(&target, schema);
        let ty = match types.as_slice() {
            [] => self.untyped(&target, schema, wanted_name)?,
            [single] => match single.as_str() {
                "object" => return self.lower_object(&target, schema, wanted_name, nullable),
                "array" => self.lower_array(&target, schema, wanted_name)?,
                "string" => TypeRef::String,
                "integer" => integer_type(schema),
                "number" => TypeRef::F64,
                "boolean" => TypeRef::Bool,
                "null" => TypeRef::Json,
                other => {
                    self.warn(&target.push("type"), format!("unknown type `{other}`; typed as any JSON value"));
                    TypeRef::Json
                }
            },
            // Several types (`[string, integer]`): any JSON value is the faithful reading.
            _ => TypeRef::Json,
        };
        Ok(Lowered { ty, nullable, recursive: false })
    }

    /// The non-null types a schema declares, and whether it allows `null`.
    fn schema_types(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>) -> (Vec<String>, bool) {
        let mut nullable = schema.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        let mut types = Vec::new();
        match schema.get("type") {
            None => {}
            Some(Value::String(ty)) => types.push(ty.clone()),
            Some(Value::Array(list)) => {
                for (i, item) in list.iter().enumerate() {
                    match item.as_str() {
                        Some(ty) => types.push(ty.to_owned()),
                        None => self.warn(&pointer.push("type").index(i), "a `type` entry that is not a string; ignored"),
                    }
                }
            }
            Some(other) => self.warn(&pointer.push("type"), format!("`type` must be a string or an array, found {}; ignored", kind_of(other))),
        }
        if types.len() > 1 && types.iter().any(|ty| ty == "null") {
            nullable = true;
            types.retain(|ty| ty != "null");
        }
        (types, nullable)
    }

    /// A schema without `type`: its keywords say what it is, otherwise it accepts any JSON value.
    fn untyped(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>, wanted_name: &str) -> Result<TypeRef, Error> {
        if schema.contains_key("properties") || schema.contains_key("additionalProperties") {
            return Ok(self.lower_object(pointer, schema, wanted_name, false)?.ty);
        }
        if schema.contains_key("items") {
            return self.lower_array(pointer, schema, wanted_name);
        }
        for keyword in ["allOf", "oneOf", "anyOf"] {
            if schema.contains_key(keyword) {
                self.warn(&pointer.push(keyword), format!("`{keyword}` is not supported yet; typed as any JSON value"));
            }
        }
        Ok(TypeRef::Json)
    }

    fn lower_array(&mut self, pointer: &JsonPointer, schema: &Map<String, Value>, wanted_name: &str) -> Result<TypeRef, Error> {
        if !schema.contains_key("items") {
            self.warn(pointer, "array without `items`; items typed as any JSON value");
            return Ok(TypeRef::Vec(Box::new(TypeRef::Json)));
        }
        let item = self.lower_schema(&pointer.push("items"), &format!("{wanted_name}Item"))?;
        Ok(TypeRef::Vec(Box::new(item.ty)))
    }

    fn lower_object(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        wanted_name: &str,
        nullable: bool,
    ) -> Result<Lowered, Error> {
        let properties = match schema.get("properties") {
            None => None,
            Some(Value::Object(properties)) if properties.is_empty() => None,
            Some(Value::Object(properties)) => Some(properties),
            Some(other) => {
                return Err(self.diag.error(&pointer.push("properties"), format!("`properties` must be an object, found {}", kind_of(other))));
            }
        };
        let Some(properties) = properties else {
            // No declared properties: a map from names to values.
            let value = match schema.get("additionalProperties") {
                Some(Value::Object(_)) => self.lower_schema(&pointer.push("additionalProperties"), &format!("{wanted_name}Value"))?.ty,
                _ => TypeRef::Json,
            };
            return Ok(Lowered { ty: TypeRef::Map(Box::new(value)), nullable, recursive: false });
        };
        let required = self.required_names(pointer, schema, properties);
        let (name, renamed) = self.type_names.claim(wanted_name, "");
        if renamed {
            self.warn(pointer, format!("type name `{wanted_name}` is taken; this schema's type is `{name}`"));
        }
        let id = self.types.len();
        self.types.push(TypeDef {
            name: name.clone(),
            pointer: pointer.clone(),
            docs: description(schema),
            kind: TypeKind::Struct { fields: Vec::new() },
        });
        self.by_pointer.insert(pointer.clone(), id);
        self.in_progress.insert(id);
        let mut field_names = UniqueNames::default();
        let mut fields = Vec::with_capacity(properties.len());
        for (json_name, property) in properties {
            let property_pointer = pointer.push("properties").push(json_name);
            let (field_name, renamed) = field_names.claim(&naming::snake_name(json_name), "_");
            if renamed {
                self.warn(&property_pointer, format!("property `{json_name}` has the same Rust name as an earlier one; field named `{field_name}`"));
            }
            let lowered = self.lower_schema(&property_pointer, &format!("{name}{}", naming::type_name(json_name)))?;
            self.document_if_undocumented(&lowered.ty, || format!("the `{json_name}` property of [`{name}`]"));
            let docs = match property.as_object().and_then(description) {
                Some(docs) => Some(docs),
                None => self.doc.deref(&property_pointer, self.diag).ok().and_then(|(_, node)| node.as_object().and_then(description)),
            };
            fields.push(Field {
                name: field_name,
                json_name: json_name.clone(),
                boxed: lowered.recursive && matches!(lowered.ty, TypeRef::Named(_)),
                ty: lowered.ty,
                required: required.contains(json_name.as_str()),
                nullable: lowered.nullable,
                docs,
            });
        }
        self.in_progress.remove(&id);
        self.types[id].kind = TypeKind::Struct { fields };
        Ok(Lowered { ty: TypeRef::Named(id), nullable, recursive: false })
    }

    /// Gives a named type (or the item type of a list or map) a doc line when its schema has no
    /// description, so every public type says what it is. `what` names the place, such as
    /// "the `object` property of [`Payload`]".
    fn document_if_undocumented(&mut self, ty: &TypeRef, what: impl FnOnce() -> String) {
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
    fn required_names<'s>(
        &mut self,
        pointer: &JsonPointer,
        schema: &'s Map<String, Value>,
        properties: &Map<String, Value>,
    ) -> HashSet<&'s str> {
        let mut required = HashSet::new();
        let Some(list) = schema.get("required") else { return required };
        let Some(list) = list.as_array() else {
            self.warn(&pointer.push("required"), "`required` is not an array; ignored");
            return required;
        };
        for (i, name) in list.iter().enumerate() {
            match name.as_str() {
                Some(name) if properties.contains_key(name) => {
                    required.insert(name);
                }
                Some(name) => self.warn(&pointer.push("required").index(i), format!("required property `{name}` is not declared; ignored")),
                None => self.warn(&pointer.push("required").index(i), "a `required` entry that is not a string; ignored"),
            }
        }
        required
    }

    /// Decides how `Event::from_slice` tells webhooks apart.
    fn find_discriminator(&mut self, events: &[Event]) -> Option<Discriminator> {
        if events.is_empty() {
            return None;
        }
        // Zoom: every payload declares a string `event` whose value is the webhook name.
        let every_event_has_name = events.iter().all(|event| match &event.payload {
            TypeRef::Named(id) => match &self.types[*id].kind {
                TypeKind::Struct { fields } => fields
                    .iter()
                    .any(|field| field.json_name == ZOOM_EVENT_PROPERTY && field.ty == TypeRef::String),
            },
            _ => false,
        });
        if !every_event_has_name {
            return None;
        }
        for event in events {
            for example in &event.examples {
                if let Some(value) = example.value.get(ZOOM_EVENT_PROPERTY).and_then(Value::as_str) {
                    if value != event.name {
                        self.warn(
                            &example.pointer,
                            format!("example's `event` is `{value}`, not the webhook name `{}`; it is checked as `{}`", event.name, event.name),
                        );
                    }
                }
            }
        }
        Some(Discriminator {
            property: ZOOM_EVENT_PROPERTY.to_owned(),
            rule: DiscriminatorRule::EventNameProperty,
            values: events.iter().map(|event| event.name.clone()).collect(),
        })
    }
}

/// `int32` -> `i32`; everything else, including no format, -> `i64` (JSON integers in webhooks are
/// commonly millisecond timestamps and IDs that overflow 32 bits).
fn integer_type(schema: &Map<String, Value>) -> TypeRef {
    match schema.get("format").and_then(Value::as_str) {
        Some("int32") => TypeRef::I32,
        _ => TypeRef::I64,
    }
}

fn description(schema: &Map<String, Value>) -> Option<String> {
    schema.get("description").and_then(Value::as_str).and_then(docs::sanitize)
}

/// `Pet` for `/components/schemas/Pet`.
fn component_schema_name(pointer: &JsonPointer) -> Option<String> {
    let tokens: Vec<String> = pointer.tokens().collect();
    match tokens.as_slice() {
        [components, schemas, name] if components == "components" && schemas == "schemas" => Some(name.clone()),
        _ => None,
    }
}

/// The docs of an event: summary, then description without a leading heading that only repeats the
/// webhook name (Zoom starts every description with `# <event name>` and a rule).
fn event_docs(webhook: &Webhook) -> Option<String> {
    let operation = &webhook.operation;
    let mut text = String::new();
    if let Some(summary) = &operation.summary {
        text.push_str(summary.trim());
        text.push_str("\n\n");
    }
    if let Some(description) = &operation.description {
        let mut lines = description.trim_start().lines().peekable();
        if lines.peek().is_some_and(|first| first.trim_start_matches('#').trim() == webhook.name && first.starts_with('#')) {
            lines.next();
            while lines.peek().is_some_and(|line| line.trim().is_empty() || line.trim() == "---") {
                lines.next();
            }
        }
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    docs::sanitize(&text)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
