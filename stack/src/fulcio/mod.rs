//! Fulcio: short-lived code-signing certificates for identity tokens, with SCTs from our own
//! CT log embedded (or detached, as Fulcio does when its CA cannot embed).
//!
//! A request is checked as Fulcio checks it: the token (issuer allow-list, then signature,
//! audience `sigstore`, expiry, `email_verified`), then the key (a public key with a proof of
//! possession over the principal's name, or a CSR signed by its key), then the certificate
//! is built from the token's claims (see [`principal`]), precertified, logged, and issued.

pub mod ca;
pub mod principal;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use der::asn1::Ia5String;
use der::{Decode, Encode};
use serde_json::{Map, Value};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::{Certificate, TbsCertificate, Version};

pub use ca::CaGeneration;
pub use principal::{Principal, San};

use crate::clock::Clock;
use crate::ctlog::{CtLog, CtLogs, POISON_OID, SCT_LIST_OID, Sct, SignedEntry, tbs_without};
use crate::faults::{Fault, Faults};
use crate::generations::Set;
use crate::keys::{KeyRing, Role};
use crate::pubkey::Verifier;
use crate::tsa::{IMPOSTOR_GENERATION, IMPOSTOR_SEED};

/// The audience Fulcio's issuers are configured with (`client-id: sigstore`).
pub const AUDIENCE: &str = "sigstore";
/// Certificates live ten minutes, as Fulcio's do.
pub const CERT_LIFETIME: Duration = Duration::from_secs(600);

const SAN_OID: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("2.5.29.17");
const EXT_KEY_USAGE_OID: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.37");

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

/// A refusal; each names its problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FulcioError {
    /// The identity token is refused (400, as Fulcio answers).
    Token(String),
    /// The key, proof or CSR is refused (400).
    Invalid(String),
    /// Our side failed (500).
    Internal(String),
}

impl std::fmt::Display for FulcioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(m) => write!(f, "There was an error processing the identity token: {m}"),
            Self::Invalid(m) | Self::Internal(m) => f.write_str(m),
        }
    }
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

