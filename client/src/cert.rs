//! X.509: a parsed certificate and its extensions. What ties one to the trusted root (chains,
//! SCTs) is in [`crate::chain`], above both.

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};

use crate::error::{Result, VerifyError, ensure};
use crate::keys::PublicKey;

const EXT_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const EXT_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
pub(crate) const EXT_SCT_LIST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
pub(crate) const EXT_CT_POISON: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
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
    /// The TBS as the CT log signed it: without the SCT list (RFC 6962 §3.2).
    pub(crate) fn precert_tbs(&self) -> Result<Vec<u8>> {
        let mut tbs = self.cert.tbs_certificate.clone();
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.retain(|e| e.extn_id != EXT_SCT_LIST);
        }
        tbs.to_der()
            .map_err(|e| VerifyError::new(format!("precertificate TBS does not encode: {e}")))
    }
}
