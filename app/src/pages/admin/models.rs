//! Models: every stored version of each model with the figures it was judged by (the
//! recommender's next to the baselines measured on the same split), which one serves, activating
//! an older or newer recommender version (audited), asking for a training and following it, and
//! each recommendation row's click-through per model version.

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::RequirePermission;
use crate::server_fns::admin::{
    list_model_versions, recommendation_click_through, training_status, ActivateModelVersion,
    TrainRecommender,
};
use crate::types::{
    ClickThroughRow, JobStatus, ModelFigures, ModelKind, ModelVersionRow, ModelsError, Permission,
    RankingFigures, Refusal, TrainingJob, CLICK_THROUGH_DAYS,
};

/// How often the page asks how a training is getting on.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

type Answer<T> = Result<T, ModelsError>;

#[component]
pub fn AdminModelsPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let activate = ServerAction::<ActivateModelVersion>::new();
    let train = ServerAction::<TrainRecommender>::new();
    // Bumped when a followed training ends well: its version joins the list.
    let trained = RwSignal::new(0u32);
    let versions =
        Resource::new(move || (activate.version().get(), trained.get()), |_| list_model_versions());
    let click_through = Resource::new(|| (), |_| recommendation_click_through());
    view! {
        <Title text="Models · Admin"/>
        <RequirePermission permission=Some(Permission::Models)>
            <h1>"Models"</h1>
            <Refused error=Signal::derive(move || activate.value().get().and_then(Result::err))/>
            <VersionTables versions activate/>
            <Training train trained/>
            <ClickThrough rows=click_through/>
        </RequirePermission>
    }
}

#[component]
fn Refused(error: Signal<Option<ModelsError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            view! { <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p> }
        })
    }
}

