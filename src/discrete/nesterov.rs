//! Nesterov's accelerated gradient in Sutskever's form:
//! v_{k+1} = β_k v_k − η∇L(θ_k + β_k v_k), θ_{k+1} = θ_k + v_{k+1}, v_0 = 0.

use super::drive::{drive, Update};
use crate::objective::Objective;
use crate::trajectory::{StepRate, TimeGrid, TimeMap, Trajectory};
use crate::watch::Watch;

/// The momentum coefficients β_k.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NesterovSchedule {
    /// β_k = β for every k (β ∈ [0, 1)); time map t = k·η.
    Constant(f64),
    /// β_k = (k − 1)/(k + 2) for k ≥ 1 (Su, Boyd & Candès 2014, the accelerated method for convex L);
    /// time map t = k·√η, whose limit is X'' + (3/t)X' + ∇L(X) = 0.
    SuBoydCandes,
}

impl NesterovSchedule {
    /// β_k.
    pub fn beta(self, k: u64) -> f64 {
        match self {
            NesterovSchedule::Constant(b) => b,
            // At k = 0 the velocity is zero, so β_0 does not matter; 0 avoids the formula's −1/2.
            NesterovSchedule::SuBoydCandes if k == 0 => 0.0,
            NesterovSchedule::SuBoydCandes => (k as f64 - 1.0) / (k as f64 + 2.0),
        }
    }

    /// The time map under which this schedule has a continuous limit.
    pub fn time_map(self) -> TimeMap {
        match self {
            NesterovSchedule::Constant(_) => TimeMap::Eta,
            NesterovSchedule::SuBoydCandes => TimeMap::SqrtEta,
        }
    }
}

/// The look-ahead update; it evaluates ∇L itself, at θ_k + β_k v_k.
struct NesterovUpdate<'a, O: Objective + ?Sized> {
    objective: &'a O,
    eta: StepRate,
    schedule: NesterovSchedule,
    velocity: Vec<f64>,
    lookahead: Vec<f64>,
    grad: Vec<f64>,
}

impl<O: Objective + ?Sized> Update for NesterovUpdate<'_, O> {
    const USES_GRADIENT: bool = false;

    fn advance(&mut self, k: u64, theta: &[f64], _grad: &[f64], next: &mut [f64]) -> u64 {
        let beta = self.schedule.beta(k);
        let eta = self.eta.at(k);
        for ((y, t), v) in self.lookahead.iter_mut().zip(theta).zip(&self.velocity) {
            *y = t + beta * v;
        }
        self.objective.gradient(&self.lookahead, &mut self.grad);
        for (((n, t), v), g) in next
            .iter_mut()
            .zip(theta)
            .zip(self.velocity.iter_mut())
            .zip(&self.grad)
        {
            *v = beta * *v - eta * g;
            *n = t + *v;
        }
        1
    }
}

/// Runs Nesterov's method with `schedule` from `theta0` over `grid`; the grid's time map should be
/// `schedule.time_map()` (the run does this). Divergence is a result, as for
/// [`super::gradient_descent`]; with constant β, linear stability on a quadratic needs
/// η·λ_max < (2 + 2β)/(1 + 2β).
pub fn nesterov<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    schedule: NesterovSchedule,
    loss_bound: f64,
) -> Trajectory {
    nesterov_watched(objective, theta0, grid, schedule, loss_bound, &Watch::idle())
}

/// [`nesterov`] under `watch` (see [`super::gradient_descent_watched`]).
pub fn nesterov_watched<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    schedule: NesterovSchedule,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    let d = objective.dim();
    let update = NesterovUpdate {
        objective,
        eta: grid.rate(),
        schedule,
        velocity: vec![0.0; d],
        lookahead: vec![0.0; d],
        grad: vec![0.0; d],
    };
    drive(objective, theta0, grid, loss_bound, update, 0, watch)
}
