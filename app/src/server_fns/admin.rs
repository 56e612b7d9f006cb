//! The admin area's server functions and upload endpoint, and [`access_table`]: the one place
//! that says which permission each of them needs. Every admin server function starts with
//! `authorize::<Self>()` and the upload handler with [`check`], both reading the table (and
//! refusing anything missing from it); the tests enumerate the table to try every entry as every
//! kind of user, and check that every registered server function under `/api/admin` is in it.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use uuid::Uuid;

use crate::types::{
    AdminCategory, AdminProduct, AdminUser, AnalyticsError, AuditEntry, AuthError,
    CatalogEditError, CategoryForm, ClickThroughRow, CommerceError, EditableProduct, ImportError,
    ImportReport, ImportSummary, JobsError, ListPage, ModelVersionRow, ModelsError, OrderDetail,
    OrderList, OrderStatus, OrderSummary, Permission, ProductForm, Role, StockChange, StockRow,
    TrainingJob,
};

/// Where the admin server functions live.
pub const PREFIX: &str = "/api/admin";

/// Where product images are uploaded (multipart, so an axum handler rather than a server
/// function).
pub const PRODUCT_IMAGES: &str = "/api/admin/product-images";

/// Where a catalog import is uploaded (multipart: the CSV as `csv`, the ZIP of its images as
/// `images`).
pub const IMPORTS: &str = "/api/admin/imports";

/// The catalog as an import file (`GET`, CSV).
pub const CATALOG_EXPORT: &str = "/api/admin/catalog.csv";

/// A table of the analytics dashboard as CSV (`GET`, `?table=…&from=…&to=…`).
pub const ANALYTICS_EXPORT: &str = "/api/admin/analytics.csv";

/// How an admin endpoint is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    ServerFn,
    /// `POST` of `multipart/form-data`.
    Upload,
    /// `GET` of a file.
    Download,
}

/// Every admin endpoint's path, the permission it needs and how it is called.
pub fn access_table() -> Vec<(&'static str, Permission, Via)> {
    vec![
        (ListUsers::PATH, Permission::Users, Via::ServerFn),
        (SetUserRole::PATH, Permission::Users, Via::ServerFn),
        (SetUserDisabled::PATH, Permission::Users, Via::ServerFn),
        (AuditLog::PATH, Permission::Audit, Via::ServerFn),
        (ListProducts::PATH, Permission::Catalog, Via::ServerFn),
        (SetProductPublished::PATH, Permission::Catalog, Via::ServerFn),
        (EditProduct::PATH, Permission::Catalog, Via::ServerFn),
        (SaveProduct::PATH, Permission::Catalog, Via::ServerFn),
        (ArchiveProduct::PATH, Permission::Catalog, Via::ServerFn),
        (CategoryTree::PATH, Permission::Catalog, Via::ServerFn),
        (SaveCategory::PATH, Permission::Catalog, Via::ServerFn),
        (DeleteCategory::PATH, Permission::Catalog, Via::ServerFn),
        (PRODUCT_IMAGES, Permission::Catalog, Via::Upload),
        (IMPORTS, Permission::Catalog, Via::Upload),
        (CATALOG_EXPORT, Permission::Catalog, Via::Download),
        (ListImports::PATH, Permission::Catalog, Via::ServerFn),
        (ImportProgress::PATH, Permission::Catalog, Via::ServerFn),
        (ListOrders::PATH, Permission::Orders, Via::ServerFn),
        (AdminOrder::PATH, Permission::Orders, Via::ServerFn),
        (SetOrderStatus::PATH, Permission::Orders, Via::ServerFn),
        (RefundOrder::PATH, Permission::Orders, Via::ServerFn),
        (ListStock::PATH, Permission::Inventory, Via::ServerFn),
        (AdjustStock::PATH, Permission::Inventory, Via::ServerFn),
        (BackgroundJobs::PATH, Permission::Jobs, Via::ServerFn),
        (RetryJob::PATH, Permission::Jobs, Via::ServerFn),
        (DiscardJob::PATH, Permission::Jobs, Via::ServerFn),
        (AnalyticsDashboard::PATH, Permission::Analytics, Via::ServerFn),
        (RecomputeSegments::PATH, Permission::Analytics, Via::ServerFn),
        (ANALYTICS_EXPORT, Permission::Analytics, Via::Download),
        (ListModelVersions::PATH, Permission::Models, Via::ServerFn),
        (ActivateModelVersion::PATH, Permission::Models, Via::ServerFn),
        (TrainRecommender::PATH, Permission::Models, Via::ServerFn),
        (TrainingStatus::PATH, Permission::Models, Via::ServerFn),
        (RecommendationClickThrough::PATH, Permission::Models, Via::ServerFn),
    ]
}

