//! What only generated code calls, re-exported as the hidden `__private` module of the crate root:
//! parsing (`parse.rs`, with the failing field's path from `json_path.rs`), the `with` functions of
//! generated fields (`serde_with.rs`), and the route pieces of each module's `route(handler)`. Not part
//! of the API; it may change in any release.

pub(crate) mod json_path;
mod parse;
mod serde_with;

pub use crate::route::{erase, module_route};
pub use crate::{BoxError, DispatchError, ParseError, Route, UnknownEvent};
pub use indexmap::IndexMap;
pub use parse::{BestFit, Discriminated, Shape, discriminator, from_slice, parse_payload, tagged};
pub use serde_with::{additional_properties, nullable, open_enum};
