//! Gradient descent to the final point only, several starts at once: for basin maps and sweeps that need
//! only where each run ends and whether it diverged, not its trajectory.
//!
//! Why lanes: a GD step on a small objective is a chain of dependent floating-point operations, so one
//! start runs at the latency of that chain while the core's other execution ports sit idle. Advancing
//! many independent starts in one loop body (G groups of four lanes), stored as structure of arrays
//! (`θ[g][i][j]` is coordinate i of lane j of group g), gives the core G chains to overlap and lets the
//! compiler put a group in one SIMD register; the gradient comes from [`Objective::gradient_lanes`],
//! which small objectives implement as a loop over lanes. Divergence is checked for all lanes at once,
//! and only at recorded steps, at the horizon and every [`CHECK_EVERY`] steps; the steps in between run
//! unchecked in a function of their own (which vectorises cleanly), and when a check after them fails,
//! the loop goes back to their start and redoes them checked, so that the step a lane diverged at and its
//! last finite iterate are the driver's. A diverging lane is handled off the fast path. Each lane performs exactly the
//! operations [`super::gradient_descent`] performs for its start, in the same order, so results are
//! bit-identical to it (tested in tests/it/gd_lanes.rs). No
//! trajectory is stored and nothing is allocated per step; the loop hands each recorded step to a
//! [`Recorder`], which here does nothing and in [`super::gd_record_lanes`] keeps the step.
//!
//! On x86-64 the loop is compiled twice, for the baseline (SSE2, two f64 per register) and with AVX (four),
//! and the AVX copy is chosen at run time when the CPU has it. AVX alone keeps bit identity: its
//! add/sub/mul are the same correctly rounded IEEE operations as SSE2's, under the same rounding mode,
//! and Rust never contracts `a * b + c` into a fused multiply-add by itself. FMA is deliberately not
//! enabled: a fused instruction rounds once where the reference path rounds twice, so it must never be
//! within reach of this loop; nor is any fast-math reassociation used. The CPU's own target (e.g.
//! target-cpu=native) is left alone for the same reason and for portable binaries.

use crate::objective::Objective;
use crate::trajectory::TimeGrid;

/// Where one gradient-descent run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GdFinal<const D: usize> {
    /// The last finite iterate: θ at the horizon, or θ_{k−1} when the run diverged at step k ≥ 1
    /// (θ₀ when it diverged at step 0, where [`super::gradient_descent`] records no point).
    pub theta: [f64; D],
    /// The step at which divergence was detected, as in [`crate::Termination::Diverged`]; `None` when
    /// the run reached the horizon.
    pub diverged_at: Option<u64>,
}

/// Lanes per group: one 256-bit register of f64 (two SSE2 registers without AVX).
pub const LANE_GROUP: usize = 4;

/// A group's θ (or ∇L): `[i][j]` is coordinate i of lane j of the group.
pub(super) type Block<const D: usize> = [[f64; LANE_GROUP]; D];

/// Runs gradient descent over `grid` from each of `starts` and returns only where each run ended.
///
/// Divergence is detected exactly as [`super::gradient_descent`] does: θ or ∇L(θ_k) non-finite at any
/// step, or |L| above `loss_bound` at a step it would record (every `grid.record_every`-th and none
/// other), so the result equals that function's final point and termination, bit for bit. Starts are
/// advanced `G` groups of [`LANE_GROUP`] lanes at a time (see the module notes); `G` = 4 (16 starts per loop
/// body) is a good default on current x86 cores. Objectives without their own
/// [`Objective::gradient_lanes`] get correct but unvectorised lanes. The result for a start does not
/// depend on `G` or on which other starts share its chunk, so callers may split `starts` over threads
/// freely.
pub fn gd_final_lanes<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    starts: &[[f64; D]],
    grid: &TimeGrid,
    loss_bound: f64,
) -> Vec<GdFinal<D>> {
    debug_assert_eq!(objective.dim(), D, "the objective's dimension must be D");
    let mut out = Vec::with_capacity(starts.len());
    #[cfg(target_arch = "x86_64")]
    if let Some(avx) = Avx::detect() {
        // SAFETY: the CPU supports AVX (the token says so), the only feature the function enables.
        unsafe { all_chunks_avx::<O, D, G>(objective, starts, grid, loss_bound, avx, &mut out) };
        return out;
    }
    all_chunks::<O, D, G, _>(objective, starts, grid, loss_bound, Baseline, &mut out);
    out
}

