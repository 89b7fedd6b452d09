//! Fulcio: short-lived code-signing certificates for identity tokens, with SCTs from our own
//! CT log embedded (or detached, as Fulcio does when its CA cannot embed).
//!
//! A request is checked as Fulcio checks it: the token (issuer allow-list, then signature,
//! audience `sigstore`, expiry, `email_verified`), then the key (a public key with a proof of
//! possession over the principal's name, or a CSR signed by its key), then the certificate
//! is built from the token's claims (see [`principal`]), precertified, logged, and issued.

pub mod ca;
pub mod ct;
pub mod principal;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use der::asn1::Ia5String;
use der::{Decode, Encode};
use formats::ct::Sct;
use formats::oid::{
    CT_PRECERT_POISON, CT_PRECERT_SCTS, ID_CE_EXT_KEY_USAGE, ID_CE_SUBJECT_ALT_NAME,
};
use serde_json::{Map, Value};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::{Certificate, TbsCertificate, Version};

pub use ca::CaGeneration;
pub use ct::CertificateLog;
pub use principal::{Principal, San};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::clock::Clock;
use crate::faults::{Fault, Faults};
use crate::generations::Set;
use crate::http::ApiError;
use crate::keys::{IMPOSTOR_GENERATION, IMPOSTOR_SEED, KeyRing, Role};
use crate::pubkey::Verifier;
use crate::sct::tbs_without;

/// The audience Fulcio's issuers are configured with (`client-id: sigstore`).
pub const AUDIENCE: &str = "sigstore";
/// Certificates live ten minutes, as Fulcio's do.
pub const CERT_LIFETIME: Duration = Duration::from_secs(600);

/// Where the SCT goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SctMode {
    /// In the certificate (precertificate flow), as the public instance does.
    #[default]
    Embedded,
    /// Beside it (`signedCertificateDetachedSct`), as Fulcio does with a CA that cannot embed.
    Detached,
}

/// How the client shows it holds the key.
#[derive(Debug, Clone)]
pub enum KeyProof {
    /// A public key (PEM, or base64 DER) and a signature over the principal's name.
    PublicKey {
        /// The key as sent.
        content: String,
        /// The signature over the name (Fulcio's `proofOfPossession`).
        proof: Vec<u8>,
    },
    /// A PKCS #10 CSR (PEM or DER), signed by its own key.
    Csr(Vec<u8>),
}

