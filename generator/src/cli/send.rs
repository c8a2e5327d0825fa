//! `webhook-codegen send`: posts one delivery, signed as the vendor signs it, to a receiver and reports
//! each answer.
//!
//! The body is a file (a captured delivery, an edited example) or a webhook's example from one spec. It
//! is signed with the runtime's signers (`webhook_runtime::testing`, the code a receiver's own tests
//! sign with) at the current time or a chosen one, with a fresh message id unless one is fixed, and sent
//! once or several times as the same delivery (what a vendor's retry looks like to a duplicate filter).
//! Zoom's URL validation challenge is built here and its answer checked. Plain HTTP and HTTPS.
//!
//! ```no_run
//! use webhook_codegen::cli::send::{Body, Send};
//!
//! let send = Send::new("http://127.0.0.1:8080/webhooks/zoom", "secret", Body::File("delivery.json".into()));
//! let delivered = send.run(&mut std::io::stdout())?;
//! # Ok::<(), webhook_codegen::cli::send::SendError>(())
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use webhook_runtime::signature::{SecretError, zoom};
use webhook_runtime::testing::{GitHubSigner, SignedDelivery, StandardSigner, ZoomSigner};

use crate::config::SignatureScheme;
use crate::files::{self, FileError};

/// The event Zoom sends to validate an endpoint; in no spec, built here.
pub const URL_VALIDATION_EVENT: &str = "endpoint.url_validation";

/// How long to wait for the receiver's answer; Zoom itself waits 3 seconds.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a delivery could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The spec could not be read or generated.
    #[error(transparent)]
    Spec(#[from] FileError),
    /// The body file could not be read.
    #[error("{}: {source}", path.display())]
    Body {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The spec does not declare the webhook.
    #[error("{spec} declares no webhook `{webhook}`; its webhooks: {known}")]
    UnknownWebhook {
        /// The requested name.
        webhook: String,
        /// The spec file.
        spec: String,
        /// The names the spec declares, comma-separated.
        known: String,
    },
    /// The spec has several webhooks and none was chosen.
    #[error("{spec} declares several webhooks; choose one with --webhook: {known}")]
    WhichWebhook {
        /// The spec file.
        spec: String,
        /// The names the spec declares, comma-separated.
        known: String,
    },
    /// The webhook has no example payload.
    #[error("`{webhook}` ({spec}) has no example payload to send; send a file with --body")]
    NoExample {
        /// The webhook.
        webhook: String,
        /// The spec file.
        spec: String,
    },
    /// The named example does not exist.
    #[error("`{webhook}` has no example named `{name}`; its examples: {known}")]
    UnknownExample {
        /// The webhook.
        webhook: String,
        /// The requested example name.
        name: String,
        /// The example names, comma-separated.
        known: String,
    },
    /// The secret cannot sign for the scheme (empty, blank, or not `whsec_` and base64 for Standard
    /// Webhooks).
    #[error("the secret cannot sign {scheme} deliveries: {source}")]
    Secret {
        /// The scheme's name.
        scheme: &'static str,
        /// Why.
        source: SecretError,
    },
    /// URL validation is Zoom's.
    #[error("--validate sends Zoom's URL validation challenge; it needs --scheme zoom")]
    ValidateNeedsZoom,
    /// The URL is neither `http://` nor `https://`.
    #[error("`{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    /// The request failed before an answer arrived.
    #[error("request to {url} failed: {source}")]
    Http {
        /// The target.
        url: String,
        /// What went wrong.
        #[source]
        source: Box<ureq::Error>,
    },
    /// Printing the report failed.
    #[error("writing the report failed: {0}")]
    Output(#[from] std::io::Error),
}

/// How a delivery is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Zoom's `x-zm-request-timestamp` and `x-zm-signature`.
    Zoom,
    /// Standard Webhooks' `webhook-id`, `webhook-timestamp` and `webhook-signature` (Svix and the vendors
    /// built on it).
    Standard,
    /// GitHub's `X-Hub-Signature-256`, with `X-GitHub-Event` and `X-GitHub-Delivery`.
    GitHub,
}

impl Scheme {
    /// The scheme's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Zoom => "zoom",
            Self::Standard => "standard",
            Self::GitHub => "github",
        }
    }

    /// The scheme a spec's settings name (`signature:` in its `.codegen.yaml`), if they name one the
    /// command signs with.
    pub fn of_spec(scheme: SignatureScheme) -> Option<Self> {
        match scheme {
            SignatureScheme::Zoom => Some(Self::Zoom),
            SignatureScheme::Standard => Some(Self::Standard),
            SignatureScheme::GitHub => Some(Self::GitHub),
            SignatureScheme::Unspecified | SignatureScheme::None => None,
        }
    }
}

