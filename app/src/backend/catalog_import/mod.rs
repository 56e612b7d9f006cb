//! Bulk imports of products (permission `catalog`): a CSV ([`format`]) and, optionally, a ZIP
//! of the images it names ([`archive`]).
//!
//! - [`create`] checks the files as a whole (a CSV that cannot be read, a ZIP with a path out
//!   of its folder or a bomb is refused, with nothing written), then writes the import with its
//!   `import_catalog` job and audit entry in one transaction.
//! - [`run`] (the job) imports product by product. Each product is one transaction through the
//!   product form's own save ([`catalog_editing::save_in`]: the same checks, audit entry, event
//!   and embedding jobs) together with its images, so a row error never leaves half a product.
//!   A product is found by its SKUs, and one whose columns and images match what is stored is
//!   left alone: importing the same file twice changes nothing. The counters are written as it
//!   goes, for the progress bars.
//!
//! A retried attempt starts over; the products the first one wrote are then found unchanged.

pub mod archive;
pub mod format;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use self::archive::ImageArchive;
use self::format::{CsvProduct, CsvRow};
use super::audit::{self, Actor, Entry};
use super::catalog::upsert_product_image;
use super::catalog_editing::{self, form};
use super::jobs::{self, NewJob, Progress};
use super::media::{MediaStore, StoredImage};
use crate::types::{
    options_text, CatalogEditError, EditableProduct, FieldError, ImportError, ImportReport,
    ImportRowError, ImportStatus, ImportSummary, Money, ProductForm, Refusal, Role, VariantForm,
    MAX_REPORTED_ERRORS,
};

/// The job kind.
pub const IMPORT_JOB: &str = "import_catalog";
/// The largest CSV an upload may carry.
pub const MAX_CSV_BYTES: usize = 64 * 1024 * 1024;
/// The largest ZIP of images an upload may carry.
pub const MAX_ARCHIVE_BYTES: usize = 512 * 1024 * 1024;
/// How often a running import writes its counters.
const REPORT_EVERY: Duration = Duration::from_millis(250);

/// The job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCatalog {
    pub import_id: Uuid,
}

/// What an upload carries.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub csv: Vec<u8>,
    /// The ZIP's file name and bytes.
    pub images: Option<(String, Vec<u8>)>,
}

/// An import written and queued: its id and its job's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub import_id: Uuid,
    pub job_id: Uuid,
}

/// Checks the upload as a whole and queues its import.
pub async fn create(pool: &PgPool, actor: Actor, upload: Upload) -> Result<Queued, ImportError> {
    let csv = String::from_utf8(upload.csv)
        .map_err(|_| ImportError::BadCsv("it is not UTF-8 text (save it as CSV UTF-8)".into()))?;
    let (_, rows) = format::read(&csv)?;
    let (images_name, images) = match upload.images {
        Some((name, bytes)) => {
            // Reading the directory checks every entry; the job opens it again.
            let archive = ImageArchive::open(bytes).map_err(ImportError::BadArchive)?;
            (Some(name), Some(archive.into_bytes()))
        }
        None => (None, None),
    };
    let import_id = Uuid::now_v7();
    let mut tx = pool.begin().await.map_err(ImportError::unavailable)?;
    let job = NewJob::new(IMPORT_JOB, ImportCatalog { import_id })
        .dedupe(format!("{IMPORT_JOB}:{import_id}"))
        .max_attempts(3);
    let job_id = jobs::enqueue(&mut tx, &job)
        .await
        .map_err(ImportError::unavailable)?
        .expect("a new import's job key is new");
    sqlx::query!(
        r#"
        INSERT INTO catalog_imports (id, created_by, file_name, images_name, csv, images, rows_total, job_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        "#,
        import_id,
        actor.user_id(),
        upload.file_name,
        images_name,
        csv,
        images,
        rows as i32,
        job_id,
    )
    .execute(&mut *tx)
    .await
    .map_err(ImportError::unavailable)?;
    let entry = Entry {
        action: "catalog.import.create",
        entity: "catalog_import",
        entity_id: import_id.to_string(),
        before: None,
        after: Some(
            json!({ "file_name": upload.file_name, "images_name": images_name, "rows": rows }),
        ),
    };
    audit::record(&mut tx, actor, entry).await.map_err(ImportError::unavailable)?;
    tx.commit().await.map_err(ImportError::unavailable)?;
    Ok(Queued { import_id, job_id })
}

/// Why an import's run stopped short (the job retries it): the database or the media disk.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("storing an image: {0}")]
    Media(String),
    #[error("saving a product: {0}")]
    Save(String),
}

