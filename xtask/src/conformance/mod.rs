//! `cargo xtask conformance <FILE|DIR>...`: checks that specs of one's own generate, build without
//! warnings and round-trip their examples, without touching `specs/` or the checked-in crate.
//!
//! Every spec is generated into one scratch copy of the generated crate (`<target>/scratch/conformance`),
//! which is built once: clippy and rustdoc with warnings denied, then an example checker (`checker.rs`,
//! copied in as the binary `src/bin/conformance_check/`, which needs none of the crate's
//! dev-dependencies, unlike an example target) that parses every example of every spec with its
//! module's `from_named` and writes it back. When that one build fails, each spec is built alone so the
//! failure is pinned on the specs that cause it.
//!
//! One concern per module: [`inputs`] (which files), this module (generating and grouping the specs),
//! `build` (the scratch crate's build steps and their diagnostics), `examples` and `protocol` (the
//! checker and what it says), [`difference`] (where JSON written back differs), [`report`] (the results
//! and how they print).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use webhook_codegen::GeneratedModule;

mod build;
pub mod difference;
mod examples;
pub mod inputs;
mod protocol;
pub mod report;

pub use build::first_diagnostics;
pub use difference::first_difference;
pub use examples::{CHECKER_SOURCE, PROTOCOL_SOURCE};
pub use inputs::spec_paths;
pub use report::{
    BuildFailure, BuildTiming, Checked, Difference, ExampleFailure, ExampleResults, Problem, Report, SpecOutcome,
    SpecResult, Step, Timings,
};

use crate::codegen::{self, CodegenError, HAND_WRITTEN_FILE, INDEX_FILE, OUTPUT_DIR};
use build::{BuildRun, build_and_check};

/// The scratch crate's folder name under `<target>/scratch/` by default.
pub const DEFAULT_SCRATCH: &str = "conformance";

