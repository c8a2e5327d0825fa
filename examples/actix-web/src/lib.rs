//! The receiver under actix-web 4. Its core is framework-neutral: [`Receiver::receive`] takes the
//! request's headers and raw body and gives the answer, so an actix-web handler copies the headers
//! across (actix-web 4 speaks `http` 0.2, the receiver `http` 1), passes the body as it came, and copies
//! the answer back.
//!
//! ```text
//! ZOOM_WEBHOOK_SECRET_TOKEN=... PORT=8080 cargo run -p example-actix-web
//! cargo xtask send number_management.peering_number_cnam_updated --url http://127.0.0.1:8080/webhooks/zoom --secret ...
//! cargo test -p example-actix-web     # signed deliveries through actix-web's test server
//! ```
//!
//! Unlike the axum route and `Receiver::into_service`, actix-web reads the body before the handler
//! runs, so a request without signature headers is refused (401) after its body arrived; the body is
//! limited to the receiver's 2 MB (`DEFAULT_BODY_LIMIT`; actix-web's own default is 256 KiB) and a larger
//! one answered 413 by actix-web.

use actix_web::{HttpRequest, HttpResponse, web};
use http_body_util::BodyExt as _;
use zoom_webhooks::UnknownEvent;
use zoom_webhooks::axum::{DEFAULT_BODY_LIMIT, Receiver};
use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::number_management::{self, Handler, NumberManagementPeeringNumberCnamUpdated};

/// Prints each CNAM update.
pub struct Numbers;

impl Handler for Numbers {
    type Error = std::convert::Infallible;

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Self::Error> {
        println!("{:?} now shows {:?}", event.payload.object.phone_numbers, event.payload.object.cnam);
        Ok(())
    }

    async fn on_unknown(&self, event: UnknownEvent) -> Result<(), Self::Error> {
        println!("an event this crate does not know yet: {}", event.name);
        Ok(())
    }
}

/// The receiver for the app's secret token, with the Number Management route and duplicates filtered
/// in memory; an empty or blank secret is refused.
pub fn receiver(secret: &str) -> Result<Receiver, zoom_webhooks::signature::SecretError> {
    Ok(Receiver::try_new(secret)?.route(number_management::route(Numbers)).duplicate_filter(DuplicateFilter::default()))
}

/// Mounts the receiver at `POST path` of an actix-web app, with the receiver's body limit.
pub fn configure(receiver: Receiver, path: &str) -> impl FnOnce(&mut web::ServiceConfig) {
    let path = path.to_owned();
    move |config: &mut web::ServiceConfig| {
        config
            .app_data(web::Data::new(receiver))
            .app_data(web::PayloadConfig::new(DEFAULT_BODY_LIMIT))
            .route(&path, web::post().to(receive));
    }
}

/// The actix-web handler: the request's headers and raw body to [`Receiver::receive`], its answer back.
async fn receive(request: HttpRequest, body: web::Bytes, receiver: web::Data<Receiver>) -> HttpResponse {
    let mut headers = http::HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        // Names and values valid in `http` 0.2 are valid in `http` 1.
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_ref()), http::HeaderValue::from_bytes(value.as_bytes()))
        {
            headers.append(name, value);
        }
    }
    let answer = receiver.receive(&headers, &body).await;
    let status = actix_web::http::StatusCode::from_u16(answer.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    if let Some(content_type) = answer.headers().get(http::header::CONTENT_TYPE) {
        response.insert_header((actix_web::http::header::CONTENT_TYPE, content_type.as_bytes()));
    }
    // The receiver's answers are short texts or JSON, complete when `receive` returns.
    match answer.into_body().collect().await {
        Ok(body) => response.body(body.to_bytes()),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
