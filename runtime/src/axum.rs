#![doc = include_str!("../docs/receiving.md")]
#![doc = include_str!("../docs/answers.md")]
#![doc = include_str!("../docs/logging.md")]
#![doc = include_str!("../docs/budget.md")]
#![doc = include_str!("../docs/security.md")]

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ::axum::Router;
use ::axum::body::Bytes;
use ::axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{MethodRouter, post};
use tracing::Instrument as _;

use crate::duplicates::{Claim, Claimed};
use crate::error_chain::ErrorChain;
use crate::handoff::{Delivery, DeliveryTooLarge, Sink};
use crate::private::parse_payload;
use crate::route::BoxError;
use crate::route_table::{Failure, Routes, fallback};
use crate::signature::zoom::Verifier;
use crate::signature::{SecretError, github, standard};
use crate::{ParseError, Received, Route, UnknownEvent};

mod scheme;
mod serve;
mod service;

use crate::InvalidDelivery;
use crate::duplicates::{DeliveryKey, DuplicateFilter};
pub use scheme::SignatureScheme;
use scheme::{GITHUB_HEADERS, GITHUB_PING_EVENT, STANDARD_HEADERS, SignatureHeaders, ZOOM_HEADERS};

pub use serve::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_SHUTDOWN_TIMEOUT, Serve,
    serve,
};
pub use service::{DEFAULT_BODY_LIMIT, ReceiverService};

/// The webhook Zoom sends to check that an endpoint belongs to the app; the receiver answers it itself.
pub const URL_VALIDATION_EVENT: &str = "endpoint.url_validation";

/// How long Zoom waits for an answer before it counts the delivery as failed and retries it later.
pub const RESPONSE_BUDGET: Duration = Duration::from_secs(3);

/// How long the receiver waits for the queue to confirm a handed-off delivery by default
/// ([`Receiver::hand_off_timeout`]): 2 seconds, inside Zoom's 3.
pub const DEFAULT_HAND_OFF_TIMEOUT: Duration = Duration::from_secs(2);

/// Receives webhooks for the handlers of any number of spec modules, at one URL, checking Zoom's
/// signatures, the Standard Webhooks scheme or GitHub's.
///
/// Build it with [`Receiver::new`] (Zoom), [`Receiver::standard`] or [`Receiver::github`] and one [`Receiver::route`] per module,
/// then serve it with [`Receiver::into_method_router`] (mounted at a path of your router) or
/// [`Receiver::into_router`].
/// See the [module docs](self) for the status codes.
///
/// # Routing
///
/// A delivery goes to the first route (in the order they were added) whose module declares the webhook
/// its body names, read by each route's discriminator property ([`Route::discriminator`]); a name no
/// route lists exactly goes to the first route with a templated name it matches (a webhook listed as
/// `{dataType}.write.successful` receives `contact.write.successful`). A webhook no
/// route answers for (a new Zoom event, or one of a module you did not route) goes to the receiver's
/// [`on_unknown`](Receiver::on_unknown) fallback, never to a module's
/// `Handler::on_unknown`; by default it is accepted with 200 and logged.
#[derive(Clone)]
pub struct Receiver {
    scheme: SignatureScheme,
    routes: Routes,
    duplicates: Option<DuplicateFilter>,
    /// In hand-off mode, the queue deliveries are published to instead of running the handlers.
    sink: Option<Arc<dyn Sink>>,
    hand_off_timeout: Duration,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("scheme", &self.scheme)
            .field("routes", &self.routes)
            .field("duplicates", &self.duplicates)
            .field("sink", &self.sink)
            .field("hand_off_timeout", &self.hand_off_timeout)
            .finish()
    }
}

