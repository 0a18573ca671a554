//! Loss landscapes behind one small trait.
//!
//! An [`Objective`] knows its dimension, its loss, its exact gradient (written into a caller's buffer
//! so hot loops do not allocate) and a Hessian-vector product. The default Hessian-vector product is a
//! central finite difference of the gradient; objectives override it with an exact one where they can
//! (all objectives in this module do).

pub mod activation;
mod affine;
mod beale;
mod deep_linear;
mod dense;
mod double_well;
pub mod formula;
pub mod held_out;
mod himmelblau;
mod linear_regression;
mod logistic_regression;
mod matrix_factorization;
mod mlp;
mod mlp_lanes;
mod noisy_quadratic;
mod product;
mod quadratic;
mod rastrigin;
mod rosenbrock;
mod scratch;
pub mod spectrum;
mod weight_decay;

pub use beale::Beale;
pub use deep_linear::{DeepLinear, LinearFit};
pub use double_well::DoubleWell;
pub use formula::Formula;
pub use held_out::{Evaluate, HeldOut, HeldOutSeries, HeldOutSummary};
pub use himmelblau::Himmelblau;
pub use linear_regression::LinearRegression;
pub use logistic_regression::{sigmoid, softplus, LogisticRegression};
pub use matrix_factorization::{MatrixFactorization, MatrixSensing, Sensing, TargetFit};
pub use mlp::{Mlp, MlpConfig, MlpLoss, Parameterization};
pub use mlp_lanes::{MlpLanes, NET_LANES};
pub use noisy_quadratic::{CovarianceError, NoisyQuadratic};
pub use product::{FactorInit, FactorLoss, Product};
pub use quadratic::Quadratic;
pub use rastrigin::Rastrigin;
pub use rosenbrock::Rosenbrock;
pub use weight_decay::WeightDecay;

use nalgebra::DMatrix;
use rand_chacha::ChaCha8Rng;

/// A differentiable loss L: ℝ^d → ℝ.
///
/// A method added here with a default body must also be forwarded by the sweep's shared handle
/// (src/scenario/shared_objective.rs), or sweeps would silently run the default.
pub trait Objective: Send + Sync {
    /// The number of parameters d.
    fn dim(&self) -> usize;

    /// L(θ).
    fn loss(&self, theta: &[f64]) -> f64;

    /// Writes ∇L(θ) into `grad` (length d).
    fn gradient(&self, theta: &[f64], grad: &mut [f64]);

