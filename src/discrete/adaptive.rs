//! Adaptive and sign methods as PyTorch states them: RMSProp, scalar RMSProp, Adam, AdamW, sign descent
//! and signum, step k at t_k = k·η. The second moment enters as √v̂ + ε (ε outside the square root);
//! every formula is written out in docs/methods.md.

use super::drive::{drive, Update};
use crate::objective::Objective;
use crate::trajectory::{StepRate, TimeGrid, Trajectory};
use crate::watch::Watch;
use serde::{Deserialize, Serialize};

/// How the second-moment estimate ν starts.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SecondMomentStart {
    /// ν₀ = 0, as PyTorch starts it.
    #[default]
    Zero,
    /// ν₀ = ∇L(θ₀)⊙∇L(θ₀) (‖∇L(θ₀)‖² for the scalar method): no initial layer, so the method and its
    /// flow agree to first order from the first step (docs/methods.md).
    GradientSquared,
}

impl SecondMomentStart {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// One adaptive or sign method with its hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub enum AdaptiveMethod {
    /// PyTorch's RMSprop: ν ← β₂ν + (1 − β₂)g², b ← μb + g/(√ν̂ + ε), θ ← θ − ηb.
    RmsProp {
        /// β₂ ∈ [0, 1) (PyTorch's `alpha`).
        beta2: f64,
        /// ε > 0, added to √ν̂.
        eps: f64,
        /// The momentum μ ∈ [0, 1) (0: none).
        momentum: f64,
        /// ν̂ = ν/(1 − β₂^{k+1}) when true; ν̂ = ν (PyTorch) when false.
        bias_correction: bool,
        /// ν₀.
        start: SecondMomentStart,
        /// A fixed denominator P replacing √ν̂ + ε (the frozen-preconditioner model); ν is then unused.
        frozen: Option<Vec<f64>>,
    },
    /// One scalar second moment from ‖g‖²: ν ← β₂ν + (1 − β₂)‖g‖², θ ← θ − ηg/(√ν + ε).
    ScalarRmsProp {
        /// β₂ ∈ [0, 1).
        beta2: f64,
        /// ε > 0.
        eps: f64,
        /// ν₀.
        start: SecondMomentStart,
    },
    /// PyTorch's Adam, or AdamW when `weight_decay` is given.
    Adam {
        /// β₁ ∈ [0, 1).
        beta1: f64,
        /// β₂ ∈ [0, 1).
        beta2: f64,
        /// ε > 0, added to √v̂.
        eps: f64,
        /// m̂ = m/(1 − β₁^{k+1}), v̂ = v/(1 − β₂^{k+1}) when true (PyTorch); m̂ = m, v̂ = v when false.
        bias_correction: bool,
        /// AdamW's decoupled weight decay λ ≥ 0: θ ← (1 − ηλ)θ before the Adam step. `None` is Adam.
        weight_decay: Option<f64>,
        /// A fixed denominator P replacing √v̂ + ε (the frozen-preconditioner model); v is then unused.
        frozen: Option<Vec<f64>>,
    },
    /// θ ← θ − η·sign(g), sign(0) = 0.
    SignGd,
    /// Signum (Bernstein et al. 2018): m ← βm + (1 − β)g, θ ← θ − η·sign(m), m₀ = 0.
    SignMomentum {
        /// β ∈ [0, 1).
        beta: f64,
    },
}

