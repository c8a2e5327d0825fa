//! Parsing deliveries through a generated module: `from_slice`'s single pass and its two-pass path give
//! the same results and the same errors, and numbers are written back with the digits they came with.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;

use webhook_runtime::__private::{discriminator, from_slice};
use zoom_webhooks::number_management::{Event, NumberManagementPeeringNumberCnamUpdated};
use zoom_webhooks::{AnyEvent, ParseError};

/// Numbers are written back with the digits they came with: floats that `serde_json`'s default parser
/// rounds wrongly, integers past 64 bits, in typed `Number` fields, in `Value` fields and in unknown
/// webhooks, by both parsing paths.
mod numbers {
    use super::*;

    const AWKWARD: [&str; 6] = [
        "5.960464477539063e-08",
        "3.402823466e+38",
        "123456789012345678901234567890",
        "-98765432109876543210987654321",
        "0.1000000000000000055511151231257827",
        "1.50",
    ];

    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct Typed {
        number: serde_json::Number,
        value: serde_json::Value,
    }

    #[test]
    fn typed_number_and_value_fields() {
        for number in AWKWARD {
            let body = format!(r#"{{"number":{number},"value":{{"n":[{number}]}}}}"#);
            let typed: Typed = serde_json::from_str(&body).unwrap();
            assert_eq!(serde_json::to_string(&typed).unwrap(), body);
        }
    }

    #[test]
    fn unknown_webhooks_by_both_paths() {
        // A name no module of the crate declares (`meeting.started` is the Meetings module's now).
        for number in AWKWARD {
            let first = format!(
                r#"{{"event":"example.not_a_zoom_webhook","payload":{{"object":{{"score":{number}}}}},"n":{number}}}"#
            );
            let last = format!(
                r#"{{"payload":{{"object":{{"score":{number}}}}},"n":{number},"event":"example.not_a_zoom_webhook"}}"#
            );
            for body in [first, last] {
                let event = Event::from_slice(body.as_bytes()).unwrap();
                assert!(matches!(event, Event::Unknown(_)), "{event:?}");
                assert_eq!(serde_json::to_string(&event).unwrap(), body);
                let any = AnyEvent::from_slice(body.as_bytes()).unwrap();
                assert_eq!(serde_json::to_string(&any).unwrap(), body);
                let named = Event::from_named("example.not_a_zoom_webhook", body.as_bytes()).unwrap();
                assert_eq!(serde_json::to_string(&named).unwrap(), body);
            }
        }
    }
}

/// `from_slice`'s single pass and its two-pass path give the same results and the same errors.
mod single_pass {
    use super::*;

    const CNAM: &str = "number_management.peering_number_cnam_updated";

    /// The two-pass path alone: the scan for the name, then the payload parsed from the bytes again.
    fn two_pass(body: &str) -> Result<Event, ParseError> {
        Event::from_named(&discriminator(body.as_bytes(), "event")?, body.as_bytes())
    }

    /// Whether the single pass alone parses `body`: it succeeds without handing the body to the two-pass
    /// path (`from_named`).
    fn single_pass_parses(body: &str) -> bool {
        let two_pass_used = Cell::new(false);
        let parsed = from_slice(body.as_bytes(), "event", |name, body| {
            two_pass_used.set(true);
            Event::from_named(name, body)
        });
        parsed.is_ok() && !two_pass_used.get()
    }

    /// `from_slice(body)`, after checking that it takes the expected path and agrees with the two-pass
    /// path (results compared whole, errors by their full debug text: kind, message, path, position).
    fn parse(body: &str, single: bool) -> Result<Event, ParseError> {
        assert_eq!(single_pass_parses(body), single, "single pass for {body}");
        let parsed = Event::from_slice(body.as_bytes());
        assert_eq!(format!("{parsed:?}"), format!("{:?}", two_pass(body)), "{body}");
        parsed
    }

    fn cnam(fields_before: &str, fields_after: &str) -> String {
        format!(
            r#"{{{fields_before}"event_ts":1619155436400,"payload":{{"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","object":{{"cnam":"ZOOM VIDEO","carrier_code":3457,"phone_numbers":["+18008001000"]}}}}{fields_after}}}"#
        )
    }