/// Runs import `import_id` (the job `job_id`): every product of its file, with its counters
/// written as it goes. An import that has ended already is left as it is.
pub async fn run(
    pool: &PgPool,
    media: &MediaStore,
    import_id: Uuid,
    job_id: Uuid,
) -> Result<Option<ImportSummary>, RunError> {
    let Some(stored) = sqlx::query!(
        "SELECT csv, images, status, created_by FROM catalog_imports WHERE id = $1",
        import_id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    if ImportStatus::parse(&stored.status).is_some_and(ImportStatus::ended) {
        return summary(pool, import_id).await.map_err(RunError::from);
    }
    sqlx::query!(
        r#"
        UPDATE catalog_imports
        SET status = 'running', started_at = now(), rows_done = 0, rows_failed = 0,
            products_created = 0, products_updated = 0, products_unchanged = 0,
            errors = '[]', failure = NULL
        WHERE id = $1
        "#,
        import_id
    )
    .execute(pool)
    .await?;
    let opened = format::read(&stored.csv).map_err(|err| err.to_string()).and_then(|read| {
        let archive = stored.images.map(ImageArchive::open).transpose()?;
        Ok((read, archive))
    });
    let ((products, rows), mut archive) = match opened {
        Ok(opened) => opened,
        // Checked at the upload; only a change of the rules since can get here.
        Err(failure) => {
            finish(pool, import_id, &Tally::default(), Some(&failure)).await?;
            return summary(pool, import_id).await.map_err(RunError::from);
        }
    };
    let mut importer = Importer {
        pool,
        media,
        actor: actor_of(pool, stored.created_by).await?,
        archive: archive.as_mut(),
    };
    let mut tally = Tally::default();
    let mut reported = Instant::now();
    for product in &products {
        let outcome = importer.product(product).await?;
        tally.add(product.rows.len() as i32, outcome);
        if reported.elapsed() >= REPORT_EVERY {
            write_counters(pool, import_id, job_id, &tally, rows).await?;
            reported = Instant::now();
        }
    }
    write_counters(pool, import_id, job_id, &tally, rows).await?;
    finish(pool, import_id, &tally, None).await?;
    summary(pool, import_id).await.map_err(RunError::from)
}

/// Who an import's writes are audited as: the account that uploaded it, or the command line.
async fn actor_of(pool: &PgPool, created_by: Option<Uuid>) -> Result<Actor, sqlx::Error> {
    let Some(id) = created_by else {
        return Ok(Actor::Command);
    };
    let role = sqlx::query_scalar!(r#"SELECT role AS "role: Role" FROM users WHERE id = $1"#, id)
        .fetch_optional(pool)
        .await?;
    Ok(match role {
        Some(role) => Actor::Account { id, role, ip: None },
        None => Actor::Command,
    })
}

/// What became of one product's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Created,
    Updated,
    Unchanged,
    Failed(Vec<ImportRowError>),
}

/// The counters so far.
#[derive(Debug, Default)]
struct Tally {
    rows_done: i32,
    rows_failed: i32,
    created: i32,
    updated: i32,
    unchanged: i32,
    errors: Vec<ImportRowError>,
}

impl Tally {
    fn add(&mut self, rows: i32, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Failed(errors) => {
                self.rows_failed += rows;
                let room = MAX_REPORTED_ERRORS.saturating_sub(self.errors.len());
                self.errors.extend(errors.into_iter().take(room));
                return;
            }
        }
        self.rows_done += rows;
    }
}

/// The counters onto the import (the admin's bar) and the job (the command line's).
async fn write_counters(
    pool: &PgPool,
    import_id: Uuid,
    job_id: Uuid,
    tally: &Tally,
    rows: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE catalog_imports
        SET rows_done = $2, rows_failed = $3, products_created = $4, products_updated = $5,
            products_unchanged = $6
        WHERE id = $1
        "#,
        import_id,
        tally.rows_done,
        tally.rows_failed,
        tally.created,
        tally.updated,
        tally.unchanged,
    )
    .execute(pool)
    .await?;
    let progress = Progress {
        stage: "importing rows".to_owned(),
        done: (tally.rows_done + tally.rows_failed) as u64,
        total: rows as u64,
        detail: Some(format!("{} failed", tally.rows_failed)),
    };
    jobs::set_progress(pool, job_id, &progress).await
}