impl AdaptiveMethod {
    /// The kind's name in a scenario.
    pub fn name(&self) -> &'static str {
        match self {
            AdaptiveMethod::RmsProp { .. } => "rmsprop",
            AdaptiveMethod::ScalarRmsProp { .. } => "scalar_rmsprop",
            AdaptiveMethod::Adam {
                weight_decay: None, ..
            } => "adam",
            AdaptiveMethod::Adam {
                weight_decay: Some(_),
                ..
            } => "adamw",
            AdaptiveMethod::SignGd => "sign_gd",
            AdaptiveMethod::SignMomentum { .. } => "sign_momentum",
        }
    }

    /// The linear stability threshold at step `eta` on the preconditioned sharpness λ₁(P⁻¹H), P the
    /// diagonal the step divides by (√ν̂ + ε, or the frozen P), with P held fixed: RMSProp 2(1 + μ)/η,
    /// scalar RMSProp 2/η (on λ_max(H)/(√ν + ε)), Adam (2 + 2β₁)/((1 − β₁)η), AdamW that times
    /// (1 − ηλ/2). Bias correction tends to 1 and does not move it. `None` for the sign methods, whose
    /// step length does not shrink with the gradient.
    pub fn preconditioned_threshold(&self, eta: f64) -> Option<f64> {
        match self {
            AdaptiveMethod::RmsProp { momentum, .. } => Some(2.0 * (1.0 + momentum) / eta),
            AdaptiveMethod::ScalarRmsProp { .. } => Some(2.0 / eta),
            AdaptiveMethod::Adam {
                beta1, weight_decay, ..
            } => {
                let decay = weight_decay.unwrap_or(0.0);
                Some(adam_threshold(eta, *beta1) * (1.0 - 0.5 * eta * decay))
            }
            AdaptiveMethod::SignGd | AdaptiveMethod::SignMomentum { .. } => None,
        }
    }

    /// The hyperparameters, as summary.json records them.
    pub fn settings(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            AdaptiveMethod::RmsProp {
                beta2,
                eps,
                momentum,
                bias_correction,
                start,
                frozen,
            } => json!({ "beta2": beta2, "eps": eps, "momentum": momentum,
                "bias_correction": bias_correction, "nu_start": start, "preconditioner": frozen }),
            AdaptiveMethod::ScalarRmsProp { beta2, eps, start } => {
                json!({ "beta2": beta2, "eps": eps, "nu_start": start })
            }
            AdaptiveMethod::Adam {
                beta1,
                beta2,
                eps,
                bias_correction,
                weight_decay,
                frozen,
            } => {
                let mut v = json!({ "beta1": beta1, "beta2": beta2, "eps": eps,
                    "bias_correction": bias_correction, "preconditioner": frozen });
                if let Some(w) = weight_decay {
                    v["weight_decay"] = json!(w);
                }
                v
            }
            AdaptiveMethod::SignGd => json!({}),
            AdaptiveMethod::SignMomentum { beta } => json!({ "beta": beta }),
        }
    }
}

/// Adam's threshold (2 + 2β₁)/((1 − β₁)η) on λ₁(P⁻¹H) with P frozen: heavy ball's 2(1 + β₁)/η' at the
/// effective step η' = (1 − β₁)η, from the root −1 of r² − (1 + β₁ − η(1 − β₁)a)r + β₁ for the (θ, m)
/// recursion on an eigendirection with a = λ/p.
pub fn adam_threshold(eta: f64, beta1: f64) -> f64 {
    (2.0 + 2.0 * beta1) / ((1.0 - beta1) * eta)
}

/// sign(x) with sign(0) = 0, as torch.sign (f64::signum gives ±1 at ±0).
#[inline]
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// The update, with the method's first moment `m` and second moment `v` (a scalar method keeps ν in
/// `v[0]`).
struct AdaptiveUpdate<'a> {
    method: &'a AdaptiveMethod,
    eta: StepRate,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Update for AdaptiveUpdate<'_> {
    const USES_GRADIENT: bool = true;

    #[inline]
    fn advance(&mut self, k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) -> u64 {
        let eta = self.eta.at(k);
        // PyTorch's step counter starts at 1 for the first update.
        let t = (k + 1) as f64;
        match self.method {
            AdaptiveMethod::RmsProp {
                beta2,
                eps,
                momentum,
                bias_correction,
                frozen,
                ..
            } => {
                let scale = if *bias_correction {
                    1.0 / (1.0 - beta2.powf(t))
                } else {
                    1.0
                };
                for i in 0..next.len() {
                    let g = grad[i];
                    let denom = match frozen {
                        Some(p) => p[i],
                        None => {
                            self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g;
                            (self.v[i] * scale).sqrt() + eps
                        }
                    };
                    let step = if *momentum > 0.0 {
                        self.m[i] = momentum * self.m[i] + g / denom;
                        self.m[i]
                    } else {
                        g / denom
                    };
                    next[i] = theta[i] - eta * step;
                }
            }
            AdaptiveMethod::ScalarRmsProp { beta2, eps, .. } => {
                let squared: f64 = grad.iter().map(|g| g * g).sum();
                self.v[0] = beta2 * self.v[0] + (1.0 - beta2) * squared;
                let rate = eta / (self.v[0].sqrt() + eps);
                for ((n, th), g) in next.iter_mut().zip(theta).zip(grad) {
                    *n = th - rate * g;
                }
            }
            AdaptiveMethod::Adam {
                beta1,
                beta2,
                eps,
                bias_correction,
                weight_decay,
                frozen,
            } => {
                // PyTorch: step_size = η/(1 − β₁ᵗ), denom = √v/√(1 − β₂ᵗ) + ε.
                let (correction1, root_correction2) = if *bias_correction {
                    (1.0 - beta1.powf(t), (1.0 - beta2.powf(t)).sqrt())
                } else {
                    (1.0, 1.0)
                };
                let step_size = eta / correction1;
                let shrink = 1.0 - eta * weight_decay.unwrap_or(0.0);
                for i in 0..next.len() {
                    let g = grad[i];
                    self.m[i] = beta1 * self.m[i] + (1.0 - beta1) * g;
                    let denom = match frozen {
                        Some(p) => p[i],
                        None => {
                            self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g;
                            self.v[i].sqrt() / root_correction2 + eps
                        }
                    };
                    let decayed = if weight_decay.is_some() {
                        theta[i] * shrink
                    } else {
                        theta[i]
                    };
                    next[i] = decayed - step_size * self.m[i] / denom;
                }
            }
            AdaptiveMethod::SignGd => {
                for ((n, th), g) in next.iter_mut().zip(theta).zip(grad) {
                    *n = th - eta * sign(*g);
                }
            }
            AdaptiveMethod::SignMomentum { beta } => {
                for i in 0..next.len() {
                    self.m[i] = beta * self.m[i] + (1.0 - beta) * grad[i];
                    next[i] = theta[i] - eta * sign(self.m[i]);
                }
            }
        }
        0
    }
}

