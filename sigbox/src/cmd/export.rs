//! `sigbox export`: the files each client needs to point at a running stack, and the command
//! lines that use them.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// What is written, as the stack serves it under `/trust/`.
const FILES: [&str; 4] = [
    "trusted_root.json",
    "signing_config.v0.2.json",
    "trust_config.json",
    "root.json",
];

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The stack's URL (default: read from `<state>/ready.json`).
    #[arg(long, env = "SIGBOX_URL")]
    url: Option<String>,
    /// State directory of the running stack, to find its URL.
    #[arg(long, env = "SIGBOX_STATE", default_value = ".sigbox")]
    state: PathBuf,
    /// Where to write the files.
    #[arg(long, default_value = "sigbox-trust")]
    out: PathBuf,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let url = match args.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => crate::cmd::ready_url(&args.state)?,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let http = reqwest::blocking::Client::new();
    for name in FILES {
        let response = http
            .get(format!("{url}/trust/{name}"))
            .send()
            .with_context(|| format!("fetching {url}/trust/{name} (is `sigbox up` running?)"))?;
        let status = response.status();
        let body = response.bytes().context("reading the response")?;
        if !status.is_success() {
            bail!(
                "{url}/trust/{name} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let path = args.out.join(name);
        std::fs::write(&path, &body).with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{}", usage(&url, &args.out));
    Ok(())
}

/// The command lines, ready to paste.
pub(crate) fn usage(url: &str, out: &Path) -> String {
    let dir = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    let d = dir.display();
    format!(
        "\
# sigbox trust material for {url} written to {d} (TEST ONLY: never trust it for real software)
#
# An identity token from the stack's fake issuer:
TOKEN=$(sigbox token --url {url})
#
# sigstore-python (4.x): the trust config holds the trusted root and the signing config.
python -m sigstore --trust-config {d}/trust_config.json sign --identity-token \"$TOKEN\" FILE
python -m sigstore --trust-config {d}/trust_config.json verify identity \\
    --cert-identity alice@example.com --cert-oidc-issuer {url} FILE
# ... or through the stack's TUF repository, bootstrapped with its first root:
python -m sigstore --instance {url}/tuf trust-instance {d}/root.json
python -m sigstore --instance {url}/tuf verify identity --cert-identity alice@example.com \\
    --cert-oidc-issuer {url} FILE
#
# sigstore-js (@sigstore/cli): attest signs an in-toto statement (DSSE); verify reads TUF.
CI=true SIGSTORE_ID_TOKEN=\"$TOKEN\" sigstore attest STATEMENT.json -o FILE.sigstore.json \\
    --fulcio-url {url} --rekor-url {url} --tsa-server-url {url}/api/v1/timestamp
sigstore verify FILE.sigstore.json --tuf-mirror-url {url}/tuf --tuf-root-path {d}/root.json \\
    --tuf-cache-path \"$(mktemp -d)\" --certificate-identity-email alice@example.com \\
    --certificate-issuer {url}
#
# cosign (2.6+ / 3.x; not exercised by our tests), with the trusted root and the signing config:
cosign sign-blob --yes --identity-token \"$TOKEN\" --signing-config {d}/signing_config.v0.2.json \\
    --trusted-root {d}/trusted_root.json --bundle FILE.sigstore.json FILE
cosign verify-blob --trusted-root {d}/trusted_root.json --bundle FILE.sigstore.json \\
    --certificate-identity alice@example.com --certificate-oidc-issuer {url} FILE
"
    )
}
