//! Gradient descent and gradient flow on quadratics against their closed forms:
//! GD: θ_k = (I − ηA)^k θ0; flow: θ(t) = expm(−At) θ0 = V exp(−Λt) Vᵀ θ0.

use flowgap::continuous::{solve, GradientFlow, SolverKind, SolverSettings};
use flowgap::discrete::gradient_descent;
use flowgap::objective::{Objective, Quadratic};
use flowgap::{Termination, TimeGrid};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// A non-diagonal symmetric positive-definite 3×3 matrix with eigenvalues 20, 3, 0.5 (shared by the
/// method, schedule and objective tests).
pub(crate) fn rotated_quadratic() -> Quadratic {
    let q = nalgebra::Rotation3::from_euler_angles(0.3, -0.7, 1.1).into_inner();
    let q = DMatrix::from_fn(3, 3, |i, j| q[(i, j)]);
    let a = &q * DMatrix::from_diagonal(&DVector::from_vec(vec![20.0, 3.0, 0.5])) * q.transpose();
    let a = (&a + a.transpose()) * 0.5;
    Quadratic::new(a, vec![0.0; 3])
}

/// ‖x − y‖ / ‖y‖ (y = 0 counted as tiny, not zero).
pub(crate) fn rel_err(x: &[f64], y: &[f64]) -> f64 {
    let num: f64 = x.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
    let den: f64 = y.iter().map(|b| b * b).sum::<f64>().sqrt();
    num / den.max(1e-300)
}

#[test]
fn gd_iterates_are_powers_of_i_minus_eta_a() {
    let q = rotated_quadratic();
    let theta0 = [1.0, -2.0, 0.5];
    let grid = TimeGrid::new(0.05, 200, 1);
    let traj = gradient_descent(&q, &theta0, &grid, 1e10);
    assert_eq!(traj.termination, Termination::Completed);
    assert_eq!(traj.len(), 201);
    let m = DMatrix::identity(3, 3) - q.matrix() * grid.step_size;
    let mut expected = DVector::from_column_slice(&theta0);
    for k in 0..=200usize {
        assert_eq!(traj.steps[k], k as u64);
        assert_eq!(traj.times[k], k as f64 * 0.05, "t_k = k·η exactly");
        let err = rel_err(traj.state(k), expected.as_slice());
        assert!(err < 1e-12, "step {k}: relative error {err:e}");
        assert!((traj.losses[k] - q.loss(expected.as_slice())).abs() <= 1e-12 * traj.losses[0]);
        expected = &m * expected;
    }
}

fn flow_closed_form(q: &Quadratic, theta0: &[f64], t: f64) -> Vec<f64> {
    let eig = SymmetricEigen::new(q.matrix().clone());
    let v = &eig.eigenvectors;
    let c = v.transpose() * DVector::from_column_slice(theta0);
    let scaled = DVector::from_fn(c.len(), |i, _| c[i] * (-eig.eigenvalues[i] * t).exp());
    (v * scaled).as_slice().to_vec()
}

fn check_flow(solver: SolverKind, rtol: f64, dt: f64, tol: f64) {
    let q = rotated_quadratic();
    let theta0 = [1.0, -2.0, 0.5];
    let grid = TimeGrid::new(0.01, 400, 1);
    let settings = SolverSettings {
        solver,
        rtol,
        atol: rtol * 1e-2,
        max_steps: 1_000_000,
        dt,
        controller: None,
    };
    let traj = solve(
        &GradientFlow { objective: &q },
        &q,
        &theta0,
        &grid,
        &settings,
        1e10,
    );
    assert_eq!(traj.termination, Termination::Completed, "{solver:?}");
    assert_eq!(
        traj.len(),
        401,
        "{solver:?}: every sample time, the last one included"
    );
    let mut worst: f64 = 0.0;
    for k in 0..traj.len() {
        assert_eq!(traj.times[k], k as f64 * 0.01);
        let exact = flow_closed_form(&q, &theta0, traj.times[k]);
        worst = worst.max(rel_err(traj.state(k), &exact));
    }
    let last = rel_err(traj.last_state().unwrap(), &flow_closed_form(&q, &theta0, 4.0));
    assert!(
        worst < tol,
        "{solver:?}: worst relative error {worst:e} ≥ {tol:e}"
    );
    assert!(last < tol, "{solver:?}: last point relative error {last:e}");
}

#[test]
fn dop853_flow_matches_expm_at_every_sample() {
    check_flow(SolverKind::Dop853, 1e-12, 0.0, 1e-9);
}

