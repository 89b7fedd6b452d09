//! sigstore-rust (the `sigstore-sign` and `sigstore-verify` crates, 0.15.1), through our CLI over
//! them in `tools/sigstore-rust` (its own workspace, built by `tools/install`).

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::{CliProtocol, Client, Outcome, SignRequest, VerifyRequest};

/// sigstore-rust's crates, driven through `tools/sigstore-rust`'s binary: the
/// sigstore-conformance protocol, plus sigbox's TUF flags on `verify-bundle` (the crates'
/// `TufConfig::custom` takes a mirror URL, a trusted `root.json` and a cache directory).
#[derive(Debug, Clone)]
pub struct SigstoreRust(CliProtocol);

impl SigstoreRust {
    /// The column's name.
    pub const NAME: &str = "sigstore-rust";

    /// Drives the binary at `program`.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self(CliProtocol::new(Self::NAME, program).with_tuf_flags())
    }

    /// Where `tools/install` builds the binary, under `tools_dir` (`$SIGBOX_TOOLS`).
    pub fn binary(tools_dir: &Path) -> PathBuf {
        tools_dir.join("sigstore-rust-target/release/sigstore-rust-conformance")
    }

    /// The binary `tools/install` built; an error when it is not there.
    pub fn installed(tools_dir: &Path) -> anyhow::Result<Self> {
        let bin = Self::binary(tools_dir);
        if !bin.exists() {
            bail!(
                "sigstore-rust: no {} (run `tools/install`, or set SIGBOX_TOOLS)",
                bin.display()
            );
        }
        Ok(Self::new(bin))
    }
}

impl Client for SigstoreRust {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        self.0.sign(req)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        self.0.verify(req)
    }

    fn no_tuf(&self) -> Option<&str> {
        self.0.no_tuf()
    }

    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        self.0.verify_via_tuf(req, cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_is_found_where_tools_install_builds_it_and_verifies_through_tuf() {
        let bin = SigstoreRust::binary(Path::new("/tools"));
        assert_eq!(
            bin,
            Path::new("/tools/sigstore-rust-target/release/sigstore-rust-conformance")
        );
        let missing = SigstoreRust::installed(Path::new("/nonexistent")).unwrap_err();
        assert!(missing.to_string().contains("tools/install"), "{missing}");
        let client = SigstoreRust::new(bin);
        assert_eq!(client.name(), "sigstore-rust");
        assert!(client.verify_only().is_none());
        assert!(client.no_tuf().is_none());
    }
}
