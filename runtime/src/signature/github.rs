//! Verifying [GitHub](https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries)
//! webhook signatures.
//!
//! GitHub signs a delivery with the webhook's secret and sends, besides the body:
//!
//! - [`SIGNATURE_HEADER`] (`X-Hub-Signature-256`): `sha256=` followed by the lowercase hex
//!   HMAC-SHA256 of the raw body. The older `X-Hub-Signature` (`sha1=`) is never read: SHA-1
//!   signatures are not accepted;
//! - [`EVENT_HEADER`] (`X-GitHub-Event`): the event (`push`, `pull_request`, ...), which with the
//!   body's `action` names the webhook ([`webhook_name`]);
//! - [`DELIVERY_HEADER`] (`X-GitHub-Delivery`): the delivery's GUID, the same for a redelivery.
//!
//! GitHub sends no timestamp, so there is no clock window: a captured delivery verifies forever.
//! Replays are caught by the receiver's duplicate filter, keyed by `X-GitHub-Delivery`.
//!
//! Several secrets can be given during a rotation: a delivery signed with any of them passes.
//!
//! ```
//! use webhook_runtime::signature::github::{self, Verifier};
//!
//! let secret = "It's a Secret to Everybody";
//! let signature = github::sign(secret, b"Hello, World!")?;
//! assert_eq!(signature, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
//!
//! let verifier = Verifier::new(&[secret])?;
//! verifier.verify_headers([("X-Hub-Signature-256", signature.as_str())], b"Hello, World!")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use hmac::Mac;

use super::{Keys, MAC_LEN, SecretError, decode_hex, push_hex, tag_matches, trim_ows};

/// Name of the header carrying the signature (lowercase; header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Name of the header carrying the event, such as `push` or `pull_request`.
pub const EVENT_HEADER: &str = "x-github-event";

/// Name of the header carrying the delivery's GUID.
pub const DELIVERY_HEADER: &str = "x-github-delivery";

/// The prefix of the signature.
const PREFIX: &str = "sha256=";

/// Why a GitHub delivery failed verification. Messages never include a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// `X-Hub-Signature-256` is absent or empty (a delivery signed only with SHA-1, or a webhook
    /// without a secret on GitHub's side).
    #[error("missing `X-Hub-Signature-256` header (SHA-1 `X-Hub-Signature` is not accepted)")]
    MissingSignature,
    /// `X-Hub-Signature-256` is not `sha256=` followed by 64 hex digits.
    #[error("malformed `X-Hub-Signature-256` header: expected `sha256=` followed by 64 hex digits")]
    MalformedSignature,
    /// The signature does not match the body under any of the secrets.
    #[error("`X-Hub-Signature-256` header does not match the body (altered delivery or wrong secret)")]
    Mismatch,
}

/// Verifies GitHub deliveries under one or more secrets. Its `Debug` output does not show them.
#[derive(Clone)]
pub struct Verifier {
    keys: Keys,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("secrets", &self.keys.len()).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier accepting deliveries signed with any of `secrets`, the webhook's secret as entered
    /// in GitHub's settings. The first signs ([`Verifier::sign`]); during a rotation list the new one
    /// first.
    ///
    /// # Errors
    ///
    /// [`SecretError::NoSecret`] for an empty list, [`SecretError::Empty`] or [`SecretError::Blank`]
    /// for the first unusable secret.
    pub fn new<S: AsRef<[u8]>>(secrets: &[S]) -> Result<Self, SecretError> {
        Ok(Self { keys: Keys::new(secrets.iter().map(|secret| Ok(secret.as_ref())))? })
    }

    /// The [`SIGNATURE_HEADER`] value for `body` under the first secret: `sha256=<hex>`.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.keys.primary().clone();
        mac.update(body);
        let mut out = String::with_capacity(PREFIX.len() + 2 * MAC_LEN);
        out.push_str(PREFIX);
        push_hex(&mut out, &mac.finalize().into_bytes());
        out
    }

    /// Checks `signature` (the [`SIGNATURE_HEADER`] value) against the raw `body`, in constant time.
    ///
    /// # Errors
    ///
    /// [`SignatureError::MissingSignature`] for an empty value, [`SignatureError::MalformedSignature`]
    /// or [`SignatureError::Mismatch`].
    pub fn verify(&self, signature: &str, body: &[u8]) -> Result<(), SignatureError> {
        let tag = parse_signature(signature)?;
        let matches = self.keys.all().any(|mac| {
            let mut mac = mac.clone();
            mac.update(body);
            tag_matches(mac, &tag)
        });
        if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
    }

    /// Like [`Verifier::verify`], reading `X-Hub-Signature-256` from the request's headers (names
    /// matched case-insensitively, the first occurrence wins, surrounding spaces and tabs removed).
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`]; a value that is not UTF-8 is malformed.
    pub fn verify_headers<I, K, V>(&self, headers: I, body: &[u8]) -> Result<(), SignatureError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        self.verify(&signature_text(headers)?, body)
    }
}

/// The [`SIGNATURE_HEADER`] value for `body` signed with `secret`.
///
/// # Errors
///
/// [`SecretError`] when the secret is empty or blank.
pub fn sign(secret: &str, body: &[u8]) -> Result<String, SecretError> {
    Ok(Verifier::new(&[secret])?.sign(body))
}

/// Checks that `X-Hub-Signature-256` is present and well-formed, without the body or a secret, so a
/// request can be refused before its body is read.
///
/// # Errors
///
/// [`SignatureError::MissingSignature`] or [`SignatureError::MalformedSignature`].
pub fn check_headers<I, K, V>(headers: I) -> Result<(), SignatureError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    parse_signature(&signature_text(headers)?).map(drop)
}

/// The value of header `name` (trimmed; `None` when missing, empty or not UTF-8).
pub fn header<I, K, V>(headers: I, name: &str) -> Option<String>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    let (_, value) = headers.into_iter().find(|(key, _)| key.as_ref().eq_ignore_ascii_case(name))?;
    let value = std::str::from_utf8(trim_ows(value.as_ref())).ok()?;
    (!value.is_empty()).then(|| value.to_owned())
}

/// The webhook name GitHub's OpenAPI document gives a delivery of `event` whose body has `action`:
/// `<event>-<action>` with underscores as dashes (`pull_request` + `opened` -> `pull-request-opened`),
/// or the event alone when the body has no `action` (`push` -> `push`).
///
/// ```
/// use webhook_runtime::signature::github::webhook_name;
///
/// assert_eq!(webhook_name("pull_request", Some("opened")), "pull-request-opened");
/// assert_eq!(webhook_name("push", None), "push");
/// ```
pub fn webhook_name(event: &str, action: Option<&str>) -> String {
    let mut name = event.replace('_', "-");
    if let Some(action) = action {
        name.push('-');
        name.push_str(&action.replace('_', "-"));
    }
    name
}

