//! Rekor v2's checks (sigstore/rekor-tiles `api/proto/rekor/v2`, through grpc-gateway's
//! protojson): a `CreateEntryRequest` in, the canonical entry body that becomes the Merkle leaf
//! out. The request and body types, and their protojson rules, are [`formats::rekor_v2`]'s;
//! the `TransparencyLogEntry` the log answers with is [`formats::bundle`]'s.
//!
//! Pure: typed values in, bytes or a reason out. `bytes` fields are base64, standard or
//! URL-safe, padded or not, and are logged as standard base64; 64-bit integers are strings.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use formats::dsse::{MAX_SIGNATURES as MAX_DSSE_SIGNATURES, MAX_VERIFIERS as MAX_DSSE_VERIFIERS};
use formats::rekor_v2::{
    Body, CreateEntryRequest, DsseLogEntryV002, DsseRequestV002, HashOutput,
    HashedRekordLogEntryV002, HashedRekordRequestV002, RawBytes, Signature,
    Verifier as VerifierJson,
};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::Error;
use crate::pubkey::Verifier;

/// A C2SP tlog-tiles entry bundle prefixes each entry with a 16-bit length, so no canonical
/// body may be longer.
pub(crate) const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// A checked proposal: the canonical body (the Merkle leaf).
#[derive(Debug)]
pub(crate) struct Checked {
    /// The canonical entry body (RFC 8785 JSON of the protojson `Entry`).
    pub(crate) body: Vec<u8>,
}

/// The `kind` of a logged body: `hashedrekord` or `dsse`.
pub(crate) fn kind_of(index: u64, body: &[u8]) -> Result<&'static str, Error> {
    Body::parse(body)
        .map(|b| b.kind())
        .map_err(|source| Error::LoggedBody { index, source })
}

fn refuse(message: String) -> Error {
    Error::Refused(message)
}

/// protojson's `bytes`: any of the four base64 alphabets/paddings.
fn decode_bytes(what: &str, s: &str) -> Result<Vec<u8>, Error> {
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(s).ok())
        .ok_or_else(|| refuse(format!("{what} is not base64")))
}

/// A parsed verifier and the protojson form the log records it in.
struct ParsedVerifier {
    key: Verifier,
    logged: VerifierJson,
    raw: Vec<u8>,
    key_details: String,
}

