//! The central flow of gradient descent (Cohen, Damian, Talwalkar, Kolter & Lee, "Understanding
//! optimization in deep learning with central flows", ICLR 2025): the ODE that follows GD's time-averaged
//! path through the edge of stability, on t = k·η,
//!
//! dw/dt = −∇L(w) − ½ Σ_ij X_ij ∇(u_iᵀ H(w) u_j),   Σ = Σ_ij X_ij u_i u_jᵀ,
//!
//! where u_1..u_k are the top eigenvectors of H = ∇²L(w) whose eigenvalues are near 2/η and X ⪰ 0 solves
//! a semidefinite complementarity problem ([`cone`]) that keeps the critical block UᵀHU at or below 2/η.
//! ∇(u_iᵀHu_j) (u held fixed) is the third derivative D³L[u_i, u_j, ·], exact where the objective has it,
//! otherwise a central difference of Hessian-vector products ([`third_derivative`]).
//!
//! The constraint is imposed on the block's velocity with a relaxation rate κ (Baumgarte's
//! stabilisation of a constraint): R = κ(2/η·I − Λ) − d(UᵀHU)/dt ⪰ 0, X ⪰ 0, ⟨X, R⟩ = 0. Once active it
//! makes dλ/dt = κ(2/η − λ), so an eigenvalue that reaches the edge (or starts past it) is held there and
//! numerical drift is pulled back; far below the edge the constraint is slack and X = 0 (gradient flow).
//! The field is therefore continuous (Lipschitz) across entering and leaving the edge, with a kink where X
//! leaves zero, which the adaptive solver's step control resolves: no event location is needed.
//! The paper's own discretisation is this with κ = 1/Δt for its Euler substep Δt.

mod check;
mod cone;
mod eigen;
mod rmsprop;

pub use check::{
    central_comparison, central_series, CentralComparison, CentralComparisonSummary, CentralSeries,
    CentralSummary,
};
pub use cone::{solve_sdcp, ConeFailure};
pub use eigen::{TopEigen, EXACT_MAX_DIM, LANCZOS_ITERATIONS, LANCZOS_TOLERANCE};
pub use rmsprop::CentralOptimizer;
use rmsprop::Scale;

use super::{solve_watched, SolverSettings, VectorField};
use crate::objective::{norm, Objective};
use crate::trajectory::{SolverFailure, Termination, TimeGrid, Trajectory};
use crate::watch::Watch;
use serde::Serialize;
use std::cell::{Cell, RefCell};

/// The most critical eigenvalues the complementarity problem may hold.
pub const MAX_CRITICAL: usize = 4;

/// The central flow's settings (the scenario's `max_critical`, `candidate_fraction`, `relaxation`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CentralSettings {
    /// k_max: how many top eigenvalues may be critical at once (1 to [`MAX_CRITICAL`]).
    pub max_critical: usize,
    /// Top eigenvalues at or above this fraction of 2/η enter the complementarity problem (the paper's
    /// code uses 0.975); below it they are taken as far from the edge.
    pub candidate_fraction: f64,
    /// κη, the relaxation rate κ of the constraint in units of 1/η.
    pub relaxation: f64,
    /// Whose central flow: GD's (the default) or scalar RMSProp's, which carries ν as a state.
    pub optimizer: CentralOptimizer,
}

impl Default for CentralSettings {
    fn default() -> Self {
        CentralSettings {
            max_critical: 1,
            candidate_fraction: 0.95,
            relaxation: 1.0,
            optimizer: CentralOptimizer::Gd,
        }
    }
}

/// Why the central flow's field could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CentralFault {
    /// The complementarity problem had no answer, or its data were not finite.
    Cone(ConeFailure),
}

