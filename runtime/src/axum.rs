//! A ready axum receiver (feature `axum`): checks the signature, answers URL validation, and routes every
//! delivery by its webhook name to the handler of the spec module that declares it.
//!
//! A Zoom app sends all its event subscriptions to one URL, so one [`Receiver`] serves the handlers of
//! every generated module, one [`Route`] per module (each module's `route(handler)`):
//!
//! ```no_run
//! use webhook_runtime::axum::{DuplicateFilter, Receiver};
//! use webhook_runtime::{Route, UnknownEvent};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // An unset, empty or blank secret is an error, never a key anyone could sign with.
//! let secret = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN")?;
//! // A generated module's `route(handler)` gives the route of its `Handler`; `Route::from_fn` takes a
//! // closure for webhooks no generated module covers.
//! let meetings = Route::from_fn("meetings", &["meeting.started"], |event: UnknownEvent| async move {
//!     println!("{} {}", event.name, event.body["payload"]["object"]["id"]);
//!     Ok::<_, std::convert::Infallible>(())
//! });
//! let webhooks = Receiver::try_new(secret)?.route(meetings).duplicate_filter(DuplicateFilter::default());
//! let app = axum::Router::new().route("/webhooks/zoom", webhooks.into_method_router());
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! webhook_runtime::axum::serve(listener, app).await;
//! # Ok(())
//! # }
//! ```
//!
//! Vendors that sign with Standard Webhooks (Svix and the vendors built on it) get the same receiver from
//! [`Receiver::standard`], with their secrets (several during a rotation): it reads `webhook-*` or
//! `svix-*` headers, answers no URL validation, and its duplicate filter keys deliveries by `webhook-id`.
//! Either way, a delivery is routed by the body property its module names the webhook with (Zoom's
//! `event`, Svix's `type`).
//!
//! [`serve`] runs the router with limits for a public endpoint: header and body read timeouts, a bound on
//! open connections, and a graceful shutdown on Ctrl-C or SIGTERM with a deadline. The router the receiver
//! gives refuses a request without well-formed signature headers (401) before reading its body.
//!
//! # Answers
//!
//! | Delivery | Status |
//! | --- | --- |
//! | `endpoint.url_validation`, signed correctly (Zoom's scheme only) | 200, JSON `{"plainToken", "encryptedToken"}` |
//! | signature header missing or malformed (before the body is read), or wrong; timestamp outside the tolerance | 401 |
//! | body not UTF-8 JSON, not an object, no string `event` (the routes' discriminator) or more than one | 400, with the message |
//! | the payload does not match its webhook's schema | 400, with the message; with [`Receiver::on_invalid`], what it answers (200, or 500 on its error) |
//! | the handler returned an error or panicked | 500 (Zoom retries) |
//! | handled (or an already handled duplicate, with a [`DuplicateFilter`]) | 200 |
//! | a webhook no route answers for: the [`Receiver::on_unknown`] fallback | 200 (500 if it fails) |
//!
//! # The 3 second budget
//!
//! Zoom counts a delivery as received only when it is answered with 200 or 204 within 3 seconds;
//! otherwise it retries (after about 5, 20 and 60 minutes). The receiver answers after the handler
//! returns, so handlers must be quick: record the event (or put it on a queue) and return, and
//! `tokio::spawn` longer work. If Zoom gives up on the connection, the handler's future may be dropped
//! mid-way. A handler that takes longer than [`RESPONSE_BUDGET`] is logged as a warning.

use std::any::Any;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use ::axum::Router;
use ::axum::body::Bytes;
use ::axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{MethodRouter, post};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::parse::{discriminator, parse_payload};
use crate::route::{BoxError, BoxFuture};
use crate::signature::{SecretError, Verifier, standard};
use crate::{DispatchError, ParseError, Route, RouteResult, UnknownEvent};

mod scheme;
mod serve;

use scheme::SignatureHeaders;
pub use scheme::SignatureScheme;

