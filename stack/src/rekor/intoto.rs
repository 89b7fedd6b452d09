//! The `intoto` v0.0.2 kind (cosign's attestations): a DSSE envelope whose payload and
//! signatures travel base64-encoded once more, each signature with its key, and a client-side
//! hash of the envelope. Rekor keeps the payload type, the signatures and both hashes (the
//! types are [`formats::rekor_v1::intoto`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use formats::dsse::pae;
use formats::rekor_v1::Body;
use formats::rekor_v1::intoto::{Content, Envelope, HashValue, ProposedSpec, Signature, Spec};
use sha2::{Digest, Sha256};

use super::Error;
use super::hashedrekord::Checked;
use crate::pubkey::Verifier;

fn sha256_hex(h: &HashValue, what: &str) -> Result<(), Error> {
    if h.algorithm != "sha256" {
        return Err(Error::Refused(format!(
            "{what}.algorithm must be sha256, got `{}`",
            h.algorithm
        )));
    }
    if h.value.len() != 64
        || !h
            .value
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(Error::Refused(format!(
            "{what}.value must be 64 lowercase hex digits"
        )));
    }
    Ok(())
}

/// Rekor's checks for intoto v0.0.2: every signature verifies over the DSSE PAE with its own
/// key, the envelope hash is well-formed; the payload hash is computed here.
pub(crate) fn check(spec: ProposedSpec) -> Result<Checked, Error> {
    let refuse = |m: String| Error::Refused(m);
    let content = spec.content;
    let hash = content
        .hash
        .ok_or_else(|| refuse("intoto content.hash (the envelope digest) is required".into()))?;
    sha256_hex(&hash, "content.hash")?;
    let env = content.envelope;
    if env.payload_type.is_empty() {
        return Err(refuse("envelope.payloadType is empty".into()));
    }
    if env.signatures.is_empty() {
        return Err(refuse("envelope has no signatures".into()));
    }
    // Each signature carries its own key: one parse and one verification each, bounded as
    // DSSE's are.
    if env.signatures.len() > formats::dsse::MAX_SIGNATURES {
        return Err(refuse(format!(
            "too many signatures: {}, max allowed: {}",
            env.signatures.len(),
            formats::dsse::MAX_SIGNATURES
        )));
    }
    // One base64 layer is the JSON's `format: byte`; under it is the envelope's own base64.
    let inner_payload = B64
        .decode(&env.payload)
        .map_err(|_| refuse("envelope.payload is not base64".to_owned()))?;
    let payload = B64
        .decode(&inner_payload)
        .map_err(|_| refuse("envelope.payload does not hold a base64 DSSE payload".to_owned()))?;
    let pae = pae(&env.payload_type, &payload);
    let mut signatures = Vec::new();
    let mut index_keys = Vec::new();
    for (i, sig) in env.signatures.into_iter().enumerate() {
        let inner_sig = B64
            .decode(&sig.sig)
            .map_err(|_| refuse(format!("signatures[{i}].sig is not base64")))?;
        let raw_sig = B64.decode(&inner_sig).map_err(|_| {
            refuse(format!(
                "signatures[{i}].sig does not hold a base64 signature"
            ))
        })?;
        let pem = B64
            .decode(&sig.public_key)
            .map_err(|_| refuse(format!("signatures[{i}].publicKey is not base64")))?;
        let verifier = Verifier::from_pem(&pem)
            .map_err(|e| refuse(format!("signatures[{i}].publicKey: {e}")))?;
        verifier.verify_message(&pae, &raw_sig).map_err(|_| {
            refuse(format!(
                "signatures[{i}] does not verify with its publicKey"
            ))
        })?;
        index_keys.extend(verifier.index_keys());
        signatures.push(Signature {
            // An empty key ID says nothing: Rekor drops it.
            keyid: sig.keyid.filter(|k| !k.is_empty()),
            public_key: sig.public_key,
            sig: sig.sig,
        });
    }
    let payload_hash = hex::encode(Sha256::digest(&payload));
    // sigstore-js sends the payload hash it computed; the log computes its own and refuses a
    // proposal whose claim differs, rather than logging a body that contradicts itself.
    if let Some(claimed) = &content.payload_hash {
        sha256_hex(claimed, "content.payloadHash")?;
        if claimed.value != payload_hash {
            return Err(refuse(format!(
                "content.payloadHash {} is not the SHA-256 of the envelope payload ({payload_hash})",
                claimed.value
            )));
        }
    }
    index_keys.push(format!("sha256:{payload_hash}").into_bytes());
    let body = Body::Intoto(Spec {
        content: Content {
            envelope: Envelope {
                payload: None,
                payload_type: env.payload_type,
                signatures,
            },
            hash: Some(HashValue::sha256(hash.value)),
            payload_hash: Some(HashValue::sha256(payload_hash)),
        },
    });
    Ok(Checked { body, index_keys })
}
