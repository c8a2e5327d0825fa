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
//! The stages read and write no files: callers pass bytes and get text.
//!
//! Around them, the file side: [`Builder`] for a crate's `build.rs`, the `webhook-codegen` command
//! (feature `cli`), and [`files`], which both use to read specs with their settings.

pub mod builder;
pub mod config;
pub mod crate_docs;
mod crate_index;
mod docs;
pub mod document;
mod emit;
mod error;
pub mod files;
mod format;
pub mod ir;
mod lower;
pub mod manifest;
pub mod naming;
pub mod pointer;
mod ref_relocation;
mod source;

pub use builder::{BuildError, Builder};
pub use config::{DiscriminatorChoice, ExamplePolicy, SignatureScheme, SpecConfig, UnknownProperties};
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

/// The path generated code names the runtime crate by, unless told otherwise.
pub const DEFAULT_RUNTIME_PATH: &str = "::webhook_runtime";

/// How a module's source is written, for where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// The command named in the `@generated` header, such as `cargo xtask codegen`.
    pub generator: String,
    /// The path generated code names the runtime crate by (`::webhook_runtime` by default; set it when
    /// the crate reaches the runtime under another name, like prost's `prost_path`).
    pub runtime_path: String,
    /// Whether the file is pulled into a module with `include!` (as [`Builder`] output is), which allows
    /// no inner attributes: the module docs then become plain comments under the header. Otherwise it is a
    /// module file of its own (`mod <name>;`) and they are the module's rustdoc.
    pub for_include: bool,
}

impl Default for RenderOptions {
    /// A module file, from `cargo xtask codegen`.
    fn default() -> Self {
        Self {
            generator: "cargo xtask codegen".to_owned(),
            runtime_path: DEFAULT_RUNTIME_PATH.to_owned(),
            for_include: false,
        }
    }
}

/// Stages 3 and 4: emits and formats a lowered module as a module file of `cargo xtask codegen`.
///
/// # Errors
///
/// Only on a generator bug (emitted tokens that are not Rust).
pub fn render(module: &ir::Module) -> Result<String, Error> {
    render_with(module, &RenderOptions::default())
}

/// Stages 3 and 4 with the given [`RenderOptions`].
///
/// # Errors
///
/// Only on a generator bug (emitted tokens that are not Rust).
pub fn render_with(module: &ir::Module, options: &RenderOptions) -> Result<String, Error> {
    let runtime = runtime_path(options)?;
    let parts = emit::module_parts(module, options, &runtime);
    let mut text = format::format_parts(&module.source_file, &module.source_file, &options.generator, parts)?;
    if options.for_include {
        text = format::with_comment_after_header(&text, &emit::module_docs_text(module));
    }
    Ok(text)
}

/// Stage 3 alone: the tokens of a lowered module, before formatting (no `@generated` header), as
/// `cargo xtask codegen` writes them.
pub fn emit_tokens(module: &ir::Module) -> proc_macro2::TokenStream {
    let runtime: syn::Path = syn::parse_quote!(::webhook_runtime);
    emit::module(module, &RenderOptions::default(), &runtime)
}

/// The runtime path of `options`, parsed.
fn runtime_path(options: &RenderOptions) -> Result<syn::Path, Error> {
    syn::parse_str(&options.runtime_path).map_err(|err| Error::Option {
        option: "runtime_path",
        message: format!("`{}` is not a Rust path: {err}", options.runtime_path),
    })
}

/// Stage 4 alone: formats emitted tokens under the `@generated` header naming `file`.
///
/// # Errors
///
/// Only on a generator bug (tokens that are not Rust).
pub fn format_tokens(file: &str, tokens: proc_macro2::TokenStream) -> Result<String, Error> {
    format::format_file(file, file, &RenderOptions::default().generator, tokens)
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
    generate_module(file, bytes, config, &RenderOptions::default())
}

/// [`generate`] with the spec's settings and how the source is written.
///
/// # Errors
///
/// As [`load`] and [`lower`].
pub fn generate_module(
    file: &str,
    bytes: &[u8],
    config: &SpecConfig,
    render: &RenderOptions,
) -> Result<GeneratedModule, Error> {
    let Loaded { document, mut warnings } = load(file, bytes)?;
    let options = ModuleOptions::new(file, config);
    let (module, lower_warnings) = lower(&document, &options)?;
    warnings.extend(lower_warnings);
    let source = render_with(&module, render)?;
    Ok(GeneratedModule { module, source, warnings })
}

/// Renders the crate's module list (`modules.rs`) for the given modules; `source` names where the specs
/// live (for the header), such as `specs/`.
///
/// # Errors
///
/// Only on a generator bug.
pub fn generate_index(source: &str, modules: &[&ir::Module]) -> Result<String, Error> {
    format::format_file(source, source, &RenderOptions::default().generator, crate_index::crate_index(modules))
}

/// The Rust module name for a spec file: its file stem in snake_case (`number-management.json` ->
/// `number_management`).
pub fn module_name_for(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = name.split('.').next().unwrap_or(name);
    naming::snake_name(stem)
}
