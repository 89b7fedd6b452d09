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

/// The runs of command lines `sigbox export` printed (between its comment lines), each joined
/// into one shell snippet.
fn command_blocks(printed: &str) -> Vec<String> {
    let mut blocks = vec![String::new()];
    for line in printed.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            if !blocks.last().unwrap().is_empty() {
                blocks.push(String::new());
            }
        } else {
            let block = blocks.last_mut().unwrap();
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks.retain(|b| !b.is_empty());
    blocks
}

/// `text` with every `word` that stands alone (not inside a longer name, as in
/// `SIGSTORE_ROOT_FILE`) replaced by `by`.
fn replace_word(text: &str, word: &str, by: &str) -> String {
    let name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        out.push_str(&rest[..at]);
        let before = out.chars().last();
        let after = rest[at + word.len()..].chars().next();
        if before.is_some_and(name) || after.is_some_and(name) {
            out.push_str(word);
        } else {
            out.push_str(by);
        }
        rest = &rest[at + word.len()..];
    }
    out + rest
}

#[test]
fn replace_word_leaves_longer_names_alone() {
    assert_eq!(
        replace_word(
            "cosign FILE.sigstore.json FILE SIGSTORE_ROOT_FILE=x",
            "FILE",
            "a.txt"
        ),
        "cosign a.txt.sigstore.json a.txt SIGSTORE_ROOT_FILE=x"
    );
}

/// The block that starts with `first`, or a panic naming it.
fn block<'a>(blocks: &'a [String], first: &str) -> &'a str {
    blocks
        .iter()
        .find(|b| b.starts_with(first))
        .unwrap_or_else(|| panic!("no command block starts with {first:?}: {blocks:#?}"))
}

/// The cosign, sigstore-go and gitsign lines `sigbox export` prints are the ones that work: run as
/// printed (FILE replaced by an artifact), against `sigbox up`, with the pinned clients.
#[test]
fn printed_cosign_sigstore_go_and_gitsign_lines_run_as_printed() {
    let up = Up::start(&["--ephemeral"]);
    let url = up.url();
    let work = tempfile::tempdir().unwrap();
    let trust = work.path().join("trust");
    let out = Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .args(["export", "--url", &url, "--out"])
        .arg(&trust)
        .output()
        .unwrap();
    assert!(out.status.success());
    let blocks = command_blocks(&String::from_utf8(out.stdout).unwrap());
    let token = Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .args(["token", "--url", &url])
        .output()
        .unwrap();
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let artifact = work.path().join("artifact.txt");
    std::fs::write(&artifact, b"signed with the lines sigbox export prints\n").unwrap();
    let dir_of = |label: &str| crate::support::go_tool(label).parent().unwrap().to_owned();
    let run_in =
        |dir: &std::path::Path, what: &str, tool_dirs: &[std::path::PathBuf], script: &str| {
            let path = std::env::join_paths(
                tool_dirs
                    .iter()
                    .cloned()
                    .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
            )
            .unwrap();
            let script = replace_word(script, "FILE", &artifact.to_string_lossy());
            let out = Command::new("bash")
                .args(["-euo", "pipefail", "-c", &script])
                .env("PATH", path)
                .env("TOKEN", &token)
                .env("HOME", work.path())
                // The lines' `mktemp -d` then lands in the test's directory, removed with it.
                .env("TMPDIR", work.path())
                .env_remove("SIGSTORE_ID_TOKEN")
                .env_remove("TUF_ROOT")
                // git, for gitsign's lines: nothing of the machine's configuration.
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "sigbox export test")
                .env("GIT_AUTHOR_EMAIL", "export@sigbox.test")
                .env("GIT_COMMITTER_NAME", "sigbox export test")
                .env("GIT_COMMITTER_EMAIL", "export@sigbox.test")
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{what}:\n{script}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
    let run = |what: &str, tool_dirs: &[std::path::PathBuf], script: &str| {
        run_in(work.path(), what, tool_dirs, script)
    };
    let cosign_files = block(&blocks, "printf %s");
    let cosign_tuf = block(&blocks, "export TUF_ROOT");
    let bundle = work.path().join("artifact.txt.sigstore.json");
    for label in ["cosign-v3", "cosign-v2"] {
        let _ = std::fs::remove_file(&bundle);
        run(label, &[dir_of(label)], cosign_files);
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
        assert_eq!(
            written["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json",
            "{label}"
        );
    }
    // A printed line that does the wrong thing would fail: another identity is refused.
    let wrong = cosign_files.replace("alice@example.com", "mallory@example.com");
    let refused =
        std::panic::catch_unwind(|| run("wrong identity", &[dir_of("cosign-v3")], &wrong));
    assert!(refused.is_err(), "cosign accepted another identity");
    run("cosign-v3 through TUF", &[dir_of("cosign-v3")], cosign_tuf);
    run(
        "sigstore-go conformance CLI",
        &[dir_of("sigstore-go-conformance")],
        block(&blocks, "conformance sign-bundle"),
    );
    // Its TUF example verifies the bundle the CLI just wrote.
    run(
        "sigstore-go TUF example",
        &[dir_of("sigstore-go-verification")],
        block(&blocks, "sigstore-go-verification"),
    );
    // gitsign signs a commit in a fresh repository and verifies it, from the PEM files
    // `sigbox export` wrote beside the trusted root.
    let repo = work.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    run_in(&repo, "git init", &[], "git init -q");
    let gitsign = block(&blocks, "export GITSIGN_FULCIO_URL");
    run_in(&repo, "gitsign", &[dir_of("gitsign")], gitsign);
    let log = Command::new("git")
        .args(["cat-file", "commit", "HEAD"])
        .current_dir(&repo)
        .output()
        .unwrap();
    let commit = String::from_utf8_lossy(&log.stdout);
    assert!(
        commit.contains("gpgsig -----BEGIN SIGNED MESSAGE-----"),
        "{commit}"
    );
}
