//! Verifying [Standard Webhooks](https://www.standardwebhooks.com/) signatures, the scheme of Svix and
//! of the vendors built on it (Resend, Lago, OpenAI and others).
//!
//! Three headers carry a delivery's signature; Svix sends the same ones under `svix-*` names, and
//! [`Verifier::verify_headers`] reads either (when a request carries both sets, it passes if either set
//! verifies):
//!
//! - [`ID_HEADER`] (`webhook-id`): the message id, the same for every retry of a message (the
//!   idempotency key);
//! - [`TIMESTAMP_HEADER`] (`webhook-timestamp`): when it was sent, in Unix seconds (decimal digits;
//!   leading zeros are read as the reference libraries read them, which sign the number without them);
//! - [`SIGNATURE_HEADER`] (`webhook-signature`): a space-separated list of signatures (tabs separate
//!   too), each `v1,` followed by the base64 HMAC-SHA256 of `{id}.{timestamp}.{raw body}`. Entries of
//!   other versions (`v1a,` for asymmetric signatures) are ignored; the delivery passes when one `v1`
//!   entry matches.
//!
//! The secret is `whsec_` followed by the base64 key, as the vendor's dashboard shows it (the prefix
//! may be left out, so may the base64 padding, and surrounding whitespace such as the line break of a
//! secrets file is ignored). Several secrets can be given during a rotation: a delivery signed with any
//! of them passes.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use webhook_runtime::signature::standard::{self, Verifier};
//!
//! let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
//! let body = br#"{"test": 2432232314}"#;
//! let signature = standard::sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body)?;
//! assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
//!
//! let verifier = Verifier::new(&[secret])?;
//! let headers = [
//!     ("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
//!     ("svix-timestamp", "1614265330"),
//!     ("svix-signature", signature.as_str()),
//! ];
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_265_330);
//! verifier.verify_headers(headers, body, now)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, STANDARD_PAD_INDIFFERENT};
use hmac::Mac;

use super::{HmacSha256, Keys, OutsideWindow, SecretError, check_window, tag_matches, trim_ows, unix_seconds};

/// Name of the header carrying the message id (lowercase; header names are case-insensitive).
pub const ID_HEADER: &str = "webhook-id";

/// Name of the header carrying the time the message was sent, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";

/// Name of the header carrying the space-separated signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// Svix's name for [`ID_HEADER`].
pub const SVIX_ID_HEADER: &str = "svix-id";

/// Svix's name for [`TIMESTAMP_HEADER`].
pub const SVIX_TIMESTAMP_HEADER: &str = "svix-timestamp";

/// Svix's name for [`SIGNATURE_HEADER`].
pub const SVIX_SIGNATURE_HEADER: &str = "svix-signature";

/// How far the timestamp may be from the receiver's clock, either way: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The optional prefix of a secret as vendors show it.
const SECRET_PREFIX: &str = "whsec_";

/// The signature version this module checks and writes.
const VERSION: &str = "v1";

/// Longest header value kept in [`SignatureError::MalformedTimestamp`], in characters.
const MAX_REPORTED_CHARS: usize = 64;

/// Why a Standard Webhooks delivery failed verification.
///
/// Messages name the header at fault (its `webhook-*` name; Svix's `svix-*` names are read the same
/// way) and never include a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Neither `webhook-id` nor `svix-id` is present (or it is empty).
    #[error("missing `webhook-id` (or `svix-id`) header")]
    MissingId,
    /// Neither `webhook-timestamp` nor `svix-timestamp` is present (or it is empty).
    #[error("missing `webhook-timestamp` (or `svix-timestamp`) header")]
    MissingTimestamp,
    /// Neither `webhook-signature` nor `svix-signature` is present (or it is empty).
    #[error("missing `webhook-signature` (or `svix-signature`) header")]
    MissingSignature,
    /// A header value is not UTF-8 text.
    #[error("malformed `{header}` header: not UTF-8 text")]
    NotText {
        /// The header's name, as the scheme spells it.
        header: &'static str,
    },
    /// The timestamp is not Unix seconds as a decimal integer.
    #[error("malformed `webhook-timestamp` header {value:?}: expected Unix seconds as a decimal integer")]
    MalformedTimestamp {
        /// The offending value, cut to its first 64 characters.
        value: String,
    },
    /// The signature header has no `v1,` entry carrying 32 bytes of base64 (an empty or truncated
    /// signature, or only versions this module does not check).
    #[error("malformed `webhook-signature` header: expected `v1,` followed by the base64 of 32 bytes")]
    MalformedSignature,
    /// No `v1` signature matches the id, timestamp and body under any of the secrets: the delivery was
    /// altered, or signed with another secret.
    #[error(
        "`webhook-signature` header does not match the message id, timestamp and body (altered delivery or wrong secret)"
    )]
    Mismatch,
    /// The signature is valid but the timestamp is older than the tolerance allows: a replay, or a
    /// receiver clock running fast.
    #[error("`webhook-timestamp` header is {age_secs} s in the past, beyond the allowed window")]
    Stale {
        /// How many seconds before the receiver's clock the delivery was signed.
        age_secs: u64,
    },
    /// The signature is valid but the timestamp is further in the future than the tolerance allows.
    #[error("`webhook-timestamp` header is {ahead_secs} s in the future, beyond the allowed window")]
    Future {
        /// How many seconds after the receiver's clock the delivery claims to be signed.
        ahead_secs: u64,
    },
}

