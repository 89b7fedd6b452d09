//! `sigbox rotate KIND [--same-subject | --legacy-key-ids] [--retire]`: a new key generation for
//! one service of the running stack (through `/admin/rotate`), the old one's span ended now (or,
//! with `--retire`, dropped from the trusted root); the TUF repository publishes the new trust
//! root.

use std::path::PathBuf;

use anyhow::{Context, bail};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// What to rotate: fulcio, ctlog, rekor (a new shard), tsa, oidc or tuf-root.
    kind: String,
    /// fulcio: the new intermediate keeps the old one's subject name and root (two
    /// intermediates with one name, as staging had in July 2026).
    #[arg(long, conflicts_with = "legacy_key_ids")]
    same_subject: bool,
    /// tuf-root: the new root's key IDs computed the legacy way (not the hash of the key as
    /// published), which tough-based clients refuse.
    #[arg(long)]
    legacy_key_ids: bool,
    /// fulcio, ctlog, rekor or tsa: drop every older generation from the trusted root, so what
    /// they signed no longer verifies.
    #[arg(long)]
    retire: bool,
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
        .json(&serde_json::json!({
            "service": kind.as_str(),
            "same_subject": args.same_subject,
            "legacy_key_ids": args.legacy_key_ids,
            "retire": args.retire,
        }))
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
