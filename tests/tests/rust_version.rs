//! The declared `rust-version` holds for what users build: no dependency of the published crates (normal
//! or build dependencies, any feature) asks for a newer Rust. Our own code's use of the standard library
//! is checked against it by clippy's `incompatible_msrv` lint, which CI runs with warnings denied.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use pipeline_tests::workspace_root;
use serde_json::Value;

/// `1.85` and `1.85.0` alike, as (major, minor, patch).
fn version(text: &str) -> [u64; 3] {
    let mut parts = text.split('.').map(|part| part.parse().unwrap_or(0));
    [parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0)]
}

#[test]
fn no_dependency_needs_a_newer_rust_than_declared() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata = |offline: bool| {
        let mut command = Command::new(&cargo);
        command.args(["metadata", "--format-version", "1", "--all-features"]).current_dir(workspace_root());
        if offline {
            command.arg("--offline");
        }
        command.output().expect("cargo metadata runs")
    };
    // Every platform's dependencies are read, and a build fetches only the host's: the others (such as
    // clap's Windows console support) are fetched here the first time, from the registry.
    let mut output = metadata(true);
    if !output.status.success() {
        output = metadata(false);
    }
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| Some((package["id"].as_str()?, package)))
        .collect();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .filter_map(|node| Some((node["id"].as_str()?, node)))
        .collect();
    for name in ["webhook-runtime", "webhook-codegen", "zoom-webhooks"] {
        let (root, package) = packages.iter().find(|(_, package)| package["name"] == name).expect("a workspace crate");
        let declared = version(package["rust_version"].as_str().expect("rust-version is declared"));
        let mut seen = BTreeSet::new();
        let mut stack = vec![*root];
        while let Some(id) = stack.pop() {
            for dependency in nodes[id]["deps"].as_array().into_iter().flatten() {
                let kinds = dependency["dep_kinds"].as_array().into_iter().flatten();
                let for_users = kinds.clone().any(|kind| kind["kind"].as_str() != Some("dev"));
                let Some(dependency) = dependency["pkg"].as_str() else { continue };
                if for_users && seen.insert(dependency) {
                    stack.push(dependency);
                }
            }
        }
        for id in seen {
            let dependency = packages[id];
            if let Some(needed) = dependency["rust_version"].as_str() {
                assert!(
                    version(needed) <= declared,
                    "{name} declares rust-version {declared:?}, but its dependency {} {} needs {needed}",
                    dependency["name"],
                    dependency["version"]
                );
            }
        }
    }
}