fn parse_verifier(what: &str, v: &VerifierJson) -> Result<ParsedVerifier, Error> {
    let (raw, key, cert) = match (&v.public_key, &v.x509_certificate) {
        (Some(k), None) => {
            let raw = decode_bytes(&format!("{what}.publicKey.rawBytes"), &k.raw_bytes)?;
            let key = Verifier::from_spki_der(&raw).map_err(|e| refuse(format!("{what}: {e}")))?;
            (raw, key, false)
        }
        (None, Some(c)) => {
            let raw = decode_bytes(&format!("{what}.x509Certificate.rawBytes"), &c.raw_bytes)?;
            let key = Verifier::from_cert_der(&raw).map_err(|e| refuse(format!("{what}: {e}")))?;
            (raw, key, true)
        }
        (Some(_), Some(_)) => {
            return Err(refuse(format!(
                "{what} has both publicKey and x509Certificate (a oneof)"
            )));
        }
        (None, None) => {
            return Err(refuse(format!(
                "{what} must contain either a public key or an X.509 certificate"
            )));
        }
    };
    // The log records the bytes as standard base64, whichever alphabet they came in.
    let logged_bytes = Some(RawBytes {
        raw_bytes: STANDARD.encode(&raw),
    });
    let (public_key, x509_certificate) = if cert {
        (None, logged_bytes)
    } else {
        (logged_bytes, None)
    };
    let logged = VerifierJson {
        key_details: v.key_details.clone(),
        public_key,
        x509_certificate,
    };
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

/// Checks a `CreateEntryRequest` and builds its canonical body.
pub(crate) fn check_request(request: &CreateEntryRequest) -> Result<Checked, Error> {
    let entry = match request {
        CreateEntryRequest::HashedRekord(hr) => hashed_rekord(hr)?,
        CreateEntryRequest::Dsse(ds) => dsse(ds)?,
    };
    let body = entry.encode();
    if body.len() > MAX_ENTRY_BYTES {
        return Err(Error::EntryTooLarge { len: body.len() });
    }
    Ok(Checked { body })
}

/// rekor-tiles' `hashedrekord.ToLogEntry`: the verifier parses, its keyDetails fit the key and
/// name a prehashed algorithm, the digest has that algorithm's length, the signature verifies.
fn hashed_rekord(hr: &HashedRekordRequestV002) -> Result<Body, Error> {
    let signature = decode_bytes("signature.content", &hr.signature.content)?;
    if signature.is_empty() {
        return Err(refuse(
            "missing signature (signature.content is empty)".into(),
        ));
    }
    let digest = decode_bytes("digest", &hr.digest)?;
    if digest.is_empty() {
        return Err(refuse("missing digest".into()));
    }
    let v = parse_verifier("signature.verifier", &hr.signature.verifier)?;
    let hash = v
        .key
        .hash_for_key_details(&v.key_details)
        .map_err(refuse)?
        .ok_or_else(|| {
            refuse(format!(
                "keyDetails `{}` signs no digest, which hashedrekord needs",
                v.key_details
            ))
        })?;
    let want = match hash {
        "sha384" => 48,
        "sha512" => 64,
        _ => 32,
    };
    if digest.len() != want {
        return Err(refuse(format!(
            "digest length ({}) does not match the expected size ({want}) for {hash}",
            digest.len()
        )));
    }
    v.key
        .verify_prehash(hash, &digest, &signature)
        .map_err(|e| refuse(format!("verifying signature: {e}")))?;
    Ok(Body::HashedRekord(HashedRekordLogEntryV002 {
        data: HashOutput {
            algorithm: proto_hash_name(hash).to_owned(),
            digest: STANDARD.encode(&digest),
        },
        signature: Signature {
            content: STANDARD.encode(&signature),
            verifier: v.logged,
        },
    }))
}

/// rekor-tiles' `dsse.ToLogEntry` (v2.0, before it dropped DSSE): bounded verifiers and
/// signatures, no verifier twice, every signature verified over the PAE by one of the
/// verifiers with the hash its keyDetails name; the body keeps the payload's SHA-256 and each
/// signature with its verifier, sorted by the raw signature bytes.
fn dsse(ds: &DsseRequestV002) -> Result<Body, Error> {
    if ds.verifiers.is_empty() {
        return Err(refuse("missing verifiers".into()));
    }
    if ds.verifiers.len() > MAX_DSSE_VERIFIERS {
        return Err(refuse(format!(
            "too many verifiers: {}, max allowed: {MAX_DSSE_VERIFIERS}",
            ds.verifiers.len()
        )));
    }
    let env = &ds.envelope;
    if env.signatures.is_empty() {
        return Err(refuse("envelope missing signatures".into()));
    }
    if env.signatures.len() > MAX_DSSE_SIGNATURES {
        return Err(refuse(format!(
            "too many signatures: {}, max allowed: {MAX_DSSE_SIGNATURES}",
            env.signatures.len()
        )));
    }
    let mut verifiers = Vec::new();
    for (i, v) in ds.verifiers.iter().enumerate() {
        let v = parse_verifier(&format!("verifiers[{i}]"), v)?;
        if verifiers.iter().any(|o: &ParsedVerifier| o.raw == v.raw) {
            return Err(refuse(format!("duplicate verifier (verifiers[{i}])")));
        }
        // Checked for every verifier up front, as rekor-tiles does.
        v.key.hash_for_key_details(&v.key_details).map_err(refuse)?;
        verifiers.push(v);
    }
    let payload = decode_bytes("envelope.payload", &env.payload)?;
    let pae = formats::dsse::pae(&env.payload_type, &payload);
    let mut signed: Vec<(Vec<u8>, VerifierJson)> = Vec::new();
    for (i, sig) in env.signatures.iter().enumerate() {
        let raw = decode_bytes(&format!("envelope.signatures[{i}].sig"), &sig.sig)?;
        if raw.is_empty() {
            return Err(refuse(format!("envelope signature {i} is empty")));
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
                refuse(format!(
                    "envelope signature {i} does not verify with any of the verifiers"
                ))
            })?;
        signed.push((raw, by.logged.clone()));
    }
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    signed.dedup_by(|a, b| a.0 == b.0);
    Ok(Body::Dsse(DsseLogEntryV002 {
        payload_hash: HashOutput {
            algorithm: "SHA2_256".to_owned(),
            digest: STANDARD.encode(Sha256::digest(&payload)),
        },
        signatures: signed
            .into_iter()
            .map(|(raw, verifier)| Signature {
                content: STANDARD.encode(raw),
                verifier,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn check(request: Value) -> Result<Checked, Error> {
        check_request(&CreateEntryRequest::from_value(request)?)
    }

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
            let checked = check(request).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(kind_of(0, &checked.body).unwrap(), "hashedrekord");
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
        assert_eq!(check(request).unwrap().body, logged);
    }
}
