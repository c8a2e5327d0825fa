//! Serves the Svix receiver at `POST /webhooks/svix` until Ctrl-C or SIGTERM; see the crate docs.

use std::net::{Ipv4Addr, SocketAddr};

use example_svix_build_rs::{Endpoints, receiver};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let secret = std::env::var("SVIX_WEBHOOK_SECRET").map_err(|_| "set SVIX_WEBHOOK_SECRET to whsec_...")?;
    let port: u16 = std::env::var("PORT").map_or(Ok(8080), |port| port.parse())?;
    let app = axum::Router::new().route("/webhooks/svix", receiver(&secret, Endpoints)?.into_method_router());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))).await?;
    webhook_runtime::axum::serve(listener, app).await;
    Ok(())
}
