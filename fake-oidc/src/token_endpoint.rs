//! The token endpoint (RFC 6749 §3.2, §4.1.3, §5; RFC 8628 §3.4) and our mint extension of it:
//! it redeems what the two flows ([`crate::authorize`], [`crate::device`]) granted.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::oauth::{
    GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE, OAuthError, client_id, media_type, no_store,
    parse_form, read_body,
};
use crate::{Issuer, MintRequest, authorize, device};

/// `POST /token`.
pub(crate) async fn token(
    State(issuer): State<Issuer>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match token_response(&issuer, &headers, body).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = e.error, description = %e.description, "fake-oidc /token refused");
            e.into_response()
        }
    }
}

async fn token_response(
    issuer: &Issuer,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let bytes = read_body(body).await?;
    match media_type(headers).as_str() {
        "application/json" => {
            // Our extension: mint any identity (the `sigbox token` path).
            let req: MintRequest = serde_json::from_slice(&bytes)
                .map_err(|e| OAuthError::invalid_request(format!("mint request: {e}")))?;
            let id_token = issuer
                .mint_with_exp(&req)
                .map_err(|e| OAuthError::invalid_request(e.to_string()))?;
            Ok(token_success(issuer, id_token))
        }
        "application/x-www-form-urlencoded" => {
            let form = parse_form(&bytes)?;
            match form.get("grant_type").map(String::as_str) {
                Some(GRANT_AUTHORIZATION_CODE) => {
                    let client = client_id(issuer, headers, &form)?;
                    let id_token = authorize::redeem_code(issuer, &client, &form)?;
                    Ok(token_success(issuer, id_token))
                }
                Some(GRANT_DEVICE_CODE) => {
                    let client = client_id(issuer, headers, &form)?;
                    let id_token = device::redeem_device_code(issuer, &client, &form)?;
                    Ok(token_success(issuer, id_token))
                }
                Some(other) => Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    format!(
                        "grant_type {other:?} is not supported, want {GRANT_AUTHORIZATION_CODE:?} or {GRANT_DEVICE_CODE:?}"
                    ),
                )),
                None => Err(OAuthError::invalid_request(
                    "missing grant_type (to mint a token, POST a JSON MintRequest)",
                )),
            }
        }
        "" => Err(OAuthError::invalid_request("missing Content-Type")),
        other => Err(OAuthError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            format!(
                "Content-Type {other:?}, want application/x-www-form-urlencoded or application/json"
            ),
        )),
    }
}

/// RFC 6749 §5.1 (+ OIDC Core §3.1.3.3 `id_token`). The access token is the ID token itself:
/// sigstore-python takes its identity token from `access_token`, as Sigstore's Dex serves it.
fn token_success(issuer: &Issuer, (id_token, exp): (String, Option<i64>)) -> Response {
    let expires_in = exp.map_or(0, |exp| exp.saturating_sub(issuer.now()).max(0));
    let body = json!({
        "access_token": id_token,
        "id_token": id_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": "openid email",
    });
    (StatusCode::OK, no_store(), Json(body)).into_response()
}
