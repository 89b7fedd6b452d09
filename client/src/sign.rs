//! Keyless signing: an identity token buys a short-lived certificate from Fulcio for an
//! ephemeral P-256 key; the key signs the artifact (a message signature) or an in-toto
//! statement (DSSE); the signature goes to Rekor (v1, or v2 when the signing config offers it)
//! and, when the signing config names one, to an RFC 3161 timestamp authority; all of it is
//! written as a bundle v0.3.
//!
//! Every service comes from a `signing_config.v0.2.json`, so the same code signs against
//! sigbox and against the public instance.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use der::Encode;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use formats::bundle::{
    Bundle, Checkpoint, Content, Envelope, HashOutput, InclusionPromise, InclusionProof,
    KindVersion, MediaType, MessageSignature, Rfc3161SignedTimestamp, Signature, SignerMaterial,
    TimestampVerificationData, TransparencyLogEntry, VerificationMaterial,
};
use formats::error::FormatError;
use formats::fulcio::{KeyRequest, SigningCertRequest, SigningCertResponse};
use formats::rekor_v1::{self, LogEntry, LogInfo, ProposedEntry, hashedrekord};
use formats::rekor_v2::{self, CreateEntryRequest, HashedRekordRequestV002};
use formats::signing_config::{Service, SigningConfig};
use formats::trusted_root::{LogId, Timestamp, X509Certificate};

use crate::dsse::{IN_TOTO_PAYLOAD_TYPE, pae};

/// The bundle media type this module writes.
pub const BUNDLE_V03_MEDIA_TYPE: &str = MediaType::V0_3.as_str();

/// Why signing failed, in one line.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The signing config cannot be used.
    #[error("signing config: {0}")]
    Config(String),
    /// The signing config is not a well-formed v0.2 one.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The identity token cannot be used.
    #[error("identity token: {0}")]
    Token(String),
    /// A service refused or answered something unusable.
    #[error("{service}: {message}")]
    Service {
        /// Which service (`Fulcio`, `Rekor`, `TSA`).
        service: &'static str,
        /// What went wrong.
        message: String,
    },
    /// Local crypto failed.
    #[error("crypto: {0}")]
    Crypto(String),
}

fn service(service: &'static str, message: impl Into<String>) -> SignError {
    SignError::Service {
        service,
        message: message.into(),
    }
}

/// The services a signature needs, chosen from a signing config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    /// Fulcio's base URL.
    pub fulcio: String,
    /// Rekor's base URL.
    pub rekor: String,
    /// Rekor's `majorApiVersion`: 1, or 2 (the tiles API: no integrated time, so a TSA is
    /// required).
    pub rekor_api: u64,
    /// The TSA's full URL, if any.
    pub tsa: Option<String>,
}

fn valid_now(service: &Service, now: Timestamp) -> bool {
    let range = &service.valid_for;
    range.start <= now && range.end.is_none_or(|end| end >= now)
}

/// The first service valid at `now` with the highest `majorApiVersion` in `supported`.
fn pick(list: &[Service], supported: &[u32], now: Timestamp) -> Option<String> {
    pick_versioned(list, supported, now).map(|(_, url)| url)
}

/// [`pick`], with the version picked.
fn pick_versioned(list: &[Service], supported: &[u32], now: Timestamp) -> Option<(u32, String)> {
    let mut best: Option<(u32, String)> = None;
    for s in list {
        let version = s.major_api_version;
        if !supported.contains(&version) || !valid_now(s, now) {
            continue;
        }
        if best.as_ref().is_none_or(|(v, _)| version > *v) {
            best = Some((version, s.url.trim_end_matches('/').to_owned()));
        }
    }
    best
}

impl Services {
    /// Chooses Fulcio, Rekor (the highest of v1 and v2 offered, as sigstore-python does) and
    /// the TSA from `signing_config.v0.2.json` at `now`.
    pub fn from_signing_config(json: &[u8], now: OffsetDateTime) -> Result<Self, SignError> {
        Self::from_parsed(&SigningConfig::parse(json)?, now)
    }

