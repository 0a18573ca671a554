//! Gradient flows of many starts at once: ode_solvers' dopri5 advanced for `L` starts of a small state
//! (`D` ≤ [`MAX_LANE_STATE`] coordinates) in structure-of-arrays lanes, for basin maps.
//!
//! [`solve`](super::solve) spends most of a 2-D flow's time in ode_solvers' per-step machinery (copies of
//! the state and the stages, dense output, the controller), not in the gradient. Here the stages of all
//! lanes are one loop over lanes the compiler vectorises, with the objective's
//! [`Objective::gradient_lanes`]; everything per start (its step size h, error norm, accept/reject,
//! sampling, termination) stays per lane, so each lane takes exactly the steps `solve` takes for that start.
//! A lane that finishes takes the next start from the queue, as [`crate::discrete::gd_final_lanes`] does
//! for GD.
//!
//! Every lane performs the operations of ode_solvers 0.6.2's `Dopri5` (and of the `Rescaled` system
//! `solve` hands it) in the same order: Hairer's initial-step rule, the stages with the same tableau, the
//! error norm, the PI controller (safety 0.9, β = 0.04, fac_min 0.2, fac_max 10), the dense output's
//! interpolant at the integer times s = t/Δ, and the named terminations. With no FMA contraction in Rust,
//! the final points, samples, step counts and terminations equal `solve`'s bit for bit
//! (tests/it/flow_lanes.rs). Two differences, neither in a result: a start stops at the first recorded
//! point that diverges (`solve` integrates on and then discards the samples past it, so its counts are
//! larger there), and a run is not
//! watched (no wall-time budget), since a batch of starts is not one method's run.
//!
//! The loop over steps does not allocate: stages, controller state and dense output live in fixed arrays.

use super::solve::{SolverKind, SolverSettings, MIN_RTOL};
use crate::objective::{norm, Objective};
use crate::trajectory::{RunStats, SolverFailure, Termination, TimeGrid};

/// The largest state (coordinates) the lane integrator takes: [`super::MAX_FIXED_STATE`]'s bound.
pub const MAX_LANE_STATE: usize = 8;

/// Dormand–Prince 5(4) as ode_solvers 0.6.2 writes it (`butcher_tableau::dopri54`): stage rows, nodes,
/// the dense output's d and the error estimate's e (zeros included: ode_solvers adds those terms too,
/// and an added ±0 can flip the sign of a zero).
mod dopri54 {
    pub const A: [&[f64]; 6] = [
        &[1.0 / 5.0],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
        ],
        &[
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
        &[
            35.0 / 384.0,
            0.0,
            500.0 / 1113.0,
            125.0 / 192.0,
            -2187.0 / 6784.0,
            11.0 / 84.0,
        ],
    ];
    pub const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
    pub const D: [f64; 7] = [
        -12715105075.0 / 11282082432.0,
        0.0,
        87487479700.0 / 32700410799.0,
        -10690763975.0 / 1880347072.0,
        701980252875.0 / 199316789632.0,
        -1453857185.0 / 822651844.0,
        69997945.0 / 29380423.0,
    ];
    pub const E: [f64; 7] = [
        71.0 / 57600.0,
        0.0,
        -71.0 / 16695.0,
        71.0 / 1920.0,
        -17253.0 / 339200.0,
        22.0 / 525.0,
        -1.0 / 40.0,
    ];
}

/// `solve`'s controller constants for dopri5 (src/continuous/solve.rs, `integrate_adaptive`).
const SAFETY: f64 = 0.9;
const BETA: f64 = 0.04;
const FAC_MIN: f64 = 0.2;
const FAC_MAX: f64 = 10.0;

/// One recorded point of one start, handed to the caller's sink as it is produced.
#[derive(Debug, Clone, Copy)]
pub struct LaneSample<'a, const D: usize> {
    /// The start's index in the slice of starts.
    pub start: usize,
    /// The recorded point's index j (t = j·Δ); 0 is the initial point.
    pub j: u64,
    /// θ there.
    pub theta: &'a [f64; D],
    /// L(θ).
    pub loss: f64,
    /// |∇L(θ)|.
    pub grad_norm: f64,
}

