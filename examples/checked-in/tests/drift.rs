//! The checked-in module is what the spec gives: `webhook_codegen::Builder::check` regenerates it in
//! memory, as `webhook-codegen generate specs/svix.yaml --out src/webhooks` writes it, and compares.

use std::path::Path;

use webhook_codegen::{Builder, OutputForm};

/// The builder the command runs for `generate specs/svix.yaml --out src/webhooks`, from this crate's folder.
fn builder() -> Builder {
    let mut builder = Builder::new();
    builder.root(env!("CARGO_MANIFEST_DIR")).spec("specs/svix.yaml").form(OutputForm::ModuleFile).quiet(true);
    builder
}

#[test]
fn the_checked_in_module_matches_its_spec() {
    let check = builder().check("src/webhooks").expect("the spec generates");
    assert!(check.is_up_to_date(), "{}", check.message());
}

#[test]
fn an_edited_module_is_drift() {
    // A copy of the folder with one line of the module changed, outside the checkout.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("checked-in-drift");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/webhooks/svix.rs");
    let text = std::fs::read_to_string(module).expect("the checked-in module");
    std::fs::write(dir.join("svix.rs"), text.replacen("pub app_id: String", "pub app_id: i64", 1))
        .expect("write the edited copy");
    let check = builder().check(&dir).expect("the spec generates");
    assert!(!check.is_up_to_date());
    let message = check.message();
    assert!(message.contains("-    pub app_id: i64") && message.contains("webhook-codegen generate"), "{message}");
}
