//! Each format parsed and encoded again gives the same bytes: the golden files sigbox writes
//! (`stack/tests/golden/`), and the sigstore-conformance assets where our encoding is theirs.
//! And the strict refusals, each naming its field.

use std::path::{Path, PathBuf};

use formats::bundle::{Bundle, TransparencyLogEntry};
use formats::error::FormatError;
use formats::signing_config::SigningConfig;
use formats::trust_config::ClientTrustConfig;
use formats::trusted_root::TrustedRoot;

fn golden(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../stack/tests/golden")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn assert_same(name: &str, want: &[u8], got: &str) {
    if want != got.as_bytes() {
        let at = want
            .iter()
            .zip(got.as_bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        let want = String::from_utf8_lossy(want);
        let line = want[..at.min(want.len())].matches('\n').count();
        panic!(
            "{name}: encoding differs at line {}: golden {:?}, encoded {:?}",
            line + 1,
            want.lines().nth(line).unwrap_or(""),
            got.lines().nth(line).unwrap_or("")
        );
    }
}

#[test]
fn golden_trust_files_round_trip() {
    let root = golden("trust/trusted_root.json");
    assert_same(
        "trusted_root.json",
        &root,
        &TrustedRoot::parse(&root).unwrap().encode(),
    );
    let config = golden("trust/signing_config.v0.2.json");
    assert_same(
        "signing_config.v0.2.json",
        &config,
        &SigningConfig::parse(&config).unwrap().encode(),
    );
    let both = golden("trust/trust_config.json");
    let parsed = ClientTrustConfig::parse(&both).unwrap();
    assert_same("trust_config.json", &both, &parsed.encode());
    // The trust config is the two documents, nested.
    assert_eq!(parsed.trusted_root, TrustedRoot::parse(&root).unwrap());
    assert_eq!(
        parsed.signing_config,
        SigningConfig::parse(&config).unwrap()
    );
}

#[test]
fn golden_bundles_round_trip() {
    for name in [
        "bundles/message.sigstore.json",
        "bundles/dsse.sigstore.json",
        "bundles/message-rekor-v2.sigstore.json",
    ] {
        let bytes = golden(name);
        assert_same(name, &bytes, &Bundle::parse(&bytes).unwrap().encode());
    }
}

/// The conformance assets, or `None` (after saying so) when they are absent.
fn assets() -> Option<PathBuf> {
    let dir = match std::env::var_os("SIGBOX_CONFORMANCE_ASSETS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance-assets"),
    };
    if dir.join("bundle-verify").is_dir() {
        Some(dir)
    } else {
        eprintln!("no conformance assets at {}: skipping", dir.display());
        None
    }
}

/// Every conformance bundle and trusted root: those that parse encode into something that
/// parses to the same value; and the files whose bytes our encoding gives back are counted.
/// The others differ in key order (every bundle), in `.000Z` fractions that protobuf JSON
/// leaves out, in fields unknown here (`operator`) or in indentation.
#[test]
fn conformance_assets_round_trip() {
    let Some(dir) = assets() else {
        return;
    };
    let mut files = vec![dir.join("production_trusted_root.json")];
    for case in std::fs::read_dir(dir.join("bundle-verify")).unwrap() {
        let case = case.unwrap().path();
        for name in ["bundle.sigstore.json", "trusted_root.json"] {
            if case.join(name).is_file() {
                files.push(case.join(name));
            }
        }
    }
    files.sort();
    let (mut parsed, mut same) = (0, 0);
    let mut same_names = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let encoded = if path.ends_with("bundle.sigstore.json") {
            let Ok(b) = Bundle::parse(&bytes) else {
                continue;
            };
            let again = b.encode();
            assert_eq!(
                Bundle::parse(again.as_bytes()).unwrap(),
                b,
                "{}",
                path.display()
            );
            again
        } else {
            let Ok(r) = TrustedRoot::parse(&bytes) else {
                continue;
            };
            let again = r.encode();
            assert_eq!(
                TrustedRoot::parse(again.as_bytes()).unwrap(),
                r,
                "{}",
                path.display()
            );
            again
        };
        parsed += 1;
        // Their files may lack the final newline ours has.
        if encoded == text || encoded.trim_end() == text.trim_end() {
            same += 1;
            same_names.push(path.strip_prefix(&dir).unwrap().display().to_string());
        }
    }
    println!(
        "{} files, {parsed} parsed, {same} with our bytes: {same_names:?}",
        files.len()
    );
    assert!(
        parsed > files.len() / 2,
        "most assets parse ({parsed} of {})",
        files.len()
    );
    // 26 trusted roots (of 39) are byte for byte ours; no bundle is, as ours have their keys
    // in alphabetical order and protobuf JSON writes `.proto` order.
    assert!(same >= 26, "{same} files with our bytes, 26 before");
}

fn refusal(result: Result<impl std::fmt::Debug, FormatError>) -> String {
    result.expect_err("must be refused").to_string()
}

const MSG: &str = r#""messageSignature":{"signature":"AAAA"}"#;

fn bundle(material: &str, content: &str) -> Result<Bundle, FormatError> {
    Bundle::parse(
        format!(
            r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{{{material}}},{content}}}"#
        )
        .as_bytes(),
    )
}

