//! Products created and edited in the admin area, through the server functions as the form
//! posts them: a product with two variants and opening stock (ledger, audit, event, its text
//! embedding queued), shown in the shop; a rename whose old address answers 301; a stale form
//! refused; every bad field named at once with nothing written; a SKU of another product and a
//! removed variant with orders refused; archive and restore; a plain form post (no
//! JavaScript) landing on the new product's page.

use app::types::EditableProduct;
use reqwest::header::{ACCEPT, AUTHORIZATION, LOCATION, REFERER};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{call_server_fn, paid_guest_order, signed_in_admin, TestApp, TestDb};

const SAVE: &str = "/api/admin/products/save";

/// The product form's fields, as the page posts them.
fn teapot_form(
    revision: Option<i32>,
    name: &str,
    slug: &str,
    large_price: &str,
) -> Vec<(String, String)> {
    let mut fields = vec![
        ("form[name]".to_owned(), name.to_owned()),
        ("form[slug]".to_owned(), slug.to_owned()),
        ("form[description]".to_owned(), "Stoneware, glazed blue.".to_owned()),
        ("form[category]".to_owned(), "kitchen".to_owned()),
        ("form[attributes]".to_owned(), "Material: stoneware\nOrigin: Portugal".to_owned()),
    ];
    if let Some(revision) = revision {
        fields.push(("form[revision]".into(), revision.to_string()));
    }
    for (row, (sku, size, price, stock)) in
        [("TEAPOT-S", "S", "24.50", "5"), ("TEAPOT-L", "L", large_price, "2")]
            .into_iter()
            .enumerate()
    {
        let field = |name: &str| format!("form[variants][{row}][{name}]");
        fields.push((field("sku"), sku.to_owned()));
        fields.push((field("options"), format!("size: {size}")));
        fields.push((field("price"), price.to_owned()));
        fields.push((field("currency"), "EUR".to_owned()));
        if revision.is_none() {
            fields.push((field("opening_stock"), stock.to_owned()));
        }
    }
    fields
}

/// The saved variants' ids, for an edit form (which names the variants it edits).
fn with_variant_ids(
    mut fields: Vec<(String, String)>,
    product: &EditableProduct,
) -> Vec<(String, String)> {
    for (row, variant) in product.variants.iter().enumerate() {
        fields.push((format!("form[variants][{row}][id]"), variant.id.to_string()));
    }
    fields
}

/// A server function's answer: the product, or the refusal's status and body.
async fn call(
    app: &TestApp,
    token: &str,
    path: &str,
    form: &[(String, String)],
) -> Result<EditableProduct, (StatusCode, Value)> {
    call_server_fn(app, token, path, form).await
}

