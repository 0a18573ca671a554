//! Stochastic gradient descent θ_{k+1} = θ_k − η g_k, g_k a minibatch gradient (finite sums) or the mean
//! of `batch_size` noisy-gradient draws, step k at t_k = k·η; run as an ensemble of seeded paths. With an
//! `optimizer` the same minibatch gradient g_k drives an adaptive update instead (Adam with batch 32).

use super::stats::{drive_ensemble, PathStep};
use super::{path_seed, EnsembleStats, Minibatch, Source};
use crate::data::{MinibatchSampler, Sampling};
use crate::discrete::{AdaptiveMethod, AdaptiveStepper};
use crate::error::Result;
use crate::objective::{FiniteSum, NoisyGradient, Objective};
use crate::trajectory::{StepRate, TimeGrid, Trajectory};
use crate::watch::Watch;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// An SGD ensemble's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SgdSettings {
    /// Batch size and sampling.
    pub minibatch: Minibatch,
    /// The ensemble's seed; path p uses [`path_seed`]`(seed, p)`.
    pub seed: u64,
    /// The number of paths M.
    pub paths: usize,
    /// The update the minibatch gradient drives: `None` is SGD's θ − ηg, else an adaptive method's.
    pub optimizer: Option<AdaptiveMethod>,
}

/// The minibatch gradient g_k of a finite sum, or the full gradient when every step's batch is the whole
/// set (without replacement, B = n): the same value, summed as the full-batch method sums it.
struct BatchGradient<'a> {
    objective: &'a dyn Objective,
    f: &'a dyn FiniteSum,
    sampler: MinibatchSampler,
    batch: Vec<usize>,
    full: bool,
}

impl BatchGradient<'_> {
    fn gradient(&mut self, theta: &[f64], grad: &mut [f64]) {
        if self.full {
            self.objective.gradient(theta, grad);
        } else {
            let batch = self.sampler.next_batch(&mut self.batch);
            self.f.batch_loss_gradient(theta, batch, grad);
        }
    }
}

/// One path of an adaptive method driven by minibatch (or noisy) gradients.
struct AdaptiveStep<'a, G> {
    gradient: G,
    stepper: AdaptiveStepper<'a>,
    grad: Vec<f64>,
    next: Vec<f64>,
    /// Gradient evaluations per step (noisy draws), and those spent at the start (ν₀ = g₀²).
    evals: u64,
    setup: u64,
}

impl<G: FnMut(&[f64], &mut [f64])> PathStep for AdaptiveStep<'_, G> {
    fn step(&mut self, k: u64, theta: &mut [f64]) -> u64 {
        (self.gradient)(theta, &mut self.grad);
        self.stepper.step(k, theta, &self.grad, &mut self.next);
        theta.copy_from_slice(&self.next);
        self.evals + std::mem::take(&mut self.setup)
    }
}

struct FiniteSumStep<'a> {
    f: &'a dyn FiniteSum,
    sampler: MinibatchSampler,
    batch: Vec<usize>,
    grad: Vec<f64>,
    eta: StepRate,
}

impl PathStep for FiniteSumStep<'_> {
    fn step(&mut self, k: u64, theta: &mut [f64]) -> u64 {
        let eta = self.eta.at(k);
        let batch = self.sampler.next_batch(&mut self.batch);
        self.f.batch_loss_gradient(theta, batch, &mut self.grad);
        for (t, g) in theta.iter_mut().zip(&self.grad) {
            *t -= eta * g;
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
    eta: StepRate,
}

impl PathStep for NoisyStep<'_> {
    fn step(&mut self, k: u64, theta: &mut [f64]) -> u64 {
        self.sum.fill(0.0);
        for _ in 0..self.draws {
            self.f.noisy_gradient(theta, &mut self.rng, &mut self.grad);
            for (s, g) in self.sum.iter_mut().zip(&self.grad) {
                *s += g;
            }
        }
        let scale = self.eta.at(k) / self.draws as f64;
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
    let eta = grid.rate();
    let b = settings.minibatch.batch_size;
    if let Some(method) = &settings.optimizer {
        return run_adaptive(
            objective, source, theta0, grid, settings, method, loss_bound, watch,
        );
    }
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
                    eta: eta.clone(),
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
                eta: eta.clone(),
            },
        )),
    }
}

/// [`run_sgd_watched`] with an adaptive `method` as the update.
#[allow(clippy::too_many_arguments)]
fn run_adaptive(
    objective: &dyn Objective,
    source: Source,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SgdSettings,
    method: &AdaptiveMethod,
    loss_bound: f64,
    watch: &Watch,
) -> Result<(Trajectory, EnsembleStats)> {
    let d = objective.dim();
    let eta = grid.rate();
    check_sampler(source, settings)?;
    Ok(drive_ensemble(
        objective,
        (theta0, grid, loss_bound, watch),
        settings.paths,
        |p| {
            let (gradient, evals) = path_gradient(objective, source, settings, p);
            let (stepper, setup) = AdaptiveStepper::new(objective, theta0, eta.clone(), method);
            AdaptiveStep {
                gradient,
                stepper,
                grad: vec![0.0; d],
                next: vec![0.0; d],
                evals,
                setup,
            }
        },
    ))
}