pub use serve::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_SHUTDOWN_TIMEOUT, Serve,
    serve,
};

/// The webhook Zoom sends to check that an endpoint belongs to the app; the receiver answers it itself.
pub const URL_VALIDATION_EVENT: &str = "endpoint.url_validation";

/// How long Zoom waits for an answer before it counts the delivery as failed and retries it later.
pub const RESPONSE_BUDGET: Duration = Duration::from_secs(3);

/// For one discriminator property: each value's route index and the webhook name it selects.
type ValueTable = HashMap<&'static str, (usize, &'static str)>;

/// The receiver-level handler for webhooks no route answers for.
type Fallback = Arc<dyn Fn(UnknownEvent) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// The receiver-level handler for signed deliveries whose payload does not match its webhook's schema.
type InvalidHandler = Arc<dyn Fn(InvalidDelivery) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// A correctly signed delivery of a known webhook whose payload does not match the webhook's schema: the
/// vendor's payload drifted from its own spec (a required property left out, an integer where the spec
/// says string). Handed to [`Receiver::on_invalid`] whole, so it can be kept and handled later rather
/// than refused and, after the vendor's retries, lost.
#[derive(Debug)]
#[non_exhaustive]
pub struct InvalidDelivery {
    /// The webhook name, from the body's discriminator property (Zoom's `event`).
    pub name: String,
    /// The body, byte for byte as received (its signature was checked over these bytes).
    pub body: Vec<u8>,
    /// Why the payload does not parse, with the path of the failing field
    /// ([`ParseError::InvalidPayload`]).
    pub error: ParseError,
}