/// How one start's flow ended: its last recorded point, why it ended, and the solver's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLaneEnd<const D: usize> {
    /// θ at the last recorded point (at t_end when the run completed).
    pub theta: [f64; D],
    /// The recorded points kept (j = 0 … `recorded` − 1), as `solve`'s trajectory length.
    pub recorded: u64,
    /// As [`solve`](super::solve) names it.
    pub termination: Termination,
    /// Evaluations, accepted and rejected steps, as `solve` counts them (wall time and HVPs are 0).
    pub stats: RunStats,
}

/// True when [`gradient_flow_lanes`] integrates a flow with these settings on this state size the way
/// `solve` does: dopri5, and at most [`MAX_LANE_STATE`] coordinates.
pub fn lanes_cover(settings: &SolverSettings, dim: usize) -> bool {
    settings.solver == SolverKind::Dopri5 && (1..=MAX_LANE_STATE).contains(&dim)
}

/// The gradient flow θ' = −∇L(θ) from each of `starts` over `grid`, as [`solve`](super::solve) with
/// `GradientFlow` and dopri5 integrates it, `L` starts at a time. `bounds[i]` is start i's divergence
/// bound. Each recorded point is handed to `sink` as it is produced (in no particular order across
/// starts, in order within one); the returned ends are in the order of `starts`.
///
/// Panics when `settings` is not dopri5 ([`lanes_cover`]), when `D` exceeds [`MAX_LANE_STATE`], when the
/// objective's dimension is not `D`, or when `bounds` and `starts` differ in length.
pub fn gradient_flow_lanes<O: Objective, const D: usize, const L: usize>(
    objective: &O,
    starts: &[[f64; D]],
    bounds: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
    mut sink: impl FnMut(LaneSample<'_, D>),
) -> Vec<FlowLaneEnd<D>> {
    assert!(
        lanes_cover(settings, D),
        "the lane integrator runs dopri5 on d ≤ 8"
    );
    assert_eq!(objective.dim(), D, "the objective's dimension is the lanes' D");
    assert_eq!(starts.len(), bounds.len(), "one divergence bound per start");
    let problem = Problem {
        objective,
        grid,
        settings,
        n: grid.intervals(),
        spacing: grid.spacing(),
    };
    let mut ends: Vec<Option<FlowLaneEnd<D>>> = vec![None; starts.len()];
    let mut queue = 0..starts.len();
    let mut lanes = Lanes::<D, L>::new();
    // Starts that need no integration (n = 0, an unreachable tolerance, a diverged θ₀) end while loading.
    for l in 0..L {
        lanes.fill(l, &problem, starts, bounds, &mut queue, &mut ends, &mut sink);
    }
    while lanes.any_active() {
        for l in 0..L {
            while lanes.active[l] {
                match lanes.before_step(l, &problem) {
                    Ok(()) => break,
                    Err(failure) => {
                        lanes.fail(l, &problem, failure, &mut ends);
                        lanes.fill(l, &problem, starts, bounds, &mut queue, &mut ends, &mut sink);
                    }
                }
            }
        }
        if !lanes.any_active() {
            break;
        }
        lanes.stages(&problem);
        for l in 0..L {
            if lanes.active[l] && lanes.after_step(l, &problem, bounds, &mut ends, &mut sink) {
                lanes.fill(l, &problem, starts, bounds, &mut queue, &mut ends, &mut sink);
            }
        }
    }
    ends.into_iter().map(|e| e.expect("every start ends")).collect()
}

/// [`gradient_flow_lanes`] keeping only each start's end (the basin map's need).
pub fn gradient_flow_final_lanes<O: Objective, const D: usize, const L: usize>(
    objective: &O,
    starts: &[[f64; D]],
    bounds: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
) -> Vec<FlowLaneEnd<D>> {
    gradient_flow_lanes::<O, D, L>(objective, starts, bounds, grid, settings, |_| {})
}

/// What every lane shares.
struct Problem<'a, O> {
    objective: &'a O,
    grid: &'a TimeGrid,
    settings: &'a SolverSettings,
    /// Recorded intervals N; samples at s = 0 … N.
    n: u64,
    /// Δ: s = t/Δ.
    spacing: f64,
}

