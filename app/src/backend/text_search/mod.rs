//! Text search over the catalog, in PostgreSQL alone: three arms, each ranking its own
//! candidates, fused by reciprocal rank (`fusion`), then filtered, faceted, sorted and paged.
//!
//! - **Full text**: the product's weighted `search_document` (name and SKUs, categories,
//!   attributes, description; kept current by triggers) against the query's words under both
//!   `simple` and `english`, the last word a prefix.
//! - **Typos**: each query word is looked up in the catalog's word list (`search_words`) by
//!   trigram distance (GiST) and prefix (B-tree), the neighbours within the typo rules of
//!   `words` kept, and the document matched against those instead.
//! - **Names by trigram**: word similarity of the stored folded name (GIN), for run-together
//!   words and what the word list cannot correct; a fallback, run only for a query with a word
//!   the word list could not place.
//! - **Meaning**: the query's MiniLM embedding against the products' text embeddings (HNSW,
//!   `text_embeddings`), within a distance that keeps unrelated products out. Without the text
//!   model (or before a product's embedding is made) the lexical arms answer alone.
//!
//! Hidden products are excluded in every arm, before fusion.

mod fusion;
mod words;

use sqlx::PgPool;
use uuid::Uuid;

use super::catalog::CardRow;
use super::text_embeddings;
use super::text_model::TextEmbedder;
use super::text_to_image;
use crate::types::{
    Category, CategoryCount, Money, Refusal, SearchError, SearchHit, SearchQuery, SearchResults,
    Suggestions, SEARCH_PAGE_SIZE, SUGGESTED_CATEGORIES, SUGGESTED_PRODUCTS,
};
use fusion::Ranking;
pub use words::{allowed_typos, prefix_typo_distance, query_words, typo_distance};

/// Candidates each arm hands to fusion.
const ARM_CANDIDATES: i64 = 100;
/// Matches of the full-text arm that are ranked: `ts_rank_cd` is not index-assisted, so a
/// one-letter prefix matching half the shop ranks a capped set, not every row.
const RANKED_MATCHES: i64 = 2_000;
/// Neighbours of each query word looked up in the word list, before the typo rules.
const WORD_NEIGHBOURS: i64 = 10;
/// Corrections of one query word the typo arm searches for.
const CORRECTIONS_PER_WORD: usize = 5;
/// Fewer results than this and "did you mean" is offered.
const FEW_RESULTS: i64 = 3;
/// Categories listed in the facets.
const CATEGORY_FACETS: i64 = 12;

const FULL_TEXT_WEIGHT: f64 = 1.0;
const TYPO_WEIGHT: f64 = 0.8;
const TRIGRAM_WEIGHT: f64 = 0.3;
const SEMANTIC_WEIGHT: f64 = 1.2;
/// Candidates of the meaning arm: fewer than the others', as its deep ranks are loosely related
/// products whose votes would lift any lexical near-miss above its own best answers.
const SEMANTIC_CANDIDATES: i64 = 30;
/// The cosine distance past which a product is not "about" the query.
const SEMANTIC_MAX_DISTANCE: f64 = 0.7;
/// The meaning arm answers only when its nearest product is at least this close: MiniLM puts
/// the nearest product to gibberish or a mangled word ("bnjo", "qwerty", "gutiar") at
/// 0.67–0.75, and to a real description ("a hat", "dessert", "xylophone") at 0.4–0.6. Past the
/// gate, looser neighbours down to [`SEMANTIC_MAX_DISTANCE`] count (the judged queries of
/// `vitrine eval text-search` need that depth: NDCG@10 0.55 with a flat 0.6 cut, 0.68 at 0.7).
const SEMANTIC_GATE_DISTANCE: f64 = 0.62;
/// Low: on the judged queries of `vitrine eval text-search` the pictures arm lifts success@1
/// but costs a little NDCG@10 at any weight (0.662 without it, 0.659 with it at 0.3 and a 0.55
/// gate, 0.657 at 0.6 and 0.6); its worth is the product whose name says little.
const PICTURE_WEIGHT: f64 = 0.3;
/// Candidates of the pictures arm: a picture says less than a text, so fewer votes.
const PICTURE_CANDIDATES: i64 = 20;
/// The cosine distance past which a product's mapped picture is not "of" the query.
const PICTURE_MAX_DISTANCE: f64 = 0.75;
/// As for the meaning arm: the pictures arm answers only when its nearest picture is this close
/// (0.5 silences it on nearly every descriptive query; 0.6 lets in more noise than help).
const PICTURE_GATE_DISTANCE: f64 = 0.55;

