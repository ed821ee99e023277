//! The last read of each page that found nothing after its marker. Ten thousand followers
//! re-poll within a second of each answer; one that comes back while such a read is fresh
//! and nothing moved since waits at once instead of reading again: the read it would start
//! could only find what the read just done found, or what its wait will be woken for.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Pruned of stale reads whenever it holds twice as many as after the last pruning.
const FIRST_PRUNING: usize = 1024;

pub struct RecentEnds<K> {
    fresh_for: Duration,
    reads: Mutex<Reads<K>>,
}

struct Reads<K> {
    ends: HashMap<K, End>,
    prune_at: usize,
}

/// A read that began at `began`, the feed at `generation` when it was asked for.
#[derive(Clone, Copy)]
struct End {
    generation: u64,
    began: Instant,
}

impl<K: Hash + Eq> RecentEnds<K> {
    /// Reads stay fresh for `fresh_for`: the longest a poll may wait on one without reading.
    pub fn new(fresh_for: Duration) -> Self {
        Self {
            fresh_for,
            reads: Mutex::new(Reads {
                ends: HashMap::new(),
                prune_at: FIRST_PRUNING,
            }),
        }
    }

    /// A read of `key` asked for at `began`, with the feed at `generation` then, found
    /// nothing after its marker.
    pub fn found_end(&self, key: K, generation: u64, began: Instant) {
        let mut reads = self.lock();
        let newer = reads
            .ends
            .get(&key)
            .is_none_or(|end| (end.generation, end.began) < (generation, began));
        if newer {
            reads.ends.insert(key, End { generation, began });
        }
        if reads.ends.len() >= reads.prune_at {
            let fresh_for = self.fresh_for;
            reads.ends.retain(|_, end| end.began.elapsed() < fresh_for);
            reads.prune_at = FIRST_PRUNING.max(2 * reads.ends.len());
        }
    }

    /// Until when a poll of `key` that finds the feed at `generation` may wait on the last
    /// read of `key` instead of reading: `None` if no read of the page found its end
    /// since the feed last moved, or that read is no longer fresh.
    pub fn joinable(&self, key: &K, generation: u64) -> Option<Instant> {
        let reads = self.lock();
        let end = reads.ends.get(key)?;
        let until = end.began + self.fresh_for;
        (end.generation == generation && Instant::now() < until).then_some(until)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Reads<K>> {
        self.reads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRESH: Duration = Duration::from_millis(250);

    #[tokio::test(start_paused = true)]
    async fn a_fresh_end_at_the_same_generation_is_joinable_until_it_goes_stale() {
        let ends = RecentEnds::new(FRESH);
        let began = Instant::now();
        ends.found_end("page", 3, began);
        assert_eq!(ends.joinable(&"page", 3), Some(began + FRESH));
        assert_eq!(ends.joinable(&"other page", 3), None);
        tokio::time::advance(FRESH).await;
        assert_eq!(ends.joinable(&"page", 3), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_feed_that_moved_since_is_read_again() {
        let ends = RecentEnds::new(FRESH);
        ends.found_end("page", 3, Instant::now());
        assert_eq!(ends.joinable(&"page", 4), None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_older_read_does_not_replace_a_newer_one() {
        let ends = RecentEnds::new(FRESH);
        let earlier = Instant::now();
        tokio::time::advance(Duration::from_millis(100)).await;
        let later = Instant::now();
        ends.found_end("page", 4, later);
        ends.found_end("page", 3, earlier);
        assert_eq!(ends.joinable(&"page", 4), Some(later + FRESH));
        ends.found_end("page", 4, earlier);
        assert_eq!(ends.joinable(&"page", 4), Some(later + FRESH));
    }

    #[tokio::test(start_paused = true)]
    async fn stale_ends_are_pruned_as_the_map_grows() {
        let ends = RecentEnds::new(FRESH);
        for page in 0..FIRST_PRUNING - 1 {
            ends.found_end(page, 0, Instant::now());
        }
        tokio::time::advance(FRESH).await;
        ends.found_end(FIRST_PRUNING, 0, Instant::now());
        let reads = ends.lock();
        assert_eq!(reads.ends.len(), 1);
        assert_eq!(reads.prune_at, FIRST_PRUNING);
    }
}
