//! The spec's examples as evidence: every example must parse into the generated types and serialize
//! back to the same JSON, so where an example disagrees with its schema the type is widened to accept it.
//!
//! Vendors' examples are often closer to what they really send than their schemas: a timestamp given as
//! a string where the schema says integer, a required property the example leaves out, a property the
//! schema never declares. Each disagreement is fixed in the IR the way that keeps both readings (a field
//! of any JSON value, an optional field, an added field) and reported with the schema's JSON pointer and
//! the example's.

use foldhash::HashSet;

use serde_json::{Map, Value};

use super::Lowerer;
use crate::ir::{Event, Field, TypeKind, TypeRef, unwrap_newtypes};
use crate::naming::{self, UniqueNames};
use crate::pointer::JsonPointer;

impl Lowerer<'_, '_> {
    /// Widens the event's types until every one of its examples parses and round-trips.
    pub(super) fn reconcile_examples(&mut self, event: &mut Event) {
        for i in 0..event.examples.len() {
            let value = event.examples[i].value.clone();
            let at = event.examples[i].pointer.clone();
            if let Some(widened) = self.fit(&event.payload, &value, &at) {
                event.payload = widened;
            }
        }
    }

    /// Makes `ty` accept `value` (at `at`, a pointer into the example). Named types are fixed in place;
    /// a type that cannot hold the value at all is returned widened, for the caller to store.
    fn fit(&mut self, ty: &TypeRef, value: &Value, at: &JsonPointer) -> Option<TypeRef> {
        let fits = match (ty, value) {
            (TypeRef::Json, _) => true,
            (TypeRef::String, Value::String(_))
            | (TypeRef::Bool, Value::Bool(_))
            | (TypeRef::Number, Value::Number(_)) => true,
            (TypeRef::I64, Value::Number(n)) => n.as_i64().is_some(),
            (TypeRef::I32, Value::Number(n)) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => true,
                Some(_) => {
                    self.warn(
                        at,
                        "the example has an integer outside the 32-bit range the schema gives; widened to i64",
                    );
                    return Some(TypeRef::I64);
                }
                None => false,
            },
            (TypeRef::Vec(item), Value::Array(items)) => {
                let mut item_ty = (**item).clone();
                for (i, item_value) in items.iter().enumerate() {
                    if let Some(widened) = self.fit_nullable(&item_ty, item_value, &at.index(i)) {
                        item_ty = widened;
                    }
                }
                return (item_ty != **item).then(|| TypeRef::Vec(Box::new(item_ty)));
            }
            (TypeRef::Map(inner), Value::Object(map)) => {
                let mut value_ty = (**inner).clone();
                for (key, entry) in map {
                    if let Some(widened) = self.fit_nullable(&value_ty, entry, &at.push(key)) {
                        value_ty = widened;
                    }
                }
                return (value_ty != **inner).then(|| TypeRef::Map(Box::new(value_ty)));
            }
            (TypeRef::Named(id), value) => match (&self.types[*id].kind, value) {
                (TypeKind::Struct { .. }, Value::Object(map)) => {
                    self.fit_struct(*id, map, at);
                    true
                }
                (TypeKind::StringEnum { .. }, Value::String(_)) => true,
                (TypeKind::IntegerEnum { .. }, Value::Number(n)) => n.as_i64().is_some(),
                (TypeKind::OneOf { .. }, _) => {
                    self.fit_alternative(*id, value, at);
                    true
                }
                (TypeKind::Newtype { inner }, _) => {
                    let inner = inner.clone();
                    if let Some(widened) = self.fit(&inner, value, at) {
                        if let TypeKind::Newtype { inner } = &mut self.types[*id].kind {
                            *inner = widened;
                        }
                    }
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if fits {
            return None;
        }
        let name = self.describe(ty);
        self.warn(
            at,
            format!("the example has {} where the schema says {name}; typed as any JSON value", json_kind(value)),
        );
        Some(TypeRef::Json)
    }

    /// Like [`Self::fit`] for list items and map values, which cannot be optional: a `null` there widens
    /// the item type to any JSON value.
    fn fit_nullable(&mut self, ty: &TypeRef, value: &Value, at: &JsonPointer) -> Option<TypeRef> {
        if value.is_null() && *ty != TypeRef::Json {
            self.warn(at, "the example has null where the schema does not allow it; items typed as any JSON value");
            return Some(TypeRef::Json);
        }
        self.fit(ty, value, at)
    }

    fn fit_struct(&mut self, id: usize, map: &Map<String, Value>, at: &JsonPointer) {
        let field_count = self.struct_fields(id).len();
        for index in 0..field_count {
            let field = self.struct_fields(id)[index].clone();
            let field_at = at.push(&field.json_name);
            let mut updated = field.clone();
            match map.get(&field.json_name) {
                None if field.required => {
                    self.warn(
                        &field_at,
                        format!("the example leaves out the required property `{}`; made optional", field.json_name),
                    );
                    updated.required = false;
                }
                None => {}
                Some(Value::Null) if !field.nullable => {
                    self.warn(
                        &field_at,
                        format!(
                            "the example has null for `{}`, which the schema does not allow; made nullable",
                            field.json_name
                        ),
                    );
                    updated.nullable = true;
                }
                Some(Value::Null) => {}
                Some(value) => {
                    if let Some(widened) = self.fit(&field.ty, value, &field_at) {
                        updated.boxed = false;
                        updated.ty = widened;
                    }
                }
            }
            if let TypeKind::Struct { fields, .. } = &mut self.types[id].kind {
                let slot = &mut fields[index];
                slot.required = updated.required;
                slot.nullable = updated.nullable;
                if slot.ty != updated.ty {
                    slot.ty = updated.ty;
                    slot.boxed = updated.boxed;
                }
            }
        }
        let declared: HashSet<String> = self.struct_fields(id).iter().map(|field| field.json_name.clone()).collect();
        // An open struct keeps undeclared properties itself: each must fit the type it keeps them as.
        if let TypeKind::Struct { additional: Some(additional), .. } = &self.types[id].kind {
            let mut value_ty = additional.ty.clone();
            for (key, value) in map.iter().filter(|(key, _)| !declared.contains(key.as_str())) {
                if let Some(widened) = self.fit_nullable(&value_ty, value, &at.push(key)) {
                    value_ty = widened;
                }
            }
            if let TypeKind::Struct { additional: Some(additional), .. } = &mut self.types[id].kind {
                additional.ty = value_ty;
            }
            return;
        }
        // Properties the schema never declares: kept as fields of any JSON value, so nothing is dropped.
        let mut names = UniqueNames::with_reserved(&[]);
        for field in self.struct_fields(id) {
            names.claim(&field.name, "_");
        }
        for (key, value) in map.iter().filter(|(key, _)| !declared.contains(key.as_str())) {
            let (name, _) = names.claim(&naming::snake_name(key), "_");
            self.warn(&at.push(key), format!("the example has the property `{key}`, which the schema does not declare; added as an optional field of any JSON value"));
            let field = Field {
                name,
                json_name: key.clone(),
                ty: TypeRef::Json,
                required: false,
                nullable: value.is_null(),
                boxed: false,
                docs: Some("Not declared in the spec; seen in its examples.".to_owned()),
            };
            if let TypeKind::Struct { fields, .. } = &mut self.types[id].kind {
                fields.push(field);
            }
        }
    }

    /// Fits the alternative the generated code would pick for `value` (the one that parses it and
    /// declares the most of its keys); a value no alternative takes is kept whole in `Other`.
    fn fit_alternative(&mut self, id: usize, value: &Value, at: &JsonPointer) {
        let TypeKind::OneOf { variants, tag } = &self.types[id].kind else { return };
        if let Some(tag) = tag {
            // Tagged: the tag value alone picks the alternative.
            let value_tag = value.get(&tag.property).and_then(Value::as_str);
            let Some(index) = variants
                .iter()
                .position(|variant| value_tag.is_some_and(|t| variant.tag_values.iter().any(|v| v == t)))
            else {
                return;
            };
            let ty = variants[index].ty.clone();
            if let Some(widened) = self.fit(&ty, value, at) {
                if let TypeKind::OneOf { variants, .. } = &mut self.types[id].kind {
                    variants[index].ty = widened;
                    variants[index].boxed = false;
                }
            }
            return;
        }
        let mut best: Option<(usize, usize)> = None;
        for (index, variant) in variants.iter().enumerate() {
            if !self.accepts(&variant.ty, value) {
                continue;
            }
            let score = match value {
                Value::Object(map) => {
                    let known: HashSet<&str> = variant.known_properties.iter().map(String::as_str).collect();
                    map.keys().filter(|key| known.contains(key.as_str())).count()
                }
                _ => 0,
            };
            if best.is_none_or(|(_, best_score)| score > best_score) {
                best = Some((index, score));
            }
        }
        let Some((index, _)) = best else { return };
        let ty = variants[index].ty.clone();
        if let Some(widened) = self.fit(&ty, value, at) {
            if let TypeKind::OneOf { variants, .. } = &mut self.types[id].kind {
                variants[index].ty = widened;
                variants[index].boxed = false;
            }
        }
    }

    /// Whether generated code would parse `value` as `ty` at all (shape only, not every nested field).
    fn accepts(&self, ty: &TypeRef, value: &Value) -> bool {
        match (unwrap_newtypes(&self.types, ty), value) {
            (TypeRef::Json, _) => true,
            (TypeRef::String, Value::String(_))
            | (TypeRef::Bool, Value::Bool(_))
            | (TypeRef::Number, Value::Number(_)) => true,
            (TypeRef::I64 | TypeRef::I32, Value::Number(n)) => n.as_i64().is_some(),
            (TypeRef::Vec(_), Value::Array(_)) | (TypeRef::Map(_), Value::Object(_)) => true,
            (TypeRef::Named(id), value) => match (&self.types[*id].kind, value) {
                (TypeKind::Struct { fields, .. }, Value::Object(map)) => fields
                    .iter()
                    .filter(|field| field.required && !field.nullable)
                    .all(|field| map.contains_key(&field.json_name)),
                (TypeKind::StringEnum { .. }, Value::String(_)) => true,
                (TypeKind::IntegerEnum { .. }, Value::Number(n)) => n.as_i64().is_some(),
                (TypeKind::OneOf { .. } | TypeKind::Newtype { .. }, _) => true,
                _ => false,
            },
            _ => false,
        }
    }

    fn struct_fields(&self, id: usize) -> &[Field] {
        match &self.types[id].kind {
            TypeKind::Struct { fields, .. } => fields,
            _ => &[],
        }
    }

    /// How a type is described in warnings.
    fn describe(&self, ty: &TypeRef) -> String {
        match unwrap_newtypes(&self.types, ty) {
            TypeRef::String => "a string".to_owned(),
            TypeRef::Bool => "a boolean".to_owned(),
            TypeRef::I32 | TypeRef::I64 => "an integer".to_owned(),
            TypeRef::Number => "a number".to_owned(),
            TypeRef::Json => "any value".to_owned(),
            TypeRef::Vec(_) => "an array".to_owned(),
            TypeRef::Map(_) => "an object".to_owned(),
            TypeRef::Named(id) => match &self.types[*id].kind {
                TypeKind::Struct { .. } => "an object".to_owned(),
                TypeKind::StringEnum { .. } => "a string".to_owned(),
                TypeKind::IntegerEnum { .. } => "an integer".to_owned(),
                TypeKind::OneOf { .. } | TypeKind::Newtype { .. } => "one of several types".to_owned(),
            },
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        // Loading reads a literal outside 64 bits as the nearest float.
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() >= 2f64.powi(63)) => {
            "an integer outside 64 bits"
        }
        Value::Number(_) => "a fractional number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