/// What is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A file's bytes, exactly as they are.
    File(PathBuf),
    /// An example of a webhook of the spec `spec`: the webhook's first (or the one named `example`), its
    /// `event_ts` (when it has a numeric one) set to the send time so that it is a new Zoom delivery.
    Example {
        /// The spec file; only this one is read.
        spec: PathBuf,
        /// The webhook; may be left out when the spec declares one only.
        webhook: Option<String>,
        /// The example's name, when the webhook has several.
        example: Option<String>,
    },
    /// Zoom's URL validation challenge, with a fresh `plainToken`; the answer is checked.
    UrlValidation,
}

/// One `send`: where, how signed, what, how often.
#[derive(Debug, Clone)]
pub struct Send {
    /// Where the receiver listens (`http://` or `https://`).
    pub url: String,
    /// The secret that signs the delivery.
    pub secret: String,
    /// How to sign; `None`: the scheme the spec's settings name, else Zoom's.
    pub scheme: Option<Scheme>,
    /// What to send.
    pub body: Body,
    /// The signing time; `None`: now.
    pub timestamp: Option<SystemTime>,
    /// The message id (Standard Webhooks' `webhook-id`, GitHub's `X-GitHub-Delivery`); `None`: a fresh one.
    pub id: Option<String>,
    /// GitHub's `X-GitHub-Event`.
    pub github_event: Option<String>,
    /// How many times the same signed delivery is sent (at least once).
    pub repeat: u32,
}

impl Send {
    /// A send of `body` to `url` signed with `secret`, once, now, with a fresh id and the spec's scheme
    /// (Zoom's when it names none).
    pub fn new(url: impl Into<String>, secret: impl Into<String>, body: Body) -> Self {
        Self {
            url: url.into(),
            secret: secret.into(),
            scheme: None,
            body,
            timestamp: None,
            id: None,
            github_event: None,
            repeat: 1,
        }
    }

    /// Signs the delivery, sends it [`Send::repeat`] times and writes one line per request to `out`
    /// (`POST <url> (<what>, <n> bytes, <headers>)`, then `-> <status> <answer body>`). Returns whether
    /// every answer was 200 or 204 (what Zoom counts as delivered) and, for a URL validation, carried the
    /// expected tokens.
    ///
    /// # Errors
    ///
    /// When the body or spec cannot be read, the secret cannot sign, or a request gets no answer.
    pub fn run(&self, out: &mut dyn Write) -> Result<bool, SendError> {
        let now = SystemTime::now();
        let at = self.timestamp.unwrap_or(now);
        let (label, payload, spec_scheme) = self.payload(at)?;
        let scheme = self.scheme.or(spec_scheme).unwrap_or(Scheme::Zoom);
        let plain_token = (self.body == Body::UrlValidation).then(|| fresh_token(now));
        let bytes = match (&plain_token, payload) {
            (Some(token), _) if scheme == Scheme::Zoom => url_validation_body(token, at).to_string().into_bytes(),
            (Some(_), _) => return Err(SendError::ValidateNeedsZoom),
            (None, payload) => payload,
        };
        let delivery = self.signer(scheme, at)?.sign(bytes);
        let mut delivered = true;
        for _ in 0..self.repeat.max(1) {
            writeln!(out, "POST {} ({label}, {} bytes, {})", self.url, delivery.body.len(), shown_headers(&delivery))?;
            let (status, body) = post(&self.url, &delivery)?;
            let answer = body.trim_end();
            writeln!(out, "-> {status}{}{answer}", if answer.is_empty() { "" } else { " " })?;
            let ok = matches!(status, 200 | 204);
            delivered &= ok;
            if let (Some(token), true) = (&plain_token, ok) {
                let valid = is_url_validation_answer(&self.secret, token, &body);
                writeln!(
                    out,
                    "{}",
                    if valid {
                        "URL validation answer is correct"
                    } else {
                        "URL validation answer is wrong: expected plainToken and encryptedToken (hex HMAC-SHA256 of plainToken with the secret)"
                    }
                )?;
                delivered &= valid;
            }
        }
        Ok(delivered)
    }

    /// What is sent before signing: a label for the report, the bytes, and the scheme the spec names.
    fn payload(&self, at: SystemTime) -> Result<(String, Vec<u8>, Option<Scheme>), SendError> {
        match &self.body {
            Body::File(path) => {
                let bytes = std::fs::read(path).map_err(|source| SendError::Body { path: path.clone(), source })?;
                Ok((path.display().to_string(), bytes, None))
            }
            Body::Example { spec, webhook, example } => {
                let found = example_from_spec(spec, webhook.as_deref(), example.as_deref())?;
                let mut payload = found.payload;
                fresh_event_ts(&mut payload, at);
                Ok((found.webhook, payload.to_string().into_bytes(), found.scheme))
            }
            Body::UrlValidation => Ok((URL_VALIDATION_EVENT.to_owned(), Vec::new(), Some(Scheme::Zoom))),
        }
    }

