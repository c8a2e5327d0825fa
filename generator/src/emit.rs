//! IR -> tokens: the models, the `Event` enum, the `Handler` trait and `dispatch`.
//!
//! Only turns decisions already in the IR into `quote!` output; it names and types nothing itself.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::RenderOptions;
use crate::config::SignatureScheme;
use crate::docs::{self, code_span};
use crate::ir::{
    AdditionalProperties, Alternative, DiscriminatorRule, EnumVariant, Event, Field, Module, Tag, TypeDef, TypeKind,
    TypeRef,
};

/// Emits the whole module (without the `@generated` header, which `format` adds). For a file that is
/// `include!`d, the module docs are left out (inner attributes are not allowed there).
///
/// Everything the module needs from the runtime crate goes through one private import, `__runtime` (its
/// hidden `__private` module), so the runtime's path is written once, as `runtime` says.
pub(crate) fn module(module: &Module, options: &RenderOptions, runtime: &syn::Path) -> TokenStream {
    let mut tokens = head(module, options, runtime);
    tokens.extend(module.types.iter().flat_map(|def| type_def(module, def)));
    tokens
}

/// The first part of a module: its docs with the imports, events, handler and route.
pub(crate) fn head(module: &Module, options: &RenderOptions, runtime: &syn::Path) -> TokenStream {
    let module_docs = if options.for_include { TokenStream::new() } else { inner_doc_attrs(&module_docs_text(module)) };
    let events = events(module);
    let route = route(module, runtime);
    quote! {
        #module_docs
        pub use #runtime::{DispatchError, ParseError, UnknownEvent};
        use #runtime::__private as __runtime;
        #events
        #route
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The whole doc text of one item as `#[doc = "..."]` attributes, one per line, so they print as `///`
/// comments. Every doc text with anything from a spec in it is emitted here, through
/// [`docs::without_doctests`], so none of it can become a doctest.
pub(crate) fn doc_attrs(text: Option<&str>) -> TokenStream {
    let Some(text) = text else { return TokenStream::new() };
    let lines = doc_lines(text);
    quote! { #(#[doc = #lines])* }
}

/// The same for the module's own docs (`//!`).
fn inner_doc_attrs(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote! { #(#![doc = #lines])* }
}

fn doc_lines(text: &str) -> Vec<String> {
    let text = docs::without_doctests(text);
    text.split('\n').map(|line| if line.is_empty() { String::new() } else { format!(" {line}") }).collect()
}

/// The module's docs: its title, version, description and how deliveries are told apart. The
/// generator's own sentences are wrapped; the spec's description is kept as it was written.
pub(crate) fn module_docs_text(module: &Module) -> String {
    let title = docs::inline_text(module.title.as_deref().unwrap_or(&module.name));
    let mut text = match &module.version {
        Some(version) => format!("{title} webhooks (version {}).\n", docs::inline_text(version)),
        None => format!("{title} webhooks.\n"),
    };
    if let Some(description) = &module.description {
        text.push('\n');
        text.push_str(description);
        text.push('\n');
    }
    let usage = match &module.discriminator {
        Some(discriminator) => {
            let rule = match discriminator.rule {
                DiscriminatorRule::Configured => "as the spec's settings say",
                DiscriminatorRule::FixedValue => "the spec fixes its value for each webhook",
                DiscriminatorRule::EventNameProperty => "every payload declares it, and its value is the webhook name",
            };
            [
                format!(
                    "Generated from {}. Parse a delivery with [`Event::from_slice`] or [`Event::from_named`], or \
                     implement [`Handler`] and call [`dispatch`].",
                    code_span(&module.source_file)
                ),
                format!("The body's {} property names the webhook ({rule}).", code_span(&discriminator.property)),
            ]
        }
        None => [
            format!(
                "Generated from {}. Parse a delivery with [`Event::from_named`], or implement [`Handler`] and \
                 call [`dispatch_named`].",
                code_span(&module.source_file)
            ),
            "The payloads share no property that names the webhook, so the caller must know the name.".to_owned(),
        ],
    };
    let signature = match module.signature {
        SignatureScheme::Unspecified => None,
        SignatureScheme::Zoom => Some(
            "Deliveries are signed with Zoom's scheme (`x-zm-signature`): check them with the runtime's \
             `signature::zoom::Verifier`, or serve `route` with its `axum::Receiver::new` (feature `axum`).",
        ),
        SignatureScheme::Standard => Some(
            "Deliveries are signed with the Standard Webhooks scheme (`webhook-*` or Svix's `svix-*` headers): \
             check them with the runtime's `signature::standard::Verifier`, or serve `route` with its \
             `axum::Receiver::standard` (feature `axum`).",
        ),
        SignatureScheme::GitHub => Some(
            "Deliveries are signed with GitHub's scheme (`X-Hub-Signature-256`) and named by `X-GitHub-Event` \
             and the body's `action`: check them with the runtime's `signature::github::Verifier`, or serve \
             `route` with its `axum::Receiver::github` (feature `axum`).",
        ),
        SignatureScheme::None => Some(
            "The vendor signs no delivery: authenticate them another way (a secret URL, mutual TLS) before \
             trusting them.",
        ),
    };
    for paragraph in usage.into_iter().chain(signature.map(str::to_owned)) {
        text.push('\n');
        text.push_str(&wrap(&paragraph, DOC_WIDTH));
        text.push('\n');
    }
    text.trim_end().to_owned()
}

/// How wide the generator's own doc paragraphs are wrapped, in characters (after `//! `).
const DOC_WIDTH: usize = 100;

/// `paragraph` with its spaces turned into line breaks so no line is longer than `width` (a word longer
/// than that stands on a line of its own).
fn wrap(paragraph: &str, width: usize) -> String {
    let mut out = String::with_capacity(paragraph.len());
    let mut line_len = 0;
    for word in paragraph.split(' ').filter(|word| !word.is_empty()) {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

/// The Rust type for a reference, `boxed` when it would otherwise contain itself.
fn type_tokens(module: &Module, ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote!(String),
        TypeRef::Bool => quote!(bool),
        TypeRef::I32 => quote!(i32),
        TypeRef::I64 => quote!(i64),
        TypeRef::Number => quote!(serde_json::Number),
        TypeRef::Json => quote!(serde_json::Value),
        TypeRef::Vec(item) => {
            let item = type_tokens(module, item);
            quote!(Vec<#item>)
        }
        TypeRef::Map(value) if **value == TypeRef::Json => quote!(serde_json::Map<String, serde_json::Value>),
        TypeRef::Map(value) => {
            let value = type_tokens(module, value);
            quote!(std::collections::BTreeMap<String, #value>)
        }
        TypeRef::Named(id) => {
            let name = ident(&module.types[*id].name);
            quote!(#name)
        }
    }
}

/// The items of a named type: one, or for an enum its definition and its impls apart, so a very large
/// enum is formatted a part at a time.
pub(crate) fn type_def(module: &Module, def: &TypeDef) -> Vec<TokenStream> {
    let docs = doc_attrs(def.docs.as_deref());
    let name = ident(&def.name);
    let item = match &def.kind {
        TypeKind::Struct { fields, additional } => {
            let read = object_read(&def.name, fields, additional.as_ref());
            let write = object_write(&def.name, fields, additional.as_ref());
            let fields = fields.iter().map(|field| struct_field(module, field));
            let additional = additional.as_ref().map(|additional| additional_field(module, additional));
            quote! {
                #docs
                #[derive(Debug, Clone, PartialEq)]
                pub struct #name {
                    #(#fields)*
                    #additional
                }

                #read

                #write
            }
        }
        TypeKind::StringEnum { variants } => return string_enum(&docs, &name, variants),
        TypeKind::IntegerEnum { variants } => return integer_enum(&docs, &name, variants),
        TypeKind::OneOf { variants, tag } => one_of(module, &docs, &name, variants, tag.as_ref()),
        TypeKind::Newtype { inner } => {
            let inner = type_tokens(module, inner);
            quote! {
                #docs
                #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
                #[serde(transparent)]
                pub struct #name(pub #inner);
            }
        }
    };
    vec![item]
}

fn variant_docs<T: std::fmt::Display>(variant: &EnumVariant<T>, quote_value: bool) -> TokenStream {
    let value =
        if quote_value { code_span(&format!("\"{}\"", variant.value)) } else { code_span(&variant.value.to_string()) };
    let text = match &variant.docs {
        Some(docs) => format!("{value}: {docs}"),
        None => value,
    };
    doc_attrs(Some(&text))
}

fn string_enum(docs: &TokenStream, name: &Ident, variants: &[EnumVariant<String>]) -> Vec<TokenStream> {
    let idents: Vec<Ident> = variants.iter().map(|variant| ident(&variant.name)).collect();
    let values: Vec<&str> = variants.iter().map(|variant| variant.value.as_str()).collect();
    let variant_docs = variants.iter().map(|variant| variant_docs(variant, true));
    vec![
        quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variant_docs #idents,)*
            /// A value the spec does not list, kept as it came.
            Other(String),
        }
        },
        quote! {
        impl #name {
            /// The JSON string of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #values,)*
                    Self::Other(value) => value,
                }
            }
        }
        },
        quote! {
            impl serde::Serialize for #name {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> serde::Deserialize<'de> for #name {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    __runtime::open_enum::string(
                        deserializer,
                        |value| match value {
                            #(#values => Some(Self::#idents),)*
                            _ => None,
                        },
                        Self::Other,
                    )
                }
            }
        },
    ]
}

