//! One entry point that integrates a [`VectorField`] with ode_solvers and samples it on the method's
//! time axis t_j = j·Δ (Δ = record_every·unit, unit = η or √η).
//!
//! Two defects of ode_solvers 0.6.2's dense output are avoided rather than patched:
//! - its output times are built by repeated addition and drift; we integrate in rescaled time
//!   s = t/Δ, where the output times are the integers 0, 1, 2, … and repeated addition of 1.0 is exact;
//! - its last dense point is extrapolated from the wrong step; we integrate a little past the horizon
//!   (to s = N + 1/64), so every sample we keep is an interior point of an accepted step.
//!
//! Rk4 (fixed step, no dense output) runs with a step of 1/m in s, m a power of two, so its grid hits
//! every sample time exactly.
//!
//! The solver code is generic over nalgebra's dimension type: states of at most [`MAX_FIXED_STATE`]
//! components are `SVector<f64, N>` (on the stack: ode_solvers copies the state several times per step,
//! and on a 2-D objective those heap allocations cost more than the gradient), larger ones `DVector`.
//! Both paths run the same arithmetic in the same order, so their results are bit-identical.

use super::VectorField;
use crate::objective::{norm, Objective};
use crate::trajectory::{SolverFailure, Termination, TimeGrid, Trajectory};
use crate::watch::Watch;
use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, Dyn, OVector, U1};
use ode_solvers::dop_shared::IntegrationError;
use ode_solvers::{Dop853, Dopri5, OutputType, Rk4, System};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::time::Instant;

/// ode_solvers tests for stiffness every `n_stiff` accepted steps; this value means never. Gradient flows
/// near an ill-conditioned minimum (Rosenbrock's valley) are "stiff" by Hairer's test, yet an explicit solver
/// still integrates them to tolerance, with its step held at the stability limit: that costs steps, not
/// accuracy, so flowgap does not abort on it. (The heavy-ball ODE is the extreme case: its fast mode decays
/// at a rate ∝ 1/η.)
const STIFFNESS_TEST_NEVER: u32 = u32::MAX;

/// The smallest rtol an adaptive solver can meet in f64: 10·ε, as in Hairer's DOP853.
pub const MIN_RTOL: f64 = 10.0 * f64::EPSILON;

/// The ode_solvers integrator to use.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SolverKind {
    /// Dormand–Prince 5(4), adaptive.
    Dopri5,
    /// Dormand–Prince 8(5,3), adaptive, dense output of order 7.
    Dop853,
    /// Classical Runge–Kutta 4, fixed step `dt`.
    Rk4,
}

impl SolverKind {
    /// The names accepted in a scenario, in declaration order (strum derives them with the parser).
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The name a scenario uses for this solver.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The step-size controller Hairer's code of this solver uses by default: PI for dopri5, I for
    /// dop853 (rk4 has none; I stands for it).
    pub fn default_controller(self) -> Controller {
        match self {
            SolverKind::Dopri5 => Controller::Pi,
            SolverKind::Dop853 | SolverKind::Rk4 => Controller::I,
        }
    }
}

/// The step-size controller of an adaptive solver, as Hairer's codes define it: the next step is
/// h·safety·err_n^{−α}·err_{n−1}^{β}, with α = 1/5 − 0.75β for dopri5 and 1/8 − 0.2β for dop853.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Controller {
    /// Gustafsson's PI controller, β = 0.04 (dopri5's default in Hairer's code).
    Pi,
    /// The plain integral controller, β = 0 (dop853's default in Hairer's code).
    I,
}

impl Controller {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// The stabilisation β of the controller.
    pub fn beta(self) -> f64 {
        match self {
            Controller::Pi => 0.04,
            Controller::I => 0.0,
        }
    }
}

/// How to integrate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SolverSettings {
    /// The integrator.
    pub solver: SolverKind,
    /// Relative tolerance (adaptive solvers).
    pub rtol: f64,
    /// Absolute tolerance (adaptive solvers).
    pub atol: f64,
    /// The most steps an adaptive solver may take.
    pub max_steps: u32,
    /// The largest step rk4 may take, in time units; the step used is Δ/m for the smallest power of two
    /// m with Δ/m ≤ dt.
    pub dt: f64,
    /// The adaptive solvers' step-size controller; `None` for each solver's own (dopri5 PI, dop853 I).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<Controller>,
}

