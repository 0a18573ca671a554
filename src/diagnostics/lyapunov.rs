//! Finite-time Lyapunov exponent: the growth rate of a small perturbation of the initial point,
//! Λ(t) = ln(‖θ̃(t) − θ(t)‖ / ‖θ̃(0) − θ(0)‖) / t, measured by running the method a second time from
//! θ0 + δ·u (u = (1, …, 1)/√d). For GD on ½λx² this is ln|1 − ηλ|/η at every t, for the flow −λ.

use crate::method::run_method;
use crate::method::MethodKind;
use crate::objective::{norm, Objective};
use crate::trajectory::{TimeGrid, Trajectory};
use serde::Serialize;

/// `[diagnostics.lyapunov]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LyapunovSettings {
    /// δ relative to the start: the perturbation has length `perturbation·max(1, ‖θ0‖)`.
    pub perturbation: f64,
}

impl Default for LyapunovSettings {
    fn default() -> Self {
        LyapunovSettings { perturbation: 1e-7 }
    }
}

/// The finite-time Lyapunov exponent of one method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lyapunov {
    /// ‖θ̃(0) − θ(0)‖.
    pub initial_separation: f64,
    /// The last time both runs reached.
    pub t: f64,
    /// ‖θ̃(t) − θ(t)‖ at that time.
    pub final_separation: f64,
    /// Λ(t) = ln(final/initial separation)/t.
    pub exponent: f64,
    /// The largest separation seen; when it is no longer small against the state, Λ measures the
    /// nonlinear spread of the two runs, not the linearised growth.
    pub max_separation: f64,
    /// Λ at each recorded time (t > 0), for figures and CSVs.
    #[serde(skip)]
    pub series: Vec<(f64, f64)>,
}

/// Runs `kind` again from the perturbed start and measures the separation from `base`.
pub fn lyapunov(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    base: &Trajectory,
    settings: &LyapunovSettings,
) -> Lyapunov {
    let d = theta0.len();
    let delta = settings.perturbation * norm(theta0).max(1.0);
    let step = delta / (d as f64).sqrt();
    let start: Vec<f64> = theta0.iter().map(|x| x + step).collect();
    // The separation actually realised in floating point (θ0 + δu rounds).
    let initial: f64 = norm(&start.iter().zip(theta0).map(|(a, b)| a - b).collect::<Vec<_>>());
    let other = run_method(kind, objective, &start, grid, loss_bound);
    let n = base.len().min(other.len());
    let mut series = Vec::with_capacity(n);
    let (mut t_last, mut sep_last, mut max_sep) = (0.0, initial, initial);
    for i in 0..n {
        let sep = base
            .state(i)
            .iter()
            .zip(other.state(i))
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        let t = base.times[i];
        if !sep.is_finite() {
            break;
        }
        max_sep = max_sep.max(sep);
        if t > 0.0 {
            series.push((t, (sep / initial).ln() / t));
            t_last = t;
            sep_last = sep;
        }
    }
    Lyapunov {
        initial_separation: initial,
        t: t_last,
        final_separation: sep_last,
        exponent: series.last().map_or(f64::NAN, |s| s.1),
        max_separation: max_sep,
        series,
    }
}
