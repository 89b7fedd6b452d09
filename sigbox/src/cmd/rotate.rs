//! `sigbox rotate KIND`: a new key generation for one service of the running stack (through
//! `/admin/rotate`), the old one retired now; the TUF repository publishes the new trust root.

use std::path::PathBuf;

use anyhow::{Context, bail};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// What to rotate: fulcio, ctlog, rekor (a new shard), tsa, oidc or tuf-root.
    kind: String,
    /// The stack's URL (default: read from `<state>/ready.json`).
    #[arg(long, env = "SIGBOX_URL")]
    url: Option<String>,
    /// The admin token (default: read from `<state>/ready.json`).
    #[arg(long, env = "SIGBOX_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// State directory of the running stack.
    #[arg(long, env = "SIGBOX_STATE", default_value = ".sigbox")]
    state: PathBuf,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let kind: stack::generations::Kind = args.kind.parse().map_err(anyhow::Error::msg)?;
    let (url, token) = match (args.url, args.admin_token) {
        (Some(url), Some(token)) => (url, token),
        (url, token) => {
            let ready = crate::cmd::ready(&args.state)?;
            (url.unwrap_or(ready.url), token.unwrap_or(ready.admin_token))
        }
    };
    let url = url.trim_end_matches('/');
    let response = reqwest::blocking::Client::new()
        .post(format!("{url}/admin/rotate"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "service": kind.as_str() }))
        .send()
        .with_context(|| format!("asking {url}/admin/rotate (is `sigbox up` running?)"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().context("reading the answer")?;
    if !status.is_success() {
        bail!(
            "{url}/admin/rotate answered {status}: {}",
            body.get("message").unwrap_or(&body)
        );
    }
    println!("{body}");
    Ok(())
}
