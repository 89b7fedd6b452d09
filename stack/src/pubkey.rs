//! Public keys that clients send (a Rekor entry's key or certificate, a Fulcio request's key or
//! CSR, a chain submitted to the CT log), and signature checks with them on aws-lc-rs.
//!
//! Keys Rekor's `x509` PKI takes and sigbox checks: ECDSA on P-256, P-384 and P-521, RSA
//! (PKCS #1 v1.5, 2048 bits and up) and Ed25519. Rekor verifies `hashedrekord` signatures
//! over the digest with the entry's hash algorithm, whatever the curve (Go's
//! `ecdsa.VerifyASN1`), and Ed25519 there as Ed25519ph; DSSE and in-toto signatures over the
//! PAE with SHA-256 (`signature.LoadVerifier(key, crypto.SHA256)`), Ed25519 as plain Ed25519.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::SubjectPublicKeyInfoRef;
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use formats::oid::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_CE_SUBJECT_ALT_NAME,
    ID_EC_PUBLIC_KEY, ID_ED_25519, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1, SECP_521_R_1,
    SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};
use formats::pem::PemError;

/// Why a key, a PEM block or a signature was refused; each names its problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Key bytes that are not UTF-8 text.
    #[error("public key is not PEM text")]
    NotText,
    /// A key whose PEM does not decode.
    #[error("public key is not valid PEM: {0}")]
    Pem(#[from] PemError),
    /// A PEM block of another kind.
    #[error("PEM block is `{0}`, want PUBLIC KEY or CERTIFICATE")]
    PemLabel(String),
    /// Writing the canonical PEM failed.
    #[error("{what}: {reason}")]
    PemEncode {
        /// What was being encoded.
        what: &'static str,
        /// The encoder's reason.
        reason: der::pem::Error,
    },
    /// A certificate that is not DER.
    #[error("certificate is not valid DER: {0}")]
    CertDer(der::Error),
    /// A certificate whose key does not re-encode.
    #[error("certificate key: {0}")]
    CertKey(der::Error),
    /// Bytes that are not a SubjectPublicKeyInfo.
    #[error("public key is not a DER SubjectPublicKeyInfo: {0}")]
    Spki(der::Error),
    /// An EC key without a named curve.
    #[error("EC public key has no named curve")]
    NoCurve,
    /// EC key parameters that are not a named curve.
    #[error("EC public key parameters are not a named curve")]
    CurveParams,
    /// A compressed EC point, which Go's x509 (Rekor's parser) refuses.
    #[error("EC public key point is not uncompressed")]
    CompressedPoint,
    /// A curve we do not verify with.
    #[error("EC curve {0} is not supported (P-256, P-384, P-521 are)")]
    Curve(ObjectIdentifier),
    /// A key algorithm we do not verify with.
    #[error("public key algorithm {0} is not supported (ECDSA, RSA and Ed25519 are)")]
    Algorithm(ObjectIdentifier),
    /// A point or modulus that does not parse.
    #[error("public key does not parse: {0}")]
    KeyRejected(aws_lc_rs::error::KeyRejected),
    /// An X.509 signature algorithm that does not fit the key.
    #[error("signature algorithm {alg} does not fit a {kind:?} key")]
    AlgorithmMismatch {
        /// The algorithm's OID.
        alg: ObjectIdentifier,
        /// The key's kind.
        kind: KeyKind,
    },
    /// A signature that does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// An Ed25519 key for a hashedrekord digest.
    #[error(
        "Ed25519 keys sign hashedrekord digests with Ed25519ph, which \
         sigbox's Rekor does not verify; use ECDSA or RSA, or a dsse entry"
    )]
    Ed25519Prehash,
    /// A hash algorithm we do not take.
    #[error("unsupported hash algorithm `{0}`")]
    HashAlgorithm(String),
    /// A digest of the wrong length for its algorithm.
    #[error("digest is not a {0} digest")]
    DigestLength(String),
    /// A signature over a digest that does not verify.
    #[error("signature does not verify against the entry's public key")]
    PrehashSignature,
    /// DER that does not decode.
    #[error("{0}")]
    Der(#[from] der::Error),
    /// A signed structure that is not a SEQUENCE.
    #[error("want a SEQUENCE, found {0}")]
    NotSequence(der::Tag),
    /// A signature BIT STRING with unused bits.
    #[error("signature has unused bits")]
    UnusedBits,
}

/// The kinds of key an entry may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256.
    P256,
    /// ECDSA on P-384.
    P384,
    /// ECDSA on P-521.
    P521,
    /// RSA PKCS #1 v1.5.
    Rsa,
    /// Ed25519.
    Ed25519,
}

