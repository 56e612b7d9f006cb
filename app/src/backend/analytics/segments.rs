//! Customer segments by recency, frequency and spend: every customer with a paid order (an
//! account, or a guest's email) as three figures — days since the last paid order, paid orders,
//! money spent — clustered by k-means (k-means++ start, seeded, so a run over the same orders
//! gives the same segments) on their logarithms, standardised so no figure outweighs the others.
//! The `analytics_segments` job ([`recompute`]) replaces the stored segments in one transaction;
//! it runs daily and when the admin asks.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;

use crate::backend::jobs::NewJob;
use crate::types::CustomerSegment;

/// The job kind.
pub const SEGMENTS_JOB: &str = "analytics_segments";
/// At most this many segments (fewer for fewer customers).
pub const SEGMENTS: usize = 4;
const SEED: u64 = 7;
const ITERATIONS: usize = 50;

/// One customer's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rfm {
    pub recency_days: f64,
    pub orders: f64,
    pub spend_minor: f64,
}

/// The segment of each customer (`0..k`), and `k`.
pub fn cluster(customers: &[Rfm], k: usize) -> (Vec<usize>, usize) {
    let k = k.min(customers.len());
    if k == 0 {
        return (Vec::new(), 0);
    }
    let points = standardised(customers);
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut centres = vec![points[rng.random_range(0..points.len())]];
    // k-means++: each next centre drawn with probability ∝ its squared distance to the nearest.
    while centres.len() < k {
        let weights: Vec<f64> = points.iter().map(|p| nearest(&centres, p).1).collect();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            break; // every customer is alike: fewer segments
        }
        let mut pick = rng.random::<f64>() * total;
        let chosen = weights.iter().position(|w| {
            pick -= w;
            pick <= 0.0
        });
        centres.push(points[chosen.unwrap_or(points.len() - 1)]);
    }
    let mut assignment = vec![0; points.len()];
    for _ in 0..ITERATIONS {
        let next: Vec<usize> = points.iter().map(|p| nearest(&centres, p).0).collect();
        let moved = next != assignment;
        assignment = next;
        for (c, centre) in centres.iter_mut().enumerate() {
            let members: Vec<&[f64; 3]> =
                points.iter().zip(&assignment).filter(|(_, a)| **a == c).map(|(p, _)| p).collect();
            if !members.is_empty() {
                for d in 0..3 {
                    centre[d] = members.iter().map(|p| p[d]).sum::<f64>() / members.len() as f64;
                }
            }
        }
        if !moved {
            break;
        }
    }
    (assignment, centres.len())
}

/// log(1 + x) of each figure, each scaled to mean 0 and standard deviation 1.
fn standardised(customers: &[Rfm]) -> Vec<[f64; 3]> {
    let logs: Vec<[f64; 3]> = customers
        .iter()
        .map(|c| [c.recency_days.ln_1p(), c.orders.ln_1p(), c.spend_minor.max(0.0).ln_1p()])
        .collect();
    let n = logs.len() as f64;
    let mut out = logs.clone();
    for d in 0..3 {
        let mean = logs.iter().map(|p| p[d]).sum::<f64>() / n;
        let sd = (logs.iter().map(|p| (p[d] - mean).powi(2)).sum::<f64>() / n).sqrt();
        for p in &mut out {
            p[d] = if sd > 0.0 { (p[d] - mean) / sd } else { 0.0 };
        }
    }
    out
}

fn nearest(centres: &[[f64; 3]], point: &[f64; 3]) -> (usize, f64) {
    centres
        .iter()
        .map(|c| (0..3).map(|d| (c[d] - point[d]).powi(2)).sum::<f64>())
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("at least one centre")
}

/// A segment's averages.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub label: &'static str,
    pub customers: usize,
    pub avg: Rfm,
}

/// The segments of `customers`, best first (recent, frequent, big spenders) and named by rank.
pub fn segments(customers: &[Rfm]) -> Vec<Segment> {
    const LABELS: [&str; SEGMENTS] = ["Best customers", "Regulars", "Occasional", "Lapsed"];
    let (assignment, k) = cluster(customers, SEGMENTS);
    let mut groups: Vec<(f64, usize, Rfm)> = (0..k)
        .filter_map(|c| {
            let members: Vec<&Rfm> = customers
                .iter()
                .zip(&assignment)
                .filter(|(_, a)| **a == c)
                .map(|(m, _)| m)
                .collect();
            let n = members.len() as f64;
            (!members.is_empty()).then(|| {
                let avg = Rfm {
                    recency_days: members.iter().map(|m| m.recency_days).sum::<f64>() / n,
                    orders: members.iter().map(|m| m.orders).sum::<f64>() / n,
                    spend_minor: members.iter().map(|m| m.spend_minor).sum::<f64>() / n,
                };
                // Rank by the logs: fewer days since, more orders, more spend.
                let score = avg.orders.ln_1p() + avg.spend_minor.ln_1p() - avg.recency_days.ln_1p();
                (score, members.len(), avg)
            })
        })
        .collect();
    groups.sort_by(|a, b| b.0.total_cmp(&a.0));
    let last = groups.len().saturating_sub(1);
    groups
        .into_iter()
        .enumerate()
        .map(|(rank, (_, customers, avg))| Segment {
            // With fewer than four segments the lowest is still "Lapsed".
            label: if rank == last && rank > 0 { LABELS[SEGMENTS - 1] } else { LABELS[rank] },
            customers,
            avg,
        })
        .collect()
}