/// Why Fulcio refused a request or failed it; [`Error::status`] is the one place each maps to
/// its status code. The messages are Fulcio's where it has one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not JSON Fulcio reads: malformed, too deep, a key twice (400).
    #[error("{0}")]
    Body(String),
    /// The body is JSON but not a request of Fulcio's (400).
    #[error(transparent)]
    Format(#[from] formats::fulcio::ParseError),
    /// The identity token is refused (400, as Fulcio answers).
    #[error("There was an error processing the identity token: {0}")]
    Token(#[from] TokenError),
    /// No public key in a `publicKeyRequest` (400).
    #[error(
        "The public key supplied in the request could not be parsed: no public key in the request"
    )]
    NoPublicKey,
    /// A public key that is neither PEM nor base64 DER (400).
    #[error(
        "The public key supplied in the request could not be parsed: \
         public key is neither PEM nor base64 DER"
    )]
    KeyEncoding,
    /// A public key (sent, or a CSR's) that does not parse (400).
    #[error("The public key supplied in the request could not be parsed: {0}")]
    PublicKey(#[source] crate::pubkey::Error),
    /// A public key request without its proof of possession (400).
    #[error("no proof of possession (a signature over the token's subject) in the request")]
    NoProof,
    /// A proof of possession that is not the key's signature over the principal's name (400).
    #[error(
        "The signature supplied in the request could not be verified: \
         the proof of possession is not a signature over {name:?} by this key"
    )]
    Proof {
        /// The principal's name, which the proof must sign.
        name: String,
    },
    /// A CSR that does not decode (400).
    #[error("The certificate signing request could not be parsed: {0}")]
    Csr(String),
    /// A CSR's key that does not re-encode (400).
    #[error("CSR public key: {0}")]
    CsrKey(der::Error),
    /// A CSR whose signed part cannot be found (400).
    #[error("CSR info: {0}")]
    CsrInfo(#[source] crate::pubkey::Error),
    /// A CSR's signature with unused bits (400).
    #[error("CSR signature has unused bits")]
    CsrUnusedBits,
    /// A CSR not signed by its own key (400).
    #[error("The signature supplied in the request could not be verified: CSR signature: {0}")]
    CsrSignature(#[source] crate::pubkey::Error),
    /// A key that is not a SubjectPublicKeyInfo (400).
    #[error("public key: {0}")]
    Spki(der::Error),
    /// An identity that cannot go in a SAN (400).
    #[error("{what} {value:?} is not ASCII")]
    NotAscii {
        /// `email` or `URI`.
        what: &'static str,
        /// The identity.
        value: String,
    },
    /// The CT log refused or failed the (pre)certificate (500).
    #[error("Error entering certificate in CTL: {0}")]
    Ct(#[source] ct::LogError),
    /// Building or signing the certificate failed (500).
    #[error("{0}")]
    Ca(#[from] anyhow::Error),
    /// Our own DER did not encode or decode (500).
    #[error("{0}")]
    Der(#[from] der::Error),
    /// The SCT signs another TBS than the certificate carries: our bug (500).
    #[error("precertificate and certificate TBS differ")]
    TbsMismatch,
}

impl Error {
    /// The status code of this failure: the one place it is decided.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Body(_)
            | Self::Format(_)
            | Self::Token(_)
            | Self::NoPublicKey
            | Self::KeyEncoding
            | Self::PublicKey(_)
            | Self::NoProof
            | Self::Proof { .. }
            | Self::Csr(_)
            | Self::CsrKey(_)
            | Self::CsrInfo(_)
            | Self::CsrUnusedBits
            | Self::CsrSignature(_)
            | Self::Spki(_)
            | Self::NotAscii { .. } => StatusCode::BAD_REQUEST,
            Self::Ct(_) | Self::Ca(_) | Self::Der(_) | Self::TbsMismatch => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        ApiError::from_status(self.status(), self.to_string()).into_response()
    }
}

/// Why an identity token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No token in the body or the `Authorization` header.
    #[error("no identity token in the request")]
    Absent,
    /// Not a JWS compact serialisation.
    #[error("malformed token: not three dot-separated parts")]
    NotThreeParts,
    /// A payload that is not base64url.
    #[error("malformed token: payload is not base64url: {0}")]
    PayloadBase64(base64::DecodeError),
    /// A payload that is not a JSON object.
    #[error("malformed token: payload is not a JSON object: {0}")]
    PayloadJson(serde_json::Error),
    /// No `iss` claim to choose the keys by.
    #[error("token has no `iss` claim")]
    NoIssuer,
    /// An issuer not on the allow-list.
    #[error("token issuer {iss:?} is not configured here (accepted: {accepted:?})")]
    UnknownIssuer {
        /// The token's issuer.
        iss: String,
        /// The issuers taken.
        accepted: Vec<String>,
    },
    /// The issuer's verification refused it: signature, audience, expiry.
    #[error(transparent)]
    Verify(#[from] fake_oidc::VerifyError),
    /// Its claims make no principal.
    #[error(transparent)]
    Claims(#[from] principal::ClaimError),
}

/// Where the SCT of a certificate goes, and whether it is honest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SctStep {
    /// Logged, embedded.
    Embed,
    /// Logged, embedded, its signature an impostor's.
    EmbedForged,
    /// None at all.
    Omit,
    /// Logged, beside the certificate.
    Detach,
}

/// The certificate about to be issued, before any byte is signed: the honest plan, which a
/// fault changes in one step (see [`Fulcio::doctor`]).
struct Plan {
    /// The issuing CA generation (one for the whole certificate, even if a rotation lands).
    ca: Arc<CaGeneration>,
    /// Whether the CT log knows the CA's root: when not, the SCT is signed and nothing logged.
    ca_known: bool,
    /// The identity in the SAN.
    san: San,
    /// Whether the codeSigning extended key usage is in.
    code_signing: bool,
    /// When it is issued, Unix seconds (in the serial number).
    issued_at: i64,
    /// `notBefore`, Unix seconds.
    not_before: i64,
    /// How long it is valid.
    lifetime: Duration,
    /// The SCT.
    sct: SctStep,
}

/// A certificate and its chain.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Leaf, intermediate, root; PEM.
    pub chain_pem: Vec<String>,
    /// DER of the leaf.
    pub leaf_der: Vec<u8>,
    /// The SCT, when it is not embedded.
    pub detached_sct: Option<Sct>,
}

impl Issued {
    /// The v2 `signingCert` answer.
    pub fn to_response(&self) -> formats::fulcio::SigningCertResponse {
        let chain = self.chain_pem.clone();
        match &self.detached_sct {
            None => formats::fulcio::SigningCertResponse::Embedded { chain },
            Some(sct) => formats::fulcio::SigningCertResponse::Detached {
                chain,
                sct: sct.to_response(),
            },
        }
    }
}

/// The CA service.
pub struct Fulcio {
    /// Every CA generation, oldest first; the last one issues.
    cas: Set<CaGeneration>,
    ctlog: Arc<dyn CertificateLog>,
    faults: Arc<Faults>,
    oidc: fake_oidc::Issuer,
    clock: Clock,
    sct_mode: SctMode,
}

impl std::fmt::Debug for Fulcio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fulcio")
            .field("cas", &self.cas)
            .field("sct_mode", &self.sct_mode)
            .finish_non_exhaustive()
    }
}

