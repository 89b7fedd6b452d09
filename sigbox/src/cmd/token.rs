//! `sigbox token`: an OIDC identity token from a running stack's fake issuer.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The stack's URL (default: read from `<state>/ready.json`).
    #[arg(long, env = "SIGBOX_URL")]
    url: Option<String>,
    /// State directory of the running stack, to find its URL.
    #[arg(long, env = "SIGBOX_STATE", default_value = ".sigbox")]
    state: PathBuf,
    /// Claim preset: email, github-actions, gitlab-ci, buildkite, kubernetes, spiffe.
    #[arg(long, default_value = "email")]
    preset: String,
    /// The email claim (email preset).
    #[arg(long)]
    email: Option<String>,
    /// The `sub` claim.
    #[arg(long)]
    subject: Option<String>,
    /// The `aud` claim (default `sigstore`).
    #[arg(long)]
    audience: Option<String>,
    /// Lifetime in seconds (negative or tiny values mint tokens that are already expired).
    #[arg(long, allow_hyphen_values = true)]
    lifetime: Option<i64>,
    /// `iat` as Unix seconds (default: the stack's clock), to mint stale tokens on purpose.
    #[arg(long, allow_hyphen_values = true)]
    issued_at: Option<i64>,
    /// Extra or overriding claims: `key=value` (a string) or `key:=<JSON>`; `key:=null` removes.
    #[arg(long = "claim", value_name = "KEY=VALUE")]
    claims: Vec<String>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let url = match args.url {
        Some(url) => url,
        None => crate::cmd::ready_url(&args.state)?,
    };
    let mut claims = Map::new();
    for claim in &args.claims {
        let (key, value) =
            fake_oidc::parse_claim_arg(claim).with_context(|| format!("--claim `{claim}`"))?;
        claims.insert(key, value);
    }
    let request = json!({
        "preset": args.preset,
        "email": args.email,
        "subject": args.subject,
        "audience": args.audience,
        "lifetime_secs": args.lifetime,
        "issued_at": args.issued_at,
        "claims": claims,
    });
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/token", url.trim_end_matches('/')))
        .json(&request)
        .send()
        .with_context(|| format!("asking {url}/token for a token (is `sigbox up` running?)"))?;
    let status = response.status();
    let body: Value = response.json().context("reading the token response")?;
    if !status.is_success() {
        bail!(
            "{url}/token answered {status}: {}",
            body.get("error_description")
                .or_else(|| body.get("message"))
                .unwrap_or(&body)
        );
    }
    let token = body["id_token"]
        .as_str()
        .context("the token response has no id_token")?;
    println!("{token}");
    Ok(())
}
