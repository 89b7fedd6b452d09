//! Properties, for tree sizes 1..2000: the root equals a naive recursive MTH written from
//! RFC 6962 §2.1, every generated proof verifies, and every named mutation of it fails.

use proptest::prelude::*;
use tlog::proof::{
    MemoryTree, consistency_proof, inclusion_proof, root_at, verify_consistency, verify_inclusion,
};
use tlog::{Hash, empty_root, leaf_hash, node_hash};

/// MTH(D[n]) exactly as RFC 6962 §2.1 states it: k is the largest power of two smaller than n.
fn naive_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&naive_mth(&leaves[..k]), &naive_mth(&leaves[k..]))
        }
    }
}

fn tree(size: u64) -> (MemoryTree, Vec<Hash>) {
    let mut t = MemoryTree::new();
    let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    for l in &leaves {
        t.push(*l);
    }
    (t, leaves)
}

fn flipped(proof: &[Hash], at: usize) -> Vec<Hash> {
    let mut p = proof.to_vec();
    p[at].0[at % 32] ^= 0x80;
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn root_equals_naive_mth(size in 1u64..2000) {
        let (t, leaves) = tree(size);
        prop_assert_eq!(root_at(&t, size).unwrap(), naive_mth(&leaves));
    }

    #[test]
    fn inclusion_proofs_verify_and_mutations_fail(size in 1u64..2000, seed in any::<u64>()) {
        let (t, leaves) = tree(size);
        let index = seed % size;
        let root = root_at(&t, size).unwrap();
        let leaf = leaves[index as usize];
        let proof = inclusion_proof(&t, index, size).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
        // wrong-leaf, wrong-root
        let other = leaf_hash(b"not in the tree");
        prop_assert!(verify_inclusion(&other, index, size, &proof, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &other).is_err());
        // extra-hash, truncated-proof, flipped-bit at every position
        let mut extra = proof.clone();
        extra.push(root);
        prop_assert!(verify_inclusion(&leaf, index, size, &extra, &root).is_err());
        if !proof.is_empty() {
            prop_assert!(verify_inclusion(&leaf, index, size, &proof[..proof.len() - 1], &root).is_err());
            for at in 0..proof.len() {
                prop_assert!(verify_inclusion(&leaf, index, size, &flipped(&proof, at), &root).is_err());
            }
            // index-plus-one / index-minus-one (the leaf moves to another position)
            if index + 1 < size && leaves[index as usize + 1] != leaf {
                prop_assert!(verify_inclusion(&leaf, index + 1, size, &proof, &root).is_err());
            }
            if index > 0 {
                prop_assert!(verify_inclusion(&leaf, index - 1, size, &proof, &root).is_err());
            }
        }
        // out of range
        prop_assert!(verify_inclusion(&leaf, size, size, &proof, &root).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_mutations_fail(new in 1u64..2000, seed in any::<u64>()) {
        let (t, _) = tree(new);
        let old = seed % new + 1;
        let (old_root, new_root) = (root_at(&t, old).unwrap(), root_at(&t, new).unwrap());
        let proof = consistency_proof(&t, old, new).unwrap();
        prop_assert!(verify_consistency(old, new, &proof, &old_root, &new_root).is_ok());
        let other = leaf_hash(b"another root");
        if old != new {
            prop_assert!(verify_consistency(old, new, &proof, &other, &new_root).is_err());
        }
        prop_assert!(verify_consistency(old, new, &proof, &old_root, &other).is_err());
        let mut extra = proof.clone();
        extra.push(old_root);
        prop_assert!(verify_consistency(old, new, &extra, &old_root, &new_root).is_err());
        if !proof.is_empty() {
            prop_assert!(verify_consistency(old, new, &proof[..proof.len() - 1], &old_root, &new_root).is_err());
            for at in 0..proof.len() {
                prop_assert!(verify_consistency(old, new, &flipped(&proof, at), &old_root, &new_root).is_err());
            }
        }
        // swapped sizes are refused, never a panic
        if old != new {
            prop_assert!(verify_consistency(new, old, &proof, &new_root, &old_root).is_err());
        }
    }

    /// Verification never panics, whatever it is given.
    #[test]
    fn verification_never_panics(index in any::<u64>(), size in any::<u64>(), n in 0usize..70) {
        let proof = vec![Hash::default(); n];
        let _ = verify_inclusion(&Hash::default(), index, size, &proof, &Hash::default());
        let _ = verify_consistency(index, size, &proof, &Hash::default(), &Hash::default());
    }
}

/// Every size up to 300 and every index or old size, exhaustively (fast, and it catches the
/// edge shapes random sampling can miss).
#[test]
fn exhaustive_small_trees() {
    let (t, leaves) = tree(300);
    for size in 1..=300u64 {
        let root = root_at(&t, size).unwrap();
        assert_eq!(root, naive_mth(&leaves[..size as usize]), "size {size}");
        for index in 0..size {
            let proof = inclusion_proof(&t, index, size).unwrap();
            verify_inclusion(&leaves[index as usize], index, size, &proof, &root).unwrap();
        }
        for old in 1..=size {
            let proof = consistency_proof(&t, old, size).unwrap();
            verify_consistency(old, size, &proof, &root_at(&t, old).unwrap(), &root).unwrap();
        }
    }
}
