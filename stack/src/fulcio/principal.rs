//! From a verified token's claims to what goes into the certificate: the subject alternative
//! name and Fulcio's 1.3.6.1.4.1.57264.1.* extensions, per identity type, as Fulcio's
//! principals and its `ci-issuer-metadata` templates (config/identity/config.yaml) build them.
//!
//! Fulcio picks the identity type from the issuer's configuration. sigbox has one issuer that
//! mints every kind of token, so the type is read from the claims instead: `job_workflow_ref`
//! means GitHub Actions, `ci_config_ref_uri` GitLab CI, `organization_slug` + `pipeline_slug`
//! Buildkite, `kubernetes.io` a Kubernetes service account, a `spiffe://` subject SPIFFE, and
//! otherwise `email`.

use der::Encode;
use der::asn1::Utf8StringRef;
use serde_json::{Map, Value};

/// The certificate identity kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An email SAN.
    Email,
    /// GitHub Actions (`github-workflow`).
    GithubWorkflow,
    /// GitLab CI (`gitlab-pipeline`).
    GitlabPipeline,
    /// Buildkite (`buildkite-job`).
    BuildkiteJob,
    /// A Kubernetes service account.
    Kubernetes,
    /// A SPIFFE ID.
    Spiffe,
}

/// The subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
}

/// What a token certifies.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The identity type.
    pub kind: Kind,
    /// What the proof of possession signs (Fulcio's `Principal.Name`): the email for email
    /// identities, `sub` otherwise.
    pub name: String,
    /// The SAN.
    pub san: San,
    /// Fulcio extensions in Fulcio's order: (arc under 1.3.6.1.4.1.57264.1, DER value).
    pub extensions: Vec<(u32, Vec<u8>)>,
}

/// Why a verified token's claims make no principal (Fulcio's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// No `sub`, or an empty one.
    #[error("token has no `sub` claim")]
    NoSubject,
    /// A claim the provider's identity is built from.
    #[error("token has no `{claim}` claim, which a {provider} identity needs")]
    Missing {
        /// The claim.
        claim: String,
        /// The provider (`github-workflow`, ...).
        provider: &'static str,
    },
    /// No email, and no other identity either.
    #[error("token has no `email` claim (and no CI, Kubernetes or SPIFFE identity)")]
    NoEmail,
    /// `email_verified` false or absent.
    #[error("email_verified claim was false")]
    EmailNotVerified,
    /// An address that is not `local@domain.tld`.
    #[error("email address {0:?} is not valid")]
    BadEmail(String),
    /// A `spiffe://` subject that is not a SPIFFE ID.
    #[error("invalid spiffe ID provided: {0}")]
    BadSpiffeId(String),
    /// A SPIFFE ID of another trust domain than the issuer's.
    #[error("spiffe ID trust domain {domain} doesn't match configured trust domain {trust_domain}")]
    SpiffeDomain {
        /// The ID's trust domain.
        domain: String,
        /// The issuer's.
        trust_domain: String,
    },
}

/// Fulcio's `mapValuesToString`: strings as they are, integral numbers without a fraction,
/// anything else as JSON.
fn claim_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The claims merged over a provider's defaults, with Fulcio's "missing key is an error".
struct Data<'a> {
    claims: &'a Map<String, Value>,
    defaults: &'a [(&'a str, &'a str)],
    provider: &'static str,
}

impl Data<'_> {
    fn get(&self, key: &str) -> Result<String, ClaimError> {
        if let Some(v) = self.claims.get(key) {
            return Ok(claim_string(v));
        }
        self.defaults
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
            .ok_or_else(|| ClaimError::Missing {
                claim: key.to_owned(),
                provider: self.provider,
            })
    }
}

/// Extensions to render: (arc, value); empty values are left out as Fulcio's `Render` does.
struct Exts(Vec<(u32, String)>);

impl Exts {
    fn render(mut self, issuer: &str, subject: &str) -> Vec<(u32, Vec<u8>)> {
        // 1.1 (deprecated) holds the raw issuer; 1.8 and up DER UTF8Strings; 1.2-1.6 raw.
        self.0.push((1, issuer.to_owned()));
        self.0.push((8, issuer.to_owned()));
        self.0.push((24, subject.to_owned()));
        self.0.retain(|(_, v)| !v.is_empty());
        self.0.sort_by_key(|(arc, _)| *arc);
        self.0
            .into_iter()
            .map(|(arc, v)| {
                let der = if (1..=6).contains(&arc) {
                    v.into_bytes()
                } else {
                    Utf8StringRef::new(&v)
                        .and_then(|s| s.to_der())
                        .unwrap_or_default()
                };
                (arc, der)
            })
            .collect()
    }
}