    /// [`Services::from_signing_config`] over a parsed signing config.
    pub fn from_parsed(config: &SigningConfig, now: OffsetDateTime) -> Result<Self, SignError> {
        let now = Timestamp::new(now);
        let fulcio = pick(&config.ca_urls, &[1], now)
            .ok_or_else(|| SignError::Config("no Fulcio (caUrls) valid now".into()))?;
        let (rekor_api, rekor) = pick_versioned(&config.rekor_tlog_urls, &[1, 2], now)
            .ok_or_else(|| SignError::Config("no Rekor v1 or v2 log valid now".into()))?;
        let tsa = pick(&config.tsa_urls, &[1], now);
        if rekor_api == 2 && tsa.is_none() {
            return Err(SignError::Config(
                "Rekor v2 gives no integrated time, and no TSA (tsaUrls) is valid now".into(),
            ));
        }
        Ok(Self {
            fulcio,
            rekor,
            rekor_api: u64::from(rekor_api),
            tsa,
        })
    }
}

/// What to sign.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// An artifact: a message signature over its bytes, logged as `hashedrekord`.
    Message(&'a [u8]),
    /// An in-toto statement: a DSSE envelope, logged as `dsse`.
    InToto(&'a [u8]),
}

/// The name Fulcio wants a proof of possession over: the email of a token that has a
/// verified one, `sub` otherwise (as sigstore-js and Fulcio agree).
pub fn token_subject(token: &str) -> Result<String, SignError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(SignError::Token(
            "not a JWT (want three dot-separated parts)".into(),
        ));
    }
    let claims: Claims = B64URL
        .decode(parts[1].trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| SignError::Token("payload is not base64url JSON".into()))?;
    if let Some(Value::String(email)) = claims.email {
        let verified = matches!(&claims.email_verified, Some(Value::Bool(true)))
            || matches!(&claims.email_verified, Some(Value::String(v)) if v == "true");
        if !verified {
            return Err(SignError::Token(format!("email {email:?} is not verified")));
        }
        return Ok(email);
    }
    match claims.sub {
        Some(Value::String(sub)) => Ok(sub),
        _ => Err(SignError::Token("no `email` and no `sub` claim".into())),
    }
}

/// The claims [`token_subject`] reads; a claim of another type counts as absent.
#[derive(Deserialize)]
struct Claims {
    email: Option<Value>,
    email_verified: Option<Value>,
    sub: Option<Value>,
}

/// The body of a service's refusal.
#[derive(Deserialize)]
struct Refusal {
    message: String,
}

fn pem(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).expect("PEM encoding of DER")
}

struct Http {
    client: reqwest::blocking::Client,
}

/// Tries of one request, the first included, while the service answers as an outage would.
const ATTEMPTS: u32 = 3;
/// The longest `Retry-After` we wait for; longer asks are refused as errors.
const MAX_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

impl Http {
    /// The text of a 2xx answer to a POST of JSON bytes.
    fn post(&self, who: &'static str, url: &str, body: Vec<u8>) -> Result<String, SignError> {
        let (status, body) = self.exchange(who, "POST", url, || {
            self.client
                .post(url)
                .header("content-type", "application/json")
                .body(body.clone())
        })?;
        Self::answer(who, url, status, &body)
    }

    /// The text of a 2xx answer to a GET.
    fn get(&self, who: &'static str, url: &str) -> Result<String, SignError> {
        let (status, body) = self.exchange(who, "GET", url, || self.client.get(url))?;
        Self::answer(who, url, status, &body)
    }

    /// Sends the request `build` makes and reads its answer, trying again (up to [`ATTEMPTS`]
    /// in all) when the service answers 429 or 502-504, which say "later" (after its
    /// `Retry-After`, else 1 s, then 2 s), or the connection drops before the whole answer
    /// came. A timeout is not retried: a service that slow would only be waited on again.
    fn exchange(
        &self,
        who: &'static str,
        method: &str,
        url: &str,
        build: impl Fn() -> reqwest::blocking::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), SignError> {
        let mut attempt = 1;
        loop {
            let last = attempt == ATTEMPTS;
            let answer = build().send().and_then(|resp| {
                let status = resp.status();
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
                    .map(std::time::Duration::from_secs);
                Ok((status, retry_after, resp.bytes()?.to_vec()))
            });
            let wait = match &answer {
                Err(e) if !last && !e.is_timeout() => {
                    tracing::info!(%url, error = %e, attempt, "{who}: retrying");
                    None
                }
                Err(e) => return Err(service(who, format!("{method} {url}: {e}"))),
                Ok((status, retry_after, _))
                    if !last
                        && matches!(status.as_u16(), 429 | 502 | 503 | 504)
                        && retry_after.is_none_or(|w| w <= MAX_RETRY_AFTER) =>
                {
                    tracing::info!(%url, %status, attempt, "{who}: retrying");
                    *retry_after
                }
                Ok((status, _, body)) => return Ok((*status, body.clone())),
            };
            std::thread::sleep(wait.unwrap_or(std::time::Duration::from_secs(u64::from(attempt))));
            attempt += 1;
        }
    }