/// Which arms a search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arms {
    pub full_text: bool,
    pub typos: bool,
    pub trigram: bool,
    /// The query's meaning against the products' texts.
    pub semantic: bool,
    /// The query's meaning against the products' pictures (through the text-to-image head).
    pub pictures: bool,
}

impl Arms {
    pub const ALL: Self =
        Self { full_text: true, typos: true, trigram: true, semantic: true, pictures: true };
    pub const NONE: Self =
        Self { full_text: false, typos: false, trigram: false, semantic: false, pictures: false };
    pub const LEXICAL: Self = Self { semantic: false, pictures: false, ..Self::ALL };
}

/// Takes one of `client`'s text searches (results or suggestions): refused when it has
/// searched faster than the shop's limit.
pub fn take_turn(
    limiter: &super::rate_limit::RateLimiter,
    client: Option<std::net::IpAddr>,
) -> Result<(), SearchError> {
    limiter
        .take_turn(client, "text_search")
        .map_err(|wait| SearchError::TooManyRequests { retry_after_secs: wait })
}

/// A page of results for `query`: its filters apply to the fused candidates.
pub async fn search(
    pool: &PgPool,
    texts: &TextEmbedder,
    query: &SearchQuery,
) -> Result<SearchResults, SearchError> {
    let run = async {
        let matched = candidates(pool, texts, &query.q, Arms::ALL).await?;
        let page = query.page.max(1);
        // Three statements over the same candidates, each on a connection of its own.
        let ((hits, total), categories, price_range) = tokio::try_join!(
            result_page(pool, &matched, query, SEARCH_PAGE_SIZE, page),
            category_counts(pool, &matched, query),
            price_range(pool, &matched, query),
        )?;
        let did_you_mean = (total < FEW_RESULTS).then(|| matched.correction.clone()).flatten();
        let popular_categories =
            if total == 0 { popular_categories(pool).await? } else { Vec::new() };
        Ok::<_, sqlx::Error>(SearchResults {
            query: query.q.clone(),
            hits,
            total,
            page,
            per_page: SEARCH_PAGE_SIZE,
            categories,
            price_range,
            did_you_mean,
            popular_categories,
        })
    };
    run.await.map_err(SearchError::unavailable)
}

/// What the search box suggests for `q`: the best few products, and categories by name. A
/// single word being typed is a prefix, the lexical arms' business; from two words the
/// shopper may be describing what they want, and the meaning arm joins in.
pub async fn suggest(
    pool: &PgPool,
    texts: &TextEmbedder,
    q: &str,
) -> Result<Suggestions, SearchError> {
    let run = async {
        let arms = if query_words(q).len() >= 2 { Arms::ALL } else { Arms::LEXICAL };
        let matched = candidates(pool, texts, q, arms).await?;
        let query = SearchQuery { q: q.to_owned(), page: 1, ..SearchQuery::default() };
        let (hits, _) = result_page(pool, &matched, &query, SUGGESTED_PRODUCTS, 1).await?;
        let categories = matching_categories(pool, &matched.folded.join(" ")).await?;
        Ok::<_, sqlx::Error>(Suggestions {
            products: hits.into_iter().map(|hit| hit.product).collect(),
            categories,
        })
    };
    run.await.map_err(SearchError::unavailable)
}

