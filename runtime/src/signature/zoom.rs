//! Zoom's webhook signatures and URL validation.
//!
//! Zoom signs every webhook request with the app's *secret token*. Two headers carry the
//! signature:
//!
//! - [`TIMESTAMP_HEADER`] (`x-zm-request-timestamp`): when the request was sent, in Unix
//!   seconds (decimal);
//! - [`SIGNATURE_HEADER`] (`x-zm-signature`): `v0=` followed by the lowercase hex
//!   HMAC-SHA256, keyed with the secret token, of `v0:{timestamp}:{raw body}`.
//!
//! To receive a webhook:
//!
//! 1. Read the request body as **raw bytes**. Verify before parsing, and never re-serialize
//!    the JSON to verify it: any difference in whitespace, key order or escapes (`\u00e9`
//!    versus `é`) changes the bytes and breaks the signature.
//! 2. Call [`verify`] (or [`Verifier::verify`] / [`Verifier::verify_headers`] to change the
//!    allowed clock difference, [`DEFAULT_TOLERANCE`] by default). Reject the request when it
//!    fails; the [`SignatureError`] says which header was wrong and why. [`check_headers`]
//!    refuses a request whose headers are missing or malformed before its body is read.
//! 3. If the event is `endpoint.url_validation`, answer with the JSON of
//!    [`url_validation_response`] for the payload's `plainToken`. Zoom signs validation
//!    requests like any other event, so they go through step 2 as well.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use webhook_runtime::signature::zoom::{self, Verifier};
//!
//! let secret = b"4fv1RkqGQUq5sWbEz6hA5A";
//! let body = br#"{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}"#;
//! let headers = [
//!     ("X-Zm-Request-Timestamp", "1720705455"),
//!     ("X-Zm-Signature", "v0=93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6"),
//! ];
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_720_705_460);
//!
//! let verifier = Verifier::new(secret).tolerance(Duration::from_secs(60));
//! verifier.verify_headers(headers, body, now)?;
//!
//! let response = zoom::url_validation_response(secret, "xys8n8PGS7mAU0m5-YJjRA");
//! let json = serde_json::to_string(&response)?;
//! assert!(json.starts_with(r#"{"plainToken":"xys8n8PGS7mAU0m5-YJjRA","encryptedToken":""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use hmac::Mac;

use super::{
    HmacSha256, Keys, MAC_LEN, OutsideWindow, SecretError, check_window, decode_hex, push_hex, tag_matches, trim_ows,
    unix_seconds,
};

/// Name of the header carrying the request time in Unix seconds (lowercase, as HTTP/2 sends
/// it; header names are case-insensitive).
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

/// Name of the header carrying the signature, `v0=<64 hex digits>` (lowercase; header names
/// are case-insensitive).
pub const SIGNATURE_HEADER: &str = "x-zm-signature";

/// How far the request timestamp may be from the receiver's clock, either way: 300 seconds.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Signature scheme version, the prefix of both the signed message and the header value.
const VERSION: &str = "v0";

/// Longest header value kept in [`SignatureError::MalformedTimestamp`], in characters.
const MAX_REPORTED_CHARS: usize = 64;

/// Why a webhook request failed verification.
///
/// Messages name the header at fault and never include the secret token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The `x-zm-request-timestamp` header is absent (or empty).
    #[error("missing `x-zm-request-timestamp` header")]
    MissingTimestamp,
    /// The `x-zm-signature` header is absent (or empty).
    #[error("missing `x-zm-signature` header")]
    MissingSignature,
    /// The `x-zm-request-timestamp` header is not Unix seconds as a decimal integer (ASCII
    /// digits only, fitting in a `u64`).
    #[error("malformed `x-zm-request-timestamp` header {value:?}: expected Unix seconds as a decimal integer")]
    MalformedTimestamp {
        /// The offending header value, cut to its first 64 characters.
        value: String,
    },
    /// The `x-zm-signature` header is not `v0=` followed by 64 hex digits.
    #[error("malformed `x-zm-signature` header: expected `v0=` followed by 64 hex digits")]
    MalformedSignature,
    /// The `x-zm-signature` header does not match the body and timestamp under this secret:
    /// the request was altered, or signed with another secret token.
    #[error(
        "`x-zm-signature` header does not match the request body and timestamp (altered request or wrong secret token)"
    )]
    Mismatch,
    /// The signature is valid but `x-zm-request-timestamp` is older than the tolerance
    /// allows: a replayed request, or a receiver clock running fast.
    #[error("`x-zm-request-timestamp` header is {age_secs} s in the past, beyond the allowed window")]
    Stale {
        /// How many seconds before the receiver's clock the request was signed.
        age_secs: u64,
    },
    /// The signature is valid but `x-zm-request-timestamp` is further in the future than the
    /// tolerance allows: a receiver clock running slow.
    #[error("`x-zm-request-timestamp` header is {ahead_secs} s in the future, beyond the allowed window")]
    Future {
        /// How many seconds after the receiver's clock the request claims to be signed.
        ahead_secs: u64,
    },
}

