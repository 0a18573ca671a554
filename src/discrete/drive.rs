//! The loop every discrete method shares: record on the time grid, detect divergence, count work. A
//! method only supplies its update θ_k → θ_{k+1} (an [`Update`]).

use crate::objective::{norm, Objective};
use crate::trajectory::{Termination, TimeGrid, Trajectory};
use crate::watch::Watch;
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
///
/// Every [`Watch::interval`] steps it looks at `watch` (never at an idle one); once the budget is spent
/// the run stops with [`Termination::TimeLimit`], keeping the points recorded so far.
pub(crate) fn drive<O: Objective + ?Sized, U: Update>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    update: U,
    setup_evals: u64,
    watch: &Watch,
) -> Trajectory {
    let args = (theta0, grid, loss_bound, setup_evals, watch);
    // Small states in fixed-size arrays, which `plain_steps` keeps in registers from step to step.
    match objective.dim() {
        1 => drive_in::<O, U, [f64; 1], true>(objective, update, args),
        2 => drive_in::<O, U, [f64; 2], true>(objective, update, args),
        3 => drive_in::<O, U, [f64; 3], true>(objective, update, args),
        4 => drive_in::<O, U, [f64; 4], true>(objective, update, args),
        _ => drive_in::<O, U, Vec<f64>, true>(objective, update, args),
    }
}

/// [`drive`]'s arguments other than the objective and the update: θ₀, the grid, the loss bound, the
/// setup evaluations and the watch.
type DriveArgs<'a> = (&'a [f64], &'a TimeGrid, f64, u64, &'a Watch<'a>);

/// Storage for one iterate or gradient: an array for small d, a `Vec` otherwise.
trait Buffer: AsRef<[f64]> + AsMut<[f64]> {
    /// A copy of `v` (of the buffer's length).
    fn copied(v: &[f64]) -> Self;
    /// A value to leave behind while the buffer is moved out (a `Vec` without allocating).
    fn placeholder() -> Self;
}

impl<const D: usize> Buffer for [f64; D] {
    fn copied(v: &[f64]) -> Self {
        let mut out = [0.0; D];
        out.copy_from_slice(v);
        out
    }
    fn placeholder() -> Self {
        [0.0; D]
    }
}

impl Buffer for Vec<f64> {
    fn copied(v: &[f64]) -> Self {
        v.to_vec()
    }
    fn placeholder() -> Self {
        Vec::new()
    }
}

