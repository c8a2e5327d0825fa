//! `cargo xtask send <event> --url <URL> --secret <S> [--scheme standard] [--spec FILE]`: posts a webhook's
//! example from the specs to a receiver, signed as Zoom signs it (or as Standard Webhooks vendors such as
//! Svix sign it), and reports the answer.
//!
//! For trying a receiver during development (a local one, or the local end of a tunnel): the request is
//! plain HTTP. `endpoint.url_validation` sends Zoom's URL validation challenge and checks the answer.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::codegen::{self, CodegenError};

/// The event Zoom sends to validate an endpoint; not in any spec, built here.
pub const URL_VALIDATION_EVENT: &str = "endpoint.url_validation";

/// How long to wait for the receiver; Zoom itself waits 3 seconds.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a delivery could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The specs could not be read or generated.
    #[error(transparent)]
    Codegen(#[from] CodegenError),
    /// No spec declares the event.
    #[error("no spec searched declares `{event}`; known events: {known}")]
    UnknownEvent {
        /// The requested name.
        event: String,
        /// The names the specs declare, comma-separated.
        known: String,
    },
    /// The spec declares the event without an example payload.
    #[error("`{event}` ({spec}) has no example payload to send")]
    NoExample {
        /// The event.
        event: String,
        /// The spec file.
        spec: String,
    },
    /// The named example does not exist.
    #[error("`{event}` has no example named `{name}`; its examples: {known}")]
    UnknownExample {
        /// The event.
        event: String,
        /// The requested example name.
        name: String,
        /// The example names, comma-separated.
        known: String,
    },
    /// A Standard Webhooks secret is not `whsec_` followed by base64.
    #[error("the secret is not `whsec_` followed by base64, as the vendor shows it")]
    MalformedSecret,
    /// The URL is not plain HTTP.
    #[error("`{0}` is not an http:// URL (xtask sends plain HTTP; use a tunnel's local end for HTTPS)")]
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
}

/// How a delivery is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Zoom's `x-zm-request-timestamp` and `x-zm-signature`.
    Zoom,
    /// Standard Webhooks' `webhook-id`, `webhook-timestamp` and `webhook-signature`, with a new id per send.
    Standard,
}

/// A delivery ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The webhook name.
    pub event: String,
    /// The raw JSON body.
    pub body: Vec<u8>,
    /// The signature headers, names lowercase.
    pub headers: Vec<(&'static str, String)>,
}

impl Delivery {
    /// The value of the signature header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(header, _)| *header == name).map(|(_, value)| value.as_str())
    }
}

/// The receiver's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

/// The first example (or the one called `name`) of the webhook `event`, from the specs under `root`.
///
/// # Errors
///
/// When the specs cannot be generated, no spec declares the event, or it has no such example.
pub fn find_example(root: &Path, event: &str, name: Option<&str>) -> Result<Value, SendError> {
    find_example_in(&codegen::spec_files(root)?, event, name)
}

/// As [`find_example`], in the spec files `specs` (another vendor's spec, for instance).
///
/// # Errors
///
/// As [`find_example`].
pub fn find_example_in(specs: &[std::path::PathBuf], event: &str, name: Option<&str>) -> Result<Value, SendError> {
    let mut known = Vec::new();
    for path in specs {
        let generated = codegen::generate_file(path)?;
        for webhook in &generated.module.events {
            if webhook.name != event {
                known.push(webhook.name.clone());
                continue;
            }
            let examples = &webhook.examples;
            let example = match name {
                None => examples.first(),
                Some(name) => {
                    let found = examples.iter().find(|example| example.name.as_deref() == Some(name));
                    if found.is_none() && !examples.is_empty() {
                        let names: Vec<&str> = examples.iter().filter_map(|example| example.name.as_deref()).collect();
                        return Err(SendError::UnknownExample {
                            event: event.to_owned(),
                            name: name.to_owned(),
                            known: names.join(", "),
                        });
                    }
                    found
                }
            };
            return example.map(|example| example.value.clone()).ok_or_else(|| SendError::NoExample {
                event: event.to_owned(),
                spec: generated.module.source_file.clone(),
            });
        }
    }
    known.push(URL_VALIDATION_EVENT.to_owned());
    Err(SendError::UnknownEvent { event: event.to_owned(), known: known.join(", ") })
}

