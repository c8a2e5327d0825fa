//! `dispatch` routes each delivery to its handler method, and every failure is its own error.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use pipeline_tests::block_on;
use zoom_webhooks::number_management::{
    self, Handler, NumberManagementPeeringNumberCnamUpdated, NumberManagementPeeringNumberEmergencyAddressUpdated,
};
use zoom_webhooks::{DispatchError, ParseError, UnknownEvent};

const CNAM: &str = r#"{"event":"number_management.peering_number_cnam_updated","event_ts":1619155436400,"payload":{"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","object":{"cnam":"ZOOM VIDEO","carrier_code":3457,"phone_numbers":["+18008001000"]}}}"#;
const EMERGENCY: &str = r#"{"event":"number_management.peering_number_emergency_address_updated","event_ts":1619155436400,"payload":{"account_id":"Mt6sv4u0TAyPkwgsL2lxiA","object":{"emergency_address":{"address_line1":"55 ALMADEN BLVD","city":"SAN JOSE"},"carrier_code":3457,"phone_numbers":["+18008001000","+18008001001"]}}}"#;

#[derive(Debug, PartialEq)]
enum Call {
    Cnam(NumberManagementPeeringNumberCnamUpdated),
    Emergency(NumberManagementPeeringNumberEmergencyAddressUpdated),
    Unknown(UnknownEvent),
}

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
    fail: bool,
}

impl Recorder {
    fn record(&self, call: Call) -> Result<(), String> {
        self.calls.lock().map_err(|err| err.to_string())?.push(call);
        if self.fail { Err("storage is down".to_owned()) } else { Ok(()) }
    }

    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl Handler for Recorder {
    type Error = String;

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), String> {
        self.record(Call::Cnam(event))
    }

    async fn on_number_management_peering_number_emergency_address_updated(
        &self,
        event: NumberManagementPeeringNumberEmergencyAddressUpdated,
    ) -> Result<(), String> {
        self.record(Call::Emergency(event))
    }

    async fn on_unknown(&self, event: UnknownEvent) -> Result<(), String> {
        self.record(Call::Unknown(event))
    }
}

#[test]
fn each_event_reaches_its_method_with_its_values() {
    let recorder = Recorder::default();
    block_on(number_management::dispatch(&recorder, CNAM.as_bytes())).unwrap();
    block_on(number_management::dispatch(&recorder, EMERGENCY.as_bytes())).unwrap();
    let calls = recorder.take();
    assert_eq!(calls.len(), 2);
    let Call::Cnam(cnam) = &calls[0] else { panic!("first call was {:?}", calls[0]) };
    assert_eq!(cnam.event, "number_management.peering_number_cnam_updated");
    assert_eq!(cnam.event_ts, 1_619_155_436_400);
    assert_eq!(cnam.payload.account_id, "Mt6sv4u0TAyPkwgsL2lxiA");
    assert_eq!(cnam.payload.object.cnam.as_deref(), Some("ZOOM VIDEO"));
    assert_eq!(cnam.payload.object.carrier_code, 3457);
    assert_eq!(cnam.payload.object.phone_numbers, ["+18008001000"]);
    let Call::Emergency(emergency) = &calls[1] else { panic!("second call was {:?}", calls[1]) };
    let address = emergency.payload.object.emergency_address.as_ref().expect("address present");
    assert_eq!(address.address_line1, "55 ALMADEN BLVD");
    assert_eq!(address.city.as_deref(), Some("SAN JOSE"));
    assert_eq!(address.zip, None);
    assert_eq!(emergency.payload.object.phone_numbers.len(), 2);
}

#[test]
fn an_unknown_event_reaches_on_unknown_whole() {
    let recorder = Recorder::default();
    let body = r#"{"event":"number_management.something_new","event_ts":1,"payload":{"x":[1,2]}}"#;
    block_on(number_management::dispatch(&recorder, body.as_bytes())).unwrap();
    let calls = recorder.take();
    let [Call::Unknown(unknown)] = calls.as_slice() else { panic!("calls: {calls:?}") };
    assert_eq!(unknown.name, "number_management.something_new");
    assert_eq!(unknown.body, serde_json::from_str::<serde_json::Value>(body).unwrap());
}

