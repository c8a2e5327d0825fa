//! `webhook-codegen check`: a folder of deliveries with each kind of drift, a clean folder, JSON lines,
//! and every example of the workspace's specs, which generated code parses (the conformance check), checked
//! without a failure.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use webhook_codegen::check::{Checker, DifferenceKind, DriftReport};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/deliveries")
}

fn check(args: &[&Path]) -> (Option<i32>, String) {
    let Output { status, stdout, stderr } =
        Command::new(env!("CARGO_BIN_EXE_webhook-codegen")).arg("check").args(args).output().unwrap();
    assert!(stderr.is_empty(), "{}", String::from_utf8_lossy(&stderr));
    (status.code(), String::from_utf8(stdout).unwrap())
}

#[test]
fn drifted_deliveries_are_reported_per_path_with_counts_and_exit_1() {
    let (code, out) = check(&[&data().join("meetings.yaml"), &data().join("drifted")]);
    assert_eq!(code, Some(1), "{out}");
    for expected in [
        "meeting.started: 5 deliveries, 2 parsed (1 with drift), 3 failed",
        "  payload.object.topic  missing required field  2  (fails; e.g. ",
        "  payload.object.duration  wrong type  1  (fails; e.g. ",
        "03-duration-string.json: expected a 32-bit integer, got a string \"60\")",
        "  payload.object.status  unknown enum value  2  (tolerated; e.g. ",
        "  payload.object.host_email  undeclared property  1  (tolerated; e.g. ",
        "meeting.ended: 2 deliveries, 2 parsed (2 with drift), 0 failed",
        "  payload.reason  undeclared property  2  (tolerated; e.g. ",
        "ended.jsonl:1: a string \"host\")",
        "7 deliveries: 4 parsed (3 with drift), 3 failed, 0 not matched, 0 not JSON",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

#[test]
fn a_clean_folder_exits_0() {
    let (code, out) = check(&[&data().join("meetings.yaml"), &data().join("clean")]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("4 deliveries: 4 parsed (0 with drift), 0 failed, 0 not matched, 0 not JSON"), "{out}");
    assert!(!out.contains("  payload"), "{out}");
}

#[test]
fn unknown_webhooks_and_text_that_is_not_json_are_counted_and_fail() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-unmatched");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("new.jsonl"), "{\"event\":\"meeting.renamed\"}\nnot json\n").unwrap();
    let (code, out) = check(&[&data().join("meetings.yaml"), &dir.join("new.jsonl")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("  unknown webhook `meeting.renamed`  1  (e.g. "), "{out}");
    assert!(out.contains("new.jsonl:2: expected ident"), "{out}");

    // --webhook checks every delivery as that webhook, whatever its body says.
    let Output { status, stdout, .. } = Command::new(env!("CARGO_BIN_EXE_webhook-codegen"))
        .arg("check")
        .arg(data().join("meetings.yaml"))
        .arg(data().join("clean/ended.jsonl"))
        .args(["--webhook", "meeting.started"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&stdout);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("payload.object  missing required field  2"), "{out}");
}

#[test]
fn every_example_of_the_workspace_specs_parses_as_the_generated_types_do() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut checked = 0;
    for spec in webhook_codegen::files::spec_files_in(&specs).unwrap() {
        let (module, _) = webhook_codegen::files::lower_spec_file(&spec).unwrap();
        let checker = Checker::new(&module);
        for event in &module.events {
            for example in &event.examples {
                let mut report = DriftReport::new();
                report.add(&checker, Some(&event.name), &event.name, &example.value);
                // Drift the types tolerate is allowed: Zoom's examples carry enum values their schemas
                // do not list (meeting.risk_alert's `enableScreenShareHostOnly`).
                let failed = report.webhooks.values().any(|drift| drift.failed > 0);
                assert!(!failed && report.unmatched.is_empty(), "{}: {}", spec.display(), report.render());
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked} examples");
}

#[test]
fn kinds_read_as_the_report_prints_them() {
    assert_eq!(DifferenceKind::MissingField.to_string(), "missing required field");
    assert_eq!(DifferenceKind::UndeclaredProperty.to_string(), "undeclared property");
}
