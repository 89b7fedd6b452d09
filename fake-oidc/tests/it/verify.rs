use axum::body::Body;
use axum::http::Request;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fake_oidc::{Issuer, MintRequest, Preset, VerifyError};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::common::{NOW, TestClock, config, key};

const URL: &str = "http://127.0.0.1:7860";

fn issuer() -> (Issuer, TestClock) {
    let clock = TestClock::new(NOW);
    (Issuer::new(config(URL, &clock)), clock)
}

fn mint(i: &Issuer, edit: impl FnOnce(&mut MintRequest)) -> String {
    let mut req = MintRequest::default();
    edit(&mut req);
    i.mint(&req).unwrap()
}

#[test]
fn expired_tokens_minted_on_purpose_are_refused() {
    let (i, clock) = issuer();
    let t = mint(&i, |r| r.issued_at = Some(NOW - 3600));
    let e = i.verify(&t, "sigstore").unwrap_err();
    assert_eq!(
        e,
        VerifyError::Expired {
            exp: NOW - 3000,
            now: NOW
        }
    );
    assert_eq!(
        e.to_string(),
        format!("token expired at {}, now is {NOW}", NOW - 3000)
    );

    // A fresh token expires when the clock reaches exp, not a second later.
    let t = mint(&i, |r| r.lifetime_secs = Some(60));
    assert!(i.verify(&t, "sigstore").is_ok());
    clock.set(NOW + 60);
    assert!(matches!(
        i.verify(&t, "sigstore"),
        Err(VerifyError::Expired { .. })
    ));
    // Zero lifetime: expired at once.
    clock.set(NOW);
    let t = mint(&i, |r| r.lifetime_secs = Some(0));
    assert!(matches!(
        i.verify(&t, "sigstore"),
        Err(VerifyError::Expired { .. })
    ));
}

#[test]
fn wrong_audience_tokens_minted_on_purpose_are_refused() {
    let (i, _) = issuer();
    let t = mint(&i, |r| r.audience = Some("not-sigstore".into()));
    let e = i.verify(&t, "sigstore").unwrap_err();
    assert_eq!(
        e,
        VerifyError::Audience {
            expected: "sigstore".into(),
            found: "\"not-sigstore\"".into()
        }
    );
    assert!(i.verify(&t, "not-sigstore").is_ok());
    // An audience array containing ours is fine (RFC 7519 §4.1.3).
    let t = mint(&i, |r| {
        r.claims.insert("aud".into(), json!(["other", "sigstore"]));
    });
    assert!(i.verify(&t, "sigstore").is_ok());
}

#[test]
fn future_wrong_issuer_and_claimless_tokens_are_refused() {
    let (i, _) = issuer();
    let t = mint(&i, |r| r.issued_at = Some(NOW + 100));
    assert_eq!(
        i.verify(&t, "sigstore").unwrap_err(),
        VerifyError::NotYetValid {
            nbf: NOW + 100,
            now: NOW
        }
    );
    let t = mint(&i, |r| {
        r.claims
            .insert("iss".into(), "https://accounts.google.com".into());
    });
    assert!(matches!(
        i.verify(&t, "sigstore"),
        Err(VerifyError::Issuer { .. })
    ));
    let t = mint(&i, |r| {
        r.claims.insert("exp".into(), Value::Null);
    });
    assert_eq!(
        i.verify(&t, "sigstore").unwrap_err(),
        VerifyError::MissingClaim("exp", "a number")
    );
    let t = mint(&i, |r| {
        r.claims.insert("aud".into(), Value::Null);
    });
    assert!(matches!(
        i.verify(&t, "sigstore"),
        Err(VerifyError::MissingClaim("aud", _))
    ));
}

#[test]
fn alg_none_and_hs256_with_the_public_key_are_refused() {
    let (i, _) = issuer();
    let good = mint(&i, |_| {});
    let payload = good.split('.').nth(1).unwrap();

    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    );
    assert_eq!(
        i.verify(&none, "sigstore").unwrap_err(),
        VerifyError::UnsupportedAlgorithm("none".into())
    );
    let no_alg = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#));
    assert!(matches!(
        i.verify(&no_alg, "sigstore"),
        Err(VerifyError::UnsupportedAlgorithm(_))
    ));

    // The classic key-confusion attack: HMAC keyed with the public key as served.
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let jwks = i.jwks();
    let jwk = &jwks["keys"][0];
    for secret in [
        serde_json::to_vec(jwk).unwrap(),
        key("gen-0")
            .key
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec(),
    ] {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("gen-0".into());
        let hs = jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        assert_eq!(
            i.verify(&hs, "sigstore").unwrap_err(),
            VerifyError::UnsupportedAlgorithm("HS256".into())
        );
    }
}

