//! Scratch crates outside this workspace, built the way a user's crate is: in `scratch/` of the target folder
//! cargo builds this test in (wherever `CARGO_TARGET_DIR` or the configuration puts it), in one target
//! folder all scratch builds share, offline with this workspace's lock file.

#![allow(dead_code)] // Each test file uses the part it needs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Where scratch crates and their shared target folder go: `scratch/` beside the `tmp/` folder cargo gives
/// integration tests in its target folder, the folder the workspace's `xtask` scratch crates use too.
fn scratch_base() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("scratch")
}

/// An empty folder `<scratch>/<name>/` with `src/` (an earlier one of that name is removed).
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = scratch_base().join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove the old scratch crate");
    }
    std::fs::create_dir_all(dir.join("src")).expect("create the scratch crate");
    dir
}

/// `Cargo.toml` for crate `name` depending on the workspace's runtime, serde and serde_json (plus
/// `extra`, more manifest text), and the workspace's lock file, so the crate builds offline with the
/// versions already fetched.
pub fn write_manifest(dir: &Path, name: &str, extra: &str) {
    let root = workspace_root();
    // An empty [workspace] keeps the crate out of this workspace, as any user's crate is.
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n\
         [dependencies]\nwebhook-runtime = {{ path = '{}' }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\
         serde_json = {{ version = \"1\", features = [\"preserve_order\"] }}\n{extra}",
        root.join("runtime").display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
}

/// `cargo <args>` in `dir`, offline, warnings denied (rustdoc's too), in the target folder the other scratch builds use.
pub fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .arg("--offline")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", scratch_base().join("target"))
        .env("RUSTFLAGS", "-Dwarnings")
        .env("RUSTDOCFLAGS", "-Dwarnings")
        .output()
        .expect("cargo runs")
}

/// Generates the fixture `generator/tests/fixtures/<fixture>.yaml` as module `<fixture>` of a fresh scratch
/// crate `name` with `main_rs`, runs it, and gives the lines it printed (panicking, with what cargo said,
/// when it does not build or run).
pub fn run_fixture(name: &str, fixture: &str, main_rs: &str) -> Vec<String> {
    let file = format!("fixtures/{fixture}.yaml");
    let spec = std::fs::read(workspace_root().join("generator/tests").join(&file)).expect("fixture");
    let module = webhook_codegen::generate(&file, &spec).expect("spec generates");
    let dir = fresh_dir(name);
    write_manifest(&dir, name, "");
    std::fs::write(dir.join("src").join(format!("{fixture}.rs")), module.source).expect("write the module");
    std::fs::write(dir.join("src/main.rs"), main_rs).expect("write main.rs");
    let output = cargo(&dir, &["run", "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the crate builds and runs:\n{stderr}");
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
}
