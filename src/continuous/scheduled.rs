//! Continuous models on a scheduled time axis t_k = Σ_{j<k} η_j (see [`crate::schedule`]).
//!
//! The uniform solver ([`super::solve`]) samples at integer multiples of one spacing; a schedule's
//! recorded times are not evenly spaced, and a model that depends on η (a modified flow's η/2·H∇L) has a
//! piecewise-constant η(t) = η_k on [t_k, t_{k+1}), which jumps at every step. So the integration runs
//! segment by segment, each from its own exact start to its own exact end, with the solver restarted at
//! every jump:
//! - a field that depends on η: one segment per step, [t_k, t_{k+1}] with the field built for η_k;
//! - a field that does not (gradient flow): one segment per recorded interval.
//!
//! Each segment is integrated in its own rescaled time s ∈ [0, 1] (t = t_a + s·h, h the segment's exact
//! length Σ η_j over it) with sparse output, whose end point is the solver's own last step (not the dense
//! interpolant ode_solvers gets wrong); rk4 takes a power-of-two number of steps per segment. Restarting
//! costs an initial step-size guess (two evaluations) per segment: that is the price of integrating across
//! a discontinuous η(t) at full order.

use super::solve::{failure_ending, integrate_adaptive, named_failure, substeps, Rescaled};
use super::{SolverKind, SolverSettings, VectorField, MIN_RTOL};
use crate::objective::{norm, Objective};
use crate::trajectory::{SolverFailure, Termination, TimeGrid, Trajectory};
use crate::watch::Watch;
use nalgebra::DVector;
use ode_solvers::{OutputType, Rk4};
use std::cell::Cell;
use std::time::Instant;

