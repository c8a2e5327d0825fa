#![doc = include_str!("../docs/testing.md")]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, header};
#[cfg(feature = "axum")]
use http::{Method, Request, StatusCode};

#[cfg(feature = "axum")]
use crate::axum::Receiver;
use crate::signature::zoom::{self, Verifier};
use crate::signature::{SecretError, github, standard};

/// A delivery as a vendor sends it: the signature headers and the raw body.
#[derive(Debug, Clone)]
pub struct SignedDelivery {
    /// The signature headers of the scheme, and `content-type: application/json`.
    pub headers: HeaderMap,
    /// The body, exactly as signed.
    pub body: Bytes,
}

/// What a receiver answered, read in full.
#[cfg(feature = "axum")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: StatusCode,
    /// The answer's body as text (lossy UTF-8).
    pub body: String,
}

impl SignedDelivery {
    /// The delivery as a `POST` to `uri`, to send through a router or a `tower::Service` (feature `axum`).
    ///
    /// # Panics
    ///
    /// When `uri` is not a valid URI (a test's own constant).
    #[cfg(feature = "axum")]
    pub fn into_request(self, uri: &str) -> Request<::axum::body::Body> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .body(::axum::body::Body::from(self.body))
            .expect("a valid URI");
        *request.headers_mut() = self.headers;
        request
    }

    /// Runs the delivery through `receiver` in-process ([`Receiver::receive`]) and reads its answer
    /// (feature `axum`).
    #[cfg(feature = "axum")]
    pub async fn send_to(&self, receiver: &Receiver) -> Answer {
        let response = receiver.receive(&self.headers, &self.body).await;
        let status = response.status();
        // The receiver's answers are short texts or JSON, never streams.
        let body = ::axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
        Answer { status, body: String::from_utf8_lossy(&body).into_owned() }
    }
}

/// Signs deliveries as Zoom does (`x-zm-request-timestamp`, `x-zm-signature`).
#[derive(Debug, Clone)]
pub struct ZoomSigner {
    verifier: Verifier,
    at: Option<SystemTime>,
}

impl ZoomSigner {
    /// A signer with the app's secret token.
    ///
    /// # Errors
    ///
    /// When the secret is empty or blank, as [`Receiver::try_new`] refuses it.
    pub fn new(secret: &str) -> Result<Self, SecretError> {
        Ok(Self { verifier: Verifier::try_new(secret.as_bytes())?, at: None })
    }

    /// Signs with this time instead of the current one (a stale or future timestamp).
    #[must_use]
    pub fn at(mut self, time: SystemTime) -> Self {
        self.at = Some(time);
        self
    }

    /// Signs `body` as it is.
    pub fn sign(&self, body: impl Into<Bytes>) -> SignedDelivery {
        let body = body.into();
        let timestamp = unix_seconds(self.at.unwrap_or_else(SystemTime::now)).to_string();
        let signature = self.verifier.sign(&timestamp, &body);
        let mut headers = json_headers();
        insert(&mut headers, zoom::TIMESTAMP_HEADER, &timestamp);
        insert(&mut headers, zoom::SIGNATURE_HEADER, &signature);
        SignedDelivery { headers, body }
    }
}

/// Signs deliveries as Standard Webhooks senders do (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`; Svix and the vendors built on it).
#[derive(Debug, Clone)]
pub struct StandardSigner {
    verifier: standard::Verifier,
    at: Option<SystemTime>,
    id: Option<String>,
}

impl StandardSigner {
    /// A signer with the endpoint's secret (`whsec_...`).
    ///
    /// # Errors
    ///
    /// When the secret is not a usable Standard Webhooks secret, as [`Receiver::standard`] refuses it.
    pub fn new(secret: &str) -> Result<Self, SecretError> {
        Ok(Self { verifier: standard::Verifier::new(&[secret])?, at: None, id: None })
    }

    /// Signs with this time instead of the current one (a stale or future timestamp).
    #[must_use]
    pub fn at(mut self, time: SystemTime) -> Self {
        self.at = Some(time);
        self
    }

    /// Signs every delivery as the message `id` (a retry of one message), instead of a new id for each.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Signs `body` as it is, as a new message unless [`StandardSigner::id`] fixed one.
    pub fn sign(&self, body: impl Into<Bytes>) -> SignedDelivery {
        let body = body.into();
        let time = self.at.unwrap_or_else(SystemTime::now);
        let id = self.id.clone().unwrap_or_else(|| new_message_id(time));
        let timestamp = unix_seconds(time).to_string();
        let signature = self.verifier.sign(&id, &timestamp, &body);
        let mut headers = json_headers();
        insert(&mut headers, "webhook-id", &id);
        insert(&mut headers, "webhook-timestamp", &timestamp);
        insert(&mut headers, "webhook-signature", &signature);
        SignedDelivery { headers, body }
    }
}

