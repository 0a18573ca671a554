//! Continuous models of the adaptive methods on t = k·η: the RMSProp flow with ν as a state, the Adam
//! ODE with (m, v) as states, the sign flow, and gradient flow preconditioned by a fixed diagonal P.
//! Their derivations and constants are in docs/methods.md.

use super::VectorField;
use crate::discrete::SecondMomentStart;
use crate::objective::{norm, Objective};
use std::cell::RefCell;

/// Which adaptive model, with its constants.
#[derive(Debug, Clone, PartialEq)]
pub enum AdaptiveFlow {
    /// dθ/dt = −∇L/(√ν + ε), dν/dt = ((1 − β₂)/(β₂η))(∇L⊙∇L − ν) (the central-flows authors' constants).
    RmsProp {
        /// β₂ ∈ (0, 1) of the modelled RMSProp.
        beta2: f64,
        /// ε > 0.
        eps: f64,
        /// ν(0).
        start: SecondMomentStart,
    },
    /// Barakat & Bianchi's Adam ODE with a = (1 − β₁)/η, b = (1 − β₂)/η: m' = a(∇L − m),
    /// v' = b(∇L⊙∇L − v), θ' = −m̂/(√v̂ + ε), m̂ = m/(1 − e^{−at}), v̂ = v/(1 − e^{−bt}) (or m̂ = m, v̂ = v
    /// without bias correction); m(0) = v(0) = 0.
    Adam {
        /// β₁ ∈ [0, 1).
        beta1: f64,
        /// β₂ ∈ [0, 1).
        beta2: f64,
        /// ε > 0.
        eps: f64,
        /// With the factors 1/(1 − e^{−at}), 1/(1 − e^{−bt}).
        bias_correction: bool,
    },
    /// dθ/dt = −∇L/(|∇L| + ε) elementwise, the fixed-β, small-η limit of Adam.
    Sign {
        /// ε > 0: the field's width around ∇L_i = 0, which bounds its Lipschitz constant by ‖H‖/ε.
        eps: f64,
    },
    /// dθ/dt = −P⁻¹∇L with a fixed diagonal P (positive entries, one per parameter).
    Preconditioned(Vec<f64>),
}

impl AdaptiveFlow {
    /// The kind's name in a scenario.
    pub fn name(&self) -> &'static str {
        match self {
            AdaptiveFlow::RmsProp { .. } => "rmsprop_flow",
            AdaptiveFlow::Adam { .. } => "adam_ode",
            AdaptiveFlow::Sign { .. } => "sign_flow",
            AdaptiveFlow::Preconditioned(_) => "preconditioned_flow",
        }
    }

    /// The model's constants, as summary.json records them beside the solver's.
    pub fn settings(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            AdaptiveFlow::RmsProp { beta2, eps, start } => {
                json!({ "beta2": beta2, "eps": eps, "nu_start": start })
            }
            AdaptiveFlow::Adam {
                beta1,
                beta2,
                eps,
                bias_correction,
            } => json!({ "beta1": beta1, "beta2": beta2, "eps": eps, "bias_correction": bias_correction }),
            AdaptiveFlow::Sign { eps } => json!({ "eps": eps }),
            AdaptiveFlow::Preconditioned(p) => json!({ "preconditioner": p }),
        }
    }

    /// The modelled method's threshold on the preconditioned sharpness λ₁(P⁻¹H) at step `eta`, drawn
    /// against the flow's own λ₁(P⁻¹H) along its path: RMSProp (no momentum) 2/η, Adam
    /// (2 + 2β₁)/((1 − β₁)η). `None` for the sign flow (no P) and the preconditioned flow (P is an input,
    /// not a state of a modelled method).
    pub fn preconditioned_threshold(&self, eta: f64) -> Option<f64> {
        match self {
            AdaptiveFlow::RmsProp { .. } => Some(2.0 / eta),
            AdaptiveFlow::Adam { beta1, .. } => Some(crate::discrete::adam_threshold(eta, *beta1)),
            AdaptiveFlow::Sign { .. } | AdaptiveFlow::Preconditioned(_) => None,
        }
    }

    /// The vector field on `objective` for the modelled method's step `eta`.
    pub fn field<'a>(&'a self, objective: &'a dyn Objective, eta: f64) -> Box<dyn VectorField + 'a> {
        match self {
            AdaptiveFlow::RmsProp { beta2, eps, start } => Box::new(RmsPropFlow {
                objective,
                rate: (1.0 - beta2) / (beta2 * eta),
                eps: *eps,
                start: *start,
            }),
            AdaptiveFlow::Adam {
                beta1,
                beta2,
                eps,
                bias_correction,
            } => Box::new(AdamOde {
                objective,
                a: (1.0 - beta1) / eta,
                b: (1.0 - beta2) / eta,
                eps: *eps,
                bias_correction: *bias_correction,
                scratch: RefCell::new(vec![0.0; objective.dim()]),
            }),
            AdaptiveFlow::Sign { eps } => Box::new(SignFlow { objective, eps: *eps }),
            AdaptiveFlow::Preconditioned(p) => Box::new(PreconditionedFlow { objective, p }),
        }
    }
}

