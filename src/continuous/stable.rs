//! Self-stabilization's constrained trajectory (Damian, Nichani & Lee, "Self-stabilization: the implicit
//! bias of gradient descent at the edge of stability", ICLR 2023): gradient flow projected onto the stable
//! set M = {S(w) ≤ 2/η, ∇L(w)·u(w) = 0}, S = λ₁(H) and u its unit eigenvector, on t = k·η.
//!
//! While S is below the edge the model is gradient flow. At the edge the velocity is
//!
//! dw/dt = −∇L − μ₁ n₁ − μ₂ n₂,   n₁ = ∇S = D³L[u, u, ·],   n₂ = S·u,
//!
//! with (μ₁, μ₂) chosen so that dS/dt = n₁·w' = κ(2/η − S) and d(∇L·u)/dt ≈ n₂·w' = −κ ∇L·u: the two
//! constraints are held the way the central flow holds its own (Baumgarte relaxation at rate κ, so drift
//! is pulled back rather than accumulated). n₂ is the exact ∇(∇L·u) = Hu + (Du)ᵀ∇L without its
//! eigenvector-derivative term (Du)ᵀ∇L = −D³L[u, (H − S)⁺∇L, ·]: on M, ∇L ⊥ u and that term is a third
//! derivative times ∇L over the spectral gap, small against Hu = S·u = (2/η)u; keeping it would cost a
//! pseudo-inverse solve per evaluation, and the relaxation corrects the small error it leaves in
//! d(∇L·u)/dt. The S constraint is an inequality: both constraints are active only while μ₁ > 0; when the
//! flow (kept on ∇L·u = 0) would lower S faster than the relaxation asks, μ₁ ≤ 0 and the model is
//! gradient flow again. The field is continuous where μ₁ passes 0 up to μ₂n₂, which is of the size of
//! ∇L·u, small where gradient flow reaches the edge (it relaxes ∇L·u at rate S); the adaptive solver's
//! step control resolves the switch, as it does the central flow's.

use super::central::{name_infeasible, no_parameters, third_derivative, TopEigen, EXACT_MAX_DIM};
use super::{solve_watched, SolverSettings, VectorField};
use crate::objective::Objective;
use crate::trajectory::{TimeGrid, Trajectory};
use crate::watch::Watch;
use serde::Serialize;
use std::cell::{Cell, RefCell};

/// The stable flow's settings (the scenario's `candidate_fraction`, `relaxation`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StableSettings {
    /// The constraints may be active once S is at or above this fraction of 2/η; below it the model is
    /// gradient flow without solving for the multipliers.
    pub candidate_fraction: f64,
    /// κη, the relaxation rate κ of both constraints in units of 1/η.
    pub relaxation: f64,
}

impl Default for StableSettings {
    fn default() -> Self {
        StableSettings {
            candidate_fraction: 0.95,
            relaxation: 1.0,
        }
    }
}

/// The stable flow's multipliers at one point (both 0 where the model is gradient flow).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StablePoint {
    /// S = λ₁(H(w)).
    pub sharpness: f64,
    /// ∇L·u.
    pub gradient_along: f64,
    /// True when the constraints are active (μ₁ > 0).
    pub active: bool,
    /// μ₁, the multiplier of ∇S (≥ 0; on the toy it equals the drift α, half the central flow's σ²).
    pub mu_sharpness: f64,
    /// μ₂, the multiplier of S·u.
    pub mu_gradient: f64,
}

/// a·b.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Buffers reused by every evaluation.
struct Work {
    eigen: TopEigen,
    grad: Vec<f64>,
    value: [f64; 1],
    vector: Vec<f64>,
    ds: Vec<f64>,
    plus: Vec<f64>,
    minus: Vec<f64>,
}

/// The stable flow of GD with step η on an objective, as a vector field for [`super::solve`].
pub struct StableFlow<'a> {
    objective: &'a dyn Objective,
    eta: f64,
    settings: StableSettings,
    work: RefCell<Work>,
    hvps: Cell<u64>,
    infeasible: Cell<bool>,
}