impl SolverSettings {
    /// The controller an adaptive solver runs with: the one asked for, else the solver's own.
    pub fn effective_controller(&self) -> Controller {
        self.controller
            .unwrap_or_else(|| self.solver.default_controller())
    }

    /// dop853 at relative tolerance `rtol` and absolute tolerance `atol`, with a scenario's default budget
    /// of 10⁷ steps.
    pub fn dop853(rtol: f64, atol: f64) -> Self {
        SolverSettings {
            solver: SolverKind::Dop853,
            rtol,
            atol,
            max_steps: 10_000_000,
            dt: 0.0,
            controller: None,
        }
    }
}

/// A scenario's defaults: dop853 at rtol 1e-10, atol 1e-12.
impl Default for SolverSettings {
    fn default() -> Self {
        SolverSettings::dop853(1e-10, 1e-12)
    }
}

/// The ode_solvers system in rescaled time s = t/Δ: dy/ds = Δ·F(sΔ, y). It counts evaluations,
/// remembers where the field stopped being finite, and stops the solver once the watch's budget is
/// spent. For a time-dependent field it is made autonomous: the
/// state carries s as one more component (ds/ds = 1), which is what F is evaluated at (see
/// [`VectorField::time_dependent`]).
pub(super) struct Rescaled<'a, F: VectorField + ?Sized> {
    pub(super) field: &'a F,
    pub(super) spacing: f64,
    /// The time at s = 0 (0 for the uniform axis; a segment's start on a scheduled one).
    pub(super) t0: f64,
    pub(super) autonomous_time: bool,
    pub(super) evals: &'a Cell<u64>,
    pub(super) accepted: &'a Cell<u64>,
    pub(super) first_non_finite: &'a Cell<f64>,
    pub(super) watch: &'a Watch<'a>,
    /// Calls to `solout` left before the next look at the watch.
    pub(super) until_look: Cell<u64>,
    /// The pace guard ([`PaceGuard`]), or `None` (a series start, rk4, a schedule's segments).
    pub(super) guard: Option<PaceGuard<'a>>,
}

/// Attempts (accepted and rejected steps) per window of the pace guard.
pub const PACE_WINDOW: u64 = 1000;

/// The pace guard of an adaptive run: after every [`PACE_WINDOW`] attempts it compares the progress in s
/// over the window with what is left, and stops the run with [`SolverFailure::Stalled`] when, at that
/// pace, the attempts left in `max_steps` cannot reach the horizon.
///
/// Why: on a vector field with jumps (a ReLU network's gradient jumps where a unit's preactivation
/// crosses 0 on a sample) a flow can slide along a jump surface, where an error estimate is O(h) rather
/// than O(h^(p+1)): the step collapses and most attempts are rejected, and dop853 at rtol 1e-10 crawls for
/// hours before `max_steps` (10⁷) ends it. A window's pace is the solver's own evidence, not a guess at
/// the cause: a run stopped by the guard would, at the pace it keeps, have run out of steps anyway. It
/// only misjudges a run whose pace later grows by more than the shortfall; a smooth flow's pace only
/// drops with its time scale (a stiff flow held at its stability limit keeps a steady pace), and the
/// guard is checked against every golden scenario (tests/it/nonsmooth_flow.rs).
///
/// The guard counts attempts from the evaluations, as ode_solvers spends them: dopri5 six per attempt,
/// dop853 eleven per attempt and four more per accepted step, both three to start. It looks at the ends
/// of steps only: dopri5 also calls `solout` at the dense output times, which are integers in s, so a
/// call at an integer s is skipped (a step ending exactly on one is looked at with the next).
#[derive(Debug, Clone, Copy)]
pub(super) struct PaceGuard<'a> {
    /// (evaluations per attempt, extra evaluations per accepted step).
    per: (u64, u64),
    /// `evals` and `accepted` when the run started (the counters may hold a series start's too).
    before: (u64, u64),
    /// The window's start: s and the attempts made by then.
    mark: (f64, u64),
    s_end: f64,
    max_steps: u64,
    /// Where the guard stopped the run (∞ while it has not).
    stalled_at: &'a Cell<f64>,
}

