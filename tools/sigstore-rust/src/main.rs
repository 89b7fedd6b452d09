//! The sigstore-conformance CLI protocol over the published sigstore-rust crates:
//!
//! ```text
//! sign-bundle [--in-toto] --identity-token T --bundle OUT --signing-config F --trusted-root F FILE
//! verify-bundle --bundle F --certificate-identity I --certificate-oidc-issuer U
//!     (--trusted-root F | --tuf-url URL --tuf-root ROOT --tuf-cache DIR) FILE_OR_sha256:HEX
//! ```
//!
//! Each command is the crates' own flow: a `SigningContext` from the signing config, and a
//! `Verifier` over the trusted root (from the file, or fetched through their TUF client).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use sigstore_oidc::IdentityToken;
use sigstore_sign::{SigningContext, SigningServices};
use sigstore_trust_root::tuf::{TufBootstrap, TufConfig};
use sigstore_trust_root::{SigningConfig, TrustedRoot};
use sigstore_types::{Artifact, ArtifactDigest, Bundle, Sha256Hash};
use sigstore_verify::{VerificationPolicy, Verifier};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Flags taking a value, the boolean `--in-toto`, one positional argument.
struct Args {
    values: HashMap<String, String>,
    in_toto: bool,
    file: String,
}

impl Args {
    fn parse(args: &[String]) -> Result<Self> {
        let (mut values, mut in_toto, mut file) = (HashMap::new(), false, None);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--in-toto" {
                in_toto = true;
            } else if let Some(name) = arg.strip_prefix("--") {
                let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
                values.insert(name.to_owned(), value.clone());
            } else if file.replace(arg.clone()).is_some() {
                return Err(format!("more than one file: {arg}").into());
            }
        }
        let file = file.ok_or("no file to sign or verify")?;
        Ok(Self {
            values,
            in_toto,
            file,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn need(&self, name: &str) -> Result<&str> {
        self.get(name)
            .ok_or_else(|| format!("missing --{name}").into())
    }
}

async fn sign_bundle(args: &Args) -> Result<()> {
    // The trusted root is the protocol's, but the crates' signer takes none: it does not
    // check what Fulcio and Rekor return (the verifier does).
    let config = SigningConfig::from_file(args.need("signing-config")?)?;
    // Picks the highest Rekor API version the config offers (v2 when it lists one).
    let services = SigningServices::from_signing_config(&config)?;
    let token = IdentityToken::from_jwt(args.need("identity-token")?)?;
    let signer = SigningContext::new(services).signer(token);
    let input = std::fs::read(&args.file)?;
    let bundle = if args.in_toto {
        signer.sign_raw_statement(&input).await?
    } else {
        signer.sign(input.as_slice()).await?
    };
    std::fs::write(args.need("bundle")?, bundle.to_json_pretty()?)?;
    Ok(())
}

async fn trusted_root(args: &Args) -> Result<TrustedRoot> {
    if let Some(path) = args.get("trusted-root") {
        return Ok(TrustedRoot::from_file(path)?);
    }
    let root = std::fs::read(args.need("tuf-root")?)?;
    let config = TufConfig::custom(args.need("tuf-url")?, TufBootstrap::trusted(root))
        .with_cache_dir(PathBuf::from(args.need("tuf-cache")?));
    Ok(TrustedRoot::from_tuf(config).await?)
}

async fn verify_bundle(args: &Args) -> Result<()> {
    let root = trusted_root(args).await?;
    let bundle = Bundle::from_json(&std::fs::read_to_string(args.need("bundle")?)?)?;
    let policy = VerificationPolicy::any_identity()
        .require_identity(args.need("certificate-identity")?)
        .require_issuer(args.need("certificate-oidc-issuer")?);
    let verifier = Verifier::new(&root)?;
    let result = match args.file.strip_prefix("sha256:") {
        Some(hex) => {
            let digest = ArtifactDigest::from(Sha256Hash::from_hex(hex)?);
            verifier.verify(Artifact::from(digest), &bundle, &policy)?
        }
        None => verifier.verify(&std::fs::read(&args.file)?, &bundle, &policy)?,
    };
    println!(
        "OK: {} from {}",
        result
            .identity()
            .map_or_else(String::new, |i| i.to_string()),
        result.issuer().unwrap_or_default()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match argv.split_first() {
        Some((command, rest)) => match Args::parse(rest) {
            Ok(args) => match command.as_str() {
                "sign-bundle" => sign_bundle(&args).await,
                "verify-bundle" => verify_bundle(&args).await,
                other => Err(format!("unknown command {other:?}").into()),
            },
            Err(e) => Err(e),
        },
        None => Err("usage: sign-bundle ... | verify-bundle ...".into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
