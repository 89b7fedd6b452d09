use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fake_oidc::{ClientPolicy, MintRequest, Preset};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::common::{NOW, Server, TestClock, assert_oauth_error, start, start_with};

const REDIRECT: &str = "http://localhost:53682/auth/callback";
const VERIFIER: &str = "a-pkce-code-verifier-that-is-long-enough-0123456789";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// GET /authorize as sigstore-python builds it; returns (status, Location).
async fn authorize(s: &Server, extra: &[(&str, &str)]) -> (u16, Option<url::Url>) {
    let ch = challenge(VERIFIER);
    let mut params: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", "sigstore"),
        ("client_secret", ""),
        ("scope", "openid email"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", &ch),
        ("code_challenge_method", "S256"),
        ("state", "st-1"),
        ("nonce", "n-0S6_WzA2Mj"),
    ];
    for (k, v) in extra {
        params.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let r = s
        .http
        .get(format!("{}/authorize?{q}", s.url))
        .send()
        .await
        .unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|l| url::Url::parse(l.to_str().unwrap()).unwrap());
    (r.status().as_u16(), loc)
}

fn query(u: &url::Url, key: &str) -> Option<String> {
    u.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn code(s: &Server) -> String {
    let (status, loc) = authorize(s, &[]).await;
    assert_eq!(status, 302);
    let loc = loc.unwrap();
    assert_eq!(
        format!("{}://{}{}", loc.scheme(), loc.authority(), loc.path()),
        REDIRECT
    );
    assert_eq!(query(&loc, "state").as_deref(), Some("st-1"));
    query(&loc, "code").unwrap()
}

/// The token request as sigstore-python sends it: client in HTTP Basic with an empty secret.
async fn redeem(
    s: &Server,
    code: &str,
    verifier: &str,
    redirect: &str,
    client: &str,
) -> (u16, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect),
            ("code", code),
            ("code_verifier", verifier),
        ])
        .finish();
    let r = s
        .http
        .post(format!("{}/token", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{client}:"))),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn code_with_pkce_yields_a_token_carrying_the_nonce() {
    let s = start().await;
    let code = code(&s).await;
    let (status, body) = redeem(&s, &code, VERIFIER, REDIRECT, "sigstore").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["access_token"], body["id_token"]);
    assert_eq!(body["expires_in"], fake_oidc::DEFAULT_LIFETIME_SECS);
    let c = s
        .issuer
        .verify(body["id_token"].as_str().unwrap(), "sigstore")
        .unwrap();
    assert_eq!(c["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(c["email"], "alice@example.com");
    assert_eq!(c["sub"], "alice@example.com");
    assert_eq!(c["iss"], s.url);
    assert_eq!(c["aud"], "sigstore");
}

#[tokio::test]
async fn wrong_verifier_is_refused_and_burns_the_code() {
    let s = start().await;
    let code = code(&s).await;
    let wrong = "another-pkce-code-verifier-that-is-long-enough-012345";
    assert_oauth_error(
        &redeem(&s, &code, wrong, REDIRECT, "sigstore").await,
        400,
        "invalid_grant",
    );
    // Single use: the right verifier now comes too late.
    assert_oauth_error(
        &redeem(&s, &code, VERIFIER, REDIRECT, "sigstore").await,
        400,
        "invalid_grant",
    );
}

#[tokio::test]
async fn a_code_is_single_use() {
    let s = start().await;
    let code = code(&s).await;
    assert_eq!(
        redeem(&s, &code, VERIFIER, REDIRECT, "sigstore").await.0,
        200
    );
    assert_oauth_error(
        &redeem(&s, &code, VERIFIER, REDIRECT, "sigstore").await,
        400,
        "invalid_grant",
    );
    assert_oauth_error(
        &redeem(&s, "made-up", VERIFIER, REDIRECT, "sigstore").await,
        400,
        "invalid_grant",
    );
}

#[tokio::test]
async fn a_code_is_bound_to_its_redirect_uri_and_lifetime() {
    let s = start().await;
    let c = code(&s).await;
    let other = "http://localhost:1/auth/callback";
    assert_oauth_error(
        &redeem(&s, &c, VERIFIER, other, "sigstore").await,
        400,
        "invalid_grant",
    );

    let c = code(&s).await;
    s.clock.set(NOW + fake_oidc::CODE_LIFETIME_SECS);
    assert_oauth_error(
        &redeem(&s, &c, VERIFIER, REDIRECT, "sigstore").await,
        400,
        "invalid_grant",
    );
}

#[tokio::test]
async fn unknown_clients_are_refused() {
    let s = start().await;
    // At /authorize the error is shown, not redirected (RFC 6749 §4.1.2.1).
    let (status, loc) = authorize(&s, &[("client_id", "mallory")]).await;
    assert_eq!((status, loc), (400, None));
    let r = s
        .http
        .get(format!(
            "{}/authorize?client_id=mallory&response_type=code",
            s.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");

    let code = code(&s).await;
    assert_oauth_error(
        &redeem(&s, &code, VERIFIER, REDIRECT, "mallory").await,
        401,
        "invalid_client",
    );
    // A client_id parameter naming a different client than Basic.
    let got = s
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "nobody"),
                ("code", &code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_oauth_error(&got, 401, "invalid_client");
}

#[tokio::test]
async fn bad_authorization_requests_are_refused() {
    let s = start().await;
    // Redirect URIs that are not loopback http: shown, never redirected to.
    for uri in ["https://evil.example/cb", "http://evil.example/cb", ""] {
        let (status, loc) = authorize(&s, &[("redirect_uri", uri)]).await;
        assert_eq!((status, loc), (400, None), "{uri}");
    }
    // Other errors go back to the client with its state (RFC 6749 §4.1.2.1).
    for (extra, error) in [
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge", "too-short")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
    ] {
        let (status, loc) = authorize(&s, &extra).await;
        assert_eq!(status, 302, "{extra:?}");
        let loc = loc.unwrap();
        assert_eq!(query(&loc, "error").as_deref(), Some(error), "{extra:?}");
        assert!(query(&loc, "error_description").is_some());
        assert_eq!(query(&loc, "state").as_deref(), Some("st-1"));
        assert_eq!(query(&loc, "code"), None);
    }
    // A repeated parameter.
    let r = s
        .http
        .get(format!(
            "{}/authorize?client_id=sigstore&client_id=sigstore",
            s.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // Token requests missing PKCE or the code.
    let c = code(&s).await;
    for missing in ["code", "code_verifier", "redirect_uri"] {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", "sigstore"),
            ("code", c.as_str()),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT),
        ];
        form.retain(|(k, _)| *k != missing);
        assert_oauth_error(&s.post_form("/token", &form).await, 400, "invalid_request");
    }
    // Those malformed requests did not burn the code.
    assert_eq!(redeem(&s, &c, VERIFIER, REDIRECT, "sigstore").await.0, 200);
}

#[tokio::test]
async fn out_of_band_shows_the_code_and_login_hint_picks_the_email() {
    let s = start().await;
    let (status, _) = authorize(
        &s,
        &[
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("login_hint", "bob@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let ch = challenge(VERIFIER);
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", "sigstore"),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("code_challenge", ch.as_str()),
            ("code_challenge_method", "S256"),
            ("login_hint", "bob@example.com"),
        ])
        .finish();
    let page = s
        .http
        .get(format!("{}/authorize?{q}", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = page
        .split("<pre id=\"code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let (status, body) = redeem(&s, code, VERIFIER, "urn:ietf:wg:oauth:2.0:oob", "sigstore").await;
    assert_eq!(status, 200, "{body}");
    let c = s
        .issuer
        .verify(body["id_token"].as_str().unwrap(), "sigstore")
        .unwrap();
    assert_eq!(c["email"], "bob@example.com");
    assert!(!c.contains_key("nonce"));
}

#[tokio::test]
async fn configured_clients_and_default_identity_are_honoured() {
    let policy = ClientPolicy {
        client_ids: vec!["sigstore".into(), "cosign".into()],
        ..ClientPolicy::default()
    };
    let s = start_with(
        |mut c| {
            c.default_identity = MintRequest {
                preset: Preset::GithubActions,
                ..MintRequest::default()
            };
            c
        },
        policy,
        TestClock::new(NOW),
    )
    .await;
    let (status, loc) = authorize(&s, &[("client_id", "cosign")]).await;
    assert_eq!(status, 302);
    let code = query(&loc.unwrap(), "code").unwrap();
    // Issued to cosign, presented by sigstore.
    assert_oauth_error(
        &redeem(&s, &code, VERIFIER, REDIRECT, "sigstore").await,
        400,
        "invalid_grant",
    );
    let (status, loc) = authorize(&s, &[("client_id", "cosign")]).await;
    assert_eq!(status, 302);
    let code = query(&loc.unwrap(), "code").unwrap();
    let (status, body) = redeem(&s, &code, VERIFIER, REDIRECT, "cosign").await;
    assert_eq!(status, 200, "{body}");
    // aud is the client when the default identity names none.
    let c = s
        .issuer
        .verify(body["id_token"].as_str().unwrap(), "cosign")
        .unwrap();
    assert_eq!(
        c["job_workflow_ref"],
        "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"
    );
}
