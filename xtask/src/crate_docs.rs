//! The generated crate's list of areas: a table of every spec module with its title, feature and
//! webhook count, written into a marked block of the crate docs (`lib.rs`) so it never drifts from the
//! specs while the rest of the file stays hand-written.

use webhook_codegen::Error;
use webhook_codegen::ir::Module;

use crate::marked_block::MarkedBlock;

/// The line that opens the generated block in the crate docs.
pub const BEGIN_MARKER: &str = "//! <!-- Areas: written by `cargo xtask codegen` from the specs. -->";
/// The line that closes it.
pub const END_MARKER: &str = "//! <!-- End of areas. -->";

const BLOCK: MarkedBlock<'static> =
    MarkedBlock { begin: BEGIN_MARKER, end: END_MARKER, needed_by: "the crate docs need", name: "areas" };

/// `lib_rs` with its areas block rewritten for `modules` (in file order). `file` names it in errors.
///
/// # Errors
///
/// When the markers are missing or out of order.
pub fn with_area_table(file: &str, lib_rs: &str, modules: &[&Module]) -> Result<String, Error> {
    let (head, tail) = BLOCK.split(file, lib_rs)?;
    Ok(format!("{head}{}{tail}", area_table(modules)))
}

/// The block itself, opening marker included: one row per module, then the totals.
fn area_table(modules: &[&Module]) -> String {
    let mut lines = vec![BEGIN_MARKER.to_owned(), "//!".to_owned()];
    lines.push("//! | Area | Module and cargo feature | Webhooks |".to_owned());
    lines.push("//! |---|---|---:|".to_owned());
    for module in modules {
        let title = module.title.as_deref().unwrap_or(&module.name);
        // One line of the hand-written file's docs: the title cannot end it or start a block.
        let title = webhook_codegen::inline_text(title);
        lines.push(format!("//! | {title} | `{}` | {} |", module.name, module.events.len()));
    }
    let events: usize = modules.iter().map(|module| module.events.len()).sum();
    let areas = if modules.len() == 1 { "area" } else { "areas" };
    lines.push(format!("//! | **{} {areas}** | | **{events}** |", modules.len()));
    lines.push("//!".to_owned());
    let mut block = lines.join("\n");
    block.push('\n');
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(name: &str, title: Option<&str>, events: &[&str]) -> Module {
        Module {
            name: name.to_owned(),
            source_file: format!("specs/{name}.json"),
            title: title.map(str::to_owned),
            description: None,
            version: None,
            discriminator: None,
            signature: webhook_codegen::SignatureScheme::Unspecified,
            events: events
                .iter()
                .map(|event| webhook_codegen::ir::Event {
                    name: (*event).to_owned(),
                    template: false,
                    variant: String::new(),
                    handler_method: String::new(),
                    payload: webhook_codegen::ir::TypeRef::Json,
                    form_field: None,
                    docs: None,
                    examples: Vec::new(),
                    skipped_examples: Vec::new(),
                })
                .collect(),
            types: Vec::new(),
        }
    }

    #[test]
    fn the_block_lists_every_module_and_keeps_the_rest() {
        let lib_rs = format!("//! Intro.\n{BEGIN_MARKER}\n//! stale\n{END_MARKER}\n//! Outro.\nmod x;\n");
        let chat = module("team_chat", Some("Team Chat | Zoom"), &["a.b", "a.c"]);
        let board = module("whiteboard", None, &["w.x"]);
        let out = with_area_table("generated/src/lib.rs", &lib_rs, &[&chat, &board]).unwrap();
        assert_eq!(
            out,
            "//! Intro.\n\
             //! <!-- Areas: written by `cargo xtask codegen` from the specs. -->\n\
             //!\n\
             //! | Area | Module and cargo feature | Webhooks |\n\
             //! |---|---|---:|\n\
             //! | Team Chat \\| Zoom | `team_chat` | 2 |\n\
             //! | whiteboard | `whiteboard` | 1 |\n\
             //! | **2 areas** | | **3** |\n\
             //!\n\
             //! <!-- End of areas. -->\n\
             //! Outro.\nmod x;\n"
        );
    }

    #[test]
    fn a_title_cannot_leave_its_row() {
        let lib_rs = format!("{BEGIN_MARKER}\n{END_MARKER}\nmod x;\n");
        let hostile = module("hostile", Some("Area\n```rust\nfn main() {}\n```\n"), &[]);
        let out = with_area_table("generated/src/lib.rs", &lib_rs, &[&hostile]).unwrap();
        assert!(out.lines().all(|line| line.starts_with("//!") || line == "mod x;"), "{out}");
        assert!(out.contains("//! | Area \\`\\`\\`rust fn main() \\{\\} \\`\\`\\` | `hostile` | 0 |"), "{out}");
    }

    #[test]
    fn missing_markers_are_an_error() {
        let err = with_area_table("generated/src/lib.rs", "//! Docs.\n", &[]).unwrap_err().to_string();
        assert!(err.starts_with("generated/src/lib.rs#/: the crate docs need a block"), "{err}");
    }
}
