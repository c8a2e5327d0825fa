//! Bad specs fail with the file and the JSON pointer of the node at fault; none panics.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]

fn error(yaml: &str) -> String {
    match webhook_codegen::generate("specs/bad.yaml", yaml.as_bytes()) {
        Ok(generated) => panic!("expected an error, got a module with {} events", generated.module.events.len()),
        Err(err) => err.to_string(),
    }
}

const HEAD: &str = "openapi: 3.1.0\ninfo: {title: Bad, version: '1'}\n";

fn with_schema(schema: &str) -> String {
    format!(
        "{HEAD}webhooks:\n  a.b:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {schema}\n{}",
        "components:\n  schemas:\n    Pet: {type: object, properties: {id: {type: string}}}\n"
    )
}

#[test]
fn broken_ref_names_file_and_pointer() {
    assert_eq!(
        error(&with_schema("{$ref: '#/components/schemas/Dog'}")),
        "specs/bad.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema/$ref: `$ref: #/components/schemas/Dog` points to nothing in this document"
    );
}

#[test]
fn nested_broken_ref_names_the_nested_pointer() {
    assert_eq!(
        error(&with_schema("{type: object, properties: {owner: {$ref: '#/components/schemas/Owner'}}}")),
        "specs/bad.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema/properties/owner/$ref: `$ref: #/components/schemas/Owner` points to nothing in this document"
    );
}

#[test]
fn external_refs_are_refused() {
    let message = error(&with_schema("{$ref: 'pets.yaml#/Pet'}"));
    assert!(message.ends_with("/schema/$ref: `$ref: pets.yaml#/Pet` is not a JSON pointer into this document (external references are not supported)"), "{message}");
}

#[test]
fn ref_cycles_do_not_hang() {
    let yaml = format!(
        "{HEAD}webhooks:\n  a.b:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/A'}}\ncomponents:\n  schemas:\n    A: {{$ref: '#/components/schemas/B'}}\n    B: {{$ref: '#/components/schemas/A'}}\n"
    );
    let message = error(&yaml);
    assert!(message.contains("`$ref` chain longer than 64 hops (a reference cycle?)"), "{message}");
}

#[test]
fn a_schema_that_is_not_an_object_is_an_error() {
    assert_eq!(
        error(&with_schema("{type: object, properties: {count: 5}}")),
        "specs/bad.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema/properties/count: a schema must be an object or a boolean, found a number"
    );
    assert_eq!(
        error(&with_schema("{type: object, properties: [1]}")),
        "specs/bad.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema/properties: `properties` must be an object, found an array"
    );
}

#[test]
fn document_shape_errors() {
    assert_eq!(error("- a\n- b\n"), "specs/bad.yaml#/: the document root must be an object");
    assert_eq!(
        error(&format!("{HEAD}webhooks: [a]\n")),
        "specs/bad.yaml#/webhooks: `webhooks` must be an object mapping webhook names to path items"
    );
    assert_eq!(
        error(&format!("{HEAD}webhooks:\n  a.b: 3\n")),
        "specs/bad.yaml#/webhooks/a.b: a webhook must be a path item object"
    );
    assert_eq!(
        error(&format!("{HEAD}webhooks:\n  a.b:\n    post:\n      requestBody:\n        content: yes\n")),
        "specs/bad.yaml#/webhooks/a.b/post/requestBody/content: `content` must be an object mapping media types"
    );
}

#[test]
fn syntax_errors_name_the_file() {
    let message = error("openapi: [\n");
    assert!(message.starts_with("specs/bad.yaml: not a valid YAML document:"), "{message}");
}

#[test]
fn recursive_schemas_generate() {
    let yaml = format!(
        "{HEAD}webhooks:\n  a.b:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/Node'}}\ncomponents:\n  schemas:\n    Node: {{type: object, properties: {{next: {{$ref: '#/components/schemas/Node'}}}}}}\n"
    );
    let generated = webhook_codegen::generate("specs/ok.yaml", yaml.as_bytes()).unwrap();
    assert!(generated.source.contains("pub next: Option<Box<Node>>,"), "{}", generated.source);
}

