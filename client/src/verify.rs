//! The verifier: every check, in order, over one bundle.

use time::OffsetDateTime;

use crate::bundle::{Bundle, Content, Material};
use crate::cert::Cert;
use crate::chain::{verify_chain, verify_scts};
use crate::dsse::{IN_TOTO_PAYLOAD_TYPE, check_subject, pae};
use crate::error::{Result, VerifyError, bail, ensure};
use crate::keys::{HashAlg, PublicKey};
use crate::policy::{Pattern, Policy};
use crate::rekor::{SignerId, verify_entry};
use crate::trust::TrustedRoot;
use crate::tsa::verify_timestamp;
use crate::wire::{fmt_time, sha256};
use formats::oid::ID_KP_CODE_SIGNING;

/// What was signed, as the caller has it.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// The artifact's SHA-256 digest.
    Digest([u8; 32]),
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The verified signing times: integrated times vouched for by a signed entry timestamp,
    /// and RFC 3161 timestamp times (Unix seconds).
    pub times: Vec<i64>,
    /// The certificate's matched subject alternative name (keyless only).
    pub san: Option<String>,
    /// The certificate's OIDC issuer (keyless only).
    pub issuer: Option<String>,
    /// The tlog entry's log index.
    pub log_index: u64,
}

/// The longest validity a signing certificate may have (Fulcio's are ten minutes).
const MAX_CERT_LIFETIME_SECS: i64 = 24 * 3600;

/// Verifies bundles against one trusted root, at one "now".
#[derive(Debug, Clone)]
pub struct Verifier {
    root: TrustedRoot,
    now: i64,
}

enum Signer {
    Cert(Box<Cert>),
    Key(PublicKey),
}

impl Signer {
    fn key(&self) -> &PublicKey {
        match self {
            Self::Cert(c) => &c.key,
            Self::Key(k) => k,
        }
    }
}

impl Verifier {
    /// A verifier whose "now" is the system clock at this call.
    pub fn new(root: TrustedRoot) -> Self {
        // The client has no stack::Clock; callers that need determinism use `with_now`.
        #[allow(clippy::disallowed_methods)]
        let now = OffsetDateTime::now_utc();
        Self::new_at(root, now)
    }

    /// A verifier whose "now" is `now`.
    pub fn new_at(root: TrustedRoot, now: OffsetDateTime) -> Self {
        Self {
            root,
            now: now.unix_timestamp(),
        }
    }

    /// The same verifier at another "now".
    pub fn with_now(mut self, now: OffsetDateTime) -> Self {
        self.now = now.unix_timestamp();
        self
    }

