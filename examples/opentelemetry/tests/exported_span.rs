//! A signed delivery's `webhook_delivery` span, exported as an OpenTelemetry span with the receiver's
//! fields as attributes and its log lines as span events.

use opentelemetry::Value;
use opentelemetry_sdk::trace::InMemorySpanExporter;
use zoom_webhooks::testing::ZoomSigner;

const SECRET: &str = "otel-secret";
const CNAM_UPDATED: &str = "number_management.peering_number_cnam_updated";
const CNAM: &str = r#"{"event":"number_management.peering_number_cnam_updated","event_ts":1,"payload":{"account_id":"a","object":{"carrier_code":3457,"phone_numbers":["+18008001000"],"cnam":"ACME"}}}"#;

// The default `tokio::test` runtime runs the delivery on this thread, under the subscriber set here.
#[tokio::test]
async fn a_delivery_is_exported_as_a_webhook_delivery_span() {
    let exporter = InMemorySpanExporter::default();
    let (provider, subscriber) = example_opentelemetry::subscriber(exporter.clone());
    let _default = tracing::subscriber::set_default(subscriber);

    let receiver = example_opentelemetry::receiver(SECRET).expect("a usable secret");
    let answer = ZoomSigner::new(SECRET).expect("a usable secret").sign(CNAM).send_to(&receiver).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    provider.force_flush().expect("flush");

    let spans = exporter.get_finished_spans().expect("the exported spans");
    let span = spans.iter().find(|span| span.name == "webhook_delivery").expect("a webhook_delivery span");
    let attribute = |key: &str| span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.clone());
    assert_eq!(attribute("scheme"), Some(Value::from("zoom")));
    assert_eq!(attribute("event"), Some(Value::from(CNAM_UPDATED)));
    assert_eq!(attribute("module"), Some(Value::from("number_management")));
    let events: Vec<_> = span.events.iter().map(|event| event.name.to_string()).collect();
    assert!(events.contains(&"CNAM updated".to_owned()), "{events:?}");
    assert!(events.contains(&"webhook delivery answered".to_owned()), "{events:?}");
}
