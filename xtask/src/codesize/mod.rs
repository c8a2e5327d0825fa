//! `cargo xtask codesize [DIR|FILE]...`: what the generated crate costs to compile, for the whole crate and
//! for each spec module (area) alone: generated lines, named types, and the time a clean debug
//! `cargo build` of the crate takes with its dependencies already built, as wall time and as the CPU time
//! (user + system) cargo and the compiler used. All builds run in the same scratch crate, one after
//! another, so the times compare with each other; CPU time varies much less than wall time when other
//! work shares the machine.
//!
//! With `--baseline <rev>` it compares instead (`compare.rs`): the generated crate of an earlier commit
//! against this checkout's, each built clean in debug, checked, and built in release, one after the other.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use webhook_codegen::GeneratedModule;

use crate::codegen::{self, CodegenError};

pub mod compare;
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
    pub build: BuildTime,
}

/// What one build took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuildTime {
    /// Wall-clock time.
    pub wall: Duration,
    /// User plus system CPU time of cargo and the processes it ran, where the platform reports it.
    pub cpu: Option<Duration>,
}

/// The measurement.
#[derive(Debug)]
pub struct Codesize {
    /// Every module, default features on.
    pub all: Size,
    /// No spec module at all: what the hand-written runtime alone costs.
    pub runtime_only: BuildTime,
    /// Each module alone (`--no-default-features --features <module>`), in spec file order.
    pub areas: Vec<Size>,
}

impl Codesize {
    /// The largest build time of a single module, as a share of the build with every module: by wall
    /// time, and by CPU time when it was measured.
    pub fn largest_area_share(&self) -> (f64, Option<f64>) {
        let wall = |time: BuildTime| Some(time.wall);
        let cpu = |time: BuildTime| time.cpu;
        let largest = |of: &dyn Fn(BuildTime) -> Option<Duration>| {
            let all = of(self.all.build)?.as_secs_f64();
            let mut largest = 0.0_f64;
            for area in &self.areas {
                largest = largest.max(of(area.build)?.as_secs_f64());
            }
            Some(if all > 0.0 { largest / all } else { 0.0 })
        };
        (largest(&wall).unwrap_or(0.0), largest(&cpu))
    }

