//! Rekor v2's wire forms (sigstore/rekor-tiles `api/proto/rekor/v2`, through grpc-gateway's
//! protojson): the `CreateEntryRequest` clients post, the canonical entry body that becomes the
//! Merkle leaf, and the `TransparencyLogEntry` the log answers with.
//!
//! Pure: bytes in, bytes or a reason out. protojson rules that matter here: a field may be
//! spelled by its JSON name (`hashedRekordRequestV002`) or its proto name
//! (`hashed_rekord_request_v002`); `bytes` are base64, standard or URL-safe, padded or not;
//! unknown fields are refused (rekor-tiles sets `DiscardUnknown: false`); 64-bit integers are
//! strings.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::pubkey::Verifier;
use crate::rekor::{MAX_DSSE_SIGNATURES, MAX_DSSE_VERIFIERS};

/// A C2SP tlog-tiles entry bundle prefixes each entry with a 16-bit length, so no canonical
/// body may be longer.
pub(crate) const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// `CreateEntryRequest`: exactly one of its `spec` oneof.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateEntryRequest {
    #[serde(
        rename = "hashedRekordRequestV002",
        alias = "hashed_rekord_request_v002"
    )]
    hashed_rekord: Option<HashedRekordRequestV002>,
    #[serde(rename = "dsseRequestV002", alias = "dsse_request_v002")]
    dsse: Option<DsseRequestV002>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HashedRekordRequestV002 {
    digest: String,
    signature: SignatureJson,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureJson {
    content: String,
    verifier: VerifierJson,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifierJson {
    #[serde(rename = "publicKey", alias = "public_key")]
    public_key: Option<RawBytes>,
    #[serde(rename = "x509Certificate", alias = "x509_certificate")]
    x509_certificate: Option<RawBytes>,
    #[serde(rename = "keyDetails", alias = "key_details")]
    key_details: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBytes {
    #[serde(rename = "rawBytes", alias = "raw_bytes")]
    raw_bytes: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DsseRequestV002 {
    envelope: EnvelopeJson,
    verifiers: Vec<VerifierJson>,
}

/// `io.intoto.Envelope` in protojson: the payload is `bytes` (base64 once).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeJson {
    payload: String,
    #[serde(rename = "payloadType", alias = "payload_type")]
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeSignature {
    sig: String,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "a hint only; the log keeps verifiers, not key IDs"
    )]
    keyid: Option<String>,
}

/// A checked proposal: the canonical body (the Merkle leaf).
#[derive(Debug)]
pub(crate) struct Checked {
    /// The canonical entry body (RFC 8785 JSON of the protojson `Entry`).
    pub(crate) body: Vec<u8>,
}

/// The `kind` of a logged body: `hashedrekord` or `dsse`.
pub(crate) fn kind_of(body: &[u8]) -> Result<&'static str, String> {
    let body: Value =
        serde_json::from_slice(body).map_err(|e| format!("a logged body is not JSON: {e}"))?;
    match body["kind"].as_str() {
        Some("hashedrekord") => Ok("hashedrekord"),
        Some("dsse") => Ok("dsse"),
        other => Err(format!("a logged body has kind {other:?}")),
    }
}

/// protojson's `bytes`: any of the four base64 alphabets/paddings.
fn decode_bytes(what: &str, s: &str) -> Result<Vec<u8>, String> {
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(s).ok())
        .ok_or_else(|| format!("{what} is not base64"))
}

/// A parsed verifier and the protojson form the log records it in.
struct ParsedVerifier {
    key: Verifier,
    logged: Value,
    raw: Vec<u8>,
    key_details: String,
}

fn parse_verifier(what: &str, v: &VerifierJson) -> Result<ParsedVerifier, String> {
    let (field, raw, key) = match (&v.public_key, &v.x509_certificate) {
        (Some(k), None) => {
            let raw = decode_bytes(&format!("{what}.publicKey.rawBytes"), &k.raw_bytes)?;
            let key = Verifier::from_spki_der(&raw).map_err(|e| format!("{what}: {e}"))?;
            ("publicKey", raw, key)
        }
        (None, Some(c)) => {
            let raw = decode_bytes(&format!("{what}.x509Certificate.rawBytes"), &c.raw_bytes)?;
            let key = Verifier::from_cert_der(&raw).map_err(|e| format!("{what}: {e}"))?;
            ("x509Certificate", raw, key)
        }
        (Some(_), Some(_)) => {
            return Err(format!(
                "{what} has both publicKey and x509Certificate (a oneof)"
            ));
        }
        (None, None) => {
            return Err(format!(
                "{what} must contain either a public key or an X.509 certificate"
            ));
        }
    };
    let logged = json!({
        field: {"rawBytes": STANDARD.encode(&raw)},
        "keyDetails": v.key_details,
    });
    Ok(ParsedVerifier {
        key,
        logged,
        raw,
        key_details: v.key_details.clone(),
    })
}

