//! Where a long job's progress goes: onto the job's row (the command line's bar and the admin's
//! jobs page read it there), straight onto a progress bar (an evaluation run in the terminal), or
//! nowhere.

use app::backend::jobs::{self, Progress};
use app::backend::training::EpochDone;
use indicatif::ProgressBar;
use sqlx::PgPool;
use uuid::Uuid;

pub enum Reporter {
    Job { pool: PgPool, id: Uuid },
    Bar(ProgressBar),
    Quiet,
}

impl Reporter {
    /// Reports that `stage` has done `done` of `total`. A failed write is logged, not fatal:
    /// progress is for watching, the work goes on.
    pub async fn report(&self, stage: &str, done: u64, total: u64, detail: Option<String>) {
        let progress = Progress { stage: stage.to_owned(), done, total, detail };
        match self {
            Reporter::Job { pool, id } => {
                if let Err(err) = jobs::set_progress(pool, *id, &progress).await {
                    tracing::warn!(error = %err, "could not record the job's progress");
                }
            }
            Reporter::Bar(bar) => show(bar, &progress),
            Reporter::Quiet => {}
        }
    }

    /// Clears a terminal bar once the work is done (the job's row keeps its last word).
    pub fn finish(&self) {
        if let Reporter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Puts `progress` on `bar` (its template shows `{msg}`, `{pos}` and `{len}`).
pub fn show(bar: &ProgressBar, progress: &Progress) {
    bar.set_length(progress.total);
    bar.set_position(progress.done);
    match &progress.detail {
        Some(detail) => bar.set_message(format!("{}, {detail}", progress.stage)),
        None => bar.set_message(progress.stage.clone()),
    }
}

/// A bar for [`show`]: the stage, a bar, done/total and the time left.
pub fn bar() -> ProgressBar {
    ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg:<40} [{bar:30}] {pos}/{len}, eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    )
}

/// Runs a training `work` on a blocking thread (off the async threads), putting each epoch it
/// reports, with its loss, on `reporter` as `stage`. Every model trained here goes through it.
pub async fn train_in_background<T: Send + 'static>(
    stage: &str,
    reporter: &Reporter,
    work: impl FnOnce(&mut dyn FnMut(EpochDone)) -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<EpochDone>();
    let running = tokio::task::spawn_blocking(move || {
        work(&mut |done| {
            let _ = sender.send(done);
        })
    });
    while let Some(done) = receiver.recv().await {
        let detail = Some(format!("loss {:.4}", done.loss));
        reporter.report(stage, done.epoch as u64, done.epochs as u64, detail).await;
    }
    Ok(running.await?)
}

/// Runs job `id` on `worker` in this process (unless another worker holds it: then only
/// follows it), its progress on a terminal bar, until it has succeeded; `what` names the work
/// in the error of a job that died. A failed attempt is retried later by a server's worker.
pub async fn run_here_and_follow(
    pool: &PgPool,
    id: Uuid,
    worker: &crate::jobs::worker::Worker,
    what: &str,
) -> anyhow::Result<()> {
    use anyhow::Context;

    let bar = bar();
    let follow = async {
        loop {
            let state =
                jobs::state(pool, id).await?.with_context(|| format!("the {what} job vanished"))?;
            if let Some(progress) = &state.progress {
                show(&bar, progress);
            }
            match state.status.as_str() {
                "succeeded" => return anyhow::Ok(()),
                "dead" => anyhow::bail!(
                    "{what} failed: {}",
                    state.last_error.unwrap_or_else(|| "no error recorded".to_owned())
                ),
                _ => tokio::time::sleep(std::time::Duration::from_millis(250)).await,
            }
        }
    };
    let run = async {
        loop {
            if worker.run_once().await? == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
        #[allow(unreachable_code)]
        anyhow::Ok(())
    };
    let outcome = tokio::select! {
        followed = follow => followed,
        ran = run => ran,
    };
    bar.finish_and_clear();
    if let Err(err) = outcome {
        if let Some(state) = jobs::state(pool, id).await? {
            if let Some(error) = state.last_error {
                anyhow::bail!("{err:#} (last error: {error})");
            }
        }
        return Err(err);
    }
    Ok(())
}
