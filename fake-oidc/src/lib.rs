//! A fake OpenID Connect issuer, for TESTING Sigstore signing only.
//!
//! What it is: the identity-token side of sigbox. It serves OIDC discovery and a JWKS, mints
//! ES256 identity tokens from claim presets (email, GitHub Actions, GitLab CI, Buildkite,
//! Kubernetes, SPIFFE) with overrides, and runs the two interactive OAuth flows real clients use
//! when they have no token: authorization code with PKCE (RFC 6749 §4.1, RFC 7636) and device
//! authorization (RFC 8628). Both consent automatically on behalf of a configured default
//! identity, so a client completes them with no human in the loop. [`Issuer::verify`] checks a
//! token in process (Fulcio's use). Everything is deterministic: keys come from the caller,
//! signatures use RFC 6979 nonces, codes derive from a key-bound secret and a counter, and time
//! comes from the configured clock, so the same configuration and requests give the same bytes.
//!
//! What it is not: an identity provider. It authenticates nobody, anyone who can reach it can
//! mint any identity, client secrets are ignored, and it keeps its grants in memory. Never
//! expose it beyond a test machine, and never let a real Sigstore trust its tokens.
//!
//! Routes (absolute paths, for the stack to merge into its one router):
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/.well-known/openid-configuration` | discovery (OpenID Connect Discovery 1.0 §3) |
//! | GET | `/jwks` | every key generation, oldest first (RFC 7517) |
//! | GET | `/authorize` | code+PKCE, auto-consent: 302 to `redirect_uri?code=..&state=..` |
//! | POST | `/token` | form: `authorization_code` or device-code grant; JSON: a [`MintRequest`] |
//! | POST | `/device/code` | device authorization request (RFC 8628 §3.1), approved at once |
//! | GET | `/device` | the verification page (nothing to do: codes are already approved) |
//! | POST | `/ci/{provider}/job` | a CI job's ambient credentials and variables (see `ci`) |
//! | GET | `/ci/github-actions/idtoken` | GitHub Actions' token request (see `ci`) |

mod authorize;
mod ci;
mod device;
mod discovery;
mod jwks;
mod oauth;
mod token;
mod token_endpoint;
mod verify;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use axum::Router;
use axum::routing::{get, post};
use jsonwebtoken::DecodingKey;
use p256::ecdsa::SigningKey;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub use authorize::CODE_LIFETIME_SECS;
pub use ci::{CiError, GITLAB_TOKEN_VARIABLE, GithubJob, GitlabJob, JobEnv, PROVIDERS};
pub use device::{DEVICE_CODE_LIFETIME_SECS, DEVICE_POLL_INTERVAL_SECS};
pub use token::{
    ClaimArgError, DEFAULT_AUDIENCE, DEFAULT_EMAIL, DEFAULT_LIFETIME_SECS, MintError, MintRequest,
    ParsePresetError, Preset, parse_claim_arg,
};
pub use verify::{Claims, VerifyError};

/// The stack's clock: unix seconds now.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How to build an [`Issuer`].
pub struct IssuerConfig {
    /// The `iss` claim and the base of every endpoint URL, e.g. `http://127.0.0.1:7860`
    /// (a trailing slash is removed).
    pub issuer_url: String,
    /// Key generations, oldest first; the last one signs, all are served in the JWKS.
    pub keys: Vec<IssuerKey>,
    /// Unix seconds now (the stack's clock; frozen in tests).
    pub clock: Clock,
    /// The identity `/authorize` and the device flow consent to. Its `audience`, when unset,
    /// becomes the requesting `client_id`. `MintRequest::default()` is the email preset for
    /// [`DEFAULT_EMAIL`].
    pub default_identity: MintRequest,
}

impl fmt::Debug for IssuerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerConfig")
            .field("issuer_url", &self.issuer_url)
            .field("keys", &self.keys)
            .field("now", &(self.clock)())
            .field("default_identity", &self.default_identity)
            .finish()
    }
}