fn pem(der: &[u8]) -> String {
    der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der)
        .expect("a certificate always PEM-encodes")
}

impl Fulcio {
    /// A Fulcio issuing from the last of `cas`, logging to `ctlog`, trusting tokens from
    /// `oidc`.
    pub fn new(
        cas: Vec<CaGeneration>,
        ctlog: Arc<dyn CertificateLog>,
        oidc: fake_oidc::Issuer,
        clock: Clock,
        sct_mode: SctMode,
        faults: Arc<Faults>,
    ) -> Self {
        assert!(!cas.is_empty(), "at least one CA generation");
        for ca in &cas {
            ctlog.add_root(ca.root_der.clone());
        }
        Self {
            cas: Set::new(cas.into_iter().map(Arc::new).collect()),
            ctlog,
            faults,
            oidc,
            clock,
            sct_mode,
        }
    }

    /// The CA generation issuing now.
    pub fn ca(&self) -> Arc<CaGeneration> {
        self.cas.current()
    }

    /// Every CA generation, oldest first.
    pub fn cas(&self) -> Vec<Arc<CaGeneration>> {
        self.cas.all()
    }

    /// Issues from `ca` from now on; the CT log accepts its chains.
    pub fn rotate(&self, ca: CaGeneration) {
        self.ctlog.add_root(ca.root_der.clone());
        self.cas.push(Arc::new(ca));
    }

    /// The issuers whose tokens are accepted (`/api/v2/configuration`).
    pub fn issuers(&self) -> Vec<String> {
        vec![self.oidc.issuer_url().to_owned()]
    }

    /// The trust bundle: intermediate then root, PEM.
    pub fn chain_pem(&self) -> Vec<String> {
        let ca = self.ca();
        vec![pem(&ca.intermediate_der), pem(&ca.root_der)]
    }

    /// The SPIFFE trust domain our issuer vouches for.
    pub fn spiffe_trust_domain(&self) -> String {
        self.oidc.spiffe_trust_domain()
    }

    /// Checks the token as Fulcio does and returns its principal.
    pub fn authenticate(&self, token: &str) -> Result<Principal, Error> {
        if token.is_empty() {
            return Err(TokenError::Absent.into());
        }
        // The issuer decides which keys verify the token, so it is read (unverified) first,
        // as Fulcio's issuer pool does.
        let iss = unverified_issuer(token)?;
        if !self.issuers().contains(&iss) {
            return Err(TokenError::UnknownIssuer {
                iss,
                accepted: self.issuers(),
            }
            .into());
        }
        let claims = self
            .oidc
            .verify(token, AUDIENCE)
            .map_err(TokenError::from)?;
        Ok(
            principal::from_claims(&iss, &claims, &self.spiffe_trust_domain())
                .map_err(TokenError::from)?,
        )
    }

