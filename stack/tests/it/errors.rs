//! Answers no handler writes (unknown paths, wrong methods, bodies over the limit without a
//! declared length, impossible file names, tiles past the tree) in the one JSON error shape.

use serde_json::Value;
use stack::Stack;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Status and JSON body of `method path`.
async fn call(client: &reqwest::Client, method: reqwest::Method, url: &str) -> (u16, Value) {
    let resp = client.request(method, url).send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp.headers()[reqwest::header::CONTENT_TYPE].clone();
    assert_eq!(kind, "application/json", "{url}");
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn router_errors_use_the_json_shape() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url();
    let client = reqwest::Client::new();
    let (status, err) = call(&client, reqwest::Method::GET, &format!("{url}/nope")).await;
    assert_eq!((status, &err["code"]), (404, &Value::from(404)));
    assert_eq!(err["message"], "no such path: /nope");
    let (status, err) = call(&client, reqwest::Method::PUT, &format!("{url}/api/v1/log")).await;
    assert_eq!(status, 405);
    assert_eq!(err["message"], "PUT is not allowed on /api/v1/log");
    // A name no file system holds: a 404, not the file service's 500.
    let long = "a".repeat(305);
    let (status, err) = call(&client, reqwest::Method::GET, &format!("{url}/tuf/{long}")).await;
    assert_eq!(status, 404);
    assert!(
        err["message"].as_str().unwrap().contains("over 255 bytes"),
        "{err}"
    );
    // A missing TUF file is a 404 in the same shape; the real files are served as they are.
    let (status, _) = call(
        &client,
        reqwest::Method::GET,
        &format!("{url}/tuf/9.root.json"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, root) = call(
        &client,
        reqwest::Method::GET,
        &format!("{url}/tuf/1.root.json"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(root["signed"]["_type"], "root");
}

#[tokio::test]
async fn tiles_past_the_tree_are_404_at_every_level() {
    let stack = Stack::builder().start().await.unwrap();
    let client = reqwest::Client::new();
    // An empty tree has no tile at any level; levels 32 and up used to wrap or overflow the
    // shift (the level-0 tile served as immutable, or a 500).
    for level in [0, 1, 8, 32, 63, 64, 128, 255] {
        let url = format!("{}/rekor-v2/api/v2/tile/{level}/000", stack.url());
        let resp = client.get(&url).send().await.unwrap();
        let status = resp.status().as_u16();
        let cache = resp.headers().get(reqwest::header::CACHE_CONTROL).cloned();
        let body = resp.text().await.unwrap();
        assert!(
            matches!(status, 400 | 404),
            "level {level}: {status} {body}"
        );
        assert!(
            cache.is_none(),
            "level {level}: an error is not cached for good"
        );
        let err: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(err["code"], status, "level {level}");
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_the_json_shape() {
    let stack = Stack::builder().start().await.unwrap();
    let mut tcp = tokio::net::TcpStream::connect(stack.addr()).await.unwrap();
    let head = "POST /api/v1/log/entries HTTP/1.1\r\nhost: sigbox\r\n\
                content-type: application/json\r\ntransfer-encoding: chunked\r\n\
                connection: close\r\n\r\n";
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 * 1024];
    // 2 MiB in 64 KiB chunks, no length declared; the server may stop reading early.
    for _ in 0..32 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if tcp.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{answer}"
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap();
    let err: Value = serde_json::from_str(body).unwrap();
    assert_eq!(err["code"], 413);
}
