//! Wire helpers the checks share: strict base64, RFC 3339 times for messages, PEM, SHA-256 and
//! URL hosts. (The bundle and trusted-root fields themselves are decoded by `formats`.)

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Result, VerifyError};

/// Decodes canonical, padded standard base64; `what` names the field in the error. Line breaks
/// are skipped, as Go's and Python's protobuf JSON decoders do (and `base64` writes them).
pub(crate) fn b64(what: &str, s: &str) -> Result<Vec<u8>> {
    let joined;
    let s = if s.contains(['\n', '\r']) {
        joined = s.replace(['\n', '\r'], "");
        joined.as_str()
    } else {
        s
    };
    STANDARD
        .decode(s)
        .map_err(|e| VerifyError::new(format!("{what} is not valid base64: {e}")))
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Unix seconds as RFC 3339, for messages.
pub(crate) fn fmt_time(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{t}"))
}

/// Host and port of a URL (its authority).
pub(crate) fn url_authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// Host of a URL, without its port: what Rekor puts in checkpoint origins and signature names
/// (its hostname), as sigstore-java (`getBaseUrl().getHost()`) and sigstore-go
/// (`url.Hostname()`) expect.
pub(crate) fn url_host(url: &str) -> &str {
    let authority = url_authority(url);
    match authority.strip_prefix('[') {
        // An IPv6 literal: the address between the brackets.
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.split(':').next().unwrap_or(authority),
    }
}

/// The first PEM block in `pem`: its label and DER bytes (as Go's `pem.Decode` reads it).
pub(crate) fn pem_decode(pem: &str) -> Result<(String, Vec<u8>)> {
    formats::pem::decode_first(pem).map_err(|e| VerifyError::new(format!("PEM: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_skips_line_breaks_but_nothing_else() {
        assert_eq!(b64("x", "aGVs\nbG8=").unwrap(), b"hello");
        assert!(b64("x", "aGVs bG8=").is_err());
        assert!(b64("x", "aGVsbG8").is_err(), "padding is required");
        assert!(
            b64("x", "aGVsbG8!")
                .unwrap_err()
                .reason()
                .starts_with("x is not valid base64")
        );
    }

    #[test]
    fn pem_of_one_width_decodes_and_a_broken_one_says_why() {
        let der: Vec<u8> = (0..=255u8).collect();
        let wrapped =
            der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der).unwrap();
        let one_line = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(&der)
        );
        let crlf = wrapped.replace('\n', "\r\n");
        let trailing = format!("{wrapped}not PEM");
        for pem in [&wrapped, &one_line, &crlf, &trailing] {
            assert_eq!(
                pem_decode(pem).unwrap(),
                ("CERTIFICATE".to_owned(), der.clone())
            );
        }
        for (pem, want) in [
            ("", "no `-----BEGIN` line"),
            ("junk", "no `-----BEGIN` line"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n",
                "no `-----END CERTIFICATE-----` line",
            ),
            (
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----",
                "is not base64",
            ),
        ] {
            let err = pem_decode(pem).unwrap_err();
            assert!(err.reason().contains(want), "{}", err.reason());
        }
    }

    #[test]
    fn times_and_hosts() {
        assert_eq!(fmt_time(1_689_177_396), "2023-07-12T15:56:36Z");
        assert_eq!(url_host("https://rekor.sigstore.dev"), "rekor.sigstore.dev");
        assert_eq!(url_host("http://localhost:8000/api"), "localhost");
        assert_eq!(url_host("http://127.0.0.1:7860/rekor-v2"), "127.0.0.1");
        assert_eq!(url_host("http://[::1]:7860"), "::1");
        assert_eq!(url_host("rekor-local"), "rekor-local");
        assert_eq!(url_authority("http://localhost:8000/api"), "localhost:8000");
        assert_eq!(
            url_authority("https://rekor.sigstore.dev"),
            "rekor.sigstore.dev"
        );
    }
}
