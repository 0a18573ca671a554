//! The one record every method produces, discrete or continuous: sampled times, states, losses,
//! and why the method stopped.

use crate::schedule::{ScheduledAxis, StepSizes};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How a method's step index k maps onto the continuous time axis: t_k = k·unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeMap {
    /// t = k·η: GD, heavy ball, constant-β Nesterov and their flows.
    #[default]
    Eta,
    /// t = k·√η: Nesterov with the Su–Boyd–Candès schedule and its ODE X'' + (3/t)X' + ∇L = 0.
    SqrtEta,
}

impl TimeMap {
    /// The time unit for step size η.
    pub fn unit(self, step_size: f64) -> f64 {
        match self {
            TimeMap::Eta => step_size,
            TimeMap::SqrtEta => step_size.sqrt(),
        }
    }

    /// The map as a formula, for summaries: `k*eta` or `k*sqrt(eta)`.
    pub fn formula(self) -> &'static str {
        match self {
            TimeMap::Eta => "k*eta",
            TimeMap::SqrtEta => "k*sqrt(eta)",
        }
    }
}

/// The time axis of a method: step k sits at t_k = k·unit, unit = η or √η by the method's [`TimeMap`]
/// (computed as a product, never by summation); the trajectory keeps every `record_every`-th step.
/// With a learning-rate schedule (t = k·η methods only) step k sits at t_k = Σ_{j<k} η_j instead, each an
/// exact sum rounded once ([`crate::schedule`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeGrid {
    /// η, the discrete step.
    pub step_size: f64,
    /// The horizon in steps: t_end = steps·unit.
    pub steps: u64,
    /// Keep every `record_every`-th step (a divisor of `steps`).
    pub record_every: u64,
    /// How steps map to time (t = k·η unless a method says otherwise).
    #[serde(default)]
    pub time_map: TimeMap,
    /// The learning-rate schedule and its summed time axis; `None` for a constant η (the product axis).
    #[serde(skip)]
    pub schedule: Option<Arc<ScheduledAxis>>,
}

impl TimeGrid {
    /// A grid with the usual map t = k·η.
    pub fn new(step_size: f64, steps: u64, record_every: u64) -> Self {
        TimeGrid {
            step_size,
            steps,
            record_every,
            time_map: TimeMap::Eta,
            schedule: None,
        }
    }

    /// The same grid with step k of size η_k = `sizes.at(k)` and t_k = Σ_{j<k} η_j. A constant schedule
    /// leaves the grid as it is (its summed axis is the product axis bit for bit). Fails when some η_k
    /// is not positive and finite or the axis overflows.
    pub fn with_schedule(self, sizes: StepSizes) -> Result<Self, String> {
        if sizes.schedule == crate::schedule::Schedule::Constant {
            return Ok(self);
        }
        let axis = ScheduledAxis::new(sizes, self.record_every)?;
        Ok(TimeGrid {
            schedule: Some(Arc::new(axis)),
            ..self
        })
    }

    /// η_k, the size of step k (η without a schedule).
    #[inline]
    pub fn step_size_at(&self, k: u64) -> f64 {
        match &self.schedule {
            None => self.step_size,
            Some(axis) => axis.sizes.at(k),
        }
    }

    /// The step sizes as a value an update rule can carry.
    pub fn rate(&self) -> StepRate {
        match &self.schedule {
            None => StepRate::Constant(self.step_size),
            Some(axis) => StepRate::Scheduled(axis.sizes.clone()),
        }
    }

    /// The same steps on another time map (a method's own).
    pub fn with_time_map(&self, time_map: TimeMap) -> Self {
        TimeGrid {
            time_map,
            ..self.clone()
        }
    }

    /// The time unit: η or √η.
    pub fn unit(&self) -> f64 {
        self.time_map.unit(self.step_size)
    }

    /// The number of recorded intervals N = steps / record_every (N + 1 points, the first at t = 0).
    pub fn intervals(&self) -> u64 {
        self.steps / self.record_every
    }

    /// The step index of the j-th recorded point.
    pub fn step_of(&self, j: u64) -> u64 {
        j * self.record_every
    }

    /// t_k = k·unit, or Σ_{j<k} η_j with a schedule.
    pub fn time_of_step(&self, k: u64) -> f64 {
        match &self.schedule {
            None => k as f64 * self.unit(),
            Some(axis) => axis.time_of_step(k),
        }
    }

    /// The spacing Δ = record_every·unit between recorded points (without a schedule; with one the
    /// spacing varies and the solver steps segment by segment).
    pub fn spacing(&self) -> f64 {
        self.record_every as f64 * self.unit()
    }

    /// t_end = steps·unit (Σ η_k with a schedule).
    pub fn t_end(&self) -> f64 {
        self.time_of_step(self.steps)
    }
}

/// The step sizes an update rule reads per step: η, or a schedule's η_k.
#[derive(Debug, Clone, PartialEq)]
pub enum StepRate {
    /// η at every step.
    Constant(f64),
    /// η_k from a schedule.
    Scheduled(StepSizes),
}