/// Whether `user` may call the admin endpoint at `path` (declared in [`access_table`]).
#[cfg(feature = "ssr")]
pub fn check(path: &str, user: &crate::backend::auth::CurrentUser) -> Result<(), AuthError> {
    let Some((_, permission, _)) = access_table().into_iter().find(|(p, ..)| *p == path) else {
        tracing::error!(path, "an admin endpoint is not in the access table");
        return Err(AuthError::Forbidden);
    };
    user.require(permission)
}

/// The signed-in user, if they hold the permission `F` is declared with in [`access_table`].
#[cfg(feature = "ssr")]
pub async fn authorize<F: ServerFn>() -> Result<crate::backend::auth::CurrentUser, AuthError> {
    let user = crate::backend::auth::request::current_user().await?;
    check(F::PATH, &user)?;
    Ok(user)
}

/// A page of accounts: `search` is part of an email, `role` a role's code (empty: every role).
#[server(prefix = "/api/admin", endpoint = "users", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_users(
    #[server(default)] search: String,
    #[server(default)] role: String,
    #[server(default)] page: i64,
) -> Result<ListPage<AdminUser>, AuthError> {
    authorize::<ListUsers>().await?;
    let state = super::state();
    let role = match role.trim() {
        "" => None,
        code => Some(Role::parse(code).ok_or(AuthError::BadRequest)?),
    };
    let query = crate::types::UserListQuery { search, role, page };
    crate::backend::auth::roles::list_users(&state.db, &query).await
}

#[server(prefix = "/api/admin", endpoint = "users/role")]
pub async fn set_user_role(user_id: Uuid, role: Role) -> Result<AdminUser, AuthError> {
    let actor = authorize::<SetUserRole>().await?;
    let state = super::state();
    crate::backend::auth::roles::set_role(&state.db, &state.auth.sessions, &actor, user_id, role)
        .await
}

/// Disables an account (it cannot sign in; its sessions end at once) or enables it again.
#[server(prefix = "/api/admin", endpoint = "users/disabled")]
pub async fn set_user_disabled(user_id: Uuid, disabled: bool) -> Result<AdminUser, AuthError> {
    let actor = authorize::<SetUserDisabled>().await?;
    let state = super::state();
    let sessions = &state.auth.sessions;
    crate::backend::auth::roles::set_disabled(&state.db, sessions, &actor, user_id, disabled).await
}

/// A page of the audit log, newest first: `search` is part of an action, an entity, its id or
/// the actor's email.
#[server(prefix = "/api/admin", endpoint = "audit", input = leptos::server_fn::codec::GetUrl)]
pub async fn audit_log(
    #[server(default)] search: String,
    #[server(default)] page: i64,
) -> Result<ListPage<AuditEntry>, AuthError> {
    authorize::<AuditLog>().await?;
    crate::backend::audit::recent(&super::state().db, &search, page).await
}

/// Products whose name contains `query` (all, newest first, when it is empty); archived ones
/// only when `archived`.
#[server(prefix = "/api/admin", endpoint = "products")]
pub async fn list_products(
    query: String,
    #[server(default)] archived: bool,
) -> Result<Vec<AdminProduct>, AuthError> {
    authorize::<ListProducts>().await?;
    let state = super::state();
    crate::backend::catalog::list_products(&state.db, query.trim(), archived, 50).await
}

/// Product `product_id` as its edit form shows it.
#[server(prefix = "/api/admin", endpoint = "products/edit")]
pub async fn edit_product(product_id: Uuid) -> Result<EditableProduct, CatalogEditError> {
    use crate::types::Refusal;

    authorize::<EditProduct>().await?;
    let state = super::state();
    crate::backend::catalog_editing::editable(&state.db, product_id)
        .await
        .map_err(CatalogEditError::unavailable)?
        .ok_or(CatalogEditError::UnknownProduct)
}