    /// Writes ∇L(θ) into `grad` and returns L(θ), bit for bit what [`Objective::gradient`] and
    /// [`Objective::loss`] give. Recorded points need both; objectives whose gradient computes the loss on
    /// the way (networks: the forward pass) override this so that a recorded point costs one pass, not two.
    fn loss_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        self.gradient(theta, grad);
        self.loss(theta)
    }

    /// Writes ∇L at `L` points at once, in structure-of-arrays layout: `theta[i][l]` is coordinate i of
    /// point l, and `grad[i][l]` receives ∂L/∂θ_i there (both of length d).
    ///
    /// For lane-wise methods ([`crate::discrete::gd_final_lanes`]), which advance many starts in one loop
    /// body. Each lane must get exactly the operations [`Objective::gradient`] performs, in the same order,
    /// so that lane results are bit-identical to one-point results. The default calls `gradient` per lane
    /// (correct, not vectorised); small objectives override it with a loop over lanes the compiler turns
    /// into SIMD.
    #[inline]
    fn gradient_lanes<const L: usize>(&self, theta: &[[f64; L]], grad: &mut [[f64; L]])
    where
        Self: Sized,
    {
        let (mut stack, mut heap) = ([0.0; LANE_STACK], Vec::new());
        let g = scratch(grad.len(), &mut stack, &mut heap);
        for l in 0..L {
            with_lane(theta, l, |t| self.gradient(t, g));
            g.iter().zip(grad.iter_mut()).for_each(|(x, c)| c[l] = *x);
        }
    }

    /// Writes L at `L` points at once (layout and bit-identity as in [`Objective::gradient_lanes`]).
    #[inline]
    fn loss_lanes<const L: usize>(&self, theta: &[[f64; L]], loss: &mut [f64; L])
    where
        Self: Sized,
    {
        for (l, out) in loss.iter_mut().enumerate() {
            *out = with_lane(theta, l, |t| self.loss(t));
        }
    }

    /// Writes the Hessian-vector product H(θ)·v into `out`.
    ///
    /// The default is a central difference of the gradient with a step scaled to θ and v
    /// (accurate to about 1e-7 relative); it allocates, so objectives override it with an exact
    /// product where they can.
    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        let d = self.dim();
        let vnorm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if vnorm == 0.0 {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        }
        let tnorm = theta.iter().map(|x| x * x).sum::<f64>().sqrt();
        let h = f64::EPSILON.cbrt() * (1.0 + tnorm) / vnorm;
        let mut plus = theta.to_vec();
        let mut minus = theta.to_vec();
        for i in 0..d {
            plus[i] += h * v[i];
            minus[i] -= h * v[i];
        }
        let mut gp = vec![0.0; d];
        self.gradient(&plus, &mut gp);
        self.gradient(&minus, out);
        for i in 0..d {
            out[i] = (gp[i] - out[i]) / (2.0 * h);
        }
    }

    /// Writes the third derivative D³L(θ)[u, v, ·] (the vector with entries Σ_jk ∂³L/∂θ_i∂θ_j∂θ_k u_j v_k,
    /// the gradient of θ ↦ uᵀ∇²L(θ)v with u, v held fixed) into `out` and returns true when the objective
    /// has it in closed form. The default returns false and leaves `out` alone: callers then take a central
    /// difference of Hessian-vector products ([`crate::continuous::third_derivative`]).
    fn third_derivative(&self, _theta: &[f64], _u: &[f64], _v: &[f64], _out: &mut [f64]) -> bool {
        false
    }

    /// The known global or local minima, where the objective has closed-form ones (for figures and
    /// end-state reports). Empty when unknown.
    fn known_minima(&self) -> Vec<Vec<f64>> {
        Vec::new()
    }

    /// Names of the scalar quantities that gradient flow conserves for this objective (e.g. the
    /// layer balancedness of a deep linear network); every method records them along its path.
    fn conserved_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Writes the conserved quantities at θ into `out` (length `conserved_names().len()`).
    fn conserved(&self, _theta: &[f64], _out: &mut [f64]) {}

    /// A seeded random initial point drawn the way this objective's literature does (networks and
    /// factorisations); `None` when the objective has no such initialisation (then the scenario gives
    /// `init.point`).
    fn initial_point(&self, _init: &RandomInit) -> Option<Vec<f64>> {
        None
    }

    /// This objective as a finite sum over samples, when it is one (for minibatch methods).
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        None
    }

    /// This objective with a stochastic gradient oracle ∇L + ξ, when it has one (for SGD and the SME).
    fn as_noisy(&self) -> Option<&dyn NoisyGradient> {
        None
    }

    /// This objective by its concrete type when it is one whose lane methods are vectorised and whose
    /// dimension is small and fixed, so that a caller holding a `dyn Objective` can reach the lane-wise
    /// loops (which are generic over the type); `None` for every other objective.
    fn lane_objective(&self) -> Option<LaneObjective<'_>> {
        None
    }

    /// The named blocks of θ that per-block step sizes address (an mlp's `layer1`, `layer2`, …), as
    /// disjoint index ranges covering 0..d in order. Empty when θ has no such structure.
    fn parameter_blocks(&self) -> Vec<(String, std::ops::Range<usize>)> {
        Vec::new()
    }
}

