//! `cargo xtask codesize --baseline <rev>`: the checked-in generated crate (`zoom-webhooks` with its
//! runtime) of an earlier commit against this checkout's, in one run on one machine. Each is built clean
//! (its dependencies already built) three ways: a debug build, a check and a release build; the two builds
//! of a kind run one after the other, so their ratio holds even where absolute times drift with the load.
//!
//! The earlier commit is exported with `git archive` into the scratch folder and built there as its own
//! workspace; this checkout is built where it is. Both use one target folder, so the dependencies they
//! share build once.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{BuildTime, CodesizeError, timed};
use crate::scratch::scratch_base;

/// The scratch folder of the comparison: the exported commit and the shared target folder.
const SCRATCH_NAME: &str = "codesize-baseline";

/// The package measured.
const PACKAGE: &str = "zoom-webhooks";

/// One of the builds compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildKind {
    /// `cargo build --lib`, debug.
    Debug,
    /// `cargo check --lib`, what an editor runs.
    Check,
    /// `cargo build --lib --release`.
    Release,
}

impl BuildKind {
    /// Every kind, in the order they run.
    pub const ALL: [Self; 3] = [Self::Debug, Self::Check, Self::Release];

    fn cargo_args(self) -> Vec<&'static str> {
        match self {
            Self::Debug => vec!["build", "--lib", "-p", PACKAGE],
            Self::Check => vec!["check", "--lib", "-p", PACKAGE],
            Self::Release => vec!["build", "--lib", "-p", PACKAGE, "--release"],
        }
    }

    fn clean_args(self) -> Vec<&'static str> {
        match self {
            Self::Debug | Self::Check => vec!["clean", "-p", PACKAGE],
            Self::Release => vec!["clean", "-p", PACKAGE, "--release"],
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Debug => "build (debug)",
            Self::Check => "check",
            Self::Release => "build --release",
        }
    }
}

/// One side of the comparison: a workspace holding the generated crate, and what its generated files hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// `baseline <rev>` or `current`.
    pub label: String,
    /// The workspace root.
    pub root: PathBuf,
    /// Webhooks listed in the modules' `EVENT_NAMES`.
    pub webhooks: usize,
    /// Lines of the generated files of `generated/src/`.
    pub lines: usize,
    /// Structs and enums declared in them.
    pub types: usize,
}

/// One kind of build of both trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compared {
    /// Which build.
    pub kind: BuildKind,
    /// The baseline's time.
    pub baseline: BuildTime,
    /// This checkout's time.
    pub current: BuildTime,
}

/// The comparison.
#[derive(Debug)]
pub struct Comparison {
    /// The earlier commit's crate.
    pub baseline: Tree,
    /// This checkout's crate.
    pub current: Tree,
    /// Each kind of build, in [`BuildKind::ALL`] order.
    pub builds: Vec<Compared>,
}

impl Comparison {
    /// The report as printed by the command: both crates' sizes, then each build's times and the ratio
    /// current / baseline by wall and by CPU time.
    pub fn render(&self) -> String {
        let mut text = format!(
            "{PACKAGE} at {} against {}: clean builds of the crate alone (dependencies built), one after the other\n\n",
            self.current.label, self.baseline.label
        );
        let _ = writeln!(text, "{:<24}{:>10}{:>10}{:>8}", "crate", "webhooks", "lines", "types");
        for tree in [&self.baseline, &self.current] {
            let _ = writeln!(text, "{:<24}{:>10}{:>10}{:>8}", tree.label, tree.webhooks, tree.lines, tree.types);
        }
        let per_webhook = |tree: &Tree, time: BuildTime| {
            time.cpu.filter(|_| tree.webhooks > 0).map(|cpu| cpu.as_secs_f64() * 1000.0 / tree.webhooks as f64)
        };
        text.push('\n');
        let _ = writeln!(
            text,
            "{:<18}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>16}",
            "build", "base wall", "base cpu", "wall", "cpu", "wall x", "cpu x", "cpu/webhook x"
        );
        for build in &self.builds {
            let ratio = |current: Option<f64>, baseline: Option<f64>| match (current, baseline) {
                (Some(current), Some(baseline)) if baseline > 0.0 => format!("{:.2}", current / baseline),
                _ => "-".to_owned(),
            };
            let secs = |time: Option<std::time::Duration>| time.map(|time| time.as_secs_f64());
            let _ = writeln!(
                text,
                "{:<18}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>16}",
                build.kind.label(),
                seconds(secs(Some(build.baseline.wall))),
                seconds(secs(build.baseline.cpu)),
                seconds(secs(Some(build.current.wall))),
                seconds(secs(build.current.cpu)),
                ratio(secs(Some(build.current.wall)), secs(Some(build.baseline.wall))),
                ratio(secs(build.current.cpu), secs(build.baseline.cpu)),
                ratio(per_webhook(&self.current, build.current), per_webhook(&self.baseline, build.baseline)),
            );
        }
        text.push_str("\nx: current / baseline; below 1.00 the current crate builds faster\n");
        text
    }
}

