//! `sigbox verify` (alias `verify-bundle`, the sigstore-conformance protocol): checks a bundle
//! against a trusted root and an identity or a key. Exit 0 only when it verifies; otherwise one
//! line naming the reason.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use client::{Artifact, Bundle, Pattern, Policy, TrustedRoot, Verifier};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The bundle to check.
    #[arg(long)]
    bundle: PathBuf,
    /// A PEM public key the bundle must be signed with (instead of an identity).
    #[arg(long, conflicts_with_all = [
        "certificate_identity", "certificate_oidc_issuer",
        "certificate_identity_regexp", "certificate_oidc_issuer_regexp",
    ])]
    key: Option<PathBuf>,
    /// The exact certificate identity (email or URI SAN).
    #[arg(long, conflicts_with = "certificate_identity_regexp")]
    certificate_identity: Option<String>,
    /// A regular expression the certificate identity must match (unanchored, as cosign's).
    #[arg(long)]
    certificate_identity_regexp: Option<String>,
    /// The exact OIDC issuer of the certificate.
    #[arg(long, conflicts_with = "certificate_oidc_issuer_regexp")]
    certificate_oidc_issuer: Option<String>,
    /// A regular expression the OIDC issuer must match (unanchored).
    #[arg(long)]
    certificate_oidc_issuer_regexp: Option<String>,
    /// `trusted_root.json` (default: the public-good instance's, shipped with sigbox, as every
    /// Sigstore client defaults; --stack for the running stack's).
    #[arg(long, conflicts_with_all = ["tuf_url", "stack", "url"])]
    trusted_root: Option<PathBuf>,
    /// Get the trusted root through this TUF repository (with --tuf-root).
    #[arg(long, requires = "tuf_root")]
    tuf_url: Option<String>,
    /// The TUF `root.json` to start from.
    #[arg(long)]
    tuf_root: Option<PathBuf>,
    /// Where TUF metadata is kept between runs (rollback protection).
    #[arg(long)]
    tuf_cache: Option<PathBuf>,
    /// Trust the running stack's trusted root, from the stack at --url or the one whose
    /// `<state>/ready.json` names it.
    #[arg(long, conflicts_with = "tuf_url")]
    stack: bool,
    /// The running stack's URL (implies --stack). Not read from SIGBOX_URL: a variable left in
    /// a shell must not change what a verification trusts.
    #[arg(long, conflicts_with = "tuf_url")]
    url: Option<String>,
    /// State directory of the running stack, to find its URL (with --stack).
    #[arg(long, env = "SIGBOX_STATE", default_value = ".sigbox")]
    state: PathBuf,
    /// The artifact: a file, or `sha256:<hex>` when no such file exists.
    file_or_digest: String,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let root = match (&args.trusted_root, &args.tuf_url, &args.tuf_root) {
        (Some(path), _, _) => TrustedRoot::from_json(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )?,
        (None, Some(mirror), Some(root)) => TrustedRoot::from_json(
            &crate::cmd::tuf_trust(mirror, root, args.tuf_cache.as_deref())?.trusted_root,
        )?,
        _ if args.stack || args.url.is_some() => {
            let url = match &args.url {
                Some(url) => url.trim_end_matches('/').to_owned(),
                None => crate::cmd::ready_url(&args.state)?,
            };
            let url = format!("{url}/trust/trusted_root.json");
            TrustedRoot::from_json(
                &reqwest::blocking::get(&url)
                    .and_then(reqwest::blocking::Response::error_for_status)
                    .and_then(|r| r.bytes())
                    .with_context(|| format!("fetching {url}"))?,
            )?
        }
        _ => TrustedRoot::public_good(),
    };
    let public_good =
        args.trusted_root.is_none() && args.tuf_url.is_none() && !args.stack && args.url.is_none();
    let bundle_bytes = std::fs::read(&args.bundle)
        .with_context(|| format!("reading {}", args.bundle.display()))?;
    let bundle = Bundle::from_json(&bundle_bytes)?;
    let pattern = |exact: &Option<String>, regex: &Option<String>| match (exact, regex) {
        (Some(e), _) => Some(Pattern::Exact(e.clone())),
        (None, Some(r)) => Some(Pattern::Regex(r.clone())),
        (None, None) => None,
    };
    let san = pattern(
        &args.certificate_identity,
        &args.certificate_identity_regexp,
    );
    let issuer = pattern(
        &args.certificate_oidc_issuer,
        &args.certificate_oidc_issuer_regexp,
    );
    let policy = match (&args.key, san, issuer) {
        (Some(key), _, _) => Policy::Key(
            std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?,
        ),
        (None, Some(san), Some(issuer)) => Policy::IdentityMatching { san, issuer },
        _ => bail!(
            "give --key, or a certificate identity and an OIDC issuer \
             (--certificate-identity[-regexp], --certificate-oidc-issuer[-regexp])"
        ),
    };
    let data;
    let artifact = if Path::new(&args.file_or_digest).exists() {
        data = std::fs::read(&args.file_or_digest)
            .with_context(|| format!("reading {}", args.file_or_digest))?;
        Artifact::Bytes(&data)
    } else if let Some(hex) = args.file_or_digest.strip_prefix("sha256:") {
        let digest: [u8; 32] = hex::decode(hex)
            .ok()
            .and_then(|d| d.try_into().ok())
            .context("sha256: wants 64 hex digits")?;
        Artifact::Digest(digest)
    } else {
        bail!("{} is neither a file nor sha256:<hex>", args.file_or_digest);
    };
    // The client's own clock, as any verifier's.
    let verifier = Verifier::new_at(root, stack::clock::Clock::system().now());
    let verified = verifier.verify(&bundle, artifact, &policy).map_err(|e| {
        if public_good {
            anyhow::anyhow!(
                "{e} (checked against the public-good trusted root; --stack trusts the running \
                 sigbox stack instead)"
            )
        } else {
            e.into()
        }
    })?;
    let who = match (&verified.san, &verified.issuer) {
        (Some(san), Some(issuer)) => format!("{san} ({issuer})"),
        _ => "the given key".to_owned(),
    };
    eprintln!(
        "OK: {} signed by {who}, log index {}",
        args.bundle.display(),
        verified.log_index
    );
    Ok(())
}
