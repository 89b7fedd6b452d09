//! The `hashedrekord` v0.0.1 kind: a signature over an artifact digest, with the key or
//! certificate that made it. Rekor's checks, and its canonical form.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::pubkey::Verifier;

/// A proposed hashedrekord entry, as clients send it (`spec` of the proposed entry).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    data: Data,
    signature: Signature,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    hash: HashValue,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HashValue {
    algorithm: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signature {
    content: String,
    #[serde(rename = "publicKey")]
    public_key: PublicKey,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKey {
    content: String,
}

/// A checked entry: what goes into the log and what it is indexed by.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The canonical body (the Merkle leaf).
    pub(crate) body: Vec<u8>,
    /// Search keys: artifact digest, key fingerprint, identities.
    pub(crate) index_keys: Vec<Vec<u8>>,
}

/// Rekor's checks for hashedrekord v0.0.1: a known digest algorithm with a digest of its
/// length in lowercase hex, a non-empty signature, a parseable key or certificate, and the
/// signature verifying over the digest.
pub(crate) fn check(spec: Value) -> Result<Checked, String> {
    let spec: Spec =
        serde_json::from_value(spec).map_err(|e| format!("invalid hashedrekord spec: {e}"))?;
    let want_len = match spec.data.hash.algorithm.as_str() {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        other => {
            return Err(format!(
                "unsupported hash algorithm `{other}` (want sha256, sha384 or sha512)"
            ));
        }
    };
    let digest =
        hex::decode(&spec.data.hash.value).map_err(|_| "data.hash.value is not hex".to_owned())?;
    if digest.len() != want_len {
        return Err(format!(
            "data.hash.value must be {} hex digits for {}, got {}",
            want_len * 2,
            spec.data.hash.algorithm,
            spec.data.hash.value.len()
        ));
    }
    let signature = B64
        .decode(&spec.signature.content)
        .map_err(|_| "signature.content is not base64".to_owned())?;
    if signature.is_empty() {
        return Err("signature.content is empty".to_owned());
    }
    let pem = B64
        .decode(&spec.signature.public_key.content)
        .map_err(|_| "signature.publicKey.content is not base64".to_owned())?;
    let verifier = Verifier::from_pem(&pem)?;
    verifier.verify_prehash(&spec.data.hash.algorithm, &digest, &signature)?;

    // The canonical form (what Rekor stores and hashes): the same fields with the signature
    // re-encoded and the key or certificate as its canonical PEM, keys sorted, no whitespace.
    let canonical = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": spec.data.hash.algorithm, "value": spec.data.hash.value}},
            "signature": {
                "content": B64.encode(&signature),
                "publicKey": {"content": B64.encode(verifier.canonical_pem())},
            },
        },
    });
    let body = super::canonical_json(&canonical);
    let mut index_keys = vec![
        format!("{}:{}", spec.data.hash.algorithm, spec.data.hash.value)
            .to_lowercase()
            .into_bytes(),
    ];
    index_keys.extend(verifier.index_keys());
    Ok(Checked { body, index_keys })
}
