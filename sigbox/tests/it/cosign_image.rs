//! cosign v3 signs and verifies a container image in a local OCI registry against `sigbox up`,
//! taking the signing config and the trusted root from the stack's TUF repository only.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Up, go_tool, sigbox, stop};

const EMAIL: &str = "image-signer@example.com";
const PREDICATE_TYPE: &str = "https://example.com/sigbox/test-predicate/v1";
/// The artifactType of the referrer manifests cosign v3 pushes (the new bundle format).
const BUNDLE_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The predicate type cosign v3 signs an image digest under (pkg/types/predicate.go).
const COSIGN_SIGN_TYPE: &str = "https://sigstore.dev/cosign/sign/v1";

#[test]
fn cosign_signs_and_verifies_an_image_through_tuf() {
    image_round_trip(&[], ("dsse", "0.0.1"));
}

#[test]
fn cosign_signs_and_verifies_an_image_through_tuf_with_rekor_v2() {
    // cosign 3.1.3's sigstore-go (v1.2.2, pkg/sign/transparency.go) logs a DSSE envelope in
    // Rekor v2 as a hashedrekord over its PAE.
    image_round_trip(&["--rekor-v2"], ("hashedrekord", "0.0.2"));
}

/// Pushes an image, signs and attests it with cosign v3 (no trust files on its command line),
/// verifies both, and checks what cosign stored in the registry and what it logged (`entry`:
/// the kind and version of the log entries).
fn image_round_trip(up_args: &[&str], entry: (&str, &str)) {
    let started = Instant::now();
    let cosign = Tool::new(go_tool("cosign-v3"));
    let crane = Tool {
        bin: go_tool("crane"),
        home: cosign.home.clone(),
    };
    let up = Up::start(&[&["--ephemeral"], up_args].concat());
    let url = up.url();
    let registry = Registry::start(&crane);
    let work = tempfile::tempdir().unwrap();
    let trust = work.path().join("trust");
    let (ok, out) = sigbox(&["export", "--url", &url, "--out", path(&trust)]);
    assert!(ok, "sigbox export: {out}");
    let (ok, token) = sigbox(&["token", "--url", &url, "--email", EMAIL]);
    assert!(ok, "sigbox token: {token}");
    // cosign takes `--identity-token` as a raw token only if it parses as RS256
    // (internal/auth/auth.go, idToken), else as a file: the fake issuer signs ES256.
    let token_file = work.path().join("identity-token");
    std::fs::write(&token_file, token.trim()).unwrap();
    let token = path(&token_file);

    // Plain HTTP without --allow-http-registry: go-containerregistry picks http for
    // 127.0.0.1:PORT itself (pkg/name/registry.go, Scheme).
    let repo = format!("{}/sigbox/demo", registry.host);
    let image = push(&crane, work.path(), &format!("{repo}:signed"), b"signed\n");
    let unsigned = push(
        &crane,
        work.path(),
        &format!("{repo}:unsigned"),
        b"unsigned\n",
    );
    let image_hex = image.split_once("@sha256:").unwrap().1.to_owned();

    // Trusting the stack's first root once; both targets must come through TUF.
    let out = cosign.ok(&[
        "initialize",
        "--mirror",
        &format!("{url}/tuf"),
        "--root",
        path(&trust.join("root.json")),
    ]);
    from_tuf(&out);

    from_tuf(&cosign.ok(&["sign", "--yes", "--identity-token", token, &image]));
    // The policies: the signer's, another identity's, another issuer's.
    let good = [
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        &url,
    ];
    let wrong_id = [
        "--certificate-identity",
        "mallory@example.com",
        "--certificate-oidc-issuer",
        &url,
    ];
    let wrong_iss = [
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        "https://issuer.example.com",
    ];
    from_tuf(&cosign.ok(&args(&["verify"], &good, &image)));
    cosign.fails(&args(&["verify"], &wrong_id, &image), "expected SAN value");
    cosign.fails(
        &args(&["verify"], &wrong_iss, &image),
        "expected issuer value",
    );
    cosign.fails(&args(&["verify"], &good, &unsigned), "no signatures found");

    let predicate = work.path().join("predicate.json");
    std::fs::write(&predicate, br#"{"builder":"sigbox cosign_image test"}"#).unwrap();
    let out = cosign.ok(&[
        "attest",
        "--yes",
        "--identity-token",
        token,
        "--predicate",
        path(&predicate),
        "--type",
        PREDICATE_TYPE,
        &image,
    ]);
    from_tuf(&out);
    let attestation = ["verify-attestation", "--type", PREDICATE_TYPE];
    from_tuf(&cosign.ok(&args(&attestation, &good, &image)));
    cosign.fails(&args(&attestation, &wrong_id, &image), "expected SAN value");
    cosign.fails(
        &args(&attestation, &good, &unsigned),
        "no matching attestations",
    );

    // The registry has no referrers API, so cosign falls back to the OCI 1.1 referrers tag
    // schema: one index tagged `sha256-<digest>`, no legacy `.sig`/`.att` tags.
    let (tags, _) = crane.ok(&["ls", &repo]);
    let mut tags: Vec<&str> = tags.lines().collect();
    tags.sort_unstable();
    let fallback = format!("sha256-{image_hex}");
    assert_eq!(tags, [&fallback, "signed", "unsigned"], "tags in {repo}");
    let index: serde_json::Value =
        serde_json::from_str(&crane.ok(&["manifest", &format!("{repo}:{fallback}")]).0).unwrap();
    let referrers = index["manifests"]
        .as_array()
        .expect("an index of referrers");
    // Each referrer is a DSSE bundle about the image, one per predicate type, logged in the
    // log the signing config names; sigbox's own verifier accepts it too.
    let mut predicate_types = Vec::new();
    for referrer in referrers {
        assert_eq!(referrer["artifactType"], BUNDLE_TYPE, "{index:#}");
        let digest = referrer["digest"].as_str().unwrap();
        let manifest: serde_json::Value =
            serde_json::from_str(&crane.ok(&["manifest", &format!("{repo}@{digest}")]).0).unwrap();
        assert_eq!(manifest["subject"]["digest"], format!("sha256:{image_hex}"));
        let annotation = &manifest["annotations"]["dev.sigstore.bundle.predicateType"];
        predicate_types.push(annotation.as_str().unwrap_or_default().to_owned());
        let layer = manifest["layers"][0]["digest"].as_str().unwrap();
        let (bundle_json, _) = crane.ok(&["blob", &format!("{repo}@{layer}")]);
        let bundle: serde_json::Value = serde_json::from_str(&bundle_json).unwrap();
        assert!(bundle["dsseEnvelope"].is_object(), "{bundle}");
        let logged = &bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"];
        assert_eq!(
            (&logged["kind"], &logged["version"]),
            (&entry.0.into(), &entry.1.into())
        );
        let file = work.path().join(format!("{}.sigstore.json", &layer[7..19]));
        std::fs::write(&file, &bundle_json).unwrap();
        let (ok, out) = sigbox(&[
            "verify-bundle",
            "--bundle",
            path(&file),
            "--certificate-identity",
            EMAIL,
            "--certificate-oidc-issuer",
            &url,
            "--trusted-root",
            path(&trust.join("trusted_root.json")),
            &format!("sha256:{image_hex}"),
        ]);
        assert!(ok, "sigbox verify-bundle of cosign's {layer}: {out}");
    }
    predicate_types.sort_unstable();
    assert_eq!(predicate_types, [PREDICATE_TYPE, COSIGN_SIGN_TYPE]);
    drop(registry);
    drop(up);
    eprintln!(
        "cosign image round trip {up_args:?}: {:?}",
        started.elapsed()
    );
}

/// `head`, then `extra`, then the image.
fn args<'a>(head: &[&'a str], extra: &[&'a str], image: &'a str) -> Vec<&'a str> {
    [head, extra, &[image]].concat()
}

