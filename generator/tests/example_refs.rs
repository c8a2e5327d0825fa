//! An example that is only a `$ref` is a reference, never data: followed inside the document, skipped when
//! it leaves it. Paddle's schemas carry `examples: [{$ref: ...}]`; Dropbox Sign's example values point to
//! files beside the spec.

use webhook_codegen::SkipReason;

const SPEC: &str = r##"openapi: 3.1.0
info: {title: Refs, version: '1'}
webhooks:
  transaction.created:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event_type, data]
              properties:
                event_type: {type: string}
                data: {type: object, properties: {id: {type: string}}}
              examples:
                - $ref: '#/components/examples/TransactionCreated'
                - $ref: '#/components/schemas/Raw'
  signature_request.sent:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event]
              properties:
                event: {type: string}
            examples:
              from_a_file:
                value: {$ref: './examples/signature_request_sent.json'}
              nowhere:
                value: {$ref: '#/components/examples/Missing'}
components:
  examples:
    TransactionCreated:
      summary: A transaction
      value: {event_type: transaction.created, data: {id: txn_1}}
  schemas:
    Raw: {event_type: transaction.created, data: {id: txn_2}}
"##;

#[test]
fn a_ref_in_an_example_is_followed_or_skipped_never_read_as_data() {
    let generated = webhook_codegen::generate("specs/refs.yaml", SPEC.as_bytes()).expect("generates");
    let created = &generated.module.events[0];
    let values: Vec<_> =
        created.examples.iter().map(|example| (example.pointer.to_string(), example.value.clone())).collect();
    assert_eq!(
        values,
        [
            (
                "/components/examples/TransactionCreated/value".to_owned(),
                serde_json::json!({"event_type": "transaction.created", "data": {"id": "txn_1"}})
            ),
            (
                "/components/schemas/Raw".to_owned(),
                serde_json::json!({"event_type": "transaction.created", "data": {"id": "txn_2"}})
            ),
        ]
    );
    let sent = &generated.module.events[1];
    assert!(sent.examples.is_empty(), "{:?}", sent.examples);
    let skipped: Vec<_> =
        sent.skipped_examples.iter().map(|skipped| (skipped.pointer.to_string(), skipped.reason)).collect();
    let media = "/webhooks/signature_request.sent/post/requestBody/content/application~1json/examples";
    assert_eq!(
        skipped,
        [
            (format!("{media}/from_a_file/value"), SkipReason::External),
            (format!("{media}/nowhere/value"), SkipReason::External)
        ]
    );
    // Read as data, the `$ref` became a field of any JSON value, and a required property optional.
    assert!(!generated.source.contains("ref_"), "no field from a `$ref`:\n{}", generated.source);
    assert!(generated.source.contains("pub event: String,"), "`event` stays required:\n{}", generated.source);
    let warnings: Vec<String> = generated.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with(&format!("{media}/from_a_file/value/$ref: an example that is a `$ref` outside"))),
        "{warnings:#?}"
    );
}
