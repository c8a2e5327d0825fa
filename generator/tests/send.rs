//! `webhook-codegen send` against a receiver served in-process on 127.0.0.1, for Zoom and Standard
//! Webhooks: a body file, a spec's example, the same delivery again, a stale timestamp, URL validation.
// Test helpers outside `#[test]` functions unwrap too; `clippy.toml` allows it only inside them.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use webhook_codegen::cli::send::{Body, Scheme, Send, SendError};
use webhook_runtime::axum::Receiver;
use webhook_runtime::duplicates::DuplicateFilter;
use webhook_runtime::{Route, UnknownEvent};

const ZOOM_SECRET: &str = "zoom-test-secret";
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const CNAM_UPDATED: &str = "number_management.peering_number_cnam_updated";

/// A receiver listening on 127.0.0.1 with a duplicate filter, counting its handler's calls.
struct Served {
    url: String,
    handled: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Served {
    fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }
}

fn serve(receiver: impl FnOnce(Route) -> Receiver, module: &'static str, events: &'static [&'static str]) -> Served {
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let route = Route::from_fn(module, events, move |_: UnknownEvent| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, std::convert::Infallible>(()) }
    });
    let receiver = receiver(route).duplicate_filter(DuplicateFilter::default());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let router = receiver.into_router();
    runtime.spawn(async move { webhook_runtime::axum::serve(listener, router).await });
    Served { url, handled, _runtime: runtime }
}

fn zoom_receiver() -> Served {
    serve(|route| Receiver::new(ZOOM_SECRET).route(route), "number_management", &[CNAM_UPDATED])
}