/// Verifies Standard Webhooks deliveries under one or more secrets, with a configurable clock tolerance.
///
/// Keys are decoded once in [`Verifier::new`]; keep a `Verifier` around. Its `Debug` output does not
/// show the secrets.
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
    /// A verifier accepting deliveries signed with any of `secrets` (each `whsec_<base64>`, the prefix
    /// optional), with the [`DEFAULT_TOLERANCE`] of 5 minutes. The first secret signs
    /// ([`Verifier::sign`]); during a rotation list the new one first and the old one after it.
    ///
    /// # Errors
    ///
    /// [`SecretError::NoSecret`] for an empty list; [`SecretError::Empty`], [`SecretError::Blank`] or
    /// [`SecretError::Malformed`] (not base64) for the first secret that is unusable.
    ///
    /// ```
    /// use webhook_runtime::signature::SecretError;
    /// use webhook_runtime::signature::standard::Verifier;
    ///
    /// assert!(Verifier::new(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "C2FVsBQIhrscChlQIMV+b5sSYspob7oD"]).is_ok());
    /// assert_eq!(Verifier::new(&[]).err(), Some(SecretError::NoSecret));
    /// assert_eq!(Verifier::new(&["whsec_"]).err(), Some(SecretError::Empty));
    /// assert_eq!(Verifier::new(&["whsec_not base64!"]).err(), Some(SecretError::Malformed));
    /// ```
    pub fn new(secrets: &[&str]) -> Result<Self, SecretError> {
        let keys = secrets.iter().map(|secret| decode_secret(secret)).collect::<Result<Vec<_>, _>>()?;
        let keys = Keys::new(keys.iter().map(|key| Ok(key.as_slice())))?;
        Ok(Self { keys, tolerance: DEFAULT_TOLERANCE })
    }

    /// Sets how far the timestamp may be from `now`, either way (inclusive, whole seconds).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The [`SIGNATURE_HEADER`] value for `body` with this id and timestamp, under the first secret:
    /// `v1,<base64>`.
    pub fn sign(&self, msg_id: &str, timestamp: &str, body: &[u8]) -> String {
        let tag = message_mac(self.keys.primary(), msg_id, timestamp, body).finalize().into_bytes();
        let mut out = String::with_capacity(VERSION.len() + 1 + 44);
        out.push_str(VERSION);
        out.push(',');
        BASE64.encode_string(tag, &mut out);
        out
    }

    /// Checks a delivery: `msg_id`, `timestamp` and `signature_header` are the values of the three
    /// headers, `body` the raw request body and `now` the receiver's clock.
    ///
    /// An empty value counts as a missing header. Checks run in this order and the first failure is
    /// returned: id, timestamp and signature present; timestamp well-formed; at least one `v1` entry of
    /// 32 bytes; one of them matches under one of the secrets (compared in constant time); timestamp
    /// within the tolerance of `now`.
    ///
    /// A timestamp with leading zeros (`01614265330`) passes when the signature covers it as sent or,
    /// as every reference library signs it, without the zeros (`1614265330`).
    ///
    /// # Errors
    ///
    /// The [`SignatureError`] saying which header is wrong and why.
    pub fn verify(
        &self,
        msg_id: &str,
        timestamp: &str,
        signature_header: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        let sent = check_values(msg_id, timestamp, signature_header)?;
        // The timestamp as sent and, when it has leading zeros, the number the reference libraries sign.
        let canonical = sent.to_string();
        let texts: &[&str] = if canonical == timestamp { &[timestamp] } else { &[timestamp, &canonical] };
        let matches = self.keys.all().any(|mac| {
            texts.iter().any(|text| {
                let message = message_mac(mac, msg_id, text, body);
                v1_signatures(signature_header).any(|tag| tag_matches(message.clone(), &tag))
            })
        });
        if !matches {
            return Err(SignatureError::Mismatch);
        }
        check_window(sent, now, self.tolerance).map_err(|outside| match outside {
            OutsideWindow::Stale { age_secs } => SignatureError::Stale { age_secs },
            OutsideWindow::Future { ahead_secs } => SignatureError::Future { ahead_secs },
        })
    }

    /// Like [`Verifier::verify`], taking the request's headers as name/value pairs (an
    /// `http::HeaderMap` by reference, a slice of `(&str, &str)`, ...).
    ///
    /// Each of the three is read from its `webhook-*` name or, when that is absent, its `svix-*` name;
    /// names match case-insensitively, the first occurrence wins, and surrounding spaces and tabs are
    /// removed. A request carrying both sets (a proxy adding `webhook-*` headers to Svix's, say) passes
    /// when either set verifies, as the Svix libraries read one set and the Standard Webhooks ones the
    /// other.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`] for the `webhook-*` set when neither set verifies;
    /// [`SignatureError::NotText`] for a value that is not UTF-8.
    pub fn verify_headers<I, K, V>(&self, headers: I, body: &[u8], now: SystemTime) -> Result<(), SignatureError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        self.verified_message_id(headers, body, now).map(drop)
    }

    /// Like [`Verifier::verify_headers`], giving the message id of the header set that verified: the key
    /// that tells a vendor's retries of one message apart from new messages. Use it rather than
    /// [`message_id`] when the id keys anything: of a request carrying both sets, only this one is
    /// signed.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify_headers`].
    pub fn verified_message_id<I, K, V>(
        &self,
        headers: I,
        body: &[u8],
        now: SystemTime,
    ) -> Result<String, SignatureError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let found = Headers::find(headers);
        let (preferred, other) = found.sets()?;
        let verify = |set: &HeaderSet<'_>| self.verify(set.id, set.timestamp, set.signature, body, now);
        match (verify(&preferred), other) {
            (Ok(()), _) => Ok(preferred.id.to_owned()),
            (Err(err), Some(other)) => verify(&other).map(|()| other.id.to_owned()).map_err(|_| err),
            (Err(err), None) => Err(err),
        }
    }

    /// The message id of a request that [`Verifier::verify_headers`] passed at `now`: that of its only
    /// header set without checking again, or of the set that verifies when it carries two.
    #[cfg(feature = "axum")]
    pub(crate) fn id_of_verified<I, K, V>(&self, headers: I, body: &[u8], now: SystemTime) -> Option<String>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let found = Headers::find(headers);
        let (preferred, other) = found.sets().ok()?;
        match other {
            None => Some(preferred.id.to_owned()),
            Some(other) => {
                let verify = |set: &HeaderSet<'_>| self.verify(set.id, set.timestamp, set.signature, body, now);
                let verified = if verify(&preferred).is_ok() || verify(&other).is_err() { preferred } else { other };
                Some(verified.id.to_owned())
            }
        }
    }
}

