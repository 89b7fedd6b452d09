//! Valid requests, made here with fixed keys (signatures are deterministic, RFC 6979): the seed
//! corpus starts from them (`tests/seeds.rs` writes it) and [`Harness::with_entries`] fills the
//! fuzz stacks' logs with them.
//!
//! [`Harness::with_entries`]: crate::harness::Harness::with_entries

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::Encode;
use der::asn1::{BitString, ObjectIdentifier};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// The artifact the seed bundles sign (the client targets verify against it).
pub const ARTIFACT: &[u8] = b"sigbox fuzz artifact\n";

/// A fixed test key (a scalar from a hash: never a real key).
pub fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest([b'f', b'u', b'z', b'z', n]))
        .expect("a SHA-256 digest is a valid P-256 scalar")
}

/// `key`'s public key as PEM.
pub fn key_pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("a P-256 key encodes")
}

/// `key`'s public key as a DER SubjectPublicKeyInfo.
pub fn key_der(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .expect("a P-256 key encodes")
        .into_vec()
}

/// An in-toto statement about `artifact`.
pub fn statement(artifact: &[u8]) -> Vec<u8> {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact", "digest": {"sha256": hex::encode(Sha256::digest(artifact))}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
    })
    .to_string()
    .into_bytes()
}

/// `key`'s ASN.1 DER signature over `message` (ECDSA P-256, SHA-256).
pub fn der_sig(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let sig: DerSignature = key.sign(message);
    sig.as_bytes().to_vec()
}

/// Rekor v1 `hashedrekord` v0.0.1 over `artifact`, verified by `verifier_pem` (the key's PEM, or
/// a certificate for it).
pub fn v1_hashed_rekord(key: &SigningKey, artifact: &[u8], verifier_pem: &str) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(artifact))}},
            "signature": {
                "content": B64.encode(der_sig(key, artifact)),
                "publicKey": {"content": B64.encode(verifier_pem)},
            },
        },
    })
}

/// Rekor v1 `dsse` v0.0.1: an in-toto statement in an envelope signed by `key`.
pub fn v1_dsse(key: &SigningKey, statement: &[u8]) -> Value {
    let envelope = json!({
        "payload": B64.encode(statement),
        "payloadType": IN_TOTO,
        "signatures": [{"sig": B64.encode(der_sig(key, &formats::dsse::pae(IN_TOTO, statement)))}],
    });
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope.to_string(),
            "verifiers": [B64.encode(key_pem(key))],
        }},
    })
}

/// Rekor v1 `intoto` v0.0.2 (cosign's attestations): payload and signature base64 twice.
pub fn v1_intoto(key: &SigningKey, statement: &[u8]) -> Value {
    let sig = B64.encode(der_sig(key, &formats::dsse::pae(IN_TOTO, statement)));
    let envelope = json!({
        "payload": B64.encode(statement),
        "payloadType": IN_TOTO,
        "signatures": [{"sig": sig}],
    })
    .to_string();
    json!({
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {"content": {
            "envelope": {
                "payload": B64.encode(B64.encode(statement)),
                "payloadType": IN_TOTO,
                "signatures": [{"sig": B64.encode(&sig), "publicKey": B64.encode(key_pem(key))}],
            },
            "hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(envelope.as_bytes()))},
        }},
    })
}

/// One Rekor v1 entry of each kind, by [`key`]`(1)`.
pub fn v1_entries() -> Vec<Value> {
    let k = key(1);
    vec![
        v1_hashed_rekord(&k, ARTIFACT, &key_pem(&k)),
        v1_dsse(&k, &statement(ARTIFACT)),
        v1_intoto(&k, &statement(b"another artifact")),
    ]
}

/// Rekor v2 `hashedRekordRequestV002` over `artifact`'s SHA-256.
pub fn v2_hashed_rekord(key: &SigningKey, artifact: &[u8]) -> Value {
    let digest = Sha256::digest(artifact);
    let sig: Signature = key
        .sign_prehash(&digest)
        .expect("a SHA-256 digest is a valid prehash");
    json!({"hashedRekordRequestV002": {
        "digest": B64.encode(digest),
        "signature": {
            "content": B64.encode(sig.to_der().as_bytes()),
            "verifier": {
                "publicKey": {"rawBytes": B64.encode(key_der(key))},
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            },
        },
    }})
}

