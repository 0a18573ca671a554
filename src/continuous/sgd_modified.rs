//! SGD's modified flow (Smith, Dherin, Barrett & De 2021, "On the origin of implicit regularization in
//! stochastic gradient descent", ICLR): for SGD with random reshuffling at step η over m minibatches per
//! epoch, the mean iterate after each epoch follows the gradient flow of
//! L̃_SGD = L + (η/4m) Σ_k ‖∇L_k‖² to O(η³) per epoch, where L_k is the k-th minibatch's loss.
//!
//! With reshuffling the batches of an epoch are a random partition into batches of B samples, so the
//! model takes the expectation over partitions: for sampling without replacement,
//! E‖∇L_B‖² = ‖∇L‖² + c·(1/n)Σ_i‖∇ℓ_i − ∇L‖², c = (n − B)/(B(n − 1)), whose gradient gives
//!
//! θ' = −∇L − (η/2)·[(1 − c)·H∇L + c·(1/n) Σ_i H_i∇ℓ_i],
//!
//! with ℓ_i the per-sample losses and H_i their Hessians (exact per-sample gradients and Hessian-vector
//! products from [`FiniteSum`]). For B = 1 (c = 1) this is L + (η/4n)Σ_i‖∇ℓ_i‖², Smith et al.'s formula
//! with m = n; for B = n (c = 0) it is GD's modified flow L + (η/4)‖∇L‖².

use super::VectorField;
use crate::objective::{FiniteSum, Objective};
use std::cell::RefCell;

/// The buffers of one evaluation.
struct Scratch {
    grad: Vec<f64>,
    hg: Vec<f64>,
    acc: Vec<f64>,
    gi: Vec<f64>,
    hi: Vec<f64>,
}

/// The flow of L̃_SGD for minibatches of `batch_size` drawn by reshuffling, at step η.
pub struct SgdModifiedFlow<'a> {
    objective: &'a dyn Objective,
    samples: &'a dyn FiniteSum,
    eta: f64,
    /// c = (n − B)/(B(n − 1)): the weight of the per-sample term.
    c: f64,
    scratch: RefCell<Scratch>,
}

impl<'a> SgdModifiedFlow<'a> {
    /// The model of SGD on `objective` (whose finite sum is `samples`) at step `eta` with minibatches of
    /// `batch_size` (1 ≤ B ≤ n) drawn without replacement.
    pub fn new(
        objective: &'a dyn Objective,
        samples: &'a dyn FiniteSum,
        eta: f64,
        batch_size: usize,
    ) -> Self {
        let d = objective.dim();
        SgdModifiedFlow {
            objective,
            samples,
            eta,
            c: reshuffling_weight(samples.num_samples(), batch_size),
            scratch: RefCell::new(Scratch {
                grad: vec![0.0; d],
                hg: vec![0.0; d],
                acc: vec![0.0; d],
                gi: vec![0.0; d],
                hi: vec![0.0; d],
            }),
        }
    }
}

/// c = (n − B)/(B(n − 1)) (0 when n = 1): E‖∇L_B‖² − ‖∇L‖² over batches of B of n samples drawn without
/// replacement, in units of the per-sample gradient variance (1/n)Σ‖∇ℓ_i − ∇L‖².
pub fn reshuffling_weight(n: usize, batch_size: usize) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    let (n, b) = (n as f64, batch_size.clamp(1, n) as f64);
    (n - b) / (b * (n - 1.0))
}

impl VectorField for SgdModifiedFlow<'_> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        let mut s = self.scratch.borrow_mut();
        let Scratch {
            grad,
            hg,
            acc,
            gi,
            hi,
        } = &mut *s;
        self.objective.gradient(theta, grad);
        acc.fill(0.0);
        if self.c < 1.0 {
            self.objective.hvp(theta, grad, hg);
            for (a, h) in acc.iter_mut().zip(hg.iter()) {
                *a += (1.0 - self.c) * h;
            }
        }
        if self.c > 0.0 {
            let n = self.samples.num_samples();
            let w = self.c / n as f64;
            for i in 0..n {
                self.samples.batch_loss_gradient(theta, &[i], gi);
                self.samples.batch_hvp(theta, &[i], gi, hi);
                for (a, h) in acc.iter_mut().zip(hi.iter()) {
                    *a += w * h;
                }
            }
        }
        for ((o, g), a) in out.iter_mut().zip(grad.iter()).zip(acc.iter()) {
            *o = -g - 0.5 * self.eta * a;
        }
    }
}