    fn signer(&self, scheme: Scheme, at: SystemTime) -> Result<Signer, SendError> {
        let secret = |source| SendError::Secret { scheme: scheme.name(), source };
        Ok(match scheme {
            Scheme::Zoom => Signer::Zoom(ZoomSigner::new(&self.secret).map_err(secret)?.at(at)),
            Scheme::Standard => {
                let signer = StandardSigner::new(&self.secret).map_err(secret)?.at(at);
                Signer::Standard(match &self.id {
                    Some(id) => signer.id(id.clone()),
                    None => signer,
                })
            }
            Scheme::GitHub => {
                let mut signer = GitHubSigner::new(&self.secret).map_err(secret)?;
                if let Some(event) = &self.github_event {
                    signer = signer.event(event.clone());
                }
                if let Some(id) = &self.id {
                    signer = signer.delivery(id.clone());
                }
                Signer::GitHub(signer)
            }
        })
    }
}

/// One of the runtime's signers.
enum Signer {
    Zoom(ZoomSigner),
    Standard(StandardSigner),
    GitHub(GitHubSigner),
}

impl Signer {
    fn sign(&self, body: Vec<u8>) -> SignedDelivery {
        match self {
            Self::Zoom(signer) => signer.sign(body),
            Self::Standard(signer) => signer.sign(body),
            Self::GitHub(signer) => signer.sign(body),
        }
    }
}

/// A webhook's example found in a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundExample {
    /// The webhook's name.
    pub webhook: String,
    /// The example payload.
    pub payload: Value,
    /// The signature scheme the spec's settings name.
    pub scheme: Option<Scheme>,
}

/// The first example (or the one called `example`) of `webhook` (which may be left out when the spec
/// declares one webhook only) in the spec at `spec`, with its settings sidecar. No other spec is read.
///
/// # Errors
///
/// When the spec cannot be read or generated, does not declare the webhook, or it has no such example.
pub fn example_from_spec(spec: &Path, webhook: Option<&str>, example: Option<&str>) -> Result<FoundExample, SendError> {
    let (module, _) = files::lower_spec_file(spec)?;
    let known = || module.events.iter().map(|event| event.name.as_str()).collect::<Vec<_>>().join(", ");
    let spec_name = || spec.display().to_string();
    let event =
        match webhook {
            Some(name) => module.events.iter().find(|event| event.name == name).ok_or_else(|| {
                SendError::UnknownWebhook { webhook: name.to_owned(), spec: spec_name(), known: known() }
            })?,
            None => match module.events.as_slice() {
                [only] => only,
                _ => return Err(SendError::WhichWebhook { spec: spec_name(), known: known() }),
            },
        };
    let found = match example {
        None => event.examples.first(),
        Some(name) => {
            let found = event.examples.iter().find(|candidate| candidate.name.as_deref() == Some(name));
            if found.is_none() && !event.examples.is_empty() {
                let names: Vec<&str> = event.examples.iter().filter_map(|example| example.name.as_deref()).collect();
                return Err(SendError::UnknownExample {
                    webhook: event.name.clone(),
                    name: name.to_owned(),
                    known: names.join(", "),
                });
            }
            found
        }
    };
    let payload = found
        .map(|example| example.value.clone())
        .ok_or_else(|| SendError::NoExample { webhook: event.name.clone(), spec: spec_name() })?;
    Ok(FoundExample { webhook: event.name.clone(), payload, scheme: Scheme::of_spec(module.signature) })
}

/// Sets a Zoom payload's numeric `event_ts` to `at` in milliseconds, so that an example sent again is a
/// new delivery to a duplicate filter keyed by the body.
pub fn fresh_event_ts(payload: &mut Value, at: SystemTime) {
    if let Some(event_ts) = payload.get_mut("event_ts").filter(|value| value.is_number()) {
        *event_ts = Value::from(millis(at));
    }
}

/// The body of Zoom's URL validation challenge carrying `plain_token`, sent at `at`.
pub fn url_validation_body(plain_token: &str, at: SystemTime) -> Value {
    serde_json::json!({
        "payload": { "plainToken": plain_token },
        "event_ts": millis(at),
        "event": URL_VALIDATION_EVENT,
    })
}

