//! The crate's module list (`modules.rs`): one `mod` per spec and `AnyEvent`, which routes a delivery
//! to whichever module knows its webhook, so one endpoint can receive every subscription of an app.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{DiscriminatorRule, Module};
use crate::naming::{self, UniqueNames};

/// A webhook name that more than one module declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedEventName {
    /// The webhook name.
    pub name: String,
    /// The modules that declare it, in file order. `AnyEvent` parses it with the first of them whose
    /// feature is on.
    pub modules: Vec<String>,
}

/// The webhook names declared by more than one of `modules` (in file order), in the order first met.
pub fn shared_event_names(modules: &[&Module]) -> Vec<SharedEventName> {
    let mut declared: crate::IndexMap<&str, Vec<String>> = crate::IndexMap::default();
    for module in modules {
        for event in &module.events {
            let declaring = declared.entry(event.name.as_str()).or_default();
            if !declaring.contains(&module.name) {
                declaring.push(module.name.clone());
            }
        }
    }
    declared
        .into_iter()
        .filter(|(_, declaring)| declaring.len() > 1)
        .map(|(name, modules)| SharedEventName { name: name.to_owned(), modules })
        .collect()
}

/// Emits `modules.rs` for the given modules (in the order given, which callers keep sorted by file).
pub(crate) fn crate_index(modules: &[&Module]) -> TokenStream {
    let mut variant_names = UniqueNames::with_reserved(&["Unknown"]);
    let variants: Vec<Ident> = modules
        .iter()
        .map(|module| Ident::new(&variant_names.claim(&naming::type_name(&module.name), "").0, Span::call_site()))
        .collect();
    let mods: Vec<Ident> = modules.iter().map(|module| Ident::new(&module.name, Span::call_site())).collect();
    // Each module sits behind the cargo feature of its name, so a user compiles only the areas they enable.
    let cfgs: Vec<TokenStream> = modules
        .iter()
        .map(|module| {
            let feature = &module.name;
            quote!(#[cfg(feature = #feature)])
        })
        .collect();
    let files = modules.iter().map(|module| format!("{}.rs", module.name));
    let names: Vec<&str> = modules.iter().map(|module| module.name.as_str()).collect();
    let titles = modules.iter().map(|module| module.title.as_deref().unwrap_or(&module.name));
    let spec_files = modules.iter().map(|module| module.source_file.as_str());
    // A webhook name listed by several modules routes to the first whose feature is on: a later module
    // gets it only under `not(any(...))` of the earlier ones, so a crate that enables one still has it typed.
    let routes: Vec<(Ident, &str, Vec<&str>, TokenStream)> = modules
        .iter()
        .enumerate()
        .zip(&variants)
        .flat_map(|((index, module), variant)| {
            let mut groups: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
            for event in &module.events {
                let earlier: Vec<&str> = modules[..index]
                    .iter()
                    .filter(|other| other.events.iter().any(|other_event| other_event.name == event.name))
                    .map(|other| other.name.as_str())
                    .collect();
                match groups.iter_mut().find(|(key, _)| *key == earlier) {
                    Some((_, names)) => names.push(&event.name),
                    None => groups.push((earlier, vec![&event.name])),
                }
            }
            groups.into_iter().map(move |(earlier, names)| {
                let feature = &module.name;
                let cfg = if earlier.is_empty() {
                    quote!(#[cfg(feature = #feature)])
                } else {
                    quote!(#[cfg(all(feature = #feature, not(any(#(feature = #earlier),*))))])
                };
                (variant.clone(), module.name.as_str(), names, cfg)
            })
        })
        .collect();
    let route_arms = routes.iter().map(|(variant, module, names, cfg)| {
        let module = Ident::new(module, Span::call_site());
        quote!(#cfg #(#names)|* => Self::#variant(#module::Event::from_named(name, body)?),)
    });
    let variant_docs =
        modules.iter().map(|module| crate::emit::doc_attrs(Some(&format!("A webhook of [`{}`].", module.name))));
    // A body can be routed across modules only when they all name the webhook the same way: the same
    // property, whose value is the webhook name (found by name, or fixed per webhook to its name).
    let shared_property = modules
        .iter()
        .map(|module| {
            module
                .discriminator
                .as_ref()
                .filter(|d| {
                    d.rule == DiscriminatorRule::EventNameProperty
                        || (d.values.len() == module.events.len()
                            && d.values.iter().zip(&module.events).all(|(value, event)| *value == event.name))
                })
                .map(|d| d.property.as_str())
        })
        .reduce(|a, b| if a == b { a } else { None })
        .flatten();
    let from_slice = shared_property.map(|property| {
        let doc = crate::emit::doc_attrs(Some(&format!(
            "Parses a delivery of any module, telling the webhook by the body's {} property.\n\n# Errors\n\n\
             As for each module's `Event::from_slice`.",
            crate::docs::code_span(property)
        )));
        quote! {
            #doc
            pub fn from_slice(body: &[u8]) -> Result<Self, ParseError> {
                ::webhook_runtime::__private::from_slice(body, #property, Self::from_named)
            }
        }
    });
    // One pass for `AnyEvent::from_slice` too: the name picks the module, whose `Event` reads the rest.
    let discriminated = shared_property.map(|_| {
        let arms = routes.iter().map(|(variant, module, names, cfg)| {
            let module = Ident::new(module, Span::call_site());
            quote! {
                #cfg
                #(#names)|* => {
                    let mut event = None;
                    <#module::Event as ::webhook_runtime::__private::Discriminated>::deserialize_named(name, map, &mut event)?;
                    *parsed = event.map(Self::#variant);
                }
            }
        });
        quote! {
            impl ::webhook_runtime::__private::Discriminated for AnyEvent {
                fn deserialize_named<'de, A: serde::de::MapAccess<'de>>(
                    name: &str,
                    map: A,
                    parsed: &mut Option<Self>,
                ) -> Result<(), A::Error> {
                    match name {
                        #(#arms)*
                        // Not a webhook of an enabled module: left for the unknown event (and used here so
                        // a crate with every module turned off has no unused variables).
                        _ => {
                            let _ = (map, parsed);
                        }
                    }
                    Ok(())
                }

                fn unknown(event: UnknownEvent) -> Self {
                    Self::Unknown(event)
                }
            }
        }
    });
    quote! {
        //! The spec modules of this crate, one per file in `specs/`.

        use crate::{ParseError, SpecModule, UnknownEvent};

        // Each module documents itself (inner docs), so links there resolve in its own scope. Generated
        // files are formatted by the generator; `cargo fmt` leaves them alone.
        #(
            #cfgs
            #[rustfmt::skip]
            #[path = #files]
            pub mod #mods;
        )*

        /// Every spec module of this crate (that its features enable), in spec file order.
        pub const MODULES: &[SpecModule] = &[
            #(#cfgs SpecModule {
                name: #names,
                title: #titles,
                spec_file: #spec_files,
                event_names: #mods::EVENT_NAMES,
                from_named: |name, body| #mods::Event::from_named(name, body).map(AnyEvent::#variants),
            },)*
        ];

        /// A delivery parsed by whichever module of this crate knows its webhook.
        ///
        /// Serializes as the payload alone, like each module's `Event`.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyEvent {
            #(
                #variant_docs
                #cfgs
                #variants(#mods::Event),
            )*
            /// A webhook no module of this crate knows.
            Unknown(UnknownEvent),
        }

        impl AnyEvent {
            #from_slice

            /// Parses a delivery of the webhook called `name`, in the first module (in file order) that has it.
            ///
            /// # Errors
            ///
            /// As for each module's `Event::from_named`.
            pub fn from_named(name: &str, body: &[u8]) -> Result<Self, ParseError> {
                Ok(match name {
                    #(#route_arms)*
                    _ => Self::Unknown(UnknownEvent::parse(name, body)?),
                })
            }

            /// The webhook name of this delivery.
            pub fn name(&self) -> &str {
                match self {
                    #(#cfgs Self::#variants(event) => event.name(),)*
                    Self::Unknown(event) => &event.name,
                }
            }

            /// The name of the module whose webhook this is, or `None` for an unknown webhook.
            pub fn module(&self) -> Option<&'static str> {
                match self {
                    #(#cfgs Self::#variants(_) => Some(#names),)*
                    Self::Unknown(_) => None,
                }
            }
        }

        #discriminated
    }
}
