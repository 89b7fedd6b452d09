//! Any CLI speaking the sigstore-conformance protocol, sigbox's own among them.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Client, Outcome, SignKind, SignRequest, VerifyRequest, run};

/// A CLI speaking the sigstore-conformance protocol (`sign-bundle` / `verify-bundle`), as
/// `sigbox` does.
#[derive(Debug, Clone)]
pub struct CliProtocol {
    name: String,
    program: PathBuf,
    tuf_flags: bool,
}

/// Where a `verify-bundle` command line gets its trusted root.
enum TrustArgs<'a> {
    /// `--trusted-root FILE` (the protocol's).
    File(&'a Path),
    /// `--tuf-url URL --tuf-root ROOT --tuf-cache DIR` (sigbox's own flags, not the protocol's).
    Tuf(&'a Path),
}

impl CliProtocol {
    /// `program`, reported as `name`.
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            program: program.into(),
            tuf_flags: false,
        }
    }

    /// Its `verify-bundle` also takes sigbox's `--tuf-url`, `--tuf-root` and `--tuf-cache`
    /// (the protocol has no TUF flags), so its TUF cases run.
    pub fn with_tuf_flags(mut self) -> Self {
        self.tuf_flags = true;
        self
    }

    fn verify_command(&self, req: &VerifyRequest, trust: TrustArgs<'_>) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg("verify-bundle")
            .arg("--bundle")
            .arg(&req.bundle)
            .args(["--certificate-identity", &req.identity])
            .args(["--certificate-oidc-issuer", &req.issuer]);
        match trust {
            TrustArgs::File(root) => cmd.arg("--trusted-root").arg(root),
            TrustArgs::Tuf(cache) => cmd
                .args(["--tuf-url", &req.tuf_url])
                .arg("--tuf-root")
                .arg(&req.tuf_root)
                .arg("--tuf-cache")
                .arg(cache),
        };
        cmd.arg(&req.artifact);
        cmd
    }
}

impl Client for CliProtocol {
    fn name(&self) -> &str {
        &self.name
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        let mut cmd = Command::new(&self.program);
        cmd.arg("sign-bundle");
        let file = match &req.kind {
            SignKind::Message => &req.artifact,
            SignKind::InToto { statement, .. } => {
                cmd.arg("--in-toto");
                statement
            }
        };
        cmd.args(["--identity-token", &req.token])
            .arg("--bundle")
            .arg(&req.bundle)
            .arg("--signing-config")
            .arg(&req.signing_config)
            .arg("--trusted-root")
            .arg(&req.trusted_root)
            .arg(file);
        run(cmd)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        run(self.verify_command(req, TrustArgs::File(&req.trusted_root)))
    }

    fn no_tuf(&self) -> Option<&str> {
        (!self.tuf_flags).then_some(
            "the sigstore-conformance CLI protocol has no TUF flags (only sigbox's verify-bundle \
             takes --tuf-url, --tuf-root and --tuf-cache)",
        )
    }

    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        run(self.verify_command(req, TrustArgs::Tuf(cache)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::testing::{args, request};

    #[test]
    fn sigbox_verify_bundle_takes_its_tuf_flags_instead_of_the_trusted_root() {
        let req = request();
        let cli = CliProtocol::new("sigbox", "/bin/sigbox").with_tuf_flags();
        let common = [
            "verify-bundle",
            "--bundle",
            "/b.json",
            "--certificate-identity",
            "alice@example.com",
            "--certificate-oidc-issuer",
            "http://127.0.0.1:1",
        ];
        let tuf = cli.verify_command(&req, TrustArgs::Tuf(Path::new("/cache")));
        let mut want = common.to_vec();
        want.extend([
            "--tuf-url",
            "http://127.0.0.1:1/tuf",
            "--tuf-root",
            "/root.json",
            "--tuf-cache",
            "/cache",
            "/a.txt",
        ]);
        assert_eq!(args(&tuf), want);
        let file = cli.verify_command(&req, TrustArgs::File(&req.trusted_root));
        let mut want = common.to_vec();
        want.extend(["--trusted-root", "/trusted_root.json", "/a.txt"]);
        assert_eq!(args(&file), want);
    }
}
