//! The central flow of scalar RMSProp (Cohen, Damian, Talwalkar, Kolter & Lee 2025, the section on
//! RMSProp): the method ν_k = β₂ν_{k−1} + (1 − β₂)‖∇L(w_k)‖², w_{k+1} = w_k − η∇L(w_k)/(√ν_k + ε) divides
//! GD's step by q = √ν + ε, so its edge is λ = 2q/η, and the oscillation the central flow averages feeds
//! back into ν: with w = w̄ + δ, E[δδᵀ] = Σ, E‖∇L(w)‖² = ‖∇L(w̄)‖² + ⟨H²,Σ⟩ to second order. On t = k·η
//!
//! dw/dt = −[∇L + ½ Σ_ij X_ij ∇(u_iᵀHu_j)]/q,   dν/dt = r(‖∇L‖² + Σ_i X_ii λ_i² − ν),   r = (1 − β₂)/(β₂η),
//!
//! the 1/β₂ because the discrete ν_k is updated before it is used: ν_k − ν_{k−1} = (1 − β₂)(g_k² − ν_{k−1})
//! = ((1 − β₂)/β₂)(g_k² − ν_k) (the authors' `dstate_dt = (update_state − state)/β₂`, and flowgap's
//! `rmsprop_flow`). The critical block UᵀHU is held at or below 2q/η: with h = λ − 2q/η and
//! dq/dt = (dν/dt)/(2√ν), d(2q/η)/dt = c·(E‖g‖² − ν), c = r/(η√ν), so the complementarity problem of
//! [`super`] gains c(‖∇L‖² − ν) on A's diagonal and c·λ_aλ_i·X_ii on B's (a, a) rows; for k = 1 this is
//! exact, for k ≥ 2 λ_aλ_i stands for λ_i² (they agree at the edge, where every critical λ is 2q/η) so that
//! B stays symmetric and the cone problem convex, as the authors' own code notes for its β.

use serde::Serialize;

/// Whose central flow: GD's or scalar RMSProp's.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "snake_case", tag = "optimizer")]
pub enum CentralOptimizer {
    /// Gradient descent with step η (`central_flow`).
    #[default]
    Gd,
    /// Scalar RMSProp with step η, β₂ and ε outside the square root (`scalar_rmsprop_central_flow`);
    /// the state is (w, ν), started at ν(0) = ‖∇L(w₀)‖².
    ScalarRmsProp {
        /// β₂ ∈ (0, 1).
        beta2: f64,
        /// ε > 0, added to √ν.
        eps: f64,
    },
}

impl CentralOptimizer {
    /// The scenario kind of this central flow.
    pub fn kind_name(&self) -> &'static str {
        match self {
            CentralOptimizer::Gd => "central_flow",
            CentralOptimizer::ScalarRmsProp { .. } => "scalar_rmsprop_central_flow",
        }
    }

    /// State components beyond w: 1 (ν) for scalar RMSProp, 0 for GD.
    pub fn extra_state(&self) -> usize {
        match self {
            CentralOptimizer::Gd => 0,
            CentralOptimizer::ScalarRmsProp { .. } => 1,
        }
    }
}

/// What the step's scale contributes at one state: w' = −(…)/q, and the ν terms of the constraint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    /// q = √ν + ε (1 for GD): w' divides by it and the edge is 2q/η.
    pub q: f64,
    /// r = (1 − β₂)/(β₂η), ν's rate (0 for GD).
    pub rate: f64,
    /// c = r/(η√ν): d(2q/η)/dt = c·(E‖g‖² − ν) (0 for GD).
    pub nu_weight: f64,
    /// ‖∇L‖².
    pub g2: f64,
    /// ν.
    pub nu: f64,
}

impl Scale {
    /// GD's: q = 1, ν absent.
    pub const GD: Scale = Scale {
        q: 1.0,
        rate: 0.0,
        nu_weight: 0.0,
        g2: 0.0,
        nu: 0.0,
    };

    /// Scalar RMSProp's at ν with ‖∇L‖² = `g2`. ν ≥ 0 along the exact flow; a trial stage may dip below
    /// by roundoff near 0, hence the clamp (as `rmsprop_flow`'s).
    pub fn rmsprop(beta2: f64, eps: f64, eta: f64, nu: f64, g2: f64) -> Scale {
        let rate = (1.0 - beta2) / (beta2 * eta);
        let root = nu.max(0.0).sqrt();
        Scale {
            q: root + eps,
            rate,
            nu_weight: rate / (eta * root),
            g2,
            nu,
        }
    }
}
