//! Generated files checked in: `src/webhooks/svix.rs` is written from `specs/svix.yaml` by the
//! `webhook-codegen` command, reviewed and committed like any source file, and `tests/drift.rs` fails
//! (with a diff and the command that fixes it) when it no longer matches the spec.
//!
//! ```text
//! webhook-codegen generate specs/svix.yaml --out src/webhooks           # (re)writes src/webhooks/svix.rs
//! webhook-codegen generate specs/svix.yaml --out src/webhooks --check   # exit 1 and a diff when out of date
//! cargo test -p example-checked-in                                      # the same check, as a test
//! ```
//!
//! (From this workspace, `cargo run -p webhook-codegen --` in place of `webhook-codegen`, run in this
//! folder.)

/// The generated modules, one file per spec.
pub mod webhooks {
    #[rustfmt::skip] // Formatted by the generator; the drift check compares it byte for byte.
    pub mod svix;
}