#[derive(Debug)]
pub(crate) struct Verifier {
    /// The PEM as Rekor re-encodes it (`CanonicalValue`): the same block, 64-column base64.
    canonical_pem: String,
    spki: Vec<u8>,
    kind: KeyKind,
    identities: Vec<String>,
}

impl Verifier {
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let text = std::str::from_utf8(pem).map_err(|_| Error::NotText)?;
        let (label, der_bytes) = formats::pem::decode_first(text)?;
        let label = label.as_str();
        let canonical_pem = der::pem::encode_string(label, der::pem::LineEnding::LF, &der_bytes)
            .map_err(|reason| Error::PemEncode {
                what: "re-encoding the PEM",
                reason,
            })?;
        let (spki, identities) = match label {
            "PUBLIC KEY" => (der_bytes, vec![]),
            "CERTIFICATE" => {
                let cert = Certificate::from_der(&der_bytes).map_err(Error::CertDer)?;
                let spki = cert
                    .tbs_certificate
                    .subject_public_key_info
                    .to_der()
                    .map_err(Error::CertKey)?;
                (spki, san_identities(&cert))
            }
            other => return Err(Error::PemLabel(other.to_owned())),
        };
        Self::from_parts(canonical_pem, spki, identities)
    }

    /// A key from its DER SubjectPublicKeyInfo.
    pub(crate) fn from_spki_der(spki: &[u8]) -> Result<Self, Error> {
        let canonical_pem = der::pem::encode_string("PUBLIC KEY", der::pem::LineEnding::LF, spki)
            .map_err(|reason| Error::PemEncode {
            what: "encoding the key as PEM",
            reason,
        })?;
        Self::from_parts(canonical_pem, spki.to_vec(), vec![])
    }

    fn from_parts(
        canonical_pem: String,
        spki: Vec<u8>,
        identities: Vec<String>,
    ) -> Result<Self, Error> {
        let kind = key_kind(&spki)?;
        // Parse now, so a bad point or modulus is a 400 about the key, not about the signature.
        UnparsedPublicKey::new(kind.message_algorithm(), &spki)
            .parse()
            .map_err(Error::KeyRejected)?;
        Ok(Self {
            canonical_pem,
            spki,
            kind,
            identities,
        })
    }

    /// A key from a DER certificate (Rekor v2 sends certificates as DER, not PEM).
    pub(crate) fn from_cert_der(cert_der: &[u8]) -> Result<Self, Error> {
        let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, cert_der)
            .map_err(|reason| Error::PemEncode {
                what: "encoding the certificate as PEM",
                reason,
            })?;
        Self::from_pem(pem.as_bytes())
    }

    /// The digest algorithm (`sha256`, `sha384`, `sha512`) that a protobuf-specs
    /// `PublicKeyDetails` name means, refused unless it names this key's kind (Rekor v2 checks
    /// the declared details against the key: `signature.GetAlgorithmDetails` and the algorithm
    /// registry). `None` for pure Ed25519, which hashes nothing first.
    pub(crate) fn hash_for_key_details(
        &self,
        details: &str,
    ) -> Result<Option<&'static str>, String> {
        let (kind, hash) = match details {
            "PKIX_ECDSA_P256_SHA_256" => (KeyKind::P256, Some("sha256")),
            "PKIX_ECDSA_P384_SHA_384" => (KeyKind::P384, Some("sha384")),
            "PKIX_ECDSA_P521_SHA_512" => (KeyKind::P521, Some("sha512")),
            "PKIX_RSA_PKCS1V15_2048_SHA256"
            | "PKIX_RSA_PKCS1V15_3072_SHA256"
            | "PKIX_RSA_PKCS1V15_4096_SHA256" => (KeyKind::Rsa, Some("sha256")),
            "PKIX_ED25519" => (KeyKind::Ed25519, None),
            "PKIX_ED25519_PH" => (KeyKind::Ed25519, Some("sha512")),
            other => return Err(format!("keyDetails `{other}` is not a supported key type")),
        };
        if kind != self.kind {
            return Err(format!(
                "keyDetails `{details}` does not fit the verifier's {:?} key",
                self.kind
            ));
        }
        Ok(hash)
    }

    pub(crate) fn canonical_pem(&self) -> &str {
        &self.canonical_pem
    }

    /// Verifies a signature over `msg` as Rekor's DSSE and in-toto kinds do: SHA-256 with
    /// ECDSA (DER) and RSA PKCS #1 v1.5, plain Ed25519.
    pub(crate) fn verify_message(&self, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
        UnparsedPublicKey::new(self.kind.message_algorithm(), &self.spki)
            .verify(msg, sig)
            .map_err(|_| Error::BadSignature)
    }

    /// The DER SubjectPublicKeyInfo.
    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Verifies an X.509 signature (a certificate's or a CSR's) made with the signature
    /// algorithm `alg` over `msg`.
    pub(crate) fn verify_x509(
        &self,
        alg: &ObjectIdentifier,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), Error> {
        let algorithm: &'static dyn VerificationAlgorithm = match (self.kind, *alg) {
            (KeyKind::P256, ECDSA_WITH_SHA_256) => &signature::ECDSA_P256_SHA256_ASN1,
            (KeyKind::P256, ECDSA_WITH_SHA_384) => &signature::ECDSA_P256_SHA384_ASN1,
            (KeyKind::P384, ECDSA_WITH_SHA_256) => &signature::ECDSA_P384_SHA256_ASN1,
            (KeyKind::P384, ECDSA_WITH_SHA_384) => &signature::ECDSA_P384_SHA384_ASN1,
            (KeyKind::P521, ECDSA_WITH_SHA_512) => &signature::ECDSA_P521_SHA512_ASN1,
            (KeyKind::Rsa, SHA_256_WITH_RSA_ENCRYPTION) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (KeyKind::Rsa, SHA_384_WITH_RSA_ENCRYPTION) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (KeyKind::Rsa, SHA_512_WITH_RSA_ENCRYPTION) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (KeyKind::Ed25519, ID_ED_25519) => &signature::ED25519,
            (kind, _) => return Err(Error::AlgorithmMismatch { alg: *alg, kind }),
        };
        UnparsedPublicKey::new(algorithm, &self.spki)
            .verify(msg, sig)
            .map_err(|_| Error::BadSignature)
    }

    /// Verifies a signature over a digest made with `algorithm` (`sha256`, `sha384`,
    /// `sha512`), as Rekor's hashedrekord does.
    pub(crate) fn verify_prehash(
        &self,
        algorithm: &str,
        digest_bytes: &[u8],
        sig: &[u8],
    ) -> Result<(), Error> {
        let (alg, hash): (&'static dyn VerificationAlgorithm, _) = match (self.kind, algorithm) {
            (KeyKind::P256, "sha256") => (&signature::ECDSA_P256_SHA256_ASN1, &digest::SHA256),
            (KeyKind::P256, "sha384") => (&signature::ECDSA_P256_SHA384_ASN1, &digest::SHA384),
            (KeyKind::P256, "sha512") => (&signature::ECDSA_P256_SHA512_ASN1, &digest::SHA512),
            (KeyKind::P384, "sha256") => (&signature::ECDSA_P384_SHA256_ASN1, &digest::SHA256),
            (KeyKind::P384, "sha384") => (&signature::ECDSA_P384_SHA384_ASN1, &digest::SHA384),
            (KeyKind::P384, "sha512") => (&signature::ECDSA_P384_SHA512_ASN1, &digest::SHA512),
            (KeyKind::P521, "sha256") => (&signature::ECDSA_P521_SHA256_ASN1, &digest::SHA256),
            (KeyKind::P521, "sha384") => (&signature::ECDSA_P521_SHA384_ASN1, &digest::SHA384),
            (KeyKind::P521, "sha512") => (&signature::ECDSA_P521_SHA512_ASN1, &digest::SHA512),
            (KeyKind::Rsa, "sha256") => (&signature::RSA_PKCS1_2048_8192_SHA256, &digest::SHA256),
            (KeyKind::Rsa, "sha384") => (&signature::RSA_PKCS1_2048_8192_SHA384, &digest::SHA384),
            (KeyKind::Rsa, "sha512") => (&signature::RSA_PKCS1_2048_8192_SHA512, &digest::SHA512),
            (KeyKind::Ed25519, _) => return Err(Error::Ed25519Prehash),
            (_, other) => return Err(Error::HashAlgorithm(other.to_owned())),
        };
        let digest = digest::Digest::import_less_safe(digest_bytes, hash)
            .map_err(|_| Error::DigestLength(algorithm.to_owned()))?;
        UnparsedPublicKey::new(alg, &self.spki)
            .verify_digest(&digest, sig)
            .map_err(|_| Error::PrehashSignature)
    }

    /// The lowercase hex SHA-256 of the canonical PEM: what Rekor's index search by public key
    /// looks up (`sha256(key.CanonicalValue())`), so a key finds entries made with that key and a
    /// certificate entries made with that certificate.
    pub(crate) fn key_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_pem.as_bytes()))
    }

    /// What entries signed with this key are found by: the key hash (the public-key search) and
    /// the certificate's identities, lowercased (the email search).
    pub(crate) fn index_keys(&self) -> Vec<Vec<u8>> {
        let mut keys = vec![self.key_hash().into_bytes()];
        keys.extend(
            self.identities
                .iter()
                .map(|i| i.to_lowercase().into_bytes()),
        );
        keys
    }
}

