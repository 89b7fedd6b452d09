//! OpenID Connect Discovery 1.0 §3: the provider metadata at
//! `/.well-known/openid-configuration`.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::Issuer;

/// The metadata document. sigstore-python reads `authorization_endpoint` and `token_endpoint`;
/// OIDC libraries (go-oidc in Fulcio, openid-client) also need `issuer` and `jwks_uri`.
pub(crate) fn document(issuer_url: &str) -> Value {
    json!({
        "issuer": issuer_url,
        "authorization_endpoint": format!("{issuer_url}/authorize"),
        "token_endpoint": format!("{issuer_url}/token"),
        "jwks_uri": format!("{issuer_url}/jwks"),
        "device_authorization_endpoint": format!("{issuer_url}/device/code"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": [
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code"
        ],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "claims_supported": [
            "iss", "sub", "aud", "iat", "nbf", "exp", "nonce", "email", "email_verified"
        ]
    })
}

pub(crate) async fn openid_configuration(State(issuer): State<Issuer>) -> impl IntoResponse {
    Json(document(issuer.issuer_url()))
}