#[test]
fn dopri5_flow_matches_expm_at_every_sample() {
    check_flow(SolverKind::Dopri5, 1e-12, 0.0, 1e-8);
}

#[test]
fn rk4_flow_matches_expm_at_every_sample() {
    // Error ≈ C·dt⁴·t; with λ_max = 20 and dt = 1/1024, (20·dt)⁴ ≈ 1e-7 per unit time.
    check_flow(SolverKind::Rk4, 1e-3, 1.0 / 1024.0, 1e-7);
}

/// GD on ½·4x² + ½·1y²: stable for η ≤ 2/λ_max = 0.5, divergent above.
#[test]
fn gd_diverges_exactly_above_two_over_lambda_max() {
    let q = Quadratic::from_eigenvalues(&[4.0, 1.0], vec![0.0, 0.0]);
    let theta0 = [1.0, 1.0];
    let l0 = q.loss(&theta0);
    let bound = 1e10 * l0;
    let steps = 40_000;
    for (factor, diverges) in [(1.0 - 1e-3, false), (1.0, false), (1.0 + 1e-3, true)] {
        let eta = 0.5 * factor;
        let grid = TimeGrid::new(eta, steps, 1);
        let traj = gradient_descent(&q, &theta0, &grid, bound);
        match (&traj.termination, diverges) {
            (Termination::Completed, false) => {}
            (Termination::Diverged { step, t, .. }, true) => {
                // The stiff part of the loss is ½·4·r^{2k} with r = |1 − 4η|; the other decays. The
                // bound is first exceeded at the smallest k with 2·r^{2k} > bound.
                let r: f64 = (1.0 - 4.0 * eta).abs();
                let predicted = ((bound / 2.0).ln() / (2.0 * r.ln())).ceil() as u64;
                assert!(
                    step.abs_diff(predicted) <= 1,
                    "diverged at step {step}, predicted {predicted}"
                );
                assert_eq!(*t, *step as f64 * eta);
                assert!(traj.len() > 1, "the run up to divergence is kept");
                assert!(traj.final_loss() <= bound);
            }
            (other, _) => panic!("η = {eta}: unexpected termination {other:?}"),
        }
    }
}

#[test]
fn negative_curvature_makes_both_methods_diverge_as_a_result() {
    let q = Quadratic::from_eigenvalues(&[-1.0, 1.0], vec![0.0, 0.0]);
    let grid = TimeGrid::new(0.01, 10_000, 10);
    let settings = SolverSettings::dop853(1e-10, 1e-12);
    let gd = gradient_descent(&q, &[1e-3, 1.0], &grid, 1e6);
    let flow = solve(
        &GradientFlow { objective: &q },
        &q,
        &[1e-3, 1.0],
        &grid,
        &settings,
        1e6,
    );
    // |L| = ½(1e-3)²·g² − ½y² with g = e^t (flow) or 1.01^k (GD) first exceeds 1e6 when g² > 2e12:
    // the flow at t > ½ln(2e12) = 14.16, GD at k > ln(2e12)/(2 ln 1.01) = 1423.2; the loss is checked at
    // the recorded points (every 10 steps), so the first ones past that are t = 14.2 and k = 1430.
    let expected = [(&gd, 1430u64), (&flow, 1420u64)];
    for (traj, k) in expected {
        match traj.termination {
            Termination::Diverged { step, t, .. } => {
                assert_eq!(step, k);
                assert!((t - k as f64 * 0.01).abs() < 1e-12);
            }
            ref other => panic!("expected divergence, got {other:?}"),
        }
    }
}

#[test]
fn solver_failures_are_named_terminations_not_panics() {
    let q = rotated_quadratic();
    let grid = TimeGrid::new(0.01, 1000, 1);
    let settings = SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-12,
        atol: 1e-14,
        max_steps: 5,
        dt: 0.0,
        controller: None,
    };
    let traj = solve(
        &GradientFlow { objective: &q },
        &q,
        &[1.0, 1.0, 1.0],
        &grid,
        &settings,
        1e10,
    );
    match traj.termination {
        Termination::SolverFailed { failure, t, .. } => {
            assert_eq!(failure, flowgap::trajectory::SolverFailure::MaxStepsReached);
            assert!(t > 0.0 && t < 10.0);
            assert!(traj.t_end() <= t + 1e-12, "samples stop where the solver stopped");
        }
        other => panic!("expected a solver failure, got {other:?}"),
    }
}