/// The answer to an `endpoint.url_validation` event, to be sent back as the JSON body of a
/// `200 OK` response: `{"plainToken": "...", "encryptedToken": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UrlValidationResponse {
    /// The `plainToken` from the validation request, unchanged.
    #[serde(rename = "plainToken")]
    pub plain_token: String,
    /// Lowercase hex HMAC-SHA256 of `plainToken`, keyed with the secret token.
    #[serde(rename = "encryptedToken")]
    pub encrypted_token: String,
}

/// Verifies Zoom webhook requests for one secret token (or several, during a rotation), with a
/// configurable clock tolerance.
///
/// The key is prepared once in [`Verifier::new`], so keep a `Verifier` around rather than
/// building one per request. Its `Debug` output does not show the secret.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use webhook_runtime::signature::zoom::{SignatureError, Verifier};
///
/// let verifier = Verifier::new(b"secret").tolerance(Duration::from_secs(30));
/// let body = br#"{"event":"meeting.started"}"#;
/// let signature = verifier.sign("1700000000", body);
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_030);
/// assert_eq!(verifier.verify("1700000000", &signature, body, now), Ok(()));
///
/// let later = now + Duration::from_secs(1);
/// assert_eq!(
///     verifier.verify("1700000000", &signature, body, later),
///     Err(SignatureError::Stale { age_secs: 31 }),
/// );
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: Keys,
    tolerance: Duration,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &self.keys.len())
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for the app's secret token (its bytes as shown in the Zoom app settings),
    /// with the [`DEFAULT_TOLERANCE`] of 300 seconds.
    ///
    /// # Panics
    ///
    /// If the secret is empty or only whitespace ([`SecretError`]): every signature under
    /// such a key could be forged. Use [`Verifier::try_new`] for a secret read at run time.
    pub fn new(secret: &[u8]) -> Self {
        match Self::try_new(secret) {
            Ok(verifier) => verifier,
            Err(err) => panic!("{err}"),
        }
    }

    /// A verifier for the app's secret token, or [`SecretError`] if it is empty or only
    /// whitespace, with the [`DEFAULT_TOLERANCE`] of 300 seconds.
    ///
    /// ```
    /// use webhook_runtime::signature::SecretError;
    /// use webhook_runtime::signature::zoom::Verifier;
    ///
    /// assert!(Verifier::try_new(b"4fv1RkqGQUq5sWbEz6hA5A").is_ok());
    /// assert_eq!(Verifier::try_new(b"").err(), Some(SecretError::Empty));
    /// assert_eq!(Verifier::try_new(b" \n").err(), Some(SecretError::Blank));
    /// ```
    pub fn try_new(secret: &[u8]) -> Result<Self, SecretError> {
        Self::try_from_secrets(&[secret])
    }

    /// A verifier accepting requests signed with any of `secrets`, for a secret rotation: the
    /// first one signs ([`Verifier::sign`]) and answers URL validation, so list the new secret
    /// first and the old one after it until Zoom signs only with the new one.
    ///
    /// Refuses an empty list ([`SecretError::NoSecret`]) and any secret that is empty or only
    /// whitespace.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use webhook_runtime::signature::SecretError;
    /// use webhook_runtime::signature::zoom::Verifier;
    ///
    /// let body = br#"{"event":"meeting.started"}"#;
    /// let old = Verifier::new(b"old secret").sign("1700000000", body);
    /// let rotating = Verifier::try_from_secrets(&["new secret", "old secret"])?;
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// assert_eq!(rotating.verify("1700000000", &old, body, now), Ok(()));
    /// assert_eq!(Verifier::try_from_secrets::<&str>(&[]).err(), Some(SecretError::NoSecret));
    /// # Ok::<(), SecretError>(())
    /// ```
    pub fn try_from_secrets<S: AsRef<[u8]>>(secrets: &[S]) -> Result<Self, SecretError> {
        let keys = Keys::new(secrets.iter().map(|secret| Ok(secret.as_ref())))?;
        Ok(Self { keys, tolerance: DEFAULT_TOLERANCE })
    }

    /// Sets how far the request timestamp may be from `now`, either way (inclusive). Only
    /// whole seconds count; `Duration::ZERO` demands the exact second.
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Checks a request: `timestamp` and `signature` are the values of
    /// [`TIMESTAMP_HEADER`] and [`SIGNATURE_HEADER`], `body` the raw request body and `now`
    /// the receiver's clock.
    ///
    /// An empty `timestamp` or `signature` counts as a missing header. Checks run in this
    /// order, and the first failure is returned: timestamp present, signature present,
    /// timestamp well-formed, signature well-formed, MAC matches (compared in constant
    /// time), timestamp within the tolerance of `now` (compared in whole seconds). Hex
    /// digits in the signature may be upper or lower case.
    pub fn verify(&self, timestamp: &str, signature: &str, body: &[u8], now: SystemTime) -> Result<(), SignatureError> {
        if timestamp.is_empty() {
            return Err(SignatureError::MissingTimestamp);
        }
        if signature.is_empty() {
            return Err(SignatureError::MissingSignature);
        }
        let sent = parse_timestamp(timestamp)?;
        let tag = parse_signature(signature)?;
        if !self.keys.all().any(|mac| tag_matches(message_mac(mac, timestamp, body), &tag)) {
            return Err(SignatureError::Mismatch);
        }
        check_window(sent, now, self.tolerance).map_err(|outside| match outside {
            OutsideWindow::Stale { age_secs } => SignatureError::Stale { age_secs },
            OutsideWindow::Future { ahead_secs } => SignatureError::Future { ahead_secs },
        })
    }

    /// Like [`Verifier::verify`], taking the request's headers as name/value pairs, e.g. an
    /// `http::HeaderMap` (by reference), a `HashMap<String, String>` or a slice of
    /// `(&str, &str)`.
    ///
    /// Names are matched case-insensitively and the first occurrence of each header wins.
    /// Values have surrounding spaces and tabs removed; a value that is not UTF-8 is
    /// malformed.
    pub fn verify_headers<I, K, V>(&self, headers: I, body: &[u8], now: SystemTime) -> Result<(), SignatureError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        with_header_text(headers, |timestamp, signature| self.verify(timestamp, signature, body, now))
    }

    /// The [`SIGNATURE_HEADER`] value for `body` sent at `timestamp`: `v0=<lowercase hex>`,
    /// under the first secret.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let tag = message_mac(self.keys.primary(), timestamp, body).finalize().into_bytes();
        let mut out = String::with_capacity(VERSION.len() + 1 + 2 * MAC_LEN);
        out.push_str(VERSION);
        out.push('=');
        push_hex(&mut out, &tag);
        out
    }

    /// The answer to an `endpoint.url_validation` event carrying `plain_token`, under the first
    /// secret.
    pub fn url_validation_response(&self, plain_token: &str) -> UrlValidationResponse {
        let mut mac = self.keys.primary().clone();
        mac.update(plain_token.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut encrypted_token = String::with_capacity(2 * MAC_LEN);
        push_hex(&mut encrypted_token, &tag);
        UrlValidationResponse { plain_token: plain_token.to_owned(), encrypted_token }
    }
}

