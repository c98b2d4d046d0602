//! Request latencies as a fixed-size log histogram: a session records one sample per answer
//! for as long as it runs, so the record must not grow with the run (10,000 sessions each
//! keeping its last 10,000 samples would hold 1.6 GB).
use std::fmt;
use std::time::Duration;

/// Sub-buckets per power of two (2 bits: a bucket is at most 25% wide).
const SUB_BITS: u32 = 2;
const SUB: u64 = 1 << SUB_BITS;
/// Latencies are counted in µs up to 2^27 µs (134 s); longer ones land in the last bucket.
const MAX_EXP: u32 = 27;
/// Buckets 0..SUB hold 0..SUB µs exactly; then SUB per power of two from 2^SUB_BITS to
/// 2^MAX_EXP.
const BUCKETS: usize = (SUB as usize) * (MAX_EXP - SUB_BITS + 2) as usize;

/// Counts of latencies by bucket; [`quantile`](Self::quantile) answers within 25%.
#[derive(Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u32; BUCKETS],
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: [0; BUCKETS],
        }
    }
}

impl fmt::Debug for LatencyHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatencyHistogram")
            .field("samples", &self.len())
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .finish()
    }
}

/// The bucket of `us` microseconds.
fn bucket(us: u64) -> usize {
    let us = us.min((1 << (MAX_EXP + 1)) - 1);
    if us < SUB {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros(); // ≥ SUB_BITS
    let sub = (us >> (exp - SUB_BITS)) & (SUB - 1);
    (SUB * u64::from(exp - SUB_BITS + 1) + sub) as usize
}

/// The smallest value of bucket `i`, in µs.
fn lower_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let exp = i / SUB - 1 + u64::from(SUB_BITS);
    let sub = i % SUB;
    (1 << exp) + (sub << (exp - u64::from(SUB_BITS)))
}

impl LatencyHistogram {
    /// Counts one latency.
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let c = &mut self.counts[bucket(us)];
        *c = c.saturating_add(1);
    }

    /// Samples counted.
    pub fn len(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// The `q`-quantile (0..=1): the middle of the bucket holding it; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.len();
        if total == 0 {
            return None;
        }
        let rank = ((total - 1) as f64 * q.clamp(0.0, 1.0)).round() as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen > rank {
                let low = lower_bound(i);
                let high = lower_bound(i + 1);
                return Some(Duration::from_micros(low + (high - low) / 2));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_at_most_a_quarter_wide() {
        for i in 0..BUCKETS - 1 {
            let (low, high) = (lower_bound(i), lower_bound(i + 1));
            assert!(high > low, "bucket {i}");
            assert_eq!(bucket(low), i, "lower bound of {i}");
            assert_eq!(bucket(high - 1), i, "upper end of {i}");
            assert!((high - low) * 4 <= low.max(4), "bucket {i}: {low}..{high}");
        }
        assert_eq!(
            bucket(u64::MAX),
            BUCKETS - 1,
            "longer ones in the last bucket"
        );
    }

    #[test]
    fn quantiles_fall_in_the_right_bucket() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.quantile(0.5), None);
        for ms in 1..=100 {
            h.record(Duration::from_millis(ms));
        }
        assert_eq!(h.len(), 100);
        for (q, exact_ms) in [(0.5, 50.5), (0.99, 99.0), (0.0, 1.0), (1.0, 100.0)] {
            let got = h.quantile(q).unwrap().as_secs_f64() * 1000.0;
            assert!(
                (got - exact_ms).abs() <= exact_ms * 0.25,
                "q {q}: {got} ms, exact {exact_ms} ms"
            );
        }
    }
}
