//! Helpers shared by the whole-pipeline tests.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The shared test corpus (`../shared/corpus` beside the checkout), if it is there.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("..").join("shared").join("corpus");
    dir.is_dir().then_some(dir)
}

/// Runs a future to completion on the current thread. The handlers under test never wait on I/O,
/// so a no-op waker and a polling loop are all the executor these tests need.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// The body of an example, as bytes, the way a vendor would send it.
pub fn body_of(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// The README's Rust blocks, compiled (and run, unless marked `no_run`) as doctests of this package, whose
/// dev-dependencies turn on every feature they use, so the front page cannot drift from the crates.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