impl KeyKind {
    /// The algorithm for whole-message signatures (DSSE, in-toto).
    fn message_algorithm(self) -> &'static dyn VerificationAlgorithm {
        match self {
            KeyKind::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            KeyKind::P384 => &signature::ECDSA_P384_SHA256_ASN1,
            KeyKind::P521 => &signature::ECDSA_P521_SHA256_ASN1,
            KeyKind::Rsa => &signature::RSA_PKCS1_2048_8192_SHA256,
            KeyKind::Ed25519 => &signature::ED25519,
        }
    }
}

fn key_kind(spki_der: &[u8]) -> Result<KeyKind, Error> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der).map_err(Error::Spki)?;
    let oid = spki.algorithm.oid;
    if oid == ID_EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .ok_or(Error::NoCurve)?
            .decode_as()
            .map_err(|_| Error::CurveParams)?;
        // Go's x509 (Rekor's parser) takes uncompressed points only.
        if spki.subject_public_key.raw_bytes().first() != Some(&0x04) {
            return Err(Error::CompressedPoint);
        }
        return match curve {
            c if c == SECP_256_R_1 => Ok(KeyKind::P256),
            c if c == SECP_384_R_1 => Ok(KeyKind::P384),
            c if c == SECP_521_R_1 => Ok(KeyKind::P521),
            c => Err(Error::Curve(c)),
        };
    }
    if oid == RSA_ENCRYPTION {
        return Ok(KeyKind::Rsa);
    }
    if oid == ID_ED_25519 {
        return Ok(KeyKind::Ed25519);
    }
    Err(Error::Algorithm(oid))
}

