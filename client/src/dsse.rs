//! DSSE for the verifier: the in-toto subject check. The envelope, the PAE and the statement
//! header are [`formats::dsse`]'s; the PAE and payload type are re-exported here for the
//! signer's old import path.

use crate::error::{Result, VerifyError, ensure};

pub(crate) use formats::dsse::{IN_TOTO_PAYLOAD_TYPE, pae};

/// Checks that the in-toto statement `payload` has a subject with SHA-256 `digest`.
pub(crate) fn check_subject(payload: &[u8], digest: &[u8; 32]) -> Result<()> {
    let st =
        formats::dsse::Statement::parse(payload).map_err(|e| VerifyError::new(e.to_string()))?;
    ensure!(st.is_in_toto(), "DSSE payload is not an in-toto statement");
    let want = hex::encode(digest);
    ensure!(
        st.has_sha256(&want),
        "artifact digest sha256:{want} is not a subject of the in-toto statement"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let e = check_subject(b"{", &d).unwrap_err();
        assert!(
            e.reason()
                .starts_with("in-toto statement is not valid JSON"),
            "{e:?}"
        );
    }
}
