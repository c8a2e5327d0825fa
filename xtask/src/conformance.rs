//! `cargo xtask conformance <FILE|DIR>...`: checks that specs of one's own generate, build without
//! warnings and round-trip their examples, without touching `specs/` or the checked-in crate.
//!
//! Every spec is generated into one scratch copy of the generated crate (`target/scratch/conformance`),
//! which is built once: clippy and rustdoc with warnings denied, then an example checker
//! ([`CHECKER_SOURCE`], copied in as the binary `src/bin/conformance_check.rs`, which needs none of the
//! crate's dev-dependencies, unlike an example target) that parses every example of every
//! spec with its module's `from_named` and writes it back. When that one build fails, each spec is built
//! alone so the failure is pinned on the specs that cause it.

use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use webhook_codegen::{GeneratedModule, JsonPointer, Warning};

use crate::codegen::{self, CodegenError, INDEX_FILE, OUTPUT_DIR, SpecReport};
use crate::scratch::ScratchCrate;

/// The scratch crate's name under `target/scratch/` when none is given.
pub const DEFAULT_SCRATCH: &str = "conformance";
/// The example checker's source, written into the scratch crate as `src/bin/conformance_check.rs`.
pub const CHECKER_SOURCE: &str = include_str!("conformance_check.rs");
/// The checker's binary name in the scratch crate.
const CHECKER: &str = "conformance_check";
/// The file (in the scratch workspace) listing the examples for the checker, one JSON object a line.
const EXAMPLES_FILE: &str = "conformance-examples.jsonl";
/// How many diagnostics of a failed build are shown.
const MAX_DIAGNOSTICS: usize = 3;
/// How many lines of diagnostics are shown at most.
const MAX_DIAGNOSTIC_LINES: usize = 40;
/// How many times the checker is started again after it stopped on an example.
const MAX_CHECKER_RESTARTS: usize = 20;
/// How many characters of a JSON value a difference shows.
const MAX_VALUE_CHARS: usize = 60;

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
    /// The scratch crate's folder name under `target/scratch/` (tests use their own).
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

/// A build step in the scratch crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Writing the scratch crate (including its module list).
    Scratch,
    /// `cargo clippy --lib -- -D warnings`.
    Clippy,
    /// `cargo doc --no-deps --lib`, rustdoc warnings denied.
    Rustdoc,
    /// Compiling the example checker.
    CheckerBuild,
    /// Running the example checker.
    CheckerRun,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Scratch => "scratch crate",
            Self::Clippy => "clippy",
            Self::Rustdoc => "rustdoc",
            Self::CheckerBuild => "checker build",
            Self::CheckerRun => "checker run",
        })
    }
}

/// A failed build step and the first diagnostics it printed.
#[derive(Debug, Clone)]
pub struct BuildFailure {
    /// The step that failed.
    pub step: Step,
    /// Its first diagnostics (or the last lines of its output when it printed none).
    pub diagnostics: String,
}

/// The first place where a re-serialized example differs from the example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// JSON pointer of the differing value in the example (`/` for the whole payload).
    pub path: String,
    /// What the example has there (compact JSON, shortened), or `absent`.
    pub expected: String,
    /// What the re-serialized value has there, or `absent`.
    pub actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: expected {}, got {}", self.path, self.expected, self.actual)
    }
}

/// Why an example did not pass.
#[derive(Debug, Clone)]
pub enum Problem {
    /// `from_named` rejected it; the parse error names the failing field's path.
    Parse(String),
    /// `from_named` did not know the event and kept the body as `AnyEvent::Unknown`.
    Unknown,
    /// It parsed as another module's or another event's delivery.
    Misrouted {
        /// The module it parsed as.
        module: Option<String>,
        /// The event it parsed as.
        event: Option<String>,
    },
    /// It parsed, but writing it back gives different JSON.
    Mismatch(Difference),
    /// The checker gave no result for it.
    NotChecked(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse(error) => write!(f, "does not parse: {error}"),
            Self::Unknown => f.write_str("the module does not know this event (it parsed as `AnyEvent::Unknown`)"),
            Self::Misrouted { module, event } => write!(
                f,
                "parsed as event `{}` of module `{}`",
                event.as_deref().unwrap_or("?"),
                module.as_deref().unwrap_or("?")
            ),
            Self::Mismatch(difference) => write!(f, "re-serialized JSON differs at {difference}"),
            Self::NotChecked(reason) => write!(f, "not checked: {reason}"),
        }
    }
}

