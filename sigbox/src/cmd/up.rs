//! `sigbox up`: run the stack until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use stack::{Clock, Stack};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Every key derives from this seed (not a secret: it is for testing).
    #[arg(long, env = "SIGBOX_SEED", default_value = stack::DEFAULT_SEED)]
    seed: String,
    /// Address to listen on; port 0 picks a free port. Loopback by default.
    #[arg(long, env = "SIGBOX_LISTEN", default_value = stack::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// State directory (logs, TUF repository, trust files).
    #[arg(
        long,
        env = "SIGBOX_STATE",
        default_value = ".sigbox",
        conflicts_with = "ephemeral"
    )]
    state: PathBuf,
    /// Keep state in a temporary directory, removed on exit.
    #[arg(long)]
    ephemeral: bool,
    /// `system`, or `frozen=<RFC 3339 time>` for reproducible output.
    #[arg(long, env = "SIGBOX_CLOCK", default_value = "system", value_parser = Clock::parse)]
    clock: Clock,
    /// Bearer token of /admin (default: derived from the seed). Required, and not the derived
    /// one, when --listen is not a loopback address.
    #[arg(long, env = "SIGBOX_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Print the ready object as one line of JSON instead of the human line.
    #[arg(long)]
    json: bool,
    /// Days TUF `timestamp.json` stays valid after it is signed.
    #[arg(long, default_value_t = 7, value_parser = tuf_days())]
    tuf_timestamp_days: i64,
    /// Days TUF `snapshot.json` stays valid.
    #[arg(long, default_value_t = 21, value_parser = tuf_days())]
    tuf_snapshot_days: i64,
    /// Days TUF `targets.json` stays valid.
    #[arg(long, default_value_t = 182, value_parser = tuf_days())]
    tuf_targets_days: i64,
    /// Days TUF `root.json` stays valid.
    #[arg(long, default_value_t = 365, value_parser = tuf_days())]
    tuf_root_days: i64,
    /// Send clients to the Rekor v2 log: list it (`majorApiVersion` 2) in the signing config.
    /// Without it clients sign to Rekor v1; the trusted root lists the v2 log either way.
    #[arg(long)]
    rekor_v2: bool,
    /// The base URL clients reach the stack at, when it is not the listener's own (behind a
    /// proxy or a port forward, or a fixed name such as `http://sigbox.test:8080`): it is the
    /// URL in the trust files, the token issuer and the checkpoint origins.
    #[arg(long, env = "SIGBOX_PUBLIC_URL")]
    public_url: Option<String>,
}

/// 1 to [`tuf_repo::Expiry::MAX_DAYS`] days: clap names the flag and the range when a value
/// is outside it.
fn tuf_days() -> clap::builder::RangedI64ValueParser<i64> {
    clap::value_parser!(i64).range(1..=tuf_repo::Expiry::MAX_DAYS)
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))
}

/// The shortest admin token taken for a listener beyond loopback.
const MIN_EXPOSED_TOKEN: usize = 16;

/// Beyond loopback, anyone who reaches the port could arm faults, move the clock and rotate
/// keys with the token derived from the seed: such a stack must be given a token of its own.
/// Refused rather than replaced by a random one, so the same flags always give the same
/// stack and the token is where the operator put it.
fn check_exposure(listen: SocketAddr, seed: &str, token: Option<&str>) -> anyhow::Result<()> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    let problem = match token {
        None => {
            "no --admin-token was given, so the admin token is derived from the seed".to_owned()
        }
        Some(t) if t == stack::derived_admin_token(seed) => {
            "--admin-token is the one derived from the seed".to_owned()
        }
        Some(t) if t.chars().count() < MIN_EXPOSED_TOKEN => format!(
            "--admin-token has {} characters, fewer than {MIN_EXPOSED_TOKEN}",
            t.chars().count()
        ),
        Some(_) => {
            tracing::warn!(
                %listen,
                "listening beyond loopback: sigbox is a TEST stack whose keys anyone can derive"
            );
            return Ok(());
        }
    };
    anyhow::bail!(
        "refusing to listen on {listen}, which is not loopback: {problem}, and anyone who can \
         reach the port could then arm faults, set the clock and rotate keys. Pass a secret \
         admin token of at least {MIN_EXPOSED_TOKEN} characters, e.g. \
         `--admin-token \"$(openssl rand -hex 16)\"` (or SIGBOX_ADMIN_TOKEN)"
    )
}

async fn serve(args: Args) -> anyhow::Result<()> {
    check_exposure(args.listen, &args.seed, args.admin_token.as_deref())?;
    let mut builder = Stack::builder()
        .seed(&args.seed)
        .listen(args.listen)
        .clock(args.clock)
        .rekor_v2_signing(args.rekor_v2)
        .tuf_expiry(tuf_repo::Expiry {
            root: time::Duration::days(args.tuf_root_days),
            targets: time::Duration::days(args.tuf_targets_days),
            snapshot: time::Duration::days(args.tuf_snapshot_days),
            timestamp: time::Duration::days(args.tuf_timestamp_days),
        });
    if !args.ephemeral {
        builder = builder.state_dir(&args.state);
    }
    if let Some(token) = args.admin_token {
        builder = builder.admin_token(token);
    }
    if let Some(url) = args.public_url {
        builder = builder.public_url(url);
    }
    // Handlers go in before the ready line: a supervisor that signals as soon
    // as it reads it must get a clean shutdown, not the default SIGINT death.
    let signals = Signals::install()?;
    let stack = builder.start().await?;
    let ready = stack.ready();
    {
        let mut out = std::io::stdout().lock();
        if args.json {
            serde_json::to_writer(&mut out, &ready)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "sigbox ready  url={}  state={}  seed={}  (TEST ONLY: keys derive from the seed)",
                ready.url,
                ready.state_dir.display(),
                ready.seed
            )?;
            writeln!(out, "admin token: {}", ready.admin_token)?;
            let files = &ready.trust_files;
            writeln!(
                out,
                "trusted root: {}  signing config: {}\ntrust config: {}  TUF root: {}",
                files.trusted_root.display(),
                files.signing_config.display(),
                files.trust_config.display(),
                files.tuf_root.display()
            )?;
        }
        out.flush()?;
    }
    signals.wait().await;
    stack.shutdown().await
}

/// SIGINT and SIGTERM, both meaning "shut down cleanly".
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}
