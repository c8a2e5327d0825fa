//! Verifying webhook signatures, one module per scheme: [`zoom`] (Zoom's `x-zm-signature` and URL
//! validation), [`standard`] ([Standard Webhooks](https://www.standardwebhooks.com/): Svix and the vendors
//! built on it) and [`github`] (GitHub's `X-Hub-Signature-256`). What the schemes share lives here: keys
//! for several secrets and why a secret is refused ([`SecretError`]), the constant-time check, the clock
//! window, and hex and header-value helpers.
//!
//! # Secret rotation
//!
//! Every scheme takes several secrets ([`zoom::Verifier::try_from_secrets`],
//! [`standard::Verifier::new`], [`github::Verifier::new`]): a delivery signed with any of
//! them passes. During a change-over, list the new secret first (it signs and answers URL validation) and
//! the old one after it; remove the old one once the vendor only signs with the new one.

use std::time::{Duration, SystemTime};

use hmac::digest::{Digest, Key, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub mod github;
pub mod standard;
pub mod zoom;

/// Length of an HMAC-SHA256 tag in bytes.
const MAC_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Why a secret was refused: with an empty key, anyone can compute every signature.
///
/// The message names the problem, never the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret has no bytes (an unset or empty environment variable, for example).
    #[error(
        "the webhook secret token is empty: set it to the signing secret from the vendor's webhook settings (Zoom: the app's secret token)"
    )]
    Empty,
    /// The secret is only ASCII whitespace (spaces, tabs, line breaks).
    #[error(
        "the webhook secret token is only whitespace: set it to the signing secret from the vendor's webhook settings (Zoom: the app's secret token)"
    )]
    Blank,
    /// No secret was given: a verifier needs at least one.
    #[error("no webhook secret given: a verifier needs at least one")]
    NoSecret,
    /// A Standard Webhooks secret is not `whsec_` followed by base64 (the prefix is optional).
    #[error("the webhook secret is malformed: expected `whsec_` followed by base64, as the vendor shows it")]
    Malformed,
}

/// One keyed MAC per secret, for every scheme: the first signs, any of them verifies.
#[derive(Clone)]
struct Keys {
    primary: HmacSha256,
    others: Vec<HmacSha256>,
}

impl Keys {
    /// Keys for `secrets` (their key bytes, or why one could not be decoded), each checked with
    /// [`check_secret`]; [`SecretError::NoSecret`] for none.
    fn new<'a>(secrets: impl IntoIterator<Item = Result<&'a [u8], SecretError>>) -> Result<Self, SecretError> {
        let mut macs = secrets.into_iter().map(|secret| {
            let secret = secret?;
            check_secret(secret)?;
            Ok(keyed_mac(secret))
        });
        let primary = macs.next().ok_or(SecretError::NoSecret)??;
        let others = macs.collect::<Result<_, _>>()?;
        Ok(Self { primary, others })
    }

    /// The MAC of the first secret, which signs.
    fn primary(&self) -> &HmacSha256 {
        &self.primary
    }

    /// The MACs of every secret, the first first.
    fn all(&self) -> impl Iterator<Item = &HmacSha256> {
        std::iter::once(&self.primary).chain(&self.others)
    }

    /// How many secrets there are.
    fn len(&self) -> usize {
        1 + self.others.len()
    }
}

/// Whether the finished `mac` equals `tag`, compared in constant time (`hmac`'s `verify_slice`);
/// a tag of another length never matches.
fn tag_matches(mac: HmacSha256, tag: &[u8]) -> bool {
    mac.verify_slice(tag).is_ok()
}

/// Why a correctly signed timestamp is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutsideWindow {
    Stale { age_secs: u64 },
    Future { ahead_secs: u64 },
}

/// Checks that `sent` (Unix seconds) is within `tolerance` of `now`, either way, in whole seconds.
fn check_window(sent: u64, now: SystemTime, tolerance: Duration) -> Result<(), OutsideWindow> {
    // Whole seconds since the epoch, negative for clocks before 1970. i128 holds every
    // `u64` timestamp and every `SystemTime`, so the difference cannot overflow.
    let now = match now.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => i128::from(since.as_secs()),
        Err(before) => -i128::from(before.duration().as_secs()),
    };
    let age = now - i128::from(sent);
    let limit = i128::from(tolerance.as_secs());
    let saturate = |secs: i128| u64::try_from(secs).unwrap_or(u64::MAX);
    if age > limit {
        Err(OutsideWindow::Stale { age_secs: saturate(age) })
    } else if -age > limit {
        Err(OutsideWindow::Future { ahead_secs: saturate(-age) })
    } else {
        Ok(())
    }
}

/// Refuses a secret anyone could guess: empty, or only ASCII whitespace.
fn check_secret(secret: &[u8]) -> Result<(), SecretError> {
    if secret.is_empty() {
        Err(SecretError::Empty)
    } else if secret.iter().all(u8::is_ascii_whitespace) {
        Err(SecretError::Blank)
    } else {
        Ok(())
    }
}

/// HMAC-SHA256 keyed with `secret`, for keys of any length.
///
/// Prepares the block-sized key as RFC 2104 defines it (keys longer than a block are hashed
/// first, then zero-padded), so construction is infallible without unwrapping
/// `new_from_slice`.
fn keyed_mac(secret: &[u8]) -> HmacSha256 {
    let mut key = Key::<HmacSha256>::default();
    if secret.len() > key.len() {
        let digest = Sha256::digest(secret);
        key[..digest.len()].copy_from_slice(&digest);
    } else {
        key[..secret.len()].copy_from_slice(secret);
    }
    <HmacSha256 as KeyInit>::new(&key)
}

/// Unix seconds written as one or more ASCII digits (no sign, no spaces), at most `u64::MAX`.
fn unix_seconds(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn decode_hex(hex: &[u8]) -> Option<[u8; MAC_LEN]> {
    if hex.len() != 2 * MAC_LEN {
        return None;
    }
    let mut out = [0; MAC_LEN];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// Removes leading and trailing spaces and tabs (HTTP optional whitespace).
fn trim_ows(value: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !is_ows(b)).map_or(start, |i| i + 1);
    &value[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hex_round_trips() {
        let bytes: [u8; MAC_LEN] = std::array::from_fn(|i| (i * 8 + 7) as u8);
        let mut hex = String::new();
        push_hex(&mut hex, &bytes);
        assert_eq!(hex.len(), 64);
        assert!(hex.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
        assert_eq!(decode_hex(hex.as_bytes()), Some(bytes));
        assert_eq!(decode_hex(hex.to_ascii_uppercase().as_bytes()), Some(bytes));
    }

    #[test]
    fn long_secrets_are_keyed_as_hmac_defines() {
        for len in [0, 1, 31, 32, 63, 64, 65, 128, 1000] {
            let secret: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let reference =
                HmacSha256::new_from_slice(&secret).unwrap().chain_update(b"message").finalize().into_bytes();
            let ours = keyed_mac(&secret).chain_update(b"message").finalize().into_bytes();
            assert_eq!(ours, reference, "key length {len}");
        }
    }

    proptest! {
        #[test]
        fn keyed_mac_matches_hmac_for_any_key(
            secret in proptest::collection::vec(any::<u8>(), 0..300),
            message in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let reference = HmacSha256::new_from_slice(&secret)
                .unwrap()
                .chain_update(&message)
                .finalize()
                .into_bytes();
            let ours = keyed_mac(&secret).chain_update(&message).finalize().into_bytes();
            prop_assert_eq!(ours, reference);
        }
    }
}
