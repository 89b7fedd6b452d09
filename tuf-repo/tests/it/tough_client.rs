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
