//! Wakes long polls when a tenant's feed grows: at once for events appended by this node,
//! and within the poll interval for events appended by any other node (a watcher reads
//! the last id of the feeds someone is waiting on).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::identity::TenantId;

/// What this node knows of one feed: its last event id as the watcher last read it, and a
/// generation that changes whenever the feed moves (an append here, or a new last id read
/// by the watcher).
#[derive(Debug)]
pub struct Known {
    last: String,
    generation: u64,
}

/// Per tenant with waiters: what this node knows of its feed. Generations come from one
/// counter, so a feed forgotten and watched again never repeats a generation it had (an
/// append while nobody waited moves no sender).
#[derive(Clone, Default)]
pub struct FeedSignal {
    feeds: Arc<Mutex<HashMap<i64, watch::Sender<Known>>>>,
    generations: Arc<AtomicU64>,
}

/// Changes when a feed moves; [`FeedWatch::generation`] tells two readings apart.
pub struct FeedWatch {
    receiver: watch::Receiver<Known>,
    generation: u64,
}

impl FeedWatch {
    /// The feed's generation when this watch began: equal at two watches means nothing
    /// was appended on this node, nor seen by the watcher, between them.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Until the feed moves after this watch began.
    pub async fn changed(&mut self) {
        // The sender lives while anyone subscribes; a closed channel has nothing to wait for.
        let _ = self.receiver.changed().await;
    }
}

impl FeedSignal {
    /// A watch that changes when `tenant`'s feed grows. Subscribe before reading the
    /// feed, so an append between the read and the wait is not missed.
    pub fn subscribe(&self, tenant: TenantId) -> FeedWatch {
        let mut feeds = self.lock();
        let sender = feeds.entry(tenant.get()).or_insert_with(|| {
            watch::channel(Known {
                last: String::new(),
                generation: self.next_generation(),
            })
            .0
        });
        // Both under the lock every move takes: the generation is the one the receiver
        // has seen.
        let generation = sender.borrow().generation;
        FeedWatch {
            receiver: sender.subscribe(),
            generation,
        }
    }

    /// This node appended to `tenant`'s feed.
    pub fn appended(&self, tenant: TenantId) {
        if let Some(sender) = self.lock().get(&tenant.get()) {
            sender.send_modify(|known| known.generation = self.next_generation());
        }
    }

    /// The tenants someone waits on; feeds nobody waits on any more are forgotten.
    pub fn watched(&self) -> Vec<i64> {
        let mut feeds = self.lock();
        feeds.retain(|_, sender| sender.receiver_count() > 0);
        feeds.keys().copied().collect()
    }

    /// The last ids read from the database: wakes the waiters of each feed that moved.
    pub fn observed(&self, last_ids: Vec<(i64, String)>) {
        let feeds = self.lock();
        for (tenant, last) in last_ids {
            if let Some(sender) = feeds.get(&tenant) {
                // The first reading after a subscription wakes its waiters once too (they
                // read the feed again and find nothing new): otherwise an append between
                // their read and that first reading would go unnoticed.
                sender.send_if_modified(|known| {
                    let moved = known.last != last;
                    if moved {
                        known.last = last;
                        known.generation = self.next_generation();
                    }
                    moved
                });
            }
        }
    }

    fn next_generation(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, watch::Sender<Known>>> {
        self.feeds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generation_changes_with_every_move_and_never_comes_back() {
        let signal = FeedSignal::default();
        let tenant = TenantId::new(1).unwrap();
        let first = signal.subscribe(tenant);
        let same = signal.subscribe(tenant);
        assert_eq!(first.generation(), same.generation());
        signal.appended(tenant);
        let appended = signal.subscribe(tenant).generation();
        assert_ne!(appended, first.generation());
        signal.observed(vec![(1, "a".into())]);
        let observed = signal.subscribe(tenant).generation();
        assert_ne!(observed, appended);
        signal.observed(vec![(1, "a".into())]);
        assert_eq!(
            signal.subscribe(tenant).generation(),
            observed,
            "the same last id"
        );

        // Nobody waits: the feed is forgotten, and an append moves nothing. Watched again,
        // it starts at a generation it never had.
        drop((first, same));
        assert!(signal.watched().is_empty());
        signal.appended(tenant);
        let again = signal.subscribe(tenant).generation();
        assert!(again > observed, "{again} after {observed}");
    }
}
