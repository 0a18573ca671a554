//! The recording lane-wise GD (`gd_record_lanes`) against `gradient_descent`, the reference path: every
//! start's trajectory must equal the reference one field by field (steps, times, states, losses, gradient
//! norms, conserved quantities, termination with its reason, work counts; all numbers bit for bit), for
//! converging starts, starts that go non-finite, starts over the loss bound at a recorded step, starts
//! diverging at step 0, at lane widths 4 to 32 (partial chunks included), through Himmelblau's vectorised
//! lane methods and the trait's per-lane defaults.

use flowgap::discrete::{gd_record_lanes, gradient_descent};
use flowgap::objective::{Himmelblau, Objective, Rosenbrock};
use flowgap::{Termination, TimeGrid, Trajectory};

/// Bits of every number, so NaN equals NaN and −0 differs from +0.
fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Asserts `fast` equals `reference` in every field but the wall time.
fn same(fast: &Trajectory, reference: &Trajectory, start: &[f64]) {
    assert_eq!(fast.dim, reference.dim, "start {start:?}: dim");
    assert_eq!(fast.steps, reference.steps, "start {start:?}: steps");
    assert_eq!(
        bits(&fast.times),
        bits(&reference.times),
        "start {start:?}: times"
    );
    assert_eq!(
        bits(&fast.states),
        bits(&reference.states),
        "start {start:?}: states"
    );
    assert_eq!(
        bits(&fast.losses),
        bits(&reference.losses),
        "start {start:?}: losses"
    );
    assert_eq!(
        bits(&fast.grad_norms),
        bits(&reference.grad_norms),
        "start {start:?}: gradient norms"
    );
    assert_eq!(fast.conserved_names, reference.conserved_names, "start {start:?}");
    assert_eq!(
        bits(&fast.conserved),
        bits(&reference.conserved),
        "start {start:?}: conserved"
    );
    match (&fast.termination, &reference.termination) {
        (
            Termination::Diverged { step, t, reason },
            Termination::Diverged {
                step: s,
                t: u,
                reason: r,
            },
        ) => {
            assert_eq!(
                (step, t.to_bits(), reason),
                (s, u.to_bits(), r),
                "start {start:?}"
            );
        }
        (a, b) => assert_eq!(a, b, "start {start:?}: termination"),
    }
    assert_eq!(
        fast.stats.grad_evals, reference.stats.grad_evals,
        "start {start:?}: evals"
    );
    assert_eq!(
        fast.stats.accepted_steps, reference.stats.accepted_steps,
        "start {start:?}: steps taken"
    );
    assert_eq!(fast.stats.rejected_steps, 0);
}

/// Runs the lanes at width 4·G and the reference per start; returns (diverged at step 0, diverged
/// later, completed).
fn check<O: Objective, const G: usize>(
    objective: &O,
    starts: &[[f64; 2]],
    bounds: &[f64],
    grid: &TimeGrid,
) -> (usize, usize, usize) {
    let fast = gd_record_lanes::<O, 2, G>(objective, starts, bounds, grid);
    assert_eq!(fast.len(), starts.len());
    let mut counts = (0, 0, 0);
    for ((s, &b), f) in starts.iter().zip(bounds).zip(&fast) {
        let reference = gradient_descent(objective, s, grid, b);
        same(f, &reference, s);
        match reference.termination {
            Termination::Diverged { step: 0, .. } => counts.0 += 1,
            Termination::Diverged { .. } => counts.1 += 1,
            _ => counts.2 += 1,
        }
    }
    counts
}

fn lattice(side: usize, half: f64) -> Vec<[f64; 2]> {
    let at = |k: usize| -half + 2.0 * half * k as f64 / (side - 1) as f64;
    (0..side * side).map(|i| [at(i % side), at(i / side)]).collect()
}

/// The default bound a scenario derives from each start's loss.
fn default_bounds<O: Objective>(objective: &O, starts: &[[f64; 2]]) -> Vec<f64> {
    starts
        .iter()
        .map(|s| flowgap::discrete::default_divergence_bound(objective.loss(s)))
        .collect()
}

