//! `cargo xtask codesize [DIR|FILE]...`: what the generated crate costs to compile, for the whole crate and
//! for each spec module (area) alone: generated lines, named types, and the time a clean debug
//! `cargo build` of the crate takes with its dependencies already built. All builds run in the same scratch
//! crate, one after another, so the times compare with each other.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use webhook_codegen::GeneratedModule;

use crate::codegen::{self, CodegenError};
use crate::scratch::ScratchCrate;

/// The scratch crate the builds run in.
const SCRATCH_NAME: &str = "codesize";

/// Why the measurement could not run.
#[derive(Debug, thiserror::Error)]
pub enum CodesizeError {
    /// Reading, generating or writing failed.
    #[error(transparent)]
    Codegen(#[from] CodegenError),
    /// A path given on the command line is neither a spec file nor a folder of specs.
    #[error("{}: {source}", path.display())]
    Input {
        /// The path.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The scratch crate did not build.
    #[error("cargo {step} failed in the scratch crate:\n{stderr}")]
    Build {
        /// The cargo command.
        step: String,
        /// What cargo printed.
        stderr: String,
    },
}

/// One build of the generated crate: a set of spec modules and what compiling them took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Size {
    /// What was built: `all` or the module (and feature) name.
    pub label: String,
    /// Webhooks in the modules built.
    pub events: usize,
    /// Lines of the generated spec modules built.
    pub lines: usize,
    /// Named types in them.
    pub types: usize,
    /// `cargo build --lib` of the generated crate, clean, debug, its dependencies already built.
    pub build: Duration,
}

/// The measurement.
#[derive(Debug)]
pub struct Codesize {
    /// Every module, default features on.
    pub all: Size,
    /// No spec module at all: what the hand-written runtime alone costs.
    pub runtime_only: Duration,
    /// Each module alone (`--no-default-features --features <module>`), in spec file order.
    pub areas: Vec<Size>,
}

impl Codesize {
    /// The largest build time of a single module, as a share of the build with every module.
    pub fn largest_area_share(&self) -> f64 {
        let all = self.all.build.as_secs_f64();
        let largest = self.areas.iter().map(|area| area.build.as_secs_f64()).fold(0.0, f64::max);
        if all > 0.0 { largest / all } else { 0.0 }
    }