/// Whether `answer` is the right answer to a URL validation with `plain_token` for `secret`.
pub fn is_url_validation_answer(secret: &str, plain_token: &str, answer: &str) -> bool {
    let Ok(answered) = serde_json::from_str::<zoom::UrlValidationResponse>(answer) else { return false };
    let Ok(verifier) = zoom::Verifier::try_new(secret.as_bytes()) else { return false };
    answered == verifier.url_validation_response(plain_token)
}

/// Posts `delivery` to `url` (`http://` or `https://`) and returns the answer's status and body, whatever
/// the status.
///
/// # Errors
///
/// When the URL is neither `http://` nor `https://`, or no answer arrives (connection refused, TLS,
/// timeout).
pub fn post(url: &str, delivery: &SignedDelivery) -> Result<(u16, String), SendError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err(SendError::NotHttp(url.to_owned()));
    }
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(TIMEOUT)).build().into();
    let http = |source| SendError::Http { url: url.to_owned(), source: Box::new(source) };
    let mut request = agent.post(url).header("user-agent", concat!("webhook-codegen/", env!("CARGO_PKG_VERSION")));
    for (name, value) in &delivery.headers {
        request = request.header(name.clone(), value.clone());
    }
    let mut response = request.send(&delivery.body[..]).map_err(http)?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().map_err(http)?;
    Ok((status, body))
}

/// The delivery's headers for the report, signatures left out.
fn shown_headers(delivery: &SignedDelivery) -> String {
    let shown: Vec<String> = delivery
        .headers
        .iter()
        .filter(|(name, _)| !name.as_str().contains("signature") && *name != "content-type")
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())))
        .collect();
    shown.join(", ")
}

/// A `plainToken` no other send gives.
fn fresh_token(now: SystemTime) -> String {
    format!("webhook-codegen-{}", now.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos()))
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// Reads `--timestamp`: Unix seconds (`1720705455`), or seconds relative to now with a sign and an
/// optional unit `s`, `m` or `h` (`-600`, `-10m`, `+1h`).
///
/// # Errors
///
/// A message saying what is accepted.
pub fn parse_timestamp(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    let bad = || format!("`{text}` is not Unix seconds or a signed offset such as -600, -10m or +1h");
    let Some(sign) = text.chars().next().filter(|c| matches!(c, '+' | '-')) else {
        let seconds: u64 = text.parse().map_err(|_| bad())?;
        return Ok(UNIX_EPOCH + Duration::from_secs(seconds));
    };
    let rest = &text[1..];
    let (digits, unit) = match rest.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => rest.split_at(at),
        None => (rest, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(bad()),
    };
    let amount: u64 = digits.parse().map_err(|_| bad())?;
    let offset = Duration::from_secs(amount.checked_mul(scale).ok_or_else(bad)?);
    let at = if sign == '-' { now.checked_sub(offset) } else { now.checked_add(offset) };
    at.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_unix_seconds_or_offsets_from_now() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(parse_timestamp("1720705455", now), Ok(UNIX_EPOCH + Duration::from_secs(1_720_705_455)));
        assert_eq!(parse_timestamp("-600", now), Ok(now - Duration::from_secs(600)));
        assert_eq!(parse_timestamp("-10m", now), Ok(now - Duration::from_secs(600)));
        assert_eq!(parse_timestamp("+1h", now), Ok(now + Duration::from_secs(3600)));
        for bad in ["", "-", "soon", "-10d", "+1.5h", "-99999999999999999999h"] {
            assert!(parse_timestamp(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_validation_answers_are_checked_against_the_secret() {
        let right = zoom::url_validation_response(b"secret", "abc");
        let right = serde_json::to_string(&right).unwrap();
        assert!(is_url_validation_answer("secret", "abc", &right));
        assert!(!is_url_validation_answer("other", "abc", &right));
        assert!(!is_url_validation_answer("secret", "abd", &right));
        assert!(!is_url_validation_answer("secret", "abc", ""));
    }

    #[test]
    fn only_http_and_https_urls_are_sent_to() {
        let delivery = ZoomSigner::new("s").unwrap().sign("{}");
        assert!(matches!(post("ftp://example.com/", &delivery), Err(SendError::NotHttp(_))));
        assert!(matches!(post("example.com/", &delivery), Err(SendError::NotHttp(_))));
    }

    #[test]
    fn event_ts_is_set_to_the_send_time_when_numeric() {
        let at = UNIX_EPOCH + Duration::from_millis(1_720_705_455_123);
        let mut payload = serde_json::json!({"event": "a", "event_ts": 1});
        fresh_event_ts(&mut payload, at);
        assert_eq!(payload["event_ts"], 1_720_705_455_123_u64);
        let mut text = serde_json::json!({"event_ts": "1"});
        fresh_event_ts(&mut text, at);
        assert_eq!(text["event_ts"], "1");
    }
}
