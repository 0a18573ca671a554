//! The central flow of scalar RMSProp (`scalar_rmsprop_central_flow`; Cohen, Damian, Talwalkar, Kolter &
//! Lee 2025), checked against closed forms. The model, on t = k·η with q = √ν + ε and r = (1 − β₂)/(β₂η):
//! w' = −(∇L + ½σ²∇S)/q, ν' = r(‖∇L‖² + S²σ² − ν), σ² ≥ 0 holding S ≤ 2q/η (docs/methods.md).
//! - The defining property, by differences along the field: once active, d(S − 2q/η)/dt = −κ(S − 2q/η).
//! - Below the edge it is the scalar RMSProp flow (σ² = 0), bit for bit.
//! - On L = x² (λ = 2, ∇S = 0) only ν can hold the edge: q = ηλ/2, so x' = −(2/η)x exactly, ν is held at
//!   (ηλ/2 − ε)² and σ² = (ν − λ²x²)/λ² → (η/2 − ε/λ)², the mean square of scalar RMSProp's period-2
//!   oscillation x = ±η/2 on a quadratic.
//! - On the toy L = ½(1 + y)x² + 1e-6·x − αy with ∇S ≈ (0, 1): the rest point has y held, so σ² = 2α;
//!   ν = ‖∇L‖² + S²σ² = α² + 2αS² with S = 2(√ν + ε)/η, i.e. (1 − 8α/η²)ν = α² when ε → 0, which has a
//!   positive root iff 8α < η² (α = 0.1, η = 1: ν* = 0.05, S* = 2√0.05 = 0.4472, y* = S* − 1).

use flowgap::continuous::{
    solve, CentralFlow, CentralOptimizer, CentralSettings, SolverSettings, VectorField,
};
use flowgap::method::{run_method, MethodKind};
use flowgap::objective::{Formula, Objective};
use flowgap::trajectory::{Termination, TimeGrid, Trajectory};

const EPS: f64 = 1e-8;

fn settings(beta2: f64, relaxation: f64) -> CentralSettings {
    CentralSettings {
        relaxation,
        optimizer: CentralOptimizer::ScalarRmsProp { beta2, eps: EPS },
        ..CentralSettings::default()
    }
}

fn kind(beta2: f64, relaxation: f64, atol: f64) -> MethodKind {
    MethodKind::CentralFlow {
        settings: settings(beta2, relaxation),
        solver: SolverSettings::dop853(1e-10, atol),
    }
}

fn formula(expr: &str, params: &[&str]) -> Formula {
    let names: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    Formula::new(expr, &names).unwrap()
}

/// ν at each recorded point, from the recorded preconditioner √ν + ε.
fn nu(traj: &Trajectory, i: usize) -> f64 {
    (traj.preconditioners[i * traj.dim] - EPS).powi(2)
}

/// The scalar RMSProp flow w' = −∇L/(√ν + ε), ν' = r(‖∇L‖² − ν), written out independently.
struct ScalarRmsPropFlow<'a> {
    objective: &'a dyn Objective,
    rate: f64,
}

impl VectorField for ScalarRmsPropFlow<'_> {
    fn dim(&self) -> usize {
        self.objective.dim() + 1
    }
    fn eval(&self, _t: f64, state: &[f64], out: &mut [f64]) {
        let d = self.objective.dim();
        self.objective.gradient(&state[..d], &mut out[..d]);
        let g2: f64 = out[..d].iter().map(|g| g * g).sum();
        let q = state[d].max(0.0).sqrt() + EPS;
        out[..d].iter_mut().for_each(|g| *g = -*g / q);
        out[d] = self.rate * (g2 - state[d]);
    }
    fn position_dim(&self) -> usize {
        self.objective.dim()
    }
    fn position<'b>(&self, state: &'b [f64]) -> &'b [f64] {
        &state[..self.objective.dim()]
    }
    fn initial_state(&self, theta0: &[f64], out: &mut [f64]) {
        let d = theta0.len();
        out[..d].copy_from_slice(theta0);
        self.objective.gradient(theta0, &mut out[..d]);
        out[d] = out[..d].iter().map(|g| g * g).sum();
        out[..d].copy_from_slice(theta0);
    }
    fn preconditioner(&self, _t: f64, state: &[f64], out: &mut [f64]) -> bool {
        out.fill(state[self.objective.dim()].max(0.0).sqrt() + EPS);
        true
    }
}