/// The body of a URL validation challenge carrying `plain_token`.
pub fn url_validation_body(plain_token: &str, now: SystemTime) -> Value {
    serde_json::json!({
        "payload": { "plainToken": plain_token },
        "event_ts": millis(now),
        "event": URL_VALIDATION_EVENT,
    })
}

/// Signs `payload` (with its `event_ts`, when it has a numeric one, set to `now` so that each send is a
/// new delivery) as Zoom would at `now`.
pub fn delivery(event: &str, mut payload: Value, secret: &[u8], now: SystemTime) -> Delivery {
    if let Some(event_ts) = payload.get_mut("event_ts").filter(|value| value.is_number()) {
        *event_ts = Value::from(millis(now));
    }
    let body = payload.to_string().into_bytes();
    let timestamp = now.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs()).to_string();
    let signature = format!("v0={}", hmac_hex(secret, &[b"v0:", timestamp.as_bytes(), b":", &body]));
    let headers = vec![("x-zm-request-timestamp", timestamp), ("x-zm-signature", signature)];
    Delivery { event: event.to_owned(), body, headers }
}

/// Signs `payload` as a Standard Webhooks vendor (Svix, ...) would at `now`, as the message `msg_id`
/// (`webhook-id`; a new one for each send, so a receiver's duplicate filter takes it as a new message),
/// with `secret` (`whsec_<base64>`, the prefix optional).
///
/// # Errors
///
/// [`SendError::MalformedSecret`] when the secret is not base64 or has no key bytes.
pub fn standard_delivery(
    event: &str,
    payload: &Value,
    secret: &str,
    msg_id: &str,
    now: SystemTime,
) -> Result<Delivery, SendError> {
    let key = BASE64.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).map_err(|_| SendError::MalformedSecret)?;
    if key.is_empty() {
        return Err(SendError::MalformedSecret);
    }
    let body = payload.to_string().into_bytes();
    let timestamp = now.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs()).to_string();
    let tag = hmac(&key, &[msg_id.as_bytes(), b".", timestamp.as_bytes(), b".", &body]);
    let headers = vec![
        ("webhook-id", msg_id.to_owned()),
        ("webhook-timestamp", timestamp),
        ("webhook-signature", format!("v1,{}", BASE64.encode(tag))),
    ];
    Ok(Delivery { event: event.to_owned(), body, headers })
}

/// A message id for one send at `now`: `msg_` and the time in nanoseconds, new for every send.
pub fn message_id(now: SystemTime) -> String {
    format!("msg_xtask{}", now.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos()))
}

/// The `encryptedToken` a receiver must answer a URL validation with.
pub fn encrypted_token(secret: &[u8], plain_token: &str) -> String {
    hmac_hex(secret, &[plain_token.as_bytes()])
}

/// Posts `delivery` to `url` and returns the answer, whatever its status.
///
/// # Errors
///
/// When the URL is not `http://`, or no answer arrives (connection refused, timeout).
pub fn post(url: &str, delivery: &Delivery) -> Result<Answer, SendError> {
    if !url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://")) {
        return Err(SendError::NotHttp(url.to_owned()));
    }
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(TIMEOUT)).build().into();
    let http = |source| SendError::Http { url: url.to_owned(), source: Box::new(source) };
    let mut request =
        agent.post(url).header("content-type", "application/json").header("user-agent", "cargo xtask send");
    for (name, value) in &delivery.headers {
        request = request.header(*name, value);
    }
    let mut response = request.send(&delivery.body[..]).map_err(http)?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().map_err(http)?;
    Ok(Answer { status, body })
}