    /// The body of a 2xx answer; otherwise the status and the service's `message` (or body).
    fn answer(
        who: &'static str,
        url: &str,
        status: reqwest::StatusCode,
        body: &[u8],
    ) -> Result<String, SignError> {
        let text = String::from_utf8(body.to_vec())
            .map_err(|e| service(who, format!("the answer from {url} is not UTF-8: {e}")))?;
        if !status.is_success() {
            let message = serde_json::from_str::<Refusal>(&text)
                .map(|r| r.message)
                .unwrap_or(text);
            return Err(service(who, format!("{url} answered {status}: {message}")));
        }
        Ok(text)
    }
}

/// What a signer brings of its own: the key, and the nonce of its timestamp request. [`sign`]
/// uses an [`EphemeralKey`]; a test that wants the same bundle twice brings a seeded key that
/// signs with RFC 6979 nonces.
pub trait Signer {
    /// The public key: a DER SubjectPublicKeyInfo of a P-256 key.
    fn public_key_der(&self) -> &[u8];
    /// An ECDSA P-256 SHA-256 signature over `message`, DER-encoded.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
    /// The nonce of the RFC 3161 request (made positive and minimal before it is sent).
    fn timestamp_nonce(&self) -> Result<[u8; 8], SignError>;
}

/// A fresh P-256 key for one signature, as keyless clients make, and random nonces.
pub struct EphemeralKey {
    key: EcdsaKeyPair,
    spki: Vec<u8>,
    rng: SystemRandom,
}

impl std::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EphemeralKey").finish_non_exhaustive()
    }
}

impl EphemeralKey {
    /// A new key from the system's randomness.
    pub fn generate() -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|e| SignError::Crypto(format!("generating a key: {e}")))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .map_err(|e| SignError::Crypto(format!("loading the key: {e}")))?;
        let spki = key
            .public_key()
            .as_der()
            .map_err(|e| SignError::Crypto(format!("encoding the public key: {e}")))?
            .as_ref()
            .to_vec();
        Ok(Self { key, spki, rng })
    }
}

impl Signer for EphemeralKey {
    fn public_key_der(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| SignError::Crypto(format!("signing: {e}")))
    }

    fn timestamp_nonce(&self) -> Result<[u8; 8], SignError> {
        let mut nonce = [0u8; 8];
        self.rng
            .fill(&mut nonce)
            .map_err(|e| SignError::Crypto(format!("nonce: {e}")))?;
        Ok(nonce)
    }
}

/// Signs `payload` with a certificate for `token` and a fresh key, logs it, and returns the
/// bundle v0.3 (its [`Bundle::encode`] is what `sigbox sign` writes).
pub fn sign(services: &Services, token: &str, payload: Payload<'_>) -> Result<Bundle, SignError> {
    sign_with(services, token, payload, &EphemeralKey::generate()?)
}

