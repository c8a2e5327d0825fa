//! Huge names in a spec give identifiers of bounded length (the compiler pays for an identifier's length
//! at every use), keep their exact JSON names, and stay distinct.

use serde_json::json;

/// The longest run of identifier characters in `source` outside string literals and comments.
fn longest_identifier(source: &str) -> usize {
    let mut longest = 0;
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or(line);
        let mut in_string = false;
        let mut run = 0;
        for c in code.chars() {
            if c == '"' {
                in_string = !in_string;
            }
            if !in_string && (c.is_ascii_alphanumeric() || c == '_') {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
        }
    }
    longest
}

#[test]
fn a_five_million_character_name_gives_a_short_identifier() {
    let huge = "a".repeat(5_000_000);
    let other = format!("{huge}b");
    let mut properties = serde_json::Map::new();
    properties.insert(huge.clone(), json!({"type": "object", "properties": {"x": {"type": "string"}}}));
    properties.insert(other.clone(), json!({"type": "string"}));
    let mut webhooks = serde_json::Map::new();
    webhooks.insert(
        format!("{huge}.event"),
        json!({"post": {"requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": properties,
        }}}}}}),
    );
    let spec = json!({"openapi": "3.1.0", "info": {"title": "Huge", "version": "1"}, "webhooks": webhooks});
    let generated = webhook_codegen::generate("specs/huge.json", &serde_json::to_vec(&spec).expect("JSON"))
        .expect("the spec generates");
    let longest = longest_identifier(&generated.source);
    assert!(longest <= webhook_codegen::naming::MAX_IDENT_LEN + 4, "an identifier of {longest} characters");
    // The JSON names are kept whole (each read by its key, named in a duplicate-field error and written
    // under its key), and the two properties stay two fields.
    assert_eq!(generated.source.matches(&format!("\"{huge}\"")).count(), 3);
    assert_eq!(generated.source.matches(&format!("\"{other}\"")).count(), 3);
    let webhook_types = &generated.module.types;
    let fields = match &webhook_types[0].kind {
        webhook_codegen::ir::TypeKind::Struct { fields, .. } => fields,
        other => panic!("a struct, not {other:?}"),
    };
    assert_eq!(fields.len(), 2);
    assert_ne!(fields[0].name, fields[1].name);
    assert!(fields.iter().all(|field| field.name.len() <= webhook_codegen::naming::MAX_IDENT_LEN), "{fields:?}");
    // The docs quote a bounded part of the name too.
    let longest_line = generated.source.lines().filter(|line| line.trim_start().starts_with("///")).map(str::len).max();
    assert!(longest_line.unwrap_or(0) < 1000, "a doc line of {longest_line:?} characters");
}