/// The RMSProp flow on the state (θ, ν) of length 2d.
pub struct RmsPropFlow<'a, O: Objective + ?Sized> {
    objective: &'a O,
    /// (1 − β₂)/(β₂η).
    rate: f64,
    eps: f64,
    start: SecondMomentStart,
}

impl<O: Objective + ?Sized> VectorField for RmsPropFlow<'_, O> {
    fn dim(&self) -> usize {
        2 * self.objective.dim()
    }

    fn eval(&self, _t: f64, state: &[f64], out: &mut [f64]) {
        let d = self.objective.dim();
        let (theta, nu) = state.split_at(d);
        let (dtheta, dnu) = out.split_at_mut(d);
        self.objective.gradient(theta, dtheta);
        for i in 0..d {
            let g = dtheta[i];
            dnu[i] = self.rate * (g * g - nu[i]);
            // ν ≥ 0 along the exact flow; a solver's trial stage may dip below 0 by roundoff near ν = 0.
            dtheta[i] = -g / (nu[i].max(0.0).sqrt() + self.eps);
        }
    }

    fn position_dim(&self) -> usize {
        self.objective.dim()
    }

    fn position<'b>(&self, state: &'b [f64]) -> &'b [f64] {
        &state[..self.objective.dim()]
    }

    /// P = √ν + ε, what θ' = −∇L/P divides by.
    fn preconditioner(&self, _t: f64, state: &[f64], out: &mut [f64]) -> bool {
        let nu = &state[self.objective.dim()..];
        for (p, n) in out.iter_mut().zip(nu) {
            *p = n.max(0.0).sqrt() + self.eps;
        }
        true
    }

    fn initial_state(&self, theta0: &[f64], out: &mut [f64]) {
        let (theta, nu) = out.split_at_mut(theta0.len());
        theta.copy_from_slice(theta0);
        match self.start {
            SecondMomentStart::Zero => nu.fill(0.0),
            SecondMomentStart::GradientSquared => {
                self.objective.gradient(theta0, nu);
                nu.iter_mut().for_each(|g| *g *= *g);
            }
        }
    }
}

/// The Adam ODE on the state (θ, m, v) of length 3d.
pub struct AdamOde<'a, O: Objective + ?Sized> {
    objective: &'a O,
    a: f64,
    b: f64,
    eps: f64,
    bias_correction: bool,
    scratch: RefCell<Vec<f64>>,
}

impl<O: Objective + ?Sized> AdamOde<'_, O> {
    /// The bias-correction divisors (1 − e^{−at}, 1 − e^{−bt}) at time t, or (1, 1) without correction.
    fn corrections(&self, t: f64) -> (f64, f64) {
        if self.bias_correction {
            (-(-self.a * t).exp_m1(), -(-self.b * t).exp_m1())
        } else {
            (1.0, 1.0)
        }
    }
}

