//! Wakes long polls when a tenant's feed grows: at once for events appended by this node,
//! and within the poll interval for events appended by any other node (a watcher reads
//! the last id of the feeds someone is waiting on).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::identity::TenantId;

/// Per tenant with waiters: the last event id this node knows of.
#[derive(Clone, Default)]
pub struct FeedSignal {
    feeds: Arc<Mutex<HashMap<i64, watch::Sender<String>>>>,
}

impl FeedSignal {
    /// A receiver that changes when `tenant`'s feed grows. Subscribe before reading the
    /// feed, so an append between the read and the wait is not missed.
    pub fn subscribe(&self, tenant: TenantId) -> watch::Receiver<String> {
        let mut feeds = self.lock();
        feeds
            .entry(tenant.get())
            .or_insert_with(|| watch::channel(String::new()).0)
            .subscribe()
    }

    /// This node appended to `tenant`'s feed.
    pub fn appended(&self, tenant: TenantId) {
        if let Some(sender) = self.lock().get(&tenant.get()) {
            sender.send_modify(|last| last.push('+'));
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
                    let moved = *known != last;
                    *known = last;
                    moved
                });
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, watch::Sender<String>>> {
        self.feeds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
