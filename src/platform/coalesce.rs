//! Single flight for reads that many callers ask at once (thousands of long polls woken by
//! one write): callers of one key share one run, and each gets the outcome of a run that
//! *began after it asked*, so sharing never hands anyone an answer older than its own
//! request. While a run is in flight, everyone who asks waits for the next one, which the
//! first of them to wake starts when the current one ends: at most two runs per burst,
//! whatever its size. A run that ends wakes all its waiters at once, not one after another
//! (a queue of ten thousand hand-offs would serialize the crowd).

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// A run's outcome, shared by everyone it answers.
pub type Shared<V, E> = Result<Arc<V>, Arc<E>>;

/// One key's runs: how many began, whether one is in flight, and the last outcome with its
/// number; `ended` ticks whenever a run ends (or its caller gave up on it).
struct Slot<V, E> {
    runs: Mutex<Runs<V, E>>,
    ended: watch::Sender<u64>,
}

struct Runs<V, E> {
    begun: u64,
    in_flight: bool,
    last: Option<(u64, Shared<V, E>)>,
}

/// What a caller does next.
enum Turn<V, E> {
    Answered(Shared<V, E>),
    Run(u64),
    Wait(watch::Receiver<u64>),
}

/// Held by the caller running for a key: when its run ends, or its future is dropped
/// midway (a long poll whose client left), the slot is free again and its waiters wake.
struct InFlight<'a, V, E>(&'a Slot<V, E>);

impl<V, E> Drop for InFlight<'_, V, E> {
    fn drop(&mut self) {
        lock(&self.0.runs).in_flight = false;
        self.0.ended.send_modify(|ended| *ended += 1);
    }
}

pub struct Coalesced<K, V, E> {
    slots: Mutex<HashMap<K, Arc<Slot<V, E>>>>,
}

impl<K, V, E> Default for Coalesced<K, V, E> {
    fn default() -> Self {
        Self {
            slots: Mutex::default(),
        }
    }
}

impl<K: Hash + Eq + Clone, V, E> Coalesced<K, V, E> {
    /// The outcome of `run` for `key`, from a run that began after this call: this call's
    /// own, or one it shares with callers who asked while it waited.
    pub async fn run<F, Fut>(&self, key: K, run: F) -> Shared<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let slot = Arc::clone(self.lock().entry(key.clone()).or_insert_with(|| {
            Arc::new(Slot {
                runs: Mutex::new(Runs {
                    begun: 0,
                    in_flight: false,
                    last: None,
                }),
                ended: watch::channel(0).0,
            })
        }));
        // Runs begun before this call: only a later one may answer it.
        let asked = lock(&slot.runs).begun;
        let mut run = Some(run);
        let outcome = loop {
            let turn = {
                let mut runs = lock(&slot.runs);
                match &runs.last {
                    Some((number, outcome)) if *number > asked => Turn::Answered(outcome.clone()),
                    _ if runs.in_flight => Turn::Wait(slot.ended.subscribe()),
                    _ => {
                        runs.in_flight = true;
                        runs.begun += 1;
                        Turn::Run(runs.begun)
                    }
                }
            };
            match turn {
                Turn::Answered(outcome) => break outcome,
                Turn::Wait(mut ended) => {
                    // The sender lives as long as the slot, which this call holds.
                    let _ = ended.changed().await;
                }
                Turn::Run(number) => {
                    let in_flight = InFlight(&slot);
                    let run = run.take().expect("a caller runs at most once");
                    let outcome = run().await.map(Arc::new).map_err(Arc::new);
                    lock(&slot.runs).last = Some((number, outcome.clone()));
                    drop(in_flight);
                    break outcome;
                }
            }
        };
        // The last caller of a key forgets it (the map holds one reference, this call one).
        let mut slots = self.lock();
        if slots
            .get(&key)
            .is_some_and(|kept| Arc::strong_count(kept) <= 2)
        {
            slots.remove(&key);
        }
        outcome
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<Slot<V, E>>>> {
        lock(&self.slots)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_crowd_shares_one_run_begun_after_it_asked() {
        let coalesced: Arc<Coalesced<u8, usize, ()>> = Arc::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::watch::channel(false);
        // A run in flight when the crowd asks: its outcome is too old for them.
        let first = {
            let (coalesced, runs, mut released) =
                (Arc::clone(&coalesced), Arc::clone(&runs), released.clone());
            tokio::spawn(async move {
                coalesced
                    .run(1, || async move {
                        let _ = released.wait_for(|go| *go).await;
                        Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
                    })
                    .await
            })
        };
        tokio::task::yield_now().await;
        let crowd: Vec<_> = (0..100)
            .map(|_| {
                let (coalesced, runs) = (Arc::clone(&coalesced), Arc::clone(&runs));
                tokio::spawn(async move {
                    coalesced
                        .run(
                            1,
                            || async move { Ok(runs.fetch_add(1, Ordering::SeqCst) + 1) },
                        )
                        .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        release.send_replace(true);
        assert_eq!(*first.await.unwrap().unwrap(), 1);
        for asked in crowd {
            assert_eq!(*asked.await.unwrap().unwrap(), 2, "the run after the first");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert!(
            coalesced.lock().is_empty(),
            "a key nobody asks for is forgotten"
        );
        // Later callers start a run of their own.
        let later = coalesced
            .run(1, || async { Ok(runs.fetch_add(1, Ordering::SeqCst) + 1) })
            .await;
        assert_eq!(*later.unwrap(), 3);
        let failed = coalesced.run(2, || async { Err::<usize, _>(()) }).await;
        assert!(failed.is_err());
    }

    #[tokio::test]
    async fn a_run_abandoned_midway_hands_its_waiters_a_run_of_their_own() {
        let coalesced: Arc<Coalesced<u8, usize, ()>> = Arc::default();
        let abandoned = {
            let coalesced = Arc::clone(&coalesced);
            tokio::spawn(async move {
                coalesced
                    .run(1, std::future::pending::<Result<usize, ()>>)
                    .await
            })
        };
        tokio::task::yield_now().await;
        let waiter = {
            let coalesced = Arc::clone(&coalesced);
            tokio::spawn(async move { coalesced.run(1, || async { Ok(7) }).await })
        };
        tokio::task::yield_now().await;
        abandoned.abort();
        // A slot left in flight would keep the waiter waiting for ever: fail instead.
        let answered = tokio::time::timeout(std::time::Duration::from_secs(60), waiter).await;
        assert_eq!(*answered.expect("the waiter ran").unwrap().unwrap(), 7);
        assert!(coalesced.lock().is_empty());
    }
}
