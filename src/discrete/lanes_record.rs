//! Gradient descent over many starts at once with every recorded point kept: the lane-wise loop of
//! [`super::gd_final_lanes`] (same arithmetic, same divergence checks, bit-identical to
//! [`super::gradient_descent`]), plus a snapshot of all lanes at each recorded step, from which each
//! start's [`Trajectory`] is then built exactly as the one-start driver would have built it. For sweeps
//! over initial points (`flowgap sweep`), whose rows need the recorded path, not only the end.
//!
//! Recording inside the loop is one block copy per recorded step into a buffer sized for the whole grid
//! before the loop starts (reused from chunk to chunk), so nothing is allocated per step. Everything the
//! driver computes only at its final or diverging step (the gradient norm, the last finite iterate when
//! it was not recorded, the reason for a divergence, the conserved quantities) is recomputed per start
//! afterwards with the objective's one-point methods, which give the same bits as its lane methods.

#[cfg(target_arch = "x86_64")]
use super::lanes::Avx;
use super::lanes::{run_chunk, Baseline, Block, GdFinal, Kernel, Recorder, LANE_GROUP};
use crate::objective::{norm, Objective};
use crate::trajectory::{Termination, TimeGrid, Trajectory};
use std::time::Instant;

/// Runs gradient descent over `grid` from each of `starts` (start l with divergence bound
/// `loss_bounds[l]`) and returns each run's trajectory, equal field by field to what
/// [`super::gradient_descent`] returns for that start (except `stats.wall_seconds`, which is the chunk's
/// time shared equally among its starts).
///
/// `G` groups of [`LANE_GROUP`] lanes are advanced per loop body, as in [`super::gd_final_lanes`]; the
/// trajectory of a start depends neither on `G` nor on the other starts, so callers may split `starts`
/// over threads freely.
pub fn gd_record_lanes<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    starts: &[[f64; D]],
    loss_bounds: &[f64],
    grid: &TimeGrid,
) -> Vec<Trajectory> {
    assert_eq!(starts.len(), loss_bounds.len(), "one divergence bound per start");
    debug_assert_eq!(objective.dim(), D, "the objective's dimension must be D");
    let mut out = Vec::with_capacity(starts.len());
    #[cfg(target_arch = "x86_64")]
    if let Some(avx) = Avx::detect() {
        // SAFETY: the CPU supports AVX (the token says so), the only feature the function enables.
        unsafe { all_chunks_avx::<O, D, G>(objective, starts, loss_bounds, grid, avx, &mut out) };
        return out;
    }
    all_chunks::<O, D, G, _>(objective, starts, loss_bounds, grid, Baseline, &mut out);
    out
}

/// [`all_chunks`] compiled with AVX (and without FMA: see the notes of [`super::gd_final_lanes`]'s module).
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn all_chunks_avx<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    starts: &[[f64; D]],
    loss_bounds: &[f64],
    grid: &TimeGrid,
    avx: Avx,
    out: &mut Vec<Trajectory>,
) {
    all_chunks::<O, D, G, _>(objective, starts, loss_bounds, grid, avx, out);
}

/// All lanes at one recorded step.
#[derive(Clone, Copy)]
struct Snapshot<const D: usize, const G: usize> {
    theta: [Block<D>; G],
    grad: [Block<D>; G],
    loss: [[f64; LANE_GROUP]; G],
}

/// Keeps a snapshot per recorded step in a buffer reserved up front.
struct Snapshots<const D: usize, const G: usize>(Vec<Snapshot<D, G>>);

impl<const D: usize, const G: usize> Recorder<D, G> for Snapshots<D, G> {
    #[inline(always)]
    fn record(&mut self, theta: &[Block<D>; G], grad: &[Block<D>; G], loss: &[[f64; LANE_GROUP]; G]) {
        // Never reallocates: the buffer holds one snapshot per recorded step of the grid.
        debug_assert!(self.0.len() < self.0.capacity());
        self.0.push(Snapshot {
            theta: *theta,
            grad: *grad,
            loss: *loss,
        });
    }
}

