//! `cargo bench -p stack --bench rekor`: hashedrekord entries per second over HTTP at
//! concurrency 32 into a RocksDB-backed log (every batch synced), with p50/p99 latency.
//!
//! A plain `main` (harness = false): the figure is a throughput under load, which criterion's
//! per-iteration model does not fit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

const CONCURRENCY: usize = 32;
const ENTRIES: usize = 4000;

fn proposals(n: usize) -> Vec<Vec<u8>> {
    let key = SigningKey::from_slice(&[3; 32]).expect("a valid scalar");
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("PEM");
    let pem_b64 = B64.encode(pem);
    (0..n)
        .map(|i| {
            let artifact = format!("bench artifact {i}");
            let sig: Signature = key.sign(artifact.as_bytes());
            serde_json::to_vec(&serde_json::json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(artifact.as_bytes()))}},
                    "signature": {"content": B64.encode(sig.to_der().as_bytes()), "publicKey": {"content": pem_b64}}
                }
            }))
            .expect("JSON")
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let stack = stack::Stack::builder()
        .start()
        .await
        .expect("starting a stack");
    let url = format!("{}/api/v1/log/entries", stack.url());
    let bodies = Arc::new(proposals(ENTRIES));
    let client = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, url, bodies, next) =
                (client.clone(), url.clone(), bodies.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= bodies.len() {
                        break latencies;
                    }
                    let t = Instant::now();
                    let resp = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(bodies[i].clone())
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(resp.status(), 201);
                    let _ = resp.bytes().await;
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    for w in workers {
        latencies.extend(w.await.expect("worker"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "rekor v1 hashedrekord over HTTP: {} entries, concurrency {CONCURRENCY}: {:.0} entries/s, p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
    assert_eq!(stack.rekor().tree_size().unwrap(), ENTRIES as u64);
}