    /// `CreateSigningCertificate`.
    pub async fn issue(&self, token: &str, proof: KeyProof) -> Result<Issued, Error> {
        let principal = self.authenticate(token)?;
        let spki = match proof {
            KeyProof::PublicKey { content, proof } => {
                let key = parse_public_key(&content)?;
                if proof.is_empty() {
                    return Err(Error::NoProof);
                }
                key.verify_message(principal.name.as_bytes(), &proof)
                    .map_err(|_| Error::Proof {
                        name: principal.name.clone(),
                    })?;
                key.spki_der().to_vec()
            }
            KeyProof::Csr(bytes) => check_csr(&bytes)?,
        };
        let spki = SubjectPublicKeyInfoOwned::from_der(&spki).map_err(Error::Spki)?;
        let mut plan = self.plan(&principal);
        self.doctor(&mut plan)?;
        self.certify(token, &principal, spki, plan).await
    }

    /// The honest certificate for `principal`.
    fn plan(&self, principal: &Principal) -> Plan {
        let now = self.clock.unix();
        Plan {
            ca: self.ca(),
            ca_known: true,
            san: principal.san.clone(),
            code_signing: true,
            issued_at: now,
            not_before: now,
            lifetime: CERT_LIFETIME,
            sct: match self.sct_mode {
                SctMode::Embedded => SctStep::Embed,
                SctMode::Detached => SctStep::Detach,
            },
        }
    }

    /// Applies the armed Fulcio faults to an honest plan, one step each.
    fn doctor(&self, plan: &mut Plan) -> Result<(), Error> {
        let fault = |f: Fault| self.faults.take(f);
        if fault(Fault::FulcioUnknownCa) {
            let impostor = CaGeneration::new(
                &KeyRing::new(IMPOSTOR_SEED),
                IMPOSTOR_GENERATION,
                plan.issued_at - 3600,
            )?;
            plan.ca = Arc::new(impostor);
            plan.ca_known = false;
        }
        if fault(Fault::FulcioNoCodeSigning) {
            plan.code_signing = false;
        }
        if fault(Fault::FulcioOtherSan) {
            plan.san = match plan.san {
                San::Email(_) => San::Email("mallory@example.com".into()),
                San::Uri(_) => San::Uri("https://example.com/mallory".into()),
            };
        }
        if fault(Fault::FulcioExpiredCert) {
            // Issued two hours ago for ten minutes: expired before anything is signed.
            plan.not_before -= 7200;
        } else if fault(Fault::FulcioLongCert) {
            plan.lifetime = Duration::from_secs(365 * 24 * 3600);
        }
        if plan.sct == SctStep::Embed {
            if fault(Fault::FulcioOmitSct) {
                plan.sct = SctStep::Omit;
            } else if fault(Fault::FulcioUnknownSctKey) {
                plan.sct = SctStep::EmbedForged;
            }
        }
        Ok(())
    }

