//! The marginal case of the frozen-preconditioner thresholds, beside the 0.999×/1.001× cases of
//! tests/it/adaptive.rs and tests/it/methods.rs: at exactly λ/p = threshold, what the recursion does.
//!
//! On ½λx² with P frozen each method is a linear recursion x_{k+1} = M x_k in two coordinates (θ and the
//! momentum), with det M = β and trace M = 1 + β − η·(effective curvature). At the threshold trace M = −(1 + β),
//! so the eigenvalues are −1 and −β: one on the unit circle, the other inside. They are distinct for every
//! β < 1 (momentum 1 is refused), so M is diagonalisable and there is no Jordan block: M^k = (−1)^k P₁ + (−β)^k P₂
//! with the spectral projectors P₁ = (M + β)/(β − 1), P₂ = (M + 1)/(1 − β). θ_k therefore settles into a
//! bounded period-2 oscillation ±A, A = e₁ᵀP₁x₀, neither decaying nor growing (the linear growth k(−1)^k of a
//! Jordan block would need the double root −1, i.e. β = 1). From θ₀ = 1 at rest A = (1 + β)/(1 − β): 19 at β = 0.9.
//! Each test builds M from the method's update formulas, takes its eigen-structure, and checks every recorded
//! step of the library's run against A r₁^k + B r₂^k.

use flowgap::discrete::{adaptive, heavy_ball, AdaptiveMethod, MomentumStart, SecondMomentStart};
use flowgap::method::MethodKind;
use flowgap::objective::Quadratic;
use flowgap::{Termination, TimeGrid, Trajectory};

const STEPS: u64 = 20_000;

/// θ_k = a·r₁^k + b·r₂^k for x_k = M^k x₀ when M (2×2) has distinct real eigenvalues r₁ (the one of largest
/// modulus) and r₂: the modal amplitudes are e₁ᵀ of the spectral projectors (M − r₂)/(r₁ − r₂) and
/// (M − r₁)/(r₂ − r₁) applied to x₀.
struct Modes {
    r1: f64,
    r2: f64,
    a: f64,
    b: f64,
}

fn modes(m: [[f64; 2]; 2], x0: [f64; 2]) -> Modes {
    let (trace, det) = (m[0][0] + m[1][1], m[0][0] * m[1][1] - m[0][1] * m[1][0]);
    let disc = trace * trace - 4.0 * det;
    assert!(disc > 0.0, "real distinct eigenvalues: discriminant {disc}");
    // The root of larger modulus from the quadratic formula, the other from the product (no cancellation).
    let r1 = 0.5 * (trace + trace.signum() * disc.sqrt());
    let r2 = det / r1;
    let first_row = |r: f64| (m[0][0] - r) * x0[0] + m[0][1] * x0[1];
    Modes {
        r1,
        r2,
        a: first_row(r2) / (r1 - r2),
        b: first_row(r1) / (r2 - r1),
    }
}

/// Checks the structure at the threshold (r₁ = −1 to round-off, |r₂| = β < 1, well separated so no Jordan
/// block) and every recorded θ_k against a·r₁^k + b·r₂^k; returns the oscillation amplitude a.
fn check_marginal(what: &str, m: [[f64; 2]; 2], x0: [f64; 2], beta: f64, t: &Trajectory) -> f64 {
    let md = modes(m, x0);
    assert!((md.r1 + 1.0).abs() < 1e-12, "{what}: r₁ = {}", md.r1);
    assert!((md.r2 + beta).abs() < 1e-12, "{what}: r₂ = {}", md.r2);
    assert!(
        (md.r1 - md.r2).abs() > 1e-3,
        "{what}: distinct eigenvalues, M diagonalisable"
    );
    assert_eq!(t.termination, Termination::Completed, "{what}");
    assert_eq!(t.len() as u64, STEPS + 1, "{what}: every step recorded");
    let mut top = 0.0f64;
    for k in 0..t.len() {
        let want = md.a * md.r1.powi(k as i32) + md.b * md.r2.powi(k as i32);
        let got = t.state(k)[0];
        // |r₁| = 1 + O(1e-16) drifts the amplitude by at most STEPS·1e-15 relative.
        assert!(
            (got - want).abs() <= 1e-9 * md.a.abs().max(1.0),
            "{what}, step {k}: {got} against {want}"
        );
        if k as u64 > STEPS - 100 {
            top = top.max(got.abs());
        }
    }
    // Over the last steps the (−β)^k mode is gone: |θ_k| = |a| (no decay, no linear growth).
    assert!(
        (top - md.a.abs()).abs() <= 1e-9 * md.a.abs(),
        "{what}: {top} against {}",
        md.a
    );
    md.a
}

fn quadratic(lambda: f64) -> Quadratic {
    Quadratic::from_eigenvalues(&[lambda], vec![0.0])
}

