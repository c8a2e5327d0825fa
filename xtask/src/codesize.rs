//! `cargo xtask codesize <DIR|FILE>...`: what deduplication does to the generated code, measured on real
//! specs: generated lines and named types with and without it, and the time `cargo build` takes to
//! compile the generated crate (clean, debug) either way, plus with a single spec module's feature on.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use webhook_codegen::GeneratedModule;

use crate::codegen::{self, CodegenError};
use crate::scratch::ScratchCrate;

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

/// One variant of the generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Lines of the generated spec modules.
    pub lines: usize,
    /// Named types in them.
    pub types: usize,
    /// `cargo build --lib` of the generated crate, its dependencies already built.
    pub build: Duration,
}

/// The measurement.
#[derive(Debug)]
pub struct Codesize {
    /// Spec files measured.
    pub specs: usize,
    /// Webhooks in them.
    pub events: usize,
    /// Without deduplication.
    pub before: Size,
    /// With it.
    pub after: Size,
    /// The module whose feature alone was built, and how long that took (deduplicated).
    pub single_module: Option<(String, Duration)>,
}

impl Codesize {
    /// The report as printed by the command.
    pub fn render(&self) -> String {
        let change = |before: f64, after: f64| {
            if before > 0.0 { format!("{:+.1}%", (after - before) / before * 100.0) } else { "-".to_owned() }
        };
        let row = |label: &str, before: String, after: String, change: String| {
            format!("{label:<40}{before:>16}{after:>14}{change:>10}\n")
        };
        let (lines, types) = ((self.before.lines, self.after.lines), (self.before.types, self.after.types));
        let build = (self.before.build.as_secs_f64(), self.after.build.as_secs_f64());
        let mut text = format!("{} specs, {} webhooks\n\n", self.specs, self.events);
        text.push_str(&row("", "without dedup".into(), "with dedup".into(), "change".into()));
        text.push_str(&row(
            "generated lines",
            lines.0.to_string(),
            lines.1.to_string(),
            change(lines.0 as f64, lines.1 as f64),
        ));
        text.push_str(&row(
            "named types",
            types.0.to_string(),
            types.1.to_string(),
            change(types.0 as f64, types.1 as f64),
        ));
        text.push_str(&row(
            "cargo build (clean crate, debug)",
            format!("{:.1}s", build.0),
            format!("{:.1}s", build.1),
            change(build.0, build.1),
        ));
        if let Some((module, took)) = &self.single_module {
            text.push_str(&format!(
                "\ncargo build with only the `{module}` feature (the largest module): {:.1}s\n",
                took.as_secs_f64()
            ));
        }
        text
    }
}

/// Measures the specs at `inputs` (files, or folders of specs). `progress` hears what is being done.
///
/// # Errors
///
/// When a spec cannot be read or generated, or the scratch crate does not build.
pub fn run(root: &Path, inputs: &[PathBuf], progress: &mut dyn FnMut(&str)) -> Result<Codesize, CodesizeError> {
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
    let generate = |deduplicate: bool| -> Result<Vec<GeneratedModule>, CodesizeError> {
        let mut modules = Vec::with_capacity(paths.len());
        for path in &paths {
            let label = path.display().to_string();
            let mut config = codegen::read_settings(path, &label)?;
            config.deduplicate = deduplicate;
            modules.push(codegen::generate_file_with(path, &label, &config)?);
        }
        Ok(modules)
    };
    let before_modules = generate(false)?;
    let after_modules = generate(true)?;
    let events = after_modules.iter().map(|generated| generated.module.events.len()).sum();
    let largest = after_modules
        .iter()
        .max_by_key(|generated| generated.source.len())
        .map(|generated| generated.module.name.clone());
    progress("building without deduplication");
    let before = measure(root, "codesize-before", before_modules, None)?;
    progress("building with deduplication");
    let after = measure(root, "codesize-after", after_modules.clone(), None)?;
    let single_module = match largest {
        Some(module) => {
            progress(&format!("building with only the `{module}` feature"));
            let size = measure(root, "codesize-after", after_modules, Some(&module))?;
            Some((module, size.build))
        }
        None => None,
    };
    Ok(Codesize { specs: paths.len(), events, before, after, single_module })
}

/// Writes the modules into a scratch crate, builds its dependencies, then times a clean build of the crate.
fn measure(root: &Path, name: &str, modules: Vec<GeneratedModule>, only: Option<&str>) -> Result<Size, CodesizeError> {
    let lines = modules.iter().map(|generated| generated.source.lines().count()).sum();
    let types = modules.iter().map(|generated| generated.module.types.len()).sum();
    let scratch = ScratchCrate::create(root, name, modules)?;
    let mut build_args = vec!["build", "--lib", "-p", "zoom-webhooks"];
    if let Some(feature) = only {
        build_args.extend(["--no-default-features", "--features", feature]);
    }
    // The first build brings the dependencies up to date; only the crate's own build is timed.
    cargo_ok(&scratch, &build_args)?;
    cargo_ok(&scratch, &["clean", "-p", "zoom-webhooks"])?;
    let started = Instant::now();
    cargo_ok(&scratch, &build_args)?;
    Ok(Size { lines, types, build: started.elapsed() })
}

fn cargo_ok(scratch: &ScratchCrate, args: &[&str]) -> Result<(), CodesizeError> {
    let output = scratch.cargo(args)?;
    if output.success { Ok(()) } else { Err(CodesizeError::Build { step: args.join(" "), stderr: output.stderr }) }
}
