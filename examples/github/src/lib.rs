//! A GitHub receiver whose webhook module is generated in `build.rs` from GitHub's published webhooks
//! description (`specs/github-webhooks.json`, `@octokit/openapi-webhooks`, kept as published; its settings,
//! `specs/github-webhooks.codegen.yaml`, name the module and GitHub's signature scheme).
//!
//! GitHub names a delivery by its `X-GitHub-Event` header and the body's `action`; the document names
//! its webhooks `<event>-<action>` (`pull-request-opened`), and [`Receiver::github`] routes a
//! `pull_request` delivery with `"action": "opened"` to that webhook, `push` (no action) to `push`.
//! [`Activity`] handles three of the 261 webhooks; the others are accepted and ignored by the
//! handler's defaults.
//!
//! ```text
//! GITHUB_WEBHOOK_SECRET=... PORT=8080 cargo run -p example-github
//! cargo run -p webhook-codegen -- send --spec examples/github/specs/github-webhooks.json \
//!     --webhook check-run-completed --github-event check_run \
//!     --url http://127.0.0.1:8080/webhooks/github --secret ...
//! cargo test -p example-github     # signed deliveries through the receiver; every example of the spec
//! ```

use webhook_runtime::axum::Receiver;
use webhook_runtime::duplicates::DuplicateFilter;
use webhook_runtime::signature::SecretError;

/// The module generated from `specs/github-webhooks.json`: payload types, `Event`, `Handler`,
/// `dispatch_named`, `route`.
pub mod github {
    include!(concat!(env!("OUT_DIR"), "/github.rs"));
}

/// Logs pushes, opened pull requests and opened issues.
#[derive(Debug, Default)]
pub struct Activity;

impl github::Handler for Activity {
    type Error = std::convert::Infallible;

    async fn on_push(&self, event: github::WebhookPush) -> Result<(), Self::Error> {
        tracing::info!(
            repository = event.repository.full_name,
            git_ref = event.ref_,
            commits = event.commits.len(),
            head = event.head_commit.as_ref().map(|commit| commit.id.as_str()),
            pusher = event.pusher.name,
            "push"
        );
        Ok(())
    }

    async fn on_pull_request_opened(&self, event: github::WebhookPullRequestOpened) -> Result<(), Self::Error> {
        let pull = &event.pull_request;
        tracing::info!(
            repository = event.repository.full_name,
            number = event.number,
            title = pull.title,
            author = pull.user.login,
            draft = pull.draft.unwrap_or(false),
            "pull request opened"
        );
        Ok(())
    }

    async fn on_issues_opened(&self, event: github::WebhookIssuesOpened) -> Result<(), Self::Error> {
        tracing::info!(
            repository = event.repository.full_name,
            number = event.issue.number,
            title = event.issue.title,
            url = event.issue.html_url,
            "issue opened"
        );
        Ok(())
    }
}

/// The receiver for the webhook's secret, routing to `handler`, with GitHub's redeliveries (the same
/// `X-GitHub-Delivery`) filtered in memory: GitHub signs no timestamp, so the filter is what refuses a
/// replayed delivery.
///
/// # Errors
///
/// When the secret is empty or blank.
pub fn receiver<H>(secret: &str, handler: H) -> Result<Receiver, SecretError>
where
    H: github::Handler + 'static,
    H::Error: Into<webhook_runtime::BoxError>,
{
    Ok(Receiver::github(&[secret])?.route(github::route(handler)).duplicate_filter(DuplicateFilter::default()))
}