/// An example that did not pass.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    /// Where the example is in the spec.
    pub pointer: String,
    /// Its webhook.
    pub event: String,
    /// What went wrong.
    pub problem: Problem,
}

/// The example results of one spec.
#[derive(Debug, Clone, Default)]
pub struct ExampleResults {
    /// Examples that parsed and wrote back to the same JSON.
    pub ok: usize,
    /// The others, in spec order.
    pub failures: Vec<ExampleFailure>,
}

/// What became of a spec that generated.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Its module name in the scratch crate (numbered when another requested spec has the same one).
    pub module: String,
    /// Where its generated module is, for a look.
    pub output_file: String,
    /// Number of webhooks.
    pub events: usize,
    /// Number of named types.
    pub types: usize,
    /// Tolerated quirks.
    pub warnings: Vec<Warning>,
    /// Examples the generator skipped because they are strings that are not JSON.
    pub skipped_invalid: usize,
    /// The build step that failed, if one did.
    pub build: Option<BuildFailure>,
    /// The example results; `None` when the build failed before they could run.
    pub examples: Option<ExampleResults>,
}

/// The outcome for one spec.
#[derive(Debug, Clone)]
pub enum SpecOutcome {
    /// The generator (or reading the file) failed; the message names the file and JSON pointer.
    NotGenerated(String),
    /// It generated; build and example results.
    Generated(Box<Checked>),
}

/// One spec's line of the report.
#[derive(Debug, Clone)]
pub struct SpecResult {
    /// The spec file as given on the command line.
    pub spec_file: String,
    /// What became of it.
    pub outcome: SpecOutcome,
}

impl SpecResult {
    /// Whether it generated, built, and every example round-tripped.
    pub fn passed(&self) -> bool {
        match &self.outcome {
            SpecOutcome::NotGenerated(_) => false,
            SpecOutcome::Generated(checked) => {
                checked.build.is_none()
                    && checked.examples.as_ref().is_some_and(|examples| examples.failures.is_empty())
            }
        }
    }

    /// The generated spec's results, if it generated.
    pub fn checked(&self) -> Option<&Checked> {
        match &self.outcome {
            SpecOutcome::Generated(checked) => Some(checked),
            SpecOutcome::NotGenerated(_) => None,
        }
    }
}

/// How long one build took, step by step.
#[derive(Debug, Clone)]
pub struct BuildTiming {
    /// What was built: all specs together, or one spec.
    pub scope: String,
    /// The steps that ran.
    pub steps: Vec<(Step, Duration)>,
}

/// Where the time went.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Generating every spec.
    pub generate: Duration,
    /// Each build, the shared one first.
    pub builds: Vec<BuildTiming>,
    /// The whole run.
    pub total: Duration,
}

/// The outcome of a conformance run.
#[derive(Debug, Clone)]
pub struct Report {
    /// One result per spec, in the order checked.
    pub specs: Vec<SpecResult>,
    /// Things worth knowing that fail no spec (specs that build alone but not together).
    pub notes: Vec<String>,
    /// Where the time went.
    pub timings: Timings,
}

impl Report {
    /// Number of specs that passed.
    pub fn passed(&self) -> usize {
        self.specs.iter().filter(|spec| spec.passed()).count()
    }

    /// Number of specs that failed.
    pub fn failed(&self) -> usize {
        self.specs.len() - self.passed()
    }

    /// The last line: `N passed, M failed` (counting specs).
    pub fn summary_line(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }

