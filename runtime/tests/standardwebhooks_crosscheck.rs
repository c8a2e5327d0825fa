//! `signature::standard` against the scheme's reference Rust library, `standardwebhooks`: both sign
//! alike, and each verifies what the other signed, for random secrets, ids, timestamps and bodies.
//!
//! Where we accept more than it does (what the other reference libraries accept: an unpadded secret,
//! whitespace around it, tab-separated signatures, both header sets), each case is checked against the
//! reference library on the form it takes, with the same outcome.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use proptest::prelude::*;
use webhook_runtime::signature::standard::{self, Verifier};

/// The reference library checks its timestamps against the real clock, so deliveries are signed now.
fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(0))
}

fn headers(id: &str, timestamp: &str, signature: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    for (name, value) in [("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", signature)] {
        headers.insert(name, http::HeaderValue::from_str(value).expect("a visible ASCII header value"));
    }
    headers
}

/// A secret as the reference library takes it: trimmed, padded.
fn normalized(secret: &str) -> String {
    let secret = secret.trim_ascii();
    let mut encoded = secret.strip_prefix("whsec_").unwrap_or(secret).to_owned();
    while encoded.len() % 4 != 0 {
        encoded.push('=');
    }
    encoded
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_and_verify_agree_with_the_reference_library(
        key in proptest::collection::vec(any::<u8>(), 1..64)
            .prop_filter("a usable key", |key| !key.iter().all(u8::is_ascii_whitespace)),
        prefixed in any::<bool>(),
        id in "msg_[A-Za-z0-9]{1,30}",
        // Bodies the reference library can sign: it takes UTF-8 text only.
        body in any::<String>(),
        skew in -250i64..250,
    ) {
        let secret = format!("{}{}", if prefixed { "whsec_" } else { "" }, BASE64.encode(&key));
        let reference = standardwebhooks::Webhook::new(&secret).expect("the reference library takes the secret");
        let ours = Verifier::new(&[&secret]).expect("we take the secret");
        let sent = now_secs() + skew;
        let timestamp = sent.to_string();

        let their_signature = reference.sign(&id, sent, body.as_bytes()).expect("the reference library signs");
        let our_signature = standard::sign(&secret, &id, &timestamp, body.as_bytes()).expect("we sign");
        prop_assert_eq!(&our_signature, &their_signature);

        let now = SystemTime::now();
        prop_assert_eq!(ours.verify(&id, &timestamp, &their_signature, body.as_bytes(), now), Ok(()));
        prop_assert!(reference.verify(body.as_bytes(), &headers(&id, &timestamp, &our_signature)).is_ok());

        // And both refuse the same delivery with one byte of the body changed.
        let altered = format!("{body}x");
        prop_assert!(ours.verify(&id, &timestamp, &their_signature, altered.as_bytes(), now).is_err());
        prop_assert!(reference.verify(altered.as_bytes(), &headers(&id, &timestamp, &our_signature)).is_err());
    }

    #[test]
    fn a_secret_the_reference_library_refuses_we_refuse_too(secret in "[ \t\n]{0,2}(whsec_)?[A-Za-z0-9+/=!. -]{1,40}[ \t\n]{0,2}") {
        let theirs = standardwebhooks::Webhook::new(&secret).is_ok();
        let ours = Verifier::new(&[&secret]).is_ok();
        if theirs && !ours {
            // Stricter only about keys with no bytes or only whitespace bytes, which anyone could guess.
            let decoded = BASE64.decode(secret.trim_start_matches("whsec_")).unwrap_or_default();
            prop_assert!(decoded.iter().all(u8::is_ascii_whitespace), "{secret:?}");
        } else if ours && !theirs {
            // More lenient only about padding and surrounding whitespace: the reference library takes the
            // secret trimmed and padded, and both sign alike with it.
            let reference = standardwebhooks::Webhook::new(&normalized(&secret));
            prop_assert!(reference.is_ok(), "{secret:?}");
            let theirs = reference.expect("checked").sign("msg_1", 1_614_265_330, b"{}").expect("sign");
            prop_assert_eq!(standard::sign(&secret, "msg_1", "1614265330", b"{}").ok(), Some(theirs));
        }
    }

    #[test]
    fn what_we_accept_beyond_the_reference_library_it_accepts_in_its_own_form(
        key in proptest::collection::vec(any::<u8>(), 1..64)
            .prop_filter("a usable key", |key| !key.iter().all(u8::is_ascii_whitespace)),
        around in "[ \t\n]{0,3}",
        id in "msg_[A-Za-z0-9]{1,30}",
        body in "[ -~]{0,64}",
        skew in -250i64..250,
        zeros in 0usize..4,
        others in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 32), 0..3),
        tamper in any::<bool>(),
    ) {
        let padded = BASE64.encode(&key);
        let secret = format!("{around}whsec_{}{around}", padded.trim_end_matches('='));
        let reference = standardwebhooks::Webhook::new(&format!("whsec_{padded}")).expect("the padded secret");
        let ours = Verifier::new(&[&secret]).expect("we take it unpadded, with whitespace around");

        let sent = now_secs() + skew;
        let mut signed = reference.sign(&id, sent, body.as_bytes()).expect("sign");
        if tamper {
            signed = format!("v1,{}", BASE64.encode([0_u8; 32]));
        }
        let decoys: Vec<String> = others.iter().map(|other| format!("v1,{}", BASE64.encode(other))).collect();
        let listed = |separator: &str| {
            decoys.iter().map(String::as_str).chain([signed.as_str()]).collect::<Vec<_>>().join(separator)
        };
        // Leading zeros: the reference library parses the header as a number and signs that number.
        let timestamp = format!("{}{sent}", "0".repeat(zeros));
        let theirs = reference.verify(body.as_bytes(), &headers(&id, &timestamp, &listed(" "))).is_ok();
        prop_assert_eq!(theirs, !tamper);
        let now = SystemTime::now();
        // Tabs instead of spaces: the reference library's verdict on the list with spaces.
        prop_assert_eq!(ours.verify(&id, &timestamp, &listed("\t"), body.as_bytes(), now).is_ok(), theirs);
        prop_assert_eq!(ours.verify(&id, &timestamp, &listed(" "), body.as_bytes(), now).is_ok(), theirs);

        // Both sets: passes when the reference library passes either set alone.
        let junk = format!("v1,{}", BASE64.encode([1_u8; 32]));
        let both = [
            ("webhook-id", id.as_str()),
            ("webhook-timestamp", timestamp.as_str()),
            ("webhook-signature", junk.as_str()),
            ("svix-id", id.as_str()),
            ("svix-timestamp", timestamp.as_str()),
            ("svix-signature", signed.as_str()),
        ];
        let either = reference.verify(body.as_bytes(), &headers(&id, &timestamp, &junk)).is_ok()
            || reference.verify(body.as_bytes(), &headers(&id, &timestamp, &signed)).is_ok();
        prop_assert_eq!(ours.verify_headers(both, body.as_bytes(), now).is_ok(), either);
    }
}

#[test]
fn the_reference_library_signs_the_published_vector_as_we_do() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let reference = standardwebhooks::Webhook::new(secret).expect("secret");
    let body = br#"{"test": 2432232314}"#;
    let theirs = reference.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).expect("sign");
    assert_eq!(theirs, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_eq!(standard::sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body).as_deref(), Ok(&*theirs));
}