/// The [`SIGNATURE_HEADER`] value for `body` with this id and timestamp, signed with `secret`
/// (`whsec_<base64>`, the prefix optional): `v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>`.
///
/// # Errors
///
/// [`SecretError`] when the secret is empty, blank or not base64.
///
/// ```
/// let signature = webhook_runtime::signature::standard::sign(
///     "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
///     "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
///     "1649367553",
///     br#"{"email":"test@example.com","username":"test_user"}"#,
/// )?;
/// assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
/// # Ok::<(), webhook_runtime::signature::SecretError>(())
/// ```
pub fn sign(secret: &str, msg_id: &str, timestamp: &str, body: &[u8]) -> Result<String, SecretError> {
    Ok(Verifier::new(&[secret])?.sign(msg_id, timestamp, body))
}

/// Checks that a request's three headers are present and well-formed, without the body or a secret:
/// the checks of [`Verifier::verify_headers`] that come before the MAC, with the same errors. A request
/// that fails them can be refused before its body is read.
///
/// # Errors
///
/// The [`SignatureError`] of the first header that is missing or malformed.
pub fn check_headers<I, K, V>(headers: I) -> Result<(), SignatureError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    let found = Headers::find(headers);
    let (preferred, other) = found.sets()?;
    let check = |set: &HeaderSet<'_>| check_values(set.id, set.timestamp, set.signature).map(drop);
    match (check(&preferred), other) {
        (Ok(()), _) => Ok(()),
        (Err(err), Some(other)) => check(&other).map_err(|_| err),
        (Err(err), None) => Err(err),
    }
}

/// The message id of a request, from `webhook-id` or, when that is absent, `svix-id` (trimmed; `None`
/// when missing, empty or not UTF-8), without checking anything. Of a request carrying both sets the
/// signed id may be the other one: key by [`Verifier::verified_message_id`].
pub fn message_id<I, K, V>(headers: I) -> Option<String>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    let found = Headers::find(headers);
    let id = found.id.as_ref().or(found.svix_id.as_ref())?;
    let id = std::str::from_utf8(trim_ows(id.as_ref())).ok()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// The checks that need neither body nor secret; gives the timestamp.