    /// Verifies `bundle` over `artifact` under `policy`.
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        policy: &Policy,
    ) -> std::result::Result<Verified, VerifyError> {
        let digest = match artifact {
            Artifact::Bytes(b) => sha256(b),
            Artifact::Digest(d) => d,
        };

        // Who signed, per the policy.
        let signer = match (policy, &bundle.material) {
            (Policy::Key(pem), Material::PublicKey) => Signer::Key(PublicKey::from_pem(pem)?),
            (Policy::Key(_), _) => {
                bail!("bundle is signed with a certificate but a managed key was required")
            }
            (Policy::Identity { .. } | Policy::IdentityMatching { .. }, Material::PublicKey) => {
                bail!("bundle is signed with a managed key but no key was given")
            }
            (Policy::Identity { .. } | Policy::IdentityMatching { .. }, Material::Chain(certs)) => {
                let leaf = Cert::from_der(&certs[0])?;
                for der in &certs[1..] {
                    let c = Cert::from_der(der)?;
                    ensure!(
                        !c.is_self_issued(),
                        "bundle certificate chain contains a root certificate `{}`",
                        c.subject()
                    );
                }
                Signer::Cert(Box::new(leaf))
            }
            (
                Policy::Identity { .. } | Policy::IdentityMatching { .. },
                Material::Certificate(der),
            ) => Signer::Cert(Box::new(Cert::from_der(der)?)),
        };
        let signer_id = match &signer {
            Signer::Cert(c) => SignerId::Cert(&c.der),
            Signer::Key(k) => SignerId::Key(&k.spki),
        };

        // The signature itself.
        self.check_signature(&bundle.content, artifact, &digest, signer.key())?;

        // The transparency log entry.
        ensure!(
            bundle.entries.len() == 1,
            "bundle has {} tlog entries, want exactly 1",
            bundle.entries.len()
        );
        let entry = &bundle.entries[0];
        let outcome = verify_entry(
            entry,
            bundle.version,
            &self.root,
            &bundle.content,
            &digest,
            signer_id,
            self.now,
        )?;

        // Times: RFC 3161 timestamps and a SET-vouched integrated time.
        let mut times: Vec<(&str, i64)> = Vec::new();
        for ts in &bundle.timestamps {
            let t = verify_timestamp(ts, bundle.content.signature(), &self.root)?;
            ensure!(
                t <= self.now,
                "RFC 3161 timestamp {} is in the future",
                fmt_time(t)
            );
            times.push(("timestamp", t));
        }
        if outcome.v2 {
            ensure!(
                !times.is_empty(),
                "Rekor v2 entry has no integrated time and the bundle has no RFC 3161 timestamp"
            );
            for &(_, t) in &times {
                ensure!(
                    outcome.log.valid_for.contains(t),
                    "timestamp {} is outside log {}'s validity in the trusted root",
                    fmt_time(t),
                    hex::encode(&outcome.log.log_id)
                );
            }
        }
        if let Some(t) = outcome.integrated_time {
            times.push(("integrated time", t));
        }
        ensure!(
            !times.is_empty(),
            "no verified time: no signed entry timestamp and no RFC 3161 timestamp"
        );

        let (san, issuer) = match (&signer, policy.patterns()) {
            (Signer::Cert(leaf), Some((san, issuer))) => {
                self.check_certificate(leaf, &times)?;
                let (san, issuer) = check_identity(leaf, &san, &issuer)?;
                (Some(san), Some(issuer))
            }
            _ => (None, None),
        };

        Ok(Verified {
            times: times.iter().map(|(_, t)| *t).collect(),
            san,
            issuer,
            log_index: entry.log_index,
        })
    }

    fn check_signature(
        &self,
        content: &Content,
        artifact: Artifact<'_>,
        digest: &[u8; 32],
        key: &PublicKey,
    ) -> Result<()> {
        match content {
            Content::MessageSignature {
                digest: hint,
                signature,
            } => {
                if let Some((alg, d)) = hint {
                    ensure!(
                        alg == "SHA2_256",
                        "message digest algorithm {alg} is not supported"
                    );
                    ensure!(
                        d == digest,
                        "message digest in the bundle does not match the artifact"
                    );
                }
                let hash = key.default_hash();
                let ok = match artifact {
                    Artifact::Bytes(b) => key.verify(hash, b, signature),
                    Artifact::Digest(d) => {
                        ensure!(
                            hash == HashAlg::Sha256,
                            "a {hash:?} signature cannot be checked against a SHA-256 digest"
                        );
                        key.verify_prehashed(hash, &d, signature)?
                    }
                };
                ensure!(ok, "signature does not verify over the artifact");
            }
            Content::Dsse(env) => {
                ensure!(
                    env.signatures.len() == 1,
                    "DSSE envelope has {} signatures, want 1",
                    env.signatures.len()
                );
                ensure!(
                    key.verify(
                        key.default_hash(),
                        &pae(&env.payload_type, &env.payload),
                        &env.signatures[0]
                    ),
                    "DSSE signature does not verify"
                );
                ensure!(
                    env.payload_type == IN_TOTO_PAYLOAD_TYPE,
                    "DSSE payload type `{}` is not in-toto, so no artifact can match it",
                    env.payload_type
                );
                check_subject(&env.payload, digest)?;
            }
        }
        Ok(())
    }

    fn check_certificate(&self, leaf: &Cert, times: &[(&str, i64)]) -> Result<()> {
        ensure!(!leaf.is_ca()?, "signing certificate is a CA certificate");
        ensure!(
            leaf.has_eku(ID_KP_CODE_SIGNING)?,
            "signing certificate lacks the codeSigning extended key usage"
        );
        ensure!(
            leaf.allows_digital_signature()?,
            "signing certificate key usage does not allow digitalSignature"
        );
        // Fulcio certificates live ten minutes; one valid for more than a day is not what a
        // Fulcio issues, whatever signed it (a long-lived stolen key is what the short life
        // is there to prevent).
        let lifetime = leaf.not_after - leaf.not_before;
        ensure!(
            lifetime <= MAX_CERT_LIFETIME_SECS,
            "signing certificate is valid for {} hours ({} to {}), longer than a Fulcio certificate may be (24 hours)",
            lifetime / 3600,
            fmt_time(leaf.not_before),
            fmt_time(leaf.not_after)
        );
        for &(what, t) in times {
            ensure!(
                leaf.valid_at(t),
                "certificate not valid at {what} {} (valid {} to {})",
                fmt_time(t),
                fmt_time(leaf.not_before),
                fmt_time(leaf.not_after)
            );
        }
        let ts: Vec<i64> = times.iter().map(|(_, t)| *t).collect();
        let ca = verify_chain(leaf, &self.root.cas, &ts, "certificate authority")?;
        verify_scts(leaf, &ca.chain[0], &self.root.ctlogs)
    }
}

/// Checks the certificate's SAN and OIDC issuer; returns the ones that matched.
fn check_identity(leaf: &Cert, san: &Pattern, issuer: &Pattern) -> Result<(String, String)> {
    let sans = leaf.sans()?;
    let mut matched = None;
    for s in &sans {
        if san.matches(s).map_err(VerifyError::new)? {
            matched = Some(s.clone());
            break;
        }
    }
    let Some(matched) = matched else {
        bail!("certificate identity {sans:?} does not match the expected {san}");
    };
    match leaf.oidc_issuer()? {
        Some(f) if issuer.matches(&f).map_err(VerifyError::new)? => Ok((matched, f)),
        Some(f) => Err(VerifyError::new(format!(
            "certificate OIDC issuer `{f}` does not match the expected {issuer}"
        ))),
        None => Err(VerifyError::new("certificate has no OIDC issuer extension")),
    }
}
