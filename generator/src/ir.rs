//! The intermediate representation: events and a type space with final Rust names.
//!
//! `lower` builds it from a document and makes every naming and fallback decision; `emit` turns it into
//! tokens without deciding anything.

use crate::document::{Example, SkippedExample};
use crate::pointer::JsonPointer;

/// One spec, ready to emit as one Rust module.
#[derive(Debug, Clone)]
pub struct Module {
    /// The Rust module name (the spec's file stem in snake_case).
    pub name: String,
    /// The spec file, as shown in the `@generated` header.
    pub source_file: String,
    /// `info.title`.
    pub title: Option<String>,
    /// `info.description`.
    pub description: Option<String>,
    /// `info.version`.
    pub version: Option<String>,
    /// How `Event::from_slice` tells webhooks apart; `None` means only `Event::from_named` works (always
    /// so when a webhook is posted as a form).
    pub discriminator: Option<Discriminator>,
    /// How the vendor signs deliveries (from the spec's settings).
    pub signature: crate::config::SignatureScheme,
    /// The webhooks, in spec order.
    pub events: Vec<Event>,
    /// Every named type, in the order they were first met (which is spec order).
    pub types: Vec<TypeDef>,
}

impl Module {
    /// `ty`, or the type its newtypes wrap, newtypes within newtypes included: what a value of `ty` is
    /// read as. Never loops: a chain of newtypes longer than the type list ends in [`TypeRef::Json`].
    pub fn unwrap_newtypes<'a>(&'a self, ty: &'a TypeRef) -> &'a TypeRef {
        unwrap_newtypes(&self.types, ty)
    }
}

/// [`Module::unwrap_newtypes`] over a type list still being built.
pub(crate) fn unwrap_newtypes<'a>(types: &'a [TypeDef], mut ty: &'a TypeRef) -> &'a TypeRef {
    for _ in 0..=types.len() {
        match ty {
            TypeRef::Named(id) => match &types[*id].kind {
                TypeKind::Newtype { inner } => ty = inner,
                _ => return ty,
            },
            _ => return ty,
        }
    }
    &TypeRef::Json
}

/// A top-level body property whose value names the webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discriminator {
    /// The JSON property name, such as `event`.
    pub property: String,
    /// Why this property was chosen (said in the generated docs).
    pub rule: DiscriminatorRule,
    /// For each event (same order as [`Module::events`]), the property value that selects it.
    pub values: Vec<String>,
}

/// The rule that found a [`Discriminator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscriminatorRule {
    /// Named in the spec's settings file.
    Configured,
    /// A required top-level property whose value the spec fixes per webhook (`const` or a one-value
    /// `enum`), different for every webhook.
    FixedValue,
    /// A string property whose value is the webhook name (Zoom's `event`, or a property whose `enum` or
    /// examples show it).
    EventNameProperty,
}

/// One webhook.
#[derive(Debug, Clone)]
pub struct Event {
    /// The webhook name as the spec lists it.
    pub name: String,
    /// Whether the name is a template (`{dataType}.write.successful`): the event is every webhook whose
    /// name matches it, as the runtime's `template_matches` reads it.
    pub template: bool,
    /// The `Event` variant name.
    pub variant: String,
    /// The `Handler` method name (`on_...`).
    pub handler_method: String,
    /// The payload type.
    pub payload: TypeRef,
    /// For a webhook posted as a form with its JSON in one field (Dropbox Sign's `json`, GitHub's and
    /// Slack's `payload`), the field's name: the payload is read from that field of the body.
    pub form_field: Option<String>,
    /// Doc text for the variant and handler method (Markdown, already made rustdoc-safe).
    pub docs: Option<String>,
    /// The spec's payload examples.
    pub examples: Vec<Example>,
    /// The examples the spec gives that could not be used (each also a warning).
    pub skipped_examples: Vec<SkippedExample>,
}

/// A reference to a type in generated code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `serde_json::Number`: exact, whether the value is written as an integer or a float.
    Number,
    /// `serde_json::Value`: anything the schema allows or the generator cannot type.
    Json,
    /// `Vec<T>`.
    Vec(Box<TypeRef>),
    /// A JSON object with arbitrary keys: `serde_json::Map<String, Value>` when the values are `Json`,
    /// otherwise `std::collections::BTreeMap<String, T>`.
    Map(Box<TypeRef>),
    /// A named type of this module, by index into [`Module::types`].
    Named(usize),
}