/// One signing-key generation (ES256).
#[derive(Clone)]
pub struct IssuerKey {
    /// The JWS `kid` and the JWK's `kid`.
    pub kid: String,
    /// The P-256 private key.
    pub key: SigningKey,
}

impl IssuerKey {
    /// A key whose `kid` is its RFC 7638 JWK thumbprint (base64url SHA-256).
    pub fn with_thumbprint_kid(key: SigningKey) -> Self {
        Self {
            kid: jwks::thumbprint(&key),
            key,
        }
    }
}

impl fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the private scalar.
        f.debug_struct("IssuerKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Which OAuth clients the interactive flows accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPolicy {
    /// Accepted `client_id`s (public clients: no secret is checked). Default `["sigstore"]`.
    pub client_ids: Vec<String>,
    /// Loopback `http` redirect URIs (127.0.0.1, localhost, `[::1]`, any port and path, RFC 8252
    /// §7.3) and the out-of-band `urn:ietf:wg:oauth:2.0:oob` are accepted when this is true
    /// (the default).
    pub allow_loopback_redirects: bool,
    /// Further redirect URIs accepted by exact match.
    pub redirect_uris: Vec<String>,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        Self {
            client_ids: vec![DEFAULT_AUDIENCE.to_owned()],
            allow_loopback_redirects: true,
            redirect_uris: Vec::new(),
        }
    }
}

/// The fake issuer. Cheap to clone (an `Arc` inside); clones share keys and grants.
#[derive(Clone)]
pub struct Issuer {
    inner: Arc<Inner>,
}

struct Inner {
    issuer_url: String,
    clock: Clock,
    default_identity: MintRequest,
    policy: ClientPolicy,
    keys: RwLock<Vec<KeyEntry>>,
    /// Derives authorization and device codes; bound to the first key (or the URL if none).
    grant_secret: [u8; 32],
    grants: Mutex<oauth::Grants>,
}

struct KeyEntry {
    kid: String,
    signing: SigningKey,
    decoding: DecodingKey,
    jwk: Value,
}

