//! `webhook-codegen check SPEC DELIVERY...`: reads captured deliveries (JSON files, JSON lines, folders of
//! them) and checks each against the spec with [`crate::check`], for a drift report.

use std::path::{Path, PathBuf};

use crate::check::{Checker, DriftReport};
use crate::files::{self, FileError};

/// The most a delivery file may hold (64 MiB): captured deliveries are small, and a file is read whole.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why the deliveries could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The spec could not be read or generated.
    #[error(transparent)]
    Spec(#[from] FileError),
    /// A delivery file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A delivery file is larger than [`MAX_FILE_BYTES`].
    #[error("{}: larger than {MAX_FILE_BYTES} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// `--webhook` names no webhook of the spec.
    #[error("{spec} declares no webhook `{webhook}`; its webhooks: {known}")]
    UnknownWebhook {
        /// The requested name.
        webhook: String,
        /// The spec.
        spec: String,
        /// Its webhooks, comma-separated.
        known: String,
    },
    /// The spec cannot tell its webhooks apart and none was named.
    #[error("{0} has no property telling its webhooks apart; name the webhook with --webhook")]
    NoDiscriminator(String),
}

/// The delivery files of `paths`: each file as given, and a folder's `.json`, `.jsonl` and `.ndjson`
/// files (not its subfolders), sorted by name.
///
/// # Errors
///
/// When a folder cannot be read.
pub fn delivery_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CheckError> {
    let mut found = Vec::new();
    for path in paths {
        if !path.is_dir() {
            found.push(path.clone());
            continue;
        }
        let io = |source| CheckError::Io { path: path.clone(), source };
        let mut inside = Vec::new();
        for entry in std::fs::read_dir(path).map_err(io)? {
            let entry = entry.map_err(io)?;
            let file = entry.path();
            let extension = file.extension().and_then(|extension| extension.to_str()).unwrap_or("");
            if file.is_file() && matches!(extension, "json" | "jsonl" | "ndjson") {
                inside.push(file);
            }
        }
        inside.sort();
        found.extend(inside);
    }
    Ok(found)
}

/// Checks every delivery in `paths` (see [`delivery_files`]; a `.jsonl` or `.ndjson` file holds one
/// delivery per non-blank line) against the spec at `spec`, as the webhook `webhook` or as the webhook
/// each body names.
///
/// # Errors
///
/// When the spec cannot be generated, `webhook` is not one of its webhooks (or is needed and missing), or
/// a file cannot be read. A delivery that is not JSON is in the report, not an error.
pub fn run(spec: &Path, webhook: Option<&str>, paths: &[PathBuf]) -> Result<DriftReport, CheckError> {
    let (module, _) = files::lower_spec_file(spec)?;
    let checker = Checker::new(&module);
    if let Some(name) = webhook {
        if checker.webhook_named(name).is_none() {
            let known = module.events.iter().map(|event| event.name.as_str()).collect::<Vec<_>>().join(", ");
            let spec = spec.display().to_string();
            return Err(CheckError::UnknownWebhook { webhook: name.to_owned(), spec, known });
        }
    } else if module.discriminator.is_none() {
        return Err(CheckError::NoDiscriminator(spec.display().to_string()));
    }
    let mut report = DriftReport::new();
    for file in delivery_files(paths)? {
        let io = |source| CheckError::Io { path: file.clone(), source };
        if std::fs::metadata(&file).map_err(io)?.len() > MAX_FILE_BYTES {
            return Err(CheckError::TooLarge { path: file });
        }
        let text = std::fs::read(&file).map_err(io)?;
        let label = file.display().to_string();
        let lines = matches!(file.extension().and_then(|extension| extension.to_str()), Some("jsonl" | "ndjson"));
        if lines {
            for (index, line) in text.split(|byte| *byte == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                add(&mut report, &checker, webhook, &format!("{label}:{}", index + 1), line);
            }
        } else {
            add(&mut report, &checker, webhook, &label, &text);
        }
    }
    Ok(report)
}

fn add(report: &mut DriftReport, checker: &Checker<'_>, webhook: Option<&str>, label: &str, bytes: &[u8]) {
    match serde_json::from_slice(bytes) {
        Ok(delivery) => report.add(checker, webhook, label, &delivery),
        Err(err) => report.add_unreadable(label, &err),
    }
}
