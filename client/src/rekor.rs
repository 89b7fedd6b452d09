//! Rekor entries: the body against the bundle, the signed entry timestamp (v1), the inclusion
//! proof and the checkpoint (C2SP signed note) it leads to.

use formats::rekor_v1::{self, KindVersion, ParseError, SetPayload};
use formats::rekor_v2;
use tlog::checkpoint::Checkpoint;
use tlog::note::{NoteVerifier, SignedNote};

use crate::bundle::{BundleVersion, Content, InclusionProof, TlogEntry};
use crate::dsse::pae;
use crate::error::{Result, VerifyError, bail, ensure};
use crate::keys::{HashAlg, KeyKind, PublicKey};
use crate::trust::{LogInstance, TrustedRoot};
use crate::wire::{b64, fmt_time, pem_decode, sha256, url_authority, url_host};

/// Who signed, as the log entry must name it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SignerId<'a> {
    /// The leaf certificate's DER.
    Cert(&'a [u8]),
    /// The managed key's SPKI DER.
    Key(&'a [u8]),
}

/// What a verified entry establishes.
#[derive(Debug)]
pub(crate) struct EntryOutcome<'a> {
    pub(crate) log: &'a LogInstance,
    /// The integrated time, when a verified SET vouches for it.
    pub(crate) integrated_time: Option<i64>,
    /// Rekor v2: no integrated time, so a timestamp authority must supply the time.
    pub(crate) v2: bool,
}

fn malformed(e: ParseError) -> VerifyError {
    VerifyError::new(format!("tlog entry body is malformed: {e}"))
}

/// Checks a v1 `publicKey`/`verifier` (base64 of PEM) names the signer.
fn check_pem_signer(b64_pem: &str, signer: SignerId<'_>) -> Result<()> {
    let pem = b64("tlog entry body verifier", b64_pem)?;
    let pem = String::from_utf8(pem)
        .map_err(|_| VerifyError::new("tlog entry body verifier is not PEM text"))?;
    let (label, der) = pem_decode(&pem)?;
    let ok = match signer {
        SignerId::Cert(c) => label == "CERTIFICATE" && der == c,
        SignerId::Key(k) => label == "PUBLIC KEY" && der == k,
    };
    ensure!(
        ok,
        "tlog entry's verifier does not match the bundle's signing material"
    );
    Ok(())
}

/// Checks a v2 `verifier` names the signer.
fn check_v2_signer(verifier: &rekor_v2::Verifier, signer: SignerId<'_>) -> Result<()> {
    let (what, logged, want) = match signer {
        SignerId::Cert(c) => ("certificate", verifier.x509_certificate.as_ref(), c),
        SignerId::Key(k) => ("key", verifier.public_key.as_ref(), k),
    };
    let logged =
        logged.ok_or_else(|| VerifyError::new(format!("tlog entry verifier has no {what}")))?;
    ensure!(
        b64(&format!("tlog entry verifier {what}"), &logged.raw_bytes)? == want,
        "tlog entry's verifier does not match the bundle's signing material"
    );
    Ok(())
}

fn check_sha256_hex(h: &rekor_v1::HashValue, want: &[u8; 32], what: &str) -> Result<()> {
    ensure!(
        h.algorithm == "sha256",
        "tlog entry {what} algorithm `{}` is not sha256",
        h.algorithm
    );
    ensure!(
        h.value.eq_ignore_ascii_case(&hex::encode(want)),
        "tlog entry {what} does not match the bundle"
    );
    Ok(())
}

fn check_sha256_b64(h: &rekor_v2::HashOutput, want: &[u8; 32], what: &str) -> Result<()> {
    ensure!(
        h.algorithm == "SHA2_256",
        "tlog entry {what} algorithm `{}` is not SHA2_256",
        h.algorithm
    );
    ensure!(
        b64(what, &h.digest)? == want,
        "tlog entry {what} does not match the bundle"
    );
    Ok(())
}

/// The logged signatures, each with the envelope signature it must equal; refused unless
/// there are as many of one as of the other.
fn paired<'a, 'b, T>(
    logged: &'a [T],
    envelope: &'b [Vec<u8>],
    what: &str,
) -> Result<std::iter::Zip<std::slice::Iter<'a, T>, std::slice::Iter<'b, Vec<u8>>>> {
    ensure!(
        logged.len() == envelope.len(),
        "tlog entry has {} {what} signatures, the envelope {}",
        logged.len(),
        envelope.len()
    );
    Ok(logged.iter().zip(envelope))
}

