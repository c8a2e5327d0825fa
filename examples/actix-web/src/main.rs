//! Serves the receiver at `POST /webhooks/zoom` with actix-web; see the crate docs.

use actix_web::{App, HttpServer};
use example_actix_web::{configure, receiver};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN").map_err(|_| "set ZOOM_WEBHOOK_SECRET_TOKEN")?;
    let receiver = receiver(&secret)?;
    let port: u16 = std::env::var("PORT").map_or(Ok(8080), |port| port.parse())?;
    HttpServer::new(move || App::new().configure(configure(receiver.clone(), "/webhooks/zoom")))
        .bind(("0.0.0.0", port))?
        .run()
        .await?;
    Ok(())
}
