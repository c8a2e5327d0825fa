//! Each rule that tells webhooks apart by body, and the settings that override them.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]

use webhook_codegen::ir::{Discriminator, DiscriminatorRule};
use webhook_codegen::{DiscriminatorChoice, SpecConfig};

/// A spec with one webhook per `(name, properties YAML, required list)`.
fn spec(webhooks: &[(&str, &str, &str)]) -> String {
    let mut text = String::from("openapi: 3.1.0\ninfo: {title: T, version: '1'}\nwebhooks:\n");
    for (name, properties, required) in webhooks {
        text.push_str(&format!(
            "  {name}:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [{required}]\n              properties: {properties}\n"
        ));
    }
    text
}

fn discriminator_with(text: &str, config: &SpecConfig) -> Option<Discriminator> {
    webhook_codegen::generate_with("specs/t.yaml", text.as_bytes(), config).unwrap().module.discriminator
}

fn discriminator(text: &str) -> Option<Discriminator> {
    discriminator_with(text, &SpecConfig::default())
}

#[test]
fn rule_1_fixed_value_per_webhook() {
    // OpenAI-style: the webhook key differs from the value the body carries.
    let text = spec(&[
        ("batch_cancelled", "{type: {const: batch.cancelled}, id: {type: string}}", "type"),
        ("batch_completed", "{type: {type: string, enum: [batch.completed]}, id: {type: string}}", "type"),
    ]);
    let found = discriminator(&text).unwrap();
    assert_eq!(found.property, "type");
    assert_eq!(found.rule, DiscriminatorRule::FixedValue);
    assert_eq!(found.values, ["batch.cancelled", "batch.completed"]);
    let source = webhook_codegen::generate("specs/t.yaml", text.as_bytes()).unwrap().source;
    assert!(source.contains(r#""batch.cancelled" => "batch_cancelled","#), "{source}");
}

#[test]
fn rule_1_needs_distinct_values_in_every_webhook() {
    let same = spec(&[
        ("a", "{kind: {const: x}, event: {type: string}}", "kind"),
        ("b", "{kind: {const: x}, event: {type: string}}", "kind"),
    ]);
    // Not distinct, so rule 1 fails and Zoom's `event` convention (rule 2) applies.
    let found = discriminator(&same).unwrap();
    assert_eq!((found.property.as_str(), found.rule), ("event", DiscriminatorRule::EventNameProperty));
    let optional = spec(&[("a", "{kind: {const: x}}", ""), ("b", "{kind: {const: y}}", "")]);
    assert_eq!(discriminator(&optional), None, "an optional property cannot discriminate");
}

#[test]
fn rule_2_zoom_event_property() {
    let text = spec(&[
        ("meeting.started", "{event: {type: string}, payload: {type: object}}", "event"),
        ("meeting.ended", "{event: {type: string}, payload: {type: object}}", "event"),
    ]);
    let found = discriminator(&text).unwrap();
    assert_eq!(found.property, "event");
    assert_eq!(found.rule, DiscriminatorRule::EventNameProperty);
    assert_eq!(found.values, ["meeting.started", "meeting.ended"]);
}

#[test]
fn rule_2_other_property_with_enum_evidence() {
    // Adyen: both webhooks share a `type` enum that lists every webhook name.
    let shared = "{type: {type: string, enum: [transfer.created, transfer.updated]}, data: {type: object}}";
    let text = spec(&[("transfer.created", shared, "data"), ("transfer.updated", shared, "data")]);
    let found = discriminator(&text).unwrap();
    assert_eq!((found.property.as_str(), found.rule), ("type", DiscriminatorRule::EventNameProperty));
}

#[test]
fn rule_2_other_property_needs_evidence() {
    let text = spec(&[("a.b", "{kind: {type: string}}", "kind"), ("c.d", "{kind: {type: string}}", "kind")]);
    assert_eq!(discriminator(&text), None, "a plain string property proves nothing without enum or examples");
}

#[test]
fn rule_3_none_generates_only_from_named() {
    let text = spec(&[("newPet", "{id: {type: integer}}", "id")]);
    assert_eq!(discriminator(&text), None);
    let source = webhook_codegen::generate("specs/t.yaml", text.as_bytes()).unwrap().source;
    assert!(!source.contains("pub fn from_slice"));
    assert!(!source.contains("pub async fn dispatch<"));
    assert!(source.contains("pub async fn dispatch_named<"));
    assert!(source.contains("so the caller must know the name"));
}

#[test]
fn settings_name_the_property_or_switch_it_off() {
    let text = spec(&[("a.b", "{kind: {type: string}}", "kind"), ("c.d", "{kind: {const: c-d}}", "kind")]);
    let config =
        SpecConfig { discriminator: DiscriminatorChoice::Property("kind".to_owned()), ..SpecConfig::default() };
    let found = discriminator_with(&text, &config).unwrap();
    assert_eq!(found.rule, DiscriminatorRule::Configured);
    assert_eq!(found.values, ["a.b", "c-d"], "the fixed value where the spec gives one, else the name");
    let zoom = spec(&[("a.b", "{event: {type: string}}", "event")]);
    let off = SpecConfig { discriminator: DiscriminatorChoice::None, ..SpecConfig::default() };
    assert_eq!(discriminator_with(&zoom, &off), None);
    let renamed = SpecConfig { module: Some("museum".to_owned()), ..SpecConfig::default() };
    let generated = webhook_codegen::generate_with("specs/t.yaml", zoom.as_bytes(), &renamed).unwrap();
    assert_eq!(generated.module.name, "museum");
}

#[test]
fn examples_that_disagree_are_reported() {
    let text = spec(&[("meeting.started", "{event: {type: string}}", "event")])
        .replace("            schema:", "            example: {event: meeting.start}\n            schema:");
    let generated = webhook_codegen::generate("specs/t.yaml", text.as_bytes()).unwrap();
    assert!(
        generated
            .warnings
            .iter()
            .any(|w| w.message.contains("example's `event` is `meeting.start`, not `meeting.started`")),
        "{:?}",
        generated.warnings
    );
}

#[test]
fn openapi_3_0_with_webhooks_and_x_webhooks() {
    let text = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\nwebhooks:\n  a.b:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object}\n";
    let generated = webhook_codegen::generate("specs/t.yaml", text.as_bytes()).unwrap();
    assert_eq!(generated.module.events.len(), 1);
    assert!(
        generated.warnings.iter().any(|w| w.pointer.as_str() == "/webhooks" && w.message.contains("openapi 3.0.3"))
    );
    let x = text.replace("webhooks:", "x-webhooks:");
    let generated = webhook_codegen::generate("specs/t.yaml", x.as_bytes()).unwrap();
    assert_eq!(generated.module.events.len(), 1, "x-webhooks is read when webhooks is absent");
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
}
