//! Turns OpenAPI 3.1 webhook documents into typed Rust payloads and a dispatcher.
//!
//! The pipeline runs in one direction, one stage per module:
//!
//! 1. [`load`]: bytes (YAML or JSON) -> [`Document`]: the webhooks, their payload schemas and examples.
//! 2. [`lower`]: document -> [`ir::Module`]: events and named types; every naming and fallback decision.
//! 3. emit: IR -> tokens (`quote!`): models, `Event`, `Handler`, `dispatch`.
//! 4. format: tokens -> source text (`syn` + `prettyplease`) under the `@generated` header.
//!
//! [`generate`] runs all four for one spec; [`generate_index`] writes the crate's module list. Tolerated
//! quirks come back as [`Warning`]s with the JSON pointer of the node; errors name the file and pointer.
//! Nothing here reads or writes files: callers pass bytes and get text.

pub mod config;
pub mod crate_docs;
mod crate_index;
mod docs;
pub mod document;
mod emit;
mod error;
mod format;
pub mod ir;
mod lower;
pub mod manifest;
pub mod naming;
pub mod pointer;
mod source;

pub use config::{DiscriminatorChoice, ExamplePolicy, SpecConfig};
pub use crate_index::{SharedEventName, shared_event_names};
pub use document::{Document, Example, SkipReason, SkippedExample};
pub use error::{Error, Warning};
pub use format::header;
pub use lower::ModuleOptions;
pub use pointer::JsonPointer;

use error::Diagnostics;

/// A loaded spec and what loading it tolerated.
#[derive(Debug)]
pub struct Loaded {
    /// The document model.
    pub document: Document,
    /// Quirks tolerated while loading.
    pub warnings: Vec<Warning>,
}

/// One generated module.
#[derive(Debug, Clone)]
pub struct GeneratedModule {
    /// The IR it was emitted from (events, examples, types).
    pub module: ir::Module,
    /// The formatted Rust source, `@generated` header included.
    pub source: String,
    /// Every quirk tolerated on the way, in document order.
    pub warnings: Vec<Warning>,
}

/// Stage 1: parses a spec (`file` is its name for messages) and finds its webhooks.
///
/// # Errors
///
/// When the bytes are not JSON or YAML, or a node the model needs has the wrong shape.
pub fn load(file: &str, bytes: &[u8]) -> Result<Loaded, Error> {
    let root = source::parse(file, bytes)?;
    let mut diag = Diagnostics::new(file);
    let document = Document::from_value(root, &mut diag)?;
    Ok(Loaded { document, warnings: diag.into_warnings() })
}

/// Stage 2: lowers a document to the IR of one module.
///
/// # Errors
///
/// When a schema cannot be followed (a broken `$ref`, a schema that is not an object).
pub fn lower(document: &Document, options: &ModuleOptions) -> Result<(ir::Module, Vec<Warning>), Error> {
    let mut diag = Diagnostics::new(&document.file);
    let module = lower::lower(document, options, &mut diag)?;
    Ok((module, diag.into_warnings()))
}

/// Stages 3 and 4: emits and formats a lowered module.
///
/// # Errors
///
/// Only on a generator bug (emitted tokens that are not Rust).
pub fn render(module: &ir::Module) -> Result<String, Error> {
    format_tokens(&module.source_file, emit_tokens(module))
}

/// Stage 3 alone: the tokens of a lowered module, before formatting (no `@generated` header).
pub fn emit_tokens(module: &ir::Module) -> proc_macro2::TokenStream {
    emit::module(module)
}

/// Stage 4 alone: formats emitted tokens under the `@generated` header naming `file`.
///
/// # Errors
///
/// Only on a generator bug (tokens that are not Rust).
pub fn format_tokens(file: &str, tokens: proc_macro2::TokenStream) -> Result<String, Error> {
    format::format_file(file, file, tokens)
}

/// The first step of [`load`] alone: a spec's bytes (JSON or YAML) as a JSON value, keys in document
/// order. The floor any spec reader pays; `file` names the spec in errors.
///
/// # Errors
///
/// When the bytes are not UTF-8, JSON or YAML.
pub fn parse_value(file: &str, bytes: &[u8]) -> Result<serde_json::Value, Error> {
    source::parse(file, bytes)
}

/// Runs the whole pipeline for one spec. `file` is the spec's path as it should appear in the header and
/// in messages (such as `specs/number_management.yaml`); the module is named after its file stem.
///
/// # Errors
///
/// As [`load`] and [`lower`].
pub fn generate(file: &str, bytes: &[u8]) -> Result<GeneratedModule, Error> {
    generate_with(file, bytes, &SpecConfig::default())
}

/// [`generate`] with the spec's settings (from its `.codegen.yaml` sidecar).
///
/// # Errors
///
/// As [`load`] and [`lower`].
pub fn generate_with(file: &str, bytes: &[u8], config: &SpecConfig) -> Result<GeneratedModule, Error> {
    let Loaded { document, mut warnings } = load(file, bytes)?;
    let options = ModuleOptions::new(file, config);
    let (module, lower_warnings) = lower(&document, &options)?;
    warnings.extend(lower_warnings);
    let source = render(&module)?;
    Ok(GeneratedModule { module, source, warnings })
}

/// Renders the crate's module list (`modules.rs`) for the given modules; `source` names where the specs
/// live (for the header), such as `specs/`.
///
/// # Errors
///
/// Only on a generator bug.
pub fn generate_index(source: &str, modules: &[&ir::Module]) -> Result<String, Error> {
    format::format_file(source, source, crate_index::crate_index(modules))
}

/// The Rust module name for a spec file: its file stem in snake_case (`number-management.json` ->
/// `number_management`).
pub fn module_name_for(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = name.split('.').next().unwrap_or(name);
    naming::snake_name(stem)
}