#[test]
fn forged_tampered_and_malformed_tokens_are_refused() {
    let (i, _) = issuer();
    let good = mint(&i, |_| {});
    let [h, p, s]: [&str; 3] = good.split('.').collect::<Vec<_>>().try_into().unwrap();

    // Tampered claims under the original signature.
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
    claims["email"] = "mallory@example.com".into();
    let forged = format!(
        "{h}.{}.{s}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    assert_eq!(
        i.verify(&forged, "sigstore").unwrap_err(),
        VerifyError::Signature {
            kid: "gen-0".into()
        }
    );

    // Signed by a stranger's key that claims our kid.
    let stranger = Issuer::new(config(URL, &TestClock::new(NOW)));
    stranger.rotate(fake_oidc::IssuerKey {
        kid: "gen-0".into(),
        key: key("stranger").key,
    });
    let t = stranger.mint(&MintRequest::default()).unwrap();
    assert!(matches!(
        i.verify(&t, "sigstore"),
        Err(VerifyError::Signature { .. })
    ));

    // A kid we never had.
    stranger.rotate(key("gen-9"));
    let t = stranger.mint(&MintRequest::default()).unwrap();
    assert_eq!(
        i.verify(&t, "sigstore").unwrap_err(),
        VerifyError::UnknownKey("gen-9".into())
    );

    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.e30.",
        &format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode("[1]")),
    ] {
        assert!(
            matches!(i.verify(bad, "sigstore"), Err(VerifyError::Malformed(_))),
            "{bad}"
        );
    }
}

#[test]
fn rotation_keeps_old_keys_served_and_old_tokens_valid() {
    let (i, _) = issuer();
    let old = mint(&i, |_| {});
    i.rotate(key("gen-1"));
    let kids: Vec<Value> = i.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(kids, [json!("gen-0"), json!("gen-1")]);
    let new = mint(&i, |_| {});
    assert_eq!(
        jsonwebtoken::decode_header(&new).unwrap().kid.as_deref(),
        Some("gen-1")
    );
    assert_eq!(
        jsonwebtoken::decode_header(&old).unwrap().kid.as_deref(),
        Some("gen-0")
    );
    assert!(i.verify(&old, "sigstore").is_ok());
    assert!(i.verify(&new, "sigstore").is_ok());
    // Same kid again replaces, never duplicates.
    i.rotate(key("gen-1"));
    assert_eq!(i.jwks()["keys"].as_array().unwrap().len(), 2);
}

#[test]
fn thumbprint_kids_follow_rfc7638() {
    let k = fake_oidc::IssuerKey::with_thumbprint_kid(key("x").key);
    assert_eq!(k.kid.len(), 43);
    let jwks = Issuer::new(fake_oidc::IssuerConfig {
        keys: vec![k.clone()],
        ..config(URL, &TestClock::new(NOW))
    })
    .jwks();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
    assert_eq!(
        jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap(),
        k.kid
    );
}

#[test]
fn minting_is_deterministic_under_a_frozen_clock() {
    let (a, _) = issuer();
    let (b, _) = issuer();
    for preset in Preset::ALL {
        let req = MintRequest {
            preset,
            ..MintRequest::default()
        };
        let t = a.mint(&req).unwrap();
        assert_eq!(t, a.mint(&req).unwrap(), "{preset}");
        assert_eq!(t, b.mint(&req).unwrap(), "{preset}");
    }
}

#[tokio::test]
async fn codes_are_deterministic_across_identical_issuers() {
    let challenge = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let uri = format!(
        "/authorize?response_type=code&client_id=sigstore&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&code_challenge={challenge}&code_challenge_method=S256&state=s"
    );
    let mut locations = Vec::new();
    for _ in 0..2 {
        let (i, _) = issuer();
        let mut seq = Vec::new();
        for _ in 0..2 {
            let r = i
                .router()
                .oneshot(Request::get(&uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(r.status(), 302);
            seq.push(r.headers()["location"].to_str().unwrap().to_owned());
        }
        assert_ne!(seq[0], seq[1], "each code is fresh");
        locations.push(seq);
    }
    assert_eq!(locations[0], locations[1]);
}
