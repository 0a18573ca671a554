//! The stochastic modified equation of SGD (Li, Tai & E 2017):
//!
//! dX = −∇L̃(X) dt + √η Σ(X)^{1/2} dW,
//!
//! Σ the covariance of the minibatch gradient of the SGD it models; order 1: L̃ = L; order 2:
//! L̃ = L + (η/4)‖∇L‖², drift −∇L − (η/2)H∇L (H∇L from the objective's Hessian-vector product).
//!
//! Integrated by Euler–Maruyama (weak order 1) at dt = η/substeps, an ensemble of seeded paths. At
//! substeps = 1 Euler–Maruyama of the order-1 SME *is* SGD with Gaussian noise, which would prove nothing,
//! so the loader asks for at least 2 (default 16): the scheme's weak error O(dt) is then a 1/substeps
//! fraction of the O(η) effects the SME describes.
//!
//! Σ^{1/2}ξ without a matrix square root, for a finite sum of n per-sample gradients g_i with mean ḡ:
//! v = n^{−1/2} Σ_i z_i (g_i − ḡ), z_i i.i.d. N(0, 1), has Cov[v] = C = (1/n) Σ_i (g_i − ḡ)(g_i − ḡ)ᵀ, the
//! per-sample gradient covariance. A batch of B drawn with replacement has covariance C/B; without
//! replacement C/B·(n − B)/(n − 1) (finite-population correction; this is the covariance of one batch;
//! the dependence between the batches of one epoch is not modelled). So the noise increment is
//! √(η·dt·f/B)·v with f that factor. For a noisy-gradient oracle, Σ = Cov[ξ]/B, and Σ^{1/2}ξ = F z with
//! F Fᵀ = Cov[ξ] (Cholesky, or V·diag(√λ) when Cov[ξ] is singular).

use super::stats::{drive_ensemble, PathStep};
use super::{finite_population_factor, path_seed, EnsembleStats, Minibatch, Source};
use crate::objective::{FiniteSum, NoisyGradient, Objective};
use crate::trajectory::{TimeGrid, Trajectory};
use crate::watch::Watch;
use nalgebra::{DMatrix, SymmetricEigen};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The SME's order in η.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmeOrder {
    /// Drift −∇L.
    One,
    /// Drift −∇L − (η/2)H∇L.
    Two,
}

impl SmeOrder {
    /// 1 or 2.
    pub fn as_number(self) -> u8 {
        match self {
            SmeOrder::One => 1,
            SmeOrder::Two => 2,
        }
    }
}

/// An SME ensemble's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmeSettings {
    /// The modelled SGD's batch size and sampling (they set Σ).
    pub minibatch: Minibatch,
    /// 1 or 2.
    pub order: SmeOrder,
    /// Euler–Maruyama steps per η (dt = η/substeps), at least 2.
    pub substeps: u32,
    /// The ensemble's seed; path p uses [`path_seed`]`(seed, p)`.
    pub seed: u64,
    /// The number of paths M.
    pub paths: usize,
}

/// F with F Fᵀ = s (s symmetric positive semidefinite): Cholesky, or V·diag(√max(λ, 0)).
pub fn covariance_factor(s: &DMatrix<f64>) -> DMatrix<f64> {
    match s.clone().cholesky() {
        Some(ch) => ch.l(),
        None => {
            let eig = SymmetricEigen::new(s.clone());
            let sqrt = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
            &eig.eigenvectors * DMatrix::from_diagonal(&sqrt)
        }
    }
}

/// Buffers and constants shared by both noise sources.
struct Common {
    rng: ChaCha8Rng,
    eta: f64,
    dt: f64,
    substeps: u32,
    order: SmeOrder,
    grad: Vec<f64>,
    hg: Vec<f64>,
    noise: Vec<f64>,
}

impl Common {
    /// θ ← θ + drift·dt + noise, drift = −∇L (− (η/2)H∇L), `self.grad` = ∇L, `self.noise` the scaled
    /// increment. Returns the Hessian-vector products made.
    fn apply(&mut self, objective: &dyn Objective, theta: &mut [f64]) -> u64 {
        let half_eta = 0.5 * self.eta;
        let with_hvp = self.order == SmeOrder::Two;
        if with_hvp {
            objective.hvp(theta, &self.grad, &mut self.hg);
        }
        for (i, t) in theta.iter_mut().enumerate() {
            let mut drift = -self.grad[i];
            if with_hvp {
                drift -= half_eta * self.hg[i];
            }
            *t += drift * self.dt + self.noise[i];
        }
        u64::from(with_hvp)
    }
}

struct FiniteSumSme<'a> {
    f: &'a dyn FiniteSum,
    objective: &'a dyn Objective,
    c: Common,
    /// √(η·dt·f/B)/√n.
    noise_scale: f64,
    one: [usize; 1],
    gi: Vec<f64>,
}

