//! Percentiles in bounded memory: exact while there are few values, then a log-linear histogram
//! (values below 1024 exact, above that 128 buckets per power of two: under 1% error).

const EXACT_LIMIT: usize = 4096;
const LINEAR: u64 = 1024;
const SUB_BUCKETS: u64 = 128;

#[derive(Debug, Clone, Default)]
pub(crate) struct Distribution {
    exact: Vec<u64>,
    buckets: Vec<u64>,
    count: u64,
    max: u64,
}

fn bucket_of(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let exponent = 63 - u64::from(value.leading_zeros());
    let sub = (value >> (exponent - 7)) & (SUB_BUCKETS - 1);
    (LINEAR + (exponent - 10) * SUB_BUCKETS + sub) as usize
}

/// The lowest value of a bucket.
fn value_of(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < LINEAR {
        return bucket;
    }
    let exponent = (bucket - LINEAR) / SUB_BUCKETS + 10;
    let sub = (bucket - LINEAR) % SUB_BUCKETS;
    (1 << exponent) | (sub << (exponent - 7))
}

impl Distribution {
    pub(crate) fn add(&mut self, value: u64) {
        self.add_many(value, 1);
    }

    pub(crate) fn add_many(&mut self, value: u64, times: u64) {
        if times == 0 {
            return;
        }
        self.count += times;
        self.max = self.max.max(value);
        if self.buckets.is_empty() && self.exact.len() as u64 + times <= EXACT_LIMIT as u64 {
            self.exact.extend(std::iter::repeat_n(value, times as usize));
            return;
        }
        if self.buckets.is_empty() {
            self.buckets = vec![0; bucket_of(u64::MAX) + 1];
            for v in std::mem::take(&mut self.exact) {
                self.buckets[bucket_of(v)] += 1;
            }
        }
        self.buckets[bucket_of(value)] += times;
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The nearest-rank percentile: the least value that at least `percent`% of the values do
    /// not exceed. `None` when empty.
    pub(crate) fn percentile(&self, percent: u32) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = (u128::from(self.count) * u128::from(percent)).div_ceil(100).max(1) as u64;
        if self.buckets.is_empty() {
            let mut sorted = self.exact.clone();
            sorted.sort_unstable();
            return sorted.get(rank as usize - 1).copied();
        }
        let mut seen = 0;
        for (bucket, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(value_of(bucket).min(self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::Distribution;

    #[test]
    fn exact_then_bucketed() {
        let mut d = Distribution::default();
        for v in 1..=100 {
            d.add(v);
        }
        assert_eq!((d.percentile(50), d.percentile(90), d.percentile(99)), (Some(50), Some(90), Some(99)));
        for v in 0..10_000u64 {
            d.add(2000 + v % 1000);
        }
        let p50 = d.percentile(50).unwrap_or(0);
        assert!((2450..=2510).contains(&p50), "{p50}");
        assert_eq!(Distribution::default().percentile(50), None);
    }
}
