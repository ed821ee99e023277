//! Wakes long polls when a tenant's feed grows: at once for events appended by this node,
//! and within the poll interval for events appended by any other node (a watcher reads
//! the last id of the feeds someone is waiting on).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::identity::TenantId;

/// What this node knows of one feed: its last event id as the watcher last read it, and
/// how many times the feed moved since this node began watching it (an append here, or a
/// new last id read by the watcher).
#[derive(Debug, Default)]
pub struct Known {
    last: String,
    generation: u64,
}

/// Per tenant with waiters: what this node knows of its feed.
#[derive(Clone, Default)]
pub struct FeedSignal {
    feeds: Arc<Mutex<HashMap<i64, watch::Sender<Known>>>>,
}

/// Changes when a feed moves; [`FeedWatch::generation`] tells two readings apart.
pub struct FeedWatch(watch::Receiver<Known>);

impl FeedWatch {
    /// How often the feed had moved when this watch began: equal at two watches means
    /// nothing was appended on this node, nor seen by the watcher, between them.
    pub fn generation(&self) -> u64 {
        self.0.borrow().generation
    }

    /// Until the feed moves after this watch began.
    pub async fn changed(&mut self) {
        // The sender lives while anyone subscribes; a closed channel has nothing to wait for.
        let _ = self.0.changed().await;
    }
}

impl FeedSignal {
    /// A watch that changes when `tenant`'s feed grows. Subscribe before reading the
    /// feed, so an append between the read and the wait is not missed.
    pub fn subscribe(&self, tenant: TenantId) -> FeedWatch {
        let mut feeds = self.lock();
        FeedWatch(
            feeds
                .entry(tenant.get())
                .or_insert_with(|| watch::channel(Known::default()).0)
                .subscribe(),
        )
    }

    /// This node appended to `tenant`'s feed.
    pub fn appended(&self, tenant: TenantId) {
        if let Some(sender) = self.lock().get(&tenant.get()) {
            sender.send_modify(|known| known.generation += 1);
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
                        known.generation += 1;
                    }
                    moved
                });
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, watch::Sender<Known>>> {
        self.feeds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
