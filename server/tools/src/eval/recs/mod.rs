//! `vitrine-tools eval recs --dataset movielens-100k`: the taste model trained in burn against
//! the classic recommenders and a peer library, on the same splits, measured by the same code.
//!
//! - Full ranking over every item a user has not met (no sampled negatives), top 10:
//!   Recall@10, NDCG@10, coverage, intra-list diversity (app::backend::recs::metrics).
//! - Two splits: random 80/20 per user (where the published figures agree on popularity at
//!   Recall@10 ≈ 0.116, NDCG@10 ≈ 0.22: the harness must reproduce that before any other row is
//!   trusted) and temporal 80/20 (the realistic one).
//! - Every model gets the same tuning budget: `--trials` configurations drawn from its grid,
//!   each fitted on a validation split carved out of the first seed's training part and judged
//!   by NDCG@10 there; the best is then fitted on each seed's training part and tested.
//! - Cold start: items held out of training entirely, and new users known by 1, 3 or 5 items.

mod als;
mod movielens;
mod splits;

use std::time::Instant;

use anyhow::{bail, ensure};
use app::backend::recs::baselines::{ItemKnn, Popularity, Scorer};
use app::backend::recs::interactions::{Interactions, ItemContent};
use app::backend::recs::metrics::{self, top_k, Accuracy, K};
use app::backend::recs::train::{self, TrainParams};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use self::als::{AlsParams, Query};
use self::movielens::{MovieLens, Rating};
use self::splits::{split, Kind, Split};
use crate::cli::{EvalRecsArgs, RecsModel};

/// The published popularity figures on a random 80/20 split (REFERENCES.md) and how far ours
/// may be from them.
const PUBLISHED_POPULARITY: (f64, f64) = (0.116, 0.22);
const CALIBRATION_TOLERANCE: (f64, f64) = (0.012, 0.03);
/// The share of ratings held out, of items held out for cold start, and of users held out as
/// new users.
const HELD_OUT: f64 = 0.2;

/// One model's settings.
#[derive(Debug, Clone)]
enum Model {
    Popularity,
    ItemKnn { neighbours: usize },
    Als(AlsParams),
    Taste(TrainParams),
}

impl Model {
    fn name(&self) -> &'static str {
        match self {
            Model::Popularity => "popularity",
            Model::ItemKnn { .. } => "item-KNN",
            Model::Als(_) => "implicit ALS (peer)",
            Model::Taste(_) => "taste model (burn)",
        }
    }

    fn settings(&self) -> String {
        match self {
            Model::Popularity => "-".to_owned(),
            Model::ItemKnn { neighbours } => format!("k={neighbours}"),
            Model::Als(p) => format!(
                "factors={} reg={} alpha={} iterations={}",
                p.factors, p.regularization, p.alpha, p.iterations
            ),
            Model::Taste(p) => format!(
                "dims={} epochs={} batch={} lr={} wd={} input dropout={} id dropout={} short={}",
                p.dims,
                p.epochs,
                p.batch_size,
                p.learning_rate,
                p.weight_decay,
                p.input_dropout,
                p.id_dropout,
                p.short_histories
            ),
        }
    }
}