/// cosign only warns, and carries on without them, when it cannot get the trusted root or the
/// signing config through TUF: a warning here means sigbox's TUF repository failed it.
fn from_tuf((stdout, stderr): &(String, String)) {
    assert!(!stderr.contains("Could not fetch"), "{stdout}{stderr}");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// A one-file ustar archive, the layer `crane append` adds.
fn tarball(name: &str, data: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    // mode, uid, gid, size: NUL-terminated octal.
    for (at, width, value) in [
        (100, 8, 0o644),
        (108, 8, 0),
        (116, 8, 0),
        (124, 12, data.len()),
    ] {
        let field = format!("{value:0w$o}\0", w = width - 1);
        header[at..at + width].copy_from_slice(field.as_bytes());
    }
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = b'0'; // a regular file
    header[257..265].copy_from_slice(b"ustar\x0000");
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = header.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

/// Pushes a one-layer image to `tag`; its `repo@sha256:...` reference.
fn push(crane: &Tool, dir: &Path, tag: &str, content: &[u8]) -> String {
    let layer = dir.join("layer.tar");
    std::fs::write(&layer, tarball("hello.txt", content)).unwrap();
    let (out, _) = crane.ok(&["append", "--oci-empty-base", "-f", path(&layer), "-t", tag]);
    let reference = out.trim().to_owned();
    assert!(reference.contains("@sha256:"), "crane append printed {out}");
    reference
}

/// A Go tool run with HOME, DOCKER_CONFIG, TUF_ROOT and the XDG directories in a temp dir of
/// its own, and none of the machine's COSIGN_, SIGSTORE_, TUF_, DOCKER_ or XDG_ variables.
struct Tool {
    bin: PathBuf,
    home: Arc<tempfile::TempDir>,
}

impl Tool {
    fn new(bin: PathBuf) -> Self {
        Self {
            bin,
            home: Arc::new(tempfile::tempdir().unwrap()),
        }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let home = self.home.path();
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if [
                "COSIGN_",
                "SIGSTORE_",
                "TUF_",
                "DOCKER_",
                "XDG_",
                "REGISTRY_",
            ]
            .iter()
            .any(|p| key.starts_with(p))
            {
                cmd.env_remove(&*key);
            }
        }
        cmd.env("HOME", home)
            .env("DOCKER_CONFIG", home.join("docker"))
            .env("TUF_ROOT", home.join("tuf"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"));
        cmd.output().expect("running a Go tool")
    }

    /// Runs it, which must succeed: its stdout, then its stderr.
    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(
            out.status.success(),
            "`{}` failed:\n{stdout}{stderr}",
            self.line(args)
        );
        (stdout, stderr)
    }

    /// Runs it, which must fail saying `why`.
    fn fails(&self, args: &[&str], why: &str) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(why),
            "`{}` should have failed with {why:?}:\n{}{stderr}",
            self.line(args),
            String::from_utf8_lossy(&out.stdout),
        );
    }

    fn line(&self, args: &[&str]) -> String {
        let name = self.bin.file_name().unwrap().to_string_lossy();
        format!("{name} {}", args.join(" "))
    }
}

/// `crane registry serve` (in memory) on a loopback port the OS chose; stopped on drop.
struct Registry {
    child: Child,
    host: String,
    log: Arc<Mutex<String>>,
}

impl Registry {
    fn start(crane: &Tool) -> Self {
        let mut child = Command::new(&crane.bin)
            .args(["registry", "serve", "--address", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning crane registry serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut registry = Self {
            child,
            host: String::new(),
            log: Arc::default(),
        };
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| Some(l.split_once("serving on port ")?.1.trim().to_owned()))
            .expect("crane registry serve exited before naming its port");
        registry.host = format!("127.0.0.1:{port}");
        // It logs every request to stderr: keep draining it, or a full pipe blocks it.
        let log = registry.log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        registry
    }
}

impl Drop for Registry {
    /// SIGTERM, a grace period, then SIGKILL; the request log when the test failed.
    fn drop(&mut self) {
        if let (true, Ok(log)) = (std::thread::panicking(), self.log.lock()) {
            eprintln!("registry log:\n{log}");
        }
        stop(&mut self.child, Duration::from_secs(5));
    }
}
