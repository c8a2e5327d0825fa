//! How much memory each type takes inline, estimated, and boxing where a type is too large to hold
//! inline.
//!
//! serde reads a struct in one stack frame that holds every field it has read so far, and reads a nested
//! struct in a frame of its own on top: a payload that holds large structs inline, inside large structs,
//! needs their sizes added up on the stack (more in a debug build, which keeps temporaries apart). A
//! vendor's nested objects of a hundred properties each (GitHub's repository, user and installation
//! objects, repeated at every level) then take more than a thread's 2 MiB. A field (or `oneOf`
//! alternative) whose type is larger than [`MAX_INLINE_BYTES`] is therefore boxed: it costs one allocation
//! when the value is present, next to at least one per string of the many properties that make a type
//! that large, and the frame reading it holds a pointer. Each struct's frame then holds its own
//! properties only, so the stack a payload needs grows with its nesting depth, which serde_json bounds
//! (128 levels), not with the sizes of the objects along the way. `Event` holds every payload in a box
//! (emitted so), so it is small whatever the payloads are.

use crate::ir::{TypeDef, TypeKind, TypeRef};

use super::Lowerer;

/// A field or alternative whose type is estimated larger than this is boxed: about ten strings' worth.
pub(crate) const MAX_INLINE_BYTES: usize = 256;

/// The estimated sizes (bytes on a 64-bit target, upper bounds rather than exact) of the types generated
/// code names, checked against `size_of` in the tests below.
const POINTER: usize = 8;
const STRING: usize = 24;
const VEC: usize = 24;
const BTREE_MAP: usize = 24;
/// `serde_json::Map` and `indexmap::IndexMap`, with `preserve_order`: an `IndexMap` with its hasher.
const INDEX_MAP: usize = 72;
/// `serde_json::Value`: its largest variant is a map.
const JSON_VALUE: usize = INDEX_MAP + 8;
/// `serde_json::Number` with `arbitrary_precision` (the runtime turns it on): a string.
const NUMBER: usize = STRING;

impl Lowerer<'_, '_> {
    /// Boxes every field and alternative whose type is larger than [`MAX_INLINE_BYTES`]. Runs after
    /// deduplication, so each shared type is measured once.
    pub(super) fn box_large_types(&mut self) {
        let mut sizes: Vec<Option<usize>> = vec![None; self.types.len()];
        let mut on_stack = vec![false; self.types.len()];
        for root in 0..self.types.len() {
            // Depth-first, without recursion: a type is measured after the types it holds inline. A type
            // met again while it is on the stack holds itself, which only a box (or a collection) does.
            let mut stack = vec![(root, false)];
            while let Some((id, children_done)) = stack.pop() {
                if sizes[id].is_some() {
                    continue;
                }
                if children_done {
                    on_stack[id] = false;
                    sizes[id] = Some(box_and_measure(&mut self.types[id], &sizes));
                    continue;
                }
                on_stack[id] = true;
                stack.push((id, true));
                for child in inline_children(&self.types[id]) {
                    if sizes[child].is_none() && !on_stack[child] {
                        stack.push((child, false));
                    }
                }
            }
        }
    }
}

/// The named types `def` holds inline (not behind a box or in a collection).
fn inline_children(def: &TypeDef) -> Vec<usize> {
    let mut children = Vec::new();
    let mut visit = |ty: &TypeRef, boxed: bool| {
        if let (TypeRef::Named(id), false) = (ty, boxed) {
            children.push(*id);
        }
    };
    match &def.kind {
        TypeKind::Struct { fields, .. } => fields.iter().for_each(|field| visit(&field.ty, field.boxed)),
        TypeKind::OneOf { variants, .. } => variants.iter().for_each(|variant| visit(&variant.ty, variant.boxed)),
        TypeKind::Newtype { inner } => visit(inner, false),
        TypeKind::StringEnum { .. } | TypeKind::IntegerEnum { .. } => {}
    }
    children
}

/// Boxes the fields or alternatives of `def` that are too large inline, and returns its estimated size.
/// `sizes` has the size of every type `def` holds inline, except one that holds `def` itself (boxed, so
/// never asked).
fn box_and_measure(def: &mut TypeDef, sizes: &[Option<usize>]) -> usize {
    let size_of = |ty: &TypeRef, boxed: &mut bool| {
        if *boxed {
            return POINTER;
        }
        let size = size_of_ref(ty, sizes);
        if size > MAX_INLINE_BYTES {
            *boxed = true;
            POINTER
        } else {
            size
        }
    };
    match &mut def.kind {
        TypeKind::Struct { fields, additional } => {
            let fields: usize = fields
                .iter_mut()
                .map(|field| {
                    let inline = size_of(&field.ty, &mut field.boxed);
                    // `Option` needs a tag where the type has no spare value for `None`; estimated as
                    // always needing one.
                    let options =
                        usize::from(!field.required || field.nullable) + usize::from(!field.required && field.nullable);
                    round_up(inline) + options * POINTER
                })
                .sum();
            fields + additional.as_ref().map_or(0, |_| INDEX_MAP)
        }
        TypeKind::OneOf { variants, .. } => {
            let largest = variants
                .iter_mut()
                .map(|variant| size_of(&variant.ty, &mut variant.boxed))
                .fold(JSON_VALUE, usize::max);
            round_up(largest) + POINTER
        }
        TypeKind::Newtype { inner } => size_of_ref(inner, sizes),
        TypeKind::StringEnum { .. } => STRING + POINTER,
        TypeKind::IntegerEnum { .. } => 2 * POINTER,
    }
}

fn size_of_ref(ty: &TypeRef, sizes: &[Option<usize>]) -> usize {
    match ty {
        TypeRef::String => STRING,
        TypeRef::Bool => 1,
        TypeRef::I32 => 4,
        TypeRef::I64 => 8,
        TypeRef::Number => NUMBER,
        TypeRef::Json => JSON_VALUE,
        TypeRef::Vec(_) => VEC,
        TypeRef::Map(value) if **value == TypeRef::Json => INDEX_MAP,
        TypeRef::Map(_) => BTREE_MAP,
        // Only a type that holds itself is still unmeasured here, and it holds itself through a box.
        TypeRef::Named(id) => sizes[*id].unwrap_or(POINTER),
    }
}

fn round_up(size: usize) -> usize {
    size.div_ceil(POINTER) * POINTER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimates_are_not_below_the_real_sizes() {
        use std::mem::size_of;
        assert!(size_of::<String>() <= STRING);
        assert!(size_of::<Vec<u8>>() <= VEC);
        assert!(size_of::<std::collections::BTreeMap<String, String>>() <= BTREE_MAP);
        assert!(size_of::<serde_json::Map<String, serde_json::Value>>() <= INDEX_MAP);
        assert!(size_of::<indexmap::IndexMap<String, String>>() <= INDEX_MAP);
        assert!(size_of::<serde_json::Value>() <= JSON_VALUE);
        assert!(size_of::<serde_json::Number>() <= NUMBER);
        assert!(size_of::<Box<[u8; 4096]>>() <= POINTER);
        assert!(size_of::<Option<Option<i64>>>() <= 8 + 2 * POINTER);
    }
}