/// The fused candidates of a query, and what the results page needs from the word lookup.
struct Matched {
    /// Best first, with the fused score.
    fused: Vec<(Uuid, f64)>,
    /// The query's words, folded as the catalog is.
    folded: Vec<String>,
    /// Catalog words the query matched, for the highlighting.
    matched_words: Vec<String>,
    /// The query with each word replaced by its closest catalog word, when that differs.
    correction: Option<String>,
}

/// The ids of `q`'s results with only `arms` running, best first (for `vitrine eval
/// text-search`, which scores each arm alone and fused).
pub async fn ranked_ids(
    pool: &PgPool,
    texts: &TextEmbedder,
    q: &str,
    arms: Arms,
) -> Result<Vec<Uuid>, sqlx::Error> {
    Ok(candidates(pool, texts, q, arms).await?.fused.into_iter().map(|(id, _)| id).collect())
}

async fn candidates(
    pool: &PgPool,
    texts: &TextEmbedder,
    q: &str,
    arms: Arms,
) -> Result<Matched, sqlx::Error> {
    let words = query_words(q);
    if words.is_empty() {
        return Ok(Matched {
            fused: Vec::new(),
            folded: Vec::new(),
            matched_words: Vec::new(),
            correction: None,
        });
    }
    // The query's embedding is made while the database looks its words up.
    let (lookup, embedding) = tokio::join!(
        look_up_words(pool, &words),
        query_embedding(texts, q, arms.semantic || arms.pictures)
    );
    let lookup = lookup?;
    let full_text = full_text_tsquery(&lookup.folded);
    let typo_text = typo_tsquery(&lookup.folded, &lookup.corrections);
    let phrase = lookup.folded.join(" ");
    // The arms run side by side, each on a connection of its own; an arm that is off ranks
    // nothing.
    let semantic = async {
        let Some(embedding) = embedding.as_ref().filter(|_| arms.semantic) else {
            return Ok(Vec::new());
        };
        let nearest = text_embeddings::nearest_products(
            pool,
            embedding,
            texts.model_version(),
            SEMANTIC_MAX_DISTANCE,
            SEMANTIC_CANDIDATES,
        )
        .await?;
        Ok(gated(nearest, SEMANTIC_GATE_DISTANCE))
    };
    let pictures = async {
        let Some(embedding) = embedding.as_ref().filter(|_| arms.pictures) else {
            return Ok(Vec::new());
        };
        let nearest = text_to_image::store::nearest_products(
            pool,
            embedding,
            PICTURE_MAX_DISTANCE,
            PICTURE_CANDIDATES,
        )
        .await?;
        Ok(gated(nearest, PICTURE_GATE_DISTANCE))
    };
    // Without corrections the typo arm's tsquery is the full-text arm's: one query serves both.
    let typos_repeat_full_text = arms.full_text && typo_text == full_text;
    // The trigram arm is the fallback for words the word list could not place (run-together
    // words, typos past the rules): when every word has a match or a correction there, the
    // typo arm already ranks them, and at 100k products the trigram arm was the slowest arm
    // by far (`vitrine-tools bench text-search`). Alone (as `vitrine eval text-search` runs
    // it), it always answers.
    let trigram_needed =
        !arms.typos || lookup.corrections.iter().any(|corrections| corrections.is_empty());
    let (full_text, typos, trigram, semantic, pictures) = tokio::try_join!(
        run_if(arms.full_text, full_text_arm(pool, &full_text, &phrase)),
        run_if(arms.typos && !typos_repeat_full_text, full_text_arm(pool, &typo_text, &phrase)),
        run_if(arms.trigram && trigram_needed, trigram_arm(pool, &lookup.folded)),
        semantic,
        pictures,
    )?;
    let typos = if typos_repeat_full_text && arms.typos { full_text.clone() } else { typos };
    let rankings = [
        Ranking { weight: FULL_TEXT_WEIGHT, ids: full_text },
        Ranking { weight: TYPO_WEIGHT, ids: typos },
        Ranking { weight: TRIGRAM_WEIGHT, ids: trigram },
        Ranking { weight: SEMANTIC_WEIGHT, ids: semantic },
        Ranking { weight: PICTURE_WEIGHT, ids: pictures },
    ];
    let mut matched_words: Vec<String> = lookup.folded.clone();
    matched_words.extend(lookup.corrections.iter().flatten().map(|(word, _)| word.clone()));
    Ok(Matched {
        fused: fusion::fuse(&rankings),
        folded: lookup.folded,
        matched_words,
        correction: lookup.correction,
    })
}

