//! The lane-wise final-point GD (`gd_final_lanes`) against `gradient_descent`, the reference path:
//! final points and divergence steps must be bit-identical, for converging and diverging starts, at
//! every lane width (G groups of `LANE_GROUP` = 4 lanes; partial chunks included), through Himmelblau's vectorised lane gradient and the trait's per-lane default
//! (Rosenbrock), and whichever of the SSE2 and AVX copies of the loop this CPU runs.

use flowgap::discrete::{gd_final_lanes, gradient_descent};
use flowgap::objective::{Himmelblau, Objective, Rosenbrock};
use flowgap::{Termination, TimeGrid};

fn check<O: Objective, const G: usize>(
    objective: &O,
    starts: &[[f64; 2]],
    grid: &TimeGrid,
    bound: f64,
) -> (usize, usize) {
    let fast = gd_final_lanes::<O, 2, G>(objective, starts, grid, bound);
    assert_eq!(fast.len(), starts.len());
    let mut diverged = 0;
    for (s, f) in starts.iter().zip(&fast) {
        let traj = gradient_descent(objective, s, grid, bound);
        match traj.termination {
            Termination::Completed => assert_eq!(f.diverged_at, None, "start {s:?}"),
            Termination::Diverged { step, .. } => {
                diverged += 1;
                assert_eq!(f.diverged_at, Some(step), "start {s:?}");
            }
            other => panic!("GD cannot end as {other:?}"),
        }
        // The reference records the horizon only when record_every divides the steps (the grids here are
        // chosen so); divergence at step 0 leaves it empty, and the fast path reports θ₀ then.
        let want = traj.last_state().map_or(s.to_vec(), |p| p.to_vec());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&f.theta),
            bits(&want),
            "start {s:?}: bit-identical final point"
        );
    }
    (diverged, starts.len() - diverged)
}

const ROSEN: Rosenbrock = Rosenbrock {
    a: 1.0,
    b: 100.0,
    dim: 2,
};

fn lattice(side: usize, half: f64) -> Vec<[f64; 2]> {
    let at = |k: usize| -half + 2.0 * half * k as f64 / (side - 1) as f64;
    (0..side * side).map(|i| [at(i % side), at(i / side)]).collect()
}

#[test]
fn himmelblau_basin_lattice_matches_reference() {
    // 23×23 (odd: the last chunk is partial), W3's settings shortened to 300 steps.
    let starts = lattice(23, 6.0);
    let grid = TimeGrid::new(0.01, 300, 300);
    let (div, ok) = check::<_, 4>(&Himmelblau, &starts, &grid, 1e10);
    assert!(ok > 0);
    check::<_, 16>(&Himmelblau, &starts, &grid, 1e10);
    // A larger step makes the outer starts diverge (non-finite or over the bound): both kinds covered.
    let grid = TimeGrid::new(0.04, 200, 8);
    let (div2, ok2) = check::<_, 8>(&Himmelblau, &starts, &grid, 1e10);
    for (d, o) in [
        check::<_, 1>(&Himmelblau, &starts, &grid, 1e10),
        check::<_, 16>(&Himmelblau, &starts, &grid, 1e10),
    ] {
        assert_eq!((d, o), (div2, ok2));
    }
    assert!(
        div2 > 0 && ok2 > 0,
        "diverged {div2}, completed {ok2} (first run: {div} diverged)"
    );
}

#[test]
fn loss_bound_is_checked_only_on_recorded_steps() {
    // A tight bound: starts with L(θ_k) above it are called diverged only at recorded steps.
    let starts = lattice(9, 2.0);
    let grid = TimeGrid::new(1e-3, 500, 25);
    let (div, ok) = check::<_, 3>(&ROSEN, &starts, &grid, 50.0);
    assert!(div > 0 && ok > 0, "diverged {div}, completed {ok}");
    // Divergence at step 0 (bound below every loss).
    let (div, _) = check::<_, 4>(&ROSEN, &starts[..5], &grid, -1.0);
    assert_eq!(div, 5);
}

#[test]
fn lanes_that_diverge_together_or_apart_do_not_disturb_the_others() {
    // Chunks mixing completed runs, runs that go non-finite and runs over a recorded-step bound at
    // different steps: a finished lane must not change its neighbours' results.
    let mut starts = lattice(13, 6.0);
    starts.extend([[f64::NAN, 0.0], [0.0, f64::INFINITY], [1e200, 1e200], [5.9, -5.9]]);
    starts.rotate_left(7);
    let grid = TimeGrid::new(0.05, 400, 4);
    let (div, ok) = check::<_, 8>(&Himmelblau, &starts, &grid, 1e6);
    assert!(div > 4 && ok > 0, "diverged {div}, completed {ok}");
    assert_eq!(check::<_, 16>(&Himmelblau, &starts, &grid, 1e6), (div, ok));
    // Every lane of a chunk diverging at step 0 ends the chunk at once.
    let (div, _) = check::<_, 8>(&Himmelblau, &starts[..8], &grid, -1.0);
    assert_eq!(div, 8);
}