/// Checks the entry's body describes this bundle's signature.
fn check_body(
    entry: &TlogEntry,
    content: &Content,
    artifact_digest: &[u8; 32],
    signer: SignerId<'_>,
) -> Result<()> {
    let kv = KindVersion::of_body(&entry.body).map_err(malformed)?;
    ensure!(
        kv.kind == entry.kind && kv.api_version == entry.version,
        "tlog entry body is {} {} but its kindVersion says {} {}",
        kv.kind,
        kv.api_version,
        entry.kind,
        entry.version
    );
    if kv.api_version == "0.0.2" && kv.kind != "intoto" {
        let body = rekor_v2::Body::parse(&entry.body).map_err(malformed)?;
        return check_v2_body(&body, content, artifact_digest, signer);
    }
    let body = rekor_v1::Body::parse(&entry.body).map_err(malformed)?;
    match (&body, content) {
        (rekor_v1::Body::HashedRekord(spec), Content::MessageSignature { signature, .. }) => {
            check_sha256_hex(&spec.data.hash, artifact_digest, "artifact hash")?;
            let sig = b64("tlog entry signature", &spec.signature.content)?;
            ensure!(
                &sig == signature,
                "tlog entry signature does not match the bundle's signature"
            );
            check_pem_signer(&spec.signature.public_key.content, signer)
        }
        (rekor_v1::Body::Dsse(spec), Content::Dsse(env)) => {
            check_sha256_hex(
                &spec.payload_hash,
                &sha256(&env.payload),
                "DSSE payload hash",
            )?;
            for (logged, sig) in paired(&spec.signatures, &env.signatures, "DSSE")? {
                let s = b64("tlog entry DSSE signature", &logged.signature)?;
                ensure!(
                    &s == sig,
                    "tlog entry DSSE signature does not match the envelope's"
                );
                check_pem_signer(&logged.verifier, signer)?;
            }
            Ok(())
        }
        (rekor_v1::Body::Intoto(spec), Content::Dsse(env)) => {
            let logged = &spec.content;
            ensure!(
                logged.envelope.payload_type == env.payload_type,
                "tlog entry in-toto payloadType does not match the envelope's"
            );
            // Rekor may log the payload (double base64) or only its hash; whichever is there
            // must be the envelope's, and one of them must be.
            if let Some(payload) = &logged.envelope.payload {
                let once = b64("tlog entry payload", payload)?;
                let payload = b64(
                    "tlog entry payload",
                    std::str::from_utf8(&once).unwrap_or_default(),
                )?;
                ensure!(
                    payload == env.payload,
                    "tlog entry in-toto payload does not match the envelope's"
                );
            }
            match &logged.payload_hash {
                Some(h) => check_sha256_hex(h, &sha256(&env.payload), "in-toto payload hash")?,
                None => ensure!(
                    logged.envelope.payload.is_some(),
                    "tlog entry in-toto body has neither the payload nor its hash"
                ),
            }
            for (logged, sig) in paired(&logged.envelope.signatures, &env.signatures, "in-toto")? {
                let once = b64("tlog entry in-toto signature", &logged.sig)?;
                let matches = &once == sig
                    || std::str::from_utf8(&once)
                        .ok()
                        .and_then(|s| b64("sig", s).ok())
                        .is_some_and(|twice| &twice == sig);
                ensure!(
                    matches,
                    "tlog entry in-toto signature does not match the envelope's"
                );
                check_pem_signer(&logged.public_key, signer)?;
            }
            Ok(())
        }
        (body, Content::MessageSignature { .. }) => bail!(
            "tlog entry kind {} {} does not fit a message signature bundle",
            body.kind(),
            body.api_version()
        ),
        (body, Content::Dsse(_)) => bail!(
            "tlog entry kind {} {} does not fit a DSSE bundle",
            body.kind(),
            body.api_version()
        ),
    }
}