impl AdaptiveUpdate<'_> {
    /// Writes into `p` the diagonal P that the step from θ_k divided by (called after
    /// [`Update::advance`] at step `k`, so ν includes ∇L(θ_k)): √ν̂ + ε, the frozen P, or (√ν + ε)·1 for
    /// the scalar method. False for the sign methods, which have no such P.
    fn preconditioner(&self, k: u64, p: &mut [f64]) -> bool {
        let t = (k + 1) as f64;
        match self.method {
            AdaptiveMethod::RmsProp { frozen: Some(f), .. }
            | AdaptiveMethod::Adam { frozen: Some(f), .. } => p.copy_from_slice(f),
            AdaptiveMethod::RmsProp {
                beta2,
                eps,
                bias_correction,
                ..
            } => {
                let scale = if *bias_correction {
                    1.0 / (1.0 - beta2.powf(t))
                } else {
                    1.0
                };
                for (pi, v) in p.iter_mut().zip(&self.v) {
                    *pi = (v * scale).sqrt() + eps;
                }
            }
            AdaptiveMethod::ScalarRmsProp { eps, .. } => p.fill(self.v[0].sqrt() + eps),
            AdaptiveMethod::Adam {
                beta2,
                eps,
                bias_correction,
                ..
            } => {
                let root_correction2 = if *bias_correction {
                    (1.0 - beta2.powf(t)).sqrt()
                } else {
                    1.0
                };
                for (pi, v) in p.iter_mut().zip(&self.v) {
                    *pi = v.sqrt() / root_correction2 + eps;
                }
            }
            AdaptiveMethod::SignGd | AdaptiveMethod::SignMomentum { .. } => return false,
        }
        true
    }
}

/// The preconditioners of an adaptive run at chosen steps, with the iterates they belong to.
#[derive(Debug, Clone, PartialEq)]
pub struct Preconditioners {
    /// P_k at each chosen step, row-major, d per step.
    pub p: Vec<f64>,
    /// θ_k at each chosen step, row-major: the rerun's iterates, to hold against the recorded ones.
    pub theta: Vec<f64>,
}

/// The diagonal preconditioner P_k (the vector the step from θ_k divides by: √v̂ + ε for Adam and
/// RMSProp) at each recorded step of `steps` (increasing) of `method`'s run from `theta0` over `grid`;
/// `None` for the sign methods. The method is run again up to the last of `steps`, with the driver's
/// gradient calls, so that its iterates are, bit for bit, those [`adaptive`] recorded.
pub fn adaptive_preconditioners<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    method: &AdaptiveMethod,
    steps: &[u64],
) -> Option<Preconditioners> {
    let d = objective.dim();
    let (mut update, _) = start_update(objective, theta0, grid.rate(), method);
    let mut out = vec![0.0; steps.len() * d];
    let mut at = vec![0.0; steps.len() * d];
    let mut theta = theta0.to_vec();
    let mut next = vec![0.0; d];
    let mut grad = vec![0.0; d];
    let mut wanted = steps.iter().enumerate().peekable();
    let last = steps.last().copied().unwrap_or(0);
    for k in 0..=last {
        // The driver asks for the loss with the gradient at recorded steps: the same call here gives the
        // same bits.
        if k % grid.record_every.max(1) == 0 {
            objective.loss_gradient(&theta, &mut grad);
        } else {
            objective.gradient(&theta, &mut grad);
        }
        update.advance(k, &theta, &grad, &mut next);
        while let Some((j, _)) = wanted.next_if(|(_, &s)| s == k) {
            if !update.preconditioner(k, &mut out[j * d..(j + 1) * d]) {
                return None;
            }
            at[j * d..(j + 1) * d].copy_from_slice(&theta);
        }
        std::mem::swap(&mut theta, &mut next);
    }
    Some(Preconditioners { p: out, theta: at })
}

