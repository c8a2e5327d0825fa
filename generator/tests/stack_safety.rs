//! Parsing never overflows a thread's stack: every delivery is read on a thread with 2 MiB (tokio's
//! worker default) in a debug build, the build CI tests. A scratch crate generates the spec's module,
//! and reads every example of the spec plus an empty object for every webhook (`Event::from_named(name,
//! b"{}")`, which fails, but must fail as an error, not as an aborted process). A real vendor's module is
//! checked the same way by the GitHub example's tests (`examples/github/tests/spec_examples.rs`), which
//! build it with the workspace.

mod scratch;

use std::fmt::Write as _;

use scratch::cargo;

/// The scratch crate's `main`: reads `<kind> <webhook name> <body>` lines and parses each on a 2 MiB
/// thread, printing `<kind> ok|error|unknown <name>` per line; a stack overflow aborts it instead.
const MAIN: &str = r#"
fn main() {
    let path = std::env::args().nth(1).expect("usage: <deliveries, one per line>");
    let deliveries = std::fs::read_to_string(path).expect("deliveries");
    let parser = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || {
        for line in deliveries.lines() {
            let mut parts = line.splitn(3, ' ');
            let (Some(kind), Some(name), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
                panic!("<kind> <name> <body>: {line}")
            };
            match spec::Event::from_named(name, body.as_bytes()) {
                Ok(spec::Event::Unknown(_)) => println!("{kind} unknown {name}"),
                Ok(_) => println!("{kind} ok {name}"),
                Err(err) => println!("{kind} error {name}: {err}"),
            }
        }
    });
    parser.expect("spawn").join().expect("the parsing thread");
}
"#;

/// Generates `spec` as module `spec` of a fresh scratch crate `name` (with `extra` appended to its
/// `main.rs`), and runs it on every example of the spec (`example` lines) and an empty object for every
/// webhook (`empty` lines). Returns the lines it printed, one per delivery; panics when it did not finish
/// (a stack overflow aborts it).
fn parse_on_a_small_stack(name: &str, spec_file: &str, spec: &[u8], extra: &str) -> Vec<String> {
    let generated = webhook_codegen::generate(spec_file, spec).expect("the spec generates");
    let dir = scratch::fresh_dir(name);
    scratch::write_manifest(&dir, name, "");
    std::fs::write(dir.join("src").join("spec.rs"), &generated.source).expect("write the module");
    std::fs::write(
        dir.join("src").join("main.rs"),
        format!("#[allow(dead_code)] // Only `Event` is used.\nmod spec;\n{MAIN}{extra}"),
    )
    .expect("write main.rs");
    let mut deliveries = String::new();
    for event in &generated.module.events {
        for example in &event.examples {
            let body = serde_json::to_string(&example.value).expect("JSON");
            writeln!(deliveries, "example {} {body}", event.name).expect("write to a String");
        }
        writeln!(deliveries, "empty {} {{}}", event.name).expect("write to a String");
    }
    let count = deliveries.lines().count();
    let file = dir.join("deliveries.txt");
    std::fs::write(&file, deliveries).expect("write the deliveries");
    let output = cargo(&dir, &["run", "--quiet", "--", &file.display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the crate builds and parses every delivery on a 2 MiB stack:\n{}\nlast parsed: {}",
        String::from_utf8_lossy(&output.stderr),
        stdout.lines().last().unwrap_or_default()
    );
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), count, "one line per delivery");
    lines
}

/// A spec whose payload holds a chain of large structs inline, 30 deep, and an example that fills every
/// level: with the structs inline, its `Event` was over 80 KB and reading the example took more than
/// 2 MiB of stack in a debug build.
fn huge_payload_spec() -> String {
    let mut schema = serde_json::json!({"type": "object", "properties": {"end": {"type": "string"}}});
    let mut example = serde_json::json!({"end": "here"});
    for level in (0..30).rev() {
        let mut properties = serde_json::Map::new();
        let mut value = serde_json::Map::new();
        for field in 0..120 {
            properties.insert(format!("f{field}"), serde_json::json!({"type": "string"}));
        }
        value.insert("f0".to_owned(), serde_json::json!("a"));
        properties.insert(format!("next_{level}"), schema);
        value.insert(format!("next_{level}"), example);
        schema = serde_json::json!({"type": "object", "properties": properties});
        example = serde_json::Value::Object(value);
    }
    let spec = serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "Huge", "version": "1"},
        "webhooks": {"huge": {"post": {"requestBody": {"content": {"application/json": {
            "schema": schema,
            "examples": {"deep": {"value": example}},
        }}}}}},
    });
    spec.to_string()
}

#[test]
fn a_huge_payload_parses_on_a_2_mib_stack_and_its_event_is_small() {
    let spec = huge_payload_spec();
    let extra =
        "const _: () = assert!(std::mem::size_of::<spec::Event>() <= 128, \"Event holds no payload inline\");\n";
    let lines = parse_on_a_small_stack("stack-huge", "specs/huge.json", spec.as_bytes(), extra);
    assert_eq!(lines, ["example ok huge", "empty ok huge"], "no property is required");
}
