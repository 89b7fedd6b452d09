use crate::support::Up;

#[test]
fn up_prints_ready_object_and_serves_healthz() {
    let up = Up::start(&["--ephemeral"]);
    eprintln!("sigbox up printed its ready object after {:?}", up.startup);
    let url = up.url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        !url.ends_with(":0"),
        "the bound port is reported, not 0: {url}"
    );
    assert_eq!(up.ready["ephemeral"], true);
    assert_eq!(up.ready["seed"], "sigbox");
    let state = up.ready["state_dir"].as_str().unwrap().to_owned();
    assert!(std::path::Path::new(&state).join("ready.json").exists());
    let body = reqwest::blocking::get(format!("{url}/healthz"))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(body, "ok\n");
    // The trust files clients are pointed at, written at start-up, as the stack serves them.
    for (field, served) in [
        ("trusted_root", "trusted_root.json"),
        ("signing_config", "signing_config.v0.2.json"),
        ("trust_config", "trust_config.json"),
        ("tuf_root", "root.json"),
    ] {
        let path = up.ready["trust_files"][field].as_str().unwrap();
        assert!(path.starts_with(&state), "{field}: {path}");
        let written = std::fs::read(path).unwrap();
        let served = reqwest::blocking::get(format!("{url}/trust/{served}"))
            .unwrap()
            .bytes()
            .unwrap();
        assert_eq!(written, served.as_ref(), "{field}");
    }
    let status = up.terminate();
    assert!(
        status.success(),
        "SIGTERM should stop sigbox cleanly: {status}"
    );
    assert!(
        !std::path::Path::new(&state).exists(),
        "the ephemeral state directory is removed on exit"
    );
}

#[test]
fn same_seed_gives_same_public_keys() {
    let a = Up::start(&["--ephemeral", "--seed", "reproducible"]);
    let b = Up::start(&["--ephemeral", "--seed", "reproducible"]);
    let c = Up::start(&["--ephemeral", "--seed", "another"]);
    let keys = |up: &Up| up.ready["public_keys"].clone();
    assert!(keys(&a).as_object().is_some_and(|k| k.len() >= 5));
    assert_eq!(keys(&a), keys(&b));
    assert_ne!(keys(&a), keys(&c));
    assert_eq!(a.ready["admin_token"], b.ready["admin_token"]);
}

