//! Background work of the application (purges now; the live registry's reaper next):
//! started with the server, told to stop with it, and awaited for a bounded time.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error_chain;

/// What a periodic job's success is worth a line in the log for.
pub trait Outcome {
    /// What the job did, when it did anything: "12 expired token(s) purged".
    fn done(&self) -> Option<String>;
}

/// A job that only keeps something up to date: its success goes unsaid.
impl Outcome for () {
    fn done(&self) -> Option<String> {
        None
    }
}

/// A count of what a job did, and what that was: logged unless it is zero.
pub struct Did(pub usize, pub &'static str);

impl Outcome for Did {
    fn done(&self) -> Option<String> {
        (self.0 > 0).then(|| format!("{} {}", self.0, self.1))
    }
}

fn log_outcome<O: Outcome, E: std::error::Error + 'static>(name: &str, outcome: Result<O, E>) {
    match outcome {
        Ok(outcome) => {
            if let Some(done) = outcome.done() {
                log::info!("{name}: {done}");
            }
        }
        Err(error) => log::warn!("{name} failed: {}", error_chain(&error)),
    }
}

/// Handed to every worker: resolves when the application stops.
#[derive(Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    pub async fn stopped(&mut self) {
        // An error means the sender is gone, which is a stop too.
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

pub struct Workers {
    stop: watch::Sender<bool>,
    running: Vec<(&'static str, JoinHandle<()>)>,
}

impl Default for Workers {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            running: Vec::new(),
        }
    }
}

impl Workers {
    /// Starts `work` on the current runtime.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, work: F)
    where
        F: FnOnce(StopSignal) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let signal = StopSignal(self.stop.subscribe());
        self.running.push((name, tokio::spawn(work(signal))));
    }

    /// Runs `job` every `period` until the application stops; a job in progress is
    /// finished, never cut off. The workers log its outcome: what it did, if anything,
    /// and why it failed.
    pub fn every<F, Fut, O, E>(&mut self, name: &'static str, period: Duration, job: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, E>> + Send,
        O: Outcome,
        E: std::error::Error + 'static,
    {
        self.periodic(name, period, job, false);
    }

    /// As [`Workers::every`], and once more when the application stops: for a job that
    /// writes out what the node gathered in memory.
    pub fn every_and_at_stop<F, Fut, O, E>(&mut self, name: &'static str, period: Duration, job: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, E>> + Send,
        O: Outcome,
        E: std::error::Error + 'static,
    {
        self.periodic(name, period, job, true);
    }

    fn periodic<F, Fut, O, E>(
        &mut self,
        name: &'static str,
        period: Duration,
        mut job: F,
        at_stop: bool,
    ) where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, E>> + Send,
        O: Outcome,
        E: std::error::Error + 'static,
    {
        self.spawn(name, move |mut stop| async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.stopped() => break,
                    _ = ticks.tick() => log_outcome(name, job().await),
                }
            }
            if at_stop {
                log_outcome(name, job().await);
            }
        });
    }

    /// Signals every worker and waits for each, at most `bound` in all; a worker still
    /// running then is aborted and named in the log.
    pub async fn stop(self, bound: Duration) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + bound;
        for (name, mut task) in self.running {
            match tokio::time::timeout_at(deadline, &mut task).await {
                Ok(Ok(())) => log::debug!("worker {name} stopped"),
                Ok(Err(error)) => log::error!("worker {name} failed: {error}"),
                Err(_) => {
                    log::warn!("worker {name} did not stop within {bound:?}; aborted");
                    task.abort();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A job that counts its runs.
    fn counting(
        runs: Arc<AtomicUsize>,
    ) -> impl FnMut() -> std::future::Ready<Result<(), std::fmt::Error>> + Send {
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(()))
        }
    }

    #[test]
    fn a_count_is_logged_only_when_something_was_done() {
        assert_eq!(Did(0, "token(s) purged").done(), None);
        assert_eq!(
            Did(3, "token(s) purged").done().as_deref(),
            Some("3 token(s) purged")
        );
        assert_eq!(().done(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn periodic_jobs_run_until_stopped_and_then_never_again() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::default();
        workers.every("count", Duration::from_secs(1), counting(Arc::clone(&runs)));
        tokio::time::sleep(Duration::from_millis(3500)).await;
        workers.stop(Duration::from_secs(1)).await;
        let after_stop = runs.load(Ordering::SeqCst);
        assert_eq!(after_stop, 4, "at 0, 1, 2 and 3 seconds");
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), after_stop);
    }

    #[tokio::test(start_paused = true)]
    async fn a_flushing_job_runs_once_more_at_the_stop_and_then_never_again() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::default();
        workers.every_and_at_stop("flush", Duration::from_secs(1), counting(Arc::clone(&runs)));
        tokio::time::sleep(Duration::from_millis(3500)).await;
        workers.stop(Duration::from_secs(1)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            5,
            "at 0, 1, 2 and 3 seconds, and at the stop"
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_that_ignores_the_signal_is_aborted_at_the_bound() {
        let mut workers = Workers::default();
        workers.spawn("stubborn", |_stop| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        let started = tokio::time::Instant::now();
        workers.stop(Duration::from_secs(2)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