#[test]
fn a_ref_into_paths_that_resolves_under_neither_section_names_file_and_pointer() {
    // `#/paths/...` is read under `webhooks` when it points to nothing, but only when it resolves there.
    assert_eq!(
        error(&with_schema("{$ref: '#/paths/a.b/post/requestBody/content/application~1json/schema/properties/nope'}")),
        "specs/bad.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema/$ref: `$ref: #/paths/a.b/post/requestBody/content/application~1json/schema/properties/nope` points to nothing in this document"
    );
}

#[test]
fn a_huge_ref_is_quoted_only_in_part() {
    let target = format!("#/components/schemas/{}", "D".repeat(1_000_000));
    let message = error(&with_schema(&format!("{{$ref: '{target}'}}")));
    let quoted: String = format!("$ref: {target}").chars().take(200).collect();
    assert_eq!(
        message,
        format!(
            "specs/bad.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema/$ref: `{quoted}...` points \
             to nothing in this document"
        )
    );
}

#[test]
fn duplicate_keys_in_a_json_spec_are_refused() {
    let spec = br#"{"openapi": "3.1.0", "info": {"title": "T", "version": "1"},
        "webhooks": {"a.b": {"post": {"summary": "one"}, "post": {"summary": "two"}}}}"#;
    let err = webhook_codegen::generate("specs/twice.json", spec).map(|_| ()).unwrap_err().to_string();
    assert_eq!(
        err,
        "specs/twice.json#/webhooks/a.b: the key `post` appears more than once in this object; a JSON document \
         must give each key once"
    );
}

/// A spec whose payload is the component `Node`, with the other `components` given.
fn with_node(components: &str) -> webhook_codegen::GeneratedModule {
    let yaml = format!(
        "{HEAD}webhooks:\n  a.b:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {{type: object, required: [node], properties: {{node: {{$ref: '#/components/schemas/Node'}}}}}}\ncomponents:\n  schemas:\n{components}"
    );
    webhook_codegen::generate("specs/ok.yaml", yaml.as_bytes()).unwrap()
}

#[test]
fn an_array_of_itself_is_a_newtype() {
    let generated = with_node("    Node: {type: array, items: {$ref: '#/components/schemas/Node'}}\n");
    assert!(generated.source.contains("pub struct Node(pub Vec<Node>);"), "{}", generated.source);
}

#[test]
fn a_map_of_itself_is_a_newtype() {
    let generated = with_node("    Node: {type: object, additionalProperties: {$ref: '#/components/schemas/Node'}}\n");
    assert!(
        generated.source.contains("pub struct Node(pub std::collections::BTreeMap<String, Node>);"),
        "{}",
        generated.source
    );
}

#[test]
fn an_all_of_through_itself_generates() {
    let generated = with_node("    Node: {allOf: [{type: array, items: {$ref: '#/components/schemas/Node'}}]}\n");
    assert!(generated.source.contains("pub struct Node(pub Vec<Node>);"), "{}", generated.source);
    let generated = with_node(
        "    Node: {allOf: [{$ref: '#/components/schemas/Body'}]}\n    Body: {type: object, properties: {next: {$ref: '#/components/schemas/Node'}}}\n",
    );
    assert!(generated.source.contains("pub next: Option<Box<Node>>,"), "{}", generated.source);
    assert!(generated.source.contains("pub struct Node(pub Body);"), "{}", generated.source);
}

/// `Node` is only itself: any JSON value, with a warning naming it.
#[test]
fn a_schema_that_is_only_itself_is_any_json_value() {
    let generated = with_node("    Node: {allOf: [{$ref: '#/components/schemas/Node'}]}\n");
    assert!(generated.source.contains("pub struct Node(pub serde_json::Value);"), "{}", generated.source);
    let warnings: Vec<String> = generated.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "/components/schemas/Node: the schema is only itself (through `allOf`, `oneOf` or `anyOf`); typed as any JSON value"
        ]
    );
}