#[test]
fn dispatch_named_uses_the_given_name() {
    let recorder = Recorder::default();
    // The name comes from elsewhere (a URL, a header); the body's own `event` is not consulted.
    block_on(number_management::dispatch_named(
        &recorder,
        "number_management.peering_number_cnam_updated",
        CNAM.as_bytes(),
    ))
    .unwrap();
    assert!(matches!(recorder.take().as_slice(), [Call::Cnam(_)]));
}

fn dispatch_error(body: &str) -> DispatchError<String> {
    let recorder = Recorder::default();
    let err = block_on(number_management::dispatch(&recorder, body.as_bytes())).unwrap_err();
    assert!(recorder.take().is_empty(), "no handler runs when parsing fails");
    err
}

#[test]
fn malformed_json_is_invalid_json() {
    let err = dispatch_error(r#"{"event":"number_management.peering_number_cnam_updated","#);
    assert!(matches!(err, DispatchError::Parse(ParseError::InvalidJson(_))), "{err:?}");
    assert!(err.to_string().starts_with("the body is not valid JSON"), "{err}");
    // Valid JSON that is not an object is told apart from a body that is not JSON.
    let err = dispatch_error("[1, 2]");
    assert!(matches!(err, DispatchError::Parse(ParseError::NotAnObject)), "{err:?}");
    assert_eq!(err.to_string(), "the body is not a JSON object");
}

#[test]
fn a_body_without_event_is_missing_event_name() {
    for body in [r#"{"event_ts":1,"payload":{}}"#, r#"{"event":null}"#, r#"{"event":7}"#] {
        let err = dispatch_error(body);
        assert!(
            matches!(err, DispatchError::Parse(ParseError::MissingEventName { property: "event" })),
            "{body}: {err:?}"
        );
        assert_eq!(err.to_string(), "the body has no string `event` property naming the event");
    }
}

#[test]
fn a_wrong_field_type_names_the_event_and_the_field_path() {
    let body = CNAM.replace("3457", "\"3457\"");
    let err = dispatch_error(&body);
    let DispatchError::Parse(parse) = &err else { panic!("{err:?}") };
    assert_eq!(parse.event(), Some("number_management.peering_number_cnam_updated"));
    assert_eq!(parse.path(), Some("payload.object.carrier_code"));
    let message = err.to_string();
    assert!(
        message.starts_with("the `number_management.peering_number_cnam_updated` payload does not match its schema at `payload.object.carrier_code`: invalid type: string \"3457\", expected i32"),
        "{message}"
    );
    // A required field that is missing is reported the same way, at its parent.
    let err = dispatch_error(&CNAM.replace(r#""account_id":"Mt6sv4u0TAyPkwgsL2lxiA","#, ""));
    let DispatchError::Parse(parse) = &err else { panic!("{err:?}") };
    assert_eq!(parse.path(), Some("payload"));
    assert!(err.to_string().contains("missing field `account_id`"), "{err}");
    // An int32 field with a value out of range.
    let err = dispatch_error(&CNAM.replace("3457", "3000000000"));
    let DispatchError::Parse(parse) = &err else { panic!("{err:?}") };
    assert_eq!(parse.path(), Some("payload.object.carrier_code"));
}

#[test]
fn a_handler_error_is_passed_on() {
    let recorder = Recorder { fail: true, ..Recorder::default() };
    let err = block_on(number_management::dispatch(&recorder, CNAM.as_bytes())).unwrap_err();
    assert!(matches!(&err, DispatchError::Handler(message) if message == "storage is down"), "{err:?}");
    assert_eq!(err.to_string(), "the handler failed: storage is down");
    assert_eq!(recorder.take().len(), 1);
}

#[test]
fn unknown_fields_are_ignored() {
    let body = CNAM.replace(r#""cnam":"ZOOM VIDEO","#, r#""cnam":"ZOOM VIDEO","added_later":{"a":1},"#);
    let recorder = Recorder::default();
    block_on(number_management::dispatch(&recorder, body.as_bytes())).unwrap();
    assert!(
        matches!(recorder.take().as_slice(), [Call::Cnam(event)] if event.payload.object.cnam.as_deref() == Some("ZOOM VIDEO"))
    );
}