fn integer_enum(docs: &TokenStream, name: &Ident, variants: &[EnumVariant<i64>]) -> Vec<TokenStream> {
    let idents: Vec<Ident> = variants.iter().map(|variant| ident(&variant.name)).collect();
    let values: Vec<proc_macro2::Literal> =
        variants.iter().map(|variant| proc_macro2::Literal::i64_unsuffixed(variant.value)).collect();
    let variant_docs = variants.iter().map(|variant| variant_docs(variant, false));
    vec![
        quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variant_docs #idents,)*
            /// A value the spec does not list, kept as it came.
            Other(i64),
        }
        },
        quote! {
        impl #name {
            /// The JSON number of this value.
            pub fn value(&self) -> i64 {
                match self {
                    #(Self::#idents => #values,)*
                    Self::Other(value) => *value,
                }
            }
        }
        },
        quote! {
            impl serde::Serialize for #name {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.serialize_i64(self.value())
                }
            }

            impl<'de> serde::Deserialize<'de> for #name {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    __runtime::open_enum::integer(
                        deserializer,
                        |value| match value {
                            #(#values => Some(Self::#idents),)*
                            _ => None,
                        },
                        Self::Other,
                    )
                }
            }
        },
    ]
}

fn one_of(
    module: &Module,
    docs: &TokenStream,
    name: &Ident,
    variants: &[Alternative],
    tag: Option<&Tag>,
) -> TokenStream {
    let idents: Vec<Ident> = variants.iter().map(|variant| ident(&variant.name)).collect();
    let types: Vec<TokenStream> = variants
        .iter()
        .map(|variant| {
            let ty = type_tokens(module, &variant.ty);
            if variant.boxed { quote!(Box<#ty>) } else { ty }
        })
        .collect();
    let (variant_docs, deserialize) = match tag {
        Some(tag) => {
            let property = &tag.property;
            let docs = variants.iter().map(|variant| {
                let values: Vec<String> =
                    variant.tag_values.iter().map(|value| code_span(&format!("\"{value}\""))).collect();
                let text = if values.is_empty() {
                    format!("Not selected by any {} value.", code_span(property))
                } else {
                    format!("Selected by {}: {}.", code_span(property), values.join(", "))
                };
                doc_attrs(Some(&text))
            });
            let arms = variants
                .iter()
                .zip(&idents)
                .zip(&types)
                .filter(|((variant, _), _)| !variant.tag_values.is_empty())
                .map(|((variant, ident), ty)| {
                    let values = &variant.tag_values;
                    quote!(#(#values)|* => Some(<#ty as serde::Deserialize>::deserialize(value).map(Self::#ident)),)
                });
            let doc = doc_attrs(Some(&format!("Reads the alternative named by the {} property.", code_span(property))));
            let body = quote! {
                #doc
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    __runtime::tagged(deserializer, #property, |tag, value| match tag {
                        #(#arms)*
                        _ => None,
                    }, Self::Other)
                }
            };
            (docs.collect::<Vec<_>>(), body)
        }
        None => {
            let shapes = variants.iter().map(|variant| shape_of(module, &variant.ty));
            let known = variants.iter().map(|variant| {
                let properties = &variant.known_properties;
                quote!(&[#(#properties),*])
            });
            let body = quote! {
                /// Reads the alternative that parses the value and declares the most of its properties.
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                    let mut best = __runtime::BestFit::new(&value);
                    #(best.consider(#shapes, #known, |value| <#types as serde::Deserialize>::deserialize(value).map(Self::#idents));)*
                    Ok(best.into_inner().unwrap_or(Self::Other(value)))
                }
            };
            let docs = variants.iter().map(|_| {
                doc_attrs(Some(
                    "An alternative, picked when it parses the value and declares the most of its properties.",
                ))
            });
            (docs.collect(), body)
        }
    };
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub enum #name {
            #(#variant_docs #idents(#types),)*
            /// A value that fits none of the alternatives, kept as it came.
            Other(serde_json::Value),
        }

        impl<'de> serde::Deserialize<'de> for #name {
            #deserialize
        }
    }
}

