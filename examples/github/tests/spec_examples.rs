//! GitHub's whole description against the module generated from it, in the build the tests run in (debug
//! in CI), on a thread with 2 MiB of stack (tokio's worker default): every example the spec gives parses
//! into its own webhook's variant and is written back as the same JSON, and an empty body for every
//! webhook is an error where the schema requires a property, never a stack overflow that aborts the
//! process.

use example_github::github;
use serde_json::Value;

/// The spec as the crate carries it, the file `build.rs` generates from.
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/github-webhooks.json");

/// Tokio's default stack for worker threads, where a receiver parses deliveries.
const STACK: usize = 2 * 1024 * 1024;

/// One body to parse as the webhook `name`, and the JSON value it came from.
struct Delivery {
    name: String,
    value: Value,
}

/// Every webhook's name and every example, in spec order, as the generator reads them.
fn webhooks_and_examples() -> (Vec<String>, Vec<Delivery>) {
    let bytes = std::fs::read(SPEC).expect("the spec is readable");
    let loaded = webhook_codegen::load("specs/github-webhooks.json", &bytes).expect("the spec loads");
    let names = loaded.document.webhooks.iter().map(|webhook| webhook.name.clone()).collect();
    let examples = loaded
        .document
        .webhooks
        .iter()
        .flat_map(|webhook| {
            let examples = webhook.operation.body.iter().flat_map(|body| &body.examples);
            examples.map(|example| Delivery { name: webhook.name.clone(), value: example.value.clone() })
        })
        .collect();
    (names, examples)
}

/// Runs `parse` on a thread with [`STACK`] bytes of stack; a stack overflow aborts the test binary.
fn on_a_small_stack<T: Send + 'static>(parse: impl FnOnce() -> T + Send + 'static) -> T {
    let thread = std::thread::Builder::new().stack_size(STACK).spawn(parse).expect("spawn a thread");
    thread.join().expect("the parsing thread")
}

#[test]
fn the_module_has_every_webhook_of_the_spec() {
    let (names, _) = webhooks_and_examples();
    assert_eq!(names.len(), 261);
    assert_eq!(github::EVENT_NAMES, names.as_slice());
}

#[test]
fn every_example_parses_into_its_webhook_and_writes_back_the_same_json() {
    let (_, examples) = webhooks_and_examples();
    // The description gives few examples: four `check_run` deliveries, `ping` and a secret scanning
    // alert location.
    assert_eq!(examples.len(), 6);
    let problems = on_a_small_stack(move || {
        let mut problems = Vec::new();
        for Delivery { name, value } in &examples {
            let body = serde_json::to_vec(value).expect("JSON");
            match github::Event::from_named(name, &body) {
                Ok(github::Event::Unknown(_)) => problems.push(format!("{name}: unknown")),
                Ok(event) if event.name() != name => problems.push(format!("{name}: parsed as {}", event.name())),
                Ok(event) => match serde_json::to_value(&event) {
                    Ok(written) if written == *value => {}
                    Ok(written) => problems.push(format!("{name}: written back as {written}")),
                    Err(err) => problems.push(format!("{name}: not written back: {err}")),
                },
                Err(err) => problems.push(format!("{name}: {err}")),
            }
        }
        problems
    });
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn an_empty_body_fails_as_an_error_where_the_schema_requires_a_property() {
    let (names, _) = webhooks_and_examples();
    let parsed = on_a_small_stack(move || {
        names.iter().filter(|name| github::Event::from_named(name, b"{}").is_ok()).cloned().collect::<Vec<_>>()
    });
    // `ping` requires no property; the two review request webhooks are a `oneOf` without a discriminator,
    // whose enum keeps a value no alternative takes in `Other`.
    assert_eq!(parsed, ["ping", "pull-request-review-request-removed", "pull-request-review-requested"]);
}

#[test]
fn an_event_holds_no_payload_inline() {
    // Each variant boxes its payload; the largest is `Unknown`'s name and JSON body.
    let size = size_of::<github::Event>();
    assert!(size <= 128, "size_of::<Event>() is {size} bytes");
}
