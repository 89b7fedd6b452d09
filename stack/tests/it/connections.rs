//! Connections that never finish their request head cannot lock other clients out: past the
//! general limit a reserve still serves `/healthz` and `/admin/`, past that new connections are
//! closed, and unfinished heads are closed after the header-read timeout.

use std::time::Duration;

use stack::Stack;
use stack::http::ConnectionLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a connection and writes a request head without its closing blank line.
async fn unfinished_head(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: sigbox\r\n")
        .await
        .unwrap();
    s
}

/// One request on a fresh connection (`Connection: close`): the status line and body, or
/// `None` if the server closed the connection without an answer.
async fn request(addr: std::net::SocketAddr, head: &str) -> Option<(String, String)> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("{head}Host: sigbox\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut out = Vec::new();
    match tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await {
        Ok(Ok(_)) | Ok(Err(_)) if out.is_empty() => None,
        Ok(_) => {
            let text = String::from_utf8_lossy(&out).into_owned();
            let status = text.lines().next().unwrap_or("").to_owned();
            let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
            Some((status, body))
        }
        Err(_) => panic!("no answer and no close within 10 s to {head:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unfinished_heads_leave_room_for_healthz_and_admin_then_time_out() {
    let limits = ConnectionLimits {
        max_connections: 16,
        reserved: 4,
        header_read_timeout: Duration::from_secs(2),
    };
    let stack = Stack::builder()
        .connection_limits(limits)
        .start()
        .await
        .unwrap();
    let addr = stack.addr();
    let token = stack.admin_token().to_owned();
    // Twelve slow clients take every general place (accepted in order, before what follows).
    let mut slow = Vec::new();
    for _ in 0..12 {
        slow.push(unfinished_head(addr).await);
    }
    // The reserve answers /healthz and admin, and refuses the rest with a 503 that says why.
    let (status, body) = request(addr, "GET /healthz HTTP/1.1\r\n").await.unwrap();
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "ok\n");
    let (status, _) = request(
        addr,
        &format!("GET /admin/clock HTTP/1.1\r\nAuthorization: Bearer {token}\r\n"),
    )
    .await
    .unwrap();
    assert!(
        status.contains(" 200 "),
        "admin on a reserved connection: {status}"
    );
    let (status, body) = request(addr, "GET /api/v1/log HTTP/1.1\r\n").await.unwrap();
    assert!(status.contains(" 503 "), "{status}");
    let err: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["code"], 503);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("connection limit reached"),
        "{err}"
    );
    // With the reserve taken too, a new connection is closed without an answer.
    for _ in 0..4 {
        slow.push(unfinished_head(addr).await);
    }
    assert_eq!(request(addr, "GET /healthz HTTP/1.1\r\n").await, None);
    // Every unfinished head is closed by the server after the header-read timeout...
    for mut s in slow {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "an unfinished head was still open after 20 s");
    }
    // ...and the stack serves everyone again.
    let (status, _) = request(addr, "GET /api/v1/log HTTP/1.1\r\n").await.unwrap();
    assert!(status.contains(" 200 "), "{status}");
    stack.shutdown().await.unwrap();
}
