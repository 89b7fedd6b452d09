//! Outages over HTTP: each service rate limited, unavailable, slow, resetting or truncating for
//! the next N requests, then honest; the refusals and resets log nothing; a stop does not wait
//! for a slow answer; `/admin/faults` arms, lists and refuses them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stack::Stack;
use stack::faults::{Effect, Service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Each service's name and a read-only route of it that answers 200.
const READS: [(&str, &str); 5] = [
    ("fulcio", "/api/v2/configuration"),
    ("rekor", "/api/v1/log"),
    ("rekor-v2", "/rekor-v2/api/v2/checkpoint"),
    ("tsa", "/api/v1/timestamp/certchain"),
    ("tuf", "/tuf/timestamp.json"),
];

/// A key for tests only (a fixed scalar).
fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest([b'o', n])).unwrap()
}

fn key_pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

/// A Rekor v1 hashedrekord proposal over `artifact` (the Rekor v1 tests' builder).
fn rekor_entry(artifact: &[u8]) -> Value {
    crate::rekor_v1::proposal(&key(1), artifact)
}

/// A Rekor v2 `hashedRekordRequestV002` over `artifact` (the Rekor v2 tests' builder).
fn rekor_v2_entry(artifact: &[u8]) -> Value {
    crate::rekor_v2::hashed_rekord(&key(2), artifact)
}

/// A Fulcio v2 certificate request for the default identity (the email is the challenge).
fn fulcio_request(stack: &Stack) -> Value {
    let token = stack
        .oidc()
        .mint(&fake_oidc::MintRequest::default())
        .unwrap();
    let key = key(3);
    let sig: DerSignature = key.sign(b"alice@example.com");
    json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": key_pem(&key)},
            "proofOfPossession": B64.encode(sig.as_bytes()),
        }
    })
}

/// A client that opens a connection per request: hyper's pool retries a request whose reused
/// connection closed, which would hide a reset.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn arm(stack: &Stack, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}/admin/faults", stack.url()))
        .bearer_auth(stack.admin_token())
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn arm_ok(stack: &Stack, body: Value) {
    let r = arm(stack, body.clone()).await;
    assert_eq!(
        r.status(),
        200,
        "arming {body}: {}",
        r.text().await.unwrap()
    );
}

/// An answer read off the socket: the status line, the headers (lowercase names), the body.
#[derive(Debug)]
struct Raw {
    status: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> usize {
        self.header("content-length")
            .unwrap_or_else(|| panic!("no Content-Length: {self:?}"))
            .parse()
            .unwrap()
    }
}

/// One request on a fresh connection (`Connection: close`), read to EOF (or to a reset, which
/// ends what the server sent as surely): every byte the server wrote.
async fn raw_bytes(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let exchange = async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: sigbox\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("reading the answer to {method} {path}: {e}"),
            }
        }
        out
    };
    tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer and no close within 20 s"))
}