impl KeyEntry {
    fn new(k: IssuerKey) -> Self {
        Self {
            decoding: jwks::decoding_key(&k.key),
            jwk: jwks::jwk(&k.kid, &k.key),
            kid: k.kid,
            signing: k.key,
        }
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<String> = self.keys().iter().map(|k| k.kid.clone()).collect();
        f.debug_struct("Issuer")
            .field("issuer_url", &self.inner.issuer_url)
            .field("kids", &kids)
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// An issuer accepting the default [`ClientPolicy`] (client `sigstore`, loopback redirects).
    pub fn new(config: IssuerConfig) -> Self {
        Self::with_policy(config, ClientPolicy::default())
    }

    /// An issuer with an explicit client policy.
    pub fn with_policy(config: IssuerConfig, policy: ClientPolicy) -> Self {
        let issuer_url = config.issuer_url.trim_end_matches('/').to_owned();
        let mut h = Sha256::new();
        h.update(b"sigbox/fake-oidc/grant-secret\0");
        match config.keys.first() {
            Some(k) => h.update(k.key.to_bytes()),
            None => h.update(issuer_url.as_bytes()),
        }
        let mut grant_secret = [0u8; 32];
        grant_secret.copy_from_slice(&h.finalize());
        Self {
            inner: Arc::new(Inner {
                issuer_url,
                clock: config.clock,
                default_identity: config.default_identity,
                policy,
                keys: RwLock::new(config.keys.into_iter().map(KeyEntry::new).collect()),
                grant_secret,
                grants: Mutex::new(oauth::Grants::default()),
            }),
        }
    }

    /// The issuer URL (`iss`), without a trailing slash.
    pub fn issuer_url(&self) -> &str {
        &self.inner.issuer_url
    }

    /// The SPIFFE trust domain of the `spiffe` preset's `sub`: the issuer URL's host, or
    /// `sigbox.test` when that host is not a valid trust domain (an IPv6 literal).
    pub fn spiffe_trust_domain(&self) -> String {
        token::spiffe_trust_domain(&self.inner.issuer_url)
    }

    /// All routes, at absolute paths (see the crate docs); merge into the stack's router.
    /// Request bodies are bounded at 64 KiB.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(discovery::openid_configuration),
            )
            .route("/jwks", get(jwks::get_jwks))
            .route("/authorize", get(authorize::authorize))
            .route("/token", post(token_endpoint::token))
            .route("/device/code", post(device::device_authorization))
            .route("/device", get(device::verification_page))
            .route("/ci/{provider}/job", post(ci::job))
            .route("/ci/github-actions/idtoken", get(ci::github_id_token))
            .with_state(self.clone())
    }

    /// Mints a compact JWS (ES256, `kid` of the newest key) for `req` at the clock's time.
    pub fn mint(&self, req: &MintRequest) -> Result<String, MintError> {
        self.mint_with_exp(req).map(|(token, _)| token)
    }

    /// [`Self::mint`], also returning the `exp` claim (absent if an override removed it).
    fn mint_with_exp(&self, req: &MintRequest) -> Result<(String, Option<i64>), MintError> {
        let claims = token::build_claims(&self.inner.issuer_url, self.now(), req)?;
        let exp = claims.get("exp").and_then(Value::as_i64);
        Ok((self.sign(&claims)?, exp))
    }

    /// Verifies `token` as Fulcio would: ES256 only (`none`, HS256 and the rest are refused
    /// before any key is touched), a signature by one of our key generations (by `kid`, or any
    /// when the header has none), `iss` equal to our URL, `audience` in `aud`, and
    /// `nbf <= now < exp` on the configured clock with no leeway. Returns the claims.
    pub fn verify(&self, token: &str, audience: &str) -> Result<Claims, VerifyError> {
        let keys = self.keys();
        let candidates: Vec<(&str, &DecodingKey)> =
            keys.iter().map(|k| (k.kid.as_str(), &k.decoding)).collect();
        verify::verify(
            token,
            &candidates,
            &self.inner.issuer_url,
            audience,
            self.now(),
        )
    }

    /// The JWKS document: `{"keys": [...]}`, one EC P-256 JWK per generation, oldest first.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self.keys().iter().map(|k| k.jwk.clone()).collect();
        serde_json::json!({ "keys": keys })
    }

    /// Adds a key generation, which signs from now on. Earlier generations stay in the JWKS, so
    /// tokens they signed keep verifying until they expire; a generation with the same `kid` as
    /// an existing one replaces it (and moves to the end).
    pub fn rotate(&self, new: IssuerKey) {
        let mut keys = self
            .inner
            .keys
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        keys.retain(|k| k.kid != new.kid);
        tracing::info!(kid = %new.kid, generations = keys.len() + 1, "fake-oidc key rotated");
        keys.push(KeyEntry::new(new));
    }

    fn now(&self) -> i64 {
        (self.inner.clock)()
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Vec<KeyEntry>> {
        // A panic while holding the lock cannot leave the Vec half-written (push/retain), so a
        // poisoned lock is still consistent.
        self.inner
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn grants(&self) -> MutexGuard<'_, oauth::Grants> {
        self.inner
            .grants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn sign(&self, claims: &serde_json::Map<String, Value>) -> Result<String, MintError> {
        let keys = self.keys();
        let key = keys.last().ok_or(MintError::NoKey)?;
        tracing::debug!(
            kid = %key.kid,
            sub = ?claims.get("sub"),
            aud = ?claims.get("aud"),
            "fake-oidc minted a token"
        );
        Ok(token::sign_jws(&key.kid, &key.signing, claims))
    }
}

/// Keyed derivation of an opaque code: base64url(SHA-256(secret || label || counter || parts)),
/// each part length-prefixed. No randomness: the same requests in the same order give the same
/// codes.
fn derive_code(secret: &[u8; 32], label: &str, counter: u64, parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(secret);
    h.update(label.as_bytes());
    h.update([0]);
    h.update(counter.to_be_bytes());
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.finalize());
    out
}
