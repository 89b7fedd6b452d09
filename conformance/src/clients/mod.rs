//! Clients under test: the [`Client`] trait, what the runner asks of a client
//! ([`SignRequest`], [`VerifyRequest`]) and what it gets back ([`Outcome`]), and one module per
//! client adapter ([`ALL_CLIENTS`], and any CLI speaking the sigstore-conformance protocol).

mod cli_protocol;
mod cosign;
mod gitsign;
mod process;
mod sigbox_lib;
mod sigstore_go;
mod sigstore_java;
mod sigstore_js;
mod sigstore_python;
mod sigstore_rs;
mod sigstore_rust;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub use cli_protocol::CliProtocol;
pub use cosign::Cosign;
pub use gitsign::{Gitsign, TrustPems as GitsignTrust};
use process::run;
pub(crate) use process::{HUNG, KILLED, set_limit};
pub use sigbox_lib::SigboxLib;
pub use sigstore_go::SigstoreGo;
pub use sigstore_java::SigstoreJava;
pub use sigstore_js::SigstoreJs;
pub use sigstore_python::SigstorePython;
pub use sigstore_rs::SigstoreRs;
pub use sigstore_rust::SigstoreRust;

/// What a client did: whether it succeeded, and what it printed (stdout then stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The client exited 0 (signed, or accepted the bundle).
    pub passed: bool,
    /// Its output, for the report.
    pub output: String,
}

impl Outcome {
    /// An outcome that never reached the client (a setup problem), as a failure.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            passed: false,
            output: message.into(),
        }
    }
}

/// What to sign.
#[derive(Debug, Clone)]
pub enum SignKind {
    /// A message signature over the artifact.
    Message,
    /// A DSSE envelope over an in-toto statement about the artifact. Clients that build the
    /// statement themselves (sigstore-python) take the predicate; the others the statement.
    InToto {
        /// The in-toto statement (subject: the artifact's name and SHA-256).
        statement: PathBuf,
        /// Its predicate alone.
        predicate: PathBuf,
        /// Its predicate type.
        predicate_type: String,
    },
}

/// A signing request.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// Message or DSSE.
    pub kind: SignKind,
    /// The OIDC identity token.
    pub token: String,
    /// The stack's URL (for clients configured with service URLs, not a signing config).
    pub url: String,
    /// `signing_config.v0.2.json`.
    pub signing_config: PathBuf,
    /// `trusted_root.json`.
    pub trusted_root: PathBuf,
    /// The ClientTrustConfig (trusted root + signing config), as sigstore-python takes it.
    pub trust_config: PathBuf,
    /// The artifact.
    pub artifact: PathBuf,
    /// Where the bundle goes.
    pub bundle: PathBuf,
    /// A fresh directory the client may use for caches.
    pub scratch: PathBuf,
    /// The signing config offers Rekor v2: clients that pick services from it sign there, and
    /// sigstore-js, whose `sign` always uses Rekor v1, signs through its signing-config API.
    pub rekor_v2: bool,
}

/// A verification request: identity policy, exact SAN and issuer.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// The bundle.
    pub bundle: PathBuf,
    /// The artifact (for DSSE bundles: the statement's subject).
    pub artifact: PathBuf,
    /// The certificate identity (email SAN).
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
    /// `trusted_root.json`.
    pub trusted_root: PathBuf,
    /// The ClientTrustConfig.
    pub trust_config: PathBuf,
    /// The stack's TUF repository (`<url>/tuf`).
    pub tuf_url: String,
    /// The TUF `root.json` to start from.
    pub tuf_root: PathBuf,
    /// A fresh directory the client may use for caches.
    pub scratch: PathBuf,
}

/// What a client signs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Signs {
    /// Sigstore bundles (message signatures, DSSE).
    #[default]
    Bundles,
    /// Git commits; its "bundle" file says where the repository and the commit are.
    GitCommits,
}

/// How [`Client::tamper`] tampers with a bundle.
#[derive(Debug, Clone, Copy)]
pub enum Tamper<'a> {
    /// One bit of the signature flipped.
    Signature,
    /// The certificate of this bundle (of the same kind, another key's) in its place.
    Certificate(&'a Path),
}

