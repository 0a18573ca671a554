//! Gradient descent with per-coordinate step sizes ([`super::blockwise_gradient_descent`]) on many runs
//! of one small network at once: [`NET_LANES`] runs share each evaluation of the network's loss and
//! gradient through [`MlpLanes`], which lays their parameters out in SIMD lanes. Runs may differ in θ₀,
//! in their step sizes and in their divergence bound; they share the network, its data and the time
//! grid.
//!
//! Each lane replays [`super::drive`]'s loop for its own run (recording, the divergence rule, the last
//! finite iterate, the counts), so every run's trajectory equals blockwise_gradient_descent's bit for bit
//! (tests/it/net_lanes.rs). A run that stops (diverged, or at the horizon) leaves its lane to the next
//! pending run, so a diverged run costs only the steps it took.

use crate::objective::{norm, Mlp, MlpLanes, Objective, NET_LANES};
use crate::trajectory::{Termination, TimeGrid, Trajectory};
use std::time::Instant;

/// One run for [`blockwise_gd_net_lanes`].
#[derive(Debug, Clone, Copy)]
pub struct NetRun<'a> {
    /// θ₀ (length d).
    pub theta0: &'a [f64],
    /// The step size of each coordinate (length d; see [`super::BlockScales::rates`]).
    pub rates: &'a [f64],
    /// The divergence bound on |L|.
    pub loss_bound: f64,
}

/// A run in a lane: its index, its step, its trajectory so far and its counts.
struct Slot {
    run: usize,
    k: u64,
    until_record: u64,
    evals: u64,
    taken: u64,
    started: Instant,
    traj: Trajectory,
}

