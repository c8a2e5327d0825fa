//! Structurally identical types within a spec become one type.
//!
//! Vendors repeat the same object under many events (Zoom's specs hold each object about 2.7 times), and
//! every copy would otherwise be its own struct with its own path-based name. Types are grouped by
//! structure (the coarsest partition where two types are equal when their kinds, fields (JSON name, Rust
//! name, required, nullable, boxed) and the classes of the types they refer to are equal, which also
//! merges recursive types), each group keeps its first member, docs included, and every reference is
//! redirected to it. Descriptions do not count as structure: copies of one object often word a field a
//! little differently. Event payload types are never merged, so each event keeps its own type name.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::fmt::Write;

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
        // The first member of each class represents it. Classes are numbered from 0, fewer than types.
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (id, group) in class.iter().enumerate() {
            members[*group].push(id);
        }
        let representative = |id: usize| members[class[id]][0];
        let kept: Vec<usize> = (0..count).filter(|id| representative(*id) == *id).collect();
        if kept.len() == count {
            return 0;
        }
        let mut new_index = vec![0; count];
        for (position, id) in kept.iter().enumerate() {
            new_index[*id] = position;
        }
        for id in 0..count {
            new_index[id] = new_index[representative(id)];
        }
        // Names: a merged group takes the words its members' names end with, when that is at least two
        // words and free; otherwise it keeps its first member's name.
        let mut renames: Vec<(String, String)> = Vec::new();
        let mut final_names: HashSet<String> = kept.iter().map(|id| self.types[*id].name.clone()).collect();
        for id in &kept {
            let group = &members[class[*id]];
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
        // The kept types move to their new places; the merged ones are dropped.
        let mut types = Vec::with_capacity(kept.len());
        for (id, mut def) in std::mem::take(&mut self.types).into_iter().enumerate() {
            if representative(id) == id {
                redirect_kind(&mut def.kind, &new_index);
                types.push(def);
            }
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
    ///
    /// A type that reaches no cycle of references has a finite structure: its class is its signature
    /// over its referenced types' classes, interned once, referenced types first. Only the types that
    /// reach a cycle need rounds of refinement (from one class, until no class splits), with the finite
    /// types' classes fixed, so a long chain of references costs one pass rather than a round per link.
    /// A payload type is its own class and refers to nothing here.
    fn partition(&self, payloads: &HashSet<usize>) -> Vec<usize> {
        let count = self.types.len();
        let edges: Vec<Vec<usize>> = (0..count)
            .map(|id| if payloads.contains(&id) { Vec::new() } else { referenced_types(&self.types[id].kind) })
            .collect();
        let mut class = vec![0usize; count];
        let mut infinite = vec![false; count];
        let mut interned: HashMap<String, usize> = HashMap::new();
        // One buffer for every signature; a signature is copied only when it is new.
        let mut signature = String::new();
        for component in strongly_connected_components(&edges) {
            let cyclic = component.len() > 1 || edges[component[0]].contains(&component[0]);
            for &id in &component {
                infinite[id] = cyclic || edges[id].iter().any(|&child| infinite[child]);
            }
            if let [id] = component[..] {
                if !infinite[id] {
                    signature.clear();
                    if payloads.contains(&id) {
                        let _ = write!(signature, "payload {id}");
                    } else {
                        self.write_signature(id, &class, &mut signature);
                    }
                    class[id] = intern(&mut interned, &signature);
                }
            }
        }
        let finite_classes = interned.len();
        let open: Vec<usize> = (0..count).filter(|&id| infinite[id]).collect();
        for &id in &open {
            class[id] = finite_classes;
        }
        let mut classes = 1;
        while !open.is_empty() {
            let mut by_signature: HashMap<String, usize> = HashMap::new();
            let next: Vec<usize> = open
                .iter()
                .map(|&id| {
                    signature.clear();
                    self.write_signature(id, &class, &mut signature);
                    finite_classes + intern(&mut by_signature, &signature)
                })
                .collect();
            for (&id, &refined) in open.iter().zip(&next) {
                class[id] = refined;
            }
            if by_signature.len() == classes {
                break;
            }
            classes = by_signature.len();
        }
        class
    }

    /// Writes everything that makes a type what it is to `out`, with referenced types given by their
    /// current class.
    fn write_signature(&self, id: usize, class: &[usize], out: &mut String) {
        let def = &self.types[id];
        // Writing to a `String` cannot fail.
        match &def.kind {
            TypeKind::Struct { fields, additional } => {
                out.push_str("struct{");
                for field in fields {
                    push_text(out, &field.json_name);
                    out.push_str(&field.name);
                    push_flags(out, &[field.required, field.nullable, field.boxed]);
                    write_type_signature(&field.ty, class, out);
                    out.push(';');
                }
                // The field keeping undeclared properties is structure too: an open struct and a closed
                // one with the same fields parse the same JSON differently.
                if let Some(additional) = additional {
                    let _ = write!(out, "..{}:", additional.name);
                    write_type_signature(&additional.ty, class, out);
                }
                out.push('}');
            }
            TypeKind::StringEnum { variants } => {
                out.push_str("string enum{");
                for (i, variant) in variants.iter().enumerate() {
                    let separator = if i == 0 { "" } else { ";" };
                    out.push_str(separator);
                    push_text(out, &variant.value);
                    out.push_str(&variant.name);
                }
                out.push('}');
            }
            TypeKind::IntegerEnum { variants } => {
                out.push_str("integer enum{");
                for (i, variant) in variants.iter().enumerate() {
                    let separator = if i == 0 { "" } else { ";" };
                    let _ = write!(out, "{separator}{}:{}", variant.value, variant.name);
                }
                out.push('}');
            }
            TypeKind::OneOf { variants, tag } => {
                out.push_str("one of ");
                match tag {
                    Some(tag) => push_text(out, &tag.property),
                    None => out.push('-'),
                }
                out.push('{');
                for (i, variant) in variants.iter().enumerate() {
                    let separator = if i == 0 { "" } else { ";" };
                    out.push_str(separator);
                    out.push_str(&variant.name);
                    out.push(':');
                    write_type_signature(&variant.ty, class, out);
                    push_flags(out, &[variant.boxed]);
                    push_texts(out, &variant.known_properties);
                    push_texts(out, &variant.tag_values);
                }
                out.push('}');
            }
            TypeKind::Newtype { inner } => {
                out.push_str("newtype(");
                write_type_signature(inner, class, out);
                out.push(')');
            }
        }
    }
}

/// Writes `text` so that no other text writes the same, whatever it holds: its length, then itself.
fn push_text(out: &mut String, text: &str) {
    // Writing to a `String` cannot fail.
    let _ = write!(out, "{}:", text.len());
    out.push_str(text);
}

/// Writes each of `texts` as [`push_text`] does, after their number.
fn push_texts(out: &mut String, texts: &[String]) {
    let _ = write!(out, "[{}]", texts.len());
    texts.iter().for_each(|text| push_text(out, text));
}

/// Writes `flags` as `:` then one digit each.
fn push_flags(out: &mut String, flags: &[bool]) {
    out.push(':');
    out.extend(flags.iter().map(|&flag| if flag { '1' } else { '0' }));
    out.push(':');
}

/// The class of `signature` in `interned`, a new one if it is new.
fn intern(interned: &mut HashMap<String, usize>, signature: &str) -> usize {
    if let Some(&class) = interned.get(signature) {
        return class;
    }
    let fresh = interned.len();
    interned.insert(signature.to_owned(), fresh);
    fresh
}

/// The named types a type refers to, in order (with repeats).
fn referenced_types(kind: &TypeKind) -> Vec<usize> {
    let mut out = Vec::new();
    let mut add = |ty: &TypeRef| {
        let mut ty = ty;
        while let TypeRef::Vec(inner) | TypeRef::Map(inner) = ty {
            ty = inner;
        }
        if let TypeRef::Named(id) = ty {
            out.push(*id);
        }
    };
    match kind {
        TypeKind::Struct { fields, additional } => {
            fields.iter().for_each(|field| add(&field.ty));
            if let Some(additional) = additional {
                add(&additional.ty);
            }
        }
        TypeKind::OneOf { variants, .. } => variants.iter().for_each(|variant| add(&variant.ty)),
        TypeKind::Newtype { inner } => add(inner),
        TypeKind::StringEnum { .. } | TypeKind::IntegerEnum { .. } => {}
    }
    out
}

/// The strongly connected components of a graph given by each node's successors (Tarjan's algorithm,
/// without recursion), each component after every component it reaches.
fn strongly_connected_components(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let count = edges.len();
    let mut index = vec![UNVISITED; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;
    // The depth-first path: each node with the position of its next successor to visit.
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..count {
        if index[root] != UNVISITED {
            continue;
        }
        let mut pending = Some(root);
        loop {
            if let Some(node) = pending.take() {
                index[node] = next_index;
                low[node] = next_index;
                next_index += 1;
                stack.push(node);
                on_stack[node] = true;
                path.push((node, 0));
            }
            let Some(&(node, position)) = path.last() else { break };
            if let Some(&successor) = edges[node].get(position) {
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                if index[successor] == UNVISITED {
                    pending = Some(successor);
                } else if on_stack[successor] {
                    low[node] = low[node].min(index[successor]);
                }
                continue;
            }
            path.pop();
            if let Some(&(parent, _)) = path.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.reverse();
                components.push(component);
            }
        }
    }
    components
}

fn write_type_signature(ty: &TypeRef, class: &[usize], out: &mut String) {
    match ty {
        TypeRef::Named(id) => {
            let _ = write!(out, "#{}", class[*id]);
        }
        TypeRef::Vec(item) => {
            out.push('[');
            write_type_signature(item, class, out);
            out.push(']');
        }
        TypeRef::Map(value) => {
            out.push('{');
            write_type_signature(value, class, out);
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other:?}");
        }
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

    fn type_names(spec: &serde_json::Value) -> Vec<String> {
        let bytes = serde_json::to_vec(spec).expect("spec serializes");
        let generated = crate::generate("specs/dedup.json", &bytes).expect("spec generates");
        generated.module.types.iter().map(|def| def.name.clone()).collect()
    }

    /// Alike chains of references merge link by link (the payload at each head stays its own type), and
    /// two copies of a recursive type merge, whether they refer to themselves or to each other.
    #[test]
    fn alike_chains_and_alike_cycles_merge() {
        let mut webhooks = serde_json::Map::new();
        let mut schemas = serde_json::Map::new();
        for chain in 0..3 {
            webhooks.insert(
                format!("chain{chain}.updated"),
                serde_json::json!({"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/C{chain}L0")}}}}}}),
            );
            for link in 0..100 {
                let next = if link < 99 {
                    serde_json::json!({"$ref": format!("#/components/schemas/C{chain}L{}", link + 1)})
                } else {
                    serde_json::json!({"type": "string"})
                };
                schemas.insert(
                    format!("C{chain}L{link}"),
                    serde_json::json!({"type": "object", "properties": {"next": next}}),
                );
            }
        }
        for (name, node) in [("ANode", "ANode"), ("BNode", "BNode"), ("CNode", "DNode"), ("DNode", "CNode")] {
            schemas.insert(
                name.to_owned(),
                serde_json::json!({"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": format!("#/components/schemas/{node}")}}}}),
            );
        }
        webhooks.insert(
            "tree.updated".to_owned(),
            serde_json::json!({"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                "a": {"$ref": "#/components/schemas/ANode"},
                "b": {"$ref": "#/components/schemas/BNode"},
                "c": {"$ref": "#/components/schemas/CNode"},
            }}}}}}}),
        );
        let spec = serde_json::json!({"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "webhooks": webhooks, "components": {"schemas": schemas}});
        let names = type_names(&spec);
        // 3 payloads, links 1 to 99 of the first chain, the tree payload and one node.
        assert_eq!(names.len(), 3 + 99 + 1 + 1, "{names:?}");
        for link in 1..100 {
            assert!(names.contains(&format!("C0l{link}")), "C0l{link} in {names:?}");
        }
        assert_eq!(names.iter().filter(|name| name.ends_with("Node")).count(), 1, "{names:?}");
    }

    #[test]
    fn components_come_after_the_components_they_reach() {
        // 0 -> 1 -> 2 -> 1, 3 -> 0, 4 alone with a loop to itself.
        let edges = vec![vec![1], vec![2], vec![1], vec![0], vec![4]];
        assert_eq!(strongly_connected_components(&edges), [vec![1, 2], vec![0], vec![3], vec![4]]);
        // A chain far longer than any stack would allow recursion for.
        let chain: Vec<Vec<usize>> = (0..200_000).map(|i| if i + 1 < 200_000 { vec![i + 1] } else { vec![] }).collect();
        let components = strongly_connected_components(&chain);
        assert_eq!(components.len(), 200_000);
        assert_eq!(components[0], [199_999]);
    }

    #[test]
    fn relinks_only_generated_links() {
        let renames: HashMap<String, String> = [("Old".to_owned(), "New".to_owned())].into_iter().collect();
        assert_eq!(
            relink("The `x` property of [`Old`]; [`Other`] \\[`Old`\\]", &renames),
            "The `x` property of [`New`]; [`Other`] \\[`Old`\\]"
        );
    }
}