/// The MAC state after feeding it `v0:{timestamp}:{body}`.
fn message_mac(mac: &HmacSha256, timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = mac.clone();
    mac.update(VERSION.as_bytes());
    mac.update(b":");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

/// Checks that a request's signature headers are present and well-formed, without the body
/// or the secret: the checks of [`Verifier::verify_headers`] that come before the MAC, with
/// the same errors. A request that fails them can be refused before its body is read; one
/// that passes still needs [`Verifier::verify_headers`].
///
/// ```
/// use webhook_runtime::signature::zoom::{check_headers, SignatureError};
///
/// let signature = format!("v0={}", "0".repeat(64));
/// assert_eq!(check_headers([("x-zm-request-timestamp", "1720705455"), ("x-zm-signature", &signature)]), Ok(()));
/// assert_eq!(check_headers([("x-zm-request-timestamp", "1720705455")]), Err(SignatureError::MissingSignature));
/// assert_eq!(
///     check_headers([("x-zm-request-timestamp", "1720705455"), ("x-zm-signature", "v0=abc")]),
///     Err(SignatureError::MalformedSignature),
/// );
/// ```
pub fn check_headers<I, K, V>(headers: I) -> Result<(), SignatureError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    with_header_text(headers, |timestamp, signature| {
        parse_timestamp(timestamp)?;
        parse_signature(signature)?;
        Ok(())
    })
}

/// The [`SIGNATURE_HEADER`] value Zoom would send for `body` at `timestamp`, signed with
/// `secret`: `v0=` followed by the lowercase hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
///
/// ```
/// let signature = webhook_runtime::signature::zoom::sign(
///     b"4fv1RkqGQUq5sWbEz6hA5A",
///     "1720705455",
///     br#"{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}"#,
/// );
/// assert_eq!(signature, "v0=93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6");
/// ```
///
/// # Panics
///
/// If `secret` is empty or only whitespace, like [`Verifier::new`].
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    Verifier::new(secret).sign(timestamp, body)
}

/// Checks a webhook request signed with `secret`, allowing the [`DEFAULT_TOLERANCE`] of 300
/// seconds between `timestamp` and `now` either way.
///
/// `timestamp` and `signature` are the values of the [`TIMESTAMP_HEADER`] and
/// [`SIGNATURE_HEADER`] headers; pass an empty string for a header the request lacks, which
/// yields [`SignatureError::MissingTimestamp`] or [`SignatureError::MissingSignature`].
/// `body` must be the raw request body, exactly as received. See [`Verifier::verify`] for
/// the order of checks, and [`Verifier`] to change the tolerance or to read the headers
/// from a header map.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use webhook_runtime::signature::zoom::{verify, SignatureError};
///
/// let secret = b"4fv1RkqGQUq5sWbEz6hA5A";
/// let body = br#"{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}"#;
/// let signature = "v0=93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6";
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_720_705_455);
///
/// assert_eq!(verify(secret, "1720705455", signature, body, now), Ok(()));
/// assert_eq!(
///     verify(b"another secret", "1720705455", signature, body, now),
///     Err(SignatureError::Mismatch),
/// );
/// ```
///
/// # Panics
///
/// If `secret` is empty or only whitespace, like [`Verifier::new`]: no request may pass
/// under a key anyone can use.
pub fn verify(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: SystemTime,
) -> Result<(), SignatureError> {
    Verifier::new(secret).verify(timestamp, signature, body, now)
}

