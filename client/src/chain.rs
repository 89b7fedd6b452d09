//! What ties a certificate to the trusted root: its chain to a trusted authority, valid at the
//! verified times, and its embedded SCTs from trusted CT logs (RFC 6962 §3.2). It sits above
//! [`crate::cert`] (the parsed certificate) and [`crate::trust`] (the authorities and logs).

use der::Decode;
use der::asn1::OctetString;

use crate::cert::Cert;
use crate::error::{Result, VerifyError, bail, ensure};
use crate::keys::HashAlg;
use crate::trust::{Authority, LogInstance};
use crate::wire::{fmt_time, sha256};
use formats::oid::{CT_PRECERT_POISON, CT_PRECERT_SCTS};

/// Finds the trusted authority whose chain issues `leaf`, checking every link and that every
/// certificate and the authority itself are valid at each of `times`.
pub(crate) fn verify_chain<'a>(
    leaf: &Cert,
    authorities: &'a [Authority],
    times: &[i64],
    kind: &str,
) -> Result<&'a Authority> {
    let mut last_err = None;
    for auth in authorities {
        let Some(first) = auth.chain.first() else {
            continue;
        };
        if !leaf.issued_by(first) {
            continue;
        }
        match check_authority_chain(auth, times, kind, false) {
            Ok(()) => return Ok(auth),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        VerifyError::new(format!(
            "certificate issuer `{}` is not a trusted {kind}",
            leaf.cert.tbs_certificate.issuer
        ))
    }))
}

/// Checks a trusted authority's own chain at `times`; `first_is_leaf` for TSA chains, whose first
/// certificate is the signer rather than a CA.
pub(crate) fn check_authority_chain(
    auth: &Authority,
    times: &[i64],
    kind: &str,
    first_is_leaf: bool,
) -> Result<()> {
    for &t in times {
        ensure!(
            auth.valid_for.contains(t),
            "{kind} {} is not valid at {} in the trusted root",
            auth.uri,
            fmt_time(t)
        );
    }
    for (i, c) in auth.chain.iter().enumerate() {
        for &t in times {
            ensure!(
                c.valid_at(t),
                "{kind} certificate `{}` not valid at {}",
                c.subject(),
                fmt_time(t)
            );
        }
        if i > 0 || !first_is_leaf {
            ensure!(
                c.is_ca()?,
                "{kind} certificate `{}` is not a CA",
                c.subject()
            );
        }
        let issuer = auth.chain.get(i + 1).unwrap_or(c);
        ensure!(
            c.issued_by(issuer),
            "{kind} certificate `{}` is not signed by `{}`",
            c.subject(),
            issuer.subject()
        );
    }
    Ok(())
}

/// Verifies the leaf's embedded SCTs: at least one from a trusted CT log, and none from a
/// trusted log that fails to verify.
pub(crate) fn verify_scts(leaf: &Cert, issuer: &Cert, ctlogs: &[LogInstance]) -> Result<()> {
    ensure!(
        leaf.extension(CT_PRECERT_POISON).is_none(),
        "certificate is a precertificate (has the CT poison extension)"
    );
    let ext = leaf
        .extension(CT_PRECERT_SCTS)
        .ok_or_else(|| VerifyError::new("certificate has no embedded SCTs"))?;
    let list = OctetString::from_der(ext)
        .map_err(|e| VerifyError::new(format!("SCT list extension is malformed: {e}")))?;
    let list = list.as_bytes();
    let mut r = Reader(list);
    let total = r.u16()? as usize;
    ensure!(
        total == r.0.len(),
        "SCT list length does not match its contents"
    );
    let tbs = leaf.precert_tbs()?;
    let issuer_key_hash = sha256(&issuer.key.spki);
    let mut verified = 0;
    while !r.0.is_empty() {
        let len = r.u16()? as usize;
        let sct = r.take(len)?;
        if verify_sct(sct, &tbs, &issuer_key_hash, ctlogs)? {
            verified += 1;
        }
    }
    ensure!(verified > 0, "no SCT from a trusted CT log");
    Ok(())
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        ensure!(self.0.len() >= n, "SCT is truncated");
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
    }
}

/// Verifies one SCT (RFC 6962 §3.2); `Ok(false)` if its log is not trusted.
fn verify_sct(
    sct: &[u8],
    tbs: &[u8],
    issuer_key_hash: &[u8; 32],
    ctlogs: &[LogInstance],
) -> Result<bool> {
    let mut r = Reader(sct);
    let version = r.u8()?;
    ensure!(version == 0, "SCT version {version} is not v1");
    let log_id = r.take(32)?;
    let timestamp = r.u64()?;
    let ext_len = r.u16()? as usize;
    let extensions = r.take(ext_len)?;
    let hash = r.u8()?;
    let sig_alg = r.u8()?;
    let sig_len = r.u16()? as usize;
    let sig = r.take(sig_len)?;
    ensure!(r.0.is_empty(), "SCT has trailing bytes");
    let Some(log) = ctlogs.iter().find(|l| l.log_id == log_id) else {
        return Ok(false);
    };
    let hex_id = hex::encode(log_id);
    ensure!(
        hash == 4,
        "SCT from ctlog {hex_id} uses hash {hash}, not SHA-256"
    );
    let _ = sig_alg;
    let t = i64::try_from(timestamp / 1000).unwrap_or(i64::MAX);
    ensure!(
        log.valid_for.contains(t),
        "SCT time {} is outside ctlog {hex_id}'s validity in the trusted root",
        fmt_time(t)
    );
    ensure!(tbs.len() < 1 << 24, "precertificate TBS is too long");
    let mut signed = Vec::with_capacity(tbs.len() + 64);
    signed.push(0); // version v1
    signed.push(0); // signature_type certificate_timestamp
    signed.extend_from_slice(&timestamp.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    signed.extend_from_slice(issuer_key_hash);
    signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
    signed.extend_from_slice(tbs);
    signed.extend_from_slice(&(ext_len as u16).to_be_bytes());
    signed.extend_from_slice(extensions);
    if !log.key.verify(HashAlg::Sha256, &signed, sig) {
        bail!("SCT signature does not verify against ctlog {hex_id}");
    }
    Ok(true)
}