    /// The report as printed by the command: one row for the whole crate, one without any module, one per
    /// module, each with its build time as a share of the whole crate's.
    pub fn render(&self) -> String {
        let all_seconds = self.all.build.as_secs_f64();
        let share = |build: Duration| {
            if all_seconds > 0.0 {
                format!("{:.1}%", build.as_secs_f64() / all_seconds * 100.0)
            } else {
                "-".to_owned()
            }
        };
        let row = |label: &str, events: String, lines: String, types: String, build: String, share: String| {
            format!("{label:<28}{events:>8}{lines:>10}{types:>8}{build:>10}{share:>10}\n")
        };
        let size_row = |size: &Size| {
            row(
                &size.label,
                size.events.to_string(),
                size.lines.to_string(),
                size.types.to_string(),
                format!("{:.1}s", size.build.as_secs_f64()),
                share(size.build),
            )
        };
        let mut text = format!(
            "{} spec modules, {} webhooks; cargo build --lib of the generated crate (clean, debug, dependencies built)\n\n",
            self.areas.len(),
            self.all.events
        );
        text.push_str(&row(
            "features",
            "events".into(),
            "lines".into(),
            "types".into(),
            "build".into(),
            "of all".into(),
        ));
        text.push_str(&size_row(&self.all));
        text.push_str(&row(
            "none (runtime only)",
            "0".into(),
            "0".into(),
            "0".into(),
            format!("{:.1}s", self.runtime_only.as_secs_f64()),
            share(self.runtime_only),
        ));
        for area in &self.areas {
            text.push_str(&size_row(area));
        }
        text.push_str(&format!(
            "\nlargest single module: {:.1}% of the build with every module\n",
            self.largest_area_share() * 100.0
        ));
        text
    }
}

/// Measures the specs at `inputs` (files, or folders of specs), or the workspace's `specs/` when `inputs`
/// is empty. `progress` hears what is being done.
///
/// # Errors
///
/// When a spec cannot be read or generated, or the scratch crate does not build.
pub fn run(root: &Path, inputs: &[PathBuf], progress: &mut dyn FnMut(&str)) -> Result<Codesize, CodesizeError> {
    let modules = if inputs.is_empty() { codegen::generate_specs(root)? } else { generate_inputs(inputs)? };
    let sizes: Vec<Size> =
        modules.iter().map(|generated| size_of(generated.module.name.clone(), &[generated])).collect();
    let all = size_of("all".to_owned(), &modules.iter().collect::<Vec<_>>());
    let scratch = ScratchCrate::create(root, SCRATCH_NAME, modules)?;
    // The first build brings the dependencies up to date; only the crate's own builds are timed.
    progress("building the dependencies");
    cargo_ok(&scratch, &build_args(Features::All))?;
    progress("building with every module");
    let all = Size { build: clean_build(&scratch, Features::All)?, ..all };
    progress("building with no module");
    let runtime_only = clean_build(&scratch, Features::Only(None))?;
    let mut areas = Vec::with_capacity(sizes.len());
    for size in sizes {
        progress(&format!("building with only `{}`", size.label));
        let build = clean_build(&scratch, Features::Only(Some(&size.label)))?;
        areas.push(Size { build, ..size });
    }
    Ok(Codesize { all, runtime_only, areas })
}

fn generate_inputs(inputs: &[PathBuf]) -> Result<Vec<GeneratedModule>, CodesizeError> {
    let mut paths = Vec::new();
    for input in inputs {
        let metadata =
            std::fs::metadata(input).map_err(|source| CodesizeError::Input { path: input.clone(), source })?;
        if metadata.is_dir() {
            paths.extend(codegen::spec_files_in(input)?);
        } else {
            paths.push(input.clone());
        }
    }
    let mut modules = Vec::with_capacity(paths.len());
    for path in &paths {
        modules.push(codegen::generate_file(path, &path.display().to_string())?);
    }
    Ok(modules)
}

/// Lines, types and events of `modules`, not yet built.
fn size_of(label: String, modules: &[&GeneratedModule]) -> Size {
    Size {
        label,
        events: modules.iter().map(|generated| generated.module.events.len()).sum(),
        lines: modules.iter().map(|generated| generated.source.lines().count()).sum(),
        types: modules.iter().map(|generated| generated.module.types.len()).sum(),
        build: Duration::ZERO,
    }
}

/// Which spec modules a build turns on.
#[derive(Clone, Copy)]
enum Features<'a> {
    /// The default: every module.
    All,
    /// Only this module's feature, or none.
    Only(Option<&'a str>),
}

fn build_args(features: Features<'_>) -> Vec<&str> {
    let mut args = vec!["build", "--lib", "-p", "zoom-webhooks"];
    match features {
        Features::All => {}
        Features::Only(None) => args.push("--no-default-features"),
        Features::Only(Some(module)) => args.extend(["--no-default-features", "--features", module]),
    }
    args
}

/// Removes the crate's own build output, then times building it.
fn clean_build(scratch: &ScratchCrate, features: Features<'_>) -> Result<Duration, CodesizeError> {
    cargo_ok(scratch, &["clean", "-p", "zoom-webhooks"])?;
    let started = Instant::now();
    cargo_ok(scratch, &build_args(features))?;
    Ok(started.elapsed())
}

fn cargo_ok(scratch: &ScratchCrate, args: &[&str]) -> Result<(), CodesizeError> {
    let output = scratch.cargo(args)?;
    if output.success { Ok(()) } else { Err(CodesizeError::Build { step: args.join(" "), stderr: output.stderr }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(label: &str, build: u64) -> Size {
        Size { label: label.to_owned(), events: 2, lines: 10, types: 3, build: Duration::from_secs(build) }
    }

    #[test]
    fn the_report_gives_each_build_as_a_share_of_the_whole_crate() {
        let report = Codesize {
            all: Size { events: 4, lines: 20, types: 6, ..size("all", 40) },
            runtime_only: Duration::from_secs(2),
            areas: vec![size("team_chat", 6), size("whiteboard", 3)],
        };
        assert!((report.largest_area_share() - 0.15).abs() < 1e-9);
        let text = report.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "2 spec modules, 4 webhooks; cargo build --lib of the generated crate (clean, debug, dependencies built)"
        );
        assert_eq!(lines[3], format!("{:<28}{:>8}{:>10}{:>8}{:>10}{:>10}", "all", 4, 20, 6, "40.0s", "100.0%"));
        assert_eq!(
            lines[4],
            format!("{:<28}{:>8}{:>10}{:>8}{:>10}{:>10}", "none (runtime only)", 0, 0, 0, "2.0s", "5.0%")
        );
        assert_eq!(lines[5], format!("{:<28}{:>8}{:>10}{:>8}{:>10}{:>10}", "team_chat", 2, 10, 3, "6.0s", "15.0%"));
        assert_eq!(lines[6], format!("{:<28}{:>8}{:>10}{:>8}{:>10}{:>10}", "whiteboard", 2, 10, 3, "3.0s", "7.5%"));
        assert_eq!(lines[8], "largest single module: 15.0% of the build with every module");
    }
}
