//! sigstore-rs (the `sigstore` crate), verifying only.

use sha2::{Digest, Sha256};

use super::{Client, Outcome, SignRequest, VerifyRequest};

/// sigstore-rs (the `sigstore` crate), verifying in this process against the trusted root
/// file.
///
/// It does not sign: sigstore-rs 0.15's signing flow cannot be pointed at a private stack. A
/// `bundle::sign::SigningContext` comes from `production()` (the public-good Fulcio, Rekor and
/// TUF repository, fixed) or from `new(fulcio, rekor, ctfe_keyring)`, whose CT keyring type
/// (`crypto::keyring::Keyring`) is crate-private: nothing outside the crate can build one
/// (sigstore/sigstore-rs#562). Composing its lower-level Fulcio and Rekor clients by hand would
/// test our composition, not sigstore-rs's flow (which also checks the SCT before logging). So
/// it is [`Client::verify_only`].
#[derive(Debug, Clone, Copy)]
pub struct SigstoreRs;

/// Why [`SigstoreRs`] does not sign.
const SIGSTORE_RS_CANNOT_SIGN: &str = "sigstore-rs 0.15 cannot sign against a private stack: \
    its SigningContext is built by production() (the public-good services) or by new(), whose CT \
    keyring argument (crypto::keyring::Keyring) is crate-private (sigstore/sigstore-rs#562)";

impl SigstoreRs {
    fn try_verify(req: &VerifyRequest) -> anyhow::Result<String> {
        use sigstore::bundle::Bundle;
        use sigstore::bundle::verify::blocking::Verifier;
        use sigstore::bundle::verify::{ArtifactDigest, policy::Identity};
        use sigstore::trust::sigstore::SigstoreTrustRoot;
        let root =
            SigstoreTrustRoot::from_trusted_root_json_unchecked(&std::fs::read(&req.trusted_root)?)
                .map_err(|e| anyhow::anyhow!("trusted root: {e}"))?;
        let bundle: Bundle = serde_json::from_slice(&std::fs::read(&req.bundle)?)
            .map_err(|e| anyhow::anyhow!("bundle: {e}"))?;
        let digest: [u8; 32] = Sha256::digest(std::fs::read(&req.artifact)?).into();
        let policy = Identity::new(req.identity.clone(), req.issuer.clone());
        // The blocking verifier runs its own runtime: keep it off any async worker.
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let verifier = Verifier::new(Default::default(), root)
                        .map_err(|e| anyhow::anyhow!("verifier: {e}"))?;
                    verifier
                        .verify_digest_with(ArtifactDigest::Sha256(digest), bundle, &policy, true)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))
                })
                .join()
                .map_err(|_| anyhow::anyhow!("sigstore-rs panicked"))?
        })?;
        Ok("OK".to_owned())
    }
}

impl Client for SigstoreRs {
    fn name(&self) -> &str {
        "sigstore-rs"
    }

    fn verify_only(&self) -> Option<&str> {
        Some(SIGSTORE_RS_CANNOT_SIGN)
    }

    fn sign(&self, _req: &SignRequest) -> Outcome {
        Outcome::error(SIGSTORE_RS_CANNOT_SIGN)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        match Self::try_verify(req) {
            Ok(output) => Outcome {
                passed: true,
                output,
            },
            Err(e) => Outcome::error(format!("error: {e:#}")),
        }
    }

    fn no_tuf(&self) -> Option<&str> {
        Some(
            "sigstore-rs 0.15 cannot be pointed at another TUF repository: \
             SigstoreTrustRoot::new fetches from the public-good one only (its URL and root.json \
             are built in, and the constructor over a tough repository is private)",
        )
    }
}
