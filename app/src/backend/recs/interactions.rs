//! What a recommender learns from and is judged on: each shopper's items, and each item's
//! content. Items and shoppers are dense indices here (`0..items`, `0..users`); the callers
//! keep the mapping to product and shopper ids.

/// Each user's distinct items, in the order they were met (oldest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interactions {
    items: usize,
    histories: Vec<Vec<u32>>,
}

impl Interactions {
    /// `histories[u]` is user `u`'s items; repeats are dropped (the first stays).
    ///
    /// # Panics
    /// When an item is not below `items` (an index the caller built wrongly).
    pub fn new(items: usize, histories: Vec<Vec<u32>>) -> Self {
        // One flag per item, set while a history is read and cleared after it.
        let mut seen = vec![false; items];
        let histories = histories
            .into_iter()
            .map(|history| {
                let kept: Vec<u32> = history
                    .into_iter()
                    .filter(|&item| {
                        let index = item as usize;
                        assert!(index < items, "item {item} of {items}");
                        !std::mem::replace(&mut seen[index], true)
                    })
                    .collect();
                for &item in &kept {
                    seen[item as usize] = false;
                }
                kept
            })
            .collect();
        Self { items, histories }
    }

    pub fn items(&self) -> usize {
        self.items
    }

    pub fn users(&self) -> usize {
        self.histories.len()
    }

    pub fn history(&self, user: usize) -> &[u32] {
        &self.histories[user]
    }

    pub fn histories(&self) -> &[Vec<u32>] {
        &self.histories
    }

    /// How many users have each item.
    pub fn item_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.items];
        for &item in self.histories.iter().flatten() {
            counts[item as usize] += 1;
        }
        counts
    }

    /// The users of each item (the transpose).
    pub fn item_users(&self) -> Vec<Vec<u32>> {
        let mut users = vec![Vec::new(); self.items];
        for (user, history) in self.histories.iter().enumerate() {
            for &item in history {
                users[item as usize].push(user as u32);
            }
        }
        users
    }

    /// All (user, item) pairs.
    pub fn len(&self) -> usize {
        self.histories.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Each item's content as one row of `width` values: the text model's embedding of its
/// words and, in the shop, its main image's embedding beside it. An item without some part
/// (no image yet) has zeros there.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemContent {
    width: usize,
    values: Vec<f32>,
}

impl ItemContent {
    /// # Panics
    /// When `values` is not a whole number of rows.
    pub fn new(width: usize, values: Vec<f32>) -> Self {
        assert!(width > 0 && values.len() % width == 0, "rows of {width}");
        Self { width, values }
    }

    /// No content at all (a model then learns from ids alone).
    pub fn none(items: usize) -> Self {
        Self { width: 1, values: vec![0.0; items] }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn items(&self) -> usize {
        self.values.len() / self.width
    }

    pub fn row(&self, item: usize) -> &[f32] {
        &self.values[item * self.width..(item + 1) * self.width]
    }

    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// 1 − cosine between two items' content (0 for an item without content): how unlike
    /// they are, for a list's diversity.
    pub fn distance(&self, a: usize, b: usize) -> f32 {
        let (a, b) = (self.row(a), self.row(b));
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let norms = a.iter().map(|x| x * x).sum::<f32>().sqrt()
            * b.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norms == 0.0 {
            0.0
        } else {
            1.0 - dot / norms
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_dropped_and_counts_follow() {
        let data = Interactions::new(3, vec![vec![0, 2, 0], vec![2]]);
        assert_eq!(data.history(0), &[0, 2]);
        assert_eq!(data.item_counts(), vec![1, 0, 2]);
        assert_eq!(data.item_users(), vec![vec![0], vec![], vec![0, 1]]);
        assert_eq!(data.len(), 3);
    }

    #[test]
    fn distance_is_one_minus_cosine() {
        let content = ItemContent::new(2, vec![1.0, 0.0, 0.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
        assert!((content.distance(0, 1) - 1.0).abs() < 1e-6);
        assert!(content.distance(0, 2).abs() < 1e-6);
        assert_eq!(content.distance(0, 3), 0.0);
    }
}
