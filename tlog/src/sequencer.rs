//! Batching appends: many callers, one thread, one durable write per batch.
//!
//! Callers [`submit`](Sequencer::submit) entries with a completion callback. The sequencer
//! thread takes whatever is pending (up to `max_batch`), drops duplicates, appends the rest in
//! one [`LogStore::append`] (durable on return) and only then calls every callback. So an
//! acknowledged entry is always durable, and a burst of N requests costs one fsync, not N.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use crate::hash::{Hash, leaf_hash};
use crate::store::{Entry, LogStore, StoreError};

/// Where an entry landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Its index.
    pub index: u64,
    /// The tree size after its batch (a tree that contains it).
    pub tree_size: u64,
}

/// Why an entry was not appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    /// The same leaf is already in the log (or earlier in the same batch), at `index`.
    #[error("entry already in the log at index {index}")]
    Duplicate {
        /// The existing entry's index.
        index: u64,
    },
    /// Storage failed; nothing of the batch was acknowledged.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The sequencer is shutting down.
    #[error("the log is shutting down")]
    Closed,
}

/// The completion callback of a submission.
pub type Done = Box<dyn FnOnce(Result<Appended, SequenceError>) + Send>;

struct Submission {
    entry: Entry,
    done: Done,
}

/// The batching appender of one log.
pub struct Sequencer<S: LogStore + 'static> {
    store: Arc<S>,
    tx: Option<Sender<Submission>>,
    thread: Option<JoinHandle<()>>,
}

impl<S: LogStore + 'static> std::fmt::Debug for Sequencer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer").finish_non_exhaustive()
    }
}

impl<S: LogStore + 'static> Sequencer<S> {
    /// Starts the sequencer thread for `store`.
    pub fn new(store: Arc<S>, max_batch: usize) -> Self {
        let (tx, rx) = mpsc::channel();
        let worker = store.clone();
        let thread = std::thread::Builder::new()
            .name("tlog-sequencer".into())
            .spawn(move || run(&*worker, &rx, max_batch.max(1)))
            .expect("spawning the sequencer thread");
        Self {
            store,
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// The store it appends to.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// Queues `entry`; `done` is called once, from the sequencer thread, after its batch is
    /// durable (or with the reason it was not appended).
    pub fn submit(&self, entry: Entry, done: Done) {
        let submission = Submission { entry, done };
        match &self.tx {
            Some(tx) => {
                if let Err(mpsc::SendError(s)) = tx.send(submission) {
                    (s.done)(Err(SequenceError::Closed));
                }
            }
            None => (submission.done)(Err(SequenceError::Closed)),
        }
    }

    /// Submits and waits.
    pub fn submit_wait(&self, entry: Entry) -> Result<Appended, SequenceError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(
            entry,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv().unwrap_or(Err(SequenceError::Closed))
    }
}

impl<S: LogStore + 'static> Drop for Sequencer<S> {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has drained what was queued.
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(store: &dyn LogStore, rx: &Receiver<Submission>, max_batch: usize) {
    while let Ok(first) = rx.recv() {
        let mut pending = vec![first];
        while pending.len() < max_batch {
            match rx.try_recv() {
                Ok(s) => pending.push(s),
                Err(_) => break,
            }
        }
        commit(store, pending);
    }
}

fn commit(store: &dyn LogStore, pending: Vec<Submission>) {
    let size = match store.tree_size() {
        Ok(size) => size,
        Err(e) => {
            for s in pending {
                (s.done)(Err(e.clone().into()));
            }
            return;
        }
    };
    let mut batch = Vec::with_capacity(pending.len());
    let mut accepted: Vec<(u64, Done)> = Vec::new();
    let mut in_batch: HashMap<Hash, u64> = HashMap::new();
    for s in pending {
        let leaf = leaf_hash(&s.entry.leaf);
        match store.leaf_index(&leaf) {
            // Already durable: answer at once.
            Ok(Some(index)) => {
                (s.done)(Err(SequenceError::Duplicate { index }));
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                (s.done)(Err(e.into()));
                continue;
            }
        }
        if let Some(index) = in_batch.get(&leaf).copied() {
            // A duplicate in the same batch is reported only after the batch is durable,
            // below, since its "existing" entry is not durable yet.
            accepted.push((
                index,
                Box::new(move |r: Result<Appended, SequenceError>| {
                    (s.done)(match r {
                        Ok(_) => Err(SequenceError::Duplicate { index }),
                        Err(e) => Err(e),
                    })
                }),
            ));
            continue;
        }
        let index = size + batch.len() as u64;
        in_batch.insert(leaf, index);
        batch.push(s.entry);
        accepted.push((index, s.done));
    }
    let result = if batch.is_empty() {
        Ok(size)
    } else {
        store.append(&batch)
    };
    // COMMIT POINT passed (or failed): only now does any caller hear back.
    match result {
        Ok(start) => {
            debug_assert_eq!(start, size);
            let tree_size = size + batch.len() as u64;
            for (index, done) in accepted {
                done(Ok(Appended { index, tree_size }));
            }
        }
        Err(e) => {
            for (_, done) in accepted {
                done(Err(e.clone().into()));
            }
        }
    }
}