/// A client under test.
pub trait Client: std::fmt::Debug + Send + Sync {
    /// Its name in reports and in `expectations.json`.
    fn name(&self) -> &str;
    /// Signs; the bundle is at `req.bundle` when it passed.
    fn sign(&self, req: &SignRequest) -> Outcome;
    /// Why it does not sign at all, for a verify-only client: its signing rows are then not
    /// applicable, and it verifies what the signing clients signed instead of its own bundles.
    fn verify_only(&self) -> Option<&str> {
        None
    }
    /// Verifies.
    fn verify(&self, req: &VerifyRequest) -> Outcome;
    /// What it signs and verifies: Sigstore bundles, or git commits. Clients verify only what
    /// their kind signs; the runner records the cross rows between kinds as not applicable.
    fn signs(&self) -> Signs {
        Signs::Bundles
    }
    /// Why `scenario` has no meaning for this client (the runner records it as not applicable,
    /// with this reason, and does not run it); `None` when it applies.
    fn not_applicable(&self, scenario: &str) -> Option<String> {
        let _ = scenario;
        None
    }
    /// Writes to `out` a copy of `bundle` tampered as `how` says; Sigstore bundles by default.
    fn tamper(&self, how: Tamper<'_>, bundle: &Path, out: &Path) -> anyhow::Result<()> {
        let b = std::fs::read(bundle)?;
        let t = match how {
            Tamper::Signature => crate::tamper::flip_signature(&b)?,
            Tamper::Certificate(donor) => {
                crate::tamper::swap_certificate(&b, &std::fs::read(donor)?)?
            }
        };
        std::fs::write(out, t)?;
        Ok(())
    }
    /// Why it cannot get its trusted root through a TUF repository given by URL and first
    /// `root.json` (a verify-via-TUF case is then skipped with this reason); `None` when it can,
    /// through [`Client::verify_via_tuf`].
    fn no_tuf(&self) -> Option<&str> {
        Some("this adapter has no TUF mode")
    }
    /// Verifies as [`Client::verify`] does, but with the trusted root the client fetches itself
    /// from the TUF repository at `req.tuf_url`, starting from `req.tuf_root` (not
    /// `req.trusted_root`), keeping the TUF metadata in `cache`. The runner passes the same
    /// `cache` to all of one client's TUF cases, so a client that has seen timestamp version N
    /// can refuse N-1. Called only when [`Client::no_tuf`] is `None`.
    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        let _ = (req, cache);
        Outcome::error(self.no_tuf().unwrap_or("no TUF mode").to_owned())
    }
}

/// Where the third-party clients are installed.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The Python with the pinned `sigstore`.
    pub python: PathBuf,
    /// `tools/js` (its `node_modules` holds `sigstore` and `@sigstore/cli`).
    pub js_dir: PathBuf,
    /// The script that drives the sigstore-js library.
    pub js_script: PathBuf,
    /// Where `tools/install` puts the other clients (`$SIGBOX_TOOLS`, by default
    /// `$HOME/.cache/sigbox-tools`).
    pub dir: PathBuf,
}

/// The pinned Go tools, `LABEL BINARY PACKAGE VERSION [GOTOOLCHAIN]` a line, as `tools/install`
/// reads them.
const GO_TOOLS: &str = include_str!("../../../tools/go/tools.txt");

impl Tools {
    /// The workspace's `.venv` and `tools/js` under `workspace`, overridden by `$SIGBOX_PYTHON`
    /// and `$SIGBOX_JS_DIR`.
    pub fn from_workspace(workspace: &Path) -> Self {
        // Absolute: the node script resolves `SIGBOX_JS_DIR` as a module path.
        let workspace = &std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.into());
        let python = std::env::var_os("SIGBOX_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join(".venv/bin/python"));
        let js_dir = std::env::var_os("SIGBOX_JS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("tools/js"));
        let dir = std::env::var_os("SIGBOX_TOOLS")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/sigbox-tools")))
            .unwrap_or_else(|| workspace.join(".sigbox-tools"));
        Self {
            python,
            js_dir,
            js_script: workspace.join("stack/tests/it/js/client.js"),
            dir,
        }
    }

    /// The binary of the Go tool labelled `label` in `tools/go/tools.txt`, where
    /// `tools/install` put it; an error naming the label when it is not pinned or not there.
    pub fn go_tool(&self, label: &str) -> anyhow::Result<PathBuf> {
        let line = GO_TOOLS
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.first() == Some(&label) && f.len() >= 4)
            .with_context(|| format!("{label}: not pinned in tools/go/tools.txt"))?;
        let (binary, version) = (line[1], line[3]);
        let path = self.dir.join(format!("go/{label}@{version}/{binary}"));
        if !path.exists() {
            bail!(
                "{label}: no {} (run `tools/install`, or set SIGBOX_TOOLS)",
                path.display()
            );
        }
        Ok(path)
    }
}

/// Every client the matrix drives, in report order: `sigbox` (its CLI), sigstore-python,
/// sigstore-js, sigstore-rs (verifying only), cosign 3 and 2.6, sigstore-go, gitsign (git
/// commits), sigstore-rust and sigstore-java (verifying only). `sigbox conformance` runs these
/// when no `--client` is given.
pub const ALL_CLIENTS: [&str; 10] = [
    "sigbox",
    "sigstore-python",
    "sigstore-js",
    "sigstore-rs",
    "cosign-v3",
    "cosign-v2",
    "sigstore-go",
    "gitsign",
    "sigstore-rust",
    "sigstore-java",
];