fn struct_field(module: &Module, field: &Field) -> TokenStream {
    // Every public item has docs (`missing_docs`); a property the spec leaves undescribed gets its name.
    let docs = match &field.docs {
        Some(text) => doc_attrs(Some(text)),
        None => doc_attrs(Some(&format!("The {} property.", code_span(&field.json_name)))),
    };
    let name = ident(&field.name);
    let mut ty = type_tokens(module, &field.ty);
    if field.boxed {
        ty = quote!(Box<#ty>);
    }
    // How each is read and written is the struct's `Object` and `Serialize` impls.
    let ty = match (field.required, field.nullable) {
        (true, false) => ty,
        // Present but possibly null: always written, `null` for `None`.
        (true, true) | (false, false) => quote!(Option<#ty>),
        // Absent (`None`), null (`Some(None)`) or a value: all three written back as they came.
        (false, true) => quote!(Option<Option<#ty>>),
    };
    quote! {
        #docs
        pub #name: #ty,
    }
}

/// The field of an open struct that keeps its undeclared properties: flattened, so they are read from
/// and written back into the struct's own object, in order.
fn additional_field(module: &Module, additional: &AdditionalProperties) -> TokenStream {
    let docs = doc_attrs(Some(&additional.docs));
    let name = ident(&additional.name);
    if additional.ty == TypeRef::Json {
        return quote! {
            #docs
            pub #name: serde_json::Map<String, serde_json::Value>,
        };
    }
    let ty = type_tokens(module, &additional.ty);
    quote! {
        #docs
        pub #name: __runtime::IndexMap<String, #ty>,
    }
}

/// A struct's `Serialize`: its fields in declaration order as serde's derive writes them (an optional
/// one only when present), then an open struct's undeclared properties, through the runtime's `Fields`:
/// one call per field and no `?`, since `Fields` keeps the serializer's first error for `end`.
fn object_write(name: &str, fields: &[Field], additional: Option<&AdditionalProperties>) -> TokenStream {
    let ident = ident(name);
    let start = match additional {
        Some(_) => quote!(__runtime::Fields::open(serializer)),
        None => {
            // The number of fields written: the required ones, and each optional one that is present.
            let always = fields.iter().filter(|field| field.required).count();
            let mut terms: Vec<TokenStream> = Vec::new();
            if always > 0 || fields.iter().all(|field| field.required) {
                let always = proc_macro2::Literal::usize_unsuffixed(always);
                terms.push(quote!(#always));
            }
            for field in fields.iter().filter(|field| !field.required) {
                let field = self::ident(&field.name);
                terms.push(quote!(usize::from(self.#field.is_some())));
            }
            quote!(__runtime::Fields::closed(serializer, #name, #(#terms)+*))
        }
    };
    let writes = fields.iter().map(|field| {
        let field_ident = self::ident(&field.name);
        let json_name = &field.json_name;
        let method = match (field.required, field.nullable) {
            (true, _) => quote!(field),
            (false, false) => quote!(optional),
            (false, true) => quote!(nullable),
        };
        quote!(fields.#method(#json_name, &self.#field_ident);)
    });
    let rest = additional.map(|additional| {
        let extra = self::ident(&additional.name);
        quote!(fields.rest(&self.#extra);)
    });
    quote! {
        impl serde::Serialize for #ident {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut fields = #start;
                #(#writes)*
                #rest
                fields.end()
            }
        }
    }
}

/// A struct's `Deserialize`: the runtime's object reader, with the `match` from each declared property to
/// its field. Each field is read into a slot of the same name; an open struct keeps the other properties
/// in its extra field, a closed one skips them.
fn object_read(name: &str, fields: &[Field], additional: Option<&AdditionalProperties>) -> TokenStream {
    let ident = ident(name);
    let expecting = format!("struct {name}");
    let slots: Vec<Ident> = fields.iter().map(|field| self::ident(&field.name)).collect();
    let json_names: Vec<&str> = fields.iter().map(|field| field.json_name.as_str()).collect();
    // A required field must have been read: `missing field` for the first one that was not, in
    // declaration order as serde's derive reports it. A `let ... else` per field rather than a function
    // returning a `Result`: no copy of that function and of `?` per field type for the compiler to make.
    let required =
        fields.iter().zip(&slots).filter(|(field, _)| field.required && !field.nullable).map(|(field, slot)| {
            let json_name = &field.json_name;
            quote! {
                let Some(#slot) = #slot else {
                    return Err(serde::de::Error::missing_field(#json_name));
                };
            }
        });
    let values = fields.iter().zip(&slots).map(|(field, slot)| match (field.required, field.nullable) {
        (true, false) => quote!(#slot),
        // An `Option` field: absent reads as `None`, as `null` does (for a required one, serde's rule).
        (true, true) | (false, false) => quote!(#slot: #slot.unwrap_or_default()),
        // Absent stays `None`; the slot holds what was read, `null` included.
        (false, true) => quote!(#slot),
    });
    let (extra_slot, other, extra_value) = match additional {
        Some(additional) => {
            let extra = self::ident(&additional.name);
            (
                Some(quote!(let mut #extra = Default::default();)),
                quote!(__runtime::keep(&mut __map, &mut #extra, __key)),
                Some(quote!(#extra)),
            )
        }
        None => (None, quote!(__runtime::skip(&mut __map)), None),
    };
    // Without declared properties every entry takes the same way: no `match`. With them, one `?` after
    // the `match` rather than one per arm: less code for the compiler to check.
    let entry = if fields.is_empty() {
        quote!(#other?;)
    } else {
        quote! {
            match __key.as_str() {
                #(#json_names => __runtime::field(&mut __map, &mut #slots, #json_names),)*
                _ => #other,
            }?;
        }
    };
    let key = if fields.is_empty() && additional.is_none() { quote!(_) } else { quote!(__key) };
    quote! {
        impl<'de> serde::Deserialize<'de> for #ident {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                __runtime::deserialize_object(deserializer)
            }
        }

        impl __runtime::Object for #ident {
            const EXPECTING: &'static str = #expecting;

            fn read<'de, A: serde::de::MapAccess<'de>>(mut __map: A) -> Result<Self, A::Error> {
                #(let mut #slots = None;)*
                #extra_slot
                while let Some(#key) = __map.next_key::<__runtime::Key<'de>>()? {
                    #entry
                }
                #(#required)*
                Ok(Self { #(#values,)* #extra_value })
            }
        }
    }
}

/// The JSON shape a type is read from, so a best-fit alternative is only tried on values of its shape
/// (serde would otherwise read a struct from an array, by position).
fn shape_of(module: &Module, ty: &TypeRef) -> TokenStream {
    let shape = match module.unwrap_newtypes(ty) {
        TypeRef::String => quote!(String),
        TypeRef::Bool => quote!(Bool),
        TypeRef::I32 | TypeRef::I64 | TypeRef::Number => quote!(Number),
        TypeRef::Json => quote!(Any),
        TypeRef::Vec(_) => quote!(Array),
        TypeRef::Map(_) => quote!(Object),
        TypeRef::Named(id) => match &module.types[*id].kind {
            TypeKind::Struct { .. } => quote!(Object),
            TypeKind::StringEnum { .. } => quote!(String),
            TypeKind::IntegerEnum { .. } => quote!(Number),
            TypeKind::OneOf { .. } | TypeKind::Newtype { .. } => quote!(Any),
        },
    };
    quote!(__runtime::Shape::#shape)
}

fn events(module: &Module) -> TokenStream {
    let names = module.events.iter().map(|event| event.name.as_str());
    let variants: Vec<Ident> = module.events.iter().map(|event| ident(&event.variant)).collect();
    let payloads: Vec<TokenStream> = module.events.iter().map(|event| type_tokens(module, &event.payload)).collect();
    // Every payload is boxed, so an `Event` is small whatever its largest payload is (a match over
    // hundreds of webhooks would otherwise keep a slot of that size per arm on the stack).
    let boxed_payloads = payloads.iter().map(|payload| quote!(Box<#payload>));
    let variant_docs = module.events.iter().map(|event| event_doc(event, "Delivered"));
    let method_docs = module.events.iter().map(|event| event_doc(event, "Called for"));
    let methods: Vec<Ident> = module.events.iter().map(|event| ident(&event.handler_method)).collect();
    let event_names: Vec<&str> = module.events.iter().map(|event| event.name.as_str()).collect();
    let from_slice = from_slice(module);
    let discriminated = discriminated(module);
    let dispatch = dispatch(module);
    let form_errors = module.events.iter().any(|event| event.form_field.is_some()).then(|| {
        quote! {
            ///
            /// A webhook posted as a form has its JSON read from its form field (multipart or url-encoded, as
            /// the body is): [`ParseError::MissingFormField`] when the body has no such field,
            /// [`ParseError::InvalidForm`] when the form is malformed.
        }
    });
    let from_named_body = if module.discriminator.is_some() {
        // Through the same map as `from_slice`'s single pass: each payload type is compiled once.
        quote!(__runtime::parse_named(EVENT_NAMES, name, body))
    } else if module.events.is_empty() {
        quote!(Ok(Self::Unknown(UnknownEvent::parse(name, body)?)))
    } else {
        let arms = arms_by_name(module, |index| {
            let event = &module.events[index];
            let (name, variant) = (&event.name, &variants[index]);
            // A webhook posted as a form has its JSON in one field, taken from the body first.
            match &event.form_field {
                Some(field) => {
                    quote!(Self::#variant(__runtime::parse_payload(#name, &__runtime::form_field(body, #field)?)?))
                }
                None => quote!(Self::#variant(__runtime::parse_payload(#name, body)?)),
            }
        });
        quote! {
            Ok(match name {
                #arms
                _ => Self::Unknown(UnknownEvent::parse(name, body)?),
            })
        }
    };
    quote! {
        /// The names of this module's webhooks, in spec order.
        pub const EVENT_NAMES: &[&str] = &[#(#names),*];

        /// One webhook delivery, parsed into the type of its event.
        ///
        /// Each payload is in a [`Box`], so an `Event` is small whatever its payloads are: moving one
        /// moves a pointer, and reading one needs little stack.
        ///
        /// Serializes as the payload alone, so a parsed delivery writes back the JSON it was read from
        /// (minus properties the spec does not declare, except in objects it declares open).
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub enum Event {
            #(
                #variant_docs
                #variants(#boxed_payloads),
            )*
            /// A webhook this module does not know (the vendor added it after the spec was generated).
            Unknown(UnknownEvent),
        }

        impl Event {
            #from_slice

            /// Parses a delivery of the webhook called `name`. An unknown name gives [`Event::Unknown`].
            ///
            /// # Errors
            ///
            /// [`ParseError::InvalidJson`] when the body is not JSON, [`ParseError::InvalidPayload`] when it
            /// does not match the webhook's schema (with the path of the failing field).
            #form_errors
            pub fn from_named(name: &str, body: &[u8]) -> Result<Self, ParseError> {
                #from_named_body
            }

            /// The webhook name of this delivery.
            pub fn name(&self) -> &str {
                match self {
                    #(Self::#variants(_) => #event_names,)*
                    Self::Unknown(event) => &event.name,
                }
            }
        }

        #discriminated

        /// Receives this module's webhooks, one method per event.
        ///
        /// Every method has a default that accepts the event and does nothing, so an implementation
        /// overrides only the events it handles, with `async fn`.
        pub trait Handler: Send + Sync {
            /// The error a handler method returns; dispatching passes it on as [`DispatchError::Handler`].
            type Error;

            #(
                #method_docs
                fn #methods(&self, event: #payloads) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send {
                    let _ = event;
                    async { Ok(()) }
                }
            )*

            /// Called for a webhook this module does not know.
            fn on_unknown(&self, event: UnknownEvent) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send {
                let _ = event;
                async { Ok(()) }
            }
        }

        #dispatch

        /// Parses a delivery of the webhook called `name` and calls the matching [`Handler`] method.
        ///
        /// # Errors
        ///
        /// [`DispatchError::Parse`] when the body does not parse as that webhook's payload,
        /// [`DispatchError::Handler`] when the handler method fails.
        pub async fn dispatch_named<H: Handler>(handler: &H, name: &str, body: &[u8]) -> Result<(), DispatchError<H::Error>> {
            handle(handler, Event::from_named(name, body)?).await
        }

        /// Calls the [`Handler`] method for an already parsed delivery.
        ///
        /// # Errors
        ///
        /// [`DispatchError::Handler`] when the handler method fails.
        pub async fn handle<H: Handler>(handler: &H, event: Event) -> Result<(), DispatchError<H::Error>> {
            let outcome = match event {
                #(Event::#variants(event) => handler.#methods(*event).await,)*
                Event::Unknown(event) => handler.on_unknown(event).await,
            };
            outcome.map_err(DispatchError::Handler)
        }
    }
}

fn event_doc(event: &Event, lead: &str) -> TokenStream {
    let mut text = if event.template {
        format!("{lead} {}: a template, so every webhook whose name matches it.", code_span(&event.name))
    } else {
        format!("{lead} {}.", code_span(&event.name))
    };
    if let Some(docs) = &event.docs {
        text.push_str("\n\n");
        text.push_str(docs);
    }
    doc_attrs(Some(&text))
}

fn from_slice(module: &Module) -> TokenStream {
    let Some(discriminator) = &module.discriminator else { return TokenStream::new() };
    let property = &discriminator.property;
    let property_span = code_span(property);
    let doc = doc_attrs(Some(&format!(
        "Parses a delivery, telling the webhook by the body's {property_span} property.\n\n# Errors\n\n\
         [`ParseError::InvalidJson`], [`ParseError::InvalidUtf8`] or [`ParseError::NotAnObject`] when the\n\
         body is not a UTF-8 JSON object,\n\
         [`ParseError::MissingEventName`] when there is no string {property_span}, [`ParseError::DuplicateEventName`]\n\
         when there is more than one {property_span} (a string or not),\n\
         [`ParseError::InvalidPayload`] when the payload does not match its webhook's schema."
    )));
    quote! {
        #doc
        pub fn from_slice(body: &[u8]) -> Result<Self, ParseError> {
            __runtime::from_slice(body, #property, Self::from_named)
        }
    }
}

/// The arms of a `match name` over the module's webhooks, `value(index)` giving each event's value: exact
/// names first, then templates in spec order, so a name the spec lists exactly wins over a template it
/// also matches. `from_named` and `Discriminated::deserialize_named` both match names this way.
fn arms_by_name(module: &Module, value: impl Fn(usize) -> TokenStream) -> TokenStream {
    let arm = |(index, event): (usize, &crate::ir::Event)| {
        let name = &event.name;
        let pattern =
            if event.template { quote!(_ if __runtime::template_matches(#name, name)) } else { quote!(#name) };
        let value = value(index);
        quote!(#pattern => #value,)
    };
    let exact = module.events.iter().enumerate().filter(|(_, event)| !event.template).map(arm);
    let templates = module.events.iter().enumerate().filter(|(_, event)| event.template).map(arm);
    quote!(#(#exact)* #(#templates)*)
}

/// `impl runtime::Discriminated for Event`: how `from_slice` and `from_named` read a delivery, by webhook
/// name (a discriminator value stands for the name of the first event listing it, any other value is
/// taken as a name; a name selects the first event so named).
fn discriminated(module: &Module) -> TokenStream {
    let Some(discriminator) = &module.discriminator else { return TokenStream::new() };
    let names_differ = module.events.iter().zip(&discriminator.values).any(|(event, value)| &event.name != value);
    let webhook_name = names_differ.then(|| {
        let values = &discriminator.values;
        let names = module.events.iter().map(|event| event.name.as_str());
        quote! {
            fn webhook_name(value: &str) -> &str {
                match value {
                    #(#values => #names,)*
                    other => other,
                }
            }
        }
    });
    let body = if module.events.is_empty() {
        quote! {
            let _ = (name, map, parsed);
            Ok(())
        }
    } else {
        let arms = arms_by_name(module, |index| {
            let variant = ident(&module.events[index].variant);
            quote!(Self::#variant(serde::Deserialize::deserialize(payload)?))
        });
        quote! {
            let payload = serde::de::value::MapAccessDeserializer::new(map);
            *parsed = Some(match name {
                #arms
                _ => return Ok(()),
            });
            Ok(())
        }
    };
    quote! {
        impl __runtime::Discriminated for Event {
            #webhook_name

            fn deserialize_named<'de, A: serde::de::MapAccess<'de>>(
                name: &str,
                map: A,
                parsed: &mut Option<Self>,
            ) -> Result<(), A::Error> {
                #body
            }

            fn unknown(event: UnknownEvent) -> Self {
                Self::Unknown(event)
            }
        }
    }
}

fn dispatch(module: &Module) -> TokenStream {
    if module.discriminator.is_none() {
        return TokenStream::new();
    }
    quote! {
        /// Parses a delivery and calls the matching [`Handler`] method.
        ///
        /// # Errors
        ///
        /// [`DispatchError::Parse`] when the body is not JSON, names no event, or does not match its
        /// event's schema; [`DispatchError::Handler`] when the handler method fails.
        pub async fn dispatch<H: Handler>(handler: &H, body: &[u8]) -> Result<(), DispatchError<H::Error>> {
            handle(handler, Event::from_slice(body)?).await
        }
    }
}

/// `route(handler)`: the module's handler behind the runtime's `Route`, so one receiver can serve every
/// module.
fn route(module: &Module, runtime: &syn::Path) -> TokenStream {
    let name = &module.name;
    let runtime = quote!(#runtime).to_string().replace(' ', "");
    let runtime = runtime.trim_start_matches("::");
    let doc = [
        format!(" This module's webhooks, handled by `handler`, as one [`Route`]({runtime}::Route) of a receiver"),
        format!(" that serves several modules at one URL (such as `{runtime}::axum::Receiver`, feature `axum`)."),
    ];
    // The receiver routes a body by the same property, and the same values, as `from_slice`.
    let discriminator = match &module.discriminator {
        Some(discriminator) => {
            let property = &discriminator.property;
            let names_differ =
                module.events.iter().zip(&discriminator.values).any(|(event, value)| &event.name != value);
            if names_differ {
                let values = &discriminator.values;
                quote!(Some((#property, &[#(#values),*])))
            } else {
                quote!(Some((#property, EVENT_NAMES)))
            }
        }
        None => quote!(None),
    };
    quote! {
        #(#[doc = #doc])*
        ///
        /// The route answers for [`EVENT_NAMES`] and calls the handler like [`dispatch_named`]. Handler errors
        /// are boxed, so receivers can report them.
        pub fn route<H>(handler: H) -> __runtime::Route
        where
            H: Handler + 'static,
            H::Error: Into<__runtime::BoxError>,
        {
            __runtime::module_route(#name, EVENT_NAMES, #discriminator, handler, |handler: &H, name: &str, body: &[u8]| {
                Box::pin(__runtime::erase(dispatch_named(handler, name, body)))
            })
        }
    }
}
