//! Text search on a real database: each arm (full text, typos through the word list, names by
//! trigram), their fusion, facets and sorting, hidden products, freshness after a product or
//! category changes, the suggestions, the page without JavaScript, and every bad input the
//! issue lists (a clear 400 or an empty result, never a 500).

use serde_json::Value;

use crate::helpers::{test_auth, TestApp, TestDb};

async fn app() -> TestApp {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    TestApp::spawn(db).await
}

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
    // Four letters: no typo allowed ("tepot" is five and would be one).
    assert_eq!(search(&app, &q("tpot")).await["total"], 0);
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

    let none = search(&app, &q("xylophone")).await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["did_you_mean"], Value::Null, "no catalog word is near it");
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
