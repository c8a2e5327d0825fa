//! The signature scheme a [`Receiver`](super::Receiver) checks: what differs between vendors is the
//! headers, the verifier, whether Zoom's URL validation is answered, the duplicate key, and where the
//! webhook name comes from.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use ::axum::extract::FromRequestParts;
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, StatusCode};
use ::axum::response::{IntoResponse, Response};

use crate::ParseError;
use crate::signature::zoom::{self, Verifier};
use crate::signature::{github, standard};

/// Which signature scheme a receiver checks, with its secrets.
///
/// Build a receiver with one through [`Receiver::with_verifier`](super::Receiver::with_verifier) (a Zoom
/// [`Verifier`], a [`standard::Verifier`] or a [`github::Verifier`] converts into it), or with
/// [`Receiver::new`](super::Receiver::new) (Zoom), [`Receiver::standard`](super::Receiver::standard) and
/// [`Receiver::github`](super::Receiver::github).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// Zoom's `x-zm-signature`; the receiver also answers Zoom's `endpoint.url_validation`.
    Zoom(Verifier),
    /// Standard Webhooks (`webhook-*` or Svix's `svix-*` headers); the duplicate filter keys deliveries
    /// by their message id.
    Standard(standard::Verifier),
    /// GitHub's `X-Hub-Signature-256`; deliveries are routed by `X-GitHub-Event` and the body's
    /// `action`, `ping` is answered 200, and the duplicate filter keys deliveries by `X-GitHub-Delivery`.
    GitHub(github::Verifier),
}

impl From<Verifier> for SignatureScheme {
    fn from(verifier: Verifier) -> Self {
        Self::Zoom(verifier)
    }
}

impl From<github::Verifier> for SignatureScheme {
    fn from(verifier: github::Verifier) -> Self {
        Self::GitHub(verifier)
    }
}

impl From<standard::Verifier> for SignatureScheme {
    fn from(verifier: standard::Verifier) -> Self {
        Self::Standard(verifier)
    }
}

