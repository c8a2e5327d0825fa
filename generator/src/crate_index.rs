//! The crate's module list (`modules.rs`): one `mod` per spec and `AnyEvent`, which routes a delivery
//! to whichever module knows its webhook, so one endpoint can receive every subscription of an app.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{DiscriminatorRule, Module};
use crate::naming::{self, UniqueNames};

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
    // A webhook name listed by several modules routes to the first; later modules get the rest.
    let mut routed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let routes: Vec<(Ident, &str, Vec<&str>, &TokenStream)> = modules
        .iter()
        .zip(&variants)
        .zip(&cfgs)
        .filter_map(|((module, variant), cfg)| {
            let names: Vec<&str> =
                module.events.iter().map(|event| event.name.as_str()).filter(|name| routed.insert(name)).collect();
            (!names.is_empty()).then(|| (variant.clone(), module.name.as_str(), names, cfg))
        })
        .collect();
    let route_arms = routes.iter().map(|(variant, module, names, cfg)| {
        let module = Ident::new(module, Span::call_site());
        quote!(#cfg #(#names)|* => Self::#variant(#module::Event::from_named(name, body)?),)
    });
    let variant_docs = modules.iter().map(|module| {
        let text = format!(" A webhook of [`{}`].", module.name);
        quote!(#[doc = #text])
    });
    // A body can be routed across modules only when they all name the webhook the same way.
    let shared_property = modules
        .iter()
        .map(|module| {
            module
                .discriminator
                .as_ref()
                .filter(|d| d.rule == DiscriminatorRule::EventNameProperty)
                .map(|d| d.property.as_str())
        })
        .reduce(|a, b| if a == b { a } else { None })
        .flatten();
    let from_slice = shared_property.map(|property| {
        let doc = format!(" Parses a delivery of any module, telling the webhook by the body's `{property}` property.");
        quote! {
            #[doc = #doc]
            ///
            /// # Errors
            ///
            /// As for each module's `Event::from_slice`.
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
                    <#module::Event as ::webhook_runtime::__private::Discriminated>::deserialize_variant(value, map, &mut event)?;
                    *parsed = event.map(Self::#variant);
                }
            }
        });
        quote! {
            impl ::webhook_runtime::__private::Discriminated for AnyEvent {
                fn deserialize_variant<'de, A: serde::de::MapAccess<'de>>(
                    value: &str,
                    map: A,
                    parsed: &mut Option<Self>,
                ) -> Result<(), A::Error> {
                    match value {
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