/// A meaning arm's ranking: empty unless its nearest product is within `gate`.
fn gated(nearest: Vec<(Uuid, f64)>, gate: f64) -> Vec<Uuid> {
    match nearest.first() {
        Some((_, distance)) if *distance <= gate => nearest.into_iter().map(|(id, _)| id).collect(),
        _ => Vec::new(),
    }
}

/// The arm's ranking when it is on; futures are lazy, so an arm that is off never runs.
async fn run_if(
    on: bool,
    arm: impl std::future::Future<Output = Result<Vec<Uuid>, sqlx::Error>>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    if on {
        arm.await
    } else {
        Ok(Vec::new())
    }
}

/// The query's embedding, or `None` when the meaning arm is off or cannot run (the model is
/// not loaded or failed: the lexical arms still answer, and the metric counts the misses).
async fn query_embedding(texts: &TextEmbedder, q: &str, wanted: bool) -> Option<Vec<f32>> {
    if !wanted {
        return None;
    }
    match texts.embed_one(q).await {
        Ok(embedding) => Some(embedding),
        Err(err) => {
            metrics::counter!("vitrine_text_search_semantic_skipped_total").increment(1);
            tracing::debug!(error = %err, "text search without its meaning arm");
            None
        }
    }
}

/// The query's words folded, and for each the catalog words within its typos.
struct WordLookup {
    folded: Vec<String>,
    /// Per word: (catalog word, typos), fewest typos and most used first.
    corrections: Vec<Vec<(String, usize)>>,
    correction: Option<String>,
}

