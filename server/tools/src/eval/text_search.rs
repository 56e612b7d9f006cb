//! `vitrine eval text-search`: how well text search finds products, per kind of query, for each
//! arm alone and fused, on the seeded catalog.
//!
//! Two query sets:
//! - **Generated** from the catalog's names (each query's one relevant product is the one it
//!   was made from): the exact name; one typo (insertion, deletion, substitution or
//!   transposition, at a random position) in a word of 5+ letters; two typos in a word of 9+;
//!   the name as it is being typed, its last word cut to 3 letters; the words out of order.
//! - **Judged**: descriptive queries written by hand with the products that answer them
//!   (`server/tools/data/judged-queries.txt`), the arm of meaning's home ground.
//!
//! Figures: success@1 and success@10 (the share of queries with a relevant product in the
//! top 1 / 10), recall@10 for the judged set (the share of its relevant products in the top
//! 10), and NDCG@10 with binary relevance.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, ensure, Context};
use app::backend::text_embeddings;
use app::backend::text_model::TextEmbedder;
use app::backend::text_search::{self, Arms};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use uuid::Uuid;

use crate::cli::EvalTextSearchArgs;

/// Ranks looked at.
const CUTOFF: usize = 10;

/// The arms scored, alone and together.
const ARMS: [(&str, Arms); 6] = [
    ("full text", Arms { full_text: true, ..Arms::NONE }),
    ("typos", Arms { typos: true, ..Arms::NONE }),
    ("trigram", Arms { trigram: true, ..Arms::NONE }),
    ("meaning", Arms { semantic: true, ..Arms::NONE }),
    ("pictures", Arms { pictures: true, ..Arms::NONE }),
    ("fused", Arms::ALL),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Exact,
    OneTypo,
    TwoTypos,
    Prefix,
    OutOfOrder,
    Judged,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Exact => "exact name",
            Self::OneTypo => "1 typo (5+ letters)",
            Self::TwoTypos => "2 typos (9+ letters)",
            Self::Prefix => "3-letter prefix",
            Self::OutOfOrder => "words out of order",
            Self::Judged => "judged (descriptive)",
        }
    }
}

