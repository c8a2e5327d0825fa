//! The project's commands, as a library so whole-pipeline tests run exactly what `cargo xtask` runs.

pub mod codegen;
pub mod codesize;
pub mod conformance;
pub mod crate_docs;
pub mod manifest;
pub mod marked_block;
pub mod scratch;
pub mod send;