    /// The whole report: each spec's warnings (unless `quiet`), the table, what failed, the timing and
    /// the summary line.
    pub fn render(&self, quiet: bool) -> String {
        let mut out = String::new();
        if !quiet {
            for spec in &self.specs {
                if let Some(checked) = spec.checked() {
                    out.push_str(&codegen::report_lines(&SpecReport {
                        spec_file: spec.spec_file.clone(),
                        output_file: checked.output_file.clone(),
                        events: checked.events,
                        types: checked.types,
                        warnings: checked.warnings.clone(),
                    }));
                }
            }
            out.push('\n');
        }
        out.push_str(&self.table());
        let failures = self.failure_lines();
        if !failures.is_empty() {
            out.push('\n');
            out.push_str(&failures);
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "note: {note}");
            }
        }
        out.push('\n');
        out.push_str(&self.timing_lines());
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    /// The table: one row per spec with its counts.
    pub fn table(&self) -> String {
        let header = ["spec", "events", "types", "warnings", "examples ok", "failed", "skipped-invalid", "build"];
        let mut rows = vec![header.map(str::to_owned)];
        for spec in &self.specs {
            let row = match &spec.outcome {
                SpecOutcome::NotGenerated(_) => {
                    let dash = || "-".to_owned();
                    [spec.spec_file.clone(), dash(), dash(), dash(), dash(), dash(), dash(), "not generated".to_owned()]
                }
                SpecOutcome::Generated(checked) => {
                    let (ok, failed) = match &checked.examples {
                        Some(examples) => (examples.ok.to_string(), examples.failures.len().to_string()),
                        None => ("-".to_owned(), "-".to_owned()),
                    };
                    let build = match &checked.build {
                        None => "ok".to_owned(),
                        Some(failure) => format!("FAILED ({})", failure.step),
                    };
                    [
                        spec.spec_file.clone(),
                        checked.events.to_string(),
                        checked.types.to_string(),
                        checked.warnings.len().to_string(),
                        ok,
                        failed,
                        checked.skipped_invalid.to_string(),
                        build,
                    ]
                }
            };
            rows.push(row);
        }
        let mut widths = [0; 8];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &rows {
            let mut line = String::new();
            for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
                match column {
                    0 => {
                        let _ = write!(line, "{cell:<width$}");
                    }
                    7 => {
                        let _ = write!(line, "  {cell}");
                    }
                    _ => {
                        let _ = write!(line, "  {cell:>width$}");
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// What failed, one entry per failure: the spec, and the example's JSON pointer or the build step.
    pub fn failure_lines(&self) -> String {
        let mut out = String::new();
        for spec in &self.specs {
            match &spec.outcome {
                SpecOutcome::NotGenerated(error) => {
                    let _ = writeln!(out, "FAILED {}: does not generate: {error}", spec.spec_file);
                }
                SpecOutcome::Generated(checked) => {
                    if let Some(failure) = &checked.build {
                        let _ = writeln!(out, "FAILED {}: {} failed:", spec.spec_file, failure.step);
                        for line in failure.diagnostics.lines() {
                            let _ = writeln!(out, "    {line}");
                        }
                    }
                    for failure in checked.examples.iter().flat_map(|examples| &examples.failures) {
                        let _ = writeln!(
                            out,
                            "FAILED {}#{} (event `{}`): {}",
                            spec.spec_file, failure.pointer, failure.event, failure.problem
                        );
                    }
                }
            }
        }
        out
    }

    /// `time: ...`: the total, then generation and each build with its steps, one line each.
    pub fn timing_lines(&self) -> String {
        let mut out =
            format!("time: {} total; generate {}\n", seconds(self.timings.total), seconds(self.timings.generate));
        for build in &self.timings.builds {
            let steps: Vec<String> =
                build.steps.iter().map(|(step, duration)| format!("{step} {}", seconds(*duration))).collect();
            let _ = writeln!(out, "  build of {}: {}", build.scope, steps.join(", "));
        }
        out
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// The spec files named by `inputs`: files as they are, folders as their `.yaml`, `.yml` and `.json`
/// files sorted by name. A path given twice is checked once.
///
/// # Errors
///
/// When a path does not exist or cannot be read, a folder holds no spec, or nothing is given.
pub fn spec_paths(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ConformanceError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for input in inputs {
        let metadata = fs::metadata(input).map_err(|source| ConformanceError::Input { path: input.clone(), source })?;
        let found = if metadata.is_dir() {
            let files = codegen::spec_files_in(input)?;
            if files.is_empty() {
                return Err(ConformanceError::EmptyFolder { path: input.clone() });
            }
            files
        } else {
            vec![input.clone()]
        };
        for path in found {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    if paths.is_empty() {
        return Err(ConformanceError::NoSpecs);
    }
    Ok(paths)
}

/// A spec that generated, waiting for its build.
struct Candidate {
    spec_file: String,
    generated: GeneratedModule,
    skipped_invalid: usize,
}

/// One example for the checker, as written to its input file.
#[derive(Serialize)]
struct ExampleLine<'a> {
    module: &'a str,
    event: &'a str,
    pointer: &'a str,
    value: &'a Value,
}

/// One line of the checker's output.
#[derive(Deserialize)]
struct CheckLine {
    index: usize,
    outcome: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    actual: Value,
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    event: Option<String>,
}

/// The outcome of one build: the failed step, or every example's result (in input order).
enum BuildRun {
    Failed(StepFailure),
    Checked(Vec<Result<(), Problem>>),
}

/// A failed step with everything it printed, before it is pinned on specs.
#[derive(Clone)]
struct StepFailure {
    step: Step,
    stderr: String,
}

impl StepFailure {
    fn into_build(self, diagnostics: String) -> BuildFailure {
        BuildFailure { step: self.step, diagnostics }
    }
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
    let mut taken = hand_written_modules(root)?;
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
    let mut generated = codegen::generate_file_with(path, label, &config).map_err(|err| err.to_string())?;
    if taken.contains(&generated.module.name) {
        let base = generated.module.name.clone();
        let mut number = 2;
        while taken.contains(&format!("{base}_{number}")) {
            number += 1;
        }
        generated.module.name = format!("{base}_{number}");
        generated.source = webhook_codegen::render(&generated.module).map_err(|err| err.to_string())?;
    }
    taken.insert(generated.module.name.clone());
    Ok(generated)
}

/// Module names a spec module must not take: the hand-written files of the crate and its module list.
fn hand_written_modules(root: &Path) -> Result<HashSet<String>, ConformanceError> {
    let dir = root.join(OUTPUT_DIR);
    let io = |source| ConformanceError::Codegen(CodegenError::Io { path: dir.clone(), source });
    let mut names: HashSet<String> = ["lib", "main"].into_iter().map(str::to_owned).collect();
    if let Some(index) = INDEX_FILE.strip_suffix(".rs") {
        names.insert(index.to_owned());
    }
    for entry in fs::read_dir(&dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let is_generated = fs::read_to_string(&path).is_ok_and(|text| text.starts_with("// @generated"));
        if path.extension().is_some_and(|ext| ext == "rs") && !is_generated {
            names.extend(path.file_stem().map(|stem| stem.to_string_lossy().into_owned()));
        }
    }
    Ok(names)
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
        progress(&format!("building {scope} in target/scratch/{name} (clippy, rustdoc, example checker)"));
        let failure = match build_and_check(root, &name, &group, &scope, timings)? {
            BuildRun::Checked(all) => {
                let mut all = all.into_iter();
                for (&index, spec) in remaining.iter().zip(&group) {
                    let examples = example_results(spec, &mut all);
                    set(&mut results, index, checked(spec, &name, None, Some(examples)));
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
                    set(&mut results, *index, checked(spec, &name, Some(failure.into_build(diagnostics)), None));
                    break None;
                }
                _ => break Some(failure),
            }
        }
        for (&index, spec) in remaining.iter().zip(&group) {
            if blamed.contains(&index) {
                let diagnostics = first_diagnostics(&failure.stderr, Some(&module_file(spec)));
                set(&mut results, index, checked(spec, &name, Some(failure.clone().into_build(diagnostics)), None));
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
            progress(&format!("building {} in target/scratch/{name}", spec.spec_file));
            let result = match build_and_check(root, &name, &[spec], &spec.spec_file, timings)? {
                BuildRun::Failed(failure) => {
                    all_built = false;
                    let diagnostics = first_diagnostics(&failure.stderr, None);
                    checked(spec, &name, Some(failure.into_build(diagnostics)), None)
                }
                BuildRun::Checked(results) => {
                    let examples = example_results(spec, &mut results.into_iter());
                    checked(spec, &name, None, Some(examples))
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
        .map(|(result, spec)| result.unwrap_or_else(|| checked(spec, &options.scratch_name, None, None)))
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

fn checked(spec: &Candidate, scratch: &str, build: Option<BuildFailure>, examples: Option<ExampleResults>) -> Checked {
    let module = &spec.generated.module;
    Checked {
        module: module.name.clone(),
        output_file: format!("target/scratch/{scratch}/{OUTPUT_DIR}/{}.rs", module.name),
        events: module.events.len(),
        types: module.types.len(),
        warnings: spec.generated.warnings.clone(),
        skipped_invalid: spec.skipped_invalid,
        build,
        examples,
    }
}

/// Writes the scratch crate with `specs`, builds it and runs the checker on their examples.
fn build_and_check(
    root: &Path,
    name: &str,
    specs: &[&Candidate],
    scope: &str,
    timings: &mut Timings,
) -> Result<BuildRun, ConformanceError> {
    let mut timing = BuildTiming { scope: scope.to_owned(), steps: Vec::new() };
    let result = build_steps(root, name, specs, &mut timing);
    timings.builds.push(timing);
    result
}

fn build_steps(
    root: &Path,
    name: &str,
    specs: &[&Candidate],
    timing: &mut BuildTiming,
) -> Result<BuildRun, ConformanceError> {
    let started = Instant::now();
    let modules = specs.iter().map(|spec| copy_module(&spec.generated)).collect();
    let scratch = match ScratchCrate::create(root, name, modules) {
        Ok(scratch) => scratch,
        // The module list of these specs together cannot be generated (a generator error); the build
        // falls back to one spec at a time like any other build failure.
        Err(CodegenError::Spec(err)) => {
            return Ok(BuildRun::Failed(StepFailure { step: Step::Scratch, stderr: err.to_string() }));
        }
        Err(err) => return Err(err.into()),
    };
    let bin_dir = scratch.crate_dir().join("src").join("bin");
    fs::create_dir_all(&bin_dir).map_err(io_error(&bin_dir))?;
    let checker = bin_dir.join(format!("{CHECKER}.rs"));
    fs::write(&checker, CHECKER_SOURCE).map_err(io_error(&checker))?;
    let examples_file = scratch.dir.join(EXAMPLES_FILE);
    let expected = write_examples(&examples_file, specs)?;
    timing.steps.push((Step::Scratch, started.elapsed()));

    let steps: [(Step, &[&str]); 3] = [
        (Step::Clippy, &["clippy", "--lib", "--", "-D", "warnings"]),
        (Step::Rustdoc, &["doc", "--no-deps", "--lib"]),
        (Step::CheckerBuild, &["build", "--bin", CHECKER]),
    ];
    for (step, args) in steps {
        let started = Instant::now();
        let output = scratch.cargo(args)?;
        timing.steps.push((step, started.elapsed()));
        if !output.success {
            return Ok(BuildRun::Failed(StepFailure { step, stderr: output.stderr }));
        }
    }
    let started = Instant::now();
    let results = run_checker(&scratch, &examples_file, &expected)?;
    timing.steps.push((Step::CheckerRun, started.elapsed()));
    Ok(BuildRun::Checked(results))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ConformanceError + '_ {
    move |source| ConformanceError::Codegen(CodegenError::Io { path: path.to_owned(), source })
}

fn copy_module(generated: &GeneratedModule) -> GeneratedModule {
    GeneratedModule {
        module: generated.module.clone(),
        source: generated.source.clone(),
        warnings: generated.warnings.clone(),
    }
}

/// Writes every example of `specs`, in order, one JSON object a line. Returns their values, in order.
fn write_examples<'a>(path: &Path, specs: &[&'a Candidate]) -> Result<Vec<&'a Value>, ConformanceError> {
    let mut text = String::new();
    let mut values = Vec::new();
    for spec in specs {
        let module = &spec.generated.module;
        for event in &module.events {
            for example in &event.examples {
                let pointer = example.pointer.to_string();
                let line =
                    ExampleLine { module: &module.name, event: &event.name, pointer: &pointer, value: &example.value };
                text.push_str(&serde_json::to_string(&line)?);
                text.push('\n');
                values.push(&example.value);
            }
        }
    }
    fs::write(path, text).map_err(io_error(path))?;
    Ok(values)
}

/// Runs the checker on the examples of `examples_file`, whose values are `expected`. When it stops before
/// the end (a crash on some example), that example fails with the checker's last words and the checker
/// starts again after it.
fn run_checker(
    scratch: &ScratchCrate,
    examples_file: &Path,
    expected: &[&Value],
) -> Result<Vec<Result<(), Problem>>, ConformanceError> {
    let count = expected.len();
    let mut results: Vec<Option<Result<(), Problem>>> = (0..count).map(|_| None).collect();
    let file = examples_file.to_string_lossy().into_owned();
    let mut first = 0;
    let mut restarts = 0;
    while first < count {
        let start = first.to_string();
        let output = scratch.cargo(&["run", "--quiet", "--bin", CHECKER, "--", &file, &start])?;
        read_check_lines(&output.stdout, expected, &mut results);
        if output.success {
            break;
        }
        // It stopped: the first example from `first` on without a result is where.
        let Some(stopped) = (first..count).find(|&index| results.get(index).is_some_and(Option::is_none)) else {
            break;
        };
        let reason = format!("the checker stopped on this example: {}", last_lines(&output.stderr, 5));
        if let Some(slot) = results.get_mut(stopped) {
            *slot = Some(Err(Problem::NotChecked(reason)));
        }
        first = stopped + 1;
        restarts += 1;
        if restarts > MAX_CHECKER_RESTARTS {
            break;
        }
    }
    Ok(results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(Problem::NotChecked("the checker gave no result".to_owned()))))
        .collect())
}

/// Reads the checker's output lines into `results`; mismatches are compared with the example (from
/// `expected`) again here to name the first differing path.
fn read_check_lines(stdout: &str, expected: &[&Value], results: &mut [Option<Result<(), Problem>>]) {
    for line in stdout.lines() {
        let Ok(check) = serde_json::from_str::<CheckLine>(line) else { continue };
        let result = match check.outcome.as_str() {
            "ok" => Ok(()),
            "parse_error" => Err(Problem::Parse(check.error.unwrap_or_default())),
            "unknown" => Err(Problem::Unknown),
            "misrouted" => Err(Problem::Misrouted { module: check.module, event: check.event }),
            "mismatch" => {
                let expected = expected.get(check.index).copied().unwrap_or(&Value::Null);
                let difference = first_difference(expected, &check.actual)
                    .unwrap_or_else(|| difference_at(&JsonPointer::root(), Some(expected), Some(&check.actual)));
                Err(Problem::Mismatch(difference))
            }
            other => {
                Err(Problem::NotChecked(format!("the checker says `{other}`: {}", check.error.unwrap_or_default())))
            }
        };
        if let Some(slot) = results.get_mut(check.index) {
            *slot = Some(result);
        }
    }
}

/// The first place (in document order of `expected`) where `actual` differs from `expected`.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<Difference> {
    difference_under(&JsonPointer::root(), expected, actual)
}

fn difference_under(path: &JsonPointer, expected: &Value, actual: &Value) -> Option<Difference> {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, expected_value) in expected {
                let child = path.push(key);
                match actual.get(key) {
                    None => return Some(difference_at(&child, Some(expected_value), None)),
                    Some(actual_value) => {
                        if let Some(difference) = difference_under(&child, expected_value, actual_value) {
                            return Some(difference);
                        }
                    }
                }
            }
            actual
                .iter()
                .find(|(key, _)| !expected.contains_key(*key))
                .map(|(key, actual_value)| difference_at(&path.push(key), None, Some(actual_value)))
        }
        (Value::Array(expected), Value::Array(actual)) => {
            for (index, (expected_value, actual_value)) in expected.iter().zip(actual).enumerate() {
                if let Some(difference) = difference_under(&path.index(index), expected_value, actual_value) {
                    return Some(difference);
                }
            }
            let shorter = expected.len().min(actual.len());
            (expected.len() != actual.len())
                .then(|| difference_at(&path.index(shorter), expected.get(shorter), actual.get(shorter)))
        }
        _ => (expected != actual).then(|| difference_at(path, Some(expected), Some(actual))),
    }
}

fn difference_at(path: &JsonPointer, expected: Option<&Value>, actual: Option<&Value>) -> Difference {
    Difference { path: path.to_string(), expected: short_value(expected), actual: short_value(actual) }
}

/// Compact JSON, shortened to [`MAX_VALUE_CHARS`]; `absent` for no value.
fn short_value(value: Option<&Value>) -> String {
    let Some(value) = value else { return "absent".to_owned() };
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(MAX_VALUE_CHARS).collect();
    short.push('…');
    short
}

/// The first [`MAX_DIAGNOSTICS`] diagnostics of cargo's stderr (without the `could not compile`
/// summaries), at most [`MAX_DIAGNOSTIC_LINES`] lines; with `file`, only diagnostics mentioning it. The
/// last lines of `stderr` when no diagnostic is found.
pub fn first_diagnostics(stderr: &str, file: Option<&str>) -> String {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in stderr.lines() {
        if line.starts_with("error") || line.starts_with("warning") {
            blocks.extend(current.take());
            current = Some(vec![line]);
        } else if line.trim().is_empty() {
            blocks.extend(current.take());
        } else if let Some(block) = current.as_mut() {
            block.push(line);
        }
    }
    blocks.extend(current);
    let is_summary = |block: &&Vec<&str>| {
        block.first().is_some_and(|line| {
            [
                "error: could not compile",
                "error: aborting due to",
                "warning: build failed",
                "error: process didn't exit",
            ]
            .iter()
            .any(|summary| line.starts_with(summary))
                || (line.starts_with("warning: `") && line.contains("generated"))
        })
    };
    let lines: Vec<&str> = blocks
        .iter()
        .filter(|block| !is_summary(block))
        .filter(|block| file.is_none_or(|file| block.iter().any(|line| line.contains(file))))
        .take(MAX_DIAGNOSTICS)
        .flat_map(|block| block.iter().copied())
        .take(MAX_DIAGNOSTIC_LINES)
        .collect();
    if lines.is_empty() { last_lines(stderr, 20) } else { lines.join("\n") }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_field_is_named_by_its_path() {
        let expected = json!({"event": "x", "payload": {"object": {"id": 1, "x": null}}});
        let actual = json!({"event": "x", "payload": {"object": {"id": 1}}});
        let difference = first_difference(&expected, &actual).map(|d| d.to_string());
        assert_eq!(difference.as_deref(), Some("/payload/object/x: expected null, got absent"));
    }

    #[test]
    fn extra_fields_array_items_and_number_forms_are_differences() {
        let extra = first_difference(&json!({"a": 1}), &json!({"a": 1, "b": [true]})).map(|d| d.to_string());
        assert_eq!(extra.as_deref(), Some("/b: expected absent, got [true]"));
        let item = first_difference(&json!({"a": [1, 2]}), &json!({"a": [1, 3]})).map(|d| d.to_string());
        assert_eq!(item.as_deref(), Some("/a/1: expected 2, got 3"));
        let shorter = first_difference(&json!([1, 2]), &json!([1])).map(|d| d.to_string());
        assert_eq!(shorter.as_deref(), Some("/1: expected 2, got absent"));
        let float = first_difference(&json!({"n": 1}), &json!({"n": 1.0})).map(|d| d.to_string());
        assert_eq!(float.as_deref(), Some("/n: expected 1, got 1.0"));
        let escaped = first_difference(&json!({"a/b": 1}), &json!({"a/b": 2})).map(|d| d.to_string());
        assert_eq!(escaped.as_deref(), Some("/a~1b: expected 1, got 2"));
        assert_eq!(first_difference(&json!({"a": [1]}), &json!({"a": [1]})), None);
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(200);
        let difference = first_difference(&json!(long), &json!(1)).map(|d| d.expected);
        assert!(difference.is_some_and(|text| text.ends_with('…') && text.chars().count() == MAX_VALUE_CHARS + 1));
    }

    #[test]
    fn diagnostics_skip_progress_and_summaries() {
        let stderr = "    Checking zoom-webhooks v0.1.0\n\
                      error: unused variable: `x`\n  --> generated/src/a.rs:1:5\n   |\n\n\
                      error: could not compile `zoom-webhooks` (lib) due to 1 previous error\n";
        let expected = "error: unused variable: `x`\n  --> generated/src/a.rs:1:5\n   |";
        assert_eq!(first_diagnostics(stderr, None), expected);
        assert_eq!(first_diagnostics(stderr, Some("generated/src/a.rs:")), expected);
        assert_eq!(first_diagnostics(stderr, Some("generated/src/b.rs:")), stderr.trim_end());
        assert_eq!(first_diagnostics("a\nb\n", None), "a\nb");
    }
}
