//! tough's own client (the Rust stock TUF client) loading the repository from files.

use tough::{IntoVec as _, RepositoryLoader, TargetName};
use url::Url;

use crate::common::{NOW, build, documents, key, long_expiry};

async fn load(
    dir: &std::path::Path,
    root: Vec<u8>,
    datastore: &std::path::Path,
) -> tough::Repository {
    let base = Url::from_directory_path(dir).unwrap();
    RepositoryLoader::new(&root, base.clone(), base.join("targets/").unwrap())
        .datastore(datastore)
        .load()
        .await
        .unwrap()
}

async fn read(repo: &tough::Repository, name: &str) -> Vec<u8> {
    let stream = repo
        .read_target(&TargetName::new(name).unwrap())
        .await
        .unwrap()
        .unwrap();
    stream.into_vec().await.unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn tough_client_accepts_repository_and_rotated_root() {
    let d = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let mut repo = build(d.path(), long_expiry());
    let (tr, sc) = documents();
    let client = load(d.path(), repo.root_json(), store.path()).await;
    assert_eq!(read(&client, "trusted_root.json").await, tr.as_bytes());
    assert_eq!(
        read(&client, "signing_config.v0.2.json").await,
        sc.as_bytes()
    );

    repo.rotate_root(NOW, vec![key(50)]).unwrap();
    repo.publish_targets(NOW, &[("trusted_root.json", b"v2")])
        .unwrap();
    let client = load(d.path(), repo.root_json(), store.path()).await;
    assert_eq!(client.root().signed.version.get(), 2);
    assert_eq!(read(&client, "trusted_root.json").await, b"v2");
}

/// A root whose key IDs are the legacy ones (not the hash of the key as published), as
/// root-signing's v8 and v11 were: tough refuses it by name, as it refused those.
#[tokio::test(flavor = "current_thread")]
async fn tough_refuses_a_root_with_legacy_key_ids() {
    use olpc_cjson::CanonicalFormatter;
    use serde::Serialize as _;
    use sha2::{Digest as _, Sha256};

    let d = tempfile::tempdir().unwrap();
    let mut repo = build(d.path(), long_expiry());
    repo.rotate_root_with(NOW, vec![key(50)], tuf_repo::KeyIds::Legacy)
        .unwrap();
    repo.publish_targets(NOW, &[("trusted_root.json", b"v2")])
        .unwrap();

    // The root role's key ID is the SHA-256 of the canonical key with keyid_hash_algorithms,
    // which the published key does not carry.
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("2.root.json")).unwrap()).unwrap();
    let ids = root["signed"]["roles"]["root"]["keyids"]
        .as_array()
        .unwrap();
    assert_eq!(ids.len(), 1);
    let id = ids[0].as_str().unwrap();
    let mut published = root["signed"]["keys"][id].clone();
    assert!(published.get("keyid_hash_algorithms").is_none());
    let canonical = |v: &serde_json::Value| {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, CanonicalFormatter::new());
        v.serialize(&mut ser).unwrap();
        hex::encode(Sha256::digest(&out))
    };
    let strict = canonical(&published);
    assert_ne!(id, strict, "a legacy ID is not the key's hash");
    assert_eq!(strict, tuf_repo::P256Signer::new(key(50)).key_id_hex());
    published["keyid_hash_algorithms"] = serde_json::json!(["sha256", "sha512"]);
    assert_eq!(id, canonical(&published));
    // Every signature of the new root key is filed under that ID.
    let sigs: Vec<&str> = root["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["keyid"].as_str().unwrap())
        .collect();
    assert!(sigs.contains(&id), "{sigs:?}");

    // tough, from version 1, refuses version 2 for its key ID.
    let store = tempfile::tempdir().unwrap();
    let base = Url::from_directory_path(d.path()).unwrap();
    let loaded = RepositoryLoader::new(
        &repo.root_json(),
        base.clone(),
        base.join("targets/").unwrap(),
    )
    .datastore(store.path())
    .load()
    .await;
    let Err(err) = loaded else {
        panic!("tough accepted a root with legacy key IDs");
    };
    let msg = format!("{err:?}");
    assert!(msg.contains("Invalid key ID"), "{msg}");

    // The repository itself reopens from its files (a restarted stack), legacy IDs and all,
    // and publishes on.
    drop(repo);
    let keys = tuf_repo::RoleKeys {
        root: vec![key(50)],
        root_key_ids: tuf_repo::KeyIds::Legacy,
        ..crate::common::role_keys()
    };
    let (tr, sc) = crate::common::documents();
    let mut reopened = tuf_repo::Repository::create(
        d.path(),
        keys,
        long_expiry(),
        NOW,
        &[
            ("trusted_root.json", tr.as_bytes()),
            ("signing_config.v0.2.json", sc.as_bytes()),
        ],
    )
    .unwrap();
    assert_eq!(reopened.versions()[0], 2);
    reopened
        .publish_targets(NOW, &[("trusted_root.json", b"v3")])
        .unwrap();
}
