//! The lane-wise dopri5 and dop853 (`gradient_flow_lanes`) against `solve`, the reference path
//! (ode_solvers' Dopri5 and Dop853): every recorded point, every termination and every step count must be
//! the same bit for bit, since each lane performs ode_solvers' operations in its order; over a grid of Himmelblau starts (converging,
//! boundary and far starts), at lane widths 4, 8 and 16 with partial batches, and for runs that end early
//! (divergence bound, a field blowing up in finite time, the step budget, an unreachable tolerance).
//! Independently of ode_solvers, the lanes must meet the closed form of a quadratic's flow.

use flowgap::continuous::{
    gradient_flow_final_lanes, gradient_flow_lanes, solve, GradientFlow, SolverKind, SolverSettings,
};
use flowgap::objective::{Formula, Himmelblau, Objective, Quadratic};
use flowgap::TimeGrid;

fn adaptive(solver: SolverKind, rtol: f64, atol: f64, max_steps: u32) -> SolverSettings {
    SolverSettings {
        solver,
        rtol,
        atol,
        max_steps,
        dt: 0.0,
        controller: None,
    }
}

fn dopri5(rtol: f64, atol: f64, max_steps: u32) -> SolverSettings {
    adaptive(SolverKind::Dopri5, rtol, atol, max_steps)
}

fn dop853(rtol: f64, atol: f64, max_steps: u32) -> SolverSettings {
    adaptive(SolverKind::Dop853, rtol, atol, max_steps)
}

/// A recorded point as the sink sees it: j, θ, L, |∇L|.
type Point = (u64, [f64; 2], f64, f64);

/// Runs the lanes at width `L` and `solve` on every start; asserts identity of every recorded point,
/// the termination and the counts. Returns the terminations' names.
fn check<O: Objective, const L: usize>(
    objective: &O,
    starts: &[[f64; 2]],
    bound: f64,
    grid: &TimeGrid,
    settings: &SolverSettings,
) -> Vec<&'static str> {
    let bounds = vec![bound; starts.len()];
    let mut points: Vec<Vec<Point>> = vec![Vec::new(); starts.len()];
    let ends = gradient_flow_lanes::<O, 2, L>(objective, starts, &bounds, grid, settings, |s| {
        points[s.start].push((s.j, *s.theta, s.loss, s.grad_norm));
    });
    assert_eq!(ends.len(), starts.len());
    let mut names = Vec::new();
    for (i, (start, end)) in starts.iter().zip(&ends).enumerate() {
        let traj = solve(
            &GradientFlow { objective },
            objective,
            start,
            grid,
            settings,
            bound,
        );
        assert_eq!(end.termination, traj.termination, "start {start:?}");
        assert_eq!(end.recorded, traj.len() as u64, "start {start:?}");
        assert_eq!(points[i].len(), traj.len(), "start {start:?}");
        for (j, (k, theta, loss, g)) in points[i].iter().enumerate() {
            assert_eq!(*k, j as u64);
            assert_eq!(
                theta.map(f64::to_bits),
                [0, 1].map(|c| traj.state(j)[c].to_bits()),
                "start {start:?}, point {j}"
            );
            assert_eq!(
                loss.to_bits(),
                traj.losses[j].to_bits(),
                "start {start:?}, point {j}"
            );
            assert_eq!(
                g.to_bits(),
                traj.grad_norms[j].to_bits(),
                "start {start:?}, point {j}"
            );
        }
        if let Some(last) = traj.last_state() {
            assert_eq!(
                end.theta.map(f64::to_bits),
                [last[0].to_bits(), last[1].to_bits()]
            );
        }
        // The counts agree where both stop integrating at the same point; at a diverged recorded point the
        // lane stops, while solve integrates on and then discards the samples past it.
        if !matches!(end.termination, flowgap::Termination::Diverged { .. }) {
            assert_eq!(end.stats.grad_evals, traj.stats.grad_evals, "start {start:?}");
            assert_eq!(
                end.stats.accepted_steps, traj.stats.accepted_steps,
                "start {start:?}"
            );
            assert_eq!(
                end.stats.rejected_steps, traj.stats.rejected_steps,
                "start {start:?}"
            );
        }
        names.push(end.termination.name());
    }
    names
}

/// A side × side grid of starts on [−6, 6]², ends included (the basin map's).
fn starts(side: usize) -> Vec<[f64; 2]> {
    let at = |k: usize| -6.0 + 12.0 * k as f64 / (side - 1) as f64;
    (0..side * side).map(|i| [at(i % side), at(i / side)]).collect()
}

#[test]
fn himmelblau_grid_equals_solve_at_every_point_and_width() {
    himmelblau_grid(dopri5(1e-8, 1e-10, 10_000_000));
}

/// dop853 at W3's tolerance and at a scenario's default (rtol 1e-10, atol 1e-12).
#[test]
fn himmelblau_grid_equals_solve_with_dop853() {
    himmelblau_grid(dop853(1e-8, 1e-10, 10_000_000));
    himmelblau_grid(SolverSettings::default());
}

