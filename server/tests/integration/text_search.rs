//! Text search on a real database: each arm (full text, typos through the word list, names by
//! trigram, meaning by the text model), their fusion, facets and sorting, hidden products,
//! freshness after a product or category changes (at once for the lexical arms, after the
//! `embed_text` job for meaning), the suggestions, the page without JavaScript, and every bad
//! input the issue lists (a clear 400 or an empty result, never a 500).

use app::backend::text_embeddings::{self, Stored};
use app::backend::text_model::TEXT_MODEL_VERSION;
use app::backend::text_search::{ranked_ids, Arms};
use serde_json::Value;

use crate::helpers::{test_auth, text_embedder, TestApp, TestDb};

/// The fixture catalog, its texts embedded as the worker would, served with every arm on.
async fn app() -> TestApp {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    db.embed_texts().await;
    TestApp::spawn(db).await
}

/// The names `arms` alone rank for `query`, best first.
async fn ranked_names(app: &TestApp, query: &str, arms: Arms) -> Vec<String> {
    let ids = ranked_ids(&app.db.pool, &text_embedder(), query, arms).await.unwrap();
    let mut names = Vec::new();
    for id in ids {
        let name: String = sqlx::query_scalar("SELECT name FROM products WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        names.push(name);
    }
    names
}

const MEANING: Arms = Arms { semantic: true, ..Arms::NONE };

async fn search(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/search?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

/// The names of the results, in order.
fn names(results: &Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["product"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn q(text: &str) -> String {
    form_urlencoded::Serializer::new(String::new()).append_pair("q", text).finish()
}

#[tokio::test]
async fn whole_words_stems_prefixes_and_typos_find_the_product_first() {
    let app = app().await;
    for (query, expected) in [
        ("teapot", "Teapot"),
        ("TEAPOT", "Teapot"),
        ("guitars", "Guitar"),
        ("bicy", "Bicycle"),
        ("te", "Teapot"),
        ("guitra", "Guitar"),
        ("gutiar", "Guitar"),
        ("umbrela", "Umbrella with Rain Drops"),
        ("rain umbrella", "Umbrella with Rain Drops"),
        ("drops umbr", "Umbrella with Rain Drops"),
        ("bicyle", "Bicycle"),
        ("shirt", "T-Shirt"),
        ("tshirt", "T-Shirt"),
        ("Téapot", "Teapot"),
    ] {
        let results = search(&app, &q(query)).await;
        assert_eq!(
            names(&results).first().map(String::as_str),
            Some(expected),
            "{query}: {results}"
        );
    }
}

#[tokio::test]
async fn a_short_word_takes_no_typo_and_a_category_finds_its_products() {
    let app = app().await;
    // Four letters: no typo allowed ("tepot" is five and would be one). The words' arms keep
    // the rule; meaning may still recognise the word.
    assert_eq!(ranked_names(&app, "tpot", Arms::LEXICAL).await, Vec::<String>::new());
    let drinks = search(&app, &q("drink")).await;
    assert!(names(&drinks).contains(&"Teapot".to_owned()), "{drinks}");
}

#[tokio::test]
async fn matched_words_are_marked_in_the_names() {
    let app = app().await;
    let results = search(&app, &q("umbrela rain")).await;
    let parts = &results["hits"][0]["name_parts"];
    let marked: Vec<&str> = parts
        .as_array()
        .unwrap()
        .iter()
        .filter(|part| part["matched"] == true)
        .map(|part| part["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["Umbrella", "Rain"], "{parts}");
}

#[tokio::test]
async fn facets_filters_and_sorting_apply_to_the_results() {
    let app = app().await;
    // Every fixture description says "from our … range": all nine products, to filter and sort.
    let all = search(&app, &q("range")).await;
    let total = all["total"].as_i64().unwrap();
    assert!(total >= 3, "{all}");
    let categories = all["categories"].as_array().unwrap();
    let counted: i64 = categories.iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, total, "every result is in one category facet: {all}");

    let first = &categories[0];
    let slug = first["slug"].as_str().unwrap();
    let narrowed = search(&app, &format!("{}&category={slug}", q("range"))).await;
    assert_eq!(narrowed["total"], first["count"], "{narrowed}");
    assert_eq!(narrowed["categories"], all["categories"], "the facet ignores its own filter");

    let by_price = search(&app, &format!("{}&sort=price_asc", q("range"))).await;
    let prices: Vec<i64> = by_price["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["product"]["price"]["minor"].as_i64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|pair| pair[0] <= pair[1]), "{prices:?}");
    let (low, high) = (prices[0], prices[prices.len() - 1]);
    assert_eq!(all["price_range"][0]["minor"], low);
    assert_eq!(all["price_range"][1]["minor"], high);

    let cheap = search(&app, &format!("{}&max_price={}", q("range"), low as f64 / 100.0)).await;
    assert!(cheap["total"].as_i64().unwrap() >= 1);
    assert!(cheap["total"].as_i64().unwrap() < total, "{cheap}");

    // An empty sort is relevance, the same order as no sort at all.
    let empty_sort = search(&app, &format!("{}&sort=", q("range"))).await;
    assert_eq!(names(&empty_sort), names(&all));
}

#[tokio::test]
async fn hidden_products_never_appear() {
    let app = app().await;
    sqlx::query("UPDATE products SET published = false WHERE name = 'Guitar'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    for query in ["guitar", "guitra", "gui"] {
        let results = search(&app, &q(query)).await;
        assert!(!names(&results).contains(&"Guitar".to_owned()), "{query}: {results}");
    }
    let suggestions: Value =
        app.get(&format!("/api/search/suggest?{}", q("guit"))).await.json().await.unwrap();
    assert_eq!(suggestions["products"], serde_json::json!([]), "{suggestions}");
    // Nor does its name correct anything any more.
    assert_eq!(search(&app, &q("guitr")).await["did_you_mean"], Value::Null);
}

#[tokio::test]
async fn a_renamed_product_or_category_is_found_at_once() {
    let app = app().await;
    sqlx::query("UPDATE products SET name = 'Banjo Deluxe' WHERE name = 'Guitar'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(names(&search(&app, &q("banjo")).await), ["Banjo Deluxe"]);
    assert_eq!(names(&search(&app, &q("bnajo deluxe")).await), ["Banjo Deluxe"]);
    // Its SKU still says guitar, and SKUs are searched too.
    assert_eq!(names(&search(&app, &q("guitar")).await), ["Banjo Deluxe"]);

    sqlx::query("UPDATE categories SET name = 'Kettles' WHERE name = 'Drink'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(names(&search(&app, &q("kettles")).await), ["Teapot"]);
    assert_eq!(names(&search(&app, &q("ketles")).await), ["Teapot"], "the word list knows it");
}

#[tokio::test]
async fn little_found_offers_a_correction_and_nothing_found_a_way_on() {
    let app = app().await;
    // "tepaot" is one swap from "teapot": found, and corrected too, as few results came back.
    let few = search(&app, &q("tepaot")).await;
    assert_eq!(names(&few), ["Teapot"]);
    assert_eq!(few["did_you_mean"], "teapot");

    // No word of the catalog is near "xylophone", but meaning knows an instrument when it
    // sees one: no correction, and the nearest thing the shop sells.
    let near = search(&app, &q("xylophone")).await;
    assert_eq!(near["did_you_mean"], Value::Null, "no catalog word is near it");
    assert_eq!(names(&near), ["Guitar"], "{near}");

    let none = search(&app, &q("zzqx")).await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["did_you_mean"], Value::Null);
    assert!(!none["popular_categories"].as_array().unwrap().is_empty(), "{none}");

    // Two typos in a 4-letter word are too many to match but one is worth suggesting.
    let short = search(&app, &q("aple")).await;
    assert_eq!(short["did_you_mean"], "apple", "{short}");
}

#[tokio::test]
async fn suggestions_name_products_and_categories_as_you_type() {
    let app = app().await;
    let suggestions: Value =
        app.get(&format!("/api/search/suggest?{}", q("guit"))).await.json().await.unwrap();
    assert_eq!(suggestions["products"][0]["name"], "Guitar", "{suggestions}");
    assert!(suggestions["products"][0]["image_url"].is_string());
    let categories: Value =
        app.get(&format!("/api/search/suggest?{}", q("trav"))).await.json().await.unwrap();
    let names: Vec<&str> = categories["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|category| category["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Travel & Places"), "{categories}");
    let empty: Value = app.get("/api/search/suggest?q=").await.json().await.unwrap();
    assert_eq!(empty, serde_json::json!({ "products": [], "categories": [] }));
}

#[tokio::test]
async fn the_results_page_works_without_javascript() {
    let app = app().await;
    let response = app.get(&format!("/search?{}", q("umbrela"))).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<mark>Umbrella</mark>"), "{html}");
    assert!(html.contains(r#"class="listing-count">1 result</p>"#), "{html}");
    let none = app.get(&format!("/search?{}", q("zzqx"))).await.text().await.unwrap();
    assert!(none.contains(r#"data-testid="no-results""#));
    assert!(none.contains(r#"href="/search/photo""#));
    let refused = app.get("/search?q=tea&page=0").await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("Pages run from 1 to 50."));
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_never_a_500() {
    let app = app().await;
    let long = "teapot ".repeat(1500);
    for (query, status) in [
        (String::new(), 200),
        (q("   \t "), 200),
        (q("t"), 200),
        (q(&long), 200),
        (q("&|!():*'\\"), 200),
        (q("tea & | pot:* !x ('"), 200),
        (q("'; DROP TABLE products; --"), 200),
        (q("<script>alert(1)</script>"), 200),
        // Not UTF-8: read as replacement characters, which are no words.
        ("q=%FF%FE".to_owned(), 200),
        (format!("{}&category=no-such-aisle", q("tea")), 200),
        (format!("{}&min_price=-5", q("tea")), 400),
        (format!("{}&max_price=lots", q("tea")), 400),
        (format!("{}&min_price=9&max_price=1", q("tea")), 400),
        (format!("{}&page=0", q("tea")), 400),
        (format!("{}&page=99999999999999999999999", q("tea")), 400),
        (format!("{}&sort=id;drop", q("tea")), 400),
    ] {
        let response = app.get(&format!("/api/search?{query}")).await;
        assert_eq!(response.status(), status, "{query:.80}");
        let body: Value = response.json().await.unwrap();
        if status == 400 {
            let error = &body["error"];
            assert!(error["code"].is_string() && error["message"].is_string(), "{body}");
        } else {
            assert!(body["hits"].is_array(), "{body}");
        }
    }
    let html = app.get(&format!("/search?{}", q("</title><script>alert(1)</script>"))).await;
    let html = html.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)</script>"), "shown escaped: {html}");
    let unknown_category = search(&app, &format!("{}&category=no-such-aisle", q("tea"))).await;
    assert_eq!(unknown_category["total"], 0);
}

#[tokio::test]
async fn a_client_searching_too_fast_is_asked_to_wait() {
    let auth = app::backend::auth::Auth { trust_forwarded_for: true, ..test_auth() };
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::builder(db).auth(auth).text_searches_per_minute(3).spawn().await;
    let from = |address: &'static str, path: &'static str| {
        app.client.get(app.url(path)).header("x-forwarded-for", address).send()
    };
    for path in ["/api/search?q=tea", "/api/search/suggest?q=te", "/search?q=tea"] {
        assert_eq!(from("192.0.2.20", path).await.unwrap().status(), 200, "{path}");
    }
    let refused = from("192.0.2.20", "/api/search?q=tea").await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let page = from("192.0.2.20", "/search?q=tea").await.unwrap();
    assert_eq!(page.status(), 429);
    assert_eq!(from("192.0.2.21", "/api/search?q=tea").await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_meaning_arm_finds_what_no_word_of_the_query_names() {
    let app = app().await;
    for (query, expected) in [
        ("something to play music on", "Guitar"),
        ("cycling", "Bicycle"),
        ("summer clothes", "T-Shirt"),
        ("something to wear", "T-Shirt"),
    ] {
        assert_eq!(ranked_names(&app, query, Arms::LEXICAL).await, Vec::<String>::new(), "{query}");
        let meaning = ranked_names(&app, query, MEANING).await;
        assert_eq!(meaning.first().map(String::as_str), Some(expected), "{query}: {meaning:?}");
        let results = search(&app, &q(query)).await;
        assert_eq!(
            names(&results).first().map(String::as_str),
            Some(expected),
            "{query}: {results}"
        );
    }
    // Nothing near at all, or a mangled word: the gate keeps the arm (and the page) empty.
    for query in ["zzqx", "qwerty", "bnjo"] {
        assert_eq!(ranked_names(&app, query, MEANING).await, Vec::<String>::new(), "{query}");
    }
}

#[tokio::test]
async fn a_hidden_product_is_not_found_by_meaning_either() {
    let app = app().await;
    sqlx::query("UPDATE products SET published = false WHERE name = 'Guitar'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let meaning = ranked_names(&app, "something to play music on", MEANING).await;
    assert!(!meaning.contains(&"Guitar".to_owned()), "{meaning:?}");
}

#[tokio::test]
async fn a_changed_product_is_re_embedded_by_its_job_and_an_unchanged_one_is_not() {
    let app = app().await;
    let queued = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM jobs WHERE kind = 'embed_text' AND status = 'queued'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    assert_eq!(queued().await, 0);
    // Writing the same values, or columns the text does not read, queues nothing.
    sqlx::query("UPDATE products SET name = name, description = description, published = true")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(queued().await, 0);

    // Renamed: the lexical arms find the new name at once, meaning once the job has run.
    sqlx::query(
        "UPDATE products SET name = 'Violin', description = 'A bowed string instrument.'
         WHERE name = 'Guitar'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(queued().await, 1, "the trigger queued its job in the same transaction");
    assert_eq!(
        names(&search(&app, &q("violin")).await).first().map(String::as_str),
        Some("Violin")
    );
    assert_eq!(app.db.embed_texts().await, 1);
    let meaning = ranked_names(&app, "orchestra bow and strings", MEANING).await;
    assert_eq!(meaning.first().map(String::as_str), Some("Violin"), "{meaning:?}");

    // A category rename changes its products' texts: their jobs are queued.
    sqlx::query("UPDATE categories SET name = 'Kettles' WHERE name = 'Drink'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(queued().await, 1, "the teapot, the category's one product");
    assert_eq!(app.db.embed_texts().await, 1);
}

#[tokio::test]
async fn the_job_skips_a_text_already_embedded_and_never_stores_a_stale_one() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    db.embed_texts().await;
    let teapot: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products WHERE name = 'Teapot'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    // A marker vector in place of the teapot's embedding, with the checksum of its text: a job
    // that finds the text unchanged must leave it, so the marker shows whether it ran.
    sqlx::query(
        "UPDATE products SET text_embedding = array_fill(0.05, ARRAY[384])::vector WHERE id = $1",
    )
    .bind(teapot)
    .execute(&db.pool)
    .await
    .unwrap();
    let payload = serde_json::json!({ "product_id": teapot });
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload) VALUES (gen_random_uuid(), 'embed_text', $1)",
    )
    .bind(&payload)
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(db.embed_texts().await, 1);
    let marker: bool = sqlx::query_scalar(
        "SELECT text_embedding = array_fill(0.05, ARRAY[384])::vector FROM products WHERE id = $1",
    )
    .bind(teapot)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(marker, "same text, same model version: skipped");

    // An embedding computed from a text that has changed since is refused.
    let stale = text_embeddings::store(&db.pool, teapot, "0123", &[0.1; 384], TEXT_MODEL_VERSION);
    assert_eq!(stale.await.unwrap(), Stored::TextChanged);
    let gone = text_embeddings::store(
        &db.pool,
        uuid::Uuid::nil(),
        "0123",
        &[0.1; 384],
        TEXT_MODEL_VERSION,
    );
    assert_eq!(gone.await.unwrap(), Stored::Gone);
}
