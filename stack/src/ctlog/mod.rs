//! An RFC 6962 certificate transparency log on `tlog`, as Fulcio's CT log: chains and
//! precertificate chains that end at an accepted root go in, v1 SCTs come out.
//!
//! Entries are appended (durably, through the sequencer) before the SCT is returned, so the
//! maximum merge delay is zero: every SCT's entry is already in the tree. A resubmitted entry
//! gets its first SCT back. Fulcio calls [`CtLog::add_pre_chain`] in-process; the same
//! operations are served under `/ct/v1/` for anyone else.

pub mod routes;

use std::path::Path;
use std::sync::{Arc, RwLock};

use crate::generations::Set;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use formats::ct::{self, Sct, SignedEntry};
use formats::oid::CT_PRECERT_POISON;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest, Sha256};
use tlog::proof::ProofError;
use tlog::sequencer::SequenceError;
use tlog::store::{Entry, StoreError};
use tlog::{Hash, leaf_hash};
use x509_cert::Certificate;

pub use routes::routes;

use crate::clock::Clock;
use crate::http::ApiError;
use crate::keys::{KeyRing, Role};
use crate::pubkey::Verifier;

/// The precertificate poison extension, under the name the fuzz seeds use.
pub use formats::oid::CT_PRECERT_POISON as POISON_OID;
/// The embedded SCT list extension, under the name the fuzz seeds use.
pub use formats::oid::CT_PRECERT_SCTS as SCT_LIST_OID;

/// Most entries one `get-entries` answers (clients page).
pub const MAX_GET_ENTRIES: u64 = 256;
/// Longest chain taken.
const MAX_CHAIN: usize = 8;

