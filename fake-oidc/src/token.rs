//! Token minting: claim presets, the mint request, and the compact JWS (ES256, RFC 7515 §7.1,
//! RFC 7518 §3.4) signed with RFC 6979 deterministic nonces.
//!
//! jsonwebtoken's aws-lc-rs ES256 signer draws a random nonce, so two mints of the same claims
//! would differ; we sign the JWS ourselves with p256 instead, which makes the token a pure
//! function of (key, claims). Verification still goes through jsonwebtoken (see `verify.rs`).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The audience Sigstore clients ask for and Fulcio expects (`client-id: sigstore`).
pub const DEFAULT_AUDIENCE: &str = "sigstore";
/// The email of the default identity.
pub const DEFAULT_EMAIL: &str = "alice@example.com";
/// Token lifetime when the request names none: 10 minutes, like Fulcio's certificates.
pub const DEFAULT_LIFETIME_SECS: i64 = 600;

/// A set of identity claims modelled on a real issuer's tokens.
///
/// Names (`FromStr`, `Display`, serde) are kebab-case: `email`, `github-actions`, `gitlab-ci`,
/// `buildkite`, `kubernetes`, `spiffe`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// A person's token (Dex / Google style): `email`, `email_verified: true`; `sub` defaults to
    /// the email, so clients that use `sub` as the identity of an unknown issuer (sigstore-python)
    /// and Fulcio's email principal (which uses `email`) agree.
    #[default]
    Email,
    /// GitHub Actions: every claim Fulcio's `github-workflow` provider reads for the certificate
    /// extensions 1.3.6.1.4.1.57264.1.2-.1.22 (job_workflow_ref, sha, event_name, repository, ...).
    GithubActions,
    /// GitLab CI (`gitlab-pipeline` provider): ci_config_ref_uri, project_path, namespace_path, ...
    GitlabCi,
    /// Buildkite Agent (`buildkite-job` provider): organization_slug, pipeline_slug, build_number, ...
    Buildkite,
    /// A Kubernetes service-account token: `sub` and the `kubernetes.io` claim.
    Kubernetes,
    /// A SPIFFE JWT-SVID: `sub` is a SPIFFE ID in the issuer host's trust domain.
    Spiffe,
}

impl Preset {
    /// Every preset, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::Email,
        Self::GithubActions,
        Self::GitlabCi,
        Self::Buildkite,
        Self::Kubernetes,
        Self::Spiffe,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::GithubActions => "github-actions",
            Self::GitlabCi => "gitlab-ci",
            Self::Buildkite => "buildkite",
            Self::Kubernetes => "kubernetes",
            Self::Spiffe => "spiffe",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A preset name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown preset {0:?}, want one of email, github-actions, gitlab-ci, buildkite, kubernetes, spiffe"
)]
pub struct ParsePresetError(pub String);

impl FromStr for Preset {
    type Err = ParsePresetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParsePresetError(s.to_owned()))
    }
}

/// What to mint. Also the JSON body of `POST /token` with `Content-Type: application/json`
/// (unknown fields are refused).
///
/// Claims are built in this order, later steps winning: `iss` (the issuer URL), `aud`, `iat`,
/// `nbf` (= `iat`), `exp` (= `iat` + lifetime), the preset's claims with `sub`, then `claims`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MintRequest {
    /// The claim set to start from.
    pub preset: Preset,
    /// `sub`; each preset has a default (for `email`, the email).
    pub subject: Option<String>,
    /// The `email` claim of the `email` preset (default [`DEFAULT_EMAIL`]); other presets ignore
    /// it (add `email` through `claims` if you want one there).
    pub email: Option<String>,
    /// `aud` (default [`DEFAULT_AUDIENCE`]); mint a wrong-audience token on purpose with this.
    pub audience: Option<String>,
    /// `exp - iat` in seconds (default [`DEFAULT_LIFETIME_SECS`]); must not be negative.
    pub lifetime_secs: Option<i64>,
    /// `iat` and `nbf` in unix seconds (default: the issuer's clock). Set it in the past to mint
    /// an expired token on purpose.
    pub issued_at: Option<i64>,
    /// Overrides applied last, top-level keys replacing whole values; a `null` removes the claim
    /// (to mint a token that lacks one on purpose). Any claim can be overridden, `iss` included.
    pub claims: Map<String, Value>,
}

/// Why a token could not be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    /// The issuer was configured without keys.
    #[error("the issuer has no signing key")]
    NoKey,
    /// `lifetime_secs` below zero.
    #[error("lifetime_secs is {0}, want >= 0")]
    NegativeLifetime(i64),
    /// `issued_at + lifetime_secs` does not fit in an i64.
    #[error("issued_at {issued_at} + lifetime_secs {lifetime} overflows")]
    TimeOverflow {
        /// `iat`.
        issued_at: i64,
        /// The requested lifetime.
        lifetime: i64,
    },
}