async fn finish(
    pool: &PgPool,
    import_id: Uuid,
    tally: &Tally,
    failure: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE catalog_imports
        SET status = CASE WHEN $3::text IS NULL THEN 'done' ELSE 'failed' END,
            errors = $2, failure = $3, images = NULL, finished_at = now()
        WHERE id = $1
        "#,
        import_id,
        json!(tally.errors),
        failure,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One product's image as the import wants it: a stored file and the original it came from.
#[derive(Debug, Clone)]
struct WantedImage {
    image: StoredImage,
    source_sha256: Option<String>,
}

/// An image the product has now.
#[derive(Debug, Clone)]
struct StoredProductImage {
    image: StoredImage,
    source_sha256: Option<String>,
}

impl StoredProductImage {
    /// Its file's name, as an export writes it.
    fn file_name(&self) -> &str {
        self.image.storage_key.rsplit('/').next().unwrap_or(&self.image.storage_key)
    }
}

/// The errors of one product's rows.
struct RowErrors<'a> {
    product: &'a CsvProduct,
    errors: Vec<ImportRowError>,
}

impl<'a> RowErrors<'a> {
    fn new(product: &'a CsvProduct) -> Self {
        Self { product, errors: Vec::new() }
    }

    fn at(&mut self, line: u32, field: &str, message: impl Into<String>) {
        let sku = self
            .product
            .rows
            .iter()
            .find(|row| row.line == line)
            .map(CsvRow::sku)
            .unwrap_or_default();
        self.errors.push(ImportRowError {
            line,
            sku,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// The product form's field errors on the rows they came from (`variants.2.price` → the
    /// line of the form's third variant, `price`; a product field → the product's first line).
    fn fields(&mut self, errors: Vec<FieldError>, lines: &[u32]) {
        for error in errors {
            let mut parts = error.field.splitn(3, '.');
            let (line, field) = match (parts.next(), parts.next(), parts.next()) {
                (Some("variants"), Some(row), Some(field)) => {
                    let line = row.parse::<usize>().ok().and_then(|row| lines.get(row).copied());
                    (line.unwrap_or(self.product.first_line()), field.to_owned())
                }
                _ => (self.product.first_line(), csv_column(&error.field).to_owned()),
            };
            self.at(line, &field, error.message);
        }
    }

    fn outcome(self) -> Option<Outcome> {
        (!self.errors.is_empty()).then_some(Outcome::Failed(self.errors))
    }
}

/// The CSV column a product form field comes from.
fn csv_column(field: &str) -> &str {
    match field {
        "slug" => "product",
        "variants" => "sku",
        other => other,
    }
}

struct Importer<'a> {
    pool: &'a PgPool,
    media: &'a MediaStore,
    actor: Actor,
    archive: Option<&'a mut ImageArchive>,
}

impl Importer<'_> {
    /// Imports one product's rows: all or nothing.
    async fn product(&mut self, product: &CsvProduct) -> Result<Outcome, RunError> {
        let mut errors = RowErrors::new(product);
        if product.key.is_empty() {
            for row in &product.rows {
                errors.at(
                    row.line,
                    "product",
                    "Give the product's web address (like blue-mug) on each of its rows.",
                );
            }
            return Ok(errors.outcome().expect("an error was recorded"));
        }
        let mut column = |name: &str| match product.value(name) {
            Ok(value) => value,
            Err((line, message)) => {
                errors.at(line, name, message);
                None
            }
        };
        let columns = ProductColumns {
            name: column("name"),
            description: column("description"),
            category: column("category"),
            attributes: column("attributes"),
            images: column("images"),
        };
        let skus: Vec<String> = product.rows.iter().map(CsvRow::sku).collect();
        let owners = sqlx::query_scalar!(
            "SELECT DISTINCT product_id FROM product_variants WHERE sku = ANY($1)",
            &skus
        )
        .fetch_all(self.pool)
        .await?;
        if owners.len() > 1 {
            errors.at(
                product.first_line(),
                "sku",
                format!("These SKUs belong to {} different products; one product's rows share one product column.", owners.len()),
            );
        }
        if let Some(outcome) = errors.outcome() {
            return Ok(outcome);
        }
        let stored = match owners.first() {
            Some(&id) => catalog_editing::editable(self.pool, id).await?,
            None => None,
        };
        let (form, lines) = form_for(product, stored.as_ref(), &columns);
        let valid = match form::read(&form) {
            Ok(valid) => valid,
            Err(fields) => {
                let mut errors = RowErrors::new(product);
                errors.fields(fields, &lines);
                return Ok(errors.outcome().expect("a field error was recorded"));
            }
        };
        let current_images = match &stored {
            Some(stored) => stored_images(self.pool, stored.id).await?,
            None => Vec::new(),
        };
        let wanted = match &columns.images {
            Some(names) => match self.wanted_images(product, names, &current_images).await? {
                Ok(wanted) => Some(wanted),
                Err(outcome) => return Ok(outcome),
            },
            None => None,
        };
        let product_changed = stored.as_ref().is_none_or(|stored| !unchanged(&valid, stored));
        let images_changed = wanted.as_ref().is_some_and(|wanted| {
            wanted.len() != current_images.len()
                || wanted.iter().zip(&current_images).any(|(want, have)| {
                    want.image.sha256 != have.image.sha256
                        || want.source_sha256 != have.source_sha256
                })
        });
        if !product_changed && !images_changed {
            return Ok(Outcome::Unchanged);
        }

        let mut tx = self.pool.begin().await?;
        let saved = if product_changed {
            match catalog_editing::save_in(
                &mut tx,
                self.actor,
                stored.as_ref().map(|s| s.id),
                &form,
            )
            .await
            {
                Ok(saved) => saved,
                Err(refusal) => return refused(product, refusal, &lines),
            }
        } else {
            stored.clone().expect("an unchanged product is a stored one")
        };
        if let Some(wanted) = wanted.filter(|_| images_changed) {
            set_images(&mut tx, self.actor, &saved, &current_images, &wanted).await?;
        }
        tx.commit().await?;
        Ok(if stored.is_some() { Outcome::Updated } else { Outcome::Created })
    }

    /// The images `names` (`;`-separated) asks for, stored; or the product's failure when one
    /// is missing or unreadable.
    async fn wanted_images(
        &mut self,
        product: &CsvProduct,
        names: &str,
        current: &[StoredProductImage],
    ) -> Result<Result<Vec<WantedImage>, Outcome>, RunError> {
        let line = product
            .rows
            .iter()
            .find(|row| row.images.as_deref().is_some_and(|cell| !cell.trim().is_empty()))
            .map_or(product.first_line(), |row| row.line);
        let mut errors = RowErrors::new(product);
        let mut wanted = Vec::new();
        for name in names.split(';').map(str::trim).filter(|name| !name.is_empty()) {
            let bytes = match self.archive.as_mut().map(|archive| archive.read(name)) {
                Some(Ok(Some(bytes))) => bytes,
                Some(Err(message)) => {
                    errors.at(line, "images", message);
                    continue;
                }
                Some(Ok(None)) | None => {
                    match current.iter().find(|have| have.file_name() == name) {
                        Some(have) => wanted.push(WantedImage {
                            image: have.image.clone(),
                            source_sha256: have.source_sha256.clone(),
                        }),
                        None if self.archive.is_some() => {
                            errors.at(line, "images", format!("There is no file \"{name}\" in the ZIP."))
                        }
                        None => errors.at(
                            line,
                            "images",
                            format!("\"{name}\" is not one of the product's images; upload a ZIP with it."),
                        ),
                    }
                    continue;
                }
            };
            let source_sha256 = hex_sha256(&bytes);
            // The same original as an image the product has: that image, without decoding.
            if let Some(have) =
                current.iter().find(|have| have.source_sha256.as_deref() == Some(&source_sha256))
            {
                wanted.push(WantedImage {
                    image: have.image.clone(),
                    source_sha256: Some(source_sha256),
                });
                continue;
            }
            let display = tokio::task::spawn_blocking(move || {
                crate::preprocess::display::display_from_photo(&bytes)
            })
            .await
            .map_err(|err| RunError::Media(err.to_string()))?;
            let display = match display {
                Ok(display) => display,
                Err(err) => {
                    errors.at(line, "images", format!("\"{name}\" cannot be used: {err}."));
                    continue;
                }
            };
            let image = self
                .media
                .put_product_image(&display)
                .map_err(|err| RunError::Media(err.to_string()))?;
            wanted.push(WantedImage { image, source_sha256: Some(source_sha256) });
        }
        Ok(match errors.outcome() {
            Some(outcome) => Err(outcome),
            None => Ok(wanted),
        })
    }
}

/// A save the catalog refused, as the product's row errors; a failure of ours otherwise.
fn refused(
    product: &CsvProduct,
    refusal: CatalogEditError,
    lines: &[u32],
) -> Result<Outcome, RunError> {
    let mut errors = RowErrors::new(product);
    match refusal {
        CatalogEditError::Invalid(fields) => errors.fields(fields, lines),
        CatalogEditError::Stale => errors.at(
            product.first_line(),
            "",
            "Someone saved this product while it was being imported; import the file again.",
        ),
        other => return Err(RunError::Save(other.to_string())),
    }
    Ok(errors.outcome().expect("an error was recorded"))
}

/// The product columns of a product's rows (`None`: blank or not in the file).
struct ProductColumns {
    name: Option<String>,
    description: Option<String>,
    category: Option<String>,
    attributes: Option<String>,
    images: Option<String>,
}

/// The product form the rows ask for, over what is stored, with the CSV line of each of its
/// variant rows. Stored variants keep their order (those the file leaves out are kept as they
/// are); new ones follow in the file's order.
fn form_for(
    product: &CsvProduct,
    stored: Option<&EditableProduct>,
    columns: &ProductColumns,
) -> (ProductForm, Vec<u32>) {
    let kept = |column: &Option<String>, stored: Option<String>| {
        column.clone().or(stored).unwrap_or_default()
    };
    let stored_attributes = stored.map(|stored| {
        let lines: Vec<String> =
            stored.attributes.iter().map(|(name, value)| format!("{name}: {value}")).collect();
        lines.join("\n")
    });
    let attributes = columns
        .attributes
        .as_ref()
        .map(|cell| cell.split(';').map(str::trim).collect::<Vec<_>>().join("\n"));
    let mut variants = Vec::new();
    let mut lines = Vec::new();
    let row_for = |sku: &str| product.rows.iter().find(|row| row.sku() == sku);
    for have in stored.map(|stored| stored.variants.as_slice()).unwrap_or_default() {
        let row = row_for(&have.sku);
        let cell = |value: Option<&String>| value.filter(|value| !value.trim().is_empty()).cloned();
        variants.push(VariantForm {
            id: Some(have.id),
            sku: have.sku.clone(),
            options: row
                .and_then(|row| cell(row.options.as_ref()))
                .unwrap_or_else(|| options_text(&have.options)),
            price: row
                .and_then(|row| cell(Some(&row.price)))
                .unwrap_or_else(|| Money::plain(have.price.minor)),
            currency: row
                .and_then(|row| cell(row.currency.as_ref()))
                .unwrap_or_else(|| have.price.currency.code().to_owned()),
            opening_stock: String::new(),
            remove: false,
        });
        lines.push(row.map_or(product.first_line(), |row| row.line));
    }
    let stored_skus: Vec<&str> = stored
        .map(|stored| stored.variants.iter().map(|v| v.sku.as_str()).collect())
        .unwrap_or_default();
    for row in product.rows.iter().filter(|row| !stored_skus.contains(&row.sku().as_str())) {
        variants.push(VariantForm {
            id: None,
            sku: row.sku.clone(),
            options: row.options.clone().unwrap_or_default(),
            price: row.price.clone(),
            currency: row.currency.clone().unwrap_or_else(|| "EUR".to_owned()),
            opening_stock: row.opening_stock.clone().unwrap_or_default(),
            remove: false,
        });
        lines.push(row.line);
    }
    let form = ProductForm {
        revision: stored.map(|stored| stored.revision),
        name: kept(&columns.name, stored.map(|s| s.name.clone())),
        slug: product.key.clone(),
        description: kept(&columns.description, stored.map(|s| s.description.clone())),
        category: kept(&columns.category, stored.map(|s| s.category.clone())),
        attributes: kept(&attributes, stored_attributes),
        variants,
    };
    (form, lines)
}

/// Whether saving `valid` would leave `stored` as it is.
fn unchanged(valid: &form::ValidProduct, stored: &EditableProduct) -> bool {
    let attributes: Vec<(String, String)> =
        valid.attributes.iter().map(|(name, value)| (name.clone(), value.clone())).collect();
    valid.name == stored.name
        && valid.slug == stored.slug
        && valid.description == stored.description
        && valid.category == stored.category
        && attributes == stored.attributes
        && valid.variants.len() == stored.variants.len()
        && valid.variants.iter().zip(&stored.variants).all(|(want, have)| {
            want.id == Some(have.id)
                && !want.remove
                && want.sku == have.sku
                && want.options == have.options
                && want.price == have.price
        })
}

async fn stored_images(
    pool: &PgPool,
    product_id: Uuid,
) -> Result<Vec<StoredProductImage>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT storage_key, content_type, sha256, width, height, byte_size, source_sha256
        FROM product_images WHERE product_id = $1 ORDER BY position
        "#,
        product_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| StoredProductImage {
            image: StoredImage {
                storage_key: row.storage_key,
                content_type: match row.content_type.as_str() {
                    "image/png" => "image/png",
                    "image/webp" => "image/webp",
                    _ => "image/jpeg",
                },
                sha256: row.sha256,
                width: row.width as u32,
                height: row.height as u32,
                byte_size: row.byte_size as usize,
            },
            source_sha256: row.source_sha256,
        })
        .collect())
}

