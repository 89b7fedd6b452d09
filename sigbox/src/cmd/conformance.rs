//! `sigbox conformance`: the client conformance matrix against a stack started here.

use std::path::PathBuf;

use anyhow::{Context, bail};
use conformance::{ALL_CLIENTS, Config, Expectations, Tools, client_from_spec};
use stack::generations::Rotation;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A client under test: sigbox, sigstore-python, sigstore-js, sigstore-rs (verifies only),
    /// cosign-v3, cosign-v2, sigstore-go, gitsign (signs git commits), sigstore-rust,
    /// sigstore-java (verifies only), sigbox-lib (the client library in this process), or
    /// cmd:PATH (a CLI speaking the sigstore-conformance protocol). Repeat for several;
    /// default: all but sigbox-lib and cmd:, as `tools/install` installs them.
    #[arg(long = "client", value_name = "CLIENT")]
    clients: Vec<String>,
    /// Write the matrix as Markdown here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// The known client gaps (default: the ones built in, conformance/expectations.json).
    #[arg(long)]
    expectations: Option<PathBuf>,
    /// Rotations to run, in order (default: every kind, then the trust-shape ones): a kind, or
    /// one with a shape (`fulcio-same-subject`, `tuf-root-legacy-key-ids`, `fulcio-retire`,
    /// `rekor-retire`, ...); `none` for none.
    #[arg(long = "rotate", value_name = "ROTATION")]
    rotations: Vec<String>,
    /// Where `.venv` and `tools/js` are (the workspace).
    #[arg(long, default_value = ".")]
    workspace: PathBuf,
    /// No progress bar on stderr.
    #[arg(long)]
    quiet: bool,
    /// Offer Rekor v2 (the tile-based log) in the signing config, so the clients sign there;
    /// the default expectations become conformance/expectations-rekor-v2.json.
    #[arg(long)]
    rekor_v2: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let tools = Tools::from_workspace(&args.workspace);
    let exe = std::env::current_exe().context("finding the sigbox binary")?;
    let specs = if args.clients.is_empty() {
        ALL_CLIENTS.map(str::to_owned).to_vec()
    } else {
        args.clients.clone()
    };
    let clients = specs
        .iter()
        .map(|s| client_from_spec(s, &tools, Some(&exe)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut config = Config::new(clients);
    if args.rekor_v2 {
        config = config.rekor_v2();
    }
    if let Some(path) = &args.expectations {
        config.expectations = Expectations::load(path)?;
    }
    if !args.rotations.is_empty() {
        config.rotations = if args.rotations == ["none"] {
            Vec::new()
        } else {
            args.rotations
                .iter()
                .map(|k| k.parse::<Rotation>().map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()?
        };
    }
    config.progress = !args.quiet;
    let report = conformance::run(&config)?;
    print!("{}", report.to_text());
    if let Some(path) = &args.report {
        std::fs::write(path, report.to_markdown())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report.to_junit())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let differences = report.totals().differences;
    if differences > 0 {
        bail!("{differences} result(s) differ from the expectations");
    }
    Ok(())
}