/// A `--claim` argument that is not `key=string` or `key:=json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimArgError {
    /// Neither `=` nor `:=` in the argument.
    #[error("claim {0:?} is not key=value or key:=json")]
    NoSeparator(String),
    /// Nothing before the separator.
    #[error("claim {0:?} has an empty key")]
    EmptyKey(String),
    /// The part after `:=` is not JSON.
    #[error("claim {key:?}: value after := is not JSON: {reason}")]
    BadJson {
        /// The claim name.
        key: String,
        /// serde_json's message.
        reason: String,
    },
}

/// Parses a `--claim` command-line argument: `key=value` sets a string (so `run_id=42` stays
/// the string `"42"`, as GitHub sends it), `key:=json` sets any JSON value (`email_verified:=false`,
/// `build_number:=7`, `aud:=["a","b"]`, `sub:=null` to remove). The first `=` decides.
pub fn parse_claim_arg(arg: &str) -> Result<(String, Value), ClaimArgError> {
    let Some(eq) = arg.find('=') else {
        return Err(ClaimArgError::NoSeparator(arg.to_owned()));
    };
    let (key, value, json) = match arg[..eq].strip_suffix(':') {
        Some(key) => (key, &arg[eq + 1..], true),
        None => (&arg[..eq], &arg[eq + 1..], false),
    };
    if key.is_empty() {
        return Err(ClaimArgError::EmptyKey(arg.to_owned()));
    }
    let value = if json {
        serde_json::from_str(value).map_err(|e| ClaimArgError::BadJson {
            key: key.to_owned(),
            reason: e.to_string(),
        })?
    } else {
        Value::String(value.to_owned())
    };
    Ok((key.to_owned(), value))
}

/// Builds the claim set of `req` for issuer `iss` at time `now` (see [`MintRequest`]).
pub(crate) fn build_claims(
    iss: &str,
    now: i64,
    req: &MintRequest,
) -> Result<Map<String, Value>, MintError> {
    let iat = req.issued_at.unwrap_or(now);
    let lifetime = req.lifetime_secs.unwrap_or(DEFAULT_LIFETIME_SECS);
    if lifetime < 0 {
        return Err(MintError::NegativeLifetime(lifetime));
    }
    let exp = iat.checked_add(lifetime).ok_or(MintError::TimeOverflow {
        issued_at: iat,
        lifetime,
    })?;

    let mut c = Map::new();
    c.insert("iss".into(), iss.into());
    c.insert(
        "aud".into(),
        req.audience.as_deref().unwrap_or(DEFAULT_AUDIENCE).into(),
    );
    c.insert("iat".into(), iat.into());
    c.insert("nbf".into(), iat.into());
    c.insert("exp".into(), exp.into());
    let (default_sub, preset) = preset_claims(req, iss);
    c.insert(
        "sub".into(),
        req.subject.clone().unwrap_or(default_sub).into(),
    );
    for (k, v) in preset {
        c.insert(k.to_owned(), v);
    }
    for (k, v) in &req.claims {
        if v.is_null() {
            c.remove(k);
        } else {
            c.insert(k.clone(), v.clone());
        }
    }
    Ok(c)
}

/// The SPIFFE trust domain of the `spiffe` preset: the issuer URL's host (without port), or
/// `sigbox.test` when that is not a valid trust domain (SPIFFE-ID §2.1: `[a-z0-9._-]+`, so an
/// IPv6 host does not qualify).
pub(crate) fn spiffe_trust_domain(issuer_url: &str) -> String {
    url::Url::parse(issuer_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        })
        .unwrap_or_else(|| "sigbox.test".to_owned())
}

// Fixed, plausible values for the CI presets. Digests are 40-hex like git SHA-1s.
pub(crate) const GIT_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
pub(crate) const CONFIG_SHA: &str = "89abcdef0123456789abcdef0123456789abcdef";

