//! The crate as any feature set builds it (no spec module, one, or all): `MODULES` lists the enabled
//! modules, `AnyEvent` hands each of their webhooks to its module, and anything else is an unknown event.

use zoom_webhooks::{AnyEvent, MODULES, ParseError};

#[test]
fn every_enabled_module_parses_its_own_webhooks() {
    for module in MODULES {
        assert!(!module.event_names.is_empty(), "{} declares webhooks", module.name);
        for name in module.event_names {
            let body = format!(r#"{{"event":"{name}"}}"#);
            match AnyEvent::from_named(name, body.as_bytes()) {
                // A payload with only its name rarely matches the schema; the error names the webhook.
                Err(ParseError::InvalidPayload { event, .. }) => assert_eq!(event, *name),
                Err(err) => panic!("{name}: {err}"),
                Ok(event) => {
                    assert_eq!(event.module(), Some(module.name), "{name}");
                    assert_eq!(event.name(), *name);
                }
            }
        }
    }
}

#[test]
fn webhooks_of_no_enabled_module_are_unknown_events() {
    let body = br#"{"event":"no.such.webhook","payload":{"n":123456789012345678901234567890}}"#;
    let event = AnyEvent::from_slice(body).expect("a JSON object with an event name");
    assert!(matches!(&event, AnyEvent::Unknown(unknown) if unknown.name == "no.such.webhook"), "{event:?}");
    assert_eq!(event.module(), None);
    assert_eq!(serde_json::to_vec(&event).expect("JSON"), body, "written back as it came");
}
