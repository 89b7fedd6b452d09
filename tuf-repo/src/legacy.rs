//! The targets sigstore's legacy TUF clients read instead of `trusted_root.json`
//! (sigstore/sigstore `pkg/tuf` `GetTargetsByMeta`, used by gitsign and cosign's older paths):
//! one PEM file per Fulcio root, Fulcio intermediate, CT log key and Rekor key, each with
//! `custom: {"sigstore": {"status", "uri", "usage"}}`, published beside `trusted_root.json`
//! as sigstore/root-signing does (`fulcio_v1.crt.pem`, `fulcio_intermediate_v1.crt.pem`,
//! `ctfe.pub`, `rekor.pub`, ...). A rotated-out generation stays, `Expired`; the current one is
//! `Active`.

use serde_json::{Map, Value, json};

use crate::trusted_root::{CertificateAuthority, TransparencyLog};

/// One legacy target: its name, its bytes (PEM) and its `custom` metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyTarget {
    /// The target name.
    pub name: String,
    /// The PEM file.
    pub bytes: Vec<u8>,
    /// `{"sigstore": {"status": ..., "uri": ..., "usage": ...}}`.
    pub custom: Map<String, Value>,
}

fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    // 64-column lines and LF, as Go's `pem.Encode` and root-signing's files have them; a label
    // of ASCII letters and a DER input cannot fail to encode.
    der::pem::encode_string(label, der::pem::LineEnding::LF, der)
        .unwrap_or_default()
        .into_bytes()
}

fn custom(usage: &str, uri: &str, active: bool) -> Map<String, Value> {
    let status = if active { "Active" } else { "Expired" };
    let mut m = Map::new();
    m.insert(
        "sigstore".to_owned(),
        json!({"status": status, "uri": uri, "usage": usage}),
    );
    m
}

/// The `n`th (0-based) generation's name: root-signing's for the first, then numbered on.
fn numbered(first: &str, stem: &str, ext: &str, n: usize) -> String {
    if n == 0 {
        first.to_owned()
    } else {
        format!("{stem}_v{}.{ext}", n + 1)
    }
}

/// The legacy targets of the Fulcio CAs (each chain leaf-most first, root last), CT logs and
/// Rekor logs given, every list oldest first. A generation is `Active` while its `validFor`
/// has no end. The Rekor v2 and TSA keys are not among them: the public-good repository
/// publishes those in `trusted_root.json` only.
pub fn legacy_targets(
    fulcio: &[CertificateAuthority],
    ctlogs: &[TransparencyLog],
    rekor: &[TransparencyLog],
) -> Vec<LegacyTarget> {
    let mut out = Vec::new();
    for (i, ca) in fulcio.iter().enumerate() {
        let active = ca.valid_for.end.is_none();
        let Some((root, intermediates)) = ca.chain_der.split_last() else {
            continue;
        };
        let v = i + 1;
        out.push(LegacyTarget {
            name: format!("fulcio_v{v}.crt.pem"),
            bytes: pem("CERTIFICATE", root),
            custom: custom("Fulcio", &ca.uri, active),
        });
        if !intermediates.is_empty() {
            out.push(LegacyTarget {
                name: format!("fulcio_intermediate_v{v}.crt.pem"),
                bytes: intermediates
                    .iter()
                    .flat_map(|c| pem("CERTIFICATE", c))
                    .collect(),
                custom: custom("Fulcio", &ca.uri, active),
            });
        }
    }
    for (usage, first, stem, logs) in [
        ("CTFE", "ctfe.pub", "ctfe", ctlogs),
        ("Rekor", "rekor.pub", "rekor", rekor),
    ] {
        for (i, log) in logs.iter().enumerate() {
            out.push(LegacyTarget {
                name: numbered(first, stem, "pub", i),
                bytes: pem("PUBLIC KEY", &log.public_key_der),
                custom: custom(usage, &log.base_url, log.valid_for.end.is_none()),
            });
        }
    }
    out
}
