//! X.509: a parsed certificate and its extensions. What ties one to the trusted root (chains,
//! SCTs) is in [`crate::chain`], above both.

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::{Decode, Encode, Reader as _};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};

use crate::error::{Result, VerifyError};
use crate::keys::PublicKey;
use formats::oid::{
    CT_PRECERT_SCTS, FULCIO_ISSUER, FULCIO_ISSUER_V2, FULCIO_OTHER_NAME, ID_CE_BASIC_CONSTRAINTS,
    ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE, ID_CE_SUBJECT_ALT_NAME,
};

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

/// The TBSCertificate of the DER certificate `der`, exactly as it was signed: the first TLV
/// inside its outer SEQUENCE (re-encoding the parsed TBS need not give the same bytes).
fn tbs_bytes(der: &[u8]) -> Result<&[u8]> {
    let bad = |e: der::Error| VerifyError::new(format!("certificate DER is malformed: {e}"));
    let mut reader = der::SliceReader::new(der).map_err(bad)?;
    der::Header::decode(&mut reader)
        .and_then(|outer| outer.tag.assert_eq(der::Tag::Sequence))
        .map_err(bad)?;
    reader.tlv_bytes().map_err(bad)
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
            tbs_der: tbs_bytes(der)?.to_vec(),
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
            .decode_ext::<BasicConstraints>(ID_CE_BASIC_CONSTRAINTS, "basicConstraints")?
            .is_some_and(|b| b.ca))
    }

    pub(crate) fn has_eku(&self, eku: ObjectIdentifier) -> Result<bool> {
        Ok(self
            .decode_ext::<ExtendedKeyUsage>(ID_CE_EXT_KEY_USAGE, "extendedKeyUsage")?
            .is_some_and(|e| e.0.contains(&eku)))
    }

    /// Whether keyUsage allows digitalSignature (absent keyUsage allows everything).
    pub(crate) fn allows_digital_signature(&self) -> Result<bool> {
        Ok(self
            .decode_ext::<KeyUsage>(ID_CE_KEY_USAGE, "keyUsage")?
            .is_none_or(|k| k.0.contains(KeyUsages::DigitalSignature)))
    }

    /// The subject alternative names this verifier can match: email, URI, Sigstore otherName.
    pub(crate) fn sans(&self) -> Result<Vec<String>> {
        let Some(san) =
            self.decode_ext::<SubjectAltName>(ID_CE_SUBJECT_ALT_NAME, "subjectAltName")?
        else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for name in san.0 {
            match name {
                GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                    out.push(s.to_string());
                }
                GeneralName::OtherName(o) if o.type_id == FULCIO_OTHER_NAME => {
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
        if let Some(v) = self.extension(FULCIO_ISSUER_V2) {
            let s = Utf8StringRef::from_der(v).map_err(|e| {
                VerifyError::new(format!("certificate issuer extension is malformed: {e}"))
            })?;
            return Ok(Some(s.as_str().to_owned()));
        }
        Ok(self
            .extension(FULCIO_ISSUER)
            .map(|v| String::from_utf8_lossy(v).into_owned()))
    }

    /// The TBSCertificate without the SCT list extension, as the CT log signed it.
    /// The TBS as the CT log signed it: without the SCT list (RFC 6962 §3.2).
    pub(crate) fn precert_tbs(&self) -> Result<Vec<u8>> {
        let mut tbs = self.cert.tbs_certificate.clone();
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.retain(|e| e.extn_id != CT_PRECERT_SCTS);
        }
        tbs.to_der()
            .map_err(|e| VerifyError::new(format!("precertificate TBS does not encode: {e}")))
    }
}