#[component]
fn VersionTables(
    versions: Resource<Answer<Vec<ModelVersionRow>>>,
    activate: ServerAction<ActivateModelVersion>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match versions.await {
                    Ok(rows) => ModelKind::ALL.map(|kind| {
                        let of_kind: Vec<ModelVersionRow> =
                            rows.iter().filter(|row| row.kind == kind).cloned().collect();
                        view! { <VersionTable kind rows=of_kind activate/> }
                    }).collect_view().into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn VersionTable(
    kind: ModelKind,
    rows: Vec<ModelVersionRow>,
    activate: ServerAction<ActivateModelVersion>,
) -> impl IntoView {
    let head = match kind {
        ModelKind::Recommender => view! {
            <th title="The taste model, then popularity and item-KNN on the same held-out items">"NDCG@10"</th>
            <th title="The taste model, then popularity and item-KNN on the same held-out items">"Recall@10"</th>
            <th>"Coverage"</th>
            <th>"Shoppers measured"</th>
        }
        .into_any(),
        ModelKind::TextToImage => view! {
            <th>"Catalog recall@10"</th>
            <th>"Fashion-MNIST zero-shot"</th>
            <th>"Fashion-MNIST precision@10"</th>
        }
        .into_any(),
    };
    view! {
        <section class="model-kind" data-kind=kind.as_str()>
            <h2>{kind.title()}</h2>
            {if rows.is_empty() {
                view! { <p class="empty">"No version trained yet."</p> }.into_any()
            } else {
                view! {
                    <table class="admin-table model-versions">
                        <thead><tr>
                            <th>"Version"</th><th>"Trained"</th><th>"Data"</th>{head}<th>"Serving"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! { <VersionRow row activate/> }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn VersionRow(row: ModelVersionRow, activate: ServerAction<ActivateModelVersion>) -> impl IntoView {
    let figures = match row.figures {
        ModelFigures::Recommender { taste, popularity, item_knn, coverage, shoppers_measured } => {
            // The taste model's figure first, the baselines' on the same split under it.
            let three = move |pick: fn(RankingFigures) -> f64| {
                view! {
                    <strong>{share(pick(taste))}</strong><br/>
                    <span class="hint">{format!("pop. {}", share(pick(popularity)))}</span><br/>
                    <span class="hint">{format!("kNN {}", share(pick(item_knn)))}</span>
                }
            };
            view! {
                <td data-figure="ndcg">{three(|f| f.ndcg_at_10)}</td>
                <td data-figure="recall">{three(|f| f.recall_at_10)}</td>
                <td>{percent(coverage)}</td>
                <td>{shoppers_measured}</td>
            }
            .into_any()
        }
        ModelFigures::TextToImage {
            catalog_recall_at_10,
            catalog_queries,
            fashion_zero_shot_accuracy,
            fashion_precision_at_10,
        } => view! {
            <td>{share(catalog_recall_at_10)}<span class="hint">{format!(" ({catalog_queries} names)")}</span></td>
            <td>{fashion_zero_shot_accuracy.map(share).unwrap_or_else(|| "—".to_owned())}</td>
            <td>{fashion_precision_at_10.map(share).unwrap_or_else(|| "—".to_owned())}</td>
        }
        .into_any(),
        ModelFigures::Unreadable => {
            let columns = if row.kind == ModelKind::Recommender { 4 } else { 3 };
            view! { <td colspan=columns class="hint">"Figures stored in a shape this page cannot read."</td> }.into_any()
        }
    };
    let serving = if row.active {
        view! { <span class="badge">"Active"</span> }.into_any()
    } else if row.kind == ModelKind::Recommender {
        let (label, version) = (format!("Activate {}", row.version), row.version.clone());
        view! {
            <ActionForm action=activate attr:class="inline-form">
                <input type="hidden" name="version" value=version/>
                <button type="submit" class="secondary" aria-label=label>"Activate"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        // Mapping the catalog's images needs the image model, which the server process holds.
        view! { <code class="hint">{format!("vitrine model activate {}", row.version)}</code> }
            .into_any()
    };
    let trained_at = row.trained_at.get(..16).unwrap_or_default().replace('T', " ");
    view! {
        <tr data-testid="model-version-row" data-kind=row.kind.as_str() data-version=row.version.clone()
            data-active=row.active.to_string()>
            <td><code>{row.version.clone()}</code></td>
            <td class="trained-at">{trained_at}<br/><span class="hint">{format!("in {:.1} s", row.training_seconds)}</span></td>
            <td class="model-data">{row.data_window}</td>
            {figures}
            <td>{serving}</td>
        </tr>
    }
}

/// The button that asks for a training and, in the browser, the job's progress until it ends.
/// Without JavaScript the form still queues it; the new version shows up in the list once a
/// worker has trained it.
#[component]
fn Training(train: ServerAction<TrainRecommender>, trained: RwSignal<u32>) -> impl IntoView {
    let job = RwSignal::new(None::<Answer<TrainingJob>>);
    // Each training followed takes a ticket; a poll that finds a newer one stops.
    let latest = StoredValue::new(0u64);
    // Effects run only in the browser: the server never polls.
    Effect::new(move |_| {
        if let Some(Ok(id)) = train.value().get() {
            let ticket = latest.get_value() + 1;
            latest.set_value(ticket);
            follow(id, ticket, latest, job, trained);
        }
    });
    view! {
        <section class="model-training">
            <h2>"Training"</h2>
            <Refused error=Signal::derive(move || train.value().get().and_then(Result::err))/>
            <ActionForm action=train attr:class="inline-form">
                <button type="submit" data-testid="train-recommender" disabled=move || train.pending().get()>
                    "Train a new recommender version"
                </button>
                <span class="hint">"A worker of "<code>"vitrine serve"</code>" trains it; it is activated when it scores at least as well as the active one."</span>
            </ActionForm>
            {move || job.get().map(|answer| match answer {
                Ok(job) => view! { <TrainingProgress job/> }.into_any(),
                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn TrainingProgress(job: TrainingJob) -> impl IntoView {
    let stage = job.stage.map(|stage| match job.total {
        0 => stage,
        total => format!("{stage}: {} of {total}", job.done),
    });
    view! {
        <p role="status" class="training-status" data-testid="training-status" data-status=job.status.as_str()>
            <strong>{job.status.label()}</strong>
            {stage.map(|stage| format!(" · {stage}"))}
            {job.detail.map(|detail| format!(" ({detail})"))}
            {(job.total > 0).then(|| view! { <progress max=job.total value=job.done></progress> })}
        </p>
        {job.last_error.map(|error| view! { <p class="error">{format!("Last attempt: {error}")}</p> })}
    }
}

/// Asks for job `id`'s progress, then again every [`POLL_EVERY`] while it is queued or running
/// (and the database answers "unavailable": a blip is not the end of a training).
fn follow(
    id: Uuid,
    ticket: u64,
    latest: StoredValue<u64>,
    job: RwSignal<Option<Answer<TrainingJob>>>,
    trained: RwSignal<u32>,
) {
    leptos::task::spawn_local(async move {
        let answer = training_status(id).await;
        // A newer training is followed, or the page was left (the stored ticket is gone).
        if latest.try_get_value() != Some(ticket) {
            return;
        }
        let again = match &answer {
            Ok(state) => state.status.is_live(),
            Err(error) => *error == ModelsError::Unavailable,
        };
        if matches!(&answer, Ok(state) if state.status == JobStatus::Succeeded) {
            trained.update(|n| *n += 1);
        }
        job.set(Some(answer));
        if again {
            set_timeout(move || follow(id, ticket, latest, job, trained), POLL_EVERY);
        }
    });
}

#[component]
fn ClickThrough(rows: Resource<Answer<Vec<ClickThroughRow>>>) -> impl IntoView {
    view! {
        <section class="model-click-through">
            <h2>{format!("Click-through of the recommendation rows, last {CLICK_THROUGH_DAYS} days")}</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">"No row was shown yet."</p> }.into_any(),
                        Ok(rows) => view! {
                            <table class="admin-table">
                                <thead><tr>
                                    <th>"Row"</th><th>"Model version"</th><th>"Impressions"</th><th>"Clicks"</th><th>"CTR"</th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|row| {
                                        let version = row.model_version.clone().unwrap_or_else(|| "—".to_owned());
                                        let (name, shown_version) = (row.row_name.clone(), version.clone());
                                        view! {
                                            <tr data-testid="click-through-row" data-row=name data-version=shown_version>
                                                <td>{row.row_name}</td>
                                                <td><code>{version}</code></td>
                                                <td>{row.impressions}</td>
                                                <td>{row.clicks}</td>
                                                <td>{row.ctr.map(percent).unwrap_or_else(|| "—".to_owned())}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A share as the figures are usually quoted (NDCG and recall to three places).
fn share(value: f64) -> String {
    format!("{value:.3}")
}

fn percent(value: f64) -> String {
    format!("{:.1} %", value * 100.0)
}