/// Recomputes the segments from the paid orders in `currency` (the shop's main one) and stores
/// them in place of the last ones; how many customers they cover.
pub async fn recompute(pool: &PgPool, currency: &str) -> Result<usize, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT extract(epoch FROM now() - max(paid_at))::float8 / 86400 AS "recency_days!",
               count(*)::float8 AS "orders!", sum(total_minor - refunded_minor)::float8 AS "spend!"
        FROM orders
        WHERE paid_at IS NOT NULL AND currency = $1
        GROUP BY coalesce(user_id::text, lower(email))
        ORDER BY coalesce(user_id::text, lower(email))
        "#,
        currency
    )
    .fetch_all(pool)
    .await?;
    let customers: Vec<Rfm> = rows
        .iter()
        .map(|row| Rfm {
            recency_days: row.recency_days,
            orders: row.orders,
            spend_minor: row.spend,
        })
        .collect();
    let found = segments(&customers);
    let mut tx = pool.begin().await?;
    sqlx::query!("DELETE FROM customer_segments").execute(&mut *tx).await?;
    for (n, segment) in found.iter().enumerate() {
        sqlx::query!(
            r#"
            INSERT INTO customer_segments
                (segment, label, customers, avg_recency_days, avg_orders, avg_spend_minor, currency)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            "#,
            n as i32,
            segment.label,
            segment.customers as i64,
            segment.avg.recency_days,
            segment.avg.orders,
            segment.avg.spend_minor,
            currency
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(customers.len())
}

/// Queues a recomputation: now (`at` `None`, one live at a time: the admin's button) or the
/// daily one at `at` (one a day however many workers start).
pub async fn enqueue(
    pool: &PgPool,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), sqlx::Error> {
    let job = NewJob::new(SEGMENTS_JOB, serde_json::json!({}));
    let job = match at {
        Some(at) => job.dedupe(format!("{SEGMENTS_JOB}:{}", at.date_naive())).run_at(at),
        None => job.dedupe(SEGMENTS_JOB),
    };
    let mut conn = pool.acquire().await?;
    crate::backend::jobs::enqueue(&mut conn, &job).await.map(|_| ())
}

/// The segments as last computed, best first.
pub async fn latest(pool: &PgPool) -> Result<Vec<CustomerSegment>, sqlx::Error> {
    sqlx::query_as!(
        CustomerSegment,
        r#"
        SELECT label, customers, avg_recency_days, avg_orders, avg_spend_minor, currency, computed_at
        FROM customer_segments ORDER BY segment
        "#
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(recency_days: f64, orders: f64, spend: f64) -> Rfm {
        Rfm { recency_days, orders, spend_minor: spend }
    }

    #[test]
    fn customers_alike_share_a_segment_and_the_best_come_first() {
        let mut customers = Vec::new();
        for n in 0..10 {
            let n = f64::from(n);
            customers.push(customer(2.0 + n, 12.0 + n, 90_000.0 + 1000.0 * n)); // best
            customers.push(customer(300.0 + n, 1.0, 1500.0 + n)); // lapsed
        }
        let found = segments(&customers);
        // Two groups far apart: no segment mixes them (k-means may split each in two).
        assert!(found.len() >= 2);
        for segment in &found {
            let best = segment.avg.orders > 10.0;
            assert_eq!(best, segment.avg.recency_days < 20.0, "{segment:?}");
        }
        assert_eq!(found[0].label, "Best customers");
        assert!(found[0].avg.orders > 10.0);
        let last = found.last().unwrap();
        assert_eq!(last.label, "Lapsed");
        assert!(last.avg.recency_days > 250.0);
        assert_eq!(found.iter().map(|s| s.customers).sum::<usize>(), 20);
    }

    #[test]
    fn the_same_customers_give_the_same_segments() {
        let customers: Vec<Rfm> = (0..200)
            .map(|n| customer(f64::from(n % 97), f64::from(1 + n % 7), f64::from(500 + n * 37)))
            .collect();
        assert_eq!(cluster(&customers, 4), cluster(&customers, 4));
        assert_eq!(cluster(&customers, 4).1, 4);
    }

    #[test]
    fn few_or_identical_customers_make_fewer_segments() {
        assert_eq!(cluster(&[], 4), (Vec::new(), 0));
        let same = vec![customer(5.0, 2.0, 100.0); 6];
        let (assignment, k) = cluster(&same, 4);
        assert_eq!(k, 1);
        assert!(assignment.iter().all(|&a| a == 0));
        assert_eq!(segments(&same)[0].label, "Best customers");
    }
}
