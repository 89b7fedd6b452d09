//! The legacy targets (sigstore/sigstore `pkg/tuf` `GetTargetsByMeta`): root-signing's names and
//! `custom.sigstore` metadata, one generation after another, published with the repository.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tuf_repo::{Custom, LegacyTarget, RepoError, Repository, legacy_targets};

use crate::common::{NOW, URL, ca_cert, key, long_expiry, role_keys, trusted_root_input};

fn pem_der(pem: &[u8]) -> Vec<Vec<u8>> {
    let text = std::str::from_utf8(pem).unwrap();
    let mut out = Vec::new();
    let mut body = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN ") {
            body.clear();
        } else if line.starts_with("-----END ") {
            out.push(STANDARD.decode(&body).unwrap());
        } else {
            assert!(line.len() <= 64, "PEM lines are 64 columns: {line}");
            body += line;
        }
    }
    out
}

fn meta(t: &LegacyTarget) -> Value {
    Value::Object(t.custom.clone())
}

#[test]
fn names_and_metadata_follow_root_signing() {
    let input = trusted_root_input();
    // The Rekor v1 shards only: root-signing publishes no legacy target for Rekor v2.
    let rekor = &input.tlogs[..2];
    let targets = legacy_targets(&input.certificate_authorities, &input.ctlogs, rekor);
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "fulcio_v1.crt.pem",
            "fulcio_v2.crt.pem",
            "ctfe.pub",
            "rekor.pub",
            "rekor_v2.pub"
        ]
    );
    let status = |usage: &str, uri: String, status: &str| json!({"sigstore": {"status": status, "uri": uri, "usage": usage}});
    assert_eq!(meta(&targets[0]), status("Fulcio", URL.into(), "Expired"));
    assert_eq!(meta(&targets[1]), status("Fulcio", URL.into(), "Active"));
    assert_eq!(
        meta(&targets[2]),
        status("CTFE", format!("{URL}/ct"), "Active")
    );
    assert_eq!(meta(&targets[3]), status("Rekor", URL.into(), "Expired"));
    assert_eq!(meta(&targets[4]), status("Rekor", URL.into(), "Active"));
    // The bytes: PEM of the same DER the trusted root carries.
    let cas = &input.certificate_authorities;
    assert_eq!(pem_der(&targets[0].bytes), cas[0].chain_der);
    assert_eq!(pem_der(&targets[1].bytes), cas[1].chain_der);
    assert!(
        targets[1]
            .bytes
            .starts_with(b"-----BEGIN CERTIFICATE-----\n")
    );
    assert_eq!(
        pem_der(&targets[2].bytes),
        [input.ctlogs[0].public_key_der.clone()]
    );
    assert!(
        targets[3]
            .bytes
            .starts_with(b"-----BEGIN PUBLIC KEY-----\n")
    );
    assert_eq!(
        pem_der(&targets[4].bytes),
        [rekor[1].public_key_der.clone()]
    );
    assert!(targets.iter().all(|t| t.bytes.ends_with(b"-----\n")));
}

#[test]
fn a_chain_with_intermediates_gets_root_signings_intermediate_target() {
    let mut ca = trusted_root_input().certificate_authorities.remove(1);
    let intermediate = ca_cert(&key(30), "sigbox", "sigbox intermediate");
    ca.chain_der.insert(0, intermediate.clone());
    let targets = legacy_targets(&[ca.clone()], &[], &[]);
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["fulcio_v1.crt.pem", "fulcio_intermediate_v1.crt.pem"]
    );
    assert_eq!(pem_der(&targets[0].bytes), [ca.chain_der[1].clone()]);
    assert_eq!(pem_der(&targets[1].bytes), [intermediate]);
    assert_eq!(targets[0].custom, targets[1].custom);
}

#[test]
fn custom_metadata_is_published_and_kept() {
    let d = tempfile::tempdir().unwrap();
    let input = trusted_root_input();
    let legacy = legacy_targets(&input.certificate_authorities, &input.ctlogs, &[]);
    let mut targets: Vec<(&str, &[u8])> = vec![("trusted_root.json", b"{}")];
    targets.extend(legacy.iter().map(|t| (t.name.as_str(), t.bytes.as_slice())));
    let custom: Custom = legacy
        .iter()
        .map(|t| (t.name.clone(), t.custom.clone()))
        .collect();
    let mut repo = Repository::create_with_custom(
        d.path(),
        role_keys(),
        long_expiry(),
        NOW,
        &targets,
        &custom,
    )
    .unwrap();
    let published = |dir: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join("targets.json")).unwrap()).unwrap()
    };
    let t = published(d.path());
    let list = &t["signed"]["targets"];
    assert_eq!(list["ctfe.pub"]["custom"], meta(&legacy[2]));
    assert_eq!(
        list["fulcio_v1.crt.pem"]["custom"]["sigstore"]["status"],
        "Expired"
    );
    // A target without custom metadata has no `custom` at all.
    assert_eq!(list["trusted_root.json"].get("custom"), None);
    assert_eq!(
        std::fs::read(repo.target_path("ctfe.pub").unwrap()).unwrap(),
        legacy[2].bytes
    );

    // Reopening with the same custom metadata publishes nothing; a status change alone does.
    let v = repo.versions();
    drop(repo);
    let again = Repository::create_with_custom(
        d.path(),
        role_keys(),
        long_expiry(),
        NOW,
        &targets,
        &custom,
    )
    .unwrap();
    assert_eq!(again.versions(), v);
    let mut expired = custom.clone();
    expired.get_mut("ctfe.pub").unwrap()["sigstore"]["status"] = json!("Expired");
    repo = Repository::create_with_custom(
        d.path(),
        role_keys(),
        long_expiry(),
        NOW,
        &targets,
        &expired,
    )
    .unwrap();
    assert_eq!(repo.versions()[1], v[1] + 1);
    let t = published(d.path());
    assert_eq!(
        t["signed"]["targets"]["ctfe.pub"]["custom"]["sigstore"]["status"],
        "Expired"
    );

    // New targets and snapshot keys re-sign the same targets, custom metadata and all.
    let mut keys = role_keys();
    keys.targets = vec![key(40)];
    repo.rotate_keys(NOW, keys).unwrap();
    let after = published(d.path());
    assert_eq!(after["signed"]["targets"], t["signed"]["targets"]);

    // Custom metadata for a target that is not there is refused.
    let mut stray = custom;
    stray.insert("nothing.pub".into(), legacy[2].custom.clone());
    let err = repo
        .publish_targets_with_custom(NOW, &targets, &stray)
        .unwrap_err();
    assert!(
        matches!(err, RepoError::CustomWithoutTarget { .. }),
        "{err}"
    );
}