impl<O: Objective> Problem<'_, O> {
    /// The integration's end in s: a little past the last sample, as in `solve`.
    fn s_end(&self) -> f64 {
        self.n as f64 + 1.0 / 64.0
    }

    /// `solve`'s rescaled gradient flow at one point, dy = (−∇L(y))·Δ; false when dy is not finite.
    fn field<const D: usize>(&self, y: &[f64; D], dy: &mut [f64; D]) -> bool {
        self.objective.gradient(y, dy);
        let mut finite = true;
        for v in dy.iter_mut() {
            *v = -*v * self.spacing;
            finite &= v.is_finite();
        }
        finite
    }

    /// Why recorded point `j` at `theta` ends the run, as `solve`'s recording loop words it, or `None`
    /// (then its loss and gradient norm).
    fn check(&self, j: u64, theta: &[f64], bound: f64, grad: &mut [f64]) -> Result<(f64, f64), Termination> {
        let k = self.grid.step_of(j);
        let t = self.grid.time_of_step(k);
        let loss = self.objective.loss_gradient(theta, grad);
        let finite = theta.iter().all(|v| v.is_finite()) && loss.is_finite();
        if !finite || loss.abs() > bound {
            let reason = if finite {
                format!(
                    "|loss| = {:.3e} exceeded the divergence bound {bound:.3e}",
                    loss.abs()
                )
            } else {
                "the state became non-finite".to_string()
            };
            return Err(Termination::Diverged { step: k, t, reason });
        }
        Ok((loss, norm(grad)))
    }
}

/// `L` starts in flight: their states, stages and controllers, lane by lane.
struct Lanes<const D: usize, const L: usize> {
    active: [bool; L],
    /// The start each lane integrates.
    start: [usize; L],
    y: [[f64; L]; D],
    /// The stages k₁ … k₇ (k₇ = f(x + h, y_next), the next step's k₁: FSAL).
    k: [[[f64; L]; D]; 7],
    y_next: [[f64; L]; D],
    /// The dense output's coefficients of the last accepted step.
    rcont: [[[f64; L]; D]; 5],
    x: [f64; L],
    x_old: [f64; L],
    h: [f64; L],
    h_old: [f64; L],
    /// The controller's memory: the last accepted error (≥ 1e-4), and whether the last step was rejected.
    fac_old: [f64; L],
    reject: [bool; L],
    /// This attempt ends at s_end.
    last: [bool; L],
    /// Attempts so far (ode_solvers' n_step).
    n_step: [u32; L],
    /// The next dense output time, an integer s.
    next_j: [u64; L],
    /// The first s at which the field was not finite (∞: never).
    first_non_finite: [f64; L],
    evals: [u64; L],
    accepted: [u64; L],
    rejected: [u64; L],
    /// The last recorded point and how many were recorded.
    theta: [[f64; D]; L],
    recorded: [u64; L],
}

impl<const D: usize, const L: usize> Lanes<D, L> {
    fn new() -> Self {
        Lanes {
            active: [false; L],
            start: [0; L],
            y: [[0.0; L]; D],
            k: [[[0.0; L]; D]; 7],
            y_next: [[0.0; L]; D],
            rcont: [[[0.0; L]; D]; 5],
            x: [0.0; L],
            x_old: [0.0; L],
            h: [0.0; L],
            h_old: [0.0; L],
            fac_old: [0.0; L],
            reject: [false; L],
            last: [false; L],
            n_step: [0; L],
            next_j: [0; L],
            first_non_finite: [f64::INFINITY; L],
            evals: [0; L],
            accepted: [0; L],
            rejected: [0; L],
            theta: [[0.0; D]; L],
            recorded: [0; L],
        }
    }

    fn any_active(&self) -> bool {
        self.active.iter().any(|&a| a)
    }

