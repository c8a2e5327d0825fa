//! `cargo xtask codegen [--check]`: every spec in `specs/` becomes a module of the generated crate.
//!
//! Generated files are ordinary checked-in files. `--check` and the drift test regenerate in memory and
//! compare, and their failure names the one command that fixes it.

use std::fs;
use std::path::{Path, PathBuf};

use webhook_codegen::files::{self, FileError};
pub use webhook_codegen::files::{Drift, read_settings, settings_file};
use webhook_codegen::{Builder, Generated, GeneratedModule, OutputForm, SharedEventName, Warning};

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
/// generated, or two specs that would become one module (the generator's builder error).
pub type CodegenError = webhook_codegen::BuildError;

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

/// A hand-written file of the generated crate with a block that codegen writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative to the workspace root.
    pub path: PathBuf,
    /// The full text.
    pub contents: String,
}

/// Everything `codegen` would write, computed without touching the output folders.
#[derive(Debug)]
pub struct Plan {
    /// The crate's spec modules and their module list, for [`OUTPUT_DIR`].
    pub crate_modules: Generated,
    /// The crate's manifest and `lib.rs`, with their generated blocks rewritten.
    pub crate_files: Vec<OutputFile>,
    /// The modules of [`TEST_SPECS_DIR`], for [`TEST_OUTPUT_DIR`].
    pub test_modules: Generated,
    /// One report per spec, in file order (the crate's, then the tests').
    pub reports: Vec<SpecReport>,
    /// Webhook names that several specs declare (each a warning: one module parses them in `AnyEvent`).
    pub shared_events: Vec<SharedEventName>,
}

/// A builder for this workspace's modules: module files whose header names `cargo xtask codegen`,
/// printing no `cargo:` lines. Relative spec paths are taken from the current folder.
pub fn builder() -> Builder {
    let mut builder = Builder::new();
    builder.generator_name(FIX_COMMAND).form(OutputForm::ModuleFile).fix_command(FIX_COMMAND).quiet(true);
    builder
}

/// The builder of the generated crate's modules: every spec in `root/specs/`, with the module list, and
/// the generated files no spec gives any more removed.
pub fn crate_builder(root: &Path) -> Builder {
    let mut builder = builder();
    builder.root(root).spec_dir(SPECS_DIR).index_file(INDEX_FILE).remove_stale(true);
    builder
}

/// The builder of the modules the generated crate's tests use, from `root/generated/tests/specs/`.
pub fn test_builder(root: &Path) -> Builder {
    let mut builder = builder();
    builder.root(root).spec_dir(TEST_SPECS_DIR);
    builder
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
    Ok(files::spec_files_in(dir)?)
}

/// Generates one spec file, with its settings sidecar if there is one, named by its path as given.
///
/// # Errors
///
/// When a file cannot be read, or the settings or the spec are invalid.
pub fn generate_file(path: &Path) -> Result<GeneratedModule, CodegenError> {
    let mut generated = builder().spec(path).generate_in_memory()?;
    Ok(generated.modules.remove(0))
}

/// Generates every spec under `root`, in file order.
///
/// # Errors
///
/// When a spec cannot be read or generated, or two specs map to one module.
pub fn generate_specs(root: &Path) -> Result<Vec<GeneratedModule>, CodegenError> {
    Ok(crate_builder(root).generate_in_memory()?.modules)
}

