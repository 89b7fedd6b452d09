//! Authorization code with PKCE (RFC 6749 §4.1, RFC 7636), consenting at once on behalf of the
//! configured default identity: `GET /authorize` answers 302 to `redirect_uri?code=..&state=..`
//! with no page in between, so a client's browser step is a single redirect.
//!
//! Rules enforced: the client must be known (§4.1.2.1: a bad client or redirect URI is shown,
//! never redirected to); the redirect URI must be loopback `http` (RFC 8252 §7.3), the
//! out-of-band URN, or configured; `response_type=code`; PKCE with S256 is required (plain is
//! refused, RFC 7636 §4.2 and OAuth 2.1); a code is single use (consumed by the first token
//! request that presents it, even a failing one, so a verifier cannot be guessed at), bound to
//! client, redirect URI and challenge, and expires after [`CODE_LIFETIME_SECS`].

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::{Host, Url};

use crate::oauth::{
    CodeGrant, OAuthError, check_client, consented_identity, parse_form, pkce_matches,
};
use crate::{ClientPolicy, Issuer, derive_code};

/// How long an authorization code stays redeemable (RFC 6749 §4.1.2 recommends at most 10 min).
pub const CODE_LIFETIME_SECS: i64 = 60;
/// The out-of-band redirect (sigstore-python's fallback when no browser opens): the code is
/// shown on a page for the user to paste.
pub(crate) const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";

/// Whether `uri` may receive codes under `policy`.
pub(crate) fn redirect_allowed(policy: &ClientPolicy, uri: &str) -> bool {
    if policy.redirect_uris.iter().any(|r| r == uri) {
        return true;
    }
    if !policy.allow_loopback_redirects {
        return false;
    }
    if uri == OOB_REDIRECT_URI {
        return true;
    }
    let Ok(u) = Url::parse(uri) else {
        return false;
    };
    u.scheme() == "http"
        && u.fragment().is_none()
        && u.username().is_empty()
        && u.password().is_none()
        && match u.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// `GET /authorize`.
pub(crate) async fn authorize(State(issuer): State<Issuer>, RawQuery(query): RawQuery) -> Response {
    let params = match parse_form(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    // §4.1.2.1: errors about the client or the redirect URI go to the user agent, not the
    // redirect URI.
    let Some(client_id) = params.get("client_id") else {
        return OAuthError::invalid_request("missing client_id").into_response();
    };
    if let Err(mut e) = check_client(&issuer, client_id) {
        e.status = StatusCode::BAD_REQUEST;
        return e.into_response();
    }
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return OAuthError::invalid_request("missing redirect_uri").into_response();
    };
    if !redirect_allowed(&issuer.inner.policy, redirect_uri) {
        return OAuthError::invalid_request(format!(
            "redirect_uri {redirect_uri:?} is not allowed: want http on 127.0.0.1, localhost or [::1], {OOB_REDIRECT_URI}, or a configured URI"
        ))
        .into_response();
    }
    let state = params.get("state");
    match issue_code(&issuer, client_id, redirect_uri, &params) {
        Ok(code) if redirect_uri == OOB_REDIRECT_URI => Html(format!(
            "<!doctype html><title>sigbox fake OIDC</title><h1>Signed in (TESTING issuer)</h1>\
             <p>Verification code:</p><pre id=\"code\">{code}</pre>"
        ))
        .into_response(),
        Ok(code) => redirect(redirect_uri, &[("code", &code)], state),
        Err(e) if redirect_uri == OOB_REDIRECT_URI => e.into_response(),
        Err(e) => redirect(
            redirect_uri,
            &[("error", e.error), ("error_description", &e.description)],
            state,
        ),
    }
}

fn issue_code(
    issuer: &Issuer,
    client_id: &str,
    redirect_uri: &str,
    params: &BTreeMap<String, String>,
) -> Result<String, OAuthError> {
    match params.get("response_type").map(String::as_str) {
        Some("code") => {}
        Some(other) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_response_type",
                format!("response_type {other:?} is not supported, want \"code\""),
            ));
        }
        None => return Err(OAuthError::invalid_request("missing response_type")),
    }
    let Some(challenge) = params.get("code_challenge") else {
        return Err(OAuthError::invalid_request(
            "missing code_challenge: PKCE (RFC 7636) with S256 is required",
        ));
    };
    // RFC 7636 §4.3: the method defaults to plain when absent; we accept S256 only.
    match params.get("code_challenge_method").map(String::as_str) {
        Some("S256") => {}
        other => {
            return Err(OAuthError::invalid_request(format!(
                "code_challenge_method is {}, want \"S256\"",
                other.map_or_else(|| "absent (plain)".to_owned(), |m| format!("{m:?}"))
            )));
        }
    }
    if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
        return Err(OAuthError::invalid_request(
            "code_challenge is not 43 characters of base64url (an S256 digest)",
        ));
    }
    let nonce = params.get("nonce").cloned();
    let identity = consented_identity(issuer, client_id, params.get("login_hint"));

    let now = issuer.now();
    let mut grants = issuer.grants();
    grants.prune(now);
    let seq = grants.next_seq();
    let code = URL_SAFE_NO_PAD.encode(derive_code(
        &issuer.inner.grant_secret,
        "authorization-code",
        seq,
        &[
            client_id,
            redirect_uri,
            challenge,
            params.get("state").map_or("", String::as_str),
            nonce.as_deref().unwrap_or(""),
        ],
    ));
    grants.codes.insert(
        code.clone(),
        CodeGrant {
            seq,
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: challenge.clone(),
            nonce,
            identity,
            expires_at: now.saturating_add(CODE_LIFETIME_SECS),
        },
    );
    Ok(code)
}

