//! X.509: certificates, chains to a trusted authority, extensions, and embedded SCTs.

use der::asn1::{ObjectIdentifier, OctetString, Utf8StringRef};
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};

use crate::error::{Result, VerifyError, bail, ensure};
use crate::keys::{HashAlg, PublicKey};
use crate::trust::{Authority, LogInstance};
use crate::wire::{fmt_time, sha256};

const EXT_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const EXT_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXT_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
const EXT_CT_POISON: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
const EXT_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const EXT_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const SAN_OTHER_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");
pub(crate) const EKU_CODE_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
pub(crate) const EKU_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// A parsed certificate, with its DER and key.
#[derive(Debug, Clone)]
pub(crate) struct Cert {
    pub(crate) der: Vec<u8>,
    pub(crate) cert: Certificate,
    tbs_der: Vec<u8>,
    pub(crate) key: PublicKey,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
}

/// The first TLV inside the DER SEQUENCE `der` (the TBSCertificate of a certificate).
fn first_inner_tlv(der: &[u8]) -> Result<&[u8]> {
    fn header(bytes: &[u8]) -> Result<(usize, usize)> {
        // (header length, content length)
        ensure!(bytes.len() >= 2, "certificate DER is truncated");
        let first = bytes[1];
        if first < 0x80 {
            return Ok((2, first as usize));
        }
        let n = (first & 0x7f) as usize;
        ensure!(
            (1..=4).contains(&n) && bytes.len() >= 2 + n,
            "certificate DER has a bad length"
        );
        let len = bytes[2..2 + n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        Ok((2 + n, len))
    }
    let (outer_hdr, _) = header(der)?;
    let inner = &der[outer_hdr..];
    let (hdr, len) = header(inner)?;
    inner
        .get(..hdr + len)
        .ok_or_else(|| VerifyError::new("certificate DER is truncated"))
}

impl Cert {
    pub(crate) fn from_der(der: &[u8]) -> Result<Self> {
        let cert = Certificate::from_der(der)
            .map_err(|e| VerifyError::new(format!("certificate is not valid DER X.509: {e}")))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| VerifyError::new(format!("certificate key does not encode: {e}")))?;
        let key = PublicKey::from_spki_der(&spki)?;
        let validity = &cert.tbs_certificate.validity;
        let secs = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(Self {
            der: der.to_vec(),
            tbs_der: first_inner_tlv(der)?.to_vec(),
            not_before: secs(validity.not_before),
            not_after: secs(validity.not_after),
            cert,
            key,
        })
    }

    pub(crate) fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    pub(crate) fn is_self_issued(&self) -> bool {
        self.cert.tbs_certificate.subject == self.cert.tbs_certificate.issuer
    }

    pub(crate) fn valid_at(&self, t: i64) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// Whether `issuer` names and signs this certificate.
    pub(crate) fn issued_by(&self, issuer: &Cert) -> bool {
        self.cert.tbs_certificate.issuer == issuer.cert.tbs_certificate.subject
            && issuer.key.verify_x509(
                &self.cert.signature_algorithm.oid,
                None,
                &self.tbs_der,
                self.cert.signature.raw_bytes(),
            )
    }

    pub(crate) fn extension(&self, oid: ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    fn decode_ext<'a, T: Decode<'a>>(
        &'a self,
        oid: ObjectIdentifier,
        name: &str,
    ) -> Result<Option<T>> {
        self.extension(oid)
            .map(|v| {
                T::from_der(v).map_err(|e| {
                    VerifyError::new(format!("certificate {name} extension is malformed: {e}"))
                })
            })
            .transpose()
    }

    pub(crate) fn is_ca(&self) -> Result<bool> {
        Ok(self
            .decode_ext::<BasicConstraints>(EXT_BASIC_CONSTRAINTS, "basicConstraints")?
            .is_some_and(|b| b.ca))
    }

    pub(crate) fn has_eku(&self, eku: ObjectIdentifier) -> Result<bool> {
        Ok(self
            .decode_ext::<ExtendedKeyUsage>(EXT_EKU, "extendedKeyUsage")?
            .is_some_and(|e| e.0.contains(&eku)))
    }

    /// Whether keyUsage allows digitalSignature (absent keyUsage allows everything).
    pub(crate) fn allows_digital_signature(&self) -> Result<bool> {
        Ok(self
            .decode_ext::<KeyUsage>(EXT_KEY_USAGE, "keyUsage")?
            .is_none_or(|k| k.0.contains(KeyUsages::DigitalSignature)))
    }

    /// The subject alternative names this verifier can match: email, URI, Sigstore otherName.
    pub(crate) fn sans(&self) -> Result<Vec<String>> {
        let Some(san) = self.decode_ext::<SubjectAltName>(EXT_SAN, "subjectAltName")? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for name in san.0 {
            match name {
                GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                    out.push(s.to_string());
                }
                GeneralName::OtherName(o) if o.type_id == SAN_OTHER_NAME => {
                    if let Ok(s) = o.value.decode_as::<Utf8StringRef<'_>>() {
                        out.push(s.as_str().to_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The OIDC issuer: the DER UTF8String extension 1.3.6.1.4.1.57264.1.8, else the raw
    /// string of the deprecated 1.3.6.1.4.1.57264.1.1.
    pub(crate) fn oidc_issuer(&self) -> Result<Option<String>> {
        if let Some(v) = self.extension(EXT_ISSUER_V2) {
            let s = Utf8StringRef::from_der(v).map_err(|e| {
                VerifyError::new(format!("certificate issuer extension is malformed: {e}"))
            })?;
            return Ok(Some(s.as_str().to_owned()));
        }
        Ok(self
            .extension(EXT_ISSUER_V1)
            .map(|v| String::from_utf8_lossy(v).into_owned()))
    }

    /// The TBSCertificate without the SCT list extension, as the CT log signed it.
    fn precert_tbs(&self) -> Result<Vec<u8>> {
        let mut tbs = self.cert.tbs_certificate.clone();
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.retain(|e| e.extn_id != EXT_SCT_LIST);
        }
        tbs.to_der()
            .map_err(|e| VerifyError::new(format!("precertificate TBS does not encode: {e}")))
    }
}

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
        leaf.extension(EXT_CT_POISON).is_none(),
        "certificate is a precertificate (has the CT poison extension)"
    );
    let ext = leaf
        .extension(EXT_SCT_LIST)
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
