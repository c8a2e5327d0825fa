//! Errors and warnings, each tied to the spec file and the JSON pointer of the node at fault.

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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    warnings: Vec<Warning>,
}

impl Diagnostics {
    pub(crate) fn new(file: &str) -> Self {
        Self { file: file.to_owned(), warnings: Vec::new() }
    }

    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// Records a warning once: a schema reached from several places is reported at its own pointer only once.
    pub(crate) fn warn(&mut self, pointer: &JsonPointer, message: impl Into<String>) {
        let warning = Warning { pointer: pointer.clone(), message: message.into() };
        if !self.warnings.contains(&warning) {
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