/// Rekor v2 `dsseRequestV002`: an in-toto statement in an envelope signed by `key`.
pub fn v2_dsse(key: &SigningKey, statement: &[u8]) -> Value {
    json!({"dsseRequestV002": {
        "envelope": {
            "payload": B64.encode(statement),
            "payloadType": IN_TOTO,
            "signatures": [{"sig": B64.encode(der_sig(key, &formats::dsse::pae(IN_TOTO, statement))), "keyid": ""}],
        },
        "verifiers": [{
            "publicKey": {"rawBytes": B64.encode(key_der(key))},
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        }],
    }})
}

/// A PKCS #10 request for `key`, signed by it (DER).
pub fn csr_der(key: &SigningKey) -> Vec<u8> {
    use der::Decode;
    let spki =
        spki::SubjectPublicKeyInfoOwned::from_der(&key_der(key)).expect("a P-256 SPKI parses");
    let info = x509_cert::request::CertReqInfo {
        version: x509_cert::request::Version::V1,
        subject: Default::default(),
        public_key: spki,
        attributes: Default::default(),
    };
    let tbs = info.to_der().expect("a CSR info encodes");
    x509_cert::request::CertReq {
        info,
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        },
        signature: BitString::from_bytes(&der_sig(key, &tbs)).expect("a signature is bits"),
    }
    .to_der()
    .expect("a CSR encodes")
}

/// `der` as PEM with `label`.
pub fn pem(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).expect("PEM encodes")
}

/// Fulcio's identity for the default token: what a proof of possession signs.
pub const EMAIL: &str = fake_oidc::DEFAULT_EMAIL;

/// Fulcio v2 `signingCert` bodies without credentials (the token goes in the header): a key
/// with its proof of possession, and CSRs as PEM and DER.
pub fn fulcio_v2(key: &SigningKey) -> Vec<(&'static str, Value)> {
    let csr = csr_der(key);
    vec![
        (
            "public-key",
            json!({"publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": key_pem(key)},
                "proofOfPossession": B64.encode(der_sig(key, EMAIL.as_bytes())),
            }}),
        ),
        (
            "csr-pem",
            json!({"certificateSigningRequest": B64.encode(pem("CERTIFICATE REQUEST", &csr))}),
        ),
        (
            "csr-der",
            json!({"certificateSigningRequest": B64.encode(&csr)}),
        ),
    ]
}

/// Fulcio v1 `signingCert` bodies: a key (PEM, and DER) with its signed email, and a CSR.
pub fn fulcio_v1(key: &SigningKey) -> Vec<(&'static str, Value)> {
    let proof = B64.encode(der_sig(key, EMAIL.as_bytes()));
    vec![
        (
            "public-key-pem",
            json!({"publicKey": {"algorithm": "ecdsa", "content": B64.encode(key_pem(key))},
                   "signedEmailAddress": proof}),
        ),
        (
            "public-key-der",
            json!({"publicKey": {"algorithm": "ecdsa", "content": B64.encode(key_der(key))},
                   "signedEmailAddress": proof}),
        ),
        (
            "csr",
            json!({"certificateSigningRequest": B64.encode(pem("CERTIFICATE REQUEST", &csr_der(key)))}),
        ),
    ]
}

/// An RFC 3161 `TimeStampReq` (DER) over SHA-256 of `artifact`.
pub fn timestamp_request(artifact: &[u8], nonce: Option<u64>, cert_req: bool) -> Vec<u8> {
    let nonce = nonce.map(|n| {
        // DER integers are minimal two's complement: no leading zeros, a zero before a high bit.
        let bytes = n.to_be_bytes();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(7);
        let mut minimal = bytes[first..].to_vec();
        if minimal[0] & 0x80 != 0 {
            minimal.insert(0, 0);
        }
        der::asn1::Int::new(&minimal).expect("a minimal integer")
    });
    x509_tsp::TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: ID_SHA256,
                parameters: None,
            },
            hashed_message: der::asn1::OctetString::new(Sha256::digest(artifact).to_vec())
                .expect("a digest is an octet string"),
        },
        req_policy: None,
        nonce,
        cert_req,
        extensions: None,
    }
    .to_der()
    .expect("a timestamp request encodes")
}

/// sigstore/timestamp-authority's JSON form of a request.
pub fn timestamp_request_json(artifact: &[u8]) -> Value {
    json!({
        "artifactHash": B64.encode(Sha256::digest(artifact)),
        "hashAlgorithm": "sha256",
        "nonce": 1234,
        "certificates": true,
    })
}