#[test]
fn himmelblau_lattice_trajectories_equal_the_reference() {
    // 21×21 (odd: the last chunk is partial), W3's step with 700 steps recorded every 7th.
    let starts = lattice(21, 6.0);
    let bounds = default_bounds(&Himmelblau, &starts);
    let grid = TimeGrid::new(0.01, 700, 7);
    let (_, _, ok) = check::<_, 4>(&Himmelblau, &starts, &bounds, &grid);
    assert_eq!(ok, starts.len(), "η = 0.01 converges from the whole box");
    check::<_, 1>(&Himmelblau, &starts, &bounds, &grid);
    // A larger step: the outer starts diverge (non-finite, or over the bound at a recorded step, with
    // the last finite iterate pushed when it was not recorded), the inner ones converge.
    for record_every in [1, 3, 50] {
        let grid = TimeGrid::new(0.04, 150, record_every);
        let counts = check::<_, 2>(&Himmelblau, &starts, &bounds, &grid);
        assert!(counts.1 > 0 && counts.2 > 0, "{counts:?}");
        assert_eq!(check::<_, 8>(&Himmelblau, &starts, &bounds, &grid), counts);
    }
}

#[test]
fn per_start_bounds_and_divergence_at_step_zero() {
    // Each start its own bound, some below its initial loss (divergence at step 0, nothing recorded),
    // mixed in one chunk with non-finite starts and starts that run to the horizon.
    let mut starts = lattice(9, 5.0);
    starts.extend([[f64::NAN, 0.0], [0.0, f64::INFINITY], [1e200, 1e200], [3.0, 2.0]]);
    starts.rotate_left(5);
    let bounds: Vec<f64> = starts
        .iter()
        .enumerate()
        .map(|(l, s)| match l % 3 {
            0 => Himmelblau.loss(s) * 0.5,
            1 => 1e4,
            _ => 1e12,
        })
        .collect();
    let grid = TimeGrid::new(0.03, 300, 10);
    let counts = check::<_, 4>(&Himmelblau, &starts, &bounds, &grid);
    assert!(counts.0 > 4 && counts.1 > 0 && counts.2 > 0, "{counts:?}");
    assert_eq!(check::<_, 3>(&Himmelblau, &starts, &bounds, &grid), counts);
    // Every lane of a chunk diverging at step 0 ends the chunk at once.
    let all = vec![-1.0; 16];
    assert_eq!(check::<_, 4>(&Himmelblau, &starts[..16], &all, &grid), (16, 0, 0));
}

#[test]
fn the_trait_default_lane_methods_record_the_same() {
    // Rosenbrock has no lane methods of its own: the default per-lane loop, with a tight bound that is
    // crossed only at recorded steps.
    let rosen = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let starts = lattice(9, 2.0);
    let bounds = vec![50.0; starts.len()];
    let grid = TimeGrid::new(1e-3, 500, 25);
    let counts = check::<_, 2>(&rosen, &starts, &bounds, &grid);
    assert!(counts.1 + counts.0 > 0 && counts.2 > 0, "{counts:?}");
}

/// L(x, y) = ½(xy − 1)², a depth-2 scalar linear network: gradient flow conserves x² − y², which GD
/// records at every point (the trait's default lane methods; conserved quantities recomputed per point).
struct Scalar2;

impl Objective for Scalar2 {
    fn dim(&self) -> usize {
        2
    }
    fn loss(&self, t: &[f64]) -> f64 {
        let r = t[0] * t[1] - 1.0;
        0.5 * r * r
    }
    fn gradient(&self, t: &[f64], g: &mut [f64]) {
        let r = t[0] * t[1] - 1.0;
        g[0] = r * t[1];
        g[1] = r * t[0];
    }
    fn conserved_names(&self) -> Vec<String> {
        vec!["balance".into()]
    }
    fn conserved(&self, t: &[f64], out: &mut [f64]) {
        out[0] = t[0] * t[0] - t[1] * t[1];
    }
}

#[test]
fn conserved_quantities_are_recorded_as_the_driver_records_them() {
    let starts = lattice(7, 3.0);
    let bounds = default_bounds(&Scalar2, &starts);
    let grid = TimeGrid::new(0.3, 60, 4);
    let counts = check::<_, 2>(&Scalar2, &starts, &bounds, &grid);
    assert!(counts.1 > 0 && counts.2 > 0, "{counts:?}");
}
