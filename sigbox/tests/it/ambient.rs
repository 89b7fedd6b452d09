//! Ambient CI credentials: after `eval "$(sigbox env github-actions)"` (or `gitlab-ci`),
//! sigstore-python, sigstore-js and cosign sign with no `--identity-token`, detecting the CI
//! themselves; the certificate names the workflow and carries Fulcio's CI extensions, and a
//! policy for another workflow refuses the bundle.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::support::{Up, go_tool, python, sigbox};

/// The workflow `sigbox env github-actions --repository octo-org/app --workflow-path
/// .github/workflows/publish.yml --ref refs/tags/v1.0.0` runs, as Fulcio names it.
const GITHUB_IDENTITY: &str =
    "https://github.com/octo-org/app/.github/workflows/publish.yml@refs/tags/v1.0.0";
const OTHER_WORKFLOW: &str =
    "https://github.com/octo-org/app/.github/workflows/other.yml@refs/tags/v1.0.0";
const GITLAB_IDENTITY: &str =
    "https://gitlab.com/octo-group/octo-project//.gitlab-ci.yml@refs/heads/main";
const ARTIFACT: &[u8] = b"built in a CI that is not there\n";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `program args` in a shell after `eval "$(sigbox env ENV_ARGS)"`, as a user would, with
/// no identity token anywhere else and nothing ambient from the machine running the tests.
/// Succeeds or panics; returns the output.
fn under_ci(env_args: &[&str], home: &Path, program: &Path, args: &[&str]) -> String {
    // The program's arguments come one a line through the environment, so no quoting is needed.
    let script = r#"eval "$("$SIGBOX" env "$@")" || exit 97
set --
while IFS= read -r arg; do set -- "$@" "$arg"; done <<ARGS
$PROGRAM_ARGS
ARGS
exec "$PROGRAM" "$@""#;
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).arg("sh").args(env_args);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let ambient = [
            "GITHUB_",
            "ACTIONS_",
            "GITLAB_",
            "CI_",
            "SIGSTORE_",
            "COSIGN_",
            "TUF_",
        ];
        if key == "CI" || ambient.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(&*key);
        }
    }
    cmd.env("SIGBOX", env!("CARGO_BIN_EXE_sigbox"))
        .env("PROGRAM", program)
        .env("PROGRAM_ARGS", args.join("\n"))
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("TUF_ROOT", home.join("tuf"))
        .stdin(Stdio::null());
    let out = cmd.output().expect("running sh");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} {args:?} under `sigbox env {env_args:?}` failed:\n{text}",
        program.display()
    );
    text
}

/// The leaf certificate of a bundle, as `openssl x509 -text` prints it.
fn leaf_text(bundle: &str) -> String {
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle).expect("reading a bundle")).unwrap();
    let material = &bundle["verificationMaterial"];
    let b64 = material["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| material["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .unwrap_or_else(|| panic!("no certificate in {bundle}"));
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut child = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-noout", "-text"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running openssl");
    child.stdin.take().unwrap().write_all(&der).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl could not read the leaf");
    String::from_utf8(out.stdout).unwrap()
}

/// What openssl shows of an extension it does not know: the lines after `OID:`, which dump
/// its DER as text, joined with the whitespace taken out.
fn extension_text(cert: &str, oid: &str) -> Option<String> {
    let rest = cert.split_once(&format!("{oid}:"))?.1;
    let shown: String = rest
        .lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("1.3.6.1.4.1.57264.") && !l.contains("X509v3"))
        .collect();
    Some(shown.split_whitespace().collect())
}