/// The central flow's quantities at one point w.
#[derive(Debug, Clone, PartialEq)]
pub struct CentralPoint {
    /// The top min(k_max, d) eigenvalues of H(w), decreasing.
    pub eigenvalues: Vec<f64>,
    /// Their unit eigenvectors, row-major.
    pub eigenvectors: Vec<f64>,
    /// k: how many of them entered the complementarity problem.
    pub critical: usize,
    /// X (k×k, row-major): Σ = Σ_ij X_ij u_i u_jᵀ.
    pub x: Vec<f64>,
    /// tr Σ = tr X (σ² when k = 1).
    pub sigma_trace: f64,
    /// L(w).
    pub loss: f64,
    /// The predicted time average of the method's loss: L(w) + tr Σ/η for GD, L(w) + ½⟨H, Σ⟩ for scalar
    /// RMSProp (whose edge 2(√ν + ε)/η moves).
    pub predicted_loss: f64,
    /// What the step divides by, q = √ν + ε for scalar RMSProp (1 for GD): the critical eigenvalues are
    /// held at the edge 2q/η.
    pub scale: f64,
    /// Hessian-vector products spent.
    pub hvps: u64,
}

/// Buffers reused by every evaluation.
struct Work {
    eigen: TopEigen,
    grad: Vec<f64>,
    values: Vec<f64>,
    vectors: Vec<f64>,
    /// D³L[u_i, u_j, ·] for i ≤ j, pair p(i, j) at `pairs[p*d..(p+1)*d]`.
    pairs: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
    x: Vec<f64>,
    plus: Vec<f64>,
    minus: Vec<f64>,
    critical: usize,
    /// The step's scale at the last evaluation (q = 1 for GD).
    scale: Scale,
}

impl Work {
    fn new(d: usize, kmax: usize, exact_max_dim: usize) -> Self {
        let npairs = kmax * (kmax + 1) / 2;
        Work {
            eigen: TopEigen::new(d, kmax, exact_max_dim),
            grad: vec![0.0; d],
            values: vec![0.0; kmax],
            vectors: vec![0.0; kmax * d],
            pairs: vec![0.0; npairs * d],
            a: vec![0.0; kmax * kmax],
            b: vec![0.0; kmax.pow(4)],
            x: vec![0.0; kmax * kmax],
            plus: vec![0.0; d],
            minus: vec![0.0; d],
            critical: 0,
            scale: Scale::GD,
        }
    }
}

/// The index of the pair (i, j), i ≤ j, among the k_max(k_max + 1)/2 pairs.
fn pair(i: usize, j: usize) -> usize {
    let (i, j) = if i <= j { (i, j) } else { (j, i) };
    j * (j + 1) / 2 + i
}

/// The central flow of GD with step η on an objective, as a vector field for [`super::solve`].
pub struct CentralFlow<'a> {
    objective: &'a dyn Objective,
    eta: f64,
    settings: CentralSettings,
    work: RefCell<Work>,
    hvps: Cell<u64>,
    fault: Cell<Option<CentralFault>>,
}

impl<'a> CentralFlow<'a> {
    /// The central flow of GD with step `eta` on `objective`: eigenpairs exact up to [`EXACT_MAX_DIM`]
    /// parameters, warm-started Lanczos above. `None` for an objective without parameters.
    pub fn new(objective: &'a dyn Objective, eta: f64, settings: CentralSettings) -> Option<Self> {
        Self::with_exact_max_dim(objective, eta, settings, EXACT_MAX_DIM)
    }

    /// As [`CentralFlow::new`] with the dense/Lanczos switch at `exact_max_dim` parameters (0: Lanczos
    /// always, which is how the tests compare the two paths on one problem).
    pub fn with_exact_max_dim(
        objective: &'a dyn Objective,
        eta: f64,
        settings: CentralSettings,
        exact_max_dim: usize,
    ) -> Option<Self> {
        let d = objective.dim();
        if d == 0 {
            return None;
        }
        let kmax = settings.max_critical.clamp(1, MAX_CRITICAL).min(d);
        Some(CentralFlow {
            objective,
            eta,
            settings,
            work: RefCell::new(Work::new(d, kmax, exact_max_dim)),
            hvps: Cell::new(0),
            fault: Cell::new(None),
        })
    }

    /// True when the eigenpairs come from Lanczos rather than the exact decomposition.
    pub fn uses_lanczos(&self) -> bool {
        !self.work.borrow().eigen.is_exact()
    }

    /// Evaluations so far where Lanczos stopped at its iteration cap before meeting its tolerance.
    pub fn lanczos_unconverged(&self) -> u64 {
        self.work.borrow().eigen.unconverged()
    }

    /// Hessian-vector products spent so far (eigenvectors and third derivatives).
    pub fn hvps(&self) -> u64 {
        self.hvps.get()
    }