/// The CA service.
pub struct Fulcio {
    /// Every CA generation, oldest first; the last one issues.
    cas: Set<CaGeneration>,
    ctlogs: Arc<CtLogs>,
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
    /// A Fulcio issuing from the last of `cas`, logging to the current of `ctlogs`, trusting
    /// tokens from `oidc`.
    pub fn new(
        cas: Vec<CaGeneration>,
        ctlogs: Arc<CtLogs>,
        oidc: fake_oidc::Issuer,
        clock: Clock,
        sct_mode: SctMode,
        faults: Arc<Faults>,
    ) -> Self {
        assert!(!cas.is_empty(), "at least one CA generation");
        for ca in &cas {
            ctlogs.add_root(ca.root_der.clone());
        }
        Self {
            cas: Set::new(cas.into_iter().map(Arc::new).collect()),
            ctlogs,
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

    /// Issues from `ca` from now on; the CT logs accept its chains.
    pub fn rotate(&self, ca: CaGeneration) {
        self.ctlogs.add_root(ca.root_der.clone());
        self.cas.push(Arc::new(ca));
    }

    /// The CT log the SCTs come from now.
    pub fn ctlog(&self) -> Arc<CtLog> {
        self.ctlogs.current()
    }

    /// Every CT log generation.
    pub fn ctlogs(&self) -> &Arc<CtLogs> {
        &self.ctlogs
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
    pub fn authenticate(&self, token: &str) -> Result<Principal, FulcioError> {
        if token.is_empty() {
            return Err(FulcioError::Token(
                "no identity token in the request".into(),
            ));
        }
        // The issuer decides which keys verify the token, so it is read (unverified) first,
        // as Fulcio's issuer pool does.
        let iss = unverified_issuer(token).map_err(FulcioError::Token)?;
        if !self.issuers().contains(&iss) {
            return Err(FulcioError::Token(format!(
                "token issuer {iss:?} is not configured here (accepted: {:?})",
                self.issuers()
            )));
        }
        let claims = self
            .oidc
            .verify(token, AUDIENCE)
            .map_err(|e| FulcioError::Token(e.to_string()))?;
        principal::from_claims(&iss, &claims, &self.spiffe_trust_domain())
            .map_err(FulcioError::Token)
    }

    /// `CreateSigningCertificate`.
    pub async fn issue(&self, token: &str, proof: KeyProof) -> Result<Issued, FulcioError> {
        let principal = self.authenticate(token)?;
        let spki = match proof {
            KeyProof::PublicKey { content, proof } => {
                let key = parse_public_key(&content).map_err(|e| {
                    FulcioError::Invalid(format!(
                        "The public key supplied in the request could not be parsed: {e}"
                    ))
                })?;
                if proof.is_empty() {
                    return Err(FulcioError::Invalid(
                        "no proof of possession (a signature over the token's subject) in the request"
                            .into(),
                    ));
                }
                key.verify_message(principal.name.as_bytes(), &proof)
                    .map_err(|_| {
                        FulcioError::Invalid(format!(
                            "The signature supplied in the request could not be verified: \
                             the proof of possession is not a signature over {:?} by this key",
                            principal.name
                        ))
                    })?;
                key.spki_der().to_vec()
            }
            KeyProof::Csr(bytes) => check_csr(&bytes).map_err(FulcioError::Invalid)?,
        };
        let spki = SubjectPublicKeyInfoOwned::from_der(&spki)
            .map_err(|e| FulcioError::Invalid(format!("public key: {e}")))?;
        self.certify(token, &principal, spki)
            .await
            .map_err(|e| match e {
                CertifyError::Invalid(m) => FulcioError::Invalid(m),
                CertifyError::Internal(m) => FulcioError::Internal(m),
            })
    }

    async fn certify(
        &self,
        token: &str,
        principal: &Principal,
        spki: SubjectPublicKeyInfoOwned,
    ) -> Result<Issued, CertifyError> {
        let internal = |e: anyhow::Error| CertifyError::Internal(e.to_string());
        let now = self.clock.unix();
        // One generation for the whole certificate, even if a rotation lands meanwhile.
        let fault = |f: Fault| self.faults.take(f);
        let unknown_ca = fault(Fault::FulcioUnknownCa);
        let ca = if unknown_ca {
            Arc::new(
                CaGeneration::new(
                    &KeyRing::new(IMPOSTOR_SEED),
                    IMPOSTOR_GENERATION,
                    now - 3600,
                )
                .map_err(internal)?,
            )
        } else {
            self.ca()
        };
        let ctlog = self.ctlog();
        let ct_failed = |e: crate::ctlog::CtError| {
            CertifyError::Internal(format!("Error entering certificate in CTL: {e}"))
        };
        let spki_der = spki.to_der().map_err(|e| internal(e.into()))?;
        let mut extensions = ca.leaf_base_extensions(&spki).map_err(internal)?;
        if fault(Fault::FulcioNoCodeSigning) {
            extensions.retain(|e| e.extn_id != EXT_KEY_USAGE_OID);
        }
        let other_san = fault(Fault::FulcioOtherSan);
        let san = match (&principal.san, other_san) {
            (San::Email(_), true) => San::Email("mallory@example.com".into()),
            (San::Uri(_), true) => San::Uri("https://example.com/mallory".into()),
            (san, false) => san.clone(),
        };
        let name = match &san {
            San::Email(e) => GeneralName::Rfc822Name(
                Ia5String::new(e)
                    .map_err(|_| CertifyError::Invalid(format!("email {e:?} is not ASCII")))?,
            ),
            San::Uri(u) => GeneralName::UniformResourceIdentifier(
                Ia5String::new(u)
                    .map_err(|_| CertifyError::Invalid(format!("URI {u:?} is not ASCII")))?,
            ),
        };
        let san = SubjectAltName(vec![name])
            .to_der()
            .map_err(|e| internal(e.into()))?;
        // Critical: the subject is empty (RFC 5280 §4.2.1.6).
        extensions.push(ca::extension(SAN_OID, true, san));
        for (arc, value) in &principal.extensions {
            extensions.push(ca::extension(
                principal::fulcio_oid(*arc),
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
            validity: if fault(Fault::FulcioExpiredCert) {
                // Issued two hours ago for ten minutes: expired before anything is signed.
                ca::validity(now - 7200, CERT_LIFETIME)
            } else if fault(Fault::FulcioLongCert) {
                ca::validity(now, Duration::from_secs(365 * 24 * 3600))
            } else {
                ca::validity(now, CERT_LIFETIME)
            }
            .map_err(internal)?,
            subject: Name::default(),
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let chain_tail = [ca.intermediate_der.clone(), ca.root_der.clone()];
        let (leaf_der, detached_sct) = match self.sct_mode {
            SctMode::Embedded if fault(Fault::FulcioOmitSct) => {
                (ca.sign_leaf(tbs).map_err(internal)?, None)
            }
            SctMode::Embedded => {
                let precert = with_extension(&tbs, POISON_OID, true, vec![0x05, 0x00]);
                let precert_der = ca.sign_leaf(precert).map_err(internal)?;
                let entry = || -> Result<SignedEntry, CertifyError> {
                    let cert =
                        Certificate::from_der(&precert_der).map_err(|e| internal(e.into()))?;
                    Ok(SignedEntry::Precert {
                        issuer_key_hash: ca.issuer_key_hash,
                        tbs: tbs_without(&cert, &POISON_OID).map_err(|e| internal(e.into()))?,
                    })
                };
                let mut sct = if unknown_ca {
                    // The log refuses chains to roots it does not know: sign, log nothing.
                    ctlog.sign_sct(&entry()?, self.clock.unix_millis())
                } else {
                    ctlog
                        .add_pre_chain(&[
                            precert_der.clone(),
                            chain_tail[0].clone(),
                            chain_tail[1].clone(),
                        ])
                        .await
                        .map_err(ct_failed)?
                };
                if fault(Fault::FulcioUnknownSctKey) {
                    // The log's ID, an impostor's signature.
                    let impostor = KeyRing::new(IMPOSTOR_SEED).signing_key(Role::Ctlog, 0);
                    let sig: p256::ecdsa::DerSignature = p256::ecdsa::signature::Signer::sign(
                        &impostor,
                        &entry()?.sct_input(sct.timestamp),
                    );
                    sct.signature = sig.as_bytes().to_vec();
                }
                let list = der::asn1::OctetString::new(Sct::list(&[sct]))
                    .and_then(|o| o.to_der())
                    .map_err(|e| internal(e.into()))?;
                let leaf_der = ca
                    .sign_leaf(with_extension(&tbs, SCT_LIST_OID, false, list))
                    .map_err(internal)?;
                // The SCT signs the precertificate's TBS less the poison; a client checks it
                // against the final TBS less the SCT list. They must be the same bytes.
                let a = tbs_without(
                    &Certificate::from_der(&precert_der).map_err(|e| internal(e.into()))?,
                    &POISON_OID,
                );
                let b = tbs_without(
                    &Certificate::from_der(&leaf_der).map_err(|e| internal(e.into()))?,
                    &SCT_LIST_OID,
                );
                if a.is_err() || a != b {
                    return Err(CertifyError::Internal(
                        "precertificate and certificate TBS differ".into(),
                    ));
                }
                (leaf_der, None)
            }
            SctMode::Detached => {
                let leaf_der = ca.sign_leaf(tbs).map_err(internal)?;
                let sct = ctlog
                    .add_chain(&[
                        leaf_der.clone(),
                        chain_tail[0].clone(),
                        chain_tail[1].clone(),
                    ])
                    .await
                    .map_err(ct_failed)?;
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

enum CertifyError {
    Invalid(String),
    Internal(String),
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
fn unverified_issuer(token: &str) -> Result<String, String> {
    let payload = token
        .split('.')
        .nth(1)
        .filter(|_| token.split('.').count() == 3)
        .ok_or("malformed token: not three dot-separated parts")?;
    let bytes = B64URL
        .decode(payload.trim_end_matches('='))
        .map_err(|e| format!("malformed token: payload is not base64url: {e}"))?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|e| format!("malformed token: payload is not a JSON object: {e}"))?;
    claims
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "token has no `iss` claim".to_owned())
}

/// A public key as Fulcio's `ParsePublicKey` takes it: PEM, else base64 DER.
fn parse_public_key(content: &str) -> Result<Verifier, String> {
    let content = content.trim();
    if content.is_empty() {
        return Err("no public key in the request".into());
    }
    if content.starts_with("-----BEGIN") {
        return Verifier::from_pem(content.as_bytes());
    }
    let der = B64
        .decode(content)
        .map_err(|_| "public key is neither PEM nor base64 DER".to_owned())?;
    Verifier::from_spki_der(&der)
}

/// Parses a CSR (PEM or DER), checks its self-signature, returns its DER SPKI.
fn check_csr(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let der = match std::str::from_utf8(bytes) {
        Ok(text) if text.trim_start().starts_with("-----BEGIN") => {
            let (label, der) = crate::pubkey::pem_decode(text)
                .map_err(|e| format!("The certificate signing request could not be parsed: {e}"))?;
            if label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST" {
                return Err(format!(
                    "The certificate signing request could not be parsed: PEM block is `{label}`"
                ));
            }
            der
        }
        _ => bytes.to_vec(),
    };
    let csr = CertReq::from_der(&der)
        .map_err(|e| format!("The certificate signing request could not be parsed: {e}"))?;
    let spki = csr
        .info
        .public_key
        .to_der()
        .map_err(|e| format!("CSR public key: {e}"))?;
    let info = crate::pubkey::signed_part(&der).map_err(|e| format!("CSR info: {e}"))?;
    let sig = csr
        .signature
        .as_bytes()
        .ok_or("CSR signature has unused bits")?;
    let key = Verifier::from_spki_der(&spki)
        .map_err(|e| format!("The public key supplied in the request could not be parsed: {e}"))?;
    key.verify_x509(&csr.algorithm.oid, info, sig)
        .map_err(|e| {
            format!(
                "The signature supplied in the request could not be verified: CSR signature: {e}"
            )
        })?;
    Ok(spki)
}