/// The answer to an `endpoint.url_validation` event: `plain_token` (the event's
/// `payload.plainToken`) and its lowercase hex HMAC-SHA256 keyed with `secret`. Serialize it
/// as the JSON body of a `200 OK` response.
///
/// ```
/// let response = webhook_runtime::signature::zoom::url_validation_response(
///     b"UB_rdTwhTruoYCMr6x6-MQ",
///     "qgg8vlvZRS6UYooatFL8Aw",
/// );
/// assert_eq!(
///     serde_json::to_value(&response).unwrap(),
///     serde_json::json!({
///         "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
///         "encryptedToken": "439d1ed256e8d5513d2acd195e0adc64bbbfeb6b795b9d1880534610b58c674c",
///     }),
/// );
/// ```
///
/// # Panics
///
/// If `secret` is empty or only whitespace, like [`Verifier::new`].
pub fn url_validation_response(secret: &[u8], plain_token: &str) -> UrlValidationResponse {
    Verifier::new(secret).url_validation_response(plain_token)
}

/// The values of the first timestamp and signature headers among `headers` (names matched
/// case-insensitively).
fn find_headers<I, K, V>(headers: I) -> (Option<V>, Option<V>)
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
{
    let mut timestamp = None;
    let mut signature = None;
    for (name, value) in headers {
        let name = name.as_ref();
        if timestamp.is_none() && name.eq_ignore_ascii_case(TIMESTAMP_HEADER) {
            timestamp = Some(value);
        } else if signature.is_none() && name.eq_ignore_ascii_case(SIGNATURE_HEADER) {
            signature = Some(value);
        }
    }
    (timestamp, signature)
}

/// Both header values as text, trimmed; an absent header is passed as empty. Same order of
/// checks as [`Verifier::verify`]: both present, then both well-formed.
/// Finds the two headers, checks they are present text, and hands them to `then`.
fn with_header_text<I, K, V, T>(
    headers: I,
    then: impl FnOnce(&str, &str) -> Result<T, SignatureError>,
) -> Result<T, SignatureError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    let (timestamp, signature) = find_headers(headers);
    let timestamp = timestamp.as_ref().map_or(&[][..], AsRef::as_ref);
    let signature = signature.as_ref().map_or(&[][..], AsRef::as_ref);
    let (timestamp, signature) = header_text(timestamp, signature)?;
    then(timestamp, signature)
}

fn header_text<'a>(timestamp: &'a [u8], signature: &'a [u8]) -> Result<(&'a str, &'a str), SignatureError> {
    let timestamp = trim_ows(timestamp);
    let signature = trim_ows(signature);
    if timestamp.is_empty() {
        return Err(SignatureError::MissingTimestamp);
    }
    if signature.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    let timestamp = std::str::from_utf8(timestamp).map_err(|_| malformed_timestamp(timestamp))?;
    let signature = std::str::from_utf8(signature).map_err(|_| SignatureError::MalformedSignature)?;
    Ok((timestamp, signature))
}

/// Parses Unix seconds: one or more ASCII digits, at most `u64::MAX`.
fn parse_timestamp(value: &str) -> Result<u64, SignatureError> {
    unix_seconds(value).ok_or_else(|| malformed_timestamp(value.as_bytes()))
}

fn malformed_timestamp(value: &[u8]) -> SignatureError {
    let value = String::from_utf8_lossy(value);
    SignatureError::MalformedTimestamp { value: value.chars().take(MAX_REPORTED_CHARS).collect() }
}

