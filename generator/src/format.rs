//! Tokens -> source text: parsed by `syn`, printed by `prettyplease`, under the `@generated` header.

use proc_macro2::TokenStream;

use crate::error::Error;

/// The first line of every file `cargo xtask codegen` writes; `source` is the spec path or folder it
/// came from.
pub fn header(source: &str) -> String {
    header_by("cargo xtask codegen", source)
}

/// How every generated file starts; a file that does not is never replaced by one.
pub(crate) const GENERATED_MARKER: &str = "// @generated ";

/// The first line of a generated file, naming the command that wrote it and where it came from. A line
/// break in a file name cannot end the comment: control characters are written as spaces.
pub fn header_by(generator: &str, source: &str) -> String {
    let one_line = |text: &str| text.replace(char::is_control, " ");
    format!("{GENERATED_MARKER}by {} from {}. Do not edit.\n", one_line(generator), one_line(source))
}

/// Formats a generated file. `file` names the spec in the (never expected) error.
pub(crate) fn format_file(file: &str, source: &str, generator: &str, tokens: TokenStream) -> Result<String, Error> {
    let syntax: syn::File =
        syn::parse2(tokens).map_err(|err| Error::Internal { file: file.to_owned(), message: err.to_string() })?;
    let mut text = header_by(generator, source);
    text.push_str(&space_items(&prettyplease::unparse(&syntax)));
    Ok(text)
}

/// Puts a blank line between items, as hand-written code has them (prettyplease leaves none): before an
/// item, or its docs or attributes, that follows the end of another at the same indentation; and after
/// the module docs. Runs of `use` lines stay together, and so do fields and variants.
fn space_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut previous: Option<&str> = None;
    for line in code.lines() {
        if let Some(previous) = previous {
            if needs_blank_line(previous, line) {
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
        previous = Some(line);
    }
    out
}

fn needs_blank_line(previous: &str, line: &str) -> bool {
    let indent = |text: &str| text.len() - text.trim_start().len();
    let (before, current) = (previous.trim_start(), line.trim_start());
    if before.is_empty() || current.is_empty() {
        return false;
    }
    if before.starts_with("//!") {
        return !current.starts_with("//!");
    }
    if before.starts_with("//") {
        // A doc or comment line that happens to end like an item (`/// fn f() {}`).
        return false;
    }
    let item_ended = before.ends_with('}') || before.ends_with(';');
    let item_starts = [
        "///",
        "#[",
        "pub ",
        "pub(",
        "fn ",
        "impl",
        "const ",
        "static ",
        "use ",
        "mod ",
        "struct ",
        "enum ",
        "trait ",
        "type ",
        "async fn ",
    ]
    .iter()
    .any(|start| current.starts_with(start));
    let both_uses = ["use ", "pub use "].iter().any(|start| before.starts_with(start))
        && ["use ", "pub use "].iter().any(|start| current.starts_with(start));
    item_ended && item_starts && !both_uses && indent(previous) == indent(line)
}

/// `text` with `comment` (plain text, one comment line per line) right after its first line, the header.
pub(crate) fn with_comment_after_header(text: &str, comment: &str) -> String {
    let (header, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut out = String::with_capacity(text.len() + comment.len() * 2);
    out.push_str(header);
    out.push('\n');
    for line in comment.lines() {
        out.push_str(if line.is_empty() { "//" } else { "// " });
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(rest);
    out
}