/// Receives webhooks for the handlers of any number of spec modules, at one URL, checking Zoom's
/// signatures or the Standard Webhooks scheme.
///
/// Build it with [`Receiver::new`] (Zoom) or [`Receiver::standard`] and one [`Receiver::route`] per module,
/// then serve it with [`Receiver::into_method_router`] (mounted at a path of your router) or
/// [`Receiver::into_router`].
/// See the [module docs](self) for the status codes.
///
/// # Routing
///
/// A delivery goes to the first route (in the order they were added) whose module declares the webhook
/// its body names, read by each route's discriminator property ([`Route::discriminator`]). A webhook no
/// route answers for (a new Zoom event, or one of a module you did not route) goes to the receiver's
/// [`on_unknown`](Receiver::on_unknown) fallback, never to a module's
/// `Handler::on_unknown`; by default it is accepted with 200 and logged.
#[derive(Clone)]
pub struct Receiver {
    scheme: SignatureScheme,
    routes: Vec<Route>,
    /// For each discriminator property (in the order routes introduced them), the route index and
    /// webhook name each of its values selects.
    by_value: Vec<(&'static str, ValueTable)>,
    fallback: Option<Fallback>,
    invalid: Option<InvalidHandler>,
    duplicates: Option<DuplicateFilter>,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("scheme", &self.scheme)
            .field("routes", &self.routes)
            .field("fallback", &self.fallback.is_some())
            .field("invalid", &self.invalid.is_some())
            .field("duplicates", &self.duplicates)
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

    /// A receiver checking signatures with `verifier`: a Zoom [`Verifier`] (several secrets with
    /// [`Verifier::try_from_secrets`]), a [`standard::Verifier`], or a [`SignatureScheme`].
    pub fn with_verifier(verifier: impl Into<SignatureScheme>) -> Self {
        Self {
            scheme: verifier.into(),
            routes: Vec::new(),
            by_value: Vec::new(),
            fallback: None,
            invalid: None,
            duplicates: None,
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
        let index = self.routes.len();
        if let Some(property) = route.discriminator() {
            let position = match self.by_value.iter().position(|(known, _)| *known == property) {
                Some(position) => position,
                None => {
                    self.by_value.push((property, HashMap::new()));
                    self.by_value.len() - 1
                }
            };
            let table = &mut self.by_value[position].1;
            for (value, name) in route.selectors() {
                table.entry(value).or_insert((index, name));
            }
        } else {
            tracing::warn!(module = route.module(), "a route without a discriminator receives no delivery");
        }
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
        self.fallback = Some(Arc::new(move |event| {
            let call = handler(event);
            Box::pin(async move { call.await.map_err(Into::into) })
        }));
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
    /// use webhook_runtime::axum::{InvalidDelivery, Receiver};
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
        self.invalid = Some(Arc::new(move |delivery| {
            let call = handler(delivery);
            Box::pin(async move { call.await.map_err(Into::into) })
        }));
        self
    }

    /// Switches on a duplicate filter: a body already handled successfully within the filter's
    /// time-to-live is answered 200 without calling the handler again. See [`DuplicateFilter`].
    #[must_use]
    pub fn duplicate_filter(mut self, filter: DuplicateFilter) -> Self {
        self.duplicates = Some(filter);
        self
    }

    /// The routes, in the order they were added.
    pub fn routes(&self) -> &[Route] {
        &self.routes
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
        let standard = self.scheme.is_standard();
        let receiver = Arc::new(self);
        // Extractors run in order: the headers are checked before `Bytes` reads the body.
        if standard {
            post(move |SignatureHeaders(headers): SignatureHeaders<true>, body: Bytes| {
                let receiver = Arc::clone(&receiver);
                async move { receiver.receive(&headers, &body).await }
            })
        } else {
            post(move |SignatureHeaders(headers): SignatureHeaders<false>, body: Bytes| {
                let receiver = Arc::clone(&receiver);
                async move { receiver.receive(&headers, &body).await }
            })
        }
    }

    /// A router answering `POST /`, to serve on its own or to nest:
    /// `Router::new().nest_service("/webhooks/zoom", receiver.into_router())`.
    pub fn into_router(self) -> Router {
        Router::new().route("/", self.into_method_router())
    }

    /// Answers one delivery: `headers` and the raw `body` as received (never re-serialized).
    ///
    /// This is what the routers call; use it directly to serve the receiver from your own handler.
    pub async fn receive(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        if let Err(err) = self.scheme.verify(headers, body, SystemTime::now()) {
            tracing::warn!(error = %err, "refused a webhook delivery: signature check failed");
            return (StatusCode::UNAUTHORIZED, err.to_string()).into_response();
        }
        let delivery = match self.resolve(body) {
            Ok(delivery) => delivery,
            Err(err) => return bad_request(None, &err),
        };
        if let Some(verifier) = self.scheme.url_validation() {
            if delivery.property == "event" && delivery.value == URL_VALIDATION_EVENT {
                return validate_url(verifier, body);
            }
        }
        let (route, name) = match delivery.target {
            Some((index, event)) => (self.routes.get(index), event),
            None => (None, &*delivery.value),
        };
        let claim = match &self.duplicates {
            Some(filter) => match filter.claim(&self.scheme.duplicate_key(headers, body)).await {
                Claim::Duplicate => {
                    tracing::debug!(event = name, "duplicate webhook delivery, already handled");
                    return StatusCode::OK.into_response();
                }
                Claim::First(claim) => Some(claim),
            },
            None => None,
        };
        let started = Instant::now();
        let result = match catch_unwind(self.handle(route, name, body)).await {
            Ok(result) => result,
            Err(panic) => {
                // The claim is dropped unmarked, so the body is released for Zoom's retry.
                tracing::error!(
                    event = name,
                    module = route.map(Route::module),
                    panic = panic_message(&*panic),
                    "webhook handler panicked; answering 500 so that Zoom retries"
                );
                return (StatusCode::INTERNAL_SERVER_ERROR, "the webhook handler failed; see the receiver's logs")
                    .into_response();
            }
        };
        let elapsed = started.elapsed();
        if elapsed > RESPONSE_BUDGET {
            tracing::warn!(
                event = name,
                elapsed_ms = elapsed.as_millis(),
                "webhook handler took longer than Zoom waits; Zoom will retry the delivery"
            );
        }
        match result {
            Ok(()) => {
                if let Some(claim) = claim {
                    claim.handled();
                }
                tracing::debug!(event = name, module = route.map(Route::module), "webhook delivery handled");
                StatusCode::OK.into_response()
            }
            Err(DispatchError::Parse(err)) => bad_request(Some(name), &err),
            Err(DispatchError::Handler(err)) => {
                tracing::error!(
                    event = name,
                    module = route.map(Route::module),
                    error = %ErrorChain(&*err),
                    "webhook handler failed; answering 500 so that Zoom retries"
                );
                (StatusCode::INTERNAL_SERVER_ERROR, "the webhook handler failed; see the receiver's logs")
                    .into_response()
            }
        }
    }

    /// Runs the route's handler (or the fallback); a payload that does not match its schema goes to the
    /// [`Receiver::on_invalid`] handler when there is one.
    async fn handle(&self, route: Option<&Route>, name: &str, body: &[u8]) -> RouteResult {
        let result = match route {
            Some(route) => route.dispatch(name, body).await,
            None => self.unknown(name, body).await,
        };
        match (result, &self.invalid) {
            (Err(DispatchError::Parse(error @ ParseError::InvalidPayload { .. })), Some(invalid)) => {
                tracing::warn!(event = name, %error, "the payload does not match its schema; handing it over raw");
                let delivery = InvalidDelivery { name: name.to_owned(), body: body.to_vec(), error };
                invalid(delivery).await.map_err(DispatchError::Handler)
            }
            (result, _) => result,
        }
    }

    /// The webhook a verified body names: by each discriminator property of the routes in turn, the first
    /// value some route answers for; else the first value found, for the fallback. Zoom's `event` is read
    /// last when no route reads it and the scheme is Zoom's (its URL validation) or there are no
    /// discriminators at all. A property given twice refuses the body, whatever the others say.
    fn resolve<'b>(&self, body: &'b [u8]) -> Result<Resolved<'b>, ParseError> {
        let reads_event = self.by_value.iter().any(|(property, _)| *property == "event");
        let zoom_event = !reads_event && (self.scheme.url_validation().is_some() || self.by_value.is_empty());
        let zoom = std::iter::once(("event", None)).filter(|_| zoom_event);
        let properties = self.by_value.iter().map(|(property, table)| (*property, Some(table))).chain(zoom);
        let mut found = None;
        let mut first_error = None;
        for (property, table) in properties {
            match discriminator(body, property) {
                Ok(value) => {
                    if let Some(&target) = table.and_then(|table| table.get(&*value)) {
                        return Ok(Resolved { property, value, target: Some(target) });
                    }
                    found.get_or_insert(Resolved { property, value, target: None });
                }
                Err(err @ ParseError::DuplicateEventName { .. }) => return Err(err),
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        match (found, first_error) {
            (Some(found), _) => Ok(found),
            (None, Some(err)) => Err(err),
            (None, None) => Err(ParseError::MissingEventName { property: "event" }),
        }
    }

    /// Hands a webhook no route answers for to the fallback.
    async fn unknown(&self, name: &str, body: &[u8]) -> RouteResult {
        let Some(fallback) = &self.fallback else {
            tracing::info!(event = name, "accepted a webhook no route of the receiver declares");
            return Ok(());
        };
        let event = UnknownEvent::parse(name, body)?;
        fallback(event).await.map_err(DispatchError::Handler)
    }
}

/// The webhook a delivery names, as [`Receiver::resolve`] found it.
struct Resolved<'b> {
    /// The discriminator property that named it.
    property: &'static str,
    /// The property's value in the body.
    value: Cow<'b, str>,
    /// The route answering for it and the webhook name it selects; `None` for the fallback.
    target: Option<(usize, &'static str)>,
}

/// Answers Zoom's `endpoint.url_validation` with the plain and encrypted tokens.
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

fn bad_request(event: Option<&str>, err: &ParseError) -> Response {
    tracing::warn!(event, error = %err, "refused a webhook delivery: the body does not parse");
    (StatusCode::BAD_REQUEST, err.to_string()).into_response()
}

/// Runs `future`, turning a panic inside it into an error, so a panicking handler still gets an answer
/// and leaves the receiver serving.
async fn catch_unwind<T>(future: impl Future<Output = T>) -> Result<T, Box<dyn Any + Send>> {
    let mut future = std::pin::pin!(future);
    // The future is dropped after a panic, never polled again, so no broken state is observed.
    std::future::poll_fn(move |cx| match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(panic) => Poll::Ready(Err(panic)),
    })
    .await
}

/// The message of a panic payload, when it has one.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(message), _) => message,
        (None, Some(message)) => message,
        (None, None) => "(no message)",
    }
}

