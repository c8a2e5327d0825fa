//! What the `webhook-codegen` command does besides generating (feature `cli`): sending signed deliveries
//! to a receiver ([`send`]) and checking captured deliveries against their spec ([`check`]). The binary
//! parses arguments and calls these; `cargo xtask send` calls [`send`] too.

pub mod check;
pub mod send;