/// Decodes `v0=` followed by 64 hex digits (either case) into the MAC bytes.
fn parse_signature(value: &str) -> Result<[u8; MAC_LEN], SignatureError> {
    let hex = value
        .strip_prefix(VERSION)
        .and_then(|rest| rest.strip_prefix('='))
        .ok_or(SignatureError::MalformedSignature)?;
    decode_hex(hex.as_bytes()).ok_or(SignatureError::MalformedSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::keyed_mac;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"4fv1RkqGQUq5sWbEz6hA5A";
    const TIMESTAMP: &str = "1720705455";
    const TIMESTAMP_SECS: u64 = 1_720_705_455;
    const BODY: &[u8] = br#"{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}"#;
    const SIGNATURE: &str = "v0=93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6";

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn now() -> SystemTime {
        at(TIMESTAMP_SECS)
    }

    /// Verifies a request signed at `now + offset` seconds, as seen at `now`.
    fn verify_at_offset(verifier: &Verifier, offset: i64) -> Result<(), SignatureError> {
        let sent = TIMESTAMP_SECS.checked_add_signed(offset).expect("test offset");
        let timestamp = sent.to_string();
        let signature = verifier.sign(&timestamp, BODY);
        verifier.verify(&timestamp, &signature, BODY, now())
    }

    #[test]
    fn sign_matches_zoom_vector() {
        assert_eq!(sign(SECRET, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn verify_accepts_zoom_vector() {
        assert_eq!(verify(SECRET, TIMESTAMP, SIGNATURE, BODY, now()), Ok(()));
    }

    #[test]
    fn url_validation_matches_zoom_vector() {
        let response = url_validation_response(b"UB_rdTwhTruoYCMr6x6-MQ", "qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({
                "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
                "encryptedToken": "439d1ed256e8d5513d2acd195e0adc64bbbfeb6b795b9d1880534610b58c674c",
            })
        );
        let back: UrlValidationResponse = serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap();
        assert_eq!(back, response);
    }

    #[test]
    fn tampered_body_is_a_mismatch() {
        let mut body = BODY.to_vec();
        body[20] ^= 0x01;
        assert_eq!(verify(SECRET, TIMESTAMP, SIGNATURE, &body, now()), Err(SignatureError::Mismatch));
        let mut longer = BODY.to_vec();
        longer.push(b'\n');
        assert_eq!(verify(SECRET, TIMESTAMP, SIGNATURE, &longer, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn tampered_timestamp_is_a_mismatch() {
        assert_eq!(verify(SECRET, "1720705456", SIGNATURE, BODY, now()), Err(SignatureError::Mismatch));
        // Same number, different digits: the header string is what is signed.
        assert_eq!(verify(SECRET, "01720705455", SIGNATURE, BODY, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn wrong_secret_is_a_mismatch() {
        for secret in [&b"4fv1RkqGQUq5sWbEz6hA5a"[..], b"4fv1RkqGQUq5sWbEz6hA5", b"x"] {
            assert_eq!(verify(secret, TIMESTAMP, SIGNATURE, BODY, now()), Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn missing_headers_have_their_own_errors() {
        assert_eq!(verify(SECRET, "", SIGNATURE, BODY, now()), Err(SignatureError::MissingTimestamp));
        assert_eq!(verify(SECRET, TIMESTAMP, "", BODY, now()), Err(SignatureError::MissingSignature));
        assert_eq!(verify(SECRET, "", "", BODY, now()), Err(SignatureError::MissingTimestamp));
    }

    #[test]
    fn garbled_timestamps_are_malformed() {
        for value in [
            "abc",
            " 1720705455",
            "1720705455 ",
            "-1720705455",
            "+1720705455",
            "1720705455.0",
            "1.72e9",
            "0x66902aaf",
            "１７２０７０５４５５",
            "99999999999999999999",
            "18446744073709551616",
        ] {
            assert_eq!(
                verify(SECRET, value, SIGNATURE, BODY, now()),
                Err(SignatureError::MalformedTimestamp { value: value.to_owned() }),
                "{value:?}"
            );
        }
    }

    #[test]
    fn malformed_timestamp_value_is_cut() {
        let long = "x".repeat(10_000);
        let Err(SignatureError::MalformedTimestamp { value }) = verify(SECRET, &long, SIGNATURE, BODY, now()) else {
            panic!("expected MalformedTimestamp");
        };
        assert_eq!(value.len(), MAX_REPORTED_CHARS);
    }

    #[test]
    fn garbled_signatures_are_malformed() {
        let hex = &SIGNATURE[3..];
        let cases = [
            hex.to_owned(),
            format!("v1={hex}"),
            format!("V0={hex}"),
            format!("v0:{hex}"),
            format!("v0= {hex}"),
            format!("v0={hex} "),
            "v0=".to_owned(),
            format!("v0={}", &hex[1..]),
            format!("v0={hex}0"),
            format!("v0={}g", &hex[1..]),
            format!("v0={}é", &hex[2..]),
            format!("v0={hex},v0={hex}"),
        ];
        for value in cases {
            assert_eq!(
                verify(SECRET, TIMESTAMP, &value, BODY, now()),
                Err(SignatureError::MalformedSignature),
                "{value:?}"
            );
        }
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        // Zoom sends lowercase; the decoded MAC bytes are what is compared, so case is
        // irrelevant.
        let upper = format!("v0={}", SIGNATURE[3..].to_ascii_uppercase());
        assert_eq!(verify(SECRET, TIMESTAMP, &upper, BODY, now()), Ok(()));
        let mixed: String =
            SIGNATURE.char_indices().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect();
        let mixed = format!("v0={}", &mixed[3..]);
        assert_eq!(verify(SECRET, TIMESTAMP, &mixed, BODY, now()), Ok(()));
    }

    #[test]
    fn window_is_300_seconds_inclusive_both_ways() {
        let verifier = Verifier::new(SECRET);
        for offset in [-300, -299, -1, 0, 1, 299, 300] {
            assert_eq!(verify_at_offset(&verifier, offset), Ok(()), "{offset}");
        }
        assert_eq!(verify_at_offset(&verifier, -301), Err(SignatureError::Stale { age_secs: 301 }));
        assert_eq!(verify_at_offset(&verifier, 301), Err(SignatureError::Future { ahead_secs: 301 }));
        assert_eq!(verify_at_offset(&verifier, -86_400), Err(SignatureError::Stale { age_secs: 86_400 }));
    }

    #[test]
    fn free_verify_uses_default_tolerance() {
        let sent = (TIMESTAMP_SECS - 301).to_string();
        let signature = sign(SECRET, &sent, BODY);
        assert_eq!(verify(SECRET, &sent, &signature, BODY, now()), Err(SignatureError::Stale { age_secs: 301 }));
        let sent = (TIMESTAMP_SECS - 300).to_string();
        let signature = sign(SECRET, &sent, BODY);
        assert_eq!(verify(SECRET, &sent, &signature, BODY, now()), Ok(()));
    }

    #[test]
    fn sub_second_clock_is_truncated() {
        let signature = sign(SECRET, TIMESTAMP, BODY);
        let now = at(TIMESTAMP_SECS + 300) + Duration::from_millis(999);
        assert_eq!(verify(SECRET, TIMESTAMP, &signature, BODY, now), Ok(()));
    }

    #[test]
    fn custom_tolerance_is_honoured() {
        let strict = Verifier::new(SECRET).tolerance(Duration::from_secs(10));
        for offset in [-10, 0, 10] {
            assert_eq!(verify_at_offset(&strict, offset), Ok(()), "{offset}");
        }
        assert_eq!(verify_at_offset(&strict, -11), Err(SignatureError::Stale { age_secs: 11 }));
        assert_eq!(verify_at_offset(&strict, 11), Err(SignatureError::Future { ahead_secs: 11 }));

        let exact = Verifier::new(SECRET).tolerance(Duration::ZERO);
        assert_eq!(verify_at_offset(&exact, 0), Ok(()));
        assert_eq!(verify_at_offset(&exact, 1), Err(SignatureError::Future { ahead_secs: 1 }));

        let lenient = Verifier::new(SECRET).tolerance(Duration::from_secs(3600));
        assert_eq!(verify_at_offset(&lenient, -3600), Ok(()));
        assert_eq!(verify_at_offset(&lenient, 3600), Ok(()));
        assert_eq!(verify_at_offset(&lenient, -3601), Err(SignatureError::Stale { age_secs: 3601 }));

        let forever = Verifier::new(SECRET).tolerance(Duration::MAX);
        assert_eq!(verify_at_offset(&forever, -(TIMESTAMP_SECS as i64)), Ok(()));
    }

    #[test]
    fn signature_is_checked_before_the_clock() {
        // An old request with a bad signature reports the signature, not its age.
        let old = (TIMESTAMP_SECS - 10_000).to_string();
        assert_eq!(verify(SECRET, &old, SIGNATURE, BODY, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let max = u64::MAX.to_string();
        let signature = sign(SECRET, &max, BODY);
        assert_eq!(
            verify(SECRET, &max, &signature, BODY, now()),
            Err(SignatureError::Future { ahead_secs: u64::MAX - TIMESTAMP_SECS })
        );
        assert_eq!(Verifier::new(SECRET).tolerance(Duration::MAX).verify(&max, &signature, BODY, now()), Ok(()));

        let signature = sign(SECRET, "0", BODY);
        assert_eq!(
            verify(SECRET, "0", &signature, BODY, now()),
            Err(SignatureError::Stale { age_secs: TIMESTAMP_SECS })
        );
        // A receiver clock before 1970.
        let before_epoch = SystemTime::UNIX_EPOCH - Duration::from_secs(1000);
        assert_eq!(
            verify(SECRET, "0", &signature, BODY, before_epoch),
            Err(SignatureError::Future { ahead_secs: 1000 })
        );
        let signature = sign(SECRET, &max, BODY);
        assert_eq!(
            verify(SECRET, &max, &signature, BODY, before_epoch),
            Err(SignatureError::Future { ahead_secs: u64::MAX })
        );
    }

    const UNICODE_BODY: &str = r#"{"event": "meeting.updated", "payload": {"object": {"topic": "Café ☕ 🚒"}}}"#;
    const ESCAPED_BODY: &str =
        r#"{"event":"meeting.updated","payload":{"object":{"topic":"Fire \uD83D\uDE92 caf\u00e9"}}}"#;

    fn reserialized(body: &[u8]) -> Vec<u8> {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap();
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn raw_utf8_body_is_verified_as_sent() {
        let body = UNICODE_BODY.as_bytes();
        assert!(!body.is_ascii());
        let signature = sign(SECRET, TIMESTAMP, body);
        assert_eq!(verify(SECRET, TIMESTAMP, &signature, body, now()), Ok(()));

        let again = reserialized(body);
        assert_ne!(again, body);
        assert_eq!(verify(SECRET, TIMESTAMP, &signature, &again, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn escaped_body_is_verified_as_sent() {
        let body = ESCAPED_BODY.as_bytes();
        assert!(body.is_ascii());
        let signature = sign(SECRET, TIMESTAMP, body);
        assert_eq!(verify(SECRET, TIMESTAMP, &signature, body, now()), Ok(()));

        // serde_json writes the escapes back as raw UTF-8: same JSON value, other bytes.
        let again = reserialized(body);
        assert_eq!(
            std::str::from_utf8(&again).unwrap(),
            r#"{"event":"meeting.updated","payload":{"object":{"topic":"Fire 🚒 café"}}}"#
        );
        assert_eq!(verify(SECRET, TIMESTAMP, &signature, &again, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn verify_headers_reads_header_pairs() {
        let verifier = Verifier::new(SECRET);
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Zm-Request-Timestamp", TIMESTAMP),
            ("X-ZM-SIGNATURE", SIGNATURE),
        ];
        assert_eq!(verifier.verify_headers(headers, BODY, now()), Ok(()));

        let owned: std::collections::HashMap<String, String> =
            headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned())).collect();
        assert_eq!(verifier.verify_headers(&owned, BODY, now()), Ok(()));

        let padded = [(TIMESTAMP_HEADER, format!(" {TIMESTAMP}\t")), (SIGNATURE_HEADER, format!("{SIGNATURE} "))];
        assert_eq!(verifier.verify_headers(padded, BODY, now()), Ok(()));

        // First occurrence wins.
        let repeated = [(TIMESTAMP_HEADER, TIMESTAMP), (SIGNATURE_HEADER, SIGNATURE), (SIGNATURE_HEADER, "v0=junk")];
        assert_eq!(verifier.verify_headers(repeated, BODY, now()), Ok(()));
    }

    #[test]
    fn verify_headers_reports_missing_and_malformed() {
        let verifier = Verifier::new(SECRET);
        let none: [(&str, &str); 0] = [];
        assert_eq!(verifier.verify_headers(none, BODY, now()), Err(SignatureError::MissingTimestamp));
        assert_eq!(
            verifier.verify_headers([(TIMESTAMP_HEADER, TIMESTAMP)], BODY, now()),
            Err(SignatureError::MissingSignature)
        );
        assert_eq!(
            verifier.verify_headers([(TIMESTAMP_HEADER, "  "), (SIGNATURE_HEADER, SIGNATURE)], BODY, now()),
            Err(SignatureError::MissingTimestamp)
        );
        let bad_utf8: [(&str, &[u8]); 1] = [(TIMESTAMP_HEADER, b"17\xff")];
        assert_eq!(verifier.verify_headers(bad_utf8, BODY, now()), Err(SignatureError::MissingSignature));
        let bad_utf8: [(&str, &[u8]); 2] = [(TIMESTAMP_HEADER, b"17\xff"), (SIGNATURE_HEADER, SIGNATURE.as_bytes())];
        assert_eq!(
            verifier.verify_headers(bad_utf8, BODY, now()),
            Err(SignatureError::MalformedTimestamp { value: "17\u{fffd}".to_owned() })
        );
        let bad_utf8: [(&str, &[u8]); 2] = [(TIMESTAMP_HEADER, TIMESTAMP.as_bytes()), (SIGNATURE_HEADER, b"v0=\xff")];
        assert_eq!(verifier.verify_headers(bad_utf8, BODY, now()), Err(SignatureError::MalformedSignature));
    }

    #[test]
    fn messages_name_the_header_and_hide_the_secret() {
        let errors = [
            (SignatureError::MissingTimestamp, TIMESTAMP_HEADER),
            (SignatureError::MissingSignature, SIGNATURE_HEADER),
            (SignatureError::MalformedTimestamp { value: "abc".to_owned() }, TIMESTAMP_HEADER),
            (SignatureError::MalformedSignature, SIGNATURE_HEADER),
            (SignatureError::Mismatch, SIGNATURE_HEADER),
            (SignatureError::Stale { age_secs: 301 }, TIMESTAMP_HEADER),
            (SignatureError::Future { ahead_secs: 301 }, TIMESTAMP_HEADER),
        ];
        for (error, header) in errors {
            let message = error.to_string();
            assert!(message.contains(header), "{message}");
        }
        assert!(SignatureError::Stale { age_secs: 301 }.to_string().contains("301 s in the past"));
        let debug = format!("{:?}", Verifier::new(SECRET));
        assert!(!debug.contains("4fv1"), "{debug}");
        assert!(debug.contains("tolerance"), "{debug}");
    }

    #[test]
    fn rotation_accepts_every_listed_secret_and_signs_with_the_first() {
        let old = sign(SECRET, TIMESTAMP, BODY);
        let new = sign(b"the new secret", TIMESTAMP, BODY);
        let rotating = Verifier::try_from_secrets(&[&b"the new secret"[..], SECRET]).unwrap();
        assert_eq!(rotating.verify(TIMESTAMP, &old, BODY, now()), Ok(()));
        assert_eq!(rotating.verify(TIMESTAMP, &new, BODY, now()), Ok(()));
        assert_eq!(rotating.sign(TIMESTAMP, BODY), new);
        assert_eq!(
            rotating.url_validation_response("abc"),
            Verifier::new(b"the new secret").url_validation_response("abc")
        );
        // The old secret removed: its deliveries no longer pass.
        let rotated = Verifier::try_from_secrets(&["the new secret"]).unwrap();
        assert_eq!(rotated.verify(TIMESTAMP, &old, BODY, now()), Err(SignatureError::Mismatch));
        assert_eq!(Verifier::try_from_secrets::<&[u8]>(&[]).err(), Some(SecretError::NoSecret));
        assert_eq!(Verifier::try_from_secrets(&[&b"x"[..], b" "]).err(), Some(SecretError::Blank));
        let debug = format!("{rotating:?}");
        assert!(debug.contains("secrets: 2") && !debug.contains("new secret"), "{debug}");
    }

    #[test]
    fn empty_and_blank_secrets_are_refused() {
        assert_eq!(Verifier::try_new(b"").err(), Some(SecretError::Empty));
        for blank in [&b" "[..], b"\t", b"\n", b"\r\n", b"   \t \x0c"] {
            assert_eq!(Verifier::try_new(blank).err(), Some(SecretError::Blank), "{blank:?}");
        }
        // Surrounding whitespace is part of the key, not a reason to refuse it.
        assert!(Verifier::try_new(b" x ").is_ok());
        assert!(Verifier::try_new(SECRET).is_ok());
        // Non-ASCII bytes are key material, not whitespace.
        assert!(Verifier::try_new("\u{a0}".as_bytes()).is_ok());
        for error in [SecretError::Empty, SecretError::Blank] {
            assert!(error.to_string().contains("secret token"), "{error}");
        }
    }

    #[test]
    #[should_panic(expected = "the webhook secret token is empty")]
    fn new_panics_on_an_empty_secret() {
        let _ = Verifier::new(b"");
    }

    #[test]
    #[should_panic(expected = "the webhook secret token is only whitespace")]
    fn new_panics_on_a_blank_secret() {
        let _ = Verifier::new(b" \n");
    }

    #[test]
    fn an_empty_key_cannot_be_used_to_forge() {
        // The forgery an empty secret allowed: anyone can compute HMAC-SHA256 under the empty key.
        let forged = {
            let mut mac = keyed_mac(b"");
            mac.update(format!("v0:{TIMESTAMP}:").as_bytes());
            mac.update(BODY);
            let mut out = "v0=".to_owned();
            push_hex(&mut out, &mac.finalize().into_bytes());
            out
        };
        let outcome = std::panic::catch_unwind(|| verify(b"", TIMESTAMP, &forged, BODY, now()));
        assert!(outcome.is_err(), "an empty secret must not verify anything");
        assert_eq!(verify(SECRET, TIMESTAMP, &forged, BODY, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn check_headers_stops_before_the_mac() {
        let good = [(TIMESTAMP_HEADER, TIMESTAMP), (SIGNATURE_HEADER, SIGNATURE)];
        assert_eq!(check_headers(good), Ok(()));
        // Well-formed but wrong: only the body and the secret can tell.
        let wrong = format!("v0={}", "0".repeat(64));
        assert_eq!(check_headers([(TIMESTAMP_HEADER, TIMESTAMP), (SIGNATURE_HEADER, &wrong)]), Ok(()));
        let none: [(&str, &str); 0] = [];
        assert_eq!(check_headers(none), Err(SignatureError::MissingTimestamp));
        assert_eq!(check_headers([(TIMESTAMP_HEADER, TIMESTAMP)]), Err(SignatureError::MissingSignature));
        assert_eq!(
            check_headers([(TIMESTAMP_HEADER, "soon"), (SIGNATURE_HEADER, SIGNATURE)]),
            Err(SignatureError::MalformedTimestamp { value: "soon".to_owned() })
        );
        assert_eq!(
            check_headers([(TIMESTAMP_HEADER, TIMESTAMP), (SIGNATURE_HEADER, "v1=abc")]),
            Err(SignatureError::MalformedSignature)
        );
    }

    /// Secret tokens [`Verifier::try_new`] accepts: not empty, not only whitespace.
    fn usable_secret() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 1..100)
            .prop_filter("a usable secret", |secret| !secret.iter().all(u8::is_ascii_whitespace))
    }

    proptest! {
        #[test]
        fn sign_then_verify_succeeds(
            secret in usable_secret(),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            sent in 0u64..=1 << 40,
        ) {
            let timestamp = sent.to_string();
            let signature = sign(&secret, &timestamp, &body);
            prop_assert_eq!(verify(&secret, &timestamp, &signature, &body, at(sent)), Ok(()));
        }

        #[test]
        fn any_bit_flip_in_the_body_is_a_mismatch(
            secret in usable_secret(),
            body in proptest::collection::vec(any::<u8>(), 1..512),
            sent in 0u64..=1 << 40,
            position in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let timestamp = sent.to_string();
            let signature = sign(&secret, &timestamp, &body);
            let mut tampered = body.clone();
            tampered[position.index(body.len())] ^= 1 << bit;
            prop_assert_eq!(
                verify(&secret, &timestamp, &signature, &tampered, at(sent)),
                Err(SignatureError::Mismatch)
            );
        }

        #[test]
        fn verify_never_panics_on_arbitrary_input(
            timestamp in prop_oneof![any::<String>(), "[0-9]{0,25}", "[+ -]?[0-9]{1,21}"],
            signature in prop_oneof![any::<String>(), "v0=[0-9a-fA-F]{0,70}", "v0=.{60,66}"],
            body in proptest::collection::vec(any::<u8>(), 0..256),
            now_secs in any::<u64>(),
            before_epoch in any::<bool>(),
            tolerance_secs in any::<u64>(),
        ) {
            let offset = Duration::from_secs(now_secs);
            let now = if before_epoch {
                SystemTime::UNIX_EPOCH.checked_sub(offset)
            } else {
                SystemTime::UNIX_EPOCH.checked_add(offset)
            }
            .unwrap_or(SystemTime::UNIX_EPOCH);
            let _ = verify(SECRET, &timestamp, &signature, &body, now);
            let verifier = Verifier::new(SECRET).tolerance(Duration::from_secs(tolerance_secs));
            let _ = verifier.verify(&timestamp, &signature, &body, now);
            let _ = verifier.verify_headers(
                [(TIMESTAMP_HEADER, &timestamp), (SIGNATURE_HEADER, &signature)],
                &body,
                now,
            );
        }

        #[test]
        fn url_validation_token_is_lowercase_hex(
            secret in usable_secret(),
            plain_token in any::<String>(),
        ) {
            let response = url_validation_response(&secret, &plain_token);
            prop_assert_eq!(&response.plain_token, &plain_token);
            prop_assert_eq!(response.encrypted_token.len(), 64);
            prop_assert!(response
                .encrypted_token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        }
    }
}
