//! The bridge from our p256 keys (RustCrypto's 0.14 generation, deterministic RFC 6979) to the
//! traits the `cms` and `x509-cert` 0.2 builders sign through (`signature` 2, `spki` 0.7).
//! Both sides meet at DER bytes: the SPKI and the ECDSA signature.

use der::asn1::BitString;
use formats::oid::ECDSA_WITH_SHA_256;
use p256::ecdsa::DerSignature;
use p256::pkcs8::EncodePublicKey as _;
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding};

/// A P-256 signing key usable by the `cms` / `x509-cert` builders.
#[derive(Clone)]
pub(crate) struct EcdsaSigner {
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl std::fmt::Debug for EcdsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdsaSigner").finish_non_exhaustive()
    }
}

/// The public half, as SPKI DER.
#[derive(Clone, Debug)]
pub(crate) struct PublicKey(pub(crate) Vec<u8>);

impl spki::EncodePublicKey for PublicKey {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        der::Document::try_from(self.0.as_slice()).map_err(Into::into)
    }
}

/// A DER ECDSA signature.
#[derive(Clone, Debug)]
pub(crate) struct Signature(Vec<u8>);

impl SignatureBitStringEncoding for Signature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

impl EcdsaSigner {
    pub(crate) fn new(key: p256::ecdsa::SigningKey) -> Self {
        let spki = key
            .verifying_key()
            .to_public_key_der()
            .expect("a P-256 public key always encodes")
            .into_vec();
        Self {
            key,
            public: PublicKey(spki),
        }
    }

    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.public.0
    }
}

impl signature::Keypair for EcdsaSigner {
    type VerifyingKey = PublicKey;
    fn verifying_key(&self) -> PublicKey {
        self.public.clone()
    }
}

impl DynSignatureAlgorithmIdentifier for EcdsaSigner {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA_256,
            parameters: None,
        })
    }
}

impl signature::Signer<Signature> for EcdsaSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Signature, signature::Error> {
        use p256::ecdsa::signature::Signer as _;
        let sig: DerSignature = self.key.sign(msg);
        Ok(Signature(sig.as_bytes().to_vec()))
    }
}
