//! PEM as Go's `encoding/pem` reads it (what Fulcio, Rekor and cosign accept): the first block
//! in the text, whatever comes before or after it, with its body wrapped at any width, through
//! RFC 7468's decoder (`der::pem`). RFC 1421 headers are refused, as Sigstore's services refuse
//! them.

/// Why a text holds no usable PEM block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// No BEGIN line anywhere.
    #[error("no `-----BEGIN` line")]
    NoBegin,
    /// A BEGIN line cut short.
    #[error("the BEGIN line does not end in `-----`")]
    BeginUnterminated,
    /// A block that does not end.
    #[error("no `-----END {label}-----` line")]
    NoEnd {
        /// The block's label.
        label: String,
    },
    /// RFC 1421 headers (`Proc-Type: ...`).
    #[error("PEM headers are not supported")]
    Headers,
    /// A body that is not base64 (or not evenly wrapped).
    #[error("the `{label}` block is not base64: {reason}")]
    Base64 {
        /// The block's label.
        label: String,
        /// The decoder's reason (not a `source`: it is no `std::error::Error` in `der`).
        reason: der::pem::Error,
    },
}

/// The first PEM block in `text`: its label and its DER bytes.
pub fn decode_first(text: &str) -> Result<(String, Vec<u8>), PemError> {
    let block = first_block(text)?;
    // The decoder would only call headers bad base64.
    if block.lines().skip(1).any(|l| l.contains(':')) {
        return Err(PemError::Headers);
    }
    // RFC 7468's decoder takes one line width, Go's any: give it the block's own, the width
    // of its first body line (a one-line body is then one line of that width).
    let width = block
        .lines()
        .nth(1)
        .map_or(der::pem::BASE64_WRAP_WIDTH, |l| l.trim_end().len());
    let label = der::pem::decode_label(block.as_bytes())
        .map_err(|_| PemError::BeginUnterminated)?
        .to_owned();
    let fail = |reason| match reason {
        der::pem::Error::HeaderDisallowed => PemError::Headers,
        reason => PemError::Base64 {
            label: label.clone(),
            reason,
        },
    };
    let mut decoder = der::pem::Decoder::new_wrapped(block.as_bytes(), width).map_err(fail)?;
    let mut out = Vec::new();
    decoder.decode_to_end(&mut out).map_err(fail)?;
    Ok((label, out))
}

/// The first block in `text`, from its BEGIN line to its END line: Go's `pem.Decode` skips
/// what comes before and leaves what comes after, which RFC 7468's decoder refuses.
fn first_block(text: &str) -> Result<&str, PemError> {
    let start = text.find("-----BEGIN ").ok_or(PemError::NoBegin)?;
    let (label, _) = text[start + "-----BEGIN ".len()..]
        .split_once("-----")
        .ok_or(PemError::BeginUnterminated)?;
    let end = format!("-----END {label}-----");
    let len = text[start..].find(&end).ok_or_else(|| PemError::NoEnd {
        label: label.to_owned(),
    })?;
    Ok(&text[start..start + len + end.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_block_at_any_width_as_go_does() {
        let der: Vec<u8> = (0..=200u8).collect();
        let wrapped =
            der::pem::encode_string("PUBLIC KEY", der::pem::LineEnding::LF, &der).unwrap();
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
        let one_line = format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----");
        let surrounded = format!("a key:\n{wrapped}and another\n{wrapped}");
        for text in [
            &wrapped,
            &one_line,
            &wrapped.replace('\n', "\r\n"),
            &surrounded,
        ] {
            assert_eq!(
                decode_first(text),
                Ok(("PUBLIC KEY".to_owned(), der.clone()))
            );
        }
        let headers = format!(
            "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n\n{b64}\n-----END PUBLIC KEY-----"
        );
        assert_eq!(decode_first(&headers), Err(PemError::Headers));
        assert_eq!(
            decode_first("-----BEGIN PUBLIC KEY"),
            Err(PemError::BeginUnterminated)
        );
        assert_eq!(
            decode_first("-----BEGIN X-----\nAAAA\n"),
            Err(PemError::NoEnd { label: "X".into() })
        );
    }
}