impl Receiver {
    /// A receiver for the app's secret token (as shown in the Zoom app settings), with no routes, the
    /// default signature tolerance of 300 seconds and no duplicate filter.
    ///
    /// # Panics
    ///
    /// If the secret is empty or only whitespace ([`SecretError`]): anyone could sign deliveries and
    /// URL validations for it. Use [`Receiver::try_new`] for a secret read at run time.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self::with_verifier(Verifier::new(secret.as_ref()))
    }

    /// A receiver for the app's secret token, or [`SecretError`] if it is empty or only whitespace (an
    /// unset or empty `ZOOM_WEBHOOK_SECRET_TOKEN`, for example); otherwise as [`Receiver::new`].
    pub fn try_new(secret: impl AsRef<[u8]>) -> Result<Self, SecretError> {
        Ok(Self::with_verifier(Verifier::try_new(secret.as_ref())?))
    }

    /// A receiver for a vendor that signs with Standard Webhooks (Svix, Resend, Lago, ...), accepting
    /// deliveries signed with any of `secrets` (each `whsec_<base64>`, as the vendor shows it; list the
    /// new one first during a rotation), with the default tolerance of 5 minutes.
    ///
    /// It reads `webhook-*` or Svix's `svix-*` headers, answers no URL validation, and its duplicate
    /// filter keys deliveries by their `webhook-id`.
    ///
    /// # Errors
    ///
    /// [`SecretError`] for an empty list, or a secret that is empty, blank or not base64.
    pub fn standard(secrets: &[&str]) -> Result<Self, SecretError> {
        Ok(Self::with_verifier(standard::Verifier::new(secrets)?))
    }

    /// A receiver for GitHub webhooks, accepting deliveries signed with any of `secrets` (the webhook's
    /// secret as entered in GitHub's settings; list the new one first during a rotation).
    ///
    /// It checks `X-Hub-Signature-256` (SHA-256 only) with no clock window, since GitHub sends no
    /// timestamp: configure a [`DuplicateFilter`], which keys deliveries by `X-GitHub-Delivery`, to refuse
    /// replays. A delivery is routed by the name its event and `action` give it (`X-GitHub-Event:
    /// pull_request` with `"action": "opened"` to the route declaring `pull-request-opened`, `push` to
    /// `push`), as the webhook names of GitHub's OpenAPI document; `ping` is answered 200 unless a route
    /// declares it. It answers no URL validation.
    ///
    /// # Errors
    ///
    /// [`SecretError`] for an empty list, or a secret that is empty or blank.
    pub fn github(secrets: &[&str]) -> Result<Self, SecretError> {
        Ok(Self::with_verifier(github::Verifier::new(secrets)?))
    }

    /// A receiver checking signatures with `verifier`: a Zoom [`Verifier`] (several secrets with
    /// [`Verifier::try_from_secrets`]), a [`standard::Verifier`], or a [`SignatureScheme`].
    pub fn with_verifier(verifier: impl Into<SignatureScheme>) -> Self {
        Self {
            scheme: verifier.into(),
            routes: Routes::default(),
            duplicates: None,
            sink: None,
            hand_off_timeout: DEFAULT_HAND_OFF_TIMEOUT,
        }
    }

    /// Sets how far a delivery's timestamp (`x-zm-request-timestamp`, `webhook-timestamp`) may be from
    /// the receiver's clock, either way: older deliveries are refused as replays (401). See
    /// [`Verifier::tolerance`].
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.scheme = self.scheme.tolerance(tolerance);
        self
    }

    /// Adds the route of one module, such as `number_management::route(handler)`.
    ///
    /// Deliveries are routed by the route's [`Route::discriminator`] property; webhook names already
    /// claimed by an earlier route stay with that route. A route without a discriminator cannot be told
    /// from the body and receives nothing.
    #[must_use]
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }

    /// Sets the fallback for webhooks no route answers for; it gets the name and the whole body.
    ///
    /// Without one, such deliveries are accepted (200) and logged at `info` level. Return an error to
    /// answer 500 and have Zoom retry.
    #[must_use]
    pub fn on_unknown<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(UnknownEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.routes.set_unknown(fallback(handler));
        self
    }

    /// Sets the handler for correctly signed deliveries of a known webhook whose payload does not match
    /// the webhook's schema ([`InvalidDelivery`]: the name, the raw body and the parse error).
    ///
    /// Without one, such deliveries are answered 400 and logged as a warning; the vendor retries them and
    /// then gives up, and the delivery is lost. With one, its `Ok` answers 200 (and, with a
    /// [`DuplicateFilter`], counts as handled), its error answers 500 so the vendor retries. Store the raw
    /// body to handle it once the types are updated:
    ///
    /// ```
    /// use webhook_runtime::InvalidDelivery;
    /// use webhook_runtime::axum::Receiver;
    ///
    /// let receiver = Receiver::new("secret-token").on_invalid(|delivery: InvalidDelivery| async move {
    ///     let file = format!("invalid-{}-{}.json", delivery.name, std::process::id());
    ///     eprintln!("{} does not match its schema: {}", delivery.name, delivery.error);
    ///     std::fs::write(file, &delivery.body)
    /// });
    /// # let _ = receiver;
    /// ```
    #[must_use]
    pub fn on_invalid<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(InvalidDelivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.routes.set_invalid(fallback(handler));
        self
    }

    /// Switches on a duplicate filter: a body already handled successfully within the filter's
    /// time-to-live is answered 200 without calling the handler again. See [`DuplicateFilter`].
    #[must_use]
    pub fn duplicate_filter(mut self, filter: DuplicateFilter) -> Self {
        self.duplicates = Some(filter);
        self
    }

    /// Switches the receiver to hand-off mode: each verified delivery is published to `sink` (a durable
    /// queue, such as `nats::JetStreamSink`) and answered 200 only once the sink confirmed it; workers
    /// (`nats::Worker`) run the handlers later.
    ///
    /// Per delivery: the signature (401), the body names a webhook (400), Zoom's URL validation answered
    /// directly, the duplicate filter when there is one (a body already handed off is answered 200 without
    /// publishing it again), then [`Sink::publish`] within the [hand-off timeout](Receiver::hand_off_timeout):
    /// 200 on its `Ok`, 413 on [`DeliveryTooLarge`], 503 on another
    /// error or when the timeout runs out (the vendor retries). The routes
    /// only name the webhook and its module ([`Delivery`]); their handlers, [`Receiver::on_unknown`] and
    /// [`Receiver::on_invalid`] are not called in this mode. A webhook no route answers for is published
    /// with no module, for the worker's fallback.
    #[must_use]
    pub fn hand_off(mut self, sink: impl Sink) -> Self {
        self.sink = Some(Arc::new(sink));
        self
    }

    /// Sets how long the receiver waits for the sink's confirmation in [hand-off mode](Receiver::hand_off)
    /// before answering 503; [`DEFAULT_HAND_OFF_TIMEOUT`] (2 s) by default, inside Zoom's 3 s budget.
    #[must_use]
    pub fn hand_off_timeout(mut self, timeout: Duration) -> Self {
        self.hand_off_timeout = timeout;
        self
    }

    /// The routes, in the order they were added.
    pub fn routes(&self) -> &[Route] {
        self.routes.routes()
    }

    /// A `POST` handler to mount at the webhook path of your router:
    /// `Router::new().route("/webhooks/zoom", receiver.into_method_router())`. Other methods get 405.
    ///
    /// A request whose signature headers are missing or malformed is answered 401 before its body is
    /// read, so an unsigned client cannot make the receiver wait for (or buffer) a body.
    pub fn into_method_router<S>(self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let kind = self.scheme.headers_kind();
        let receiver = Arc::new(self);
        // Extractors run in order: the headers are checked before `Bytes` reads the body.
        match kind {
            STANDARD_HEADERS => checked_post::<S, STANDARD_HEADERS>(receiver),
            GITHUB_HEADERS => checked_post::<S, GITHUB_HEADERS>(receiver),
            _ => checked_post::<S, ZOOM_HEADERS>(receiver),
        }
    }

    /// A router answering `POST /`, to serve on its own or to nest:
    /// `Router::new().nest_service("/webhooks/zoom", receiver.into_router())`.
    pub fn into_router(self) -> Router {
        Router::new().route("/", self.into_method_router())
    }

    /// Answers one delivery: `headers` and the raw `body` as received (never re-serialized).
    ///
    /// This is what the routers call (with the client's address, see [`Receiver::receive_from`]); use it
    /// directly to serve the receiver from your own handler.
    pub async fn receive(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        self.receive_from(None, headers, body).await
    }

    /// [`Receiver::receive`], with the address of the client that sent the delivery, for the log.
    ///
    /// Each delivery runs in a `webhook_delivery` span (fields `scheme`, `event`, `module`, `key`, the
    /// delivery key in hex, and `remote`) and ends with one `info` line, `webhook delivery answered`, with
    /// `status`, `outcome` and `latency_ms`. The outcomes: `handled`, `unrouted` (accepted by the
    /// [`Receiver::on_unknown`] fallback, or without one), `handed_off`, `duplicate`, `in_flight`,
    /// `refused` (signature), `invalid` (body), `failed` (handler), `store_down`, `too_large`,
    /// `queue_down`, `url_validation`. No body is logged at `info` or above.
    pub async fn receive_from(&self, remote: Option<SocketAddr>, headers: &HeaderMap, body: &[u8]) -> Response {
        self.receive_body(remote, headers, Bytes::copy_from_slice(body)).await
    }

    /// [`Receiver::receive_from`] with the body as the server read it, shared with the handlers'
    /// [`Received`] and the hand-off without a copy.
    pub(crate) async fn receive_body(&self, remote: Option<SocketAddr>, headers: &HeaderMap, body: Bytes) -> Response {
        let span = tracing::info_span!(
            "webhook_delivery",
            scheme = self.scheme.name(),
            event = tracing::field::Empty,
            module = tracing::field::Empty,
            key = tracing::field::Empty,
            remote = tracing::field::Empty,
        );
        if let Some(remote) = remote {
            span.record("remote", tracing::field::display(remote));
        }
        let started = Instant::now();
        let (response, outcome) = self.answer(headers, body).instrument(span.clone()).await;
        span.in_scope(|| {
            tracing::info!(
                status = response.status().as_u16(),
                outcome = outcome.as_str(),
                latency_ms = started.elapsed().as_secs_f64() * 1000.0,
                "webhook delivery answered"
            );
        });
        response
    }

    /// The answer to one delivery and what became of it, inside its span.
    /// `bytes` is the body (shared, not copied, with the handlers' [`Received`] or the hand-off).
    async fn answer(&self, headers: &HeaderMap, bytes: Bytes) -> (Response, Outcome) {
        let span = tracing::Span::current();
        let received_at = SystemTime::now();
        let body = &bytes[..];
        if let Err(err) = self.scheme.verify(headers, body, received_at) {
            tracing::warn!(error = %err, "refused a webhook delivery: signature check failed");
            return ((StatusCode::UNAUTHORIZED, err.to_string()).into_response(), Outcome::Refused);
        }
        let (route, name) = match self.scheme.webhook_name(headers, body) {
            // The scheme names the webhook (GitHub): the route that declares that name.
            Some(Ok(name)) => {
                let route = self.routes.find(None, &name);
                if route.is_none() && name == GITHUB_PING_EVENT {
                    span.record("event", GITHUB_PING_EVENT);
                    return (StatusCode::OK.into_response(), Outcome::Ping);
                }
                (route, Cow::Owned(name))
            }
            Some(Err(err)) => return (bad_request(None, &err), Outcome::Invalid),
            None => {
                let delivery = match self.resolve(body) {
                    Ok(delivery) => delivery,
                    Err(err) => return (bad_request(None, &err), Outcome::Invalid),
                };
                if let Some(verifier) = self.scheme.url_validation() {
                    if delivery.property == "event" && delivery.value == URL_VALIDATION_EVENT {
                        span.record("event", URL_VALIDATION_EVENT);
                        return (validate_url(verifier, body), Outcome::UrlValidation);
                    }
                }
                match delivery.target {
                    Some((index, event)) => (self.routes.get(index), Cow::Borrowed(event)),
                    None => (None, delivery.value),
                }
            }
        };
        let name = &*name;
        span.record("event", name);
        if let Some(route) = route {
            span.record("module", route.module());
        }
        let key = DeliveryKey::of(&self.scheme.duplicate_key(headers, body));
        span.record("key", tracing::field::display(key.to_hex()));
        let claim = match &self.duplicates {
            Some(filter) => match filter.claim(key).await {
                Claim::Duplicate => {
                    tracing::debug!("duplicate webhook delivery, already handled");
                    return (StatusCode::OK.into_response(), Outcome::Duplicate);
                }
                Claim::InFlight => {
                    tracing::debug!("an identical delivery is being handled; answering 409 so that the sender retries");
                    let response =
                        (StatusCode::CONFLICT, "an identical delivery is being handled; retry later").into_response();
                    return (response, Outcome::InFlight);
                }
                Claim::StoreDown => {
                    let response = (StatusCode::SERVICE_UNAVAILABLE, "the duplicate store is unavailable; retry later")
                        .into_response();
                    return (response, Outcome::StoreDown);
                }
                Claim::Unfiltered => None,
                Claim::First(claim) => Some(claim),
            },
            None => None,
        };
        if let Some(sink) = &self.sink {
            let delivery = Delivery::new(name, route.map(Route::module), bytes.clone()).with_key(key);
            return self.hand_off_to(sink.as_ref(), &delivery, claim).await;
        }
        let started = Instant::now();
        let received = Received::new(name, bytes.clone()).with_key(key).with_received_at(received_at);
        let result = self.routes.handle(route, &received).await;
        let elapsed = started.elapsed();
        if elapsed > RESPONSE_BUDGET {
            tracing::warn!(
                elapsed_ms = elapsed.as_millis(),
                budget_ms = RESPONSE_BUDGET.as_millis(),
                "the webhook handler took longer than the sender may wait (Zoom waits 3 s); it may retry the delivery"
            );
        }
        match result {
            Ok(()) => {
                if let Some(claim) = claim {
                    claim.handled().await;
                }
                let outcome = if route.is_some() { Outcome::Handled } else { Outcome::Unrouted };
                (StatusCode::OK.into_response(), outcome)
            }
            Err(Failure::Parse(err)) => (bad_request(Some(name), &err), Outcome::Invalid),
            // The claim is dropped unmarked, so the body is released for the sender's retry.
            Err(failure @ (Failure::Handler(_) | Failure::Panic(_))) => {
                tracing::error!(error = %failure, "the webhook handler failed; answering 500 so that the sender retries");
                let response =
                    (StatusCode::INTERNAL_SERVER_ERROR, "the webhook handler failed; see the receiver's logs")
                        .into_response();
                (response, Outcome::Failed)
            }
        }
    }

    /// Publishes a verified delivery to the sink and answers for it: 200 once the sink confirmed it (the
    /// claim, if any, marked handled), 413 when it is too large for the queue, 503 otherwise. On anything
    /// but 200 the claim is dropped unmarked, so the key is released for the vendor's retry.
    async fn hand_off_to(&self, sink: &dyn Sink, delivery: &Delivery, claim: Option<Claimed>) -> (Response, Outcome) {
        match tokio::time::timeout(self.hand_off_timeout, sink.publish(delivery)).await {
            Ok(Ok(())) => {
                if let Some(claim) = claim {
                    claim.handled().await;
                }
                (StatusCode::OK.into_response(), Outcome::HandedOff)
            }
            Ok(Err(err)) => match err.downcast_ref::<DeliveryTooLarge>() {
                Some(too_large) => {
                    tracing::error!(
                        size = too_large.size,
                        limit = too_large.limit,
                        "refused a webhook delivery: too large for the queue (raise its message size limit to take it); answering 413"
                    );
                    ((StatusCode::PAYLOAD_TOO_LARGE, too_large.to_string()).into_response(), Outcome::TooLarge)
                }
                None => {
                    tracing::error!(error = %ErrorChain(&*err), "could not hand the delivery off; answering 503 so that the sender retries");
                    let response =
                        (StatusCode::SERVICE_UNAVAILABLE, "the queue is unavailable; retry later").into_response();
                    (response, Outcome::QueueDown)
                }
            },
            Err(_) => {
                tracing::error!(
                    timeout_ms = self.hand_off_timeout.as_millis(),
                    "the queue did not confirm the delivery in time (it may still store it; its retry is recognised by its key); answering 503 so that the sender retries"
                );
                let response =
                    (StatusCode::SERVICE_UNAVAILABLE, "the queue did not confirm the delivery in time; retry later")
                        .into_response();
                (response, Outcome::QueueDown)
            }
        }
    }

    /// The webhook a verified body names (see [`Routes::resolve`]). Zoom's `event` is read last when no
    /// route reads it and the scheme is Zoom's (its URL validation) or there are no discriminators at all.
    fn resolve<'b>(&self, body: &'b [u8]) -> Result<crate::route_table::Resolved<'b>, ParseError> {
        let zoom_event = !self.routes.reads("event")
            && (self.scheme.url_validation().is_some() || !self.routes.has_discriminators());
        self.routes.resolve(body, zoom_event)
    }
}

