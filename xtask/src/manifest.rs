//! The generated crate's spec features: one cargo feature per spec module, all on by default, written
//! into a marked block of its `Cargo.toml` so the rest of the manifest stays hand-written.

use webhook_codegen::ir::Module;
use webhook_codegen::{Error, JsonPointer};

use crate::marked_block::MarkedBlock;

/// The line that opens the generated block in `[features]`.
pub const BEGIN_MARKER: &str =
    "# Spec modules, one feature each, all on by default (written by `cargo xtask codegen`).";
/// The line that closes it.
pub const END_MARKER: &str = "# End of spec module features.";

const BLOCK: MarkedBlock<'static> = MarkedBlock {
    begin: BEGIN_MARKER,
    end: END_MARKER,
    needed_by: "the `[features]` table needs",
    name: "spec features",
};

/// `manifest` with its spec-features block rewritten for `modules`. `file` names the manifest in errors.
///
/// # Errors
///
/// When the markers are missing or out of order, or a module's feature would shadow a feature the
/// manifest already declares outside the block.
pub fn with_spec_features(file: &str, manifest: &str, modules: &[&Module]) -> Result<String, Error> {
    let error = |message: String| Error::Spec { file: file.to_owned(), pointer: JsonPointer::root(), message };
    let (head, tail) = BLOCK.split(file, manifest)?;
    // Only features can be shadowed: keys of other tables (`[package]`'s `keywords`) are not features.
    let features_before = head.rfind("\n[features]").map_or(head, |at| &head[at..]);
    let features_after = tail.find("\n[").map_or(tail, |at| &tail[..at]);
    for module in modules {
        let declared = format!("\n{} = ", module.name);
        if features_before.contains(&declared) || features_after.contains(&declared) {
            return Err(error(format!("spec module `{}` would shadow the feature of the same name", module.name)));
        }
    }
    let names: Vec<String> = modules.iter().map(|module| format!("\"{}\"", module.name)).collect();
    let mut block = format!("{BEGIN_MARKER}\ndefault = [{}]\n", names.join(", "));
    for module in modules {
        block.push_str(&format!("{} = []\n", module.name));
    }
    Ok(format!("{head}{block}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[features]\n# Spec modules, one feature each, all on by default (written by `cargo xtask codegen`).\nold = []\n# End of spec module features.\naxum = []\n";

    #[test]
    fn the_block_is_rewritten_and_the_rest_kept() {
        let out = with_spec_features("Cargo.toml", MANIFEST, &[]).unwrap();
        assert_eq!(
            out,
            "[features]\n# Spec modules, one feature each, all on by default (written by `cargo xtask codegen`).\ndefault = []\n# End of spec module features.\naxum = []\n"
        );
    }

    fn module(name: &str) -> Module {
        Module {
            name: name.to_owned(),
            source_file: format!("specs/{name}.yaml"),
            title: None,
            description: None,
            version: None,
            discriminator: None,
            signature: webhook_codegen::SignatureScheme::Unspecified,
            events: Vec::new(),
            types: Vec::new(),
        }
    }

    #[test]
    fn a_module_named_like_a_key_of_another_table_is_not_a_shadowed_feature() {
        let manifest =
            format!("[package]\nname = \"x\"\nkeywords = [\"a\"]\n\n{MANIFEST}\n[dependencies]\nserde = \"1\"\n");
        let out = with_spec_features("Cargo.toml", &manifest, &[&module("keywords"), &module("serde")]).unwrap();
        assert!(out.contains("default = [\"keywords\", \"serde\"]\nkeywords = []\nserde = []\n"), "{out}");
        let err = with_spec_features("Cargo.toml", &manifest, &[&module("axum")]).unwrap_err().to_string();
        assert!(err.ends_with("spec module `axum` would shadow the feature of the same name"), "{err}");
    }

    #[test]
    fn missing_markers_are_an_error() {
        let err = with_spec_features("generated/Cargo.toml", "[features]\n", &[]).unwrap_err().to_string();
        assert!(err.starts_with("generated/Cargo.toml#/: the `[features]` table needs a block"), "{err}");
    }
}
