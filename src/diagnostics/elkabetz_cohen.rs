//! The Elkabetz & Cohen (2021) view of GD as Euler's method for gradient flow: the gap
//! ‖θ_GD(t) − θ_GF(t)‖ is governed by the curvature along the flow's path, through the negative part of
//! its smallest Hessian eigenvalue, m(t) = max(0, −λ_min(∇²L(θ_GF(t)))).
//!
//! The bound implemented (a Grönwall estimate in the form of their Theorem 1, to leading order in η and
//! with the curvature and the local error read along the flow path itself rather than as suprema over
//! an ε-neighbourhood of it): the error e = θ_GD − θ_GF gains (η/2)·‖θ_GF''‖ = (η/2)·‖H∇L‖ per unit time
//! (Euler's local error η²/2·θ'' per step) and grows at most at rate m(t) (the one-sided Lipschitz
//! constant of −∇L is −λ_min), so
//!
//!   ‖θ_GD(t) − θ_GF(t)‖ ≲ B(t) = (η/2) ∫_0^t exp(∫_s^t m(u) du) · ‖H(θ_GF(s)) ∇L(θ_GF(s))‖ ds
//!                             ≤ (η/2) · t · max_s ‖H∇L‖ · exp(∫_0^t m(u) du),
//!
//! the last form being the shape of their bound (step size × time × smoothness × gradient size ×
//! exp of the curvature integral). Both integrals use the trapezoid rule on the sharpness samples.

use crate::objective::{norm, Objective};
use serde::Serialize;

/// The bound beside the measured distance for one GD–gradient-flow comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElkabetzCohen {
    /// The discrete side (GD).
    pub gd: String,
    /// The flow side.
    pub flow: String,
    /// ∫_0^t max(0, −λ_min) dt along the flow, to `t`.
    pub integral_negative_lambda_min: f64,
    /// The time the bound is evaluated at (the last sample within both runs).
    pub t: f64,
    /// B(t), the Grönwall bound.
    pub bound: f64,
    /// (η/2)·t·max‖H∇L‖·exp(∫m), the coarse form.
    pub coarse_bound: f64,
    /// The measured ‖θ_GD(t) − θ_GF(t)‖ at `t`.
    pub measured: f64,
    /// max over samples of measured / B (≤ 1 when the estimate holds along the run).
    pub max_ratio: f64,
}

/// Evaluates the bound at the flow's sharpness samples `(times, lambda_min)` with flow states
/// `states(i)`, against measured distances `distance_at(t)` (None where the comparison has no point).
pub fn bound(
    gd: &str,
    flow: &str,
    objective: &dyn Objective,
    eta: f64,
    samples: &[(f64, f64, &[f64])],
    distance_at: impl Fn(f64) -> Option<f64>,
) -> (ElkabetzCohen, u64) {
    let d = objective.dim();
    let (mut g, mut hg) = (vec![0.0; d], vec![0.0; d]);
    let mut hvps = 0;
    let mut local = |theta: &[f64]| {
        objective.gradient(theta, &mut g);
        objective.hvp(theta, &g, &mut hg);
        hvps += 1;
        norm(&hg)
    };
    let mut integral = 0.0;
    let mut b = 0.0;
    let mut max_hg: f64 = 0.0;
    let mut max_ratio = f64::NAN;
    let (mut t_last, mut measured_last, mut b_last, mut integral_last) = (0.0, f64::NAN, 0.0, 0.0);
    let mut prev: Option<(f64, f64, f64)> = None;
    for &(t, lmin, theta) in samples {
        let m = (-lmin).max(0.0);
        let h = local(theta);
        max_hg = max_hg.max(h);
        if let Some((t0, m0, h0)) = prev {
            let dt = t - t0;
            let grow = (0.5 * (m0 + m) * dt).exp();
            integral += 0.5 * (m0 + m) * dt;
            b = b * grow + 0.5 * eta * 0.5 * (h0 * grow + h) * dt;
        }
        prev = Some((t, m, h));
        if let Some(dist) = distance_at(t) {
            if b > 0.0 {
                let r = dist / b;
                max_ratio = if max_ratio.is_nan() { r } else { max_ratio.max(r) };
            }
            t_last = t;
            measured_last = dist;
            b_last = b;
            integral_last = integral;
        }
    }
    let coarse = 0.5 * eta * t_last * max_hg * integral_last.exp();
    (
        ElkabetzCohen {
            gd: gd.to_string(),
            flow: flow.to_string(),
            integral_negative_lambda_min: integral_last,
            t: t_last,
            bound: b_last,
            coarse_bound: coarse,
            measured: measured_last,
            max_ratio,
        },
        hvps,
    )
}
