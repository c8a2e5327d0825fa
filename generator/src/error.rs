//! Errors and warnings, each tied to the spec file and the JSON pointer of the node at fault.

use foldhash::{HashSet, HashSetExt};
use std::fmt;

use crate::pointer::JsonPointer;

/// Why a spec could not be turned into Rust code.
///
/// `Debug` prints the message (with its causes), as `Display` does: a `build.rs` or `main` that returns the
/// error shows the file and pointer, not the enum's fields.
#[derive(thiserror::Error)]
pub enum Error {
    /// The file is neither valid JSON nor valid YAML.
    #[error("{file}: not a valid {format} document: {}", bounded(message, '`'))]
    Syntax {
        /// The spec file, as the caller named it.
        file: String,
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The parser's message, with line and column where it gives them.
        message: String,
    },
    /// The document parsed but a node in it cannot be used.
    ///
    /// Shown with every spec string in it (each quoted between backticks, and each token of the pointer)
    /// cut to 200 characters.
    #[error("{file}#{}: {}", bounded(&pointer.to_string(), '/'), bounded(message, '`'))]
    Spec {
        /// The spec file, as the caller named it.
        file: String,
        /// Where in the document the problem is.
        pointer: JsonPointer,
        /// What is wrong there.
        message: String,
    },
    /// An option given to the generator (not a spec) is invalid.
    #[error("invalid {option}: {message}")]
    Option {
        /// The option's name.
        option: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The emitted tokens did not parse as Rust: a bug in the generator, never in the spec.
    #[error("{file}: generated code is not valid Rust (a generator bug, please report it): {message}")]
    Internal {
        /// The spec file being generated.
        file: String,
        /// The Rust parser's message.
        message: String,
    },
}

/// A quirk of the spec that was tolerated, with what the generator did instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// Where in the document the quirk is.
    pub pointer: JsonPointer,
    /// What was found and what was done about it.
    pub message: String,
}

/// Shown with every spec string in it cut as for [`Error::Spec`].
impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", bounded(&self.pointer.to_string(), '/'), bounded(&self.message, '`'))
    }
}

/// How many characters of one spec string (a name, a `$ref`, a pointer token) an error or warning shows;
/// a longer one is cut there and ends in `...`, so a huge string in a spec cannot make a huge message.
pub const MAX_QUOTED_CHARS: usize = 200;

/// `text` with every run between two `separator`s (spec strings are quoted between backticks, pointer
/// tokens stand between slashes) cut to [`MAX_QUOTED_CHARS`] characters and `...`. The generator's own
/// words between two quotes are far shorter than that.
fn bounded(text: &str, separator: char) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_QUOTED_CHARS {
        return text.into();
    }
    let mut out = String::with_capacity(text.len().min(4 * MAX_QUOTED_CHARS));
    for (i, run) in text.split(separator).enumerate() {
        if i > 0 {
            out.push(separator);
        }
        match run.char_indices().nth(MAX_QUOTED_CHARS) {
            Some((cut, _)) => {
                out.push_str(&run[..cut]);
                out.push_str("...");
            }
            None => out.push_str(run),
        }
    }
    out.into()
}

/// Collects the warnings of one spec and builds its errors, so every stage reports the same way.
#[derive(Debug)]
pub(crate) struct Diagnostics {
    file: String,
    /// In the order they were first reported.
    warnings: Vec<Warning>,
    /// The same warnings, to tell a repeat in constant time.
    reported: HashSet<Warning>,
}

impl Diagnostics {
    pub(crate) fn new(file: &str) -> Self {
        Self { file: file.to_owned(), warnings: Vec::new(), reported: HashSet::new() }
    }

    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// Records a warning once: a schema reached from several places is reported at its own pointer only once.
    pub(crate) fn warn(&mut self, pointer: &JsonPointer, message: impl Into<String>) {
        let warning = Warning { pointer: pointer.clone(), message: message.into() };
        if !self.reported.contains(&warning) {
            self.reported.insert(warning.clone());
            self.warnings.push(warning);
        }
    }

    pub(crate) fn error(&self, pointer: &JsonPointer, message: impl Into<String>) -> Error {
        Error::Spec { file: self.file.clone(), pointer: pointer.clone(), message: message.into() }
    }

    pub(crate) fn into_warnings(self) -> Vec<Warning> {
        self.warnings
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_with_causes(self, f)
    }
}

/// Writes `error`'s message, then each cause that the message does not already say, one per line: what a
/// public error's `Debug` prints, since `main` and `build.rs` show a returned error with `{:?}`.
pub(crate) fn write_with_causes(error: &dyn std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let message = error.to_string();
    f.write_str(&message)?;
    let mut said = message;
    let mut cause = error.source();
    while let Some(source) = cause {
        let text = source.to_string();
        if !said.contains(&text) {
            write!(f, "\n  caused by: {text}")?;
            said.push_str(&text);
        }
        cause = source.source();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quote_at_most_a_bounded_prefix_of_each_spec_string() {
        let huge = format!("#/components/schemas/{}", "x".repeat(1_000_000));
        let err = Error::Spec {
            file: "specs/a.json".to_owned(),
            pointer: JsonPointer::root().push("paths").push(&"k".repeat(5000)),
            message: format!("`$ref: {huge}` points to nothing in this document"),
        }
        .to_string();
        let quoted: String = format!("$ref: {huge}").chars().take(MAX_QUOTED_CHARS).collect();
        assert_eq!(
            err,
            format!(
                "specs/a.json#/paths/{}...: `{quoted}...` points to nothing in this document",
                "k".repeat(MAX_QUOTED_CHARS)
            )
        );
        let warning = Warning {
            pointer: JsonPointer::root(),
            message: format!("webhook `{}` has no operation", "é".repeat(300)),
        };
        assert_eq!(warning.to_string(), format!("/: webhook `{}...` has no operation", "é".repeat(MAX_QUOTED_CHARS)));
        // Short messages are shown whole.
        let short = Warning { pointer: JsonPointer::root().push("a"), message: "`a` is odd".to_owned() };
        assert_eq!(short.to_string(), "/a: `a` is odd");
    }

    /// A warning reported again (a schema reached from several places) is kept once, at its first
    /// position; different messages at one pointer, or one message at different pointers, are all kept.
    #[test]
    fn warnings_are_kept_once_in_first_reported_order() {
        let mut diag = Diagnostics::new("spec.yaml");
        let a = JsonPointer::root().push("a");
        let b = JsonPointer::root().push("b");
        diag.warn(&a, "one");
        diag.warn(&b, "one");
        diag.warn(&a, "two");
        diag.warn(&a, "one");
        diag.warn(&b, "one");
        let warnings: Vec<String> = diag.into_warnings().iter().map(Warning::to_string).collect();
        assert_eq!(warnings, ["/a: one", "/b: one", "/a: two"]);
    }

    /// Telling a repeat goes through the index, not the list: 20,000 distinct warnings, each reported
    /// twice, are each kept once.
    #[test]
    fn repeats_are_found_by_the_index() {
        let mut diag = Diagnostics::new("spec.yaml");
        for round in 0..2 {
            for i in 0..20_000 {
                diag.warn(&JsonPointer::root().index(i), "unknown format");
            }
            assert_eq!(diag.reported.len(), 20_000, "round {round}");
        }
        assert_eq!(diag.into_warnings().len(), 20_000);
    }
}
