//! Turns OpenAPI 3.1 webhook documents into typed Rust payloads and a dispatcher.
//!
//! The pipeline runs in one direction, one stage per module:
//!
//! 1. [`load`]: bytes (YAML or JSON) -> [`Document`]: the webhooks, their payload schemas and examples.
//! 2. [`lower`]: document -> [`ir::Module`]: events and named types; every naming and fallback decision.
//! 3. emit: IR -> tokens (`quote!`): models, `Event`, `Handler`, `dispatch`.
//! 4. format: tokens -> source text (`syn` + `prettyplease`) under the `@generated` header.
//!
//! [`generate`] runs all four for one spec; [`generate_index`] writes the module list of a crate with
//! several specs. Tolerated quirks come back as [`Warning`]s with the JSON pointer of the node; errors
//! name the file and pointer. The stages read and write no files: callers pass bytes and get text.
//!
//! Around them, one front door for the file side: [`Builder`], the way `prost-build`'s `Config` is. It
//! takes the specs (files, folders, or bytes with a label) with their settings and how the output is
//! written, then generates in memory ([`Builder::generate_in_memory`]), writes a folder
//! ([`Builder::write_to`], or `OUT_DIR` from a `build.rs` with [`Builder::generate`]) or checks one
//! ([`Builder::check`]). The `webhook-codegen` command (feature `cli`) is a thin layer over it, and
//! [`files`] holds what it uses to read specs and to write only files the generator owns.
//!
//! The sections below are the reference: generating from a `build.rs` or with the command, a spec's
//! settings, overlays that fix a vendor's spec, how deliveries are told apart, the quirks of real-world specs, how schemas become Rust, and
//! checking generated code and specs.
#![doc = include_str!("../docs/generating.md")]
#![doc = include_str!("../docs/settings.md")]
#![doc = include_str!("../docs/overlays.md")]
#![doc = include_str!("../docs/telling-webhooks-apart.md")]
#![doc = include_str!("../docs/real-world-specs.md")]
#![doc = include_str!("../docs/schema-to-rust.md")]
#![doc = include_str!("../docs/checking-specs.md")]

mod builder;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
mod config;
mod crate_index;
mod docs;
mod document;
mod emit;
mod error;
pub mod files;
mod format;
pub mod ir;
mod lower;
pub mod naming;
mod overlay;
mod pointer;
mod ref_relocation;
mod render;
mod source;

pub use builder::{BuildError, Builder, Changes, Check, Generated, IndexFile, OutputForm};
pub use config::{
    DiscriminatorChoice, ExamplePolicy, OverlaySource, RequiredProperties, SignatureScheme, SpecConfig,
    UnknownProperties,
};
pub use crate_index::{SharedEventName, shared_event_names};
pub use docs::inline_text;
pub use document::{Body, Document, Example, Info, Operation, SkipReason, SkippedExample, Webhook};
pub use error::{Error, Warning};
pub use format::header;
pub use lower::ModuleOptions;
pub use overlay::{MAX_ACTIONS, MAX_COPIED_VALUES, MAX_TARGET_CHARS, Overlay};
pub use pointer::JsonPointer;

use error::Diagnostics;

/// An insertion-ordered map hashed as the generator's other maps and sets are, with foldhash (the reason is
/// in the workspace manifest).
type IndexMap<K, V> = indexmap::IndexMap<K, V, foldhash::fast::RandomState>;

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
    load_with_overlay(file, bytes, None)
}

/// Stage 1 with an overlay applied to the parsed document first (before its `$ref`s are followed). The
/// overlay's report, a line per action naming the overlay file and the action, comes first among the
/// warnings.
///
/// # Errors
///
/// As [`load`], and when an action cannot be applied ([`Overlay::apply`]).
pub fn load_with_overlay(file: &str, bytes: &[u8], overlay: Option<&Overlay>) -> Result<Loaded, Error> {
    let mut root = source::parse(file, bytes)?;
    let mut warnings = match overlay {
        Some(overlay) => overlay.apply(&mut root)?,
        None => Vec::new(),
    };
    let mut diag = Diagnostics::new(file);
    let document = Document::from_value(root, &mut diag)?;
    warnings.extend(diag.into_warnings());
    Ok(Loaded { document, warnings })
}

