//! What only generated code calls, re-exported as the hidden `__private` module of the crate root:
//! parsing (`parse.rs`, with the failing field's path from `json_path.rs`), the `Deserialize` of
//! generated structs (`object.rs`), the JSON field of a webhook
//! posted as a form (`form.rs`), the reading of open enums (`serde_with.rs`), and the
//! route pieces of each module's `route(handler)` with the matcher of templated webhook names. Not part of the API; it may change in any release.

mod form;
pub(crate) mod json_path;
mod object;
mod parse;
mod serde_with;

pub use crate::route::{erase, module_route};
pub use crate::template::template_matches;
pub use crate::{BoxError, DispatchError, ParseError, Route, UnknownEvent};
pub use form::form_field;
pub use indexmap::IndexMap;
pub use object::{Fields, Key, Object, deserialize_object, field, keep, skip};
pub use parse::{BestFit, Discriminated, Shape, discriminator, from_slice, parse_named, parse_payload, tagged};
pub use serde_with::open_enum;
