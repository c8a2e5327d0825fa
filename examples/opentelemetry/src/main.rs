//! Serves the receiver at `POST /webhooks/zoom`, its spans exported to stdout; see the crate docs.

use std::net::{Ipv4Addr, SocketAddr};

use tracing_subscriber::layer::SubscriberExt as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (provider, subscriber) = example_opentelemetry::subscriber(opentelemetry_stdout::SpanExporter::default());
    // The usual log lines too, beside the exported spans.
    tracing::subscriber::set_global_default(subscriber.with(tracing_subscriber::fmt::layer()))?;
    let secret = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN").map_err(|_| "set ZOOM_WEBHOOK_SECRET_TOKEN")?;
    let port: u16 = std::env::var("PORT").map_or(Ok(8080), |port| port.parse())?;
    let receiver = example_opentelemetry::receiver(&secret)?;
    let app = axum::Router::new().route("/webhooks/zoom", receiver.into_method_router());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))).await?;
    zoom_webhooks::axum::serve(listener, app).await;
    provider.shutdown()?;
    Ok(())
}
