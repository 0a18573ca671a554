//! Rosenbrock's function, chained to any dimension d ≥ 2:
//! L(θ) = Σ_{i<d−1} [ (a − θ_i)² + b (θ_{i+1} − θ_i²)² ]. For d = 2 this is the classic valley.

use super::Objective;

/// Rosenbrock's banana valley with parameters a, b (classic: a = 1, b = 100).
#[derive(Debug, Clone)]
pub struct Rosenbrock {
    /// The minimiser is (a, a², …) for d = 2 and (a, …, a) when a = 1.
    pub a: f64,
    /// The valley's steepness.
    pub b: f64,
    /// The dimension d ≥ 2.
    pub dim: usize,
}

impl Objective for Rosenbrock {
    fn dim(&self) -> usize {
        self.dim
    }

    // Small and called once per step: #[inline] lets a caller's generic loop (another crate) inline it.
    #[inline]
    fn loss(&self, t: &[f64]) -> f64 {
        (0..t.len() - 1)
            .map(|i| {
                let u = self.a - t[i];
                let v = t[i + 1] - t[i] * t[i];
                u * u + self.b * v * v
            })
            .sum()
    }

    // Small and called once per step: #[inline] lets a caller's generic loop (another crate) inline it.
    #[inline]
    fn gradient(&self, t: &[f64], g: &mut [f64]) {
        // θ_i appears as x in term i and as y in term i − 1; each entry is written once (no zeroing pass).
        // The length from the slice, not self.dim: a caller with a fixed-size θ then has the loop fully
        // unrolled and θ kept in registers (the GD driver's small-state path).
        let n = t.len();
        debug_assert_eq!(n, self.dim);
        let mut from_previous = 0.0;
        for i in 0..n {
            let mut gi = from_previous;
            if i + 1 < n {
                let v = t[i + 1] - t[i] * t[i];
                gi += -2.0 * (self.a - t[i]) - 4.0 * self.b * t[i] * v;
                from_previous = 2.0 * self.b * v;
            }
            g[i] = gi;
        }
    }

    fn hvp(&self, t: &[f64], v: &[f64], out: &mut [f64]) {
        // Hessian of one term in (x, y) = (θ_i, θ_{i+1}):
        // [[2 − 4b(y − x²) + 8b x², −4b x], [−4b x, 2b]].
        out.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..self.dim - 1 {
            let (x, y) = (t[i], t[i + 1]);
            let hxx = 2.0 - 4.0 * self.b * (y - x * x) + 8.0 * self.b * x * x;
            let hxy = -4.0 * self.b * x;
            let hyy = 2.0 * self.b;
            out[i] += hxx * v[i] + hxy * v[i + 1];
            out[i + 1] += hxy * v[i] + hyy * v[i + 1];
        }
    }

    /// Term i's only non-zero third partials in (x, y) = (θ_i, θ_{i+1}): ∂³/∂x³ = 24b x and
    /// ∂³/∂x²∂y = −4b (from b(y − x²)²; the (a − x)² part is quadratic).
    fn third_derivative(&self, t: &[f64], u: &[f64], v: &[f64], out: &mut [f64]) -> bool {
        out.iter_mut().for_each(|o| *o = 0.0);
        for i in 0..self.dim - 1 {
            let (txxx, txxy) = (24.0 * self.b * t[i], -4.0 * self.b);
            let (ux, uy, vx, vy) = (u[i], u[i + 1], v[i], v[i + 1]);
            out[i] += txxx * ux * vx + txxy * (ux * vy + uy * vx);
            out[i + 1] += txxy * ux * vx;
        }
        true
    }

    fn known_minima(&self) -> Vec<Vec<f64>> {
        if self.dim == 2 {
            vec![vec![self.a, self.a * self.a]]
        } else if self.a == 1.0 {
            vec![vec![1.0; self.dim]]
        } else {
            Vec::new()
        }
    }
}
