//! Device authorization grant (RFC 8628), approved at once: `POST /device/code` returns codes
//! that are already consented to (for the default identity), so the client's first poll of the
//! token endpoint gets the token and `authorization_pending` is never returned. The
//! `verification_uri` page exists but asks nothing. Device codes are single use and expire
//! after [`DEVICE_CODE_LIFETIME_SECS`]; the poll `interval` is 1 s.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::oauth::{
    DeviceGrant, OAuthError, client_id, consented_identity, media_type, parse_form, read_body,
};
use crate::{Issuer, derive_code};

/// How long a device code stays redeemable.
pub const DEVICE_CODE_LIFETIME_SECS: i64 = 600;
/// The poll interval we ask for (RFC 8628 §3.2 defaults to 5 s; we are faster).
pub const DEVICE_POLL_INTERVAL_SECS: i64 = 1;

/// RFC 8628 §6.1: consonants only, no vowels to spell words, no look-alikes.
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// `POST /device/code` (RFC 8628 §3.1-3.2).
pub(crate) async fn device_authorization(
    State(issuer): State<Issuer>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match device_response(&issuer, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn device_response(
    issuer: &Issuer,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let bytes = read_body(body).await?;
    let media = media_type(headers);
    if media != "application/x-www-form-urlencoded" {
        return Err(OAuthError::invalid_request(format!(
            "Content-Type {media:?}, want application/x-www-form-urlencoded"
        )));
    }
    let form = parse_form(&bytes)?;
    let client = client_id(issuer, headers, &form)?;
    let scope = form.get("scope").map_or("", String::as_str);
    let identity = consented_identity(issuer, &client, form.get("login_hint"));

    let now = issuer.now();
    let (device_code, user_code) = {
        let mut grants = issuer.grants();
        grants.prune(now);
        let seq = grants.next_seq();
        let secret = &issuer.inner.grant_secret;
        let device_code =
            URL_SAFE_NO_PAD.encode(derive_code(secret, "device-code", seq, &[&client, scope]));
        let digest = derive_code(secret, "user-code", seq, &[&client, scope]);
        let letters: String = digest[..8]
            .iter()
            .map(|b| char::from(USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()]))
            .collect();
        let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
        grants.devices.insert(
            device_code.clone(),
            DeviceGrant {
                seq,
                client_id: client,
                identity,
                expires_at: now.saturating_add(DEVICE_CODE_LIFETIME_SECS),
            },
        );
        (device_code, user_code)
    };
    let verification_uri = format!("{}/device", issuer.issuer_url());
    let body = json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
        "expires_in": DEVICE_CODE_LIFETIME_SECS,
        "interval": DEVICE_POLL_INTERVAL_SECS,
    });
    Ok((
        StatusCode::OK,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response())
}

/// `GET /device`: the verification page. Codes are approved when issued, so it only says so.
pub(crate) async fn verification_page() -> Html<&'static str> {
    Html(
        "<!doctype html><title>sigbox fake OIDC</title><h1>Device approved (TESTING issuer)</h1>\
         <p>Device codes from this issuer are approved automatically; return to your client.</p>",
    )
}

/// The device-code grant at the token endpoint (RFC 8628 §3.4-3.5).
pub(crate) fn redeem_device_code(
    issuer: &Issuer,
    client_id: &str,
    form: &BTreeMap<String, String>,
) -> Result<(String, Option<i64>), OAuthError> {
    let code = form
        .get("device_code")
        .ok_or_else(|| OAuthError::invalid_request("missing device_code"))?;
    let now = issuer.now();
    let grant = issuer.grants().devices.remove(code).ok_or_else(|| {
        OAuthError::invalid_grant("device code is unknown, already used, or expired")
    })?;
    if now >= grant.expires_at {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "expired_token",
            format!("device code expired at {}, now is {now}", grant.expires_at),
        ));
    }
    if grant.client_id != client_id {
        return Err(OAuthError::invalid_grant(format!(
            "device code was issued to client {:?}, not {client_id:?}",
            grant.client_id
        )));
    }
    issuer.mint_with_exp(&grant.identity).map_err(|e| {
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        )
    })
}
