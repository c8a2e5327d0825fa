//! The receiver on AWS Lambda, behind an API Gateway HTTP API or a function URL: `lambda_http::run` takes
//! a `tower::Service`, and [`Receiver::into_service`] is one, answering as the axum route does (401
//! before the body is looked at, 413 over 2 MB, then the receiver's answers).
//!
//! ```text
//! cargo lambda build --release -p example-lambda     # with cargo-lambda; ZOOM_WEBHOOK_SECRET_TOKEN set on the function
//! cargo test -p example-lambda                       # a signed request through the service, no Lambda runtime
//! ```
//!
//! Lambda gives the function the whole request at once, so there is no slow client to bound and no
//! server to run: the receiver's checks are all that is needed. A function instance handles one request
//! at a time, so the in-memory duplicate filter sees only its own instance's deliveries; with several
//! instances, use the Redis store (`DuplicateFilter::with_store(RedisStore::connect(url).await?)`).

use zoom_webhooks::axum::{Receiver, ReceiverService};
use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::number_management::{self, Handler, NumberManagementPeeringNumberCnamUpdated};

/// Prints each CNAM update (to the function's CloudWatch log).
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
}

/// The receiver for the app's secret token as the tower service `lambda_http::run` takes; an empty or
/// blank secret is refused.
pub fn service(secret: &str) -> Result<ReceiverService, zoom_webhooks::signature::SecretError> {
    let receiver = Receiver::try_new(secret)?
        .route(number_management::route(Numbers))
        .duplicate_filter(DuplicateFilter::default());
    Ok(receiver.into_service())
}
