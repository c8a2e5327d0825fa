//! The OpenAPI 3.1 pass/fail fixtures: every document either generates or fails with a clear message
//! naming the file and the JSON pointer; none panics. Documents in `pass` that have webhooks generate.

use std::path::PathBuf;

use pipeline_tests::corpus_dir;

fn fixtures(folder: &str) -> Vec<PathBuf> {
    let Some(corpus) = corpus_dir() else { return Vec::new() };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus.join("oai-fixtures").join(folder))
        .map(|entries| entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

fn label(path: &std::path::Path) -> String {
    format!("oai/{}", path.file_name().unwrap_or_default().to_string_lossy())
}

#[test]
fn failing_documents_generate_or_name_file_and_pointer() {
    let mut seen = 0;
    for folder in ["fail", "pr4781-fail"] {
        for path in fixtures(folder) {
            seen += 1;
            let label = label(&path);
            let bytes = std::fs::read(&path).expect("fixture is readable");
            match webhook_codegen::generate(&label, &bytes) {
                Ok(generated) => {
                    // Generating is fine; every tolerated quirk must then be reported with its pointer.
                    for warning in &generated.warnings {
                        assert!(warning.pointer.to_string().starts_with('/'), "{label}: {warning}");
                    }
                }
                Err(err) => {
                    let message = err.to_string();
                    let names_pointer = message.starts_with(&format!("{label}#/"));
                    let names_syntax = message.starts_with(&format!("{label}: not a valid"));
                    assert!(names_pointer || names_syntax, "{message}");
                }
            }
        }
    }
    if corpus_dir().is_some() {
        assert_eq!(seen, 39, "fixture count changed");
    }
}

#[test]
fn passing_documents_with_webhooks_generate() {
    let mut with_webhooks = 0;
    for path in fixtures("pass") {
        let label = label(&path);
        let bytes = std::fs::read(&path).expect("fixture is readable");
        let text = String::from_utf8_lossy(&bytes);
        let has_webhooks = text.lines().any(|line| line.starts_with("webhooks:") && line.trim() != "webhooks: {}");
        let result = webhook_codegen::generate(&label, &bytes);
        if has_webhooks {
            with_webhooks += 1;
            let generated = result.unwrap_or_else(|err| panic!("{label}: {err}"));
            assert!(!generated.module.events.is_empty(), "{label}: no events");
        }
    }
    if corpus_dir().is_some() {
        assert!(with_webhooks >= 2, "only {with_webhooks} pass documents have webhooks");
    }
}