fn parse_raw(bytes: &[u8]) -> Raw {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().to_owned();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    Raw {
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

async fn raw(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Raw {
    parse_raw(&raw_bytes(addr, method, path, body).await)
}

/// The stack's JSON error body: its code and message.
fn error_body(body: &[u8]) -> (u16, String) {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not the JSON error shape ({e}): {body:?}"));
    (
        u16::try_from(v["code"].as_u64().unwrap()).unwrap(),
        v["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_and_unavailable_answer_for_the_next_n_requests_then_honestly() {
    let stack = Stack::builder().start().await.unwrap();
    let http = client();
    for (service, path) in READS {
        let url = format!("{}{path}", stack.url());
        for (kind, status) in [("rate-limited", 429), ("unavailable", 503)] {
            let name = format!("{service}-{kind}");
            // The TSA's rate limit keeps the default Retry-After; the others say 7 s.
            let mut body = json!({"fault": name, "count": 2});
            if kind == "rate-limited" && service != "tsa" {
                body["retry_after_secs"] = json!(7);
            }
            arm_ok(&stack, body).await;
            for n in 1..=2 {
                let r = http.get(&url).send().await.unwrap();
                assert_eq!(r.status(), status, "{name}, request {n}");
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let want = match (kind, service) {
                    ("rate-limited", "tsa") => Some("1".to_owned()),
                    ("rate-limited", _) => Some("7".to_owned()),
                    _ => None,
                };
                assert_eq!(retry_after, want, "{name}: Retry-After");
                let (code, message) = error_body(&r.bytes().await.unwrap());
                assert_eq!(code, status, "{name}");
                assert!(message.contains(&name), "{name}: {message:?}");
            }
            let r = http.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{name}: honest after two requests");
        }
    }
    assert!(stack.faults().outages().is_empty());
}

/// Other routes are not the outage's: the CT log, `/trust/` and the OIDC issuer stay up, and
/// do not use the count.
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_leaves_the_other_routes_up() {
    let stack = Stack::builder().start().await.unwrap();
    let http = client();
    for name in ["fulcio-unavailable", "tuf-unavailable", "rekor-unavailable"] {
        arm_ok(&stack, json!({"fault": name})).await;
    }
    for path in [
        "/ct/v1/get-sth",
        "/trust/trusted_root.json",
        "/.well-known/openid-configuration",
        "/healthz",
        "/rekor-v2/api/v2/checkpoint",
    ] {
        let r = http
            .get(format!("{}{path}", stack.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    assert_eq!(stack.faults().outages().len(), 3, "none was used up");
}

/// What a write changed: the Rekor v1 size, the Rekor v2 size, the CT log's (Fulcio logs each
/// certificate there).
fn sizes(stack: &Stack) -> (u64, u64, u64) {
    (
        stack.rekor().tree_size().unwrap(),
        stack.rekor_v2().tree_size().unwrap(),
        stack.ctlog().tree_size(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_and_reset_writes_log_nothing() {
    let stack = Stack::builder().start().await.unwrap();
    let writes = [
        ("rekor", "/api/v1/log/entries", "201 Created"),
        ("rekor-v2", "/rekor-v2/api/v2/log/entries", "201 Created"),
        ("fulcio", "/api/v2/signingCert", "200 OK"),
    ];
    let body = |service: &str, n: u8| -> Vec<u8> {
        let artifact = [b'a', n];
        match service {
            "rekor" => rekor_entry(&artifact),
            "rekor-v2" => rekor_v2_entry(&artifact),
            _ => fulcio_request(&stack),
        }
        .to_string()
        .into_bytes()
    };
    let mut n = 0;
    for (service, path, honest) in writes {
        for kind in ["rate-limited", "unavailable", "reset"] {
            let name = format!("{service}-{kind}");
            arm_ok(&stack, json!({"fault": name})).await;
            let before = sizes(&stack);
            n += 1;
            let answer = raw_bytes(stack.addr(), "POST", path, &body(service, n)).await;
            match kind {
                "reset" => assert!(answer.is_empty(), "{name} answered {answer:?}"),
                _ => {
                    let status = parse_raw(&answer).status;
                    assert!(status.starts_with("HTTP/1.1 "), "{name}: {status}");
                    assert!(!status.contains(" 2"), "{name}: {status}");
                }
            }
            assert_eq!(sizes(&stack), before, "{name} logged something");
        }
        // The same write, honest, is logged.
        let before = sizes(&stack);
        n += 1;
        let answer = raw(stack.addr(), "POST", path, &body(service, n)).await;
        assert_eq!(answer.status, format!("HTTP/1.1 {honest}"), "{service}");
        assert_ne!(
            sizes(&stack),
            before,
            "{service}'s honest write logged nothing"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_closes_the_connection_with_no_answer_then_honestly() {
    let stack = Stack::builder().start().await.unwrap();
    for (service, path) in READS {
        let name = format!("{service}-reset");
        arm_ok(&stack, json!({"fault": name, "count": 2})).await;
        for n in 1..=2 {
            let answer = raw_bytes(stack.addr(), "GET", path, b"").await;
            assert!(
                answer.is_empty(),
                "{name}, request {n}: {:?}",
                String::from_utf8_lossy(&answer)
            );
        }
        let honest = raw(stack.addr(), "GET", path, b"").await;
        assert_eq!(honest.status, "HTTP/1.1 200 OK", "{name}: honest after two");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_sends_the_head_and_half_the_body_then_honestly() {
    let stack = Stack::builder().start().await.unwrap();
    for (service, path) in READS {
        let name = format!("{service}-truncated");
        arm_ok(&stack, json!({"fault": name})).await;
        let cut = raw(stack.addr(), "GET", path, b"").await;
        let honest = raw(stack.addr(), "GET", path, b"").await;
        assert_eq!(cut.status, "HTTP/1.1 200 OK", "{name}");
        assert_eq!(honest.status, "HTTP/1.1 200 OK", "{name}: honest after one");
        let whole = honest.content_length();
        assert_eq!(honest.body.len(), whole, "{name}: the honest body is whole");
        assert_eq!(
            cut.content_length(),
            whole,
            "{name}: the whole length declared"
        );
        assert_eq!(cut.body.len(), whole / 2, "{name}: half the body sent");
        assert_eq!(cut.body, honest.body[..whole / 2], "{name}: the real half");
        assert_eq!(
            cut.header("content-type"),
            honest.header("content-type"),
            "{name}: the real headers"
        );
    }
    // The handler ran: the entry is logged, though its answer never arrives whole.
    let before = stack.rekor().tree_size().unwrap();
    arm_ok(&stack, json!({"fault": "rekor-truncated"})).await;
    let body = rekor_entry(b"truncated").to_string();
    let cut = raw(stack.addr(), "POST", "/api/v1/log/entries", body.as_bytes()).await;
    assert_eq!(cut.status, "HTTP/1.1 201 Created");
    assert!(cut.body.len() < cut.content_length());
    assert_eq!(stack.rekor().tree_size().unwrap(), before + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_answers_the_real_answer_after_the_delay() {
    let stack = Stack::builder().start().await.unwrap();
    let http = client();
    let delay = Duration::from_millis(300);
    for (service, path) in READS {
        let name = format!("{service}-slow");
        let url = format!("{}{path}", stack.url());
        arm_ok(&stack, json!({"fault": name, "delay_ms": 300})).await;
        let started = Instant::now();
        let r = http.get(&url).send().await.unwrap();
        let status = r.status();
        let slow = r.bytes().await.unwrap();
        let took = started.elapsed();
        assert_eq!(status, 200, "{name}");
        assert!(took >= delay, "{name} answered in {took:?}");
        let honest = http.get(&url).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(slow, honest, "{name}: the real answer");
    }
    // A slow write is a real one: its entry is logged.
    let before = stack.rekor().tree_size().unwrap();
    arm_ok(&stack, json!({"fault": "rekor-slow", "delay_ms": 300})).await;
    let started = Instant::now();
    let r = http
        .post(format!("{}/api/v1/log/entries", stack.url()))
        .json(&rekor_entry(b"slow"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(started.elapsed() >= delay);
    assert_eq!(stack.rekor().tree_size().unwrap(), before + 1);
}

/// A stop lets requests in flight finish, but not wait out a slow outage's delay (a minute by
/// default): the slow answer goes out at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_stop_does_not_wait_for_a_slow_answer() {
    let stack = Stack::builder().start().await.unwrap();
    stack.faults().arm_outage(
        Service::Rekor,
        Effect::Slow {
            delay: Effect::DEFAULT_DELAY,
        },
        1,
    );
    let url = format!("{}/api/v1/log", stack.url());
    let pending = tokio::spawn(async move { client().get(url).send().await.map(|r| r.status()) });
    // The request has reached the outage once it has used it up.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !stack.faults().outages().is_empty() {
        assert!(Instant::now() < deadline, "the slow request never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Well inside the minute the answer is held back for.
    tokio::time::timeout(Duration::from_secs(30), stack.shutdown())
        .await
        .expect("the stop waited for the slow answer")
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(30), pending)
        .await
        .expect("the slow request still hangs after the stop")
        .unwrap();
    assert_eq!(answered.ok(), Some(reqwest::StatusCode::OK));
}

#[tokio::test(flavor = "multi_thread")]
async fn outages_are_armed_listed_and_refused_through_the_admin_api() {
    let stack = Stack::builder().start().await.unwrap();
    arm_ok(&stack, json!({"fault": "tsa-other-digest", "count": 3})).await;
    arm_ok(
        &stack,
        json!({"fault": "fulcio-slow", "count": 2, "delay_ms": 300}),
    )
    .await;
    arm_ok(&stack, json!({"fault": "rekor-v2-rate-limited"})).await;
    arm_ok(&stack, json!({"fault": "tuf-reset"})).await;
    let listed = json!({
        "tsa-other-digest": 3,
        "fulcio-slow": {"count": 2, "delay_ms": 300},
        "rekor-v2-rate-limited": {"count": 1, "retry_after_secs": 1},
        "tuf-reset": {"count": 1},
    });
    let list = || async {
        client()
            .get(format!("{}/admin/faults", stack.url()))
            .bearer_auth(stack.admin_token())
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(list().await, listed);
    for (body, needle) in [
        (
            json!({"fault": "fulcio-down"}),
            "unknown fault \"fulcio-down\"",
        ),
        (json!({"fault": "fulcio-down"}), "rate-limited"),
        (
            json!({"fault": "fulcio-unavailable", "delay_ms": 5}),
            "fulcio-unavailable takes no delay_ms",
        ),
        (
            json!({"fault": "rekor-slow", "retry_after_secs": 5}),
            "rekor-slow takes no retry_after_secs",
        ),
        (
            json!({"fault": "tsa-other-digest", "delay_ms": 5}),
            "tsa-other-digest takes no delay_ms",
        ),
        (
            json!({"fault": "tsa-slow", "delay_ms": 600_001}),
            "delay_ms 600001 is over the longest",
        ),
        (json!({"fault": "tsa-slow", "delay": 5}), "unknown field"),
    ] {
        let r = arm(&stack, body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        let (code, message) = error_body(&r.bytes().await.unwrap());
        assert_eq!(code, 400);
        assert!(message.contains(needle), "{body}: {message:?}");
    }
    assert_eq!(list().await, listed, "a refused arming arms nothing");
    // Arming again replaces the count and the parameters; 0 disarms.
    arm_ok(&stack, json!({"fault": "fulcio-slow", "delay_ms": 600_000})).await;
    arm_ok(&stack, json!({"fault": "tuf-reset", "count": 0})).await;
    let now = list().await;
    assert_eq!(now["fulcio-slow"], json!({"count": 1, "delay_ms": 600_000}));
    assert!(now.get("tuf-reset").is_none());
    let cleared: Value = client()
        .delete(format!("{}/admin/faults", stack.url()))
        .bearer_auth(stack.admin_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared, json!({}));
    assert!(stack.faults().outages().is_empty() && stack.faults().armed().is_empty());
}