async fn look_up_words(pool: &PgPool, words: &[String]) -> Result<WordLookup, sqlx::Error> {
    let last = words.len() as i64;
    // Per word: itself, its trigram neighbours (3+ letters; shorter words have no trigrams),
    // and for the last word the words it begins (by the B-tree, any length) and, from 5
    // letters, those whose start is near it.
    let rows = sqlx::query!(
        r#"
        SELECT q.ord AS "ord!", q.folded AS "folded!", w.word AS "word?", w.products AS "products?"
        FROM (
            SELECT t.ord, search_fold(t.word) AS folded
            FROM unnest($1::text[]) WITH ORDINALITY AS t (word, ord)
        ) q
        LEFT JOIN LATERAL (
            (SELECT s.word, s.products FROM search_words s WHERE s.word = q.folded)
            UNION
            (SELECT s.word, s.products FROM search_words s
             WHERE length(q.folded) >= 3 ORDER BY s.word <-> q.folded LIMIT $3)
            UNION
            (SELECT s.word, s.products FROM search_words s
             WHERE q.ord = $2 AND s.word ~>=~ q.folded AND s.word ~<~ (q.folded || chr(1114111))
             ORDER BY s.word LIMIT $3)
            UNION
            (SELECT s.word, s.products FROM search_words s
             WHERE q.ord = $2 AND length(q.folded) >= 5 ORDER BY s.word <->> q.folded LIMIT $3)
        ) w ON true
        ORDER BY q.ord
        "#,
        words,
        last,
        WORD_NEIGHBOURS,
    )
    .fetch_all(pool)
    .await?;

    let mut folded: Vec<String> = Vec::new();
    let mut neighbours: Vec<Vec<(String, i32)>> = Vec::new();
    for row in rows {
        let index = (row.ord - 1) as usize;
        if folded.len() <= index {
            folded.push(row.folded.clone());
            neighbours.push(Vec::new());
        }
        if let (Some(word), Some(products)) = (row.word, row.products) {
            neighbours[index].push((word, products));
        }
    }
    let mut corrections = Vec::with_capacity(folded.len());
    let mut corrected_words = Vec::with_capacity(folded.len());
    for (index, (word, found)) in folded.iter().zip(&neighbours).enumerate() {
        let last = index + 1 == folded.len();
        let allowed = allowed_typos(word);
        let mut within: Vec<(String, usize, i32)> = found
            .iter()
            .filter_map(|(candidate, products)| {
                let typos = if last {
                    prefix_typo_distance(word, candidate).min(typo_distance(word, candidate))
                } else {
                    typo_distance(word, candidate)
                };
                (typos <= allowed).then(|| (candidate.clone(), typos, *products))
            })
            .collect();
        within.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)));
        within.truncate(CORRECTIONS_PER_WORD);
        // "Did you mean": the closest whole catalog word, one typo allowed even in a short
        // word (a suggestion the shopper can refuse, unlike a match).
        let suggestion = found
            .iter()
            .map(|(candidate, products)| (candidate, typo_distance(word, candidate), *products))
            .filter(|(_, typos, _)| *typos <= allowed.max(1))
            .min_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
            .map(|(candidate, _, _)| candidate.clone());
        corrected_words.push(suggestion.unwrap_or_else(|| word.clone()));
        corrections.push(within.into_iter().map(|(word, typos, _)| (word, typos)).collect());
    }
    let corrected = corrected_words.join(" ");
    let correction = (corrected != folded.join(" ")).then_some(corrected);
    Ok(WordLookup { folded, corrections, correction })
}

/// A word as a tsquery lexeme: quoted, so nothing in it is read as an operator.
fn lexeme(word: &str) -> String {
    format!("'{}'", word.replace('\\', "\\\\").replace('\'', "''"))
}

/// `(a | b) & (c | d:*)`: every word must match one of its options. A word without options
/// leaves nothing to match (empty text): the catalog has no word near it, so this arm would
/// only match the query's other words, which ranks products that answer half a description
/// above those the other arms find for all of it (`vitrine eval text-search`, judged set).
fn tsquery_text(words: &[String], options: impl Fn(usize, &str, bool) -> Vec<String>) -> String {
    let mut clauses = Vec::with_capacity(words.len());
    for (index, word) in words.iter().enumerate() {
        let options = options(index, word, index + 1 == words.len());
        if options.is_empty() {
            return String::new();
        }
        clauses.push(format!("({})", options.join(" | ")));
    }
    clauses.join(" & ")
}

/// The full-text arm's tsquery: every word as typed, the last a prefix.
fn full_text_tsquery(words: &[String]) -> String {
    tsquery_text(words, |_, word, last| {
        vec![if last { format!("{}:*", lexeme(word)) } else { lexeme(word) }]
    })
}

/// The typo arm's tsquery: every word by its catalog corrections (`corrections[i]` for word
/// `i`), the last word also as a prefix. Corrections the word's own option matches anyway
/// (itself; for the last word, the words it begins) are left out, so for a query the word list
/// had nothing to correct this is exactly [`full_text_tsquery`], and that arm's ranking is
/// reused rather than asked for twice.
fn typo_tsquery(words: &[String], corrections: &[Vec<(String, usize)>]) -> String {
    tsquery_text(words, |index, word, last| {
        let covered =
            |correction: &str| if last { correction.starts_with(word) } else { correction == word };
        let corrections = &corrections[index];
        let mut options: Vec<String> = corrections
            .iter()
            .filter(|(correction, _)| !covered(correction))
            .map(|(correction, _)| lexeme(correction))
            .collect();
        if last {
            options.push(format!("{}:*", lexeme(word)));
        } else if corrections.iter().any(|(correction, _)| correction == word) {
            options.push(lexeme(word));
        }
        options
    })
}

