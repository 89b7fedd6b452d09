//! sigstore-go: its conformance CLI, and its verification example for TUF.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{CliProtocol, Client, Outcome, SignRequest, VerifyRequest, run};

/// sigstore-go (`github.com/sigstore/sigstore-go`, both binaries from its main module at one
/// pinned version): signing and verifying through its sigstore-conformance CLI
/// (`test/conformance`: `sign-bundle [--in-toto]`, `verify-bundle`, with `--signing-config`
/// and `--trusted-root`), and through TUF with its verification example
/// (`examples/sigstore-go-verification`), whose `-tufRootURL` and `-tufTrustedRoot` the
/// conformance CLI lacks (it knows only the public-good and staging repositories).
#[derive(Debug, Clone)]
pub struct SigstoreGo {
    cli: CliProtocol,
    verification: PathBuf,
}

impl SigstoreGo {
    /// The conformance CLI at `conformance`, the verification example at `verification`.
    pub fn new(conformance: impl Into<PathBuf>, verification: impl Into<PathBuf>) -> Self {
        Self {
            cli: CliProtocol::new("sigstore-go", conformance),
            verification: verification.into(),
        }
    }

    /// The verification example over `req`, its trusted root fetched through TUF from
    /// `req.tuf_url` starting at `req.tuf_root`. It caches TUF metadata under
    /// `$HOME/.sigstore/root/<url>` (no flag for it): `HOME` is `cache`. Its TUF client's
    /// cache validity is 0 days, so it refreshes the metadata on every run.
    fn tuf_command(&self, req: &VerifyRequest, cache: &Path) -> Command {
        let mut cmd = Command::new(&self.verification);
        cmd.env("HOME", cache)
            .args(["-tufRootURL", &req.tuf_url])
            .arg("-tufTrustedRoot")
            .arg(&req.tuf_root)
            .args(["-expectedIssuer", &req.issuer])
            .args(["-expectedSAN", &req.identity])
            .arg("-artifact")
            .arg(&req.artifact)
            // Go's flag package stops at the first argument that is not a flag: last.
            .arg(&req.bundle);
        cmd
    }
}

impl Client for SigstoreGo {
    fn name(&self) -> &str {
        self.cli.name()
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        self.cli.sign(req)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        self.cli.verify(req)
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        run(self.tuf_command(req, cache))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::testing::{args, env, request};

    #[test]
    fn sigstore_go_verifies_through_tuf_with_its_home_in_the_cache() {
        let go = SigstoreGo::new("/bin/conformance", "/bin/sigstore-go-verification");
        let cmd = go.tuf_command(&request(), Path::new("/cache"));
        assert_eq!(cmd.get_program(), "/bin/sigstore-go-verification");
        assert_eq!(
            args(&cmd),
            [
                "-tufRootURL",
                "http://127.0.0.1:1/tuf",
                "-tufTrustedRoot",
                "/root.json",
                "-expectedIssuer",
                "http://127.0.0.1:1",
                "-expectedSAN",
                "alice@example.com",
                "-artifact",
                "/a.txt",
                "/b.json",
            ]
        );
        assert_eq!(env(&cmd, "HOME"), Some(PathBuf::from("/cache")));
        assert!(go.no_tuf().is_none());
        assert_eq!(go.name(), "sigstore-go");
    }
}
