//! Beale's function L(x, y) = Σ_{k=1}^{3} (c_k − x + x·y^k)², c = (1.5, 2.25, 2.625); one global minimum
//! L(3, ½) = 0 in a flat, curved valley with steep walls (values reach 10⁵ on [−4.5, 4.5]²).

use super::Objective;

/// Beale's function on ℝ².
#[derive(Debug, Clone, Copy, Default)]
pub struct Beale;

/// The constants c_k of the three residuals.
const C: [f64; 3] = [1.5, 2.25, 2.625];

impl Beale {
    /// The residuals r_k = c_k − x + x y^k, their gradients (∂x, ∂y) = (y^k − 1, k x y^{k−1}) and the
    /// mixed and yy second derivatives (k y^{k−1}, k(k−1) x y^{k−2}) (∂xx r_k = 0), for k = 1, 2, 3.
    fn residuals(x: f64, y: f64) -> [(f64, f64, f64, f64, f64); 3] {
        let (y2, y3) = (y * y, y * y * y);
        [
            (C[0] - x + x * y, y - 1.0, x, 1.0, 0.0),
            (C[1] - x + x * y2, y2 - 1.0, 2.0 * x * y, 2.0 * y, 2.0 * x),
            (C[2] - x + x * y3, y3 - 1.0, 3.0 * x * y2, 3.0 * y2, 6.0 * x * y),
        ]
    }
}

impl Objective for Beale {
    fn dim(&self) -> usize {
        2
    }

    fn loss(&self, t: &[f64]) -> f64 {
        Self::residuals(t[0], t[1]).iter().map(|r| r.0 * r.0).sum()
    }

    fn gradient(&self, t: &[f64], g: &mut [f64]) {
        // ∇L = Σ 2 r_k ∇r_k.
        g[0] = 0.0;
        g[1] = 0.0;
        for (r, rx, ry, _, _) in Self::residuals(t[0], t[1]) {
            g[0] += 2.0 * r * rx;
            g[1] += 2.0 * r * ry;
        }
    }

    fn hvp(&self, t: &[f64], v: &[f64], out: &mut [f64]) {
        // H = Σ 2 (∇r_k ∇r_kᵀ + r_k ∇²r_k), with ∇²r_k = [[0, r_xy], [r_xy, r_yy]].
        let (mut hxx, mut hxy, mut hyy) = (0.0, 0.0, 0.0);
        for (r, rx, ry, rxy, ryy) in Self::residuals(t[0], t[1]) {
            hxx += 2.0 * rx * rx;
            hxy += 2.0 * (rx * ry + r * rxy);
            hyy += 2.0 * (ry * ry + r * ryy);
        }
        out[0] = hxx * v[0] + hxy * v[1];
        out[1] = hxy * v[0] + hyy * v[1];
    }

    fn known_minima(&self) -> Vec<Vec<f64>> {
        vec![vec![3.0, 0.5]]
    }
}
