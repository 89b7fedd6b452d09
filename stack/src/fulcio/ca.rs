//! The CA hierarchy of one key generation (a root and an intermediate, like the public
//! instance's), and certificate signing.
//!
//! Certificates are assembled as `x509-cert` TBS structures rather than through a builder, so
//! every extension sits where Go's `x509.CreateCertificate` (which Fulcio uses) puts it: the
//! precertificate and the final certificate must be byte-identical but for their last
//! extension, since the SCT signs one and clients check it against the other.

use std::str::FromStr;
use std::time::Duration;

use aws_lc_rs::digest;
use der::asn1::{BitString, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;
use x509_cert::{Certificate, TbsCertificate, Version};

use crate::keys::{KeyRing, Role};
use formats::oid::{
    ECDSA_WITH_SHA_256, ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS,
    ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE, ID_CE_SUBJECT_KEY_IDENTIFIER, ID_KP_CODE_SIGNING,
};

/// CA certificates outlive any test run.
const CA_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// One CA generation: root, intermediate, and the intermediate's key, which signs leaves.
pub struct CaGeneration {
    /// The generation number.
    pub generation: u32,
    /// DER of the self-signed root.
    pub root_der: Vec<u8>,
    /// DER of the intermediate.
    pub intermediate_der: Vec<u8>,
    intermediate: Certificate,
    key: SigningKey,
    /// The intermediate's subject key identifier (the leaves' authority key identifier).
    key_id: Vec<u8>,
    /// SHA-256 of the intermediate's SPKI (a precertificate SCT's issuer key hash).
    pub issuer_key_hash: [u8; 32],
}

impl std::fmt::Debug for CaGeneration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaGeneration")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// An extension, DER value already encoded.
pub(crate) fn extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).expect("extension values are far below 4 GiB"),
    }
}

fn der_of(v: &impl Encode) -> Vec<u8> {
    v.to_der().expect("extension values always encode")
}

/// RFC 5280 §4.2.1.2 method 1, as Go computes it: SHA-1 of the subjectPublicKey bits.
pub(crate) fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    digest::digest(
        &digest::SHA1_FOR_LEGACY_USE_ONLY,
        spki.subject_public_key.raw_bytes(),
    )
    .as_ref()
    .to_vec()
}

/// A serial number of 20 bytes (Fulcio's size) derived from `parts`: positive, and with a
/// non-zero top byte so DER keeps all 20.
pub(crate) fn serial(parts: &[&[u8]]) -> SerialNumber {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let mut bytes: [u8; 20] = h.finalize()[..20].try_into().expect("20 bytes");
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    SerialNumber::new(&bytes).expect("20 bytes is a valid serial")
}

/// A validity window, in the time forms RFC 5280 asks for.
pub(crate) fn validity(not_before: i64, lifetime: Duration) -> anyhow::Result<Validity> {
    Ok(Validity {
        not_before: crate::clock::x509_time(not_before)?,
        not_after: crate::clock::x509_time(not_before + i64::try_from(lifetime.as_secs())?)?,
    })
}

fn spki_of(key: &SigningKey) -> anyhow::Result<SubjectPublicKeyInfoOwned> {
    let der = key.verifying_key().to_public_key_der()?;
    Ok(SubjectPublicKeyInfoOwned::from_der(der.as_bytes())?)
}

/// Signs `tbs` with `key` (ECDSA P-256, RFC 6979) and returns the certificate's DER.
pub(crate) fn sign(tbs: TbsCertificate, key: &SigningKey) -> anyhow::Result<Vec<u8>> {
    let sig: DerSignature = key.sign(&tbs.to_der()?);
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_with_sha256(),
        signature: BitString::from_bytes(sig.as_bytes())?,
    }
    .to_der()?)
}

fn ecdsa_with_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA_256,
        parameters: None,
    }
}

impl CaGeneration {
    /// The hierarchy of `generation`, valid from `epoch` (unix seconds) for ten years.
    pub fn new(keys: &KeyRing, generation: u32, epoch: i64) -> anyhow::Result<Self> {
        Self::beside(keys, generation, epoch, (generation, epoch))
    }

