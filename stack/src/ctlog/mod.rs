//! An RFC 6962 certificate transparency log on `tlog`, as Fulcio's CT log: chains and
//! precertificate chains that end at an accepted root go in, v1 SCTs come out.
//!
//! Entries are appended (durably, through the sequencer) before the SCT is returned, so the
//! maximum merge delay is zero: every SCT's entry is already in the tree. A resubmitted entry
//! gets its first SCT back. Fulcio calls [`CtLog::add_pre_chain`] in-process; the same
//! operations are served under `/ct/v1/` for anyone else.

pub mod routes;
pub mod sct;

use std::path::Path;
use std::sync::{Arc, RwLock};

use crate::generations::Set;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use formats::ct;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest, Sha256};
use tlog::proof::{ProofError, consistency_proof, inclusion_proof, root_at};
use tlog::sequencer::{SequenceError, Sequencer};
use tlog::store::{Entry, Guarded, LogStore, RocksStore, StoreError};
use tlog::{Hash, leaf_hash};
use x509_cert::Certificate;

pub use routes::routes;
pub use sct::{Sct, SignedEntry};

use crate::clock::Clock;
use crate::http::ApiError;
use crate::keys::{KeyRing, Role};
use crate::pubkey::Verifier;

/// The precertificate poison extension (RFC 6962 §3.1), critical, value NULL.
pub const POISON_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
/// The embedded SCT list extension (RFC 6962 §3.3).
pub const SCT_LIST_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// Largest batch the sequencer commits in one synced write.
const MAX_BATCH: usize = 256;
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
        let status = self.status();
        if status.is_server_error() {
            ApiError::internal(self.to_string()).into_response()
        } else {
            ApiError::new(status, self.to_string()).into_response()
        }
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
    store: Arc<Guarded<RocksStore>>,
    sequencer: Sequencer<Guarded<RocksStore>>,
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
        let store = crate::state::open_log(crate::state::LogName::Ctlog(generation), dir)?;
        let sequencer = Sequencer::new(store.clone(), MAX_BATCH);
        Ok(Self {
            store,
            sequencer,
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
        self.store.tree_size().unwrap_or(0)
    }

    /// The SCT of `entry` at `timestamp` (deterministic: RFC 6979).
    pub fn sign_sct(&self, entry: &SignedEntry, timestamp: u64) -> Sct {
        let sig: DerSignature = self.key.sign(&entry.sct_input(timestamp));
        Sct {
            log_id: self.log_id,
            timestamp,
            signature: sig.as_bytes().to_vec(),
        }
    }

    /// `add-chain`: a final certificate and its chain (DER), leaf first.
    pub async fn add_chain(&self, chain: &[Vec<u8>]) -> Result<Sct, Error> {
        let (certs, full) = self.check_chain(chain)?;
        if has_extension(&certs[0], &POISON_OID) {
            return Err(Error::Chain(
                "add-chain got a precertificate (poison extension present); use add-pre-chain"
                    .into(),
            ));
        }
        let mut extra = Vec::new();
        put_chain(&mut extra, &full[1..]);
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
            .find(|e| e.extn_id == POISON_OID);
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
        let entry = SignedEntry::Precert {
            issuer_key_hash: Sha256::digest(&issuer_spki).into(),
            tbs: tbs_without(precert, &POISON_OID)
                .map_err(|e| Error::Chain(format!("re-encoding the TBS: {e}")))?,
        };
        let mut extra = Vec::new();
        sct::put_u24(&mut extra, &full[0]);
        put_chain(&mut extra, &full[1..]);
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
        if let Some(index) = self.store.lookup(&identity_key)?.first() {
            return self.sct_of(&entry, *index);
        }
        let timestamp = self.clock.unix_millis();
        let stored = Entry {
            leaf: entry.leaf(timestamp),
            extra,
            index_keys: vec![identity_key],
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.sequencer.submit(
            stored,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        match rx.await {
            Ok(Ok(_)) => Ok(self.sign_sct(&entry, timestamp)),
            Ok(Err(SequenceError::Duplicate { index })) => self.sct_of(&entry, index),
            Ok(Err(e)) => Err(Error::Sequence(e)),
            Err(_) => Err(Error::ShuttingDown),
        }
    }

    fn sct_of(&self, entry: &SignedEntry, index: u64) -> Result<Sct, Error> {
        let stored = self.store.entry(index)?.ok_or(Error::Corrupt {
            index,
            problem: "vanished",
        })?;
        let ts = sct::leaf_timestamp(&stored.leaf).ok_or(Error::Corrupt {
            index,
            problem: "has a corrupt leaf",
        })?;
        Ok(self.sign_sct(entry, ts))
    }

    /// `get-sth`: the signed tree head of the current tree.
    pub fn sth(&self) -> Result<ct::SignedTreeHead, Error> {
        let size = self.store.tree_size()?;
        let root = root_at(&*self.store, size)?;
        let timestamp = self.clock.unix_millis();
        let sig: DerSignature =
            self.key
                .sign(&sct::tree_head_input(timestamp, size, root.as_bytes()));
        Ok(ct::SignedTreeHead {
            sha256_root_hash: *root.as_bytes(),
            timestamp,
            tree_head_signature: sct::digitally_signed(sig.as_bytes()),
            tree_size: size,
        })
    }

    /// `get-sth-consistency`.
    pub fn consistency(&self, q: ct::ConsistencyQuery) -> Result<ct::ConsistencyProof, Error> {
        let (first, second) = (q.first, q.second);
        let size = self.store.tree_size()?;
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
            consistency_proof(&*self.store, first, second)?
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
        let size = self.store.tree_size()?;
        if tree_size == 0 || tree_size > size {
            return Err(Error::ProofTreeSize { tree_size, size });
        }
        let index = self
            .store
            .leaf_index(&hash)?
            .filter(|&index| index < tree_size)
            .ok_or_else(|| Error::NoLeaf {
                hash: q.hash.clone(),
                tree_size,
            })?;
        let proof = inclusion_proof(&*self.store, index, tree_size)?;
        Ok(ct::InclusionProof {
            audit_path: raw_hashes(&proof),
            leaf_index: index,
        })
    }

    /// `get-entries`: entries `start..=end`, at most [`MAX_GET_ENTRIES`].
    pub fn entries(&self, q: ct::EntriesQuery) -> Result<ct::Entries, Error> {
        let (start, end) = (q.start, q.end);
        let size = self.store.tree_size()?;
        if start > end {
            return Err(Error::EntriesOrder { start, end });
        }
        if start >= size {
            return Err(Error::EntriesStart { start, size });
        }
        let end = end.min(size - 1).min(start + MAX_GET_ENTRIES - 1);
        let mut entries = Vec::new();
        for index in start..=end {
            let e = self.store.entry(index)?.ok_or(Error::Corrupt {
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

/// `ASN.1Cert certificate_chain<0..2^24-1>` of the certificates after the leaf.
fn put_chain(out: &mut Vec<u8>, certs: &[Vec<u8>]) {
    let mut inner = Vec::new();
    for c in certs {
        sct::put_u24(&mut inner, c);
    }
    sct::put_u24(out, &inner);
}

fn has_extension(cert: &Certificate, oid: &ObjectIdentifier) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .any(|e| &e.extn_id == oid)
}

/// The DER TBSCertificate of `cert` with the extension `oid` removed.
pub(crate) fn tbs_without(cert: &Certificate, oid: &ObjectIdentifier) -> der::Result<Vec<u8>> {
    let mut tbs = cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| &e.extn_id != oid);
    }
    tbs.to_der()
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