/// Checks a Rekor v2 body describes this bundle's signature.
fn check_v2_body(
    body: &rekor_v2::Body,
    content: &Content,
    artifact_digest: &[u8; 32],
    signer: SignerId<'_>,
) -> Result<()> {
    match (body, content) {
        (rekor_v2::Body::HashedRekord(spec), _) => {
            let (digest, signature) = match content {
                Content::MessageSignature { signature, .. } => (*artifact_digest, signature),
                Content::Dsse(env) => {
                    ensure!(
                        env.signatures.len() == 1,
                        "DSSE envelope has {} signatures, want 1",
                        env.signatures.len()
                    );
                    (
                        sha256(&pae(&env.payload_type, &env.payload)),
                        &env.signatures[0],
                    )
                }
            };
            check_sha256_b64(&spec.data, &digest, "signed digest")?;
            let sig = b64("tlog entry signature", &spec.signature.content)?;
            ensure!(
                &sig == signature,
                "tlog entry signature does not match the bundle's signature"
            );
            check_v2_signer(&spec.signature.verifier, signer)
        }
        (rekor_v2::Body::Dsse(spec), Content::Dsse(env)) => {
            check_sha256_b64(
                &spec.payload_hash,
                &sha256(&env.payload),
                "DSSE payload hash",
            )?;
            for (logged, sig) in paired(&spec.signatures, &env.signatures, "DSSE")? {
                let s = b64("tlog entry DSSE signature", &logged.content)?;
                ensure!(
                    &s == sig,
                    "tlog entry DSSE signature does not match the envelope's"
                );
                check_v2_signer(&logged.verifier, signer)?;
            }
            Ok(())
        }
        (rekor_v2::Body::Dsse(_), Content::MessageSignature { .. }) => {
            bail!("tlog entry kind dsse 0.0.2 does not fit a message signature bundle")
        }
    }
}

/// A log key as a note verifier, under one candidate key ID.
struct LogNoteKey<'a> {
    name: String,
    key_id: [u8; 4],
    key: &'a PublicKey,
}

impl NoteVerifier for LogNoteKey<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> [u8; 4] {
        self.key_id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.key.verify(HashAlg::Sha256, msg, sig)
    }
}

fn first4(b: &[u8]) -> Option<[u8; 4]> {
    b.get(..4).and_then(|s| s.try_into().ok())
}

