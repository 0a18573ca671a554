//! Stochastic methods run as ensembles of independently seeded paths: SGD (`sgd`) and its stochastic
//! modified equation (`sme`), their ensemble statistics over time ([`EnsembleStats`]) and the
//! comparison of two ensembles by mean and variance ([`compare`]).
//!
//! Path p of an ensemble draws all its randomness from a ChaCha8 generator seeded with
//! [`path_seed`]`(seed, p)`, a pure function of the scenario's seed and the path index: results do not
//! depend on timing, thread count or the order in which paths run.

pub mod compare;
mod sgd;
mod sme;
mod stats;

pub use compare::{compare_ensembles, EnsembleComparison, MomentGap};
pub use sgd::{replay_adaptive_paths, run_sgd, SgdSettings};
pub use sme::{run_sme, SmeOrder, SmeSettings};
pub use stats::{EnsembleStats, Stationary, MAX_PARAM_STATS, STATIONARY_FRACTION};

use crate::data::Sampling;
use crate::objective::Objective;
use crate::watch::Watch;

/// The seed of path `path` in an ensemble seeded with `seed`: SplitMix64's finaliser applied to a
/// combination of both, so neighbouring paths get unrelated ChaCha8 streams.
pub fn path_seed(seed: u64, path: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((path as u64).wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The gradient noise an SGD step sees, shared by `sgd` and `sme` (the SME models the SGD with these
/// settings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Minibatch {
    /// |B|: samples per minibatch (finite sums) or noisy-gradient draws averaged per step.
    pub batch_size: usize,
    /// With or without replacement (finite sums only).
    pub sampling: Sampling,
}

/// Where a stochastic method's gradient noise comes from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// Minibatches of a finite sum.
    FiniteSum(&'a dyn crate::objective::FiniteSum),
    /// Draws of a noisy-gradient oracle.
    Noisy(&'a dyn crate::objective::NoisyGradient),
}

impl<'a> Source<'a> {
    /// The objective's noise source, finite sum first; `None` when it has neither.
    pub fn of(objective: &'a dyn Objective) -> Option<Self> {
        objective
            .as_finite_sum()
            .map(Source::FiniteSum)
            .or_else(|| objective.as_noisy().map(Source::Noisy))
    }
}

/// The factor by which sampling without replacement shrinks the minibatch covariance, (n − B)/(n − 1)
/// (the finite-population correction); 1 with replacement.
pub fn finite_population_factor(n: usize, batch: usize, sampling: Sampling) -> f64 {
    match sampling {
        Sampling::WithReplacement => 1.0,
        Sampling::WithoutReplacement if n > 1 => (n - batch.min(n)) as f64 / (n - 1) as f64,
        Sampling::WithoutReplacement => 0.0,
    }
}

/// An SGD method's resolved settings, for summary.json.
pub fn sgd_settings_json(s: &SgdSettings) -> serde_json::Value {
    let mut v = serde_json::json!({
        "batch_size": s.minibatch.batch_size,
        "sampling": s.minibatch.sampling,
        "seed": s.seed,
        "paths": s.paths,
        "trajectory": "ensemble mean",
    });
    // Only with an optimizer, so that plain SGD's summary is as it was.
    if let Some(o) = &s.optimizer {
        v["optimizer"] = serde_json::json!(o.name());
        if let serde_json::Value::Object(own) = o.settings() {
            v.as_object_mut().expect("an object").extend(own);
        }
    }
    v
}

/// An SME method's resolved settings, for summary.json.
pub fn sme_settings_json(s: &SmeSettings) -> serde_json::Value {
    serde_json::json!({
        "batch_size": s.minibatch.batch_size,
        "sampling": s.minibatch.sampling,
        "order": s.order.as_number(),
        "substeps": s.substeps,
        "scheme": "euler_maruyama",
        "seed": s.seed,
        "paths": s.paths,
        "trajectory": "ensemble mean",
    })
}

/// Which ensemble to run: SGD's seeded paths or the SME's.
#[derive(Debug, Clone, Copy)]
pub enum Ensemble<'a> {
    /// SGD with these settings.
    Sgd(&'a SgdSettings),
    /// The stochastic modified equation with these settings.
    Sme(&'a SmeSettings),
}

/// Runs an ensemble. An objective without a noise source, or batch settings the sampler refuses (both
/// refused by the scenario loader first), give an empty trajectory whose termination says why, since a
/// run records rather than fails.
pub fn run_ensemble(
    kind: Ensemble,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &crate::trajectory::TimeGrid,
    loss_bound: f64,
) -> (crate::trajectory::Trajectory, EnsembleStats) {
    run_ensemble_watched(kind, objective, theta0, grid, loss_bound, &Watch::idle())
}

/// [`run_ensemble`] under `watch`: once the budget is spent the ensemble stops where it is (paths run
/// one after another) and ends with [`crate::Termination::TimeLimit`]; the statistics cover the paths
/// finished and the part of the running one recorded so far (their `alive` counts say how many paths
/// each point has).
pub fn run_ensemble_watched(
    kind: Ensemble,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &crate::trajectory::TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> (crate::trajectory::Trajectory, EnsembleStats) {
    use crate::trajectory::{Termination, Trajectory};
    let refused = |reason: String| {
        let mut t = Trajectory::with_capacity(objective.dim(), 0);
        t.termination = Termination::Diverged {
            step: 0,
            t: 0.0,
            reason,
        };
        let idle = Watch::idle();
        let (_, stats) = stats::drive_ensemble(objective, (theta0, grid, loss_bound, &idle), 0, |_| NoStep);
        (t, stats)
    };
    let Some(source) = Source::of(objective) else {
        return refused(
            "the objective has neither minibatch nor noisy gradients; sgd and sme need one".into(),
        );
    };
    match kind {
        Ensemble::Sgd(s) => sgd::run_sgd_watched(objective, source, theta0, grid, s, loss_bound, watch)
            .unwrap_or_else(|e| refused(e.to_string())),
        Ensemble::Sme(s) => sme::run_sme_watched(objective, source, theta0, grid, s, loss_bound, watch),
    }
}

/// A path that never moves (for the empty ensemble of a refused method).
struct NoStep;

impl stats::PathStep for NoStep {
    fn step(&mut self, _k: u64, _theta: &mut [f64]) -> u64 {
        0
    }
}