/// [`sign`] with `signer`'s key and nonce.
pub fn sign_with(
    services: &Services,
    token: &str,
    payload: Payload<'_>,
    signer: &dyn Signer,
) -> Result<Bundle, SignError> {
    let http = Http {
        client: reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| SignError::Crypto(format!("HTTP client: {e}")))?,
    };
    let spki = signer.public_key_der();
    let sign_bytes = |msg: &[u8]| signer.sign(msg);

    // 1. Fulcio.
    let subject = token_subject(token)?;
    let proof = sign_bytes(subject.as_bytes())?;
    let request = SigningCertRequest {
        token: Some(token.to_owned()),
        key: KeyRequest::PublicKey {
            algorithm: Some("ECDSA".to_owned()),
            content: pem("PUBLIC KEY", spki),
            proof_of_possession: proof,
        },
    };
    let answer = http.post(
        "Fulcio",
        &format!("{}/api/v2/signingCert", services.fulcio),
        request.encode(),
    )?;
    let chain = match SigningCertResponse::parse(answer.as_bytes())
        .map_err(|e| service("Fulcio", e.to_string()))?
    {
        SigningCertResponse::Embedded { chain } => chain,
        SigningCertResponse::Detached { .. } => {
            return Err(service(
                "Fulcio",
                "no signedCertificateEmbeddedSct chain in the answer (a detached SCT cannot go in a bundle)",
            ));
        }
    };
    let leaf_pem = chain
        .first()
        .ok_or_else(|| service("Fulcio", "the certificate chain is empty"))?;
    let (_, leaf_der) = der::pem::decode_vec(leaf_pem.as_bytes())
        .map_err(|e| service("Fulcio", format!("leaf certificate is not PEM: {e}")))?;
    let cert_pem = pem("CERTIFICATE", &leaf_der);

    // 2. Sign and build the log proposal and the bundle's content. For Rekor v2 both kinds
    // are a hashedrekord 0.0.2 request: of the artifact's digest, or of the DSSE PAE's (what
    // rekor-tiles asks for since it dropped `dsse`, and what sigstore-python sends).
    let v2_request = |digest: &[u8], signature: &[u8]| {
        CreateEntryRequest::HashedRekord(HashedRekordRequestV002 {
            digest: B64.encode(digest),
            signature: rekor_v2::Signature {
                content: B64.encode(signature),
                verifier: rekor_v2::Verifier {
                    key_details: "PKIX_ECDSA_P256_SHA_256".to_owned(),
                    public_key: None,
                    x509_certificate: Some(rekor_v2::RawBytes {
                        raw_bytes: B64.encode(&leaf_der),
                    }),
                },
            },
        })
    };
    let (signature, proposal, v2_proposal, content) = match payload {
        Payload::Message(artifact) => {
            let digest = Sha256::digest(artifact);
            let signature = sign_bytes(artifact)?;
            let v2_proposal = v2_request(&digest, &signature);
            let proposal = ProposedEntry::HashedRekord(hashedrekord::Spec {
                data: hashedrekord::Data {
                    hash: hashedrekord::HashValue::sha256(hex::encode(digest)),
                },
                signature: hashedrekord::Signature {
                    content: B64.encode(&signature),
                    public_key: hashedrekord::PublicKey {
                        content: B64.encode(&cert_pem),
                    },
                },
            });
            let content = Content::MessageSignature(MessageSignature {
                message_digest: Some(HashOutput {
                    algorithm: "SHA2_256".into(),
                    digest: digest.to_vec(),
                }),
                signature: signature.clone(),
            });
            (signature, proposal, v2_proposal, content)
        }
        Payload::InToto(statement) => {
            let pae_bytes = pae(IN_TOTO_PAYLOAD_TYPE, statement);
            let signature = sign_bytes(&pae_bytes)?;
            let v2_proposal = v2_request(&Sha256::digest(&pae_bytes), &signature);
            // The envelope as Rekor's dsse kind takes it: JSON text, no key ID.
            let envelope = rekor_v2::Envelope {
                payload: B64.encode(statement),
                payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
                signatures: vec![rekor_v2::EnvelopeSignature {
                    keyid: None,
                    sig: B64.encode(&signature),
                }],
            };
            let envelope = serde_json::to_string(&envelope)
                .map_err(|e| SignError::Crypto(format!("encoding the envelope: {e}")))?;
            let proposal = ProposedEntry::Dsse(rekor_v1::dsse::ProposedSpec::new(
                rekor_v1::dsse::ProposedContent {
                    envelope,
                    verifiers: vec![B64.encode(&cert_pem)],
                },
            ));
            let content = Content::DsseEnvelope(Envelope {
                payload: statement.to_vec(),
                payload_type: IN_TOTO_PAYLOAD_TYPE.into(),
                // An empty key ID, written: what sigbox's bundles have always carried.
                signatures: vec![Signature {
                    keyid: Some(String::new()),
                    sig: signature.clone(),
                }],
            });
            (signature, proposal, v2_proposal, content)
        }
    };

    // 3. The timestamp, over the signature, before the log (as sigstore-python does).
    let timestamp_verification_data = match &services.tsa {
        Some(tsa) => Some(TimestampVerificationData {
            rfc3161_timestamps: vec![Rfc3161SignedTimestamp {
                signed_timestamp: timestamp(&http, tsa, &signature, signer.timestamp_nonce()?)?,
            }],
        }),
        None => None,
    };

    // 4. Rekor.
    let entry = if services.rekor_api == 2 {
        let answer = http.post(
            "Rekor",
            &format!("{}/api/v2/log/entries", services.rekor),
            v2_proposal.encode(),
        )?;
        tlog_entry_v2(&answer)?
    } else {
        let answer = http.post(
            "Rekor",
            &format!("{}/api/v1/log/entries", services.rekor),
            proposal.encode(),
        )?;
        let answer = LogEntry::parse(answer.as_bytes())
            .map_err(|e| service("Rekor", format!("answer is not a log entry: {e}")))?;
        consistent_with_log(&http, &services.rekor, &answer)?;
        tlog_entry(answer, &proposal)
    };

    Ok(Bundle {
        media_type: MediaType::V0_3,
        verification_material: VerificationMaterial {
            content: SignerMaterial::Certificate(X509Certificate {
                raw_bytes: leaf_der,
            }),
            tlog_entries: vec![entry],
            timestamp_verification_data,
        },
        content,
    })
}

