//! The `sigbox` binary, driven as a user would: one test binary, one module per command.

mod ambient;
mod client;
mod cosign_image;
mod crash;
mod export;
mod exposure;
mod loss;
mod rotate;
mod support;
mod token;
mod up;
mod verify_assets;
