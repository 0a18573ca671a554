//! The adaptive solvers' step-size controller (`controller = "pi" | "i"`, issue 24 item 3): each
//! solver's own controller is its default bit for bit (golden files stay), the other one still meets the
//! tolerance against the closed form expm(−At)θ₀ while taking a different sequence of steps, and the
//! scenario keys are checked (rk4 has no controller).

use super::quadratic_closed_form::{rel_err, rotated_quadratic};
use flowgap::continuous::{solve, Controller, GradientFlow, SolverKind, SolverSettings};
use flowgap::{Termination, TimeGrid, Trajectory};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

fn run(solver: SolverKind, controller: Option<Controller>) -> Trajectory {
    let q = rotated_quadratic();
    let settings = SolverSettings {
        solver,
        rtol: 1e-10,
        atol: 1e-12,
        max_steps: 1_000_000,
        dt: 0.0,
        controller,
    };
    solve(
        &GradientFlow { objective: &q },
        &q,
        &[1.0, -2.0, 0.5],
        &TimeGrid::new(0.01, 400, 4),
        &settings,
        1e10,
    )
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn each_solvers_own_controller_is_its_default_bit_for_bit() {
    for (solver, own) in [
        (SolverKind::Dopri5, Controller::Pi),
        (SolverKind::Dop853, Controller::I),
    ] {
        assert_eq!(solver.default_controller(), own);
        let default = run(solver, None);
        let explicit = run(solver, Some(own));
        assert_eq!(bits(&default.states), bits(&explicit.states), "{solver:?}");
        assert_eq!(default.stats.grad_evals, explicit.stats.grad_evals);
    }
}

#[test]
fn the_other_controller_meets_the_tolerance_with_other_steps() {
    let q = rotated_quadratic();
    let eig = SymmetricEigen::new(q.matrix().clone());
    let at = |t: f64| {
        let e = DMatrix::from_diagonal(&eig.eigenvalues.map(|l| (-l * t).exp()));
        &eig.eigenvectors * e * eig.eigenvectors.transpose() * DVector::from_vec(vec![1.0, -2.0, 0.5])
    };
    for (solver, other) in [
        (SolverKind::Dopri5, Controller::I),
        (SolverKind::Dop853, Controller::Pi),
    ] {
        let own = run(solver, None);
        let traj = run(solver, Some(other));
        assert_eq!(traj.termination, Termination::Completed);
        assert_eq!(traj.len(), 101);
        for i in 0..traj.len() {
            let err = rel_err(traj.state(i), at(traj.times[i]).as_slice());
            assert!(
                err < 1e-8,
                "{solver:?} {other:?} at t = {}: {err:e}",
                traj.times[i]
            );
        }
        // β enters every step-size choice after the first: the step sequence, hence the work, differs.
        assert_ne!(
            (own.stats.grad_evals, own.stats.rejected_steps),
            (traj.stats.grad_evals, traj.stats.rejected_steps),
            "{solver:?}"
        );
    }
}

#[test]
fn the_scenario_key_is_checked() {
    let text = |solver: &str, controller: &str| {
        format!(
            "name = \"c\"\ndescription = \"d\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [4.0, 1.0]\n\
             [init]\npoint = [1.0, 1.0]\n[run]\nstep_size = 0.1\nsteps = 20\n\
             [[method]]\nid = \"f\"\nkind = \"gradient_flow\"\nsolver = \"{solver}\"\ncontroller = \"{controller}\"\n\
             [output]\nfigures = []\n"
        )
    };
    let parse = |t: &str| flowgap::scenario::parse(t, std::path::Path::new("c.toml"));
    let s = parse(&text("dopri5", "i")).unwrap();
    let flowgap::method::MethodKind::GradientFlow(settings) = &s.experiment.methods[0].kind else {
        panic!("a gradient flow")
    };
    assert_eq!(settings.controller, Some(Controller::I));
    let err = parse(&text("rk4", "pi")).err().unwrap().to_string();
    assert!(
        err.contains("method[0].controller") && err.contains("rk4"),
        "{err}"
    );
    let err = parse(&text("dop853", "pid")).err().unwrap().to_string();
    assert!(
        err.contains("unknown controller `pid`") && err.contains("pi, i"),
        "{err}"
    );
}