fn himmelblau_grid(settings: SolverSettings) {
    // W3's flow (t = 20), sampled 20 times; 19² = 361 starts, a partial batch at every width.
    let grid = TimeGrid::new(0.01, 2000, 100);
    let s = starts(19);
    let names = check::<_, 8>(&Himmelblau, &s, 1e10, &grid, &settings);
    assert!(names.iter().all(|n| *n == "completed"));
    check::<_, 4>(&Himmelblau, &s[..101], 1e10, &grid, &settings);
    check::<_, 16>(&Himmelblau, &s[..101], 1e10, &grid, &settings);
    // The final-point form: every flow ends within 1e-3 of one of the four minima (gradient flow
    // descends to a minimum from every start but a measure-zero set).
    let ends = gradient_flow_final_lanes::<_, 2, 8>(&Himmelblau, &s, &vec![1e10; s.len()], &grid, &settings);
    let minima = Himmelblau::minima();
    for (start, e) in s.iter().zip(&ends) {
        let near = minima
            .iter()
            .any(|m| (e.theta[0] - m[0]).hypot(e.theta[1] - m[1]) < 1e-3);
        assert!(near, "start {start:?} ends at {:?}", e.theta);
    }
}

#[test]
fn early_ends_are_named_as_solve_names_them() {
    early_ends(dopri5);
}

#[test]
fn early_ends_with_dop853_are_named_as_solve_names_them() {
    early_ends(dop853);
}

fn early_ends(solver: fn(f64, f64, u32) -> SolverSettings) {
    let s = starts(7);
    let grid = TimeGrid::new(0.01, 2000, 100);
    // A budget of 30 steps: every start stops with MaxStepsReached at solve's time.
    let names = check::<_, 4>(&Himmelblau, &s, 1e10, &grid, &solver(1e-8, 1e-10, 30));
    assert!(names.iter().all(|n| *n == "solver_failed"), "{names:?}");
    // An unreachable tolerance fails at once.
    let names = check::<_, 4>(&Himmelblau, &s, 1e10, &grid, &solver(1e-16, 1e-10, 1000));
    assert!(names.iter().all(|n| *n == "solver_failed"), "{names:?}");
    // A divergence bound below L(θ₀) for the far starts (L ≈ 890 at (±6, ±6)) and crossed on the way by
    // none: the far starts diverge at step 0, the others complete.
    let names = check::<_, 8>(&Himmelblau, &s, 300.0, &grid, &solver(1e-8, 1e-10, 100_000));
    assert!(
        names.contains(&"diverged") && names.contains(&"completed"),
        "{names:?}"
    );
    // A saddle direction: L = ½(−θ₁² + θ₂²) grows like e^{2t} along θ₁ and crosses the bound 1e6 near
    // t = ln(2e6/θ₁(0)²)/2, within the horizon t = 20, at a recorded step.
    let q = Quadratic::from_eigenvalues(&[-1.0, 1.0], vec![0.0, 0.0]);
    let names = check::<_, 4>(&q, &s, 1e6, &grid, &solver(1e-8, 1e-10, 100_000));
    assert!(
        names.iter().filter(|n| **n == "diverged").count() >= 36,
        "{names:?}"
    );
    // A stiff quadratic (λ = 1000, 1) holds an explicit solver at its stability limit, h ≈ 3/1000 in t:
    // t = 20 needs thousands of steps. With a budget of 3000, the pace of the first 1000 attempts cannot
    // reach t = 20 in the 2000 left, so `solve`'s pace guard stops every start there (`stalled`) instead of
    // at the budget; the lanes must stop at the same step.
    // (Starts on θ₁ = 0 never excite the fast mode: they are left out.)
    let stiff = Quadratic::from_eigenvalues(&[1000.0, 1.0], vec![0.0, 0.0]);
    let off_axis: Vec<[f64; 2]> = s.iter().filter(|p| p[0] != 0.0).take(10).copied().collect();
    let names = check::<_, 4>(&stiff, &off_axis, 1e10, &grid, &solver(1e-8, 1e-10, 3000));
    assert!(names.iter().all(|n| *n == "solver_failed"), "{names:?}");
    let traj = solve(
        &GradientFlow { objective: &stiff },
        &stiff,
        &off_axis[3],
        &grid,
        &solver(1e-8, 1e-10, 3000),
        1e10,
    );
    match traj.termination {
        flowgap::Termination::SolverFailed { failure, t, .. } => {
            assert_eq!(failure, flowgap::trajectory::SolverFailure::Stalled);
            assert!(t > 0.0 && t < 20.0, "t = {t}");
        }
        other => panic!("expected the pace guard's stop, got {other:?}"),
    }
    // The guard judges its first window at 1000 attempts; ode_solvers does not count the rejections
    // before the first accepted step, so the counts may fall a few short of that.
    let attempts = traj.stats.accepted_steps + traj.stats.rejected_steps;
    assert!((990..3000).contains(&attempts), "{attempts} attempts");
    // A flow that blows up in finite time: L = −x⁴/4 − y²/2 gives x' = x³, x(t) = x₀/√(1 − 2x₀²t), which
    // is infinite at t = 1/(2x₀²) < 20 for |x₀| ≥ 0.2: every start off x = 0 (42 of 49) stops early,
    // however solve names it (the step size underflows before the field overflows here), and the lanes
    // name it the same (checked in `check`).
    let params = ["x".to_string(), "y".to_string()];
    let blow = Formula::new("-(x^4)/4 - (y^2)/2", &params).expect("a valid formula");
    let wide: Vec<[f64; 2]> = s.iter().map(|p| [p[0] / 6.0, p[1] / 6.0]).collect();
    let names = check::<_, 4>(&blow, &wide, 1e300, &grid, &solver(1e-8, 1e-10, 100_000));
    assert!(
        names.iter().filter(|n| **n != "completed").count() == 42,
        "{names:?}"
    );
}

