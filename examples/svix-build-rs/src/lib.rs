//! A Svix receiver whose webhook module is generated in `build.rs` from Svix's OpenAPI document
//! (`specs/svix.yaml`; its settings, `specs/svix.codegen.yaml`, say it is signed with Standard Webhooks).
//!
//! ```text
//! SVIX_WEBHOOK_SECRET=whsec_... PORT=8080 cargo run -p example-svix-build-rs
//! cargo xtask send endpoint.created --scheme standard --spec examples/svix-build-rs/specs/svix.yaml \
//!     --url http://127.0.0.1:8080/webhooks/svix --secret whsec_...
//! cargo test -p example-svix-build-rs     # a signed delivery through the receiver, in-process
//! ```

use webhook_runtime::axum::Receiver;
use webhook_runtime::duplicates::DuplicateFilter;
use webhook_runtime::signature::SecretError;

/// The module generated from `specs/svix.yaml`: payload types, `Event`, `Handler`, `dispatch`, `route`.
pub mod svix {
    include!(concat!(env!("OUT_DIR"), "/svix.rs"));
}

/// Logs the endpoints created and deleted.
#[derive(Debug, Default)]
pub struct Endpoints;

impl svix::Handler for Endpoints {
    type Error = std::convert::Infallible;

    async fn on_endpoint_created(&self, event: svix::EndpointCreatedEvent) -> Result<(), Self::Error> {
        tracing::info!(app = event.data.app_id, endpoint = event.data.endpoint_id, "endpoint created");
        Ok(())
    }

    async fn on_endpoint_deleted(&self, event: svix::EndpointDeletedEvent) -> Result<(), Self::Error> {
        tracing::info!(app = event.data.app_id, endpoint = event.data.endpoint_id, "endpoint deleted");
        Ok(())
    }
}

/// The receiver for the endpoint's secret (`whsec_...`), routing to `handler`, with Svix's re-deliveries
/// (the same `webhook-id`) filtered in memory.
///
/// # Errors
///
/// When the secret is not a usable Standard Webhooks secret.
pub fn receiver<H>(secret: &str, handler: H) -> Result<Receiver, SecretError>
where
    H: svix::Handler + 'static,
    H::Error: Into<webhook_runtime::BoxError>,
{
    Ok(Receiver::standard(&[secret])?.route(svix::route(handler)).duplicate_filter(DuplicateFilter::default()))
}
