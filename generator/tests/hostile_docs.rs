//! No text from a spec becomes a doctest. A spec whose every doc position (title, version, descriptions,
//! summaries, webhook, property, enum value and alternative names, discriminator property and values)
//! holds code blocks in every form rustdoc tests is generated into a scratch crate, and `cargo test --doc`
//! must find no doctest in it: each block would write a marker file if run, and fail if compiled. The
//! docs must also build without a rustdoc warning.

mod scratch;

use std::path::Path;

use serde_json::{Value, json};

/// Code that writes `marker` when run; `compile_fail` blocks are failed by compiling it at all.
fn code(marker: &Path) -> String {
    format!("std::fs::write({:?}, \"a spec doctest ran\").unwrap();", marker.display().to_string())
}

/// Every form of code block rustdoc compiles or runs, as separate doc texts.
fn blocks(marker: &Path) -> Vec<String> {
    let code = code(marker);
    let mut blocks = Vec::new();
    let infos = [
        "",
        "rust",
        "edition2018",
        "edition2021",
        "edition2024",
        "should_panic",
        "no_run",
        "compile_fail",
        "test_harness",
        "standalone_crate",
        "ignore-x86_64",
        "rust,no_run",
        "should_panic,edition2021",
        "{.rust}",
    ];
    for fence in ["```", "````", "~~~", "~~~~"] {
        for info in infos {
            for indent in ["", "   ", "\t"] {
                blocks.push(format!("Intro.\n\n{indent}{fence}{info}\n{indent}{code}\n{indent}{fence}\n\nAfter."));
            }
            blocks.push(format!("* item\n\n  {fence}{info}\n  {code}\n  {fence}"));
            blocks.push(format!("* {fence}{info}\n  {code}\n  {fence}"));
            blocks.push(format!("> {fence}{info}\n> {code}\n> {fence}"));
            blocks.push(format!("Intro.\r\n\r\n{fence}{info}\r\n{code}\r\n{fence}"));
            blocks.push(format!("Intro.\r\r{fence}{info}\r{code}\r{fence}"));
        }
    }
    blocks.push(format!("Intro.\n\n    {code}"));
    blocks.push(format!("Intro.\n\n\t{code}"));
    blocks.push(format!("* item\n\n      {code}"));
    blocks.push(format!("> Intro.\n>\n>     {code}"));
    blocks.push(format!("Unclosed.\n\n```rust\n{code}"));
    blocks
}

/// A name that opens a code block on a line of its own if it is not kept on its line.
fn hostile_name(marker: &Path, n: usize) -> String {
    let code = code(marker);
    match n % 3 {
        0 => format!("name{n}\n\n```rust\n{code}\n```\n"),
        1 => format!("name{n}`\n\n    {code}\n"),
        _ => format!("name{n}\r\n~~~should_panic\r\n{code}\r\n~~~"),
    }
}

/// The hostile spec: all the blocks in every position that takes prose, and hostile names in every
/// position that takes a name.
fn hostile_spec(marker: &Path) -> Value {
    let blocks = blocks(marker);
    let all = blocks.join("\n\n");
    let name = |n: usize| hostile_name(marker, n);
    let mut webhooks = serde_json::Map::new();
    for (n, block) in blocks.iter().enumerate().take(6) {
        webhooks.insert(
            name(n),
            json!({"post": {
                "summary": block,
                "description": all,
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Payload"}}}},
            }}),
        );
    }
    let mut properties = serde_json::Map::new();
    properties.insert(
        "kind".to_owned(),
        json!({
            "type": "string",
            "description": all,
            "enum": [name(10), name(11), name(12), "plain"],
            "x-enum-descriptions": [blocks[0], blocks[1], blocks[2], blocks[3]],
        }),
    );
    for (n, block) in blocks.iter().enumerate().take(26).skip(20) {
        properties
            .insert(name(n), json!({"type": "object", "description": block, "properties": {"x": {"type": "string"}}}));
    }
    properties.insert("choice".to_owned(), json!({
        "description": all,
        "oneOf": [
            {"title": name(30), "type": "object", "description": blocks[7], "properties": {"a": {"type": "string"}}},
            {"title": name(31), "type": "object", "properties": {"b": {"type": "integer"}}},
        ],
    }));
    let tag = name(40);
    properties.insert(
        "tagged".to_owned(),
        json!({
            "oneOf": [{"$ref": "#/components/schemas/First"}, {"$ref": "#/components/schemas/Second"}],
            "discriminator": {"propertyName": tag, "mapping": {
                name(41): "#/components/schemas/First",
                name(42): "#/components/schemas/Second",
            }},
        }),
    );
    let alternative = |description: &str| {
        let mut properties = serde_json::Map::new();
        properties.insert(tag.clone(), json!({"type": "string"}));
        json!({"type": "object", "title": name(43), "description": description, "properties": properties})
    };
    json!({
        "openapi": "3.1.0",
        "info": {"title": name(0), "version": name(1), "description": all},
        "webhooks": webhooks,
        "components": {"schemas": {
            "Payload": {"type": "object", "title": name(2), "description": all, "properties": properties},
            "First": alternative(&blocks[8]),
            "Second": alternative(&blocks[9]),
        }},
    })
}

#[test]
fn no_spec_text_becomes_a_doctest() {
    let dir = scratch::fresh_dir("hostile-docs");
    let marker = dir.join("doctest-ran");
    let spec = serde_json::to_vec(&hostile_spec(&marker)).expect("JSON");
    scratch::write_manifest(&dir, "hostile-docs", "");
    std::fs::write(dir.join("src").join("lib.rs"), "//! Hostile docs.\n\npub mod hostile;\n").expect("write lib.rs");
    webhook_codegen::Builder::new()
        .spec_bytes("specs/hostile.json", spec)
        .form(webhook_codegen::OutputForm::ModuleFile)
        .quiet(true)
        .write_to(dir.join("src"))
        .expect("the hostile spec generates");

    let output = scratch::cargo(&dir, &["test", "--doc", "--quiet"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!("module: {}\nstdout:\n{stdout}\nstderr:\n{stderr}", dir.join("src/hostile.rs").display());
    assert!(!marker.exists(), "a doctest from the spec ran\n{report}");
    assert!(output.status.success(), "cargo test --doc fails\n{report}");
    assert!(stdout.contains("running 0 tests"), "doctests were found\n{report}");
    assert!(stdout.contains("0 passed; 0 failed; 0 ignored"), "{report}");

    // And the docs build without a warning, hostile as they are.
    let doc = scratch::cargo(&dir, &["doc", "--no-deps", "--quiet"]);
    assert!(doc.status.success(), "rustdoc warns:\n{}", String::from_utf8_lossy(&doc.stderr));
}