/// [`drive`] with its iterates stored in `B`; with `PLAIN` false every step goes through the checked
/// body (the reference the tests hold [`plain_steps`] to).
fn drive_in<O: Objective + ?Sized, U: Update, B: Buffer, const PLAIN: bool>(
    objective: &O,
    mut update: U,
    (theta0, grid, loss_bound, setup_evals, watch): DriveArgs,
) -> Trajectory {
    let started = Instant::now();
    let d = objective.dim();
    let mut traj = Trajectory::with_conserved(d, grid.intervals() as usize + 2, objective.conserved_names());
    let mut conserved = vec![0.0; traj.conserved_names.len()];
    let mut theta = B::copied(theta0);
    let mut previous = B::copied(theta0);
    let mut grad = B::copied(theta0);
    grad.as_mut().fill(0.0);
    let mut evals = setup_evals;
    let mut taken = 0u64;
    // Counts down to the next recorded step (a division per step would cost more than a 2-D gradient).
    let mut until_record = 0u64;
    // The next step at which to look at the watch; never (u64::MAX) for an idle one, so that an
    // unwatched run takes exactly the path it always took.
    let mut next_look = watch.interval();

    let mut k = 0;
    loop {
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
            loss = objective.loss_gradient(theta.as_ref(), grad.as_mut());
        } else if with_gradient {
            objective.gradient(theta.as_ref(), grad.as_mut());
        }
        if with_gradient {
            evals += u64::from(U::USES_GRADIENT);
        }
        let finite = all_finite(theta.as_ref()) && (!with_gradient || all_finite(grad.as_ref()));
        if !finite && !on_record {
            loss = objective.loss(theta.as_ref());
        }
        // A NaN loss is caught too: NaN ≤ bound is false.
        let within_bound = loss.abs() <= loss_bound;
        if !finite || (on_record && !within_bound) {
            let reason = divergence_reason(finite, loss, loss_bound);
            // Keep the last finite iterate as the final point, so figures draw up to divergence.
            if k > 0 && previous.as_ref().iter().all(|x| x.is_finite()) && traj.steps.last() != Some(&(k - 1))
            {
                objective.gradient(previous.as_ref(), grad.as_mut());
                objective.conserved(previous.as_ref(), &mut conserved);
                let loss = objective.loss(previous.as_ref());
                traj.push(
                    k - 1,
                    grid.time_of_step(k - 1),
                    previous.as_ref(),
                    loss,
                    norm(grad.as_ref()),
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
            objective.conserved(theta.as_ref(), &mut conserved);
            traj.push(
                k,
                grid.time_of_step(k),
                theta.as_ref(),
                loss,
                norm(grad.as_ref()),
                &conserved,
            );
        }
        if k == grid.steps {
            break;
        }
        // θ_{k+1} is written into the other buffer and the two swap roles: no copy per step.
        evals += update.advance(k, theta.as_ref(), grad.as_ref(), previous.as_mut());
        std::mem::swap(&mut theta, &mut previous);
        k += 1;
        // Steps k, …, k + until_record − 1 are neither recorded nor the last: the plain loop takes them,
        // doing what this body does at such a step unless θ or ∇L turns non-finite, which it leaves here.
        let stop = (k + until_record).min(grid.steps).min(next_look);
        if PLAIN && k < stop {
            let reached = plain_steps(
                objective,
                &mut update,
                [&mut theta, &mut previous, &mut grad],
                k..stop,
                &mut evals,
            );
            until_record -= reached - k;
            k = reached;
        }
        taken = k;
        if k >= next_look && k < grid.steps {
            if watch.expired(grid.time_of_step(k), None) {
                traj.termination = watch.termination().expect("the budget is spent");
                break;
            }
            next_look = k.saturating_add(watch.interval());
        }
    }
    traj.stats.grad_evals = evals;
    traj.stats.accepted_steps = taken;
    traj.stats.wall_seconds = started.elapsed().as_secs_f64();
    traj
}

/// Steps `steps` of a run, none of them recorded nor the horizon: ∇L(θ_k) when the update uses it, the
/// finiteness check, the update, exactly as [`drive`]'s body does at such a step. Returns the first step
/// not taken: `steps.end`, or a step where θ or ∇L was non-finite, with θ_k and θ_{k−1} in place for the
/// body to redo it (the same bits again) and end the run.
#[inline(never)]
fn plain_steps<O: Objective + ?Sized, U: Update, B: Buffer>(
    objective: &O,
    update: &mut U,
    [theta, previous, grad]: [&mut B; 3],
    steps: std::ops::Range<u64>,
    evals: &mut u64,
) -> u64 {
    // Moved into locals of this function whose addresses go only to the (inlined) gradient and update:
    // an array then stays in registers from one step to the next instead of being stored and reloaded,
    // which was more than half of a 2-D GD step (docs/performance.md, W1).
    let mut th = std::mem::replace(theta, B::placeholder());
    let mut pr = std::mem::replace(previous, B::placeholder());
    let mut g = std::mem::replace(grad, B::placeholder());
    let mut count = 0;
    let mut k = steps.start;
    while k < steps.end {
        if U::USES_GRADIENT {
            objective.gradient(th.as_ref(), g.as_mut());
        }
        if !(all_finite(th.as_ref()) && (!U::USES_GRADIENT || all_finite(g.as_ref()))) {
            break;
        }
        count += u64::from(U::USES_GRADIENT);
        count += update.advance(k, th.as_ref(), g.as_ref(), pr.as_mut());
        std::mem::swap(&mut th, &mut pr);
        k += 1;
    }
    (*theta, *previous, *grad) = (th, pr, g);
    *evals += count;
    k
}

/// True when every entry is finite; without early exit, so the compiler can vectorise it.
#[inline]
fn all_finite(v: &[f64]) -> bool {
    v.iter().fold(true, |acc, x| acc & x.is_finite())
}

/// Why a discrete run was declared diverged: a non-finite θ or ∇L, else |L| over the bound (one text, so
/// that the lane loops name divergence exactly as [`drive`] does).
pub(super) fn divergence_reason(finite: bool, loss: f64, bound: f64) -> String {
    if !finite {
        "parameters or gradient became non-finite".to_string()
    } else {
        format!(
            "|loss| = {:.3e} exceeded the divergence bound {bound:.3e}",
            loss.abs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Rosenbrock;

    /// θ − η∇L(θ), with the driver's gradient.
    struct Descent(f64);

    impl Update for Descent {
        const USES_GRADIENT: bool = true;
        fn advance(&mut self, _k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) -> u64 {
            for ((n, t), g) in next.iter_mut().zip(theta).zip(grad) {
                *n = t - self.0 * g;
            }
            0
        }
    }

    /// Heavy ball: state carried from step to step outside the driver's buffers.
    struct Momentum(f64, Vec<f64>);

    impl Update for Momentum {
        const USES_GRADIENT: bool = true;
        fn advance(&mut self, _k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) -> u64 {
            for (((n, t), g), v) in next.iter_mut().zip(theta).zip(grad).zip(self.1.iter_mut()) {
                *v = 0.9 * *v - self.0 * g;
                *n = t + *v;
            }
            0
        }
    }

    /// A step that evaluates its own gradient (at θ + 0.5·(k mod 3)·η), as Nesterov's look-ahead does:
    /// the driver computes ∇L only at recorded steps.
    struct OwnGradient<'a>(&'a Rosenbrock, f64, Vec<f64>, Vec<f64>);

    impl Update for OwnGradient<'_> {
        const USES_GRADIENT: bool = false;
        fn advance(&mut self, k: u64, theta: &[f64], _grad: &[f64], next: &mut [f64]) -> u64 {
            let shift = 0.5 * (k % 3) as f64 * self.1;
            for (p, t) in self.2.iter_mut().zip(theta) {
                *p = t + shift;
            }
            self.0.gradient(&self.2, &mut self.3);
            for ((n, t), g) in next.iter_mut().zip(theta).zip(&self.3) {
                *n = t - self.1 * g;
            }
            1
        }
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn assert_same(fast: &Trajectory, reference: &Trajectory, what: &str) {
        assert_eq!(fast.steps, reference.steps, "{what}: steps");
        assert_eq!(bits(&fast.times), bits(&reference.times), "{what}: times");
        assert_eq!(bits(&fast.states), bits(&reference.states), "{what}: states");
        assert_eq!(bits(&fast.losses), bits(&reference.losses), "{what}: losses");
        assert_eq!(
            bits(&fast.grad_norms),
            bits(&reference.grad_norms),
            "{what}: norms"
        );
        assert_eq!(fast.termination, reference.termination, "{what}: termination");
        assert_eq!(fast.stats.grad_evals, reference.stats.grad_evals, "{what}: evals");
        assert_eq!(
            fast.stats.accepted_steps, reference.stats.accepted_steps,
            "{what}: taken"
        );
    }

    /// Every update, step size, divergence bound and recording interval in an array of D and in a Vec,
    /// with the plain loop, against the checked body alone; returns how many runs diverged.
    fn check<const D: usize>() -> usize {
        let f = Rosenbrock {
            a: 1.0,
            b: 100.0,
            dim: D,
        };
        let theta0: Vec<f64> = (0..D).map(|i| if i % 2 == 0 { -1.5 } else { 2.0 }).collect();
        let mut diverged = 0;
        let idle = Watch::idle();
        // Converging, oscillating, and diverging within a few steps (to ±∞ or NaN, mid-interval).
        for eta in [1e-4, 1.5e-3, 4e-3, 2e-2] {
            for bound in [1e10, 1e3] {
                for every in [1, 6, 10, 7] {
                    let grid = TimeGrid::new(eta, 420, every);
                    let what = format!("d = {D}, η = {eta}, bound {bound}, every {every}");
                    macro_rules! compare {
                        ($update:expr, $name:literal) => {{
                            let args = (&theta0[..], &grid, bound, 3, &idle);
                            let reference = drive_in::<_, _, Vec<f64>, false>(&f, $update, args);
                            let array = drive_in::<_, _, [f64; D], true>(&f, $update, args);
                            let heap = drive_in::<_, _, Vec<f64>, true>(&f, $update, args);
                            assert_same(&array, &reference, &format!("{what}, {} array", $name));
                            assert_same(&heap, &reference, &format!("{what}, {} Vec", $name));
                            if matches!(reference.termination, Termination::Diverged { .. }) {
                                diverged += 1;
                            }
                        }};
                    }
                    compare!(Descent(eta), "descent");
                    compare!(Momentum(eta, vec![0.0; D]), "momentum");
                    compare!(OwnGradient(&f, eta, vec![0.0; D], vec![0.0; D]), "own gradient");
                }
            }
        }
        diverged
    }

    /// A watch that looks at the clock but whose budget is never spent changes no bit; one spent from
    /// the start stops the run at the first look, after one step, with the initial point recorded.
    #[test]
    fn a_watch_stops_a_run_at_a_look_and_changes_nothing_else() {
        let f = Rosenbrock {
            a: 1.0,
            b: 100.0,
            dim: 2,
        };
        let grid = TimeGrid::new(1e-4, 5000, 7 * 5);
        let run = |watch: &Watch| drive(&f, &[-1.5, 2.0], &grid, 1e10, Descent(1e-4), 0, watch);
        let reference = run(&Watch::idle());
        let hour = crate::watch::RunOptions {
            max_time: Some(std::time::Duration::from_secs(3600)),
            progress: None,
        };
        let watched = run(&Watch::new(hour, "gd", "gd", 0, 1, 0.5));
        assert_same(&watched, &reference, "watched, never spent");
        let none = crate::watch::RunOptions {
            max_time: Some(std::time::Duration::ZERO),
            progress: None,
        };
        let stopped = run(&Watch::new(none, "gd", "gd", 0, 1, 0.5));
        assert_eq!(
            stopped.termination,
            Termination::TimeLimit {
                t: grid.time_of_step(1),
                limit_seconds: 0.0
            }
        );
        assert_eq!(stopped.steps, [0]);
        assert_eq!(bits(&stopped.states), bits(reference.state(0)));
        assert_eq!(stopped.stats.accepted_steps, 1);
    }

    #[test]
    fn the_plain_loop_changes_no_result_in_arrays_or_vecs() {
        let diverged = check::<2>() + check::<3>() + check::<4>() + check::<5>();
        // The grid must reach both ends: runs that finish and runs that stop (non-finite mid-interval,
        // or over the bound at a recorded step).
        assert!(diverged > 20, "only {diverged} runs diverged");
        assert!(diverged < 4 * 4 * 2 * 4 * 3, "every run diverged");
    }
}