    /// The first fault met, if any.
    pub fn fault(&self) -> Option<CentralFault> {
        self.fault.get()
    }

    /// Fills `work` at the state (w, or (w, ν) for scalar RMSProp): gradient, eigenpairs, the step's
    /// scale, third derivatives, A, B and X; returns k.
    fn evaluate(&self, state: &[f64], work: &mut Work) -> Result<usize, CentralFault> {
        let d = self.objective.dim();
        let w = &state[..d];
        let eta = self.eta;
        let Work {
            eigen,
            grad,
            values,
            vectors,
            pairs,
            a,
            b,
            x,
            plus,
            minus,
            critical,
            scale,
        } = work;
        self.objective.gradient(w, grad);
        let mut hvps = eigen.top(self.objective, w, values, vectors);
        *scale = match self.settings.optimizer {
            CentralOptimizer::Gd => Scale::GD,
            CentralOptimizer::ScalarRmsProp { beta2, eps } => {
                let g2 = grad.iter().map(|g| g * g).sum();
                Scale::rmsprop(beta2, eps, eta, state[d], g2)
            }
        };
        // GD: 2·1/η = 2/η exactly, so GD's arithmetic is unchanged by the scale (q = 1, c = 0 below).
        let edge = 2.0 * scale.q / eta;
        let k = values
            .iter()
            .take_while(|&&l| l >= self.settings.candidate_fraction * edge)
            .count();
        *critical = k;
        if k == 0 {
            self.hvps.set(self.hvps.get() + hvps);
            return Ok(0);
        }
        for j in 0..k {
            for i in 0..=j {
                let p = pair(i, j);
                let (u, v) = (&vectors[i * d..(i + 1) * d], &vectors[j * d..(j + 1) * d]);
                hvps += third_derivative(
                    self.objective,
                    w,
                    u,
                    v,
                    &mut pairs[p * d..(p + 1) * d],
                    plus,
                    minus,
                );
            }
        }
        self.hvps.set(self.hvps.get() + hvps);
        let kappa = self.settings.relaxation / eta;
        let dot = |p: usize, q: &[f64]| -> f64 {
            pairs[p * d..(p + 1) * d].iter().zip(q).map(|(x, y)| x * y).sum()
        };
        // The step's scale (rmsprop.rs): the field divides by q and the edge 2q/η moves with ν, which
        // adds c(‖∇L‖² − ν) to A's diagonal and c·λ_rλ_i·X_ii to B's diagonal rows; GD has q = 1, c = 0.
        let Scale {
            q: sq,
            nu_weight: cw,
            g2,
            nu,
            ..
        } = *scale;
        let nu_drive = cw * (g2 - nu);
        for r in 0..k {
            for c in 0..k {
                let p = pair(r, c);
                let relax = if r == c {
                    kappa * (edge - values[r]) + nu_drive
                } else {
                    0.0
                };
                a[r * k + c] = relax + dot(p, grad) / sq;
                for i in 0..k {
                    for j in 0..k {
                        let q = pair(i, j);
                        let feedback = if r == c && i == j {
                            cw * values[r] * values[i]
                        } else {
                            0.0
                        };
                        b[(r * k + c) * k * k + i * k + j] =
                            0.5 * dot(p, &pairs[q * d..(q + 1) * d]) / sq + feedback;
                    }
                }
            }
        }
        solve_sdcp(k, &a[..k * k], &b[..k.pow(4)], &mut x[..k * k]).map_err(CentralFault::Cone)?;
        Ok(k)
    }

    /// The central flow's quantities at `state` (w for GD, (w, ν) for scalar RMSProp: eigenvalues, X,
    /// tr Σ and the predicted loss).
    pub fn point(&self, state: &[f64]) -> Result<CentralPoint, CentralFault> {
        let before = self.hvps.get();
        let mut work = self.work.borrow_mut();
        let k = self.evaluate(state, &mut work)?;
        let sigma_trace = (0..k).map(|i| work.x[i * k + i]).sum::<f64>();
        let loss = self.objective.loss(&state[..self.objective.dim()]);
        let predicted_loss = match self.settings.optimizer {
            // ½⟨H, Σ⟩ = tr Σ/η with every critical eigenvalue at 2/η (GD's record, unchanged).
            CentralOptimizer::Gd => loss + sigma_trace / self.eta,
            CentralOptimizer::ScalarRmsProp { .. } => {
                loss + 0.5 * (0..k).map(|i| work.values[i] * work.x[i * k + i]).sum::<f64>()
            }
        };
        Ok(CentralPoint {
            eigenvalues: work.values.clone(),
            eigenvectors: work.vectors.clone(),
            critical: k,
            x: work.x[..k * k].to_vec(),
            sigma_trace,
            loss,
            predicted_loss,
            scale: work.scale.q,
            hvps: self.hvps.get() - before,
        })
    }