/// Computes every generated file from the specs under `root`.
///
/// # Errors
///
/// As [`generate_specs`].
pub fn plan(root: &Path) -> Result<Plan, CodegenError> {
    let crate_modules = crate_builder(root).generate_in_memory()?;
    let test_modules = test_builder(root).generate_in_memory()?;
    let mut reports = Vec::new();
    for (modules, dir) in [(&crate_modules, OUTPUT_DIR), (&test_modules, TEST_OUTPUT_DIR)] {
        for generated in &modules.modules {
            reports.push(SpecReport {
                spec_file: generated.module.source_file.clone(),
                output_file: files::module_path(Path::new(dir), generated)?.display().to_string(),
                events: generated.module.events.len(),
                types: generated.module.types.len(),
                warnings: generated.warnings.clone(),
            });
        }
    }
    let irs: Vec<_> = crate_modules.modules.iter().map(|generated| &generated.module).collect();
    let crate_files = vec![
        OutputFile { path: PathBuf::from(MANIFEST_FILE), contents: crate_manifest(root, &irs)? },
        OutputFile { path: PathBuf::from(LIB_FILE), contents: crate_docs(root, &irs)? },
    ];
    let shared_events = webhook_codegen::shared_event_names(&irs);
    Ok(Plan { crate_modules, crate_files, test_modules, reports, shared_events })
}

/// The generated crate's manifest (read from `root/generated`) with one feature per module in its
/// spec-features block.
///
/// # Errors
///
/// When the manifest cannot be read or has no spec-features block.
pub fn crate_manifest(root: &Path, modules: &[&webhook_codegen::ir::Module]) -> Result<String, CodegenError> {
    let path = root.join(MANIFEST_FILE);
    let manifest = fs::read_to_string(&path).map_err(FileError::io(&path))?;
    Ok(crate::manifest::with_spec_features(MANIFEST_FILE, &manifest, modules).map_err(FileError::from)?)
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
    let lib_rs = fs::read_to_string(&path).map_err(FileError::io(&path))?;
    Ok(crate::crate_docs::with_area_table(LIB_FILE, &lib_rs, modules).map_err(FileError::from)?)
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

/// Writes the plan's files (only those that changed) and removes stale modules. Returns the paths
/// touched, relative to `root`.
///
/// # Errors
///
/// When a file cannot be written or removed.
pub fn write(root: &Path, plan: &Plan) -> Result<Vec<PathBuf>, CodegenError> {
    let crate_changes = crate_builder(root).write_generated(&plan.crate_modules, Path::new(OUTPUT_DIR))?;
    let mut touched = crate_changes.written;
    for file in &plan.crate_files {
        if files::write_if_changed(&root.join(&file.path), &file.contents)? {
            touched.push(file.path.clone());
        }
    }
    touched.extend(test_builder(root).write_generated(&plan.test_modules, Path::new(TEST_OUTPUT_DIR))?.written);
    touched.extend(crate_changes.removed);
    Ok(touched)
}

/// Compares the plan with the files on disk.
///
/// # Errors
///
/// When a file exists but cannot be read.
pub fn drift(root: &Path, plan: &Plan) -> Result<Vec<Drift>, CodegenError> {
    let mut drifts = crate_builder(root).check_generated(&plan.crate_modules, Path::new(OUTPUT_DIR))?.drift;
    for file in &plan.crate_files {
        // Line endings a checkout converted (CRLF on Windows) are not drift.
        let current = files::read_or_empty(&root.join(&file.path))?;
        drifts.extend(Drift::between(&file.path, &current, &file.contents));
    }
    drifts.extend(test_builder(root).check_generated(&plan.test_modules, Path::new(TEST_OUTPUT_DIR))?.drift);
    Ok(drifts)
}

/// The message for drifted files: what differs, the diffs, and the command that fixes it.
pub fn drift_message(drifts: &[Drift]) -> String {
    files::drift_message(drifts, &format!("{SPECS_DIR}/"), FIX_COMMAND)
}

/// The one-line summary of a spec, followed by its warnings.
pub fn report_lines(report: &SpecReport) -> String {
    files::summary_lines(&report.spec_file, &report.output_file, report.events, report.types, &report.warnings)
}

/// The one-line summary of a spec alone.
pub fn report_line(report: &SpecReport) -> String {
    files::summary_line(&report.spec_file, &report.output_file, report.events, report.types, report.warnings.len())
}
