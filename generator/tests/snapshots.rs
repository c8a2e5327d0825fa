//! Generated code for small fixture specs, one rule each, pinned with insta snapshots.
//!
//! Review a changed snapshot with `cargo insta review` (or read the `.snap.new` file) before accepting.

use std::path::Path;

fn generate(fixture: &str) -> webhook_codegen::GeneratedModule {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
    let bytes = std::fs::read(&path).unwrap();
    webhook_codegen::generate(&format!("fixtures/{fixture}"), &bytes).unwrap()
}

fn warnings(generated: &webhook_codegen::GeneratedModule) -> String {
    generated.warnings.iter().map(|warning| format!("{warning}\n")).collect()
}

#[test]
fn naming() {
    let generated = generate("naming.yaml");
    insta::assert_snapshot!("naming", generated.source);
    insta::assert_snapshot!("naming_warnings", warnings(&generated));
}

#[test]
fn optional_fields() {
    let generated = generate("optional.yaml");
    insta::assert_snapshot!("optional", generated.source);
    insta::assert_snapshot!("optional_warnings", warnings(&generated));
}

#[test]
fn nested_objects_refs_and_recursion() {
    let generated = generate("nested.yaml");
    insta::assert_snapshot!("nested", generated.source);
    insta::assert_snapshot!("nested_warnings", warnings(&generated));
}

#[test]
fn generation_is_deterministic() {
    for fixture in ["naming.yaml", "optional.yaml", "nested.yaml"] {
        assert_eq!(generate(fixture).source, generate(fixture).source, "{fixture}");
    }
}
