//! Templated webhook names (`fixtures/templates.yaml`): the generated module, built in a scratch crate as
//! a user's crate builds it, reads a concrete name that matches a template as that webhook, by name and
//! by the body's `event` (on both paths of `from_slice`), with exact names first.

mod scratch;

/// Parses each body by its `event` and by name and prints the variant both give, or the error.
const MAIN: &str = r##"pub mod templates;

const BODIES: &[&str] = &[
    r#"{"event":"contact.write.successful","id":"c1"}"#,
    r#"{"id":"c2","event":"company.write.successful"}"#,
    r#"{"event":"deal.write.successful","deal_id":7}"#,
    r#"{"event":".write.successful","id":"c3"}"#,
    r#"{"event":"contact.write.successful"}"#,
];

fn main() {
    for body in BODIES {
        let by_body = templates::Event::from_slice(body.as_bytes());
        let value: serde_json::Value = serde_json::from_str(body).expect("JSON");
        let name = value["event"].as_str().expect("a name");
        let by_name = templates::Event::from_named(name, body.as_bytes());
        assert_eq!(format!("{by_body:?}"), format!("{by_name:?}"), "{body}");
        match by_body {
            Ok(event) => println!("{name} -> {}", event.name()),
            Err(err) => println!("{name}: {err}"),
        }
    }
    assert!(templates::EVENT_NAMES.contains(&"{dataType}.write.successful"));
}
"##;

#[test]
fn a_concrete_name_is_read_as_the_template_it_matches() {
    let printed = scratch::run_fixture("templated-names", "templates", MAIN);
    let expected = [
        "contact.write.successful -> {dataType}.write.successful",
        "company.write.successful -> {dataType}.write.successful",
        "deal.write.successful -> deal.write.successful",
        ".write.successful -> .write.successful",
        "contact.write.successful: the `{dataType}.write.successful` payload does not match its schema at `.`: \
         missing field `id` at line 1 column 36",
    ];
    assert_eq!(printed, expected);
}
