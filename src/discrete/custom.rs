//! A user's own discrete method: one step from θ_k, ∇L(θ_k) and the method's state, run by the same
//! driver as the built-in methods (recording, divergence, the watch).

use super::drive::{drive, Update};
use crate::objective::Objective;
use crate::trajectory::{StepRate, TimeGrid, TimeMap, Trajectory};
use crate::watch::Watch;

/// A discrete training method θ_{k+1} = step(k, η, θ_k, ∇L(θ_k), state): implement this to run your own
/// method through [`crate::experiment::Experiment`] exactly like a built-in one.
///
/// The driver computes ∇L(θ_k) at every step and passes it in; the method keeps whatever else it needs
/// (a velocity, moment estimates) in `state`, a slice of [`DiscreteMethod::state_len`] numbers that the
/// driver allocates once per run, so that a step need not allocate.
pub trait DiscreteMethod: Send + Sync {
    /// The method's kind, as summary.json and the figures' legends name it (`clipped_gd`).
    fn name(&self) -> &str;

    /// How step k maps to time (t = k·η unless the method says otherwise).
    fn time_map(&self) -> TimeMap {
        TimeMap::Eta
    }

    /// The linear stability threshold on the sharpness λ_max at step size `eta` (GD: 2/η), drawn in the
    /// sharpness figure and used by the edge-of-stability diagnostics; `None` when there is none.
    fn stability_threshold(&self, eta: f64) -> Option<f64>;

    /// The method's settings, as summary.json records them (an object; empty by default).
    fn settings(&self) -> serde_json::Value {
        serde_json::Value::Object(Default::default())
    }

    /// The length of the method's state for `dim` parameters (0 by default: a memoryless method).
    fn state_len(&self, dim: usize) -> usize {
        let _ = dim;
        0
    }

    /// Sets the state before the first step from θ₀ (by default it stays all zeros).
    fn init_state(&self, theta0: &[f64], state: &mut [f64]) {
        let _ = (theta0, state);
    }

    /// Writes θ_{k+1} into `next` from step `k`, the step size `eta`, θ_k = `theta`, its gradient `grad`
    /// and the method's `state` (which it updates in place).
    fn step(&self, k: u64, eta: f64, theta: &[f64], grad: &[f64], state: &mut [f64], next: &mut [f64]);
}

/// A [`DiscreteMethod`] as the driver's update rule.
struct UserUpdate<'a> {
    method: &'a dyn DiscreteMethod,
    eta: StepRate,
    state: Vec<f64>,
}

impl Update for UserUpdate<'_> {
    const USES_GRADIENT: bool = true;

    fn advance(&mut self, k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) -> u64 {
        self.method
            .step(k, self.eta.at(k), theta, grad, &mut self.state, next);
        0
    }
}

/// Runs a user's `method` from `theta0` over `grid` (already on the method's time map) under `watch`,
/// through the driver every built-in discrete method uses: divergence past `loss_bound` or to non-finite
/// values ends the run with [`crate::Termination::Diverged`], a spent budget with
/// [`crate::Termination::TimeLimit`].
pub fn run_discrete_method<O: Objective + ?Sized>(
    method: &dyn DiscreteMethod,
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    let mut state = vec![0.0; method.state_len(objective.dim())];
    method.init_state(theta0, &mut state);
    let update = UserUpdate {
        method,
        eta: grid.rate(),
        state,
    };
    drive(objective, theta0, grid, loss_bound, update, 0, watch)
}
