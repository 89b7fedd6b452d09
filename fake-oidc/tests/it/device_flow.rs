use fake_oidc::{ClientPolicy, DEVICE_CODE_LIFETIME_SECS};
use serde_json::Value;

use crate::common::{NOW, Server, TestClock, assert_oauth_error, start, start_with};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn device_code(s: &Server, client: &str) -> Value {
    let (status, body) = s
        .post_form(
            "/device/code",
            &[("client_id", client), ("scope", "openid email")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn device_flow_yields_a_token_on_the_first_poll() {
    let s = start().await;
    let d = device_code(&s, "sigstore").await;
    let user_code = d["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert_eq!(d["verification_uri"], format!("{}/device", s.url));
    assert_eq!(
        d["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", s.url)
    );
    assert_eq!(d["expires_in"], DEVICE_CODE_LIFETIME_SECS);
    assert_eq!(d["interval"], 1);
    let page = s
        .http
        .get(d["verification_uri_complete"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    let dc = d["device_code"].as_str().unwrap();
    let (status, body) = s
        .post_form(
            "/token",
            &[
                ("grant_type", GRANT),
                ("device_code", dc),
                ("client_id", "sigstore"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_token"], body["id_token"]);
    let c = s
        .issuer
        .verify(body["id_token"].as_str().unwrap(), "sigstore")
        .unwrap();
    assert_eq!(c["email"], "alice@example.com");

    // Single use.
    let got = s
        .post_form(
            "/token",
            &[
                ("grant_type", GRANT),
                ("device_code", dc),
                ("client_id", "sigstore"),
            ],
        )
        .await;
    assert_oauth_error(&got, 400, "invalid_grant");
}

#[tokio::test]
async fn device_flow_refuses_bad_requests() {
    let policy = ClientPolicy {
        client_ids: vec!["sigstore".into(), "other".into()],
        ..ClientPolicy::default()
    };
    let s = start_with(|c| c, policy, TestClock::new(NOW)).await;
    let got = s
        .post_form("/device/code", &[("client_id", "mallory")])
        .await;
    assert_oauth_error(&got, 401, "invalid_client");
    let got = s.post_form("/device/code", &[("scope", "openid")]).await;
    assert_oauth_error(&got, 400, "invalid_request");

    let d = device_code(&s, "sigstore").await;
    let dc = d["device_code"].as_str().unwrap();
    let got = s
        .post_form(
            "/token",
            &[("grant_type", GRANT), ("client_id", "sigstore")],
        )
        .await;
    assert_oauth_error(&got, 400, "invalid_request");
    let got = s
        .post_form(
            "/token",
            &[
                ("grant_type", GRANT),
                ("device_code", "nope"),
                ("client_id", "sigstore"),
            ],
        )
        .await;
    assert_oauth_error(&got, 400, "invalid_grant");
    let got = s
        .post_form(
            "/token",
            &[
                ("grant_type", GRANT),
                ("device_code", dc),
                ("client_id", "other"),
            ],
        )
        .await;
    assert_oauth_error(&got, 400, "invalid_grant");

    let d = device_code(&s, "sigstore").await;
    s.clock.set(NOW + DEVICE_CODE_LIFETIME_SECS);
    let got = s
        .post_form(
            "/token",
            &[
                ("grant_type", GRANT),
                ("device_code", d["device_code"].as_str().unwrap()),
                ("client_id", "sigstore"),
            ],
        )
        .await;
    assert_oauth_error(&got, 400, "expired_token");
}