/// Builds a client from a `--client` value: one of [`ALL_CLIENTS`] (`sigbox` is the binary at
/// `sigbox_bin`; the third-party ones where `tools/install` put them), `sigbox-lib` (the client
/// library in this process), or `cmd:<path>` (a CLI speaking the sigstore-conformance
/// protocol).
pub fn client_from_spec(
    spec: &str,
    tools: &Tools,
    sigbox_bin: Option<&Path>,
) -> anyhow::Result<Box<dyn Client>> {
    Ok(match spec {
        "sigbox" => {
            let bin = sigbox_bin.context("no sigbox binary to drive")?;
            Box::new(CliProtocol::new("sigbox", bin).with_tuf_flags())
        }
        "sigbox-lib" => Box::new(SigboxLib),
        "cosign-v3" => Box::new(Cosign::new("cosign-v3", tools.go_tool("cosign-v3")?, false)),
        "cosign-v2" => Box::new(Cosign::new("cosign-v2", tools.go_tool("cosign-v2")?, true)),
        "sigstore-rs" => Box::new(SigstoreRs::installed(&tools.dir)?),
        "sigstore-rust" => Box::new(SigstoreRust::installed(&tools.dir)?),
        "sigstore-java" => Box::new(SigstoreJava::installed(&tools.dir)?),
        "gitsign" => Box::new(Gitsign {
            bin: tools.go_tool("gitsign")?,
        }),
        "sigstore-go" => Box::new(SigstoreGo::new(
            tools.go_tool("sigstore-go-conformance")?,
            tools.go_tool("sigstore-go-verification")?,
        )),
        "sigstore-python" => {
            if !tools.python.exists() {
                bail!(
                    "sigstore-python: no {} (run `just tools`, or set SIGBOX_PYTHON)",
                    tools.python.display()
                );
            }
            Box::new(SigstorePython {
                python: tools.python.clone(),
            })
        }
        "sigstore-js" => {
            if !tools.js_dir.join("node_modules/sigstore").exists() {
                bail!(
                    "sigstore-js: not installed in {} (run `just tools`, or set SIGBOX_JS_DIR)",
                    tools.js_dir.display()
                );
            }
            Box::new(SigstoreJs {
                js_dir: tools.js_dir.clone(),
                script: tools.js_script.clone(),
            })
        }
        other => match other.strip_prefix("cmd:") {
            Some(path) if !path.is_empty() => {
                let name = Path::new(path)
                    .file_name()
                    .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned());
                Box::new(CliProtocol::new(format!("cmd:{name}"), Path::new(path)))
            }
            _ => bail!(
                "unknown client {other:?}: want one of {}, sigbox-lib or cmd:<path>",
                ALL_CLIENTS.join(", ")
            ),
        },
    })
}

/// What the adapters' tests share: a verification request and a look at a command line.
#[cfg(test)]
mod testing {
    use std::process::Command;

    use super::*;

    pub(super) fn request() -> VerifyRequest {
        VerifyRequest {
            bundle: "/b.json".into(),
            artifact: "/a.txt".into(),
            identity: "alice@example.com".into(),
            issuer: "http://127.0.0.1:1".into(),
            trusted_root: "/trusted_root.json".into(),
            trust_config: "/trust_config.json".into(),
            tuf_url: "http://127.0.0.1:1/tuf".into(),
            tuf_root: "/root.json".into(),
            scratch: "/scratch".into(),
        }
    }

    pub(super) fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    pub(super) fn env(cmd: &Command, key: &str) -> Option<PathBuf> {
        cmd.get_envs()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.map(PathBuf::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_clients_verify_through_tuf() {
        let tools = Tools {
            python: "/nonexistent/python".into(),
            js_dir: "/nonexistent/js".into(),
            js_script: "/nonexistent/client.js".into(),
            dir: "/nonexistent/tools".into(),
        };
        let client = |spec| client_from_spec(spec, &tools, Some(Path::new("/bin/sigbox"))).unwrap();
        assert!(client("sigbox").no_tuf().is_none());
        assert!(client("sigbox-lib").no_tuf().is_none());
        assert!(
            SigstoreRs::new("/sigstore-rs-conformance")
                .no_tuf()
                .unwrap()
                .contains("sigstore-rs 0.15")
        );
        // Not installed there: a message that says where it was looked for and what to run.
        let missing = client_from_spec("sigstore-rs", &tools, None)
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains(
                "/nonexistent/tools/sigstore-rust-target/release/sigstore-rs-conformance"
            ) && missing.contains("tools/install"),
            "{missing}"
        );
        assert!(
            client("cmd:/bin/other")
                .no_tuf()
                .unwrap()
                .contains("no TUF flags")
        );
    }
}
