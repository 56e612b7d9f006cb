//! The splits `eval recs` measures on. Every model is fitted on the same training part and
//! judged on the same held-out part; tuning uses a validation split carved out of the
//! training part the same way, never the test part.

use app::backend::recs::interactions::Interactions;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::movielens::Rating;

/// Ratings fitted on, and each user's held-out items (indexed like the users).
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Interactions,
    pub held_out: Vec<Vec<u32>>,
}

/// How a training part and a held-out part are made from ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Each user's ratings shuffled, a share held out (the published figures' split).
    RandomPerUser,
    /// One moment in time: what came before is trained on, what came after is held out.
    Temporal,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::RandomPerUser => "random 80/20 per user",
            Kind::Temporal => "temporal 80/20 (past → future)",
        }
    }

    /// `(train, held out)` ratings, `share` of them held out.
    pub fn divide(self, ratings: &[Rating], share: f64, seed: u64) -> (Vec<Rating>, Vec<Rating>) {
        match self {
            Kind::RandomPerUser => random_per_user(ratings, share, seed),
            Kind::Temporal => temporal(ratings, share),
        }
    }
}

fn random_per_user(ratings: &[Rating], share: f64, seed: u64) -> (Vec<Rating>, Vec<Rating>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut by_user: std::collections::BTreeMap<u32, Vec<Rating>> = Default::default();
    for rating in ratings {
        by_user.entry(rating.user).or_default().push(*rating);
    }
    let (mut train, mut held_out) = (Vec::new(), Vec::new());
    for (_, mut user_ratings) in by_user {
        user_ratings.shuffle(&mut rng);
        let held = (user_ratings.len() as f64 * share).round() as usize;
        held_out.extend_from_slice(&user_ratings[..held]);
        train.extend_from_slice(&user_ratings[held..]);
    }
    (train, held_out)
}

fn temporal(ratings: &[Rating], share: f64) -> (Vec<Rating>, Vec<Rating>) {
    let mut times: Vec<i64> = ratings.iter().map(|r| r.timestamp).collect();
    times.sort_unstable();
    let cut = times[((times.len() as f64 * (1.0 - share)) as usize).min(times.len() - 1)];
    ratings.iter().partition(|rating| rating.timestamp < cut)
}

/// The split of `train` and `held_out` over `users` × `items`. Histories are in time order;
/// a held-out item the user met in training is dropped, and so are the held-out items of a
/// user with no training history (a new user, measured apart).
pub fn split(train: &[Rating], held_out: &[Rating], users: usize, items: usize) -> Split {
    let mut ordered = train.to_vec();
    ordered.sort_by_key(|rating| (rating.timestamp, rating.item));
    let mut histories = vec![Vec::new(); users];
    for rating in &ordered {
        histories[rating.user as usize].push(rating.item);
    }
    let train = Interactions::new(items, histories);
    let mut lists = vec![Vec::new(); users];
    for rating in held_out {
        let history = train.history(rating.user as usize);
        if !history.is_empty() && !history.contains(&rating.item) {
            lists[rating.user as usize].push(rating.item);
        }
    }
    for list in &mut lists {
        list.sort_unstable();
        list.dedup();
    }
    Split { train, held_out: lists }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratings() -> Vec<Rating> {
        (0..100).map(|i| Rating { user: i % 4, item: i, timestamp: i64::from(i) }).collect()
    }

    #[test]
    fn random_per_user_holds_out_a_share_of_each_user() {
        let (train, held) = Kind::RandomPerUser.divide(&ratings(), 0.2, 1);
        assert_eq!((train.len(), held.len()), (80, 20));
        for user in 0..4 {
            assert_eq!(held.iter().filter(|r| r.user == user).count(), 5);
        }
        assert_eq!(Kind::RandomPerUser.divide(&ratings(), 0.2, 1).1, held, "seeded");
    }

    #[test]
    fn temporal_holds_out_the_future() {
        let (train, held) = Kind::Temporal.divide(&ratings(), 0.2, 1);
        assert_eq!((train.len(), held.len()), (80, 20));
        let last_train = train.iter().map(|r| r.timestamp).max().unwrap();
        assert!(held.iter().all(|r| r.timestamp > last_train));
    }

    #[test]
    fn a_user_without_training_history_is_not_judged_here() {
        let train = [Rating { user: 0, item: 0, timestamp: 1 }];
        let held =
            [Rating { user: 0, item: 1, timestamp: 2 }, Rating { user: 1, item: 1, timestamp: 2 }];
        let split = split(&train, &held, 2, 2);
        assert_eq!(split.held_out, vec![vec![1], vec![]]);
    }
}
