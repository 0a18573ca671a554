//! Ensemble statistics over time, accumulated path by path (Welford's update, in path order, so the
//! result is a function of the paths alone), and the ensemble driver that both SGD and the SME use.

use crate::objective::{norm, Objective};
use crate::trajectory::{Termination, TimeGrid, Trajectory};
use crate::watch::Watch;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Up to this dimension the ensemble statistics keep the mean and variance of every parameter; above it,
/// of the parameter norm ‖θ‖ only.
pub const MAX_PARAM_STATS: usize = 8;

/// The stationary estimate averages the statistics over this last fraction of the recorded points.
pub const STATIONARY_FRACTION: f64 = 0.25;

/// Mean and variance over the paths of an ensemble at every recorded time. Paths that blew up leave the
/// statistics from their blow-up time on (`alive` counts the paths behind each point).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnsembleStats {
    /// The number of paths M.
    pub paths: usize,
    /// Paths that blew up (non-finite state or |loss| above the divergence bound) before the horizon.
    pub blown_up: usize,
    /// The earliest blow-up time, if any path blew up.
    pub first_blow_up: Option<f64>,
    /// Names of the parameter statistics: `theta_0..theta_{d-1}` when d ≤ [`MAX_PARAM_STATS`], else
    /// `theta_norm` (‖θ‖).
    pub param_names: Vec<String>,
    /// Step index of each recorded point.
    #[serde(skip)]
    pub steps: Vec<u64>,
    /// Time of each recorded point.
    #[serde(skip)]
    pub times: Vec<f64>,
    /// Paths still alive at each point.
    #[serde(skip)]
    pub alive: Vec<usize>,
    /// Ensemble mean of L(θ) at each point.
    #[serde(skip)]
    pub loss_mean: Vec<f64>,
    /// Ensemble variance (unbiased, divisor M − 1) of L(θ) at each point.
    #[serde(skip)]
    pub loss_var: Vec<f64>,
    /// Mean of each parameter statistic, row-major (point i is `[i*q..(i+1)*q]`, q = `param_names.len()`).
    #[serde(skip)]
    pub param_mean: Vec<f64>,
    /// Variance of each parameter statistic, row-major like `param_mean`.
    #[serde(skip)]
    pub param_var: Vec<f64>,
    /// Central fourth moment (divisor n, the live paths) of L(θ) at each point, for the standard error of
    /// `loss_var` ([`EnsembleStats::se_var_m4`]).
    #[serde(skip)]
    pub loss_m4: Vec<f64>,
    /// Central fourth moment (divisor n) of each parameter statistic, row-major like `param_mean`.
    #[serde(skip)]
    pub param_m4: Vec<f64>,
    /// The ensemble mean of θ (all d entries), row-major: the method's [`Trajectory`] path.
    #[serde(skip)]
    pub theta_mean: Vec<f64>,
}

/// The stationary estimate: the statistics averaged over the last [`STATIONARY_FRACTION`] of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stationary {
    /// First time in the averaging window.
    pub window_start: f64,
    /// Last time in the window.
    pub window_end: f64,
    /// Recorded points averaged.
    pub points: usize,
    /// Time-averaged ensemble mean of the loss.
    pub loss_mean: f64,
    /// Time-averaged ensemble variance of the loss.
    pub loss_var: f64,
    /// Time-averaged ensemble mean of each parameter statistic.
    pub param_mean: Vec<f64>,
    /// Time-averaged ensemble variance of each parameter statistic.
    pub param_var: Vec<f64>,
}

impl EnsembleStats {
    /// The number of parameter statistics q.
    pub fn q(&self) -> usize {
        self.param_names.len()
    }

    /// The number of recorded points.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Monte Carlo standard error of the ensemble mean of a quantity with variance `var` at point i:
    /// √(var/n).
    pub fn se_mean(&self, var: f64, i: usize) -> f64 {
        (var / self.alive[i] as f64).sqrt()
    }

    /// Monte Carlo standard error of a sample variance `var` at point i, Gaussian approximation
    /// var·√(2/(n − 1)) (exact in law for SGD and the SME on a quadratic with Gaussian noise).
    pub fn se_var(&self, var: f64, i: usize) -> f64 {
        var * (2.0 / (self.alive[i] as f64 - 1.0)).sqrt()
    }

