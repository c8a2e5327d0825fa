//! `cargo xtask send <webhook> --url <URL> --secret <S> [--scheme ...] [--spec FILE]`: the workspace's
//! shortcut over `webhook-codegen send` (`webhook_codegen::cli::send`), which does the signing and
//! sending. What it adds: the webhook is looked up by name in `specs/` (or in `--spec`), so no spec file
//! needs naming, and `endpoint.url_validation` stands for Zoom's URL validation challenge.

use std::path::{Path, PathBuf};

use webhook_codegen::cli::send::{Body, Send};

use crate::codegen::{self, CodegenError};

pub use webhook_codegen::cli::send::{Scheme, SendError, URL_VALIDATION_EVENT};

/// Why `cargo xtask send` could not send.
#[derive(Debug, thiserror::Error)]
pub enum XtaskSendError {
    /// `specs/` could not be listed.
    #[error(transparent)]
    Codegen(#[from] CodegenError),
    /// No spec in `specs/` mentions the webhook.
    #[error("no spec in {dir} declares `{webhook}`; name the spec with --spec")]
    UnknownWebhook {
        /// The requested name.
        webhook: String,
        /// The folder searched.
        dir: String,
    },
    /// Sending failed.
    #[error(transparent)]
    Send(#[from] SendError),
}

/// The spec files that may declare `webhook`: `spec` when given, else those of `root`'s `specs/` whose
/// text names it (a quick search, so that one send reads one spec rather than generating all of them).
///
/// # Errors
///
/// When `specs/` cannot be read or no spec there names the webhook.
pub fn candidate_specs(root: &Path, webhook: &str, spec: Option<&Path>) -> Result<Vec<PathBuf>, XtaskSendError> {
    if let Some(spec) = spec {
        return Ok(vec![spec.to_path_buf()]);
    }
    let candidates: Vec<PathBuf> = codegen::spec_files(root)?
        .into_iter()
        .filter(|path| std::fs::read(path).is_ok_and(|text| contains(&text, webhook.as_bytes())))
        .collect();
    if candidates.is_empty() {
        let dir = root.join(codegen::SPECS_DIR).display().to_string();
        return Err(XtaskSendError::UnknownWebhook { webhook: webhook.to_owned(), dir });
    }
    Ok(candidates)
}

/// The send of `webhook`'s example (or of Zoom's URL validation challenge) to `url`, from the first of
/// `candidates` that declares it.
///
/// # Errors
///
/// When no candidate declares the webhook (the last candidate's error), or the example is missing.
pub fn request(
    candidates: &[PathBuf],
    webhook: &str,
    example: Option<&str>,
    url: &str,
    secret: &str,
) -> Result<Send, XtaskSendError> {
    let mut last = None;
    for spec in candidates {
        let body = Body::Example {
            spec: spec.clone(),
            webhook: Some(webhook.to_owned()),
            example: example.map(str::to_owned),
        };
        match webhook_codegen::cli::send::example_from_spec(spec, Some(webhook), example) {
            Ok(_) => return Ok(Send::new(url, secret, body)),
            Err(err @ SendError::UnknownWebhook { .. }) => last = Some(err),
            Err(err) => return Err(err.into()),
        }
    }
    Err(last.map_or_else(
        || XtaskSendError::UnknownWebhook { webhook: webhook.to_owned(), dir: codegen::SPECS_DIR.to_owned() },
        XtaskSendError::from,
    ))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
    }

    #[test]
    fn the_webhook_is_found_in_the_spec_that_declares_it() {
        let webhook = "number_management.peering_number_cnam_updated";
        let candidates = candidate_specs(&root(), webhook, None).unwrap();
        assert!(candidates.iter().any(|path| path.ends_with("number_management.yaml")), "{candidates:?}");
        let send = request(&candidates, webhook, None, "http://127.0.0.1:9/", "s").unwrap();
        assert!(
            matches!(&send.body, Body::Example { spec, .. } if spec.ends_with("number_management.yaml")),
            "{:?}",
            send.body
        );
        let err = candidate_specs(&root(), "meeting.nope", None).unwrap_err();
        assert!(matches!(err, XtaskSendError::UnknownWebhook { .. }), "{err}");
    }
}
