//! The loop every discrete method shares: record on the time grid, detect divergence, count work. A
//! method only supplies its update θ_k → θ_{k+1} (an [`Update`]).

use crate::objective::{norm, Objective};
use crate::trajectory::{Termination, TimeGrid, Trajectory};
use std::time::Instant;

/// One discrete method's update rule.
pub(crate) trait Update {
    /// True when the update uses ∇L at the current iterate θ_k (GD, heavy ball): the driver then computes
    /// it at every step and passes it in. Otherwise (Nesterov's look-ahead) the driver computes ∇L(θ_k)
    /// only at recorded points, for the gradient norm, and does not count it as the method's work.
    const USES_GRADIENT: bool;

    /// Writes θ_{k+1} into `next` from θ_k = `theta` (`grad` is ∇L(θ_k) when [`Update::USES_GRADIENT`],
    /// else unspecified). Returns the gradient evaluations it made itself.
    fn advance(&mut self, k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) -> u64;
}

/// Runs `update` from `theta0` over `grid`, recording every `grid.record_every`-th step at t = k·unit.
///
/// Divergence is a result: once θ (or ∇L(θ_k) when computed) is non-finite, or a recorded |loss| exceeds
/// `loss_bound`, the run stops with [`Termination::Diverged`] at that step; the last finite iterate is kept
/// as the final point. The loop does not allocate: buffers and the trajectory's storage are reserved up
/// front. `setup_evals` is the gradient evaluations the method spent before its first step.
pub(crate) fn drive<O: Objective + ?Sized, U: Update>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    mut update: U,
    setup_evals: u64,
) -> Trajectory {
    let started = Instant::now();
    let d = objective.dim();
    let mut traj = Trajectory::with_conserved(d, grid.intervals() as usize + 2, objective.conserved_names());
    let mut conserved = vec![0.0; traj.conserved_names.len()];
    let mut theta = theta0.to_vec();
    let mut previous = theta0.to_vec();
    let mut grad = vec![0.0; d];
    let mut evals = setup_evals;
    let mut taken = 0u64;
    // Counts down to the next recorded step (a division per step would cost more than a 2-D gradient).
    let mut until_record = 0u64;

    for k in 0..=grid.steps {
        let on_record = until_record == 0;
        until_record = if on_record {
            grid.record_every - 1
        } else {
            until_record - 1
        };
        let with_gradient = U::USES_GRADIENT || on_record;
        // A recorded step needs the loss as well: ask for both at once, which costs a network one
        // forward pass instead of two.
        let mut loss = 0.0;
        if on_record {
            loss = objective.loss_gradient(&theta, &mut grad);
        } else if with_gradient {
            objective.gradient(&theta, &mut grad);
        }
        if with_gradient {
            evals += u64::from(U::USES_GRADIENT);
        }
        let finite = all_finite(&theta) && (!with_gradient || all_finite(&grad));
        if !finite && !on_record {
            loss = objective.loss(&theta);
        }
        // A NaN loss is caught too: NaN ≤ bound is false.
        let within_bound = loss.abs() <= loss_bound;
        if !finite || (on_record && !within_bound) {
            let reason = if !finite {
                "parameters or gradient became non-finite".to_string()
            } else {
                format!(
                    "|loss| = {:.3e} exceeded the divergence bound {loss_bound:.3e}",
                    loss.abs()
                )
            };
            // Keep the last finite iterate as the final point, so figures draw up to divergence.
            if k > 0 && previous.iter().all(|x| x.is_finite()) && traj.steps.last() != Some(&(k - 1)) {
                objective.gradient(&previous, &mut grad);
                objective.conserved(&previous, &mut conserved);
                let loss = objective.loss(&previous);
                traj.push(
                    k - 1,
                    grid.time_of_step(k - 1),
                    &previous,
                    loss,
                    norm(&grad),
                    &conserved,
                );
            }
            traj.termination = Termination::Diverged {
                step: k,
                t: grid.time_of_step(k),
                reason,
            };
            break;
        }
        if on_record {
            objective.conserved(&theta, &mut conserved);
            traj.push(k, grid.time_of_step(k), &theta, loss, norm(&grad), &conserved);
        }
        if k == grid.steps {
            break;
        }
        // θ_{k+1} is written into the other buffer and the two swap roles: no copy per step.
        evals += update.advance(k, &theta, &grad, &mut previous);
        std::mem::swap(&mut theta, &mut previous);
        taken = k + 1;
    }
    traj.stats.grad_evals = evals;
    traj.stats.accepted_steps = taken;
    traj.stats.wall_seconds = started.elapsed().as_secs_f64();
    traj
}

/// True when every entry is finite; without early exit, so the compiler can vectorise it.
#[inline]
fn all_finite(v: &[f64]) -> bool {
    v.iter().fold(true, |acc, x| acc & x.is_finite())
}
