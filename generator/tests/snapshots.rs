//! Generated code for small fixture specs, one rule each, pinned with insta snapshots.
//!
//! Review a changed snapshot with `cargo insta review` (or read the `.snap.new` file) before accepting.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]

use std::path::Path;

fn generate(fixture: &str) -> webhook_codegen::GeneratedModule {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
    let bytes = std::fs::read(&path).unwrap();
    webhook_codegen::generate(&format!("fixtures/{fixture}"), &bytes).unwrap()
}

fn warnings(generated: &webhook_codegen::GeneratedModule) -> String {
    generated.warnings.iter().map(|warning| format!("{warning}\n")).collect()
}

#[test]
fn naming() {
    let generated = generate("naming.yaml");
    insta::assert_snapshot!("naming", generated.source);
    insta::assert_snapshot!("naming_warnings", warnings(&generated));
}

/// Names no raw identifier can spell (`self`, `Self`, `super`, `crate`, `_`) in every position.
#[test]
fn keywords() {
    let generated = generate("keywords.yaml");
    insta::assert_snapshot!("keywords", generated.source);
    insta::assert_snapshot!("keywords_warnings", warnings(&generated));
}

#[test]
fn optional_fields() {
    let generated = generate("optional.yaml");
    insta::assert_snapshot!("optional", generated.source);
    insta::assert_snapshot!("optional_warnings", warnings(&generated));
}

#[test]
fn nested_objects_refs_and_recursion() {
    let generated = generate("nested.yaml");
    insta::assert_snapshot!("nested", generated.source);
    insta::assert_snapshot!("nested_warnings", warnings(&generated));
}

/// Schemas that contain themselves: an array of itself and a map of itself become newtypes, a struct
/// reached again through `allOf` is boxed, `allOf` members are merged around a list of itself.
#[test]
fn recursive_schemas() {
    let generated = generate("recursive.yaml");
    insta::assert_snapshot!("recursive", generated.source);
    insta::assert_snapshot!("recursive_warnings", warnings(&generated));
}

/// Zoom's published form: webhooks under `paths`, `$ref` into another webhook's schema (with `~1`),
/// examples as JSON text (one invalid, one naming another event), an API path that is not a webhook.
#[test]
fn zoom_form() {
    let generated = generate("zoom_form.json");
    insta::assert_snapshot!("zoom_form", generated.source);
    insta::assert_snapshot!("zoom_form_warnings", warnings(&generated));
    let examples: Vec<_> =
        generated.module.events[0].examples.iter().map(|example| example.pointer.to_string()).collect();
    assert_eq!(examples.len(), 2, "the invalid example is skipped: {examples:?}");
    let skipped: Vec<_> = generated.module.events[0]
        .skipped_examples
        .iter()
        .map(|skipped| (skipped.pointer.to_string(), skipped.reason))
        .collect();
    assert_eq!(
        skipped,
        [(
            "/paths/meeting.started/post/requestBody/content/application~1json/examples/broken/value".to_owned(),
            webhook_codegen::SkipReason::NotJson
        )]
    );
}

/// Invalid or odd schema values read by their obvious meaning, each with a warning.
#[test]
fn odd_types() {
    let generated = generate("odd_types.yaml");
    insta::assert_snapshot!("odd_types", generated.source);
    insta::assert_snapshot!("odd_types_warnings", warnings(&generated));
}

/// Open string and integer enums, `x-enum-descriptions` as a list and as a map, nullable and odd enums.
#[test]
fn enums() {
    let generated = generate("enums.yaml");
    insta::assert_snapshot!("enums", generated.source);
    insta::assert_snapshot!("enums_warnings", warnings(&generated));
}

/// `oneOf`/`anyOf` as best-fit alternatives with `Other(Value)` last; a single alternative is inlined.
#[test]
fn alternatives() {
    let generated = generate("alternatives.yaml");
    insta::assert_snapshot!("alternatives", generated.source);
    insta::assert_snapshot!("alternatives_warnings", warnings(&generated));
}

/// Descriptions with Markdown, HTML, bare URLs and brackets become rustdoc-safe doc comments.
#[test]
fn descriptions() {
    let generated = generate("descriptions.yaml");
    insta::assert_snapshot!("descriptions", generated.source);
}