impl<'a> StableFlow<'a> {
    /// The stable flow of GD with step `eta` on `objective` (eigenpair exact up to [`EXACT_MAX_DIM`]
    /// parameters, warm-started Lanczos above, as the central flow's). `None` without parameters.
    pub fn new(objective: &'a dyn Objective, eta: f64, settings: StableSettings) -> Option<Self> {
        let d = objective.dim();
        if d == 0 {
            return None;
        }
        Some(StableFlow {
            objective,
            eta,
            settings,
            work: RefCell::new(Work {
                eigen: TopEigen::new(d, 1, EXACT_MAX_DIM),
                grad: vec![0.0; d],
                value: [0.0],
                vector: vec![0.0; d],
                ds: vec![0.0; d],
                plus: vec![0.0; d],
                minus: vec![0.0; d],
            }),
            hvps: Cell::new(0),
            infeasible: Cell::new(false),
        })
    }

    /// True when the eigenpair comes from Lanczos rather than the exact decomposition.
    pub fn uses_lanczos(&self) -> bool {
        !self.work.borrow().eigen.is_exact()
    }

    /// Evaluations so far where Lanczos stopped at its iteration cap before meeting its tolerance.
    pub fn lanczos_unconverged(&self) -> u64 {
        self.work.borrow().eigen.unconverged()
    }

    /// Hessian-vector products spent so far (eigenpair and third derivatives).
    pub fn hvps(&self) -> u64 {
        self.hvps.get()
    }

    /// True once an evaluation found S past the edge with no multiplier to bring it back.
    pub fn infeasible(&self) -> bool {
        self.infeasible.get()
    }

    /// Fills `work` at w (gradient, eigenpair, ∇S when near the edge) and returns the point's
    /// multipliers; `Err(())` when S is past the edge and the two normals are (nearly) parallel or ∇S
    /// vanishes, so that no multiplier holds S.
    fn evaluate(&self, w: &[f64], work: &mut Work) -> Result<StablePoint, ()> {
        let Work {
            eigen,
            grad,
            value,
            vector,
            ds,
            plus,
            minus,
        } = work;
        self.objective.gradient(w, grad);
        let mut hvps = eigen.top(self.objective, w, value, vector);
        let s = value[0];
        let g2 = dot(grad, vector);
        let mut point = StablePoint {
            sharpness: s,
            gradient_along: g2,
            active: false,
            mu_sharpness: 0.0,
            mu_gradient: 0.0,
        };
        let edge = 2.0 / self.eta;
        // False for a NaN S too (a failed eigensolve): the model is then gradient flow there.
        let near_edge = s >= self.settings.candidate_fraction * edge;
        if !near_edge {
            self.hvps.set(self.hvps.get() + hvps);
            return Ok(point);
        }
        hvps += third_derivative(self.objective, w, vector, vector, ds, plus, minus);
        self.hvps.set(self.hvps.get() + hvps);
        let kappa = self.settings.relaxation / self.eta;
        // Gram matrix of n₁ = ∇S and n₂ = S·u (‖u‖ = 1), and the right-hand sides of
        // n_a·(−∇L − μ₁n₁ − μ₂n₂) = target_a.
        let g11 = dot(ds, ds);
        let g12 = s * dot(ds, vector);
        let g22 = s * s;
        let b1 = -dot(ds, grad) - kappa * (edge - s);
        let b2 = -s * g2 + kappa * g2;
        let det = g11 * g22 - g12 * g12;
        // Cauchy–Schwarz: det = g11·g22·sin²(n₁, n₂); below 1e-12 of g11·g22 the normals are parallel to
        // rounding and the system says nothing.
        let independent = det > 1e-12 * g11 * g22;
        if !independent || !det.is_finite() || !b1.is_finite() || !b2.is_finite() {
            // At or below the edge S may stay where it is (the flow is gradient flow); past it nothing
            // brings it back.
            return if s <= edge { Ok(point) } else { Err(()) };
        }
        let mu1 = (b1 * g22 - g12 * b2) / det;
        if mu1 > 0.0 {
            point.active = true;
            point.mu_sharpness = mu1;
            point.mu_gradient = (g11 * b2 - g12 * b1) / det;
        }
        Ok(point)
    }

    /// The stable flow's sharpness, ∇L·u and multipliers at `w`.
    pub fn point(&self, w: &[f64]) -> Option<StablePoint> {
        let mut work = self.work.borrow_mut();
        self.evaluate(w, &mut work).ok()
    }
}

impl VectorField for StableFlow<'_> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, w: &[f64], out: &mut [f64]) {
        let mut work = self.work.borrow_mut();
        match self.evaluate(w, &mut work) {
            Ok(p) => {
                for (o, g) in out.iter_mut().zip(&work.grad) {
                    *o = -g;
                }
                if p.active {
                    let m2 = p.mu_gradient * p.sharpness;
                    for ((o, n1), u) in out.iter_mut().zip(&work.ds).zip(&work.vector) {
                        *o -= p.mu_sharpness * n1 + m2 * u;
                    }
                }
            }
            Err(()) => {
                self.infeasible.set(true);
                // A non-finite field stops the solver; the runner names the fault.
                out.iter_mut().for_each(|o| *o = f64::NAN);
            }
        }
    }
}

