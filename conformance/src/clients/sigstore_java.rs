//! sigstore-java (Maven `dev.sigstore:sigstore-java`), verifying only, through the small CLI in
//! `tools/java` that `tools/install` builds.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::{Client, Outcome, SignRequest, VerifyRequest, run};

/// `tools/java/pom.xml`: the pinned sigstore-java version names the install directory.
const POM: &str = include_str!("../../../tools/java/pom.xml");

/// Why [`SigstoreJava`] does not sign.
const SIGSTORE_JAVA_CANNOT_SIGN: &str = "sigstore-java 2.0.0 reaches Fulcio only over gRPC with \
    TLS, which sigbox does not serve: KeylessSigner.build() always makes a FulcioClientGrpc \
    (KeylessSigner.java:295, no HTTP Fulcio client in 2.0.0), whose channel is plaintext only when \
    HttpParams.allowInsecureConnections is set (GrpcChannels.newManagedChannel), and the signer \
    leaves it at its default, false";

/// sigstore-java's `KeylessVerifier` behind `tools/java`'s `verify-bundle` command line: one
/// `java` process per verification, with the trusted root file or, through TUF, its
/// `SigstoreTufClient` over the stack's repository.
#[derive(Debug, Clone)]
pub struct SigstoreJava {
    /// The `java` to run (`$JAVA_HOME/bin/java`, else `java` on the `PATH`).
    pub java: PathBuf,
    /// Where `tools/install` put the CLI: `app.jar` and its dependencies in `lib/`.
    pub dir: PathBuf,
}

impl SigstoreJava {
    /// The sigstore-java version `tools/java/pom.xml` pins.
    pub fn version() -> anyhow::Result<&'static str> {
        let tag = "<sigstore-java.version>";
        let start = POM
            .find(tag)
            .context("no sigstore-java.version in tools/java/pom.xml")?;
        let rest = &POM[start + tag.len()..];
        let end = rest
            .find('<')
            .context("unterminated sigstore-java.version")?;
        Ok(rest[..end].trim())
    }

    /// The adapter over the CLI `tools/install` built under `tools_dir`; an error when it is
    /// not there.
    pub fn installed(tools_dir: &Path) -> anyhow::Result<Self> {
        let dir = tools_dir.join(format!("java/sigstore-java@{}", Self::version()?));
        if !dir.join("app.jar").exists() {
            bail!(
                "sigstore-java: no {} (run `tools/install`, or set SIGBOX_TOOLS)",
                dir.join("app.jar").display()
            );
        }
        let java = std::env::var_os("JAVA_HOME")
            .map(|home| Path::new(&home).join("bin/java"))
            .filter(|java| java.exists())
            .unwrap_or_else(|| "java".into());
        Ok(Self { java, dir })
    }

    /// `java ... verify-bundle` of `req`'s bundle with the identity policy; the trust flags
    /// follow.
    fn command(&self, req: &VerifyRequest) -> Command {
        let mut cmd = Command::new(&self.java);
        // Start-up dominates a verification: no JIT tiers past C1, the serial collector.
        cmd.args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp"])
            .arg(format!(
                "{}:{}",
                self.dir.join("lib/*").display(),
                self.dir.join("app.jar").display()
            ))
            .args(["sigbox.VerifyBundle", "verify-bundle", "--bundle"])
            .arg(&req.bundle)
            .args(["--certificate-identity", &req.identity])
            .args(["--certificate-oidc-issuer", &req.issuer]);
        cmd
    }

    /// [`Self::command`] with the trusted root from the TUF repository, metadata in `cache`.
    fn tuf_command(&self, req: &VerifyRequest, cache: &Path) -> Command {
        let mut cmd = self.command(req);
        cmd.args(["--tuf-url", &req.tuf_url])
            .arg("--tuf-root")
            .arg(&req.tuf_root)
            .arg("--tuf-cache")
            .arg(cache)
            .arg(&req.artifact);
        cmd
    }
}

impl Client for SigstoreJava {
    fn name(&self) -> &str {
        "sigstore-java"
    }

    fn verify_only(&self) -> Option<&str> {
        Some(SIGSTORE_JAVA_CANNOT_SIGN)
    }

    fn sign(&self, _req: &SignRequest) -> Outcome {
        Outcome::error(SIGSTORE_JAVA_CANNOT_SIGN)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        let mut cmd = self.command(req);
        cmd.arg("--trusted-root")
            .arg(&req.trusted_root)
            .arg(&req.artifact);
        run(cmd)
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    /// Its `SigstoreTufClient` with the stack's repository as the mirror, the first root from
    /// `req.tuf_root` and its metadata store in `cache`.
    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        run(self.tuf_command(req, cache))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::testing::{args, request};

    #[test]
    fn the_version_comes_from_the_pom() {
        let version = SigstoreJava::version().unwrap();
        assert!(POM.contains("<version>${sigstore-java.version}</version>"));
        assert!(
            version.split('.').all(|n| n.parse::<u32>().is_ok()),
            "{version}"
        );
    }

    #[test]
    fn sigstore_java_verifies_with_the_trusted_root_or_through_tuf() {
        let java = SigstoreJava {
            java: "/bin/java".into(),
            dir: "/tools/java/sigstore-java@2.0.0".into(),
        };
        let req = request();
        let cmd = java.command(&req);
        let a = args(&cmd);
        let cp = a.iter().position(|a| a == "-cp").unwrap();
        assert_eq!(
            a[cp + 1],
            "/tools/java/sigstore-java@2.0.0/lib/*:/tools/java/sigstore-java@2.0.0/app.jar"
        );
        assert_eq!(
            a[cp + 2..],
            [
                "sigbox.VerifyBundle",
                "verify-bundle",
                "--bundle",
                "/b.json",
                "--certificate-identity",
                "alice@example.com",
                "--certificate-oidc-issuer",
                "http://127.0.0.1:1"
            ]
        );
        let tuf = args(&java.tuf_command(&req, Path::new("/cache")));
        assert_eq!(
            tuf[tuf.len() - 7..],
            [
                "--tuf-url",
                "http://127.0.0.1:1/tuf",
                "--tuf-root",
                "/root.json",
                "--tuf-cache",
                "/cache",
                "/a.txt"
            ]
        );
        assert_eq!(java.verify_only(), Some(SIGSTORE_JAVA_CANNOT_SIGN));
        assert!(java.no_tuf().is_none());
        assert!(SIGSTORE_JAVA_CANNOT_SIGN.contains("gRPC"));
    }
}
