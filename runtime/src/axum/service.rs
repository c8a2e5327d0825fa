//! The receiver as a `tower::Service` over `http` 1 requests, for servers and platforms other than an
//! axum router: `lambda_http`, a tower stack of your own, or any framework that runs tower services.
//!
//! It answers as the router of [`Receiver::into_method_router`] does: 405 for a method other than `POST`,
//! 401 for missing or malformed signature headers before the body is read, 413 for a body over the limit
//! (axum's default, 2 MB, unless [`ReceiverService::body_limit`] sets another), and then
//! [`Receiver::receive_from`] for everything else.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::axum::extract::FromRequestParts;
use ::axum::http::request::Parts;
use ::axum::http::{HeaderValue, Method, Request, StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use super::scheme::{GITHUB_HEADERS, STANDARD_HEADERS, SignatureHeaders, ZOOM_HEADERS};
use super::{Receiver, RemoteAddr};
use crate::route::{BoxError, BoxFuture};

/// The largest body [`ReceiverService`] reads by default: 2 MB, axum's default body limit, which the
/// router of [`Receiver::into_method_router`] applies.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

impl Receiver {
    /// The receiver as a `tower::Service<http::Request<B>>` for any body `B`, answering as the router of
    /// [`Receiver::into_method_router`] does; see [`ReceiverService`].
    pub fn into_service(self) -> ReceiverService {
        ReceiverService { receiver: Arc::new(self), body_limit: DEFAULT_BODY_LIMIT }
    }
}

/// A [`Receiver`] as a `tower::Service` over `http::Request<B>`, built by [`Receiver::into_service`]:
/// for `lambda_http::run`, a tower stack, or a server that takes tower services. Cloning it is cheap
/// (the receiver is shared).
///
/// Per request: a method other than `POST` is answered 405, missing or malformed signature headers 401
/// before the body is read, a body larger than [`ReceiverService::body_limit`] 413 (by its
/// `content-length` before reading it, or as soon as more arrives), a body that fails to arrive 400; the
/// rest is answered by [`Receiver::receive_from`], with the client's address when the server put axum's
/// `ConnectInfo<SocketAddr>` in the request's extensions. The service is always ready and never fails:
/// every outcome is an answer.
#[derive(Debug, Clone)]
pub struct ReceiverService {
    receiver: Arc<Receiver>,
    body_limit: usize,
}

impl ReceiverService {
    /// Sets the largest body read, in bytes; [`DEFAULT_BODY_LIMIT`] (2 MB) by default. Larger bodies are
    /// answered 413 without being read to the end.
    #[must_use]
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// Answers one request; see [`ReceiverService`].
    async fn answer<B>(self, request: Request<B>) -> Response
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        if parts.method != Method::POST {
            return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, HeaderValue::from_static("POST"))])
                .into_response();
        }
        // The router's own extractors, in the router's order: nothing is read before the headers check.
        let Ok(RemoteAddr(remote)) = RemoteAddr::from_request_parts(&mut parts, &()).await;
        if let Err(refused) = self.check_signature_headers(&mut parts).await {
            return refused;
        }
        if content_length(&parts).is_some_and(|length| length > self.body_limit as u64) {
            return self.too_large();
        }
        let body = match Limited::new(body, self.body_limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) if err.is::<LengthLimitError>() => return self.too_large(),
            Err(err) => {
                tracing::warn!(error = %err, "refused a webhook delivery: its body could not be read");
                return (StatusCode::BAD_REQUEST, "the request body could not be read").into_response();
            }
        };
        self.receiver.receive_body(remote, &parts.headers, body).await
    }

    /// The scheme's pre-body check of the signature headers (`SignatureHeaders`, as the router runs it):
    /// `Err` is the 401 answer.
    async fn check_signature_headers(&self, parts: &mut Parts) -> Result<(), Response> {
        match self.receiver.scheme.headers_kind() {
            STANDARD_HEADERS => SignatureHeaders::<STANDARD_HEADERS>::from_request_parts(parts, &()).await.map(drop),
            GITHUB_HEADERS => SignatureHeaders::<GITHUB_HEADERS>::from_request_parts(parts, &()).await.map(drop),
            _ => SignatureHeaders::<ZOOM_HEADERS>::from_request_parts(parts, &()).await.map(drop),
        }
    }

    fn too_large(&self) -> Response {
        tracing::warn!(limit = self.body_limit, "refused a webhook delivery: its body is over the limit");
        let message = format!("the body is larger than the limit of {} bytes", self.body_limit);
        (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
    }
}

