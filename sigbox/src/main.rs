//! `sigbox`: a whole Sigstore in one process, for testing.
//!
//! Every key it uses derives from a seed that is printed at start-up: nothing it signs means
//! anything outside a test.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sigbox",
    version,
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
    /// Print an OIDC identity token from the running stack's fake issuer.
    Token(cmd::token::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGBOX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Up(args) => cmd::up::run(args),
        Command::Token(args) => cmd::token::run(args),
        Command::Export(args) => cmd::export::run(args),
    }
}