fn millis(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

fn hmac_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    hmac(secret, parts).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hmac(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else { return Vec::new() };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
    }

    #[test]
    fn examples_come_from_the_specs() {
        let example = find_example(&root(), "number_management.peering_number_cnam_updated", None).unwrap();
        assert_eq!(example["event"], "number_management.peering_number_cnam_updated");
        let err = find_example(&root(), "meeting.nope", None).unwrap_err();
        assert!(err.to_string().contains("number_management.peering_number_cnam_updated"), "{err}");
    }

    #[test]
    fn deliveries_are_signed_like_zoom_signs() {
        // The reference request of the signature module's documentation.
        let body = br#"{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}"#;
        let reference = hmac_hex(b"4fv1RkqGQUq5sWbEz6hA5A", &[b"v0:1720705455:", body]);
        assert_eq!(reference, "93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6");

        let now = UNIX_EPOCH + Duration::from_millis(1_720_705_455_123);
        let sent = delivery(URL_VALIDATION_EVENT, url_validation_body("abc", UNIX_EPOCH), b"secret", now);
        assert_eq!(sent.header("x-zm-request-timestamp"), Some("1720705455"));
        assert_eq!(
            sent.body,
            br#"{"payload":{"plainToken":"abc"},"event_ts":1720705455123,"event":"endpoint.url_validation"}"#
        );
        let expected = hmac_hex(b"secret", &[b"v0:1720705455:", &sent.body]);
        assert_eq!(sent.header("x-zm-signature"), Some(format!("v0={expected}").as_str()));
        assert_eq!(encrypted_token(b"secret", "abc").len(), 64);
    }

    #[test]
    fn standard_deliveries_are_signed_like_the_published_vector() {
        let payload: Value = serde_json::from_str(r#"{"test": 2432232314}"#).unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_614_265_330);
        let sent = standard_delivery(
            "test",
            &payload,
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            now,
        )
        .unwrap();
        // The vector signs `{"test": 2432232314}`; the body written here has no space.
        assert_eq!(sent.body, br#"{"test":2432232314}"#);
        assert_eq!(sent.header("webhook-id"), Some("msg_p5jXN8AQM9LWM0D4loKWxJek"));
        assert_eq!(sent.header("webhook-timestamp"), Some("1614265330"));
        let vector_body = br#"{"test": 2432232314}"#;
        let key = BASE64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let tag = hmac(&key, &[b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.", vector_body]);
        assert_eq!(BASE64.encode(tag), "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let expected = hmac(&key, &[b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.", &sent.body]);
        assert_eq!(sent.header("webhook-signature"), Some(format!("v1,{}", BASE64.encode(expected)).as_str()));
        assert!(matches!(
            standard_delivery("test", &payload, "whsec_not base64", "msg_1", now),
            Err(SendError::MalformedSecret)
        ));
        assert_ne!(message_id(now), message_id(now + Duration::from_nanos(1)));
    }

    #[test]
    fn posts_signed_and_returns_any_status() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/webhooks/zoom", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = Vec::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
                head.push(line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            reader.get_mut().write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 6\r\n\r\nno way").unwrap();
            (head, body)
        });
        let sent =
            delivery("meeting.started", serde_json::json!({"event": "meeting.started"}), b"s", SystemTime::now());
        let answer = post(&url, &sent).unwrap();
        assert_eq!(answer, Answer { status: 401, body: "no way".to_owned() });
        let (head, body) = server.join().unwrap();
        assert_eq!(body, sent.body);
        assert!(head[0].starts_with("POST /webhooks/zoom HTTP/1.1"), "{head:?}");
        let header =
            |name: &str| head.iter().find_map(|line| line.strip_prefix(name)).map(str::trim).map(str::to_owned);
        assert_eq!(header("x-zm-signature:").as_deref(), sent.header("x-zm-signature"));
        assert_eq!(header("x-zm-request-timestamp:").as_deref(), sent.header("x-zm-request-timestamp"));

        assert!(matches!(post("https://example.com/", &sent), Err(SendError::NotHttp(_))));
    }
}
