//! `enum` and `const` -> open enums. Vendors add values without notice, so every enum keeps values it
//! does not list (`Other(String)` / `Other(i64)`) and writes them back unchanged.

use foldhash::{HashMap, HashMapExt};

use serde_json::{Map, Value};

use super::{Lowered, Lowerer};
use crate::docs;
use crate::error::Error;
use crate::ir::{EnumVariant, TypeKind, TypeRef};
use crate::naming::{self, UniqueNames};
use crate::pointer::JsonPointer;

impl Lowerer<'_, '_> {
    /// Lowers `enum` (or `const`, a one-value enum) to an open enum type. Returns `None` when the schema
    /// has neither, or when its values cannot form one (then the base type is used, with a warning).
    pub(super) fn lower_enum(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        types: &[&'static str],
        wanted_name: &super::WantedName<'_>,
    ) -> Result<Option<Lowered>, Error> {
        let (values, keyword): (Vec<&Value>, &str) = match (schema.get("enum"), schema.get("const")) {
            (Some(Value::Array(values)), _) => (values.iter().collect(), "enum"),
            (Some(other), _) => {
                self.warn(
                    &pointer.push("enum"),
                    format!("`enum` must be an array, found {}; ignored", super::kind_of(other)),
                );
                return Ok(None);
            }
            (None, Some(value)) => (vec![value], "const"),
            (None, None) => return Ok(None),
        };
        let nullable = values.iter().any(|value| value.is_null());
        let values: Vec<&Value> = values.into_iter().filter(|value| !value.is_null()).collect();
        let keyword_pointer = pointer.push(keyword);
        if values.is_empty() {
            return Ok(None);
        }
        let all_strings = values.iter().all(|value| value.is_string());
        let all_integers = values.iter().all(|value| value.as_i64().is_some());
        let out_of_range = values.iter().find(|value| value.is_number() && value.as_i64().is_none());
        if let (Some(value), [] | ["integer"], true) =
            (out_of_range, types, values.iter().all(|value| value.is_number()))
        {
            // Integer enums hold `i64` values: one that does not fit leaves the listed values unchecked.
            let at = match schema.get("enum").and_then(Value::as_array) {
                Some(list) => list
                    .iter()
                    .position(|listed| listed == *value)
                    .map_or(keyword_pointer.clone(), |i| keyword_pointer.index(i)),
                None => keyword_pointer.clone(),
            };
            self.warn(
                &at,
                format!(
                    "`{keyword}` value {value} does not fit in an i64 (a literal outside 64 bits is read as the nearest float); the listed values are not checked"
                ),
            );
            return Ok(None);
        }
        let kind = match types {
            [] | ["string"] if all_strings => "string",
            [] | ["integer"] | ["number"] if all_integers => "integer",
            ["array"] => {
                self.warn(&keyword_pointer, format!("`{keyword}` on an array schema; values not checked"));
                return Ok(None);
            }
            ["boolean"] | ["number"] | ["object"] => return Ok(None),
            _ => {
                self.warn(
                    &keyword_pointer,
                    format!("`{keyword}` values do not match the schema's type; values not checked"),
                );
                return Ok(None);
            }
        };
        let value_docs = self.enum_descriptions(pointer, schema, values.len());
        let repeated = self.repeated_values(&keyword_pointer, schema, &values);
        let docs = self.description(schema);
        let id = self.reserve_type(pointer, wanted_name.get(), docs);
        let mut names = UniqueNames::with_reserved(&["Other"]);
        // A value listed twice is one variant: a second would never be read, and its match arm unreachable.
        let listed = || {
            values.iter().zip(value_docs.clone()).zip(&repeated).filter(|(_, repeat)| !**repeat).map(|(pair, _)| pair)
        };
        let kind = if kind == "string" {
            let variants = listed()
                .filter_map(|(value, docs)| value.as_str().map(|value| (value, docs)))
                .map(|(value, docs)| EnumVariant {
                    name: names.claim(&naming::type_name(value), "").0,
                    value: value.to_owned(),
                    docs,
                })
                .collect();
            TypeKind::StringEnum { variants }
        } else {
            let variants = listed()
                .filter_map(|(value, docs)| value.as_i64().map(|value| (value, docs)))
                .map(|(value, docs)| {
                    let wanted = if value < 0 { format!("Minus{}", value.unsigned_abs()) } else { format!("N{value}") };
                    EnumVariant { name: names.claim(&wanted, "_").0, value, docs }
                })
                .collect();
            TypeKind::IntegerEnum { variants }
        };
        self.types[id].kind = kind;
        Ok(Some(Lowered { ty: TypeRef::Named(id), nullable, recursive: false }))
    }

    /// Which of `values` (the listed values but `null`, in order) repeat an earlier one, each with a warning
    /// at its place in the `enum` list.
    fn repeated_values(
        &mut self,
        keyword_pointer: &JsonPointer,
        schema: &Map<String, Value>,
        values: &[&Value],
    ) -> Vec<bool> {
        let positions: Vec<usize> = match schema.get("enum").and_then(Value::as_array) {
            Some(list) => (0..list.len()).filter(|&i| !list[i].is_null()).collect(),
            None => Vec::new(),
        };
        let mut seen: HashMap<&Value, usize> = HashMap::with_capacity(values.len());
        let mut repeated = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let at = positions.get(i).copied().unwrap_or(i);
            match seen.get(value) {
                Some(first) => {
                    self.warn(
                        &keyword_pointer.index(at),
                        format!("`enum` lists `{value}` again (first at index {first}); the repeat is ignored"),
                    );
                    repeated.push(true);
                }
                None => {
                    seen.insert(value, at);
                    repeated.push(false);
                }
            }
        }
        repeated
    }

    /// Per-value docs from `x-enum-descriptions`: a list parallel to `enum`, or a map from value to text.
    fn enum_descriptions(
        &mut self,
        pointer: &JsonPointer,
        schema: &Map<String, Value>,
        count: usize,
    ) -> Vec<Option<String>> {
        let mut out = vec![None; count];
        let Some(descriptions) = schema.get("x-enum-descriptions") else { return out };
        let values: Vec<&Value> = match schema.get("enum") {
            Some(Value::Array(values)) => values.iter().filter(|value| !value.is_null()).collect(),
            _ => Vec::new(),
        };
        match descriptions {
            Value::Array(list) => {
                if list.len() != values.len() {
                    self.warn(
                        &pointer.push("x-enum-descriptions"),
                        format!("{} descriptions for {} enum values; matched by position", list.len(), values.len()),
                    );
                }
                for (slot, text) in out.iter_mut().zip(list) {
                    *slot = text.as_str().and_then(docs::sanitize);
                }
            }
            Value::Object(map) => {
                for (slot, value) in out.iter_mut().zip(&values) {
                    let key = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    *slot = map.get(&key).and_then(Value::as_str).and_then(docs::sanitize);
                }
            }
            other => self.warn(
                &pointer.push("x-enum-descriptions"),
                format!(
                    "`x-enum-descriptions` must be an array or an object, found {}; ignored",
                    super::kind_of(other)
                ),
            ),
        }
        out
    }
}
