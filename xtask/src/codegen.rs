//! `cargo xtask codegen [--check]`: every spec in `specs/` becomes a module of the generated crate.
//!
//! Generated files are ordinary checked-in files. `--check` and the drift test regenerate in memory and
//! compare, and their failure names the one command that fixes it.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use webhook_codegen::files::{self, is_settings_file};
pub use webhook_codegen::files::{read_settings, settings_file};
use webhook_codegen::{GeneratedModule, RenderOptions, SharedEventName, SpecConfig, Warning};

/// Where the specs live, relative to the workspace root.
pub const SPECS_DIR: &str = "specs";
/// Where generated modules are written, relative to the workspace root.
pub const OUTPUT_DIR: &str = "generated/src";
/// The generated module list, relative to [`OUTPUT_DIR`].
pub const INDEX_FILE: &str = "modules.rs";
/// The one hand-written file in [`OUTPUT_DIR`]; every other `.rs` file there is generated.
pub const HAND_WRITTEN_FILE: &str = "lib.rs";
/// The generated crate's manifest, whose spec-features block codegen writes.
pub const MANIFEST_FILE: &str = "generated/Cargo.toml";
/// The generated crate's root, whose crate docs hold a codegen-written table of the spec modules.
pub const LIB_FILE: &str = "generated/src/lib.rs";
/// Specs the generated crate's tests use (modules of other vendors than the crate's), relative to the
/// workspace root. They are not part of the crate: their modules go to [`TEST_OUTPUT_DIR`].
pub const TEST_SPECS_DIR: &str = "generated/tests/specs";
/// Where the modules of [`TEST_SPECS_DIR`] are written, for tests to include with `#[path]`.
pub const TEST_OUTPUT_DIR: &str = "generated/tests/generated";
/// The command that brings generated code up to date.
pub const FIX_COMMAND: &str = "cargo xtask codegen";

/// Why code generation could not run: a file that cannot be read or written, a spec that cannot be
/// generated, or two specs that would become one module (the generator's file-side error).
pub type CodegenError = webhook_codegen::files::FileError;

/// What generating one spec produced, for the one-line summary.
#[derive(Debug)]
pub struct SpecReport {
    /// The spec file, relative to the workspace (`specs/x.yaml`).
    pub spec_file: String,
    /// The generated file, relative to the workspace.
    pub output_file: String,
    /// Number of webhooks.
    pub events: usize,
    /// Number of named types.
    pub types: usize,
    /// Tolerated quirks.
    pub warnings: Vec<Warning>,
}

/// A file the generator wants on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative to the workspace root.
    pub path: PathBuf,
    /// The full text.
    pub contents: String,
}

/// Everything `codegen` would write, computed without touching the output folder.
#[derive(Debug)]
pub struct Plan {
    /// The generated files: the crate's modules, its module list and manifest, then the test modules.
    pub files: Vec<OutputFile>,
    /// One report per spec, in file order.
    pub reports: Vec<SpecReport>,
    /// Generated files on disk that no spec produces any more (a spec was removed or renamed).
    pub stale: Vec<PathBuf>,
    /// Webhook names that several specs declare (each a warning: one module parses them in `AnyEvent`).
    pub shared_events: Vec<SharedEventName>,
}

/// A generated file whose contents on disk differ from what the specs give.
#[derive(Debug)]
pub struct Drift {
    /// Relative to the workspace root.
    pub path: PathBuf,
    /// A unified diff from the file on disk to the expected contents.
    pub diff: String,
}

/// The spec files in `specs/`, sorted by name: `.yaml`, `.yml` and `.json` (not the `.codegen.yaml`
/// settings files beside them).
///
/// # Errors
///
/// When the folder cannot be read.
pub fn spec_files(root: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    spec_files_in(&root.join(SPECS_DIR))
}

