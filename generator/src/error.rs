//! Errors and warnings, each tied to the spec file and the JSON pointer of the node at fault.

use std::collections::HashSet;
use std::fmt;

use crate::pointer::JsonPointer;

/// Why a spec could not be turned into Rust code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is neither valid JSON nor valid YAML.
    #[error("{file}: not a valid {format} document: {message}")]
    Syntax {
        /// The spec file, as the caller named it.
        file: String,
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The parser's message, with line and column where it gives them.
        message: String,
    },
    /// The document parsed but a node in it cannot be used.
    #[error("{file}#{pointer}: {message}")]
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

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
