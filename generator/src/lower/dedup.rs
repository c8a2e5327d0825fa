//! Structurally identical types within a spec become one type.
//!
//! Vendors repeat the same object under many events (Zoom's specs hold each object about 2.7 times), and
//! every copy would otherwise be its own struct with its own path-based name. Types are grouped by
//! structure (the coarsest partition where two types are equal when their kinds, fields (JSON name, Rust
//! name, required, nullable, boxed) and the classes of the types they refer to are equal, which also
//! merges recursive types), each group keeps its first member, docs included, and every reference is
//! redirected to it. Descriptions do not count as structure: copies of one object often word a field a
//! little differently. Event payload types are never merged, so each event keeps its own type name.

use std::collections::{HashMap, HashSet};

use super::Lowerer;
use crate::ir::{Event, TypeKind, TypeRef};

impl Lowerer<'_, '_> {
    /// Merges identical types, renames merged groups after their common name suffix, and rewrites every
    /// reference and doc link. Returns how many types were removed.
    pub(super) fn deduplicate(&mut self, events: &mut [Event]) -> usize {
        let count = self.types.len();
        let payloads: HashSet<usize> = events
            .iter()
            .filter_map(|event| match event.payload {
                TypeRef::Named(id) => Some(id),
                _ => None,
            })
            .collect();
        let class = self.partition(&payloads);
        // The first member of each class represents it.
        let mut representative: HashMap<usize, usize> = HashMap::new();
        let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
        for (id, group) in class.iter().enumerate() {
            representative.entry(*group).or_insert(id);
            members.entry(*group).or_default().push(id);
        }
        let kept: Vec<usize> = (0..count).filter(|id| representative[&class[*id]] == *id).collect();
        if kept.len() == count {
            return 0;
        }
        let mut new_index = vec![0; count];
        for (position, id) in kept.iter().enumerate() {
            new_index[*id] = position;
        }
        for id in 0..count {
            new_index[id] = new_index[representative[&class[id]]];
        }
        // Names: a merged group takes the words its members' names end with, when that is at least two
        // words and free; otherwise it keeps its first member's name.
        let mut renames: Vec<(String, String)> = Vec::new();
        let mut final_names: HashSet<String> = kept.iter().map(|id| self.types[*id].name.clone()).collect();
        for id in &kept {
            let group = &members[&class[*id]];
            if group.len() < 2 {
                continue;
            }
            let original: Vec<String> = group.iter().map(|member| self.types[*member].name.clone()).collect();
            let names: Vec<&str> = original.iter().map(String::as_str).collect();
            if let Some(common) = common_name(&names) {
                if !final_names.contains(&common) && !crate::naming::RESERVED_TYPE_NAMES.contains(&common.as_str()) {
                    final_names.remove(&self.types[*id].name);
                    final_names.insert(common.clone());
                    self.types[*id].name = common;
                }
            }
            let shared = group.len();
            for name in original {
                renames.push((name, self.types[*id].name.clone()));
            }
            let docs = self.types[*id].docs.get_or_insert_with(String::new);
            if !docs.is_empty() {
                docs.push_str("\n\n");
            }
            docs.push_str(&format!("One type for {shared} identical schemas in this spec."));
        }
        let mut types = Vec::with_capacity(kept.len());
        for id in &kept {
            let mut def = self.types[*id].clone();
            redirect_kind(&mut def.kind, &new_index);
            types.push(def);
        }
        for event in events.iter_mut() {
            redirect(&mut event.payload, &new_index);
        }
        // Generated doc links name the parent type; point them at the surviving names.
        let renames: HashMap<String, String> = renames.into_iter().filter(|(old, new)| old != new).collect();
        if !renames.is_empty() {
            for def in &mut types {
                if let Some(docs) = &mut def.docs {
                    *docs = relink(docs, &renames);
                }
                if let TypeKind::Struct { fields, .. } = &mut def.kind {
                    for field in fields {
                        if let Some(docs) = &mut field.docs {
                            *docs = relink(docs, &renames);
                        }
                    }
                }
            }
        }
        let removed = count - types.len();
        self.types = types;
        self.by_pointer.clear();
        removed
    }

    /// The coarsest partition of the types into structurally identical classes (payload types alone).
    fn partition(&self, payloads: &HashSet<usize>) -> Vec<usize> {
        let count = self.types.len();
        let mut class = vec![0usize; count];
        let mut classes = 1;
        loop {
            let mut by_signature: HashMap<String, usize> = HashMap::new();
            let mut next = vec![0usize; count];
            for (id, slot) in next.iter_mut().enumerate() {
                let signature =
                    if payloads.contains(&id) { format!("payload {id}") } else { self.signature(id, &class) };
                let fresh = by_signature.len();
                *slot = *by_signature.entry(signature).or_insert(fresh);
            }
            let refined = by_signature.len();
            class = next;
            if refined == classes {
                return class;
            }
            classes = refined;
        }
    }

