//! cosign's blob commands (`sign-blob`, `attest-blob`, `verify-blob`,
//! `verify-blob-attestation`, `initialize`), one adapter for each pinned major version.
//!
//! Both sign through sigstore-go once given `--signing-config` (cosign 2.6 then writes the
//! protobuf bundle without `--new-bundle-format`), so both sign to Rekor v2, with the TSA, when
//! the signing config lists it: cosign 3.1.3 logs `hashedrekord` 0.0.2 for both kinds (DSSE:
//! over the PAE), cosign 2.6.5 `hashedrekord` 0.0.2 and, for `attest-blob`, `dsse` 0.0.2.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Client, Outcome, SignKind, SignRequest, VerifyRequest, run};

/// The cosign CLI at one pinned version (`tools/go/tools.txt`), reported as its label
/// (`cosign-v3`, `cosign-v2`). It signs from the request's signing config (so sigstore-go picks
/// Fulcio, Rekor v1 or v2 and the TSA from it) and verifies with `--trusted-root`, or through
/// the stack's TUF repository after `cosign initialize`. Every command has its own `TUF_ROOT`,
/// so nothing reads or writes `~/.sigstore`.
#[derive(Debug, Clone)]
pub struct Cosign {
    name: String,
    program: PathBuf,
    /// cosign 2.x: it verifies a Rekor v2 bundle only with `--use-signed-timestamps`.
    v2: bool,
}

/// Where a verification gets its trusted root.
enum Trust<'a> {
    /// `--trusted-root FILE`.
    File(&'a Path),
    /// The TUF metadata and targets `cosign initialize` left in this `TUF_ROOT`.
    Tuf(&'a Path),
}

/// Where the identity token goes: cosign takes `--identity-token` as a raw token only when it
/// parses as an RS256 JWS (cosign's `internal/auth` `idToken`), else as a file to read; the fake
/// issuer signs ES256, so the token goes through a file, as cosign documents too.
fn token_file(req: &SignRequest) -> PathBuf {
    req.scratch.join("identity-token")
}

/// Writes the request's token where [`token_file`] says.
fn write_token(req: &SignRequest) -> Result<(), Outcome> {
    let path = token_file(req);
    std::fs::create_dir_all(&req.scratch)
        .and_then(|()| std::fs::write(&path, &req.token))
        .map_err(|e| Outcome::error(format!("writing {}: {e}", path.display())))
}

/// What a bundle signs, read from its JSON: cosign verifies the two with different commands.
#[derive(Debug, PartialEq, Eq)]
enum Content {
    MessageSignature,
    /// A DSSE envelope, with the predicate type of its in-toto statement when it has one
    /// (`verify-blob-attestation` checks it against `--type`).
    Dsse(Option<String>),
}

/// What the verify command line depends on in a bundle.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    content: Content,
    /// Every log entry has no integrated time (Rekor v2): the time must come from the TSA.
    rekor_v2_only: bool,
}

impl Shape {
    /// `dsseEnvelope` vs `messageSignature`, and the log entries' integrated times; anything
    /// unreadable is taken as a message signature with Rekor v1 entries, for `verify-blob` to
    /// refuse.
    fn of(bundle: &[u8]) -> Self {
        use base64::Engine as _;
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(bundle) else {
            return Self {
                content: Content::MessageSignature,
                rekor_v2_only: false,
            };
        };
        let entries = json["verificationMaterial"]["tlogEntries"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        // cosign 3's own rule (pkg/cosign/verify_bundle.go `rekorV2Bundle`): entries, none with
        // an integrated time (protojson leaves a zero out).
        let rekor_v2_only = !entries.is_empty()
            && entries
                .iter()
                .all(|e| e["integratedTime"].is_null() || e["integratedTime"] == "0");
        let content = match json.get("dsseEnvelope") {
            None => Content::MessageSignature,
            Some(envelope) => Content::Dsse(
                envelope
                    .get("payload")
                    .and_then(|p| p.as_str())
                    .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok())
                    .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
                    .and_then(|s| s.get("predicateType")?.as_str().map(str::to_owned)),
            ),
        };
        Self {
            content,
            rekor_v2_only,
        }
    }
}

