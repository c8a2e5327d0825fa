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
    let module = plan.crate_modules.modules.first_mut().expect("at least one generated module");
    module.source = module.source.replacen("The name of the event.", "The event's name.", 1);
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

#[test]
fn the_crate_has_every_zoom_area_and_webhook() {
    let modules = zoom_webhooks::MODULES;
    assert_eq!(modules.len(), 26, "{:?}", modules.iter().map(|module| module.name).collect::<Vec<_>>());
    let names: Vec<&str> = modules.iter().flat_map(|module| module.event_names.iter().copied()).collect();
    assert_eq!(names.len(), 583);
    let distinct: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(distinct.len(), names.len(), "a webhook name is declared by two areas");
    assert!(modules.iter().any(|module| module.name == "video_sdk" && module.spec_file == "specs/video-sdk.json"));
}

#[test]
fn an_area_generates_the_same_whatever_the_other_specs_say() {
    let root = workspace_root();
    let scratch = xtask::scratch::scratch_base(&root).join("area-independence");
    let specs = scratch.join(xtask::codegen::SPECS_DIR);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&specs).expect("scratch specs folder");
    std::fs::copy(root.join("specs/whiteboard.json"), specs.join("whiteboard.json")).expect("copied");
    // Another area, changed: a different document with a type name whiteboard's types could collide with.
    let other = r#"{"openapi": "3.1.0", "info": {"title": "Other", "version": "1"}, "webhooks": {
        "whiteboard.created": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"event": {"type": "string"}, "extra": {"type": "integer"}}}}}}}}}}"#;
    std::fs::write(specs.join("another.json"), other).expect("written");
    let modules = xtask::codegen::generate_specs(&scratch).expect("specs generate");
    let whiteboard = modules.iter().find(|generated| generated.module.name == "whiteboard").expect("whiteboard");
    let checked_in = std::fs::read_to_string(root.join("generated/src/whiteboard.rs")).expect("checked in");
    assert_eq!(whiteboard.source, checked_in);
}