    /// Everything that makes a type what it is, with referenced types given by their current class.
    fn signature(&self, id: usize, class: &[usize]) -> String {
        let def = &self.types[id];
        match &def.kind {
            TypeKind::Struct { fields, additional } => {
                let mut text = String::from("struct{");
                for field in fields {
                    text.push_str(&format!(
                        "{:?}:{}:{}:{}:{}:{};",
                        field.json_name,
                        field.name,
                        field.required,
                        field.nullable,
                        field.boxed,
                        type_signature(&field.ty, class),
                    ));
                }
                // The field keeping undeclared properties is structure too: an open struct and a closed
                // one with the same fields parse the same JSON differently.
                if let Some(additional) = additional {
                    text.push_str(&format!("..{}:{}", additional.name, type_signature(&additional.ty, class)));
                }
                text.push('}');
                text
            }
            TypeKind::StringEnum { variants } => {
                let values: Vec<String> = variants.iter().map(|v| format!("{:?}:{}", v.value, v.name)).collect();
                format!("string enum{{{}}}", values.join(";"))
            }
            TypeKind::IntegerEnum { variants } => {
                let values: Vec<String> = variants.iter().map(|v| format!("{}:{}", v.value, v.name)).collect();
                format!("integer enum{{{}}}", values.join(";"))
            }
            TypeKind::OneOf { variants, tag } => {
                let alternatives: Vec<String> = variants
                    .iter()
                    .map(|v| {
                        format!(
                            "{}:{}:{}:{:?}:{:?}",
                            v.name,
                            type_signature(&v.ty, class),
                            v.boxed,
                            v.known_properties,
                            v.tag_values
                        )
                    })
                    .collect();
                format!("one of {:?}{{{}}}", tag.as_ref().map(|tag| &tag.property), alternatives.join(";"))
            }
            TypeKind::Newtype { inner } => format!("newtype({})", type_signature(inner, class)),
        }
    }
}

fn type_signature(ty: &TypeRef, class: &[usize]) -> String {
    match ty {
        TypeRef::Named(id) => format!("#{}", class[*id]),
        TypeRef::Vec(item) => format!("[{}]", type_signature(item, class)),
        TypeRef::Map(value) => format!("{{{}}}", type_signature(value, class)),
        other => format!("{other:?}"),
    }
}

fn redirect(ty: &mut TypeRef, new_index: &[usize]) {
    match ty {
        TypeRef::Named(id) => *id = new_index[*id],
        TypeRef::Vec(inner) | TypeRef::Map(inner) => redirect(inner, new_index),
        _ => {}
    }
}

fn redirect_kind(kind: &mut TypeKind, new_index: &[usize]) {
    match kind {
        TypeKind::Struct { fields, additional } => {
            fields.iter_mut().for_each(|field| redirect(&mut field.ty, new_index));
            if let Some(additional) = additional {
                redirect(&mut additional.ty, new_index);
            }
        }
        TypeKind::OneOf { variants, .. } => {
            variants.iter_mut().for_each(|variant| redirect(&mut variant.ty, new_index));
        }
        TypeKind::Newtype { inner } => redirect(inner, new_index),
        TypeKind::StringEnum { .. } | TypeKind::IntegerEnum { .. } => {}
    }
}

/// Rewrites doc links (`` [`Old`] ``) to types that were merged or renamed.
fn relink(docs: &str, renames: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(docs.len());
    let mut rest = docs;
    while let Some(start) = rest.find("[`") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("`]") {
            Some(end) => {
                let name = &after[..end];
                out.push_str("[`");
                out.push_str(renames.get(name).map_or(name, String::as_str));
                out.push_str("`]");
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("[`");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The name of a merged group: the CamelCase words all its members' names start with, followed by the
/// words they all end with (`TeamChatChannelInvitationRemovedPayloadObject` and
/// `TeamChatChannelInvitationApprovedPayloadObject` -> `TeamChatChannelInvitationPayloadObject`), when that
/// ends with at least one shared word and is at least two words long.
fn common_name(names: &[&str]) -> Option<String> {
    let split: Vec<Vec<&str>> = names.iter().map(|name| camel_words(name)).collect();
    let shortest = split.iter().map(Vec::len).min()?;
    let shared_at = |index: &dyn Fn(&Vec<&str>) -> usize| {
        let word = split[0][index(&split[0])];
        split.iter().all(|words| words[index(words)] == word)
    };
    let mut suffix = 0;
    while suffix < shortest && shared_at(&|words: &Vec<&str>| words.len() - 1 - suffix) {
        suffix += 1;
    }
    let mut prefix = 0;
    while prefix + suffix < shortest && shared_at(&|_: &Vec<&str>| prefix) {
        prefix += 1;
    }
    if suffix == 0 || prefix + suffix < 2 {
        return None;
    }
    let first = &split[0];
    Some(format!("{}{}", first[..prefix].concat(), first[first.len() - suffix..].concat()))
}

/// `MeetingStartedPayload2` -> `["Meeting", "Started", "Payload2"]`.
fn camel_words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices().skip(1) {
        if c.is_ascii_uppercase() {
            words.push(&name[start..i]);
            start = i;
        }
    }
    words.push(&name[start..]);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names() {
        assert_eq!(
            common_name(&["MeetingStartedPayloadObjectParticipant", "MeetingEndedPayloadObjectParticipant"]),
            Some("MeetingPayloadObjectParticipant".to_owned())
        );
        assert_eq!(
            common_name(&["AccountCreatedPayloadObject", "UserUpdatedPayloadObject"]),
            Some("PayloadObject".to_owned())
        );
        assert_eq!(common_name(&["AItem", "BItem"]), None, "one word is too generic");
        assert_eq!(common_name(&["RoomA", "RoomB"]), None, "nothing shared at the end");
        assert_eq!(common_name(&["XPayload", "XYPayload"]), Some("XPayload".to_owned()));
        assert_eq!(camel_words("N2faEnabled"), ["N2fa", "Enabled"]);
    }

    #[test]
    fn relinks_only_generated_links() {
        let renames = HashMap::from([("Old".to_owned(), "New".to_owned())]);
        assert_eq!(
            relink("The `x` property of [`Old`]; [`Other`] \\[`Old`\\]", &renames),
            "The `x` property of [`New`]; [`Other`] \\[`Old`\\]"
        );
    }
}