/// [`all_chunks`] compiled with AVX (and without FMA: see the module notes).
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn all_chunks_avx<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    starts: &[[f64; D]],
    grid: &TimeGrid,
    loss_bound: f64,
    avx: Avx,
    out: &mut Vec<GdFinal<D>>,
) {
    all_chunks::<O, D, G, _>(objective, starts, grid, loss_bound, avx, out);
}

// Always inlined, so that it (and the objective's lane methods inlined into it) is compiled with the
// caller's target features.
#[inline(always)]
fn all_chunks<O: Objective, const D: usize, const G: usize, K: Kernel>(
    objective: &O,
    starts: &[[f64; D]],
    grid: &TimeGrid,
    loss_bound: f64,
    kernel: K,
    out: &mut Vec<GdFinal<D>>,
) {
    for chunk in starts.chunks(G * LANE_GROUP) {
        let ends = run_chunk::<O, D, G, _, _>(objective, chunk, |_| loss_bound, grid, kernel, &mut NoRecord);
        out.extend(ends.iter().flatten().take(chunk.len()));
    }
}

/// What the step loop hands out at each recorded step, after the step's divergence checks: θ_k, ∇L(θ_k)
/// and L(θ_k) of every lane (values of lanes that have ended are filler and must not be read).
pub(super) trait Recorder<const D: usize, const G: usize> {
    /// Called once per recorded step k = 0, r, 2r, … (r = `record_every`) while some lane is live.
    fn record(&mut self, theta: &[Block<D>; G], grad: &[Block<D>; G], loss: &[[f64; LANE_GROUP]; G]);
}

/// The final-point path records nothing; the calls compile away.
struct NoRecord;

impl<const D: usize, const G: usize> Recorder<D, G> for NoRecord {
    #[inline(always)]
    fn record(&mut self, _: &[Block<D>; G], _: &[Block<D>; G], _: &[[f64; LANE_GROUP]; G]) {}
}

/// Runs up to `G·LANE_GROUP` starts (`chunk`) to their ends; entries past `chunk.len()` are filler.
/// Start l's divergence bound is `bound(l)`; `recorder` sees every recorded step.
///
/// The objective is called once per group of [`LANE_GROUP`] lanes rather than once over all lanes: each call
/// is then one register wide and vectorises cleanly, and the `G` groups are independent chains the core
/// overlaps. (With all lanes contiguous, LLVM's SLP vectoriser pairs x's and y's operations instead and
/// spends its time shuffling.)
#[inline(always)]
pub(super) fn run_chunk<O: Objective, const D: usize, const G: usize, K: Kernel, R: Recorder<D, G>>(
    objective: &O,
    chunk: &[[f64; D]],
    bound: impl Fn(usize) -> f64,
    grid: &TimeGrid,
    kernel: K,
    recorder: &mut R,
) -> [[GdFinal<D>; LANE_GROUP]; G] {
    let n = chunk.len();
    let eta = grid.step_size;
    let mut ends = [[GdFinal {
        theta: [0.0; D],
        diverged_at: None,
    }; LANE_GROUP]; G];
    // Lanes past the end of a short chunk repeat the first start: they compute, are never reported.
    let mut theta = [[[0.0; LANE_GROUP]; D]; G];
    let mut live = [[false; LANE_GROUP]; G];
    let mut loss_bound = [[0.0; LANE_GROUP]; G];
    for g in 0..G {
        for j in 0..LANE_GROUP {
            let l = g * LANE_GROUP + j;
            let s = if l < n { l } else { 0 };
            for i in 0..D {
                theta[g][i][j] = chunk[s][i];
            }
            loss_bound[g][j] = bound(s);
            live[g][j] = l < n;
        }
    }
    let mut previous = theta;
    let mut grad = [[[0.0; LANE_GROUP]; D]; G];
    let mut loss = [[0.0; LANE_GROUP]; G];
    let re = grid.record_every;
    let mut k = 0u64;
    // Where the last run of unchecked steps began (θ_k there, θ_{k−1}, k), when one ran since the last
    // checked step; and the step up to which every step is checked (after a rewind).
    let mut unchecked_from: Option<([Block<D>; G], [Block<D>; G], u64)> = None;
    let mut checked_until = 0u64;
    loop {
        // A checked step k: the driver's checks for every lane.
        let on_record = k % re == 0;
        for g in 0..G {
            objective.gradient_lanes(&theta[g], &mut grad[g]);
        }
        let mut ok = all_finite(&theta, &grad);
        if on_record {
            // As in the driver: the loss bound is checked only on recorded steps; a NaN loss fails it
            // (NaN ≤ bound is false).
            for g in 0..G {
                objective.loss_lanes(&theta[g], &mut loss[g]);
            }
            ok &= loss
                .iter()
                .flatten()
                .zip(loss_bound.iter().flatten())
                .fold(true, |a, (x, b)| a & (x.abs() <= *b));
        }
        if !ok {
            if let Some((t, p, from)) = unchecked_from.take() {
                // Some lane failed at or before k, within the unchecked steps: go back to their start and
                // redo them checked, to find the step and keep θ_{k−1}. The arithmetic is the same, so
                // the redone steps give the same bits.
                (theta, previous, checked_until) = (t, p, k);
                k = from;
                continue;
            }
            // Values in and out, so that θ and ∇L never have their address taken and stay in registers
            // on the fast path.
            let checked = Checked {
                theta,
                grad,
                previous,
                loss,
                on_record,
                loss_bound,
                k,
            };
            match retire(checked, &mut live, &mut ends) {
                Some((t, g)) => (theta, grad) = (t, g),
                None => return ends,
            }
        }
        unchecked_from = None;
        if on_record {
            recorder.record(&theta, &grad, &loss);
        }
        if k == grid.steps {
            break;
        }
        previous = theta;
        step(&mut theta, &grad, eta);
        k += 1;
        // Then unchecked steps up to the next recorded step, the horizon, or CHECK_EVERY steps on. Why no
        // step is missed: a non-finite coordinate stays non-finite (x − ηg is NaN or ±∞ when x or g is), and
        // a non-finite ∇L(θ_j) makes θ_{j+1} non-finite, so if every lane passes the check at the run's
        // end, every lane was finite at every step of the run; no recorded step (loss bound) is skipped.
        let stop = (k.div_ceil(re) * re).min(grid.steps).min(k + CHECK_EVERY);
        if k >= checked_until && stop > k {
            unchecked_from = Some((theta, previous, k));
            theta = kernel.unchecked(objective, theta, stop - k, eta);
            k = stop;
        }
    }
    for g in 0..G {
        for j in 0..LANE_GROUP {
            if live[g][j] {
                ends[g][j].theta = std::array::from_fn(|i| theta[g][i][j]);
            }
        }
    }
    ends
}