fn seconds(time: Option<f64>) -> String {
    time.map_or_else(|| "-".to_owned(), |time| format!("{time:.1}s"))
}

/// Compares the generated crate at `rev` with the one of the checkout at `root`.
///
/// # Errors
///
/// When `rev` is not a commit, the export fails, or a build fails.
pub fn run(root: &Path, rev: &str, progress: &mut dyn FnMut(&str)) -> Result<Comparison, CodesizeError> {
    let base = scratch_base(root).join(SCRATCH_NAME);
    let commit = git(root, &["rev-parse", "--verify", &format!("{rev}^{{commit}}")])?;
    let commit = commit.trim();
    let short = commit.get(..10).unwrap_or(commit);
    let exported = base.join(short);
    progress(&format!("exporting {rev} ({short}) to {}", exported.display()));
    export(root, commit, &exported)?;
    let target = base.join("target");
    let baseline = measure_tree(format!("baseline {rev}"), &exported)?;
    let current = measure_tree("current".to_owned(), root)?;
    let mut builds = Vec::with_capacity(BuildKind::ALL.len());
    for kind in BuildKind::ALL {
        for tree in [&baseline, &current] {
            progress(&format!("{}: building the dependencies of {}", kind.label(), tree.label));
            cargo_ok(&tree.root, &target, &kind.cargo_args())?;
        }
        let mut time = |tree: &Tree| {
            progress(&format!("{}: {}", kind.label(), tree.label));
            cargo_ok(&tree.root, &target, &kind.clean_args())?;
            timed(|| cargo_ok(&tree.root, &target, &kind.cargo_args()))
        };
        let baseline_time = time(&baseline)?;
        let current_time = time(&current)?;
        builds.push(Compared { kind, baseline: baseline_time, current: current_time });
    }
    Ok(Comparison { baseline, current, builds })
}

/// The commit's files, as `git archive` gives them, in a fresh `to`.
fn export(root: &Path, commit: &str, to: &Path) -> Result<(), CodesizeError> {
    let io = |source| CodesizeError::Input { path: to.to_owned(), source };
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(io)?;
    }
    std::fs::create_dir_all(to).map_err(io)?;
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", commit])
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(io)?;
    let stdout = archive
        .stdout
        .take()
        .ok_or_else(|| CodesizeError::Build { step: "git archive".to_owned(), stderr: "no output".to_owned() })?;
    let untar = Command::new("tar").args(["-x", "-f", "-"]).current_dir(to).stdin(stdout).output().map_err(io)?;
    let archived = archive.wait().map_err(io)?;
    if !archived.success() || !untar.status.success() {
        return Err(CodesizeError::Build {
            step: format!("git archive {commit} | tar -x"),
            stderr: String::from_utf8_lossy(&untar.stderr).into_owned(),
        });
    }
    Ok(())
}

