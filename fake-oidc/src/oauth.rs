//! What the two interactive flows and the token endpoint share: the OAuth error shape (RFC 6749
//! §5.2), the grant tables, the consented identity, and the request readers (forms, client
//! credentials, bodies, PKCE). It imports none of them, so each flow sits above it.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::{Issuer, MintRequest};

/// Request bodies above this are refused (`invalid_request`, 413).
pub(crate) const BODY_LIMIT: usize = 64 * 1024;
/// Pending codes and device grants kept at most, each table; the oldest go first.
const MAX_PENDING: usize = 1024;

pub(crate) const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub(crate) const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// An OAuth 2.0 error response (RFC 6749 §5.2): `{"error", "error_description"}`.
#[derive(Debug)]
pub(crate) struct OAuthError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl OAuthError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }
    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }
    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        (self.status, no_store(), Json(body)).into_response()
    }
}

/// RFC 6749 §5.1: token responses (and their errors) must not be cached.
pub(crate) fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// A pending authorization code (single use, short-lived).
#[derive(Debug)]
pub(crate) struct CodeGrant {
    pub(crate) seq: u64,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) nonce: Option<String>,
    pub(crate) identity: MintRequest,
    pub(crate) expires_at: i64,
}

/// A pending device code, already approved (single use).
#[derive(Debug)]
pub(crate) struct DeviceGrant {
    pub(crate) seq: u64,
    pub(crate) client_id: String,
    pub(crate) identity: MintRequest,
    pub(crate) expires_at: i64,
}

/// The in-memory grant tables. `counter` numbers every code issued, which is what makes codes
/// deterministic without randomness.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    pub(crate) counter: u64,
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) devices: HashMap<String, DeviceGrant>,
}

impl Grants {
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Drops expired entries, then the oldest while a table is full.
    pub(crate) fn prune(&mut self, now: i64) {
        self.codes.retain(|_, g| g.expires_at > now);
        self.devices.retain(|_, g| g.expires_at > now);
        while self.codes.len() >= MAX_PENDING {
            let oldest = self
                .codes
                .iter()
                .min_by_key(|(_, g)| g.seq)
                .map(|(k, _)| k.clone());
            oldest.map(|k| self.codes.remove(&k));
        }
        while self.devices.len() >= MAX_PENDING {
            let oldest = self
                .devices
                .iter()
                .min_by_key(|(_, g)| g.seq)
                .map(|(k, _)| k.clone());
            oldest.map(|k| self.devices.remove(&k));
        }
    }
}

/// The identity a grant consents to: the default one, `aud` = the client unless configured,
/// `login_hint` as the email of the email preset.
pub(crate) fn consented_identity(
    issuer: &Issuer,
    client_id: &str,
    login_hint: Option<&String>,
) -> MintRequest {
    let mut identity = issuer.inner.default_identity.clone();
    if identity.audience.is_none() {
        identity.audience = Some(client_id.to_owned());
    }
    if let Some(hint) = login_hint
        && identity.preset == crate::Preset::Email
    {
        identity.email = Some(hint.clone());
    }
    identity
}

/// Parses `application/x-www-form-urlencoded` (a body or a query). RFC 6749 §3.1: a parameter
/// sent without a value is treated as omitted, and none may be repeated.
pub(crate) fn parse_form(bytes: &[u8]) -> Result<BTreeMap<String, String>, OAuthError> {
    let mut out = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        if v.is_empty() {
            continue;
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "parameter {k:?} is repeated"
            )));
        }
    }
    Ok(out)
}

/// The client: from HTTP Basic (RFC 6749 §2.3.1, what sigstore-python sends, with an empty
/// secret) or the `client_id` parameter (public clients, §4.1.3). Secrets are not checked.
pub(crate) fn client_id(
    issuer: &Issuer,
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Result<String, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => Some(basic_client_id(v)?),
    };
    let id = match (basic, form.get("client_id")) {
        (Some(b), Some(f)) if &b != f => {
            return Err(OAuthError::invalid_request(format!(
                "client_id {f:?} differs from the Basic credentials' {b:?}"
            )));
        }
        (Some(b), _) => b,
        (None, Some(f)) => f.clone(),
        (None, None) => {
            return Err(OAuthError::invalid_request(
                "missing client_id (parameter or HTTP Basic)",
            ));
        }
    };
    check_client(issuer, &id)?;
    Ok(id)
}

pub(crate) fn check_client(issuer: &Issuer, id: &str) -> Result<(), OAuthError> {
    if issuer.inner.policy.client_ids.iter().any(|c| c == id) {
        Ok(())
    } else {
        Err(OAuthError::invalid_client(format!(
            "unknown client_id {id:?}, want one of {:?}",
            issuer.inner.policy.client_ids
        )))
    }
}

fn basic_client_id(value: &HeaderValue) -> Result<String, OAuthError> {
    let bad = || OAuthError::invalid_client("Authorization header is not HTTP Basic credentials");
    let v = value.to_str().map_err(|_| bad())?;
    let (scheme, b64) = v.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(b64.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, _secret) = decoded.split_once(':').ok_or_else(bad)?;
    // §2.3.1: the id is form-urlencoded before Basic encoding.
    Ok(url::form_urlencoded::parse(format!("c={id}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default())
}

/// Reads a body, refusing more than [`BODY_LIMIT`].
pub(crate) async fn read_body(body: Body) -> Result<axum::body::Bytes, OAuthError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        OAuthError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            format!("body over {} KiB or unreadable", BODY_LIMIT / 1024),
        )
    })
}

/// The media type of the request, lowercase, without parameters.
pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// RFC 7636 §4.6: BASE64URL(SHA256(verifier)) == challenge; §4.1: 43-128 unreserved chars.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        assert!(!pkce_matches("short", challenge));
    }

    #[test]
    fn forms_refuse_repeats_and_drop_empty_values() {
        let f = parse_form(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(f.get("a").map(String::as_str), Some("1"));
        assert!(!f.contains_key("b"));
        assert_eq!(f.get("c").map(String::as_str), Some("x y"));
        let e = parse_form(b"a=1&a=2").unwrap_err();
        assert_eq!(e.error, "invalid_request");
    }

    #[test]
    fn basic_credentials_give_the_client_id() {
        let v = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("sigstore:"))).unwrap();
        assert_eq!(basic_client_id(&v).unwrap(), "sigstore");
        let v = HeaderValue::from_static("Bearer x");
        assert_eq!(basic_client_id(&v).unwrap_err().error, "invalid_client");
    }
}