/// Signs deliveries as GitHub does: `X-Hub-Signature-256`, the event in `X-GitHub-Event` and a delivery
/// GUID in `X-GitHub-Delivery`, a new one for each delivery unless [`GitHubSigner::delivery`] fixed one
/// (a redelivery).
///
/// ```
/// # async fn test() -> Result<(), Box<dyn std::error::Error>> {
/// use webhook_runtime::axum::Receiver;
/// use webhook_runtime::testing::GitHubSigner;
/// use webhook_runtime::{Route, UnknownEvent};
///
/// let opened = Route::from_fn("github", &["pull-request-opened"], |_: UnknownEvent| async {
///     Ok::<_, std::convert::Infallible>(())
/// });
/// let receiver = Receiver::github(&["test-secret"])?.route(opened);
/// let delivery = GitHubSigner::new("test-secret")?.event("pull_request").sign(r#"{"action":"opened"}"#);
/// assert_eq!(delivery.send_to(&receiver).await.status, 200);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GitHubSigner {
    verifier: github::Verifier,
    event: Option<String>,
    delivery: Option<String>,
}

impl GitHubSigner {
    /// A signer with the webhook's secret.
    ///
    /// # Errors
    ///
    /// When the secret is empty or blank, as [`Receiver::github`] refuses it.
    pub fn new(secret: &str) -> Result<Self, SecretError> {
        Ok(Self { verifier: github::Verifier::new(&[secret])?, event: None, delivery: None })
    }

    /// The `X-GitHub-Event` of the deliveries (`push`, `pull_request`, ...); without it none is sent.
    #[must_use]
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Signs every delivery with this `X-GitHub-Delivery` GUID (a redelivery), instead of a new one each.
    #[must_use]
    pub fn delivery(mut self, guid: impl Into<String>) -> Self {
        self.delivery = Some(guid.into());
        self
    }

    /// Signs `body` as it is.
    pub fn sign(&self, body: impl Into<Bytes>) -> SignedDelivery {
        let body = body.into();
        let guid = self.delivery.clone().unwrap_or_else(new_delivery_guid);
        let mut headers = json_headers();
        insert(&mut headers, github::SIGNATURE_HEADER, &self.verifier.sign(&body));
        insert(&mut headers, github::DELIVERY_HEADER, &guid);
        if let Some(event) = &self.event {
            insert(&mut headers, github::EVENT_HEADER, event);
        }
        SignedDelivery { headers, body }
    }
}

/// A GUID shaped as GitHub's, from the clock and a number no other call in this process gives.
fn new_delivery_guid() -> String {
    static SENT: AtomicU64 = AtomicU64::new(0);
    let n = SENT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos());
    let hex = format!("{:020x}{:012x}", nanos & ((1 << 80) - 1), n & ((1 << 48) - 1));
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `msg_test` and a number no other call in this process gives.
fn new_message_id(time: SystemTime) -> String {
    static SENT: AtomicU64 = AtomicU64::new(0);
    let n = SENT.fetch_add(1, Ordering::Relaxed);
    format!("msg_test{}_{n}", time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos()))
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers
}

/// Header names and values here are the schemes' own constants and ASCII digits or base64.
fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

#[cfg(all(test, feature = "axum"))]
mod tests {
    use super::*;
    use crate::{Route, UnknownEvent};

    const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn accepting() -> Route {
        Route::from_fn("meetings", &["meeting.started"], |_: UnknownEvent| async {
            Ok::<_, std::convert::Infallible>(())
        })
    }

    #[tokio::test]
    async fn zoom_deliveries_are_accepted_and_stale_or_wrongly_signed_ones_refused() {
        let receiver = Receiver::new("secret").route(accepting());
        let body = r#"{"event":"meeting.started","payload":{}}"#;
        assert_eq!(ZoomSigner::new("secret").unwrap().sign(body).send_to(&receiver).await.status, StatusCode::OK);
        let stale = SystemTime::now() - std::time::Duration::from_secs(3600);
        let answer = ZoomSigner::new("secret").unwrap().at(stale).sign(body).send_to(&receiver).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
        let forged = ZoomSigner::new("another secret").unwrap().sign(body).send_to(&receiver).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        assert!(ZoomSigner::new(" ").is_err(), "a blank secret signs nothing");
    }

    #[tokio::test]
    async fn standard_deliveries_get_a_new_id_each_unless_one_is_fixed() {
        let receiver = Receiver::standard(&[STANDARD_SECRET])
            .unwrap()
            .route(accepting())
            .duplicate_filter(crate::duplicates::DuplicateFilter::default());
        let body = r#"{"event":"meeting.started","payload":{}}"#;
        let signer = StandardSigner::new(STANDARD_SECRET).unwrap();
        let first = signer.sign(body);
        let second = signer.sign(body);
        assert_ne!(first.headers["webhook-id"], second.headers["webhook-id"]);
        assert_eq!(first.send_to(&receiver).await.status, StatusCode::OK);
        assert_eq!(second.send_to(&receiver).await.status, StatusCode::OK);
        let retried = signer.clone().id("msg_1");
        assert_eq!(retried.sign(body).headers["webhook-id"], "msg_1");
        let stale = SystemTime::now() - std::time::Duration::from_secs(3600);
        assert_eq!(signer.at(stale).sign(body).send_to(&receiver).await.status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_request_carries_the_headers_and_body_through_a_router() {
        use tower_service::Service as _;
        let mut router =
            ::axum::Router::new().route("/hooks", Receiver::new("secret").route(accepting()).into_method_router());
        let request = ZoomSigner::new("secret").unwrap().sign(r#"{"event":"meeting.started"}"#).into_request("/hooks");
        assert_eq!(request.headers()[header::CONTENT_TYPE], "application/json");
        let response = router.call(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}
