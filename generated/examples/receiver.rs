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
//!
//! Duplicates are filtered in memory, or, when `ZOOM_WEBHOOK_REDIS_URL` is set (`redis://127.0.0.1:6379/`,
//! with `--features axum,redis`), in Redis shared by every replica, failing closed (503) while Redis is
//! unreachable. Each delivery a handler accepted is logged at `info` level as `handled`, with `event` and
//! `sha256` (of the raw body), so the deliveries of several replicas can be counted from their logs.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use zoom_webhooks::axum::{DeliveryKey, DuplicateFilter, Receiver};
use zoom_webhooks::number_management::{
    self, Handler, NumberManagementPeeringNumberCnamUpdated, NumberManagementPeeringNumberEmergencyAddressUpdated,
};
use zoom_webhooks::{UnknownEvent, signature};

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
        log_handled(&event.event);
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
        log_handled(&event.event);
        Ok(())
    }
}

tokio::task_local! {
    /// The hex SHA-256 of the raw body of the delivery being handled.
    static BODY_SHA256: String;
}

/// One `handled` line per delivery a handler accepted.
fn log_handled(event: &str) {
    let sha256 = BODY_SHA256.try_with(Clone::clone).unwrap_or_default();
    tracing::info!(event, sha256, "handled");
}

/// Makes the raw body's SHA-256 known to the handlers, which see only the parsed event. Requests without
/// well-formed signature headers pass untouched: the receiver refuses them before reading their body.
async fn body_digest(request: Request, next: Next) -> Response {
    if signature::check_headers(request.headers()).is_err() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // The same extractor as the receiver's, with axum's body limit (2 MB; 413 over it).
    let body = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let sha256 = DeliveryKey::of(&body).to_hex();
    BODY_SHA256.scope(sha256, next.run(Request::from_parts(parts, Body::from(body)))).await
}

/// The duplicate filter: in Redis when `ZOOM_WEBHOOK_REDIS_URL` is set, in memory otherwise.
async fn duplicate_filter() -> Result<DuplicateFilter, String> {
    let Ok(url) = std::env::var("ZOOM_WEBHOOK_REDIS_URL") else { return Ok(DuplicateFilter::default()) };
    redis_filter(&url).await
}

#[cfg(feature = "redis")]
async fn redis_filter(url: &str) -> Result<DuplicateFilter, String> {
    use zoom_webhooks::axum::{RedisStore, StoreFailure};
    let store = RedisStore::connect(url).await.map_err(|err| format!("ZOOM_WEBHOOK_REDIS_URL is not usable: {err}"))?;
    // Serve even while Redis is down (answering 503 until it is back), but say so at start.
    match store.ping().await {
        Ok(()) => tracing::info!("duplicates are filtered in Redis, shared by every replica"),
        Err(err) => tracing::warn!(%err, "Redis does not answer yet; deliveries are answered 503 until it does"),
    }
    Ok(DuplicateFilter::with_store(store).on_store_failure(StoreFailure::FailClosed))
}

#[cfg(not(feature = "redis"))]
async fn redis_filter(_url: &str) -> Result<DuplicateFilter, String> {
    Err("ZOOM_WEBHOOK_REDIS_URL is set, but the example was built without the `redis` feature".to_owned())
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

    let filter = match duplicate_filter().await {
        Ok(filter) => filter,
        Err(err) => {
            tracing::error!(%err, "cannot set up the duplicate filter");
            return ExitCode::FAILURE;
        }
    };
    let webhooks = receiver
        .route(number_management::route(LogNumbers))
        .on_unknown(|event: UnknownEvent| async move {
            tracing::info!(event = event.name, body = %event.body, "webhook without a typed module");
            log_handled(&event.name);
            Ok::<_, std::convert::Infallible>(())
        })
        .duplicate_filter(filter);
    let app = axum::Router::new()
        .route("/webhooks/zoom", webhooks.into_method_router())
        .layer(axum::middleware::from_fn(body_digest));

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
