//! What `sigbox up` does to stay reachable and safe: it raises its open-file limit so a few
//! hundred slow connections cannot take every descriptor, and it will not expose its admin
//! API beyond loopback with a token anyone can derive.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::support::Up;

/// The soft and hard open-file limits of process `pid`, from /proc.
fn nofile_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let fields: Vec<&str> = line.split_whitespace().collect();
    (fields[3].to_owned(), fields[4].to_owned())
}

/// The issue's lock-out: 300 connections with unfinished request heads against a stack whose
/// soft descriptor limit was 256. It raises the limit to the hard one at start, and every other
/// client is still answered.
#[test]
fn three_hundred_unfinished_heads_do_not_lock_others_out() {
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        r#"ulimit -Sn 256 && exec "$0" up --json --listen 127.0.0.1:0 --ephemeral"#,
        env!("CARGO_BIN_EXE_sigbox"),
    ]);
    let up = Up::spawn(cmd);
    let (soft, hard) = nofile_limits(up.child.id());
    assert_eq!(soft, hard, "soft open-file limit raised to the hard one");
    let addr = up.url().trim_start_matches("http://").to_owned();
    let slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: sigbox\r\n")
                .unwrap();
            s
        })
        .collect();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let health = client.get(format!("{}/healthz", up.url())).send().unwrap();
    assert_eq!(health.status(), 200);
    let log = client
        .get(format!("{}/api/v1/log", up.url()))
        .send()
        .unwrap();
    assert_eq!(log.status(), 200);
    // The slow heads are still open: nothing was dropped to make room.
    let mut first = &slow[0];
    first
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 1];
    let err = first
        .read(&mut buf)
        .expect_err("no answer to an unfinished head");
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    drop(slow);
}

/// Beyond loopback, the admin token must be the operator's own: none, the one derived from
/// the seed, or a short one is refused at start with a message that says why and what to pass.
#[test]
fn exposed_listeners_need_an_admin_token_of_their_own() {
    let derived = stack::derived_admin_token(stack::DEFAULT_SEED);
    for (token, needle) in [
        (None, "no --admin-token was given"),
        (Some(derived.as_str()), "the one derived from the seed"),
        (Some("short"), "has 5 characters, fewer than 16"),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigbox"));
        cmd.args(["up", "--ephemeral", "--listen", "0.0.0.0:0"])
            .env_remove("SIGBOX_ADMIN_TOKEN");
        if let Some(t) = token {
            cmd.args(["--admin-token", t]);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{token:?}: started");
        assert!(
            stderr.contains("refusing to listen on 0.0.0.0:0")
                && stderr.contains(needle)
                && stderr.contains("--admin-token"),
            "{token:?}: {stderr}"
        );
    }
    // With a token of its own it starts, and the token guards the admin API.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigbox"));
    cmd.args([
        "up",
        "--json",
        "--ephemeral",
        "--listen",
        "0.0.0.0:0",
        "--admin-token",
        "an-operator-secret-0123",
    ]);
    let up = Up::spawn(cmd);
    assert_eq!(up.ready["admin_token"], "an-operator-secret-0123");
    let port = up.url().rsplit(':').next().unwrap().to_owned();
    let client = reqwest::blocking::Client::new();
    let clock = format!("http://127.0.0.1:{port}/admin/clock");
    assert_eq!(client.get(&clock).send().unwrap().status(), 401);
    let ok = client
        .get(&clock)
        .bearer_auth("an-operator-secret-0123")
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
}