/// Makes `wanted` the product's images, in order (an image whose file did not change keeps its
/// embedding), audited.
async fn set_images(
    tx: &mut PgConnection,
    actor: Actor,
    product: &EditableProduct,
    current: &[StoredProductImage],
    wanted: &[WantedImage],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM product_images WHERE product_id = $1 AND position >= $2",
        product.id,
        wanted.len() as i32
    )
    .execute(&mut *tx)
    .await?;
    for (position, want) in wanted.iter().enumerate() {
        upsert_product_image(
            tx,
            product.id,
            position as i32,
            &want.image,
            &product.name,
            want.source_sha256.as_deref(),
        )
        .await?;
    }
    let keys = |keys: Vec<&str>| json!({ "images": keys });
    let entry = Entry {
        action: "catalog.product.images",
        entity: "product",
        entity_id: product.id.to_string(),
        before: Some(keys(current.iter().map(|have| have.image.storage_key.as_str()).collect())),
        after: Some(keys(wanted.iter().map(|want| want.image.storage_key.as_str()).collect())),
    };
    audit::record(tx, actor, entry).await
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The latest imports, newest first (without their row errors).
pub async fn list(pool: &PgPool, limit: i64) -> Result<Vec<ImportSummary>, sqlx::Error> {
    let reports = read(pool, None, limit).await?;
    Ok(reports.into_iter().map(|report| report.summary).collect())
}