impl Cosign {
    /// The binary at `program`, reported as `name`; `v2` for cosign 2.x.
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>, v2: bool) -> Self {
        Self {
            name: name.into(),
            program: program.into(),
            v2,
        }
    }

    /// `cosign` with `TUF_ROOT` set, and none of the environment's cosign or TUF settings.
    fn command(&self, tuf_root: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        for var in [
            "TUF_MIRROR",
            "TUF_ROOT_JSON",
            "SIGSTORE_ROOT_FILE",
            "SIGSTORE_ID_TOKEN",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("TUF_ROOT", tuf_root);
        cmd
    }

    /// `sign-blob` (a message) or `attest-blob --statement` (DSSE) into `req.bundle`, with the
    /// signing config and trusted root files when `files`, else neither (both from TUF, as
    /// cosign 3 reads them after `initialize`).
    fn sign_command(&self, req: &SignRequest, tuf_root: &Path, files: bool) -> Command {
        let mut cmd = self.command(tuf_root);
        match &req.kind {
            SignKind::Message => cmd.arg("sign-blob"),
            SignKind::InToto { .. } => cmd.arg("attest-blob"),
        };
        cmd.arg("--yes")
            .arg("--identity-token")
            .arg(token_file(req))
            .arg("--bundle")
            .arg(&req.bundle);
        if files {
            cmd.arg("--signing-config")
                .arg(&req.signing_config)
                .arg("--trusted-root")
                .arg(&req.trusted_root);
        }
        match &req.kind {
            SignKind::Message => cmd.arg(&req.artifact),
            SignKind::InToto { statement, .. } => cmd.arg("--statement").arg(statement),
        };
        cmd
    }

    /// `verify-blob` or `verify-blob-attestation`, as the bundle's content asks.
    fn verify_command(&self, req: &VerifyRequest, trust: Trust<'_>) -> Command {
        let shape = Shape::of(&std::fs::read(&req.bundle).unwrap_or_default());
        let tuf_root = match trust {
            Trust::File(_) => req.scratch.join("tuf-root"),
            Trust::Tuf(dir) => dir.to_owned(),
        };
        let mut cmd = self.command(&tuf_root);
        match &shape.content {
            Content::MessageSignature => {
                cmd.arg("verify-blob");
            }
            Content::Dsse(predicate_type) => {
                cmd.arg("verify-blob-attestation");
                // The statement's own type: the runner asks about the signature and identity,
                // not a predicate policy (cosign's default `--type` is its "custom" URI).
                if let Some(t) = predicate_type {
                    cmd.args(["--type", t]);
                }
            }
        }
        cmd.arg("--bundle")
            .arg(&req.bundle)
            .args(["--certificate-identity", &req.identity])
            .args(["--certificate-oidc-issuer", &req.issuer]);
        if let Trust::File(root) = trust {
            cmd.arg("--trusted-root").arg(root);
        }
        if self.v2 && shape.rekor_v2_only {
            // cosign 2.6 takes the time from the log's integrated time unless told (cosign 3
            // opts in by itself for such bundles); Rekor v2 has none, so the TSA's it is.
            cmd.arg("--use-signed-timestamps");
        }
        // DSSE too: `--check-claims` (on by default) matches the statement's subject digest.
        cmd.arg(&req.artifact);
        cmd
    }

    /// Signs through the stack's TUF repository alone: `initialize` into `tuf_root` if it is
    /// not there yet, then `sign-blob` / `attest-blob` with no signing config or trusted root
    /// on the command line (cosign 3 reads `signing_config.v0.2.json` from TUF).
    pub fn sign_via_tuf(
        &self,
        req: &SignRequest,
        tuf_url: &str,
        root: &Path,
        tuf_root: &Path,
    ) -> Outcome {
        if let Err(e) = write_token(req) {
            return e;
        }
        self.with_initialize(tuf_url, root, tuf_root, || {
            run(self.sign_command(req, tuf_root, false))
        })
    }

    /// `then`, after `cosign initialize --mirror URL --root ROOT` into `tuf_root` unless it
    /// holds a repository already (`initialize` empties the directory first, which would
    /// forget the newest timestamp seen).
    fn with_initialize(
        &self,
        tuf_url: &str,
        root: &Path,
        tuf_root: &Path,
        then: impl FnOnce() -> Outcome,
    ) -> Outcome {
        let mut output = String::new();
        if !tuf_root.join("remote.json").exists() {
            let mut cmd = self.command(tuf_root);
            cmd.args(["initialize", "--mirror", tuf_url, "--root"])
                .arg(root);
            let init = run(cmd);
            if !init.passed {
                return Outcome {
                    passed: false,
                    output: format!("cosign initialize failed:\n{}", init.output),
                };
            }
            output = init.output;
        }
        let done = then();
        Outcome {
            passed: done.passed,
            output: output + &done.output,
        }
    }
}

