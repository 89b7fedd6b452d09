//! An RFC 3161 timestamp authority (with RFC 5816's ESSCertIDv2), on the RustCrypto `cms` and
//! `x509-tsp` builders, signing with a key derived from the seed.
//!
//! The chain is a test root and a signing certificate whose only extended key usage is
//! id-kp-timeStamping, critical, as RFC 3161 §2.3 requires. Same seed, same epoch and a frozen
//! clock give byte-identical chains and responses.

mod routes;
mod signer;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{GeneralizedTime, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence, Tag};
use formats::oid::{
    ID_AA_SIGNING_CERTIFICATE_V2, ID_CT_TST_INFO, ID_KP_TIME_STAMPING, ID_SHA_256, ID_SHA_384,
    ID_SHA_512, SIGBOX_TSA_POLICY,
};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

pub use routes::routes;
use signer::{EcdsaSigner, Signature};

use crate::clock::Clock;
use crate::keys::{IMPOSTOR_GENERATION, IMPOSTOR_SEED, KeyRing, Role};

/// Parses a DER TimeStampReq and checks that any generation would stamp it (algorithm, digest
/// length, policy). The route calls it before an armed fault is spent on the request.
pub fn check_request(request_der: &[u8]) -> Result<TimeStampReq, TsaError> {
    let req =
        TimeStampReq::from_der(request_der).map_err(|e| TsaError::Malformed(e.to_string()))?;
    let alg = req.message_imprint.hash_algorithm.oid;
    let (name, want) = match alg {
        ID_SHA_256 => ("SHA-256", Sha256::output_size()),
        ID_SHA_384 => ("SHA-384", Sha384::output_size()),
        ID_SHA_512 => ("SHA-512", Sha512::output_size()),
        other => return Err(TsaError::UnsupportedHash(other.to_string())),
    };
    let got = req.message_imprint.hashed_message.as_bytes().len();
    if got != want {
        return Err(TsaError::DigestLength {
            alg: name,
            got,
            want,
        });
    }
    if let Some(policy) = req.req_policy
        && policy != SIGBOX_TSA_POLICY
    {
        return Err(TsaError::Policy(policy.to_string()));
    }
    Ok(req)
}

/// Certificate lifetime: long enough for any test run.
const CERT_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Why a request was refused (each a 400 naming the problem).
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// The body is not a DER TimeStampReq.
    #[error("request is not a DER TimeStampReq: {0}")]
    Malformed(String),
    /// A hash algorithm we do not stamp.
    #[error("unsupported hash algorithm {0} (want SHA-256, SHA-384 or SHA-512)")]
    UnsupportedHash(String),
    /// The digest length does not fit its algorithm.
    #[error("message imprint of {got} bytes does not fit {alg} ({want} bytes)")]
    DigestLength {
        /// Algorithm name.
        alg: &'static str,
        /// Bytes given.
        got: usize,
        /// Bytes wanted.
        want: usize,
    },
    /// A policy we do not issue under.
    #[error("requested policy {0} is not this TSA's policy {SIGBOX_TSA_POLICY}")]
    Policy(String),
    /// Building the response failed (our bug).
    #[error("building the timestamp: {0}")]
    Internal(String),
}

/// ESSCertIDv2 (RFC 5035 §4), with the default hash algorithm (SHA-256) left out, as DER
/// requires for a DEFAULT value.
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// The extended key usage extension, critical (RFC 3161 §2.3).
struct CriticalEku(ExtendedKeyUsage);

impl der::oid::AssociatedOid for CriticalEku {
    const OID: ObjectIdentifier = formats::oid::ID_CE_EXT_KEY_USAGE;
}

impl Encode for CriticalEku {
    fn encoded_len(&self) -> der::Result<der::Length> {
        self.0.encoded_len()
    }
    fn encode(&self, writer: &mut impl der::Writer) -> der::Result<()> {
        self.0.encode(writer)
    }
}

impl AsExtension for CriticalEku {
    fn critical(&self, _subject: &Name, _extensions: &[Extension]) -> bool {
        true
    }
}

/// One TSA generation: its chain and signing key.
pub struct Tsa {
    signer: EcdsaSigner,
    leaf: Certificate,
    root: Certificate,
    clock: Clock,
}

impl std::fmt::Debug for Tsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tsa").finish_non_exhaustive()
    }
}

fn serial(parts: &[&[u8]]) -> anyhow::Result<SerialNumber> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let mut bytes: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    // Positive, and no redundant leading byte: DER's INTEGER rules.
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    Ok(SerialNumber::new(&bytes)?)
}

/// `cms`'s builder error is not a `std::error::Error`.
fn cms_err(e: cms::builder::Error) -> anyhow::Error {
    anyhow::anyhow!("cms: {e:?}")
}

/// Every TSA generation, oldest first; the last one stamps.
pub type Authorities = crate::generations::Set<Tsa>;

