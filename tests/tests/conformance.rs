//! `cargo xtask conformance`, run as a library: once on the generator's fixtures (all conform), and once
//! with `strict_examples` on specs written here, one whose examples break its schema and one that does not
//! generate. Each run is one scratch build, shared by the tests below.

use std::path::PathBuf;
use std::sync::OnceLock;

use pipeline_tests::workspace_root;
use xtask::conformance::{self, Options, Problem, Report, SpecOutcome, SpecResult};

/// A spec whose schema says `count` is an integer, with examples that break it in different ways.
const BROKEN: &str = r#"openapi: 3.1.0
info:
  title: Broken examples
  version: "1"
webhooks:
  item.counted:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event, payload]
              properties:
                event:
                  type: string
                payload:
                  type: object
                  required: [count]
                  properties:
                    count:
                      type: integer
                    note:
                      type: string
            examples:
              good:
                value: {event: item.counted, payload: {count: 3}}
              string_count:
                value: {event: item.counted, payload: {count: "three"}}
              null_note:
                value: {event: item.counted, payload: {count: 3, note: null}}
              not_json:
                value: "{not json"
"#;

/// A spec the generator rejects: its payload schema is a reference to nothing.
const UNGENERATABLE: &str = r##"openapi: 3.1.0
info:
  title: Dangling reference
  version: "1"
webhooks:
  item.lost:
    post:
      requestBody:
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Missing"
"##;

const EXAMPLES: &str = "/webhooks/item.counted/post/requestBody/content/application~1json/examples";

/// The fixtures, with default settings: types widen to their examples, so every fixture conforms.
fn fixtures_report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let root = workspace_root();
        let inputs: Vec<PathBuf> = vec![root.join("generator/tests/fixtures")];
        let options = Options { scratch_name: "test-conformance".to_owned(), strict_examples: false };
        conformance::run(&root, &inputs, &options, &mut |_| {}).expect("conformance runs")
    })
}

/// The specs written here, with `strict_examples`: the schema alone decides, so broken examples fail.
fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let root = workspace_root();
        let dir = std::env::temp_dir().join(format!("webhook-conformance-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir is writable");
        std::fs::write(dir.join("broken.yaml"), BROKEN).expect("spec is written");
        std::fs::write(dir.join("dangling.yaml"), UNGENERATABLE).expect("spec is written");
        let inputs: Vec<PathBuf> = vec![dir.clone()];
        let options = Options { scratch_name: "test-conformance-strict".to_owned(), strict_examples: true };
        let report = conformance::run(&root, &inputs, &options, &mut |_| {}).expect("conformance runs");
        let _ = std::fs::remove_dir_all(&dir);
        report
    })
}

fn spec_in(report: &'static Report, name: &str) -> &'static SpecResult {
    report
        .specs
        .iter()
        .find(|spec| spec.spec_file.ends_with(name))
        .unwrap_or_else(|| panic!("no `{name}` in the report:\n{}", report.render(false)))
}

fn spec(name: &str) -> &'static SpecResult {
    spec_in(report(), name)
}

#[test]
fn generator_fixtures_conform_with_their_example_counts() {
    let report = fixtures_report();
    for (name, events, examples) in [
        ("alternatives.yaml", 1, 3),
        ("components.yaml", 2, 2),
        ("empty.yaml", 0, 0),
        ("enums.yaml", 1, 1),
        ("example_evidence.yaml", 1, 1),
        ("naming.yaml", 3, 0),
        ("nested.yaml", 2, 0),
        ("odd_types.yaml", 1, 1),
        ("optional.yaml", 1, 1),
        ("recursive.yaml", 1, 1),
        ("zoom_form.json", 2, 2),
    ] {
        let spec = spec_in(report, name);
        assert!(spec.passed(), "{name} failed:\n{}", report.render(false));
        let checked = spec.checked().expect("generated");
        assert_eq!(checked.events, events, "{name}");
        assert_eq!(checked.examples.as_ref().map(|examples| examples.ok), Some(examples), "{name}");
        let skipped = usize::from(name == "zoom_form.json");
        assert_eq!(checked.skipped_invalid, skipped, "{name}");
    }
    let table = report.table();
    let optional_row = table
        .lines()
        .find(|line| line.contains("optional.yaml"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>());
    // spec, events, types, warnings, examples ok, failed, skipped-invalid, build
    assert_eq!(
        optional_row.as_deref().and_then(|row| row.get(1..)),
        Some(&["1", "1", "2", "1", "0", "0", "ok"][..]),
        "{table}"
    );
    let rendered = report.render(false);
    assert_eq!(
        rendered.lines().last(),
        Some(format!("{} passed, 0 failed", report.specs.len()).as_str()),
        "{rendered}"
    );
    // The default output lists tolerated quirks with their pointers; `--quiet` leaves them out.
    assert!(rendered.contains("optional.yaml#/webhooks/account.updated/"), "{rendered}");
    assert!(!report.render(true).contains("  warning: "));
}

#[test]
fn a_broken_example_is_reported_with_its_pointer_and_the_field_path() {
    let spec = spec("broken.yaml");
    assert!(!spec.passed());
    let checked = spec.checked().expect("generated");
    assert!(checked.build.is_none(), "{:?}", checked.build);
    assert_eq!(checked.skipped_invalid, 1, "the example that is not JSON is skipped");
    let examples = checked.examples.as_ref().expect("examples were checked");
    assert_eq!(examples.ok, 1);
    let failures: Vec<_> =
        examples.failures.iter().map(|failure| (failure.pointer.as_str(), &failure.problem)).collect();
    match failures.as_slice() {
        [(string_count, Problem::Parse(parse)), (null_note, Problem::Mismatch(difference))] => {
            assert_eq!(*string_count, format!("{EXAMPLES}/string_count/value"));
            assert!(parse.contains("payload.count"), "{parse}");
            assert_eq!(*null_note, format!("{EXAMPLES}/null_note/value"));
            assert_eq!(difference.to_string(), "/payload/note: expected null, got absent");
        }
        other => panic!("unexpected failures: {other:?}"),
    }
    let lines = report().failure_lines();
    let expected = format!(
        "broken.yaml#{EXAMPLES}/null_note/value (event `item.counted`): re-serialized JSON differs at /payload/note: expected null, got absent"
    );
    assert!(lines.contains(&expected), "{lines}");
    assert!(
        lines.contains(&format!("broken.yaml#{EXAMPLES}/string_count/value (event `item.counted`): does not parse")),
        "{lines}"
    );
}

#[test]
fn the_strict_run_counts_both_failures() {
    let rendered = report().render(true);
    assert_eq!(rendered.lines().last(), Some("0 passed, 2 failed"), "{rendered}");
}

#[test]
fn a_spec_that_does_not_generate_fails_alone_with_file_and_pointer() {
    let spec = spec("dangling.yaml");
    let SpecOutcome::NotGenerated(error) = &spec.outcome else { panic!("generated: {:?}", spec.outcome) };
    assert!(
        error.contains("dangling.yaml#/webhooks/item.lost/post/requestBody/content/application~1json/schema"),
        "{error}"
    );
    let lines = report().failure_lines();
    assert!(lines.contains("dangling.yaml: does not generate: "), "{lines}");
}