    /// Builds, logs and signs the certificate of `plan`: one straight line, no fault in it.
    async fn certify(
        &self,
        token: &str,
        principal: &Principal,
        spki: SubjectPublicKeyInfoOwned,
        plan: Plan,
    ) -> Result<Issued, Error> {
        let ca = &plan.ca;
        let now = plan.issued_at;
        let spki_der = spki.to_der()?;
        let mut extensions = ca.leaf_base_extensions(&spki)?;
        if !plan.code_signing {
            extensions.retain(|e| e.extn_id != ID_CE_EXT_KEY_USAGE);
        }
        let name = match &plan.san {
            San::Email(e) => {
                GeneralName::Rfc822Name(Ia5String::new(e).map_err(|_| Error::NotAscii {
                    what: "email",
                    value: e.clone(),
                })?)
            }
            San::Uri(u) => {
                GeneralName::UniformResourceIdentifier(Ia5String::new(u).map_err(|_| {
                    Error::NotAscii {
                        what: "URI",
                        value: u.clone(),
                    }
                })?)
            }
        };
        // Critical: the subject is empty (RFC 5280 §4.2.1.6).
        extensions.push(ca::extension(
            ID_CE_SUBJECT_ALT_NAME,
            true,
            SubjectAltName(vec![name]).to_der()?,
        ));
        for (arc, value) in &principal.extensions {
            extensions.push(ca::extension(
                formats::oid::fulcio_extension(*arc),
                false,
                value.clone(),
            ));
        }
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: ca::serial(&[
                b"sigbox/fulcio/leaf",
                &ca.generation.to_be_bytes(),
                &spki_der,
                token.as_bytes(),
                &now.to_be_bytes(),
            ]),
            signature: ca.signature_algorithm(),
            issuer: ca.issuer_name().clone(),
            validity: ca::validity(plan.not_before, plan.lifetime)?,
            subject: Name::default(),
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let chain_tail = [ca.intermediate_der.clone(), ca.root_der.clone()];
        let (leaf_der, detached_sct) = match plan.sct {
            SctStep::Omit => (ca.sign_leaf(tbs)?, None),
            SctStep::Embed | SctStep::EmbedForged => {
                let precert = with_extension(&tbs, CT_PRECERT_POISON, true, vec![0x05, 0x00]);
                let precert_der = ca.sign_leaf(precert)?;
                let entry = crate::sct::precert_entry(
                    &Certificate::from_der(&precert_der)?,
                    ca.issuer_key_hash,
                )?;
                let mut sct = if plan.ca_known {
                    self.ctlog
                        .log_precertificate(&[
                            precert_der.clone(),
                            chain_tail[0].clone(),
                            chain_tail[1].clone(),
                        ])
                        .await
                        .map_err(Error::Ct)?
                } else {
                    // The log refuses chains to roots it does not know: sign, log nothing.
                    self.ctlog.sign_unlogged(&entry, self.clock.unix_millis())
                };
                if plan.sct == SctStep::EmbedForged {
                    // The log's ID, an impostor's signature.
                    let impostor = KeyRing::new(IMPOSTOR_SEED).signing_key(Role::Ctlog, 0);
                    sct = crate::sct::sign(&impostor, sct.log_id, &entry, sct.timestamp);
                }
                let list = der::asn1::OctetString::new(Sct::list(&[sct]))?.to_der()?;
                let leaf_der = ca.sign_leaf(with_extension(&tbs, CT_PRECERT_SCTS, false, list))?;
                // The SCT signs the precertificate's TBS less the poison; a client checks it
                // against the final TBS less the SCT list. They must be the same bytes.
                let a = tbs_without(&Certificate::from_der(&precert_der)?, &CT_PRECERT_POISON);
                let b = tbs_without(&Certificate::from_der(&leaf_der)?, &CT_PRECERT_SCTS);
                if a.is_err() || a != b {
                    return Err(Error::TbsMismatch);
                }
                (leaf_der, None)
            }
            SctStep::Detach => {
                let leaf_der = ca.sign_leaf(tbs)?;
                let sct = self
                    .ctlog
                    .log_certificate(&[
                        leaf_der.clone(),
                        chain_tail[0].clone(),
                        chain_tail[1].clone(),
                    ])
                    .await
                    .map_err(Error::Ct)?;
                (leaf_der, Some(sct))
            }
        };
        let mut chain_pem = vec![pem(&leaf_der)];
        chain_pem.extend(chain_tail.iter().map(|c| pem(c)));
        Ok(Issued {
            chain_pem,
            leaf_der,
            detached_sct,
        })
    }
}

fn with_extension(
    tbs: &TbsCertificate,
    oid: der::asn1::ObjectIdentifier,
    critical: bool,
    value: Vec<u8>,
) -> TbsCertificate {
    let mut tbs = tbs.clone();
    tbs.extensions
        .get_or_insert_with(Vec::new)
        .push(ca::extension(oid, critical, value));
    tbs
}