/// Integrates the stable flow of GD (step `grid.step_size`) from `theta0` over `grid`, like
/// [`super::solve_watched`]: the trajectory's `stats.hvps` counts the Hessian-vector products, S past the
/// edge with no multiplier to bring it back ends it with
/// [`SolverFailure::ComplementarityInfeasible`](crate::trajectory::SolverFailure::ComplementarityInfeasible),
/// and the second value counts the evaluations where Lanczos did not converge (`None` with the exact
/// eigenpair, d ≤ [`EXACT_MAX_DIM`]).
pub fn stable_flow_counted(
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &StableSettings,
    solver: &SolverSettings,
    loss_bound: f64,
    watch: &Watch,
) -> (Trajectory, Option<u64>) {
    let Some(field) = StableFlow::new(objective, grid.step_size, *settings) else {
        return (no_parameters(objective, theta0, "stable_flow"), None);
    };
    let mut traj = solve_watched(&field, objective, theta0, grid, solver, loss_bound, watch);
    traj.stats.hvps = field.hvps();
    if field.infeasible() {
        name_infeasible(
            &mut traj,
            "the sharpness is past 2/η and no multiplier brings it back (∇S vanishes or is parallel to the \
             top eigenvector); lower `candidate_fraction` or check the objective's third derivatives",
        );
    }
    let unconverged = field.uses_lanczos().then(|| field.lanczos_unconverged());
    (traj, unconverged)
}

/// The stable flow's quantities at each recorded point of its trajectory (`<id>_stable.csv`): S, ∇L·u and
/// the multipliers, the stable flow's counterpart of the central flow's series.
#[derive(Debug, Clone, PartialEq)]
pub struct StableSeries {
    /// The recorded steps k (t = k·η).
    pub steps: Vec<u64>,
    /// The recorded times.
    pub times: Vec<f64>,
    /// S(w) = λ₁(H(w)).
    pub sharpness: Vec<f64>,
    /// ∇L(w)·u(w).
    pub gradient_along: Vec<f64>,
    /// True where the constraints are active (μ₁ > 0).
    pub active: Vec<bool>,
    /// μ₁, the multiplier of ∇S.
    pub mu_sharpness: Vec<f64>,
    /// μ₂, the multiplier of S·u.
    pub mu_gradient: Vec<f64>,
    /// True when a point had S past the edge with no multiplier to bring it back; the series ends there
    /// (the stable flow itself ended there too).
    pub infeasible: bool,
    /// Hessian-vector products spent on the series.
    pub hvps: u64,
}

impl StableSeries {
    /// The number of recorded points.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when no point was recorded.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
}

/// The stable flow's quantities at every recorded point of `traj` (a stable_flow trajectory for GD with
/// step `eta` and these `settings`), with the field's own eigenpair and third derivative (the eigenpair's
/// Hessian-vector products at every point, plus 2 near the edge where the third derivative is
/// differenced; counted in `hvps`). `None` for an objective without parameters.
pub fn stable_series(
    objective: &dyn Objective,
    traj: &Trajectory,
    eta: f64,
    settings: StableSettings,
) -> Option<StableSeries> {
    let flow = StableFlow::new(objective, eta, settings)?;
    let n = traj.len();
    let mut s = StableSeries {
        steps: Vec::with_capacity(n),
        times: Vec::with_capacity(n),
        sharpness: Vec::with_capacity(n),
        gradient_along: Vec::with_capacity(n),
        active: Vec::with_capacity(n),
        mu_sharpness: Vec::with_capacity(n),
        mu_gradient: Vec::with_capacity(n),
        infeasible: false,
        hvps: 0,
    };
    for i in 0..n {
        let Some(p) = flow.point(traj.state(i)) else {
            s.infeasible = true;
            break;
        };
        s.steps.push(traj.steps[i]);
        s.times.push(traj.times[i]);
        s.sharpness.push(p.sharpness);
        s.gradient_along.push(p.gradient_along);
        s.active.push(p.active);
        s.mu_sharpness.push(p.mu_sharpness);
        s.mu_gradient.push(p.mu_gradient);
    }
    s.hvps = flow.hvps();
    Some(s)
}