impl StepRate {
    /// η_k.
    #[inline]
    pub fn at(&self, k: u64) -> f64 {
        match self {
            StepRate::Constant(eta) => *eta,
            StepRate::Scheduled(sizes) => sizes.at(k),
        }
    }
}

/// Why an ODE solver stopped before the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolverFailure {
    /// The adaptive step shrank below what floating point can resolve.
    StepSizeUnderflow,
    /// The solver needed more steps than `max_steps` allows.
    MaxStepsReached,
    /// The solver's stiffness test fired; an explicit method is the wrong tool here.
    StiffnessDetected,
    /// rtol is at or below 10·ε (≈ 2.2e-15), which no f64 computation can meet (Hairer's DOP853 refuses
    /// it too); the solver is not started.
    ToleranceUnreachable,
    /// The adaptive solver's pace over its last 1000 attempts could not reach the horizon within the
    /// attempts left in `max_steps` (the pace guard of `continuous::solve`): usually a non-smooth vector
    /// field (a ReLU network's gradient jumps) under a tight rtol.
    Stalled,
    /// The central flow's complementarity problem had no answer: an eigenvalue past the edge with no
    /// third derivative to bring it back (∇S = 0), or non-finite data.
    ComplementarityInfeasible,
}

impl SolverFailure {
    /// What a user can do about it.
    pub fn advice(self) -> &'static str {
        match self {
            SolverFailure::StepSizeUnderflow => {
                "the solution may blow up in finite time, or rtol/atol are below what f64 can reach; loosen them or shorten the horizon"
            }
            SolverFailure::MaxStepsReached => "raise the method's `max_steps`, loosen rtol, or shorten the horizon",
            SolverFailure::StiffnessDetected => {
                "the flow is stiff here; loosen rtol, or use `rk4` with a small `dt`"
            }
            SolverFailure::Stalled => {
                "at the pace of its last 1000 attempts the solver would run out of `max_steps` before the horizon; the vector field is likely non-smooth (ReLU, abs, hinge: a tight rtol makes the solver crawl across the gradient's jumps): use `solver = \"dopri5\"` with `rtol = 1e-6`, `atol = 1e-8`, or raise `max_steps`"
            }
            SolverFailure::ComplementarityInfeasible => {
                "no covariance Σ ⪰ 0 holds the critical eigenvalues at 2/η here (the sharpness does not depend on w along its eigenvector); lower `candidate_fraction` or check the objective's third derivatives"
            }
            SolverFailure::ToleranceUnreachable => {
                "rtol must be above 10·ε ≈ 2.2e-15 for f64 to meet it; use 1e-14 or looser"
            }
        }
    }
}

/// How a method's run ended. A divergence or a solver failure is a result, not an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "status", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Termination {
    /// The method reached the horizon.
    Completed,
    /// The state or loss became non-finite or exceeded the divergence bound.
    Diverged {
        /// The step index (t = step·η) at which divergence was detected.
        step: u64,
        /// Its time.
        t: f64,
        /// What was seen.
        reason: String,
    },
    /// The ODE solver could not continue.
    SolverFailed {
        /// The named failure.
        failure: SolverFailure,
        /// The time the solver had reached.
        t: f64,
        /// What to change.
        advice: String,
    },
    /// The method used up its wall-time budget (`--max-time`) before the horizon; the points recorded
    /// until then are kept.
    TimeLimit {
        /// The time the method had reached (for an ensemble, the path running when time ran out).
        t: f64,
        /// The budget, in seconds of wall time.
        limit_seconds: f64,
    },
}

impl Termination {
    /// A short name: `completed`, `diverged`, `solver_failed` or `time_limit`.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// True unless the method reached the horizon.
    pub fn stopped_early(&self) -> bool {
        !matches!(self, Termination::Completed)
    }
}

/// Work done by a method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Evaluations of ∇L (or of the vector field) made by the method's dynamics.
    pub grad_evals: u64,
    /// Accepted solver steps (continuous methods; the step count for discrete ones).
    pub accepted_steps: u64,
    /// Rejected solver steps (adaptive solvers only).
    pub rejected_steps: u64,
    /// The method's own wall time in seconds.
    pub wall_seconds: f64,
    /// Hessian-vector products made by the method's dynamics (the central flow's eigenvectors and third
    /// derivatives; 0 for the others).
    #[serde(default)]
    pub hvps: u64,
}

