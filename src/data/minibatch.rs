//! Minibatch index sampling for SGD, deterministic from a seed, writing into the caller's buffer.

use crate::error::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How batches are drawn from n samples.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Sampling {
    /// Each index i.i.d. uniform on 0..n (a batch may repeat an index).
    WithReplacement,
    /// Shuffled epochs (random reshuffling): each epoch is a fresh uniform permutation of 0..n
    /// (Fisher–Yates), cut into consecutive batches; when the batch size does not divide n, the last
    /// batch of an epoch is shorter, so no batch repeats an index and every epoch visits each sample once.
    WithoutReplacement,
}

impl Sampling {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// The sampling called `name` in a scenario.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// Draws minibatches of indices into 0..n.
#[derive(Debug, Clone)]
pub struct MinibatchSampler {
    n: usize,
    batch: usize,
    sampling: Sampling,
    rng: ChaCha8Rng,
    /// The current epoch's permutation (without replacement only).
    perm: Vec<usize>,
    /// The next position in `perm`; `n` means the epoch is used up.
    pos: usize,
    epochs: u64,
}

impl MinibatchSampler {
    /// A sampler of batches of `batch` indices out of `n`, seeded with `seed`. Refuses n = 0, batch = 0,
    /// and batch > n without replacement.
    pub fn new(n: usize, batch: usize, sampling: Sampling, seed: u64) -> Result<Self> {
        let refuse = |message: String| Error::Data {
            file: "(minibatch sampler)".into(),
            row: None,
            column: None,
            message,
        };
        if n == 0 {
            return Err(refuse("there are no samples to draw batches from".into()));
        }
        if batch == 0 {
            return Err(refuse("the batch size must be at least 1".into()));
        }
        if sampling == Sampling::WithoutReplacement && batch > n {
            return Err(refuse(format!(
                "the batch size {batch} exceeds the {n} samples; without replacement it must be at most n"
            )));
        }
        let perm = match sampling {
            Sampling::WithReplacement => Vec::new(),
            Sampling::WithoutReplacement => (0..n).collect(),
        };
        Ok(MinibatchSampler {
            n,
            batch,
            sampling,
            rng: ChaCha8Rng::seed_from_u64(seed),
            perm,
            // Start with a used-up epoch so that the first batch shuffles.
            pos: n,
            epochs: 0,
        })
    }

    /// The batch size |B|.
    pub fn batch_size(&self) -> usize {
        self.batch
    }

    /// The number of epochs begun so far (without replacement; 0 with replacement).
    pub fn epochs(&self) -> u64 {
        self.epochs
    }

    /// Writes the next batch into `buf` (length at least the batch size) and returns the filled part:
    /// the batch size, or fewer at the end of an epoch without replacement. Does not allocate.
    ///
    /// # Panics
    /// When `buf` is shorter than the batch size (a caller's bug, not user input).
    pub fn next_batch<'b>(&mut self, buf: &'b mut [usize]) -> &'b [usize] {
        assert!(
            buf.len() >= self.batch,
            "minibatch buffer of length {} is shorter than the batch size {}",
            buf.len(),
            self.batch
        );
        match self.sampling {
            Sampling::WithReplacement => {
                for slot in &mut buf[..self.batch] {
                    *slot = self.rng.random_range(0..self.n);
                }
                &buf[..self.batch]
            }
            Sampling::WithoutReplacement => {
                if self.pos == self.n {
                    self.shuffle();
                }
                let take = self.batch.min(self.n - self.pos);
                buf[..take].copy_from_slice(&self.perm[self.pos..self.pos + take]);
                self.pos += take;
                &buf[..take]
            }
        }
    }

    /// Fisher–Yates (Durstenfeld) on the previous permutation: every permutation equally likely.
    fn shuffle(&mut self) {
        for i in (1..self.n).rev() {
            let j = self.rng.random_range(0..=i);
            self.perm.swap(i, j);
        }
        self.pos = 0;
        self.epochs += 1;
    }
}