/// The fields a refusal names.
fn fields(body: &Value) -> Vec<String> {
    body["refusal"]["Invalid"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

async fn kitchen(db: &TestDb) {
    sqlx::query(
        "INSERT INTO categories (id, slug, name) VALUES (gen_random_uuid(), 'kitchen', 'Kitchen')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
}

async fn count(app: &TestApp, sql: &'static str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn an_admin_creates_renames_and_archives_a_product_audited_with_its_events() {
    let db = TestDb::migrated().await;
    kitchen(&db).await;
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;

    // Created with two variants and their opening stock.
    let created =
        call(&app, &admin, SAVE, &teapot_form(None, "Blue Teapot", "", "29")).await.unwrap();
    assert_eq!((created.slug.as_str(), created.revision), ("blue-teapot", 1));
    assert!(created.published && !created.archived);
    assert_eq!(
        created.attributes,
        [("material".into(), "stoneware".into()), ("origin".into(), "Portugal".into())]
    );
    let stock: Vec<(&str, i32, i64)> =
        created.variants.iter().map(|v| (v.sku.as_str(), v.on_hand, v.price.minor)).collect();
    assert_eq!(stock, [("TEAPOT-S", 5, 2450), ("TEAPOT-L", 2, 2900)]);
    let id = created.id;
    let received =
        "SELECT count(*) FROM stock_movements m JOIN product_variants v ON v.id = m.variant_id
                    WHERE v.product_id = $1 AND m.reason = 'received'";
    assert_eq!(count(&app, received, id).await, 2, "opening stock through the ledger");
    let audited = "SELECT count(*) FROM audit_log WHERE entity_id = $1::text AND action = 'catalog.product.create'";
    assert_eq!(count(&app, audited, id).await, 1);
    let created_event = "SELECT count(*) FROM outbox WHERE topic = 'product.created' AND payload->>'product_id' = $1::text";
    assert_eq!(count(&app, created_event, id).await, 1);
    let embed =
        "SELECT count(*) FROM jobs WHERE kind = 'embed_text' AND payload->>'product_id' = $1::text";
    assert_eq!(count(&app, embed, id).await, 1, "its text embedding queued");
    let page = app.get("/products/blue-teapot").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Blue Teapot") && html.contains("€24.50"), "shown in the shop");

    // Renamed, a new address and a new price: the old address redirects for good.
    let edit = with_variant_ids(
        teapot_form(Some(1), "Blue Teapot, large", "blue-teapot-large", "31.00"),
        &created,
    );
    let renamed = call(
        &app,
        &admin,
        SAVE,
        &[vec![("product_id".into(), id.to_string())], edit.clone()].concat(),
    )
    .await
    .unwrap();
    assert_eq!((renamed.slug.as_str(), renamed.revision), ("blue-teapot-large", 2));
    assert_eq!(renamed.variants[1].price.minor, 3100);
    assert_eq!(
        renamed.variants.iter().map(|v| v.id).collect::<Vec<_>>(),
        created.variants.iter().map(|v| v.id).collect::<Vec<_>>()
    );
    let no_follow =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let old = no_follow.get(app.url("/products/blue-teapot?q=teapot&pos=0")).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.headers()[LOCATION], "/products/blue-teapot-large?q=teapot&pos=0");
    let html = app.get("/products/blue-teapot-large").await.text().await.unwrap();
    assert!(html.contains("€31.00"));
    let updated: Value = sqlx::query_scalar(
        "SELECT jsonb_build_object('before', before, 'after', after) FROM audit_log
         WHERE entity_id = $1::text AND action = 'catalog.product.update'",
    )
    .bind(id.to_string())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(updated["before"]["slug"], "blue-teapot");
    assert_eq!(updated["after"]["slug"], "blue-teapot-large");

    // The same form again (revision 1): someone saved since, so it is refused, nothing changes.
    let stale =
        call(&app, &admin, SAVE, &[vec![("product_id".into(), id.to_string())], edit].concat())
            .await;
    let (status, body) = stale.unwrap_err();
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("stale_form")));

    // Archived: out of the shop (its page is gone, not redirected) and out of the default list.
    let archive =
        [("product_id".to_owned(), id.to_string()), ("archived".to_owned(), "true".to_owned())];
    let archived = call(&app, &admin, "/api/admin/products/archive", &archive).await.unwrap();
    assert!(archived.archived && !archived.published);
    assert_eq!(app.get("/products/blue-teapot-large").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/products/blue-teapot").await.status(), StatusCode::NOT_FOUND);
    let listed = |archived: bool| {
        let form = vec![
            ("query".to_owned(), String::new()),
            ("archived".to_owned(), archived.to_string()),
        ];
        let (app, admin) = (&app, &admin);
        async move {
            let response = app
                .client
                .post(app.url("/api/admin/products"))
                .header(AUTHORIZATION, format!("Bearer {admin}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let list: Vec<Value> = response.json().await.unwrap();
            list.len()
        }
    };
    assert_eq!((listed(false).await, listed(true).await), (0, 1));
    let archive_audited = "SELECT count(*) FROM audit_log WHERE entity_id = $1::text AND action = 'catalog.product.archive'";
    assert_eq!(count(&app, archive_audited, id).await, 1);
    // Showing it again restores it.
    let show =
        [("product_id".to_owned(), id.to_string()), ("published".to_owned(), "true".to_owned())];
    let response = app
        .client
        .post(app.url("/api/admin/products/publish"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .form(&show)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.get("/products/blue-teapot-large").await.status(), StatusCode::OK);
    assert_eq!(listed(false).await, 1);
}

#[tokio::test]
async fn bad_fields_taken_skus_and_ordered_variants_are_refused_and_nothing_is_written() {
    let db = TestDb::migrated().await;
    kitchen(&db).await;
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;
    let teapot =
        call(&app, &admin, SAVE, &teapot_form(None, "Blue Teapot", "", "29")).await.unwrap();

    // Every bad field at once; nothing of the form written.
    let mut bad = teapot_form(None, " ", "Not A Slug", "29,90");
    bad.retain(|(name, _)| name != "form[category]");
    bad.push(("form[category]".into(), "garden".into()));
    let (status, body) = call(&app, &admin, SAVE, &bad).await.unwrap_err();
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_product"))
    );
    assert_eq!(fields(&body), ["name", "slug", "variants.1.price"]);
    // The category is checked with the database, once the form reads.
    let mut unknown = teapot_form(None, "Green Teapot", "", "29");
    unknown.retain(|(name, value)| name != "form[category]" && !value.starts_with("TEAPOT"));
    unknown.push(("form[category]".into(), "garden".into()));
    unknown.push(("form[variants][0][sku]".into(), "GREEN-S".into()));
    unknown.push(("form[variants][1][sku]".into(), "GREEN-L".into()));
    let (_, body) = call(&app, &admin, SAVE, &unknown).await.unwrap_err();
    assert_eq!(fields(&body), ["category"]);
    let products: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(products, 1);

    // Another product may not take the teapot's SKUs or its address.
    let (_, body) =
        call(&app, &admin, SAVE, &teapot_form(None, "Blue Teapot", "blue-teapot", "29"))
            .await
            .unwrap_err();
    assert_eq!(fields(&body), ["slug", "variants.0.sku", "variants.1.sku"]);

    // A variant with an order stays: removing it is refused, the rest of the save with it.
    paid_guest_order(&app, "TEAPOT-S", "buyer@example.com").await;
    let mut remove = with_variant_ids(teapot_form(Some(1), "Blue Teapot", "", "35"), &teapot);
    remove.push(("form[variants][0][remove]".into(), "true".into()));
    remove.push(("product_id".into(), teapot.id.to_string()));
    let (_, body) = call(&app, &admin, SAVE, &remove).await.unwrap_err();
    assert_eq!(fields(&body), ["variants.0.remove"]);
    let price: i64 =
        sqlx::query_scalar("SELECT price_minor FROM product_variants WHERE sku = 'TEAPOT-L'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(price, 2900, "nothing of the refused save was written");
    // One never ordered goes.
    let mut remove = with_variant_ids(teapot_form(Some(1), "Blue Teapot", "", "35"), &teapot);
    remove.push(("form[variants][1][remove]".into(), "true".into()));
    remove.push(("product_id".into(), teapot.id.to_string()));
    let saved = call(&app, &admin, SAVE, &remove).await.unwrap();
    assert_eq!(saved.variants.iter().map(|v| v.sku.as_str()).collect::<Vec<_>>(), ["TEAPOT-S"]);
}

#[tokio::test]
async fn a_plain_form_post_creates_the_product_and_lands_on_its_page() {
    let db = TestDb::migrated().await;
    kitchen(&db).await;
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;
    let no_follow =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = no_follow
        .post(app.url(SAVE))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .header(ACCEPT, "text/html")
        .header(REFERER, app.url("/admin/products/new"))
        .form(&teapot_form(None, "Blue Teapot", "", "29"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let id: Uuid = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'blue-teapot'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("/admin/products/{id}")), "{location}");
}

/// `categories/save` with `form`, as the admin: the refusal's fields, if refused.
async fn save_category(
    app: &TestApp,
    token: &str,
    form: &[(&str, &str)],
) -> Result<(), Vec<String>> {
    let response = app
        .client
        .post(app.url("/api/admin/categories/save"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .form(form)
        .send()
        .await
        .unwrap();
    if response.status().is_success() {
        return Ok(());
    }
    let body: Value = response.json().await.unwrap();
    Err(fields(&body))
}

#[tokio::test]
async fn categories_are_created_moved_and_only_an_empty_one_deleted() {
    let db = TestDb::migrated().await;
    kitchen(&db).await;
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;
    save_category(&app, &admin, &[("form[name]", "Tea sets"), ("form[parent]", "kitchen")])
        .await
        .unwrap();
    save_category(&app, &admin, &[("form[name]", "Cups"), ("form[parent]", "tea-sets")])
        .await
        .unwrap();
    // A category cannot move under itself or below it, nor take a taken address.
    let cycle = save_category(
        &app,
        &admin,
        &[("form[slug]", "kitchen"), ("form[name]", "Kitchen"), ("form[parent]", "cups")],
    )
    .await;
    assert_eq!(cycle.unwrap_err(), ["parent"]);
    let taken =
        save_category(&app, &admin, &[("form[name]", "Cups"), ("form[new_slug]", "cups")]).await;
    assert_eq!(taken.unwrap_err(), ["new_slug"]);
    // Cups moves to the top and is renamed.
    save_category(
        &app,
        &admin,
        &[("form[slug]", "cups"), ("form[name]", "Cups and mugs"), ("form[parent]", "")],
    )
    .await
    .unwrap();
    let response = app
        .client
        .post(app.url("/api/admin/categories"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .form(&[] as &[(&str, &str)])
        .send()
        .await
        .unwrap();
    let tree: Vec<app::types::AdminCategory> = response.json().await.unwrap();
    let shape: Vec<(&str, i32, Option<&str>)> =
        tree.iter().map(|c| (c.name.as_str(), c.depth, c.parent_slug.as_deref())).collect();
    assert_eq!(
        shape,
        [("Cups and mugs", 0, None), ("Kitchen", 0, None), ("Tea sets", 1, Some("kitchen"))]
    );

    // A category holding a product stays; an empty one goes, audited.
    call(&app, &admin, SAVE, &teapot_form(None, "Blue Teapot", "", "29")).await.unwrap();
    let delete = |slug: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.client
                .post(app.url("/api/admin/categories/delete"))
                .header(AUTHORIZATION, format!("Bearer {admin}"))
                .form(&[("slug", slug)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(delete("kitchen").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(delete("cups").await, StatusCode::OK);
    let left: Vec<String> = sqlx::query_scalar("SELECT slug FROM categories ORDER BY slug")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(left, ["kitchen", "tea-sets"]);
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity = 'category' ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        audited,
        [
            "catalog.category.create",
            "catalog.category.create",
            "catalog.category.update",
            "catalog.category.delete"
        ]
    );
}
