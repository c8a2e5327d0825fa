//! A scratch copy of the generated crate, for building modules generated from specs outside `specs/`
//! (fixtures, a user's own specs) without touching the checked-in crate.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::codegen::{CodegenError, INDEX_FILE, OUTPUT_DIR, is_generated_file};
use webhook_codegen::GeneratedModule;
use webhook_codegen::files::FileError;

/// The generated crate's folder, relative to the workspace root.
const CRATE_DIR: &str = "generated";
/// The runtime crate's folder, relative to the workspace root.
const RUNTIME_DIR: &str = "runtime";

/// The folder scratch crates go to: `scratch/` in the target folder cargo uses for the workspace at `root`
/// (`CARGO_TARGET_DIR` when it is set, relative to `root` when relative; `root/target` otherwise), so
/// nothing a build or test writes lands elsewhere in the checkout.
pub fn scratch_base(root: &Path) -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    };
    target.join("scratch")
}

/// A workspace in the target folder holding a copy of the generated crate with other modules in it.
#[derive(Debug)]
pub struct ScratchCrate {
    /// The scratch workspace root.
    pub dir: PathBuf,
    /// The target folder its builds use (shared between scratch crates so dependencies build once).
    pub target_dir: PathBuf,
}

/// The outcome of one cargo command in a scratch crate.
#[derive(Debug)]
pub struct BuildOutput {
    /// Whether cargo succeeded.
    pub success: bool,
    /// Everything cargo printed on stderr (its diagnostics).
    pub stderr: String,
    /// Everything printed on stdout (by a program that `cargo run` ran, for instance).
    pub stdout: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CodegenError + '_ {
    move |source| FileError::Io { path: path.to_owned(), source }.into()
}

impl ScratchCrate {
    /// Creates (or recreates) `<target>/scratch/<name>` (see [`scratch_base`]) from the workspace at `root`: the generated crate's
    /// hand-written files, copied as they are, with `modules` as its only spec modules (the crate's own
    /// spec modules are left out, so a scratch build compiles only what it checks).
    ///
    /// # Errors
    ///
    /// When a file cannot be read or written, or the module list cannot be generated.
    pub fn create(root: &Path, name: &str, modules: Vec<GeneratedModule>) -> Result<Self, CodegenError> {
        let base = scratch_base(root);
        let dir = base.join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        let crate_dir = dir.join(CRATE_DIR);
        copy_hand_written(&root.join(CRATE_DIR), &crate_dir)?;
        let manifest = fs::read_to_string(root.join("Cargo.toml")).map_err(io(&root.join("Cargo.toml")))?;
        let manifest = scratch_manifest(&manifest, &root.join(RUNTIME_DIR));
        fs::write(dir.join("Cargo.toml"), manifest).map_err(io(&dir))?;
        let lock = root.join("Cargo.lock");
        if lock.exists() {
            fs::copy(&lock, dir.join("Cargo.lock")).map_err(io(&lock))?;
        }
        let mut builder = crate::codegen::builder();
        builder.index_file(INDEX_FILE);
        let generated = builder.assemble(modules)?;
        builder.write_generated(&generated, &dir.join(OUTPUT_DIR))?;
        let irs: Vec<_> = generated.modules.iter().map(|generated| &generated.module).collect();
        let manifest = crate::codegen::crate_manifest(&dir, &irs)?;
        let manifest_path = dir.join(crate::codegen::MANIFEST_FILE);
        fs::write(&manifest_path, manifest).map_err(io(&manifest_path))?;
        let lib_rs = crate::codegen::crate_docs(&dir, &irs)?;
        let lib_path = dir.join(crate::codegen::LIB_FILE);
        fs::write(&lib_path, lib_rs).map_err(io(&lib_path))?;
        Ok(Self { dir, target_dir: base.join("target") })
    }

    /// The scratch copy of the generated crate (the folder holding its `Cargo.toml`).
    pub fn crate_dir(&self) -> PathBuf {
        self.dir.join(CRATE_DIR)
    }

    /// Runs `cargo <args>` in the scratch workspace, offline (dependencies come from the local cache that
    /// building this workspace filled), with `RUSTFLAGS`/`RUSTDOCFLAGS` set to deny warnings.
    ///
    /// # Errors
    ///
    /// When cargo cannot be started.
    pub fn cargo(&self, args: &[&str]) -> Result<BuildOutput, CodegenError> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .arg("--offline")
            .args(args)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("RUSTFLAGS", "-Dwarnings")
            .env("RUSTDOCFLAGS", "-Dwarnings")
            .output()
            .map_err(io(&self.dir))?;
        Ok(BuildOutput {
            success: output.status.success(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        })
    }
}

/// The workspace manifest with the generated crate as its only member, depending on the workspace's
/// runtime crate where it is (`runtime`).
fn scratch_manifest(manifest: &str, runtime: &Path) -> String {
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.lines() {
        if line.trim_start().starts_with("members") {
            out.push_str("members = [\"generated\"]\n");
        } else if line.trim_start().starts_with("webhook-runtime") {
            // TOML basic strings take `\` escapes, so the path is written as a literal string.
            out.push_str(&format!("webhook-runtime = {{ path = '{}' }}\n", runtime.display()));
        } else if line.contains("path = ") {
            // The other path dependencies of the real workspace do not exist here, and the crate uses none.
            continue;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Copies the crate folder, leaving out its generated modules (every `.rs` file of `src/` but `lib.rs`).
fn copy_hand_written(from: &Path, to: &Path) -> Result<(), CodegenError> {
    copy_folder(from, to, true)
}

fn copy_folder(from: &Path, to: &Path, crate_root: bool) -> Result<(), CodegenError> {
    fs::create_dir_all(to).map_err(io(to))?;
    for entry in fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            if entry.file_name() == "src" && crate_root {
                copy_sources(&path, &target)?;
            } else if entry.file_name() != "target" {
                copy_folder(&path, &target, false)?;
            }
            continue;
        }
        fs::copy(&path, &target).map_err(io(&path))?;
    }
    Ok(())
}

/// Copies the crate's `src/` but its generated files.
fn copy_sources(from: &Path, to: &Path) -> Result<(), CodegenError> {
    fs::create_dir_all(to).map_err(io(to))?;
    for entry in fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        if path.is_file() && !is_generated_file(&entry.file_name()) {
            fs::copy(&path, to.join(entry.file_name())).map_err(io(&path))?;
        }
    }
    Ok(())
}
