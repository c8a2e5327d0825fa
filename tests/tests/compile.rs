//! Generated code for the generator's fixture specs compiles, passes clippy and builds its docs with
//! every warning denied, inside a scratch copy of the generated crate.

use pipeline_tests::workspace_root;
use xtask::scratch::ScratchCrate;

#[test]
fn fixture_modules_compile_without_warnings() {
    let root = workspace_root();
    let modules = xtask::codegen::builder()
        .root(root.join("generator/tests"))
        .spec_dir("fixtures")
        .generate_in_memory()
        .expect("fixtures generate")
        .modules;
    assert!(modules.len() >= 12, "fixtures: {}", modules.len());
    let scratch = ScratchCrate::create(&root, "compile-test", modules).expect("scratch crate is written");
    let clippy = scratch.cargo(&["clippy", "--lib", "--", "-Dwarnings"]).expect("cargo runs");
    assert!(clippy.success, "clippy failed:\n{}", clippy.stderr);
    let doc = scratch.cargo(&["doc", "--no-deps", "--lib"]).expect("cargo runs");
    assert!(doc.success, "rustdoc failed:\n{}", doc.stderr);
    let doc_root = scratch.target_dir.join("doc/zoom_webhooks");
    for module in [
        "alternatives",
        "big_numbers",
        "components",
        "dedup",
        "descriptions",
        "empty",
        "enums",
        "example_evidence",
        "forms",
        "keywords",
        "naming",
        "nested",
        "odd_types",
        "open_objects",
        "optional",
        "recursive",
        "response_payload",
        "templates",
        "zoom_form",
    ] {
        assert!(doc_root.join(module).join("index.html").is_file(), "no docs for `{module}`");
    }
}