#[test]
fn malformed_bundles_are_refused_naming_the_field() {
    let cert = r#""certificate":{"rawBytes":"AAAA"}"#;
    let entry = |fields: &str| {
        format!(
            r#"{cert},"tlogEntries":[{{"logIndex":"1","logId":{{"keyId":"AAAA"}},"kindVersion":{{"kind":"hashedrekord","version":"0.0.1"}},"canonicalizedBody":"AAAA"{fields}}}]"#
        )
    };
    assert_eq!(
        refusal(bundle(cert, r#""messageSignature":{"signature":"AA!A"}"#)),
        "message signature is not valid base64: Invalid symbol 33, offset 2."
    );
    assert_eq!(
        refusal(bundle(
            &entry(r#","inclusionProof":{"rootHash":"AAAA","treeSize":"2","hashes":[]}"#),
            MSG
        )),
        "tlog entry 0 inclusionProof.rootHash is 3 bytes, want 32"
    );
    assert_eq!(
        refusal(bundle(&entry(r#","integratedTime":"-5""#), MSG)),
        "tlog entry 0 integratedTime -5 is negative"
    );
    assert_eq!(
        refusal(bundle(&entry(r#","integratedTime":"soon""#), MSG)),
        "tlog entry 0 integratedTime `soon` is not an integer"
    );
    assert_eq!(
        refusal(bundle(
            &format!(r#"{cert},"tlogEntries":[{{"logIndex":"1"}}]"#),
            MSG
        )),
        "bundle has no tlog entry 0 logId"
    );
    assert_eq!(
        refusal(bundle(
            r#""certificate":{"rawBytes":"AAAA"},"publicKey":{"hint":"k"}"#,
            MSG
        )),
        "bundle has more than one kind of verification material"
    );
    assert_eq!(
        refusal(bundle(
            r#""x509CertificateChain":{"certificates":[{"rawBytes":"AAAA"}]}"#,
            MSG
        )),
        "v0.3 bundles carry a single certificate, not x509CertificateChain"
    );
    assert_eq!(
        refusal(bundle(
            cert,
            r#""dsseEnvelope":{"payload":"","signatures":[]}"#
        )),
        "bundle has no DSSE payloadType"
    );
    assert_eq!(
        refusal(Bundle::parse(
            br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.4+json"}"#
        )),
        "unsupported bundle media type `application/vnd.dev.sigstore.bundle.v0.4+json`"
    );
    assert!(refusal(Bundle::parse(b"{")).starts_with("bundle is not valid JSON"));
    assert_eq!(
        refusal(TransparencyLogEntry::parse(br#"{"logIndex":"-1"}"#)),
        "logIndex -1 is negative"
    );
}

#[test]
fn malformed_trust_files_are_refused_naming_the_field() {
    let root = |tlog: &str| {
        TrustedRoot::parse(
            format!(
                r#"{{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{tlog}]}}"#
            )
            .as_bytes(),
        )
    };
    let key = |valid_for: &str| {
        format!(
            r#"{{"baseUrl":"x","publicKey":{{"rawBytes":"AAAA","validFor":{valid_for}}},"logId":{{"keyId":"AAAA"}}}}"#
        )
    };
    assert!(root(&key(r#"{"start":"2025-01-01T00:00:00Z"}"#)).is_ok());
    assert_eq!(
        refusal(root(&key(r#"{"start":"2025-02-30T00:00:00Z"}"#))),
        "trusted root tlogs[0] validFor.start `2025-02-30T00:00:00Z` is not an RFC 3339 time: day was not in range"
    );
    assert_eq!(
        refusal(root(&key(
            r#"{"start":"2025-01-02T00:00:00Z","end":"2025-01-01T00:00:00Z"}"#
        ))),
        "trusted root tlogs[0] validFor ends before it starts"
    );
    assert_eq!(
        refusal(root(&key("{}"))),
        "trusted root tlogs[0] validFor has no start"
    );
    assert_eq!(
        refusal(root(r#"{"hashAlgorithm":"SHA2_384"}"#)),
        "trusted root tlogs[0] hashAlgorithm `SHA2_384` is not supported"
    );
    assert_eq!(
        refusal(TrustedRoot::parse(br#"{"mediaType":"application/json"}"#)),
        "unsupported trusted root media type `application/json`"
    );
    assert_eq!(
        refusal(SigningConfig::parse(
            br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","caUrls":[{"majorApiVersion":1}]}"#
        )),
        "signing config caUrls[0] has no url"
    );
    assert_eq!(
        refusal(SigningConfig::parse(
            br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","tsaConfig":{"selector":"SOME"}}"#
        )),
        "signing config tsaConfig selector `SOME` is not supported"
    );
    assert_eq!(
        refusal(SigningConfig::parse(
            br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig+json;version=0.1"}"#
        )),
        "unsupported signing config media type `application/vnd.dev.sigstore.signingconfig+json;version=0.1`"
    );
    assert_eq!(
        refusal(ClientTrustConfig::parse(
            br#"{"mediaType":"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"}"#
        )),
        "client trust config has no trustedRoot"
    );
}