impl<'a> PaceGuard<'a> {
    /// A guard for `solver` integrating from `s0` to `s_end` within `max_steps` attempts, its counters
    /// now at `evals` and `accepted`.
    pub(super) fn new(
        solver: SolverKind,
        (s0, s_end): (f64, f64),
        max_steps: u32,
        (evals, accepted): (u64, u64),
        stalled_at: &'a Cell<f64>,
    ) -> Self {
        let per = if solver == SolverKind::Dop853 {
            (11, 4)
        } else {
            (6, 0)
        };
        PaceGuard {
            per,
            before: (evals, accepted),
            mark: (s0, 0),
            s_end,
            max_steps: u64::from(max_steps),
            stalled_at,
        }
    }

    /// At a `solout` call at `s` with the counters at `evals` and `accepted`: true (and the time noted)
    /// when the run should stop.
    #[inline]
    fn stalls(&mut self, s: f64, evals: u64, accepted: u64) -> bool {
        if s.fract() == 0.0 {
            return false;
        }
        let steps = accepted - self.before.1;
        let attempts = (evals - self.before.0 - 3 - self.per.1 * steps) / self.per.0;
        let stalled = pace_stalls(&mut self.mark, s, attempts, self.s_end, self.max_steps);
        if stalled {
            self.stalled_at.set(s);
        }
        stalled
    }
}

/// The pace guard's rule at the end of a step at `s` after `attempts` attempts, the window starting at
/// `mark` (moved on when a window is complete): true when the pace of the last complete window, over the
/// attempts left in `max_steps`, falls short of `s_end`. Shared with the lane integrator.
#[inline]
pub(super) fn pace_stalls(mark: &mut (f64, u64), s: f64, attempts: u64, s_end: f64, max_steps: u64) -> bool {
    let window = attempts.saturating_sub(mark.1);
    if window < PACE_WINDOW {
        return false;
    }
    let pace = (s - mark.0) / window as f64;
    let left = max_steps.saturating_sub(attempts) as f64;
    *mark = (s, attempts);
    // Within 1/64 of s_end every sample is in: nothing left to save.
    let rest = s_end - s;
    rest > 1.0 / 64.0 && pace * left < rest
}

impl<F: VectorField + ?Sized> Rescaled<'_, F> {
    /// Looks at the watch at solver time `s`; true once the budget is spent.
    #[cold]
    #[inline(never)]
    fn look(&self, s: f64) -> bool {
        if self.watch.is_spent() {
            return true;
        }
        self.until_look.set(self.watch.interval());
        self.watch.expired(self.t0 + s * self.spacing, None)
    }
}

impl<F: VectorField + ?Sized, D: Dim> System<f64, OVector<f64, D>> for Rescaled<'_, F>
where
    DefaultAllocator: Allocator<D>,
{
    #[inline]
    fn system(&self, s: f64, y: &OVector<f64, D>, dy: &mut OVector<f64, D>) {
        self.evals.set(self.evals.get() + 1);
        let d = self.field.dim();
        let s_field = if self.autonomous_time { y[d] } else { s };
        self.field.eval(
            self.t0 + s_field * self.spacing,
            &y.as_slice()[..d],
            &mut dy.as_mut_slice()[..d],
        );
        let mut finite = true;
        for v in dy.iter_mut().take(d) {
            *v *= self.spacing;
            finite &= v.is_finite();
        }
        if self.autonomous_time {
            dy[d] = 1.0;
        }
        if !finite && s < self.first_non_finite.get() {
            self.first_non_finite.set(s);
        }
    }

    /// Called after every accepted step (and, by dopri5, at every dense output point); returning true
    /// ends the integration there, as a normal exit with the samples so far. Kept to a countdown so that
    /// the solver still inlines [`System::system`] (with the look inline too it did not: +11%
    /// instructions on a 2-D flow).
    #[inline]
    fn solout(&mut self, s: f64, _y: &OVector<f64, D>, _dy: &OVector<f64, D>) -> bool {
        self.accepted.set(self.accepted.get() + 1);
        if let Some(guard) = &mut self.guard {
            if guard.stalls(s, self.evals.get(), self.accepted.get()) {
                return true;
            }
        }
        let left = self.until_look.get().saturating_sub(1);
        self.until_look.set(left);
        // Once spent, every later call must stop too: dopri5 asks at a dense point, then at the step.
        (left == 0 || self.watch.is_spent()) && self.look(s)
    }
}