/// Stage 1 for a spec with its settings: [`load_with_overlay`] with the overlay they give, which must be
/// read already ([`OverlaySource::Loaded`]; the [`Builder`] and [`files::read_settings`] read files).
///
/// # Errors
///
/// As [`load_with_overlay`], and [`Error::Option`] for an overlay file not read.
pub fn load_with_settings(file: &str, bytes: &[u8], config: &SpecConfig) -> Result<Loaded, Error> {
    let overlay = match &config.overlay {
        None => None,
        Some(OverlaySource::Loaded(overlay)) => Some(overlay),
        Some(OverlaySource::File(path)) => {
            return Err(Error::Option {
                option: "overlay",
                message: format!(
                    "`{}` is a file, and generating from bytes reads none: give the overlay read \
                     (`Overlay::parse`), or generate with the `Builder`, which reads it",
                    path.display()
                ),
            });
        }
    };
    load_with_overlay(file, bytes, overlay)
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

/// The command the `@generated` header of a file names, unless told otherwise
/// ([`Builder::generator_name`]).
pub const DEFAULT_GENERATOR: &str = "webhook-codegen";

/// How a module's source is written, for where it goes: what [`Builder`] is told about its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenderOptions {
    /// The command named in the `@generated` header.
    pub(crate) generator: String,
    /// The path generated code names the runtime crate by.
    pub(crate) runtime_path: String,
    /// Whether the file is pulled into a module with `include!`, which allows no inner attributes: the
    /// module docs then become plain comments under the header. Otherwise it is a module file of its own
    /// (`mod <name>;`) and they are the module's rustdoc.
    pub(crate) for_include: bool,
}

impl Default for RenderOptions {
    /// A module file of `webhook-codegen`, naming the runtime `::webhook_runtime`.
    fn default() -> Self {
        Self {
            generator: DEFAULT_GENERATOR.to_owned(),
            runtime_path: DEFAULT_RUNTIME_PATH.to_owned(),
            for_include: false,
        }
    }
}

/// Stages 3 and 4: emits and formats a lowered module as a module file (`mod <name>;`) whose header
/// names `webhook-codegen`. [`Builder`] sets the header, the runtime path and the `include!` form.
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
pub(crate) fn render_with(module: &ir::Module, options: &RenderOptions) -> Result<String, Error> {
    let mut texts = render::render_modules(&[module], options)?;
    Ok(texts.pop().unwrap_or_default())
}

/// Stage 3 alone: the tokens of a lowered module, before formatting (no `@generated` header), as
/// [`render`] emits them.
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
    generate_rendered(file, bytes, config, &RenderOptions::default())
}

/// [`generate`] with the spec's settings and how the source is written.
pub(crate) fn generate_rendered(
    file: &str,
    bytes: &[u8],
    config: &SpecConfig,
    render: &RenderOptions,
) -> Result<GeneratedModule, Error> {
    lower_spec(file, bytes, config)?.render(render)
}

/// A spec lowered, with every warning it gave, and not yet rendered: [`generate_rendered`] in two steps,
/// so a build of several specs can render them (the most expensive stage) in parallel.
pub(crate) struct LoweredSpec {
    pub(crate) module: ir::Module,
    pub(crate) warnings: Vec<Warning>,
}

/// Stages 1 and 2 of [`generate_rendered`].
pub(crate) fn lower_spec(file: &str, bytes: &[u8], config: &SpecConfig) -> Result<LoweredSpec, Error> {
    let Loaded { document, mut warnings } = load_with_settings(file, bytes, config)?;
    let options = ModuleOptions::new(file, config);
    let (module, lower_warnings) = lower(&document, &options)?;
    warnings.extend(lower_warnings);
    Ok(LoweredSpec { module, warnings })
}

impl LoweredSpec {
    /// Stages 3 and 4 of [`generate_rendered`].
    pub(crate) fn render(self, render: &RenderOptions) -> Result<GeneratedModule, Error> {
        let source = render_with(&self.module, render)?;
        Ok(GeneratedModule { module: self.module, source, warnings: self.warnings })
    }
}

/// Renders the module list of a crate with several specs (`modules.rs`: a `mod` per module behind the
/// cargo feature of its name, `MODULES` and `AnyEvent`) for the given modules; `source` names where the
/// specs live (for the header), such as `specs/`. [`Builder::index_file`] writes it beside the modules.
///
/// # Errors
///
/// Only on a generator bug.
pub fn generate_index(source: &str, modules: &[&ir::Module]) -> Result<String, Error> {
    index_by(DEFAULT_GENERATOR, source, modules)
}

/// [`generate_index`] under a header naming `generator`.
pub(crate) fn index_by(generator: &str, source: &str, modules: &[&ir::Module]) -> Result<String, Error> {
    format::format_file(source, source, generator, crate_index::crate_index(modules))
}

/// The Rust module name for a spec file: its file stem in snake_case (`number-management.json` ->
/// `number_management`).
pub fn module_name_for(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = name.split('.').next().unwrap_or(name);
    naming::snake_name(stem)
}