/// The key IDs a log's checkpoint signatures may carry: the trusted root's checkpointKeyId if
/// given; otherwise the log ID prefix, the SHA-256 of the SPKI (Rekor v1), and for Ed25519
/// the C2SP key hash SHA-256(name || 0x0A || 0x01 || key).
fn checkpoint_key_ids(log: &LogInstance, name: &str) -> Vec<[u8; 4]> {
    if let Some(id) = log.checkpoint_key_id.as_deref().and_then(first4) {
        return vec![id];
    }
    let mut ids = Vec::new();
    ids.extend(first4(&log.log_id));
    ids.extend(first4(&sha256(&log.key.spki)));
    if log.key.kind == KeyKind::Ed25519 && log.key.spki.len() >= 32 {
        let mut m = name.as_bytes().to_vec();
        m.push(b'\n');
        m.push(0x01);
        m.extend_from_slice(&log.key.spki[log.key.spki.len() - 32..]);
        ids.extend(first4(&sha256(&m)));
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn verify_proof(entry: &TlogEntry, proof: &InclusionProof, log: &LogInstance) -> Result<()> {
    let leaf = tlog::leaf_hash(&entry.body);
    let hashes: Vec<tlog::Hash> = proof.hashes.iter().map(|h| tlog::Hash(*h)).collect();
    let Some(note) = proof.checkpoint.as_deref().filter(|c| !c.is_empty()) else {
        // Say what is wrong with the proof itself first, if anything.
        tlog::proof::verify_inclusion(
            &leaf,
            proof.log_index,
            proof.tree_size,
            &hashes,
            &tlog::Hash(proof.root_hash),
        )
        .map_err(|e| {
            VerifyError::new(format!(
                "inclusion proof does not lead to its root hash: {e}"
            ))
        })?;
        bail!("inclusion proof has no checkpoint");
    };
    // A log names itself by its host (Rekor's configured hostname; rekor-tiles' origin), which
    // sigstore-go and sigstore-java match without the port; logs reached at a port have also
    // named themselves with it (the upstream conformance suite's local Rekor: `localhost:8000`).
    let host = url_host(&log.base_url);
    let authority = url_authority(&log.base_url);
    let names: Vec<&str> = if host == authority {
        vec![host]
    } else {
        vec![host, authority]
    };
    let signed = SignedNote::parse(note)
        .map_err(|e| VerifyError::new(format!("checkpoint is not a signed note: {e}")))?;
    let checkpoint = Checkpoint::parse(&signed.text)
        .map_err(|e| VerifyError::new(format!("checkpoint is malformed: {e}")))?;
    let keys: Vec<LogNoteKey<'_>> = names
        .iter()
        .flat_map(|name| {
            checkpoint_key_ids(log, name)
                .into_iter()
                .map(|key_id| LogNoteKey {
                    name: (*name).to_owned(),
                    key_id,
                    key: &log.key,
                })
        })
        .collect();
    let verifiers: Vec<&dyn NoteVerifier> = keys.iter().map(|k| k as &dyn NoteVerifier).collect();
    signed.verify(&verifiers).map_err(|e| match e {
        tlog::note::NoteError::UnknownKey => VerifyError::new(format!(
            "checkpoint has no signature by log {host} ({})",
            hex::encode(&log.log_id)
        )),
        other => VerifyError::new(format!("checkpoint signature invalid: {other}")),
    })?;
    ensure!(
        names.iter().any(|name| checkpoint.origin == *name
            || checkpoint.origin.starts_with(&format!("{name} - "))),
        "checkpoint origin `{}` is not log {host}",
        checkpoint.origin
    );
    ensure!(
        checkpoint.root.0 == proof.root_hash,
        "checkpoint root hash does not match the inclusion proof's"
    );
    ensure!(
        checkpoint.size == proof.tree_size,
        "checkpoint tree size {} is not the inclusion proof's {}",
        checkpoint.size,
        proof.tree_size
    );
    tlog::proof::verify_inclusion(
        &leaf,
        proof.log_index,
        proof.tree_size,
        &hashes,
        &checkpoint.root,
    )
    .map_err(|e| {
        VerifyError::new(format!(
            "inclusion proof does not lead to the checkpoint root: {e}"
        ))
    })
}

fn verify_set(entry: &TlogEntry, set: &[u8], time: i64, log: &LogInstance) -> Result<()> {
    let log_id: [u8; 32] = entry.log_id.as_slice().try_into().map_err(|_| {
        VerifyError::new(format!(
            "tlog entry log ID is {} bytes, a Rekor v1 log's is 32",
            entry.log_id.len()
        ))
    })?;
    let payload = SetPayload {
        body: entry.body.clone(),
        integrated_time: time,
        log_id,
        log_index: entry.log_index,
    };
    ensure!(
        log.key.verify(HashAlg::Sha256, &payload.encode(), set),
        "signed entry timestamp does not verify against log {}",
        hex::encode(&entry.log_id)
    );
    Ok(())
}

/// Verifies one tlog entry against the bundle's content and signer.
pub(crate) fn verify_entry<'r>(
    entry: &TlogEntry,
    version: BundleVersion,
    root: &'r TrustedRoot,
    content: &Content,
    artifact_digest: &[u8; 32],
    signer: SignerId<'_>,
    now: i64,
) -> Result<EntryOutcome<'r>> {
    let log = root.tlog(&entry.log_id).ok_or_else(|| {
        VerifyError::new(format!(
            "tlog entry's log {} is not in the trusted root",
            hex::encode(&entry.log_id)
        ))
    })?;
    let v2 = match (entry.kind.as_str(), entry.version.as_str()) {
        ("hashedrekord" | "dsse", "0.0.1") | ("intoto", "0.0.2") => false,
        ("hashedrekord" | "dsse", "0.0.2") => true,
        (k, v) => bail!("tlog entry kind {k} {v} is not supported"),
    };
    check_body(entry, content, artifact_digest, signer)?;
    let mut integrated_time = None;
    if v2 {
        ensure!(
            entry.proof.is_some(),
            "Rekor v2 tlog entry has no inclusion proof"
        );
    } else {
        match (&entry.set, entry.integrated_time) {
            (Some(set), Some(t)) => {
                verify_set(entry, set, t, log)?;
                ensure!(
                    t <= now,
                    "integrated time {} is in the future (now {})",
                    fmt_time(t),
                    fmt_time(now)
                );
                ensure!(
                    log.valid_for.contains(t),
                    "integrated time {} is outside log {}'s validity in the trusted root",
                    fmt_time(t),
                    hex::encode(&entry.log_id)
                );
                integrated_time = Some(t);
            }
            (Some(_), None) => bail!("tlog entry has an inclusion promise but no integrated time"),
            (None, _) => ensure!(
                version >= BundleVersion::V0_2,
                "v0.1 bundle tlog entry has no inclusion promise"
            ),
        }
        ensure!(
            version == BundleVersion::V0_1 || entry.proof.is_some(),
            "tlog entry has no inclusion proof"
        );
    }
    if let Some(proof) = &entry.proof {
        verify_proof(entry, proof, log)?;
    }
    Ok(EntryOutcome {
        log,
        integrated_time,
        v2,
    })
}
