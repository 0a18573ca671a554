//! Rastrigin's function L(θ) = A·d + Σ_i (θ_i² − A cos 2πθ_i): a paraboloid covered by a grid of local
//! minima near the integer points, with the global minimum L(0) = 0.

use super::Objective;
use std::f64::consts::PI;

/// Rastrigin's function in d dimensions with ripple amplitude A (classic: A = 10).
#[derive(Debug, Clone)]
pub struct Rastrigin {
    /// The ripple amplitude A ≥ 0.
    pub a: f64,
    /// The dimension d ≥ 1.
    pub dim: usize,
}

impl Objective for Rastrigin {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(&self, t: &[f64]) -> f64 {
        self.a * self.dim as f64
            + t.iter()
                .map(|&x| x * x - self.a * (2.0 * PI * x).cos())
                .sum::<f64>()
    }

    fn gradient(&self, t: &[f64], g: &mut [f64]) {
        // ∂_i L = 2θ_i + 2πA sin 2πθ_i.
        for (gi, &x) in g.iter_mut().zip(t) {
            *gi = 2.0 * x + 2.0 * PI * self.a * (2.0 * PI * x).sin();
        }
    }

    fn hvp(&self, t: &[f64], v: &[f64], out: &mut [f64]) {
        // The Hessian is diagonal: ∂_ii L = 2 + 4π²A cos 2πθ_i.
        for ((o, &x), &vi) in out.iter_mut().zip(t).zip(v) {
            *o = (2.0 + 4.0 * PI * PI * self.a * (2.0 * PI * x).cos()) * vi;
        }
    }

    fn known_minima(&self) -> Vec<Vec<f64>> {
        vec![vec![0.0; self.dim]]
    }
}
