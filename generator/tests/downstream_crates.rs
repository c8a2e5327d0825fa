//! The generator from a crate outside this workspace, both ways a user runs it: a `build.rs` with
//! `webhook_codegen::Builder`, and the `webhook-codegen` command writing into `src/`. Each crate depends
//! only on `webhook-runtime`, serde and serde_json, generates Svix's published webhook spec, builds with
//! warnings denied, and parses one of the spec's examples into the right variant.

mod scratch;

use std::path::{Path, PathBuf};
use std::process::Command;

use scratch::{cargo, workspace_root};

/// The spec, from the shared corpus beside the checkout.
const SPEC: &str = "standard/svix-lib-openapi.json";

/// The Svix spec, or `None` (with a note) when the shared corpus is not checked out beside the workspace.
fn spec_path() -> Option<PathBuf> {
    let path = workspace_root().join("..").join("shared").join("corpus").join(SPEC);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is not there (the shared corpus is not checked out beside the workspace)",
            path.display()
        );
        None
    }
}

/// The first example of the spec with its webhook name, from the generator's own reading of the spec.
fn first_example(spec: &Path) -> (String, serde_json::Value) {
    let bytes = std::fs::read(spec).expect("spec is readable");
    let generated = webhook_codegen::generate("specs/svix.json", &bytes).expect("the spec generates");
    generated
        .module
        .events
        .iter()
        .find_map(|event| event.examples.first().map(|example| (event.name.clone(), example.value.clone())))
        .expect("the spec has an example")
}

/// A fresh crate `name` in the scratch folder, with `build_rs` if given and `main_rs`, depending on the
/// workspace's runtime (and, for a build script, generator) by path. Its `specs/svix.json` is the spec.
fn new_crate(name: &str, spec: &Path, build_rs: Option<&str>, main_rs: &str) -> PathBuf {
    let dir = scratch::fresh_dir(name);
    std::fs::create_dir_all(dir.join("specs")).expect("create specs/");
    std::fs::copy(spec, dir.join("specs").join("svix.json")).expect("copy the spec");
    let build_dependency = match build_rs {
        Some(_) => format!(
            "\n[build-dependencies]\nwebhook-codegen = {{ path = '{}', default-features = false }}\n",
            workspace_root().join("generator").display()
        ),
        None => String::new(),
    };
    scratch::write_manifest(&dir, name, &build_dependency);
    if let Some(build_rs) = build_rs {
        std::fs::write(dir.join("build.rs"), build_rs).expect("write build.rs");
    }
    std::fs::write(dir.join("src").join("main.rs"), main_rs).expect("write main.rs");
    dir
}

/// Builds the crate, runs it on the example, and checks that it parsed into the variant of `event`.
fn parses_the_example(dir: &Path, event: &str, example: &serde_json::Value) {
    let example_file = dir.join("example.json");
    std::fs::write(&example_file, serde_json::to_vec(example).expect("JSON")).expect("write the example");
    let example_file = example_file.display().to_string();
    let output = cargo(dir, &["run", "--quiet", "--", &example_file]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the crate builds and runs:\n{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), format!("parsed {event}"), "{stderr}");
}

/// Parses the file named on the command line with the generated module and says what it became.
const MAIN_BODY: &str = r#"
fn main() {
    let Some(path) = std::env::args().nth(1) else { return };
    let Ok(body) = std::fs::read(path) else { return };
    match svix::Event::from_slice(&body) {
        Ok(svix::Event::Unknown(event)) => println!("unknown {}", event.name),
        Ok(event) => println!("parsed {}", event.name()),
        Err(err) => println!("error {err}"),
    }
}
"#;