/// Each family's grid, in a seeded order; tuning tries the first `trials`.
fn grids(seed: u64, trials: usize, models: &[RecsModel]) -> Vec<Vec<Model>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let knn: Vec<Model> = [10, 25, 50, 100, 200, 400, 800, 1600]
        .into_iter()
        .map(|neighbours| Model::ItemKnn { neighbours })
        .collect();
    let mut als = Vec::new();
    for factors in [32, 64, 128, 256] {
        for regularization in [0.001, 0.01, 0.05, 0.1, 0.5] {
            for alpha in [1.0, 5.0, 10.0, 20.0, 40.0] {
                for iterations in [15, 30] {
                    als.push(Model::Als(AlsParams { factors, regularization, alpha, iterations }));
                }
            }
        }
    }
    let mut taste = Vec::new();
    for dims in [32, 64, 96] {
        for epochs in [10, 20, 40] {
            for batch_size in [8, 16] {
                for input_dropout in [0.35, 0.5, 0.65] {
                    for id_dropout in [0.0, 0.1, 0.25] {
                        for weight_decay in [0.0, 1e-2] {
                            for learning_rate in [1e-3, 2e-3] {
                                taste.push(Model::Taste(TrainParams {
                                    dims,
                                    epochs,
                                    batch_size,
                                    input_dropout,
                                    id_dropout,
                                    weight_decay,
                                    learning_rate,
                                    ..TrainParams::default()
                                }));
                            }
                        }
                    }
                }
            }
        }
    }
    let mut families = vec![(None, vec![Model::Popularity])];
    families.push((Some(RecsModel::ItemKnn), knn));
    families.push((Some(RecsModel::Als), als));
    families.push((Some(RecsModel::Taste), taste));
    families
        .into_iter()
        .filter(|(family, _)| family.is_none_or(|f| models.contains(&f)))
        .map(|(_, mut grid)| {
            grid.shuffle(&mut rng);
            grid.truncate(trials.max(1));
            grid
        })
        .collect()
}

/// A fitted model: a scorer in this process, or (the peer) the settings it is fitted with when
/// lists are asked for.
struct Fitted {
    scorer: Option<Box<dyn Scorer>>,
    model: Model,
    seed: u64,
    seconds: f64,
}

fn fit(model: &Model, train: &Interactions, content: &ItemContent, seed: u64) -> Fitted {
    let started = Instant::now();
    let scorer: Option<Box<dyn Scorer>> = match model {
        Model::Popularity => Some(Box::new(Popularity::fit(train))),
        Model::ItemKnn { neighbours } => Some(Box::new(ItemKnn::fit(train, *neighbours))),
        // Fitted by the peer when lists are asked for.
        Model::Als(_) => None,
        Model::Taste(params) => {
            let params = TrainParams { seed, ..params.clone() };
            Some(Box::new(train::train(train, content, &params, |_| {}).0))
        }
    };
    Fitted { scorer, model: model.clone(), seed, seconds: started.elapsed().as_secs_f64() }
}

impl Fitted {
    /// Each query's top K, leaving out what the query's user met.
    fn lists(
        &mut self,
        args: &EvalRecsArgs,
        train: &Interactions,
        queries: &[Query<'_>],
    ) -> anyhow::Result<Vec<Vec<u32>>> {
        match (&self.scorer, &self.model) {
            (Some(scorer), _) => {
                let mut scores = vec![0.0; train.items()];
                Ok(queries
                    .iter()
                    .map(|query| {
                        let met = match query {
                            Query::Known(user) => train.history(*user),
                            Query::New(items) => items,
                        };
                        scorer.score(met, &mut scores);
                        top_k(&scores, met, K)
                    })
                    .collect())
            }
            (None, Model::Als(params)) => {
                let (lists, seconds) =
                    als::recommend(&args.venv, train, *params, self.seed, queries, K)?;
                self.seconds = seconds;
                Ok(lists)
            }
            (None, _) => unreachable!("every other model is fitted in process"),
        }
    }
}

/// A model's figures on one split.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    accuracy: Accuracy,
    coverage: f64,
    diversity: f64,
    seconds: f64,
}

fn measure(
    args: &EvalRecsArgs,
    model: &Model,
    split: &Split,
    content: &ItemContent,
    seed: u64,
) -> anyhow::Result<Figures> {
    let mut fitted = fit(model, &split.train, content, seed);
    let users: Vec<usize> =
        (0..split.train.users()).filter(|&u| !split.held_out[u].is_empty()).collect();
    let queries: Vec<Query<'_>> = users.iter().map(|&u| Query::Known(u)).collect();
    let lists = fitted.lists(args, &split.train, &queries)?;
    let held_out: Vec<Vec<u32>> = users.iter().map(|&u| split.held_out[u].clone()).collect();
    Ok(Figures {
        accuracy: metrics::accuracy(&lists, &held_out, K),
        coverage: metrics::coverage(&lists, split.train.items()),
        diversity: metrics::intra_list_diversity(&lists, content),
        seconds: fitted.seconds,
    })
}

