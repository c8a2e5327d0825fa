//! Deliveries signed as GitHub signs them, through the receiver in-process: `X-GitHub-Event` and the
//! body's `action` name the webhook, the generated module parses the body into its type and the handler
//! gets it; a wrong signature is refused, and a redelivery (the same `X-GitHub-Delivery`) runs no handler.

use std::sync::{Arc, Mutex};

use example_github::{github, receiver};
use webhook_runtime::testing::GitHubSigner;

const SECRET: &str = "It's a Secret to Everybody";

/// A `pull_request` delivery with `"action": "opened"`. GitHub's description carries no example for
/// `pull-request-opened` (its six examples are of `check_run`, `ping` and a secret scanning location),
/// so this body is written from the webhook's schema, with the properties it requires.
const PULL_REQUEST_OPENED: &str = include_str!("deliveries/pull_request.opened.json");

/// What the handler read from an opened pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Opened {
    repository: String,
    number: i64,
    title: String,
    author: String,
}

/// Records the pull requests opened.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Opened>>>);

impl Recorder {
    fn seen(&self) -> Vec<Opened> {
        self.0.lock().expect("lock").clone()
    }
}

impl github::Handler for Recorder {
    type Error = std::convert::Infallible;

    async fn on_pull_request_opened(&self, event: github::WebhookPullRequestOpened) -> Result<(), Self::Error> {
        let pull = event.pull_request;
        let opened = Opened {
            repository: event.repository.full_name,
            number: pull.number,
            title: pull.title,
            author: pull.user.login,
        };
        self.0.lock().expect("lock").push(opened);
        Ok(())
    }
}

fn signer() -> GitHubSigner {
    GitHubSigner::new(SECRET).expect("a usable secret").event("pull_request")
}

/// What the handler reads from `PULL_REQUEST_OPENED`.
fn opened() -> Opened {
    Opened {
        repository: "octo-org/hello-world".to_owned(),
        number: 42,
        title: "Retry failed deliveries with backoff".to_owned(),
        author: "octocat".to_owned(),
    }
}

#[tokio::test]
async fn a_signed_pull_request_opened_reaches_its_typed_handler() {
    let recorder = Recorder::default();
    let receiver = receiver(SECRET, recorder.clone()).expect("a usable secret");
    let delivery = signer().sign(PULL_REQUEST_OPENED);
    assert_eq!(delivery.headers["x-github-event"], "pull_request");
    assert!(delivery.headers["x-hub-signature-256"].to_str().expect("ASCII").starts_with("sha256="));
    assert!(!delivery.headers["x-github-delivery"].is_empty());
    let answer = delivery.send_to(&receiver).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(recorder.seen(), [opened()]);
}

#[tokio::test]
async fn a_wrong_signature_is_refused_with_401() {
    let recorder = Recorder::default();
    let receiver = receiver(SECRET, recorder.clone()).expect("a usable secret");
    let forged = GitHubSigner::new("another secret").expect("a usable secret").event("pull_request");
    let answer = forged.sign(PULL_REQUEST_OPENED).send_to(&receiver).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    let mut altered = signer().sign(PULL_REQUEST_OPENED);
    altered.body = PULL_REQUEST_OPENED.replace("Retry failed", "Drop failed").into();
    assert_eq!(altered.send_to(&receiver).await.status, 401);
    assert!(recorder.seen().is_empty());
}

#[tokio::test]
async fn a_redelivery_is_handled_once() {
    let recorder = Recorder::default();
    let receiver = receiver(SECRET, recorder.clone()).expect("a usable secret");
    let redelivered = signer().delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958");
    for _ in 0..2 {
        let answer = redelivered.sign(PULL_REQUEST_OPENED).send_to(&receiver).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_eq!(recorder.seen(), [opened()], "the redelivery ran no handler");
    // Another delivery of the same body is handled.
    assert_eq!(signer().sign(PULL_REQUEST_OPENED).send_to(&receiver).await.status, 200);
    assert_eq!(recorder.seen(), [opened(), opened()]);
}

#[tokio::test]
async fn a_pull_request_off_its_schema_is_refused_with_the_field_path() {
    let recorder = Recorder::default();
    let receiver = receiver(SECRET, recorder.clone()).expect("a usable secret");
    // `number` is an integer in the schema.
    let off_schema = PULL_REQUEST_OPENED.replacen(r#""number": 42"#, r#""number": "42""#, 1);
    assert_ne!(off_schema, PULL_REQUEST_OPENED);
    let answer = signer().sign(off_schema).send_to(&receiver).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("schema at `number`"), "{}", answer.body);
    assert!(recorder.seen().is_empty());
}