/// Displays an error followed by its sources, separated by `: `.
struct ErrorChain<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}

/// The SHA-256 of a raw body.
type BodyHash = [u8; 32];

/// Remembers which bodies were handled recently, so Zoom's re-deliveries do not reach the handler twice.
///
/// Zoom has no event id and may deliver the same event more than once: when an answer came too late,
/// and occasionally otherwise. Its retries carry the same body (with a new signature), so the filter keys
/// deliveries by the SHA-256 of the raw body. Switch it on with [`Receiver::duplicate_filter`]; clones
/// share the same memory.
///
/// - A body is marked as seen only **after the handler succeeded**. A failed delivery (400 or 500) leaves
///   no mark, so Zoom's retry runs the handler again.
/// - **Concurrent identical deliveries do not both run the handler.** The first one runs it; the others
///   wait for its outcome. If it succeeds they are answered 200 without running the handler; if it fails
///   (or its connection is dropped mid-way), the next waiter runs the handler itself. A waiter answers no
///   sooner than the first delivery's handler returns, so this costs nothing within Zoom's 3 seconds.
/// - **Bounded in time and memory**: a body is remembered for the time-to-live (two hours by default,
///   longer than Zoom's retries after about 5, 20 and 60 minutes), and at most `capacity` bodies are
///   remembered (100,000 by default, some 15 MB); past that the oldest is forgotten early. Bodies in
///   flight are tracked on top of that, one per running handler.
/// - In memory, per process: several replicas behind a load balancer each have their own filter, so
///   handlers should still be idempotent where a duplicate does harm.
#[derive(Clone)]
pub struct DuplicateFilter {
    shared: Arc<Shared>,
}

