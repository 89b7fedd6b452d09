//! The sigstore-conformance `verify-bundle` command over sigstore-rs 0.15 (verify only):
//!
//! ```text
//! verify-bundle --bundle F --certificate-identity I --certificate-oidc-issuer U
//!     --trusted-root F FILE
//! ```
//!
//! It does not sign: sigstore-rs 0.15's `SigningContext` comes from `production()` (the
//! public-good services, fixed) or from `new(fulcio, rekor, ctfe_keyring)`, whose keyring type is
//! crate-private (sigstore/sigstore-rs#562), so it cannot be pointed at a private stack.

use std::collections::HashMap;
use std::process::ExitCode;

use sha2::{Digest, Sha256};
use sigstore::bundle::Bundle;
use sigstore::bundle::verify::blocking::Verifier;
use sigstore::bundle::verify::{ArtifactDigest, policy::Identity};
use sigstore::trust::sigstore::SigstoreTrustRoot;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// `--name value` pairs and one positional argument.
fn parse(args: &[String]) -> Result<(HashMap<&str, &str>, &str)> {
    let (mut values, mut file) = (HashMap::new(), None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if let Some(name) = arg.strip_prefix("--") {
            let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
            values.insert(name, value.as_str());
        } else if file.replace(arg.as_str()).is_some() {
            return Err(format!("more than one file: {arg}").into());
        }
    }
    Ok((values, file.ok_or("no file to verify")?))
}

fn verify_bundle(args: &[String]) -> Result<()> {
    let (values, file) = parse(args)?;
    let need = |name: &str| {
        values
            .get(name)
            .copied()
            .ok_or_else(|| format!("missing --{name}"))
    };
    let root =
        SigstoreTrustRoot::from_trusted_root_json_unchecked(&std::fs::read(need("trusted-root")?)?)
            .map_err(|e| format!("trusted root: {e}"))?;
    let bundle: Bundle = serde_json::from_slice(&std::fs::read(need("bundle")?)?)
        .map_err(|e| format!("bundle: {e}"))?;
    let digest: [u8; 32] = Sha256::digest(std::fs::read(file)?).into();
    let policy = Identity::new(
        need("certificate-identity")?,
        need("certificate-oidc-issuer")?,
    );
    let verifier = Verifier::new(Default::default(), root).map_err(|e| format!("verifier: {e}"))?;
    verifier
        .verify_digest_with(ArtifactDigest::Sha256(digest), bundle, &policy, true)
        .map_err(|e| format!("{e:?}"))?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("verify-bundle") => verify_bundle(&args[1..]),
        Some(other) => Err(format!("unknown command {other:?} (verify-bundle only)").into()),
        None => Err("usage: sigstore-rs-conformance verify-bundle ...".into()),
    };
    match result {
        Ok(()) => {
            println!("OK");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