/// A named type.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// The Rust type name.
    pub name: String,
    /// Where the schema is.
    pub pointer: JsonPointer,
    /// Doc text (Markdown, already made rustdoc-safe).
    pub docs: Option<String>,
    /// What kind of type it is.
    pub kind: TypeKind,
}

/// The shape of a named type.
#[derive(Debug, Clone)]
pub enum TypeKind {
    /// A struct with named fields. The body is filled in after the name is reserved, so recursive
    /// schemas can refer to their own type.
    Struct {
        /// The fields, in schema property order.
        fields: Vec<Field>,
        /// Where the object is open (`additionalProperties: true` or a schema, or the spec's settings
        /// keep unknown properties), the field that keeps the properties it does not declare.
        additional: Option<AdditionalProperties>,
    },
    /// An open string enum: the listed values plus `Other(String)` for values added later.
    StringEnum {
        /// The listed values, in spec order.
        variants: Vec<EnumVariant<String>>,
    },
    /// An open integer enum: the listed values plus `Other(i64)` for values added later.
    IntegerEnum {
        /// The listed values, in spec order.
        variants: Vec<EnumVariant<i64>>,
    },
    /// `oneOf`/`anyOf`: the alternative the tag names (with a discriminator) or that fits the value best,
    /// or `Other(serde_json::Value)`.
    OneOf {
        /// The alternatives, in spec order.
        variants: Vec<Alternative>,
        /// The discriminator, when the spec gives one.
        tag: Option<Tag>,
    },
    /// A schema that is not an object but contains itself (an array of itself, a map of itself, an
    /// `allOf` that leads back to it): a struct wrapping its one value, read and written as that value
    /// (`#[serde(transparent)]`), since a Rust type alias cannot refer to itself.
    Newtype {
        /// The wrapped type, such as `Vec<Self>`.
        inner: TypeRef,
    },
}

/// One listed value of an open enum.
#[derive(Debug, Clone)]
pub struct EnumVariant<T> {
    /// The Rust variant name.
    pub name: String,
    /// The JSON value.
    pub value: T,
    /// Doc text (from `x-enum-descriptions`), already made rustdoc-safe.
    pub docs: Option<String>,
}

/// One alternative of a `oneOf`/`anyOf`.
#[derive(Debug, Clone)]
pub struct Alternative {
    /// The Rust variant name.
    pub name: String,
    /// The alternative's type.
    pub ty: TypeRef,
    /// Whether the type must be boxed because it contains the enum itself.
    pub boxed: bool,
    /// The properties an object alternative declares. A JSON object is read as the alternative that
    /// parses it and declares the most of its keys, so a permissive alternative cannot swallow the
    /// properties of a more specific one.
    pub known_properties: Vec<String>,
    /// With a [`Tag`], the tag values that select this alternative.
    pub tag_values: Vec<String>,
}

/// A `oneOf`/`anyOf` discriminator: the property whose value names the alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The JSON property name, such as `type`.
    pub property: String,
}

/// The field of an open struct that keeps the properties the schema does not declare, in the order they
/// came; they are written back after the declared ones.
#[derive(Debug, Clone)]
pub struct AdditionalProperties {
    /// The Rust field name, which no property's field has.
    pub name: String,
    /// The type of each value: [`TypeRef::Json`] for `additionalProperties: true`, else the schema's type.
    pub ty: TypeRef,
    /// Doc text for the field.
    pub docs: String,
}

/// A struct field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The Rust field name (a valid identifier, never a keyword).
    pub name: String,
    /// The JSON property name.
    pub json_name: String,
    /// The field type, before `Option` is applied.
    pub ty: TypeRef,
    /// Whether the property must be present.
    pub required: bool,
    /// Whether the property may be `null`.
    pub nullable: bool,
    /// Whether the type must be boxed because it contains the struct itself.
    pub boxed: bool,
    /// Doc text (Markdown, already made rustdoc-safe).
    pub docs: Option<String>,
}