struct Shared {
    ttl: Duration,
    capacity: usize,
    state: Mutex<FilterState>,
}

#[derive(Default)]
struct FilterState {
    entries: HashMap<BodyHash, Entry>,
    /// Handled bodies, oldest first (they all live for the same time-to-live).
    handled: VecDeque<(BodyHash, Instant)>,
}

enum Entry {
    /// A handler is running for this body; the receiver ends when it finishes or gives up.
    InFlight(watch::Receiver<()>),
    /// Handled successfully at this time.
    Handled(Instant),
}

impl fmt::Debug for DuplicateFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuplicateFilter")
            .field("ttl", &self.shared.ttl)
            .field("capacity", &self.shared.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for DuplicateFilter {
    /// A filter with [`DuplicateFilter::DEFAULT_TTL`] and [`DuplicateFilter::DEFAULT_CAPACITY`].
    fn default() -> Self {
        Self::new(Self::DEFAULT_TTL, Self::DEFAULT_CAPACITY)
    }
}

impl DuplicateFilter {
    /// How long a handled body is remembered by default: two hours.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(2 * 60 * 60);

    /// How many handled bodies are remembered at most by default.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A filter remembering each handled body for `ttl`, and at most `capacity` bodies (the oldest is
    /// forgotten first). A capacity of 0 remembers nothing but still keeps identical deliveries from
    /// running the handler at the same time.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { shared: Arc::new(Shared { ttl, capacity, state: Mutex::new(FilterState::default()) }) }
    }

    /// How many handled bodies are remembered now.
    pub fn len(&self) -> usize {
        let mut state = self.shared.lock();
        state.expire(Instant::now(), self.shared.ttl);
        state.handled.len()
    }

    /// Whether no handled body is remembered now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Claims a body for handling, waiting while an identical delivery is being handled.
    pub(crate) async fn claim(&self, body: &[u8]) -> Claim {
        let key: BodyHash = Sha256::digest(body).into();
        loop {
            match self.try_claim(key, Instant::now()) {
                Ok(claim) => return claim,
                // Ends (with an error, as nothing is ever sent) when the first delivery is done.
                Err(mut running) => {
                    let _ = running.changed().await;
                }
            }
        }
    }

    /// Claims `key` at `now`, or returns the receiver to wait on while another delivery of it runs.
    fn try_claim(&self, key: BodyHash, now: Instant) -> Result<Claim, watch::Receiver<()>> {
        let mut state = self.shared.lock();
        state.expire(now, self.shared.ttl);
        match state.entries.get(&key) {
            Some(Entry::InFlight(running)) if running.has_changed().is_ok() => return Err(running.clone()),
            Some(Entry::Handled(at)) if now.saturating_duration_since(*at) < self.shared.ttl => {
                return Ok(Claim::Duplicate);
            }
            _ => {}
        }
        let (done, running) = watch::channel(());
        state.entries.insert(key, Entry::InFlight(running));
        Ok(Claim::First(Claimed { shared: Arc::clone(&self.shared), key, finished: false, _done: done }))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, FilterState> {
        // The state stays consistent even if a holder panicked: every update is a single insert or remove.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FilterState {
    /// Forgets handled bodies older than `ttl`.
    fn expire(&mut self, now: Instant, ttl: Duration) {
        while let Some(&(key, at)) = self.handled.front() {
            if now.saturating_duration_since(at) < ttl {
                break;
            }
            self.forget_oldest(key, at);
        }
    }

    /// Drops the oldest handled record, and its entry unless the body was claimed again since.
    fn forget_oldest(&mut self, key: BodyHash, at: Instant) {
        self.handled.pop_front();
        if matches!(self.entries.get(&key), Some(Entry::Handled(when)) if *when == at) {
            self.entries.remove(&key);
        }
    }
}

/// The outcome of [`DuplicateFilter::claim`].
pub(crate) enum Claim {
    /// The body was already handled successfully within the time-to-live.
    Duplicate,
    /// This delivery runs the handler; mark it with [`Claimed::handled`] when it succeeds.
    First(Claimed),
}

/// A body being handled by this delivery. Dropping it without [`Claimed::handled`] releases the body,
/// and wakes identical deliveries waiting for it.
pub(crate) struct Claimed {
    shared: Arc<Shared>,
    key: BodyHash,
    finished: bool,
    /// Dropped after the state is updated, which wakes the waiters.
    _done: watch::Sender<()>,
}

impl Claimed {
    /// Records that the handler succeeded for this body.
    pub(crate) fn handled(self) {
        self.handled_at(Instant::now());
    }

    fn handled_at(mut self, now: Instant) {
        let mut state = self.shared.lock();
        state.entries.insert(self.key, Entry::Handled(now));
        state.handled.push_back((self.key, now));
        while state.handled.len() > self.shared.capacity {
            if let Some(&(key, at)) = state.handled.front() {
                state.forget_oldest(key, at);
            }
        }
        drop(state);
        self.finished = true;
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        if !self.finished {
            let mut state = self.shared.lock();
            if matches!(state.entries.get(&self.key), Some(Entry::InFlight(_))) {
                state.entries.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> BodyHash {
        [n; 32]
    }

    fn first(claim: Result<Claim, watch::Receiver<()>>) -> Claimed {
        match claim {
            Ok(Claim::First(claimed)) => claimed,
            Ok(Claim::Duplicate) => panic!("expected a first claim, got a duplicate"),
            Err(_) => panic!("expected a first claim, got one in flight"),
        }
    }

    fn is_duplicate(claim: Result<Claim, watch::Receiver<()>>) -> bool {
        matches!(claim, Ok(Claim::Duplicate))
    }

    #[test]
    fn handled_bodies_are_remembered_for_the_ttl() {
        let ttl = Duration::from_secs(60);
        let filter = DuplicateFilter::new(ttl, 10);
        let t0 = Instant::now();
        first(filter.try_claim(key(1), t0)).handled_at(t0);
        assert!(is_duplicate(filter.try_claim(key(1), t0 + ttl - Duration::from_millis(1))));
        assert!(!is_duplicate(filter.try_claim(key(2), t0)));
        // Expired: claimed again, and the old record does not evict the new one.
        let again = first(filter.try_claim(key(1), t0 + ttl));
        again.handled_at(t0 + ttl);
        assert!(is_duplicate(filter.try_claim(key(1), t0 + ttl + Duration::from_secs(1))));
        let state = filter.shared.lock();
        assert_eq!(state.handled.len(), 1);
    }

    #[test]
    fn capacity_forgets_the_oldest_first() {
        let filter = DuplicateFilter::new(Duration::from_secs(3600), 2);
        let t0 = Instant::now();
        for n in 1..=3 {
            first(filter.try_claim(key(n), t0)).handled_at(t0 + Duration::from_secs(u64::from(n)));
        }
        assert_eq!(filter.shared.lock().handled.len(), 2);
        assert_eq!(filter.shared.lock().entries.len(), 2);
        assert!(is_duplicate(filter.try_claim(key(2), t0)));
        assert!(is_duplicate(filter.try_claim(key(3), t0)));
        assert!(!is_duplicate(filter.try_claim(key(1), t0)));

        let nothing = DuplicateFilter::new(Duration::from_secs(3600), 0);
        first(nothing.try_claim(key(1), t0)).handled_at(t0);
        assert!(nothing.is_empty());
        assert!(nothing.shared.lock().entries.is_empty());
    }

    #[test]
    fn failed_deliveries_leave_no_mark() {
        let filter = DuplicateFilter::default();
        let t0 = Instant::now();
        drop(first(filter.try_claim(key(1), t0)));
        assert!(filter.shared.lock().entries.is_empty());
        first(filter.try_claim(key(1), t0)).handled_at(t0);
        assert_eq!(filter.len(), 1);
    }

    #[test]
    fn identical_deliveries_in_flight_wait_for_the_first() {
        let filter = DuplicateFilter::default();
        let t0 = Instant::now();
        let running = first(filter.try_claim(key(1), t0));
        let Err(waiting) = filter.try_claim(key(1), t0) else { panic!("the body is in flight") };
        assert!(matches!(waiting.has_changed(), Ok(false)));
        // The first fails: the waiter is woken and claims the body itself.
        drop(running);
        assert!(waiting.has_changed().is_err());
        let retry = first(filter.try_claim(key(1), t0));
        let Err(waiting) = filter.try_claim(key(1), t0) else { panic!("the body is in flight") };
        // The retry succeeds: the waiter finds a duplicate.
        retry.handled_at(t0);
        assert!(waiting.has_changed().is_err());
        assert!(is_duplicate(filter.try_claim(key(1), t0)));

        // Even a filter that remembers nothing keeps identical deliveries apart while they run.
        let nothing = DuplicateFilter::new(Duration::from_secs(60), 0);
        let _running = first(nothing.try_claim(key(1), t0));
        assert!(nothing.try_claim(key(1), t0).is_err());
    }

    #[tokio::test]
    async fn claim_waits_for_the_running_delivery() {
        let filter = DuplicateFilter::default();
        let Claim::First(running) = filter.claim(b"body").await else { panic!("first delivery") };
        let waiter = tokio::spawn({
            let filter = filter.clone();
            async move { matches!(filter.claim(b"body").await, Claim::Duplicate) }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        running.handled();
        assert!(waiter.await.unwrap_or(false));
    }
}
