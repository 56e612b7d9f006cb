//! The analytics dashboard against known data: paid orders through the shop's API, events
//! through its event writer and straight into the table (the rollup triggers see both), a
//! search that finds nothing, photo searches, a refund; every figure asserted, the rollups
//! equal to what the raw rows say, the segments job's groups, a table exported as CSV, and a
//! bad range refused.

use app::types::{Dashboard, FunnelStep};
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    get_json, paid_guest_order, signed_in_admin, stocked_variant, TestApp, TestDb,
};

async fn dashboard(
    app: &TestApp,
    token: &str,
    query: &str,
) -> Result<Dashboard, (StatusCode, Value)> {
    get_json(app, token, &format!("/api/admin/analytics?{query}")).await
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&app.db.pool).await.unwrap();
}

#[tokio::test]
async fn every_figure_of_the_dashboard_comes_from_the_rollups_of_known_data() {
    let db = TestDb::migrated().await;
    stocked_variant(&db, "MUG", 20).await;
    stocked_variant(&db, "BOWL", 4).await; // running out, never sold
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;

    // Three paid orders of one mug each, two by the same customer; one refunded by 5.00.
    let first = paid_guest_order(&app, "MUG", "ada@example.com").await;
    paid_guest_order(&app, "MUG", "ada@example.com").await;
    paid_guest_order(&app, "MUG", "grace@example.com").await;
    let response = app
        .client
        .post(app.url("/api/admin/orders/refund"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .form(&[
            ("order_id", first.to_string()),
            ("amount", "5.00".to_owned()),
            ("reason", "chipped".to_owned()),
            ("idempotency_key", "analytics-refund".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    // A search that finds nothing and one that finds the mug, through the API.
    for q in ["zzzz", "mug"] {
        let response = app.client.get(app.url(&format!("/api/search?q={q}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    app.events.flush().await;
    // Views, a row's impressions and a click, straight into the table (one statement: one
    // batch, as the writer inserts them).
    exec(
        &app,
        r#"
        INSERT INTO shopper_events (visitor, kind, product_id, row_name, position)
        SELECT gen_random_uuid(), kind, (SELECT product_id FROM product_variants WHERE sku = 'MUG'), row_name, 0
        FROM (VALUES ('view', NULL), ('view', NULL), ('view', NULL), ('view', NULL), ('view', NULL),
                     ('rec_impression', 'picked_for_you'), ('rec_impression', 'picked_for_you'),
                     ('rec_impression', 'picked_for_you'), ('rec_impression', 'picked_for_you'),
                     ('rec_click', 'picked_for_you')) AS e(kind, row_name)
        "#,
    )
    .await;
    exec(
        &app,
        "INSERT INTO image_queries (id, embedding, model_version) SELECT gen_random_uuid(), array_fill(0, ARRAY[1280])::vector, 'test' FROM generate_series(1, 2)",
    )
    .await;

    let seen = dashboard(&app, &admin, "").await.unwrap();
    let order_total: i64 = sqlx::query_scalar("SELECT total_minor FROM orders WHERE id = $1")
        .bind(first)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(seen.currency, "EUR");
    assert_eq!(seen.days.len(), 30);
    let today = seen.days.last().unwrap();
    assert_eq!((today.orders, today.revenue_minor, today.photo_searches), (3, 3 * order_total, 2));
    assert_eq!(seen.totals.orders, 3);
    assert_eq!(seen.totals.revenue_minor, 3 * order_total);
    assert_eq!(seen.totals.refunded_minor, 500);
    assert_eq!(seen.totals.average_order_minor, Some(order_total));

    let cart_adds: i64 =
        sqlx::query_scalar("SELECT count(*) FROM shopper_events WHERE kind = 'cart_add'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(cart_adds, 3, "each order's cart add was recorded");
    let step = |step: &str, count: i64| FunnelStep { step: step.to_owned(), count };
    assert_eq!(
        seen.funnel,
        [
            step("Product views", 5),
            step("Added to cart", 3),
            step("Checkouts", 3),
            step("Paid orders", 3)
        ]
    );

    let mug = &seen.top_products[0];
    assert_eq!(
        (mug.slug.as_str(), mug.units, mug.revenue_minor, mug.views),
        ("mug", 3, 3 * 1250, 5)
    );
    assert_eq!(seen.top_products.len(), 1, "the bowl never sold nor was viewed");
    assert_eq!(seen.top_categories[0].slug, "mugs");
    assert_eq!(seen.top_categories[0].units, 3);

    let queries: Vec<(&str, i64, i64)> =
        seen.top_queries.iter().map(|q| (q.query.as_str(), q.searches, q.empty)).collect();
    assert_eq!(queries, [("mug", 1, 0), ("zzzz", 1, 1)]);
    let empty: Vec<&str> = seen.zero_result_queries.iter().map(|q| q.query.as_str()).collect();
    assert_eq!(empty, ["zzzz"]);

    assert_eq!(seen.rows.len(), 1);
    assert_eq!((seen.rows[0].impressions, seen.rows[0].clicks), (4, 1));
    assert_eq!(seen.rows[0].ctr, Some(0.25));

    let alerts: Vec<(&str, i32)> =
        seen.stock_alerts.iter().map(|a| (a.sku.as_str(), a.available)).collect();
    assert_eq!(alerts, [("BOWL", 4)]);

    // The rollups agree with the raw rows they summarise.
    let raw_views: i64 =
        sqlx::query_scalar("SELECT count(*) FROM shopper_events WHERE kind = 'view'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(raw_views, 5);

    // Segments: the job's two customers, the one with two orders first.
    app::backend::analytics::segments::recompute(&app.db.pool, "EUR").await.unwrap();
    let seen = dashboard(&app, &admin, "").await.unwrap();
    let segments: Vec<(i64, f64)> =
        seen.segments.iter().map(|s| (s.customers, s.avg_orders)).collect();
    assert_eq!(segments, [(1, 2.0), (1, 1.0)]);
    assert_eq!(seen.segments[0].label, "Best customers");
    assert_eq!(seen.segments[1].label, "Lapsed");

    // A table as CSV; a range that does not read.
    let response = app
        .client
        .get(app.url("/api/admin/analytics.csv?table=products"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.unwrap();
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        ["name,slug,units,revenue_eur,views", "MUG,mug,3,37.50,5"]
    );
    let response = app
        .client
        .get(app.url("/api/admin/analytics.csv?table=secrets"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, body) =
        dashboard(&app, &admin, "from=2026-12-08&to=2026-12-01").await.unwrap_err();
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_range"))
    );
    // A range before anything happened: zeros, not errors.
    let before = dashboard(&app, &admin, "from=2020-01-01&to=2020-01-31").await.unwrap();
    assert_eq!((before.totals.orders, before.days.len()), (0, 31));
    assert!(before.funnel.iter().all(|step| step.count == 0));
}

#[tokio::test]
async fn product_totals_from_months_and_days_equal_the_sum_of_the_days() {
    let db = TestDb::migrated().await;
    stocked_variant(&db, "MUG", 1).await;
    // A view a day of the mug from 2026-01-01 to 2026-04-30, through the events' trigger.
    sqlx::raw_sql(
        "INSERT INTO shopper_events (visitor, kind, product_id, occurred_at)
         SELECT gen_random_uuid(), 'view', (SELECT product_id FROM product_variants WHERE sku = 'MUG'),
                day + interval '12 hours'
         FROM generate_series(timestamptz '2026-01-01 00:00Z', '2026-04-30 00:00Z', interval '1 day') day",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    for (first, last) in [
        ("2026-01-01", "2026-04-30"), // whole months only
        ("2026-01-15", "2026-03-10"), // days, a month, days
        ("2026-01-15", "2026-02-10"), // days either side of one boundary
        ("2026-02-03", "2026-02-20"), // inside one month
        ("2026-02-01", "2026-02-28"), // exactly one month
        ("2025-12-20", "2026-01-05"), // partly before anything happened
    ] {
        let (totals, days): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT coalesce(sum(views), 0)::bigint FROM analytics_product_totals($1::date, $2::date)),
                    (SELECT coalesce(sum(views), 0)::bigint FROM analytics_daily_products WHERE day BETWEEN $1::date AND $2::date)",
        )
        .bind(first)
        .bind(last)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let expected = (chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d")
            .unwrap()
            .min(chrono::NaiveDate::from_ymd_opt(2026, 4, 30).unwrap())
            - chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d")
                .unwrap()
                .max(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()))
        .num_days()
            + 1;
        assert_eq!((totals, days), (expected, expected), "{first} to {last}");
    }
}
