//! solve() integrates small states as fixed-size SVectors and large ones as DVectors; solve_heap() always
//! uses DVectors. Both run ode_solvers' same arithmetic in the same order, so every sample, loss,
//! counter and termination must agree bit for bit: on Rosenbrock's stiff valley (dop853, dopri5, rk4),
//! on a time-dependent field that carries time as a state with a series start (Nesterov's ODE), and on
//! a momentum ODE whose state is twice the dimension. The fixed path's accuracy against closed forms
//! is tested in tests/it/quadratic_closed_form.rs (a 3-D quadratic, which now takes the SVector path).

use flowgap::continuous::{
    solve, solve_heap, GradientFlow, HeavyBallOde, NesterovOde, SolverKind, SolverSettings, VectorField,
    MAX_FIXED_STATE,
};
use flowgap::discrete::MomentumStart;
use flowgap::objective::{Objective, Rosenbrock};
use flowgap::trajectory::TimeMap;
use flowgap::{TimeGrid, Trajectory};

fn settings(solver: SolverKind, rtol: f64) -> SolverSettings {
    SolverSettings {
        solver,
        rtol,
        atol: rtol * 1e-2,
        max_steps: 1_000_000,
        dt: 1e-3,
        controller: None,
    }
}

/// Asserts two trajectories are the same bit for bit.
fn assert_identical(a: &Trajectory, b: &Trajectory, what: &str) {
    assert_eq!(a.termination, b.termination, "{what}: termination");
    assert_eq!(a.steps, b.steps, "{what}: steps");
    assert_eq!(a.times, b.times, "{what}: times");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.states), bits(&b.states), "{what}: states");
    assert_eq!(bits(&a.losses), bits(&b.losses), "{what}: losses");
    assert_eq!(a.stats.grad_evals, b.stats.grad_evals, "{what}: evaluations");
    assert_eq!(a.stats.accepted_steps, b.stats.accepted_steps, "{what}: accepted");
    assert_eq!(a.stats.rejected_steps, b.stats.rejected_steps, "{what}: rejected");
    assert!(a.len() > 2, "{what}: the run recorded samples");
}

fn rosenbrock(dim: usize) -> Rosenbrock {
    Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim,
    }
}

#[test]
fn gradient_flow_on_rosenbrock_is_bit_identical_on_both_paths() {
    let f = rosenbrock(2);
    let field = GradientFlow { objective: &f };
    let theta0 = [-1.5, 2.0];
    // t = 5 sampled every 0.01: deep into the valley, where the step is held at the stability limit.
    let grid = TimeGrid::new(1e-4, 50_000, 100);
    for solver in [SolverKind::Dop853, SolverKind::Dopri5, SolverKind::Rk4] {
        let s = settings(solver, 1e-10);
        let fixed = solve(&field, &f, &theta0, &grid, &s, 1e10);
        let heap = solve_heap(&field, &f, &theta0, &grid, &s, 1e10);
        assert_identical(&fixed, &heap, &format!("{solver:?}"));
        // The flow decreases the loss: a sanity check that this is a real run, not two empty ones.
        assert!(fixed.losses.last().unwrap() < &(0.1 * fixed.losses[0]));
    }
}

#[test]
fn every_fixed_dimension_and_the_first_heap_one_agree() {
    // Rosenbrock chained to d = 2..=MAX_FIXED_STATE + 1: the last one falls back to DVector inside solve.
    for d in 2..=MAX_FIXED_STATE + 1 {
        let f = rosenbrock(d);
        let field = GradientFlow { objective: &f };
        let theta0: Vec<f64> = (0..d).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
        let grid = TimeGrid::new(1e-3, 1000, 50);
        let s = settings(SolverKind::Dop853, 1e-9);
        let fixed = solve(&field, &f, &theta0, &grid, &s, 1e10);
        let heap = solve_heap(&field, &f, &theta0, &grid, &s, 1e10);
        assert_identical(&fixed, &heap, &format!("d = {d}"));
    }
}

#[test]
fn time_dependent_and_momentum_fields_agree_on_both_paths() {
    let f = rosenbrock(2);
    let theta0 = [-1.5, 2.0];
    // Nesterov's ODE: state (θ, θ') plus s = 5 components, series start near t = 0, t = k·√η.
    let nesterov = NesterovOde::new(&f);
    assert!(nesterov.time_dependent());
    let grid = TimeGrid::new(1e-4, 2000, 20).with_time_map(TimeMap::SqrtEta);
    let s = settings(SolverKind::Dop853, 1e-10);
    let fixed = solve(&nesterov, &f, &theta0, &grid, &s, 1e10);
    let heap = solve_heap(&nesterov, &f, &theta0, &grid, &s, 1e10);
    assert_identical(&fixed, &heap, "nesterov_ode");
    // The heavy-ball ODE: state (θ, v), 4 components.
    let hb = HeavyBallOde::new(&f, 1e-4, 0.9, MomentumStart::Steady);
    let grid = TimeGrid::new(1e-4, 20_000, 100);
    let s = settings(SolverKind::Dopri5, 1e-8);
    let fixed = solve(&hb, &f, &theta0, &grid, &s, 1e10);
    let heap = solve_heap(&hb, &f, &theta0, &grid, &s, 1e10);
    assert_identical(&fixed, &heap, "heavy_ball_ode");
    assert!(f.loss(fixed.state(fixed.len() - 1)) < f.loss(&theta0));
}