    /// Whose central flow this is.
    pub fn optimizer(&self) -> CentralOptimizer {
        self.settings.optimizer
    }
}

impl VectorField for CentralFlow<'_> {
    fn dim(&self) -> usize {
        self.objective.dim() + self.settings.optimizer.extra_state()
    }

    fn eval(&self, _t: f64, state: &[f64], out: &mut [f64]) {
        let d = self.objective.dim();
        let mut work = self.work.borrow_mut();
        match self.evaluate(state, &mut work) {
            Ok(k) => {
                let (dw, dnu) = out.split_at_mut(d);
                for (o, g) in dw.iter_mut().zip(&work.grad) {
                    *o = -g;
                }
                // −½ Σ_ij X_ij G_ij over ordered pairs (X symmetric).
                for i in 0..k {
                    for j in 0..k {
                        let c = 0.5 * work.x[i * k + j];
                        if c != 0.0 {
                            let p = pair(i, j);
                            for (o, gp) in dw.iter_mut().zip(&work.pairs[p * d..(p + 1) * d]) {
                                *o -= c * gp;
                            }
                        }
                    }
                }
                if let CentralOptimizer::ScalarRmsProp { .. } = self.settings.optimizer {
                    let s = work.scale;
                    dw.iter_mut().for_each(|o| *o /= s.q);
                    // E‖g‖² = ‖∇L‖² + Σ_i X_ii λ_i² (Hu_i = λ_iu_i, the u_i orthonormal).
                    let spread: f64 = (0..k)
                        .map(|i| work.x[i * k + i] * work.values[i] * work.values[i])
                        .sum();
                    dnu[0] = s.rate * (s.g2 + spread - s.nu);
                }
            }
            Err(fault) => {
                if self.fault.get().is_none() {
                    self.fault.set(Some(fault));
                }
                // A non-finite field stops the solver; the runner names the fault.
                out.iter_mut().for_each(|o| *o = f64::NAN);
            }
        }
    }

    fn position_dim(&self) -> usize {
        self.objective.dim()
    }

    fn position<'b>(&self, state: &'b [f64]) -> &'b [f64] {
        &state[..self.objective.dim()]
    }

    /// (w₀, ‖∇L(w₀)‖²) for scalar RMSProp: no initial layer, as `nu_start = "gradient_squared"` starts
    /// the method (from ν = 0 the edge 2ε/η would be below every eigenvalue).
    fn initial_state(&self, theta0: &[f64], out: &mut [f64]) {
        let d = theta0.len();
        out[..d].copy_from_slice(theta0);
        if let CentralOptimizer::ScalarRmsProp { .. } = self.settings.optimizer {
            let mut work = self.work.borrow_mut();
            self.objective.gradient(theta0, &mut work.grad);
            out[d] = work.grad.iter().map(|g| g * g).sum();
        }
    }

    /// q·1 = (√ν + ε)·1 for scalar RMSProp (what w' divides by), so that the run records it; none for GD.
    fn preconditioner(&self, _t: f64, state: &[f64], out: &mut [f64]) -> bool {
        match self.settings.optimizer {
            CentralOptimizer::Gd => false,
            CentralOptimizer::ScalarRmsProp { eps, .. } => {
                out.fill(state[self.objective.dim()].max(0.0).sqrt() + eps);
                true
            }
        }
    }
}

