//! Public keys from SubjectPublicKeyInfo, and signature verification through aws-lc-rs.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use der::Decode;
use der::asn1::ObjectIdentifier;
use spki::SubjectPublicKeyInfoRef;

use formats::oid::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, ID_ED_25519,
    ID_RSASSA_PSS, ID_SHA_256, ID_SHA_384, ID_SHA_512, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1,
    SECP_521_R_1, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
    SHA_512_WITH_RSA_ENCRYPTION,
};

use crate::error::{Result, VerifyError, bail};

/// A hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Result<Self> {
        Ok(match *oid {
            ID_SHA_256 => Self::Sha256,
            ID_SHA_384 => Self::Sha384,
            ID_SHA_512 => Self::Sha512,
            _ => bail!("unsupported hash algorithm {oid}"),
        })
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        digest::digest(self.algorithm(), data).as_ref().to_vec()
    }

    fn algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }
}

/// The kind of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    P256,
    P384,
    P521,
    Rsa,
    Ed25519,
}

/// A parsed public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub(crate) kind: KeyKind,
    /// The DER SubjectPublicKeyInfo.
    pub(crate) spki: Vec<u8>,
    /// The subjectPublicKey bits.
    raw: Vec<u8>,
}

impl PublicKey {
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| VerifyError::new(format!("public key is not a DER SPKI: {e}")))?;
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| VerifyError::new("public key bit string has unused bits"))?
            .to_vec();
        let kind = match spki.algorithm.oid {
            ID_EC_PUBLIC_KEY => {
                let curve: ObjectIdentifier = spki
                    .algorithm
                    .parameters
                    .ok_or_else(|| VerifyError::new("EC public key has no curve"))?
                    .decode_as()
                    .map_err(|e| VerifyError::new(format!("EC curve is not an OID: {e}")))?;
                match curve {
                    SECP_256_R_1 => KeyKind::P256,
                    SECP_384_R_1 => KeyKind::P384,
                    SECP_521_R_1 => KeyKind::P521,
                    other => bail!("unsupported EC curve {other}"),
                }
            }
            RSA_ENCRYPTION => KeyKind::Rsa,
            ID_ED_25519 => KeyKind::Ed25519,
            other => bail!("unsupported public key algorithm {other}"),
        };
        Ok(Self {
            kind,
            spki: der.to_vec(),
            raw,
        })
    }

    /// From a DER PKCS#1 `RSAPublicKey`.
    pub(crate) fn from_pkcs1_rsa(der: &[u8]) -> Result<Self> {
        let spki = spki::SubjectPublicKeyInfoOwned {
            algorithm: spki::AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(der::asn1::Any::null()),
            },
            subject_public_key: der::asn1::BitString::from_bytes(der)
                .map_err(|e| VerifyError::new(format!("RSA key does not encode: {e}")))?,
        };
        let spki = der::Encode::to_der(&spki)
            .map_err(|e| VerifyError::new(format!("RSA key does not encode: {e}")))?;
        Self::from_spki_der(&spki)
    }

    /// From a PEM `PUBLIC KEY` block.
    pub(crate) fn from_pem(pem: &str) -> Result<Self> {
        let (label, der) = crate::wire::pem_decode(pem)?;
        if label != "PUBLIC KEY" {
            bail!("PEM block is `{label}`, want `PUBLIC KEY`");
        }
        Self::from_spki_der(&der)
    }

    /// The hash a signature by this key over an artifact uses (Sigstore's defaults).
    pub(crate) fn default_hash(&self) -> HashAlg {
        match self.kind {
            KeyKind::P384 => HashAlg::Sha384,
            KeyKind::P521 => HashAlg::Sha512,
            _ => HashAlg::Sha256,
        }
    }

    fn key_bytes(&self) -> &[u8] {
        match self.kind {
            KeyKind::Ed25519 => &self.raw,
            _ => &self.spki,
        }
    }

    fn algorithm(&self, hash: HashAlg, pss: bool) -> Result<&'static dyn VerificationAlgorithm> {
        use HashAlg::{Sha256, Sha384, Sha512};
        Ok(match (self.kind, hash, pss) {
            (KeyKind::P256, Sha256, false) => &signature::ECDSA_P256_SHA256_ASN1,
            (KeyKind::P256, Sha384, false) => &signature::ECDSA_P256_SHA384_ASN1,
            (KeyKind::P384, Sha256, false) => &signature::ECDSA_P384_SHA256_ASN1,
            (KeyKind::P384, Sha384, false) => &signature::ECDSA_P384_SHA384_ASN1,
            (KeyKind::P521, Sha512, false) => &signature::ECDSA_P521_SHA512_ASN1,
            (KeyKind::Rsa, Sha256, false) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (KeyKind::Rsa, Sha384, false) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (KeyKind::Rsa, Sha512, false) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (KeyKind::Rsa, Sha256, true) => &signature::RSA_PSS_2048_8192_SHA256,
            (KeyKind::Rsa, Sha384, true) => &signature::RSA_PSS_2048_8192_SHA384,
            (KeyKind::Rsa, Sha512, true) => &signature::RSA_PSS_2048_8192_SHA512,
            (KeyKind::Ed25519, _, false) => &signature::ED25519,
            (kind, hash, pss) => {
                bail!("unsupported key and hash combination {kind:?} {hash:?} pss={pss}")
            }
        })
    }

    /// Whether `sig` is this key's signature of `msg` hashed with `hash` (ignored for Ed25519).
    pub(crate) fn verify(&self, hash: HashAlg, msg: &[u8], sig: &[u8]) -> bool {
        self.algorithm(hash, false).is_ok_and(|alg| {
            UnparsedPublicKey::new(alg, self.key_bytes())
                .verify(msg, sig)
                .is_ok()
        })
    }

    /// Whether `sig` is this key's signature of a message whose `hash` digest is `digest`.
    pub(crate) fn verify_prehashed(
        &self,
        hash: HashAlg,
        digest: &[u8],
        sig: &[u8],
    ) -> Result<bool> {
        if self.kind == KeyKind::Ed25519 {
            bail!("an Ed25519 signature cannot be checked against a digest, only the artifact");
        }
        let alg = self.algorithm(hash, false)?;
        let digest = digest::Digest::import_less_safe(digest, hash.algorithm())
            .map_err(|_| VerifyError::new("digest has the wrong length for its algorithm"))?;
        Ok(UnparsedPublicKey::new(alg, self.key_bytes())
            .verify_digest(&digest, sig)
            .is_ok())
    }

    /// Whether `sig` is this key's signature of `msg` under the X.509 signature algorithm `oid`
    /// (certificates, CMS). `digest_alg` is the CMS digest algorithm, for `rsaEncryption`.
    pub(crate) fn verify_x509(
        &self,
        oid: &ObjectIdentifier,
        digest_alg: Option<HashAlg>,
        msg: &[u8],
        sig: &[u8],
    ) -> bool {
        let (hash, pss) = match *oid {
            ECDSA_WITH_SHA_256 | SHA_256_WITH_RSA_ENCRYPTION => (HashAlg::Sha256, false),
            ECDSA_WITH_SHA_384 | SHA_384_WITH_RSA_ENCRYPTION => (HashAlg::Sha384, false),
            ECDSA_WITH_SHA_512 | SHA_512_WITH_RSA_ENCRYPTION => (HashAlg::Sha512, false),
            // CMS may name the key algorithm and leave the hash to the digest algorithm.
            ID_EC_PUBLIC_KEY | RSA_ENCRYPTION => (digest_alg.unwrap_or(HashAlg::Sha256), false),
            // PSS parameters are not read: aws-lc-rs checks the MGF1 hash equals the digest.
            ID_RSASSA_PSS => (digest_alg.unwrap_or(HashAlg::Sha256), true),
            ID_ED_25519 => (HashAlg::Sha512, false),
            _ => return false,
        };
        let key_matches = match *oid {
            ECDSA_WITH_SHA_256 | ECDSA_WITH_SHA_384 | ECDSA_WITH_SHA_512 | ID_EC_PUBLIC_KEY => {
                matches!(self.kind, KeyKind::P256 | KeyKind::P384 | KeyKind::P521)
            }
            ID_ED_25519 => self.kind == KeyKind::Ed25519,
            _ => self.kind == KeyKind::Rsa,
        };
        key_matches
            && self.algorithm(hash, pss).is_ok_and(|alg| {
                UnparsedPublicKey::new(alg, self.key_bytes())
                    .verify(msg, sig)
                    .is_ok()
            })
    }
}