/// Products whose document matches `tsquery` (under `simple` or `english`), best first: a
/// product whose whole name is the query (`phrase`, the folded words) before the rest, then by
/// rank, then the shorter name (of "Dog" and "Guide Dog", the query "dog" means the first).
async fn full_text_arm(
    pool: &PgPool,
    tsquery: &str,
    phrase: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    if tsquery.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar!(
        r#"
        WITH q AS (SELECT to_tsquery('simple', $1) || to_tsquery('english', $1) AS q),
        matches AS (
            SELECT p.id, p.name, p.search_name, p.search_document FROM products p, q
            WHERE p.published AND p.search_document @@ q.q
            LIMIT $3
        )
        SELECT m.id FROM matches m, q
        ORDER BY m.search_name = $4 DESC,
                 ts_rank_cd(m.search_document, q.q) DESC, length(m.name), m.id
        LIMIT $2
        "#,
        tsquery,
        ARM_CANDIDATES,
        RANKED_MATCHES,
        phrase,
    )
    .fetch_all(pool)
    .await
}

/// Products whose folded name contains something like the query's words, closest first: for
/// run-together words ("tshirt"), words out of order and typos the word list cannot correct.
/// The GIN index finds the matches; they are few for such words, and sorted outside it (the
/// CTE is materialised so the planner keeps the index instead of scanning the table for a
/// `LIMIT` it misjudges: `%>` has a fixed selectivity estimate). Only from 5 letters: a shorter query may have no typo, and 1–2 letters have
/// no trigrams at all. Every word of 4+ letters must resemble part of the name too: the phrase
/// alone lets one long word carry it ("japanese food" finding "Japanese Castle").
async fn trigram_arm(pool: &PgPool, words: &[String]) -> Result<Vec<Uuid>, sqlx::Error> {
    let phrase = words.join(" ");
    if phrase.chars().filter(|c| c.is_alphanumeric()).count() < 5 {
        return Ok(Vec::new());
    }
    // A one-word query is the phrase itself: nothing more to check.
    let long_words: Vec<String> = match words {
        [_] => Vec::new(),
        _ => words.iter().filter(|word| word.chars().count() >= 4).cloned().collect(),
    };
    sqlx::query_scalar!(
        r#"
        WITH matches AS MATERIALIZED (
            SELECT p.id, p.search_name FROM products p
            WHERE p.published AND p.search_name %> $1
        )
        SELECT m.id AS "id!" FROM matches m
        WHERE NOT EXISTS (SELECT 1 FROM unnest($3::text[]) w WHERE NOT m.search_name %> w)
        ORDER BY m.search_name <->> $1, m.id
        LIMIT $2
        "#,
        phrase,
        ARM_CANDIDATES,
        &long_words,
    )
    .fetch_all(pool)
    .await
}

fn fused_arrays(matched: &Matched) -> (Vec<Uuid>, Vec<f64>) {
    matched.fused.iter().copied().unzip()
}

