//! `/admin/imports`: upload a CSV of products (with a ZIP of their images), export the catalog
//! in the same format, and the latest imports; `/admin/imports/{id}`: one import's progress
//! bar (rows done and failed, live while it runs) and, once done, its row errors.
//!
//! The upload is a plain multipart form post (the server answers with the import's page), so
//! it works without JavaScript; in the browser the import's page asks for its progress every
//! second until it ends, and without JavaScript a "Refresh" link does the same.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::RequirePermission;
use crate::server_fns::admin::{import_progress, list_imports, CATALOG_EXPORT, IMPORTS};
use crate::types::{
    ImportError, ImportReport, ImportStatus, ImportSummary, Permission, IMPORT_COLUMNS,
};

/// How often the import's page asks for its progress while it runs.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

#[component]
pub fn AdminImportsPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see AdminProductsPage).
    let imports = Resource::new(|| (), |_| list_imports());
    view! {
        <Title text="Imports · Admin"/>
        <RequirePermission permission=Some(Permission::Catalog)>
            <h1>"Import products"</h1>
            <form class="import-upload" method="post" action=IMPORTS enctype="multipart/form-data">
                <label>"CSV of products, one row per variant"
                    <input type="file" name="csv" accept=".csv,text/csv" required/>
                </label>
                <label>"ZIP of the images it names (optional)"
                    <input type="file" name="images" accept=".zip,application/zip"/>
                </label>
                <button type="submit">"Import"</button>
            </form>
            <p class="hint">
                "Columns: " <code>{IMPORT_COLUMNS.join(", ")}</code>
                ". Products are matched by SKU; importing the same file again changes nothing. "
                <a href=CATALOG_EXPORT download>"Export the catalog"</a>
                " in this format."
            </p>
            <h2>"Latest imports"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match imports.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"Nothing imported yet."</p> }.into_any(),
                        Ok(list) => view! { <ImportTable list/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </RequirePermission>
    }
}

#[component]
fn ImportTable(list: Vec<ImportSummary>) -> impl IntoView {
    view! {
        <table class="admin-table">
            <thead><tr>
                <th>"File"</th><th>"Status"</th><th>"Rows"</th><th>"Products"</th><th>"Started"</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|import| {
                    let href = format!("/admin/imports/{}", import.id);
                    view! {
                        <tr data-testid="import-row" data-status=import.status.as_str()>
                            <td><a href=href>{import.file_name.clone()}</a></td>
                            <td>{label(import.status)}</td>
                            <td>{format!("{} of {}, {} failed", import.rows_done, import.rows_total, import.rows_failed)}</td>
                            <td>{products(&import)}</td>
                            <td>{when(&import)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn AdminImportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| Uuid::parse_str(&id).ok());
    // Bumped by the browser's poll; the server renders the state at the time of the request.
    let tick = RwSignal::new(0u32);
    let report = Resource::new(
        move || (id(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => import_progress(id).await,
                None => Err(ImportError::UnknownImport),
            }
        },
    );
    // Effects run only in the browser: the server never polls.
    Effect::new(move |_| {
        let running = report.get().and_then(Result::ok).is_some_and(|r| !r.summary.status.ended());
        if running {
            set_timeout(move || tick.update(|n| *n += 1), POLL_EVERY);
        }
    });
    view! {
        <Title text="Import · Admin"/>
        <RequirePermission permission=Some(Permission::Catalog)>
            <p><a href="/admin/imports">"← Imports"</a></p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <ImportResult report/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </RequirePermission>
    }
}

#[component]
fn ImportResult(report: ImportReport) -> impl IntoView {
    let ImportReport { summary, errors } = report;
    let href = format!("/admin/imports/{}", summary.id);
    view! {
        <h1>{format!("Import of {}", summary.file_name)}</h1>
        {summary.images_name.clone().map(|name| view! { <p class="hint">{format!("Images from {name}")}</p> })}
        <div class="import-progress" role="status" data-testid="import-progress" data-status=summary.status.as_str()
            data-done=summary.rows_done data-failed=summary.rows_failed data-total=summary.rows_total>
            <strong>{label(summary.status)}</strong>
            <progress max=summary.rows_total.max(1) value=summary.rows_seen()></progress>
            <span>{format!(
                "{} of {} rows: {} imported, {} failed",
                summary.rows_seen(), summary.rows_total, summary.rows_done, summary.rows_failed
            )}</span>
            <span>{products(&summary)}</span>
            {(!summary.status.ended()).then(|| view! { <a href=href class="noscript-refresh">"Refresh"</a> })}
        </div>
        {summary.failure.clone().map(|failure| view! { <p class="error" role="alert">{format!("Stopped: {failure}")}</p> })}
        {(!errors.is_empty()).then(|| view! {
            <h2>{format!("Rows not imported ({})", summary.rows_failed)}</h2>
            <p class="hint">"A product's rows are imported together: fix the rows below and import the file again (the rest is found unchanged)."</p>
            <table class="admin-table import-errors">
                <thead><tr><th>"Line"</th><th>"SKU"</th><th>"Column"</th><th>"What to fix"</th></tr></thead>
                <tbody>
                    {errors.into_iter().map(|error| view! {
                        <tr data-testid="import-error" data-line=error.line>
                            <td>{error.line}</td>
                            <td><code>{error.sku}</code></td>
                            <td>{error.field}</td>
                            <td>{error.message}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}

fn label(status: ImportStatus) -> &'static str {
    match status {
        ImportStatus::Queued => "Waiting for a worker",
        ImportStatus::Running => "Importing",
        ImportStatus::Done => "Done",
        ImportStatus::Failed => "Stopped",
    }
}

fn products(import: &ImportSummary) -> String {
    format!(
        "{} created, {} updated, {} unchanged",
        import.products_created, import.products_updated, import.products_unchanged
    )
}

fn when(import: &ImportSummary) -> String {
    let by = import.created_by.clone().unwrap_or_else(|| "the command line".to_owned());
    format!("{} by {by}", import.created_at.format("%Y-%m-%d %H:%M UTC"))
}
