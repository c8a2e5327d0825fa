//! Document -> IR: every naming, typing and fallback decision is made here.
//!
//! This module lowers events; `schema` lowers schemas to types, with `enums` and `composition` for the
//! keywords that make enums and merge or choose schemas, and `keywords` for how odd keyword values are
//! read. Then `examples` widens types the spec's examples disagree with, `dedup` merges identical types,
//! `sizes` boxes what is too large to hold inline, and `discriminator` decides how deliveries are told
//! apart.

mod composition;
mod dedup;
mod discriminator;
mod enums;
mod examples;
mod keywords;
mod schema;
mod sizes;

use std::cell::OnceCell;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use serde_json::{Map, Value};

use crate::IndexMap;
use crate::docs;
use crate::document::{Document, Webhook};
use crate::error::{Diagnostics, Error};
use crate::ir::{Event, Module, TypeDef, TypeRef};
use crate::naming::{self, UniqueNames};
use crate::pointer::JsonPointer;

/// What the caller decides about a module rather than the spec.
#[derive(Debug, Clone)]
pub struct ModuleOptions {
    /// The Rust module name.
    pub module_name: String,
    /// The spec file as it should appear in the `@generated` header, such as `specs/zoom.yaml`.
    pub source_file: String,
    /// How `Event::from_slice` finds the webhook name.
    pub discriminator: crate::config::DiscriminatorChoice,
    /// Whether the spec's examples may widen the types.
    pub examples: crate::config::ExamplePolicy,
    /// Whether structurally identical types become one.
    pub deduplicate: bool,
    /// What objects that say nothing about `additionalProperties` do with undeclared properties.
    pub unknown_properties: crate::config::UnknownProperties,
    /// How the vendor signs deliveries (said in the module's docs).
    pub signature: crate::config::SignatureScheme,
    /// Whether `required` properties are plain fields.
    pub required: crate::config::RequiredProperties,
}

impl ModuleOptions {
    /// The options for the spec `file` (named as in the header) with its settings: the module is named
    /// after the file stem unless the settings name it.
    pub fn new(file: &str, config: &crate::config::SpecConfig) -> Self {
        Self {
            module_name: config.module.clone().unwrap_or_else(|| crate::module_name_for(file)),
            source_file: file.to_owned(),
            discriminator: config.discriminator.clone(),
            examples: config.examples,
            deduplicate: config.deduplicate,
            unknown_properties: config.unknown_properties,
            signature: config.signature,
            required: config.required,
        }
    }
}

/// Lowers a loaded document to the IR of one module.
pub(crate) fn lower(doc: &Document, options: &ModuleOptions, diag: &mut Diagnostics) -> Result<Module, Error> {
    let mut lowerer = Lowerer {
        doc,
        diag,
        types: Vec::new(),
        type_names: UniqueNames::with_reserved(naming::RESERVED_TYPE_NAMES),
        by_pointer: HashMap::new(),
        in_progress: HashSet::new(),
        lowering: IndexMap::default(),
        unknown_properties: options.unknown_properties,
        required: options.required,
        descriptions: HashMap::new(),
        field_names: HashMap::new(),
    };
    let mut variants = UniqueNames::with_reserved(&["Unknown"]);
    let mut methods = UniqueNames::with_reserved(&["on_unknown"]);
    let mut events = Vec::with_capacity(doc.webhooks.len());
    for webhook in &doc.webhooks {
        let (variant, renamed) = variants.claim(&naming::type_name(&webhook.name), "");
        if renamed {
            lowerer.warn(
                &webhook.operation.pointer,
                format!("webhook `{}` gets variant `{variant}`: its plain name is taken", webhook.name),
            );
        }
        let (handler_method, _) = methods.claim(&naming::method_name("on", &webhook.name), "_");
        let payload = match webhook.operation.body.as_ref().and_then(|body| body.schema.as_ref()) {
            Some(schema) => lowerer.lower_schema_at(schema, &variant)?.ty,
            None => TypeRef::Json,
        };
        lowerer.document_if_undocumented(&payload, || {
            format!("the payload of the {} webhook", docs::code_span(&webhook.name))
        });
        events.push(Event {
            name: webhook.name.clone(),
            template: is_template(&webhook.name),
            variant,
            handler_method,
            payload,
            form_field: webhook.operation.body.as_ref().and_then(|body| body.form_field.clone()),
            docs: event_docs(webhook),
            examples: webhook.operation.body.as_ref().map(|body| body.examples.clone()).unwrap_or_default(),
            skipped_examples: webhook
                .operation
                .body
                .as_ref()
                .map(|body| body.skipped_examples.clone())
                .unwrap_or_default(),
        });
    }
    if options.examples == crate::config::ExamplePolicy::Widen {
        for event in &mut events {
            lowerer.reconcile_examples(event);
        }
    }
    if options.deduplicate {
        lowerer.deduplicate(&mut events);
    }
    lowerer.box_large_types();
    // A form body has no JSON property to read the webhook's name from before its form field is known.
    let discriminator = match events.iter().find(|event| event.form_field.is_some()) {
        Some(form) => {
            lowerer.warn(
                &JsonPointer::root(),
                format!(
                    "webhook `{}` is posted as a form, so deliveries are told apart by name only \
                     (`Event::from_named`, `dispatch_named`)",
                    form.name
                ),
            );
            None
        }
        None => lowerer.find_discriminator(&events, &options.discriminator),
    };
    Ok(Module {
        name: options.module_name.clone(),
        source_file: options.source_file.clone(),
        title: doc.info.title.clone(),
        description: doc.info.description.as_deref().and_then(docs::sanitize),
        version: doc.info.version.clone(),
        discriminator,
        signature: options.signature,
        events,
        types: lowerer.types,
    })
}