fn standard_receiver() -> Served {
    serve(
        |route| Receiver::standard(&[STANDARD_SECRET]).unwrap().route(route.with_discriminator("type")),
        "svix",
        &["endpoint.created", "endpoint.deleted"],
    )
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn zoom_spec() -> PathBuf {
    workspace().join("specs/number_management.yaml")
}

/// Svix's spec, whose `.codegen.yaml` says `signature: standard`.
fn svix_spec() -> PathBuf {
    workspace().join("generated/tests/specs/svix.yaml")
}

fn body_file(name: &str, body: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("send");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// Runs `send`, returning whether everything was delivered and what it printed.
fn run(send: &Send) -> (bool, String) {
    let mut out = Vec::new();
    let delivered = send.run(&mut out).unwrap();
    (delivered, String::from_utf8(out).unwrap())
}

fn answers(out: &str) -> Vec<&str> {
    out.lines().filter_map(|line| line.strip_prefix("-> ")).collect()
}

#[test]
fn zoom_body_file_is_sent_as_it_is_and_handled() {
    let served = zoom_receiver();
    let body = format!(r#"{{"event":"{CNAM_UPDATED}","event_ts":1,"payload":{{"account_id":"a"}}}}"#);
    let file = body_file("zoom.json", &body);
    let (delivered, out) = run(&Send::new(&served.url, ZOOM_SECRET, Body::File(file.clone())));
    assert!(delivered, "{out}");
    assert_eq!(answers(&out), ["200"], "{out}");
    assert!(out.contains(&format!("{} bytes", body.len())), "the file is sent byte for byte: {out}");
    assert!(out.contains("x-zm-request-timestamp: "), "{out}");
    assert_eq!(served.handled(), 1);

    // The same file again is a retry of the same delivery to Zoom's duplicate filter, keyed by the body.
    let (delivered, _) = run(&Send::new(&served.url, ZOOM_SECRET, Body::File(file)));
    assert!(delivered);
    assert_eq!(served.handled(), 1);
}

#[test]
fn zoom_spec_example_repeated_is_handled_once() {
    let served = zoom_receiver();
    let example = Body::Example { spec: zoom_spec(), webhook: Some(CNAM_UPDATED.to_owned()), example: None };
    let mut send = Send::new(&served.url, ZOOM_SECRET, example.clone());
    send.repeat = 3;
    let (delivered, out) = run(&send);
    assert!(delivered, "{out}");
    assert_eq!(answers(&out), ["200", "200", "200"], "{out}");
    assert_eq!(out.lines().filter(|line| line.starts_with("POST ")).count(), 3, "{out}");
    assert!(out.contains(CNAM_UPDATED), "{out}");
    assert_eq!(served.handled(), 1, "the repeats are duplicates: the handler ran once");

    // A new send of the example gets a fresh `event_ts`: a new delivery.
    std::thread::sleep(std::time::Duration::from_millis(2));
    assert!(run(&Send::new(&served.url, ZOOM_SECRET, example)).0);
    assert_eq!(served.handled(), 2);
}

#[test]
fn zoom_stale_timestamp_gets_the_receivers_401() {
    let served = zoom_receiver();
    let example = Body::Example { spec: zoom_spec(), webhook: Some(CNAM_UPDATED.to_owned()), example: None };
    let mut send = Send::new(&served.url, ZOOM_SECRET, example);
    send.timestamp = Some(std::time::SystemTime::now() - std::time::Duration::from_secs(600));
    let (delivered, out) = run(&send);
    assert!(!delivered, "{out}");
    let answers = answers(&out);
    assert_eq!(answers.len(), 1, "{out}");
    assert!(answers[0].starts_with("401 "), "{out}");
    assert!(answers[0].contains("timestamp"), "the receiver says why: {out}");
    assert_eq!(served.handled(), 0);
}

#[test]
fn zoom_url_validation_answer_is_checked() {
    let served = zoom_receiver();
    let (delivered, out) = run(&Send::new(&served.url, ZOOM_SECRET, Body::UrlValidation));
    assert!(delivered, "{out}");
    assert!(out.contains("URL validation answer is correct"), "{out}");
    assert!(out.contains("encryptedToken"), "{out}");

    let (delivered, out) = run(&Send::new(&served.url, "another secret", Body::UrlValidation));
    assert!(!delivered, "{out}");
    assert!(answers(&out)[0].starts_with("401"), "{out}");

    let mut standard = Send::new(&served.url, STANDARD_SECRET, Body::UrlValidation);
    standard.scheme = Some(Scheme::Standard);
    assert!(matches!(standard.run(&mut Vec::new()), Err(SendError::ValidateNeedsZoom)));
}

#[test]
fn standard_spec_example_is_signed_as_its_settings_say_and_repeats_are_duplicates() {
    let served = standard_receiver();
    let example = Body::Example { spec: svix_spec(), webhook: Some("endpoint.deleted".to_owned()), example: None };
    let mut send = Send::new(&served.url, STANDARD_SECRET, example);
    send.repeat = 2;
    let (delivered, out) = run(&send);
    assert!(delivered, "{out}");
    assert_eq!(answers(&out), ["200", "200"], "{out}");
    assert!(out.contains("webhook-id: "), "signed with Standard Webhooks, as svix.codegen.yaml says: {out}");
    assert_eq!(served.handled(), 1, "the second is the same webhook-id: a duplicate");

    // Each run has a fresh webhook-id: a new message.
    assert!(run(&send).0);
    assert_eq!(served.handled(), 2);
    // A fixed id is a redelivery of that message.
    send.id = Some("msg_fixed".to_owned());
    send.repeat = 1;
    assert!(run(&send).0);
    assert!(run(&send).0);
    assert_eq!(served.handled(), 3);
}

#[test]
fn standard_body_file_and_stale_timestamp() {
    let served = standard_receiver();
    let file = body_file("svix.json", r#"{"type":"endpoint.created","data":{"appId":"app_1","endpointId":"ep_1"}}"#);
    let mut send = Send::new(&served.url, STANDARD_SECRET, Body::File(file));
    send.scheme = Some(Scheme::Standard);
    let (delivered, out) = run(&send);
    assert!(delivered, "{out}");
    assert_eq!(served.handled(), 1);

    send.timestamp = Some(std::time::SystemTime::now() - std::time::Duration::from_secs(600));
    let (delivered, out) = run(&send);
    assert!(!delivered, "{out}");
    assert!(answers(&out)[0].starts_with("401 "), "{out}");
    assert_eq!(served.handled(), 1);

    // A Zoom secret is no Standard Webhooks secret.
    send.secret = "not base64!".to_owned();
    assert!(matches!(send.run(&mut Vec::new()), Err(SendError::Secret { scheme: "standard", .. })));
}

#[test]
fn a_spec_with_several_webhooks_needs_one_named() {
    let send = Send::new(
        "http://127.0.0.1:9/",
        STANDARD_SECRET,
        Body::Example { spec: svix_spec(), webhook: None, example: None },
    );
    let err = send.run(&mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("endpoint.created, endpoint.deleted"), "{err}");
    let send = Send::new(
        "http://127.0.0.1:9/",
        STANDARD_SECRET,
        Body::Example { spec: svix_spec(), webhook: Some("endpoint.updated".to_owned()), example: None },
    );
    assert!(matches!(send.run(&mut Vec::new()), Err(SendError::UnknownWebhook { .. })));
}

#[test]
fn the_command_exits_0_when_delivered_and_1_otherwise() {
    let served = zoom_receiver();
    let command = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_webhook-codegen"))
            .args(["send", "--url", &served.url, "--secret", ZOOM_SECRET, "--spec"])
            .arg(zoom_spec())
            .args(extra)
            .output()
            .unwrap()
    };
    let sent = command(&["--webhook", CNAM_UPDATED]);
    let stdout = String::from_utf8_lossy(&sent.stdout);
    assert_eq!(sent.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&sent.stderr));
    assert!(stdout.contains("-> 200"), "{stdout}");

    let stale = command(&["--webhook", CNAM_UPDATED, "--timestamp", "-10m"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stdout).contains("-> 401"));
    assert_eq!(served.handled(), 1);
}
