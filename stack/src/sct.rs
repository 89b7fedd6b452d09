//! RFC 6962 on X.509 certificates, which the CT log and Fulcio both need: a certificate's TBS
//! less one extension (the precertificate entry, and the check that an embedded SCT signs the
//! final certificate), and an SCT's signature. Neither service's, so neither imports the other;
//! the TLS bytes themselves are `formats::ct`'s.

use der::Encode;
use der::asn1::ObjectIdentifier;
use formats::ct::{Sct, SignedEntry};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use x509_cert::Certificate;

/// The DER TBSCertificate of `cert` with the extension `oid` removed.
pub(crate) fn tbs_without(cert: &Certificate, oid: &ObjectIdentifier) -> der::Result<Vec<u8>> {
    let mut tbs = cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| &e.extn_id != oid);
    }
    tbs.to_der()
}

/// The `precert_entry` of `precert` (RFC 6962 §3.2): its issuer's key hash and its TBS less
/// the poison extension.
pub(crate) fn precert_entry(
    precert: &Certificate,
    issuer_key_hash: [u8; 32],
) -> der::Result<SignedEntry> {
    Ok(SignedEntry::Precert {
        issuer_key_hash,
        tbs: tbs_without(precert, &formats::oid::CT_PRECERT_POISON)?,
    })
}

/// The v1 SCT of `entry` at `timestamp` (ms) under the log `log_id`, signed by `key`
/// (deterministic: RFC 6979). The key need not be the log's: a fault forges one this way.
pub(crate) fn sign(key: &SigningKey, log_id: [u8; 32], entry: &SignedEntry, timestamp: u64) -> Sct {
    let sig: DerSignature = key.sign(&entry.sct_input(timestamp));
    Sct {
        log_id,
        timestamp,
        signature: sig.as_bytes().to_vec(),
    }
}