/// The preset's default `sub` and its other claims (ordered for readability only; the claim
/// set is a map).
fn preset_claims(req: &MintRequest, iss: &str) -> (String, Vec<(&'static str, Value)>) {
    match req.preset {
        Preset::Email => {
            let email = req.email.as_deref().unwrap_or(DEFAULT_EMAIL);
            (
                email.to_owned(),
                vec![("email", email.into()), ("email_verified", true.into())],
            )
        }
        // Claim names and value shapes (all strings, as GitHub sends them) per GitHub's OIDC
        // token reference and Fulcio's github-workflow provider (config/identity/config.yaml);
        // the default job of `crate::ci`, so that its ambient tokens and this preset agree.
        Preset::GithubActions => {
            let job = crate::ci::GithubJob::default().resolve();
            (job.subject(), job.claims())
        }
        // Fulcio's gitlab-pipeline provider reads ci_config_ref_uri, ci_config_sha,
        // runner_environment, project_path, sha, ref_type, ref, project_id, namespace_path,
        // namespace_id, pipeline_source, job_id, project_visibility (and environment, optional).
        Preset::GitlabCi => {
            let job = crate::ci::GitlabJob::default().resolve();
            (job.subject(), job.claims())
        }
        // Fulcio's buildkite-job provider reads organization_slug, pipeline_slug, build_number,
        // job_id, runner_environment, build_commit, build_source.
        Preset::Buildkite => (
            format!(
                "organization:acme-inc:pipeline:super-app:ref:refs/heads/main:commit:{GIT_SHA}:step:build"
            ),
            vec![
                ("agent_id", "0184990a-477b-4fa8-9968-496074483cee".into()),
                ("build_branch", "main".into()),
                ("build_commit", GIT_SHA.into()),
                ("build_number", 7.into()),
                ("build_source", "ui".into()),
                ("job_id", "0184990a-4782-42b5-afc1-16715b10b8ff".into()),
                ("organization_slug", "acme-inc".into()),
                ("pipeline_slug", "super-app".into()),
                ("runner_environment", "buildkite-hosted".into()),
                ("step_key", "build".into()),
            ],
        ),
        // Fulcio's kubernetes principal: URI SAN
        // https://kubernetes.io/namespaces/<namespace>/serviceaccounts/<name>.
        Preset::Kubernetes => (
            "system:serviceaccount:default:sigstore".to_owned(),
            vec![(
                "kubernetes.io",
                json!({
                    "namespace": "default",
                    "pod": {"name": "signer-0", "uid": "49ad3572-b3dd-43a6-8d77-5858d3660275"},
                    "serviceaccount": {
                        "name": "sigstore",
                        "uid": "f5720c1d-e152-4356-a897-11b07aff165d"
                    }
                }),
            )],
        ),
        // Fulcio's spiffe principal: `sub` must be a SPIFFE ID in the configured trust domain.
        Preset::Spiffe => (
            format!(
                "spiffe://{}/ns/default/sa/sigstore",
                spiffe_trust_domain(iss)
            ),
            vec![],
        ),
    }
}

#[derive(Serialize)]
struct JwsHeader<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'static str,
}

/// The compact JWS of `claims`: `b64(header).b64(payload).b64(r || s)`.
pub(crate) fn sign_jws(kid: &str, key: &SigningKey, claims: &Map<String, Value>) -> String {
    let header = JwsHeader {
        alg: "ES256",
        kid,
        typ: "JWT",
    };
    // Serializing a struct of strings and a map of JSON values cannot fail.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let mut jws = URL_SAFE_NO_PAD.encode(header);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut jws);
    let sig: Signature = key.sign(jws.as_bytes());
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(sig.to_bytes(), &mut jws);
    jws
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_names_round_trip() {
        for p in Preset::ALL {
            assert_eq!(p.to_string().parse::<Preset>().unwrap(), p);
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                Value::String(p.to_string())
            );
        }
        assert!("github".parse::<Preset>().is_err());
    }

    #[test]
    fn claim_args_parse_strings_and_json() {
        assert_eq!(
            parse_claim_arg("run_id=42").unwrap(),
            ("run_id".into(), "42".into())
        );
        assert_eq!(
            parse_claim_arg("email_verified:=false").unwrap(),
            ("email_verified".into(), false.into())
        );
        assert_eq!(
            parse_claim_arg("x=a=b").unwrap(),
            ("x".into(), "a=b".into())
        );
        assert_eq!(
            parse_claim_arg("sub:=null").unwrap(),
            ("sub".into(), Value::Null)
        );
        assert!(matches!(
            parse_claim_arg("novalue"),
            Err(ClaimArgError::NoSeparator(_))
        ));
        assert!(matches!(
            parse_claim_arg("=x"),
            Err(ClaimArgError::EmptyKey(_))
        ));
        assert!(matches!(
            parse_claim_arg("k:={"),
            Err(ClaimArgError::BadJson { .. })
        ));
    }

    #[test]
    fn overrides_replace_and_null_removes() {
        let mut req = MintRequest::default();
        req.claims.insert("email_verified".into(), false.into());
        req.claims.insert("sub".into(), Value::Null);
        let c = build_claims("http://x", 100, &req).unwrap();
        assert_eq!(c["email_verified"], false);
        assert!(!c.contains_key("sub"));
        assert_eq!(c["exp"], 700);
        assert_eq!(c["nbf"], 100);
    }

    #[test]
    fn negative_lifetime_is_refused() {
        let req = MintRequest {
            lifetime_secs: Some(-1),
            ..MintRequest::default()
        };
        assert_eq!(
            build_claims("http://x", 0, &req),
            Err(MintError::NegativeLifetime(-1))
        );
    }

    #[test]
    fn spiffe_trust_domain_is_issuer_host() {
        assert_eq!(spiffe_trust_domain("http://127.0.0.1:7860"), "127.0.0.1");
        assert_eq!(spiffe_trust_domain("http://[::1]:1"), "sigbox.test");
        assert_eq!(spiffe_trust_domain("not a url"), "sigbox.test");
    }
}
