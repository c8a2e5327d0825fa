//! What the `webhook-codegen` command does besides generating (feature `cli`): sending signed deliveries
//! to a receiver ([`send`]). The binary parses arguments and calls these; `cargo xtask send` calls them
//! too.

pub mod send;