    /// Monte Carlo standard error of a sample variance `var` at point i from the sample's central fourth
    /// moment `m4`: √(max(m4 − var², 0)/n), the leading term of Var\[s²\] = (μ₄ − σ⁴)/n + O(1/n²), right
    /// for any distribution with a finite fourth moment (the Gaussian form is the case μ₄ = 3σ⁴).
    pub fn se_var_m4(&self, var: f64, m4: f64, i: usize) -> f64 {
        ((m4 - var * var).max(0.0) / self.alive[i] as f64).sqrt()
    }

    /// The stationary estimate over the last [`STATIONARY_FRACTION`] of the recorded points (points with
    /// fewer than two live paths are skipped); `None` when no point qualifies.
    pub fn stationary(&self) -> Option<Stationary> {
        let n = self.len();
        let start = ((n as f64) * (1.0 - STATIONARY_FRACTION)).floor() as usize;
        let q = self.q();
        let idx: Vec<usize> = (start.min(n.saturating_sub(1))..n)
            .filter(|&i| self.alive[i] >= 2)
            .collect();
        let (first, last) = (*idx.first()?, *idx.last()?);
        let avg = |f: &dyn Fn(usize) -> f64| idx.iter().map(|&i| f(i)).sum::<f64>() / idx.len() as f64;
        Some(Stationary {
            window_start: self.times[first],
            window_end: self.times[last],
            points: idx.len(),
            loss_mean: avg(&|i| self.loss_mean[i]),
            loss_var: avg(&|i| self.loss_var[i]),
            param_mean: (0..q).map(|c| avg(&|i| self.param_mean[i * q + c])).collect(),
            param_var: (0..q).map(|c| avg(&|i| self.param_var[i * q + c])).collect(),
        })
    }
}

/// Welford accumulators per recorded point.
struct Accumulator {
    d: usize,
    q: usize,
    n: Vec<usize>,
    loss_mean: Vec<f64>,
    loss_m2: Vec<f64>,
    /// Σ(x − x̄)³ and Σ(x − x̄)⁴, updated alongside (Pébay 2008) without touching the mean and m2 bits.
    loss_m3: Vec<f64>,
    loss_m4: Vec<f64>,
    param_mean: Vec<f64>,
    param_m2: Vec<f64>,
    param_m3: Vec<f64>,
    param_m4: Vec<f64>,
    theta_mean: Vec<f64>,
}

impl Accumulator {
    fn new(d: usize, points: usize) -> Self {
        let q = if d <= MAX_PARAM_STATS { d } else { 1 };
        Accumulator {
            d,
            q,
            n: vec![0; points],
            loss_mean: vec![0.0; points],
            loss_m2: vec![0.0; points],
            loss_m3: vec![0.0; points],
            loss_m4: vec![0.0; points],
            param_mean: vec![0.0; points * q],
            param_m2: vec![0.0; points * q],
            param_m3: vec![0.0; points * q],
            param_m4: vec![0.0; points * q],
            theta_mean: vec![0.0; points * d],
        }
    }

    fn add(&mut self, j: usize, loss: f64, theta: &[f64]) {
        self.n[j] += 1;
        let n = self.n[j] as f64;
        // The higher moments first, from the old mean and m2 (Pébay's update); then the mean and m2 by
        // Welford's update exactly as before, so their bits do not depend on the higher moments.
        let welford = |mean: &mut f64, m2: &mut f64, m3: &mut f64, m4: &mut f64, x: f64| {
            let delta = x - *mean;
            let dn = delta / n;
            let dn2 = dn * dn;
            let term = delta * dn * (n - 1.0);
            *m4 += term * dn2 * (n * n - 3.0 * n + 3.0) + 6.0 * dn2 * *m2 - 4.0 * dn * *m3;
            *m3 += term * dn * (n - 2.0) - 3.0 * dn * *m2;
            *mean += delta / n;
            *m2 += delta * (x - *mean);
        };
        welford(
            &mut self.loss_mean[j],
            &mut self.loss_m2[j],
            &mut self.loss_m3[j],
            &mut self.loss_m4[j],
            loss,
        );
        let (d, q) = (self.d, self.q);
        for (m, x) in self.theta_mean[j * d..(j + 1) * d].iter_mut().zip(theta) {
            *m += (x - *m) / n;
        }
        if q == d {
            for (c, &x) in theta.iter().enumerate() {
                let i = j * q + c;
                welford(
                    &mut self.param_mean[i],
                    &mut self.param_m2[i],
                    &mut self.param_m3[i],
                    &mut self.param_m4[i],
                    x,
                );
            }
        } else {
            welford(
                &mut self.param_mean[j],
                &mut self.param_m2[j],
                &mut self.param_m3[j],
                &mut self.param_m4[j],
                norm(theta),
            );
        }
    }
}