/// Why the conformance run itself could not go on (a failing spec is not an error: it is reported).
#[derive(Debug, thiserror::Error)]
pub enum ConformanceError {
    /// A path on the command line cannot be read.
    #[error("{}: {source}", path.display())]
    Input {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A folder on the command line holds no spec.
    #[error("{}: no .yaml, .yml or .json file in this folder", path.display())]
    EmptyFolder {
        /// The folder as given.
        path: PathBuf,
    },
    /// No path was given.
    #[error("no spec file or folder given")]
    NoSpecs,
    /// Reading or writing the scratch crate failed.
    #[error(transparent)]
    Codegen(#[from] CodegenError),
    /// The examples could not be written for the checker.
    #[error("cannot write the examples for the checker: {0}")]
    Json(#[from] serde_json::Error),
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scratch crate's folder name under `<target>/scratch/` (tests use their own).
    pub scratch_name: String,
    /// Generate with `examples: strict`, so examples that disagree with their schema fail instead of
    /// widening the types: how a spec author checks that the examples match the schema.
    pub strict_examples: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { scratch_name: DEFAULT_SCRATCH.to_owned(), strict_examples: false }
    }
}

/// A spec that generated, waiting for its build.
struct Candidate {
    spec_file: String,
    generated: GeneratedModule,
    skipped_invalid: usize,
}

/// Checks the specs named by `inputs` in a scratch copy of the generated crate of the workspace at
/// `root`. `progress` hears about the slow steps as they start.
///
/// # Errors
///
/// When the inputs cannot be listed, or the scratch crate cannot be written. A spec that does not
/// generate, build or round-trip is a failure in the [`Report`], not an error.
pub fn run(
    root: &Path,
    inputs: &[PathBuf],
    options: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, ConformanceError> {
    let started = Instant::now();
    let paths = spec_paths(inputs)?;
    let mut taken = hand_written_modules();
    let mut outcomes: Vec<Option<SpecOutcome>> = Vec::with_capacity(paths.len());
    let mut labels = Vec::with_capacity(paths.len());
    let mut candidates: Vec<(usize, Candidate)> = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let label = path.display().to_string();
        labels.push(label.clone());
        match generate(path, &label, options.strict_examples, &mut taken) {
            Ok(generated) => {
                let skipped_invalid = generated
                    .module
                    .events
                    .iter()
                    .flat_map(|event| &event.skipped_examples)
                    .filter(|skipped| skipped.reason == webhook_codegen::SkipReason::NotJson)
                    .count();
                candidates.push((index, Candidate { spec_file: label, generated, skipped_invalid }));
                outcomes.push(None);
            }
            Err(message) => outcomes.push(Some(SpecOutcome::NotGenerated(message))),
        }
    }
    let mut timings = Timings { generate: started.elapsed(), ..Timings::default() };
    let mut notes = Vec::new();
    if !candidates.is_empty() {
        let specs: Vec<&Candidate> = candidates.iter().map(|(_, candidate)| candidate).collect();
        let checked = check_candidates(root, options, &specs, &mut timings, &mut notes, progress)?;
        for ((index, _), checked) in candidates.iter().zip(checked) {
            if let Some(slot) = outcomes.get_mut(*index) {
                *slot = Some(SpecOutcome::Generated(Box::new(checked)));
            }
        }
    }
    let specs = labels
        .into_iter()
        .zip(outcomes)
        .map(|(spec_file, outcome)| SpecResult {
            spec_file,
            outcome: outcome.unwrap_or_else(|| SpecOutcome::NotGenerated("not checked".to_owned())),
        })
        .collect();
    timings.total = started.elapsed();
    Ok(Report { specs, notes, timings })
}

/// Generates one spec under a module name no earlier spec (nor a hand-written file of the crate) has:
/// `name`, else `name_2`, `name_3`... The error message names the file and the JSON pointer.
fn generate(path: &Path, label: &str, strict: bool, taken: &mut HashSet<String>) -> Result<GeneratedModule, String> {
    let mut config = codegen::read_settings(path, label).map_err(|err| err.to_string())?;
    if strict {
        config.examples = webhook_codegen::ExamplePolicy::Strict;
    }
    let generate = |config: &webhook_codegen::SpecConfig| -> Result<GeneratedModule, String> {
        let mut generated = codegen::builder()
            .spec_with_settings(path, config.clone())
            .generate_in_memory()
            .map_err(|err| err.to_string())?;
        Ok(generated.modules.remove(0))
    };
    let mut generated = generate(&config)?;
    if taken.contains(&generated.module.name) {
        let base = generated.module.name.clone();
        let mut number = 2;
        while taken.contains(&format!("{base}_{number}")) {
            number += 1;
        }
        config.module = Some(format!("{base}_{number}"));
        generated = generate(&config)?;
    }
    taken.insert(generated.module.name.clone());
    Ok(generated)
}

/// Module names a spec module must not take: the crate's hand-written file, its module list, and the
/// names the crate root re-exports from the runtime.
fn hand_written_modules() -> HashSet<String> {
    let mut names: HashSet<String> = ["lib", "main", "axum", "signature"].into_iter().map(str::to_owned).collect();
    for file in [INDEX_FILE, HAND_WRITTEN_FILE] {
        if let Some(stem) = file.strip_suffix(".rs") {
            names.insert(stem.to_owned());
        }
    }
    names
}

/// Builds all candidates in one scratch crate. When that fails, the specs whose module files the
/// diagnostics point into are failed with those diagnostics and the others are built together again;
/// when a failure points at no spec module, each remaining spec is built alone. One result per candidate.
fn check_candidates(
    root: &Path,
    options: &Options,
    specs: &[&Candidate],
    timings: &mut Timings,
    notes: &mut Vec<String>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Checked>, ConformanceError> {
    let base = crate::scratch::scratch_base(root);
    let mut results: Vec<Option<Checked>> = specs.iter().map(|_| None).collect();
    let mut remaining: Vec<usize> = (0..specs.len()).collect();
    let mut round = 1;
    let unattributed = loop {
        let group: Vec<&Candidate> = remaining.iter().filter_map(|&index| specs.get(index).copied()).collect();
        let name = if round == 1 { options.scratch_name.clone() } else { format!("{}-{round}", options.scratch_name) };
        let scope = match (group.len(), round) {
            (1, _) => "1 spec".to_owned(),
            (2, 1) => "both specs".to_owned(),
            (count, 1) => format!("all {count} specs"),
            (count, _) => format!("the other {count} specs"),
        };
        progress(&format!("building {scope} in {} (clippy, rustdoc, example checker)", base.join(&name).display()));
        let failure = match build_and_check(root, &name, &group, &scope, timings)? {
            BuildRun::Checked(all) => {
                let mut all = all.into_iter();
                for (&index, spec) in remaining.iter().zip(&group) {
                    let examples = example_results(spec, &mut all);
                    set(&mut results, index, checked(spec, &base.join(&name), None, Some(examples)));
                }
                break None;
            }
            BuildRun::Failed(failure) => failure,
        };
        let blamed: Vec<usize> = remaining
            .iter()
            .zip(&group)
            .filter(|(_, spec)| failure.stderr.contains(&module_file(spec)))
            .map(|(&index, _)| index)
            .collect();
        if blamed.is_empty() {
            match (remaining.as_slice(), group.as_slice()) {
                ([index], [spec]) => {
                    let diagnostics = first_diagnostics(&failure.stderr, None);
                    set(
                        &mut results,
                        *index,
                        checked(spec, &base.join(&name), Some(failure.into_build(diagnostics)), None),
                    );
                    break None;
                }
                _ => break Some(failure),
            }
        }
        for (&index, spec) in remaining.iter().zip(&group) {
            if blamed.contains(&index) {
                let diagnostics = first_diagnostics(&failure.stderr, Some(&module_file(spec)));
                set(
                    &mut results,
                    index,
                    checked(spec, &base.join(&name), Some(failure.clone().into_build(diagnostics)), None),
                );
            }
        }
        remaining.retain(|index| !blamed.contains(index));
        if remaining.is_empty() {
            break None;
        }
        progress(&format!("{} failed in {} of the specs", failure.step, blamed.len()));
        round += 1;
    };
    if let Some(failure) = unattributed {
        progress(&format!("{} failed outside the spec modules; building each spec alone", failure.step));
        let mut all_built = true;
        for index in remaining {
            let Some(spec) = specs.get(index) else { continue };
            let name = format!("{}-{}", options.scratch_name, spec.generated.module.name);
            progress(&format!("building {} in {}", spec.spec_file, base.join(&name).display()));
            let result = match build_and_check(root, &name, &[spec], &spec.spec_file, timings)? {
                BuildRun::Failed(failure) => {
                    all_built = false;
                    let diagnostics = first_diagnostics(&failure.stderr, None);
                    checked(spec, &base.join(&name), Some(failure.into_build(diagnostics)), None)
                }
                BuildRun::Checked(results) => {
                    let examples = example_results(spec, &mut results.into_iter());
                    checked(spec, &base.join(&name), None, Some(examples))
                }
            };
            set(&mut results, index, result);
        }
        if all_built {
            notes.push(format!(
                "these specs build one by one but not together in one crate; {} failed:\n    {}",
                failure.step,
                first_diagnostics(&failure.stderr, None).replace('\n', "\n    ")
            ));
        }
    }
    Ok(results
        .into_iter()
        .zip(specs)
        .map(|(result, spec)| result.unwrap_or_else(|| checked(spec, &base.join(&options.scratch_name), None, None)))
        .collect())
}

fn set(results: &mut [Option<Checked>], index: usize, checked: Checked) {
    if let Some(slot) = results.get_mut(index) {
        *slot = Some(checked);
    }
}

/// The generated module's file as diagnostics name it (`generated/src/<module>.rs:`).
fn module_file(spec: &Candidate) -> String {
    format!("{OUTPUT_DIR}/{}.rs:", spec.generated.module.name)
}

/// The results for one spec's examples, taken from the results of all examples in order.
fn example_results(spec: &Candidate, results: &mut impl Iterator<Item = Result<(), Problem>>) -> ExampleResults {
    let mut examples = ExampleResults::default();
    for event in &spec.generated.module.events {
        for example in &event.examples {
            let result = results.next().unwrap_or_else(|| Err(Problem::NotChecked("no result".to_owned())));
            match result {
                Ok(()) => examples.ok += 1,
                Err(problem) => examples.failures.push(ExampleFailure {
                    pointer: example.pointer.to_string(),
                    event: event.name.clone(),
                    problem,
                }),
            }
        }
    }
    examples
}

fn checked(spec: &Candidate, scratch: &Path, build: Option<BuildFailure>, examples: Option<ExampleResults>) -> Checked {
    let module = &spec.generated.module;
    Checked {
        module: module.name.clone(),
        output_file: scratch.join(OUTPUT_DIR).join(format!("{}.rs", module.name)).display().to_string(),
        events: module.events.len(),
        types: module.types.len(),
        warnings: spec.generated.warnings.clone(),
        skipped_invalid: spec.skipped_invalid,
        build,
        examples,
    }
}
