use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use fake_oidc::{ClientPolicy, Issuer, IssuerConfig, IssuerKey, MintRequest};
use p256::ecdsa::SigningKey;
use sha2::{Digest as _, Sha256};

/// 2026-01-01T00:00:00Z.
pub(crate) const NOW: i64 = 1_767_225_600;

/// A P-256 key derived from `label` (tests only).
pub(crate) fn key(label: &str) -> IssuerKey {
    let scalar = Sha256::digest(format!("fake-oidc test key {label}").as_bytes());
    IssuerKey {
        kid: label.to_owned(),
        key: SigningKey::from_slice(&scalar).unwrap(),
    }
}

/// A frozen clock the test can move.
#[derive(Clone)]
pub(crate) struct TestClock(pub(crate) Arc<AtomicI64>);

impl TestClock {
    pub(crate) fn new(t: i64) -> Self {
        Self(Arc::new(AtomicI64::new(t)))
    }
    pub(crate) fn set(&self, t: i64) {
        self.0.store(t, Ordering::SeqCst);
    }
    pub(crate) fn as_clock(&self) -> fake_oidc::Clock {
        let c = self.0.clone();
        Arc::new(move || c.load(Ordering::SeqCst))
    }
}

pub(crate) fn config(url: &str, clock: &TestClock) -> IssuerConfig {
    IssuerConfig {
        issuer_url: url.to_owned(),
        keys: vec![key("gen-0")],
        clock: clock.as_clock(),
        default_identity: MintRequest::default(),
    }
}

/// An issuer serving on 127.0.0.1:<random>, its URL as issuer URL.
pub(crate) struct Server {
    pub(crate) url: String,
    pub(crate) issuer: Issuer,
    pub(crate) clock: TestClock,
    pub(crate) http: reqwest::Client,
}

pub(crate) async fn start() -> Server {
    start_with(|c| c, ClientPolicy::default(), TestClock::new(NOW)).await
}

pub(crate) async fn start_with(
    edit: impl FnOnce(IssuerConfig) -> IssuerConfig,
    policy: ClientPolicy,
    clock: TestClock,
) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let issuer = Issuer::with_policy(edit(config(&url, &clock)), policy);
    let router = issuer.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Server {
        url,
        issuer,
        clock,
        http,
    }
}

impl Server {
    pub(crate) async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// POST a form to `path`; (status, JSON body).
    pub(crate) async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

/// Asserts an OAuth error response.
pub(crate) fn assert_oauth_error(got: &(u16, serde_json::Value), status: u16, error: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], error, "{}", got.1);
    assert!(
        got.1["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{}",
        got.1
    );
}
