//! `sigbox export`: the files each client needs to point at a running stack, and the command
//! lines that use them (the ones the conformance adapters run; `sigbox/tests/it/export.rs`
//! runs them as printed).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

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
    // What the stack serves under `/trust/`.
    for name in stack::tuf::CLIENT_FILES {
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
    // gitsign takes no trusted root: the Fulcio CAs and the current CT log and Rekor keys as
    // PEM files, the ones the conformance matrix gives it.
    conformance::GitsignTrust::write(&args.out.join("trusted_root.json"), false, &args.out)?;
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
# cosign 3.x and 2.6 (the conformance matrix runs these): blobs, with the trusted root and the
# signing config. cosign takes a raw --identity-token only when it is RS256 and reads it as a
# file otherwise; the fake issuer signs ES256, so the token goes in a file (no newline).
printf %s \"$TOKEN\" > {d}/token.jwt
cosign sign-blob --yes --identity-token {d}/token.jwt --signing-config {d}/signing_config.v0.2.json \\
    --trusted-root {d}/trusted_root.json --bundle FILE.sigstore.json FILE
cosign verify-blob --trusted-root {d}/trusted_root.json --bundle FILE.sigstore.json \\
    --certificate-identity alice@example.com --certificate-oidc-issuer {url} FILE
# (attest-blob --statement STATEMENT.json and verify-blob-attestation --type PREDICATE_TYPE
# take the same flags; cosign 2.6 verifying a Rekor v2 bundle needs --use-signed-timestamps.)
# ... or with trust through the stack's TUF repository alone (cosign 3 reads the signing config
# there too); `cosign initialize` empties TUF_ROOT first, so give it a directory of its own:
export TUF_ROOT=\"$(mktemp -d)\"
cosign initialize --mirror {url}/tuf --root {d}/root.json
cosign sign-blob --yes --identity-token {d}/token.jwt --bundle FILE.sigstore.json FILE
cosign verify-blob --bundle FILE.sigstore.json --certificate-identity alice@example.com \\
    --certificate-oidc-issuer {url} FILE
# ... and container images, trust through TUF as above (an HTTP registry on 127.0.0.1, such as
# `crane registry serve --address 127.0.0.1:0`, needs no extra flag):
cosign sign --yes --identity-token {d}/token.jwt REGISTRY/REPO@sha256:DIGEST
cosign verify --certificate-identity alice@example.com --certificate-oidc-issuer {url} \\
    REGISTRY/REPO@sha256:DIGEST
cosign attest --yes --identity-token {d}/token.jwt --predicate PREDICATE.json \\
    --type https://slsa.dev/provenance/v1 REGISTRY/REPO@sha256:DIGEST
cosign verify-attestation --type https://slsa.dev/provenance/v1 \\
    --certificate-identity alice@example.com --certificate-oidc-issuer {url} REGISTRY/REPO@sha256:DIGEST
#
# sigstore-go: its conformance CLI (github.com/sigstore/sigstore-go/test/conformance, binary
# `conformance`; --in-toto signs a statement) ...
conformance sign-bundle --identity-token \"$TOKEN\" --bundle FILE.sigstore.json \\
    --signing-config {d}/signing_config.v0.2.json --trusted-root {d}/trusted_root.json FILE
conformance verify-bundle --bundle FILE.sigstore.json --certificate-identity alice@example.com \\
    --certificate-oidc-issuer {url} --trusted-root {d}/trusted_root.json FILE
# ... and its TUF example (examples/sigstore-go-verification; flags before the bundle; it keeps
# its TUF cache in $HOME/.sigstore/root):
sigstore-go-verification -tufRootURL {url}/tuf -tufTrustedRoot {d}/root.json \\
    -expectedIssuer {url} -expectedSAN alice@example.com -artifact FILE FILE.sigstore.json
#
# gitsign (0.17): signs a commit in the current repository; its trust from the PEM files
# written here (it reads no trusted root), the Rekor entry kept in the commit (offline mode).
export GITSIGN_FULCIO_URL={url} GITSIGN_REKOR_URL={url} GITSIGN_OIDC_ISSUER={url} \\
    GITSIGN_REKOR_MODE=offline GITSIGN_TOKEN_PROVIDER=envvar SIGSTORE_ID_TOKEN=\"$TOKEN\" \\
    SIGSTORE_ROOT_FILE={d}/fulcio.pem SIGSTORE_CT_LOG_PUBLIC_KEY_FILE={d}/ctfe.pub \\
    SIGSTORE_REKOR_PUBLIC_KEY={d}/rekor.pub
git -c gpg.format=x509 -c gpg.x509.program=gitsign commit -S --allow-empty -m \"signed by gitsign\"
gitsign verify --certificate-identity alice@example.com --certificate-oidc-issuer {url} HEAD
"
    )
}