/// Creates a product (no `product_id`) or saves one; audited, with its event, and refused
/// when the form is stale (someone saved since it was opened). A new product's page is its
/// edit page: a plain form post (no JavaScript) is redirected there; the hydrated page goes
/// there itself.
#[server(prefix = "/api/admin", endpoint = "products/save")]
pub async fn save_product(
    #[server(default)] product_id: Option<Uuid>,
    form: ProductForm,
) -> Result<EditableProduct, CatalogEditError> {
    let actor = authorize::<SaveProduct>().await?;
    let state = super::state();
    let saved =
        crate::backend::catalog_editing::save(&state.db, actor.actor(), product_id, &form).await?;
    if product_id.is_none() && super::plain_form_post() {
        leptos_axum::redirect(&format!("/admin/products/{}", saved.id));
    }
    Ok(saved)
}

/// The latest catalog imports, newest first.
#[server(prefix = "/api/admin", endpoint = "imports/list")]
pub async fn list_imports() -> Result<Vec<ImportSummary>, ImportError> {
    use crate::types::Refusal;

    authorize::<ListImports>().await?;
    let state = super::state();
    crate::backend::catalog_import::list(&state.db, 20).await.map_err(ImportError::unavailable)
}

/// Import `import_id`'s counters (its progress while it runs) and row errors.
#[server(prefix = "/api/admin", endpoint = "imports/progress")]
pub async fn import_progress(import_id: Uuid) -> Result<ImportReport, ImportError> {
    use crate::types::Refusal;

    authorize::<ImportProgress>().await?;
    let state = super::state();
    crate::backend::catalog_import::report(&state.db, import_id)
        .await
        .map_err(ImportError::unavailable)?
        .ok_or(ImportError::UnknownImport)
}

/// Archives a product (hidden, out of the default list) or restores it (still hidden until
/// shown); audited.
#[server(prefix = "/api/admin", endpoint = "products/archive")]
pub async fn archive_product(
    product_id: Uuid,
    archived: bool,
) -> Result<EditableProduct, CatalogEditError> {
    let actor = authorize::<ArchiveProduct>().await?;
    let state = super::state();
    crate::backend::catalog_editing::set_archived(&state.db, actor.actor(), product_id, archived)
        .await
}

/// Shows a product in the shop or hides it; audited, and announced in the event feed. A hidden
/// product leaves listings, search and similar items, its page answers 404, and carts holding
/// it cannot check out until it is shown again.
#[server(prefix = "/api/admin", endpoint = "products/publish")]
pub async fn set_product_published(
    product_id: Uuid,
    published: bool,
) -> Result<AdminProduct, CommerceError> {
    let actor = authorize::<SetProductPublished>().await?;
    let state = super::state();
    crate::backend::catalog::set_published(&state.db, actor.actor(), product_id, published).await
}

/// The category tree, depth first, with what each holds.
#[server(prefix = "/api/admin", endpoint = "categories")]
pub async fn category_tree() -> Result<Vec<AdminCategory>, CatalogEditError> {
    use crate::types::Refusal;

    authorize::<CategoryTree>().await?;
    let state = super::state();
    crate::backend::catalog_editing::categories::tree(&state.db)
        .await
        .map_err(CatalogEditError::unavailable)
}

/// Creates, renames or moves a category; audited.
#[server(prefix = "/api/admin", endpoint = "categories/save")]
pub async fn save_category(form: CategoryForm) -> Result<(), CatalogEditError> {
    let actor = authorize::<SaveCategory>().await?;
    let state = super::state();
    crate::backend::catalog_editing::categories::save(&state.db, actor.actor(), &form).await
}

/// Deletes an empty category (one with products or subcategories is refused); audited.
#[server(prefix = "/api/admin", endpoint = "categories/delete")]
pub async fn delete_category(slug: String) -> Result<(), CatalogEditError> {
    let actor = authorize::<DeleteCategory>().await?;
    let state = super::state();
    crate::backend::catalog_editing::categories::delete(&state.db, actor.actor(), &slug).await
}