/// The request's `content-length`, when it has a valid one.
fn content_length(parts: &Parts) -> Option<u64> {
    parts.headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

impl<B> tower_service::Service<Request<B>> for ReceiverService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move { Ok(service.answer(request).await) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::{SystemTime, UNIX_EPOCH};

    use ::axum::body::Body;
    use tower_service::Service as _;

    use super::*;
    use crate::signature::zoom::{self as signature, Verifier};
    use crate::{Route, UnknownEvent};

    const SECRET: &str = "service-secret";
    const BODY: &str = r#"{"event":"meeting.started","payload":{"object":{"id":1}}}"#;

    /// A Zoom receiver whose one route records the names of the webhooks it handled.
    fn receiver(handled: &Arc<Mutex<Vec<String>>>) -> Receiver {
        let handled = Arc::clone(handled);
        let route = Route::from_fn("meetings", &["meeting.started"], move |event: UnknownEvent| {
            let handled = Arc::clone(&handled);
            async move {
                handled.lock().expect("lock").push(event.name);
                Ok::<_, Infallible>(())
            }
        });
        Receiver::new(SECRET).route(route)
    }

    /// A `POST` of `body` signed with `secret` now, as Zoom signs it.
    fn signed(secret: &str, body: impl Into<Vec<u8>>) -> Request<Body> {
        let body = body.into();
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs().to_string();
        let signature = Verifier::new(secret.as_bytes()).sign(&timestamp, &body);
        Request::post("/")
            .header(signature::TIMESTAMP_HEADER, timestamp)
            .header(signature::SIGNATURE_HEADER, signature)
            .body(Body::from(body))
            .expect("a request")
    }

    /// The status `service` answers `request` with.
    async fn status<S>(mut service: S, request: Request<Body>) -> StatusCode
    where
        S: tower_service::Service<Request<Body>, Response = Response>,
        S::Error: std::fmt::Debug,
    {
        service.call(request).await.expect("an answer").status()
    }

    /// The status the service answers, after checking that the axum route answers the same.
    async fn through_both(receiver: Receiver, request: impl Fn() -> Request<Body>) -> StatusCode {
        let from_service = status(receiver.clone().into_service(), request()).await;
        let from_route = status(receiver.into_router(), request()).await;
        assert_eq!(from_service, from_route, "the service answers as the axum route does");
        from_service
    }

    #[tokio::test]
    async fn a_signed_delivery_is_handled_and_answered_200() {
        let handled = Arc::new(Mutex::new(Vec::new()));
        let answer = receiver(&handled).into_service().call(signed(SECRET, BODY)).await.expect("an answer");
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(*handled.lock().expect("lock"), ["meeting.started"]);
        let handled = Arc::new(Mutex::new(Vec::new()));
        assert_eq!(through_both(receiver(&handled), || signed(SECRET, BODY)).await, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_wrong_signature_or_missing_headers_are_answered_401_and_not_handled() {
        let handled = Arc::new(Mutex::new(Vec::new()));
        let wrong = through_both(receiver(&handled), || signed("another-secret", BODY)).await;
        assert_eq!(wrong, StatusCode::UNAUTHORIZED);
        let unsigned = || Request::post("/").body(Body::from(BODY)).expect("a request");
        assert_eq!(through_both(receiver(&handled), unsigned).await, StatusCode::UNAUTHORIZED);
        assert!(handled.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_answered_413_and_not_handled() {
        let handled = Arc::new(Mutex::new(Vec::new()));
        // Signed correctly, so only its size is wrong; padded with spaces, still valid JSON.
        let oversized = format!("{BODY}{}", " ".repeat(DEFAULT_BODY_LIMIT));
        let answer = through_both(receiver(&handled), || signed(SECRET, oversized.clone())).await;
        assert_eq!(answer, StatusCode::PAYLOAD_TOO_LARGE);
        // A smaller limit of the service's own, with and without a `content-length` header.
        let service = receiver(&handled).into_service().body_limit(BODY.len() - 1);
        assert_eq!(status(service.clone(), signed(SECRET, BODY)).await, StatusCode::PAYLOAD_TOO_LARGE);
        let mut with_length = signed(SECRET, BODY);
        with_length.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(BODY.len()));
        assert_eq!(status(service, with_length).await, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(handled.lock().expect("lock").is_empty());
        // At the limit, it is read and handled.
        let service = receiver(&handled).into_service().body_limit(BODY.len());
        assert_eq!(status(service, signed(SECRET, BODY)).await, StatusCode::OK);
        assert_eq!(*handled.lock().expect("lock"), ["meeting.started"]);
    }

    #[tokio::test]
    async fn another_method_is_answered_405() {
        let handled = Arc::new(Mutex::new(Vec::new()));
        let get = || Request::get("/").body(Body::empty()).expect("a request");
        assert_eq!(through_both(receiver(&handled), get).await, StatusCode::METHOD_NOT_ALLOWED);
    }
}