impl Tsa {
    /// The chain and key of `generation`, valid from `not_before` (Unix seconds) for ten years.
    pub fn new(
        keys: &KeyRing,
        generation: u32,
        clock: Clock,
        not_before: i64,
    ) -> anyhow::Result<Self> {
        let root_signer = EcdsaSigner::new(keys.signing_key(Role::TsaRoot, generation));
        let signer = EcdsaSigner::new(keys.signing_key(Role::TsaLeaf, generation));
        let validity = Validity {
            not_before: crate::clock::x509_time(not_before)?,
            not_after: crate::clock::x509_time(
                not_before + i64::try_from(CERT_LIFETIME.as_secs())?,
            )?,
        };
        let root_name = Name::from_str(&format!(
            "CN=sigbox TEST timestamp authority root {generation},O=sigbox (testing only)"
        ))?;
        let leaf_name = Name::from_str(&format!(
            "CN=sigbox TEST timestamp authority {generation},O=sigbox (testing only)"
        ))?;
        let spki = |s: &EcdsaSigner| spki::SubjectPublicKeyInfoOwned::from_der(s.spki_der());
        let root = CertificateBuilder::new(
            Profile::Root,
            serial(&[
                b"tsa root",
                &generation.to_be_bytes(),
                root_signer.spki_der(),
            ])?,
            validity,
            root_name.clone(),
            spki(&root_signer)?,
            &root_signer,
        )?
        .build::<Signature>()?;
        let mut leaf = CertificateBuilder::new(
            Profile::Leaf {
                issuer: root_name,
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            serial(&[b"tsa leaf", &generation.to_be_bytes(), signer.spki_der()])?,
            validity,
            leaf_name,
            spki(&signer)?,
            &root_signer,
        )?;
        leaf.add_extension(&CriticalEku(ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING])))?;
        let leaf = leaf.build::<Signature>()?;
        Ok(Self {
            signer,
            leaf,
            root,
            clock,
        })
    }

    /// A TSA with the same profile whose keys no trusted root lists (fault `tsa-unknown-key`).
    pub(crate) fn impostor(&self) -> anyhow::Result<Tsa> {
        Tsa::new(
            &KeyRing::new(IMPOSTOR_SEED),
            IMPOSTOR_GENERATION,
            self.clock.clone(),
            self.clock.unix() - 3600,
        )
    }

    /// `[signing certificate, root]`, DER.
    pub fn chain_der(&self) -> Vec<Vec<u8>> {
        [&self.leaf, &self.root]
            .iter()
            .map(|c| c.to_der().expect("a built certificate encodes"))
            .collect()
    }

    /// The chain as PEM, signing certificate first (what `/api/v1/timestamp/certchain` serves).
    pub fn chain_pem(&self) -> String {
        self.chain_der()
            .iter()
            .map(|der| {
                der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der)
                    .expect("PEM encoding of DER cannot fail")
            })
            .collect()
    }

    /// Answers a DER TimeStampReq with a DER TimeStampResp (status granted).
    pub fn timestamp(&self, request_der: &[u8]) -> Result<Vec<u8>, TsaError> {
        let req = check_request(request_der)?;
        self.respond(&req, request_der)
            .map_err(|e| TsaError::Internal(e.to_string()))
    }

    fn respond(&self, req: &TimeStampReq, request_der: &[u8]) -> anyhow::Result<Vec<u8>> {
        let now = self.clock.now();
        let gen_time = GeneralizedTime::from_unix_duration(Duration::from_secs(
            u64::try_from(now.unix_timestamp()).context("clock before 1970")?,
        ))?;
        let serial_number = Int::new(
            serial(&[b"tst", request_der, &now.unix_timestamp().to_be_bytes()])?.as_bytes(),
        )?;
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: SIGBOX_TSA_POLICY,
            message_imprint: MessageImprint {
                hash_algorithm: req.message_imprint.hash_algorithm.clone(),
                hashed_message: req.message_imprint.hashed_message.clone(),
            },
            serial_number,
            gen_time,
            accuracy: None,
            ordering: false,
            nonce: req.nonce.clone(),
            tsa: None,
            extensions: None,
        };
        let econtent = EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(Any::new(Tag::OctetString, tst.to_der()?)?),
        };
        let sha256 = AlgorithmIdentifierOwned {
            oid: ID_SHA_256,
            parameters: None,
        };
        let leaf_der = self.leaf.to_der()?;
        let signing_certificate = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                cert_hash: OctetString::new(Sha256::digest(&leaf_der).to_vec())?,
            }],
        };
        let mut values = SetOfVec::new();
        values.insert(Any::from_der(&signing_certificate.to_der()?)?)?;
        let mut signer_info = SignerInfoBuilder::new(
            &self.signer,
            SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.leaf.tbs_certificate.issuer.clone(),
                serial_number: self.leaf.tbs_certificate.serial_number.clone(),
            }),
            sha256.clone(),
            &econtent,
            None,
        )
        .map_err(cms_err)?;
        signer_info
            .add_signed_attribute(Attribute {
                oid: ID_AA_SIGNING_CERTIFICATE_V2,
                values,
            })
            .map_err(cms_err)?;
        let mut signed = SignedDataBuilder::new(&econtent);
        signed.add_digest_algorithm(sha256).map_err(cms_err)?;
        if req.cert_req {
            signed
                .add_certificate(CertificateChoices::Certificate(self.leaf.clone()))
                .map_err(cms_err)?;
        }
        signed
            .add_signer_info::<_, Signature>(signer_info)
            .map_err(cms_err)?;
        let token = signed.build().map_err(cms_err)?;
        let resp = TimeStampResp {
            status: cmpv2::status::PkiStatusInfo {
                status: cmpv2::status::PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(token),
        };
        Ok(resp.to_der()?)
    }
}