/// Integrates `field` from the state it builds for `theta0` over `grid` and samples it at every recorded
/// time t_j = j·Δ, recording the position θ (see [`VectorField::position`]) with `objective`'s loss and
/// gradient norm there.
///
/// A field singular at t = 0 supplies a series start at a tiny τ ([`VectorField::series_start`]); the
/// first interval [τ, Δ] is then integrated by dop853 at the settings' rtol/atol (whatever the solver),
/// and the rest from Δ on as usual.
///
/// Never panics on a bad problem: a solver failure ends the trajectory with
/// [`Termination::SolverFailed`] at the time reached, and a non-finite state or a loss above
/// `loss_bound` with [`Termination::Diverged`]; the samples before that point are kept.
///
/// States of at most [`MAX_FIXED_STATE`] components (the field's state, plus one when time is carried as
/// a state) are integrated as fixed-size `SVector`s, larger ones as `DVector`s; the results are the same
/// bit for bit ([`solve_heap`] forces the `DVector` path).
pub fn solve<F: VectorField + ?Sized, O: Objective + ?Sized>(
    field: &F,
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
    loss_bound: f64,
) -> Trajectory {
    solve_watched(
        field,
        objective,
        theta0,
        grid,
        settings,
        loss_bound,
        &Watch::idle(),
    )
}

/// [`solve`] under `watch`: every [`Watch::interval`] accepted steps it looks at the clock, and once the
/// budget is spent the solver stops and the trajectory ends with [`Termination::TimeLimit`], keeping
/// the samples reached.
pub fn solve_watched<F: VectorField + ?Sized, O: Objective + ?Sized>(
    field: &F,
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    let args = (field, objective, theta0, grid, settings, loss_bound, watch);
    match field.dim() + usize::from(field.time_dependent()) {
        1 => solve_in::<Const<1>, _, _>(args),
        2 => solve_in::<Const<2>, _, _>(args),
        3 => solve_in::<Const<3>, _, _>(args),
        4 => solve_in::<Const<4>, _, _>(args),
        5 => solve_in::<Const<5>, _, _>(args),
        6 => solve_in::<Const<6>, _, _>(args),
        7 => solve_in::<Const<7>, _, _>(args),
        8 => solve_in::<Const<8>, _, _>(args),
        _ => solve_in::<Dyn, _, _>(args),
    }
}

/// The largest state (in components, time included when carried) that [`solve`] integrates on the stack.
pub const MAX_FIXED_STATE: usize = 8;

/// [`solve`] with heap-allocated `DVector` states whatever the dimension: the general path, exposed so
/// that tests and benches can compare it with the fixed-size one.
pub fn solve_heap<F: VectorField + ?Sized, O: Objective + ?Sized>(
    field: &F,
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
    loss_bound: f64,
) -> Trajectory {
    let idle = Watch::idle();
    solve_in::<Dyn, _, _>((field, objective, theta0, grid, settings, loss_bound, &idle))
}

/// [`solve`]'s arguments, passed as one tuple to the per-dimension instances.
type SolveArgs<'a, F, O> = (
    &'a F,
    &'a O,
    &'a [f64],
    &'a TimeGrid,
    &'a SolverSettings,
    f64,
    &'a Watch<'a>,
);

/// Builds a state vector of dimension type `D` from a slice (D is `Const<len>` or `Dyn`).
pub(super) fn state_from<D: Dim>(values: &[f64]) -> OVector<f64, D>
where
    DefaultAllocator: Allocator<D>,
{
    OVector::<f64, D>::from_column_slice_generic(D::from_usize(values.len()), U1, values)
}