    /// Loads the next start that needs integrating into lane `l` (ending on the way those that need
    /// none), or leaves the lane idle when the queue is empty. Runs `solve`'s set-up: the recorded
    /// initial point, the tolerance check, and Hairer's initial step (two evaluations) and k₁ (one more).
    #[allow(clippy::too_many_arguments)]
    fn fill<O: Objective>(
        &mut self,
        l: usize,
        p: &Problem<'_, O>,
        starts: &[[f64; D]],
        bounds: &[f64],
        queue: &mut std::ops::Range<usize>,
        ends: &mut [Option<FlowLaneEnd<D>>],
        sink: &mut impl FnMut(LaneSample<'_, D>),
    ) {
        self.active[l] = false;
        let mut grad = [0.0; D];
        for i in queue.by_ref() {
            let y0 = starts[i];
            let end = |termination| FlowLaneEnd {
                theta: y0,
                recorded: 1,
                termination,
                stats: RunStats::default(),
            };
            let (loss, grad_norm) = match p.check(0, &y0, bounds[i], &mut grad) {
                Ok(v) => v,
                Err(diverged) => {
                    ends[i] = Some(FlowLaneEnd {
                        recorded: 0,
                        ..end(diverged)
                    });
                    continue;
                }
            };
            sink(LaneSample {
                start: i,
                j: 0,
                theta: &y0,
                loss,
                grad_norm,
            });
            if p.settings.rtol <= MIN_RTOL {
                let failure = SolverFailure::ToleranceUnreachable;
                ends[i] = Some(end(Termination::SolverFailed {
                    failure,
                    t: 0.0,
                    advice: failure.advice().to_string(),
                }));
                continue;
            }
            if p.n == 0 {
                ends[i] = Some(end(Termination::Completed));
                continue;
            }
            self.load(l, i, &y0, p);
            return;
        }
    }

    /// Starts lane `l` on start `i` at `y0`: ode_solvers' `hinit` and first stage.
    fn load<O: Objective>(&mut self, l: usize, i: usize, y0: &[f64; D], p: &Problem<'_, O>) {
        let (rtol, atol) = (p.settings.rtol, p.settings.atol);
        let h_max = p.s_end().abs();
        let mut first_non_finite = f64::INFINITY;
        let mut f0 = [0.0; D];
        if !p.field(y0, &mut f0) {
            first_non_finite = 0.0;
        }
        let (mut d0, mut d1) = (0.0, 0.0);
        for i in 0..D {
            let sci = atol + y0[i].abs() * rtol;
            d0 += (y0[i] / sci) * (y0[i] / sci);
            d1 += (f0[i] / sci) * (f0[i] / sci);
        }
        let tol = 1.0e-10;
        let mut h0 = if d0 < tol || d1 < tol {
            1.0e-6
        } else {
            0.01 * (d0 / d1).sqrt()
        };
        h0 = h0.min(h_max).abs();
        let mut y1 = [0.0; D];
        for i in 0..D {
            y1[i] = y0[i] + f0[i] * h0;
        }
        let mut f1 = [0.0; D];
        if !p.field(&y1, &mut f1) && h0 < first_non_finite {
            first_non_finite = h0;
        }
        let mut d2 = 0.0;
        for i in 0..D {
            let sci = atol + y0[i].abs() * rtol;
            d2 += ((f1[i] - f0[i]) / sci) * ((f1[i] - f0[i]) / sci);
        }
        d2 = d2.sqrt() / h0;
        let h1 = if d1.sqrt().max(d2.abs()) <= 1.0e-15 {
            1.0e-6_f64.max(h0.abs() * 1.0e-3)
        } else {
            (0.01 / (d1.sqrt().max(d2))).powf(1.0 / 5.0)
        };
        let h = (100.0 * h0.abs()).min(h1.min(h_max)).abs();
        // k₁ = f(x₀, y₀), which ode_solvers evaluates again: the same bits as f0, counted.
        for i in 0..D {
            self.y[i][l] = y0[i];
            self.k[0][i][l] = f0[i];
        }
        self.active[l] = true;
        self.start[l] = i;
        self.x[l] = 0.0;
        self.x_old[l] = 0.0;
        self.h[l] = h;
        self.h_old[l] = h;
        self.fac_old[l] = 1.0e-4;
        self.reject[l] = false;
        self.last[l] = false;
        self.n_step[l] = 0;
        self.next_j[l] = 0;
        self.first_non_finite[l] = first_non_finite;
        self.evals[l] = 3;
        self.accepted[l] = 0;
        self.rejected[l] = 0;
        self.theta[l] = *y0;
        self.recorded[l] = 1;
    }

    /// ode_solvers' checks before an attempt (step budget, step underflow) and its last-step rule.
    fn before_step<O: Objective>(&mut self, l: usize, p: &Problem<'_, O>) -> Result<(), SolverFailure> {
        if self.n_step[l] > p.settings.max_steps {
            return Err(SolverFailure::MaxStepsReached);
        }
        if 0.1 * self.h[l].abs() <= f64::EPSILON * self.x[l].abs() {
            return Err(SolverFailure::StepSizeUnderflow);
        }
        let s_end = p.s_end();
        if self.x[l] + 1.01 * self.h[l] - s_end > 0.0 {
            self.h[l] = s_end - self.x[l];
            self.last[l] = true;
        }
        self.n_step[l] += 1;
        Ok(())
    }

    /// Ends lane `l`'s start with a solver failure at its current s, named as `solve` names it.
    fn fail<O: Objective>(
        &mut self,
        l: usize,
        p: &Problem<'_, O>,
        failure: SolverFailure,
        ends: &mut [Option<FlowLaneEnd<D>>],
    ) {
        let t = self.x[l] * p.spacing;
        let s_bad = self.first_non_finite[l];
        let blew_up = s_bad.is_finite() && s_bad * p.spacing <= t + p.spacing;
        let termination = if blew_up {
            Termination::Diverged {
                step: p.grid.step_of(self.recorded[l] - 1),
                t,
                reason: format!("the vector field became non-finite near t = {t:.6e} ({failure:?})"),
            }
        } else {
            Termination::SolverFailed {
                failure,
                t,
                advice: failure.advice().to_string(),
            }
        };
        // `solve` takes no rejected count from a failed run.
        self.rejected[l] = 0;
        self.finish(l, termination, ends);
    }

    fn finish(&mut self, l: usize, termination: Termination, ends: &mut [Option<FlowLaneEnd<D>>]) {
        self.active[l] = false;
        ends[self.start[l]] = Some(FlowLaneEnd {
            theta: self.theta[l],
            recorded: self.recorded[l],
            termination,
            stats: RunStats {
                grad_evals: self.evals[l],
                accepted_steps: self.accepted[l],
                rejected_steps: self.rejected[l],
                ..RunStats::default()
            },
        });
    }

    /// Stages 2 … 7 of every lane with its own h: one loop over lanes per coefficient, one
    /// `gradient_lanes` call per stage.
    // Index loops over lanes: the form the compiler turns into SIMD across the lanes' arrays.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn stages<O: Objective>(&mut self, p: &Problem<'_, O>) {
        let mut g = [[0.0; L]; D];
        for s in 1..7 {
            let row = dopri54::A[s - 1];
            for i in 0..D {
                let mut v = self.y[i];
                for (j, &a) in row.iter().enumerate() {
                    for l in 0..L {
                        v[l] += (self.k[j][i][l] * self.h[l]) * a;
                    }
                }
                self.y_next[i] = v;
            }
            p.objective.gradient_lanes(&self.y_next, &mut g);
            let mut finite = [true; L];
            for i in 0..D {
                for l in 0..L {
                    let v = -g[i][l] * p.spacing;
                    self.k[s][i][l] = v;
                    finite[l] &= v.is_finite();
                }
            }
            for l in 0..L {
                if !finite[l] && self.active[l] {
                    let at = self.x[l] + self.h[l] * dopri54::C[s];
                    if at < self.first_non_finite[l] {
                        self.first_non_finite[l] = at;
                    }
                }
            }
        }
        for l in 0..L {
            self.evals[l] += 6;
        }
    }