/// Steps between checks at most (see `run_chunk`): a rewind redoes at most this many steps checked, and the
/// check costs about as much as a step, so it is paid once per this many.
const CHECK_EVERY: u64 = 64;

/// How the unchecked steps are compiled: [`Baseline`] for any CPU, [`Avx`] where the CPU has AVX.
pub(super) trait Kernel: Copy {
    /// Runs `n` GD steps on every lane from θ = `theta` with no check (see [`run_chunk`]); returns θ then.
    fn unchecked<O: Objective, const D: usize, const G: usize>(
        self,
        objective: &O,
        theta: [Block<D>; G],
        n: u64,
        eta: f64,
    ) -> [Block<D>; G];
}

/// The unchecked steps compiled for the baseline target (SSE2 on x86-64).
#[derive(Clone, Copy)]
pub(super) struct Baseline;

impl Kernel for Baseline {
    #[inline(always)]
    fn unchecked<O: Objective, const D: usize, const G: usize>(
        self,
        objective: &O,
        theta: [Block<D>; G],
        n: u64,
        eta: f64,
    ) -> [Block<D>; G] {
        unchecked_steps::<O, D, G>(objective, theta, n, eta)
    }
}

/// A token that the CPU has AVX (only [`Avx::detect`] makes one): the unchecked steps run compiled with AVX.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(super) struct Avx(());

#[cfg(target_arch = "x86_64")]
impl Avx {
    /// The token, when this CPU has AVX.
    pub(super) fn detect() -> Option<Avx> {
        std::arch::is_x86_feature_detected!("avx").then_some(Avx(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Kernel for Avx {
    #[inline(always)]
    fn unchecked<O: Objective, const D: usize, const G: usize>(
        self,
        objective: &O,
        theta: [Block<D>; G],
        n: u64,
        eta: f64,
    ) -> [Block<D>; G] {
        // SAFETY: an `Avx` exists only where the CPU has AVX, the only feature the function enables.
        unsafe { unchecked_steps_avx::<O, D, G>(objective, theta, n, eta) }
    }
}

// Not inlined into `run_chunk`, on purpose: compiled on its own, the loop keeps one register per group and
// coordinate (4 lanes wide with AVX). Inlined next to the checked step, LLVM's SLP vectoriser paired each
// lane's coordinates instead (2 wide, with shuffles), and W3's lanes ran 2× slower.
#[inline(never)]
fn unchecked_steps<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    theta: [Block<D>; G],
    n: u64,
    eta: f64,
) -> [Block<D>; G] {
    unchecked_body::<O, D, G>(objective, theta, n, eta)
}

/// [`unchecked_steps`] compiled with AVX (and without FMA: see the module notes).
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline(never)]
unsafe fn unchecked_steps_avx<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    theta: [Block<D>; G],
    n: u64,
    eta: f64,
) -> [Block<D>; G] {
    unchecked_body::<O, D, G>(objective, theta, n, eta)
}

// Always inlined, so that it is compiled with its caller's target features.
#[inline(always)]
fn unchecked_body<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    mut theta: [Block<D>; G],
    n: u64,
    eta: f64,
) -> [Block<D>; G] {
    let mut grad = [[[0.0; LANE_GROUP]; D]; G];
    for _ in 0..n {
        for g in 0..G {
            objective.gradient_lanes(&theta[g], &mut grad[g]);
        }
        step(&mut theta, &grad, eta);
    }
    theta
}