/// Examples that disagree with their schema widen the types instead of failing to parse.
#[test]
fn example_evidence() {
    let generated = generate("example_evidence.yaml");
    insta::assert_snapshot!("example_evidence", generated.source);
    insta::assert_snapshot!("example_evidence_warnings", warnings(&generated));
}

/// Standard OpenAPI 3.1: `components` (schemas, requestBodies, pathItems, examples), `allOf`, a tagged
/// `oneOf`, `const`, nullability both ways, maps, schema-level `examples`, a `/`-prefixed webhook key,
/// and `x-webhooks` ignored because `webhooks` is present.
#[test]
fn components() {
    let generated = generate("components.yaml");
    insta::assert_snapshot!("components", generated.source);
    insta::assert_snapshot!("components_warnings", warnings(&generated));
    let names: Vec<&str> = generated.module.events.iter().map(|event| event.name.as_str()).collect();
    assert_eq!(names, ["/pets/created", "pet.updated"]);
    assert_eq!(generated.module.events[0].examples.len(), 1);
    assert_eq!(generated.module.events[1].examples.len(), 1);
}

/// Identical objects under several events become one type named after what their names share; event
/// payload types keep their own names; a different field type or enum value keeps types apart.
#[test]
fn dedup() {
    let generated = generate("dedup.yaml");
    insta::assert_snapshot!("dedup", generated.source);
    let names: Vec<&str> = generated.module.types.iter().map(|def| def.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ChannelMemberJoined",
            "ChannelMemberPayload",
            "ChannelMemberPayloadMember",
            "ChannelMemberPayloadMemberRole",
            "ChannelMemberPayloadChannel",
            "ChannelMemberLeft",
            "ChannelRenamed",
            "ChannelRenamedPayload",
            "ChannelRenamedPayloadMember",
            "ChannelRenamedPayloadMemberRole",
        ]
    );
}

/// A 3.0 document with `x-webhooks` that describes payloads as responses: `200` first, else the first
/// 2xx with JSON content; `default` never.
#[test]
fn response_payload() {
    let generated = generate("response_payload.yaml");
    insta::assert_snapshot!("response_payload", generated.source);
    insta::assert_snapshot!("response_payload_warnings", warnings(&generated));
    assert_eq!(generated.module.events[0].examples.len(), 1);
}

/// Webhooks posted as forms with their JSON in one field: a multipart `json` field given by `$ref`, a
/// url-encoded `payload` of JSON text with its `contentSchema`; JSON content wins over a form.
#[test]
fn forms() {
    let generated = generate("forms.yaml");
    insta::assert_snapshot!("forms", generated.source);
    insta::assert_snapshot!("forms_warnings", warnings(&generated));
    let fields: Vec<Option<&str>> = generated.module.events.iter().map(|event| event.form_field.as_deref()).collect();
    assert_eq!(fields, [Some("json"), Some("payload"), None]);
    assert!(generated.module.discriminator.is_none());
    let examples: Vec<String> = generated
        .module
        .events
        .iter()
        .flat_map(|event| &event.examples)
        .map(|example| example.pointer.to_string())
        .collect();
    assert_eq!(
        examples,
        [
            "/webhooks/signature_request.signed/post/requestBody/content/multipart~1form-data/examples/signed/value/json",
            "/webhooks/issue_comment/post/requestBody/content/application~1x-www-form-urlencoded/example/payload",
        ]
    );
}

/// A webhook key that is a template (`{dataType}.write.successful`): `from_named` and the body's `event`
/// match exact names first, then templates; `EVENT_NAMES` keeps the template.
#[test]
fn templates() {
    let generated = generate("templates.yaml");
    insta::assert_snapshot!("templates", generated.source);
    insta::assert_snapshot!("templates_warnings", warnings(&generated));
    let templated: Vec<bool> = generated.module.events.iter().map(|event| event.template).collect();
    assert_eq!(templated, [true, false, false]);
}

/// A spec without webhooks still generates a module (and says so).
#[test]
fn empty() {
    let generated = generate("empty.yaml");
    assert!(generated.module.events.is_empty());
    insta::assert_snapshot!("empty_warnings", warnings(&generated));
}