/// Refuses batch settings the sampler refuses (finite sums only), once, so that building each path's
/// sampler in [`path_gradient`] cannot fail.
fn check_sampler(source: Source, settings: &SgdSettings) -> Result<()> {
    if let Source::FiniteSum(f) = source {
        let m = &settings.minibatch;
        MinibatchSampler::new(f.num_samples(), m.batch_size, m.sampling, 0)?;
    }
    Ok(())
}

/// A path's gradient source: writes g_k at θ_k into its second argument.
type PathGradient<'a> = Box<dyn FnMut(&[f64], &mut [f64]) + 'a>;

/// A path's gradient of an adaptive ensemble: path `p`'s minibatch (or noisy-draw mean) gradient
/// g_k, drawn from its own seeded stream, and the gradient evaluations each call costs. Settings checked
/// by [`check_sampler`] first.
fn path_gradient<'a>(
    objective: &'a dyn Objective,
    source: Source<'a>,
    settings: &SgdSettings,
    p: usize,
) -> (PathGradient<'a>, u64) {
    let d = objective.dim();
    let b = settings.minibatch.batch_size;
    let sampling = settings.minibatch.sampling;
    match source {
        Source::FiniteSum(f) => {
            let n = f.num_samples();
            let full = b == n && sampling == Sampling::WithoutReplacement;
            let mut g = BatchGradient {
                objective,
                f,
                sampler: MinibatchSampler::new(n, b, sampling, path_seed(settings.seed, p))
                    .expect("checked by check_sampler"),
                batch: vec![0; b],
                full,
            };
            (
                Box::new(move |theta: &[f64], grad: &mut [f64]| g.gradient(theta, grad)),
                1,
            )
        }
        Source::Noisy(f) => {
            let mut rng = ChaCha8Rng::seed_from_u64(path_seed(settings.seed, p));
            let draws = b.max(1);
            let mut one = vec![0.0; d];
            let mean = move |theta: &[f64], grad: &mut [f64]| {
                grad.fill(0.0);
                for _ in 0..draws {
                    f.noisy_gradient(theta, &mut rng, &mut one);
                    for (s, g) in grad.iter_mut().zip(&one) {
                        *s += g;
                    }
                }
                let scale = 1.0 / draws as f64;
                grad.iter_mut().for_each(|g| *g *= scale);
            };
            (Box::new(mean), draws as u64)
        }
    }
}

/// Replays every path of the adaptive ensemble `settings` (an `sgd` with an `optimizer`) from `theta0`
/// over `grid`, with the same seeds, batches and arithmetic as [`run_sgd`], and hands `visit(p, j, θ, P)`
/// path p's iterate θ_k and the diagonal P_k its step from θ_k divides by (√v̂_k + ε, v̂ after its update
/// with g_k), for each `steps[j] = k` (increasing) that the path reaches alive. A path stops where
/// [`run_sgd`]'s does: a recorded |L(θ)| above `loss_bound` (checked before the step, so that point is
/// not visited) or a non-finite θ. At the last grid step, where the run takes no step, P is that of the
/// step it would take (one more minibatch gradient), as [`crate::discrete::adaptive_preconditioners`]
/// does for the full-batch method. `Ok(false)` when there is nothing to replay: no optimizer, a sign
/// method (no P), or an objective without a noise source.
pub fn replay_adaptive_paths(
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SgdSettings,
    loss_bound: f64,
    steps: &[u64],
    mut visit: impl FnMut(usize, usize, &[f64], &[f64]),
) -> Result<bool> {
    let Some(method) = &settings.optimizer else {
        return Ok(false);
    };
    let Some(source) = Source::of(objective) else {
        return Ok(false);
    };
    if method.preconditioned_threshold(1.0).is_none() {
        return Ok(false);
    }
    check_sampler(source, settings)?;
    let d = objective.dim();
    let Some(&last) = steps.last() else {
        return Ok(true);
    };
    let (mut theta, mut next, mut grad, mut p_k) = (vec![0.0; d], vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    for p in 0..settings.paths {
        let (mut gradient, _) = path_gradient(objective, source, settings, p);
        let (mut stepper, _) = AdaptiveStepper::new(objective, theta0, grid.rate(), method);
        theta.copy_from_slice(theta0);
        let mut wanted = steps.iter().enumerate().peekable();
        for k in 0..=last.min(grid.steps) {
            // The run's blow-up test at recorded points (a NaN loss fails it too).
            if k % grid.record_every.max(1) == 0 {
                let loss = objective.loss(&theta);
                let within = loss.abs() <= loss_bound;
                if !within {
                    break;
                }
            }
            gradient(&theta, &mut grad);
            stepper.step(k, &theta, &grad, &mut next);
            stepper.preconditioner(k, &mut p_k);
            while let Some((j, _)) = wanted.next_if(|(_, &s)| s == k) {
                visit(p, j, &theta, &p_k);
            }
            std::mem::swap(&mut theta, &mut next);
            if !theta.iter().all(|x| x.is_finite()) {
                break;
            }
        }
    }
    Ok(true)
}
