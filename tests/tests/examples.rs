//! Every example in every spec parses into its event's type and serializes back to the same JSON.

use pipeline_tests::{body_of, corpus_dir, workspace_root};
use zoom_webhooks::AnyEvent;

/// Tokio's worker threads have 2 MiB of stack; every delivery parses in that, in a debug build too,
/// whatever the test threads get (`RUST_MIN_STACK`).
const WORKER_STACK: usize = 2 * 1024 * 1024;

#[test]
fn every_spec_example_round_trips() {
    let parser = std::thread::Builder::new().stack_size(WORKER_STACK).spawn(every_spec_example_round_trips_here);
    parser.expect("spawn").join().expect("every example round-trips on a 2 MiB stack");
}

fn every_spec_example_round_trips_here() {
    let root = workspace_root();
    let mut checked = 0;
    let specs = xtask::codegen::spec_files(&root).expect("specs/ is readable");
    for path in &specs {
        let label = path.display().to_string();
        let generated = xtask::codegen::generate_file(path).expect("spec generates");
        for event in &generated.module.events {
            // An example that is not JSON at all is skipped (with a warning); every webhook has one or the other.
            assert!(
                !event.examples.is_empty() || !event.skipped_examples.is_empty(),
                "{label}: `{}` has no example",
                event.name
            );
            for example in &event.examples {
                let body = body_of(&example.value);
                let parsed = AnyEvent::from_named(&event.name, &body)
                    .unwrap_or_else(|err| panic!("{label}#{}: {err}", example.pointer));
                assert_eq!(parsed.module(), Some(generated.module.name.as_str()), "{label}#{}", example.pointer);
                assert_eq!(parsed.name(), event.name);
                let written = serde_json::to_value(&parsed).expect("serializes");
                assert_eq!(written, example.value, "{label}#{}", example.pointer);
                checked += 1;
            }
        }
    }
    assert_eq!(specs.len(), 26, "{specs:?}");
    // 583 webhooks: all 11 Calendar examples are not JSON (skipped), every other webhook has one example.
    assert_eq!(checked, 572);
}

#[test]
fn zoom_published_number_management_examples_round_trip() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("skipped: ../shared/corpus is not there");
        return;
    };
    let path = corpus.join("zoom/number-management.json");
    let bytes = std::fs::read(&path).expect("corpus file is readable");
    let loaded = webhook_codegen::load("number-management.json", &bytes).expect("Zoom's document loads");
    let mut checked = 0;
    for webhook in &loaded.document.webhooks {
        let body_examples = webhook.operation.body.as_ref().map(|body| body.examples.as_slice()).unwrap_or_default();
        for example in body_examples {
            let body = body_of(&example.value);
            let parsed = zoom_webhooks::number_management::Event::from_named(&webhook.name, &body)
                .unwrap_or_else(|err| panic!("{}: {err}", example.pointer));
            assert!(!matches!(parsed, zoom_webhooks::number_management::Event::Unknown(_)));
            assert_eq!(serde_json::to_value(&parsed).expect("serializes"), example.value);
            // The example names its own event, so body-based parsing gives the same result.
            assert_eq!(zoom_webhooks::number_management::Event::from_slice(&body).expect("parses"), parsed);
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
}