/// The `iss` claim of a JWT, read without verifying it.
fn unverified_issuer(token: &str) -> Result<String, TokenError> {
    let payload = token
        .split('.')
        .nth(1)
        .filter(|_| token.split('.').count() == 3)
        .ok_or(TokenError::NotThreeParts)?;
    let bytes = B64URL
        .decode(payload.trim_end_matches('='))
        .map_err(TokenError::PayloadBase64)?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(TokenError::PayloadJson)?;
    claims
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(TokenError::NoIssuer)
}

/// A public key as Fulcio's `ParsePublicKey` takes it: PEM, else base64 DER.
fn parse_public_key(content: &str) -> Result<Verifier, Error> {
    let content = content.trim();
    if content.is_empty() {
        return Err(Error::NoPublicKey);
    }
    if content.starts_with("-----BEGIN") {
        return Verifier::from_pem(content.as_bytes()).map_err(Error::PublicKey);
    }
    let der = B64.decode(content).map_err(|_| Error::KeyEncoding)?;
    Verifier::from_spki_der(&der).map_err(Error::PublicKey)
}

/// Parses a CSR (PEM or DER), checks its self-signature, returns its DER SPKI.
fn check_csr(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let der = match std::str::from_utf8(bytes) {
        Ok(text) if text.trim_start().starts_with("-----BEGIN") => {
            let (label, der) =
                formats::pem::decode_first(text).map_err(|e| Error::Csr(e.to_string()))?;
            if label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST" {
                return Err(Error::Csr(format!("PEM block is `{label}`")));
            }
            der
        }
        _ => bytes.to_vec(),
    };
    let csr = CertReq::from_der(&der).map_err(|e| Error::Csr(e.to_string()))?;
    let spki = csr.info.public_key.to_der().map_err(Error::CsrKey)?;
    let info = crate::pubkey::signed_part(&der).map_err(Error::CsrInfo)?;
    let sig = csr.signature.as_bytes().ok_or(Error::CsrUnusedBits)?;
    let key = Verifier::from_spki_der(&spki).map_err(Error::PublicKey)?;
    key.verify_x509(&csr.algorithm.oid, info, sig)
        .map_err(Error::CsrSignature)?;
    Ok(spki)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_400_and_our_failures_500() {
        let cases = [
            (Error::Token(TokenError::Absent), 400),
            (Error::Token(TokenError::NoIssuer), 400),
            (Error::NoPublicKey, 400),
            (Error::NoProof, 400),
            (
                Error::Proof {
                    name: "a@b.c".into(),
                },
                400,
            ),
            (Error::CsrUnusedBits, 400),
            (Error::Format(formats::fulcio::ParseError::BothKeys), 400),
            (Error::Ct("the log is shutting down".into()), 500),
            (Error::TbsMismatch, 500),
        ];
        for (e, status) in cases {
            assert_eq!(e.status().as_u16(), status, "{e}");
        }
    }

    #[test]
    fn messages_are_fulcios() {
        assert_eq!(
            Error::Token(TokenError::Absent).to_string(),
            "There was an error processing the identity token: no identity token in the request"
        );
        assert_eq!(
            Error::Ct("the log is shutting down".into()).to_string(),
            "Error entering certificate in CTL: the log is shutting down"
        );
        assert!(
            Error::Proof {
                name: "a@b.c".into()
            }
            .to_string()
            .starts_with("The signature supplied in the request could not be verified")
        );
    }

    #[test]
    fn a_token_is_read_for_its_issuer_before_it_is_verified() {
        let payload = B64URL.encode(br#"{"iss":"http://i"}"#);
        assert_eq!(
            unverified_issuer(&format!("e30.{payload}.sig")).unwrap(),
            "http://i"
        );
        assert!(matches!(
            unverified_issuer("a.b"),
            Err(TokenError::NotThreeParts)
        ));
        let no_iss = B64URL.encode(br#"{"sub":"x"}"#);
        assert!(matches!(
            unverified_issuer(&format!("e30.{no_iss}.sig")),
            Err(TokenError::NoIssuer)
        ));
    }
}
