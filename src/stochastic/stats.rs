//! Ensemble statistics over time, accumulated path by path (Welford's update, in path order, so the
//! result is a function of the paths alone), and the ensemble driver that both SGD and the SME use.

use crate::objective::{norm, Objective};
use crate::trajectory::{Termination, TimeGrid, Trajectory};
use serde::Serialize;
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
    /// The ensemble mean of θ (all d entries), row-major: the method's [`Trajectory`] path.
    #[serde(skip)]
    pub theta_mean: Vec<f64>,
}

/// The stationary estimate: the statistics averaged over the last [`STATIONARY_FRACTION`] of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    param_mean: Vec<f64>,
    param_m2: Vec<f64>,
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
            param_mean: vec![0.0; points * q],
            param_m2: vec![0.0; points * q],
            theta_mean: vec![0.0; points * d],
        }
    }

    fn add(&mut self, j: usize, loss: f64, theta: &[f64]) {
        self.n[j] += 1;
        let n = self.n[j] as f64;
        let welford = |mean: &mut f64, m2: &mut f64, x: f64| {
            let delta = x - *mean;
            *mean += delta / n;
            *m2 += delta * (x - *mean);
        };
        welford(&mut self.loss_mean[j], &mut self.loss_m2[j], loss);
        let (d, q) = (self.d, self.q);
        for (m, x) in self.theta_mean[j * d..(j + 1) * d].iter_mut().zip(theta) {
            *m += (x - *m) / n;
        }
        if q == d {
            for (c, &x) in theta.iter().enumerate() {
                welford(&mut self.param_mean[j * q + c], &mut self.param_m2[j * q + c], x);
            }
        } else {
            welford(&mut self.param_mean[j], &mut self.param_m2[j], norm(theta));
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
pub(crate) fn drive_ensemble<S: PathStep>(
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
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
    for p in 0..paths {
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
    if blown_up == paths && paths > 0 {
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
