//! One ephemeral stack per fuzz process (fixed seed, frozen clock, a multi-thread runtime),
//! driven in process through its router, and the checks every route target makes of an answer:
//! no panic, no 5xx (outside input that fails is the client's 4xx, never our 500), and every
//! 4xx in the stack's JSON error shape, `{"code": <status>, "message": "..."}`.

use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

/// Every fuzz stack's seed: keys, CAs and log IDs derive from it, so the seed corpus (made by a
/// stack with the same seed and clock) holds signatures and chains these stacks accept.
pub const SEED: &str = "sigbox-fuzz";

/// Every fuzz stack's frozen clock: tokens, certificates and timestamps stay valid for good.
pub const NOW: time::OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);

/// The process's stack and what drives it.
#[derive(Debug)]
pub struct Harness {
    runtime: tokio::runtime::Runtime,
    stack: stack::Stack,
    router: axum::Router,
    token: String,
}

/// A route's answer.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The whole body.
    pub body: Bytes,
}

/// The Rekor v2 log's size after [`Harness::with_entries`]: a full level-0 tile and a partial
/// one, so tile paths find tiles at levels 0 and 1.
pub const V2_ENTRIES: u64 = 300;

impl Harness {
    /// The process's harness, started on first use.
    pub fn get() -> &'static Self {
        static HARNESS: OnceLock<Harness> = OnceLock::new();
        HARNESS.get_or_init(Self::start)
    }

    /// [`Self::get`], its logs filled once with [`seeds::v1_entries`](crate::seeds::v1_entries)
    /// and [`V2_ENTRIES`] Rekor v2 entries, so queries and tile paths find something.
    pub fn with_entries() -> &'static Self {
        static FILLED: OnceLock<()> = OnceLock::new();
        let h = Self::get();
        FILLED.get_or_init(|| h.fill());
        h
    }

    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the fuzz stack");
        // The state is ephemeral, in $TMPDIR: the fuzz recipes give each run a temporary
        // TMPDIR and remove it afterwards (a static is never dropped, so the stack can't).
        let stack = runtime
            .block_on(stack::Stack::builder().seed(SEED).frozen_clock(NOW).start())
            .expect("starting the fuzz stack");
        let router = stack.router();
        let token = stack
            .oidc()
            .mint(&fake_oidc::MintRequest::default())
            .expect("minting the fuzz stack's identity token");
        Self {
            runtime,
            stack,
            router,
            token,
        }
    }

    fn fill(&self) {
        let signer = crate::seeds::key(2);
        let chain = self.certificate(&signer);
        let by_cert = crate::seeds::v1_hashed_rekord(&signer, crate::seeds::ARTIFACT, &chain[0]);
        for entry in crate::seeds::v1_entries().into_iter().chain([by_cert]) {
            let answer = self.post_json("/api/v1/log/entries", &entry);
            assert_eq!(answer.status, StatusCode::CREATED, "filling Rekor v1");
        }
        // Concurrently, so the sequencer commits them in a few batches, not 300 syncs.
        let requests: Vec<_> = (0..V2_ENTRIES)
            .map(|i| {
                let body = crate::seeds::v2_hashed_rekord(&crate::seeds::key(1), &i.to_be_bytes());
                let request = json_request("/rekor-v2/api/v2/log/entries", &body);
                self.runtime.spawn(self.router.clone().oneshot(request))
            })
            .collect();
        for request in requests {
            let response = self
                .runtime
                .block_on(request)
                .expect("a filling request's task")
                .unwrap_or_else(|e| match e {});
            assert_eq!(response.status(), StatusCode::CREATED, "filling Rekor v2");
        }
    }

    /// A Fulcio certificate chain (PEM, leaf first) for `key`, for the token's identity.
    pub fn certificate(&self, key: &p256::ecdsa::SigningKey) -> Vec<String> {
        let proof = stack::fulcio::KeyProof::PublicKey {
            content: crate::seeds::key_pem(key),
            proof: crate::seeds::der_sig(key, crate::seeds::EMAIL.as_bytes()),
        };
        self.block_on(self.stack.fulcio().issue(&self.token, proof))
            .expect("Fulcio issues for a valid token and proof")
            .chain_pem
    }

    /// The stack.
    pub fn stack(&self) -> &stack::Stack {
        &self.stack
    }

    /// A valid identity token for the default email identity (the clock never moves).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Runs `f` on the stack's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Sends `request` and checks the answer (see the module docs); panics, so the fuzzer
    /// records the input, when a check fails.
    pub fn send(&self, request: Request<Body>) -> Answer {
        let what = format!("{} {}", request.method(), request.uri());
        let response = self
            .runtime
            .block_on(self.router.clone().oneshot(request))
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let body = self
            .runtime
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .expect("reading an in-process body");
        let text = || String::from_utf8_lossy(&body).into_owned();
        assert!(
            !status.is_server_error(),
            "{what:.300}: {status} {:.500}",
            text()
        );
        if status.is_client_error() {
            let err: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!(
                    "{what:.300}: {status} not in the JSON error shape ({e}): {:.500}",
                    text()
                )
            });
            assert_eq!(err["code"], status.as_u16(), "{what:.300}: {err}");
            assert!(
                err["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{what:.300}: {status} names no problem: {err}"
            );
        }
        Answer { status, body }
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.send(json_request(path, body))
    }

    /// The active Rekor v1 shard's size and the Rekor v2 log's.
    pub fn log_sizes(&self) -> (u64, u64) {
        let v2 = self
            .stack
            .rekor_v2()
            .tree_size()
            .expect("reading the Rekor v2 size");
        let v1 = self
            .stack
            .rekor()
            .tree_size()
            .expect("reading the Rekor v1 size");
        (v1, v2)
    }
}

/// A request to `path` (already a valid URI), or `None` if the parts don't make one.
pub fn request(
    method: Method,
    path: &str,
    headers: &[(header::HeaderName, &str)],
    body: impl Into<Body>,
) -> Option<Request<Body>> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(name, *value);
    }
    builder.body(body.into()).ok()
}

fn json_request(path: &str, body: &Value) -> Request<Body> {
    request(
        Method::POST,
        path,
        &[(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
    .expect("a fixed path is a URI")
}
