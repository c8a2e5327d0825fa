//! Overlays on a real vendor document: GitHub's webhooks description, read at test time from the shared
//! corpus beside the checkout (skipped with a note when it is not there). GitHub added `has_discussions`
//! to the `required` lists of its repository schemas after deliveries without it were captured; an
//! overlay that takes it out of every `required` list makes such deliveries read, and changes nothing
//! else. Deliveries are checked against the types generated code would have (`check`), without rustc.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use webhook_codegen::check::{Checker, Difference, DifferenceKind};
use webhook_codegen::{Overlay, OverlaySource, SpecConfig};

const RELAX: &str = "overlay: 1.1.0
info: {title: GitHub as it delivers, version: '1'}
actions:
  - target: $..required[?@ == 'has_discussions']
    description: Deliveries captured before GitHub added `has_discussions` do not carry it.
    remove: true
";

/// GitHub's webhooks description, or `None` (with a note) when the shared corpus is not beside the checkout.
fn github_spec() -> Option<Vec<u8>> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/vendors/github-webhooks.json");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            eprintln!("skipped: {} is not there (the shared corpus is not beside the checkout)", path.display());
            None
        }
    }
}

/// The module GitHub's description lowers to, with `overlay`, and the warnings on the way.
fn lower(spec: &[u8], overlay: Option<Overlay>) -> (webhook_codegen::ir::Module, Vec<String>) {
    let config = SpecConfig { overlay: overlay.map(OverlaySource::Loaded), ..SpecConfig::default() };
    let loaded = webhook_codegen::load_with_settings("specs/github.json", spec, &config).unwrap();
    let options = webhook_codegen::ModuleOptions::new("specs/github.json", &config);
    let (module, _) = webhook_codegen::lower(&loaded.document, &options).unwrap();
    (module, loaded.warnings.iter().map(ToString::to_string).collect())
}

/// A `pull_request.assigned` delivery whose repositories are the one of GitHub's `check_run` example,
/// as deliveries before `has_discussions` carried them.
fn assigned_delivery(spec: &[u8]) -> Value {
    let document: Value = serde_json::from_slice(spec).unwrap();
    let example = &document["components"]["examples"]["check-run-completed"]["value"];
    let repository = example["repository"].clone();
    assert!(repository.is_object() && repository.get("has_discussions").is_none(), "{repository}");
    json!({
        "action": "assigned",
        "number": 1,
        "assignee": example["sender"],
        "pull_request": {"base": {"repo": repository}, "head": {"repo": repository}},
        "repository": repository,
        "sender": example["sender"],
    })
}

fn failures(module: &webhook_codegen::ir::Module, delivery: &Value) -> Vec<Difference> {
    let checker = Checker::new(module);
    let event = checker.webhook_named("pull-request-assigned").unwrap();
    checker.check(event, delivery).into_iter().filter(|difference| difference.fails).collect()
}

#[test]
fn an_overlay_relaxes_has_discussions_in_every_github_repository_schema_and_nothing_else() {
    let Some(spec) = github_spec() else { return };
    let delivery = assigned_delivery(&spec);

    let (plain, _) = lower(&spec, None);
    let before = failures(&plain, &delivery);
    let missing: Vec<&str> = before
        .iter()
        .filter(|difference| difference.path.ends_with(".has_discussions"))
        .map(|difference| {
            assert_eq!(difference.kind, DifferenceKind::MissingField);
            difference.path.as_str()
        })
        .collect();
    assert_eq!(missing, ["pull_request.base.repo.has_discussions", "pull_request.head.repo.has_discussions"]);

    let overlay = Overlay::parse("specs/github.overlay.yaml", RELAX.as_bytes()).unwrap();
    let (relaxed, warnings) = lower(&spec, Some(overlay));
    assert_eq!(
        warnings[0],
        "/components/schemas/full-repository/required/55: overlay `specs/github.overlay.yaml#/actions/0` removed 48 nodes"
    );
    let after = failures(&relaxed, &delivery);
    let expected: Vec<&Difference> =
        before.iter().filter(|difference| !difference.path.ends_with(".has_discussions")).collect();
    assert_eq!(after.iter().collect::<Vec<_>>(), expected, "only the has_discussions failures are gone");
}

/// GitHub sends an installation's `created_at` as seconds since the epoch in some deliveries, where its
/// schema says a date-time string: an overlay replaces the property's schema with one that takes both.
#[test]
fn an_overlay_replaces_a_property_schema_to_take_an_integer_created_at() {
    let Some(spec) = github_spec() else { return };
    let overlay = Overlay::parse(
        "specs/github.overlay.yaml",
        b"overlay: 1.1.0
info: {title: GitHub as it delivers, version: '1'}
actions:
  - target: $.components.schemas.installation.properties.created_at
    remove: true
  - target: $.components.schemas.installation.properties
    update:
      created_at:
        oneOf: [{type: string, format: date-time}, {type: integer}]
",
    )
    .unwrap();
    let wrong_type = |module: &webhook_codegen::ir::Module, created_at: Value| {
        let checker = Checker::new(module);
        let event = checker.webhook_named("installation-created").unwrap();
        let delivery = json!({"action": "created", "installation": {"created_at": created_at}});
        checker
            .check(event, &delivery)
            .into_iter()
            .filter(|difference| difference.path == "installation.created_at")
            .map(|difference| (difference.kind, difference.fails))
            .collect::<Vec<_>>()
    };
    let (plain, _) = lower(&spec, None);
    assert_eq!(wrong_type(&plain, json!(1_700_000_000)), [(DifferenceKind::WrongType, true)]);
    let (relaxed, warnings) = lower(&spec, Some(overlay));
    assert_eq!(
        warnings[..2],
        [
            "/components/schemas/installation/properties/created_at: overlay `specs/github.overlay.yaml#/actions/0` \
             removed 1 node",
            "/components/schemas/installation/properties: overlay `specs/github.overlay.yaml#/actions/1` updated 1 node",
        ]
    );
    assert_eq!(wrong_type(&relaxed, json!(1_700_000_000)), []);
    assert_eq!(wrong_type(&relaxed, json!("2024-01-01T00:00:00Z")), []);
    assert_eq!(wrong_type(&relaxed, json!(true)), [(DifferenceKind::NoAlternative, false)]);
}