/// A page of the staff's order list: `search` is an order number or part of an email, `status`
/// a status code (empty: all), `sort` an [`OrderSort`] code (empty: newest first).
#[server(prefix = "/api/admin", endpoint = "orders", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_orders(
    #[server(default)] search: String,
    #[server(default)] status: String,
    #[server(default)] sort: String,
    #[server(default)] page: i64,
) -> Result<OrderList, CommerceError> {
    authorize::<ListOrders>().await?;
    let state = super::state();
    let status = match status.trim() {
        "" => None,
        code => Some(OrderStatus::parse(code).ok_or(CommerceError::BadRequest)?),
    };
    let query = crate::types::OrderListQuery {
        search,
        status,
        sort: crate::types::OrderSort::parse(&sort),
        page,
    };
    crate::backend::orders::staff_orders(&state.db, &query).await
}

/// One order as staff see it: lines, address, payments, refunds so far and its history.
#[server(prefix = "/api/admin", endpoint = "orders/detail", input = leptos::server_fn::codec::GetUrl)]
pub async fn admin_order(order_id: Uuid) -> Result<OrderDetail, CommerceError> {
    authorize::<AdminOrder>().await?;
    crate::backend::orders::order_detail(&super::state().db, order_id).await
}

/// Moves an order by hand (packed, shipped, delivered, or cancelled while unpaid); audited.
#[server(prefix = "/api/admin", endpoint = "orders/status")]
pub async fn set_order_status(
    order_id: Uuid,
    status: OrderStatus,
    note: String,
) -> Result<OrderSummary, CommerceError> {
    let actor = authorize::<SetOrderStatus>().await?;
    let state = super::state();
    crate::backend::orders::transition(
        &state.db,
        order_id,
        status,
        Some(actor.actor()),
        note.trim(),
    )
    .await?;
    Ok(crate::backend::orders::order_detail(&state.db, order_id).await?.summary)
}

/// Refunds `amount` ("12.50", in the order's currency) of a paid order; audited. The form's key
/// makes a resubmitted form the same refund.
#[server(prefix = "/api/admin", endpoint = "orders/refund")]
pub async fn refund_order(
    order_id: Uuid,
    amount: String,
    reason: String,
    restock: Option<String>,
    idempotency_key: String,
) -> Result<crate::types::RefundReceipt, CommerceError> {
    use crate::backend::payments::{self, RefundOrder as Request};
    let actor = authorize::<RefundOrder>().await?;
    let state = super::state();
    let amount_minor =
        crate::types::Money::parse_minor(&amount).ok_or(CommerceError::BadRequest)?;
    let request = Request {
        order_id,
        amount_minor,
        reason: reason.trim(),
        restock: restock.is_some(),
        idempotency_key: &idempotency_key,
    };
    payments::refund_order(&state.db, &state.payments, request, actor.actor()).await
}

/// Variants whose SKU or product name contains `query` (the first 50 by SKU).
#[server(prefix = "/api/admin", endpoint = "stock")]
pub async fn list_stock(query: String) -> Result<Vec<StockRow>, CommerceError> {
    authorize::<ListStock>().await?;
    let state = super::state();
    crate::backend::inventory::list_stock(&state.db, query.trim(), 50).await
}

/// Records a stock count or a delivery for a variant, in the ledger and the audit log.
#[server(prefix = "/api/admin", endpoint = "stock/adjust")]
pub async fn adjust_stock(
    variant_id: Uuid,
    change: StockChange,
    quantity: i32,
    note: String,
) -> Result<StockRow, CommerceError> {
    let actor = authorize::<AdjustStock>().await?;
    let state = super::state();
    crate::backend::inventory::adjust_stock(
        &state.db,
        actor.actor(),
        variant_id,
        change,
        quantity,
        note.trim(),
    )
    .await
}

/// The background jobs: every kind's queue, running, retrying and dead jobs, and the embedding
/// backlog. A `GET`, so a script reads it with its token:
/// `curl -H "Authorization: Bearer $TOKEN" …/api/admin/jobs`.
#[server(prefix = "/api/admin", endpoint = "jobs", input = leptos::server_fn::codec::GetUrl)]
pub async fn background_jobs() -> Result<crate::types::JobsOverview, JobsError> {
    use crate::types::Refusal;

    authorize::<BackgroundJobs>().await?;
    let state = super::state();
    crate::backend::job_admin::overview(
        &state.db,
        crate::backend::vision::MODEL_VERSION,
        crate::backend::text_model::TEXT_MODEL_VERSION,
    )
    .await
    .map_err(JobsError::unavailable)
}