/// λ₁ of the toy's H = [[1 + y, x], [x, 0]].
fn toy_sharpness(w: &[f64]) -> f64 {
    let a = 1.0 + w[1];
    0.5 * (a + (a * a + 4.0 * w[0] * w[0]).sqrt())
}

#[test]
fn once_active_the_gap_to_the_moving_edge_relaxes_at_rate_kappa() {
    let (alpha, eta, beta2, relaxation) = (0.1, 1.0, 0.5, 1.0);
    let obj = formula("0.5*(1 + y)*x^2 + 0.000001*x - 0.1*y", &["x", "y"]);
    let field = CentralFlow::new(&obj, eta, settings(beta2, relaxation)).unwrap();
    let rate = (1.0 - beta2) / (beta2 * eta);
    let kappa = relaxation / eta;
    // Points near the edge S = 2q/η, on both sides, with ν above and below ‖∇L‖².
    for &(x, y, nu) in &[(1e-3, -0.79, 0.01), (-2e-3, -0.58, 0.045), (5e-4, -0.48, 0.07)] {
        let state = [x, y, nu];
        let mut v = [0.0; 3];
        field.eval(0.0, &state, &mut v);
        let p = field.point(&state).unwrap();
        let q = nu.sqrt() + EPS;
        let edge = 2.0 * q / eta;
        assert!(p.critical == 1, "({x}, {y}, {nu}) near the edge");
        assert!((p.scale - q).abs() < 1e-15);
        let sigma2 = p.sigma_trace;
        // d/dt (S − 2q/η) along the field, by a central difference of the exact S and q.
        let h = 1e-6;
        let gap = |s: f64| {
            let w = [x + s * v[0], y + s * v[1]];
            toy_sharpness(&w) - 2.0 * ((nu + s * v[2]).sqrt() + EPS) / eta
        };
        let dgap = (gap(h) - gap(-h)) / (2.0 * h);
        let s = toy_sharpness(&[x, y]);
        if sigma2 > 0.0 {
            assert!(
                (dgap + kappa * (s - edge)).abs() < 1e-7,
                "active at ({x}, {y}, {nu}): d(S − 2q/η)/dt = {dgap}, −κ(S − 2q/η) = {}",
                -kappa * (s - edge)
            );
        } else {
            assert!(
                dgap <= -kappa * (s - edge) + 1e-7,
                "inactive: the unconstrained flow is within the bound"
            );
        }
        // ν' = r(‖∇L‖² + S²σ² − ν) with the exact ∇L.
        let (gx, gy) = ((1.0 + y) * x + 1e-6, 0.5 * x * x - alpha);
        let want = rate * (gx * gx + gy * gy + s * s * sigma2 - nu);
        assert!(
            (v[2] - want).abs() < 1e-12 * (1.0 + want.abs()),
            "ν' {} against {want}",
            v[2]
        );
    }
}

