//! What only generated code calls, re-exported as the hidden `__private` module of the crate root:
//! parsing (`parse.rs`, with the failing field's path from `json_path.rs`), the JSON field of a webhook
//! posted as a form (`form.rs`), the `with` functions of generated fields (`serde_with.rs`), and the
//! route pieces of each module's `route(handler)` with the matcher of templated webhook names. Not part of the API; it may change in any release.

mod form;
pub(crate) mod json_path;
mod parse;
mod serde_with;

pub use crate::route::{erase, module_route};
pub use crate::template::template_matches;
pub use crate::{BoxError, DispatchError, ParseError, Route, UnknownEvent};
pub use form::form_field;
pub use indexmap::IndexMap;
pub use parse::{BestFit, Discriminated, Shape, discriminator, from_slice, parse_payload, tagged};
pub use serde_with::{additional_properties, nullable, open_enum};