/// Queues dead job `job_id` again with fresh attempts; audited.
#[server(prefix = "/api/admin", endpoint = "jobs/retry")]
pub async fn retry_job(job_id: Uuid) -> Result<(), JobsError> {
    let actor = authorize::<RetryJob>().await?;
    let state = super::state();
    use crate::backend::job_admin::{mend, Mend};
    mend(&state.db, actor.actor(), job_id, Mend::Retry).await
}

/// Deletes dead job `job_id`; audited (the entry keeps its payload and error).
#[server(prefix = "/api/admin", endpoint = "jobs/discard")]
pub async fn discard_job(job_id: Uuid) -> Result<(), JobsError> {
    let actor = authorize::<DiscardJob>().await?;
    let state = super::state();
    use crate::backend::job_admin::{mend, Mend};
    mend(&state.db, actor.actor(), job_id, Mend::Discard).await
}

/// The analytics of the days `from` to `to` (`YYYY-MM-DD`; blank: the last 30 days).
#[server(prefix = "/api/admin", endpoint = "analytics", input = leptos::server_fn::codec::GetUrl)]
pub async fn analytics_dashboard(
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<crate::types::Dashboard, AnalyticsError> {
    use crate::types::Refusal;

    authorize::<AnalyticsDashboard>().await?;
    let state = super::state();
    let range = crate::types::DateRange::read(&from, &to, chrono::Utc::now().date_naive())
        .map_err(AnalyticsError::BadRange)?;
    crate::backend::analytics::dashboard(&state.db, range)
        .await
        .map_err(AnalyticsError::unavailable)
}

/// Queues a recomputation of the customer segments now (one at a time).
#[server(prefix = "/api/admin", endpoint = "analytics/segments")]
pub async fn recompute_segments() -> Result<(), AnalyticsError> {
    use crate::types::Refusal;

    authorize::<RecomputeSegments>().await?;
    let state = super::state();
    crate::backend::analytics::segments::enqueue(&state.db, None)
        .await
        .map_err(AnalyticsError::unavailable)
}

/// Every stored model version, kind by kind, newest first, with its offline figures.
#[server(prefix = "/api/admin", endpoint = "models")]
pub async fn list_model_versions() -> Result<Vec<ModelVersionRow>, ModelsError> {
    authorize::<ListModelVersions>().await?;
    let state = super::state();
    crate::backend::model_admin::versions(&state.db).await
}

/// Makes a recommender version the one that serves (a newer one, or an older one: rolling
/// back); audited as the signed-in admin.
#[server(prefix = "/api/admin", endpoint = "models/activate")]
pub async fn activate_model_version(version: String) -> Result<ModelVersionRow, ModelsError> {
    let actor = authorize::<ActivateModelVersion>().await?;
    let state = super::state();
    crate::backend::model_admin::activate(&state.db, version.trim(), actor.actor()).await
}

/// Queues a training of the recommender; answers the job's id (the live one's, if one is
/// queued or running already).
#[server(prefix = "/api/admin", endpoint = "models/train")]
pub async fn train_recommender() -> Result<Uuid, ModelsError> {
    authorize::<TrainRecommender>().await?;
    let state = super::state();
    crate::backend::model_admin::train_recommender(&state.db).await
}

#[server(prefix = "/api/admin", endpoint = "models/training")]
pub async fn training_status(job_id: Uuid) -> Result<TrainingJob, ModelsError> {
    authorize::<TrainingStatus>().await?;
    let state = super::state();
    crate::backend::model_admin::training_status(&state.db, job_id).await
}

/// Impressions, clicks and click-through of each recommendation row and model version over
/// the last [`crate::types::CLICK_THROUGH_DAYS`] days.
#[server(prefix = "/api/admin", endpoint = "models/click-through")]
pub async fn recommendation_click_through() -> Result<Vec<ClickThroughRow>, ModelsError> {
    authorize::<RecommendationClickThrough>().await?;
    let state = super::state();
    crate::backend::model_admin::click_through(&state.db).await
}