/// Integrates the model that `make_field(η)` builds on `grid`'s scheduled axis and samples it at every
/// recorded step's exact time. `eta_dependent` says whether the field changes with η (then one segment
/// per step, else one per recorded interval). Fields singular at t = 0 ([`VectorField::series_start`])
/// are not supported here (the caller refuses them with a schedule).
///
/// Terminations as for [`super::solve_watched`]: divergence (non-finite state or loss above
/// `loss_bound`), a named solver failure, or the time limit, keeping the samples before.
///
/// # Panics
/// If `grid` has no schedule.
#[allow(clippy::too_many_arguments)]
pub fn solve_scheduled_watched<'f>(
    make_field: &dyn Fn(f64) -> Box<dyn VectorField + 'f>,
    eta_dependent: bool,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    let started = Instant::now();
    let axis = grid.schedule.as_ref().expect("a scheduled grid");
    let (r, n) = (grid.record_every, grid.intervals());
    let evals = Cell::new(0u64);
    let accepted = Cell::new(0u64);
    let first_non_finite = Cell::new(f64::INFINITY);
    let mut rejected = 0u64;
    let mut field = make_field(grid.step_size_at(0));
    let autonomous_time = field.time_dependent();
    let d_state = field.dim();
    let d = field.position_dim();
    let mut y = DVector::<f64>::zeros(d_state + usize::from(autonomous_time));
    field.initial_state(theta0, &mut y.as_mut_slice()[..d_state]);

    let mut traj = Trajectory::with_conserved(d, n as usize + 1, objective.conserved_names());
    let mut conserved = vec![0.0; traj.conserved_names.len()];
    let mut grad = vec![0.0; d];
    // Records θ at step k; false (with the termination set) when the point is non-finite or too big.
    let mut record = |traj: &mut Trajectory, k: u64, y: &DVector<f64>, field: &dyn VectorField| {
        let state = &y.as_slice()[..d_state];
        let theta = field.position(state);
        let t = grid.time_of_step(k);
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
            return false;
        }
        objective.conserved(theta, &mut conserved);
        traj.push(k, t, theta, loss, norm(&grad), &conserved);
        true
    };

    let adaptive = matches!(settings.solver, SolverKind::Dop853 | SolverKind::Dopri5);
    let mut failure: Option<(SolverFailure, f64)> = None;
    if adaptive && settings.rtol <= MIN_RTOL {
        failure = Some((SolverFailure::ToleranceUnreachable, 0.0));
    }
    let mut ok = record(&mut traj, 0, &y, field.as_ref());
    'intervals: for j in 0..n {
        if !ok || failure.is_some() || watch.is_spent() {
            break;
        }
        let (a, b) = (j * r, (j + 1) * r);
        let segments: Vec<(u64, u64)> = if eta_dependent {
            (a..b).map(|k| (k, k + 1)).collect()
        } else {
            vec![(a, b)]
        };
        for (ka, kb) in segments {
            if eta_dependent {
                field = make_field(axis.sizes.at(ka));
            }
            let h = if kb == ka + 1 {
                axis.sizes.at(ka)
            } else {
                axis.span(ka, kb)
            };
            let t0 = grid.time_of_step(ka);
            if autonomous_time {
                y[d_state] = 0.0;
            }
            let system = || Rescaled {
                field: field.as_ref(),
                spacing: h,
                t0,
                autonomous_time,
                evals: &evals,
                accepted: &accepted,
                first_non_finite: &first_non_finite,
                watch,
                until_look: Cell::new(watch.interval()),
                guard: None,
            };
            match settings.solver {
                SolverKind::Dop853 | SolverKind::Dopri5 => {
                    let before = accepted.get();
                    let (result, xs, ys) = integrate_adaptive(
                        settings.solver,
                        system(),
                        (0.0, 1.0),
                        y.clone(),
                        settings,
                        OutputType::Sparse,
                    );
                    match result {
                        Ok((rej, acc)) => {
                            rejected += rej as u64;
                            accepted.set(before + acc as u64);
                            match (xs.last(), ys.last()) {
                                (Some(&x), Some(last)) if (x - 1.0).abs() < 1e-9 => y.copy_from(last),
                                // Stopped early by the watch: no end point.
                                _ => break 'intervals,
                            }
                        }
                        Err(e) => {
                            let (f, s_reached) = named_failure(&e, h);
                            failure = Some((f, t0 + s_reached));
                            break 'intervals;
                        }
                    }
                }
                SolverKind::Rk4 => {
                    let m = substeps(h, settings.dt);
                    // ode_solvers' Rk4 keeps every step: pieces of at most 2^16 steps bound the memory.
                    const MAX_PIECE_STEPS: u64 = 1 << 16;
                    let piece = (1.0f64).min(MAX_PIECE_STEPS as f64 / m as f64);
                    let mut start = 0.0;
                    while start < 1.0 {
                        let end = (start + piece).min(1.0);
                        let mut stepper = Rk4::new(system(), start, y.clone(), end, 1.0 / m as f64);
                        // Rk4 never fails; non-finite values are caught below.
                        let _ = stepper.integrate();
                        match stepper.y_out().last() {
                            Some(last) => y.copy_from(last),
                            None => break 'intervals,
                        }
                        start = end;
                        if !y.iter().all(|v| v.is_finite()) {
                            break;
                        }
                        if watch.is_spent() && start < 1.0 {
                            break 'intervals;
                        }
                    }
                }
            }
            if !y.iter().all(|v| v.is_finite()) {
                let k = kb;
                traj.termination = Termination::Diverged {
                    step: k,
                    t: grid.time_of_step(k),
                    reason: "the state became non-finite".to_string(),
                };
                break 'intervals;
            }
        }
        ok = record(&mut traj, b, &y, field.as_ref());
    }
    let time_limit = watch.termination().filter(|_| (traj.len() as u64) <= n);
    if traj.termination == Termination::Completed {
        if let Some(limit) = time_limit {
            traj.termination = limit;
        } else if let Some((failure, t)) = failure {
            traj.termination = failure_ending(failure, t, &traj, first_non_finite.get().is_finite());
        }
    }
    traj.stats.grad_evals = evals.get();
    traj.stats.accepted_steps = accepted.get();
    traj.stats.rejected_steps = rejected;
    traj.stats.wall_seconds = started.elapsed().as_secs_f64();
    traj
}
