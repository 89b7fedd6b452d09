//! One contract suite (the `LogStore` doc comment), run against every store.

use std::sync::Arc;

use tlog::check::verify_store;
use tlog::proof::{inclusion_proof, root_at, verify_inclusion};
use tlog::sequencer::{SequenceError, Sequencer};
use tlog::store::{Entry, FaultKind, Guarded, LogStore, MemoryStore};
use tlog::{Hash, leaf_hash};

fn entry(i: u64) -> Entry {
    Entry {
        leaf: format!("leaf {i}").into_bytes(),
        extra: i.to_be_bytes().to_vec(),
        index_keys: vec![format!("key {}", i % 3).into_bytes(), b"all".to_vec()],
    }
}

/// The contract, for any store that starts empty.
fn contract(store: &impl LogStore) {
    assert_eq!(store.tree_size().unwrap(), 0);
    assert_eq!(store.entry(0).unwrap(), None);
    // Order: consecutive indices from the tree size, in batch order.
    assert_eq!(store.append(&[entry(0)]).unwrap(), 0);
    assert_eq!(
        store
            .append(&(1..5).map(entry).collect::<Vec<_>>())
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .append(&(5..300).map(entry).collect::<Vec<_>>())
            .unwrap(),
        5
    );
    assert_eq!(store.tree_size().unwrap(), 300);
    for i in [0u64, 4, 5, 299] {
        let e = store.entry(i).unwrap().unwrap();
        assert_eq!(e.leaf, entry(i).leaf);
        assert_eq!(e.extra, entry(i).extra);
    }
    assert_eq!(store.entry(300).unwrap(), None);
    // Nodes: every complete subtree answers, an incomplete one is an error.
    assert_eq!(store.node(0, 7).unwrap(), leaf_hash(&entry(7).leaf));
    assert!(
        store.node(8, 0).is_ok(),
        "256 leaves make a complete level-8 subtree"
    );
    assert!(store.node(9, 0).is_err(), "512 leaves do not exist yet");
    assert!(store.node(0, 300).is_err());
    let root = root_at(store, 300).unwrap();
    let proof = inclusion_proof(store, 123, 300).unwrap();
    verify_inclusion(&leaf_hash(&entry(123).leaf), 123, 300, &proof, &root).unwrap();
    // Lookups.
    assert_eq!(
        store.leaf_index(&leaf_hash(&entry(42).leaf)).unwrap(),
        Some(42)
    );
    assert_eq!(store.leaf_index(&leaf_hash(b"absent")).unwrap(), None);
    let key1 = store.lookup(b"key 1").unwrap();
    assert_eq!(key1.len(), 100);
    assert!(key1.windows(2).all(|w| w[0] < w[1]) && key1[0] == 1);
    assert_eq!(store.lookup(b"all").unwrap().len(), 300);
    assert!(
        store.lookup(b"key").unwrap().is_empty(),
        "a key is not a prefix match"
    );
    // A duplicate leaf is stored (dedup is the sequencer's job); leaf_index keeps the first.
    store.append(&[entry(42)]).unwrap();
    assert_eq!(
        store.leaf_index(&leaf_hash(&entry(42).leaf)).unwrap(),
        Some(42)
    );
    // Metadata.
    assert_eq!(store.meta("checkpoint").unwrap(), None);
    store.put_meta("checkpoint", b"v1").unwrap();
    store.put_meta("checkpoint", b"v2").unwrap();
    assert_eq!(
        store.meta("checkpoint").unwrap().as_deref(),
        Some(&b"v2"[..])
    );
    // The whole store recomputes.
    let (size, root) = verify_store(store).unwrap();
    assert_eq!(size, 301);
    assert_eq!(root, root_at(store, 301).unwrap());
}

#[test]
fn memory_store_meets_the_contract() {
    contract(&MemoryStore::new());
}

#[test]
fn guarded_store_meets_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    contract(&Guarded::open("test log", &log, |_| Ok(MemoryStore::new())).unwrap());
    let log = dir.path().join("sequenced");
    sequencer_contract(Arc::new(
        Guarded::open("test log", &log, |_| Ok(MemoryStore::new())).unwrap(),
    ));
}