fn san_identities(cert: &Certificate) -> Vec<String> {
    let mut out = Vec::new();
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        if ext.extn_id != ID_CE_SUBJECT_ALT_NAME {
            continue;
        }
        if let Ok(san) = SubjectAltName::from_der(ext.extn_value.as_bytes()) {
            for name in san.0 {
                match name {
                    GeneralName::Rfc822Name(email) => out.push(email.to_string()),
                    GeneralName::UniformResourceIdentifier(uri) => out.push(uri.to_string()),
                    _ => {}
                }
            }
        }
    }
    out
}

/// The first element, as its raw DER bytes, of a DER SEQUENCE: a certificate's TBS or a CSR's
/// info, exactly as it was signed (re-encoding a parsed structure need not give the same bytes).
pub(crate) fn signed_part(der_bytes: &[u8]) -> Result<&[u8], Error> {
    use der::Reader as _;
    let mut r = der::SliceReader::new(der_bytes)?;
    let outer = der::Header::decode(&mut r)?;
    if outer.tag != der::Tag::Sequence {
        return Err(Error::NotSequence(outer.tag));
    }
    Ok(r.tlv_bytes()?)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use p256::pkcs8::EncodePublicKey;

    use super::*;

    fn spki() -> Vec<u8> {
        let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        key.verifying_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }

    #[test]
    fn pem_of_any_line_length_decodes_like_go() {
        let der = spki();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let wrapped =
            der::pem::encode_string("PUBLIC KEY", der::pem::LineEnding::LF, &der).unwrap();
        let one_line = format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n");
        let crlf = wrapped.replace('\n', "\r\n");
        // Go's pem.Decode skips text before the block and leaves what follows it.
        let surrounded = format!("a key:\n{wrapped}and then\n{wrapped}");
        for pem in [&wrapped, &one_line, &crlf, &surrounded] {
            let v = Verifier::from_pem(pem.as_bytes()).unwrap();
            assert_eq!(v.spki, der);
            // Rekor stores the canonical (64-column) form whatever it was given.
            assert_eq!(v.canonical_pem, wrapped);
        }
    }

    #[test]
    fn broken_pem_is_refused_with_a_reason() {
        let der = spki();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        for (pem, want) in [
            ("not pem".to_owned(), "no `-----BEGIN` line"),
            (
                format!("-----BEGIN PUBLIC KEY-----\n{b64}\n"),
                "no `-----END PUBLIC KEY-----` line",
            ),
            (
                "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----".to_owned(),
                "not base64",
            ),
            (
                format!(
                    "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n\n{b64}\n-----END PUBLIC KEY-----"
                ),
                "PEM headers are not supported",
            ),
        ] {
            let err = Verifier::from_pem(pem.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
    }
}
