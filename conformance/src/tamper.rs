//! Bundle faults applied at verify time: each tampered bundle must be refused.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// The bundle with one byte of its signature flipped (message signature or the first DSSE
/// signature).
pub(crate) fn flip_signature(bundle: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(bundle).context("parsing the bundle")?;
    let sig = if json.get("messageSignature").is_some() {
        &mut json["messageSignature"]["signature"]
    } else {
        &mut json["dsseEnvelope"]["signatures"][0]["sig"]
    };
    let mut bytes = STANDARD
        .decode(sig.as_str().context("the bundle has no signature")?)
        .context("decoding the signature")?;
    if bytes.is_empty() {
        bail!("the signature is empty");
    }
    // The last byte: inside the DER INTEGER s of an ECDSA signature, so the signature stays
    // well-formed and only its value is wrong.
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    *sig = Value::String(STANDARD.encode(bytes));
    Ok(serde_json::to_vec_pretty(&json)?)
}

/// The leaf certificate's place in a bundle: v0.3's `certificate` or the first of a v0.1/v0.2
/// `x509CertificateChain`.
fn leaf(json: &mut Value) -> Option<&mut Value> {
    let material = json.get_mut("verificationMaterial")?;
    if material.get("certificate").is_some() {
        return material.get_mut("certificate")?.get_mut("rawBytes");
    }
    material
        .get_mut("x509CertificateChain")?
        .get_mut("certificates")?
        .get_mut(0)?
        .get_mut("rawBytes")
}

/// The DER of `bundle`'s leaf certificate.
pub(crate) fn leaf_certificate(bundle: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(bundle).context("parsing the bundle")?;
    let raw = leaf(&mut json)
        .and_then(|v| v.as_str())
        .context("the bundle has no certificate")?;
    STANDARD.decode(raw).context("decoding the certificate")
}

/// `bundle` with its leaf certificate replaced by `donor`'s.
pub(crate) fn swap_certificate(bundle: &[u8], donor: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(bundle).context("parsing the bundle")?;
    let mut donor: Value = serde_json::from_slice(donor).context("parsing the donor bundle")?;
    let cert = leaf(&mut donor)
        .context("the donor bundle has no certificate")?
        .clone();
    let slot = leaf(&mut json).context("the bundle has no certificate")?;
    if *slot == cert {
        bail!("the donor bundle has the same certificate");
    }
    *slot = cert;
    Ok(serde_json::to_vec_pretty(&json)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flips_and_swaps() {
        let a = br#"{"verificationMaterial":{"certificate":{"rawBytes":"AAEC"}},
                     "messageSignature":{"signature":"AAEC"}}"#;
        let b = br#"{"verificationMaterial":{"x509CertificateChain":{"certificates":
                     [{"rawBytes":"AwQF"}]}},"dsseEnvelope":{"signatures":[{"sig":"AAEC"}]}}"#;
        let flipped: Value = serde_json::from_slice(&flip_signature(a).unwrap()).unwrap();
        assert_eq!(flipped["messageSignature"]["signature"], "AAED");
        let flipped: Value = serde_json::from_slice(&flip_signature(b).unwrap()).unwrap();
        assert_eq!(flipped["dsseEnvelope"]["signatures"][0]["sig"], "AAED");
        let swapped: Value = serde_json::from_slice(&swap_certificate(a, b).unwrap()).unwrap();
        assert_eq!(
            swapped["verificationMaterial"]["certificate"]["rawBytes"],
            "AwQF"
        );
        assert!(swap_certificate(a, a).is_err());
    }
}