// Always inlined, so that it (and the objective's lane methods inlined into it) is compiled with the
// caller's target features.
#[inline(always)]
fn all_chunks<O: Objective, const D: usize, const G: usize, K: Kernel>(
    objective: &O,
    starts: &[[f64; D]],
    loss_bounds: &[f64],
    grid: &TimeGrid,
    kernel: K,
    out: &mut Vec<Trajectory>,
) {
    let points = grid.intervals() as usize + 1;
    let mut snaps = Snapshots::<D, G>(Vec::with_capacity(points));
    let width = G * LANE_GROUP;
    for (chunk, bounds) in starts.chunks(width).zip(loss_bounds.chunks(width)) {
        let started = Instant::now();
        snaps.0.clear();
        let ends = run_chunk::<O, D, G, _, _>(objective, chunk, |l| bounds[l], grid, kernel, &mut snaps);
        let share = started.elapsed().as_secs_f64() / chunk.len() as f64;
        for (l, (start, end)) in chunk.iter().zip(ends.iter().flatten()).enumerate() {
            let lane = (l / LANE_GROUP, l % LANE_GROUP);
            let mut traj = trajectory(objective, start, bounds[l], grid, end, &snaps.0, lane);
            traj.stats.wall_seconds = share;
            out.push(traj);
        }
    }
}

/// Builds lane `(g, j)`'s trajectory from the snapshots and its end, as the one-start driver records it.
fn trajectory<O: Objective, const D: usize, const G: usize>(
    objective: &O,
    start: &[f64; D],
    loss_bound: f64,
    grid: &TimeGrid,
    end: &GdFinal<D>,
    snaps: &[Snapshot<D, G>],
    (g, j): (usize, usize),
) -> Trajectory {
    let re = grid.record_every;
    let mut traj = Trajectory::with_conserved(D, grid.intervals() as usize + 2, objective.conserved_names());
    let mut conserved = vec![0.0; traj.conserved_names.len()];
    // The lane passed every check up to its end, so it was recorded at every recorded step before
    // it: k = 0, re, 2re, … below the divergence step, or up to the horizon.
    let recorded = match end.diverged_at {
        Some(k) => k.div_ceil(re),
        None => grid.steps / re + 1,
    };
    for (r, snap) in snaps[..recorded as usize].iter().enumerate() {
        let theta: [f64; D] = std::array::from_fn(|i| snap.theta[g][i][j]);
        let grad: [f64; D] = std::array::from_fn(|i| snap.grad[g][i][j]);
        let k = grid.step_of(r as u64);
        objective.conserved(&theta, &mut conserved);
        traj.push(
            k,
            grid.time_of_step(k),
            &theta,
            snap.loss[g][j],
            norm(&grad),
            &conserved,
        );
    }
    let Some(k) = end.diverged_at else {
        traj.stats.grad_evals = grid.steps + 1;
        traj.stats.accepted_steps = grid.steps;
        return traj;
    };
    // The driver's divergence branch at step k, redone for this start alone. θ_{k−1} is the lane's end
    // point (k ≥ 1); θ_k = θ_{k−1} − η∇L(θ_{k−1}) is recomputed with the update's own arithmetic.
    let previous = end.theta;
    let mut grad_previous = [0.0; D];
    let theta_k = if k == 0 {
        *start
    } else {
        objective.gradient(&previous, &mut grad_previous);
        std::array::from_fn(|i| previous[i] - grid.step_size * grad_previous[i])
    };
    let mut grad_k = [0.0; D];
    objective.gradient(&theta_k, &mut grad_k);
    let finite = theta_k.iter().chain(&grad_k).all(|x| x.is_finite());
    // The loss is needed (and evaluated) only for the bound's message.
    let loss = if finite {
        objective.loss(&theta_k)
    } else {
        f64::NAN
    };
    let reason = super::drive::divergence_reason(finite, loss, loss_bound);
    if k > 0 && previous.iter().all(|x| x.is_finite()) && traj.steps.last() != Some(&(k - 1)) {
        objective.conserved(&previous, &mut conserved);
        let loss = objective.loss(&previous);
        traj.push(
            k - 1,
            grid.time_of_step(k - 1),
            &previous,
            loss,
            norm(&grad_previous),
            &conserved,
        );
    }
    traj.termination = Termination::Diverged {
        step: k,
        t: grid.time_of_step(k),
        reason,
    };
    traj.stats.grad_evals = k + 1;
    traj.stats.accepted_steps = k;
    traj
}
