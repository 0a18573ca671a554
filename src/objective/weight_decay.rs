//! Weight decay as a term of the loss: L_λ(θ) = L(θ) + (λ/2)‖θ‖² on any objective (`objective.l2`), with
//! ∇L_λ = ∇L + λθ and H_λv = Hv + λv, so that every method, model and diagnostic (sharpness, edge of
//! stability, the modified flows' H∇L) sees the decayed loss. This is the coupled "L2 regularisation"; the
//! decoupled decay of AdamW (θ ← (1 − ηλ)θ outside the adaptive step) belongs to that optimizer and is not
//! this term.

use super::{FiniteSum, NoisyGradient, Objective, RandomInit};
use nalgebra::DMatrix;
use rand_chacha::ChaCha8Rng;

/// An objective plus (λ/2)‖θ‖².
pub struct WeightDecay {
    inner: Box<dyn Objective>,
    l2: f64,
}

impl WeightDecay {
    /// `inner` + (λ/2)‖θ‖², λ = `l2` ≥ 0.
    pub fn new(inner: Box<dyn Objective>, l2: f64) -> Self {
        WeightDecay { inner, l2 }
    }

    /// λ.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// (λ/2)‖θ‖².
    #[inline]
    fn penalty(&self, theta: &[f64]) -> f64 {
        0.5 * self.l2 * theta.iter().map(|x| x * x).sum::<f64>()
    }

    /// grad += λθ.
    #[inline]
    fn add_decay(&self, theta: &[f64], grad: &mut [f64]) {
        for (g, t) in grad.iter_mut().zip(theta) {
            *g += self.l2 * t;
        }
    }
}

impl Objective for WeightDecay {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.inner.loss(theta) + self.penalty(theta)
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.inner.gradient(theta, grad);
        self.add_decay(theta, grad);
    }

    fn loss_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let loss = self.inner.loss_gradient(theta, grad);
        self.add_decay(theta, grad);
        loss + self.penalty(theta)
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.inner.hvp(theta, v, out);
        for (o, x) in out.iter_mut().zip(v) {
            *o += self.l2 * x;
        }
    }

    // known_minima and the conserved quantities are the undecayed loss's: the decay moves the minima
    // and breaks the symmetries behind the conservation laws, so neither is forwarded.

    fn initial_point(&self, init: &RandomInit) -> Option<Vec<f64>> {
        self.inner.initial_point(init)
    }

    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        self.inner.as_finite_sum().map(|_| self as &dyn FiniteSum)
    }

    fn as_noisy(&self) -> Option<&dyn NoisyGradient> {
        self.inner.as_noisy().map(|_| self as &dyn NoisyGradient)
    }

    fn parameter_blocks(&self) -> Vec<(String, std::ops::Range<usize>)> {
        self.inner.parameter_blocks()
    }
}

/// Each sample's loss carries the whole decay: (1/n)Σ(ℓ_i + (λ/2)‖θ‖²) = L + (λ/2)‖θ‖², so a minibatch
/// gradient is the inner one plus λθ.
impl FiniteSum for WeightDecay {
    fn num_samples(&self) -> usize {
        self.inner.as_finite_sum().map_or(0, |f| f.num_samples())
    }

    fn batch_loss_gradient(&self, theta: &[f64], batch: &[usize], grad: &mut [f64]) -> f64 {
        let f = self.inner.as_finite_sum().expect("offered only for a finite sum");
        let loss = f.batch_loss_gradient(theta, batch, grad);
        self.add_decay(theta, grad);
        loss + self.penalty(theta)
    }

    fn batch_hvp(&self, theta: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) {
        let f = self.inner.as_finite_sum().expect("offered only for a finite sum");
        f.batch_hvp(theta, batch, v, out);
        for (o, x) in out.iter_mut().zip(v) {
            *o += self.l2 * x;
        }
    }
}

/// The decay is deterministic: the noisy gradient gains λθ, its covariance is unchanged.
impl NoisyGradient for WeightDecay {
    fn noisy_gradient(&self, theta: &[f64], rng: &mut ChaCha8Rng, grad: &mut [f64]) {
        let f = self.inner.as_noisy().expect("offered only for a noisy objective");
        f.noisy_gradient(theta, rng, grad);
        self.add_decay(theta, grad);
    }

    fn gradient_covariance(&self, theta: &[f64]) -> DMatrix<f64> {
        self.inner
            .as_noisy()
            .expect("offered only for a noisy objective")
            .gradient_covariance(theta)
    }

    fn constant_covariance(&self) -> bool {
        self.inner.as_noisy().is_some_and(|f| f.constant_covariance())
    }
}
