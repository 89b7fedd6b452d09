//! `cargo bench -p tlog --features rocksdb`: appends per second into the RocksDB store (each
//! batch synced, as the stack runs it) and inclusion-proof time at 1M leaves.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tlog::proof::{inclusion_proof, root_at};
use tlog::store::{Entry, LogStore, RocksStore};

fn entries(start: u64, n: u64) -> Vec<Entry> {
    (start..start + n)
        .map(|i| Entry {
            leaf: format!("{{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"n\":{i}}}")
                .into_bytes(),
            extra: i.to_be_bytes().to_vec(),
            index_keys: vec![format!("sha256:{i:064x}").into_bytes()],
        })
        .collect()
}

fn appends(c: &mut Criterion) {
    let mut group = c.benchmark_group("rocks_append");
    for batch in [1u64, 256] {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        let mut next = 0u64;
        group.throughput(Throughput::Elements(batch));
        group.bench_function(format!("batch_{batch}"), |b| {
            b.iter_batched(
                || {
                    let e = entries(next, batch);
                    next += batch;
                    e
                },
                |e| store.append(&e).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn proofs_at_1m(c: &mut Criterion) {
    const SIZE: u64 = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    let mut n = 0;
    while n < SIZE {
        store.append(&entries(n, 16_384)).unwrap();
        n += 16_384;
    }
    let mut i = 0u64;
    c.bench_function("inclusion_proof_1m_leaves", |b| {
        b.iter(|| {
            i = (i + 7919) % SIZE;
            black_box(inclusion_proof(&store, i, SIZE).unwrap())
        })
    });
    c.bench_function("root_1m_leaves_minus_one", |b| {
        b.iter(|| black_box(root_at(&store, SIZE - 1).unwrap()))
    });
    assert_eq!(store.tree_size().unwrap(), SIZE);
}

criterion_group!(benches, appends, proofs_at_1m);
criterion_main!(benches);