/// A stack, its trust files, an artifact and a statement about it.
struct Fixture {
    _up: Up,
    url: String,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let up = Up::start(&["--ephemeral"]);
        let url = up.url();
        let dir = tempfile::tempdir().unwrap();
        let trust = dir.path().join("trust");
        let (ok, out) = sigbox(&["export", "--url", &url, "--out", trust.to_str().unwrap()]);
        assert!(ok, "sigbox export: {out}");
        std::fs::write(dir.path().join("a.txt"), ARTIFACT).unwrap();
        let statement = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "a.txt", "digest": {"sha256": hex::encode(Sha256::digest(ARTIFACT))}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {"buildType": "https://sigbox.test/ci"}},
        });
        std::fs::write(dir.path().join("statement.json"), statement.to_string()).unwrap();
        Self { _up: up, url, dir }
    }

    fn p(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn home(&self, client: &str) -> PathBuf {
        let home = self.dir.path().join(format!("home-{client}"));
        std::fs::create_dir_all(&home).unwrap();
        home
    }

    /// Signs with sigstore-python (`a.txt`), the sigstore-js CLI (the statement about it) and
    /// cosign (`a.txt`) under the CI of `env_args`, each into `<label>-<client>.json`.
    fn sign_all(&self, label: &str, env_args: &[&str]) -> Vec<(&'static str, String)> {
        let env_args: Vec<&str> = [&["--url", self.url.as_str()][..], env_args].concat();
        let bundle = |client: &str| self.p(&format!("{label}-{client}.json"));
        let (py, js, cosign) = (bundle("python"), bundle("js"), bundle("cosign"));
        let (trust_config, signing_config, trusted_root, artifact) = (
            self.p("trust/trust_config.json"),
            self.p("trust/signing_config.v0.2.json"),
            self.p("trust/trusted_root.json"),
            self.p("a.txt"),
        );
        under_ci(
            &env_args,
            &self.home("python"),
            &python(),
            &[
                "-m",
                "sigstore",
                "--trust-config",
                &trust_config,
                "sign",
                "--bundle",
                &py,
                &artifact,
            ],
        );
        let tsa = format!("{}/api/v1/timestamp", self.url);
        under_ci(
            &env_args,
            &self.home("js"),
            &workspace().join("tools/js/node_modules/.bin/sigstore"),
            &[
                "attest",
                &self.p("statement.json"),
                "-o",
                &js,
                "--fulcio-url",
                &self.url,
                "--rekor-url",
                &self.url,
                "--tsa-server-url",
                &tsa,
            ],
        );
        under_ci(
            &env_args,
            &self.home("cosign"),
            &go_tool("cosign-v3"),
            &[
                "sign-blob",
                "--yes",
                "--bundle",
                &cosign,
                "--signing-config",
                &signing_config,
                "--trusted-root",
                &trusted_root,
                &artifact,
            ],
        );
        vec![
            ("sigstore-python", py),
            ("sigstore-js", js),
            ("cosign", cosign),
        ]
    }

    /// `sigbox verify` of a bundle about `a.txt` for `identity`.
    fn verify(&self, bundle: &str, identity: &str) -> (bool, String) {
        sigbox(&[
            "verify",
            "--bundle",
            bundle,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            &self.url,
            "--trusted-root",
            &self.p("trust/trusted_root.json"),
            &self.p("a.txt"),
        ])
    }

    /// cosign's `verify-blob` of a message bundle for `identity`: success, stderr.
    fn cosign_verify(&self, bundle: &str, identity: &str) -> (bool, String) {
        let home = self.home("cosign-verify");
        let out = Command::new(go_tool("cosign-v3"))
            .args(["verify-blob", "--bundle", bundle])
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", &self.url])
            .args(["--trusted-root", &self.p("trust/trusted_root.json")])
            .arg(self.p("a.txt"))
            .env("TUF_ROOT", home.join("tuf"))
            .env("HOME", &home)
            .env_remove("SIGSTORE_ID_TOKEN")
            .stdin(Stdio::null())
            .output()
            .expect("running cosign");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn github_actions_clients_sign_with_the_ambient_token() {
    let f = Fixture::new();
    let job = [
        "github-actions",
        "--repository",
        "octo-org/app",
        "--workflow-path",
        ".github/workflows/publish.yml",
        "--ref",
        "refs/tags/v1.0.0",
    ];
    // The job's variables agree with what will be certified.
    let (ok, printed) = sigbox(&[&["env", "--url", f.url.as_str()][..], &job].concat());
    assert!(ok, "{printed}");
    for line in [
        "export CI='true'",
        "export GITHUB_ACTIONS='true'",
        "export GITHUB_REPOSITORY='octo-org/app'",
        "export GITHUB_REPOSITORY_OWNER='octo-org'",
        "export GITHUB_REF='refs/tags/v1.0.0'",
        "export GITHUB_REF_NAME='v1.0.0'",
        "export GITHUB_REF_TYPE='tag'",
        "export GITHUB_WORKFLOW_REF='octo-org/app/.github/workflows/publish.yml@refs/tags/v1.0.0'",
    ] {
        assert!(
            printed.lines().any(|l| l == line),
            "no {line:?} in\n{printed}"
        );
    }
    assert!(
        printed.contains(&format!(
            "verify with --certificate-identity {GITHUB_IDENTITY}\n"
        )),
        "{printed}"
    );

    for (client, bundle) in f.sign_all("gha", &job) {
        let cert = leaf_text(&bundle);
        assert!(
            cert.contains(&format!("URI:{GITHUB_IDENTITY}")),
            "{client}: {cert}"
        );
        // Fulcio's extensions: issuer (.8), build signer URI (.9), source repository URI
        // (.12), its ref (.14), the trigger (.20) and the run's URI (.21).
        for (oid, value) in [
            ("1.3.6.1.4.1.57264.1.8", f.url.as_str()),
            ("1.3.6.1.4.1.57264.1.9", GITHUB_IDENTITY),
            ("1.3.6.1.4.1.57264.1.12", "https://github.com/octo-org/app"),
            ("1.3.6.1.4.1.57264.1.14", "refs/tags/v1.0.0"),
            ("1.3.6.1.4.1.57264.1.20", "push"),
            (
                "1.3.6.1.4.1.57264.1.21",
                "https://github.com/octo-org/app/actions/runs/1234567890/attempts/1",
            ),
        ] {
            let shown = extension_text(&cert, oid)
                .unwrap_or_else(|| panic!("{client}: no extension {oid} in {cert}"));
            assert!(
                shown.contains(value),
                "{client}: extension {oid} {shown:?} does not say {value:?}"
            );
        }
        let (ok, out) = f.verify(&bundle, GITHUB_IDENTITY);
        assert!(ok, "sigbox verify of {client}'s bundle: {out}");
        let (ok, out) = f.verify(&bundle, OTHER_WORKFLOW);
        assert!(
            !ok,
            "sigbox accepted {client}'s bundle for another workflow: {out}"
        );
    }
    // cosign, the reference verifier, on the two message bundles.
    for bundle in [f.p("gha-python.json"), f.p("gha-cosign.json")] {
        let (ok, err) = f.cosign_verify(&bundle, GITHUB_IDENTITY);
        assert!(ok, "cosign verify-blob {bundle}: {err}");
        let (ok, err) = f.cosign_verify(&bundle, OTHER_WORKFLOW);
        assert!(!ok, "cosign accepted {bundle} for another workflow");
        assert!(err.contains("expected SAN value"), "{err}");
    }
}

#[test]
fn gitlab_ci_clients_sign_with_the_ambient_token() {
    let f = Fixture::new();
    let other_ref = GITLAB_IDENTITY.replace("refs/heads/main", "refs/heads/dev");
    for (client, bundle) in f.sign_all("gitlab", &["gitlab-ci"]) {
        let cert = leaf_text(&bundle);
        assert!(
            cert.contains(&format!("URI:{GITLAB_IDENTITY}")),
            "{client}: {cert}"
        );
        let (ok, out) = f.verify(&bundle, GITLAB_IDENTITY);
        assert!(ok, "sigbox verify of {client}'s bundle: {out}");
        let (ok, _) = f.verify(&bundle, &other_ref);
        assert!(!ok, "sigbox accepted {client}'s bundle for another ref");
    }
    let (ok, err) = f.cosign_verify(&f.p("gitlab-cosign.json"), GITLAB_IDENTITY);
    assert!(ok, "cosign verify-blob: {err}");
    let (ok, _) = f.cosign_verify(&f.p("gitlab-cosign.json"), &other_ref);
    assert!(!ok, "cosign accepted the GitLab bundle for another ref");
}

#[test]
fn env_refuses_what_no_ci_would_give() {
    let f = Fixture::new();
    let (ok, out) = sigbox(&[
        "env",
        "--url",
        &f.url,
        "github-actions",
        "--repository",
        "noslash",
    ]);
    assert!(!ok);
    assert!(
        out.contains("400") && out.contains(r#"repository "noslash" is not OWNER/NAME"#),
        "{out}"
    );
    let (ok, out) = sigbox(&["env", "--url", &f.url, "circle-ci"]);
    assert!(!ok);
    assert!(out.contains("unrecognized subcommand 'circle-ci'"), "{out}");

    // GitHub mints a token for whatever audience is asked; Fulcio refuses one that is not
    // `sigstore`, and says so.
    let (ok, out) = sigbox(&["env", "--url", &f.url, "--json", "github-actions"]);
    assert!(ok, "{out}");
    let job: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (url, token) = (
        job["env"]["ACTIONS_ID_TOKEN_REQUEST_URL"].as_str().unwrap(),
        job["env"]["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
            .as_str()
            .unwrap(),
    );
    let http = reqwest::blocking::Client::new();
    let answer: serde_json::Value = http
        .get(format!("{url}&audience=npm"))
        .header("Authorization", format!("bearer {token}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let request = serde_json::json!({
        "credentials": {"oidcIdentityToken": answer["value"]},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": "unused"},
            "proofOfPossession": "AA==",
        },
    });
    let r = http
        .post(format!("{}/api/v2/signingCert", f.url))
        .json(&request)
        .send()
        .unwrap();
    let status = r.status();
    let body = r.text().unwrap();
    assert!(status.is_client_error(), "{status} {body}");
    let message = serde_json::from_str::<serde_json::Value>(&body).unwrap()["message"].clone();
    assert_eq!(
        message,
        r#"There was an error processing the identity token: token audience is "npm", want "sigstore""#,
        "{body}"
    );
}
