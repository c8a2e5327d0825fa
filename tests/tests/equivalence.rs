//! Zoom's own published Number Management document (webhooks under `paths`, examples as JSON text,
//! `phone_numbers` without `items`) generates the same module as our standard 3.1 spec.

use pipeline_tests::{corpus_dir, workspace_root};
use webhook_codegen::ir::{Module, TypeKind, TypeRef};

/// Event names, variants, handler methods, and for every type its name and fields (name, JSON name,
/// required, type), with type references spelled out.
fn shape(module: &Module) -> Vec<String> {
    let mut lines = Vec::new();
    for event in &module.events {
        lines.push(format!(
            "event {} {} {} {}",
            event.name,
            event.variant,
            event.handler_method,
            spell(module, &event.payload)
        ));
    }
    for def in &module.types {
        lines.push(format!("type {} {}", def.name, kind_name(&def.kind)));
        if let TypeKind::Struct { fields, .. } = &def.kind {
            {
                for field in fields {
                    lines.push(format!(
                        "{}.{} ({}) required={} {}",
                        def.name,
                        field.name,
                        field.json_name,
                        field.required,
                        spell(module, &field.ty)
                    ));
                }
            }
        }
    }
    lines
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Struct { .. } => "struct",
        TypeKind::StringEnum { .. } => "string enum",
        TypeKind::IntegerEnum { .. } => "integer enum",
        TypeKind::OneOf { .. } => "one of",
        TypeKind::Newtype { .. } => "newtype",
    }
}

fn spell(module: &Module, ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(id) => module.types[*id].name.clone(),
        TypeRef::Vec(item) => format!("Vec<{}>", spell(module, item)),
        TypeRef::Map(value) => format!("Map<{}>", spell(module, value)),
        other => format!("{other:?}"),
    }
}

#[test]
fn zoom_form_and_standard_form_give_the_same_module() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("skipped: ../shared/corpus is not there");
        return;
    };
    let ours = std::fs::read(workspace_root().join("specs/number_management.yaml")).expect("spec is readable");
    let zoom = std::fs::read(corpus.join("zoom/number-management.json")).expect("corpus file is readable");
    let ours = webhook_codegen::generate("specs/number_management.yaml", &ours).expect("our spec generates");
    let zoom = webhook_codegen::generate("specs/number-management.json", &zoom).expect("Zoom's document generates");
    assert_eq!(ours.module.name, zoom.module.name);
    assert_eq!(ours.module.discriminator, zoom.module.discriminator);
    // The one difference: Zoom's `phone_numbers` has no `items`, so its items are any JSON value.
    let expected: Vec<String> = shape(&ours.module)
        .into_iter()
        .map(|line| if line.contains("phone_numbers") { line.replace("Vec<String>", "Vec<Json>") } else { line })
        .collect();
    assert_eq!(shape(&zoom.module), expected);
    assert!(ours.warnings.is_empty(), "{:?}", ours.warnings);
    // Zoom's quirks are all reported, each with its JSON pointer.
    let quirks: Vec<String> = zoom.warnings.iter().map(ToString::to_string).collect();
    assert!(quirks.iter().any(|w| w.contains("/phone_numbers: array without `items`")), "{quirks:#?}");
    assert!(
        quirks.iter().any(|w| w.contains("/examples/json-example/value: example is JSON text inside a string")),
        "{quirks:#?}"
    );
}
