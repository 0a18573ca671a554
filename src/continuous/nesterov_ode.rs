//! Su, Boyd & Candès (2014): X'' + (3/t)X' + ∇L(X) = 0, X(0) = x0, X'(0) = 0, the limit of Nesterov's
//! method with β_k = (k − 1)/(k + 2) on the time axis t = k·√η.
//!
//! The friction 3/t is singular at t = 0. The solution is nevertheless smooth and even in t; substituting
//! X = x0 + c₂t² + c₄t⁴ + … gives 8c₂ = −g0 and 24c₄ = −H c₂, so
//! X(t) = x0 − (t²/8)g0 + (t⁴/192)Hg0 + O(t⁶), X'(t) = −(t/4)g0 + (t³/48)Hg0 + O(t⁵)
//! (g0 = ∇L(x0), H = ∇²L(x0)). The solver starts at a tiny τ from this series, so it never evaluates 3/t
//! at t = 0 (see [`NesterovOde::series_start`]).

use super::VectorField;
use crate::objective::{norm, Objective};
use std::cell::RefCell;

/// The Su–Boyd–Candès ODE as the first-order system y = (X, V): X' = V, V' = −(3/t)V − ∇L(X).
pub struct NesterovOde<'a, O: Objective + ?Sized> {
    objective: &'a O,
    hg: RefCell<Vec<f64>>,
}

impl<'a, O: Objective + ?Sized> NesterovOde<'a, O> {
    /// The ODE on `objective`.
    pub fn new(objective: &'a O) -> Self {
        NesterovOde {
            objective,
            hg: RefCell::new(vec![0.0; objective.dim()]),
        }
    }
}

impl<O: Objective + ?Sized> VectorField for NesterovOde<'_, O> {
    fn dim(&self) -> usize {
        2 * self.objective.dim()
    }

    fn eval(&self, t: f64, state: &[f64], out: &mut [f64]) {
        let d = self.objective.dim();
        let (x, v) = state.split_at(d);
        let (dx, dv) = out.split_at_mut(d);
        dx.copy_from_slice(v);
        self.objective.gradient(x, dv);
        // The solver starts at τ > 0 (series_start), so t > 0 here.
        let friction = 3.0 / t;
        for (a, vi) in dv.iter_mut().zip(v) {
            *a = -friction * vi - *a;
        }
    }

    fn time_dependent(&self) -> bool {
        true
    }

    fn position_dim(&self) -> usize {
        self.objective.dim()
    }

    fn position<'b>(&self, state: &'b [f64]) -> &'b [f64] {
        &state[..self.objective.dim()]
    }

    fn initial_state(&self, theta0: &[f64], out: &mut [f64]) {
        let (x, v) = out.split_at_mut(theta0.len());
        x.copy_from_slice(theta0);
        v.iter_mut().for_each(|a| *a = 0.0);
    }

    /// τ = min(10⁻³/√ρ, 10⁻³·horizon) with ρ = ‖Hg0‖/‖g0‖ the curvature along g0: then ρτ² ≤ 10⁻⁶,
    /// so the omitted O(t⁶) terms are about 10⁻¹² of the O(t²) displacement, itself tiny.
    fn series_start(&self, state: &mut [f64], horizon: f64) -> Option<f64> {
        let d = self.objective.dim();
        let (x, v) = state.split_at_mut(d);
        let mut hg = self.hg.borrow_mut();
        // v is zero on entry: use it for g0.
        self.objective.gradient(x, v);
        self.objective.hvp(x, v, &mut hg);
        let (gn, hn) = (norm(v), norm(&hg));
        let mut tau = 1e-3 * horizon;
        if gn > 0.0 && hn > 0.0 {
            tau = tau.min(1e-3 / (hn / gn).sqrt());
        }
        let (t2, t3, t4) = (tau * tau, tau * tau * tau, tau * tau * tau * tau);
        for i in 0..d {
            let (g, h) = (v[i], hg[i]);
            x[i] += -t2 / 8.0 * g + t4 / 192.0 * h;
            v[i] = -tau / 4.0 * g + t3 / 48.0 * h;
        }
        Some(tau)
    }
}