/// The signature header's value as text; empty when absent.
fn signature_text<I, K, V>(headers: I) -> Result<String, SignatureError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    let Some((_, value)) = headers.into_iter().find(|(name, _)| name.as_ref().eq_ignore_ascii_case(SIGNATURE_HEADER))
    else {
        return Ok(String::new());
    };
    std::str::from_utf8(trim_ows(value.as_ref())).map(str::to_owned).map_err(|_| SignatureError::MalformedSignature)
}

/// Decodes `sha256=` followed by 64 hex digits.
fn parse_signature(value: &str) -> Result<[u8; MAC_LEN], SignatureError> {
    if value.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    let hex = value.strip_prefix(PREFIX).ok_or(SignatureError::MalformedSignature)?;
    decode_hex(hex.as_bytes()).ok_or(SignatureError::MalformedSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's documented test values ("Validating webhook deliveries").
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn verifier(secrets: &[&str]) -> Verifier {
        Verifier::new(secrets).expect("usable secrets")
    }

    #[test]
    fn githubs_documented_vector_signs_and_verifies() {
        assert_eq!(sign(SECRET, BODY), Ok(SIGNATURE.to_owned()));
        assert_eq!(verifier(&[SECRET]).verify(SIGNATURE, BODY), Ok(()));
        assert_eq!(verifier(&[SECRET]).verify_headers([("X-Hub-Signature-256", SIGNATURE)], BODY), Ok(()));
    }

    #[test]
    fn wrong_signature_other_body_or_secret_is_a_mismatch() {
        let v = verifier(&[SECRET]);
        let wrong = format!("sha256={}", "0".repeat(64));
        assert_eq!(v.verify(&wrong, BODY), Err(SignatureError::Mismatch));
        assert_eq!(v.verify(SIGNATURE, b"Hello, World?"), Err(SignatureError::Mismatch));
        assert_eq!(verifier(&["another secret"]).verify(SIGNATURE, BODY), Err(SignatureError::Mismatch));
    }

    #[test]
    fn missing_header_and_sha1_only_are_refused() {
        let v = verifier(&[SECRET]);
        let none: [(&str, &str); 0] = [];
        assert_eq!(v.verify_headers(none, BODY), Err(SignatureError::MissingSignature));
        let sha1 = [("X-Hub-Signature", "sha1=0000000000000000000000000000000000000000")];
        assert_eq!(v.verify_headers(sha1, BODY), Err(SignatureError::MissingSignature));
        assert_eq!(check_headers(sha1), Err(SignatureError::MissingSignature));
        // A SHA-1 signature in the SHA-256 header is malformed.
        assert_eq!(
            check_headers([(SIGNATURE_HEADER, "sha1=0000000000000000000000000000000000000000")]),
            Err(SignatureError::MalformedSignature)
        );
        for malformed in ["sha256=", "sha256=abc", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"] {
            assert_eq!(check_headers([(SIGNATURE_HEADER, malformed)]), Err(SignatureError::MalformedSignature));
        }
        assert_eq!(check_headers([(SIGNATURE_HEADER, SIGNATURE)]), Ok(()));
    }

    #[test]
    fn any_secret_of_a_rotation_verifies_and_blank_secrets_are_refused() {
        assert_eq!(verifier(&["new secret", SECRET]).verify(SIGNATURE, BODY), Ok(()));
        assert_eq!(Verifier::new::<&str>(&[]).err(), Some(SecretError::NoSecret));
        assert_eq!(Verifier::new(&[""]).err(), Some(SecretError::Empty));
        assert_eq!(Verifier::new(&[" \t\n"]).err(), Some(SecretError::Blank));
        let debug = format!("{:?}", verifier(&[SECRET]));
        assert!(!debug.contains("Secret to"), "{debug}");
    }

    #[test]
    fn webhook_names_are_the_openapi_keys() {
        assert_eq!(webhook_name("pull_request", Some("opened")), "pull-request-opened");
        assert_eq!(webhook_name("pull_request_review", Some("dismissed")), "pull-request-review-dismissed");
        assert_eq!(webhook_name("push", None), "push");
        assert_eq!(header([("X-GitHub-Event", " push ")], EVENT_HEADER), Some("push".to_owned()));
        assert_eq!(header([("X-GitHub-Event", "")], EVENT_HEADER), None);
    }
}