#[test]
fn generation_is_deterministic() {
    for fixture in [
        "keywords.yaml",
        "naming.yaml",
        "optional.yaml",
        "nested.yaml",
        "zoom_form.json",
        "odd_types.yaml",
        "enums.yaml",
        "alternatives.yaml",
    ] {
        assert_eq!(generate(fixture).source, generate(fixture).source, "{fixture}");
    }
}

/// Numbers outside 64 bits load (as the nearest float, or as text beyond `f64`); an enum or example that
/// needs an integer there falls back with a warning naming the pointer; bounds are not read.
#[test]
fn big_numbers() {
    let generated = generate("big_numbers.yaml");
    insta::assert_snapshot!("big_numbers", generated.source);
    insta::assert_snapshot!("big_numbers_warnings", warnings(&generated));
}

/// Objects that declare `additionalProperties: true` or a schema keep their undeclared properties in a
/// flattened field (any JSON values, or the schema's type in order); `false` and silence do not; a
/// property with the field's name is renamed; `allOf` members can open the merged struct; an example's
/// extra property that the schema's type does not fit widens it; open and closed twins stay apart.
#[test]
fn open_objects() {
    let generated = generate("open_objects.yaml");
    insta::assert_snapshot!("open_objects", generated.source);
    insta::assert_snapshot!("open_objects_warnings", warnings(&generated));
}

/// `unknown_properties: keep` opens the objects that say nothing about `additionalProperties`.
#[test]
fn open_objects_kept_by_settings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/open_objects.yaml");
    let bytes = std::fs::read(&path).unwrap();
    let config =
        webhook_codegen::SpecConfig::parse("open_objects.codegen.yaml", b"unknown_properties: keep\n").unwrap();
    let kept = webhook_codegen::generate_with("fixtures/open_objects.yaml", &bytes, &config).unwrap();
    let ignored = generate("open_objects.yaml");
    let open_structs = |generated: &webhook_codegen::GeneratedModule| -> Vec<String> {
        generated
            .module
            .types
            .iter()
            .filter(|def| matches!(&def.kind, webhook_codegen::ir::TypeKind::Struct { additional: Some(_), .. }))
            .map(|def| def.name.clone())
            .collect()
    };
    assert_eq!(
        open_structs(&ignored),
        // `opened` has the fields of the closed `silent`, but stays its own type.
        ["DeviceDevice", "DeviceUpdatedCounters", "DeviceUpdatedLabels", "DeviceUpdatedMerged", "DeviceRemovedOpened"]
    );
    insta::assert_snapshot!("open_objects_kept", kept.source);
    assert_eq!(
        open_structs(&kept),
        [
            "DeviceUpdated",
            "DeviceDevice",
            "DeviceUpdatedCounters",
            "DeviceUpdatedLabels",
            "Label",
            "DeviceUpdatedSilent",
            "DeviceUpdatedMerged",
            "DeviceRemoved",
        ]
    );
}

/// `required: optional` makes every property an `Option`, so a delivery without a property the spec
/// requires (a vendor adding `required` entries its deliveries do not honour yet) still parses.
#[test]
fn required_made_optional_by_settings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/optional.yaml");
    let bytes = std::fs::read(&path).unwrap();
    let config = webhook_codegen::SpecConfig::parse("optional.codegen.yaml", b"required: optional\n").unwrap();
    let relaxed = webhook_codegen::generate_with("fixtures/optional.yaml", &bytes, &config).unwrap();
    let declared = generate("optional.yaml");
    let required_fields = |generated: &webhook_codegen::GeneratedModule| -> Vec<String> {
        generated
            .module
            .types
            .iter()
            .filter_map(|def| match &def.kind {
                webhook_codegen::ir::TypeKind::Struct { fields, .. } => Some(fields),
                _ => None,
            })
            .flatten()
            .filter(|field| field.required)
            .map(|field| field.json_name.clone())
            .collect()
    };
    assert!(required_fields(&declared).contains(&"event_ts".to_owned()), "{:?}", required_fields(&declared));
    assert_eq!(required_fields(&relaxed), Vec::<String>::new());
    assert!(relaxed.source.contains("pub event_ts: Option<i64>,"), "{}", relaxed.source);
}
