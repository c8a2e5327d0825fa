//! The receiver's traces in OpenTelemetry. Each delivery runs in a `tracing` span, `webhook_delivery`
//! (fields `scheme`, `event`, `module`, `key`, `remote`), ending with the event `webhook delivery
//! answered` (`status`, `outcome`, `latency_ms`): a `tracing-opentelemetry` layer exports it as an
//! OpenTelemetry span with those attributes, and the event as a span event. Nothing in the receiver
//! changes; only the subscriber does.
//!
//! ```text
//! ZOOM_WEBHOOK_SECRET_TOKEN=... PORT=8080 cargo run -p example-opentelemetry   # spans printed to stdout
//! cargo xtask send number_management.peering_number_cnam_updated --url http://127.0.0.1:8080/webhooks/zoom --secret ...
//! cargo test -p example-opentelemetry    # the exported span of a signed delivery, in memory
//! ```
//!
//! The exporter here writes spans to stdout (`opentelemetry-stdout`) so that the example needs no
//! collector; for a real one, build the provider with `opentelemetry-otlp`'s exporter instead, the rest
//! stays as it is.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::{LookupSpan, Registry};
use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::number_management::{self, Handler, NumberManagementPeeringNumberCnamUpdated};

/// Logs each CNAM update; the log line becomes an event of the delivery's span.
pub struct Numbers;

impl Handler for Numbers {
    type Error = std::convert::Infallible;

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Self::Error> {
        tracing::info!(cnam = ?event.payload.object.cnam, "CNAM updated");
        Ok(())
    }
}

/// The receiver for the app's secret token, with the Number Management route; an empty or blank secret
/// is refused.
pub fn receiver(secret: &str) -> Result<Receiver, zoom_webhooks::signature::SecretError> {
    Ok(Receiver::try_new(secret)?.route(number_management::route(Numbers)).duplicate_filter(DuplicateFilter::default()))
}

/// A tracer provider exporting every span to `exporter` as it ends, and a subscriber sending the
/// `tracing` spans to it. Keep the provider: `shutdown` it before the process exits.
pub fn subscriber(
    exporter: impl SpanExporter + 'static,
) -> (SdkTracerProvider, impl tracing::Subscriber + for<'span> LookupSpan<'span> + Send + Sync) {
    // A batch exporter (`with_batch_exporter`) suits a busy receiver; this one exports span by span.
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter).build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("zoom-webhooks"));
    (provider, Registry::default().with(layer))
}
