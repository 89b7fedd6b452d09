use std::process::Command;

use crate::support::{Up, python};

/// `sigbox export` writes the four files as the stack serves them, prints command lines that
/// name them, and the trust config it wrote is one sigstore-python loads.
#[test]
fn export_writes_what_clients_need() {
    let up = Up::start(&["--ephemeral"]);
    let url = up.url();
    let out_dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .args(["export", "--url", &url, "--out"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    for name in [
        "trusted_root.json",
        "signing_config.v0.2.json",
        "trust_config.json",
        "root.json",
    ] {
        let written = std::fs::read(out_dir.path().join(name)).unwrap();
        let served = reqwest::blocking::get(format!("{url}/trust/{name}"))
            .unwrap()
            .bytes()
            .unwrap();
        assert_eq!(written, served.as_ref(), "{name}");
        let v: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert!(v.is_object(), "{name}");
    }
    for line in [
        "--trust-config",
        "trust-instance",
        "--tuf-mirror-url",
        "cosign verify-blob",
        "TEST ONLY",
    ] {
        assert!(
            printed.contains(line),
            "export output lacks {line:?}:\n{printed}"
        );
    }
    // The root is the TUF repository's version 1, which `/tuf/1.root.json` also serves.
    let root = std::fs::read(out_dir.path().join("root.json")).unwrap();
    let served = reqwest::blocking::get(format!("{url}/tuf/1.root.json"))
        .unwrap()
        .bytes()
        .unwrap();
    assert_eq!(root, served.as_ref());
    // sigstore-python parses the trust config with its own models.
    let check = Command::new(python())
        .args([
            "-c",
            "import sys\nfrom sigstore.models import ClientTrustConfig\n\
             c = ClientTrustConfig.from_json(open(sys.argv[1]).read())\n\
             print('ok', len(c.trusted_root.get_fulcio_certs()))",
        ])
        .arg(out_dir.path().join("trust_config.json"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout).into_owned()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success() && text.contains("ok 2"), "{text}");
    // A missing file name is a 404 that says what is there.
    let r = reqwest::blocking::get(format!("{url}/trust/nope.json")).unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().unwrap().contains("trusted_root.json"));
}