/// Why the CT log refused a request or failed it; [`Error::status`] is the one place each maps
/// to its status code. 4xx variants are the client's; 5xx ones are the log's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not JSON this log reads: malformed, too deep, a key twice (400).
    #[error("{0}")]
    Body(String),
    /// The body is JSON but not an `add-chain` request (400).
    #[error(transparent)]
    Format(#[from] formats::ct::ParseError),
    /// A query string that does not parse (400).
    #[error("{0}")]
    Query(String),
    /// The chain is malformed or does not verify (400).
    #[error("{0}")]
    Chain(String),
    /// `get-sth-consistency` sizes out of order or beyond the tree (400).
    #[error("want 0 <= first <= second <= tree size {size}, got first={first} second={second}")]
    ConsistencyRange {
        /// `first`.
        first: u64,
        /// `second`.
        second: u64,
        /// The tree size.
        size: u64,
    },
    /// A `get-proof-by-hash` tree size of 0 or beyond the tree (400).
    #[error("tree_size {tree_size} must be in 1..={size}")]
    ProofTreeSize {
        /// `tree_size`.
        tree_size: u64,
        /// The tree size.
        size: u64,
    },
    /// A `get-proof-by-hash` hash that is not a base64 SHA-256 (400).
    #[error("hash is not a base64 SHA-256 leaf hash")]
    LeafHash,
    /// No leaf with this hash in the tree of this size (404).
    #[error("no leaf with hash {hash} in the tree of size {tree_size}")]
    NoLeaf {
        /// The hash, as sent.
        hash: String,
        /// `tree_size`.
        tree_size: u64,
    },
    /// `get-entries` with `start` after `end` (400).
    #[error("start {start} is after end {end}")]
    EntriesOrder {
        /// `start`.
        start: u64,
        /// `end`.
        end: u64,
    },
    /// `get-entries` from beyond the tree (400).
    #[error("start {start} is beyond the tree size {size}")]
    EntriesStart {
        /// `start`.
        start: u64,
        /// The tree size.
        size: u64,
    },
    /// An entry below the tree size that is not stored, or whose leaf is corrupt (500).
    #[error("entry {index} {problem}")]
    Corrupt {
        /// The index.
        index: u64,
        /// What is wrong (`is missing`, `has a corrupt leaf`).
        problem: &'static str,
    },
    /// The sequencer failed the append (500).
    #[error("{0}")]
    Sequence(SequenceError),
    /// The log is shutting down (500).
    #[error("the log is shutting down")]
    ShuttingDown,
    /// Storage failed (500).
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Building a proof failed (500).
    #[error("{0}")]
    Proof(#[from] ProofError),
    /// Our own DER did not encode or decode (500).
    #[error("{0}")]
    Der(#[from] der::Error),
}

impl Error {
    /// The status code of this failure: the one place it is decided.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Body(_)
            | Self::Format(_)
            | Self::Query(_)
            | Self::Chain(_)
            | Self::ConsistencyRange { .. }
            | Self::ProofTreeSize { .. }
            | Self::LeafHash
            | Self::EntriesOrder { .. }
            | Self::EntriesStart { .. } => StatusCode::BAD_REQUEST,
            Self::NoLeaf { .. } => StatusCode::NOT_FOUND,
            Self::Corrupt { .. }
            | Self::Sequence(_)
            | Self::ShuttingDown
            | Self::Store(_)
            | Self::Proof(_)
            | Self::Der(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        ApiError::from_status(self.status(), self.to_string()).into_response()
    }
}

/// Every CT log generation, oldest first; the last one issues SCTs and answers `/ct/v1/`.
/// Retired logs stay in the trusted root (with an end) so their SCTs keep verifying.
#[derive(Debug)]
pub struct CtLogs(Set<CtLog>);

impl CtLogs {
    /// The logs opened so far (at least one), oldest first.
    pub fn new(logs: Vec<Arc<CtLog>>) -> Self {
        Self(Set::new(logs))
    }

    /// Every generation, oldest first.
    pub fn all(&self) -> Vec<Arc<CtLog>> {
        self.0.all()
    }

    /// The current log.
    pub fn current(&self) -> Arc<CtLog> {
        self.0.current()
    }

    /// Makes `log` current; it accepts the roots the previous one did.
    pub fn push(&self, log: Arc<CtLog>) {
        for root in self.current().roots() {
            log.add_root(root);
        }
        self.0.push(log);
    }

    /// Accepts chains ending at this root in every generation.
    pub fn add_root(&self, der: Vec<u8>) {
        for log in self.all() {
            log.add_root(der.clone());
        }
    }
}

/// One CT log (one key generation).
pub struct CtLog {
    log: crate::log::Log,
    key: SigningKey,
    spki: Vec<u8>,
    log_id: [u8; 32],
    clock: Clock,
    /// DER roots whose chains are accepted (Fulcio's, one per CA generation).
    roots: RwLock<Vec<Vec<u8>>>,
}

impl std::fmt::Debug for CtLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtLog")
            .field("log_id", &hex::encode(self.log_id))
            .finish_non_exhaustive()
    }
}

impl CtLog {
    /// Opens generation `generation` with its store in `dir` (created if missing).
    pub fn open(keys: &KeyRing, generation: u32, clock: Clock, dir: &Path) -> anyhow::Result<Self> {
        let key = keys.signing_key(Role::Ctlog, generation);
        let (spki, log_id) = crate::keys::log_identity(&key)?;
        let log = crate::log::Log::open(crate::state::LogName::Ctlog(generation), dir)?;
        Ok(Self {
            log,
            key,
            spki,
            log_id,
            clock,
            roots: RwLock::new(Vec::new()),
        })
    }

    /// Accepts chains ending at this DER root from now on.
    pub fn add_root(&self, der: Vec<u8>) {
        let mut roots = self.roots.write().unwrap_or_else(|e| e.into_inner());
        if !roots.contains(&der) {
            roots.push(der);
        }
    }

