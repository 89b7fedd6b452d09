//! sigstore-python's CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Client, Outcome, SignKind, SignRequest, VerifyRequest, run};

/// sigstore-python's CLI (`python -m sigstore`), with the trust config, its caches and data
/// kept in the request's scratch directory; or, through TUF, with `--instance` and the XDG
/// directories in the runner's TUF cache.
#[derive(Debug, Clone)]
pub struct SigstorePython {
    /// The Python with `sigstore` installed.
    pub python: PathBuf,
}

/// Where sigstore-python gets its trust material.
enum Instance<'a> {
    /// `--trust-config FILE`.
    TrustConfig(&'a Path),
    /// `--instance URL`: the TUF repository at URL, trusted through the metadata kept in the
    /// XDG data directory (`trust-instance ROOT` puts the first root there).
    Tuf(&'a str),
}

impl SigstorePython {
    /// `python -m sigstore` with its trust from `instance`, its XDG cache and data directories
    /// (TUF metadata and targets) under `dirs`.
    fn command(&self, dirs: &Path, instance: Instance<'_>) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.args(["-m", "sigstore"]);
        match instance {
            Instance::TrustConfig(file) => cmd.arg("--trust-config").arg(file),
            Instance::Tuf(url) => cmd.args(["--instance", url]),
        };
        cmd.env("XDG_CACHE_HOME", dirs.join("cache"))
            .env("XDG_DATA_HOME", dirs.join("data"));
        cmd
    }

    /// `verify identity` of `req`'s bundle, trust from `instance`, directories under `dirs`.
    fn verify_command(&self, req: &VerifyRequest, dirs: &Path, instance: Instance<'_>) -> Command {
        let mut cmd = self.command(dirs, instance);
        cmd.args(["verify", "identity", "--bundle"])
            .arg(&req.bundle)
            .args(["--cert-identity", &req.identity])
            .args(["--cert-oidc-issuer", &req.issuer])
            .arg(&req.artifact);
        cmd
    }
}

impl Client for SigstorePython {
    fn name(&self) -> &str {
        "sigstore-python"
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        let mut cmd = self.command(&req.scratch, Instance::TrustConfig(&req.trust_config));
        match &req.kind {
            SignKind::Message => {
                cmd.arg("sign");
            }
            SignKind::InToto {
                predicate,
                predicate_type,
                ..
            } => {
                cmd.args(["attest", "--predicate"])
                    .arg(predicate)
                    .args(["--predicate-type", predicate_type]);
            }
        }
        cmd.args(["--identity-token", &req.token])
            .arg("--bundle")
            .arg(&req.bundle)
            .arg(&req.artifact);
        run(cmd)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        let trust = Instance::TrustConfig(&req.trust_config);
        run(self.verify_command(req, &req.scratch, trust))
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    /// As a user of another instance does: `trust-instance ROOT` once (the cache has no data
    /// directory yet), then `--instance URL verify identity`, which refreshes the TUF metadata
    /// from what the data directory holds before it verifies.
    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        let mut output = String::new();
        if !cache.join("data").exists() {
            let mut cmd = self.command(cache, Instance::Tuf(&req.tuf_url));
            cmd.arg("trust-instance").arg(&req.tuf_root);
            let trusted = run(cmd);
            if !trusted.passed {
                return Outcome {
                    passed: false,
                    output: format!("trust-instance failed:\n{}", trusted.output),
                };
            }
            output = trusted.output;
        }
        // `--verbose`: its one-line refusal ("Failed to refresh TUF metadata") hides why; the
        // traceback names the python-tuf exception, repeated last.
        let mut cmd = self.verify_command(req, cache, Instance::Tuf(&req.tuf_url));
        cmd.arg("--verbose");
        let verified = run(cmd);
        let why: Vec<&str> = verified
            .output
            .lines()
            .filter(|l| l.starts_with("tuf.api.exceptions."))
            .collect();
        let why = if why.is_empty() {
            String::new()
        } else {
            format!("\n{}", why.join("\n"))
        };
        Outcome {
            passed: verified.passed,
            output: output + &verified.output + &why,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::testing::{args, env, request};

    #[test]
    fn sigstore_python_uses_the_instance_with_its_dirs_in_the_cache() {
        let py = SigstorePython {
            python: "/bin/python".into(),
        };
        let req = request();
        let cmd = py.verify_command(&req, Path::new("/cache"), Instance::Tuf(&req.tuf_url));
        assert_eq!(
            args(&cmd)[..8],
            [
                "-m",
                "sigstore",
                "--instance",
                "http://127.0.0.1:1/tuf",
                "verify",
                "identity",
                "--bundle",
                "/b.json"
            ]
        );
        assert!(!args(&cmd).iter().any(|a| a == "--offline"));
        assert_eq!(env(&cmd, "XDG_DATA_HOME"), Some("/cache/data".into()));
        assert_eq!(env(&cmd, "XDG_CACHE_HOME"), Some("/cache/cache".into()));
        let cmd = py.verify_command(&req, &req.scratch, Instance::TrustConfig(&req.trust_config));
        assert_eq!(args(&cmd)[2..4], ["--trust-config", "/trust_config.json"]);
        assert_eq!(env(&cmd, "XDG_DATA_HOME"), Some("/scratch/data".into()));
    }
}