#[test]
fn below_the_edge_it_is_the_scalar_rmsprop_flow_bit_for_bit() {
    // L = x² (λ = 2): while ν lags behind λ²x² (at rate r ≈ 1.1) x collapses, and ν then decays as
    // e^{−rt}, so the effective sharpness ηλ/q = 0.2/q reaches 2 (at t ≈ 11.8) and grows without bound.
    let (eta, beta2) = (0.1, 0.9);
    let obj = formula("x^2", &["x"]);
    let grid = TimeGrid::new(eta, 200, 1);
    let cf = run_method(&kind(beta2, 1.0, 1e-12), &obj, &[5.0], &grid, 1e10);
    let reference = ScalarRmsPropFlow {
        objective: &obj,
        rate: (1.0 - beta2) / (beta2 * eta),
    };
    let rf = solve(
        &reference,
        &obj,
        &[5.0],
        &grid,
        &SolverSettings::dop853(1e-10, 1e-12),
        1e10,
    );
    assert_eq!(cf.termination, Termination::Completed);
    assert_eq!(rf.termination, Termination::Completed);
    // The reference's first recorded time with ηλ/q at 0.95·2, where the central flow's candidate begins.
    let t_candidate = (0..rf.len())
        .find(|&i| eta * 2.0 / (nu(&rf, i).sqrt() + EPS) >= 0.95 * 2.0)
        .map(|i| rf.times[i])
        .expect("the flow reaches the edge");
    assert!(t_candidate > 3.0, "a long stretch below the edge: {t_candidate}");
    let mut compared = 0;
    // A solver step ending past t_candidate may straddle it: leave one unit of time.
    for i in (0..cf.len()).take_while(|&i| cf.times[i] < t_candidate - 1.0) {
        assert_eq!(cf.state(i), rf.state(i), "t = {}", cf.times[i]);
        assert_eq!(
            cf.preconditioners[i], rf.preconditioners[i],
            "ν at t = {}",
            cf.times[i]
        );
        compared += 1;
    }
    assert!(compared > 20);
    // Past the edge the reference's effective sharpness keeps rising; the central flow's stops at 2.
    let last = cf.len() - 1;
    let held = eta * 2.0 / (nu(&cf, last).sqrt() + EPS);
    assert!((held - 2.0).abs() < 1e-6, "central flow: ηλ/q = {held}");
    let free = eta * 2.0 / (nu(&rf, last).sqrt() + EPS);
    assert!(
        free > 10.0,
        "the scalar RMSProp flow passes the edge: ηλ/q = {free}"
    );
}

#[test]
fn on_a_quadratic_nu_holds_the_edge_and_sigma2_tends_to_the_period_two_amplitude() {
    let (eta, beta2, lambda) = (0.1, 0.9, 2.0);
    let obj = formula("x^2", &["x"]);
    // relaxation 10: the gap closes at rate 100 while x decays at rate 2/η = 20; atol far below x.
    let cf = run_method(
        &kind(beta2, 10.0, 1e-30),
        &obj,
        &[5.0],
        &TimeGrid::new(eta, 150, 1),
        1e10,
    );
    assert_eq!(cf.termination, Termination::Completed);
    let field = CentralFlow::new(&obj, eta, settings(beta2, 10.0)).unwrap();
    let nu_held = (eta * lambda / 2.0 - EPS).powi(2);
    let first = (0..cf.len())
        .find(|&i| field.point(&[cf.state(i)[0], nu(&cf, i)]).unwrap().sigma_trace > 0.0)
        .expect("the edge is reached");
    let t_act = cf.times[first];
    let (mut checked, mut ratios) = (0, 0);
    for i in first..cf.len() {
        if cf.times[i] < t_act + 0.3 {
            continue; // e^{−100·0.3}: the relaxation has closed the gap
        }
        let x = cf.state(i)[0];
        let n = nu(&cf, i);
        assert!(
            (n - nu_held).abs() < 1e-6 * nu_held,
            "t = {}: ν = {n}, held {nu_held}",
            cf.times[i]
        );
        let p = field.point(&[x, n]).unwrap();
        let want = (n - lambda * lambda * x * x) / (lambda * lambda);
        assert!(
            (p.sigma_trace - want).abs() < 1e-6 * want,
            "σ² = {} against (ν − λ²x²)/λ² = {want}",
            p.sigma_trace
        );
        // x' = −(2/η)x: the ratio over one recorded step (Δt = η) is e^{−2}, while x is well above
        // atol = 1e-30 (below ~1e-24 the solver resolves x only to atol).
        if i + 1 < cf.len() && x.abs() > 1e-22 {
            ratios += 1;
            let ratio = cf.state(i + 1)[0] / x;
            assert!(
                (ratio - (-2.0f64).exp()).abs() < 1e-6,
                "x ratio {ratio} at t = {}",
                cf.times[i]
            );
        }
        checked += 1;
    }
    assert!(
        checked > 20 && ratios >= 5,
        "{checked} points ({ratios} ratios) checked after t_act = {t_act}"
    );
    let end = field
        .point(&[cf.state(cf.len() - 1)[0], nu(&cf, cf.len() - 1)])
        .unwrap();
    let amplitude2 = (eta / 2.0 - EPS / lambda).powi(2);
    assert!(
        (end.sigma_trace - amplitude2).abs() < 1e-9,
        "σ² → (η/2)² = {amplitude2}: {}",
        end.sigma_trace
    );
}