    /// Lane `l`'s error norm, controller and, when accepted, its dense output and recorded points; true
    /// when its start has ended.
    fn after_step<O: Objective>(
        &mut self,
        l: usize,
        p: &Problem<'_, O>,
        bounds: &[f64],
        ends: &mut [Option<FlowLaneEnd<D>>],
        sink: &mut impl FnMut(LaneSample<'_, D>),
    ) -> bool {
        use dopri54::{D as DD, E};
        let (rtol, atol) = (p.settings.rtol, p.settings.atol);
        let h = self.h[l];
        let mut err = 0.0;
        for i in 0..D {
            let [k0, _, k2, k3, k4, k5, k6] = [0, 1, 2, 3, 4, 5, 6].map(|s| self.k[s][i][l]);
            let e = (k0 * E[0] + k2 * E[2] + k3 * E[3] + k4 * E[4] + k5 * E[5] + k6 * E[6]) * h;
            let sc = atol + self.y[i][l].abs().max(self.y_next[i][l].abs()) * rtol;
            err += (e / sc) * (e / sc);
        }
        err = (err / D as f64).sqrt();
        // ode_solvers' Controller::accept with solve's constants.
        let alpha = 0.2 - BETA * 0.75;
        let (facc1, facc2) = (1.0 / FAC_MIN, 1.0 / FAC_MAX);
        let fac11 = err.powf(alpha);
        let mut fac = fac11 * self.fac_old[l].powf(-BETA);
        fac = facc2.max(facc1.min(fac / SAFETY));
        let mut h_new = h / fac;
        if err > 1.0 || err.is_nan() {
            self.h[l] = h / facc1.min(fac11 / SAFETY);
            self.reject[l] = true;
            self.last[l] = false;
            if self.accepted[l] >= 1 {
                self.rejected[l] += 1;
            }
            return false;
        }
        self.fac_old[l] = err.max(1.0e-4);
        let h_max = p.s_end().abs();
        if h_new.abs() > h_max {
            h_new = h_max;
        }
        if self.reject[l] {
            h_new = h_new.abs().min(h.abs());
        }
        self.reject[l] = false;
        self.accepted[l] += 1;
        for i in 0..D {
            let [k0, _, k2, k3, k4, k5, k6] = [0, 1, 2, 3, 4, 5, 6].map(|s| self.k[s][i][l]);
            let rcont4 = (k0 * DD[0] + k2 * DD[2] + k3 * DD[3] + k4 * DD[4] + k5 * DD[5] + k6 * DD[6]) * h;
            let (y, y_next) = (self.y[i][l], self.y_next[i][l]);
            let ydiff = y_next - y;
            let bspl = k0 * h - ydiff;
            let rcont3 = -k6 * h + ydiff - bspl;
            self.rcont[0][i][l] = y;
            self.rcont[1][i][l] = ydiff;
            self.rcont[2][i][l] = bspl;
            self.rcont[3][i][l] = rcont3;
            self.rcont[4][i][l] = rcont4;
            self.k[0][i][l] = k6;
            self.y[i][l] = y_next;
        }
        self.x_old[l] = self.x[l];
        self.x[l] += h;
        self.h_old[l] = h;
        // Dense output at every integer s the step covered (s = 0 is the initial point, recorded).
        while self.next_j[l] as f64 <= self.x[l] {
            let xd = self.next_j[l] as f64;
            let j = self.next_j[l];
            self.next_j[l] += 1;
            if j == 0 || j > p.n {
                continue;
            }
            let theta = (xd - self.x_old[l]) / self.h_old[l];
            let theta1 = 1.0 - theta;
            let mut out = [0.0; D];
            for (i, o) in out.iter_mut().enumerate() {
                let r = |c: usize| self.rcont[c][i][l];
                *o = r(0) + (r(1) + (r(2) + (r(3) + r(4) * theta1) * theta) * theta1) * theta;
            }
            let start = self.start[l];
            let mut grad = [0.0; D];
            match p.check(j, &out, bounds[start], &mut grad) {
                Ok((loss, grad_norm)) => {
                    self.theta[l] = out;
                    self.recorded[l] = j + 1;
                    sink(LaneSample {
                        start,
                        j,
                        theta: &out,
                        loss,
                        grad_norm,
                    });
                }
                Err(diverged) => {
                    self.finish(l, diverged, ends);
                    return true;
                }
            }
        }
        if self.last[l] {
            self.finish(l, Termination::Completed, ends);
            return true;
        }
        self.h[l] = h_new;
        false
    }
}
