//! Objects whose schema is open (`additionalProperties: true` or a schema, or every object under the
//! spec setting `unknown_properties: keep`) keep the properties they do not declare: a delivery with
//! extra properties is parsed and written back with all of them, in order, numbers exactly as they came.
//! Generated into a scratch copy of the generated crate (which has `serde_json`'s `arbitrary_precision`)
//! and run there, through the single pass of `from_slice`, its two-pass path and `from_named`.

use pipeline_tests::workspace_root;
use xtask::scratch::ScratchCrate;

/// One webhook with open objects of every kind: any values, typed numbers, typed integers, and typed
/// objects (whose own schema says nothing about `additionalProperties`).
const SPEC: &str = r#"openapi: 3.1.0
info: {title: Devices, version: "1"}
webhooks:
  device.updated:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event, device]
              properties:
                event: {type: string}
                device:
                  type: object
                  required: [id]
                  additionalProperties: true
                  properties:
                    id: {type: string}
                readings:
                  type: object
                  additionalProperties: {type: number}
                  properties:
                    unit: {type: string}
                counters:
                  type: object
                  additionalProperties: {type: integer, format: int64}
                  properties:
                    total: {type: integer}
                sensors:
                  type: object
                  additionalProperties:
                    type: object
                    required: [value]
                    properties:
                      value: {type: integer}
                      scale: {type: number}
                  properties:
                    primary: {type: string}
"#;

/// Run in the scratch crate: parses each body (one per line) as both modules (the spec as it is, and
/// with `unknown_properties: keep`), checks that `from_slice` agrees with `from_named`, and prints what
/// each writes back (or the error).
const CHECK: &str = r#"//! Parses each body of a file as both modules and prints what each writes back.

fn main() {
    let path = std::env::args().nth(1).expect("usage: open_objects_check <bodies, one per line>");
    for body in std::fs::read_to_string(path).expect("bodies").lines() {
        let declared = zoom_webhooks::devices::Event::from_slice(body.as_bytes());
        let by_name = zoom_webhooks::devices::Event::from_named("device.updated", body.as_bytes());
        assert_eq!(format!("{declared:?}"), format!("{by_name:?}"), "{body}");
        let kept = zoom_webhooks::devices_kept::Event::from_slice(body.as_bytes());
        let kept_by_name = zoom_webhooks::devices_kept::Event::from_named("device.updated", body.as_bytes());
        assert_eq!(format!("{kept:?}"), format!("{kept_by_name:?}"), "{body}");
        for parsed in [declared.map(|event| serde_json::to_string(&event)), kept.map(|event| serde_json::to_string(&event))] {
            match parsed {
                Ok(json) => println!("{}", json.expect("serializes")),
                Err(err) => println!("error: {err}"),
            }
        }
    }
}
"#;

#[test]
fn open_objects_keep_undeclared_properties_in_order() {
    let root = workspace_root();
    let declared = webhook_codegen::generate("specs/devices.yaml", SPEC.as_bytes()).expect("spec generates");
    let settings = b"module: devices_kept\nunknown_properties: keep\n";
    let config = webhook_codegen::SpecConfig::parse("specs/devices.codegen.yaml", settings).expect("settings");
    let kept = webhook_codegen::generate_with("specs/devices.yaml", SPEC.as_bytes(), &config).expect("spec generates");
    assert!(declared.warnings.is_empty(), "{:?}", declared.warnings);
    let scratch = ScratchCrate::create(&root, "open-objects", vec![declared, kept]).expect("scratch crate");
    let bin = scratch.crate_dir().join("src/bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    std::fs::write(bin.join("open_objects_check.rs"), CHECK).expect("checker written");
    let full = concat!(
        r#"{"event":"device.updated","#,
        r#""device":{"firmware":"2.1","id":"d1","battery":87,"precise":123456789012345678901234567890,"ratio":1.10,"tags":["a",{"b":null}]},"#,
        r#""readings":{"t1":21.5,"unit":"C","t2":-0.0,"t3":12345678901234567890123,"t4":0.1000000000000000055511151231257827},"#,
        r#""counters":{"total":3,"errors":1,"min":-9223372036854775808},"#,
        r#""sensors":{"a":{"value":1,"scale":0.250,"calibrated":true},"primary":"a","b":{"value":2}},"#,
        r#""received_at":1700000000000}"#
    );
    // The same delivery with the discriminator last (the two-pass path).
    let rest = full.replacen(r#""event":"device.updated","#, "", 1);
    let event_last = format!(r#"{},"event":"device.updated"}}"#, &rest[..rest.len() - 1]);
    let bodies = [
        full.to_owned(),
        event_last,
        // A typed additional property of the wrong type, and a declared field of an open struct.
        r#"{"event":"device.updated","device":{"id":"d1"},"counters":{"total":1,"errors":"many"}}"#.to_owned(),
        r#"{"event":"device.updated","device":{"id":5,"x":1}}"#.to_owned(),
        r#"{"event":"device.updated","device":{"id":"d1"},"sensors":{"a":{"scale":1}}}"#.to_owned(),
    ];
    let input = scratch.dir.join("bodies.jsonl");
    std::fs::write(&input, bodies.join("\n") + "\n").expect("bodies written");
    let run = scratch
        .cargo(&["run", "--quiet", "--bin", "open_objects_check", "--", &input.to_string_lossy()])
        .expect("cargo runs");
    assert!(run.success, "{}", run.stderr);
    // Declared fields in declaration order, then the others in the order they came; numbers as written.
    // The payload itself says nothing about `additionalProperties`: `received_at` and `calibrated` are
    // dropped by the spec as it is, and kept with `unknown_properties: keep`.
    let declared_full = concat!(
        r#"{"event":"device.updated","#,
        r#""device":{"id":"d1","firmware":"2.1","battery":87,"precise":123456789012345678901234567890,"ratio":1.10,"tags":["a",{"b":null}]},"#,
        r#""readings":{"unit":"C","t1":21.5,"t2":-0.0,"t3":12345678901234567890123,"t4":0.1000000000000000055511151231257827},"#,
        r#""counters":{"total":3,"errors":1,"min":-9223372036854775808},"#,
        r#""sensors":{"primary":"a","a":{"value":1,"scale":0.250},"b":{"value":2}}}"#
    );
    let kept_full = concat!(
        r#"{"event":"device.updated","#,
        r#""device":{"id":"d1","firmware":"2.1","battery":87,"precise":123456789012345678901234567890,"ratio":1.10,"tags":["a",{"b":null}]},"#,
        r#""readings":{"unit":"C","t1":21.5,"t2":-0.0,"t3":12345678901234567890123,"t4":0.1000000000000000055511151231257827},"#,
        r#""counters":{"total":3,"errors":1,"min":-9223372036854775808},"#,
        r#""sensors":{"primary":"a","a":{"value":1,"scale":0.250,"calibrated":true},"b":{"value":2}},"#,
        r#""received_at":1700000000000}"#
    );
    // A typed additional property that does not match is read in place, so it is named by its own path:
    // the end of the value `"many"` (column 84), the closing brace of `a` (column 73).
    let errors = [
        "error: the `device.updated` payload does not match its schema at `counters.errors`: invalid type: string \"many\", expected i64 at line 1 column 84",
        "error: the `device.updated` payload does not match its schema at `device.id`: invalid type: integer `5`, expected a string at line 1 column 42",
        "error: the `device.updated` payload does not match its schema at `sensors.a`: missing field `value` at line 1 column 73",
    ];
    let mut expected = vec![declared_full, kept_full, declared_full, kept_full];
    for error in errors {
        expected.push(error);
        expected.push(error);
    }
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
}