    /// The accepted roots, DER.
    pub fn roots(&self) -> Vec<Vec<u8>> {
        self.roots.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// SHA-256 of the DER public key: the SCTs' log ID.
    pub fn log_id(&self) -> [u8; 32] {
        self.log_id
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> &[u8] {
        &self.spki
    }

    /// Entries in the log.
    pub fn tree_size(&self) -> u64 {
        self.log.size().unwrap_or(0)
    }

    /// The SCT of `entry` at `timestamp` (deterministic: RFC 6979).
    pub fn sign_sct(&self, entry: &SignedEntry, timestamp: u64) -> Sct {
        crate::sct::sign(&self.key, self.log_id, entry, timestamp)
    }

    /// `add-chain`: a final certificate and its chain (DER), leaf first.
    pub async fn add_chain(&self, chain: &[Vec<u8>]) -> Result<Sct, Error> {
        let (certs, full) = self.check_chain(chain)?;
        if has_extension(&certs[0], &CT_PRECERT_POISON) {
            return Err(Error::Chain(
                "add-chain got a precertificate (poison extension present); use add-pre-chain"
                    .into(),
            ));
        }
        let mut extra = Vec::new();
        ct::put_chain(&mut extra, &full[1..]);
        self.add(SignedEntry::X509(full[0].clone()), extra).await
    }

    /// `add-pre-chain`: a precertificate (with the critical poison extension) signed directly by
    /// its CA, then the CA's chain (DER), leaf first.
    pub async fn add_pre_chain(&self, chain: &[Vec<u8>]) -> Result<Sct, Error> {
        let (certs, full) = self.check_chain(chain)?;
        let precert = &certs[0];
        let poison = precert
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == CT_PRECERT_POISON);
        match poison {
            Some(p) if p.critical && p.extn_value.as_bytes() == [0x05, 0x00] => {}
            Some(_) => {
                return Err(Error::Chain(
                    "the poison extension must be critical with a NULL value".into(),
                ));
            }
            None => {
                return Err(Error::Chain(
                    "add-pre-chain got no precertificate (no poison extension)".into(),
                ));
            }
        }
        let issuer = Certificate::from_der(&full[1])
            .map_err(|e| Error::Chain(format!("issuer certificate: {e}")))?;
        let issuer_spki = issuer.tbs_certificate.subject_public_key_info.to_der()?;
        let entry = crate::sct::precert_entry(precert, Sha256::digest(&issuer_spki).into())
            .map_err(|e| Error::Chain(format!("re-encoding the TBS: {e}")))?;
        let mut extra = Vec::new();
        ct::put_u24(&mut extra, &full[0]);
        ct::put_chain(&mut extra, &full[1..]);
        self.add(entry, extra).await
    }

    /// Parses and verifies `chain`; returns the parsed certificates and the chain completed with
    /// its root (so the issuer of the leaf is always `full[1]`).
    fn check_chain(&self, chain: &[Vec<u8>]) -> Result<(Vec<Certificate>, Vec<Vec<u8>>), Error> {
        if chain.is_empty() {
            return Err(Error::Chain("chain is empty".into()));
        }
        if chain.len() > MAX_CHAIN {
            return Err(Error::Chain(format!(
                "chain has {} certificates, at most {MAX_CHAIN} are taken",
                chain.len()
            )));
        }
        let mut certs = Vec::with_capacity(chain.len() + 1);
        for (i, der) in chain.iter().enumerate() {
            certs.push(
                Certificate::from_der(der).map_err(|e| {
                    Error::Chain(format!("chain[{i}] is not a DER certificate: {e}"))
                })?,
            );
        }
        for i in 0..certs.len() - 1 {
            signed_by(&chain[i], &certs[i], &certs[i + 1]).map_err(|e| {
                Error::Chain(format!("chain[{i}] is not signed by chain[{}]: {e}", i + 1))
            })?;
        }
        let roots = self.roots.read().unwrap_or_else(|e| e.into_inner()).clone();
        let last = chain.last().expect("not empty");
        let mut full = chain.to_vec();
        if !roots.contains(last) {
            let top = certs.last().expect("not empty");
            let root = roots
                .iter()
                .find(|r| {
                    Certificate::from_der(r)
                        .map(|root| signed_by(last, top, &root).is_ok())
                        .unwrap_or(false)
                })
                .ok_or_else(|| {
                    Error::Chain("chain does not end at a root this log accepts".into())
                })?;
            full.push(root.clone());
            certs.push(Certificate::from_der(root)?);
        } else if full.len() < 2 {
            return Err(Error::Chain(
                "chain is a root alone; submit a certificate it issued".into(),
            ));
        }
        Ok((certs, full))
    }

    async fn add(&self, entry: SignedEntry, extra: Vec<u8>) -> Result<Sct, Error> {
        let identity_key = [b"ct-entry:".as_slice(), &Sha256::digest(entry.identity())].concat();
        // A resubmission gets the SCT it got the first time (RFC 6962 §4.1 allows either).
        if let Some(index) = self.log.lookup(&identity_key)?.first() {
            return self.sct_of(&entry, *index);
        }
        let timestamp = self.clock.unix_millis();
        let stored = Entry {
            leaf: entry.leaf(timestamp),
            extra,
            index_keys: vec![identity_key],
        };
        match self.log.append(stored).await {
            // Durable: the SCT's promise is kept before it is made.
            Ok(_) => Ok(self.sign_sct(&entry, timestamp)),
            Err(SequenceError::Duplicate { index }) => self.sct_of(&entry, index),
            Err(SequenceError::Closed) => Err(Error::ShuttingDown),
            Err(e) => Err(Error::Sequence(e)),
        }
    }

    fn sct_of(&self, entry: &SignedEntry, index: u64) -> Result<Sct, Error> {
        let stored = self.log.entry(index)?.ok_or(Error::Corrupt {
            index,
            problem: "vanished",
        })?;
        let ts = ct::leaf_timestamp(&stored.leaf).ok_or(Error::Corrupt {
            index,
            problem: "has a corrupt leaf",
        })?;
        Ok(self.sign_sct(entry, ts))
    }

    /// `get-sth`: the signed tree head of the current tree.
    pub fn sth(&self) -> Result<ct::SignedTreeHead, Error> {
        let size = self.log.size()?;
        let root = self.log.root(size)?;
        let timestamp = self.clock.unix_millis();
        let sig: DerSignature =
            self.key
                .sign(&ct::tree_head_input(timestamp, size, root.as_bytes()));
        Ok(ct::SignedTreeHead {
            sha256_root_hash: *root.as_bytes(),
            timestamp,
            tree_head_signature: ct::digitally_signed(sig.as_bytes()),
            tree_size: size,
        })
    }

    /// `get-sth-consistency`.
    pub fn consistency(&self, q: ct::ConsistencyQuery) -> Result<ct::ConsistencyProof, Error> {
        let (first, second) = (q.first, q.second);
        let size = self.log.size()?;
        if second > size || first > second {
            return Err(Error::ConsistencyRange {
                first,
                second,
                size,
            });
        }
        let proof = if first == 0 || first == second {
            vec![]
        } else {
            self.log.consistency_proof(first, second)?
        };
        Ok(ct::ConsistencyProof {
            consistency: raw_hashes(&proof),
        })
    }

    /// `get-proof-by-hash`.
    pub fn proof_by_hash(&self, q: &ct::ProofByHashQuery) -> Result<ct::InclusionProof, Error> {
        let tree_size = q.tree_size;
        let hash = B64
            .decode(&q.hash)
            .ok()
            .and_then(|b| Hash::from_slice(&b))
            .ok_or(Error::LeafHash)?;
        let size = self.log.size()?;
        if tree_size == 0 || tree_size > size {
            return Err(Error::ProofTreeSize { tree_size, size });
        }
        let index = self
            .log
            .leaf_index(&hash)?
            .filter(|&index| index < tree_size)
            .ok_or_else(|| Error::NoLeaf {
                hash: q.hash.clone(),
                tree_size,
            })?;
        let proof = self.log.inclusion_proof(index, tree_size)?;
        Ok(ct::InclusionProof {
            audit_path: raw_hashes(&proof),
            leaf_index: index,
        })
    }

    /// `get-entries`: entries `start..=end`, at most [`MAX_GET_ENTRIES`].
    pub fn entries(&self, q: ct::EntriesQuery) -> Result<ct::Entries, Error> {
        let (start, end) = (q.start, q.end);
        let size = self.log.size()?;
        if start > end {
            return Err(Error::EntriesOrder { start, end });
        }
        if start >= size {
            return Err(Error::EntriesStart { start, size });
        }
        let end = end.min(size - 1).min(start + MAX_GET_ENTRIES - 1);
        let mut entries = Vec::new();
        for index in start..=end {
            let e = self.log.entry(index)?.ok_or(Error::Corrupt {
                index,
                problem: "is missing",
            })?;
            entries.push(ct::LeafEntry {
                extra_data: e.extra,
                leaf_input: e.leaf,
            });
        }
        Ok(ct::Entries { entries })
    }

    /// `get-roots`.
    pub fn get_roots(&self) -> ct::Roots {
        ct::Roots {
            certificates: self.roots(),
        }
    }

    /// The leaf hash of the entry with this SCT timestamp (for tests and proofs by hash).
    pub fn leaf_hash_of(entry: &SignedEntry, timestamp: u64) -> Hash {
        leaf_hash(&entry.leaf(timestamp))
    }
}

fn raw_hashes(hashes: &[Hash]) -> Vec<[u8; 32]> {
    hashes.iter().map(|h| *h.as_bytes()).collect()
}

fn has_extension(cert: &Certificate, oid: &ObjectIdentifier) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .any(|e| &e.extn_id == oid)
}