/// The bundle's `TransparencyLogEntry` from Rekor v1's answer to `proposal`.
fn tlog_entry(answer: LogEntry, proposal: &ProposedEntry) -> TransparencyLogEntry {
    let e = answer.entry;
    let proof = e.verification.inclusion_proof;
    TransparencyLogEntry {
        canonicalized_body: e.body,
        inclusion_promise: Some(InclusionPromise {
            signed_entry_timestamp: e.verification.signed_entry_timestamp,
        }),
        inclusion_proof: Some(InclusionProof {
            checkpoint: Some(Checkpoint {
                envelope: proof.checkpoint,
            }),
            hashes: proof.hashes,
            log_index: proof.log_index,
            root_hash: proof.root_hash,
            tree_size: proof.tree_size,
        }),
        integrated_time: Some(e.integrated_time),
        kind_version: KindVersion {
            kind: proposal.kind().to_owned(),
            version: proposal.api_version().to_owned(),
        },
        log_id: LogId {
            key_id: e.log_id.to_vec(),
        },
        log_index: e.log_index,
    }
}

/// The bundle's `TransparencyLogEntry` from Rekor v2's answer, which is one already: kept
/// whole but for the `integratedTime` and `inclusionPromise` a v2 log leaves unset. No
/// split-view check here: v2 serves no consistency proof, only tiles.
fn tlog_entry_v2(answer: &str) -> Result<TransparencyLogEntry, SignError> {
    let mut entry = TransparencyLogEntry::parse(answer.as_bytes()).map_err(|e| {
        service(
            "Rekor",
            format!("answer is not a TransparencyLogEntry: {e}"),
        )
    })?;
    let checkpoint = entry
        .inclusion_proof
        .as_ref()
        .and_then(|p| p.checkpoint.as_ref());
    if checkpoint.is_none_or(|c| c.envelope.is_empty()) {
        return Err(service(
            "Rekor",
            "answer has no inclusion proof with a checkpoint",
        ));
    }
    entry.integrated_time = None;
    entry.inclusion_promise = None;
    Ok(entry)
}

