//! The identity-token verifier Fulcio uses (`fake_oidc::Issuer::verify`, then
//! `Fulcio::authenticate`, which also reads the issuer and builds the principal from the
//! claims). Three forms: a raw token string; claim overrides (a JSON object) minted into a
//! token by the stack's issuer; and a raw header and payload (split at the first newline,
//! `${ISS}` replaced by the issuer URL) signed with the issuer's key, so fuzzed headers and
//! claim sets get past the signature.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Signer;
use sigbox_fuzz::harness::{Harness, SEED};
use sigbox_fuzz::input::select;
use stack::fulcio::AUDIENCE;

fuzz_target!(|data: &[u8]| {
    let Some((form, rest)) = select(data, 3) else {
        return;
    };
    let h = Harness::get();
    let oidc = h.stack().oidc();
    let token = match form {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => {
            let Ok(claims) = serde_json::from_slice(rest) else {
                return;
            };
            let mint = fake_oidc::MintRequest {
                claims,
                ..Default::default()
            };
            let Ok(token) = oidc.mint(&mint) else {
                return;
            };
            token
        }
        _ => {
            let (header, payload) = match rest.iter().position(|b| *b == b'\n') {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &[][..]),
            };
            let payload = String::from_utf8_lossy(payload).replace("${ISS}", oidc.issuer_url());
            let mut jws = format!("{}.{}", B64URL.encode(header), B64URL.encode(payload));
            let key = stack::KeyRing::new(SEED).signing_key(stack::Role::Oidc, 0);
            let sig: Signature = key.sign(jws.as_bytes());
            jws.push('.');
            jws.push_str(&B64URL.encode(sig.to_bytes()));
            jws
        }
    };
    let verified = oidc.verify(&token, AUDIENCE);
    let principal = h.stack().fulcio().authenticate(&token);
    // Fulcio takes only what the issuer verified.
    if principal.is_ok() {
        assert!(verified.is_ok(), "Fulcio took a token its issuer refused");
    }
});