/// Why a delivery's signature was refused, in the scheme's own terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SchemeError {
    #[error(transparent)]
    Zoom(#[from] zoom::SignatureError),
    #[error(transparent)]
    Standard(#[from] standard::SignatureError),
    #[error(transparent)]
    GitHub(#[from] github::SignatureError),
}

/// Prefix of a Standard Webhooks duplicate key. A delivery's body is a JSON object, which never starts with
/// a NUL byte, so a message id key can never equal a body key.
const MESSAGE_ID_KEY: &[u8] = b"\0webhook-id\0";

/// Prefix of a GitHub duplicate key, apart from body keys for the same reason.
const GITHUB_DELIVERY_KEY: &[u8] = b"\0x-github-delivery\0";

/// The event GitHub sends when a hook is created; the receiver answers it 200 unless a route declares it.
pub(crate) const GITHUB_PING_EVENT: &str = "ping";

/// Which pre-body header check [`SignatureHeaders`] runs.
pub(crate) const ZOOM_HEADERS: u8 = 0;
pub(crate) const STANDARD_HEADERS: u8 = 1;
pub(crate) const GITHUB_HEADERS: u8 = 2;

impl SignatureScheme {
    /// The same scheme with another clock tolerance.
    pub(crate) fn tolerance(self, tolerance: Duration) -> Self {
        match self {
            Self::Zoom(verifier) => Self::Zoom(verifier.tolerance(tolerance)),
            Self::Standard(verifier) => Self::Standard(verifier.tolerance(tolerance)),
            // GitHub sends no timestamp: there is no window to set.
            Self::GitHub(verifier) => Self::GitHub(verifier),
        }
    }

    /// Checks the signature of a delivery against its raw body.
    pub(crate) fn verify(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), SchemeError> {
        match self {
            Self::Zoom(verifier) => Ok(verifier.verify_headers(headers, body, now)?),
            Self::Standard(verifier) => Ok(verifier.verify_headers(headers, body, now)?),
            Self::GitHub(verifier) => Ok(verifier.verify_headers(headers, body)?),
        }
    }

    /// The Zoom verifier, which answers URL validation; `None` for schemes without it.
    pub(crate) fn url_validation(&self) -> Option<&Verifier> {
        match self {
            Self::Zoom(verifier) => Some(verifier),
            Self::Standard(_) | Self::GitHub(_) => None,
        }
    }

    /// The webhook name of a verified delivery when the scheme names it outside the body's
    /// discriminator: for GitHub, `X-GitHub-Event` and the body's `action`
    /// ([`github::webhook_name`]); `None` for the schemes that route by a body property.
    pub(crate) fn webhook_name(&self, headers: &HeaderMap, body: &[u8]) -> Option<Result<String, ParseError>> {
        let Self::GitHub(_) = self else { return None };
        let Some(event) = github::header(headers, github::EVENT_HEADER) else {
            return Some(Err(ParseError::MissingEventName { property: "X-GitHub-Event" }));
        };
        Some(match crate::private::discriminator(body, "action") {
            Ok(action) => Ok(github::webhook_name(&event, Some(&action))),
            Err(ParseError::MissingEventName { .. }) => Ok(github::webhook_name(&event, None)),
            Err(err) => Err(err),
        })
    }

    /// What the duplicate filter keys a verified delivery by: the raw body for Zoom (which has no event
    /// id, and retries with the same body), the message id for Standard Webhooks (the scheme's
    /// idempotency key: retries carry the same id, two messages with equal bodies do not), that of the
    /// header set that verified when the request carries both `webhook-*` and `svix-*` ones.
    pub(crate) fn duplicate_key<'a>(&self, headers: &HeaderMap, body: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            Self::Zoom(_) => Cow::Borrowed(body),
            Self::Standard(verifier) => match verifier.id_of_verified(headers, body, SystemTime::now()) {
                Some(id) => Cow::Owned([MESSAGE_ID_KEY, id.as_bytes()].concat()),
                // Unreachable after a successful verification, which needs the id.
                None => Cow::Borrowed(body),
            },
            // GitHub keeps the GUID for a redelivery; a request without one is keyed by its body.
            Self::GitHub(_) => match github::header(headers, github::DELIVERY_HEADER) {
                Some(guid) => Cow::Owned([GITHUB_DELIVERY_KEY, guid.as_bytes()].concat()),
                None => Cow::Borrowed(body),
            },
        }
    }

    /// The scheme's name in the receiver's log: `zoom`, `standard` or `github`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Zoom(_) => "zoom",
            Self::Standard(_) => "standard",
            Self::GitHub(_) => "github",
        }
    }

    /// Which pre-body header check applies ([`SignatureHeaders`]' parameter).
    pub(crate) fn headers_kind(&self) -> u8 {
        match self {
            Self::Zoom(_) => ZOOM_HEADERS,
            Self::Standard(_) => STANDARD_HEADERS,
            Self::GitHub(_) => GITHUB_HEADERS,
        }
    }
}

/// The request headers, once the scheme's signature headers were found present and well-formed (`KIND`:
/// [`ZOOM_HEADERS`], [`STANDARD_HEADERS`] or [`GITHUB_HEADERS`]); otherwise the request is refused with
/// 401 before its body is read.
pub(crate) struct SignatureHeaders<const KIND: u8>(pub(crate) HeaderMap);

impl<S: Send + Sync, const KIND: u8> FromRequestParts<S> for SignatureHeaders<KIND> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let checked: Result<(), SchemeError> = match KIND {
            STANDARD_HEADERS => standard::check_headers(&parts.headers).map_err(Into::into),
            GITHUB_HEADERS => github::check_headers(&parts.headers).map_err(Into::into),
            _ => zoom::check_headers(&parts.headers).map_err(Into::into),
        };
        match checked {
            Ok(()) => Ok(Self(parts.headers.clone())),
            Err(err) => {
                tracing::warn!(error = %err, "refused a webhook delivery: signature check failed");
                Err((StatusCode::UNAUTHORIZED, err.to_string()).into_response())
            }
        }
    }
}