/// Builds the principal of a verified claim set from issuer `iss`; `trust_domain` is the SPIFFE
/// trust domain the issuer vouches for.
pub fn from_claims(
    iss: &str,
    claims: &Map<String, Value>,
    trust_domain: &str,
) -> Result<Principal, ClaimError> {
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(ClaimError::NoSubject)?
        .to_owned();
    let has = |k: &str| claims.contains_key(k);
    if has("job_workflow_ref") {
        github(iss, &sub, claims)
    } else if has("ci_config_ref_uri") {
        gitlab(iss, &sub, claims)
    } else if has("organization_slug") && has("pipeline_slug") {
        buildkite(iss, &sub, claims)
    } else if has("kubernetes.io") {
        kubernetes(iss, &sub, claims)
    } else if sub.starts_with("spiffe://") {
        spiffe(iss, &sub, trust_domain)
    } else {
        email(iss, &sub, claims)
    }
}

fn email(iss: &str, sub: &str, claims: &Map<String, Value>) -> Result<Principal, ClaimError> {
    let address = claims
        .get("email")
        .and_then(Value::as_str)
        .ok_or(ClaimError::NoEmail)?;
    // go-oidc's EmailFromIDToken takes a bool or the string "true".
    let verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    if !verified {
        return Err(ClaimError::EmailNotVerified);
    }
    let valid = address.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@')
    }) && !address.chars().any(char::is_whitespace);
    if !valid {
        return Err(ClaimError::BadEmail(address.to_owned()));
    }
    Ok(Principal {
        kind: Kind::Email,
        name: address.to_owned(),
        san: San::Email(address.to_owned()),
        extensions: Exts(vec![]).render(iss, sub),
    })
}

fn github(iss: &str, sub: &str, claims: &Map<String, Value>) -> Result<Principal, ClaimError> {
    let d = Data {
        claims,
        defaults: &[("url", "https://github.com"), ("environment", "")],
        provider: "github-workflow",
    };
    let url = d.get("url")?;
    let san = format!("{url}/{}", d.get("job_workflow_ref")?);
    let exts = Exts(vec![
        (2, d.get("event_name")?),
        (3, d.get("sha")?),
        (4, d.get("workflow")?),
        (5, d.get("repository")?),
        (6, d.get("ref")?),
        (9, san.clone()),
        (10, d.get("job_workflow_sha")?),
        (11, d.get("runner_environment")?),
        (12, format!("{url}/{}", d.get("repository")?)),
        (13, d.get("sha")?),
        (14, d.get("ref")?),
        (15, d.get("repository_id")?),
        (16, format!("{url}/{}", d.get("repository_owner")?)),
        (17, d.get("repository_owner_id")?),
        (18, format!("{url}/{}", d.get("workflow_ref")?)),
        (19, d.get("workflow_sha")?),
        (20, d.get("event_name")?),
        (
            21,
            format!(
                "{url}/{}/actions/runs/{}/attempts/{}",
                d.get("repository")?,
                d.get("run_id")?,
                d.get("run_attempt")?
            ),
        ),
        (22, d.get("repository_visibility")?),
        (23, d.get("environment")?),
    ]);
    Ok(Principal {
        kind: Kind::GithubWorkflow,
        name: sub.to_owned(),
        san: San::Uri(san),
        extensions: exts.render(iss, sub),
    })
}

fn gitlab(iss: &str, sub: &str, claims: &Map<String, Value>) -> Result<Principal, ClaimError> {
    let d = Data {
        claims,
        defaults: &[("url", "https://gitlab.com"), ("environment", "")],
        provider: "gitlab-pipeline",
    };
    let url = d.get("url")?;
    let config = format!("https://{}", d.get("ci_config_ref_uri")?);
    let kind = if d.get("ref_type")? == "branch" {
        "heads"
    } else {
        "tags"
    };
    let exts = Exts(vec![
        (9, config.clone()),
        (10, d.get("ci_config_sha")?),
        (11, d.get("runner_environment")?),
        (12, format!("{url}/{}", d.get("project_path")?)),
        (13, d.get("sha")?),
        (14, format!("refs/{kind}/{}", d.get("ref")?)),
        (15, d.get("project_id")?),
        (16, format!("{url}/{}", d.get("namespace_path")?)),
        (17, d.get("namespace_id")?),
        (18, config.clone()),
        (19, d.get("ci_config_sha")?),
        (20, d.get("pipeline_source")?),
        (
            21,
            format!(
                "{url}/{}/-/jobs/{}",
                d.get("project_path")?,
                d.get("job_id")?
            ),
        ),
        (22, d.get("project_visibility")?),
        (23, d.get("environment")?),
    ]);
    Ok(Principal {
        kind: Kind::GitlabPipeline,
        name: sub.to_owned(),
        san: San::Uri(config),
        extensions: exts.render(iss, sub),
    })
}

