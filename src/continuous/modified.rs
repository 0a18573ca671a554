//! Modified flows of gradient descent (backward error analysis of explicit Euler, Hairer–Lubich–Wanner,
//! Geometric Numerical Integration, ch. IX): the ODE whose exact flow over time η reproduces a GD step up
//! to O(η^{p+1}), so that GD follows it to O(η^p) on bounded time intervals.
//!
//! With g = ∇L, H = ∇²L and T = ∇³L (derivation in docs/methods.md):
//! - order 1 (Barrett & Dherin 2021): θ' = −g − (η/2)Hg, gradient flow on L + (η/4)‖g‖²;
//! - order 2: θ' = −g − (η/2)Hg − η²((1/3)H²g + (1/12)T[g, g]).
//!
//! T[g, g] is the derivative of θ ↦ H(θ)g along g (g held fixed), taken by a central difference of the
//! objective's Hessian-vector product ([`third_derivative_along`]).

use super::VectorField;
use crate::objective::{norm, Objective};
use std::cell::RefCell;

/// The order p of a modified flow: it matches one GD step to O(η^{p+2}), so GD follows it to O(η^{p+1}).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModifiedOrder {
    /// θ' = −g − (η/2)Hg: GD follows it to O(η²).
    One,
    /// θ' = −g − (η/2)Hg − η²((1/3)H²g + (1/12)T[g, g]): GD follows it to O(η³).
    Two,
}

impl ModifiedOrder {
    /// The order as a number (1 or 2).
    pub fn as_number(self) -> u8 {
        match self {
            ModifiedOrder::One => 1,
            ModifiedOrder::Two => 2,
        }
    }

    /// From a number: 1 or 2.
    pub fn from_number(n: i64) -> Option<Self> {
        match n {
            1 => Some(ModifiedOrder::One),
            2 => Some(ModifiedOrder::Two),
            _ => None,
        }
    }
}

/// Buffers reused by every evaluation, so the solver's hot loop does not allocate.
struct Scratch {
    grad: Vec<f64>,
    hg: Vec<f64>,
    h2g: Vec<f64>,
    tgg: Vec<f64>,
    shifted: Vec<f64>,
    minus: Vec<f64>,
}

impl Scratch {
    fn new(d: usize) -> Self {
        Scratch {
            grad: vec![0.0; d],
            hg: vec![0.0; d],
            h2g: vec![0.0; d],
            tgg: vec![0.0; d],
            shifted: vec![0.0; d],
            minus: vec![0.0; d],
        }
    }
}

/// The modified flow of gradient descent with step η, of order 1 or 2.
pub struct ModifiedFlow<'a, O: Objective + ?Sized> {
    objective: &'a O,
    eta: f64,
    order: ModifiedOrder,
    scratch: RefCell<Scratch>,
}

impl<'a, O: Objective + ?Sized> ModifiedFlow<'a, O> {
    /// The modified flow of GD with step `eta` on `objective`.
    pub fn new(objective: &'a O, eta: f64, order: ModifiedOrder) -> Self {
        ModifiedFlow {
            objective,
            eta,
            order,
            scratch: RefCell::new(Scratch::new(objective.dim())),
        }
    }
}

impl<O: Objective + ?Sized> VectorField for ModifiedFlow<'_, O> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        let mut s = self.scratch.borrow_mut();
        let Scratch {
            grad,
            hg,
            h2g,
            tgg,
            shifted,
            minus,
        } = &mut *s;
        let eta = self.eta;
        self.objective.gradient(theta, grad);
        self.objective.hvp(theta, grad, hg);
        match self.order {
            ModifiedOrder::One => {
                for i in 0..out.len() {
                    out[i] = -grad[i] - 0.5 * eta * hg[i];
                }
            }
            ModifiedOrder::Two => {
                self.objective.hvp(theta, hg, h2g);
                third_derivative_along(self.objective, theta, grad, tgg, shifted, minus);
                let e2 = eta * eta;
                for i in 0..out.len() {
                    out[i] = -grad[i] - 0.5 * eta * hg[i] - e2 * (h2g[i] / 3.0 + tgg[i] / 12.0);
                }
            }
        }
    }
}

/// Writes T(θ)[v, v] = d/dε H(θ + εv)v at ε = 0 into `out`, by the central difference
/// (H(θ + εv)v − H(θ − εv)v)/(2ε) of the objective's Hessian-vector product.
///
/// The step ε = ∛u·(1 + ‖θ‖)/‖v‖ (u the machine epsilon) balances the O(ε²) truncation against the
/// O(u/ε) rounding: about 1e-10 relative when the Hessian-vector product is exact (all built-in
/// objectives), much worse when it is itself a finite difference. Exact (zero) on quadratics.
/// `plus` and `minus` are scratch buffers of length d.
pub fn third_derivative_along<O: Objective + ?Sized>(
    objective: &O,
    theta: &[f64],
    v: &[f64],
    out: &mut [f64],
    plus: &mut [f64],
    minus: &mut [f64],
) {
    let vnorm = norm(v);
    if vnorm == 0.0 || !vnorm.is_finite() {
        out.iter_mut().zip(v).for_each(|(o, x)| *o = 0.0 * x);
        return;
    }
    let h = f64::EPSILON.cbrt() * (1.0 + norm(theta)) / vnorm;
    for i in 0..theta.len() {
        plus[i] = theta[i] + h * v[i];
        minus[i] = theta[i] - h * v[i];
    }
    objective.hvp(plus, v, out);
    // `plus` is no longer needed as a point: reuse it for H(θ − εv)v.
    objective.hvp(minus, v, plus);
    for i in 0..theta.len() {
        out[i] = (out[i] - plus[i]) / (2.0 * h);
    }
}
