//! Continuous models of heavy ball θ_{k+1} = θ_k − η∇L(θ_k) + β(θ_k − θ_{k−1}) on t = k·η.
//!
//! Writing θ_k = x(kη) and Taylor-expanding both differences gives
//! (η/2)(1 + β)x'' + (1 − β)x' + ∇L(x) = O(η²) (Kovachki & Stuart 2021), the mass/friction ODE
//! [`HeavyBallOde`]. Eliminating x'' on its slow manifold gives the first-order modified flow
//! [`HeavyBallModifiedFlow`] (Ghosh et al. 2023):
//! (1 − β)θ' = −∇L − η(1 + β)/(2(1 − β)²)·H∇L, gradient flow (sped up by 1/(1 − β)) on
//! L + η(1 + β)/(4(1 − β)²)‖∇L‖². Derivations in docs/methods.md.

use super::VectorField;
use crate::discrete::MomentumStart;
use crate::objective::Objective;
use std::cell::RefCell;

/// The coefficient c(β) = (1 + β)/(2(1 − β)²) of η·H∇L in heavy ball's first-order modified flow.
pub fn heavy_ball_correction(beta: f64) -> f64 {
    (1.0 + beta) / (2.0 * (1.0 - beta) * (1.0 - beta))
}

/// θ' = −(∇L + η·c(β)·H∇L)/(1 − β), c(β) = (1 + β)/(2(1 − β)²): heavy ball follows it to O(η²) when
/// started on its slow manifold ([`MomentumStart::Steady`]).
pub struct HeavyBallModifiedFlow<'a, O: Objective + ?Sized> {
    objective: &'a O,
    eta: f64,
    beta: f64,
    scratch: RefCell<(Vec<f64>, Vec<f64>)>,
}

impl<'a, O: Objective + ?Sized> HeavyBallModifiedFlow<'a, O> {
    /// The modified flow of heavy ball with step `eta` and momentum `beta` ∈ [0, 1).
    pub fn new(objective: &'a O, eta: f64, beta: f64) -> Self {
        let d = objective.dim();
        HeavyBallModifiedFlow {
            objective,
            eta,
            beta,
            scratch: RefCell::new((vec![0.0; d], vec![0.0; d])),
        }
    }
}

impl<O: Objective + ?Sized> VectorField for HeavyBallModifiedFlow<'_, O> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        let mut s = self.scratch.borrow_mut();
        let (grad, hg) = &mut *s;
        self.objective.gradient(theta, grad);
        self.objective.hvp(theta, grad, hg);
        let c = self.eta * heavy_ball_correction(self.beta);
        let inv = 1.0 / (1.0 - self.beta);
        for i in 0..out.len() {
            out[i] = -(grad[i] + c * hg[i]) * inv;
        }
    }
}

/// The mass/friction ODE m·θ'' + (1 − β)θ' + ∇L(θ) = 0 with m = η(1 + β)/2, on t = k·η, as the
/// first-order system y = (θ, v), θ' = v, v' = −((1 − β)v + ∇L(θ))/m.
///
/// Initial velocity: [`MomentumStart::AtRest`] gives v(0) = 0, the same zero momentum as heavy ball's
/// θ_{−1} = θ_0; [`MomentumStart::Steady`] gives the terminal velocity v(0) = −∇L(θ_0)/(1 − β) (v' = 0
/// under a constant gradient), the continuous counterpart of heavy ball's steady start.
pub struct HeavyBallOde<'a, O: Objective + ?Sized> {
    objective: &'a O,
    mass: f64,
    friction: f64,
    start: MomentumStart,
}

impl<'a, O: Objective + ?Sized> HeavyBallOde<'a, O> {
    /// The ODE of heavy ball with step `eta`, momentum `beta` ∈ [0, 1), started as `start` says.
    pub fn new(objective: &'a O, eta: f64, beta: f64, start: MomentumStart) -> Self {
        HeavyBallOde {
            objective,
            mass: 0.5 * eta * (1.0 + beta),
            friction: 1.0 - beta,
            start,
        }
    }
}

impl<O: Objective + ?Sized> VectorField for HeavyBallOde<'_, O> {
    fn dim(&self) -> usize {
        2 * self.objective.dim()
    }

    fn eval(&self, _t: f64, state: &[f64], out: &mut [f64]) {
        let d = self.objective.dim();
        let (theta, v) = state.split_at(d);
        let (dtheta, dv) = out.split_at_mut(d);
        dtheta.copy_from_slice(v);
        // dv holds ∇L first, then is overwritten in place.
        self.objective.gradient(theta, dv);
        for (a, vi) in dv.iter_mut().zip(v) {
            *a = -(self.friction * vi + *a) / self.mass;
        }
    }

    fn position_dim(&self) -> usize {
        self.objective.dim()
    }

    fn position<'b>(&self, state: &'b [f64]) -> &'b [f64] {
        &state[..self.objective.dim()]
    }

    fn initial_state(&self, theta0: &[f64], out: &mut [f64]) {
        let d = theta0.len();
        let (theta, v) = out.split_at_mut(d);
        theta.copy_from_slice(theta0);
        match self.start {
            MomentumStart::AtRest => v.iter_mut().for_each(|x| *x = 0.0),
            MomentumStart::Steady => {
                self.objective.gradient(theta0, v);
                v.iter_mut().for_each(|x| *x /= -self.friction);
            }
        }
    }
}
