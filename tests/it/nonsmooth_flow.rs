//! Gradient flow of a ReLU network in bounded time (issue 24, item 3). A ReLU net's gradient jumps where a
//! unit's preactivation crosses 0 on a sample, and the flow can slide along such a surface; there the
//! error estimate is O(h), the step collapses and dop853 at the default rtol 1e-10 crawls (hours for
//! 2000 steps' time before `max_steps` ends it). `solve`'s pace guard stops such a run with the named
//! failure `stalled` once the pace of its last 1000 attempts cannot reach the horizon within the attempts
//! left, and the documented setting (dopri5, rtol 1e-6, atol 1e-8) integrates the same flow.

use flowgap::continuous::{solve, GradientFlow, SolverKind, SolverSettings};
use flowgap::data::synthetic::{teacher_student, TeacherStudent};
use flowgap::objective::activation::Activation;
use flowgap::objective::{Mlp, MlpConfig, MlpLoss, Objective, Parameterization};
use flowgap::trajectory::SolverFailure;
use flowgap::{Termination, TimeGrid};

/// A 2-32-2 ReLU net with biases on 100 teacher–student samples (a 2-4-2 tanh teacher, seed 3), LeCun
/// init (seed 1), mean squared error: issue 24's case.
fn relu_net() -> (Mlp, Vec<f64>) {
    let cfg = TeacherStudent {
        samples: 100,
        inputs: 2,
        hidden: 4,
        outputs: 2,
        noise: 0.0,
    };
    let (data, _) = teacher_student(&cfg, 3).expect("valid teacher–student settings");
    let config = MlpConfig {
        widths: vec![2, 32, 2],
        activation: Activation::Relu,
        loss: MlpLoss::Mse,
        bias: true,
        parameterization: Parameterization::Standard,
    };
    let net = Mlp::new(config, &data).expect("valid network");
    let theta0 = net.init(1.0, 1);
    (net, theta0)
}

/// The default solver (dop853, rtol 1e-10) over issue 24's horizon (2000 steps of η = 0.1), with a step
/// budget of 50,000 so that the test is quick (the default 10⁷ is measured in docs/troubleshooting.md):
/// the run must stop with `stalled`, not `max_steps_reached`, before the horizon and before spending
/// its budget, with advice that names the setting to change, and with every sample before the stop kept.
#[test]
fn relu_flow_at_the_default_stops_with_a_named_stall() {
    let (net, theta0) = relu_net();
    let grid = TimeGrid::new(0.1, 2000, 10);
    let settings = SolverSettings {
        max_steps: 50_000,
        ..SolverSettings::default()
    };
    assert_eq!(settings.solver, SolverKind::Dop853);
    let traj = solve(
        &GradientFlow { objective: &net },
        &net,
        &theta0,
        &grid,
        &settings,
        1e10,
    );
    match &traj.termination {
        Termination::SolverFailed { failure, t, advice } => {
            assert_eq!(*failure, SolverFailure::Stalled);
            assert!(*t > 0.0 && *t < 200.0, "stalled at t = {t}");
            assert!(
                advice.contains("dopri5") && advice.contains("rtol = 1e-6"),
                "{advice}"
            );
            // The samples up to the stop are kept: t_j = j·1.0 ≤ t.
            assert_eq!(traj.len() as f64, t.floor() + 1.0, "t = {t}");
        }
        other => panic!("expected the pace guard's stop, got {other:?}"),
    }
    let attempts = traj.stats.accepted_steps + traj.stats.rejected_steps;
    assert!(
        (1000..50_000).contains(&attempts),
        "{attempts} attempts: the guard judges whole windows and fires before the budget"
    );
}

/// The documented setting for non-smooth objectives reaches the horizon (here t = 20), the loss never
/// rising (a gradient flow's loss decreases, to the solver's tolerance).
#[test]
fn relu_flow_with_the_documented_setting_completes() {
    let (net, theta0) = relu_net();
    let grid = TimeGrid::new(0.1, 200, 10);
    let documented = SolverSettings {
        solver: SolverKind::Dopri5,
        rtol: 1e-6,
        atol: 1e-8,
        ..SolverSettings::default()
    };
    let flow = solve(
        &GradientFlow { objective: &net },
        &net,
        &theta0,
        &grid,
        &documented,
        1e10,
    );
    assert_eq!(flow.termination, Termination::Completed);
    assert_eq!(flow.len(), 21);
    for w in flow.losses.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-6), "{} then {}", w[0], w[1]);
    }
    assert!(flow.final_loss() < net.loss(&theta0));
}
