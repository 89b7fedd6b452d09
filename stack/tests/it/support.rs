//! What the tests share: where the workspace is, the pinned third-party clients, and running
//! them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The stack crate's directory, read at run time: a warm target dir may hold a test binary
/// built from another clone path, so `env!` would point at the wrong checkout.
pub(crate) fn manifest_dir() -> PathBuf {
    PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("cargo sets CARGO_MANIFEST_DIR when it runs tests"),
    )
}

/// The Python with the pinned `sigstore`: `$SIGBOX_PYTHON`, or the workspace's `.venv`.
pub(crate) fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SIGBOX_PYTHON") {
        return p.into();
    }
    let venv = manifest_dir().join("../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with sigstore installed: run `.ci/run` or `just tools` (or set SIGBOX_PYTHON)"
    );
    venv
}

/// Runs `cmd`: whether it succeeded, and its stdout then stderr.
pub(crate) fn run(mut cmd: Command) -> (bool, String) {
    let out = cmd.output().expect("starting a client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs `tests/it/python/<script>` with `args` under the pinned Python.
pub(crate) fn python_script(script: &str, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(python());
    cmd.arg(manifest_dir().join("tests/it/python").join(script))
        .args(args);
    run(cmd)
}

/// sigstore-python's CLI, with its TUF cache and data in `home` (never the user's).
pub(crate) fn sigstore_python(home: &Path, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(python());
    cmd.args(["-m", "sigstore"])
        .args(args)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"));
    run(cmd)
}

/// sigstore-python's `verify identity` of `bundle` over `file` for `identity` and `issuer`, its
/// trust from `trust` (`["--trust-config", FILE]` or `["--instance", URL]`).
pub(crate) fn sigstore_python_verify(
    home: &Path,
    trust: [&str; 2],
    bundle: &str,
    file: &str,
    identity: &str,
    issuer: &str,
) -> (bool, String) {
    let args = [
        trust[0],
        trust[1],
        "verify",
        "identity",
        "--bundle",
        bundle,
        "--cert-identity",
        identity,
        "--cert-oidc-issuer",
        issuer,
        file,
    ];
    sigstore_python(home, &args)
}

/// sigstore-js through `tests/it/js/client.js`.
pub(crate) fn sigstore_js(args: &[&str]) -> (bool, String) {
    let js = manifest_dir().join("../tools/js");
    assert!(
        js.join("node_modules/sigstore").exists(),
        "sigstore-js is not installed: run `.ci/run` or `just tools`"
    );
    let mut cmd = Command::new("node");
    cmd.arg(manifest_dir().join("tests/it/js/client.js"))
        .args(args)
        .env("SIGBOX_JS_DIR", js);
    run(cmd)
}

/// Writes what the clients start from into `dir`: sigstore-python's `trust_config.json` and the
/// TUF repository's first `root.json`.
pub(crate) fn write_client_trust(stack: &stack::Stack, dir: &Path) {
    std::fs::write(
        dir.join("trust_config.json"),
        stack.trust().client_trust_config_json(),
    )
    .unwrap();
    std::fs::write(dir.join("root.json"), stack.trust().bootstrap_root_json()).unwrap();
}