fn check_values(msg_id: &str, timestamp: &str, signature_header: &str) -> Result<u64, SignatureError> {
    if msg_id.is_empty() {
        return Err(SignatureError::MissingId);
    }
    if timestamp.is_empty() {
        return Err(SignatureError::MissingTimestamp);
    }
    if signature_header.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    let sent = unix_seconds(timestamp).ok_or_else(|| SignatureError::MalformedTimestamp {
        value: timestamp.chars().take(MAX_REPORTED_CHARS).collect(),
    })?;
    if v1_signatures(signature_header).next().is_none() {
        return Err(SignatureError::MalformedSignature);
    }
    Ok(sent)
}

/// The MAC state after feeding it `{id}.{timestamp}.{body}`.
fn message_mac(mac: &HmacSha256, msg_id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = mac.clone();
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The decoded `v1` signatures of a header value that are exactly 32 bytes long. Empty, truncated or
/// over-long entries, entries that are not base64 and other versions are skipped: they can never match.
/// Entries are separated by spaces or tabs (any run of them, as the Ruby reference library splits).
fn v1_signatures(header: &str) -> impl Iterator<Item = [u8; 32]> + '_ {
    header.split([' ', '\t']).filter_map(|entry| {
        let (version, encoded) = entry.split_once(',')?;
        if version != VERSION || encoded.len() != 44 {
            return None;
        }
        let mut tag = [0; 32];
        match BASE64.decode_slice(encoded, &mut tag) {
            Ok(32) => Some(tag),
            _ => None,
        }
    })
}

/// The key bytes of a secret: `whsec_` (optional) followed by standard base64, its padding optional,
/// with surrounding ASCII whitespace (a secrets file's line break) ignored.
fn decode_secret(secret: &str) -> Result<Vec<u8>, SecretError> {
    if !secret.is_empty() && secret.bytes().all(|b| b.is_ascii_whitespace()) {
        return Err(SecretError::Blank);
    }
    let secret = secret.trim_ascii();
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    if encoded.is_empty() {
        return Err(SecretError::Empty);
    }
    // Padding carries no key bits; trailing bits must still be zero, so one key has one spelling.
    STANDARD_PAD_INDIFFERENT.decode(encoded).map_err(|_| SecretError::Malformed)
}

/// The first value of each of the six header names among a request's headers.
struct Headers<V> {
    id: Option<V>,
    timestamp: Option<V>,
    signature: Option<V>,
    svix_id: Option<V>,
    svix_timestamp: Option<V>,
    svix_signature: Option<V>,
}

impl<V: AsRef<[u8]>> Headers<V> {
    fn find<I, K>(headers: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
    {
        let mut found = Self {
            id: None,
            timestamp: None,
            signature: None,
            svix_id: None,
            svix_timestamp: None,
            svix_signature: None,
        };
        for (name, value) in headers {
            let name = name.as_ref();
            let slot = [
                (ID_HEADER, &mut found.id),
                (TIMESTAMP_HEADER, &mut found.timestamp),
                (SIGNATURE_HEADER, &mut found.signature),
                (SVIX_ID_HEADER, &mut found.svix_id),
                (SVIX_TIMESTAMP_HEADER, &mut found.svix_timestamp),
                (SVIX_SIGNATURE_HEADER, &mut found.svix_signature),
            ]
            .into_iter()
            .find(|(known, _)| name.eq_ignore_ascii_case(known));
            if let Some((_, slot @ None)) = slot {
                *slot = Some(value);
            }
        }
        found
    }

    /// The header sets to check, as trimmed text: each header from its `webhook-*` name or else its
    /// `svix-*` name (an absent header is empty) and, when the request carries both names of a header
    /// with different values, the set read the other way round.
    fn sets(&self) -> Result<(HeaderSet<'_>, Option<HeaderSet<'_>>), SignatureError> {
        let preferred = HeaderSet {
            id: pick(ID_HEADER, &self.id, &self.svix_id)?,
            timestamp: pick(TIMESTAMP_HEADER, &self.timestamp, &self.svix_timestamp)?,
            signature: pick(SIGNATURE_HEADER, &self.signature, &self.svix_signature)?,
        };
        // A `svix-*` value that is not text leaves the `webhook-*` set to be checked alone.
        let svix = || -> Result<_, SignatureError> {
            Ok(HeaderSet {
                id: pick(ID_HEADER, &self.svix_id, &self.id)?,
                timestamp: pick(TIMESTAMP_HEADER, &self.svix_timestamp, &self.timestamp)?,
                signature: pick(SIGNATURE_HEADER, &self.svix_signature, &self.signature)?,
            })
        };
        let other = svix().ok().filter(|svix| *svix != preferred);
        Ok((preferred, other))
    }
}

/// The three values one verification reads.
#[derive(PartialEq, Eq)]
struct HeaderSet<'a> {
    id: &'a str,
    timestamp: &'a str,
    signature: &'a str,
}

