//! The `hashedrekord` v0.0.1 kind: a signature over an artifact digest, with the key or
//! certificate that made it. Rekor's checks, and its canonical form (the types are
//! [`formats::rekor_v1::hashedrekord`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use formats::rekor_v1::Body;
use formats::rekor_v1::hashedrekord::{Data, HashValue, PublicKey, Signature, Spec};

use super::Error;
use crate::pubkey::Verifier;

/// A checked entry: what goes into the log and what it is indexed by.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The canonical body (its encoding is the Merkle leaf).
    pub(crate) body: Body,
    /// Search keys: artifact digest, key fingerprint, identities.
    pub(crate) index_keys: Vec<Vec<u8>>,
}

/// Rekor's checks for hashedrekord v0.0.1: a known digest algorithm with a digest of its
/// length in lowercase hex, a non-empty signature, a parseable key or certificate, and the
/// signature verifying over the digest.
pub(crate) fn check(spec: Spec) -> Result<Checked, Error> {
    let refuse = |m: String| Error::Refused(m);
    let hash = spec.data.hash;
    let want_len = match hash.algorithm.as_str() {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        other => {
            return Err(refuse(format!(
                "unsupported hash algorithm `{other}` (want sha256, sha384 or sha512)"
            )));
        }
    };
    let digest =
        hex::decode(&hash.value).map_err(|_| refuse("data.hash.value is not hex".to_owned()))?;
    if digest.len() != want_len {
        return Err(refuse(format!(
            "data.hash.value must be {} hex digits for {}, got {}",
            want_len * 2,
            hash.algorithm,
            hash.value.len()
        )));
    }
    let signature = B64
        .decode(&spec.signature.content)
        .map_err(|_| refuse("signature.content is not base64".to_owned()))?;
    if signature.is_empty() {
        return Err(refuse("signature.content is empty".to_owned()));
    }
    let pem = B64
        .decode(&spec.signature.public_key.content)
        .map_err(|_| refuse("signature.publicKey.content is not base64".to_owned()))?;
    let verifier = Verifier::from_pem(&pem).map_err(|e| refuse(e.to_string()))?;
    verifier
        .verify_prehash(&hash.algorithm, &digest, &signature)
        .map_err(|e| refuse(e.to_string()))?;

    let mut index_keys = vec![
        format!("{}:{}", hash.algorithm, hash.value)
            .to_lowercase()
            .into_bytes(),
    ];
    index_keys.extend(verifier.index_keys());
    // The canonical form (what Rekor stores and hashes): the same fields with the signature
    // re-encoded and the key or certificate as its canonical PEM.
    let body = Body::HashedRekord(Spec {
        data: Data {
            hash: HashValue {
                algorithm: hash.algorithm,
                value: hash.value,
            },
        },
        signature: Signature {
            content: B64.encode(&signature),
            public_key: PublicKey {
                content: B64.encode(verifier.canonical_pem()),
            },
        },
    });
    Ok(Checked { body, index_keys })
}