impl<O: Objective + ?Sized> VectorField for AdamOde<'_, O> {
    fn dim(&self) -> usize {
        3 * self.objective.dim()
    }

    fn eval(&self, t: f64, state: &[f64], out: &mut [f64]) {
        let d = self.objective.dim();
        let (theta, rest) = state.split_at(d);
        let (m, v) = rest.split_at(d);
        let (dtheta, drest) = out.split_at_mut(d);
        let (dm, dv) = drest.split_at_mut(d);
        self.objective.gradient(theta, dtheta);
        // With bias correction the solver starts at τ > 0 (series_start), so both divisors are positive.
        let (c1, c2) = self.corrections(t);
        for i in 0..d {
            let g = dtheta[i];
            dm[i] = self.a * (g - m[i]);
            dv[i] = self.b * (g * g - v[i]);
            dtheta[i] = -(m[i] / c1) / ((v[i].max(0.0) / c2).sqrt() + self.eps);
        }
    }

    fn time_dependent(&self) -> bool {
        self.bias_correction
    }

    fn position_dim(&self) -> usize {
        self.objective.dim()
    }

    fn position<'b>(&self, state: &'b [f64]) -> &'b [f64] {
        &state[..self.objective.dim()]
    }

    /// P = √v̂ + ε, what θ' = −m̂/P divides the (bias-corrected) momentum by.
    fn preconditioner(&self, t: f64, state: &[f64], out: &mut [f64]) -> bool {
        let d = self.objective.dim();
        let (_, c2) = self.corrections(t);
        if c2 > 0.0 {
            for (p, v) in out.iter_mut().zip(&state[2 * d..3 * d]) {
                *p = (v.max(0.0) / c2).sqrt() + self.eps;
            }
        } else {
            // At t = 0 with bias correction v̂ is 0/0; its limit is ∇L(θ₀)⊙∇L(θ₀).
            self.objective.gradient(&state[..d], out);
            out.iter_mut().for_each(|g| *g = g.abs() + self.eps);
        }
        true
    }

    fn initial_state(&self, theta0: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        out[..theta0.len()].copy_from_slice(theta0);
    }

    /// With bias correction m̂ and v̂ are 0/0 at t = 0 (their limits are ∇L(θ₀) and ∇L(θ₀)²): start at
    /// τ = 10⁻⁶·min(horizon, 1/a, 1/b, 1/ρ), ρ = ‖H∇L‖/‖∇L‖ at θ₀, from m(τ) = (1 − e^{−aτ})∇L(θ₀),
    /// v(τ) = (1 − e^{−bτ})∇L(θ₀)², θ(τ) = θ₀ − τ∇L(θ₀)/(|∇L(θ₀)| + ε), each exact to O(τ²), which is
    /// 10⁻⁶ of the O(τ) step on every one of these time scales.
    fn series_start(&self, state: &mut [f64], horizon: f64) -> Option<f64> {
        if !self.bias_correction {
            return None;
        }
        let d = self.objective.dim();
        let (theta, rest) = state.split_at_mut(d);
        let (m, v) = rest.split_at_mut(d);
        self.objective.gradient(theta, m);
        let mut hg = self.scratch.borrow_mut();
        self.objective.hvp(theta, m, &mut hg);
        let mut scale = horizon.min(1.0 / self.a).min(1.0 / self.b);
        let (gn, hn) = (norm(m), norm(&hg));
        if gn > 0.0 && hn > 0.0 {
            scale = scale.min(gn / hn);
        }
        let tau = 1e-6 * scale;
        let (c1, c2) = (-(-self.a * tau).exp_m1(), -(-self.b * tau).exp_m1());
        for i in 0..d {
            let g = m[i];
            theta[i] -= tau * g / (g.abs() + self.eps);
            m[i] = c1 * g;
            v[i] = c2 * g * g;
        }
        Some(tau)
    }
}

/// The sign flow θ' = −∇L/(|∇L| + ε).
pub struct SignFlow<'a, O: Objective + ?Sized> {
    objective: &'a O,
    eps: f64,
}

impl<O: Objective + ?Sized> VectorField for SignFlow<'_, O> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        self.objective.gradient(theta, out);
        out.iter_mut().for_each(|g| *g = -*g / (g.abs() + self.eps));
    }
}

/// θ' = −P⁻¹∇L with a fixed diagonal P.
pub struct PreconditionedFlow<'a, O: Objective + ?Sized> {
    objective: &'a O,
    p: &'a [f64],
}

impl<O: Objective + ?Sized> VectorField for PreconditionedFlow<'_, O> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        self.objective.gradient(theta, out);
        out.iter_mut().zip(self.p).for_each(|(g, p)| *g = -*g / p);
    }
}
