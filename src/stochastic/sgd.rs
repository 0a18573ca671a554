//! Stochastic gradient descent θ_{k+1} = θ_k − η g_k, g_k a minibatch gradient (finite sums) or the mean
//! of `batch_size` noisy-gradient draws, step k at t_k = k·η; run as an ensemble of seeded paths.

use super::stats::{drive_ensemble, PathStep};
use super::{path_seed, EnsembleStats, Minibatch, Source};
use crate::data::MinibatchSampler;
use crate::error::Result;
use crate::objective::{FiniteSum, NoisyGradient, Objective};
use crate::trajectory::{TimeGrid, Trajectory};
use crate::watch::Watch;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// An SGD ensemble's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdSettings {
    /// Batch size and sampling.
    pub minibatch: Minibatch,
    /// The ensemble's seed; path p uses [`path_seed`]`(seed, p)`.
    pub seed: u64,
    /// The number of paths M.
    pub paths: usize,
}

struct FiniteSumStep<'a> {
    f: &'a dyn FiniteSum,
    sampler: MinibatchSampler,
    batch: Vec<usize>,
    grad: Vec<f64>,
    eta: f64,
}

impl PathStep for FiniteSumStep<'_> {
    fn step(&mut self, _k: u64, theta: &mut [f64]) -> u64 {
        let batch = self.sampler.next_batch(&mut self.batch);
        self.f.batch_loss_gradient(theta, batch, &mut self.grad);
        for (t, g) in theta.iter_mut().zip(&self.grad) {
            *t -= self.eta * g;
        }
        1
    }
}

struct NoisyStep<'a> {
    f: &'a dyn NoisyGradient,
    rng: ChaCha8Rng,
    draws: usize,
    grad: Vec<f64>,
    sum: Vec<f64>,
    eta: f64,
}

impl PathStep for NoisyStep<'_> {
    fn step(&mut self, _k: u64, theta: &mut [f64]) -> u64 {
        self.sum.fill(0.0);
        for _ in 0..self.draws {
            self.f.noisy_gradient(theta, &mut self.rng, &mut self.grad);
            for (s, g) in self.sum.iter_mut().zip(&self.grad) {
                *s += g;
            }
        }
        let scale = self.eta / self.draws as f64;
        for (t, s) in theta.iter_mut().zip(&self.sum) {
            *t -= scale * s;
        }
        self.draws as u64
    }
}

/// Runs an SGD ensemble on `source` (the objective's finite sum or noisy gradient). Returns the
/// ensemble-mean trajectory and the statistics; errs only when the sampler refuses the batch settings
/// (the scenario loader checks them first).
pub fn run_sgd(
    objective: &dyn Objective,
    source: Source,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SgdSettings,
    loss_bound: f64,
) -> Result<(Trajectory, EnsembleStats)> {
    run_sgd_watched(
        objective,
        source,
        theta0,
        grid,
        settings,
        loss_bound,
        &Watch::idle(),
    )
}

/// [`run_sgd`] under `watch` (see [`crate::stochastic::run_ensemble_watched`]).
pub(crate) fn run_sgd_watched(
    objective: &dyn Objective,
    source: Source,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SgdSettings,
    loss_bound: f64,
    watch: &Watch,
) -> Result<(Trajectory, EnsembleStats)> {
    let d = objective.dim();
    let eta = grid.step_size;
    let b = settings.minibatch.batch_size;
    match source {
        Source::FiniteSum(f) => {
            // Check the settings once, so building each path's sampler cannot fail.
            MinibatchSampler::new(f.num_samples(), b, settings.minibatch.sampling, 0)?;
            Ok(drive_ensemble(
                objective,
                (theta0, grid, loss_bound, watch),
                settings.paths,
                |p| FiniteSumStep {
                    f,
                    sampler: MinibatchSampler::new(
                        f.num_samples(),
                        b,
                        settings.minibatch.sampling,
                        path_seed(settings.seed, p),
                    )
                    .expect("checked above"),
                    batch: vec![0; b],
                    grad: vec![0.0; d],
                    eta,
                },
            ))
        }
        Source::Noisy(f) => Ok(drive_ensemble(
            objective,
            (theta0, grid, loss_bound, watch),
            settings.paths,
            |p| NoisyStep {
                f,
                rng: ChaCha8Rng::seed_from_u64(path_seed(settings.seed, p)),
                draws: b.max(1),
                grad: vec![0.0; d],
                sum: vec![0.0; d],
                eta,
            },
        )),
    }
}