/// Checks that `issuer`'s key signed `cert` (whose DER is `cert_der`).
fn signed_by(
    cert_der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<(), crate::pubkey::Error> {
    let spki = issuer.tbs_certificate.subject_public_key_info.to_der()?;
    let tbs = crate::pubkey::signed_part(cert_der)?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or(crate::pubkey::Error::UnusedBits)?;
    Verifier::from_spki_der(&spki)?.verify_x509(&cert.signature_algorithm.oid, tbs, sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Storage failures are the log's (500) whichever endpoint meets them; range and chain
    /// problems are the client's (400); an unknown leaf is a 404.
    #[tokio::test]
    async fn each_failure_has_its_status_and_says_why() {
        let cases = [
            (Error::Chain("chain is empty".into()), 400),
            (
                Error::ConsistencyRange {
                    first: 3,
                    second: 2,
                    size: 5,
                },
                400,
            ),
            (
                Error::ProofTreeSize {
                    tree_size: 0,
                    size: 5,
                },
                400,
            ),
            (Error::LeafHash, 400),
            (Error::EntriesOrder { start: 2, end: 1 }, 400),
            (
                Error::NoLeaf {
                    hash: "AA==".into(),
                    tree_size: 1,
                },
                404,
            ),
            (
                Error::Store(StoreError::Backend("disk on fire".into())),
                500,
            ),
            (Error::ShuttingDown, 500),
            (
                Error::Corrupt {
                    index: 4,
                    problem: "is missing",
                },
                500,
            ),
        ];
        for (e, status) in cases {
            let message = e.to_string();
            let resp = e.into_response();
            assert_eq!(resp.status().as_u16(), status, "{message}");
            let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["code"], status, "{message}");
            assert!(
                body["message"].as_str().unwrap().contains(&message),
                "{body}"
            );
        }
    }
}
