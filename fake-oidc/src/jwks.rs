//! JWKs of our P-256 keys (RFC 7517, RFC 7518 §6.2) and their RFC 7638 thumbprints.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use p256::ecdsa::SigningKey;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::Issuer;

/// The base64url x and y coordinates of the public key.
fn coordinates(key: &SigningKey) -> (String, String) {
    let point = key.verifying_key().to_sec1_point(false);
    // Uncompressed SEC1: 0x04 || x (32 bytes) || y (32 bytes).
    let bytes = point.as_bytes();
    (
        URL_SAFE_NO_PAD.encode(&bytes[1..33]),
        URL_SAFE_NO_PAD.encode(&bytes[33..65]),
    )
}

/// The public JWK: `{"kty":"EC","crv":"P-256","x","y","kid","use":"sig","alg":"ES256"}`.
pub(crate) fn jwk(kid: &str, key: &SigningKey) -> Value {
    let (x, y) = coordinates(key);
    json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"})
}

/// jsonwebtoken's verification key for `key`'s public half.
pub(crate) fn decoding_key(key: &SigningKey) -> DecodingKey {
    let point = key.verifying_key().to_sec1_point(false);
    DecodingKey::from_ec_der(point.as_bytes())
}

/// RFC 7638 §3.2: SHA-256 over `{"crv":..,"kty":..,"x":..,"y":..}` (required members,
/// lexicographic order, no whitespace), base64url.
pub(crate) fn thumbprint(key: &SigningKey) -> String {
    let (x, y) = coordinates(key);
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

pub(crate) async fn get_jwks(State(issuer): State<Issuer>) -> impl IntoResponse {
    Json(issuer.jwks())
}
