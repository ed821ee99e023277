//! Background work of the application (the reaper, purges, syncs, pollers, the live
//! writer): started with the server, told to stop with it, and awaited for a bounded time.
//! Periodic jobs return what they did or why they failed, and are logged here, once.

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

    /// A job to run every `period` until the application stops: [`Periodic::run`] starts
    /// it. A job in progress is finished, never cut off.
    pub fn every(&mut self, name: &'static str, period: Duration) -> Periodic<'_> {
        Periodic {
            workers: self,
            name,
            period,
            at_stop: false,
        }
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

/// A periodic job being set up: see [`Workers::every`].
pub struct Periodic<'a> {
    workers: &'a mut Workers,
    name: &'static str,
    period: Duration,
    at_stop: bool,
}

impl Periodic<'_> {
    /// Once more when the application stops, too: for a job that writes out what the node
    /// gathered in memory.
    pub fn and_at_stop(mut self) -> Self {
        self.at_stop = true;
        self
    }

    /// Starts the job: `job` is called with a clone of `on` each time. The workers log its
    /// outcome: what it did, if anything, and why it failed.
    pub fn run<C, F, Fut, O, E>(self, on: C, job: F)
    where
        C: Clone + Send + 'static,
        F: Fn(C) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, E>> + Send,
        O: Outcome,
        E: std::error::Error + 'static,
    {
        let Self {
            workers,
            name,
            period,
            at_stop,
        } = self;
        workers.spawn(name, move |mut stop| async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.stopped() => break,
                    _ = ticks.tick() => log_outcome(name, job(on.clone()).await),
                }
            }
            if at_stop {
                log_outcome(name, job(on).await);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A job that counts its runs.
    async fn count(runs: Arc<AtomicUsize>) -> Result<(), std::convert::Infallible> {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
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

    /// A job counting its runs every second, stopped at 3.5 s: (runs by the stop, runs
    /// five seconds after it).
    async fn runs_of_a_job(at_stop: bool) -> (usize, usize) {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::default();
        let job = workers.every("count", Duration::from_secs(1));
        let job = if at_stop { job.and_at_stop() } else { job };
        job.run(Arc::clone(&runs), count);
        tokio::time::sleep(Duration::from_millis(3500)).await;
        workers.stop(Duration::from_secs(1)).await;
        let by_the_stop = runs.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5)).await;
        (by_the_stop, runs.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn periodic_jobs_run_until_stopped_and_then_never_again() {
        assert_eq!(
            runs_of_a_job(false).await,
            (4, 4),
            "at 0, 1, 2 and 3 seconds"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_flushing_job_runs_once_more_at_the_stop_and_then_never_again() {
        assert_eq!(
            runs_of_a_job(true).await,
            (5, 5),
            "at 0, 1, 2 and 3 seconds, and at the stop"
        );
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