/// The page of fused candidates that pass the filters, in the shopper's order, with the total.
async fn result_page(
    pool: &PgPool,
    matched: &Matched,
    query: &SearchQuery,
    per_page: i64,
    page: i64,
) -> Result<(Vec<SearchHit>, i64), sqlx::Error> {
    if matched.fused.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let (ids, scores) = fused_arrays(matched);
    let rows = sqlx::query!(
        r#"
        WITH RECURSIVE tree AS (
            SELECT id FROM categories WHERE slug = $3
            UNION ALL
            SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
        )
        SELECT p.id, p.slug, p.name, c.name AS category,
               offer.price_minor AS "price_minor!", offer.currency AS "currency!",
               offer.price_varies AS "price_varies!", offer.in_stock AS "in_stock!",
               i.storage_key AS "storage_key?", i.alt_text AS "alt_text?",
               count(*) OVER () AS "total!"
        FROM unnest($1::uuid[], $2::float8[]) AS f (id, score)
        JOIN products p ON p.id = f.id AND p.published
        JOIN LATERAL product_offer(p.id, $4, $5, $6) offer ON true
        JOIN categories c ON c.id = p.category_id
        LEFT JOIN product_images i ON i.product_id = p.id AND i.position = 0
        WHERE $3::text IS NULL OR p.category_id IN (SELECT id FROM tree)
        ORDER BY CASE WHEN $7 = 'price_asc' THEN offer.price_minor END ASC,
                 CASE WHEN $7 = 'price_desc' THEN offer.price_minor END DESC,
                 CASE WHEN $7 = 'newest' THEN p.created_at END DESC,
                 f.score DESC, p.name, p.id
        LIMIT $8 OFFSET $9
        "#,
        &ids,
        &scores,
        query.category,
        query.min_price_minor,
        query.max_price_minor,
        query.in_stock,
        query.sort.code(),
        per_page,
        (page - 1) * per_page,
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map_or(0, |row| row.total);
    let hits = rows
        .into_iter()
        .map(|row| {
            let name_parts = words::highlight(&row.name, &matched.matched_words);
            let product = CardRow {
                id: row.id,
                slug: row.slug,
                name: row.name,
                category: row.category,
                price_minor: row.price_minor,
                currency: row.currency,
                price_varies: row.price_varies,
                in_stock: row.in_stock,
                storage_key: row.storage_key,
                alt_text: row.alt_text,
                distance: None,
            }
            .into_card()?;
            Ok(SearchHit { product, name_parts })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((hits, total))
}

/// How many results each category holds, under the price and stock filters (not the
/// category's own: the facet is for choosing another).
async fn category_counts(
    pool: &PgPool,
    matched: &Matched,
    query: &SearchQuery,
) -> Result<Vec<CategoryCount>, sqlx::Error> {
    if matched.fused.is_empty() {
        return Ok(Vec::new());
    }
    let (ids, _) = fused_arrays(matched);
    sqlx::query_as!(
        CategoryCount,
        r#"
        SELECT c.slug, c.name, count(*) AS "count!"
        FROM products p
        JOIN LATERAL product_offer(p.id, $2, $3, $4) offer ON true
        JOIN categories c ON c.id = p.category_id
        WHERE p.id = ANY($1) AND p.published
        GROUP BY c.slug, c.name
        ORDER BY count(*) DESC, c.name
        LIMIT $5
        "#,
        &ids,
        query.min_price_minor,
        query.max_price_minor,
        query.in_stock,
        CATEGORY_FACETS,
    )
    .fetch_all(pool)
    .await
}

/// The cheapest and dearest result under the category and stock filters.
async fn price_range(
    pool: &PgPool,
    matched: &Matched,
    query: &SearchQuery,
) -> Result<Option<(Money, Money)>, sqlx::Error> {
    if matched.fused.is_empty() {
        return Ok(None);
    }
    let (ids, _) = fused_arrays(matched);
    let row = sqlx::query!(
        r#"
        WITH RECURSIVE tree AS (
            SELECT id FROM categories WHERE slug = $2
            UNION ALL
            SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
        )
        SELECT min(offer.price_minor) AS low, max(offer.price_minor) AS high,
               min(offer.currency) AS currency
        FROM products p
        JOIN LATERAL product_offer(p.id, NULL, NULL, $3) offer ON true
        WHERE p.id = ANY($1) AND p.published
          AND ($2::text IS NULL OR p.category_id IN (SELECT id FROM tree))
        "#,
        &ids,
        query.category,
        query.in_stock,
    )
    .fetch_one(pool)
    .await?;
    let (Some(low), Some(high), Some(currency)) = (row.low, row.high, row.currency) else {
        return Ok(None);
    };
    let currency = super::catalog::parse_currency(&currency)?;
    Ok(Some((Money { minor: low, currency }, Money { minor: high, currency })))
}

/// The categories with the most products, for a search that found nothing.
async fn popular_categories(pool: &PgPool) -> Result<Vec<CategoryCount>, sqlx::Error> {
    sqlx::query_as!(
        CategoryCount,
        r#"
        SELECT c.slug, c.name, count(*) AS "count!"
        FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.published
        GROUP BY c.slug, c.name
        ORDER BY count(*) DESC, c.name
        LIMIT 6
        "#
    )
    .fetch_all(pool)
    .await
}

/// Categories whose name begins with or resembles `phrase` (a few hundred rows: no index).
async fn matching_categories(pool: &PgPool, phrase: &str) -> Result<Vec<Category>, sqlx::Error> {
    if phrase.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as!(
        Category,
        r#"
        SELECT c.slug, c.name, parent.slug AS "parent_slug?"
        FROM categories c LEFT JOIN categories parent ON parent.id = c.parent_id
        WHERE search_fold(c.name) LIKE $1 || '%'
           OR search_fold(c.name) LIKE '% ' || $1 || '%'
           OR (length($1) >= 3 AND search_fold(c.name) %> $1)
        ORDER BY search_fold(c.name) <->> $1, c.name
        LIMIT $2
        "#,
        phrase,
        SUGGESTED_CATEGORIES,
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meaning_arm_answers_only_when_its_nearest_product_is_close() {
        let [a, b] = [Uuid::from_u128(1), Uuid::from_u128(2)];
        let gate = SEMANTIC_GATE_DISTANCE;
        assert_eq!(
            gated(vec![(a, 0.45), (b, 0.69)], gate),
            [a, b],
            "past the gate, the depth counts"
        );
        assert_eq!(gated(vec![(a, 0.67), (b, 0.69)], gate), Vec::<Uuid>::new());
        assert_eq!(gated(Vec::new(), gate), Vec::<Uuid>::new());
    }

    #[test]
    fn the_typo_query_is_the_full_text_query_when_nothing_was_corrected() {
        let words = vec!["red".to_owned(), "banj".to_owned()];
        let found = |list: &[&str]| list.iter().map(|w| (w.to_string(), 0)).collect::<Vec<_>>();
        // "red" found as itself, "banj" the start of "banjo": nothing to correct.
        let uncorrected = [found(&["red"]), found(&["banjo"])];
        assert_eq!(typo_tsquery(&words, &uncorrected), full_text_tsquery(&words));
        // "red" also near "bed", "banj" near "bank".
        let corrected = [found(&["red", "bed"]), found(&["banjo", "bank"])];
        assert_eq!(typo_tsquery(&words, &corrected), "('bed' | 'red') & ('bank' | 'banj':*)");
        // A word the list has neither itself nor a correction for leaves nothing to match.
        let unplaced = [Vec::new(), found(&["banjo"])];
        assert_eq!(typo_tsquery(&words, &unplaced), "");
    }

    #[test]
    fn a_tsquery_is_built_from_quoted_lexemes_only() {
        let words = vec!["red".to_owned(), "sh'oe".to_owned()];
        let text = tsquery_text(&words, |_, word, last| {
            vec![if last { format!("{}:*", lexeme(word)) } else { lexeme(word) }]
        });
        assert_eq!(text, "('red') & ('sh''oe':*)");
        let none = tsquery_text(&words, |_, _, _| Vec::new());
        assert_eq!(none, "");
        let half = tsquery_text(
            &words,
            |index, word, _| {
                if index == 0 {
                    vec![lexeme(word)]
                } else {
                    Vec::new()
                }
            },
        );
        assert_eq!(half, "", "a word without options leaves nothing to match");
    }
}
