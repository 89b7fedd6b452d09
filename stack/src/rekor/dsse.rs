//! The `dsse` v0.0.1 kind: a DSSE envelope (in-toto statement) and the keys that signed it.
//! Rekor stores only hashes of the envelope and payload, with each signature and its key (the
//! types are [`formats::rekor_v1::dsse`]; the envelope inside is [`formats::dsse`]'s).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use formats::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, MAX_SIGNATURES, MAX_VERIFIERS, Statement};
use formats::rekor_v1::Body;
use formats::rekor_v1::dsse::{HashValue, ProposedSpec, Signature, Spec};
use sha2::{Digest, Sha256};

use super::Error;
use super::hashedrekord::Checked;
use crate::pubkey::Verifier;

/// Rekor's checks for dsse v0.0.1: the envelope parses and every signature verifies with one of
/// the given keys (over the PAE; any payload type, as Rekor's dsse kind).
pub(crate) fn check(spec: ProposedSpec) -> Result<Checked, Error> {
    let refuse = |m: String| Error::Refused(m);
    let content = spec.proposed_content;
    // Base64 is decoded here too, so a bad payload or signature is refused before the counts
    // below are checked (it used to be after; the status is the same 400).
    let envelope = Envelope::parse(content.envelope.as_bytes()).map_err(|e| match e {
        formats::error::FormatError::Json { source, .. } => refuse(format!(
            "proposedContent.envelope is not a DSSE envelope: {source}"
        )),
        other => refuse(format!("proposedContent.envelope: {other}")),
    })?;
    if envelope.signatures.is_empty() {
        return Err(refuse("DSSE envelope has no signatures".into()));
    }
    if content.verifiers.is_empty() {
        return Err(refuse("proposedContent.verifiers is empty".into()));
    }
    if envelope.signatures.len() > MAX_SIGNATURES {
        return Err(refuse(format!(
            "too many DSSE signatures: {}, max allowed: {MAX_SIGNATURES}",
            envelope.signatures.len()
        )));
    }
    if content.verifiers.len() > MAX_VERIFIERS {
        return Err(refuse(format!(
            "too many verifiers: {}, max allowed: {MAX_VERIFIERS}",
            content.verifiers.len()
        )));
    }
    let payload = &envelope.payload;
    let pae = envelope.pae();
    let mut verifiers = Vec::new();
    for (i, key) in content.verifiers.iter().enumerate() {
        let pem = B64
            .decode(key)
            .map_err(|_| refuse(format!("verifiers[{i}] is not base64")))?;
        verifiers
            .push(Verifier::from_pem(&pem).map_err(|e| refuse(format!("verifiers[{i}]: {e}")))?);
    }
    // Every signature needs a key that verifies it (Rekor's verifyEnvelope).
    let mut signatures = Vec::new();
    for (i, sig) in envelope.signatures.iter().enumerate() {
        let verifier = verifiers
            .iter()
            .find(|v| v.verify_message(&pae, &sig.sig).is_ok())
            .ok_or_else(|| {
                refuse(format!(
                    "DSSE signature {i} does not verify with any of the given keys"
                ))
            })?;
        // Logged and sorted as the client sent it: strict base64 gives that text back.
        signatures.push((B64.encode(&sig.sig), verifier));
    }
    signatures.sort_by(|a, b| a.0.cmp(&b.0));
    signatures.dedup_by(|a, b| a.0 == b.0);
    let payload_hash = hex::encode(Sha256::digest(payload));
    let envelope_hash = hex::encode(Sha256::digest(content.envelope.as_bytes()));
    let mut index_keys = vec![
        format!("sha256:{payload_hash}").into_bytes(),
        format!("sha256:{envelope_hash}").into_bytes(),
    ];
    // A payload that claims in-toto but does not parse is logged without subject keys, as
    // Rekor does.
    let statement = (envelope.payload_type == IN_TOTO_PAYLOAD_TYPE)
        .then(|| Statement::parse(payload).ok())
        .flatten();
    if let Some(statement) = statement {
        for subject in statement.subject {
            for (alg, digest) in subject.digest {
                index_keys.push(format!("{alg}:{}", digest.to_lowercase()).into_bytes());
            }
        }
    }
    for (_, v) in &signatures {
        // Rekor's dsse kind writes the key hash with a `sha256:` prefix, which its public-key
        // search (unprefixed) never looks up; keep both, so either search finds the entry.
        index_keys.push(format!("sha256:{}", v.key_hash()).into_bytes());
        index_keys.extend(v.index_keys());
    }
    let body = Body::Dsse(Spec {
        envelope_hash: HashValue::sha256(envelope_hash),
        payload_hash: HashValue::sha256(payload_hash),
        signatures: signatures
            .iter()
            .map(|(sig, v)| Signature {
                signature: sig.clone(),
                verifier: B64.encode(v.canonical_pem()),
            })
            .collect(),
    });
    Ok(Checked { body, index_keys })
}
