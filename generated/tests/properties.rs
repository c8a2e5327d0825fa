//! Parsing and dispatch never panic, whatever the bytes: arbitrary bytes, arbitrary JSON values, and
//! JSON shaped like a delivery of each webhook with arbitrary contents.

use proptest::prelude::*;
use serde_json::Value;
use zoom_webhooks::number_management::{self, Event, Handler};
use zoom_webhooks::{AnyEvent, DispatchError, UnknownEvent};

/// Accepts every event.
struct Accept;

impl Handler for Accept {
    type Error = std::convert::Infallible;
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let Ok(runtime) = runtime else { panic!("a runtime") };
    runtime.block_on(future)
}

/// Checks every entry point on one body, and that they agree with each other.
fn check(body: &[u8]) -> Result<(), TestCaseError> {
    let event = Event::from_slice(body);
    let any = AnyEvent::from_slice(body);
    prop_assert_eq!(event.is_ok(), any.is_ok(), "Event and AnyEvent disagree");
    if let (Ok(event), Ok(any)) = (&event, &any) {
        prop_assert_eq!(event.name(), any.name());
        // A typed delivery writes back JSON that parses to the same event. (Unknown events keep any JSON,
        // whose floats serde_json does not promise to read back bit for bit.)
        let typed = !matches!(event, Event::Unknown(_));
        if let (true, Ok(json)) = (typed, serde_json::to_vec(event)) {
            let again = Event::from_named(event.name(), &json).ok();
            prop_assert_eq!(again.as_ref(), Some(event));
        }
    }
    let dispatched = block_on(number_management::dispatch(&Accept, body));
    prop_assert_eq!(dispatched.is_ok(), event.is_ok());
    prop_assert!(!matches!(dispatched, Err(DispatchError::Handler(_))));
    for name in number_management::EVENT_NAMES.iter().copied().chain(["meeting.started", ""]) {
        let _ = Event::from_named(name, body);
        let _ = AnyEvent::from_named(name, body);
        let _ = UnknownEvent::parse(name, body);
        let _ = block_on(number_management::dispatch_named(&Accept, name, body));
    }
    let route = number_management::route(Accept);
    let _ = block_on(route.dispatch("number_management.peering_number_cnam_updated", body));
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof!["[a-z_]{0,12}", Just("event".to_owned()), Just("payload".to_owned())],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A delivery of one of the module's webhooks (or another name) with arbitrary values where the schema
/// has typed ones.
fn delivery() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        3 => proptest::sample::select(number_management::EVENT_NAMES).prop_map(str::to_owned),
        1 => Just("endpoint.url_validation".to_owned()),
        1 => ".{0,20}",
    ];
    let strings = proptest::collection::vec(".{0,16}".prop_map(Value::from), 0..3).prop_map(Value::from);
    let phone_numbers = prop_oneof![3 => strings, 1 => json_value()];
    let carrier_code = prop_oneof![3 => any::<i32>().prop_map(Value::from), 1 => json_value()];
    let cnam = prop_oneof![3 => ".{0,10}".prop_map(Value::from), 1 => json_value()];
    let object = (carrier_code, phone_numbers, cnam).prop_map(|(carrier_code, phone_numbers, cnam)| {
        serde_json::json!({ "carrier_code": carrier_code, "phone_numbers": phone_numbers, "cnam": cnam })
    });
    let account_id = prop_oneof![3 => "[A-Za-z0-9]{0,22}".prop_map(Value::from), 1 => json_value()];
    (name, any::<i64>(), object, account_id).prop_map(|(name, event_ts, object, account_id)| {
        serde_json::json!({ "event": name, "event_ts": event_ts, "payload": { "account_id": account_id, "object": object } })
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        check(&body)?;
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        check(&body)?;
    }

    #[test]
    fn delivery_shaped_json_never_panics(value in delivery()) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        check(&body)?;
    }

    #[test]
    fn truncated_deliveries_never_panic(value in delivery(), cut in any::<prop::sample::Index>()) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        check(&body[..cut.index(body.len() + 1)])?;
    }
}