#[test]
fn failed_batch_changes_nothing() {
    let store = MemoryStore::new();
    store.append(&[entry(0), entry(1), entry(2)]).unwrap();
    let root = root_at(&store, 3).unwrap();
    store.fail_next_append(FaultKind::FailCommitAndNotPersist);
    assert!(store.append(&[entry(3), entry(4)]).is_err());
    assert_eq!(store.tree_size().unwrap(), 3);
    assert_eq!(root_at(&store, 3).unwrap(), root);
    assert!(store.lookup(b"key 0").unwrap() == vec![0]);
    assert_eq!(store.leaf_index(&leaf_hash(&entry(3).leaf)).unwrap(), None);
    // After the commit point, a failure leaves the batch whole.
    store.fail_next_append(FaultKind::FailCommitButPersist);
    assert!(store.append(&[entry(3), entry(4)]).is_err());
    assert_eq!(store.tree_size().unwrap(), 5);
    verify_store(&store).unwrap();
}

fn sequencer_contract<S: LogStore + 'static>(store: Arc<S>) {
    let seq = Arc::new(Sequencer::new(store.clone(), 64));
    // Many threads, overlapping entries: every distinct entry lands once, each caller hears
    // back exactly once, duplicates point at the existing entry.
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let seq = seq.clone();
            std::thread::spawn(move || {
                (0..50u64)
                    .map(|i| {
                        let n = (t * 50 + i) % 200; // every entry submitted twice
                        (n, seq.submit_wait(entry(n)))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<(u64, Result<_, _>)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(results.len(), 400);
    let appended = results.iter().filter(|(_, r)| r.is_ok()).count();
    assert_eq!(
        appended, 200,
        "each distinct entry is appended exactly once"
    );
    for (n, r) in &results {
        let index = match r {
            Ok(a) => {
                assert!(a.index < a.tree_size);
                a.index
            }
            Err(SequenceError::Duplicate { index }) => *index,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(store.entry(index).unwrap().unwrap().leaf, entry(*n).leaf);
    }
    assert_eq!(store.tree_size().unwrap(), 200);
    verify_store(&*store).unwrap();
}

#[test]
fn sequencer_appends_each_entry_once_and_answers_every_caller() {
    sequencer_contract(Arc::new(MemoryStore::new()));
}

#[test]
fn sequencer_reports_store_failures_to_the_whole_batch() {
    let store = Arc::new(MemoryStore::new());
    let seq = Sequencer::new(store.clone(), 16);
    seq.submit_wait(entry(0)).unwrap();
    store.fail_next_append(FaultKind::FailCommitAndNotPersist);
    assert!(matches!(
        seq.submit_wait(entry(1)),
        Err(SequenceError::Store(_))
    ));
    assert_eq!(store.tree_size().unwrap(), 1);
    assert_eq!(seq.submit_wait(entry(1)).unwrap().index, 1);
    let _: Hash = root_at(&*store, 2).unwrap();
}

#[cfg(feature = "rocksdb")]
mod rocks {
    use super::*;
    use tlog::store::RocksStore;

    #[test]
    fn rocks_store_meets_the_contract() {
        let dir = tempfile::tempdir().unwrap();
        contract(&RocksStore::open(dir.path()).unwrap());
    }

    #[test]
    fn rocks_store_reopens_where_it_left_off() {
        let dir = tempfile::tempdir().unwrap();
        let root = {
            let store = RocksStore::open(dir.path()).unwrap();
            store
                .append(&(0..77).map(entry).collect::<Vec<_>>())
                .unwrap();
            store.put_meta("checkpoint", b"cp").unwrap();
            root_at(&store, 77).unwrap()
        };
        let store = RocksStore::open(dir.path()).unwrap();
        assert_eq!(store.tree_size().unwrap(), 77);
        assert_eq!(root_at(&store, 77).unwrap(), root);
        assert_eq!(
            store.meta("checkpoint").unwrap().as_deref(),
            Some(&b"cp"[..])
        );
        assert_eq!(store.append(&[entry(77)]).unwrap(), 77);
        verify_store(&store).unwrap();
    }

    /// Guarded, a reopened store resumes, and its kept head is the tree it left.
    #[test]
    fn guarded_rocks_store_meets_the_contract_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        contract(&Guarded::open("test log", &path, RocksStore::open).unwrap());
        let log = Guarded::open("test log", &path, RocksStore::open).unwrap();
        assert_eq!(log.tree_size().unwrap(), 301);
        let kept = log.head_file().read().unwrap().unwrap();
        assert_eq!((kept.size, kept.root), (301, root_at(&log, 301).unwrap()));
    }

    #[test]
    fn sequencer_on_rocks() {
        let dir = tempfile::tempdir().unwrap();
        sequencer_contract(Arc::new(RocksStore::open(dir.path()).unwrap()));
    }
}
