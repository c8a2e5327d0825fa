//! A Zoom webhook receiver: `POST /webhooks/zoom`, every event logged with `tracing`.
//!
//! ```text
//! ZOOM_WEBHOOK_SECRET_TOKEN=... PORT=8080 cargo run -p zoom-webhooks --example receiver --features axum
//! ```
//!
//! Then point the app's event subscription at `https://<your host>/webhooks/zoom` (a tunnel to this port
//! works for development), or send a signed example with
//! `cargo xtask send number_management.peering_number_cnam_updated --url http://127.0.0.1:8080/webhooks/zoom --secret ...`.
//! It is served by `zoom_webhooks::axum::serve`, with its default limits for slow and idle clients; Ctrl-C or
//! SIGTERM stops it after the deliveries in progress are answered (10 s at most). An unset, empty or blank
//! `ZOOM_WEBHOOK_SECRET_TOKEN` stops it before it listens.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use zoom_webhooks::UnknownEvent;
use zoom_webhooks::axum::{DuplicateFilter, Receiver};
use zoom_webhooks::number_management::{
    self, Handler, NumberManagementPeeringNumberCnamUpdated, NumberManagementPeeringNumberEmergencyAddressUpdated,
};

/// Logs each Number Management event. Real handlers should be as quick: Zoom waits 3 seconds.
struct LogNumbers;

impl Handler for LogNumbers {
    type Error = std::convert::Infallible;

    async fn on_number_management_peering_number_emergency_address_updated(
        &self,
        event: NumberManagementPeeringNumberEmergencyAddressUpdated,
    ) -> Result<(), Self::Error> {
        let object = &event.payload.object;
        tracing::info!(
            event = event.event,
            account = event.payload.account_id,
            carrier_code = object.carrier_code,
            phone_numbers = ?object.phone_numbers,
            address = ?object.emergency_address.as_ref().map(|address| &address.address_line1),
            "emergency address updated"
        );
        Ok(())
    }

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Self::Error> {
        let object = &event.payload.object;
        tracing::info!(
            event = event.event,
            account = event.payload.account_id,
            carrier_code = object.carrier_code,
            phone_numbers = ?object.phone_numbers,
            cnam = ?object.cnam,
            "CNAM updated"
        );
        Ok(())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).init();
    let Ok(secret) = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN") else {
        tracing::error!("set ZOOM_WEBHOOK_SECRET_TOKEN to the app's secret token");
        return ExitCode::FAILURE;
    };
    // Anyone can sign with an empty key: refuse it before listening.
    let receiver = match Receiver::try_new(secret) {
        Ok(receiver) => receiver,
        Err(err) => {
            tracing::error!(%err, "ZOOM_WEBHOOK_SECRET_TOKEN is not usable");
            return ExitCode::FAILURE;
        }
    };
    let port = match std::env::var("PORT").map(|port| port.parse::<u16>()) {
        Err(_) => 8080,
        Ok(Ok(port)) => port,
        Ok(Err(err)) => {
            tracing::error!(%err, "PORT must be a port number");
            return ExitCode::FAILURE;
        }
    };

    let webhooks = receiver
        .route(number_management::route(LogNumbers))
        .on_unknown(|event: UnknownEvent| async move {
            tracing::info!(event = event.name, body = %event.body, "webhook without a typed module");
            Ok::<_, std::convert::Infallible>(())
        })
        .duplicate_filter(DuplicateFilter::default());
    let app = axum::Router::new().route("/webhooks/zoom", webhooks.into_method_router());

    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!(%err, %address, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(%address, "receiving Zoom webhooks at POST /webhooks/zoom; Ctrl-C stops");
    zoom_webhooks::axum::serve(listener, app).await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}