    fn expected_cnam() -> Event {
        let body = cnam(&format!(r#""event":"{CNAM}","#), "");
        Event::NumberManagementPeeringNumberCnamUpdated(Box::new(
            serde_json::from_str::<NumberManagementPeeringNumberCnamUpdated>(&body).unwrap(),
        ))
    }

    #[test]
    fn event_first_is_one_pass_and_event_last_two() {
        let first = parse(&cnam(&format!(r#""event":"{CNAM}","#), ""), true).unwrap();
        let last = parse(&cnam("", &format!(r#","event":"{CNAM}""#)), false).unwrap();
        assert_eq!(first, expected_cnam());
        assert_eq!(last, expected_cnam());
        let Event::NumberManagementPeeringNumberCnamUpdated(cnam) = first else { panic!("{first:?}") };
        assert_eq!(cnam.event, CNAM, "the payload still sees the name it was told apart by");
        // Whitespace around the first key does not matter.
        let spaced = format!(
            " {{ \"event\" : \"{CNAM}\" , \"event_ts\":1,\"payload\":{{\"account_id\":\"a\",\"object\":{{\"carrier_code\":1,\"phone_numbers\":[]}}}} }} "
        );
        assert!(parse(&spaced, true).is_ok());
    }

    #[test]
    fn event_missing_or_not_a_string() {
        for body in [cnam("", ""), cnam(r#""event":null,"#, ""), "{}".to_owned()] {
            let err = parse(&body, false).unwrap_err();
            assert!(matches!(err, ParseError::MissingEventName { property: "event" }), "{err:?}");
        }
        // A non-string first `event` names nothing, and a later string one does not make up for it: the
        // body has `event` twice.
        let twice = cnam(r#""event":42,"#, &format!(r#","event":"{CNAM}""#));
        let err = parse(&twice, false).unwrap_err();
        assert!(matches!(err, ParseError::DuplicateEventName { property: "event" }), "{err:?}");
    }

    #[test]
    fn unknown_events_keep_the_whole_body() {
        let first = cnam(r#""event":"meeting.started","#, "");
        let parsed = parse(&first, true).unwrap();
        let Event::Unknown(unknown) = &parsed else { panic!("{parsed:?}") };
        assert_eq!(unknown.name, "meeting.started");
        assert_eq!(unknown.body, serde_json::from_str::<serde_json::Value>(&first).unwrap());
        let keys: Vec<&str> = unknown.body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["event", "event_ts", "payload"], "key order is kept");
        let last = parse(&cnam("", r#","event":"meeting.started""#), false).unwrap();
        assert_eq!(last.name(), "meeting.started");
    }

    #[test]
    fn wrong_field_types_report_their_path() {
        for body in [
            cnam(&format!(r#""event":"{CNAM}","#), "").replace("3457", "\"3457\""),
            cnam("", &format!(r#","event":"{CNAM}""#)).replace("3457", "\"3457\""),
        ] {
            let err = parse(&body, false).unwrap_err();
            assert_eq!(err.event(), Some(CNAM));
            assert_eq!(err.path(), Some("payload.object.carrier_code"), "{err:?}");
        }
        // A missing required field is reported at the object that lacks it.
        let err = parse(&format!(r#"{{"event":"{CNAM}","event_ts":1}}"#), false).unwrap_err();
        assert_eq!(err.path(), Some("."), "{err:?}");
        assert!(err.to_string().contains("missing field `payload`"), "{err}");
        // With two missing, the one declared first is named, as serde's derive names it.
        let err = parse(&format!(r#"{{"event":"{CNAM}"}}"#), false).unwrap_err();
        assert!(err.to_string().contains("missing field `event_ts`"), "{err}");
    }

    #[test]
    fn json_errors_stay_json_errors() {
        for body in [
            format!(r#"{{"event":"{CNAM}","event_ts":1,"payload":"#),
            // A type error before a syntax error: the body is still reported as not JSON.
            format!(r#"{{"event":"{CNAM}","event_ts":"x","payload":}}"#),
            cnam(&format!(r#""event":"{CNAM}","#), "") + " x",
            r#"{"event":"meeting.started","x":[1,}"#.to_owned(),
            "[1".to_owned(),
            "".to_owned(),
        ] {
            let err = parse(&body, false).unwrap_err();
            assert!(matches!(err, ParseError::InvalidJson(_)), "{body}: {err:?}");
        }
    }

    #[test]
    fn valid_json_that_is_not_an_object_is_told_apart() {
        for body in ["[1]", "[]", "\"x\"", "42", "null", " true "] {
            let err = parse(body, false).unwrap_err();
            assert!(matches!(err, ParseError::NotAnObject), "{body}: {err:?}");
            let err = AnyEvent::from_slice(body.as_bytes()).unwrap_err();
            assert!(matches!(err, ParseError::NotAnObject), "{body}: {err:?}");
        }
    }

    #[test]
    fn invalid_utf8_anywhere_is_refused() {
        // Inside a property the payload type does not declare (serde_json skips it unchecked), inside a
        // declared one, and in an unknown webhook's body: the same answer everywhere.
        let known = cnam(&format!(r#""event":"{CNAM}","undeclared":"AAA","#), "");
        let unknown = cnam(r#""event":"meeting.started","undeclared":"AAA","#, "");
        let declared = cnam(&format!(r#""event":"{CNAM}","#), "").replace("ZOOM VIDEO", "ZOOM AAA");
        for body in [known, unknown, declared] {
            let mut bytes = body.into_bytes();
            let at = bytes.windows(3).position(|window| window == b"AAA").unwrap();
            bytes[at..at + 3].copy_from_slice(&[0xC3, 0x28, 0xFF]);
            let err = Event::from_slice(&bytes).unwrap_err();
            assert!(matches!(err, ParseError::InvalidUtf8(_)), "{err:?}");
            let err = Event::from_named(CNAM, &bytes).unwrap_err();
            assert!(matches!(err, ParseError::InvalidUtf8(_)), "{err:?}");
            assert!(matches!(discriminator(&bytes, "event"), Err(ParseError::InvalidUtf8(_))));
        }
    }

    #[test]
    fn duplicate_event_keys() {
        // A reader taking the first `event` and one taking the last would see different webhooks, so a
        // second top-level `event` is refused, wherever it stands and whatever the webhook.
        for body in [
            cnam(&format!(r#""event":"{CNAM}","#), &format!(r#","event":"{CNAM}""#)),
            cnam(&format!(r#""event":"{CNAM}","#), r#","event":"meeting.started""#),
            cnam(r#""event":"endpoint.url_validation","#, r#","event":"meeting.started""#),
            cnam(r#""event":"meeting.started","#, r#","event":"meeting.ended""#),
            cnam(r#""x":1,"event":"meeting.started","#, r#","event":"meeting.ended""#),
        ] {
            let err = parse(&body, false).unwrap_err();
            assert!(matches!(err, ParseError::DuplicateEventName { property: "event" }), "{body}: {err:?}");
            assert!(matches!(discriminator(body.as_bytes(), "event"), Err(ParseError::DuplicateEventName { .. })));
        }
        // A nested `event` is the payload's own business.
        let nested = cnam(&format!(r#""event":"{CNAM}","#), r#","extra":{"event":"x","event":"y"}"#);
        assert_eq!(parse(&nested, true).unwrap(), expected_cnam());
    }

    #[test]
    fn escaped_names_and_keys() {
        let escaped = CNAM.replace('_', "\\u005f");
        let value = parse(&cnam(&format!(r#""event":"{escaped}","#), ""), true).unwrap();
        assert_eq!(value, expected_cnam());
        let key = parse(&cnam(&format!(r#""\u0065vent":"{CNAM}","#), ""), true).unwrap();
        assert_eq!(key, expected_cnam());
        let unknown = parse(&cnam(r#""event":"meeting\/started","#, ""), true).unwrap();
        assert_eq!(unknown.name(), "meeting/started");
    }
}

/// The path an error names is the one `serde_path_to_error` finds by tracking the path while reading,
/// for every value of real payloads: each replaced by values of other types, each object key removed,
/// on compact and on pretty-printed bodies.
mod error_paths {
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};
    use webhook_runtime::__private::parse_payload;
    use zoom_webhooks::number_management::NumberManagementPeeringNumberEmergencyAddressUpdated;

    use super::*;

    /// Every variant of `value` with one value replaced or one key removed.
    fn mutations(value: &Value) -> Vec<Value> {
        let replacements = [json!("x"), json!(-1), json!(3_000_000_000_i64), json!(1.5), json!(true), json!(null)];
        let mut variants: Vec<Value> = Vec::new();
        let mut with_child = |child: &Value, rebuild: &dyn Fn(Option<Value>) -> Value| {
            for replacement in replacements.iter().cloned().chain([json!([[1]]), json!({"k": [1]})]) {
                variants.push(rebuild(Some(replacement)));
            }
            variants.push(rebuild(None));
            for nested in mutations(child) {
                variants.push(rebuild(Some(nested)));
            }
        };
        match value {
            Value::Object(map) => {
                for key in map.keys() {
                    with_child(&map[key], &|child| {
                        let mut map = map.clone();
                        match child {
                            Some(child) => map[key] = child,
                            None => {
                                map.shift_remove(key);
                            }
                        }
                        Value::Object(map)
                    });
                }
            }
            Value::Array(items) => {
                for index in 0..items.len() {
                    with_child(&items[index], &|child| {
                        let mut items = items.clone();
                        match child {
                            Some(child) => items[index] = child,
                            None => {
                                items.remove(index);
                            }
                        }
                        Value::Array(items)
                    });
                }
                // An element more, of another type.
                let mut longer = items.clone();
                longer.push(json!({"k": 1}));
                variants.push(Value::Array(longer));
            }
            _ => {}
        }
        variants
    }

    /// Checks every mutation of `example` read as `T`; returns how many failed to parse.
    fn check<T: DeserializeOwned>(example: &Value) -> usize {
        let mut errors = 0;
        for variant in mutations(example) {
            for body in [serde_json::to_string(&variant).unwrap(), serde_json::to_string_pretty(&variant).unwrap()] {
                let Err(err) = parse_payload::<T>("e", body.as_bytes()) else { continue };
                let ParseError::InvalidPayload { path, source, .. } = &err else { panic!("{err:?}") };
                let tracked = serde_path_to_error::deserialize::<_, T>(&mut serde_json::Deserializer::from_str(&body))
                    .err()
                    .unwrap();
                assert_eq!(path, &tracked.path().to_string(), "{body}");
                assert_eq!(source.to_string(), tracked.inner().to_string(), "{body}");
                errors += 1;
            }
        }
        errors
    }

    #[test]
    fn paths_match_tracked_paths_on_real_payloads() {
        let emergency = json!({
            "event": "number_management.peering_number_emergency_address_updated",
            "event_ts": 1619155436400_i64,
            "payload": {
                "account_id": "Mt6sv4u0TAyPkwgsL2lxiA",
                "object": {
                    "emergency_address": {
                        "country": "US", "address_line1": "55 ALMADEN BLVD", "address_line2": "13F",
                        "city": "SAN JOSE", "zip": "95113", "state_code": "CA"
                    },
                    "carrier_code": 3457,
                    "phone_numbers": ["+18008001000", "+18008001001"]
                }
            }
        });
        let cnam = json!({
            "event": "number_management.peering_number_cnam_updated",
            "event_ts": 1619155436400_i64,
            "payload": {
                "account_id": "Mt6sv4u0TAyPkwgsL2lxiA",
                "object": {"cnam": "ZOOM VIDEO", "carrier_code": 3457, "phone_numbers": ["+18008001000"]}
            }
        });
        let errors = check::<NumberManagementPeeringNumberEmergencyAddressUpdated>(&emergency)
            + check::<NumberManagementPeeringNumberCnamUpdated>(&cnam);
        // Most mutations do not fit the schema; the count shows the check is not vacuous.
        assert!(errors > 300, "{errors}");
    }
}

/// Every payload is boxed, so an `Event` is as small as its `Unknown` variant whatever its largest payload
/// (before, the largest areas' were several kilobytes, each move a copy of that).
#[test]
fn events_hold_their_payloads_in_boxes() {
    use std::mem::size_of;
    let unknown = size_of::<zoom_webhooks::UnknownEvent>();
    for (module, size) in [
        ("meetings", size_of::<zoom_webhooks::meetings::Event>()),
        ("contact_center", size_of::<zoom_webhooks::contact_center::Event>()),
        ("phone", size_of::<zoom_webhooks::phone::Event>()),
        ("team_chat", size_of::<zoom_webhooks::team_chat::Event>()),
        ("number_management", size_of::<Event>()),
        ("any", size_of::<AnyEvent>()),
    ] {
        assert!(size <= unknown + 16, "{module}: {size} bytes, an unknown event {unknown}");
    }
}
