//! `Event::from_slice` of a module whose discriminator values differ from its webhook names (rule 1):
//! generated into a scratch copy of the generated crate and run there. Bodies with the discriminator
//! first take the single pass, others the two-pass path; both must agree with parsing by name.

use pipeline_tests::workspace_root;
use xtask::scratch::ScratchCrate;

/// Two webhooks told apart by `type`, whose values (`batch.cancelled`) are not the webhook names.
const SPEC: &str = r#"openapi: 3.1.0
info: {title: Batches, version: "1"}
webhooks:
  batch_cancelled:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [type, id]
              properties:
                type: {const: batch.cancelled}
                id: {type: string}
  batch_completed:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [type, id, count]
              properties:
                type: {type: string, enum: [batch.completed]}
                id: {type: string}
                count: {type: integer}
"#;

/// Run in the scratch crate: parses each body (a file, one per line) with `from_slice`, checks it against `from_named` with the
/// name looked up by hand, and prints one line per body.
const CHECK: &str = r#"//! Checks `from_slice` against `from_named` on each body of a file.

use zoom_webhooks::ParseError;
use zoom_webhooks::batches::Event;

/// The reference: the first `type` read from a `serde_json::Value`, mapped to its webhook, then `from_named`.
fn by_name(body: &str) -> Result<Event, ParseError> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(ParseError::InvalidJson)?;
    let value = value.get("type").and_then(|value| value.as_str());
    let value = value.ok_or(ParseError::MissingEventName { property: "type" })?;
    let name = match value {
        "batch.cancelled" => "batch_cancelled",
        "batch.completed" => "batch_completed",
        other => other,
    };
    Event::from_named(name, body.as_bytes())
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: fixed_value_check <bodies, one per line>");
    for body in std::fs::read_to_string(path).expect("bodies").lines() {
        let parsed = Event::from_slice(body.as_bytes());
        assert_eq!(format!("{parsed:?}"), format!("{:?}", by_name(body)), "{body}");
        match parsed {
            Ok(event) => println!("{} {}", event.name(), serde_json::to_string(&event).expect("serializes")),
            Err(err) => println!("error: {err}"),
        }
    }
}
"#;

#[test]
fn fixed_values_select_their_webhook_in_one_pass_and_in_two() {
    let root = workspace_root();
    let module = webhook_codegen::generate("specs/batches.yaml", SPEC.as_bytes()).expect("spec generates");
    assert!(module.source.contains(r#""batch.cancelled" => "batch_cancelled","#), "{}", module.source);
    let scratch = ScratchCrate::create(&root, "fixed-value-dispatch", vec![module]).expect("scratch crate");
    let bin = scratch.crate_dir().join("src/bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    std::fs::write(bin.join("fixed_value_check.rs"), CHECK).expect("checker written");
    let bodies = [
        r#"{"type":"batch.cancelled","id":"b1"}"#,
        r#"{"id":"b1","type":"batch.cancelled"}"#,
        r#"{"type":"batch.completed","id":"b2","count":3}"#,
        r#"{"id":"b2","count":3,"type":"batch.completed"}"#,
        // The webhook name itself also selects it (as `from_named` reads it), keeping it as an unlisted value.
        r#"{"type":"batch_cancelled","id":"b3"}"#,
        r#"{"id":"b3","type":"batch_cancelled"}"#,
        r#"{"type":"batch\u002ecompleted","id":"b4","count":4}"#,
        r#"{"type":"batch.expired","id":"b5"}"#,
        r#"{"id":"b5","type":"batch.expired"}"#,
        r#"{"type":"batch.completed","id":"b6","count":"four"}"#,
        r#"{"id":"b6","count":"four","type":"batch.completed"}"#,
        r#"{"id":"b7"}"#,
    ];
    let input = scratch.dir.join("bodies.jsonl");
    std::fs::write(&input, bodies.join("\n") + "\n").expect("bodies written");
    let run = scratch
        .cargo(&["run", "--quiet", "--bin", "fixed_value_check", "--", &input.to_string_lossy()])
        .expect("cargo runs");
    assert!(run.success, "{}", run.stderr);
    let expected = [
        r#"batch_cancelled {"type":"batch.cancelled","id":"b1"}"#,
        r#"batch_cancelled {"type":"batch.cancelled","id":"b1"}"#,
        r#"batch_completed {"type":"batch.completed","id":"b2","count":3}"#,
        r#"batch_completed {"type":"batch.completed","id":"b2","count":3}"#,
        r#"batch_cancelled {"type":"batch_cancelled","id":"b3"}"#,
        r#"batch_cancelled {"type":"batch_cancelled","id":"b3"}"#,
        r#"batch_completed {"type":"batch.completed","id":"b4","count":4}"#,
        r#"batch.expired {"type":"batch.expired","id":"b5"}"#,
        r#"batch.expired {"id":"b5","type":"batch.expired"}"#,
        r#"error: the `batch_completed` payload does not match its schema at `count`: invalid type: string "four", expected i64 at line 1 column 50"#,
        r#"error: the `batch_completed` payload does not match its schema at `count`: invalid type: string "four", expected i64 at line 1 column 25"#,
        "error: the body has no string `type` property naming the event",
    ];
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
}
