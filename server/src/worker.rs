//! The job worker: claims jobs from the PostgreSQL queue (`app::backend::jobs`) and runs the
//! handler registered for each kind, one job at a time per worker.
//!
//! A handler gets less time than the job's lease, so a slow attempt fails cleanly before another
//! worker could take the job over; a panicking handler counts as a failed attempt, not a dead
//! worker.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use app::backend::jobs::{self, ClaimedJob, FailureOutcome};
use sqlx::PgPool;
use tokio::sync::watch;

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Runs one kind of job. Must be idempotent: an attempt can be repeated.
pub trait JobHandler: Send + Sync + 'static {
    fn kind(&self) -> &'static str;
    fn run<'a>(&'a self, job: &'a ClaimedJob) -> HandlerFuture<'a>;
}

pub struct Worker {
    pool: PgPool,
    id: String,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    /// How long a claimed job stays ours; a handler gets 80 % of it.
    lease: Duration,
    idle_poll: Duration,
}

impl Worker {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            id: format!("worker-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            handlers: HashMap::new(),
            lease: Duration::from_secs(300),
            idle_poll: Duration::from_millis(500),
        }
    }

    pub fn with_handler(mut self, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(handler.kind().to_owned(), handler);
        self
    }

    pub fn with_idle_poll(mut self, every: Duration) -> Self {
        self.idle_poll = every;
        self
    }

    /// Claims and runs at most one job; returns whether there was one.
    pub async fn run_once(&self) -> Result<bool, sqlx::Error> {
        let kinds: Vec<String> = self.handlers.keys().cloned().collect();
        let Some(job) = jobs::claim(&self.pool, &self.id, &kinds, self.lease, 1).await?.pop()
        else {
            return Ok(false);
        };
        let handler = Arc::clone(&self.handlers[&job.kind]);
        let span =
            tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempt);
        let _enter = span.enter();

        let budget = self.lease.mul_f64(0.8);
        let attempt = {
            let job = job.clone();
            tokio::spawn(async move { tokio::time::timeout(budget, handler.run(&job)).await })
        };
        let result = match attempt.await {
            Ok(Ok(result)) => result,
            Ok(Err(_elapsed)) => Err(format!("timed out after {budget:?}")),
            Err(join) if join.is_panic() => Err("the handler panicked".to_owned()),
            Err(join) => Err(format!("the handler was cancelled: {join}")),
        };

        match result {
            Ok(()) => {
                if jobs::complete(&self.pool, &job, &self.id).await? {
                    tracing::info!("job succeeded");
                } else {
                    tracing::warn!("job finished after its lease ran out; another worker owns it");
                }
            }
            Err(error) => match jobs::fail(&self.pool, &job, &self.id, &error).await? {
                FailureOutcome::RetryIn(delay) => {
                    tracing::warn!(%error, ?delay, "job failed; will retry")
                }
                FailureOutcome::Dead => {
                    tracing::error!(%error, "job failed for the last time; dead")
                }
                FailureOutcome::LostLease => {
                    tracing::warn!(%error, "job failed after its lease ran out")
                }
            },
        }
        Ok(true)
    }

    /// Runs jobs until `stop` turns true; the job in progress is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, kinds = ?self.handlers.keys().collect::<Vec<_>>(), "worker started");
        while !*stop.borrow() {
            let idle = match self.run_once().await {
                Ok(found) => !found,
                Err(err) => {
                    tracing::error!(error = %err, "worker cannot reach the queue");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = stop.changed() => {}
                    () = tokio::time::sleep(self.idle_poll) => {}
                }
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }
}