/// What the generated files of the workspace at `root` hold.
fn measure_tree(label: String, root: &Path) -> Result<Tree, CodesizeError> {
    let dir = root.join(crate::codegen::OUTPUT_DIR);
    let io = |source| CodesizeError::Input { path: dir.clone(), source };
    let mut entries: Vec<_> = std::fs::read_dir(&dir).map_err(io)?.collect::<Result<_, _>>().map_err(io)?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let (mut webhooks, mut lines, mut types) = (0, 0, 0);
    for entry in entries {
        if !crate::codegen::is_generated_file(&entry.file_name()) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())
            .map_err(|source| CodesizeError::Input { path: entry.path(), source })?;
        let counts = count_generated(&text);
        webhooks += counts.0;
        lines += counts.1;
        types += counts.2;
    }
    Ok(Tree { label, root: root.to_owned(), webhooks, lines, types })
}

/// Webhooks (the names of `EVENT_NAMES`), lines, and structs and enums of one generated file.
fn count_generated(text: &str) -> (usize, usize, usize) {
    const NAMES: &str = "EVENT_NAMES: &[&str] = &[";
    let webhooks = text.find(NAMES).map_or(0, |start| {
        let list = &text[start + NAMES.len()..];
        let list = list.find("];").map_or(list, |end| &list[..end]);
        list.matches("\",").count() + usize::from(!list.trim_end().ends_with(',') && list.contains('"'))
    });
    let types = text
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("pub struct ") || line.starts_with("pub enum "))
        .count();
    (webhooks, text.lines().count(), types)
}

fn git(root: &Path, args: &[&str]) -> Result<String, CodesizeError> {
    let output = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|source| CodesizeError::Input { path: root.to_owned(), source })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(CodesizeError::Build {
            step: format!("git {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// `cargo <args>` in the workspace at `root` with the shared target folder. Unlike the scratch crate's
/// builds, warnings are not denied: the baseline was built by an older toolchain's rules.
fn cargo_ok(root: &Path, target: &Path, args: &[&str]) -> Result<(), CodesizeError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .map_err(|source| CodesizeError::Input { path: root.to_owned(), source })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(CodesizeError::Build {
            step: format!("{} (in {})", args.join(" "), root.display()),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_generated_file_gives_its_webhooks_lines_and_types() {
        let file = "// @generated\npub const EVENT_NAMES: &[&str] = &[\n    \"a.b\",\n    \"a.c\",\n];\n\
                    pub struct A {}\n    pub enum B {}\npub(crate) struct C;\n";
        assert_eq!(count_generated(file), (2, 8, 2));
        let short = "pub const EVENT_NAMES: &[&str] = &[\"only.one\"];\npub struct A;\n";
        assert_eq!(count_generated(short), (1, 2, 1));
        assert_eq!(count_generated("pub const EVENT_NAMES: &[&str] = &[];\n"), (0, 1, 0));
        assert_eq!(count_generated("no list\n"), (0, 1, 0));
    }

    #[test]
    fn the_report_gives_each_build_with_its_ratios() {
        let tree = |label: &str, webhooks| Tree {
            label: label.to_owned(),
            root: PathBuf::new(),
            webhooks,
            lines: 10,
            types: 2,
        };
        let time = |wall, cpu| BuildTime { wall: Duration::from_secs(wall), cpu: Some(Duration::from_secs(cpu)) };
        let comparison = Comparison {
            baseline: tree("baseline main", 100),
            current: tree("current", 200),
            builds: vec![
                Compared { kind: BuildKind::Debug, baseline: time(80, 100), current: time(60, 50) },
                Compared {
                    kind: BuildKind::Check,
                    baseline: time(40, 40),
                    current: BuildTime { wall: Duration::from_secs(20), cpu: None },
                },
            ],
        };
        let text = comparison.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], format!("{:<24}{:>10}{:>10}{:>8}", "crate", "webhooks", "lines", "types"));
        assert_eq!(lines[3], format!("{:<24}{:>10}{:>10}{:>8}", "baseline main", 100, 10, 2));
        let row = |cells: [&str; 8]| {
            let [a, b, c, d, e, f, g, h] = cells;
            format!("{a:<18}{b:>10}{c:>10}{d:>10}{e:>10}{f:>10}{g:>10}{h:>16}")
        };
        assert_eq!(lines[7], row(["build (debug)", "80.0s", "100.0s", "60.0s", "50.0s", "0.75", "0.50", "0.25"]));
        assert_eq!(lines[8], row(["check", "40.0s", "40.0s", "20.0s", "-", "0.50", "-", "-"]));
    }
}
