use fake_oidc::{MintRequest, Preset};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};

use crate::common::{NOW, start};

/// Verifies `token` the way an outside relying party would: fetch /jwks, pick the JWK by the
/// header's kid, DecodingKey::from_jwk, ES256, iss and aud. The clock is frozen in the past
/// relative to the system time, so exp is checked by hand.
async fn verify_against_served_jwks(s: &crate::common::Server, token: &str) -> Map<String, Value> {
    let jwks: JwkSet = serde_json::from_value(s.get_json("/jwks").await).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in JWKS");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut v = Validation::new(Algorithm::ES256);
    v.set_issuer(&[&s.url]);
    v.set_audience(&["sigstore"]);
    v.validate_exp = false;
    v.set_required_spec_claims(&["iss", "sub", "aud", "iat", "exp"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["nbf"], NOW);
    assert_eq!(claims["exp"], NOW + fake_oidc::DEFAULT_LIFETIME_SECS);
    claims
}

#[tokio::test]
async fn discovery_names_our_endpoints() {
    let s = start().await;
    let d = s.get_json("/.well-known/openid-configuration").await;
    assert_eq!(d["issuer"], s.url);
    assert_eq!(d["authorization_endpoint"], format!("{}/authorize", s.url));
    assert_eq!(d["token_endpoint"], format!("{}/token", s.url));
    assert_eq!(d["jwks_uri"], format!("{}/jwks", s.url));
    assert_eq!(
        d["device_authorization_endpoint"],
        format!("{}/device/code", s.url)
    );
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["ES256"]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["subject_types_supported"], json!(["public"]));
    assert_eq!(
        d["grant_types_supported"],
        json!([
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    let jwks = s.get_json("/jwks").await;
    assert_eq!(jwks, s.issuer.jwks());
    let k = &jwks["keys"][0];
    assert_eq!(
        (k["kty"].as_str(), k["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert_eq!(
        (k["alg"].as_str(), k["use"].as_str()),
        (Some("ES256"), Some("sig"))
    );
}

#[tokio::test]
async fn every_preset_verifies_against_the_served_jwks() {
    let s = start().await;
    for preset in Preset::ALL {
        let token = s
            .issuer
            .mint(&MintRequest {
                preset,
                ..MintRequest::default()
            })
            .unwrap();
        let c = verify_against_served_jwks(&s, &token).await;
        assert_eq!(s.issuer.verify(&token, "sigstore").unwrap(), c, "{preset}");
        assert!(c["sub"].as_str().is_some_and(|x| !x.is_empty()), "{preset}");
        match preset {
            Preset::Email => {
                assert_eq!(c["email"], "alice@example.com");
                assert_eq!(c["email_verified"], true);
                assert_eq!(c["sub"], c["email"]);
            }
            Preset::GithubActions => {
                // Every claim Fulcio's github-workflow provider needs, as non-empty strings.
                for claim in [
                    "sub",
                    "job_workflow_ref",
                    "job_workflow_sha",
                    "sha",
                    "event_name",
                    "repository",
                    "workflow",
                    "ref",
                    "repository_id",
                    "repository_owner",
                    "repository_owner_id",
                    "workflow_ref",
                    "workflow_sha",
                    "run_id",
                    "run_attempt",
                    "runner_environment",
                    "repository_visibility",
                ] {
                    assert!(c[claim].as_str().is_some_and(|x| !x.is_empty()), "{claim}");
                }
            }
            Preset::GitlabCi => {
                for claim in [
                    "ci_config_ref_uri",
                    "ci_config_sha",
                    "runner_environment",
                    "project_path",
                    "sha",
                    "ref_type",
                    "ref",
                    "project_id",
                    "namespace_path",
                    "namespace_id",
                    "pipeline_source",
                    "job_id",
                    "project_visibility",
                ] {
                    assert!(c[claim].as_str().is_some_and(|x| !x.is_empty()), "{claim}");
                }
            }
            Preset::Buildkite => {
                for claim in [
                    "organization_slug",
                    "pipeline_slug",
                    "job_id",
                    "runner_environment",
                    "build_commit",
                    "build_source",
                ] {
                    assert!(c[claim].as_str().is_some_and(|x| !x.is_empty()), "{claim}");
                }
                assert!(c["build_number"].is_u64());
            }
            Preset::Kubernetes => {
                assert_eq!(c["kubernetes.io"]["namespace"], "default");
                assert_eq!(c["kubernetes.io"]["serviceaccount"]["name"], "sigstore");
            }
            Preset::Spiffe => {
                assert_eq!(c["sub"], "spiffe://127.0.0.1/ns/default/sa/sigstore");
                assert_eq!(s.issuer.spiffe_trust_domain(), "127.0.0.1");
            }
        }
    }
}

#[tokio::test]
async fn post_token_json_mints_with_overrides() {
    let s = start().await;
    let r = s
        .http
        .post(format!("{}/token", s.url))
        .json(&json!({
            "preset": "github-actions",
            "subject": "repo:me/x:ref:refs/tags/v1",
            "lifetime_secs": 60,
            "claims": {"ref": "refs/tags/v1", "event_name": null}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 60);
    assert_eq!(body["access_token"], body["id_token"]);
    let c = s
        .issuer
        .verify(body["id_token"].as_str().unwrap(), "sigstore")
        .unwrap();
    assert_eq!(c["sub"], "repo:me/x:ref:refs/tags/v1");
    assert_eq!(c["ref"], "refs/tags/v1");
    assert!(!c.contains_key("event_name"));
    assert_eq!(c["exp"], NOW + 60);

    // A malformed mint request: unknown field, unknown preset, bad JSON.
    for body in [r#"{"presett":"email"}"#, r#"{"preset":"github"}"#, "{"] {
        let r = s
            .http
            .post(format!("{}/token", s.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let got = (r.status().as_u16(), r.json::<Value>().await.unwrap());
        crate::common::assert_oauth_error(&got, 400, "invalid_request");
    }
}

#[tokio::test]
async fn token_endpoint_refuses_malformed_requests() {
    let s = start().await;
    let got = s.post_form("/token", &[("grant_type", "password")]).await;
    crate::common::assert_oauth_error(&got, 400, "unsupported_grant_type");
    let got = s.post_form("/token", &[("code", "x")]).await;
    crate::common::assert_oauth_error(&got, 400, "invalid_request");
    let got = s
        .post_form(
            "/token",
            &[("grant_type", "authorization_code"), ("grant_type", "x")],
        )
        .await;
    crate::common::assert_oauth_error(&got, 400, "invalid_request");

    let r = s
        .http
        .post(format!("{}/token", s.url))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    let r = s
        .http
        .post(format!("{}/token", s.url))
        .header("content-type", "application/json")
        .body(vec![b' '; 65 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}