/// The body of [`solve`] for one state dimension type.
fn solve_in<D: Dim, F: VectorField + ?Sized, O: Objective + ?Sized>(
    (field, objective, theta0, grid, settings, loss_bound, watch): SolveArgs<'_, F, O>,
) -> Trajectory
where
    DefaultAllocator: Allocator<D>,
{
    let started = Instant::now();
    let n = grid.intervals();
    let evals = Cell::new(0u64);
    let accepted = Cell::new(0u64);
    let first_non_finite = Cell::new(f64::INFINITY);
    let stalled_at = Cell::new(f64::INFINITY);
    let autonomous_time = field.time_dependent();
    let system = |guard| Rescaled {
        field,
        spacing: grid.spacing(),
        t0: 0.0,
        autonomous_time,
        evals: &evals,
        accepted: &accepted,
        first_non_finite: &first_non_finite,
        watch,
        until_look: Cell::new(watch.interval()),
        guard,
    };
    let d_state = field.dim();
    // The state handed to the solver: the field's state, then s when time is carried as a state.
    let mut y0 = vec![0.0; d_state + usize::from(autonomous_time)];
    field.initial_state(theta0, &mut y0[..d_state]);
    // samples[j] is the state at s = j; index 0 is the initial state itself.
    let mut samples: Vec<OVector<f64, D>> = Vec::with_capacity(n as usize + 1);
    samples.push(state_from::<D>(&y0));
    let mut failure: Option<(SolverFailure, f64)> = None;
    let mut rejected = 0u64;
    // Hairer's bound: an adaptive solver asked for rtol ≤ 10·ε would shrink its step until it runs out
    // of steps (10⁷ by default, minutes of work) without ever meeting the tolerance. Fail at once.
    let adaptive = matches!(settings.solver, SolverKind::Dop853 | SolverKind::Dopri5);
    if adaptive && settings.rtol <= MIN_RTOL {
        failure = Some((SolverFailure::ToleranceUnreachable, 0.0));
    }

    // Where the main integration starts (in s): 0, or 1 after a series start over [0, τ] and an
    // integration over [τ, Δ].
    let mut s_start = 0u64;
    if n >= 1 && failure.is_none() {
        if let Some(tau) = field.series_start(&mut y0[..d_state], grid.spacing()) {
            let s_tau = tau / grid.spacing();
            if autonomous_time {
                y0[d_state] = s_tau;
            }
            // The series start always uses dop853: it only has to reach s = 1 accurately.
            let (result, xs, ys) = integrate_adaptive(
                SolverKind::Dop853,
                system(None),
                (s_tau, 1.0),
                state_from::<D>(&y0),
                settings,
                OutputType::Sparse,
            );
            match result {
                Ok((r, _)) => {
                    rejected += r as u64;
                    if let (Some(&x), Some(y)) = (xs.last(), ys.last()) {
                        if (x - 1.0).abs() < 1e-9 {
                            samples.push(y.clone());
                            s_start = 1;
                        }
                    }
                }
                Err(e) => failure = Some(named_failure(&e, grid.spacing())),
            }
        }
    }

    // A budget spent in the series start leaves s_start at 0: nothing more to integrate then.
    if failure.is_none() && !watch.is_spent() && samples.len() as u64 == s_start + 1 && s_start < n {
        let y_start = samples.last().expect("the initial state is always there").clone();
        match settings.solver {
            SolverKind::Dop853 | SolverKind::Dopri5 => {
                let s0 = s_start as f64;
                let s_end = n as f64 + 1.0 / 64.0;
                // In dense mode ode_solvers calls `solout` once per accepted step and once more per
                // dense output point, so the counter is corrected below from the solver's own count.
                let accepted_before = accepted.get();
                let guard = PaceGuard::new(
                    settings.solver,
                    (s0, s_end),
                    settings.max_steps,
                    (evals.get(), accepted_before),
                    &stalled_at,
                );
                let (result, xs, ys) = integrate_adaptive(
                    settings.solver,
                    system(Some(guard)),
                    (s0, s_end),
                    y_start,
                    settings,
                    OutputType::Dense,
                );
                // Keep only the integer sample times past the start, in order; anything else (a
                // solver's own end point, the start point again) is dropped. The dense output times
                // s0 + 1 + 1 + … are exact integers.
                let xs_len = xs.len();
                for (x, y) in xs.into_iter().zip(ys) {
                    let j = x.round();
                    if (x - j).abs() < 1e-9 && j as u64 == samples.len() as u64 && j as u64 <= n {
                        samples.push(y);
                    }
                }
                match result {
                    Ok((r, a)) => {
                        rejected += r as u64;
                        accepted.set(accepted_before + a as u64);
                        if stalled_at.get().is_finite() {
                            failure = Some((SolverFailure::Stalled, stalled_at.get() * grid.spacing()));
                        }
                    }
                    Err(e) => {
                        // No statistics on failure: count from the `solout` calls, which dop853 makes
                        // once per accepted step and dopri5 once more per dense output point.
                        let calls = accepted.get() - accepted_before;
                        let dense_calls = if settings.solver == SolverKind::Dopri5 {
                            xs_len as u64
                        } else {
                            0
                        };
                        let accepted_here = calls.saturating_sub(dense_calls);
                        accepted.set(accepted_before + accepted_here);
                        // Out of steps, the error carries the attempts made: the rest were rejected.
                        if let IntegrationError::MaxNumStepReached { n_step, .. } = e {
                            rejected += u64::from(n_step).saturating_sub(accepted_here);
                        }
                        failure = Some(named_failure(&e, grid.spacing()));
                    }
                }
            }
            SolverKind::Rk4 => {
                let m = substeps(grid.spacing(), settings.dt);
                let h = 1.0 / m as f64;
                // ode_solvers' Rk4 keeps every step it takes, so integrate in pieces of at most
                // MAX_PIECE_STEPS steps: memory stays bounded however small dt is. A piece is 2^p long in
                // s (p may be negative), so piece ends, steps and sample times are exact binary fractions.
                const MAX_PIECE_STEPS: u64 = 1 << 16;
                let piece = (256.0f64).min(MAX_PIECE_STEPS as f64 / m as f64);
                let mut start = s_start as f64;
                let mut state = y_start;
                while start < n as f64 {
                    let end = (start + piece).min(n as f64);
                    let mut stepper = Rk4::new(system(None), start, state.clone(), end, h);
                    // Rk4 never fails; non-finite values are caught below.
                    let _ = stepper.integrate();
                    let (xs, ys) = (stepper.x_out(), stepper.y_out());
                    for (x, y) in xs.iter().zip(ys).skip(1) {
                        if x.fract() == 0.0 && *x as u64 == samples.len() as u64 && *x as u64 <= n {
                            samples.push(y.clone());
                        }
                    }
                    match ys.last() {
                        Some(y) if y.iter().all(|v| v.is_finite()) && !watch.is_spent() => state.copy_from(y),
                        _ => break,
                    }
                    start = end;
                }
            }
        }
    }

    // Record the samples, stopping at the first non-finite state or loss above the bound.
    let d = field.position_dim();
    let mut traj = Trajectory::with_conserved(d, samples.len(), objective.conserved_names());
    let mut conserved = vec![0.0; traj.conserved_names.len()];
    let mut grad = vec![0.0; d];
    for (j, y) in samples.iter().enumerate() {
        let k = grid.step_of(j as u64);
        let t = grid.time_of_step(k);
        let state = &y.as_slice()[..d_state];
        let theta = field.position(state);
        let loss = objective.loss_gradient(theta, &mut grad);
        let finite = state.iter().all(|v| v.is_finite()) && loss.is_finite();
        if !finite || loss.abs() > loss_bound {
            let reason = if finite {
                format!(
                    "|loss| = {:.3e} exceeded the divergence bound {loss_bound:.3e}",
                    loss.abs()
                )
            } else {
                "the state became non-finite".to_string()
            };
            traj.termination = Termination::Diverged { step: k, t, reason };
            break;
        }
        objective.conserved(theta, &mut conserved);
        traj.push(k, t, theta, loss, norm(&grad), &conserved);
        // The adaptive flows' P at the sample, for the preconditioned sharpness (grad is free again here).
        if field.preconditioner(t, state, &mut grad) {
            traj.preconditioners.extend_from_slice(&grad);
        }
    }
    // A budget spent at the last step, with every sample in, is no early stop.
    let time_limit = watch.termination().filter(|_| (traj.len() as u64) <= n);
    if traj.termination == Termination::Completed {
        if let Some(limit) = time_limit {
            traj.termination = limit;
        } else if let Some((failure, t)) = failure {
            let s_bad = first_non_finite.get();
            let blew_up = s_bad.is_finite() && s_bad * grid.spacing() <= t + grid.spacing();
            traj.termination = failure_ending(failure, t, &traj, blew_up);
        }
    }
    traj.stats.grad_evals = evals.get();
    traj.stats.accepted_steps = accepted.get();
    traj.stats.rejected_steps = rejected;
    traj.stats.wall_seconds = started.elapsed().as_secs_f64();
    traj
}