pub async fn run(args: &EvalRecsArgs) -> anyhow::Result<()> {
    ensure!(args.seeds >= 1, "--seeds is at least 1");
    let mut data = movielens::load(&args.data_dir)?;
    let whole = args.users.is_none_or(|n| n >= data.users)
        && args.items.is_none_or(|n| n >= data.item_texts.len());
    if let Some(users) = args.users {
        data.ratings.retain(|rating| (rating.user as usize) < users);
        data.users = data.users.min(users);
    }
    if let Some(items) = args.items {
        data.ratings.retain(|rating| (rating.item as usize) < items);
        data.item_texts.truncate(items);
    }
    let items = data.item_texts.len();
    println!(
        "MovieLens-100k: {} users, {} items, {} ratings (every rating a positive); {} seed(s) from {}; \
         tuning: {} trial(s) per model on a validation split",
        data.users,
        items,
        data.ratings.len(),
        args.seeds,
        args.seed,
        args.trials
    );
    let started = Instant::now();
    let content = embed_items(args, &data).await?;
    println!(
        "item content: the text model's embedding of \"title (year): genres\" ({:.1} s)",
        started.elapsed().as_secs_f64()
    );

    for kind in [Kind::RandomPerUser, Kind::Temporal] {
        let chosen = tune(args, &data, &content, kind)?;
        println!("\n{} — mean over {} seed(s)", kind.name(), args.seeds);
        println!(
            "{:<22} {:>15} {:>15} {:>9} {:>10} {:>9}  settings (tuned)",
            "model", "Recall@10", "NDCG@10", "coverage", "diversity", "fit s"
        );
        let mut popularity = None;
        for model in &chosen {
            let mut runs = Vec::new();
            for seed in args.seed..args.seed + args.seeds as u64 {
                let (train, held) = kind.divide(&data.ratings, HELD_OUT, seed);
                let split = split(&train, &held, data.users, items);
                runs.push(measure(args, model, &split, &content, seed)?);
            }
            let recall: Vec<f64> = runs.iter().map(|f| f.accuracy.recall).collect();
            let ndcg: Vec<f64> = runs.iter().map(|f| f.accuracy.ndcg).collect();
            println!(
                "{:<22} {:>15} {:>15} {:>9.3} {:>10.3} {:>9.2}  {}",
                model.name(),
                mean_sd(&recall),
                mean_sd(&ndcg),
                mean(&runs.iter().map(|f| f.coverage).collect::<Vec<_>>()),
                mean(&runs.iter().map(|f| f.diversity).collect::<Vec<_>>()),
                median(runs.iter().map(|f| f.seconds).collect()),
                model.settings(),
            );
            if matches!(model, Model::Popularity) {
                popularity = Some((mean(&recall), mean(&ndcg)));
            }
        }
        if kind == Kind::RandomPerUser {
            calibrate(popularity.expect("popularity is measured"), whole)?;
        }
        if kind == Kind::RandomPerUser {
            cold_items(args, &data, &content, &chosen)?;
            new_users(args, &data, &content, &chosen)?;
        }
    }
    Ok(())
}

/// The published popularity figures, reproduced, or no figure of this run can be trusted.
fn calibrate((recall, ndcg): (f64, f64), whole: bool) -> anyhow::Result<()> {
    let (want_recall, want_ndcg) = PUBLISHED_POPULARITY;
    let close = (recall - want_recall).abs() <= CALIBRATION_TOLERANCE.0
        && (ndcg - want_ndcg).abs() <= CALIBRATION_TOLERANCE.1;
    let verdict = match (whole, close) {
        (false, _) => "not checked: a subset of the users",
        (true, true) => "reproduced",
        (true, false) => "NOT reproduced",
    };
    println!(
        "calibration: popularity Recall@10 {recall:.3}, NDCG@10 {ndcg:.3} against the published \
         {want_recall} / {want_ndcg}: {verdict}"
    );
    if whole && !close {
        bail!("the harness does not reproduce the published popularity figures; no row can be trusted");
    }
    Ok(())
}