/// A query and the products that answer it.
#[derive(Debug, Clone)]
struct Query {
    kind: Kind,
    text: String,
    relevant: HashSet<Uuid>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Product {
    id: Uuid,
    slug: String,
    name: String,
}

pub async fn run(pool: &PgPool, args: &EvalTextSearchArgs) -> anyhow::Result<()> {
    let products: Vec<Product> =
        sqlx::query_as("SELECT id, slug, name FROM products WHERE published ORDER BY slug")
            .fetch_all(pool)
            .await?;
    ensure!(!products.is_empty(), "the catalog is empty; run `vitrine seed` first");
    let texts = vitrine::runtime::model::load_text_embedder_async(&args.model).await?;
    let counts = text_embeddings::counts(pool, texts.model_version()).await?;
    if counts.waiting > 0 {
        bail!(
            "{} products have no text embedding by {} ({} do); run `vitrine reindex --texts`",
            counts.waiting,
            texts.model_version(),
            counts.ready
        );
    }

    let mut queries = generated_queries(&products, args.products, args.seed);
    let judged = judged_queries(&products, &args.judged)?;
    let judged_count = judged.len();
    queries.extend(judged.into_iter().take(args.judged_limit.unwrap_or(usize::MAX)));

    let bar = ProgressBar::new((queries.len() * ARMS.len()) as u64).with_style(
        ProgressStyle::with_template("{spinner} searching [{bar:40}] {pos}/{len}, eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    // (kind, arm) → per-query scores.
    let mut scores: HashMap<(Kind, usize), Vec<Scores>> = HashMap::new();
    let names: HashMap<Uuid, &str> = products.iter().map(|p| (p.id, p.slug.as_str())).collect();
    let mut shown = Vec::new();
    for query in &queries {
        let mut line = format!("{:?}:", query.text);
        for (arm_index, (arm, arms)) in ARMS.iter().enumerate() {
            let ranked = ranked(pool, &texts, &query.text, *arms).await?;
            let scored = Scores::of(&ranked, &query.relevant);
            if args.show_judged && query.kind == Kind::Judged {
                let top: Vec<String> = ranked
                    .iter()
                    .take(5)
                    .map(|id| {
                        let mark = if query.relevant.contains(id) { "+" } else { "-" };
                        format!("{mark}{}", names.get(id).copied().unwrap_or("?"))
                    })
                    .collect();
                line.push_str(&format!(
                    "\n  {arm:<10} {:.2}  {}",
                    scored.ndcg_at_10,
                    top.join(" ")
                ));
            }
            scores.entry((query.kind, arm_index)).or_default().push(scored);
            bar.inc(1);
        }
        if args.show_judged && query.kind == Kind::Judged {
            shown.push(line);
        }
    }
    bar.finish_and_clear();
    for line in shown {
        println!("{line}");
    }

    println!(
        "Text search on {} published products: {} generated queries from {} sampled products (seed {}), {} judged queries of {judged_count}",
        products.len(),
        queries.iter().filter(|q| q.kind != Kind::Judged).count(),
        args.products.min(products.len()),
        args.seed,
        queries.iter().filter(|q| q.kind == Kind::Judged).count(),
    );
    println!(
        "{:<22} {:<10} {:>5} {:>7} {:>8} {:>10} {:>8}",
        "query kind", "arm", "n", "s@1", "s@10", "recall@10", "ndcg@10"
    );
    let mut kinds: Vec<Kind> = queries.iter().map(|q| q.kind).collect();
    kinds.sort();
    kinds.dedup();
    for kind in &kinds {
        for (arm_index, (arm, _)) in ARMS.iter().enumerate() {
            let Some(rows) = scores.get(&(*kind, arm_index)) else { continue };
            let mean = Scores::mean(rows);
            println!(
                "{:<22} {:<10} {:>5} {:>7.3} {:>8.3} {:>10.3} {:>8.3}",
                kind.label(),
                arm,
                rows.len(),
                mean.success_at_1,
                mean.success_at_10,
                mean.recall_at_10,
                mean.ndcg_at_10
            );
        }
    }

    let fused = ARMS.len() - 1;
    let success = |kind| scores.get(&(kind, fused)).map(|rows| Scores::mean(rows).success_at_10);
    for kind in [Kind::OneTypo, Kind::Prefix] {
        if let Some(value) = success(kind) {
            let verdict = if value >= 0.95 { "met" } else { "NOT met" };
            println!(
                "target: {} found in the top 10 ≥ 0.95 (fused): {value:.3}, {verdict}",
                kind.label()
            );
        }
    }
    if let Some(rows) = scores.get(&(Kind::Judged, fused)) {
        let fused_ndcg = Scores::mean(rows).ndcg_at_10;
        let best_single = (0..fused)
            .filter_map(|arm| {
                scores.get(&(Kind::Judged, arm)).map(|rows| (arm, Scores::mean(rows).ndcg_at_10))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((arm, single)) = best_single {
            let verdict = if fused_ndcg > single { "met" } else { "NOT met" };
            println!(
                "target: fused beats every single arm on the judged set (NDCG@10): {fused_ndcg:.3} vs {} {single:.3}, {verdict}",
                ARMS[arm].0
            );
        }
    }
    Ok(())
}

async fn ranked(
    pool: &PgPool,
    texts: &TextEmbedder,
    q: &str,
    arms: Arms,
) -> anyhow::Result<Vec<Uuid>> {
    let mut ids = text_search::ranked_ids(pool, texts, q, arms)
        .await
        .with_context(|| format!("searching for {q:?}"))?;
    ids.truncate(CUTOFF);
    Ok(ids)
}

/// One query's figures.
#[derive(Debug, Clone, Copy, Default)]
struct Scores {
    success_at_1: f64,
    success_at_10: f64,
    recall_at_10: f64,
    ndcg_at_10: f64,
}

impl Scores {
    fn of(ranked: &[Uuid], relevant: &HashSet<Uuid>) -> Self {
        let hits: Vec<bool> = ranked.iter().take(CUTOFF).map(|id| relevant.contains(id)).collect();
        let found = hits.iter().filter(|hit| **hit).count();
        let dcg: f64 = hits
            .iter()
            .enumerate()
            .filter(|(_, hit)| **hit)
            .map(|(rank, _)| 1.0 / (rank as f64 + 2.0).log2())
            .sum();
        let ideal: f64 =
            (0..relevant.len().min(CUTOFF)).map(|rank| 1.0 / (rank as f64 + 2.0).log2()).sum();
        Self {
            success_at_1: f64::from(u8::from(hits.first() == Some(&true))),
            success_at_10: f64::from(u8::from(found > 0)),
            recall_at_10: found as f64 / relevant.len().min(CUTOFF).max(1) as f64,
            // `+ 0.0`: an empty sum is -0.0, which would print as "-0.000".
            ndcg_at_10: if ideal > 0.0 { dcg / ideal + 0.0 } else { 0.0 },
        }
    }

    fn mean(rows: &[Self]) -> Self {
        let n = rows.len().max(1) as f64;
        let sum = |f: fn(&Self) -> f64| rows.iter().map(f).sum::<f64>() / n;
        Self {
            success_at_1: sum(|s| s.success_at_1),
            success_at_10: sum(|s| s.success_at_10),
            recall_at_10: sum(|s| s.recall_at_10),
            ndcg_at_10: sum(|s| s.ndcg_at_10),
        }
    }
}

/// The generated queries of `sample` products chosen at random (seeded).
fn generated_queries(products: &[Product], sample: usize, seed: u64) -> Vec<Query> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut chosen: Vec<&Product> = products.iter().collect();
    chosen.shuffle(&mut rng);
    chosen.truncate(sample);
    let mut queries = Vec::new();
    for product in chosen {
        let relevant = HashSet::from([product.id]);
        let mut push = |kind, text: String| {
            queries.push(Query { kind, text, relevant: relevant.clone() });
        };
        let words: Vec<&str> = product.name.split_whitespace().collect();
        push(Kind::Exact, product.name.clone());
        if let Some(text) = with_typos(&words, 5, 1, &mut rng) {
            push(Kind::OneTypo, text);
        }
        if let Some(text) = with_typos(&words, 9, 2, &mut rng) {
            push(Kind::TwoTypos, text);
        }
        if let Some(last) = words.last().filter(|word| word.chars().count() > 3) {
            let mut typed: Vec<String> =
                words[..words.len() - 1].iter().map(|w| (*w).to_owned()).collect();
            typed.push(last.chars().take(3).collect());
            push(Kind::Prefix, typed.join(" "));
        }
        if words.len() >= 2 {
            let mut reversed = words.clone();
            reversed.reverse();
            push(Kind::OutOfOrder, reversed.join(" "));
        }
    }
    queries
}

/// The name with `typos` edits in one of its words of at least `min_letters` letters (chosen at
/// random), or `None` when it has no such word.
fn with_typos(
    words: &[&str],
    min_letters: usize,
    typos: usize,
    rng: &mut StdRng,
) -> Option<String> {
    let eligible: Vec<usize> = (0..words.len())
        .filter(|&i| {
            words[i].chars().count() >= min_letters && words[i].chars().all(char::is_alphabetic)
        })
        .collect();
    let &index = eligible.choose(rng)?;
    let original: Vec<char> = words[index].to_lowercase().chars().collect();
    let mut word = original.clone();
    for _ in 0..typos {
        // An edit that changes nothing (swapping two equal letters) is tried again.
        loop {
            let edited = edit(&word, rng);
            if edited != word {
                word = edited;
                break;
            }
        }
    }
    let mut out: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    out[index] = word.into_iter().collect();
    Some(out.join(" "))
}

/// One random insertion, deletion, substitution or transposition.
fn edit(word: &[char], rng: &mut StdRng) -> Vec<char> {
    fn letter(rng: &mut StdRng) -> char {
        char::from(b'a' + rng.random_range(0..26u8))
    }
    let mut word = word.to_vec();
    match rng.random_range(0..4) {
        0 => {
            let at = rng.random_range(0..=word.len());
            word.insert(at, letter(rng));
        }
        1 => {
            let at = rng.random_range(0..word.len());
            word.remove(at);
        }
        2 => {
            let at = rng.random_range(0..word.len());
            word[at] = letter(rng);
        }
        _ => {
            let at = rng.random_range(0..word.len() - 1);
            word.swap(at, at + 1);
        }
    }
    word
}

/// A line of the hand-judged file: the query and the slugs of the products that answer it.
pub struct JudgedLine {
    /// Its line number, from 1, for error messages.
    pub number: usize,
    pub query: String,
    pub slugs: Vec<String>,
}

/// The hand-judged file read: one query per line, `query | slug, slug, …`; `#` starts a
/// comment. `bench text-search` reads its queries from it too.
pub fn read_judged(path: &Path) -> anyhow::Result<Vec<JudgedLine>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((query, slugs)) = line.split_once('|') else {
            bail!("{}:{}: expected `query | slug, slug, …`", path.display(), index + 1);
        };
        lines.push(JudgedLine {
            number: index + 1,
            query: query.trim().to_owned(),
            slugs: slugs
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    Ok(lines)
}

/// The hand-judged queries with their relevant products. A slug the catalog does not have is
/// an error (the judgement would silently shrink).
fn judged_queries(products: &[Product], path: &Path) -> anyhow::Result<Vec<Query>> {
    let by_slug: HashMap<&str, Uuid> = products.iter().map(|p| (p.slug.as_str(), p.id)).collect();
    let mut queries = Vec::new();
    for line in read_judged(path)? {
        let mut relevant = HashSet::new();
        for slug in &line.slugs {
            let Some(id) = by_slug.get(slug.as_str()) else {
                bail!(
                    "{}:{}: no published product has the slug {slug:?}",
                    path.display(),
                    line.number
                );
            };
            relevant.insert(*id);
        }
        ensure!(!relevant.is_empty(), "{}:{}: no relevant product", path.display(), line.number);
        queries.push(Query { kind: Kind::Judged, text: line.query, relevant });
    }
    Ok(queries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_is_one_for_a_perfect_ranking_and_less_for_a_late_hit() {
        let [a, b, c] = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        let relevant = HashSet::from([a, b]);
        let perfect = Scores::of(&[a, b, c], &relevant);
        assert!((perfect.ndcg_at_10 - 1.0).abs() < 1e-12);
        assert_eq!((perfect.success_at_1, perfect.recall_at_10), (1.0, 1.0));
        let late = Scores::of(&[c, a], &relevant);
        assert!(late.ndcg_at_10 < 0.5, "{late:?}");
        assert_eq!((late.success_at_1, late.success_at_10, late.recall_at_10), (0.0, 1.0, 0.5));
    }

    #[test]
    fn typos_change_one_long_word_by_the_asked_number_of_edits() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let typed = with_typos(&["Red", "Umbrella"], 5, 1, &mut rng).unwrap();
            let (first, second) = typed.split_once(' ').unwrap();
            assert_eq!(first, "Red", "short words are left alone");
            assert_eq!(app::backend::text_search::typo_distance(second, "umbrella"), 1, "{typed}");
        }
        assert!(with_typos(&["Red", "Cap"], 5, 1, &mut rng).is_none());
    }
}