/// Each run's trajectory under [`super::blockwise_gradient_descent`] on `mlp` over `grid` (unscheduled,
/// unwatched), in the order of `runs`; `None` when the lanes would not reproduce it bit for bit (see
/// [`MlpLanes::new`]) or the grid has a step-size schedule: the caller then runs each alone.
pub fn blockwise_gd_net_lanes(mlp: &Mlp, runs: &[NetRun], grid: &TimeGrid) -> Option<Vec<Trajectory>> {
    if grid.schedule.is_some() {
        return None;
    }
    let mut lanes = MlpLanes::<NET_LANES>::new(mlp)?;
    let d = lanes.dim();
    assert!(
        runs.iter().all(|r| r.theta0.len() == d && r.rates.len() == d),
        "θ₀ and the rates have one entry per parameter"
    );
    const R: usize = NET_LANES;
    let names = mlp.conserved_names();
    let capacity = grid.intervals() as usize + 2;
    let mut conserved = vec![0.0; names.len()];
    let mut out: Vec<Option<Trajectory>> = runs.iter().map(|_| None).collect();
    // θ_k, θ_{k−1}, θ_{k+1}, ∇L(θ_k) and ∇L(θ_{k−1}).
    let mut theta = vec![[0.0; R]; d];
    let mut previous = vec![[0.0; R]; d];
    let mut next = vec![[0.0; R]; d];
    let mut grad = vec![[0.0; R]; d];
    let mut grad_before = vec![[0.0; R]; d];
    let mut loss_before = [0.0; R];
    let mut rates = vec![[0.0; R]; d];
    let mut state = vec![0.0; d];
    let mut gstate = vec![0.0; d];
    let mut slots: [Option<Slot>; R] = std::array::from_fn(|_| None);
    let mut next_run = 0;
    // Fills an empty lane with the next pending run (θ₀ into `theta`).
    let load =
        |r: usize, next_run: &mut usize, theta: &mut [[f64; R]], rates: &mut [[f64; R]]| -> Option<Slot> {
            let run = *next_run;
            let spec = runs.get(run)?;
            *next_run += 1;
            for i in 0..d {
                theta[i][r] = spec.theta0[i];
                rates[i][r] = spec.rates[i];
            }
            Some(Slot {
                run,
                k: 0,
                until_record: 0,
                evals: 0,
                taken: 0,
                started: Instant::now(),
                traj: Trajectory::with_conserved(d, capacity, names.clone()),
            })
        };
    for (r, slot) in slots.iter_mut().enumerate() {
        *slot = load(r, &mut next_run, &mut theta, &mut rates);
    }
    while slots.iter().any(Option::is_some) {
        let losses = lanes.loss_gradient(&theta, &mut grad);
        let finite_theta = lanes_finite(&theta);
        let finite_grad = lanes_finite(&grad);
        let norms = lane_norms(&grad);
        // θ_{k+1} = θ_k − rate ⊙ ∇L(θ_k) for every lane at once; a lane that stops at this step
        // overwrites its θ_{k+1} below (with the next run's θ₀, or zeros).
        for ((n, t), (g, rate)) in next.iter_mut().zip(&theta).zip(grad.iter().zip(&rates)) {
            for r in 0..R {
                n[r] = t[r] - rate[r] * g[r];
            }
        }
        for r in 0..R {
            let Some(slot) = slots[r].as_mut() else {
                continue;
            };
            let k = slot.k;
            let on_record = slot.until_record == 0;
            slot.until_record = if on_record {
                grid.record_every - 1
            } else {
                slot.until_record - 1
            };
            // GD uses the gradient at every step: drive counts each evaluation, the last one included.
            slot.evals += 1;
            let loss = if on_record { losses[r] } else { 0.0 };
            let finite = finite_theta[r] && finite_grad[r];
            let bound = runs[slot.run].loss_bound;
            let within_bound = loss.abs() <= bound;
            let mut done = false;
            if !finite || (on_record && !within_bound) {
                let reason = super::drive::divergence_reason(finite, loss, bound);
                if k > 0 && slot.traj.steps.last() != Some(&(k - 1)) {
                    // θ_{k−1} was finite (the run went on from it); its loss and gradient are those the
                    // previous step computed, the same bits drive's re-evaluation gives.
                    gather(&previous, r, &mut state);
                    gather(&grad_before, r, &mut gstate);
                    if state.iter().all(|x| x.is_finite()) {
                        mlp.conserved(&state, &mut conserved);
                        slot.traj.push(
                            k - 1,
                            grid.time_of_step(k - 1),
                            &state,
                            loss_before[r],
                            norm(&gstate),
                            &conserved,
                        );
                    }
                }
                slot.traj.termination = Termination::Diverged {
                    step: k,
                    t: grid.time_of_step(k),
                    reason,
                };
                done = true;
            } else {
                if on_record {
                    gather(&theta, r, &mut state);
                    mlp.conserved(&state, &mut conserved);
                    let g = norms[r];
                    slot.traj
                        .push(k, grid.time_of_step(k), &state, loss, g, &conserved);
                }
                if k == grid.steps {
                    done = true;
                } else {
                    slot.k = k + 1;
                    slot.taken = k + 1;
                    loss_before[r] = losses[r];
                }
            }
            if done {
                let mut slot = slots[r].take().expect("a running lane");
                slot.traj.stats.grad_evals = slot.evals;
                slot.traj.stats.accepted_steps = slot.taken;
                slot.traj.stats.wall_seconds = slot.started.elapsed().as_secs_f64();
                out[slot.run] = Some(slot.traj);
                // The next run starts in this lane (θ₀ into `next`, which becomes θ below); an idle
                // lane computes on zeros, which stay finite.
                slots[r] = load(r, &mut next_run, &mut next, &mut rates);
                if slots[r].is_none() {
                    for p in next.iter_mut() {
                        p[r] = 0.0;
                    }
                }
            }
        }
        // previous ← θ_k, θ ← θ_{k+1}; the old previous is the next step's scratch.
        std::mem::swap(&mut previous, &mut theta);
        std::mem::swap(&mut theta, &mut next);
        std::mem::swap(&mut grad, &mut grad_before);
    }
    Some(out.into_iter().map(|t| t.expect("every run finished")).collect())
}

/// Lane r of a lane-major vector, into `out`.
fn gather<const R: usize>(v: &[[f64; R]], r: usize, out: &mut [f64]) {
    for (o, x) in out.iter_mut().zip(v) {
        *o = x[r];
    }
}

/// For each lane, [`norm`] of its entries, all lanes at once: the same sum of squares in the same order
/// from the same start (std's `Sum` for f64, whose start is taken from an empty sum), then the root.
fn lane_norms<const R: usize>(v: &[[f64; R]]) -> [f64; R] {
    let mut acc = [std::iter::empty::<f64>().sum::<f64>(); R];
    for x in v {
        for r in 0..R {
            acc[r] += x[r] * x[r];
        }
    }
    acc.map(f64::sqrt)
}

/// For each lane, whether all its entries are finite.
fn lanes_finite<const R: usize>(v: &[[f64; R]]) -> [bool; R] {
    let mut ok = [true; R];
    for x in v {
        for r in 0..R {
            ok[r] &= x[r].is_finite();
        }
    }
    ok
}
