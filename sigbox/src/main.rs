//! `sigbox`: a whole Sigstore in one process, for testing.
//!
//! Every key it uses derives from a seed that is printed at start-up: nothing it signs means
//! anything outside a test.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sigbox",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("SIGBOX_COMMIT"), ")"),
    about = "A whole Sigstore in one process, for testing only."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the stack (OIDC, Fulcio, CT log, Rekor, TSA, TUF) on one port.
    Up(cmd::up::Args),
    /// Write the trust material clients need (trusted root, signing config, TUF root,
    /// sigstore-python trust config) and print their command lines.
    Export(cmd::export::Args),
    /// Sign a file (or, with --in-toto, a statement) keylessly into a bundle v0.3.
    #[command(alias = "sign-bundle")]
    Sign(cmd::sign::Args),
    /// Verify a bundle against a trusted root and an identity or a key.
    #[command(alias = "verify-bundle")]
    Verify(cmd::verify::Args),
    /// Rotate a service's keys: fulcio, ctlog, rekor (new shard), tsa, oidc or tuf-root.
    Rotate(cmd::rotate::Args),
    /// Print an OIDC identity token from the running stack's fake issuer.
    Token(cmd::token::Args),
    /// Print the `export` lines of a CI job (github-actions, gitlab-ci) whose ambient
    /// credentials come from the running stack: `eval "$(sigbox env github-actions)"`.
    Env(cmd::env::Args),
    /// Check a state directory offline: every log against its last signed checkpoint, the
    /// TUF metadata against its targets. Exit 1 when anything is wrong.
    Fsck(cmd::fsck::Args),
    /// Run the client conformance matrix (sign, cross-verify, tampered bundles, rotations)
    /// against a stack started for it.
    Conformance(cmd::conformance::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGBOX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Each connection, RocksDB file and client the conformance runner starts is a descriptor:
    // take all the hard limit allows (a soft limit of 256 or 1024 is common), instead of
    // running out under a few hundred connections.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "could not raise the open-file limit");
    }
    let result = match cli.command {
        Command::Up(args) => cmd::up::run(args),
        Command::Token(args) => cmd::token::run(args),
        Command::Env(args) => cmd::env::run(args),
        Command::Fsck(args) => cmd::fsck::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Sign(args) => cmd::sign::run(args),
        Command::Rotate(args) => cmd::rotate::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Conformance(args) => cmd::conformance::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain, outermost first (`verify` refusals name their reason).
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