#[test]
fn admin_endpoints_need_the_token() {
    let up = Up::start(&["--ephemeral", "--clock", "frozen=2026-01-01T00:00:00Z"]);
    let url = up.url();
    let client = reqwest::blocking::Client::new();
    let denied = client.get(format!("{url}/admin/clock")).send().unwrap();
    assert_eq!(denied.status(), 401);
    let err: serde_json::Value = denied.json().unwrap();
    assert_eq!(err["code"], 401);
    assert!(err["message"].as_str().unwrap().contains("Bearer"));
    let token = up.ready["admin_token"].as_str().unwrap();
    let moved: serde_json::Value = client
        .post(format!("{url}/admin/clock/advance"))
        .bearer_auth(token)
        .json(&serde_json::json!({"seconds": 600}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(moved["now"], "2026-01-01T00:10:00Z");
    assert_eq!(moved["frozen"], true);
    // Past year 9999, or past what a duration holds: a 400 naming the range, the clock
    // unchanged and the stack still answering (these used to panic it).
    for seconds in [
        serde_json::json!(300_000_000_000u64),
        serde_json::json!(u64::MAX),
    ] {
        let refused = client
            .post(format!("{url}/admin/clock/advance"))
            .bearer_auth(token)
            .json(&serde_json::json!({"seconds": seconds}))
            .send()
            .unwrap();
        assert_eq!(refused.status(), 400);
        let err: serde_json::Value = refused.json().unwrap();
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("must stay between"),
            "{err}"
        );
    }
    let refused = client
        .post(format!("{url}/admin/clock"))
        .bearer_auth(token)
        .json(&serde_json::json!({"now": "1969-07-20T20:17:00Z"}))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    let now: serde_json::Value = client
        .get(format!("{url}/admin/clock"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(now["now"], "2026-01-01T00:10:00Z");
}

/// `--public-url` names the stack in what clients read; it still answers on its listener,
/// which the ready object gives. A URL with a path or another scheme is refused at start.
#[test]
fn public_url_names_the_stack_and_the_ready_object_gives_the_listener() {
    let up = Up::start(&["--ephemeral", "--public-url", "http://sigbox.test:8080/"]);
    assert_eq!(up.url(), "http://sigbox.test:8080");
    assert_eq!(up.ready["tuf_url"], "http://sigbox.test:8080/tuf");
    let listen = up.ready["listen"].as_str().unwrap().to_owned();
    assert!(listen.starts_with("127.0.0.1:"), "{listen}");
    let config =
        std::fs::read_to_string(up.ready["trust_files"]["signing_config"].as_str().unwrap())
            .unwrap();
    assert!(
        config.contains("\"url\": \"http://sigbox.test:8080\""),
        "{config}"
    );
    assert!(!config.contains(&listen), "{config}");
    let checkpoint = reqwest::blocking::get(format!("http://{listen}/rekor-v2/api/v2/checkpoint"))
        .unwrap()
        .text()
        .unwrap();
    assert!(checkpoint.starts_with("sigbox.test\n"), "{checkpoint}");
    up.terminate();

    for bad in ["http://sigbox.test/prefix", "ftp://sigbox.test"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sigbox"))
            .args([
                "up",
                "--ephemeral",
                "--listen",
                "127.0.0.1:0",
                "--public-url",
                bad,
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad}");
        assert!(
            stderr.contains(bad) && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn tuf_lifetimes_out_of_range_are_refused_at_start_without_a_panic() {
    for (flag, days) in [
        ("--tuf-root-days", "100000000"),
        ("--tuf-timestamp-days", "200000000000000"),
        ("--tuf-targets-days", "0"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sigbox"))
            .args(["up", "--ephemeral", "--listen", "127.0.0.1:0", flag, days])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {days}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("1..=36500"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn oversized_and_malformed_bodies_get_the_json_error_shape() {
    let up = Up::start(&["--ephemeral"]);
    let url = up.url();
    let token = up.ready["admin_token"].as_str().unwrap().to_owned();
    let client = reqwest::blocking::Client::new();
    let big = client
        .post(format!("{url}/admin/clock"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .unwrap();
    assert_eq!(big.status(), 413);
    let err: serde_json::Value = big.json().unwrap();
    assert!(
        err["message"].as_str().unwrap().contains("over the limit"),
        "{err}"
    );
    let bad = client
        .post(format!("{url}/admin/clock"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"now\": ")
        .send()
        .unwrap();
    assert_eq!(bad.status(), 400);
    let err: serde_json::Value = bad.json().unwrap();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON body"),
        "{err}"
    );
}

#[test]
fn refuses_a_state_dir_made_with_another_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let state = state.to_str().unwrap();
    let up = Up::start(&["--state", state, "--seed", "first"]);
    assert!(up.terminate().success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--state",
            state,
            "--seed",
            "second",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("seed `first`"), "{stderr}");
}

#[test]
fn sigint_stops_cleanly_too() {
    let mut up = Up::start(&["--ephemeral"]);
    let pid = up.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = up.child.wait().unwrap();
    assert!(
        status.success(),
        "SIGINT should stop sigbox cleanly: {status}"
    );
}

#[test]
fn tuf_expiry_is_configurable_and_follows_the_stack_clock() {
    let up = Up::start(&[
        "--ephemeral",
        "--clock",
        "frozen=2026-01-01T00:00:00Z",
        "--tuf-timestamp-days",
        "2",
        "--tuf-root-days",
        "30",
    ]);
    let url = up.url();
    let get = |path: &str| -> serde_json::Value {
        reqwest::blocking::get(format!("{url}/tuf/{path}"))
            .unwrap()
            .json()
            .unwrap()
    };
    assert_eq!(
        get("timestamp.json")["signed"]["expires"],
        "2026-01-03T00:00:00Z"
    );
    assert_eq!(
        get("1.snapshot.json")["signed"]["expires"],
        "2026-01-22T00:00:00Z"
    );
    assert_eq!(
        get("1.root.json")["signed"]["expires"],
        "2026-01-31T00:00:00Z"
    );
}

#[test]
fn version_names_the_commit() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.starts_with(&format!("sigbox {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{printed}"
    );
    // Built in a git checkout (as every test run is), it names HEAD as it was at build time.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    if head.status.success() {
        let head = String::from_utf8(head.stdout).unwrap();
        assert!(printed.contains(head.trim()), "{printed} vs {head}");
    }
}
