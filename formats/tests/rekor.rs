//! The Rekor formats against bytes real logs wrote: the golden files (`stack/tests/golden/`),
//! the rekor-tiles bodies (`stack/src/rekor_v2/testdata/`), and, when they are there, the
//! canonical bodies in the sigstore-conformance bundles (`shared/conformance-assets`, outside
//! the repository). Each one parses, and encodes back to the same bytes.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use formats::rekor_v1::{self, LogEntry, LogInfo, ProposedEntry, SetPayload};
use formats::rekor_v2;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn golden(name: &str) -> Vec<u8> {
    let path = repo().join("stack/tests/golden").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses a canonical body (v1 or v2 by its kind and version) and encodes it again.
fn body_round_trip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let kv = rekor_v1::KindVersion::of_body(bytes).map_err(|e| e.to_string())?;
    if kv.api_version == "0.0.2" && kv.kind != "intoto" {
        rekor_v2::Body::parse(bytes)
            .map(|b| b.encode())
            .map_err(|e| e.to_string())
    } else {
        rekor_v1::Body::parse(bytes)
            .map(|b| b.encode())
            .map_err(|e| e.to_string())
    }
}

#[test]
fn golden_v1_entries_round_trip_byte_for_byte() {
    for name in ["rekor-v1/hashedrekord.json", "rekor-v1/dsse.json"] {
        let bytes = golden(name);
        // Rekor's answer ends in Go's `json.Encoder` newline; the format's bytes are before it.
        let json = bytes
            .strip_suffix(b"\n")
            .expect("the answer ends in a newline");
        let entry = LogEntry::parse(json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(entry.encode(), json, "{name}");
        assert_eq!(entry.uuid.len(), 80, "{name}");

        let body = rekor_v1::Body::parse(&entry.entry.body).unwrap();
        assert_eq!(
            body.encode(),
            entry.entry.body,
            "{name}: the canonical body"
        );
        let payload = entry.entry.set_payload();
        assert_eq!(SetPayload::parse(&payload.encode()).unwrap(), payload);
    }
}

#[test]
fn the_set_payload_is_rekors_canonical_json() {
    let payload = SetPayload {
        body: b"{}".to_vec(),
        integrated_time: 1767225600,
        log_id: [0xab; 32],
        log_index: 7,
    };
    assert_eq!(
        String::from_utf8(payload.encode()).unwrap(),
        format!(
            r#"{{"body":"e30=","integratedTime":1767225600,"logID":"{}","logIndex":7}}"#,
            "ab".repeat(32)
        )
    );
}

#[test]
fn golden_log_info_round_trips() {
    let bytes = golden("rekor-v1/log.json");
    let info = LogInfo::parse(&bytes).unwrap();
    assert_eq!(info.encode(), bytes);
    assert_eq!(info.tree_size, 2);
    assert!(info.inactive_shards.is_empty());
}

#[test]
fn golden_v2_entry_body_round_trips() {
    let entry: Value = serde_json::from_slice(&golden("rekor-v2/hashedrekord.json")).unwrap();
    let body = B64
        .decode(entry["canonicalizedBody"].as_str().unwrap())
        .unwrap();
    let parsed = rekor_v2::Body::parse(&body).unwrap();
    assert_eq!(parsed.kind(), "hashedrekord");
    assert_eq!(parsed.encode(), body);
}

#[test]
fn bodies_in_the_golden_bundles_round_trip() {
    for name in [
        "bundles/message.sigstore.json",
        "bundles/dsse.sigstore.json",
        "bundles/message-rekor-v2.sigstore.json",
    ] {
        let bundle: Value = serde_json::from_slice(&golden(name)).unwrap();
        let entries = bundle["verificationMaterial"]["tlogEntries"]
            .as_array()
            .unwrap();
        assert!(!entries.is_empty(), "{name}");
        for entry in entries {
            let body = B64
                .decode(entry["canonicalizedBody"].as_str().unwrap())
                .unwrap();
            assert_eq!(body_round_trip(&body).unwrap(), body, "{name}");
        }
    }
}

#[test]
fn rekor_tiles_bodies_round_trip() {
    let path = repo().join("stack/src/rekor_v2/testdata/rekor-tiles-bodies.json");
    let data: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let bodies = data["bodies"].as_object().unwrap();
    assert!(!bodies.is_empty());
    for (case, b64) in bodies {
        let body = B64.decode(b64.as_str().unwrap()).unwrap();
        let parsed = rekor_v2::Body::parse(&body).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(parsed.encode(), body, "{case}");
    }
}

/// Every canonical body in the sigstore-conformance bundles that parses at all encodes back to
/// the bytes the real logs wrote; bundles whose body is the case's mutation may not parse.
#[test]
fn conformance_bundle_bodies_round_trip() {
    let dir = std::env::var_os("SIGBOX_CONFORMANCE_ASSETS")
        .map_or_else(
            || repo().join("../shared/conformance-assets"),
            PathBuf::from,
        )
        .join("bundle-verify");
    let Ok(cases) = std::fs::read_dir(&dir) else {
        eprintln!("no conformance assets at {}: skipping", dir.display());
        return;
    };
    let mut seen = 0;
    for case in cases.flatten() {
        let Ok(bytes) = std::fs::read(case.path().join("bundle.sigstore.json")) else {
            continue;
        };
        let Ok(bundle) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        let name = case.file_name().to_string_lossy().into_owned();
        let entries = bundle["verificationMaterial"]["tlogEntries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for entry in entries {
            let Some(body) = entry["canonicalizedBody"]
                .as_str()
                .and_then(|b| B64.decode(b).ok())
            else {
                continue;
            };
            match body_round_trip(&body) {
                Ok(encoded) => {
                    assert_eq!(
                        String::from_utf8_lossy(&encoded),
                        String::from_utf8_lossy(&body),
                        "{name}"
                    );
                    seen += 1;
                }
                Err(e) => assert!(name.ends_with("_fail"), "{name}: {e}"),
            }
        }
    }
    assert!(seen > 0, "no bodies in {}", dir.display());
    eprintln!("{seen} conformance bodies round-trip");
}

#[test]
fn a_proposal_round_trips_with_its_keys_sorted() {
    let sent = br#"{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"signature":{"publicKey":{"content":"UEVN"},"content":"c2ln"},"data":{"hash":{"value":"ab","algorithm":"sha256"}}}}"#;
    let proposal = ProposedEntry::parse(sent).unwrap();
    assert_eq!(proposal.kind(), "hashedrekord");
    assert_eq!(
        String::from_utf8(proposal.encode()).unwrap(),
        r#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"ab"}},"signature":{"content":"c2ln","publicKey":{"content":"UEVN"}}}}"#
    );
}

#[test]
fn a_body_is_refused_with_a_field_it_does_not_have() {
    let body = br#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"ab"}},"signature":{"content":"c2ln","publicKey":{"content":"UEVN"}},"extra":1}}"#;
    let err = rekor_v1::Body::parse(body).unwrap_err().to_string();
    assert!(err.contains("unknown field `extra`"), "{err}");
}
