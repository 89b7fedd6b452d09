//! sigstore-rs (the `sigstore` crate, 0.15), verifying only, through our `verify-bundle` CLI over
//! it in `tools/sigstore-rs` (its own workspace, built by `tools/install`, so the test-only
//! client is not linked into the sigbox binary).

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::{CliProtocol, Client, Outcome, SignRequest, VerifyRequest};

/// sigstore-rs, driven through `tools/sigstore-rs`'s binary.
///
/// It does not sign: sigstore-rs 0.15's signing flow cannot be pointed at a private stack. A
/// `bundle::sign::SigningContext` comes from `production()` (the public-good Fulcio, Rekor and
/// TUF repository, fixed) or from `new(fulcio, rekor, ctfe_keyring)`, whose CT keyring type
/// (`crypto::keyring::Keyring`) is crate-private: nothing outside the crate can build one
/// (sigstore/sigstore-rs#562). Composing its lower-level Fulcio and Rekor clients by hand would
/// test our composition, not sigstore-rs's flow (which also checks the SCT before logging). So
/// it is [`Client::verify_only`].
#[derive(Debug, Clone)]
pub struct SigstoreRs(CliProtocol);

/// Why [`SigstoreRs`] does not sign.
const SIGSTORE_RS_CANNOT_SIGN: &str = "sigstore-rs 0.15 cannot sign against a private stack: \
    its SigningContext is built by production() (the public-good services) or by new(), whose CT \
    keyring argument (crypto::keyring::Keyring) is crate-private (sigstore/sigstore-rs#562)";

impl SigstoreRs {
    /// The column's name.
    pub const NAME: &str = "sigstore-rs";

    /// Drives the binary at `program`.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self(CliProtocol::new(Self::NAME, program))
    }

    /// Where `tools/install` builds the binary, under `tools_dir` (`$SIGBOX_TOOLS`); it shares
    /// sigstore-rust's target directory, and so most of its dependencies' builds.
    pub fn binary(tools_dir: &Path) -> PathBuf {
        tools_dir.join("sigstore-rust-target/release/sigstore-rs-conformance")
    }

    /// The binary `tools/install` built; an error when it is not there.
    pub fn installed(tools_dir: &Path) -> anyhow::Result<Self> {
        let bin = Self::binary(tools_dir);
        if !bin.exists() {
            bail!(
                "sigstore-rs: no {} (run `tools/install`, or set SIGBOX_TOOLS)",
                bin.display()
            );
        }
        Ok(Self::new(bin))
    }
}

impl Client for SigstoreRs {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn verify_only(&self) -> Option<&str> {
        Some(SIGSTORE_RS_CANNOT_SIGN)
    }

    fn sign(&self, _req: &SignRequest) -> Outcome {
        Outcome::error(SIGSTORE_RS_CANNOT_SIGN)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        self.0.verify(req)
    }

    fn no_tuf(&self) -> Option<&str> {
        Some(
            "sigstore-rs 0.15 cannot be pointed at another TUF repository: \
             SigstoreTrustRoot::new fetches from the public-good one only (its URL and root.json \
             are built in, and the constructor over a tough repository is private)",
        )
    }
}
