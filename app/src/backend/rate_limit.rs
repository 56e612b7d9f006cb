//! Per-client rate limits for the expensive public endpoints: a search by photo runs the image
//! model, so one client sending uploads in a loop could take the model from everyone else.
//!
//! A token bucket per client address, in this process's memory: each address may burst up to
//! the per-minute number at once, and earns tokens back at that rate. With several web
//! replicas each counts its own share (the limit is about protecting each process's model, not
//! an accounting of the client). Checking is a map lookup under a mutex held for nanoseconds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Addresses kept before idle ones (whose buckets are full again) are forgotten.
const MAX_CLIENTS: usize = 50_000;

#[derive(Clone)]
pub struct RateLimiter {
    /// `None`: no limit.
    buckets: Option<Arc<Mutex<HashMap<IpAddr, Bucket>>>>,
    per_minute: f64,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// At most `per_minute` requests a minute per client (bursts of as many); 0 is no limit.
    pub fn per_minute(per_minute: u32) -> Self {
        let buckets = (per_minute > 0).then(|| Arc::new(Mutex::new(HashMap::new())));
        Self { buckets, per_minute: f64::from(per_minute) }
    }

    pub fn unlimited() -> Self {
        Self::per_minute(0)
    }

    /// Takes a turn for a request from `client` under the limit named `name`: `Err(seconds)` to
    /// wait when it has none left, counted in `vitrine_throttled_total{limit = name}`. A request
    /// without a known address (a local call) is not limited.
    pub fn take_turn(&self, client: Option<IpAddr>, name: &'static str) -> Result<(), u64> {
        let Some(client) = client else { return Ok(()) };
        self.check(client).inspect_err(|_| {
            metrics::counter!("vitrine_throttled_total", "limit" => name).increment(1);
        })
    }

    /// Takes a request's token for `client`: `Err(seconds)` to wait when it has none left.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let Some(buckets) = &self.buckets else { return Ok(()) };
        let per_second = self.per_minute / 60.0;
        let mut buckets = buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_CLIENTS {
            let full_after = Duration::from_secs_f64(60.0);
            buckets.retain(|_, bucket| now.duration_since(bucket.updated) < full_after);
        }
        let bucket =
            buckets.entry(client).or_insert(Bucket { tokens: self.per_minute, updated: now });
        let earned = now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + earned).min(self.per_minute);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_bursts_up_to_the_limit_then_waits_for_its_tokens() {
        let limiter = RateLimiter::per_minute(3);
        let (me, you) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(me, start), Ok(()));
        }
        assert_eq!(limiter.check_at(me, start), Err(20), "one token every 20 s");
        assert_eq!(limiter.check_at(you, start), Ok(()), "each address has its own bucket");
        assert_eq!(limiter.check_at(me, start + Duration::from_secs(20)), Ok(()));
        assert!(limiter.check_at(me, start + Duration::from_secs(21)).is_err());
        assert!(RateLimiter::unlimited().check_at(me, start).is_ok());
    }
}
