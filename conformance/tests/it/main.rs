//! The matrix against stacks started here, with the real clients `tools/install` installed:
//! one test binary, a module per scenario.

mod cosign_tuf;
mod gitsign;
mod matrix;
mod support;
