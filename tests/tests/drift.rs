//! The checked-in generated code is exactly what the specs give (the same check as
//! `cargo xtask codegen --check`).

use pipeline_tests::workspace_root;

#[test]
fn generated_code_matches_the_specs() {
    let root = workspace_root();
    let plan = xtask::codegen::plan(&root).expect("specs/ generates");
    let drifts = xtask::codegen::drift(&root, &plan).expect("generated files are readable");
    assert!(drifts.is_empty(), "{}", xtask::codegen::drift_message(&drifts));
}

#[test]
fn drift_is_reported_with_a_diff_and_the_fixing_command() {
    let root = workspace_root();
    let mut plan = xtask::codegen::plan(&root).expect("specs/ generates");
    // Pretend a description in a spec changed: the expected text differs from the file on disk.
    let file = plan.files.first_mut().expect("at least one generated file");
    file.contents = file.contents.replacen("The name of the event.", "The event's name.", 1);
    let drifts = xtask::codegen::drift(&root, &plan).expect("generated files are readable");
    assert_eq!(drifts.len(), 1);
    let message = xtask::codegen::drift_message(&drifts);
    assert!(message.contains("-    /// The name of the event."), "{message}");
    assert!(message.contains("+    /// The event's name."), "{message}");
    assert!(message.contains("Run `cargo xtask codegen` and commit the result."), "{message}");
}

#[test]
fn every_spec_has_a_module_in_the_crate() {
    let root = workspace_root();
    let specs = xtask::codegen::spec_files(&root).expect("specs/ is readable");
    let modules: Vec<&str> = zoom_webhooks::MODULES.iter().map(|module| module.spec_file).collect();
    let spec_labels: Vec<String> =
        specs.iter().map(|path| format!("specs/{}", path.file_name().unwrap_or_default().to_string_lossy())).collect();
    assert_eq!(modules, spec_labels);
}