/// protobuf-specs `HashAlgorithm` names for the digest algorithms.
fn proto_hash_name(hash: &str) -> &'static str {
    match hash {
        "sha384" => "SHA2_384",
        "sha512" => "SHA2_512",
        _ => "SHA2_256",
    }
}

fn digest_of(hash: &str, msg: &[u8]) -> Vec<u8> {
    match hash {
        "sha384" => Sha384::digest(msg).to_vec(),
        "sha512" => Sha512::digest(msg).to_vec(),
        _ => Sha256::digest(msg).to_vec(),
    }
}

/// Checks a `CreateEntryRequest` (already parsed as JSON) and builds its canonical body.
pub(crate) fn check_request(request: Value) -> Result<Checked, String> {
    let request: CreateEntryRequest =
        serde_json::from_value(request).map_err(|e| format!("invalid CreateEntryRequest: {e}"))?;
    let entry = match (request.hashed_rekord, request.dsse) {
        (Some(hr), None) => hashed_rekord(&hr)?,
        (None, Some(ds)) => dsse(&ds)?,
        (Some(_), Some(_)) => {
            return Err(
                "request has both hashedRekordRequestV002 and dsseRequestV002 (a oneof)".into(),
            );
        }
        (None, None) => {
            return Err("request has neither hashedRekordRequestV002 nor dsseRequestV002".into());
        }
    };
    // serde_json's map keeps keys sorted and every value here is an ASCII string, so compact
    // serde_json is RFC 8785 canonical JSON, as rekor-tiles' `jsoncanonicalizer.Transform`.
    let body = serde_json::to_vec(&entry).map_err(|e| format!("encoding the entry: {e}"))?;
    if body.len() > MAX_ENTRY_BYTES {
        return Err(format!(
            "entry is {} bytes, more than the {MAX_ENTRY_BYTES} a tlog-tiles entry bundle holds",
            body.len()
        ));
    }
    Ok(Checked { body })
}

/// rekor-tiles' `hashedrekord.ToLogEntry`: the verifier parses, its keyDetails fit the key and
/// name a prehashed algorithm, the digest has that algorithm's length, the signature verifies.
fn hashed_rekord(hr: &HashedRekordRequestV002) -> Result<Value, String> {
    let signature = decode_bytes("signature.content", &hr.signature.content)?;
    if signature.is_empty() {
        return Err("missing signature (signature.content is empty)".into());
    }
    let digest = decode_bytes("digest", &hr.digest)?;
    if digest.is_empty() {
        return Err("missing digest".into());
    }
    let v = parse_verifier("signature.verifier", &hr.signature.verifier)?;
    let hash = v.key.hash_for_key_details(&v.key_details)?.ok_or_else(|| {
        format!(
            "keyDetails `{}` signs no digest, which hashedrekord needs",
            v.key_details
        )
    })?;
    let want = match hash {
        "sha384" => 48,
        "sha512" => 64,
        _ => 32,
    };
    if digest.len() != want {
        return Err(format!(
            "digest length ({}) does not match the expected size ({want}) for {hash}",
            digest.len()
        ));
    }
    v.key
        .verify_prehash(hash, &digest, &signature)
        .map_err(|e| format!("verifying signature: {e}"))?;
    Ok(json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": proto_hash_name(hash), "digest": STANDARD.encode(&digest)},
            "signature": {"content": STANDARD.encode(&signature), "verifier": v.logged},
        }},
    }))
}

/// rekor-tiles' `dsse.ToLogEntry` (v2.0, before it dropped DSSE): bounded verifiers and
/// signatures, no verifier twice, every signature verified over the PAE by one of the
/// verifiers with the hash its keyDetails name; the body keeps the payload's SHA-256 and each
/// signature with its verifier, sorted by the raw signature bytes.
fn dsse(ds: &DsseRequestV002) -> Result<Value, String> {
    if ds.verifiers.is_empty() {
        return Err("missing verifiers".into());
    }
    if ds.verifiers.len() > MAX_DSSE_VERIFIERS {
        return Err(format!(
            "too many verifiers: {}, max allowed: {MAX_DSSE_VERIFIERS}",
            ds.verifiers.len()
        ));
    }
    let env = &ds.envelope;
    if env.signatures.is_empty() {
        return Err("envelope missing signatures".into());
    }
    if env.signatures.len() > MAX_DSSE_SIGNATURES {
        return Err(format!(
            "too many signatures: {}, max allowed: {MAX_DSSE_SIGNATURES}",
            env.signatures.len()
        ));
    }
    let mut verifiers = Vec::new();
    for (i, v) in ds.verifiers.iter().enumerate() {
        let v = parse_verifier(&format!("verifiers[{i}]"), v)?;
        if verifiers.iter().any(|o: &ParsedVerifier| o.raw == v.raw) {
            return Err(format!("duplicate verifier (verifiers[{i}])"));
        }
        // Checked for every verifier up front, as rekor-tiles does.
        v.key.hash_for_key_details(&v.key_details)?;
        verifiers.push(v);
    }
    let payload = decode_bytes("envelope.payload", &env.payload)?;
    let pae = crate::rekor::dsse_pae(&env.payload_type, &payload);
    let mut signed: Vec<(Vec<u8>, Value)> = Vec::new();
    for (i, sig) in env.signatures.iter().enumerate() {
        let raw = decode_bytes(&format!("envelope.signatures[{i}].sig"), &sig.sig)?;
        if raw.is_empty() {
            return Err(format!("envelope signature {i} is empty"));
        }
        let by = verifiers
            .iter()
            .find(|v| match v.key.hash_for_key_details(&v.key_details) {
                Ok(Some(hash)) => v
                    .key
                    .verify_prehash(hash, &digest_of(hash, &pae), &raw)
                    .is_ok(),
                Ok(None) => v.key.verify_message(&pae, &raw).is_ok(),
                Err(_) => false,
            })
            .ok_or_else(|| {
                format!("envelope signature {i} does not verify with any of the verifiers")
            })?;
        signed.push((raw, by.logged.clone()));
    }
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    signed.dedup_by(|a, b| a.0 == b.0);
    Ok(json!({
        "apiVersion": "0.0.2",
        "kind": "dsse",
        "spec": {"dsseV002": {
            "payloadHash": {"algorithm": "SHA2_256", "digest": STANDARD.encode(Sha256::digest(&payload))},
            "signatures": signed
                .iter()
                .map(|(raw, v)| json!({"content": STANDARD.encode(raw), "verifier": v}))
                .collect::<Vec<_>>(),
        }},
    }))
}

