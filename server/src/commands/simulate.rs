//! `vitrine simulate shoppers`: a **simulation**, for demo data. Simulated shoppers with
//! consistent tastes browse, search, fill carts and buy on a running shop through its public
//! HTTP API, each with a cookie jar of its own as a browser has (guest cart, visitor, session),
//! so the shop's event rows, the recommender and the admin have something to show and the
//! end-to-end tests can watch personalisation work. Nothing here touches the database: the
//! simulation leaves what real shoppers doing the same would, marked as simulated by the
//! accounts' domain ([`EMAIL_DOMAIN`]) and the user agent.
//!
//! - The catalog is learnt as a client sees it: the categories (`/api/catalog/categories`), and
//!   each leaf category's products by searching its name within it (`/api/search`; a product's
//!   search document holds its category's name).
//! - A taste is one or two favourite categories, drawn with a Zipf skew (the k-th most popular
//!   category is chosen 1/k as often as the first), and a price band within them.
//! - A session: the "picked for you" row when the shop has one (its first product of the
//!   taste is opened), 3–8 product pages mostly of the taste ([`EXPLORE_SHARE`] elsewhere), a
//!   search for a word of the taste with a result opened, 1–3 products of the taste opened and
//!   put in the cart, for `--buy-share` of the shoppers an account and an order paid with the
//!   test provider's success card, then the row again.
//! - Nothing is posted to `/api/events`: the shop records what its pages and API are asked
//!   server side (`app::backend::recs::tracking`): a product page's view with the click its
//!   link's `?q=…&pos=…` or `?rec=…&v=…&pos=…` names, a search as typed, a cart add, a row's
//!   impressions. The links are made as the shop's own are ([`product_href`]).
//! - Reproducible: each shopper's choices come from a generator of its own, seeded with
//!   `--seed` and its number, whatever the concurrency; the same catalog and stock give the
//!   same sessions.
//!
//! Every simulated shopper comes from one address, which the shop's limits count as one client:
//! text searches are spaced out across the whole run below that limit, and a `429` with a short
//! `Retry-After` is waited out and sent once more. The shop takes only so many registrations an
//! hour from one address; past that, buyers check out as guests.

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use app::backend::payments::test_provider::SUCCESS_CARD;
use app::backend::payments::{PaymentAnswer, PaymentResult};
use app::types::{
    product_href, CardDetails, Cart, Category, LinkSource, OrderDetail, OrderStatus, ProductCard,
    ProductPageData, RecommendationRow, RowKind, SearchResults, ShippingAddress, ShippingMethod,
};
use chrono::Datelike;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use reqwest::header::RETRY_AFTER;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::jobs::progress;
use crate::runtime::cli::ShoppersArgs;

/// The simulated accounts' domain: `.invalid` is reserved (RFC 2606), so nothing sent to
/// these addresses is ever delivered.
pub const EMAIL_DOMAIN: &str = "simulated.vitrine.invalid";
/// Every simulated account's password: long, and in no list of common ones.
const PASSWORD: &str = "a simulated shopper's passphrase, not a person's";
/// How the shop's request logs tell a simulated shopper from a browser.
const USER_AGENT: &str =
    concat!("vitrine-simulated-shopper/", env!("CARGO_PKG_VERSION"), " (simulation)");
/// The recommendation row the shoppers look at.
const ROW: RowKind = RowKind::PickedForYou;
/// Share of product views outside the shopper's taste.
const EXPLORE_SHARE: f64 = 0.15;
/// Share of shoppers with a second favourite category.
const SECOND_FAVOURITE_SHARE: f64 = 0.4;
/// Share of a two-category taste's picks from the second favourite.
const SECOND_FAVOURITE_PICKS: f64 = 0.35;
/// How much likelier a product in the shopper's price band is picked than one outside it.
const IN_BAND_WEIGHT: f64 = 4.0;
/// Text searches a minute across all shoppers: below `vitrine serve`'s default of 300 a client
/// address (`--text-searches-per-minute`).
const SEARCHES_PER_MINUTE: u32 = 240;
/// The longest `Retry-After` waited out; a longer one (an hourly limit) is not worth it.
const MAX_RETRY_WAIT_SECS: u64 = 30;
/// Words a search would not be made of.
const COMMON_WORDS: [&str; 4] = ["and", "the", "with", "for"];