/// The output of an adaptive run: the solver's verdict (rejected steps, or why it stopped) and the points it
/// recorded.
pub(super) type AdaptiveRun<D> = (
    Result<(u32, u32), IntegrationError>,
    Vec<f64>,
    Vec<OVector<f64, D>>,
);

/// Runs dop853 or dopri5 (each with Hairer's default controller settings) over `span` = (s0, s_end) in
/// rescaled time, dense output every 1.0 or sparse, with the stiffness test off.
pub(super) fn integrate_adaptive<D: Dim, S: System<f64, OVector<f64, D>>>(
    solver: SolverKind,
    system: S,
    span: (f64, f64),
    y0: OVector<f64, D>,
    settings: &SolverSettings,
    output: OutputType,
) -> AdaptiveRun<D>
where
    DefaultAllocator: Allocator<D>,
{
    let (s0, s_end) = span;
    let (rtol, atol, max_steps) = (settings.rtol, settings.atol, settings.max_steps);
    // (safety factor, β, fac_min, fac_max) as in Hairer's codes, β from the controller (by default dop853
    // has no PI term, dopri5 β = 0.04).
    // `solver` may differ from settings.solver (a series start always runs dop853): its own default.
    let beta = settings
        .controller
        .unwrap_or_else(|| solver.default_controller())
        .beta();
    if solver == SolverKind::Dopri5 {
        let mut stepper = Dopri5::from_param(
            system,
            s0,
            s_end,
            1.0,
            y0,
            rtol,
            atol,
            0.9,
            beta,
            0.2,
            10.0,
            s_end,
            0.0,
            max_steps,
            STIFFNESS_TEST_NEVER,
            output,
        );
        let r = stepper.integrate();
        let (x, y) = stepper.results().get();
        (
            r.map(|s| (s.rejected_steps, s.accepted_steps)),
            x.clone(),
            y.clone(),
        )
    } else {
        let mut stepper = Dop853::from_param(
            system,
            s0,
            s_end,
            1.0,
            y0,
            rtol,
            atol,
            0.9,
            beta,
            0.333,
            6.0,
            s_end,
            0.0,
            max_steps,
            STIFFNESS_TEST_NEVER,
            output,
        );
        let r = stepper.integrate();
        let (x, y) = stepper.results().get();
        (
            r.map(|s| (s.rejected_steps, s.accepted_steps)),
            x.clone(),
            y.clone(),
        )
    }
}