fn buildkite(iss: &str, sub: &str, claims: &Map<String, Value>) -> Result<Principal, ClaimError> {
    let d = Data {
        claims,
        defaults: &[("url", "https://buildkite.com")],
        provider: "buildkite-job",
    };
    let url = d.get("url")?;
    let org = d.get("organization_slug")?;
    let pipeline = d.get("pipeline_slug")?;
    let exts = Exts(vec![
        (
            21,
            format!(
                "{url}/{org}/{pipeline}/builds/{}#{}",
                d.get("build_number")?,
                d.get("job_id")?
            ),
        ),
        (11, d.get("runner_environment")?),
        (13, d.get("build_commit")?),
        (20, d.get("build_source")?),
    ]);
    Ok(Principal {
        kind: Kind::BuildkiteJob,
        name: sub.to_owned(),
        san: San::Uri(format!("{url}/{org}/{pipeline}")),
        extensions: exts.render(iss, sub),
    })
}

fn kubernetes(iss: &str, sub: &str, claims: &Map<String, Value>) -> Result<Principal, ClaimError> {
    let k = &claims["kubernetes.io"];
    let ns = k["namespace"].as_str().unwrap_or_default();
    let sa = k["serviceaccount"]["name"].as_str().unwrap_or_default();
    Ok(Principal {
        kind: Kind::Kubernetes,
        name: sub.to_owned(),
        san: San::Uri(format!(
            "https://kubernetes.io/namespaces/{ns}/serviceaccounts/{sa}"
        )),
        extensions: Exts(vec![]).render(iss, sub),
    })
}

fn spiffe(iss: &str, sub: &str, trust_domain: &str) -> Result<Principal, ClaimError> {
    let rest = &sub["spiffe://".len()..];
    let (domain, path) = rest.split_once('/').unwrap_or((rest, ""));
    let valid = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
        && !path.is_empty();
    if !valid {
        return Err(ClaimError::BadSpiffeId(sub.to_owned()));
    }
    if domain != trust_domain {
        return Err(ClaimError::SpiffeDomain {
            domain: domain.to_owned(),
            trust_domain: trust_domain.to_owned(),
        });
    }
    Ok(Principal {
        kind: Kind::Spiffe,
        name: sub.to_owned(),
        san: San::Uri(sub.to_owned()),
        extensions: Exts(vec![]).render(iss, sub),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_render_as_fulcio_renders_them() {
        let render = |json: &str| claim_string(&serde_json::from_str(json).unwrap());
        assert_eq!(render("7"), "7");
        assert_eq!(render("7.0"), "7");
        assert_eq!(render("7.5"), "7.5");
        assert_eq!(render(r#""x""#), "x");
        assert_eq!(render("true"), "true");
    }

    #[test]
    fn email_needs_verified_email() {
        let c = claims(r#"{"sub": "a@b.c", "email": "a@b.c", "email_verified": false}"#);
        assert_eq!(
            from_claims("http://i", &c, "i").unwrap_err(),
            ClaimError::EmailNotVerified
        );
        let c = claims(r#"{"sub": "a@b.c", "email": "a@b.c", "email_verified": "true"}"#);
        let p = from_claims("http://i", &c, "i").unwrap();
        assert_eq!(p.san, San::Email("a@b.c".into()));
        // 1.1 raw, 1.8 and 1.24 as DER UTF8String.
        assert_eq!(p.extensions[0], (1, b"http://i".to_vec()));
        assert_eq!(p.extensions[1].0, 8);
        assert_eq!(&p.extensions[1].1[..2], &[0x0c, 8]);
        assert_eq!(p.extensions[2].0, 24);
    }

    #[test]
    fn ci_identity_names_the_missing_claim() {
        let c = claims(
            r#"{"sub": "s", "job_workflow_ref": "o/r/.github/workflows/x.yml@refs/heads/main"}"#,
        );
        let e = from_claims("http://i", &c, "i").unwrap_err();
        assert_eq!(
            e.to_string(),
            "token has no `event_name` claim, which a github-workflow identity needs"
        );
    }

    #[test]
    fn spiffe_trust_domain_is_enforced() {
        let c = claims(r#"{"sub": "spiffe://other/ns/x"}"#);
        assert_eq!(
            from_claims("http://i", &c, "mine").unwrap_err(),
            ClaimError::SpiffeDomain {
                domain: "other".into(),
                trust_domain: "mine".into()
            }
        );
        let c = claims(r#"{"sub": "spiffe://mine/ns/x"}"#);
        assert_eq!(
            from_claims("http://i", &c, "mine").unwrap().san,
            San::Uri("spiffe://mine/ns/x".into())
        );
    }
}
