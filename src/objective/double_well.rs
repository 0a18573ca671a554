//! The double well L(θ) = Σ_i ¼(θ_i² − 1)²: per coordinate, two minima at ±1 (value 0) and a local
//! maximum at 0, so 2^d minima at the corners of [−1, 1]^d and saddles wherever some θ_i = 0.

use super::Objective;

/// The largest dimension for which [`Objective::known_minima`] lists the 2^d corners.
pub const MAX_DIM_LISTED: usize = 10;

/// Σ ¼(θ_i² − 1)² in d dimensions.
#[derive(Debug, Clone)]
pub struct DoubleWell {
    /// The dimension d ≥ 1.
    pub dim: usize,
}

impl Objective for DoubleWell {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(&self, t: &[f64]) -> f64 {
        t.iter()
            .map(|&x| {
                let u = x * x - 1.0;
                0.25 * u * u
            })
            .sum()
    }

    fn gradient(&self, t: &[f64], g: &mut [f64]) {
        // ∂_i L = θ_i (θ_i² − 1).
        for (gi, &x) in g.iter_mut().zip(t) {
            *gi = x * (x * x - 1.0);
        }
    }

    fn hvp(&self, t: &[f64], v: &[f64], out: &mut [f64]) {
        // The Hessian is diagonal: ∂_ii L = 3θ_i² − 1.
        for ((o, &x), &vi) in out.iter_mut().zip(t).zip(v) {
            *o = (3.0 * x * x - 1.0) * vi;
        }
    }

    /// All 2^d corners (±1, …, ±1) when d ≤ `MAX_DIM_LISTED` (10); empty above (the list would be huge).
    fn known_minima(&self) -> Vec<Vec<f64>> {
        if self.dim > MAX_DIM_LISTED {
            return Vec::new();
        }
        (0..1usize << self.dim)
            .map(|bits| {
                (0..self.dim)
                    .map(|i| if bits >> i & 1 == 1 { 1.0 } else { -1.0 })
                    .collect()
            })
            .collect()
    }
}