/// Each family's best configuration on a validation split of the first seed's training part.
fn tune(
    args: &EvalRecsArgs,
    data: &MovieLens,
    content: &ItemContent,
    kind: Kind,
) -> anyhow::Result<Vec<Model>> {
    let (train, _) = kind.divide(&data.ratings, HELD_OUT, args.seed);
    let (inner, validation) = kind.divide(&train, HELD_OUT, args.seed.wrapping_add(1));
    let split = split(&inner, &validation, data.users, data.item_texts.len());
    let mut chosen = Vec::new();
    for family in grids(args.seed, args.trials, &args.models) {
        let mut best: Option<(f64, Model)> = None;
        for model in family {
            let ndcg = measure(args, &model, &split, content, args.seed)?.accuracy.ndcg;
            if best.as_ref().is_none_or(|(score, _)| ndcg > *score) {
                best = Some((ndcg, model));
            }
        }
        chosen.push(best.expect("every family has a configuration").1);
    }
    Ok(chosen)
}

/// Cold items: a share of the items is held out of training entirely; each user's ratings of
/// them are to be found among them (a "new arrivals for you" row).
fn cold_items(
    args: &EvalRecsArgs,
    data: &MovieLens,
    content: &ItemContent,
    chosen: &[Model],
) -> anyhow::Result<()> {
    let items = data.item_texts.len();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut order: Vec<u32> = (0..items as u32).collect();
    order.shuffle(&mut rng);
    let cold_count = (items as f64 * HELD_OUT).round() as usize;
    let mut cold = vec![false; items];
    for &item in &order[..cold_count] {
        cold[item as usize] = true;
    }
    let (warm_ratings, cold_ratings): (Vec<Rating>, Vec<Rating>) =
        data.ratings.iter().partition(|rating| !cold[rating.item as usize]);
    let split = split(&warm_ratings, &cold_ratings, data.users, items);
    let warm: Vec<u32> = (0..items as u32).filter(|&item| !cold[item as usize]).collect();
    let users: Vec<usize> = (0..data.users).filter(|&u| !split.held_out[u].is_empty()).collect();
    let held_out: Vec<Vec<u32>> = users.iter().map(|&u| split.held_out[u].clone()).collect();

    println!(
        "\ncold items: {cold_count} of {items} items never seen in training; {} users' ratings of \
         them, ranked among those items",
        users.len()
    );
    println!("{:<40} {:>10} {:>9}", "model", "Recall@10", "NDCG@10");
    let row = |name: &str, lists: &[Vec<u32>]| {
        let accuracy = metrics::accuracy(lists, &held_out, K);
        println!("{:<40} {:>10.3} {:>9.3}", name, accuracy.recall, accuracy.ndcg);
    };
    // Each user's top K among the cold items, by `scorer`.
    let among_cold = |scorer: &dyn Scorer| -> Vec<Vec<u32>> {
        let mut scores = vec![0.0; items];
        users
            .iter()
            .map(|&u| {
                let history = split.train.history(u);
                scorer.score(history, &mut scores);
                let mut exclude = warm.clone();
                exclude.extend_from_slice(history);
                top_k(&scores, &exclude, K)
            })
            .collect()
    };
    if let Some(taste) = chosen.iter().find(|m| matches!(m, Model::Taste(_))) {
        let fitted = fit(taste, &split.train, content, args.seed);
        let scorer = fitted.scorer.as_deref().expect("the taste model is fitted in process");
        row("taste model (burn; content alone)", &among_cold(scorer));
    }
    row("content similarity (text embeddings)", &among_cold(&ContentSimilarity(content)));
    // Popularity cannot rank items with no history; told how popular they turned out to be
    // (the held-out ratings), it is an oracle, not a baseline a shop could run.
    let oracle = Popularity::fit(&Interactions::new(items, held_out.clone()));
    let lists = among_cold(&oracle);
    row("popularity, told the future (oracle)", &lists);
    println!("{:<40} {:>10.3} {:>9}", "chance", K as f64 / cold_count.max(1) as f64, "-");
    Ok(())
}

