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

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tlog::proof::{consistency_proof, inclusion_proof, root_at};
use tlog::sequencer::{SequenceError, Sequencer};
use tlog::store::{Entry, Guarded, LogStore, RocksStore};
use tlog::{Hash, leaf_hash};
use x509_cert::Certificate;

pub use routes::routes;
pub use sct::{Sct, SignedEntry};

use crate::clock::Clock;
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

/// Why a submission was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtError {
    /// The chain is malformed or does not verify (400).
    Invalid(String),
    /// Storage failed (500).
    Internal(String),
}

impl std::fmt::Display for CtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(m) | Self::Internal(m) => f.write_str(m),
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
    pub async fn add_chain(&self, chain: &[Vec<u8>]) -> Result<Sct, CtError> {
        let (certs, full) = self.check_chain(chain)?;
        if has_extension(&certs[0], &POISON_OID) {
            return Err(CtError::Invalid(
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
    pub async fn add_pre_chain(&self, chain: &[Vec<u8>]) -> Result<Sct, CtError> {
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
                return Err(CtError::Invalid(
                    "the poison extension must be critical with a NULL value".into(),
                ));
            }
            None => {
                return Err(CtError::Invalid(
                    "add-pre-chain got no precertificate (no poison extension)".into(),
                ));
            }
        }
        let issuer = Certificate::from_der(&full[1])
            .map_err(|e| CtError::Invalid(format!("issuer certificate: {e}")))?;
        let issuer_spki = issuer
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CtError::Internal(e.to_string()))?;
        let entry = SignedEntry::Precert {
            issuer_key_hash: Sha256::digest(&issuer_spki).into(),
            tbs: tbs_without(precert, &POISON_OID)
                .map_err(|e| CtError::Invalid(format!("re-encoding the TBS: {e}")))?,
        };
        let mut extra = Vec::new();
        sct::put_u24(&mut extra, &full[0]);
        put_chain(&mut extra, &full[1..]);
        self.add(entry, extra).await
    }

    /// Parses and verifies `chain`; returns the parsed certificates and the chain completed with
    /// its root (so the issuer of the leaf is always `full[1]`).
    fn check_chain(&self, chain: &[Vec<u8>]) -> Result<(Vec<Certificate>, Vec<Vec<u8>>), CtError> {
        if chain.is_empty() {
            return Err(CtError::Invalid("chain is empty".into()));
        }
        if chain.len() > MAX_CHAIN {
            return Err(CtError::Invalid(format!(
                "chain has {} certificates, at most {MAX_CHAIN} are taken",
                chain.len()
            )));
        }
        let mut certs = Vec::with_capacity(chain.len() + 1);
        for (i, der) in chain.iter().enumerate() {
            certs.push(Certificate::from_der(der).map_err(|e| {
                CtError::Invalid(format!("chain[{i}] is not a DER certificate: {e}"))
            })?);
        }
        for i in 0..certs.len() - 1 {
            signed_by(&chain[i], &certs[i], &certs[i + 1]).map_err(|e| {
                CtError::Invalid(format!("chain[{i}] is not signed by chain[{}]: {e}", i + 1))
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
                    CtError::Invalid("chain does not end at a root this log accepts".into())
                })?;
            full.push(root.clone());
            certs.push(Certificate::from_der(root).map_err(|e| CtError::Internal(e.to_string()))?);
        } else if full.len() < 2 {
            return Err(CtError::Invalid(
                "chain is a root alone; submit a certificate it issued".into(),
            ));
        }
        Ok((certs, full))
    }

    async fn add(&self, entry: SignedEntry, extra: Vec<u8>) -> Result<Sct, CtError> {
        let identity_key = [b"ct-entry:".as_slice(), &Sha256::digest(entry.identity())].concat();
        // A resubmission gets the SCT it got the first time (RFC 6962 §4.1 allows either).
        if let Some(index) = self
            .store
            .lookup(&identity_key)
            .map_err(|e| CtError::Internal(e.to_string()))?
            .first()
        {
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
            Ok(Err(e)) => Err(CtError::Internal(e.to_string())),
            Err(_) => Err(CtError::Internal("the log is shutting down".into())),
        }
    }

    fn sct_of(&self, entry: &SignedEntry, index: u64) -> Result<Sct, CtError> {
        let stored = self
            .store
            .entry(index)
            .map_err(|e| CtError::Internal(e.to_string()))?
            .ok_or_else(|| CtError::Internal(format!("entry {index} vanished")))?;
        let ts = sct::leaf_timestamp(&stored.leaf)
            .ok_or_else(|| CtError::Internal(format!("entry {index} has a corrupt leaf")))?;
        Ok(self.sign_sct(entry, ts))
    }

    /// `get-sth`: the signed tree head of the current tree.
    pub fn sth(&self) -> Result<Value, String> {
        let size = self.store.tree_size().map_err(|e| e.to_string())?;
        let root = root_at(&*self.store, size).map_err(|e| e.to_string())?;
        let timestamp = self.clock.unix_millis();
        let sig: DerSignature =
            self.key
                .sign(&sct::tree_head_input(timestamp, size, root.as_bytes()));
        Ok(json!({
            "tree_size": size,
            "timestamp": timestamp,
            "sha256_root_hash": B64.encode(root.as_bytes()),
            "tree_head_signature": B64.encode(sct::digitally_signed(sig.as_bytes())),
        }))
    }

    /// `get-sth-consistency`.
    pub fn consistency(&self, first: u64, second: u64) -> Result<Value, String> {
        let size = self.store.tree_size().map_err(|e| e.to_string())?;
        if second > size || first > second {
            return Err(format!(
                "want 0 <= first <= second <= tree size {size}, got first={first} second={second}"
            ));
        }
        let proof = if first == 0 || first == second {
            vec![]
        } else {
            consistency_proof(&*self.store, first, second).map_err(|e| e.to_string())?
        };
        Ok(json!({ "consistency": encode_hashes(&proof) }))
    }

    /// `get-proof-by-hash`: `None` when no leaf has this hash in the tree of `tree_size`.
    pub fn proof_by_hash(&self, hash: &Hash, tree_size: u64) -> Result<Option<Value>, String> {
        let size = self.store.tree_size().map_err(|e| e.to_string())?;
        if tree_size == 0 || tree_size > size {
            return Err(format!("tree_size {tree_size} must be in 1..={size}"));
        }
        let Some(index) = self.store.leaf_index(hash).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        if index >= tree_size {
            return Ok(None);
        }
        let proof = inclusion_proof(&*self.store, index, tree_size).map_err(|e| e.to_string())?;
        Ok(Some(json!({
            "leaf_index": index,
            "audit_path": encode_hashes(&proof),
        })))
    }

    /// `get-entries`: entries `start..=end`, at most [`MAX_GET_ENTRIES`].
    pub fn entries(&self, start: u64, end: u64) -> Result<Value, String> {
        let size = self.store.tree_size().map_err(|e| e.to_string())?;
        if start > end {
            return Err(format!("start {start} is after end {end}"));
        }
        if start >= size {
            return Err(format!("start {start} is beyond the tree size {size}"));
        }
        let end = end.min(size - 1).min(start + MAX_GET_ENTRIES - 1);
        let mut out = Vec::new();
        for index in start..=end {
            let e = self
                .store
                .entry(index)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("entry {index} is missing"))?;
            out.push(json!({
                "leaf_input": B64.encode(&e.leaf),
                "extra_data": B64.encode(&e.extra),
            }));
        }
        Ok(json!({ "entries": out }))
    }

    /// `get-roots`.
    pub fn roots_json(&self) -> Value {
        let roots = self.roots.read().unwrap_or_else(|e| e.into_inner());
        json!({ "certificates": roots.iter().map(|r| B64.encode(r)).collect::<Vec<_>>() })
    }

    /// The leaf hash of the entry with this SCT timestamp (for tests and proofs by hash).
    pub fn leaf_hash_of(entry: &SignedEntry, timestamp: u64) -> Hash {
        leaf_hash(&entry.leaf(timestamp))
    }
}

fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h.as_bytes())).collect()
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
fn signed_by(cert_der: &[u8], cert: &Certificate, issuer: &Certificate) -> Result<(), String> {
    let spki = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    let tbs = crate::pubkey::signed_part(cert_der)?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or("signature has unused bits")?;
    Verifier::from_spki_der(&spki)?.verify_x509(&cert.signature_algorithm.oid, tbs, sig)
}
