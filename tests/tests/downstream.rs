//! A receiver written the way a downstream crate would: only the public API, a `Handler` with
//! `async fn`, overriding just the events it cares about.

use std::sync::atomic::{AtomicUsize, Ordering};

use pipeline_tests::block_on;
use zoom_webhooks::number_management::{
    self, EVENT_NAMES, Event, Handler, NumberManagementPeeringNumberCnamUpdated, UnknownEvent,
};
use zoom_webhooks::{AnyEvent, DispatchError, ParseError};

/// Counts CNAM updates per phone number; everything else takes the default (accept and ignore).
#[derive(Default)]
struct CnamCounter {
    numbers: AtomicUsize,
    unknown: AtomicUsize,
}

/// A downstream error type: a plain `std::error::Error`.
#[derive(Debug)]
struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}

impl std::error::Error for Never {}

impl Handler for CnamCounter {
    type Error = Never;

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Never> {
        self.numbers.fetch_add(event.payload.object.phone_numbers.len(), Ordering::Relaxed);
        Ok(())
    }

    async fn on_unknown(&self, _event: UnknownEvent) -> Result<(), Never> {
        self.unknown.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

const CNAM: &[u8] = br#"{"event":"number_management.peering_number_cnam_updated","event_ts":1,"payload":{"account_id":"a","object":{"carrier_code":1,"phone_numbers":["+1","+2"]}}}"#;
const EMERGENCY: &[u8] = br#"{"event":"number_management.peering_number_emergency_address_updated","event_ts":1,"payload":{"account_id":"a","object":{"carrier_code":1,"phone_numbers":[]}}}"#;

#[test]
fn a_downstream_handler_overrides_only_what_it_needs() {
    let counter = CnamCounter::default();
    block_on(number_management::dispatch(&counter, CNAM)).unwrap();
    block_on(number_management::dispatch(&counter, EMERGENCY)).unwrap();
    block_on(number_management::dispatch(&counter, br#"{"event":"brand.new","payload":{}}"#)).unwrap();
    assert_eq!(counter.numbers.load(Ordering::Relaxed), 2);
    assert_eq!(counter.unknown.load(Ordering::Relaxed), 1);
}

#[test]
fn the_public_api_names_are_stable() {
    assert_eq!(
        EVENT_NAMES,
        ["number_management.peering_number_emergency_address_updated", "number_management.peering_number_cnam_updated"]
    );
    let event = Event::from_slice(CNAM).unwrap();
    assert_eq!(event.name(), "number_management.peering_number_cnam_updated");
    assert!(matches!(event, Event::NumberManagementPeeringNumberCnamUpdated(_)));
    assert_eq!(serde_json::to_value(&event).unwrap(), serde_json::from_slice::<serde_json::Value>(CNAM).unwrap());
    let any = AnyEvent::from_slice(EMERGENCY).unwrap();
    assert_eq!(any.module(), Some("number_management"));
    assert!(
        matches!(Event::from_named("nope", b"{}").unwrap(), Event::Unknown(UnknownEvent { ref name, .. }) if name == "nope")
    );
    // The errors are ordinary `std::error::Error`s with sources.
    let err: Box<dyn std::error::Error> =
        Box::new(DispatchError::<Never>::Parse(ParseError::MissingEventName { property: "event" }));
    assert_eq!(err.to_string(), "the body has no string `event` property naming the event");
    let err = Event::from_slice(b"{").unwrap_err();
    assert!(std::error::Error::source(&err).is_some());
}

/// Handler futures are `Send`, so dispatch can run on a multi-threaded runtime.
#[test]
fn dispatch_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let counter = CnamCounter::default();
    let future = number_management::dispatch(&counter, CNAM);
    assert_send(&future);
    block_on(future).unwrap();
}
