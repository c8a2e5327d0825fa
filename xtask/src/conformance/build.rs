//! Building a scratch copy of the generated crate with the specs' modules: clippy and rustdoc with
//! warnings denied, then the example checker; and the first diagnostics of a failed step.

use std::fs;
use std::path::Path;
use std::time::Instant;

use webhook_codegen::GeneratedModule;
use webhook_codegen::files::FileError;

use super::examples::{self, CHECKER};
use super::report::{BuildFailure, BuildTiming, Problem, Step, Timings};
use super::{Candidate, ConformanceError};
use crate::codegen::CodegenError;
use crate::scratch::ScratchCrate;

/// How many diagnostics of a failed step are kept.
const MAX_DIAGNOSTICS: usize = 3;
/// How many lines of them at most.
const MAX_DIAGNOSTIC_LINES: usize = 40;

/// The outcome of one build: the failed step, or every example's result (in input order).
pub(super) enum BuildRun {
    Failed(StepFailure),
    Checked(Vec<Result<(), Problem>>),
}

/// A failed step with everything it printed, before it is pinned on specs.
#[derive(Clone)]
pub(super) struct StepFailure {
    pub(super) step: Step,
    pub(super) stderr: String,
}

impl StepFailure {
    pub(super) fn into_build(self, diagnostics: String) -> BuildFailure {
        BuildFailure { step: self.step, diagnostics }
    }
}

/// Writes the scratch crate with `specs`, builds it and runs the checker on their examples.
pub(super) fn build_and_check(
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
        Err(CodegenError::File(FileError::Spec(err))) => {
            return Ok(BuildRun::Failed(StepFailure { step: Step::Scratch, stderr: err.to_string() }));
        }
        Err(err) => return Err(err.into()),
    };
    let checker_dir = scratch.crate_dir().join("src").join("bin").join(CHECKER);
    fs::create_dir_all(&checker_dir).map_err(io_error(&checker_dir))?;
    for (file, source) in [("main.rs", examples::CHECKER_SOURCE), ("protocol.rs", examples::PROTOCOL_SOURCE)] {
        let path = checker_dir.join(file);
        fs::write(&path, source).map_err(io_error(&path))?;
    }
    let examples_file = scratch.dir.join(examples::EXAMPLES_FILE);
    let expected = examples::write_examples(&examples_file, specs)?;
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
    let results = examples::run_checker(&scratch, &examples_file, &expected)?;
    timing.steps.push((Step::CheckerRun, started.elapsed()));
    Ok(BuildRun::Checked(results))
}

pub(super) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ConformanceError + '_ {
    move |source| ConformanceError::Codegen(FileError::Io { path: path.to_owned(), source }.into())
}

fn copy_module(generated: &GeneratedModule) -> GeneratedModule {
    GeneratedModule {
        module: generated.module.clone(),
        source: generated.source.clone(),
        warnings: generated.warnings.clone(),
    }
}

/// The first `MAX_DIAGNOSTICS` diagnostics of cargo's stderr (without the `could not compile`
/// summaries), at most `MAX_DIAGNOSTIC_LINES` lines; with `file`, only diagnostics mentioning it. The
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

pub(super) fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

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
