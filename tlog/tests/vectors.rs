//! Known answers: the RFC 6962 reference tree (the eight leaves of certificate-transparency's
//! and transparency-dev/merkle's test suites), and our own generated proof vectors in
//! `testdata/`, each a valid proof or one named mutation of it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tlog::proof::{
    MemoryTree, consistency_proof, inclusion_proof, root_at, verify_consistency, verify_inclusion,
};
use tlog::{Hash, empty_root, leaf_hash};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(s: &str) -> Hash {
    Hash::from_hex(s).unwrap()
}

fn reference_tree() -> MemoryTree {
    let mut tree = MemoryTree::new();
    for leaf in LEAVES {
        tree.push(leaf_hash(&hex::decode(leaf).unwrap()));
    }
    tree
}

#[test]
fn empty_tree_root_is_sha256_of_nothing() {
    assert_eq!(
        empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}

#[test]
fn reference_tree_roots() {
    let tree = reference_tree();
    for (i, want) in ROOTS.iter().enumerate() {
        assert_eq!(
            root_at(&tree, i as u64 + 1).unwrap(),
            h(want),
            "size {}",
            i + 1
        );
    }
}

#[test]
fn reference_tree_proofs_verify_against_known_roots() {
    let tree = reference_tree();
    for size in 1..=8u64 {
        let root = h(ROOTS[size as usize - 1]);
        for index in 0..size {
            let leaf = leaf_hash(&hex::decode(LEAVES[index as usize]).unwrap());
            let proof = inclusion_proof(&tree, index, size).unwrap();
            verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
        }
        for old in 1..=size {
            let proof = consistency_proof(&tree, old, size).unwrap();
            verify_consistency(old, size, &proof, &h(ROOTS[old as usize - 1]), &root).unwrap();
        }
    }
    // RFC 6962 §2.1.3's worked example shape: the path of d0 in the 7-leaf tree has 3 hashes,
    // of d6 has 2; the consistency proof 3 -> 7 has 4 hashes, 4 -> 7 has 1, 6 -> 7 has 3.
    assert_eq!(inclusion_proof(&tree, 0, 7).unwrap().len(), 3);
    assert_eq!(inclusion_proof(&tree, 6, 7).unwrap().len(), 2);
    assert_eq!(consistency_proof(&tree, 3, 7).unwrap().len(), 4);
    assert_eq!(consistency_proof(&tree, 4, 7).unwrap().len(), 1);
    assert_eq!(consistency_proof(&tree, 6, 7).unwrap().len(), 3);
}

/// One vector: a proof and whether it must be refused.
#[derive(Debug, Serialize, Deserialize)]
struct InclusionVector {
    desc: String,
    leaf: String,
    index: u64,
    size: u64,
    proof: Vec<String>,
    root: String,
    want_err: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct ConsistencyVector {
    desc: String,
    old_size: u64,
    new_size: u64,
    proof: Vec<String>,
    old_root: String,
    new_root: String,
    want_err: bool,
}

fn hexes(v: &[Hash]) -> Vec<String> {
    v.iter().map(Hash::to_hex).collect()
}

fn flip(mut h: Hash) -> Hash {
    h.0[31] ^= 1;
    h
}

/// Our generator (merkle's `proofgen`, in Rust): valid proofs from a 64-leaf tree, each with
/// its named mutations. `SIGBOX_BLESS=1 cargo test -p tlog --test vectors` rewrites the files.
fn generate() -> (Vec<InclusionVector>, Vec<ConsistencyVector>) {
    let mut tree = MemoryTree::new();
    for i in 0..64u64 {
        tree.push(leaf_hash(format!("sigbox vector leaf {i}").as_bytes()));
    }
    let mut inc = Vec::new();
    for (index, size) in [
        (0, 1),
        (0, 2),
        (1, 2),
        (2, 3),
        (0, 8),
        (5, 8),
        (7, 8),
        (6, 7),
        (12, 13),
        (31, 64),
        (40, 63),
    ] {
        let leaf = leaf_hash(format!("sigbox vector leaf {index}").as_bytes());
        let root = root_at(&tree, size).unwrap();
        let proof = inclusion_proof(&tree, index, size).unwrap();
        let v = |desc: &str,
                 leaf: Hash,
                 index: u64,
                 size: u64,
                 proof: &[Hash],
                 root: Hash,
                 want_err| InclusionVector {
            desc: format!("inclusion-{index}-of-{size}-{desc}"),
            leaf: leaf.to_hex(),
            index,
            size,
            proof: hexes(proof),
            root: root.to_hex(),
            want_err,
        };
        inc.push(v("valid", leaf, index, size, &proof, root, false));
        inc.push(v("wrong-leaf", flip(leaf), index, size, &proof, root, true));
        inc.push(v("wrong-root", leaf, index, size, &proof, flip(root), true));
        inc.push(v(
            "index-plus-one",
            leaf,
            index + 1,
            size,
            &proof,
            root,
            true,
        ));
        // No "size-plus-one" / "size-minus-one" here: where the audit path has the same
        // shape in both trees (leaf 0 of 6 and of 7, say) the same hashes give the same root,
        // so the size is not bound by the proof alone; the signed checkpoint binds it.
        let mut extra = proof.clone();
        extra.push(leaf);
        inc.push(v("extra-hash", leaf, index, size, &extra, root, true));
        if !proof.is_empty() {
            inc.push(v(
                "truncated-proof",
                leaf,
                index,
                size,
                &proof[..proof.len() - 1],
                root,
                true,
            ));
            let mut flipped = proof.clone();
            flipped[0] = flip(flipped[0]);
            inc.push(v("flipped-bit", leaf, index, size, &flipped, root, true));
        }
    }
    let mut con = Vec::new();
    for (old, new) in [
        (1, 1),
        (1, 2),
        (1, 8),
        (2, 5),
        (3, 7),
        (4, 8),
        (6, 7),
        (7, 64),
        (32, 64),
        (33, 63),
    ] {
        let (old_root, new_root) = (root_at(&tree, old).unwrap(), root_at(&tree, new).unwrap());
        let proof = consistency_proof(&tree, old, new).unwrap();
        let v = |desc: &str,
                 old: u64,
                 new: u64,
                 proof: &[Hash],
                 old_root: Hash,
                 new_root: Hash,
                 want_err| ConsistencyVector {
            desc: format!("consistency-{old}-to-{new}-{desc}"),
            old_size: old,
            new_size: new,
            proof: hexes(proof),
            old_root: old_root.to_hex(),
            new_root: new_root.to_hex(),
            want_err,
        };
        con.push(v("valid", old, new, &proof, old_root, new_root, false));
        con.push(v(
            "wrong-old-root",
            old,
            new,
            &proof,
            flip(old_root),
            new_root,
            true,
        ));
        con.push(v(
            "wrong-new-root",
            old,
            new,
            &proof,
            old_root,
            flip(new_root),
            true,
        ));
        let mut extra = proof.clone();
        extra.push(old_root);
        con.push(v("extra-hash", old, new, &extra, old_root, new_root, true));
        if !proof.is_empty() {
            con.push(v(
                "truncated-proof",
                old,
                new,
                &proof[..proof.len() - 1],
                old_root,
                new_root,
                true,
            ));
            let mut flipped = proof.clone();
            flipped[0] = flip(flipped[0]);
            con.push(v(
                "flipped-bit",
                old,
                new,
                &flipped,
                old_root,
                new_root,
                true,
            ));
        }
    }
    (inc, con)
}

fn testdata() -> PathBuf {
    // Read at run time: a warm target dir may hold a binary built from another clone path.
    PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("cargo sets CARGO_MANIFEST_DIR when it runs tests"),
    )
    .join("testdata")
}

#[test]
fn generated_vectors_are_current() {
    let (inc, con) = generate();
    let inc_json = serde_json::to_string_pretty(&inc).unwrap() + "\n";
    let con_json = serde_json::to_string_pretty(&con).unwrap() + "\n";
    if std::env::var_os("SIGBOX_BLESS").is_some() {
        std::fs::write(testdata().join("inclusion.json"), &inc_json).unwrap();
        std::fs::write(testdata().join("consistency.json"), &con_json).unwrap();
    }
    let on_disk = |name: &str| std::fs::read_to_string(testdata().join(name)).unwrap();
    assert_eq!(
        on_disk("inclusion.json"),
        inc_json,
        "run SIGBOX_BLESS=1 to regenerate"
    );
    assert_eq!(
        on_disk("consistency.json"),
        con_json,
        "run SIGBOX_BLESS=1 to regenerate"
    );
}

#[test]
fn vectors_on_disk_give_their_expected_results() {
    let inc: Vec<InclusionVector> =
        serde_json::from_str(&std::fs::read_to_string(testdata().join("inclusion.json")).unwrap())
            .unwrap();
    let con: Vec<ConsistencyVector> = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("consistency.json")).unwrap(),
    )
    .unwrap();
    assert!(inc.len() > 50 && con.len() > 40);
    for v in &inc {
        let proof: Vec<Hash> = v.proof.iter().map(|p| h(p)).collect();
        let got = verify_inclusion(&h(&v.leaf), v.index, v.size, &proof, &h(&v.root));
        assert_eq!(got.is_err(), v.want_err, "{}: {got:?}", v.desc);
    }
    for v in &con {
        let proof: Vec<Hash> = v.proof.iter().map(|p| h(p)).collect();
        let got = verify_consistency(
            v.old_size,
            v.new_size,
            &proof,
            &h(&v.old_root),
            &h(&v.new_root),
        );
        assert_eq!(got.is_err(), v.want_err, "{}: {got:?}", v.desc);
    }
}