/// A sampled path θ(t) with its losses. States are stored row-major: point i is
/// `states[i*dim .. (i+1)*dim]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// The parameter dimension d.
    pub dim: usize,
    /// Step index k of each point (t = k·η on the shared axis).
    pub steps: Vec<u64>,
    /// Time of each point.
    pub times: Vec<f64>,
    /// Flattened states.
    pub states: Vec<f64>,
    /// L(θ) at each point.
    pub losses: Vec<f64>,
    /// ‖∇L(θ)‖ at each point.
    pub grad_norms: Vec<f64>,
    /// Names of the conserved quantities recorded (see [`crate::objective::Objective::conserved`]).
    pub conserved_names: Vec<String>,
    /// Their values, row-major: point i is `conserved[i*c .. (i+1)*c]`, c = `conserved_names.len()`.
    pub conserved: Vec<f64>,
    /// How the run ended.
    pub termination: Termination,
    /// Work done.
    pub stats: RunStats,
    /// The diagonal preconditioner P at each point, row-major like `states`, for the continuous models
    /// that carry one ([`crate::continuous::VectorField::preconditioner`]); empty for every other run.
    pub preconditioners: Vec<f64>,
}

impl Trajectory {
    /// An empty trajectory with room for `capacity` points, so that recording never reallocates.
    pub fn with_capacity(dim: usize, capacity: usize) -> Self {
        Self::with_conserved(dim, capacity, Vec::new())
    }

    /// An empty trajectory that also records the named conserved quantities at every point.
    pub fn with_conserved(dim: usize, capacity: usize, conserved_names: Vec<String>) -> Self {
        let c = conserved_names.len();
        Trajectory {
            dim,
            steps: Vec::with_capacity(capacity),
            times: Vec::with_capacity(capacity),
            states: Vec::with_capacity(capacity * dim),
            losses: Vec::with_capacity(capacity),
            grad_norms: Vec::with_capacity(capacity),
            conserved_names,
            conserved: Vec::with_capacity(capacity * c),
            termination: Termination::Completed,
            stats: RunStats::default(),
            preconditioners: Vec::new(),
        }
    }

    /// Appends one point (`conserved` holds the conserved quantities' values, empty when none are
    /// recorded).
    pub fn push(&mut self, step: u64, t: f64, theta: &[f64], loss: f64, grad_norm: f64, conserved: &[f64]) {
        debug_assert_eq!(conserved.len(), self.conserved_names.len());
        self.conserved.extend_from_slice(conserved);
        self.steps.push(step);
        self.times.push(t);
        self.states.extend_from_slice(theta);
        self.losses.push(loss);
        self.grad_norms.push(grad_norm);
    }

    /// Drops every point from index `len` on.
    pub fn truncate(&mut self, len: usize) {
        self.steps.truncate(len);
        self.times.truncate(len);
        self.states.truncate(len * self.dim);
        self.losses.truncate(len);
        self.grad_norms.truncate(len);
        self.conserved.truncate(len * self.conserved_names.len());
        if !self.preconditioners.is_empty() {
            self.preconditioners.truncate(len * self.dim);
        }
    }

    /// The conserved quantities at point i.
    pub fn conserved_at(&self, i: usize) -> &[f64] {
        let c = self.conserved_names.len();
        &self.conserved[i * c..(i + 1) * c]
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when no point was recorded.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The i-th state.
    pub fn state(&self, i: usize) -> &[f64] {
        &self.states[i * self.dim..(i + 1) * self.dim]
    }

    /// The last state, if any.
    pub fn last_state(&self) -> Option<&[f64]> {
        (!self.is_empty()).then(|| self.state(self.len() - 1))
    }

    /// The time of the last point (0 when empty).
    pub fn t_end(&self) -> f64 {
        self.times.last().copied().unwrap_or(0.0)
    }

    /// The last loss (NaN when empty).
    pub fn final_loss(&self) -> f64 {
        self.losses.last().copied().unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::{SolverFailure, Termination, TimeGrid, TimeMap};

    #[test]
    fn termination_names_are_the_serde_status_tags() {
        let all = [
            Termination::Completed,
            Termination::Diverged {
                step: 3,
                t: 0.3,
                reason: "inf".into(),
            },
            Termination::SolverFailed {
                failure: SolverFailure::StepSizeUnderflow,
                t: 1.0,
                advice: String::new(),
            },
            Termination::TimeLimit {
                t: 2.0,
                limit_seconds: 1.0,
            },
        ];
        let names: Vec<&str> = all.iter().map(Termination::name).collect();
        assert_eq!(names, ["completed", "diverged", "solver_failed", "time_limit"]);
        for t in &all {
            assert_eq!(serde_json::to_value(t).unwrap()["status"], t.name());
        }
    }

    #[test]
    fn times_are_products_of_the_step_index_and_the_unit() {
        let g = TimeGrid::new(0.01, 1000, 10);
        assert_eq!(g.unit(), 0.01);
        assert_eq!(g.time_of_step(7), 7.0 * 0.01);
        assert_eq!(g.spacing(), 10.0 * 0.01);
        let s = g.with_time_map(TimeMap::SqrtEta);
        assert_eq!((s.step_size, s.steps, s.record_every), (0.01, 1000, 10));
        assert_eq!(s.unit(), 0.1);
        assert_eq!(s.time_of_step(7), 7.0 * 0.1);
        assert_eq!(s.t_end(), 1000.0 * 0.1);
        assert_eq!(s.spacing(), 10.0 * 0.1);
    }
}
