//! Keeps a service alive: heartbeats at RSR's cadence (0.6 × timeout under 15 s, else
//! 0.8 ×, less up to 3 s of jitter above 5 s), and stops when told to, when dropped, or
//! when the registry says the service is gone (404).
//!
//! Through the registry's outages and overload (503s, connection errors) it keeps the
//! token it holds and retries with backoff, however long that takes, never registering
//! anew: the registry moves the deadlines an outage covered to its end plus the timeout,
//! and counts a heartbeat refused for load as a sign of life, so the first heartbeat that
//! gets through with that token keeps the service. Retries come at least three times per
//! timeout, so one lands within a timeout of the registry's return.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::client::Client;
use crate::error::Error;
use crate::retry;

/// Why a heartbeater stopped.
#[derive(Debug)]
pub enum Stopped {
    /// `stop()` was called.
    Requested,
    /// The registry answered 404: the service (or its token) is gone; nothing to keep alive.
    Gone(Error),
    /// A failure that retrying cannot mend (the request itself was refused).
    Failed(Error),
}

/// A service's heartbeats, not yet started.
pub struct HeartBeater {
    client: Client,
    id: String,
    timeout: u32,
    token: String,
}

/// A started heartbeater. Dropping it stops the heartbeats.
pub struct Running {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<Stopped>>,
}

impl HeartBeater {
    pub(crate) fn new(client: Client, id: String, timeout: u32, token: String) -> Self {
        Self {
            client,
            id,
            timeout,
            token,
        }
    }

    /// The time between heartbeats for a timeout, before jitter.
    pub fn interval(timeout: u32) -> Duration {
        let timeout = f64::from(timeout);
        Duration::from_secs_f64(if timeout < 15.0 {
            timeout * 0.6
        } else {
            timeout * 0.8
        })
    }

    /// Starts heartbeating on the current tokio runtime.
    pub fn start(self) -> Running {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        Running {
            stop,
            task: Some(task),
        }
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) -> Stopped {
        let longest_retry = Duration::from_secs(u64::from(self.timeout)) / 3;
        loop {
            let wait = jittered(Self::interval(self.timeout));
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return Stopped::Requested,
                () = tokio::time::sleep(wait) => {}
            }
            let mut delays = retry::delays();
            loop {
                match self
                    .client
                    .services()
                    .heartbeat(&self.id, &self.token)
                    .await
                {
                    Ok(next) => {
                        self.token = next;
                        break;
                    }
                    Err(error) if error.is_not_found() => {
                        log::warn!("service {} is gone: {error}", self.id);
                        return Stopped::Gone(error);
                    }
                    Err(error) if error.is_transient() => {
                        let delay = retry::next(&mut delays).min(longest_retry);
                        log::warn!("heartbeat of {} failed, retrying: {error}", self.id);
                        tokio::select! {
                            _ = stop.wait_for(|stopped| *stopped) => return Stopped::Requested,
                            () = tokio::time::sleep(delay) => {}
                        }
                    }
                    Err(error) => return Stopped::Failed(error),
                }
            }
        }
    }
}

/// RSR's clients subtract up to 3 s at random from intervals above 5 s, so a fleet started
/// together does not heartbeat in step.
fn jittered(interval: Duration) -> Duration {
    if interval > Duration::from_secs(5) {
        interval.saturating_sub(Duration::from_secs_f64(rand::random::<f64>() * 3.0))
    } else {
        interval
    }
}

impl Running {
    /// Stops and reports why it stopped (`Requested`, unless it had stopped on its own).
    pub async fn stop(mut self) -> Stopped {
        let _ = self.stop.send(true);
        self.outcome().await
    }

    /// Waits until it stops on its own (the service gone, or a request refused as such).
    pub async fn stopped(mut self) -> Stopped {
        self.outcome().await
    }

    async fn outcome(&mut self) -> Stopped {
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Stopped::Requested),
            None => Stopped::Requested,
        }
    }

    /// Whether it is still heartbeating.
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|task| !task.is_finished())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadence_follows_rsr() {
        assert_eq!(HeartBeater::interval(10), Duration::from_secs(6));
        assert_eq!(HeartBeater::interval(30), Duration::from_secs(24));
        assert_eq!(HeartBeater::interval(3), Duration::from_secs_f64(1.8));
        for _ in 0..100 {
            let wait = jittered(Duration::from_secs(24));
            assert!(wait <= Duration::from_secs(24) && wait >= Duration::from_secs(21));
        }
        assert_eq!(jittered(Duration::from_secs(3)), Duration::from_secs(3));
    }
}