/// Checks Rekor's answer against the log's own view (`GET /api/v1/log`, then a consistency
/// proof): a proof in a tree the log shows no one else is a split view, and the bundle would
/// carry a checkpoint no monitor ever sees. Done at signing time, the one moment the log is
/// surely online; the sizes and roots compared come from the log's two answers.
fn consistent_with_log(http: &Http, rekor: &str, answer: &LogEntry) -> Result<(), SignError> {
    let split = |m: String| service("Rekor", format!("split view: {m}"));
    let uuid = &answer.uuid;
    let proof = &answer.entry.verification.inclusion_proof;
    let size = proof.tree_size;
    let root = tlog::Hash(proof.root_hash);
    // A sharded log's UUIDs start with the shard's tree ID (16 hex digits).
    let tree_id = (uuid.len() == 80)
        .then(|| {
            uuid.get(..16)
                .and_then(|id| u64::from_str_radix(id, 16).ok())
        })
        .flatten();
    let url = format!("{rekor}/api/v1/log");
    let info = LogInfo::parse(http.get("Rekor", &url)?.as_bytes())
        .map_err(|e| service("Rekor", format!("{url}: {e}")))?;
    let active = rekor_v1::ShardInfo {
        root_hash: info.root_hash,
        signed_tree_head: info.signed_tree_head,
        tree_id: info.tree_id,
        tree_size: info.tree_size,
    };
    let shard = std::iter::once(active)
        .chain(info.inactive_shards)
        .find(|s| tree_id.is_none() || Some(s.tree_id) == tree_id)
        .ok_or_else(|| {
            service(
                "Rekor",
                format!("GET /api/v1/log lists no shard with the entry's tree ID {tree_id:?}"),
            )
        })?;
    let log_size = shard.tree_size;
    let log_root = tlog::Hash(shard.root_hash);
    if log_size < size {
        return Err(split(format!(
            "the entry's proof is in a tree of {size} entries, the log's own tree has {log_size}"
        )));
    }
    if log_size == size {
        return match log_root == root {
            true => Ok(()),
            false => Err(split(format!(
                "two roots for a tree of {size} entries: {} in the entry's proof, {} from GET \
                 /api/v1/log",
                root.to_hex(),
                log_root.to_hex()
            ))),
        };
    }
    let mut url = format!("{rekor}/api/v1/log/proof?firstSize={size}&lastSize={log_size}");
    if let Some(id) = tree_id {
        url.push_str(&format!("&treeID={id}"));
    }
    let consistency = rekor_v1::ConsistencyProof::parse(http.get("Rekor", &url)?.as_bytes())
        .map_err(|e| service("Rekor", format!("{url}: {e}")))?;
    let hashes: Vec<tlog::Hash> = consistency.hashes.into_iter().map(tlog::Hash).collect();
    tlog::proof::verify_consistency(size, log_size, &hashes, &root, &log_root).map_err(|e| {
        split(format!(
            "the entry's tree ({size} entries, root {}) does not extend into the log's ({log_size} \
             entries, root {}): {e}",
            root.to_hex(),
            log_root.to_hex()
        ))
    })
}

/// An RFC 3161 timestamp over `signature` (SHA-256 imprint, our nonce, certReq set).
fn timestamp(
    http: &Http,
    url: &str,
    signature: &[u8],
    mut nonce: [u8; 8],
) -> Result<Vec<u8>, SignError> {
    use x509_tsp::{MessageImprint, TimeStampReq, TspVersion};
    // Positive and minimal as DER wants: top bit clear, first byte non-zero.
    nonce[0] = (nonce[0] & 0x7f) | 0x01;
    let request = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: formats::oid::ID_SHA_256,
                parameters: None,
            },
            hashed_message: der::asn1::OctetString::new(Sha256::digest(signature).to_vec())
                .map_err(|e| SignError::Crypto(format!("imprint: {e}")))?,
        },
        req_policy: None,
        nonce: Some(
            der::asn1::Int::new(&nonce).map_err(|e| SignError::Crypto(format!("nonce: {e}")))?,
        ),
        cert_req: true,
        extensions: None,
    }
    .to_der()
    .map_err(|e| SignError::Crypto(format!("timestamp request: {e}")))?;
    let (status, body) = http.exchange("TSA", "POST", url, || {
        http.client
            .post(url)
            .header("content-type", "application/timestamp-query")
            .body(request.clone())
    })?;
    if !status.is_success() {
        return Err(service(
            "TSA",
            format!(
                "{url} answered {status}: {}",
                String::from_utf8_lossy(&body)
            ),
        ));
    }
    granted(&body)
}

