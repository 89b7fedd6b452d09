//! The key or certificate of an entry, and signature checks with it.

use der::{Decode, Encode};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// A public key (from a `PUBLIC KEY` PEM or a `CERTIFICATE` PEM).
#[derive(Debug)]
pub(crate) struct Verifier {
    /// The PEM as Rekor re-encodes it (`CanonicalValue`): the same block, 64-column base64.
    canonical_pem: String,
    spki: Vec<u8>,
    key: p256::ecdsa::VerifyingKey,
    identities: Vec<String>,
}

const SAN_OID: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("2.5.29.17");

impl Verifier {
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(pem).map_err(|_| "public key is not PEM text".to_owned())?;
        let (label, der_bytes) = der::pem::decode_vec(text.trim().as_bytes())
            .map_err(|e| format!("public key is not valid PEM: {e}"))?;
        let canonical_pem = der::pem::encode_string(label, der::pem::LineEnding::LF, &der_bytes)
            .map_err(|e| format!("re-encoding the PEM: {e}"))?;
        let (spki, identities) = match label {
            "PUBLIC KEY" => (der_bytes, vec![]),
            "CERTIFICATE" => {
                let cert = Certificate::from_der(&der_bytes)
                    .map_err(|e| format!("certificate is not valid DER: {e}"))?;
                let spki = cert
                    .tbs_certificate
                    .subject_public_key_info
                    .to_der()
                    .map_err(|e| format!("certificate key: {e}"))?;
                (spki, san_identities(&cert))
            }
            other => {
                return Err(format!(
                    "PEM block is `{other}`, want PUBLIC KEY or CERTIFICATE"
                ));
            }
        };
        use p256::pkcs8::DecodePublicKey;
        let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).map_err(|_| {
            "public key is not an ECDSA P-256 key (the only kind sigbox's Rekor takes)".to_owned()
        })?;
        Ok(Self {
            canonical_pem,
            spki,
            key,
            identities,
        })
    }

    pub(crate) fn canonical_pem(&self) -> &str {
        &self.canonical_pem
    }

    /// Verifies a DER ECDSA-SHA256 signature over `msg`.
    pub(crate) fn verify_message(&self, msg: &[u8], signature: &[u8]) -> Result<(), String> {
        use p256::ecdsa::signature::Verifier as _;
        let sig = p256::ecdsa::Signature::from_der(signature)
            .map_err(|_| "signature is not a DER ECDSA signature".to_owned())?;
        self.key
            .verify(msg, &sig)
            .map_err(|_| "signature does not verify".to_owned())
    }

    /// What entries signed with this key are found by: the SHA-256 of its SPKI (the
    /// public-key search) and its certificate identities, lowercased (the email search).
    pub(crate) fn index_keys(&self) -> Vec<Vec<u8>> {
        use sha2::{Digest, Sha256};
        let mut keys =
            vec![format!("sha256:{}", hex::encode(Sha256::digest(&self.spki))).into_bytes()];
        keys.extend(
            self.identities
                .iter()
                .map(|i| i.to_lowercase().into_bytes()),
        );
        keys
    }

    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Verifies a DER ECDSA signature over a digest computed with `algorithm`.
    pub(crate) fn verify_prehash(
        &self,
        _algorithm: &str,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        let sig = p256::ecdsa::Signature::from_der(signature)
            .map_err(|_| "signature is not a DER ECDSA signature".to_owned())?;
        self.key
            .verify_prehash(digest, &sig)
            .map_err(|_| "signature does not verify against the entry's public key".to_owned())
    }
}

fn san_identities(cert: &Certificate) -> Vec<String> {
    let mut out = Vec::new();
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        if ext.extn_id != SAN_OID {
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