/// What a simulation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub shoppers: u64,
    pub views: u64,
    pub searches: u64,
    pub cart_adds: u64,
    /// Buyers who registered or signed in; the other buyers checked out as guests.
    pub accounts: u64,
    pub orders_paid: u64,
    /// Steps that failed (each logged); a session goes on after one.
    pub errors: u64,
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = [
            ("simulated shoppers", self.shoppers.to_string()),
            ("product views", self.views.to_string()),
            ("searches", self.searches.to_string()),
            ("cart adds", self.cart_adds.to_string()),
            ("accounts", self.accounts.to_string()),
            ("orders paid", self.orders_paid.to_string()),
            ("errors", self.errors.to_string()),
            ("elapsed", format!("{:.1} s", self.elapsed.as_secs_f64())),
        ];
        let lines: Vec<String> =
            rows.iter().map(|(name, value)| format!("{name:<20}{value:>10}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// Simulates `args.shoppers` sessions on the shop at `args.url`, `args.concurrency` at a time,
/// with a progress bar. Fails only when the shop cannot be reached or shows no catalog; a
/// failed step of a session is counted and logged.
pub async fn run(args: &ShoppersArgs) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let url = reqwest::Url::parse(&args.url).with_context(|| {
        format!("--url {} is not a URL such as http://127.0.0.1:3000", args.url)
    })?;
    let shop = Arc::new(Shop {
        base: url.as_str().trim_end_matches('/').to_owned(),
        pace: Duration::from_millis(args.pace_ms),
        searches: Pacer::per_minute(SEARCHES_PER_MINUTE),
        tally: Tally::default(),
        no_recommendations: AtomicBool::new(false),
        registrations_closed: AtomicBool::new(false),
    });
    tracing::info!(
        url = %shop.base,
        shoppers = args.shoppers,
        seed = args.seed,
        "simulating shoppers for demo data: every session, account and order made now is a simulation"
    );
    let catalog = Arc::new(learn(&shop, args.seed).await?);
    tracing::info!(
        products = catalog.products.len(),
        categories = catalog.shelves.len(),
        "learnt the catalog"
    );

    let bar = progress::bar();
    bar.set_length(args.shoppers as u64);
    bar.set_message("simulated shoppers");
    let next = Arc::new(AtomicUsize::new(1));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (shop, catalog, next, bar) = (shop.clone(), catalog.clone(), next.clone(), bar.clone());
        let (seed, buy_share, shoppers) = (args.seed, args.buy_share, args.shoppers);
        workers.spawn(async move {
            loop {
                let number = next.fetch_add(1, Ordering::Relaxed);
                if number > shoppers {
                    break;
                }
                session(&shop, &catalog, seed, number, buy_share).await;
                count(&shop.tally.shoppers);
                bar.inc(1);
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.context("a simulated shopper's task failed")?;
    }
    bar.finish_and_clear();

    let tally = &shop.tally;
    let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    Ok(Summary {
        shoppers: read(&tally.shoppers),
        views: read(&tally.views),
        searches: read(&tally.searches),
        cart_adds: read(&tally.cart_adds),
        accounts: read(&tally.accounts),
        orders_paid: read(&tally.orders_paid),
        errors: read(&tally.errors),
        elapsed: started.elapsed(),
    })
}

/// One simulated shopper's visit, start to end.
async fn session(shop: &Shop, catalog: &Catalog, seed: u64, number: usize, buy_share: f64) {
    let mut rng = StdRng::seed_from_u64(seed ^ (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let taste = Taste::draw(catalog, &mut rng);
    let buys = rng.random_bool(buy_share);
    let mut browser = match Browser::new(shop, number) {
        Ok(browser) => browser,
        Err(err) => return shop.step(number, "opening a browser", Err(err.into())),
    };

    shop.step(number, "recommendations", browser.picked_for_you(catalog, &taste).await);
    for _ in 0..rng.random_range(3..=8) {
        let product = &catalog.products[taste.browse(catalog, &mut rng)];
        shop.step(number, "product page", browser.view(&product.slug, None).await);
    }
    shop.step(number, "search", browser.search(catalog, &taste, &mut rng).await);

    let wanted = rng.random_range(1..=3);
    let mut added = 0;
    let mut tried = HashSet::new();
    // Sold-out products are passed over; a few more picks than wanted make up for them.
    for _ in 0..wanted * 3 {
        if added == wanted {
            break;
        }
        let pick = taste.pick(catalog, &mut rng);
        if !tried.insert(pick) {
            continue;
        }
        match browser.add_to_cart(&catalog.products[pick], &mut rng).await {
            Ok(true) => added += 1,
            Ok(false) => {}
            Err(err) => shop.step(number, "cart", Err(err)),
        }
    }
    if buys && added > 0 {
        shop.step(number, "checkout", browser.buy(seed).await);
    }
    shop.step(number, "recommendations", browser.picked_for_you(catalog, &taste).await);
}

/// The running shop as the simulation sees it, shared by every shopper.
struct Shop {
    /// The shop's URL without a trailing slash.
    base: String,
    /// A shopper's pause before each step.
    pace: Duration,
    searches: Pacer,
    tally: Tally,
    /// The shop answers no recommendations (it has no such API yet): the row is skipped.
    no_recommendations: AtomicBool,
    /// The shop takes no more registrations from this address for now (said once).
    registrations_closed: AtomicBool,
}

impl Shop {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request`; a `429` with a short `Retry-After` is waited out and sent once more.
    async fn send(&self, request: RequestBuilder) -> anyhow::Result<Response> {
        let again = request.try_clone();
        let response = request.send().await?;
        if response.status() != StatusCode::TOO_MANY_REQUESTS {
            return Ok(response);
        }
        let wait = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .unwrap_or(1);
        let Some(again) = again.filter(|_| wait <= MAX_RETRY_WAIT_SECS) else {
            return Ok(response);
        };
        tracing::warn!(path = response.url().path(), wait, "throttled by the shop; trying again");
        tokio::time::sleep(Duration::from_secs(wait)).await;
        Ok(again.send().await?)
    }

    /// Counts and logs a failed step of shopper `number`; the session goes on.
    fn step(&self, number: usize, step: &str, result: anyhow::Result<()>) {
        if let Err(err) = result {
            count(&self.tally.errors);
            tracing::warn!(shopper = number, step, error = format!("{err:#}"), "step failed");
        }
    }
}

#[derive(Default)]
struct Tally {
    shoppers: AtomicU64,
    views: AtomicU64,
    searches: AtomicU64,
    cart_adds: AtomicU64,
    accounts: AtomicU64,
    orders_paid: AtomicU64,
    errors: AtomicU64,
}

fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Spaces one kind of request out evenly across every shopper of the run.
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    fn per_minute(per_minute: u32) -> Self {
        Self {
            interval: Duration::from_secs(60) / per_minute,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for the next free slot.
    async fn turn(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// The answer when it is a success, else an error naming the request and what the shop said.
async fn succeeded(response: Response) -> anyhow::Result<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let path = response.url().path().to_owned();
    let body: String = response.text().await.unwrap_or_default().chars().take(300).collect();
    bail!("{path} answered {status}: {body}")
}

/// The body of a successful answer as `T`.
async fn read<T: DeserializeOwned>(response: Response) -> anyhow::Result<T> {
    let response = succeeded(response).await?;
    let path = response.url().path().to_owned();
    response.json().await.with_context(|| format!("reading the answer of {path}"))
}

/// A browser's HTTP client: cookies kept, the simulation named.
fn browser_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(USER_AGENT)
        // Longer than the shop's own 30 s request timeout.
        .timeout(Duration::from_secs(60))
        .build()
}

/// The catalog as a shopper can learn it.
struct Catalog {
    products: Vec<ProductCard>,
    /// The leaf categories that have products.
    shelves: Vec<Shelf>,
}

/// A leaf category's products (indices into `Catalog::products`, cheapest first) and how
/// popular it is among the shoppers.
struct Shelf {
    name: String,
    products: Vec<usize>,
    popularity: f64,
}

/// Learns the categories and their products through the public API; the first request tells
/// whether the shop is there at all.
async fn learn(shop: &Shop, seed: u64) -> anyhow::Result<Catalog> {
    let client = browser_client()?;
    let answer =
        client.post(shop.url("/api/catalog/categories")).send().await.with_context(|| {
            format!(
                "could not reach the shop at {}: start it first with `vitrine serve`",
                shop.base
            )
        })?;
    let mut categories: Vec<Category> = read(answer)
        .await
        .with_context(|| format!("{} does not answer as a Vitrine shop", shop.base))?;
    categories.sort_by(|a, b| a.slug.cmp(&b.slug));
    let parents: HashSet<&str> =
        categories.iter().filter_map(|category| category.parent_slug.as_deref()).collect();

    let mut products: Vec<ProductCard> = Vec::new();
    let mut seen = HashSet::new();
    let mut shelves = Vec::new();
    for category in categories.iter().filter(|category| !parents.contains(category.slug.as_str())) {
        let mut shelf = Vec::new();
        for page in 1_i64.. {
            let page_text = page.to_string();
            let params = [
                ("q", category.name.as_str()),
                ("category", category.slug.as_str()),
                ("page", page_text.as_str()),
            ];
            shop.searches.turn().await;
            let request = client.get(shop.url("/api/search")).query(&params);
            let results: SearchResults = read(shop.send(request).await?).await?;
            for hit in &results.hits {
                if seen.insert(hit.product.id) {
                    shelf.push(products.len());
                    products.push(hit.product.clone());
                }
            }
            if page >= results.page_count() {
                break;
            }
        }
        if !shelf.is_empty() {
            shelf.sort_by_key(|&index| (products[index].price.minor, products[index].slug.clone()));
            shelves.push(Shelf { name: category.name.clone(), products: shelf, popularity: 0.0 });
        }
    }
    ensure!(
        !products.is_empty(),
        "the shop at {} shows no products: seed it first (`vitrine seed`)",
        shop.base
    );
    // Which categories are popular depends on the seed, not on their names.
    shelves.shuffle(&mut StdRng::seed_from_u64(seed));
    for (rank, shelf) in shelves.iter_mut().enumerate() {
        shelf.popularity = 1.0 / (rank + 1) as f64;
    }
    Ok(Catalog { products, shelves })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PriceBand {
    /// The cheaper half of a category.
    Budget,
    /// The dearer half.
    Premium,
    Any,
}

/// What a simulated shopper likes: one or two categories (indices into `Catalog::shelves`,
/// the favourite first) and a price band within them.
struct Taste {
    shelves: Vec<usize>,
    band: PriceBand,
}

impl Taste {
    fn draw(catalog: &Catalog, rng: &mut StdRng) -> Self {
        let all: Vec<usize> = (0..catalog.shelves.len()).collect();
        let popularity = |shelf: &usize| catalog.shelves[*shelf].popularity;
        let favourite = *all.choose_weighted(rng, popularity).expect("a catalog has shelves");
        let mut shelves = vec![favourite];
        if all.len() > 1 && rng.random_bool(SECOND_FAVOURITE_SHARE) {
            let others: Vec<usize> = all.into_iter().filter(|&shelf| shelf != favourite).collect();
            shelves.push(*others.choose_weighted(rng, popularity).expect("another shelf"));
        }
        let bands = [PriceBand::Budget, PriceBand::Premium, PriceBand::Any];
        let band = *bands.choose(rng).expect("three bands");
        Self { shelves, band }
    }

    /// Whether a product of the category named `category` is to the shopper's taste.
    fn likes(&self, catalog: &Catalog, category: &str) -> bool {
        self.shelves.iter().any(|&shelf| catalog.shelves[shelf].name == category)
    }

    /// A product of the taste (an index into `Catalog::products`), mostly in the price band.
    fn pick(&self, catalog: &Catalog, rng: &mut StdRng) -> usize {
        let shelf = match self.shelves[..] {
            [_, second] if rng.random_bool(SECOND_FAVOURITE_PICKS) => second,
            _ => self.shelves[0],
        };
        let products = &catalog.shelves[shelf].products;
        let in_band = |rank: usize| match self.band {
            PriceBand::Budget => rank < products.len().div_ceil(2),
            PriceBand::Premium => rank >= products.len() / 2,
            PriceBand::Any => true,
        };
        let ranks: Vec<usize> = (0..products.len()).collect();
        let weight = |rank: &usize| if in_band(*rank) { IN_BAND_WEIGHT } else { 1.0 };
        products[*ranks.choose_weighted(rng, weight).expect("a shelf has products")]
    }

    /// The product a browsing shopper opens next: mostly of its taste, now and then anything.
    fn browse(&self, catalog: &Catalog, rng: &mut StdRng) -> usize {
        if rng.random_bool(EXPLORE_SHARE) {
            rng.random_range(0..catalog.products.len())
        } else {
            self.pick(catalog, rng)
        }
    }

    /// What the shopper searches for: a word of the name of a product it likes.
    fn search_words(&self, catalog: &Catalog, rng: &mut StdRng) -> String {
        let product = &catalog.products[self.pick(catalog, rng)];
        let words: Vec<String> = product
            .name
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|word| word.chars().count() >= 3 && !COMMON_WORDS.contains(&word.as_str()))
            .collect();
        words.choose(rng).cloned().unwrap_or_else(|| product.name.to_lowercase())
    }
}

/// One simulated shopper's browser: its own cookies (guest cart, visitor, session).
struct Browser<'a> {
    shop: &'a Shop,
    client: reqwest::Client,
    number: usize,
}

impl<'a> Browser<'a> {
    fn new(shop: &'a Shop, number: usize) -> reqwest::Result<Self> {
        Ok(Self { shop, client: browser_client()?, number })
    }

    async fn pause(&self) {
        if !self.shop.pace.is_zero() {
            tokio::time::sleep(self.shop.pace).await;
        }
    }

    /// Opens a product's page as a link from `from` (a search result, a row's item) would; the
    /// shop records the view, and the click.
    async fn view(&mut self, slug: &str, from: Option<LinkSource>) -> anyhow::Result<()> {
        self.pause().await;
        let page = self.client.get(self.shop.url(&product_href(slug, from.as_ref())));
        succeeded(self.shop.send(page).await?).await?.bytes().await?;
        count(&self.shop.tally.views);
        Ok(())
    }

    /// Searches for a word of the taste and opens a result, the first of its taste if any.
    async fn search(
        &mut self,
        catalog: &Catalog,
        taste: &Taste,
        rng: &mut StdRng,
    ) -> anyhow::Result<()> {
        let words = taste.search_words(catalog, rng);
        self.pause().await;
        self.shop.searches.turn().await;
        let request = self.client.get(self.shop.url("/api/search")).query(&[("q", &words)]);
        let results: SearchResults = read(self.shop.send(request).await?).await?;
        count(&self.shop.tally.searches);
        let liked = results.hits.iter().position(|hit| taste.likes(catalog, &hit.product.category));
        let Some(index) = liked.or((!results.hits.is_empty()).then_some(0)) else {
            return Ok(());
        };
        let from = LinkSource::Search {
            query: results.query.clone(),
            position: i32::try_from(index).ok(),
        };
        self.view(&results.hits[index].product.slug, Some(from)).await
    }

    /// Opens `product` and puts one unit of one of its variants in stock into the cart; `false`
    /// when none is. The product comes from its page's server function, as the page's script
    /// loads it on a move within the shop: a view, which the shop records as one.
    async fn add_to_cart(
        &mut self,
        product: &ProductCard,
        rng: &mut StdRng,
    ) -> anyhow::Result<bool> {
        self.pause().await;
        // `from` (the link's source) is a struct of optional fields: in the form encoding, one
        // empty field says "no source".
        let request = self
            .client
            .post(self.shop.url("/api/catalog/product-page"))
            .form(&[("slug", product.slug.as_str()), ("from[q]", "")]);
        let page: ProductPageData = read(self.shop.send(request).await?).await?;
        count(&self.shop.tally.views);
        let in_stock: Vec<_> =
            page.product.variants.iter().filter(|variant| variant.available > 0).collect();
        let Some(variant) = in_stock.choose(rng) else { return Ok(false) };
        let item = json!({ "variant_id": variant.id, "quantity": 1 });
        let request = self.client.post(self.shop.url("/api/cart/items")).json(&item);
        let _cart: Cart = read(self.shop.send(request).await?).await?;
        count(&self.shop.tally.cart_adds);
        Ok(true)
    }

    /// Signs up (or in), places the cart's order and pays it with the test provider's success
    /// card, confirming with the "bank" if it asks.
    async fn buy(&mut self, seed: u64) -> anyhow::Result<()> {
        let email = format!("shopper-{}-{seed}@{EMAIL_DOMAIN}", self.number);
        self.pause().await;
        // Signing in makes the visitor's events the account's, as it does the guest cart.
        self.sign_up_or_in(&email).await?;
        let checkout = json!({
            "email": email,
            "shipping_address": simulated_address(self.number),
            "shipping_method": ShippingMethod::Standard.code(),
        });
        let request = self.client.post(self.shop.url("/api/orders")).json(&checkout);
        let order: OrderDetail = read(self.shop.send(request).await?).await?;
        let order_id = order.summary.id;
        self.pause().await;
        let card = CardDetails {
            number: SUCCESS_CARD.to_owned(),
            expiry: card_expiry(),
            cvc: "123".into(),
        };
        let request = self
            .client
            .post(self.shop.url(&format!("/api/orders/{order_id}/payments")))
            .header("Idempotency-Key", format!("simulated-{order_id}"))
            .json(&json!({ "card": card }));
        let mut answer: PaymentAnswer = read(self.shop.send(request).await?).await?;
        if let PaymentResult::RequiresAction { payment_id } = answer.payment {
            let path = format!("/api/orders/{order_id}/payments/{payment_id}/confirm");
            let request = self.client.post(self.shop.url(&path)).json(&json!({ "approved": true }));
            answer = read(self.shop.send(request).await?).await?;
        }
        let status = answer.order.summary.status;
        ensure!(
            status == OrderStatus::Paid,
            "order {} is {status:?} after paying",
            order.summary.number
        );
        count(&self.shop.tally.orders_paid);
        Ok(())
    }

    /// Registers the shopper's account, or signs in to the one an earlier run with this seed
    /// registered. When the shop takes no more from this address for now, the shopper checks
    /// out as a guest.
    async fn sign_up_or_in(&mut self, email: &str) -> anyhow::Result<()> {
        let credentials = json!({ "email": email, "password": PASSWORD });
        let register = self.client.post(self.shop.url("/api/auth/register")).json(&credentials);
        let mut response = self.shop.send(register).await?;
        if response.status() == StatusCode::CONFLICT {
            let sign_in = self.client.post(self.shop.url("/api/auth/sign-in")).json(&credentials);
            response = self.shop.send(sign_in).await?;
        }
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            if !self.shop.registrations_closed.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the shop takes no more registrations from this address for now: \
                     the remaining buyers check out as guests"
                );
            }
            return Ok(());
        }
        succeeded(response).await?;
        count(&self.shop.tally.accounts);
        Ok(())
    }

    /// Looks at the "picked for you" row (the shop records its products as impressions) and
    /// opens its first product of the taste. A shop without the recommendations API is left
    /// alone.
    async fn picked_for_you(&mut self, catalog: &Catalog, taste: &Taste) -> anyhow::Result<()> {
        if self.shop.no_recommendations.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.pause().await;
        let path = format!("/api/recommendations/{}", ROW.name());
        let response = self.shop.send(self.client.get(self.shop.url(&path))).await?;
        if response.status() == StatusCode::NOT_FOUND {
            self.shop.no_recommendations.store(true, Ordering::Relaxed);
            return Ok(());
        }
        let row: RecommendationRow = read(response).await?;
        let Some(index) = row.products.iter().position(|card| taste.likes(catalog, &card.category))
        else {
            return Ok(());
        };
        let from = LinkSource::Recommendation {
            row: ROW.name().to_owned(),
            model_version: row.model_version.clone(),
            position: i32::try_from(index).ok(),
        };
        self.view(&row.products[index].slug, Some(from)).await
    }
}

fn simulated_address(number: usize) -> ShippingAddress {
    ShippingAddress {
        name: format!("Simulated Shopper {number}"),
        line1: "1 Simulation Street".into(),
        line2: String::new(),
        city: "Demo City".into(),
        postal_code: "10115".into(),
        country: "DE".into(),
    }
}

/// An expiry date a few years ahead ("MM/YY").
fn card_expiry() -> String {
    format!("12/{:02}", (chrono::Utc::now().year() + 3) % 100)
}