/// A spec whose payload is the first of `links` components, each with a property referring to the next.
fn ref_chain(links: usize) -> String {
    let mut json = String::from(
        r##"{"openapi": "3.1.0", "info": {"title": "Chain", "version": "1"}, "webhooks": {"a.b": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A0"}}}}}}}, "components": {"schemas": {"##,
    );
    for i in 0..links {
        let next = if i + 1 < links {
            format!(r##"{{"$ref": "#/components/schemas/A{}"}}"##, i + 1)
        } else {
            r#"{"type": "string"}"#.to_owned()
        };
        if i > 0 {
            json.push_str(", ");
        }
        json.push_str(&format!(r#""A{i}": {{"type": "object", "properties": {{"next": {next}}}}}"#));
    }
    json.push_str("}}}");
    json
}

/// Lowering stops at its depth limit with an error naming the schema where the nesting must be
/// bounded, instead of overflowing the stack. Test threads have the default 2 MiB stack.
#[test]
fn a_deep_ref_chain_fails_with_the_pointer_where_it_must_be_bounded() {
    let message = error(&ref_chain(10_000));
    assert_eq!(
        message,
        "specs/bad.yaml#/components/schemas/A128: schemas nest more than 128 levels deep here (each `$ref`, property, item or member is a level); bound the nesting of the schemas that lead to this one"
    );
}

/// A chain just inside the depth limit generates, on a 2 MiB test thread: the limit leaves the stack room
/// for lowering and everything after it.
#[test]
fn a_ref_chain_within_the_depth_limit_generates() {
    let generated = webhook_codegen::generate("specs/ok.json", ref_chain(127).as_bytes()).unwrap();
    assert!(generated.source.contains("pub struct A126 {"), "{}", generated.source);
}

/// Arrays of arrays nest their Rust types as deeply; past the limit the error names the schema.
#[test]
fn arrays_nested_too_deep_name_the_schema() {
    let mut schema = "{type: string}".to_owned();
    for _ in 0..100 {
        schema = format!("{{type: array, items: {schema}}}");
    }
    let message = error(&with_schema(&schema));
    let expected_at = "/items".repeat(100 - 17);
    assert_eq!(
        message,
        format!(
            "specs/bad.yaml#/webhooks/a.b/post/requestBody/content/application~1json/schema{expected_at}: arrays and maps nest more than 16 levels deep here; give an inner schema a name of its own (a component with properties) or bound the nesting"
        )
    );
}

/// An invalid overlay beside a spec stops generation with the overlay file and the pointer of the bad part.
#[test]
fn an_invalid_overlay_beside_a_spec_names_the_overlay_file_and_pointer() {
    let root = std::env::temp_dir().join(format!("webhook-codegen-errors-overlay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::write(root.join("specs/github.yaml"), with_schema("{$ref: '#/components/schemas/Pet'}")).unwrap();
    std::fs::write(
        root.join("specs/github.overlay.yaml"),
        "overlay: 1.0.0\ninfo: {title: Fixes, version: '1'}\nactions:\n  - target: $.components\n    update: {}\n  - target: $.webhooks[?(@.x ==]\n    remove: true\n",
    )
    .unwrap();
    let error = || {
        let mut builder = webhook_codegen::Builder::new();
        builder.root(&root).spec("specs/github.yaml").quiet(true);
        builder.generate_in_memory().unwrap_err().to_string()
    };
    let err = error();
    assert!(err.starts_with("specs/github.overlay.yaml#/actions/1/target: invalid JSONPath: "), "{err}");

    // An overlay that parses but cannot apply names its action's part too.
    std::fs::write(
        root.join("specs/github.overlay.yaml"),
        "overlay: 1.0.0\ninfo: {title: Fixes, version: '1'}\nactions:\n  - target: $.components.schemas.Pet\n    update: {properties: [1]}\n",
    )
    .unwrap();
    assert_eq!(
        error(),
        "specs/github.overlay.yaml#/actions/0/update/properties: is a list and the spec has a mapping at \
         /components/schemas/Pet/properties; an update merges a mapping into a mapping, appends a list to a list and \
         replaces a primitive value with one"
    );
}
