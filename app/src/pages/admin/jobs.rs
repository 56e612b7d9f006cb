//! `/admin/jobs` (permission `jobs`): every kind's queue (waiting, the oldest's age, running,
//! dead), the embedding backlog, the running jobs with their worker and progress, the jobs
//! waiting to retry with their error, and the dead ones with Retry and Discard (audited).
//! Plain form posts, so the page works without JavaScript; the same figures are JSON at
//! `GET /api/admin/jobs`.

use leptos::prelude::*;
use leptos_meta::Title;

use super::RequirePermission;
use crate::server_fns::admin::{background_jobs, DiscardJob, RetryJob};
use crate::types::{JobRow, JobsError, JobsOverview, Permission, Refusal};

#[component]
pub fn AdminJobsPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see AdminProductsPage).
    let retry = ServerAction::<RetryJob>::new();
    let discard = ServerAction::<DiscardJob>::new();
    let overview = Resource::new(
        move || (retry.version().get(), discard.version().get()),
        |_| background_jobs(),
    );
    let refusal = move || {
        retry
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| discard.value().get().and_then(Result::err))
    };
    view! {
        <Title text="Background jobs · Admin"/>
        <RequirePermission permission=Some(Permission::Jobs)>
            <h1>"Background jobs"</h1>
            <p class="hint">
                <a href="/admin/jobs">"Refresh"</a>
                " · the same figures as JSON: " <code>"GET /api/admin/jobs"</code>
            </p>
            {move || refusal().map(|error: JobsError| view! {
                <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p>
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <Overview overview retry discard/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </RequirePermission>
    }
}

#[component]
fn Overview(
    overview: JobsOverview,
    retry: ServerAction<RetryJob>,
    discard: ServerAction<DiscardJob>,
) -> impl IntoView {
    let JobsOverview { at, queues, running, retrying, dead, backlog } = overview;
    view! {
        <p class="hint">{format!("As of {}", at.format("%Y-%m-%d %H:%M:%S UTC"))}</p>
        <h2>"Queues"</h2>
        {if queues.is_empty() {
            view! { <p class="empty">"Nothing is queued, running or dead."</p> }.into_any()
        } else {
            view! {
                <table class="admin-table">
                    <thead><tr><th>"Kind"</th><th>"Waiting"</th><th>"Oldest waiting"</th><th>"Running"</th><th>"Dead"</th></tr></thead>
                    <tbody>
                        {queues.into_iter().map(|queue| {
                            let kind = queue.kind.clone();
                            view! {
                            <tr data-testid="job-queue" data-kind=kind>
                                <td><code>{queue.kind}</code></td>
                                <td>{queue.queued}</td>
                                <td>{age(queue.oldest_due_secs)}</td>
                                <td>{queue.running}</td>
                                <td>{queue.dead}</td>
                            </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <h2>"Embedding backlog"</h2>
        <table class="admin-table" data-testid="embedding-backlog">
            <thead><tr><th>"What"</th><th>"Model version"</th><th>"Ready"</th><th>"Waiting"</th><th>"Failed"</th></tr></thead>
            <tbody>
                <tr>
                    <td>"Images"</td><td><code>{backlog.image_model_version}</code></td>
                    <td>{backlog.images_ready}</td><td>{backlog.images_waiting}</td><td>{backlog.images_failed}</td>
                </tr>
                <tr>
                    <td>"Product texts"</td><td><code>{backlog.text_model_version}</code></td>
                    <td>{backlog.texts_ready}</td><td>{backlog.texts_waiting}</td><td>"—"</td>
                </tr>
            </tbody>
        </table>
        <h2>"Running"</h2>
        <JobTable rows=running empty="Nothing runs right now." actions=None/>
        <h2>"Retrying"</h2>
        <JobTable rows=retrying empty="No job is waiting to retry." actions=None/>
        <h2>"Dead"</h2>
        <JobTable rows=dead empty="No dead job." actions=Some((retry, discard))/>
    }
}

#[component]
fn JobTable(
    rows: Vec<JobRow>,
    empty: &'static str,
    actions: Option<(ServerAction<RetryJob>, ServerAction<DiscardJob>)>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    view! {
        <table class="admin-table job-table">
            <thead><tr>
                <th>"Kind"</th><th>"Attempts"</th><th>"Worker · progress"</th><th>"Last error"</th><th>"Due"</th>
                {actions.is_some().then(|| view! { <th>"Actions"</th> })}
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|job| {
                    let id = job.id.to_string();
                    let state = [job.worker.clone(), job.progress.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                    view! {
                        <tr data-testid="job-row" data-status=job.status.clone() data-kind=job.kind.clone()>
                            <td><code>{job.kind.clone()}</code><br/><span class="hint job-payload">{job.payload.clone()}</span></td>
                            <td>{format!("{} of {}", job.attempts, job.max_attempts)}</td>
                            <td>{state}</td>
                            <td class="job-error">{job.last_error.clone().unwrap_or_default()}</td>
                            <td>{job.run_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                            {actions.map(|(retry, discard)| {
                                let (retry_id, discard_id) = (id.clone(), id.clone());
                                view! {
                                    <td>
                                        <ActionForm action=retry attr:class="inline-form">
                                            <input type="hidden" name="job_id" value=retry_id/>
                                            <button type="submit" class="secondary">"Retry"</button>
                                        </ActionForm>
                                        <ActionForm action=discard attr:class="inline-form">
                                            <input type="hidden" name="job_id" value=discard_id/>
                                            <button type="submit" class="secondary">"Discard"</button>
                                        </ActionForm>
                                    </td>
                                }
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// "3 s", "4 min", "2 h".
fn age(seconds: f64) -> String {
    match seconds {
        s if s <= 0.0 => "—".to_owned(),
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7200.0 => format!("{:.0} min", s / 60.0),
        s => format!("{:.0} h", s / 3600.0),
    }
}