/// θ ← θ − η∇L for every lane, the operations of [`super::gradient_descent`]'s update.
#[inline(always)]
fn step<const D: usize, const G: usize>(theta: &mut [Block<D>; G], grad: &[Block<D>; G], eta: f64) {
    for g in 0..G {
        for i in 0..D {
            for j in 0..LANE_GROUP {
                theta[g][i][j] -= eta * grad[g][i][j];
            }
        }
    }
}

/// True when θ and ∇L are finite in every lane, with one branch for all lanes: x − x is 0 exactly when x is
/// finite (NaN for ±∞ and NaN), so the sum below is 0 in a lane exactly when its θ and ∇L are all finite;
/// plain f64 arithmetic over lanes vectorises, and the per-lane decision equals the driver's `is_finite`.
#[inline(always)]
fn all_finite<const D: usize, const G: usize>(theta: &[Block<D>; G], grad: &[Block<D>; G]) -> bool {
    let mut bad = [0.0; LANE_GROUP];
    for g in 0..G {
        for i in 0..D {
            for j in 0..LANE_GROUP {
                // x − x on purpose: the finiteness test described above.
                #[allow(clippy::eq_op)]
                let b = (theta[g][i][j] - theta[g][i][j]) + (grad[g][i][j] - grad[g][i][j]);
                bad[j] += b;
            }
        }
    }
    bad.iter().fold(true, |a, &x| a & (x == 0.0))
}

/// One step's state, as the slow path needs it.
struct Checked<const D: usize, const G: usize> {
    theta: [Block<D>; G],
    grad: [Block<D>; G],
    previous: [Block<D>; G],
    loss: [[f64; LANE_GROUP]; G],
    on_record: bool,
    loss_bound: [[f64; LANE_GROUP]; G],
    k: u64,
}

/// The slow path, at a step where some lane failed a check: each live lane that failed ends here, with
/// the last finite iterate as the driver keeps it (θ₀ when k = 0). A finished lane then copies a live
/// lane's θ_k and ∇L(θ_k), which passed this step's checks, so it keeps computing finite numbers (its own
/// could be NaN and would trip the check at every later step) while nobody reads it. Returns the new
/// θ_k and ∇L(θ_k), or `None` when no lane is live any more. `loss` holds this step's losses when
/// `on_record`.
#[inline(never)]
#[allow(clippy::type_complexity)]
fn retire<const D: usize, const G: usize>(
    c: Checked<D, G>,
    live: &mut [[bool; LANE_GROUP]; G],
    ends: &mut [[GdFinal<D>; LANE_GROUP]; G],
) -> Option<([Block<D>; G], [Block<D>; G])> {
    let Checked {
        mut theta,
        mut grad,
        previous,
        loss,
        on_record,
        loss_bound,
        k,
    } = c;
    let lanes = || (0..G).flat_map(|g| (0..LANE_GROUP).map(move |j| (g, j)));
    for (g, j) in lanes() {
        let ok = (0..D).all(|i| theta[g][i][j].is_finite() && grad[g][i][j].is_finite())
            && (!on_record || loss[g][j].abs() <= loss_bound[g][j]);
        if live[g][j] && !ok {
            live[g][j] = false;
            let last = if k > 0 { &previous[g] } else { &theta[g] };
            ends[g][j] = GdFinal {
                theta: std::array::from_fn(|i| last[i][j]),
                diverged_at: Some(k),
            };
        }
    }
    let (dg, dj) = lanes().find(|&(g, j)| live[g][j])?;
    for (g, j) in lanes() {
        if !live[g][j] {
            for i in 0..D {
                theta[g][i][j] = theta[dg][i][dj];
                grad[g][i][j] = grad[dg][i][dj];
            }
        }
    }
    Some((theta, grad))
}