impl Client for Cosign {
    fn name(&self) -> &str {
        &self.name
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        if let Err(e) = write_token(req) {
            return e;
        }
        run(self.sign_command(req, &req.scratch.join("tuf-root"), true))
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        run(self.verify_command(req, Trust::File(&req.trusted_root)))
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    /// `initialize` once per cache, then `verify-blob` with no trust file: cosign refreshes
    /// the TUF metadata (sigstore-go's client, no cache validity) and reads `trusted_root.json`.
    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        let tuf_root = cache.join("tuf-root");
        self.with_initialize(&req.tuf_url, &req.tuf_root, &tuf_root, || {
            run(self.verify_command(req, Trust::Tuf(&tuf_root)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::testing::{args, env, request};
    use base64::Engine as _;

    fn sign_request(kind: SignKind) -> SignRequest {
        SignRequest {
            kind,
            token: "TOKEN".into(),
            url: "http://127.0.0.1:1".into(),
            signing_config: "/sc.json".into(),
            trusted_root: "/tr.json".into(),
            trust_config: "/tc.json".into(),
            artifact: "/a.txt".into(),
            bundle: "/b.json".into(),
            scratch: "/scratch".into(),
            rekor_v2: false,
        }
    }

    #[test]
    fn cosign_signs_from_the_signing_config_with_the_token_in_a_file() {
        let v3 = Cosign::new("cosign-v3", "/bin/cosign", false);
        let req = sign_request(SignKind::Message);
        let cmd = v3.sign_command(&req, Path::new("/scratch/tuf-root"), true);
        assert_eq!(
            args(&cmd),
            [
                "sign-blob",
                "--yes",
                "--identity-token",
                "/scratch/identity-token",
                "--bundle",
                "/b.json",
                "--signing-config",
                "/sc.json",
                "--trusted-root",
                "/tr.json",
                "/a.txt"
            ]
        );
        assert_eq!(env(&cmd, "TUF_ROOT"), Some("/scratch/tuf-root".into()));
        let v2 = Cosign::new("cosign-v2", "/bin/cosign", true);
        let req = sign_request(SignKind::InToto {
            statement: "/st.json".into(),
            predicate: "/p.json".into(),
            predicate_type: "https://slsa.dev/provenance/v1".into(),
        });
        let cmd = v2.sign_command(&req, Path::new("/t"), false);
        assert_eq!(
            args(&cmd),
            [
                "attest-blob",
                "--yes",
                "--identity-token",
                "/scratch/identity-token",
                "--bundle",
                "/b.json",
                "--statement",
                "/st.json"
            ]
        );
    }

    #[test]
    fn cosign_picks_the_verify_command_from_the_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let statement = br#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1"}"#;
        let payload = base64::engine::general_purpose::STANDARD.encode(statement);
        let dsse = dir.path().join("dsse.json");
        std::fs::write(
            &dsse,
            format!(r#"{{"dsseEnvelope":{{"payload":"{payload}","signatures":[]}}}}"#),
        )
        .unwrap();
        let message = dir.path().join("msg.json");
        std::fs::write(&message, r#"{"messageSignature":{"signature":"AA=="}}"#).unwrap();
        let cosign = Cosign::new("cosign-v3", "/bin/cosign", false);

        let mut req = request();
        req.bundle = dsse;
        let cmd = cosign.verify_command(&req, Trust::File(&req.trusted_root));
        let a = args(&cmd);
        assert_eq!(
            a[..3],
            [
                "verify-blob-attestation",
                "--type",
                "https://slsa.dev/provenance/v1"
            ]
        );
        assert_eq!(
            a[a.len() - 3..],
            ["--trusted-root", "/trusted_root.json", "/a.txt"]
        );
        assert_eq!(env(&cmd, "TUF_ROOT"), Some("/scratch/tuf-root".into()));

        req.bundle = message;
        let cmd = cosign.verify_command(&req, Trust::Tuf(Path::new("/cache/tuf-root")));
        assert_eq!(
            args(&cmd),
            [
                "verify-blob",
                "--bundle",
                req.bundle.to_str().unwrap(),
                "--certificate-identity",
                "alice@example.com",
                "--certificate-oidc-issuer",
                "http://127.0.0.1:1",
                "/a.txt"
            ]
        );
        assert_eq!(env(&cmd, "TUF_ROOT"), Some("/cache/tuf-root".into()));
        assert_eq!(Shape::of(b"not json").content, Content::MessageSignature);
    }

    #[test]
    fn cosign_v2_takes_the_tsa_time_for_rekor_v2_bundles_only() {
        let v1_entry = r#"{"messageSignature":{},"verificationMaterial":{"tlogEntries":[{"logIndex":"3","integratedTime":"1764590000"}]}}"#;
        let v2_entry =
            r#"{"messageSignature":{},"verificationMaterial":{"tlogEntries":[{"logIndex":"3"}]}}"#;
        assert!(!Shape::of(v1_entry.as_bytes()).rekor_v2_only);
        assert!(Shape::of(v2_entry.as_bytes()).rekor_v2_only);
        assert!(!Shape::of(br#"{"messageSignature":{}}"#).rekor_v2_only);

        let dir = tempfile::tempdir().unwrap();
        let mut req = request();
        req.bundle = dir.path().join("b.json");
        let flag = |cosign: &Cosign, bundle: &str| {
            std::fs::write(&req.bundle, bundle).unwrap();
            let cmd = cosign.verify_command(&req, Trust::File(&req.trusted_root));
            args(&cmd).iter().any(|a| a == "--use-signed-timestamps")
        };
        let v2 = Cosign::new("cosign-v2", "/bin/cosign", true);
        let v3 = Cosign::new("cosign-v3", "/bin/cosign", false);
        assert!(flag(&v2, v2_entry));
        assert!(!flag(&v2, v1_entry));
        assert!(!flag(&v3, v2_entry));
    }
}