impl PathStep for FiniteSumSme<'_> {
    fn step(&mut self, _k: u64, theta: &mut [f64]) -> u64 {
        let n = self.f.num_samples();
        let mut evals = 0;
        for _ in 0..self.c.substeps {
            // grad accumulates Σ g_i, noise Σ z_i g_i; then v = Σ z_i g_i − (Σ z_i) ḡ.
            self.c.grad.fill(0.0);
            self.c.noise.fill(0.0);
            let mut zsum = 0.0;
            for i in 0..n {
                self.one[0] = i;
                self.f.batch_loss_gradient(theta, &self.one, &mut self.gi);
                let z: f64 = self.c.rng.sample(StandardNormal);
                zsum += z;
                for ((g, v), x) in self.c.grad.iter_mut().zip(&mut self.c.noise).zip(&self.gi) {
                    *g += x;
                    *v += z * x;
                }
            }
            let inv_n = 1.0 / n as f64;
            for (g, v) in self.c.grad.iter_mut().zip(&mut self.c.noise) {
                *g *= inv_n;
                *v = self.noise_scale * (*v - zsum * *g);
            }
            evals += 1 + self.c.apply(self.objective, theta);
        }
        evals
    }
}

struct NoisySme<'a> {
    f: &'a dyn NoisyGradient,
    c: Common,
    /// √(η·dt/B).
    noise_scale: f64,
    /// The factor of Cov[ξ], cached when the oracle says it is constant.
    factor: Option<DMatrix<f64>>,
}

impl PathStep for NoisySme<'_> {
    fn step(&mut self, _k: u64, theta: &mut [f64]) -> u64 {
        let mut evals = 0;
        for _ in 0..self.c.substeps {
            self.f.gradient(theta, &mut self.c.grad);
            // A state-dependent covariance is factored at every substep (this allocates; the noisy
            // quadratic's is constant and factored once).
            let fresh;
            let factor = match &self.factor {
                Some(f) => f,
                None => {
                    fresh = covariance_factor(&self.f.gradient_covariance(theta));
                    &fresh
                }
            };
            self.c.noise.fill(0.0);
            for j in 0..theta.len() {
                let z: f64 = self.c.rng.sample(StandardNormal);
                for (v, f) in self.c.noise.iter_mut().zip(factor.column(j).iter()) {
                    *v += self.noise_scale * f * z;
                }
            }
            evals += 1 + self.c.apply(self.f, theta);
        }
        evals
    }
}

/// Runs an SME ensemble for the SGD on `source` with the given batch settings.
pub fn run_sme(
    objective: &dyn Objective,
    source: Source,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SmeSettings,
    loss_bound: f64,
) -> (Trajectory, EnsembleStats) {
    run_sme_watched(
        objective,
        source,
        theta0,
        grid,
        settings,
        loss_bound,
        &Watch::idle(),
    )
}

/// [`run_sme`] under `watch` (see [`crate::stochastic::run_ensemble_watched`]).
pub(crate) fn run_sme_watched(
    objective: &dyn Objective,
    source: Source,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SmeSettings,
    loss_bound: f64,
    watch: &Watch,
) -> (Trajectory, EnsembleStats) {
    let d = objective.dim();
    let eta = grid.step_size;
    let substeps = settings.substeps.max(1);
    let dt = eta / substeps as f64;
    let b = settings.minibatch.batch_size.max(1) as f64;
    let common = |p: usize| Common {
        rng: ChaCha8Rng::seed_from_u64(path_seed(settings.seed, p)),
        eta,
        dt,
        substeps,
        order: settings.order,
        grad: vec![0.0; d],
        hg: vec![0.0; d],
        noise: vec![0.0; d],
    };
    match source {
        Source::FiniteSum(f) => {
            let n = f.num_samples();
            let fpc = finite_population_factor(n, settings.minibatch.batch_size, settings.minibatch.sampling);
            let noise_scale = (eta * dt * fpc / b).sqrt() / (n as f64).sqrt();
            drive_ensemble(
                objective,
                (theta0, grid, loss_bound, watch),
                settings.paths,
                |p| FiniteSumSme {
                    f,
                    objective,
                    c: common(p),
                    noise_scale,
                    one: [0],
                    gi: vec![0.0; d],
                },
            )
        }
        Source::Noisy(f) => {
            let factor = f
                .constant_covariance()
                .then(|| covariance_factor(&f.gradient_covariance(theta0)));
            let noise_scale = (eta * dt / b).sqrt();
            drive_ensemble(
                objective,
                (theta0, grid, loss_bound, watch),
                settings.paths,
                |p| NoisySme {
                    f,
                    c: common(p),
                    noise_scale,
                    factor: factor.clone(),
                },
            )
        }
    }
}
