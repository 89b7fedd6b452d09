use crate::common::{NOW, build, documents, key, long_expiry, role_keys, tree};
use tuf_repo::{Expiry, Repository};

#[test]
fn same_seed_and_clock_give_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ra, rb) = (
        build(a.path(), Expiry::default()),
        build(b.path(), Expiry::default()),
    );
    let (ta, tb) = (tree(a.path()), tree(b.path()));
    let names: Vec<_> = ta
        .iter()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect();
    for want in [
        "1.root.json",
        "root.json",
        "1.targets.json",
        "1.snapshot.json",
        "timestamp.json",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    assert_eq!(
        names.iter().filter(|n| n.starts_with("targets/")).count(),
        2,
        "{names:?}"
    );
    assert_eq!(ta, tb, "two builds differ");
    assert_eq!(ra.root_json(), rb.root_json());
    assert_eq!(documents(), documents());

    // And after rotation and a new publication, still identical.
    let (mut ra, mut rb) = (ra, rb);
    for r in [&mut ra, &mut rb] {
        r.rotate_root(NOW + time::Duration::days(1), vec![key(30)])
            .unwrap();
        r.publish_targets(
            NOW + time::Duration::days(1),
            &[("trusted_root.json", b"x")],
        )
        .unwrap();
        r.refresh_timestamp(NOW + time::Duration::days(2)).unwrap();
    }
    assert_eq!(tree(a.path()), tree(b.path()));
    assert_eq!(ra.versions(), [2, 2, 2, 3]);
}

#[test]
fn metadata_is_pretty_sorted_and_versioned() {
    let d = tempfile::tempdir().unwrap();
    build(d.path(), long_expiry());
    let root = std::fs::read_to_string(d.path().join("1.root.json")).unwrap();
    assert!(root.ends_with("}\n"));
    let v: serde_json::Value = serde_json::from_str(&root).unwrap();
    assert_eq!(v["signed"]["consistent_snapshot"], true);
    assert!(
        v["signed"]["expires"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00Z"),
        "whole seconds, Z"
    );
    assert_eq!(v["signatures"].as_array().unwrap().len(), 2);
    let key = v["signed"]["keys"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(key["keytype"], "ecdsa");
    assert_eq!(key["scheme"], "ecdsa-sha2-nistp256");
    assert!(
        key["keyval"]["public"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert_eq!(v["signed"]["roles"]["root"]["threshold"], 2);
}

#[test]
fn reopening_continues_and_republishes_only_on_change() {
    let d = tempfile::tempdir().unwrap();
    let first = build(d.path(), long_expiry());
    let before = tree(d.path());
    let again = build(d.path(), long_expiry());
    assert_eq!(tree(d.path()), before, "same targets: nothing rewritten");
    assert_eq!(again.root_json(), first.root_json());
    let changed = Repository::create(
        d.path(),
        role_keys(),
        long_expiry(),
        NOW,
        &[("trusted_root.json", b"new")],
    )
    .unwrap();
    assert_eq!(changed.versions(), [1, 2, 2, 2]);
    let mut wrong = role_keys();
    wrong.timestamp = vec![key(99)];
    let err = Repository::create(d.path(), wrong, long_expiry(), NOW, &[]).unwrap_err();
    assert!(err.to_string().contains("role timestamp"), "{err}");
}

#[test]
fn rejects_path_like_target_names() {
    let d = tempfile::tempdir().unwrap();
    let err = Repository::create(d.path(), role_keys(), long_expiry(), NOW, &[("../x", b"")])
        .unwrap_err();
    assert!(err.to_string().contains("not a plain file name"), "{err}");
    assert!(
        !d.path().join("root.json").exists(),
        "nothing written on bad input"
    );
}