/// One adaptive method's update with its moments, for callers that bring their own gradient each step
/// (the minibatch ensembles of `sgd` with an `optimizer`). The same arithmetic as [`adaptive`].
pub struct AdaptiveStepper<'a>(AdaptiveUpdate<'a>);

impl<'a> AdaptiveStepper<'a> {
    /// The update of `method` at step sizes `eta` (η or a schedule's η_k) from θ₀ = `theta0` (ν₀ = ∇L(θ₀)² when the method asks
    /// for it, from `objective`'s full gradient), with the gradient evaluations that start spent.
    pub fn new<O: Objective + ?Sized>(
        objective: &O,
        theta0: &[f64],
        eta: StepRate,
        method: &'a AdaptiveMethod,
    ) -> (Self, u64) {
        let (update, setup) = start_update(objective, theta0, eta, method);
        (AdaptiveStepper(update), setup)
    }

    /// Writes θ_{k+1} into `next` from θ_k = `theta` and the gradient `grad` used at step k.
    #[inline]
    pub fn step(&mut self, k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) {
        self.0.advance(k, theta, grad, next);
    }

    /// Writes into `p` the diagonal P that the step just taken ([`AdaptiveStepper::step`] at step `k`)
    /// divided by: √v̂ + ε for Adam and RMSProp (ν including this step's gradient), the frozen P, or
    /// (√ν + ε)·1 for scalar RMSProp. False for the sign methods, which have no such P.
    pub fn preconditioner(&self, k: u64, p: &mut [f64]) -> bool {
        self.0.preconditioner(k, p)
    }
}

/// The update state of `method` at θ₀ and the gradient evaluations its start spent.
fn start_update<'a, O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    eta: StepRate,
    method: &'a AdaptiveMethod,
) -> (AdaptiveUpdate<'a>, u64) {
    let d = objective.dim();
    let mut m = vec![0.0; d];
    let mut v = vec![0.0; d];
    let mut setup = 0;
    let start = match method {
        AdaptiveMethod::RmsProp {
            start, frozen: None, ..
        }
        | AdaptiveMethod::ScalarRmsProp { start, .. } => *start,
        _ => SecondMomentStart::Zero,
    };
    if start == SecondMomentStart::GradientSquared {
        objective.gradient(theta0, &mut m);
        setup = 1;
        match method {
            AdaptiveMethod::ScalarRmsProp { .. } => v[0] = m.iter().map(|g| g * g).sum(),
            _ => v.iter_mut().zip(&m).for_each(|(vi, g)| *vi = g * g),
        }
        m.fill(0.0);
    }
    let update = AdaptiveUpdate { method, eta, m, v };
    (update, setup)
}

/// Runs `method` from `theta0` over `grid` (t = k·η). Divergence is a result, as for
/// [`super::gradient_descent`].
pub fn adaptive<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    method: &AdaptiveMethod,
    loss_bound: f64,
) -> Trajectory {
    adaptive_watched(objective, theta0, grid, method, loss_bound, &Watch::idle())
}

/// [`adaptive`] under `watch` (see [`super::gradient_descent_watched`]).
pub fn adaptive_watched<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    method: &AdaptiveMethod,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    let (update, setup) = start_update(objective, theta0, grid.rate(), method);
    drive(objective, theta0, grid, loss_bound, update, setup, watch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_of_zero_is_zero_and_names_parse() {
        assert_eq!(sign(0.0), 0.0);
        assert_eq!(sign(-0.0), 0.0);
        assert_eq!(sign(-3.0), -1.0);
        assert_eq!(SecondMomentStart::NAMES, ["zero", "gradient_squared"]);
        assert_eq!(
            SecondMomentStart::from_name("gradient_squared"),
            Some(SecondMomentStart::GradientSquared)
        );
    }
}
