//! What a conformance run found, and how it is printed: the table, the failures, the timing.

use std::fmt::{self, Write as _};
use std::time::Duration;

use webhook_codegen::Warning;

use crate::codegen::{self, SpecReport};

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
