//! Templated webhook names (`fixtures/templates.yaml`): the generated module, built in a scratch crate as
//! a user's crate builds it, reads a concrete name that matches a template as that webhook, by name and
//! by the body's `event` (on both paths of `from_slice`), with exact names first.

mod scratch;

use scratch::cargo;

/// Parses each body by its `event` and by name and prints the variant both give, or the error.
const MAIN: &str = r##"pub mod templates;

const BODIES: &[&str] = &[
    r#"{"event":"contact.write.successful","id":"c1"}"#,
    r#"{"id":"c2","event":"company.write.successful"}"#,
    r#"{"event":"deal.write.successful","deal_id":7}"#,
    r#"{"event":".write.successful","id":"c3"}"#,
    r#"{"event":"contact.write.successful"}"#,
];

fn main() {
    for body in BODIES {
        let by_body = templates::Event::from_slice(body.as_bytes());
        let value: serde_json::Value = serde_json::from_str(body).expect("JSON");
        let name = value["event"].as_str().expect("a name");
        let by_name = templates::Event::from_named(name, body.as_bytes());
        assert_eq!(format!("{by_body:?}"), format!("{by_name:?}"), "{body}");
        match by_body {
            Ok(event) => println!("{name} -> {}", event.name()),
            Err(err) => println!("{name}: {err}"),
        }
    }
    assert!(templates::EVENT_NAMES.contains(&"{dataType}.write.successful"));
}
"##;

#[test]
fn a_concrete_name_is_read_as_the_template_it_matches() {
    let spec =
        std::fs::read(scratch::workspace_root().join("generator/tests/fixtures/templates.yaml")).expect("fixture");
    let module = webhook_codegen::generate("fixtures/templates.yaml", &spec).expect("spec generates");
    let dir = scratch::fresh_dir("templated-names");
    scratch::write_manifest(&dir, "templated-names", "");
    std::fs::write(dir.join("src/templates.rs"), module.source).expect("write the module");
    std::fs::write(dir.join("src/main.rs"), MAIN).expect("write main.rs");
    let output = cargo(&dir, &["run", "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the crate builds and runs:\n{stderr}");
    let expected = [
        "contact.write.successful -> {dataType}.write.successful",
        "company.write.successful -> {dataType}.write.successful",
        "deal.write.successful -> deal.write.successful",
        ".write.successful -> .write.successful",
        "contact.write.successful: the `{dataType}.write.successful` payload does not match its schema at `.`: \
         missing field `id` at line 1 column 36",
    ];
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().collect::<Vec<_>>(), expected, "{stderr}");
}