/// `dev.sigstore.rekor.v1.TransparencyLogEntry` as rekor-tiles' gateway writes it: protojson
/// with `EmitUnpopulated`, so fields in proto order, int64s as strings, `integratedTime` "0"
/// and `inclusionPromise` null (a v2 log makes no promise: its proof is the answer).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransparencyLogEntry {
    pub(crate) log_index: String,
    pub(crate) log_id: LogId,
    pub(crate) kind_version: KindVersion,
    pub(crate) integrated_time: String,
    pub(crate) inclusion_promise: Option<()>,
    pub(crate) inclusion_proof: InclusionProof,
    pub(crate) canonicalized_body: String,
}

/// `LogId`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogId {
    pub(crate) key_id: String,
}

/// `KindVersion`.
#[derive(Debug, Serialize)]
pub(crate) struct KindVersion {
    pub(crate) kind: String,
    pub(crate) version: String,
}

/// `InclusionProof`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InclusionProof {
    pub(crate) log_index: String,
    pub(crate) root_hash: String,
    pub(crate) tree_size: String,
    pub(crate) hashes: Vec<String>,
    pub(crate) checkpoint: Checkpoint,
}

/// `Checkpoint`.
#[derive(Debug, Serialize)]
pub(crate) struct Checkpoint {
    pub(crate) envelope: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries rekor-tiles wrote (sigstage's v2 logs, from the sigstore-conformance assets):
    /// the request each came from, rebuilt from its body, gives back the same bytes.
    #[test]
    fn bodies_are_byte_for_byte_what_rekor_tiles_logged() {
        let data: Value =
            serde_json::from_str(include_str!("testdata/rekor-tiles-bodies.json")).unwrap();
        for (case, b64) in data["bodies"].as_object().unwrap() {
            let logged = STANDARD.decode(b64.as_str().unwrap()).unwrap();
            let body: Value = serde_json::from_slice(&logged).unwrap();
            let spec = &body["spec"]["hashedRekordV002"];
            let request = json!({"hashedRekordRequestV002": {
                "digest": spec["data"]["digest"],
                "signature": spec["signature"],
            }});
            let checked = check_request(request).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(kind_of(&checked.body), Ok("hashedrekord"));
            assert_eq!(
                String::from_utf8(checked.body).unwrap(),
                String::from_utf8(logged).unwrap(),
                "{case}"
            );
        }
    }

    #[test]
    fn proto_names_and_unpadded_base64_are_protojson_too() {
        let data: Value =
            serde_json::from_str(include_str!("testdata/rekor-tiles-bodies.json")).unwrap();
        let b64 = data["bodies"]["rekor2-timestamp-without-embedded-cert"]
            .as_str()
            .unwrap();
        let logged = STANDARD.decode(b64).unwrap();
        let body: Value = serde_json::from_slice(&logged).unwrap();
        let spec = &body["spec"]["hashedRekordV002"];
        let unpadded =
            |v: &Value| URL_SAFE_NO_PAD.encode(STANDARD.decode(v.as_str().unwrap()).unwrap());
        let verifier = &spec["signature"]["verifier"];
        let request = json!({"hashed_rekord_request_v002": {
            "digest": unpadded(&spec["data"]["digest"]),
            "signature": {
                "content": unpadded(&spec["signature"]["content"]),
                "verifier": {
                    "x509_certificate": {"raw_bytes": unpadded(&verifier["x509Certificate"]["rawBytes"])},
                    "key_details": verifier["keyDetails"],
                },
            },
        }});
        assert_eq!(check_request(request).unwrap().body, logged);
    }
}