    /// The hierarchy of `generation` from `epoch`, whose root is generation `base.0`'s (made
    /// at `base.1`, so byte for byte the same certificate) and whose intermediate has a key of
    /// its own but `base`'s intermediate's subject name: a same-subject rotation
    /// ([`crate::generations::Shape::SameSubject`]). With `base == (generation, epoch)`, a
    /// hierarchy of its own.
    pub fn beside(
        keys: &KeyRing,
        generation: u32,
        epoch: i64,
        (base, base_epoch): (u32, i64),
    ) -> anyhow::Result<Self> {
        let root_key = keys.signing_key(Role::FulcioRoot, base);
        let key = keys.signing_key(Role::FulcioIntermediate, generation);
        // Loudly for testing: anyone reading a chain sees it is not a real Sigstore.
        let org = "O=sigbox TEST ONLY - not a real Sigstore";
        let root_name = Name::from_str(&format!("CN=sigbox-test-fulcio-root-{base},{org}"))?;
        let int_name = Name::from_str(&format!("CN=sigbox-test-fulcio-intermediate-{base},{org}"))?;
        let root_validity = validity(base_epoch, CA_LIFETIME)?;
        let validity = validity(epoch, CA_LIFETIME)?;

        let root_spki = spki_of(&root_key)?;
        let root_kid = key_identifier(&root_spki);
        let ca_usage = KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);
        let root_tbs = TbsCertificate {
            version: Version::V3,
            serial_number: serial(&[b"sigbox/fulcio/root", &base.to_be_bytes()]),
            signature: ecdsa_with_sha256(),
            issuer: root_name.clone(),
            validity: root_validity,
            subject: root_name.clone(),
            subject_public_key_info: root_spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(vec![
                extension(ID_CE_KEY_USAGE, true, der_of(&ca_usage)),
                extension(
                    ID_CE_BASIC_CONSTRAINTS,
                    true,
                    der_of(&BasicConstraints {
                        ca: true,
                        path_len_constraint: Some(1),
                    }),
                ),
                extension(
                    ID_CE_SUBJECT_KEY_IDENTIFIER,
                    false,
                    der_of(&SubjectKeyIdentifier(OctetString::new(root_kid.clone())?)),
                ),
            ]),
        };
        let root_der = sign(root_tbs, &root_key)?;

        let int_spki = spki_of(&key)?;
        let key_id = key_identifier(&int_spki);
        let issuer_key_hash: [u8; 32] = Sha256::digest(int_spki.to_der()?).into();
        let int_tbs = TbsCertificate {
            version: Version::V3,
            serial_number: serial(&[b"sigbox/fulcio/intermediate", &generation.to_be_bytes()]),
            signature: ecdsa_with_sha256(),
            issuer: root_name,
            validity,
            subject: int_name,
            subject_public_key_info: int_spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(vec![
                extension(ID_CE_KEY_USAGE, true, der_of(&ca_usage)),
                // Fulcio's intermediates carry codeSigning, so EKU chaining holds.
                extension(
                    ID_CE_EXT_KEY_USAGE,
                    false,
                    der_of(&ExtendedKeyUsage(vec![ID_KP_CODE_SIGNING])),
                ),
                extension(
                    ID_CE_BASIC_CONSTRAINTS,
                    true,
                    der_of(&BasicConstraints {
                        ca: true,
                        path_len_constraint: Some(0),
                    }),
                ),
                extension(
                    ID_CE_SUBJECT_KEY_IDENTIFIER,
                    false,
                    der_of(&SubjectKeyIdentifier(OctetString::new(key_id.clone())?)),
                ),
                extension(
                    ID_CE_AUTHORITY_KEY_IDENTIFIER,
                    false,
                    der_of(&AuthorityKeyIdentifier {
                        key_identifier: Some(OctetString::new(root_kid)?),
                        authority_cert_issuer: None,
                        authority_cert_serial_number: None,
                    }),
                ),
            ]),
        };
        let intermediate_der = sign(int_tbs, &root_key)?;
        let intermediate = Certificate::from_der(&intermediate_der)?;
        Ok(Self {
            generation,
            root_der,
            intermediate_der,
            intermediate,
            key,
            key_id,
            issuer_key_hash,
        })
    }

    /// The intermediate's subject: the leaves' issuer.
    pub(crate) fn issuer_name(&self) -> &Name {
        &self.intermediate.tbs_certificate.subject
    }

    /// The leading extensions of a leaf for `spki`, in Go's order: key usage (critical,
    /// digitalSignature), EKU codeSigning, subject key ID, authority key ID.
    pub(crate) fn leaf_base_extensions(
        &self,
        spki: &SubjectPublicKeyInfoOwned,
    ) -> anyhow::Result<Vec<Extension>> {
        Ok(vec![
            extension(
                ID_CE_KEY_USAGE,
                true,
                der_of(&KeyUsage(KeyUsages::DigitalSignature.into())),
            ),
            extension(
                ID_CE_EXT_KEY_USAGE,
                false,
                der_of(&ExtendedKeyUsage(vec![ID_KP_CODE_SIGNING])),
            ),
            extension(
                ID_CE_SUBJECT_KEY_IDENTIFIER,
                false,
                der_of(&SubjectKeyIdentifier(OctetString::new(key_identifier(
                    spki,
                ))?)),
            ),
            extension(
                ID_CE_AUTHORITY_KEY_IDENTIFIER,
                false,
                der_of(&AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(self.key_id.clone())?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                }),
            ),
        ])
    }

    /// Signs a leaf TBS with the intermediate key.
    pub(crate) fn sign_leaf(&self, tbs: TbsCertificate) -> anyhow::Result<Vec<u8>> {
        sign(tbs, &self.key)
    }

    /// The signature algorithm leaves carry.
    pub(crate) fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        ecdsa_with_sha256()
    }
}
