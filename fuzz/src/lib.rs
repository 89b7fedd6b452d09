//! What the sigbox fuzz targets share: one in-process stack per fuzz process, driven through its
//! router with no sockets ([`harness`]), the valid requests the seed corpus starts from and the
//! stacks are filled with ([`seeds`]), and the way fuzzed bytes become a request ([`input`]).
//!
//! Not part of the default build: this crate has a workspace of its own (see `Cargo.toml`).

pub mod harness;
pub mod input;
pub mod seeds;
