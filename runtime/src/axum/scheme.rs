//! The signature scheme a [`Receiver`](super::Receiver) checks: what differs between vendors is the
//! headers, the verifier, whether Zoom's URL validation is answered, and the duplicate key.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use ::axum::extract::FromRequestParts;
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, StatusCode};
use ::axum::response::{IntoResponse, Response};

use crate::signature::{self, Verifier, standard};

/// Which signature scheme a receiver checks, with its secrets.
///
/// Build a receiver with one through [`Receiver::with_verifier`](super::Receiver::with_verifier) (a Zoom
/// [`Verifier`] or a [`standard::Verifier`] converts into it), or with
/// [`Receiver::new`](super::Receiver::new) (Zoom) and [`Receiver::standard`](super::Receiver::standard).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// Zoom's `x-zm-signature`; the receiver also answers Zoom's `endpoint.url_validation`.
    Zoom(Verifier),
    /// Standard Webhooks (`webhook-*` or Svix's `svix-*` headers); the duplicate filter keys deliveries
    /// by their message id.
    Standard(standard::Verifier),
}

impl From<Verifier> for SignatureScheme {
    fn from(verifier: Verifier) -> Self {
        Self::Zoom(verifier)
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
    Zoom(#[from] signature::SignatureError),
    #[error(transparent)]
    Standard(#[from] standard::SignatureError),
}

/// Prefix of a Standard Webhooks duplicate key. A delivery's body is a JSON object, which never starts with
/// a NUL byte, so a message id key can never equal a body key.
const MESSAGE_ID_KEY: &[u8] = b"\0webhook-id\0";

impl SignatureScheme {
    /// The same scheme with another clock tolerance.
    pub(crate) fn tolerance(self, tolerance: Duration) -> Self {
        match self {
            Self::Zoom(verifier) => Self::Zoom(verifier.tolerance(tolerance)),
            Self::Standard(verifier) => Self::Standard(verifier.tolerance(tolerance)),
        }
    }

    /// Checks the signature of a delivery against its raw body.
    pub(crate) fn verify(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), SchemeError> {
        match self {
            Self::Zoom(verifier) => Ok(verifier.verify_headers(headers, body, now)?),
            Self::Standard(verifier) => Ok(verifier.verify_headers(headers, body, now)?),
        }
    }

    /// The Zoom verifier, which answers URL validation; `None` for schemes without it.
    pub(crate) fn url_validation(&self) -> Option<&Verifier> {
        match self {
            Self::Zoom(verifier) => Some(verifier),
            Self::Standard(_) => None,
        }
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
        }
    }

    /// The scheme's name in the receiver's log: `zoom` or `standard`.
    pub(crate) fn name(&self) -> &'static str {
        if self.is_standard() { "standard" } else { "zoom" }
    }

    /// Whether this is the Standard Webhooks scheme (for the pre-body header check).
    pub(crate) fn is_standard(&self) -> bool {
        matches!(self, Self::Standard(_))
    }
}

/// The request headers, once the scheme's signature headers were found present and well-formed
/// (`STANDARD`: Standard Webhooks', else Zoom's); otherwise the request is refused with 401 before its
/// body is read.
pub(crate) struct SignatureHeaders<const STANDARD: bool>(pub(crate) HeaderMap);

impl<S: Send + Sync, const STANDARD: bool> FromRequestParts<S> for SignatureHeaders<STANDARD> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let checked: Result<(), SchemeError> = if STANDARD {
            standard::check_headers(&parts.headers).map_err(Into::into)
        } else {
            signature::check_headers(&parts.headers).map_err(Into::into)
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
