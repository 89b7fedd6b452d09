//! `sigbox sign` (alias `sign-bundle`, the sigstore-conformance protocol): keyless signing of a
//! file or an in-toto statement into a bundle v0.3.

use std::path::PathBuf;

use anyhow::{Context, bail};
use client::sign::{Payload, Services, sign};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Sign FILE as an in-toto statement (DSSE) instead of as a message.
    #[arg(long)]
    in_toto: bool,
    /// The OIDC identity token (default: one minted by the running stack's issuer).
    #[arg(long, env = "SIGSTORE_ID_TOKEN")]
    identity_token: Option<String>,
    /// Where to write the bundle.
    #[arg(long)]
    bundle: PathBuf,
    /// `signing_config.v0.2.json` naming Fulcio, Rekor and the TSA (default: the running
    /// stack's).
    #[arg(long)]
    signing_config: Option<PathBuf>,
    /// Accepted for the conformance protocol; verification is `sigbox verify`'s job.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// The stack's URL, when no signing config is given (default: from `<state>/ready.json`).
    #[arg(long, env = "SIGBOX_URL")]
    url: Option<String>,
    /// State directory of the running stack, to find its URL.
    #[arg(long, env = "SIGBOX_STATE", default_value = ".sigbox")]
    state: PathBuf,
    /// The file to sign.
    file: PathBuf,
}

fn stack_url(args: &Args) -> anyhow::Result<String> {
    match &args.url {
        Some(url) => Ok(url.trim_end_matches('/').to_owned()),
        None => crate::cmd::ready_url(&args.state),
    }
}

fn get(url: &str) -> anyhow::Result<Vec<u8>> {
    let resp = reqwest::blocking::get(url).with_context(|| format!("fetching {url}"))?;
    let status = resp.status();
    let body = resp.bytes().context("reading the answer")?;
    if !status.is_success() {
        bail!("{url} answered {status}");
    }
    Ok(body.to_vec())
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let config = match &args.signing_config {
        Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        None => get(&format!(
            "{}/trust/signing_config.v0.2.json",
            stack_url(&args)?
        ))?,
    };
    // The client's own clock: it picks the services valid now, as any client does.
    let now = stack::clock::Clock::system().now();
    let services = Services::from_signing_config(&config, now)?;
    let token = match &args.identity_token {
        Some(t) => t.trim().to_owned(),
        None => {
            let url = stack_url(&args)?;
            let body = reqwest::blocking::Client::new()
                .post(format!("{url}/token"))
                .json(&serde_json::json!({}))
                .send()
                .and_then(reqwest::blocking::Response::error_for_status)
                .with_context(|| format!("minting a token at {url}/token"))?
                .json::<serde_json::Value>()
                .context("reading the token")?;
            body["id_token"]
                .as_str()
                .context("the token answer has no id_token")?
                .to_owned()
        }
    };
    let data =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let payload = if args.in_toto {
        Payload::InToto(&data)
    } else {
        Payload::Message(&data)
    };
    let bundle = sign(&services, &token, payload)?;
    let text = serde_json::to_string_pretty(&bundle)? + "\n";
    std::fs::write(&args.bundle, text)
        .with_context(|| format!("writing {}", args.bundle.display()))?;
    eprintln!("bundle written to {}", args.bundle.display());
    Ok(())
}