#[test]
fn a_build_script_generates_into_out_dir() {
    let Some(spec) = spec_path() else { return };
    let (event, example) = first_example(&spec);
    let build_rs = r#"fn main() -> Result<(), Box<dyn std::error::Error>> {
    webhook_codegen::Builder::new().spec("specs/svix.json").generate()?;
    Ok(())
}
"#;
    let main_rs = format!("pub mod svix {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/svix.rs\"));\n}}\n{MAIN_BODY}");
    let dir = new_crate("downstream-build-rs", &spec, Some(build_rs), &main_rs);
    parses_the_example(&dir, &event, &example);
    // Nothing changed, so nothing runs again: the spec has no settings file, and a missing file that the
    // build script watched would make cargo rerun it (and rebuild the crate) on every build.
    let again = cargo(&dir, &["build", "--verbose"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(!stderr.contains("build-script-build`"), "the build script ran again:\n{stderr}");
    assert!(stderr.contains("Fresh downstream-build-rs"), "{stderr}");
    // With a settings file, an overlay put beside the spec later still reruns the build script.
    std::fs::write(dir.join("specs").join("svix.codegen.yaml"), "module: svix\n").expect("write the settings");
    let ran = |build: &std::process::Output| String::from_utf8_lossy(&build.stderr).contains("build-script-build`");
    assert!(ran(&cargo(&dir, &["build", "--verbose"])), "a new settings file reruns the build script");
    assert!(!ran(&cargo(&dir, &["build", "--verbose"])), "and then nothing changed");
    let overlay =
        "overlay: 1.0.0\ninfo: {title: Fixes, version: '1'}\nactions:\n  - target: $.nothing\n    remove: true\n";
    std::fs::write(dir.join("specs").join("svix.overlay.yaml"), overlay).expect("write the overlay");
    assert!(ran(&cargo(&dir, &["build", "--verbose"])), "a new overlay reruns the build script");
}

#[test]
fn the_command_writes_module_files_and_checks_them() {
    let Some(spec) = spec_path() else { return };
    let (event, example) = first_example(&spec);
    let dir = new_crate("downstream-cli", &spec, None, &format!("pub mod svix;\n{MAIN_BODY}"));
    let generate = |check: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_webhook-codegen"));
        command.current_dir(&dir).args(["generate", "specs/svix.json", "--out", "src"]);
        if check {
            command.arg("--check");
        }
        command.output().expect("webhook-codegen runs")
    };
    let written = generate(false);
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    assert!(String::from_utf8_lossy(&written.stdout).contains("specs/svix.json -> src/svix.rs: 14 events"));
    parses_the_example(&dir, &event, &example);

    let checked = generate(true);
    assert!(checked.status.success(), "up to date: {}", String::from_utf8_lossy(&checked.stderr));
    let module = dir.join("src").join("svix.rs");
    let text = std::fs::read_to_string(&module).expect("the module file");
    std::fs::write(&module, text.replace("pub struct ", "pub(crate) struct ")).expect("edit the module file");
    let drifted = generate(true);
    let stderr = String::from_utf8_lossy(&drifted.stderr);
    assert_eq!(drifted.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("-pub(crate) struct ") && stderr.contains("+pub struct "), "a diff: {stderr}");
    assert!(stderr.contains("Run `webhook-codegen generate specs/svix.json --out src`"), "{stderr}");
    // A checkout that turned line endings into CRLF is not drift.
    std::fs::write(&module, text.replace('\n', "\r\n")).expect("write CRLF");
    assert!(generate(true).status.success(), "CRLF line endings are not drift");
}

#[test]
fn a_build_script_with_a_broken_spec_prints_the_file_and_pointer() {
    let dir = scratch::fresh_dir("downstream-build-rs-broken");
    std::fs::create_dir_all(dir.join("specs")).expect("create specs/");
    let spec = "openapi: 3.1.0\ninfo: {title: Broken, version: '1'}\nwebhooks:\n  a.b:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/Missing'}\n";
    std::fs::write(dir.join("specs").join("broken.yaml"), spec).expect("write the spec");
    let build_dependency = format!(
        "\n[build-dependencies]\nwebhook-codegen = {{ path = '{}', default-features = false }}\n",
        workspace_root().join("generator").display()
    );
    scratch::write_manifest(&dir, "downstream-build-rs-broken", &build_dependency);
    // The README's pattern: the error goes back to cargo, which prints it with `{:?}`.
    let build_rs = r#"fn main() -> Result<(), Box<dyn std::error::Error>> {
    webhook_codegen::Builder::new().spec("specs/broken.yaml").generate()?;
    Ok(())
}
"#;
    std::fs::write(dir.join("build.rs"), build_rs).expect("write build.rs");
    std::fs::write(dir.join("src").join("main.rs"), "fn main() {}\n").expect("write main.rs");
    let output = cargo(&dir, &["build", "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the build fails:\n{stderr}");
    let expected = "Error: specs/broken.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema/$ref: \
                    `$ref: #/components/schemas/Missing` points to nothing in this document";
    assert!(stderr.contains(expected), "the message with file and pointer:\n{stderr}");
    assert!(!stderr.contains("Spec {") && !stderr.contains("File("), "no Debug struct:\n{stderr}");
}

#[test]
fn the_command_counts_quirks_by_kind_and_lists_each_with_verbose() {
    let dir = scratch::fresh_dir("downstream-cli-quirks");
    std::fs::create_dir_all(dir.join("specs")).expect("create specs/");
    let spec = "openapi: 3.1.0\ninfo: {title: Shop, version: '1'}\nwebhooks:\n  order.paid:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object, properties: {total: {type: long}, count: {type: long}}}\n";
    std::fs::write(dir.join("specs").join("shop.yaml"), spec).expect("write the spec");
    let run = |verbose: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_webhook-codegen"));
        command.current_dir(&dir).args(["generate", "specs/shop.yaml", "--out", "src"]);
        if verbose {
            command.arg("--verbose");
        }
        let output = command.output().expect("webhook-codegen runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let counted = run(false);
    assert!(counted.starts_with("specs/shop.yaml -> src/shop.rs: 1 events, 1 types, 2 warnings\n"), "{counted}");
    assert!(
        counted.contains("2 tolerated quirks, by kind (`--verbose` lists each with its JSON pointer):\n"),
        "{counted}"
    );
    assert!(!counted.contains("  warning: "), "{counted}");
    assert!(counted.ends_with("wrote src/shop.rs\n"), "{counted}");
    let header = std::fs::read_to_string(dir.join("src").join("shop.rs")).expect("the module file");
    assert!(header.starts_with("// @generated by webhook-codegen from specs/shop.yaml. Do not edit.\n"), "{header}");

    let listed = run(true);
    let warnings: Vec<&str> = listed.lines().filter(|line| line.starts_with("  warning: specs/shop.yaml#/")).collect();
    assert_eq!(warnings.len(), 2, "{listed}");
    assert!(!listed.contains("tolerated quirks"), "{listed}");
    assert!(!listed.contains("wrote "), "an unchanged file is not written again: {listed}");
}