/// The `first` value if present, else the `second`, as trimmed text (empty when both are absent).
fn pick<'a, V: AsRef<[u8]>>(
    header: &'static str,
    first: &'a Option<V>,
    second: &'a Option<V>,
) -> Result<&'a str, SignatureError> {
    let value = first.as_ref().or(second.as_ref()).map_or(&[][..], AsRef::as_ref);
    std::str::from_utf8(trim_ows(value)).map_err(|_| SignatureError::NotText { header })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The published vectors of the scheme's own libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: &str = "1614265330";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    const SECRET_2: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID_2: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TIMESTAMP_2: &str = "1649367553";
    const BODY_2: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SIGNATURE_2: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn now() -> SystemTime {
        at(1_614_265_330)
    }

    fn verifier(secrets: &[&str]) -> Verifier {
        Verifier::new(secrets).expect("usable test secrets")
    }

    #[test]
    fn both_published_vectors_sign_and_verify() {
        assert_eq!(sign(SECRET, ID, TIMESTAMP, BODY), Ok(SIGNATURE.to_owned()));
        assert_eq!(sign(SECRET_2, ID_2, TIMESTAMP_2, BODY_2), Ok(SIGNATURE_2.to_owned()));
        assert_eq!(verifier(&[SECRET]).verify(ID, TIMESTAMP, SIGNATURE, BODY, now()), Ok(()));
        assert_eq!(verifier(&[SECRET_2]).verify(ID_2, TIMESTAMP_2, SIGNATURE_2, BODY_2, at(1_649_367_553)), Ok(()));
        // The prefix is optional.
        assert_eq!(sign(&SECRET["whsec_".len()..], ID, TIMESTAMP, BODY), Ok(SIGNATURE.to_owned()));
    }

    #[test]
    fn any_of_several_secrets_verifies_and_a_removed_one_does_not() {
        let old = sign(SECRET, ID, TIMESTAMP, BODY).expect("sign");
        let new = sign(SECRET_2, ID, TIMESTAMP, BODY).expect("sign");
        let rotating = verifier(&[SECRET_2, SECRET]);
        assert_eq!(rotating.verify(ID, TIMESTAMP, &old, BODY, now()), Ok(()));
        assert_eq!(rotating.verify(ID, TIMESTAMP, &new, BODY, now()), Ok(()));
        // The first secret signs.
        assert_eq!(rotating.sign(ID, TIMESTAMP, BODY), new);
        let rotated = verifier(&[SECRET_2]);
        assert_eq!(rotated.verify(ID, TIMESTAMP, &old, BODY, now()), Err(SignatureError::Mismatch));
        assert_eq!(rotated.verify(ID, TIMESTAMP, &new, BODY, now()), Ok(()));
    }

    #[test]
    fn one_matching_v1_entry_among_others_is_enough() {
        let v = verifier(&[SECRET]);
        let other = sign(SECRET_2, ID, TIMESTAMP, BODY).expect("sign");
        for header in [
            format!("{other} {SIGNATURE}"),
            format!("v1a,{} {SIGNATURE}", &SIGNATURE[3..]),
            format!("v2,abc {SIGNATURE} v1,"),
        ] {
            assert_eq!(v.verify(ID, TIMESTAMP, &header, BODY, now()), Ok(()), "{header}");
        }
        assert_eq!(v.verify(ID, TIMESTAMP, &other, BODY, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn empty_truncated_and_unsupported_signatures_are_refused() {
        let v = verifier(&[SECRET]);
        let tag = &SIGNATURE[3..];
        for header in [
            "v1,".to_owned(),
            "v1, ".to_owned(),
            format!("v1,{}", &tag[..43]),
            format!("v1,{}", &tag[..20]),
            format!("v1,{}", &tag[..1]),
            format!("v1,{tag}A"),
            format!("v1a,{tag}"),
            format!("V1,{tag}"),
            format!("v1;{tag}"),
            tag.to_owned(),
            format!("v1,{}", &tag[..43].replace('+', "-")),
            // Base64 of 31 and 33 bytes.
            format!("v1,{}", BASE64.encode([7; 31])),
            format!("v1,{}", BASE64.encode([7; 33])),
        ] {
            assert_eq!(
                v.verify(ID, TIMESTAMP, &header, BODY, now()),
                Err(SignatureError::MalformedSignature),
                "{header}"
            );
        }
    }

    #[test]
    fn svix_header_names_are_read_and_either_set_of_both_verifies() {
        let v = verifier(&[SECRET]);
        let svix = [("Svix-Id", ID), ("svix-timestamp", TIMESTAMP), ("SVIX-SIGNATURE", SIGNATURE)];
        assert_eq!(v.verify_headers(svix, BODY, now()), Ok(()));
        let standard = [("webhook-id", ID), ("Webhook-Timestamp", TIMESTAMP), ("webhook-signature", SIGNATURE)];
        assert_eq!(v.verify_headers(standard, BODY, now()), Ok(()));
        // Both present, each header read from its `webhook-*` name first, then from its `svix-*` one.
        let both = [
            ("svix-id", ID),
            ("webhook-id", "msg_other"),
            ("webhook-timestamp", TIMESTAMP),
            ("svix-signature", SIGNATURE),
        ];
        assert_eq!(v.verify_headers(both, BODY, now()), Ok(()));
        assert_eq!(v.verified_message_id(both, BODY, now()), Ok(ID.to_owned()));
        assert_eq!(message_id(both), Some("msg_other".to_owned()));
        assert_eq!(message_id(svix), Some(ID.to_owned()));
        assert_eq!(message_id([("webhook-id", " ")]), None);
    }

    #[test]
    fn the_id_of_the_set_that_verified_keys_the_delivery() {
        let v = verifier(&[SECRET]);
        let other = sign(SECRET, "msg_other", TIMESTAMP, BODY).expect("sign");
        // A valid `svix-*` set and a `webhook-*` set whose signature is of another message: only the
        // `svix-*` id is signed, so it keys the delivery (an added `webhook-id` cannot steer the key).
        let svix_signed = [
            ("webhook-id", "msg_other"),
            ("webhook-timestamp", TIMESTAMP),
            ("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ("svix-id", ID),
            ("svix-timestamp", TIMESTAMP),
            ("svix-signature", SIGNATURE),
        ];
        assert_eq!(v.verified_message_id(svix_signed, BODY, now()), Ok(ID.to_owned()));
        // The receiver's own lookup (built with it) agrees.
        #[cfg(feature = "axum")]
        assert_eq!(v.id_of_verified(svix_signed, BODY, now()), Some(ID.to_owned()));
        // Both sets valid: the `webhook-*` one is checked first and keys the delivery.
        let both_signed = [
            ("webhook-id", "msg_other"),
            ("webhook-timestamp", TIMESTAMP),
            ("webhook-signature", other.as_str()),
            ("svix-id", ID),
            ("svix-timestamp", TIMESTAMP),
            ("svix-signature", SIGNATURE),
        ];
        assert_eq!(v.verified_message_id(both_signed, BODY, now()), Ok("msg_other".to_owned()));
        // The receiver's own lookup (built with it) agrees.
        #[cfg(feature = "axum")]
        assert_eq!(v.id_of_verified(both_signed, BODY, now()), Some("msg_other".to_owned()));
        // Neither verifies: the `webhook-*` set's error.
        let neither = [
            ("webhook-id", "msg_other"),
            ("webhook-timestamp", TIMESTAMP),
            ("webhook-signature", SIGNATURE),
            ("svix-id", ID),
            ("svix-timestamp", TIMESTAMP),
            ("svix-signature", other.as_str()),
        ];
        assert_eq!(v.verified_message_id(neither, BODY, now()), Err(SignatureError::Mismatch));
        // A `svix-*` value that is not text leaves the `webhook-*` set to be checked alone.
        let not_text: [(&str, &[u8]); 4] = [
            ("webhook-id", ID.as_bytes()),
            ("webhook-timestamp", TIMESTAMP.as_bytes()),
            ("webhook-signature", SIGNATURE.as_bytes()),
            ("svix-id", b"msg_\xff"),
        ];
        assert_eq!(v.verified_message_id(not_text, BODY, now()), Ok(ID.to_owned()));
    }

    /// What the reference libraries accept where it is safe (their sources: standard-webhooks'
    /// `libraries/*` and svix-webhooks' `*/webhooks*`): a secret without its base64 padding (Python,
    /// PHP, Ruby), surrounding whitespace around the secret (Python, PHP and Ruby skip it), signatures
    /// separated by tabs (Ruby's `split(" ")` splits on any whitespace), a timestamp with leading
    /// zeros (all but Ruby parse it as a decimal integer and sign the number; Ruby signs the text), and both header sets
    /// (the Svix libraries read `svix-*` first, the Standard Webhooks ones only `webhook-*`).
    #[test]
    fn what_the_reference_libraries_accept_is_accepted() {
        let key = [0x5a_u8; 31];
        let padded = format!("whsec_{}", BASE64.encode(key));
        assert!(padded.ends_with('='));
        let signature = sign(&padded, ID, TIMESTAMP, BODY).expect("sign");
        for secret in [
            padded.trim_end_matches('=').to_owned(),
            format!("  {padded}\n"),
            format!("\t{}\r\n", &padded["whsec_".len()..].trim_end_matches('=')),
        ] {
            let v = Verifier::new(&[&secret]).unwrap_or_else(|err| panic!("{secret:?}: {err}"));
            assert_eq!(v.verify(ID, TIMESTAMP, &signature, BODY, now()), Ok(()), "{secret:?}");
        }

        let v = verifier(&[SECRET]);
        let other = sign(SECRET_2, ID, TIMESTAMP, BODY).expect("sign");
        for header in [format!("{other}\t{SIGNATURE}"), format!("{other} \t  {SIGNATURE}"), format!("\t{SIGNATURE}")] {
            assert_eq!(v.verify(ID, TIMESTAMP, &header, BODY, now()), Ok(()), "{header:?}");
        }

        // The reference libraries sign `1614265330` for a header of `0001614265330`.
        for timestamp in ["01614265330", "0001614265330", &format!("{}{TIMESTAMP}", "0".repeat(40))] {
            assert_eq!(v.verify(ID, timestamp, SIGNATURE, BODY, now()), Ok(()), "{timestamp}");
        }
        // Signed as sent, zeros included, as this module and the Ruby library sign it.
        let as_sent = sign(SECRET, ID, "01614265330", BODY).expect("sign");
        assert_eq!(v.verify(ID, "01614265330", &as_sent, BODY, now()), Ok(()));
        assert_eq!(
            v.verify_headers(
                [("webhook-id", ID), ("webhook-timestamp", "001614265330"), ("webhook-signature", SIGNATURE)],
                BODY,
                now()
            ),
            Ok(())
        );

        let both = [
            ("webhook-id", ID),
            ("webhook-timestamp", TIMESTAMP),
            ("webhook-signature", other.as_str()),
            ("svix-id", ID),
            ("svix-timestamp", TIMESTAMP),
            ("svix-signature", SIGNATURE),
        ];
        assert_eq!(v.verify_headers(both, BODY, now()), Ok(()));
    }

    /// The leniency above never lets through what is unsafe: an empty key, a signature of another
    /// version, a timestamp outside the window, a signature that matches neither set.
    #[test]
    fn leniency_accepts_nothing_unsafe() {
        for secret in ["whsec_ \n", " \t\n", "\nwhsec_", "=", "whsec_=="] {
            assert!(Verifier::new(&[secret]).is_err(), "{secret:?}");
        }
        let v = verifier(&[SECRET]);
        let tag = &SIGNATURE["v1,".len()..];
        for header in [format!("v1a,{tag}"), format!("v2,{tag}\tv1a,{tag}"), format!("v1,\t{tag}")] {
            assert_eq!(
                v.verify(ID, TIMESTAMP, &header, BODY, now()),
                Err(SignatureError::MalformedSignature),
                "{header}"
            );
        }
        assert_eq!(
            v.verify(ID, "01614265330", SIGNATURE, BODY, at(1_614_265_330 + 301)),
            Err(SignatureError::Stale { age_secs: 301 })
        );
        assert_eq!(
            v.verify(ID, "01614265331", SIGNATURE, BODY, now()),
            Err(SignatureError::Mismatch),
            "the zeros are dropped, not the number changed"
        );
        for timestamp in ["+1614265330", "-1614265330", " 1614265330", "0x5f", "1614265330\t0"] {
            assert!(v.verify(ID, timestamp, SIGNATURE, BODY, now()).is_err(), "{timestamp:?}");
        }
        let neither = [
            ("webhook-id", ID),
            ("webhook-timestamp", TIMESTAMP),
            ("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ("svix-id", ID),
            ("svix-timestamp", TIMESTAMP),
            ("svix-signature", &sign(SECRET_2, ID, TIMESTAMP, BODY).expect("sign")),
        ];
        assert_eq!(v.verify_headers(neither, BODY, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn missing_and_malformed_headers_have_their_own_errors() {
        let v = verifier(&[SECRET]);
        assert_eq!(v.verify("", TIMESTAMP, SIGNATURE, BODY, now()), Err(SignatureError::MissingId));
        assert_eq!(v.verify(ID, "", SIGNATURE, BODY, now()), Err(SignatureError::MissingTimestamp));
        assert_eq!(v.verify(ID, TIMESTAMP, "", BODY, now()), Err(SignatureError::MissingSignature));
        for value in ["-1614265330", "1614265330.0", "+1", "1e9", "99999999999999999999"] {
            assert_eq!(
                v.verify(ID, value, SIGNATURE, BODY, now()),
                Err(SignatureError::MalformedTimestamp { value: value.to_owned() })
            );
        }
        assert_eq!(
            check_headers([("webhook-id", ID), ("webhook-timestamp", TIMESTAMP)]),
            Err(SignatureError::MissingSignature)
        );
        assert_eq!(
            check_headers([("webhook-id", ID), ("webhook-timestamp", TIMESTAMP), ("webhook-signature", "v1,")]),
            Err(SignatureError::MalformedSignature)
        );
        assert_eq!(
            check_headers([("svix-id", ID), ("svix-timestamp", TIMESTAMP), ("svix-signature", SIGNATURE)]),
            Ok(())
        );
        let not_text: [(&str, &[u8]); 3] =
            [("webhook-id", b"msg_\xff"), ("webhook-timestamp", b"1"), ("webhook-signature", SIGNATURE.as_bytes())];
        assert_eq!(check_headers(not_text), Err(SignatureError::NotText { header: ID_HEADER }));
    }

    #[test]
    fn altered_id_timestamp_or_body_is_a_mismatch() {
        let v = verifier(&[SECRET]);
        assert_eq!(
            v.verify("msg_p5jXN8AQM9LWM0D4loKWxJeK", TIMESTAMP, SIGNATURE, BODY, now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(v.verify(ID, "1614265331", SIGNATURE, BODY, now()), Err(SignatureError::Mismatch));
        assert_eq!(
            v.verify(ID, TIMESTAMP, SIGNATURE, br#"{"test": 2432232315}"#, now()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn window_is_five_minutes_either_way() {
        let v = verifier(&[SECRET]);
        assert_eq!(v.verify(ID, TIMESTAMP, SIGNATURE, BODY, at(1_614_265_330 + 300)), Ok(()));
        assert_eq!(v.verify(ID, TIMESTAMP, SIGNATURE, BODY, at(1_614_265_330 - 300)), Ok(()));
        assert_eq!(
            v.verify(ID, TIMESTAMP, SIGNATURE, BODY, at(1_614_265_330 + 301)),
            Err(SignatureError::Stale { age_secs: 301 })
        );
        assert_eq!(
            v.verify(ID, TIMESTAMP, SIGNATURE, BODY, at(1_614_265_330 - 301)),
            Err(SignatureError::Future { ahead_secs: 301 })
        );
        let strict = verifier(&[SECRET]).tolerance(Duration::ZERO);
        assert_eq!(
            strict.verify(ID, TIMESTAMP, SIGNATURE, BODY, at(1_614_265_331)),
            Err(SignatureError::Stale { age_secs: 1 })
        );
    }

    #[test]
    fn unusable_secrets_are_refused_without_showing_them() {
        assert_eq!(Verifier::new(&[]).err(), Some(SecretError::NoSecret));
        assert_eq!(Verifier::new(&[""]).err(), Some(SecretError::Empty));
        assert_eq!(Verifier::new(&["whsec_"]).err(), Some(SecretError::Empty));
        assert_eq!(Verifier::new(&["  \t"]).err(), Some(SecretError::Blank));
        for malformed in [
            "whsec_abcde",
            "whsec_abd",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",
            "whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_MfKQ9r8GKYqr TwjUPD8ILPZIo2LaLaSw",
        ] {
            assert_eq!(Verifier::new(&[malformed]).err(), Some(SecretError::Malformed), "{malformed}");
        }
        // One bad secret in the list refuses the whole list.
        assert_eq!(Verifier::new(&[SECRET, ""]).err(), Some(SecretError::Empty));
        assert_eq!(sign("", ID, TIMESTAMP, BODY), Err(SecretError::Empty));
        let debug = format!("{:?}", verifier(&[SECRET, SECRET_2]));
        assert!(!debug.contains("MfKQ") && debug.contains("secrets: 2"), "{debug}");
    }

    proptest! {
        #[test]
        fn verify_never_panics_on_arbitrary_headers(
            id in any::<String>(),
            timestamp in prop_oneof![any::<String>(), "[0-9]{0,22}"],
            signature in prop_oneof![any::<String>(), "(v1,[A-Za-z0-9+/=]{0,50} ?){0,4}"],
            body in proptest::collection::vec(any::<u8>(), 0..128),
            now_secs in any::<u64>(),
        ) {
            let now = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(now_secs)).unwrap_or(SystemTime::UNIX_EPOCH);
            let _ = verifier(&[SECRET]).verify(&id, &timestamp, &signature, &body, now);
            let _ = check_headers([(ID_HEADER, &id), (TIMESTAMP_HEADER, &timestamp), (SIGNATURE_HEADER, &signature)]);
        }
    }
}
