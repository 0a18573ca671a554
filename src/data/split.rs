//! Held-out splits: a seeded partition of a dataset's samples into a training part and a test part.
//!
//! The rule (docs/datasets.md, "Held-out split"): with n samples and a test fraction f, the test part
//! has n_test = round(f·n) samples (half away from zero) and the training part the other n − n_test;
//! both must be at least 1. The samples are shuffled by a Fisher–Yates pass driven by ChaCha8 seeded
//! with the split seed (for i = n−1 down to 1, swap position i with a uniform j in 0..=i); the first
//! n_test positions of the shuffled order are the test samples. Each part then keeps the samples in
//! their original order, so a split changes which samples train, never the order SGD's sampler sees
//! them in.

use super::Dataset;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The sample indices of the two parts, each in ascending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The training samples.
    pub train: Vec<usize>,
    /// The test samples.
    pub test: Vec<usize>,
}

/// The number of test samples for n samples and fraction f: round(f·n), half away from zero.
pub fn test_count(n: usize, fraction: f64) -> usize {
    (fraction * n as f64).round() as usize
}

/// Splits 0..n into a test part of [`test_count`] samples and a training part of the rest, shuffled by
/// `seed` (see the module docs). Fails (saying why) unless 0 < f < 1 and both parts get a sample.
pub fn split(n: usize, fraction: f64, seed: u64) -> Result<Split, String> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(format!(
            "the test fraction must be strictly between 0 and 1, found {fraction}"
        ));
    }
    let n_test = test_count(n, fraction);
    if n_test < 1 || n_test >= n {
        return Err(format!(
            "a test fraction of {fraction} of {n} samples leaves {n_test} for testing and {} for training; \
             each part needs at least 1 (the test part has round(fraction·samples))",
            n.saturating_sub(n_test)
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let mut test = order[..n_test].to_vec();
    let mut train = order[n_test..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    Ok(Split { train, test })
}

impl Dataset {
    /// The samples `rows` of this dataset, in that order, with the same task.
    pub fn rows(&self, rows: &[usize]) -> Dataset {
        Dataset {
            x: DMatrix::from_fn(rows.len(), self.features(), |i, j| self.x[(rows[i], j)]),
            y: DMatrix::from_fn(rows.len(), self.outputs(), |i, j| self.y[(rows[i], j)]),
            task: self.task.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_is_a_partition_of_the_round_rule_sizes() {
        for (n, f) in [(10, 0.25), (7, 0.5), (200, 0.3), (3, 0.34), (101, 0.05)] {
            let s = split(n, f, 9).unwrap();
            // round(f·n) by hand: 2.5 → 3, 3.5 → 4, 60, 1.02 → 1, 5.05 → 5.
            let expect = match (n, f) {
                (10, _) => 3,
                (7, _) => 4,
                (200, _) => 60,
                (3, _) => 1,
                _ => 5,
            };
            assert_eq!(s.test.len(), expect, "n = {n}, f = {f}");
            assert_eq!(s.train.len(), n - expect);
            let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..n).collect::<Vec<_>>(), "disjoint and covering");
            assert!(s.train.windows(2).all(|w| w[0] < w[1]));
            assert!(s.test.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn a_split_repeats_by_seed_and_differs_across_seeds() {
        assert_eq!(split(100, 0.25, 3).unwrap(), split(100, 0.25, 3).unwrap());
        let tests: Vec<Vec<usize>> = (0..8).map(|s| split(100, 0.25, s).unwrap().test).collect();
        for i in 0..tests.len() {
            for j in 0..i {
                assert_ne!(tests[i], tests[j], "seeds {i} and {j} pick the same 25 of 100");
            }
        }
    }

    #[test]
    fn impossible_fractions_are_refused() {
        for (n, f) in [
            (10, 0.0),
            (10, 1.0),
            (10, -0.1),
            (10, f64::NAN),
            (3, 0.1),
            (3, 0.9),
            (1, 0.5),
        ] {
            assert!(split(n, f, 0).is_err(), "n = {n}, f = {f}");
        }
    }

    #[test]
    fn rows_picks_samples_in_order() {
        let d = Dataset {
            x: DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
            y: DMatrix::from_row_slice(3, 1, &[0.0, 1.0, 0.0]),
            task: super::super::Task::Binary,
        };
        let r = d.rows(&[2, 0]);
        assert_eq!(r.x, DMatrix::from_row_slice(2, 2, &[4.0, 5.0, 0.0, 1.0]));
        assert_eq!(r.y, DMatrix::from_row_slice(2, 1, &[0.0, 0.0]));
    }
}