#[test]
fn on_the_toy_the_rest_point_holds_sigma2_two_alpha_and_the_closed_form_nu() {
    let (alpha, eta, beta2) = (0.1, 1.0, 0.5);
    let obj = formula("0.5*(1 + y)*x^2 + 0.000001*x - 0.1*y", &["x", "y"]);
    let w0 = [1e-3, -0.95];
    let cf = run_method(
        &kind(beta2, 1.0, 1e-12),
        &obj,
        &w0,
        &TimeGrid::new(eta, 200, 1),
        1e10,
    );
    assert_eq!(cf.termination, Termination::Completed);
    // ν*: (1 − 8α/η²)s² − (16αε/η²)s − (α² + 8αε²/η²) = 0 for s = √ν (ν = α² + 2α(2(s + ε)/η)²).
    let (a, b, c) = (
        1.0 - 8.0 * alpha / (eta * eta),
        -16.0 * alpha * EPS / (eta * eta),
        -(alpha * alpha + 8.0 * alpha * EPS * EPS / (eta * eta)),
    );
    let s = (-b + (b * b - 4.0 * a * c).sqrt()) / (2.0 * a);
    let (nu_star, sharp_star) = (s * s, 2.0 * (s + EPS) / eta);
    let field = CentralFlow::new(&obj, eta, settings(beta2, 1.0)).unwrap();
    let mut worst_edge = 0.0f64;
    let mut active = false;
    for i in 0..cf.len() {
        let w = cf.state(i);
        let n = nu(&cf, i);
        let p = field.point(&[w[0], w[1], n]).unwrap();
        active |= p.sigma_trace > 0.0;
        if active && cf.times[i] >= 15.0 {
            // e^{−κ·15} of the 5% gap where the constraint first binds: below 1e-7.
            worst_edge = worst_edge.max((eta * toy_sharpness(w) / (n.sqrt() + EPS) - 2.0).abs());
        }
    }
    assert!(active);
    assert!(worst_edge < 1e-6, "ηS/(√ν + ε) − 2 up to {worst_edge}");
    let last = cf.len() - 1;
    let w = cf.state(last);
    let n = nu(&cf, last);
    let p = field.point(&[w[0], w[1], n]).unwrap();
    // x at rest: (1 + y)x + 1e-6 + ½σ²∂S/∂x = 0 with ∂S/∂x ≈ 2x/S, so x ≈ −1e-6/(S + 2α/S); the
    // neglected terms (x²/S² ≈ 2.5e-11) are far below the tolerances.
    assert!(
        (p.sigma_trace - 2.0 * alpha).abs() < 1e-6 * 2.0 * alpha,
        "σ² = {}",
        p.sigma_trace
    );
    assert!(
        (n - nu_star).abs() < 1e-6 * nu_star,
        "ν = {n}, closed form {nu_star}"
    );
    assert!(
        (w[1] - (sharp_star - 1.0)).abs() < 1e-6,
        "y = {}, closed form {}",
        w[1],
        sharp_star - 1.0
    );
    let x_star = -1e-6 / (sharp_star + 2.0 * alpha / sharp_star);
    assert!(
        (w[0] - x_star).abs() < 1e-3 * x_star.abs(),
        "x = {}, closed form {x_star}",
        w[0]
    );
    // The predicted time-averaged loss is L + ½Sσ² = L + αS*.
    assert!((p.predicted_loss - (p.loss + alpha * sharp_star)).abs() < 1e-6);
}