/// The spec files directly in `dir`, sorted by name: `.yaml`, `.yml` and `.json`.
///
/// # Errors
///
/// When the folder cannot be read.
pub fn spec_files_in(dir: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let dir = dir.to_owned();
    let entries = fs::read_dir(&dir).map_err(|source| CodegenError::Io { path: dir.clone(), source })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| CodegenError::Io { path: dir.clone(), source })?.path();
        let is_spec =
            path.extension().and_then(|ext| ext.to_str()).is_some_and(|ext| matches!(ext, "yaml" | "yml" | "json"));
        if is_spec && path.is_file() && !is_settings_file(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Generates one spec file, with its settings sidecar if there is one; `label` is how it is named in the
/// header and messages.
///
/// # Errors
///
/// When a file cannot be read, or the settings or the spec are invalid.
pub fn generate_file(path: &Path, label: &str) -> Result<GeneratedModule, CodegenError> {
    let config = read_settings(path, label)?;
    generate_file_with(path, label, &config)
}

/// Generates one spec file with the given settings.
///
/// # Errors
///
/// When the file cannot be read or the spec is invalid.
pub fn generate_file_with(path: &Path, label: &str, config: &SpecConfig) -> Result<GeneratedModule, CodegenError> {
    files::generate_file(path, label, config, &RenderOptions::default())
}

/// Generates every spec under `root`, in file order.
///
/// # Errors
///
/// When a spec cannot be read or generated, or two specs map to one module.
pub fn generate_specs(root: &Path) -> Result<Vec<GeneratedModule>, CodegenError> {
    let mut modules: Vec<GeneratedModule> = Vec::new();
    for path in spec_files(root)? {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        modules.push(generate_file(&path, &format!("{SPECS_DIR}/{name}"))?);
    }
    files::check_unique_modules(&modules)?;
    Ok(modules)
}

/// Computes every generated file from the specs under `root`.
///
/// # Errors
///
/// As [`generate_specs`].
pub fn plan(root: &Path) -> Result<Plan, CodegenError> {
    let modules = generate_specs(root)?;
    let mut files = Vec::with_capacity(modules.len() + 1);
    let mut reports = Vec::with_capacity(modules.len());
    for generated in &modules {
        // Refuses a module that would be the crate root (`lib.rs`) or the like.
        files::module_path(Path::new(OUTPUT_DIR), generated)?;
        let output = format!("{OUTPUT_DIR}/{}.rs", generated.module.name);
        reports.push(SpecReport {
            spec_file: generated.module.source_file.clone(),
            output_file: output.clone(),
            events: generated.module.events.len(),
            types: generated.module.types.len(),
            warnings: generated.warnings.clone(),
        });
        files.push(OutputFile { path: PathBuf::from(output), contents: generated.source.clone() });
    }
    let irs: Vec<_> = modules.iter().map(|generated| &generated.module).collect();
    let index = webhook_codegen::generate_index(&format!("{SPECS_DIR}/"), &irs)?;
    files.push(OutputFile { path: Path::new(OUTPUT_DIR).join(INDEX_FILE), contents: index });
    files.push(OutputFile { path: PathBuf::from(MANIFEST_FILE), contents: crate_manifest(root, &irs)? });
    files.push(OutputFile { path: PathBuf::from(LIB_FILE), contents: crate_docs(root, &irs)? });
    for path in spec_files_in(&root.join(TEST_SPECS_DIR))? {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let generated = generate_file(&path, &format!("{TEST_SPECS_DIR}/{name}"))?;
        files::module_path(Path::new(TEST_OUTPUT_DIR), &generated)?;
        let output = format!("{TEST_OUTPUT_DIR}/{}.rs", generated.module.name);
        reports.push(SpecReport {
            spec_file: generated.module.source_file.clone(),
            output_file: output.clone(),
            events: generated.module.events.len(),
            types: generated.module.types.len(),
            warnings: generated.warnings,
        });
        files.push(OutputFile { path: PathBuf::from(output), contents: generated.source });
    }
    let stale = stale_files(root, &files)?;
    let shared_events = webhook_codegen::shared_event_names(&irs);
    Ok(Plan { files, reports, stale, shared_events })
}

/// The generated crate's manifest (read from `crate_dir`, default `root/generated`) with one feature per
/// module in its spec-features block.
///
/// # Errors
///
/// When the manifest cannot be read or has no spec-features block.
pub fn crate_manifest(root: &Path, modules: &[&webhook_codegen::ir::Module]) -> Result<String, CodegenError> {
    let path = root.join(MANIFEST_FILE);
    let manifest = fs::read_to_string(&path).map_err(|source| CodegenError::Io { path: path.clone(), source })?;
    Ok(webhook_codegen::manifest::with_spec_features(MANIFEST_FILE, &manifest, modules)?)
}

/// Whether the file `name` in [`OUTPUT_DIR`] is generated: every `.rs` file there but
/// [`HAND_WRITTEN_FILE`].
pub fn is_generated_file(name: &std::ffi::OsStr) -> bool {
    Path::new(name).extension().is_some_and(|ext| ext == "rs") && name != HAND_WRITTEN_FILE
}

/// The generated crate's `lib.rs` (read from `root/generated`) with the table of `modules` in its crate
/// docs.
///
/// # Errors
///
/// When the file cannot be read or has no areas block.
pub fn crate_docs(root: &Path, modules: &[&webhook_codegen::ir::Module]) -> Result<String, CodegenError> {
    let path = root.join(LIB_FILE);
    let lib_rs = fs::read_to_string(&path).map_err(|source| CodegenError::Io { path: path.clone(), source })?;
    Ok(webhook_codegen::crate_docs::with_area_table(LIB_FILE, &lib_rs, modules)?)
}

/// The warning for a webhook name that several specs declare: which module `AnyEvent` parses it with.
pub fn shared_event_warning(shared: &SharedEventName) -> String {
    let modules: Vec<String> = shared.modules.iter().map(|module| format!("`{module}`")).collect();
    format!(
        "warning: webhook `{}` is declared by the modules {}: `AnyEvent` parses it with the first of them whose \
         feature is on (in this order), and the receiver gives it to the first route added that declares it",
        shared.name,
        modules.join(", ")
    )
}

/// Generated files in the output folder that the plan does not produce.
fn stale_files(root: &Path, files: &[OutputFile]) -> Result<Vec<PathBuf>, CodegenError> {
    let dir = root.join(OUTPUT_DIR);
    let entries = fs::read_dir(&dir).map_err(|source| CodegenError::Io { path: dir.clone(), source })?;
    let mut stale = Vec::new();
    for entry in entries {
        let name = entry.map_err(|source| CodegenError::Io { path: dir.clone(), source })?.file_name();
        let relative = Path::new(OUTPUT_DIR).join(&name);
        if is_generated_file(&name) && !files.iter().any(|file| file.path == relative) {
            stale.push(relative);
        }
    }
    stale.sort();
    Ok(stale)
}

/// Writes the plan's files (only those that changed) and removes stale ones. Returns the paths touched.
///
/// # Errors
///
/// When a file cannot be written or removed.
pub fn write(root: &Path, plan: &Plan) -> Result<Vec<PathBuf>, CodegenError> {
    let mut touched = Vec::new();
    for file in &plan.files {
        if files::write_if_changed(&root.join(&file.path), &file.contents)? {
            touched.push(file.path.clone());
        }
    }
    for stale in &plan.stale {
        let path = root.join(stale);
        fs::remove_file(&path).map_err(|source| CodegenError::Io { path: path.clone(), source })?;
        touched.push(stale.clone());
    }
    Ok(touched)
}

/// Compares the plan with the files on disk.
///
/// # Errors
///
/// When a file exists but cannot be read.
pub fn drift(root: &Path, plan: &Plan) -> Result<Vec<Drift>, CodegenError> {
    let mut drifts = Vec::new();
    for file in &plan.files {
        let path = root.join(&file.path);
        // Line endings a checkout converted (CRLF on Windows) are not drift.
        let current = match fs::read_to_string(&path) {
            Ok(text) => webhook_codegen::files::normalize_line_endings(&text).into_owned(),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(CodegenError::Io { path, source }),
        };
        if current != file.contents {
            drifts.push(Drift { path: file.path.clone(), diff: unified_diff(&file.path, &current, &file.contents) });
        }
    }
    for stale in &plan.stale {
        let path = root.join(stale);
        let current = fs::read_to_string(&path).map_err(|source| CodegenError::Io { path: path.clone(), source })?;
        drifts.push(Drift { path: stale.clone(), diff: unified_diff(stale, &current, "") });
    }
    Ok(drifts)
}

fn unified_diff(path: &Path, current: &str, expected: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(current, expected)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// The message for drifted files: what differs, the diffs, and the command that fixes it.
pub fn drift_message(drifts: &[Drift]) -> String {
    let mut message = String::new();
    for drift in drifts {
        message.push_str(&drift.diff);
    }
    let files: Vec<String> = drifts.iter().map(|drift| drift.path.display().to_string()).collect();
    let _ = write!(
        message,
        "\nerror: generated code is out of date with {SPECS_DIR}/ ({}).\nRun `{FIX_COMMAND}` and commit the result.\n",
        files.join(", ")
    );
    message
}

/// The one-line summary of a spec, followed by its warnings.
pub fn report_lines(report: &SpecReport) -> String {
    files::summary_lines(&report.spec_file, &report.output_file, report.events, report.types, &report.warnings)
}

/// The one-line summary of a spec alone.
pub fn report_line(report: &SpecReport) -> String {
    files::summary_line(&report.spec_file, &report.output_file, report.events, report.types, report.warnings.len())
}