#[test]
fn quadratic_flow_meets_its_closed_form() {
    quadratic_flow(dopri5(1e-10, 1e-12, 100_000));
    quadratic_flow(dop853(1e-10, 1e-12, 100_000));
}

fn quadratic_flow(settings: SolverSettings) {
    // L = ½(λ₁θ₁² + λ₂θ₂²): θ_i(t) = θ_i(0)·e^{−λ_i t}. rtol 1e-10 promises a relative error of about
    // that per step; 1e-7 absolute over 20 samples is ample and far below the solution's size.
    let q = Quadratic::from_eigenvalues(&[3.0, 0.25], vec![0.0, 0.0]);
    let grid = TimeGrid::new(0.01, 1000, 50);
    let s = [[1.0, -2.0], [0.5, 0.5], [-3.0, 1.0], [2.0, 2.0], [0.1, -0.7]];
    let mut worst: f64 = 0.0;
    gradient_flow_lanes::<_, 2, 4>(&q, &s, &[1e10; 5], &grid, &settings, |p| {
        let t = grid.time_of_step(grid.step_of(p.j));
        let exact = [
            s[p.start][0] * (-3.0 * t).exp(),
            s[p.start][1] * (-0.25 * t).exp(),
        ];
        worst = worst
            .max((p.theta[0] - exact[0]).abs())
            .max((p.theta[1] - exact[1]).abs());
    });
    assert!(worst < 1e-7, "worst error {worst:e}");
}

/// An `init_grid` sweep whose only method is a dop853 gradient flow takes the flow lanes (`uses_lanes`),
/// and its sweep.csv must be, row for row and byte for byte, the rows of each point run alone through
/// `solve` (`Plan::row`); a step budget too small for some starts ends them with a named solver failure
/// mid-batch.
#[test]
fn an_init_grid_sweep_with_a_dop853_flow_gives_the_rows_of_single_runs() {
    use flowgap::sweep::{run_sweep, Options, Plan, Shard, TABLE};
    const SCENARIO: &str = r#"
name = "sweep_dop853_lanes"
description = "Himmelblau basins of a dop853 flow"

[objective]
kind = "himmelblau"

[init]
point = [1.0, 1.0]

[run]
step_size = 0.025
steps = 294
record_every = 7
divergence_bound = 1e5

[[method]]
id = "flow"
kind = "gradient_flow"
solver = "dop853"
rtol = 1e-10
atol = 1e-12
max_steps = 150

[sweep]
init_grid = { x = "-5.5:5.5:13", y = "-5.5:5.5:11" }
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweep_dop853_lanes.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let plan = Plan::new(&path, &[]).unwrap();
    assert!(
        plan.uses_lanes(),
        "a dop853 flow of an init_grid sweep takes the lanes"
    );
    let out = dir.path().join("out");
    let options = Options {
        jobs: 2,
        shard: Shard::WHOLE,
        progress: false,
    };
    run_sweep(&plan, &out, options, &std::sync::atomic::AtomicBool::new(false)).unwrap();
    let table = std::fs::read_to_string(out.join(TABLE)).unwrap();
    let header = table.lines().next().unwrap();
    let status = header.split(',').position(|c| c == "flow.termination").unwrap();
    let mut endings = std::collections::BTreeMap::<String, usize>::new();
    let mut rows = 0;
    for (i, line) in table.lines().skip(1).enumerate() {
        let alone = plan.row(i as u64).unwrap().join(",");
        assert_eq!(
            line, alone,
            "row {i}: the sweep's row against the point run alone"
        );
        *endings
            .entry(line.split(',').nth(status).unwrap().to_string())
            .or_default() += 1;
        rows += 1;
    }
    assert_eq!(rows, 13 * 11);
    for name in ["completed", "solver_failed"] {
        assert!(
            endings.get(name).copied().unwrap_or(0) > 5,
            "flow endings {endings:?}"
        );
    }
}
