//! The job worker: claims jobs from the PostgreSQL queue (`app::backend::jobs`) and runs the
//! handler registered for each kind. A handler may take jobs in batches (the image model embeds
//! several images in one pass faster than one by one); each job still succeeds or fails alone.
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
use tracing::Instrument;

/// One outcome per job handed to [`JobHandler::run`], in the same order.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Vec<Result<(), String>>> + Send + 'a>>;

/// A [`JobHandler::run`] for jobs handled alone: `one` runs each in turn.
pub fn one_by_one<'a, F, Fut>(jobs: &'a [ClaimedJob], one: F) -> HandlerFuture<'a>
where
    F: Fn(&'a ClaimedJob) -> Fut + Send + 'a,
    Fut: Future<Output = Result<(), String>> + Send + 'a,
{
    Box::pin(async move {
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            outcomes.push(one(job).await);
        }
        outcomes
    })
}

/// Runs one kind of job. Must be idempotent: an attempt can be repeated.
pub trait JobHandler: Send + Sync + 'static {
    fn kind(&self) -> &'static str;

    /// The most jobs handed to one [`run`](Self::run).
    fn batch_size(&self) -> usize {
        1
    }

    /// Whether the handler can run its jobs now. While it cannot (the image model is not
    /// loaded), the worker leaves its jobs queued rather than failing them.
    fn is_ready(&self) -> bool {
        true
    }

    /// Runs `jobs` (at least one, at most `batch_size`) and reports each one's outcome.
    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a>;
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

    /// How long a claimed job stays this worker's before another may take it over (a worker
    /// that died mid-job holds its jobs this long).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn with_idle_poll(mut self, every: Duration) -> Self {
        self.idle_poll = every;
        self
    }

    /// Claims and runs one batch of due jobs; returns how many there were.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let kinds: Vec<String> = self
            .handlers
            .iter()
            .filter(|(_, handler)| handler.is_ready())
            .map(|(kind, _)| kind.clone())
            .collect();
        if kinds.is_empty() {
            return Ok(0);
        }
        let batch = self.handlers.values().map(|handler| handler.batch_size()).max().unwrap_or(1);
        let claimed = jobs::claim(&self.pool, &self.id, &kinds, self.lease, batch as i64).await?;
        let count = claimed.len();
        // Claims come oldest first; run them in runs of one kind, each within its handler's size.
        let mut rest = claimed.as_slice();
        while let Some(first) = rest.first() {
            let handler = Arc::clone(&self.handlers[&first.kind]);
            let same_kind = rest.iter().take_while(|job| job.kind == first.kind).count();
            let (group, tail) = rest.split_at(same_kind.min(handler.batch_size().max(1)));
            let span = tracing::info_span!("jobs", kind = %first.kind, count = group.len());
            self.run_group(handler, group).instrument(span).await?;
            rest = tail;
        }
        Ok(count)
    }

    async fn run_group(
        &self,
        handler: Arc<dyn JobHandler>,
        group: &[ClaimedJob],
    ) -> Result<(), sqlx::Error> {
        let budget = self.lease.mul_f64(0.8);
        let attempt = {
            let group = group.to_vec();
            tokio::spawn(async move { tokio::time::timeout(budget, handler.run(&group)).await })
        };
        let outcomes = match attempt.await {
            Ok(Ok(outcomes)) if outcomes.len() == group.len() => outcomes,
            Ok(Ok(outcomes)) => {
                let error = format!(
                    "the handler reported {} outcomes for {} jobs",
                    outcomes.len(),
                    group.len()
                );
                vec![Err(error); group.len()]
            }
            Ok(Err(_elapsed)) => vec![Err(format!("timed out after {budget:?}")); group.len()],
            Err(join) if join.is_panic() => {
                vec![Err("the handler panicked".to_owned()); group.len()]
            }
            Err(join) => vec![Err(format!("the handler was cancelled: {join}")); group.len()],
        };
        for (job, outcome) in group.iter().zip(outcomes) {
            let span = tracing::info_span!("job", id = %job.id, attempt = job.attempt);
            self.record(job, outcome).instrument(span).await?;
        }
        Ok(())
    }

    async fn record(
        &self,
        job: &ClaimedJob,
        outcome: Result<(), String>,
    ) -> Result<(), sqlx::Error> {
        match outcome {
            Ok(()) => {
                if jobs::complete(&self.pool, job, &self.id).await? {
                    tracing::debug!("job succeeded");
                } else {
                    tracing::warn!("job finished after its lease ran out; another worker owns it");
                }
            }
            Err(error) => {
                metrics::counter!("vitrine_job_failures_total", "kind" => job.kind.clone())
                    .increment(1);
                match jobs::fail(&self.pool, job, &self.id, &error).await? {
                    FailureOutcome::RetryIn(delay) => {
                        tracing::warn!(%error, ?delay, "job failed; will retry")
                    }
                    FailureOutcome::Dead => {
                        tracing::error!(%error, "job failed for the last time; dead")
                    }
                    FailureOutcome::LostLease => {
                        tracing::warn!(%error, "job failed after its lease ran out")
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs jobs until `stop` turns true; the job in progress is finished first.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, kinds = ?self.handlers.keys().collect::<Vec<_>>(), "worker started");
        poll_until_stopped(stop, self.idle_poll, "worker", || self.run_once()).await;
        tracing::info!(worker = %self.id, "worker stopped");
    }
}

/// The loop of every queue consumer (the worker, the outbox relay): runs `once` again at once
/// while it finds work, waits `idle_poll` when it found none or the database failed, and ends
/// when `stop` turns true (waking early for it).
pub async fn poll_until_stopped<F, Fut, E>(
    mut stop: watch::Receiver<bool>,
    idle_poll: Duration,
    what: &'static str,
    mut once: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, E>>,
    E: std::fmt::Display,
{
    while !*stop.borrow() {
        let idle = match once().await {
            Ok(handled) => handled == 0,
            Err(err) => {
                tracing::error!(error = %err, "the {what} cannot reach the database");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = stop.changed() => {}
                () = tokio::time::sleep(idle_poll) => {}
            }
        }
    }
}
