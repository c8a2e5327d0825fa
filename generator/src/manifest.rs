//! The generated crate's spec features: one cargo feature per spec module, all on by default, written
//! into a marked block of its `Cargo.toml` so the rest of the manifest stays hand-written.

use crate::error::Error;
use crate::ir::Module;
use crate::pointer::JsonPointer;

/// The line that opens the generated block in `[features]`.
pub const BEGIN_MARKER: &str =
    "# Spec modules, one feature each, all on by default (written by `cargo xtask codegen`).";
/// The line that closes it.
pub const END_MARKER: &str = "# End of spec module features.";

/// `manifest` with its spec-features block rewritten for `modules`. `file` names the manifest in errors.
///
/// # Errors
///
/// When the markers are missing or out of order, or a module's feature would shadow a feature the
/// manifest already declares outside the block.
pub fn with_spec_features(file: &str, manifest: &str, modules: &[&Module]) -> Result<String, Error> {
    let error = |message: String| Error::Spec { file: file.to_owned(), pointer: JsonPointer::root(), message };
    let (Some(begin), Some(end)) = (manifest.find(BEGIN_MARKER), manifest.find(END_MARKER)) else {
        return Err(error(format!(
            "the `[features]` table needs a block between the lines `{BEGIN_MARKER}` and `{END_MARKER}`"
        )));
    };
    if end < begin {
        return Err(error("the end of the spec features block comes before its beginning".to_owned()));
    }
    let (head, block_and_tail) = manifest.split_at(begin);
    let tail = &block_and_tail[end - begin..];
    // Only the `[features]` table declares features: `keywords = [...]` of `[package]` is not one.
    let declared: Vec<&str> = [head, tail].iter().flat_map(|part| feature_names(part)).collect();
    for module in modules {
        if declared.contains(&module.name.as_str()) {
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

/// The keys `text` gives in a `[features]` table (the whole table, or the part of it `text` holds when it
/// starts or ends inside one).
fn feature_names(text: &str) -> Vec<&str> {
    let mut in_features = !text.contains("[features]") && !text.trim_start().starts_with('[');
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features {
            if let Some((key, _)) = line.split_once('=') {
                if !line.starts_with('#') {
                    names.push(key.trim());
                }
            }
        }
    }
    names
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

    #[test]
    fn only_features_outside_the_block_are_shadowed() {
        let module = |name: &str| {
            let spec = b"openapi: 3.1.0\ninfo: {title: T, version: '1'}\nwebhooks: {}\n";
            let mut module = crate::generate("spec.yaml", spec).expect("generates").module;
            module.name = name.to_owned();
            module
        };
        let manifest = format!("[package]\nkeywords = [\"webhooks\"]\n\n{MANIFEST}[dev-dependencies]\ntests = \"1\"\n");
        let keywords = module("keywords");
        let out = with_spec_features("Cargo.toml", &manifest, &[&keywords]).expect("`keywords` is no feature");
        assert!(out.contains("keywords = []\n"), "{out}");
        let tests = module("tests");
        assert!(with_spec_features("Cargo.toml", &manifest, &[&tests]).is_ok(), "`tests` is a dependency");
        let axum = module("axum");
        let err = with_spec_features("Cargo.toml", &manifest, &[&axum]).unwrap_err().to_string();
        assert!(err.ends_with("spec module `axum` would shadow the feature of the same name"), "{err}");
    }

    #[test]
    fn missing_markers_are_an_error() {
        let err = with_spec_features("generated/Cargo.toml", "[features]\n", &[]).unwrap_err().to_string();
        assert!(err.starts_with("generated/Cargo.toml#/: the `[features]` table needs a block"), "{err}");
    }
}