/// Import `id`'s counters.
pub async fn summary(pool: &PgPool, id: Uuid) -> Result<Option<ImportSummary>, sqlx::Error> {
    Ok(report(pool, id).await?.map(|report| report.summary))
}

/// Import `id` with its row errors.
pub async fn report(pool: &PgPool, id: Uuid) -> Result<Option<ImportReport>, sqlx::Error> {
    Ok(read(pool, Some(id), 1).await?.pop())
}

/// Import `id` with its errors, or the latest `limit` without.
async fn read(
    pool: &PgPool,
    id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ImportReport>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT i.id, i.file_name, i.images_name, u.email AS "created_by?", i.status,
               i.rows_total, i.rows_done, i.rows_failed, i.products_created, i.products_updated,
               i.products_unchanged, i.failure, i.created_at, i.finished_at,
               CASE WHEN $1::uuid IS NULL THEN '[]'::jsonb ELSE i.errors END AS "errors!"
        FROM catalog_imports i LEFT JOIN users u ON u.id = i.created_by
        WHERE $1::uuid IS NULL OR i.id = $1
        ORDER BY i.created_at DESC
        LIMIT $2
        "#,
        id,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ImportReport {
            summary: ImportSummary {
                id: row.id,
                file_name: row.file_name,
                images_name: row.images_name,
                created_by: row.created_by,
                // The column's CHECK allows only these.
                status: ImportStatus::parse(&row.status).unwrap_or(ImportStatus::Failed),
                rows_total: row.rows_total,
                rows_done: row.rows_done,
                rows_failed: row.rows_failed,
                products_created: row.products_created,
                products_updated: row.products_updated,
                products_unchanged: row.products_unchanged,
                failure: row.failure,
                created_at: row.created_at,
                finished_at: row.finished_at,
            },
            errors: serde_json::from_value(row.errors).unwrap_or_default(),
        })
        .collect())
}
