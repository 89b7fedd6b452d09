//! In-process token verification (what Fulcio does with an identity token, RFC 7519 §7.2):
//! algorithm pinned to ES256 before any key is used, signature through jsonwebtoken on aws-lc-rs,
//! then `iss`, `aud`, `exp` and `nbf` checked against the configured clock.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// The verified claim set.
pub type Claims = Map<String, Value>;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `aud` does not name the wanted audience.
    #[error("token audience is {found}, want {expected:?}")]
    Audience {
        /// The audience asked for.
        expected: String,
        /// The `aud` claim as JSON.
        found: String,
    },
    /// `exp` is not after now.
    #[error("token expired at {exp}, now is {now}")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The clock.
        now: i64,
    },
    /// `iss` is not our issuer URL.
    #[error("token issuer is {found:?}, want {expected:?}")]
    Issuer {
        /// Our issuer URL.
        expected: String,
        /// The `iss` claim.
        found: String,
    },
    /// Not three base64url parts, or a header or claim set that is not a JSON object.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// A required claim is absent or of the wrong type.
    #[error("token claim {0:?} is missing or not {1}")]
    MissingClaim(&'static str, &'static str),
    /// `nbf` is after now.
    #[error("token not valid before {nbf}, now is {now}")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The clock.
        now: i64,
    },
    /// The signature does not verify under the key(s) tried.
    #[error("token signature does not verify under key {kid:?}")]
    Signature {
        /// The key tried, or `*` for all.
        kid: String,
    },
    /// The header's `kid` names none of our key generations.
    #[error("token key id {0:?} is not in the issuer's JWKS")]
    UnknownKey(String),
    /// Any `alg` but ES256 (`none`, HS256, RS256, ...), refused before any key is touched.
    #[error("token algorithm is {0:?}, want \"ES256\"")]
    UnsupportedAlgorithm(String),
}

/// See [`crate::Issuer::verify`]. `keys` are (kid, key) of every generation.
pub(crate) fn verify(
    token: &str,
    keys: &[(&str, &DecodingKey)],
    issuer_url: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, VerifyError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, _, _] = parts[..] else {
        return Err(VerifyError::Malformed(format!(
            "{} dot-separated parts, want 3",
            parts.len()
        )));
    };
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|e| VerifyError::Malformed(format!("header is not base64url: {e}")))?;
    let header: Map<String, Value> = serde_json::from_slice(&header)
        .map_err(|e| VerifyError::Malformed(format!("header is not a JSON object: {e}")))?;
    // RFC 8725 §3.1: the verifier picks the algorithm; the header only has to agree.
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "ES256" => {}
        Some(Value::String(alg)) => return Err(VerifyError::UnsupportedAlgorithm(alg.clone())),
        other => {
            return Err(VerifyError::UnsupportedAlgorithm(
                other.map_or_else(|| "<absent>".to_owned(), Value::to_string),
            ));
        }
    }
    let candidates: Vec<&(&str, &DecodingKey)> = match header.get("kid") {
        None => keys.iter().collect(),
        Some(Value::String(kid)) => {
            let found: Vec<_> = keys.iter().filter(|(k, _)| k == kid).collect();
            if found.is_empty() {
                return Err(VerifyError::UnknownKey(kid.clone()));
            }
            found
        }
        Some(other) => {
            return Err(VerifyError::Malformed(format!(
                "kid is {other}, want a string"
            )));
        }
    };

    let mut validation = Validation::new(Algorithm::ES256);
    // Time and audience are checked below against our clock, not the system time.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.leeway = 0;

    let mut claims = None;
    for (_, key) in &candidates {
        match jsonwebtoken::decode::<Claims>(token, key, &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {}
            Err(e) => return Err(VerifyError::Malformed(e.to_string())),
        }
    }
    let Some(claims) = claims else {
        let kid = match candidates[..] {
            [(kid, _)] => (*kid).to_owned(),
            _ => "*".to_owned(),
        };
        return Err(VerifyError::Signature { kid });
    };

    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or(VerifyError::MissingClaim("iss", "a string"))?;
    if iss != issuer_url {
        return Err(VerifyError::Issuer {
            expected: issuer_url.to_owned(),
            found: iss.to_owned(),
        });
    }
    // RFC 7519 §4.1.3: a string or an array of strings.
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(audience)),
        _ => return Err(VerifyError::MissingClaim("aud", "a string or array")),
    };
    if !aud_ok {
        return Err(VerifyError::Audience {
            expected: audience.to_owned(),
            found: claims.get("aud").map(Value::to_string).unwrap_or_default(),
        });
    }
    let exp = numeric_date(&claims, "exp")?.ok_or(VerifyError::MissingClaim("exp", "a number"))?;
    if now >= exp {
        return Err(VerifyError::Expired { exp, now });
    }
    if let Some(nbf) = numeric_date(&claims, "nbf")?
        && now < nbf
    {
        return Err(VerifyError::NotYetValid { nbf, now });
    }
    Ok(claims)
}

/// A NumericDate claim (RFC 7519 §2: seconds, possibly fractional; truncated).
fn numeric_date(claims: &Claims, name: &'static str) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(VerifyError::MissingClaim(name, "a number")),
        Some(_) => Err(VerifyError::MissingClaim(name, "a number")),
    }
}