/// Writes D³L(θ)[u, v, ·] into `out` and returns the Hessian-vector products spent: the objective's
/// closed form when it has one ([`Objective::third_derivative`], 0 products), else the central
/// difference (H(θ + εu)v − H(θ − εu)v)/(2ε) (2 products) with ε = ∛u_mach·(1 + ‖θ‖)/‖u‖, which balances
/// the O(ε²) truncation against the O(u_mach/ε) rounding (docs/methods.md states the error). `plus` and
/// `minus` are scratch buffers of length d.
pub fn third_derivative(
    objective: &dyn Objective,
    theta: &[f64],
    u: &[f64],
    v: &[f64],
    out: &mut [f64],
    plus: &mut [f64],
    minus: &mut [f64],
) -> u64 {
    if objective.third_derivative(theta, u, v, out) {
        return 0;
    }
    let unorm = norm(u);
    if unorm == 0.0 || !unorm.is_finite() {
        out.iter_mut().zip(u).for_each(|(o, x)| *o = 0.0 * x);
        return 0;
    }
    let h = f64::EPSILON.cbrt() * (1.0 + norm(theta)) / unorm;
    for i in 0..theta.len() {
        plus[i] = theta[i] + h * u[i];
        minus[i] = theta[i] - h * u[i];
    }
    objective.hvp(plus, v, out);
    // `plus` is no longer needed as a point: reuse it for H(θ − εu)v.
    objective.hvp(minus, v, plus);
    for i in 0..theta.len() {
        out[i] = (out[i] - plus[i]) / (2.0 * h);
    }
    2
}

/// Integrates the central flow of GD (step `grid.step_size`) from `theta0` over `grid`, like
/// [`super::solve_watched`]; the trajectory's `stats.hvps` counts the Hessian-vector products, and a
/// complementarity problem without an answer ends it with
/// [`SolverFailure::ComplementarityInfeasible`].
pub fn central_flow_watched(
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &CentralSettings,
    solver: &SolverSettings,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    central_flow_counted(objective, theta0, grid, settings, solver, loss_bound, watch).0
}

/// The trajectory of a flow whose field cannot be built on an objective with no parameters: θ₀ alone,
/// ended with [`SolverFailure::ComplementarityInfeasible`] and advice naming `kind`.
pub(in crate::continuous) fn no_parameters(
    objective: &dyn Objective,
    theta0: &[f64],
    kind: &str,
) -> Trajectory {
    let mut traj = Trajectory::with_capacity(objective.dim(), 1);
    let mut grad = vec![0.0; objective.dim()];
    let loss = objective.loss_gradient(theta0, &mut grad);
    traj.push(0, 0.0, theta0, loss, norm(&grad), &[]);
    traj.termination = Termination::SolverFailed {
        failure: SolverFailure::ComplementarityInfeasible,
        t: 0.0,
        advice: format!("{kind} needs at least one parameter"),
    };
    traj
}

/// Renames the divergence a non-finite field caused (the field writes NaN when its constraint problem
/// has no answer) to [`SolverFailure::ComplementarityInfeasible`] with `advice`; shared with the stable flow.
pub(in crate::continuous) fn name_infeasible(traj: &mut Trajectory, advice: &str) {
    if let Termination::Diverged { t, .. } = traj.termination {
        traj.termination = Termination::SolverFailed {
            failure: SolverFailure::ComplementarityInfeasible,
            t,
            advice: advice.to_string(),
        };
    }
}

/// [`central_flow_watched`], with the evaluations of the field where Lanczos stopped at its iteration cap
/// before meeting its tolerance (`None` when the eigenpairs are exact, d ≤ [`EXACT_MAX_DIM`]).
pub fn central_flow_counted(
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &CentralSettings,
    solver: &SolverSettings,
    loss_bound: f64,
    watch: &Watch,
) -> (Trajectory, Option<u64>) {
    let Some(field) = CentralFlow::new(objective, grid.step_size, *settings) else {
        return (
            no_parameters(objective, theta0, settings.optimizer.kind_name()),
            None,
        );
    };
    let mut traj = solve_watched(&field, objective, theta0, grid, solver, loss_bound, watch);
    traj.stats.hvps = field.hvps();
    if let Some(CentralFault::Cone(_)) = field.fault() {
        name_infeasible(&mut traj, SolverFailure::ComplementarityInfeasible.advice());
    }
    let unconverged = field.uses_lanczos().then(|| field.lanczos_unconverged());
    (traj, unconverged)
}
