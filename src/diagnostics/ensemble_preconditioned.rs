//! The preconditioned sharpness λ₁(P⁻¹H) of a minibatch adaptive ensemble (`sgd` with an `optimizer`):
//! each path i has its own iterate θ_i and its own P_i = √v̂_i + ε, so λ₁(P_i⁻¹H(θ_i)) is computed path by
//! path and summarised over the paths at each sample (mean, spread, extremes). Neither θ_i nor P_i is
//! kept by the run (its trajectory is the ensemble mean), so the paths are replayed with their seeds
//! ([`crate::stochastic::replay_adaptive_paths`]), which costs one more run of the ensemble.

use super::sharpness::{Eigensolver, SharpnessSettings};
use super::{PreconditionedSharpness, SharpnessSeries};
use crate::objective::Objective;
use crate::stochastic::{replay_adaptive_paths, SgdSettings};
use crate::trajectory::{TimeGrid, Trajectory};
use serde::Serialize;

/// λ₁(P_i⁻¹H(θ_i)) over the paths of an ensemble, at each sample of the sharpness series. The series'
/// `lambda_1` is the mean over the live paths; this holds the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnsemblePreconditioned {
    /// The number of paths M.
    pub paths: usize,
    /// Paths alive at each sample (those that reached it without blowing up).
    #[serde(skip)]
    pub alive: Vec<usize>,
    /// Standard deviation over the live paths at each sample (divisor n − 1; NaN below two paths).
    #[serde(skip)]
    pub std: Vec<f64>,
    /// The smallest path value at each sample.
    #[serde(skip)]
    pub min: Vec<f64>,
    /// The largest path value at each sample.
    #[serde(skip)]
    pub max: Vec<f64>,
    /// Every path's value, sample-major (sample j, path i at `j * paths + i`); NaN where path i was not
    /// alive.
    #[serde(skip)]
    pub per_path: Vec<f64>,
    /// The standard deviation at the last sample.
    pub final_std: f64,
    /// The smallest path value at the last sample.
    pub final_min: f64,
    /// The largest path value at the last sample.
    pub final_max: f64,
    /// The largest value of any path at any sample.
    pub max_path_lambda_1: f64,
}

/// λ₁(P_i⁻¹H(θ_i)) for every path i of the adaptive ensemble `settings` at the sampled steps of
/// `series` on `run` (its ensemble-mean path), against the optimizer's threshold at `grid`'s step size.
/// Each path gets its own eigensolver, fed its samples in order, so a path's values are computed exactly
/// as the full-batch diagnostic computes those of one run (the same warm starts under Lanczos). `None`
/// without an optimizer, for the sign methods (no P), for an objective without a noise source, and for a
/// run stopped by its time budget (its later paths were never run, and replaying them all could cost
/// far more than the budget).
pub fn ensemble_preconditioned_sharpness(
    objective: &dyn Objective,
    (init, grid, loss_bound): (&[f64], &TimeGrid, f64),
    ensemble: &SgdSettings,
    run: &Trajectory,
    series: &SharpnessSeries,
    settings: &SharpnessSettings,
) -> Option<PreconditionedSharpness> {
    let threshold = ensemble
        .optimizer
        .as_ref()?
        .preconditioned_threshold(grid.step_size)?;
    if matches!(run.termination, crate::trajectory::Termination::TimeLimit { .. }) {
        return None;
    }
    let d = objective.dim();
    let only_top = SharpnessSettings {
        top_k: 1,
        lambda_min: false,
        ..*settings
    };
    let steps: Vec<u64> = series.indices.iter().map(|&i| run.steps[i]).collect();
    let (m, samples) = (ensemble.paths, steps.len());
    let mut per_path = vec![f64::NAN; samples * m];
    let (mut hvps, mut unconverged) = (0u64, 0usize);
    let mut scale = vec![0.0; d];
    let mut solver: Option<(usize, Eigensolver)> = None;
    let replayed = replay_adaptive_paths(
        objective,
        init,
        grid,
        ensemble,
        loss_bound,
        &steps,
        |p, j, theta, pk| {
            // A fresh solver per path: the warm starts of one path's samples do not leak into the next's.
            if solver.as_ref().is_none_or(|(q, _)| *q != p) {
                solver = Some((p, Eigensolver::new(d, only_top)));
            }
            let (_, s) = solver.as_mut().expect("set above");
            for (x, pi) in scale.iter_mut().zip(pk) {
                *x = 1.0 / pi.sqrt();
            }
            let spec = s.scaled_spectrum(objective, theta, &scale);
            hvps += spec.hvps;
            unconverged += usize::from(!spec.converged);
            per_path[j * m + p] = spec.top.first().copied().unwrap_or(f64::NAN);
        },
    );
    if !matches!(replayed, Ok(true)) {
        return None;
    }
    let mut mean = Vec::with_capacity(samples);
    let mut e = EnsemblePreconditioned {
        paths: m,
        alive: Vec::with_capacity(samples),
        std: Vec::with_capacity(samples),
        min: Vec::with_capacity(samples),
        max: Vec::with_capacity(samples),
        per_path: Vec::new(),
        final_std: f64::NAN,
        final_min: f64::NAN,
        final_max: f64::NAN,
        max_path_lambda_1: f64::NAN,
    };
    for row in per_path.chunks(m.max(1)) {
        let live: Vec<f64> = row.iter().copied().filter(|x| !x.is_nan()).collect();
        let n = live.len();
        // Welford's update, in path order as the ensemble's own statistics: equal values give that
        // value and zero spread exactly (a plain sum/n need not: (x + x + x)/3 can miss x by an ulp).
        let (mut mu, mut m2) = (f64::NAN, 0.0);
        for (c, &x) in live.iter().enumerate() {
            if c == 0 {
                mu = x;
            } else {
                let delta = x - mu;
                mu += delta / (c + 1) as f64;
                m2 += delta * (x - mu);
            }
        }
        let var = if n >= 2 { m2 / (n - 1) as f64 } else { f64::NAN };
        mean.push(mu);
        e.alive.push(n);
        e.std.push(var.sqrt());
        e.min.push(live.iter().copied().fold(f64::NAN, f64::min));
        e.max.push(live.iter().copied().fold(f64::NAN, f64::max));
    }
    e.final_std = e.std.last().copied().unwrap_or(f64::NAN);
    e.final_min = e.min.last().copied().unwrap_or(f64::NAN);
    e.final_max = e.max.last().copied().unwrap_or(f64::NAN);
    e.max_path_lambda_1 = e.max.iter().copied().fold(f64::NAN, f64::max);
    e.per_path = per_path;
    let mut s = PreconditionedSharpness::new(threshold, mean, hvps, unconverged);
    s.ensemble = Some(e);
    Some(s)
}
