//! DSSE: the pre-authentication encoding and in-toto statement subjects.

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::error::{Result, VerifyError, ensure};

pub(crate) const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `PAE(type, payload)` = "DSSEv1" SP len(type) SP type SP len(payload) SP payload.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    kind: Option<String>,
    subject: Option<Vec<Subject>>,
}

#[derive(Deserialize)]
struct Subject {
    digest: Option<BTreeMap<String, String>>,
}

/// Checks that the in-toto statement `payload` has a subject with SHA-256 `digest`.
pub(crate) fn check_subject(payload: &[u8], digest: &[u8; 32]) -> Result<()> {
    let st: Statement = serde_json::from_slice(payload)
        .map_err(|e| VerifyError::new(format!("in-toto statement is not valid JSON: {e}")))?;
    ensure!(
        st.kind
            .as_deref()
            .is_some_and(|k| k.starts_with("https://in-toto.io/Statement/")),
        "DSSE payload is not an in-toto statement"
    );
    let want = hex::encode(digest);
    let found = st.subject.iter().flatten().any(|s| {
        s.digest
            .as_ref()
            .and_then(|d| d.get("sha256"))
            .is_some_and(|h| h.eq_ignore_ascii_case(&want))
    });
    ensure!(
        found,
        "artifact digest sha256:{want} is not a subject of the in-toto statement"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn subject_digest_must_match() {
        let d = crate::wire::sha256(b"a");
        let st = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha256":"{}"}}}}]}}"#,
            hex::encode(d)
        );
        check_subject(st.as_bytes(), &d).unwrap();
        let other = crate::wire::sha256(b"b");
        assert!(
            check_subject(st.as_bytes(), &other)
                .unwrap_err()
                .reason()
                .contains("not a subject")
        );
    }
}