/// The smallest power of two m with spacing/m ≤ dt.
pub(super) fn substeps(spacing: f64, dt: f64) -> u64 {
    let mut m = 1u64;
    while spacing / m as f64 > dt && m < (1 << 40) {
        m *= 2;
    }
    m
}

/// Maps ode_solvers' error to a named failure and the time (in t, not s) it reached.
pub(super) fn named_failure(e: &IntegrationError, spacing: f64) -> (SolverFailure, f64) {
    match *e {
        IntegrationError::MaxNumStepReached { x, .. } => (SolverFailure::MaxStepsReached, x * spacing),
        IntegrationError::StepSizeUnderflow { x } => (SolverFailure::StepSizeUnderflow, x * spacing),
        IntegrationError::StiffnessDetected { x } => (SolverFailure::StiffnessDetected, x * spacing),
    }
}

/// How a solver failure at time `t` ends a run: divergence when the vector field had stopped being finite
/// (`blew_up`: the solver shrank its step against a flow that blew up, not a solver fault), otherwise the
/// named failure with its advice.
pub(super) fn failure_ending(
    failure: SolverFailure,
    t: f64,
    traj: &Trajectory,
    blew_up: bool,
) -> Termination {
    if blew_up {
        Termination::Diverged {
            step: traj.steps.last().copied().unwrap_or(0),
            t,
            reason: format!("the vector field became non-finite near t = {t:.6e} ({failure:?})"),
        }
    } else {
        Termination::SolverFailed {
            failure,
            t,
            advice: failure.advice().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solver_names_parse_back_and_match_serde() {
        assert_eq!(SolverKind::NAMES, ["dopri5", "dop853", "rk4"]);
        for (&kind, &name) in <SolverKind as strum::VariantArray>::VARIANTS
            .iter()
            .zip(SolverKind::NAMES)
        {
            assert_eq!(kind.name(), name);
            assert_eq!(SolverKind::from_name(name), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
        }
        assert_eq!(SolverKind::from_name("Dopri5"), None);
        assert_eq!(SolverKind::from_name("euler"), None);
    }
    use crate::continuous::GradientFlow;
    use crate::objective::Quadratic;

    /// The pace guard's rule on numbers worked by hand: a window of 1000 attempts that advanced s by 1
    /// has a pace of 1e-3; with 9000 attempts left that reaches 9 more units of s.
    #[test]
    fn the_pace_guard_stops_only_a_run_whose_pace_cannot_reach_the_end() {
        let mut mark = (0.0, 0);
        // An incomplete window is never judged, however slow.
        assert!(!pace_stalls(&mut mark, 1e-9, 999, 100.0, 10_000));
        assert_eq!(mark, (0.0, 0));
        // 9 units reachable, 8.5 left: no stop; the window moves on.
        assert!(!pace_stalls(&mut mark, 1.0, 1000, 9.5, 10_000));
        assert_eq!(mark, (1.0, 1000));
        // The next window also advanced by 1: 8000 left reach 8 units, 8.5 are left: stop.
        let mut m = mark;
        assert!(pace_stalls(&mut m, 2.0, 2000, 10.5, 10_000));
        // Within 1/64 of the end every sample is in: no stop even with no attempts left.
        let mut m = mark;
        assert!(!pace_stalls(&mut m, 2.0, 2000, 2.0 + 1.0 / 128.0, 2000));
    }

    #[test]
    fn substeps_is_the_smallest_power_of_two_meeting_dt() {
        assert_eq!(substeps(1.0, 1.0), 1);
        assert_eq!(substeps(1.0, 0.3), 4);
        assert_eq!(substeps(0.01, 0.0025), 4);
        assert_eq!(substeps(0.01, 0.0024), 8);
    }

    /// A dt so small that one recorded interval takes 2^17 rk4 steps, more than one integration piece
    /// holds: the pieces (half an interval each) must still land exactly on every sample time. On
    /// L = ½·2θ² the flow is θ(t) = e^{−2t}; rk4's error at this step is far below rounding.
    #[test]
    fn rk4_splits_long_intervals_into_pieces_and_keeps_every_sample() {
        let q = Quadratic::from_eigenvalues(&[2.0], vec![0.0]);
        let grid = TimeGrid::new(0.01, 3, 1);
        let settings = SolverSettings {
            solver: SolverKind::Rk4,
            rtol: 0.0,
            atol: 0.0,
            max_steps: 1,
            dt: 0.01 / (1u64 << 17) as f64,
            controller: None,
        };
        assert_eq!(substeps(grid.spacing(), settings.dt), 1 << 17);
        let traj = solve(
            &GradientFlow { objective: &q },
            &q,
            &[1.0],
            &grid,
            &settings,
            1e10,
        );
        assert_eq!(traj.termination, Termination::Completed);
        assert_eq!(traj.steps, vec![0, 1, 2, 3]);
        for (k, &t) in traj.times.iter().enumerate() {
            let exact = (-2.0 * t).exp();
            assert!(
                (traj.state(k)[0] - exact).abs() < 1e-13,
                "t = {t}: {} vs {exact}",
                traj.state(k)[0]
            );
        }
        assert_eq!(traj.stats.accepted_steps, 3 << 17);
    }

    /// ode_solvers calls `solout` at every dense output point as well as at every step; the step count
    /// must be the solver's own. With many samples per step (a slow flow sampled often), counting calls
    /// would report more "steps" than there are samples. dopri5 spends 6 evaluations per step (FSAL)
    /// plus 3 to start (two for the initial step guess, one for the first stage); dop853 12 per step,
    /// 3 more per accepted step for its dense output, and the same 3 to start.
    #[test]
    fn accepted_steps_are_the_solver_steps_not_the_output_calls() {
        let q = Quadratic::from_eigenvalues(&[1.0, 0.1], vec![0.0, 0.0]);
        let grid = TimeGrid::new(0.01, 1000, 1);
        for (solver, per_step, per_accepted) in [(SolverKind::Dopri5, 6, 0), (SolverKind::Dop853, 12, 3)] {
            let settings = SolverSettings {
                solver,
                rtol: 1e-8,
                atol: 1e-10,
                max_steps: 100_000,
                dt: 0.0,
                controller: None,
            };
            let traj = solve(
                &GradientFlow { objective: &q },
                &q,
                &[1.0, 1.0],
                &grid,
                &settings,
                1e10,
            );
            assert_eq!(traj.termination, Termination::Completed);
            let (a, r) = (traj.stats.accepted_steps, traj.stats.rejected_steps);
            assert!(
                a < 200,
                "{solver:?}: {a} accepted steps for 1000 samples of a smooth flow"
            );
            assert_eq!(
                traj.stats.grad_evals,
                per_step * (a + r) + per_accepted * a + 3,
                "{solver:?}: accepted {a}, rejected {r}"
            );
        }
    }
}
