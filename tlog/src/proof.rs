//! Inclusion and consistency proofs (RFC 6962 §2.1.1-2.1.2 to build, RFC 9162 §2.1.3.2 and
//! §2.1.4.2 to verify).

use crate::hash::{Hash, empty_root, node_hash};
use crate::store::StoreError;
// The trait is storage's (stores implement it); proofs only read through it. Re-exported so
// `tlog::proof::NodeReader` keeps working.
pub use crate::store::NodeReader;

/// Why a proof could not be built or did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// The leaf index is not in the tree.
    #[error("index {index} out of range for size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// Consistency sizes out of order or beyond the tree.
    #[error(
        "sizes {old} and {new} do not make a consistency proof (want 0 < old <= new <= {size})"
    )]
    BadSizes {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
        /// The tree size available.
        size: u64,
    },
    /// The proof has the wrong number of hashes.
    #[error("proof has {got} hashes, want {want}")]
    WrongLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes a proof of this shape has.
        want: usize,
    },
    /// The root recomputed from the proof is not the expected one.
    #[error("calculated root {calculated} does not match expected root {expected}")]
    RootMismatch {
        /// The root the verifier was given.
        expected: Hash,
        /// The root the proof leads to.
        calculated: Hash,
    },
    /// A consistency proof between equal sizes must be empty and the roots equal.
    #[error("roots of equal-size trees differ")]
    EqualSizesDifferentRoots,
    /// Reading the tree failed.
    #[error("reading the tree: {0}")]
    Store(#[from] StoreError),
}

/// The largest power of two strictly less than `n` (n > 1), RFC 6962's `k`.
fn split(n: u64) -> u64 {
    debug_assert!(n > 1);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// MTH of the leaves `[start, start + n)`, where `start` is a multiple of the largest power of
/// two not above `n` (true for every subtree the RFC's recursion visits).
fn subtree_root(reader: &impl NodeReader, start: u64, n: u64) -> Result<Hash, StoreError> {
    if n.is_power_of_two() {
        let level = n.trailing_zeros() as u8;
        return reader.node(level, start >> level);
    }
    let k = split(n);
    let left = subtree_root(reader, start, k)?;
    let right = subtree_root(reader, start + k, n - k)?;
    Ok(node_hash(&left, &right))
}

/// The Merkle tree hash of the first `size` leaves.
pub fn root_at(reader: &impl NodeReader, size: u64) -> Result<Hash, StoreError> {
    if size == 0 {
        return Ok(empty_root());
    }
    subtree_root(reader, 0, size)
}

/// PATH(m, D[n]) of RFC 6962 §2.1.1, for the leaves `[start, start + n)`.
fn path(
    reader: &impl NodeReader,
    m: u64,
    start: u64,
    n: u64,
    out: &mut Vec<Hash>,
) -> Result<(), StoreError> {
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(reader, m, start, k, out)?;
        out.push(subtree_root(reader, start + k, n - k)?);
    } else {
        path(reader, m - k, start + k, n - k, out)?;
        out.push(subtree_root(reader, start, k)?);
    }
    Ok(())
}

/// The audit path of leaf `index` in the tree of `size` leaves, leaf-most hash first.
pub fn inclusion_proof(
    reader: &impl NodeReader,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    path(reader, index, 0, size, &mut out)?;
    Ok(out)
}

/// SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2, for the leaves `[start, start + n)`.
fn subproof(
    reader: &impl NodeReader,
    m: u64,
    start: u64,
    n: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), StoreError> {
    if m == n {
        if !whole {
            out.push(subtree_root(reader, start, n)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(reader, m, start, k, whole, out)?;
        out.push(subtree_root(reader, start + k, n - k)?);
    } else {
        subproof(reader, m - k, start + k, n - k, false, out)?;
        out.push(subtree_root(reader, start, k)?);
    }
    Ok(())
}

/// The consistency proof from the tree of `old` leaves to the tree of `new` leaves.
///
/// `old == new` gives an empty proof; `old == 0` is refused, as RFC 9162 §2.1.4 has no proof
/// for the empty tree.
pub fn consistency_proof(
    reader: &impl NodeReader,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, ProofError> {
    if old == 0 || old > new {
        return Err(ProofError::BadSizes {
            old,
            new,
            size: new,
        });
    }
    let mut out = Vec::new();
    subproof(reader, old, 0, new, true, &mut out)?;
    Ok(out)
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with root `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let want = inclusion_len(index, size);
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if r != *root {
        return Err(ProofError::RootMismatch {
            expected: *root,
            calculated: r,
        });
    }
    Ok(())
}

/// The number of hashes in a consistency proof from `old` to `new` leaves (0 < old < new):
/// the verification loop of RFC 9162 §2.1.4.2 run on the sizes alone.
fn consistency_len(old: u64, new: u64) -> usize {
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut steps = 0;
    while s_n != 0 {
        if f_n & 1 == 1 || f_n == s_n {
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        }
        f_n >>= 1;
        s_n >>= 1;
        steps += 1;
    }
    // The loop consumes one hash per step after the first; a power-of-two old size supplies
    // the first itself (its root), otherwise the proof does.
    if old.is_power_of_two() {
        steps
    } else {
        steps + 1
    }
}

/// The number of hashes in the audit path of `index` in a tree of `size` leaves.
fn inclusion_len(index: u64, size: u64) -> usize {
    // The verification loop of RFC 9162 §2.1.3.2, run on the indices alone.
    let (mut f_n, mut s_n, mut len) = (index, size - 1, 0);
    while s_n != 0 {
        if f_n & 1 == 1 || f_n == s_n {
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        }
        f_n >>= 1;
        s_n >>= 1;
        len += 1;
    }
    len
}

/// Verifies that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old_size > new_size || (old_size == 0 && new_size != 0) {
        return Err(ProofError::BadSizes {
            old: old_size,
            new: new_size,
            size: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        if old_root != new_root {
            return Err(ProofError::EqualSizesDifferentRoots);
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength { got: 0, want: 1 });
    }
    // Step 2: if old_size is a power of two, prepend old_root.
    let mut hashes: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        hashes.push(*old_root);
    }
    hashes.extend_from_slice(proof);
    let want = consistency_len(old_size, new_size);
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    // Step 4: drop the common right-aligned levels.
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut fr = hashes[0];
    let mut sr = hashes[0];
    for c in &hashes[1..] {
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if fr != *old_root {
        return Err(ProofError::RootMismatch {
            expected: *old_root,
            calculated: fr,
        });
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch {
            expected: *new_root,
            calculated: sr,
        });
    }
    Ok(())
}

/// A Merkle tree in memory (every complete subtree hash, level by level), for tests, tools
/// and small logs.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf hash, completing every subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            let n = self.levels[level].len();
            if n % 2 == 1 {
                break;
            }
            hash = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            level += 1;
        }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }
}

impl NodeReader for MemoryTree {
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        self.levels
            .get(usize::from(level))
            .and_then(|l| l.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(StoreError::MissingNode {
                level,
                index,
                size: self.size(),
            })
    }
}