/// Answers Zoom's `endpoint.url_validation` with the plain and encrypted tokens.
/// The POST handler of a receiver whose signature headers are checked by `SignatureHeaders<KIND>` before
/// the body is read.
fn checked_post<S, const KIND: u8>(receiver: Arc<Receiver>) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    post(move |RemoteAddr(remote): RemoteAddr, SignatureHeaders(headers): SignatureHeaders<KIND>, body: Bytes| {
        let receiver = Arc::clone(&receiver);
        async move { receiver.receive_body(remote, &headers, body).await }
    })
}

fn validate_url(verifier: &Verifier, body: &[u8]) -> Response {
    let request: UrlValidation = match parse_payload(URL_VALIDATION_EVENT, body) {
        Ok(request) => request,
        Err(err) => return bad_request(Some(URL_VALIDATION_EVENT), &err),
    };
    let answer = verifier.url_validation_response(&request.payload.plain_token);
    match serde_json::to_vec(&answer) {
        Ok(json) => {
            tracing::info!("answered Zoom's URL validation");
            (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], json)
                .into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "could not write the URL validation answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The body of `endpoint.url_validation`, as far as the receiver reads it.
#[derive(serde::Deserialize)]
struct UrlValidation {
    payload: UrlValidationPayload,
}

#[derive(serde::Deserialize)]
struct UrlValidationPayload {
    #[serde(rename = "plainToken")]
    plain_token: String,
}

/// What became of one delivery: the `outcome` field of its `info` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Handled,
    Unrouted,
    HandedOff,
    Duplicate,
    InFlight,
    Refused,
    Invalid,
    Failed,
    StoreDown,
    TooLarge,
    QueueDown,
    UrlValidation,
    /// GitHub's `ping`, answered 200 without a route.
    Ping,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Handled => "handled",
            Self::Unrouted => "unrouted",
            Self::HandedOff => "handed_off",
            Self::Duplicate => "duplicate",
            Self::InFlight => "in_flight",
            Self::Refused => "refused",
            Self::Invalid => "invalid",
            Self::Failed => "failed",
            Self::StoreDown => "store_down",
            Self::TooLarge => "too_large",
            Self::QueueDown => "queue_down",
            Self::UrlValidation => "url_validation",
            Self::Ping => "ping",
        }
    }
}

/// The client's address, when the server gives it as axum's `ConnectInfo<SocketAddr>` (as [`serve`] and
/// `into_make_service_with_connect_info` do).
struct RemoteAddr(Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RemoteAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|info| info.0)))
    }
}

fn bad_request(event: Option<&str>, err: &ParseError) -> Response {
    tracing::warn!(event, error = %err, "refused a webhook delivery: the body does not parse");
    (StatusCode::BAD_REQUEST, err.to_string()).into_response()
}