/// One path's dynamics: advances θ by one step of η in place, returning the gradient evaluations made.
pub(crate) trait PathStep {
    fn step(&mut self, k: u64, theta: &mut [f64]) -> u64;
}

/// Runs `paths` paths from `theta0` over `grid`, path p built by `make(p)`, and returns the ensemble-mean
/// trajectory (mean θ, mean loss, ‖∇L(mean θ)‖) and the statistics.
///
/// A path blows up when θ turns non-finite after a step, or when a recorded |L(θ)| exceeds `loss_bound`;
/// it then stops and leaves the statistics. The trajectory is [`Termination::Completed`] while at least one
/// path reaches the horizon, else [`Termination::Diverged`] at the last blow-up.
///
/// Every [`Watch::interval`] steps it looks at the watch (never at an idle one); once the budget is spent
/// the ensemble stops there with [`Termination::TimeLimit`], keeping what was recorded.
pub(crate) fn drive_ensemble<S: PathStep>(
    objective: &dyn Objective,
    (theta0, grid, loss_bound, watch): (&[f64], &TimeGrid, f64, &Watch),
    paths: usize,
    mut make: impl FnMut(usize) -> S,
) -> (Trajectory, EnsembleStats) {
    let started = Instant::now();
    let d = objective.dim();
    let points = grid.intervals() as usize + 1;
    let mut acc = Accumulator::new(d, points);
    let mut theta = vec![0.0; d];
    let mut evals = 0u64;
    let mut blown_up = 0usize;
    let mut first_blow_up: Option<f64> = None;
    let mut last_blow_up = (0u64, String::new());
    let mut until_look = watch.interval();
    for p in 0..paths {
        if watch.is_spent() {
            break;
        }
        let mut stepper = make(p);
        theta.copy_from_slice(theta0);
        let mut blow = |k: u64, reason: String| {
            let t = grid.time_of_step(k);
            first_blow_up = Some(first_blow_up.map_or(t, |f: f64| f.min(t)));
            if k >= last_blow_up.0 {
                last_blow_up = (k, reason);
            }
        };
        let mut k = 0u64;
        let completed = loop {
            if k % grid.record_every == 0 {
                let loss = objective.loss(&theta);
                // A NaN loss is caught too: NaN ≤ bound is false.
                let within = loss.abs() <= loss_bound;
                if !within {
                    blow(
                        k,
                        format!(
                            "|loss| = {:.3e} exceeded the divergence bound {loss_bound:.3e}",
                            loss.abs()
                        ),
                    );
                    break false;
                }
                acc.add((k / grid.record_every) as usize, loss, &theta);
            }
            if k == grid.steps {
                break true;
            }
            until_look -= 1;
            if until_look == 0 {
                if watch.expired(grid.time_of_step(k), Some((p, paths))) {
                    break true;
                }
                until_look = watch.interval();
            }
            evals += stepper.step(k, &mut theta);
            k += 1;
            if !theta.iter().all(|x| x.is_finite()) {
                blow(k, "parameters became non-finite".to_string());
                break false;
            }
        };
        blown_up += usize::from(!completed);
    }
    let q = acc.q;
    let live = acc.n.iter().take_while(|&&n| n > 0).count();
    let var = |m2: f64, n: usize| if n >= 2 { m2 / (n - 1) as f64 } else { f64::NAN };
    let steps: Vec<u64> = (0..live as u64).map(|j| grid.step_of(j)).collect();
    let stats = EnsembleStats {
        paths,
        blown_up,
        first_blow_up,
        param_names: if q == d {
            (0..d).map(|i| format!("theta_{i}")).collect()
        } else {
            vec!["theta_norm".to_string()]
        },
        times: steps.iter().map(|&k| grid.time_of_step(k)).collect(),
        steps,
        alive: acc.n[..live].to_vec(),
        loss_mean: acc.loss_mean[..live].to_vec(),
        loss_var: (0..live).map(|j| var(acc.loss_m2[j], acc.n[j])).collect(),
        param_mean: acc.param_mean[..live * q].to_vec(),
        param_var: (0..live * q)
            .map(|i| var(acc.param_m2[i], acc.n[i / q]))
            .collect(),
        loss_m4: (0..live).map(|j| acc.loss_m4[j] / acc.n[j] as f64).collect(),
        param_m4: (0..live * q)
            .map(|i| acc.param_m4[i] / acc.n[i / q] as f64)
            .collect(),
        theta_mean: acc.theta_mean[..live * d].to_vec(),
    };
    let mut traj = Trajectory::with_capacity(d, live);
    let mut grad = vec![0.0; d];
    for j in 0..live {
        let mean = &stats.theta_mean[j * d..(j + 1) * d];
        objective.gradient(mean, &mut grad);
        traj.push(
            stats.steps[j],
            stats.times[j],
            mean,
            stats.loss_mean[j],
            norm(&grad),
            &[],
        );
    }
    if let Some(limit) = watch.termination() {
        traj.termination = limit;
    } else if blown_up == paths && paths > 0 {
        let (k, reason) = last_blow_up;
        traj.termination = Termination::Diverged {
            step: k,
            t: grid.time_of_step(k),
            reason: format!("all {paths} paths blew up; the last at step {k}: {reason}"),
        };
    }
    traj.stats.grad_evals = evals;
    traj.stats.accepted_steps = grid.steps;
    traj.stats.wall_seconds = started.elapsed().as_secs_f64();
    (traj, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Quadratic;
    use nalgebra::DMatrix;

    /// Path p jumps to X[p] on its first step and stays there.
    const X: [f64; 5] = [0.0, 1.0, 2.0, 3.0, 6.0];

    struct Jump(f64);

    impl PathStep for Jump {
        fn step(&mut self, _k: u64, theta: &mut [f64]) -> u64 {
            theta[0] = self.0;
            1
        }
    }

    /// The statistics and their standard errors match the formulas on a hand-computed ensemble.
    #[test]
    fn standard_errors_of_a_mean_and_a_variance_match_the_formulas() {
        // L(θ) = ½θ², so the losses are ½X² = [0, 0.5, 2, 4.5, 18].
        let objective = Quadratic::new(DMatrix::from_element(1, 1, 1.0), vec![0.0]);
        let grid = TimeGrid::new(0.1, 1, 1);
        let idle = Watch::idle();
        let (_, e) = drive_ensemble(&objective, (&[0.0], &grid, 1e9, &idle), X.len(), |p| Jump(X[p]));
        assert_eq!(e.alive[1], 5);
        // A 1-D ensemble's statistics are named after θ's one coordinate (the ensemble CSV's and golden
        // file's columns).
        let columns: Vec<String> = e
            .param_names
            .iter()
            .flat_map(|p| [format!("{p}_mean"), format!("{p}_var")])
            .collect();
        assert_eq!(columns, ["theta_0_mean", "theta_0_var"]);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        // θ: mean 12/5 = 2.4; deviations −2.4, −1.4, −0.4, 0.6, 3.6; Σd² = 21.2, s² = 21.2/4 = 5.3;
        // Σd⁴ = 205.136, m4 = 41.0272.
        assert!(close(e.param_mean[1], 2.4));
        assert!(close(e.param_var[1], 5.3));
        assert!(close(e.param_m4[1], 41.0272));
        assert!(close(e.se_mean(e.param_var[1], 1), (5.3f64 / 5.0).sqrt()));
        assert!(close(
            e.se_var_m4(e.param_var[1], e.param_m4[1], 1),
            ((41.0272 - 5.3 * 5.3) / 5.0f64).sqrt()
        ));
        // Loss: mean 25/5 = 5; deviations −5, −4.5, −3, −0.5, 13; Σd² = 223.5, s² = 55.875;
        // Σd⁴ = 29677.125, m4 = 5935.425.
        assert!(close(e.loss_mean[1], 5.0));
        assert!(close(e.loss_var[1], 55.875));
        assert!(close(e.loss_m4[1], 5935.425));
        assert!(close(e.se_mean(e.loss_var[1], 1), (55.875f64 / 5.0).sqrt()));
        assert!(close(
            e.se_var_m4(e.loss_var[1], e.loss_m4[1], 1),
            ((5935.425 - 55.875 * 55.875) / 5.0f64).sqrt()
        ));
        // At t = 0 every path sits at θ₀: zero variance and fourth moment.
        assert_eq!(
            (e.param_var[0], e.param_m4[0], e.loss_var[0], e.loss_m4[0]),
            (0.0, 0.0, 0.0, 0.0)
        );
    }
}