/// 302 to `uri` with `params` (and `state`, when the client sent one) added to its query.
fn redirect(uri: &str, params: &[(&str, &str)], state: Option<&String>) -> Response {
    // `uri` passed `redirect_allowed`, so it parses (or is a configured URI).
    let Ok(mut url) = Url::parse(uri) else {
        return OAuthError::invalid_request(format!("redirect_uri {uri:?} is not a URL"))
            .into_response();
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// The `authorization_code` grant at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5).
pub(crate) fn redeem_code(
    issuer: &Issuer,
    client_id: &str,
    form: &BTreeMap<String, String>,
) -> Result<(String, Option<i64>), OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("missing code"))?;
    let verifier = form.get("code_verifier").ok_or_else(|| {
        OAuthError::invalid_request("missing code_verifier: PKCE (RFC 7636) is required")
    })?;
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or_else(|| OAuthError::invalid_request("missing redirect_uri"))?;
    let now = issuer.now();
    // Single use: the code is gone from here on, whatever the outcome.
    let grant = issuer.grants().codes.remove(code).ok_or_else(|| {
        OAuthError::invalid_grant("authorization code is unknown, already used, or expired")
    })?;
    if now >= grant.expires_at {
        return Err(OAuthError::invalid_grant(format!(
            "authorization code expired at {}, now is {now}",
            grant.expires_at
        )));
    }
    if grant.client_id != client_id {
        return Err(OAuthError::invalid_grant(format!(
            "authorization code was issued to client {:?}, not {client_id:?}",
            grant.client_id
        )));
    }
    if &grant.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(format!(
            "redirect_uri {redirect_uri:?} differs from the authorization request's {:?}",
            grant.redirect_uri
        )));
    }
    if !pkce_matches(verifier, &grant.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge (PKCE S256)",
        ));
    }
    let mut identity = grant.identity;
    if let Some(nonce) = grant.nonce {
        // OIDC Core §3.1.3.7: the ID token carries the request's nonce.
        identity.claims.insert("nonce".into(), nonce.into());
    }
    issuer.mint_with_exp(&identity).map_err(|e| {
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_by_default() {
        let p = ClientPolicy::default();
        for ok in [
            "http://localhost:12345/auth/callback",
            "http://127.0.0.1:1/cb?x=1",
            "http://[::1]:8080/",
            "http://LOCALHOST/",
            OOB_REDIRECT_URI,
        ] {
            assert!(redirect_allowed(&p, ok), "{ok}");
        }
        for bad in [
            "https://localhost/cb",
            "http://evil.example/cb",
            "http://127.0.0.1.evil.example/",
            "http://user@localhost/",
            "http://localhost/#frag",
            "not a url",
        ] {
            assert!(!redirect_allowed(&p, bad), "{bad}");
        }
        let strict = ClientPolicy {
            allow_loopback_redirects: false,
            redirect_uris: vec!["https://app.example/cb".into()],
            ..ClientPolicy::default()
        };
        assert!(redirect_allowed(&strict, "https://app.example/cb"));
        assert!(!redirect_allowed(&strict, "http://localhost/cb"));
    }
}