/// The objectives that lane-wise methods ([`crate::discrete::gd_record_lanes`]) run at full speed, by
/// type (see [`Objective::lane_objective`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum LaneObjective<'a> {
    /// Himmelblau's function (d = 2).
    Himmelblau(&'a Himmelblau),
    /// A network, whose runs share gradient evaluations through [`MlpLanes`] where it allows.
    Mlp(&'a Mlp),
}

/// A loss whose stochastic gradient is ∇L(θ) + ξ with zero-mean noise ξ of a known covariance (e.g. the
/// noisy quadratic model), so SGD can draw gradients and the SME can use the covariance.
pub trait NoisyGradient: Objective {
    /// Writes one draw of the noisy gradient ∇L(θ) + ξ into `grad`, consuming randomness from `rng`.
    fn noisy_gradient(&self, theta: &[f64], rng: &mut ChaCha8Rng, grad: &mut [f64]);

    /// The noise covariance Cov\[ξ\] at θ (d×d).
    fn gradient_covariance(&self, theta: &[f64]) -> DMatrix<f64>;

    /// True when Cov\[ξ\] does not depend on θ, so the SME can factor it once instead of at every step.
    fn constant_covariance(&self) -> bool {
        false
    }
}

/// How to draw a random initial point (`[init] seed`, `scale`, `balanced`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomInit {
    /// Multiplies the objective's standard initialisation (scale ≪ 1: the small-initialisation regime).
    pub scale: f64,
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
    /// Balanced initialisation (factorisations only; Arora et al. 2019).
    pub balanced: bool,
}

/// A loss that is a mean over n samples, L(θ) = (1/n) Σ ℓ_i(θ), so that SGD can take minibatch gradients.
pub trait FiniteSum: Objective {
    /// The number of samples n.
    fn num_samples(&self) -> usize;

    /// Writes the minibatch gradient (1/|B|) Σ_{i∈B} ∇ℓ_i(θ) into `grad` and returns the minibatch loss.
    fn batch_loss_gradient(&self, theta: &[f64], batch: &[usize], grad: &mut [f64]) -> f64;

    /// The minibatch Hessian-vector product (1/|B|) Σ_{i∈B} ∇²ℓ_i(θ)·v into `out`. The default takes
    /// central differences of the minibatch gradient (step ε^{1/3}(1 + ‖θ‖)/‖v‖, as
    /// [`Objective::hvp`]'s default); objectives with an exact product override it.
    fn batch_hvp(&self, theta: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) {
        let vnorm = norm(v);
        if vnorm == 0.0 {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        }
        let h = f64::EPSILON.cbrt() * (1.0 + norm(theta)) / vnorm;
        let plus: Vec<f64> = theta.iter().zip(v).map(|(t, x)| t + h * x).collect();
        let minus: Vec<f64> = theta.iter().zip(v).map(|(t, x)| t - h * x).collect();
        let mut gp = vec![0.0; theta.len()];
        self.batch_loss_gradient(&plus, batch, &mut gp);
        self.batch_loss_gradient(&minus, batch, out);
        for (o, p) in out.iter_mut().zip(&gp) {
            *o = (p - *o) / (2.0 * h);
        }
    }
}

/// Points up to this dimension are gathered on the stack by the default lane methods; larger ones on the heap.
const LANE_STACK: usize = 16;

/// A scratch buffer of length `d`: on the stack when it fits, else on the heap.
fn scratch<'a>(d: usize, stack: &'a mut [f64; LANE_STACK], heap: &'a mut Vec<f64>) -> &'a mut [f64] {
    if d <= LANE_STACK {
        &mut stack[..d]
    } else {
        heap.resize(d, 0.0);
        heap
    }
}

/// Gathers lane `l` of a structure-of-arrays point set and calls `f` on it (the default lane methods).
fn with_lane<const L: usize, R>(theta: &[[f64; L]], l: usize, f: impl FnOnce(&[f64]) -> R) -> R {
    let (mut stack, mut heap) = ([0.0; LANE_STACK], Vec::new());
    let t = scratch(theta.len(), &mut stack, &mut heap);
    t.iter_mut().zip(theta).for_each(|(x, c)| *x = c[l]);
    f(t)
}

/// ‖v‖₂.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
