//! RFC 3161 timestamps from trusted timestamp authorities.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use x509_tsp::{TimeStampResp, TstInfo};

use crate::chain::check_authority_chain;
use crate::error::{Result, VerifyError, bail, ensure};
use crate::keys::HashAlg;
use crate::trust::TrustedRoot;
use crate::wire::fmt_time;
use formats::oid::{
    ID_CONTENT_TYPE, ID_CT_TST_INFO, ID_KP_TIME_STAMPING, ID_MESSAGE_DIGEST, ID_SIGNED_DATA,
};

fn token(der: &[u8]) -> Result<ContentInfo> {
    if let Ok(resp) = TimeStampResp::from_der(der) {
        use cmpv2::status::PkiStatus;
        ensure!(
            matches!(
                resp.status.status,
                PkiStatus::Accepted | PkiStatus::GrantedWithMods
            ),
            "RFC 3161 timestamp response status is not granted"
        );
        return resp
            .time_stamp_token
            .ok_or_else(|| VerifyError::new("RFC 3161 timestamp response has no token"));
    }
    ContentInfo::from_der(der)
        .map_err(|e| VerifyError::new(format!("RFC 3161 timestamp is malformed: {e}")))
}

/// Verifies an RFC 3161 timestamp over `signature` against the trusted TSAs and returns its
/// time (Unix seconds).
pub(crate) fn verify_timestamp(der: &[u8], signature: &[u8], root: &TrustedRoot) -> Result<i64> {
    let token = token(der)?;
    ensure!(
        token.content_type == ID_SIGNED_DATA,
        "RFC 3161 timestamp token is not CMS SignedData"
    );
    let sd: SignedData = token
        .content
        .decode_as()
        .map_err(|e| VerifyError::new(format!("RFC 3161 SignedData is malformed: {e}")))?;
    ensure!(
        sd.encap_content_info.econtent_type == ID_CT_TST_INFO,
        "RFC 3161 timestamp does not hold a TSTInfo"
    );
    let econtent: OctetString = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| VerifyError::new("RFC 3161 timestamp has no TSTInfo content"))?
        .decode_as()
        .map_err(|e| VerifyError::new(format!("RFC 3161 TSTInfo is not an OCTET STRING: {e}")))?;
    let tst = TstInfo::from_der(econtent.as_bytes())
        .map_err(|e| VerifyError::new(format!("RFC 3161 TSTInfo is malformed: {e}")))?;
    let imprint_alg = HashAlg::from_oid(&tst.message_imprint.hash_algorithm.oid)?;
    ensure!(
        tst.message_imprint.hashed_message.as_bytes() == imprint_alg.digest(signature),
        "RFC 3161 timestamp message imprint does not match the bundle signature"
    );
    let gen_time = i64::try_from(tst.gen_time.to_unix_duration().as_secs()).unwrap_or(i64::MAX);

    let signers: Vec<_> = sd.signer_infos.0.iter().collect();
    ensure!(
        signers.len() == 1,
        "RFC 3161 timestamp has {} signers, want 1",
        signers.len()
    );
    let si = signers[0];
    let digest_alg = HashAlg::from_oid(&si.digest_alg.oid)?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| VerifyError::new("RFC 3161 timestamp has no signed attributes"))?;
    let attr = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.get(0))
    };
    let ct: ObjectIdentifier = attr(ID_CONTENT_TYPE)
        .and_then(|v| v.decode_as().ok())
        .ok_or_else(|| VerifyError::new("RFC 3161 timestamp has no content-type attribute"))?;
    ensure!(
        ct == ID_CT_TST_INFO,
        "RFC 3161 content-type attribute is not TSTInfo"
    );
    let md: OctetString = attr(ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as().ok())
        .ok_or_else(|| VerifyError::new("RFC 3161 timestamp has no message-digest attribute"))?;
    ensure!(
        md.as_bytes() == digest_alg.digest(econtent.as_bytes()),
        "RFC 3161 message-digest attribute does not match the TSTInfo"
    );
    let signed = attrs
        .to_der()
        .map_err(|e| VerifyError::new(format!("RFC 3161 signed attributes do not encode: {e}")))?;
    let sig = si.signature.as_bytes();

    let mut last_err = None;
    for tsa in &root.tsas {
        let Some(leaf) = tsa.chain.first() else {
            continue;
        };
        if !leaf
            .key
            .verify_x509(&si.signature_algorithm.oid, Some(digest_alg), &signed, sig)
        {
            continue;
        }
        let check = || -> Result<()> {
            ensure!(
                leaf.has_eku(ID_KP_TIME_STAMPING)?,
                "TSA certificate `{}` lacks the timeStamping EKU",
                leaf.subject()
            );
            check_authority_chain(tsa, &[gen_time], "timestamp authority", true)
        };
        match check() {
            Ok(()) => return Ok(gen_time),
            Err(e) => last_err = Some(e),
        }
    }
    if let Some(e) = last_err {
        return Err(e);
    }
    bail!(
        "RFC 3161 timestamp at {} is not signed by a trusted timestamp authority",
        fmt_time(gen_time)
    )
}