/// Adam (no bias correction) with P frozen: with u = m/p and a = λ/p, u' = β₁u + (1 − β₁)aθ and
/// θ' = (1 − ηλ_w)θ − ηu'. At a = threshold the oscillation from θ₀ = 1, m₀ = 0 has amplitude
/// (1 + β₁)/(1 − β₁) without decay; with AdamW's decay the other root is −β₁(1 − ηλ_w).
#[test]
fn adam_at_exactly_its_frozen_threshold_oscillates_with_bounded_amplitude() {
    let (eta, beta1, p) = (0.01, 0.9, 2.0);
    for decay in [None, Some(5.0)] {
        let method = AdaptiveMethod::Adam {
            beta1,
            beta2: 0.999,
            eps: 1e-8,
            bias_correction: false,
            weight_decay: decay,
            frozen: Some(vec![p]),
        };
        let threshold = MethodKind::Adaptive(method.clone())
            .preconditioned_threshold(eta)
            .unwrap();
        let lambda = threshold * p;
        let a = lambda / p;
        let shrink = 1.0 - eta * decay.unwrap_or(0.0);
        let m = [
            [shrink - eta * (1.0 - beta1) * a, -eta * beta1],
            [(1.0 - beta1) * a, beta1],
        ];
        let bound = 1e10 * lambda;
        let t = adaptive(
            &quadratic(lambda),
            &[1.0],
            &TimeGrid::new(eta, STEPS, 1),
            &method,
            bound,
        );
        let amplitude = check_marginal(
            &format!("adam, decay {decay:?}"),
            m,
            [1.0, 0.0],
            beta1 * shrink,
            &t,
        );
        if decay.is_none() {
            assert!(
                (amplitude - (1.0 + beta1) / (1.0 - beta1)).abs() < 1e-9,
                "{amplitude}"
            );
        }
    }
}

/// Heavy ball at rest: v' = βv − ηλθ, θ' = θ + v'; at ηλ = 2(1 + β) the roots are −1 and −β and θ_k tends to
/// ±(1 + β)/(1 − β) from θ₀ = 1.
#[test]
fn heavy_ball_at_exactly_its_threshold_oscillates_with_bounded_amplitude() {
    let eta = 0.01;
    for beta in [0.3, 0.9] {
        let start = MomentumStart::AtRest;
        let lambda = MethodKind::HeavyBall { beta, start }
            .stability_threshold(eta)
            .unwrap();
        let m = [[1.0 - eta * lambda, beta], [-eta * lambda, beta]];
        let grid = TimeGrid::new(eta, STEPS, 1);
        let t = heavy_ball(&quadratic(lambda), &[1.0], &grid, beta, start, 1e10 * lambda);
        let amplitude = check_marginal(&format!("heavy ball β = {beta}"), m, [1.0, 0.0], beta, &t);
        assert!(
            (amplitude - (1.0 + beta) / (1.0 - beta)).abs() < 1e-9,
            "{amplitude}"
        );
    }
}

/// RMSProp with P frozen is GD with step η/p (μ = 0: θ_k = (1 − 2)^k = (−1)^k exactly, a 1×1 M with eigenvalue
/// −1) or heavy ball with step η/p (μ > 0: m' = μm + aθ, θ' = θ − ηm', roots −1 and −μ at a = 2(1 + μ)/η).
#[test]
fn rmsprop_at_exactly_its_frozen_threshold_oscillates_with_bounded_amplitude() {
    let (eta, p) = (0.01, 3.0);
    for momentum in [0.0, 0.5] {
        let method = AdaptiveMethod::RmsProp {
            beta2: 0.99,
            eps: 1e-8,
            momentum,
            bias_correction: false,
            start: SecondMomentStart::Zero,
            frozen: Some(vec![p]),
        };
        let threshold = MethodKind::Adaptive(method.clone())
            .preconditioned_threshold(eta)
            .unwrap();
        let lambda = threshold * p;
        let t = adaptive(
            &quadratic(lambda),
            &[1.0],
            &TimeGrid::new(eta, STEPS, 1),
            &method,
            1e10 * lambda,
        );
        if momentum == 0.0 {
            assert_eq!(t.termination, Termination::Completed);
            for k in 0..t.len() {
                let want = if k % 2 == 0 { 1.0 } else { -1.0 };
                assert!((t.state(k)[0] - want).abs() < 1e-9, "step {k}: {}", t.state(k)[0]);
            }
        } else {
            let a = lambda / p;
            let m = [[1.0 - eta * a, -eta * momentum], [a, momentum]];
            let amplitude = check_marginal("rmsprop μ = 0.5", m, [1.0, 0.0], momentum, &t);
            assert!((amplitude - (1.0 + momentum) / (1.0 - momentum)).abs() < 1e-9);
        }
    }
}