/// The name a schema's type is to get if it needs a named type, made only then: most schemas lowered
/// (scalars, references to types lowered already) need none, and a name costs a case conversion.
pub(super) struct WantedName<'n> {
    make: &'n dyn Fn() -> String,
    made: OnceCell<String>,
}

impl<'n> WantedName<'n> {
    /// The name `make` makes, when it is asked for.
    pub(super) fn lazy(make: &'n dyn Fn() -> String) -> Self {
        Self { make, made: OnceCell::new() }
    }

    /// A name known already.
    pub(super) fn given(name: &str) -> WantedName<'static> {
        WantedName { make: &String::new, made: OnceCell::from(name.to_owned()) }
    }

    pub(super) fn get(&self) -> &str {
        self.made.get_or_init(self.make)
    }
}

/// The result of lowering one schema.
pub(super) struct Lowered {
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
    /// The schemas being lowered, outermost first (the lowering stack), each with the newtype reserved
    /// for it when it turned out to contain itself.
    lowering: IndexMap<JsonPointer, Option<usize>>,
    /// What objects that say nothing about `additionalProperties` do with undeclared properties.
    unknown_properties: crate::config::UnknownProperties,
    /// Whether `required` properties are plain fields.
    required: crate::config::RequiredProperties,
    /// Sanitized descriptions by their text: a spec repeats a description in every copy of an object,
    /// and a component's is read for every property that refers to it.
    descriptions: HashMap<String, Option<String>>,
    /// Field names by JSON property name: a spec repeats its property names across its objects.
    field_names: HashMap<String, String>,
}

impl Lowerer<'_, '_> {
    fn warn(&mut self, pointer: &JsonPointer, message: impl Into<String>) {
        self.diag.warn(pointer, message);
    }

    /// The docs a schema's `description` gives (sanitized once per distinct text).
    pub(super) fn description(&mut self, schema: &Map<String, Value>) -> Option<String> {
        let text = schema.get("description").and_then(Value::as_str)?;
        if let Some(sanitized) = self.descriptions.get(text) {
            return sanitized.clone();
        }
        let sanitized = docs::sanitize(text);
        self.descriptions.insert(text.to_owned(), sanitized.clone());
        sanitized
    }

    /// The snake_case field name of a JSON property (converted once per distinct name).
    pub(super) fn field_name(&mut self, json_name: &str) -> String {
        if let Some(name) = self.field_names.get(json_name) {
            return name.clone();
        }
        let name = naming::snake_name(json_name);
        self.field_names.insert(json_name.to_owned(), name.clone());
        name
    }
}

/// `Pet` for `/components/schemas/Pet`. Asked for every schema lowered: it reads the pointer's text and
/// unescapes only a name it finds.
pub(super) fn component_schema_name(pointer: &JsonPointer) -> Option<String> {
    let name = pointer.as_str().strip_prefix("/components/schemas/")?;
    if name.contains('/') {
        return None;
    }
    Some(crate::pointer::unescape(name))
}

/// Whether a webhook name is a template: it has a variable, `{` a name without braces `}`
/// (`{dataType}.write.successful`). The runtime's `template_matches` reads the same syntax.
fn is_template(name: &str) -> bool {
    name.split('{')
        .skip(1)
        .any(|after| after.find(['{', '}']).is_some_and(|close| close > 0 && after[close..].starts_with('}')))
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
        if lines
            .peek()
            .is_some_and(|first| first.trim_start_matches('#').trim() == webhook.name && first.starts_with('#'))
        {
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

pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::{component_schema_name, is_template};
    use crate::pointer::JsonPointer;

    #[test]
    fn component_names_are_read_from_the_pointer_text() {
        let name = |pointer: &str| component_schema_name(&JsonPointer::from_local_ref(pointer).expect("a pointer"));
        assert_eq!(name("#/components/schemas/Pet"), Some("Pet".to_owned()));
        assert_eq!(name("#/components/schemas/a~1b~0c"), Some("a/b~c".to_owned()));
        assert_eq!(name("#/components/schemas/Pet/properties/name"), None);
        assert_eq!(name("#/components/responses/Pet"), None);
        assert_eq!(name("#/webhooks/components/schemas/Pet"), None);
    }

    #[test]
    fn a_template_has_a_variable_with_a_name() {
        for template in ["{dataType}.write.successful", "crm.{object}", "a{{b}", "{a}{b}"] {
            assert!(is_template(template), "{template}");
        }
        for name in ["meeting.started", "a{}b", "a{b", "}a{", "{{", "{a{b"] {
            assert!(!is_template(name), "{name}");
        }
    }
}