/// Checks that `resp` is a granted `TimeStampResp` holding a token, and returns it whole: a
/// bundle's `signedTimestamp` is the DER TimeStampResp (protobuf-specs), which is what
/// sigstore-python insists on.
fn granted(resp: &[u8]) -> Result<Vec<u8>, SignError> {
    use der::Decode;
    let parsed = x509_tsp::TimeStampResp::from_der(resp)
        .map_err(|e| service("TSA", format!("answer is not a TimeStampResp: {e}")))?;
    let ok = matches!(
        parsed.status.status,
        cmpv2::status::PkiStatus::Accepted | cmpv2::status::PkiStatus::GrantedWithMods
    );
    if !ok {
        return Err(service("TSA", format!("status {:?}", parsed.status.status)));
    }
    if parsed.time_stamp_token.is_none() {
        return Err(service("TSA", "granted answer holds no timeStampToken"));
    }
    Ok(resp.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_is_verified_email_else_sub() {
        let jwt = |claims: &str| format!("e30.{}.sig", B64URL.encode(claims));
        assert_eq!(
            token_subject(&jwt(r#"{"email":"a@b.c","email_verified":true,"sub":"x"}"#)).unwrap(),
            "a@b.c"
        );
        assert_eq!(
            token_subject(&jwt(
                r#"{"email":"a@b.c","email_verified":"true","sub":"x"}"#
            ))
            .unwrap(),
            "a@b.c"
        );
        assert_eq!(
            token_subject(&jwt(r#"{"sub":"repo:x"}"#)).unwrap(),
            "repo:x"
        );
        assert!(token_subject(&jwt(r#"{"email":"a@b.c","sub":"x"}"#)).is_err());
        assert!(token_subject(&jwt(r#"{"email":7}"#)).is_err());
        assert!(token_subject("nope").is_err());
    }

    #[test]
    fn services_come_from_the_signing_config() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let svc = |url: &str, v: u32, start: &str, end: Option<&str>| {
            let end = end.map(|e| format!(r#","end":"{e}""#)).unwrap_or_default();
            format!(
                r#"{{"url":"{url}","majorApiVersion":{v},"validFor":{{"start":"{start}"{end}}},"operator":"t"}}"#
            )
        };
        let config = |rekors: &[String], tsas: &[String]| {
            format!(
                r#"{{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","caUrls":[{},{}],"oidcUrls":[],"rekorTlogUrls":[{}],"tsaUrls":[{}]}}"#,
                svc(
                    "http://old",
                    1,
                    "2020-01-01T00:00:00Z",
                    Some("2021-01-01T00:00:00Z")
                ),
                svc("http://ca/", 1, "2020-01-01T00:00:00Z", None),
                rekors.join(","),
                tsas.join(","),
            )
        };
        let services = |config: String| Services::from_signing_config(config.as_bytes(), now);
        let rekor1 = svc("http://rekor", 1, "2020-01-01T00:00:00Z", None);
        let rekor2 = svc("http://rekor2", 2, "2020-01-01T00:00:00Z", None);
        let tsa_later = svc(
            "http://tsa/api/v1/timestamp",
            1,
            "2099-01-01T00:00:00Z",
            None,
        );
        let tsa_now = svc(
            "http://tsa/api/v1/timestamp",
            1,
            "2020-01-01T00:00:00Z",
            None,
        );
        // Rekor v2 is the highest version offered, but without a TSA valid now it cannot be
        // used: a v2 entry carries no time.
        let err = services(config(
            &[rekor2.clone(), rekor1.clone()],
            std::slice::from_ref(&tsa_later),
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("no TSA"), "{err}");
        let s = services(config(std::slice::from_ref(&rekor1), &[tsa_later])).unwrap();
        assert_eq!(s.fulcio, "http://ca");
        assert_eq!((s.rekor.as_str(), s.rekor_api), ("http://rekor", 1));
        assert_eq!(s.tsa, None, "a TSA not yet valid is not used");
        let s = services(config(&[rekor2, rekor1], &[tsa_now])).unwrap();
        assert_eq!((s.rekor.as_str(), s.rekor_api), ("http://rekor2", 2));
    }
}
