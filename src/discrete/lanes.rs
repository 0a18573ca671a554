//! Gradient descent to the final point only, several starts at once: for basin maps and sweeps that need
//! only where each run ends and whether it diverged, not its trajectory.
//!
//! Why lanes: a GD step on a small objective is a chain of dependent floating-point operations, so one
//! start runs at the latency of that chain while the core's other execution ports sit idle. Advancing
//! `L` independent starts in one loop body gives the out-of-order core `L` chains to overlap. Each lane
//! performs exactly the operations [`super::gradient_descent`] performs for its start, in the same order,
//! so results are bit-identical to it (tested in tests/gd_lanes.rs). No trajectory is stored and nothing
//! is allocated.

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

/// Runs gradient descent over `grid` from each of `starts` and returns only where each run ended.
///
/// Divergence is detected exactly as [`super::gradient_descent`] does: θ or ∇L(θ_k) non-finite at any
/// step, or |L| above `loss_bound` at a step it would record (every `grid.record_every`-th and none
/// other), so the result equals that function's final point and termination, bit for bit. Starts are
/// advanced `L` at a time (see the module notes); `L` = 4 is a good default on current x86 cores.
pub fn gd_final_lanes<O: Objective + ?Sized, const D: usize, const L: usize>(
    objective: &O,
    starts: &[[f64; D]],
    grid: &TimeGrid,
    loss_bound: f64,
) -> Vec<GdFinal<D>> {
    debug_assert_eq!(objective.dim(), D, "the objective's dimension must be D");
    let mut out = Vec::with_capacity(starts.len());
    for chunk in starts.chunks(L) {
        let n = chunk.len();
        let mut theta = [[0.0; D]; L];
        theta[..n].copy_from_slice(chunk);
        let mut grad = [[0.0; D]; L];
        let mut diverged: [Option<u64>; L] = [None; L];
        let mut previous = theta;
        // Lanes past the end of the last chunk start as finished, so they do no work.
        let mut live = [false; L];
        live[..n].iter_mut().for_each(|l| *l = true);
        let mut until_record = 0u64;
        for k in 0..=grid.steps {
            let on_record = until_record == 0;
            until_record = if on_record {
                grid.record_every - 1
            } else {
                until_record - 1
            };
            let mut any_live = false;
            for l in 0..L {
                if !live[l] {
                    continue;
                }
                objective.gradient(&theta[l], &mut grad[l]);
                let finite = theta[l]
                    .iter()
                    .chain(&grad[l])
                    .fold(true, |a, x| a & x.is_finite());
                // As in the driver: the loss bound is checked only on recorded steps; a NaN loss fails it
                // (NaN ≤ bound is false).
                let within = !on_record || objective.loss(&theta[l]).abs() <= loss_bound;
                let bad = !finite || !within;
                if bad {
                    diverged[l] = Some(k);
                    live[l] = false;
                    // The last finite iterate, as the driver keeps it (θ₀ when k = 0).
                    if k > 0 {
                        theta[l] = previous[l];
                    }
                    continue;
                }
                if k == grid.steps {
                    live[l] = false;
                    continue;
                }
                previous[l] = theta[l];
                for i in 0..D {
                    theta[l][i] = previous[l][i] - grid.step_size * grad[l][i];
                }
                any_live = true;
            }
            if !any_live {
                break;
            }
        }
        out.extend((0..n).map(|l| GdFinal {
            theta: theta[l],
            diverged_at: diverged[l],
        }));
    }
    out
}