    /// The report as printed by the command: one row for the whole crate, one without any module, one per
    /// module, each with its build time (wall and CPU) as a share of the whole crate's.
    pub fn render(&self) -> String {
        let seconds =
            |time: Option<Duration>| time.map_or_else(|| "-".to_owned(), |time| format!("{:.1}s", time.as_secs_f64()));
        let share = |time: Option<Duration>, all: Option<Duration>| match (time, all) {
            (Some(time), Some(all)) if !all.is_zero() => {
                format!("{:.1}%", time.as_secs_f64() / all.as_secs_f64() * 100.0)
            }
            _ => "-".to_owned(),
        };
        let all = self.all.build;
        let row = |label: &str, events: String, lines: String, types: String, time: BuildTime| {
            format!(
                "{label:<28}{events:>8}{lines:>10}{types:>8}{:>10}{:>10}{:>10}{:>10}\n",
                seconds(Some(time.wall)),
                share(Some(time.wall), Some(all.wall)),
                seconds(time.cpu),
                share(time.cpu, all.cpu),
            )
        };
        let size_row = |size: &Size| {
            row(&size.label, size.events.to_string(), size.lines.to_string(), size.types.to_string(), size.build)
        };
        let mut text = format!(
            "{} spec modules, {} webhooks; cargo build --lib of the generated crate (clean, debug, dependencies built);\n\
             wall time, and CPU time (user + system) of cargo and the compiler\n\n",
            self.areas.len(),
            self.all.events
        );
        text.push_str(&format!(
            "{:<28}{:>8}{:>10}{:>8}{:>10}{:>10}{:>10}{:>10}\n",
            "features", "events", "lines", "types", "build", "of all", "cpu", "of all"
        ));
        text.push_str(&size_row(&self.all));
        text.push_str(&row("none (runtime only)", "0".into(), "0".into(), "0".into(), self.runtime_only));
        for area in &self.areas {
            text.push_str(&size_row(area));
        }
        let (wall, cpu) = self.largest_area_share();
        text.push_str(&format!("\nlargest single module: {:.1}% of the build with every module", wall * 100.0));
        if let Some(cpu) = cpu {
            text.push_str(&format!(" ({:.1}% by CPU time)", cpu * 100.0));
        }
        text.push('\n');
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
    let mut builder = codegen::builder();
    for input in inputs {
        let metadata =
            std::fs::metadata(input).map_err(|source| CodesizeError::Input { path: input.clone(), source })?;
        if metadata.is_dir() {
            builder.spec_dir(input);
        } else {
            builder.spec(input);
        }
    }
    Ok(builder.generate_in_memory()?.modules)
}

/// Lines, types and events of `modules`, not yet built.
fn size_of(label: String, modules: &[&GeneratedModule]) -> Size {
    Size {
        label,
        events: modules.iter().map(|generated| generated.module.events.len()).sum(),
        lines: modules.iter().map(|generated| generated.source.lines().count()).sum(),
        types: modules.iter().map(|generated| generated.module.types.len()).sum(),
        build: BuildTime::default(),
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
fn clean_build(scratch: &ScratchCrate, features: Features<'_>) -> Result<BuildTime, CodesizeError> {
    cargo_ok(scratch, &["clean", "-p", "zoom-webhooks"])?;
    timed(|| cargo_ok(scratch, &build_args(features)))
}

/// Runs `work` (which waits for the processes it starts) and gives the wall time and the CPU time of
/// those processes.
fn timed<E>(work: impl FnOnce() -> Result<(), E>) -> Result<BuildTime, E> {
    let cpu_before = children_cpu_time();
    let started = Instant::now();
    work()?;
    let wall = started.elapsed();
    let cpu = match (cpu_before, children_cpu_time()) {
        (Some(before), Some(after)) => after.checked_sub(before),
        _ => None,
    };
    Ok(BuildTime { wall, cpu })
}

/// The user plus system CPU time of this process's finished child processes and of the descendants
/// they waited for (cargo waits for the compilers it runs), on Linux, from `/proc/self/stat`.
fn children_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    children_cpu_time_in(&stat)
}

/// `cutime` + `cstime` of a `/proc/<pid>/stat` line (fields 16 and 17, after the parenthesized command
/// name, which may hold spaces), in the kernel's clock ticks: `USER_HZ`, 100 a second on Linux.
fn children_cpu_time_in(stat: &str) -> Option<Duration> {
    const TICKS_PER_SECOND: u64 = 100;
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    // `fields[0]` is field 3 (the state).
    let ticks = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

fn cargo_ok(scratch: &ScratchCrate, args: &[&str]) -> Result<(), CodesizeError> {
    let output = scratch.cargo(args)?;
    if output.success { Ok(()) } else { Err(CodesizeError::Build { step: args.join(" "), stderr: output.stderr }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(wall: u64, cpu: Option<u64>) -> BuildTime {
        BuildTime { wall: Duration::from_secs(wall), cpu: cpu.map(Duration::from_secs) }
    }

    fn size(label: &str, build: BuildTime) -> Size {
        Size { label: label.to_owned(), events: 2, lines: 10, types: 3, build }
    }

    fn row(cells: [&str; 8]) -> String {
        let [label, events, lines, types, build, share, cpu, cpu_share] = cells;
        format!("{label:<28}{events:>8}{lines:>10}{types:>8}{build:>10}{share:>10}{cpu:>10}{cpu_share:>10}")
    }

    #[test]
    fn the_report_gives_each_build_as_a_share_of_the_whole_crate() {
        let report = Codesize {
            all: Size { events: 4, lines: 20, types: 6, ..size("all", time(40, Some(50))) },
            runtime_only: time(2, Some(1)),
            areas: vec![size("team_chat", time(6, Some(6))), size("whiteboard", time(3, Some(4)))],
        };
        let (wall, cpu) = report.largest_area_share();
        assert!((wall - 0.15).abs() < 1e-9);
        assert!((cpu.unwrap() - 0.12).abs() < 1e-9);
        let text = report.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "2 spec modules, 4 webhooks; cargo build --lib of the generated crate (clean, debug, dependencies built);"
        );
        assert_eq!(lines[1], "wall time, and CPU time (user + system) of cargo and the compiler");
        assert_eq!(lines[3], row(["features", "events", "lines", "types", "build", "of all", "cpu", "of all"]));
        assert_eq!(lines[4], row(["all", "4", "20", "6", "40.0s", "100.0%", "50.0s", "100.0%"]));
        assert_eq!(lines[5], row(["none (runtime only)", "0", "0", "0", "2.0s", "5.0%", "1.0s", "2.0%"]));
        assert_eq!(lines[6], row(["team_chat", "2", "10", "3", "6.0s", "15.0%", "6.0s", "12.0%"]));
        assert_eq!(lines[7], row(["whiteboard", "2", "10", "3", "3.0s", "7.5%", "4.0s", "8.0%"]));
        assert_eq!(lines[9], "largest single module: 15.0% of the build with every module (12.0% by CPU time)");
    }

    #[test]
    fn without_cpu_times_the_report_shows_wall_time_alone() {
        let report = Codesize {
            all: size("all", time(40, None)),
            runtime_only: time(2, None),
            areas: vec![size("team_chat", time(6, None))],
        };
        assert_eq!(report.largest_area_share().1, None);
        let text = report.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[6], row(["team_chat", "2", "10", "3", "6.0s", "15.0%", "-", "-"]));
        assert_eq!(lines[8], "largest single module: 15.0% of the build with every module");
    }

    #[test]
    fn child_cpu_time_is_read_from_proc_stat() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        // cutime cstime ...; the command name may hold spaces and parentheses.
        let stat = "4242 (cargo xtask (x)) S 1 4242 4242 0 -1 4194560 100 200 0 0 7 3 4520 611 20 0 1 0";
        assert_eq!(children_cpu_time_in(stat), Some(Duration::from_millis(51_310)));
        assert_eq!(children_cpu_time_in("4242 (cargo) S 1 2"), None);
        assert_eq!(children_cpu_time_in("no parenthesis"), None);
        // This process's own line parses (the test runs on Linux, where the figure is used).
        if cfg!(target_os = "linux") {
            assert!(children_cpu_time().is_some());
        }
    }
}