/// New users: a share of the users is held out of training; each is known by their first 1,
/// 3 or 5 ratings, and the rest are to be found.
fn new_users(
    args: &EvalRecsArgs,
    data: &MovieLens,
    content: &ItemContent,
    chosen: &[Model],
) -> anyhow::Result<()> {
    let items = data.item_texts.len();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut order: Vec<u32> = (0..data.users as u32).collect();
    order.shuffle(&mut rng);
    let new: std::collections::HashSet<u32> =
        order[..(data.users as f64 * HELD_OUT).round() as usize].iter().copied().collect();
    let (train, held): (Vec<Rating>, Vec<Rating>) =
        data.ratings.iter().partition(|rating| !new.contains(&rating.user));
    let split = split(&train, &[], data.users, items);
    let mut by_user: std::collections::BTreeMap<u32, Vec<Rating>> = Default::default();
    for rating in held {
        by_user.entry(rating.user).or_default().push(rating);
    }
    let timelines: Vec<Vec<u32>> = by_user
        .into_values()
        .filter(|ratings| ratings.len() > 5)
        .map(|mut ratings| {
            ratings.sort_by_key(|r| (r.timestamp, r.item));
            ratings.into_iter().map(|r| r.item).collect()
        })
        .collect();
    println!(
        "\nnew users: {} users never seen in training, known by their first n ratings; the rest \
         to be found (Recall@10)",
        timelines.len()
    );
    let known = [1usize, 3, 5];
    println!("{:<22} {:>8} {:>8} {:>8}", "model", "n = 1", "n = 3", "n = 5");
    for model in chosen {
        let mut fitted = fit(model, &split.train, content, args.seed);
        let mut cells = Vec::new();
        for &n in &known {
            let queries: Vec<Query<'_>> = timelines.iter().map(|t| Query::New(&t[..n])).collect();
            let lists = fitted.lists(args, &split.train, &queries)?;
            let held_out: Vec<Vec<u32>> = timelines.iter().map(|t| t[n..].to_vec()).collect();
            cells.push(metrics::accuracy(&lists, &held_out, K).recall);
        }
        println!("{:<22} {:>8.3} {:>8.3} {:>8.3}", model.name(), cells[0], cells[1], cells[2]);
    }
    Ok(())
}

/// Scores items by how like their content is to the mean of what the user met.
struct ContentSimilarity<'a>(&'a ItemContent);

impl Scorer for ContentSimilarity<'_> {
    fn score(&self, history: &[u32], scores: &mut [f32]) {
        let width = self.0.width();
        let mut centre = vec![0.0f32; width];
        for &item in history {
            for (c, v) in centre.iter_mut().zip(self.0.row(item as usize)) {
                *c += v;
            }
        }
        for (item, score) in scores.iter_mut().enumerate() {
            *score = self.0.row(item).iter().zip(&centre).map(|(a, b)| a * b).sum();
        }
    }

    fn items(&self) -> usize {
        self.0.items()
    }
}

async fn embed_items(args: &EvalRecsArgs, data: &MovieLens) -> anyhow::Result<ItemContent> {
    let texts = vitrine::runtime::model::load_text_embedder_async(&args.model).await?;
    let mut values = Vec::with_capacity(data.item_texts.len() * 384);
    for chunk in data.item_texts.chunks(64) {
        for vector in texts.embed(chunk.to_vec()).await? {
            values.extend(vector);
        }
    }
    Ok(ItemContent::new(values.len() / data.item_texts.len(), values))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// "mean ± standard deviation" (just the mean for one value).
fn mean_sd(values: &[f64]) -> String {
    let m = mean(values);
    if values.len() < 2 {
        return format!("{m:.3}");
    }
    let variance = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    format!("{m:.3} ± {:.3}", variance.sqrt())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
