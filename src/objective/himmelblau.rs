//! Himmelblau's function L(x, y) = (x² + y − 11)² + (x + y² − 7)², four global minima of value 0.

use super::{LaneObjective, Objective};

/// Himmelblau's function on ℝ².
#[derive(Debug, Clone, Copy, Default)]
pub struct Himmelblau;

/// Himmelblau's four minima (Himmelblau 1972; the last three to 6 decimals, refined by Newton's method in
/// [`Himmelblau::minima`]).
const APPROX_MINIMA: [[f64; 2]; 4] = [
    [3.0, 2.0],
    [-2.805118, 3.131312],
    [-3.779310, -3.283186],
    [3.584428, -1.848126],
];

impl Himmelblau {
    /// The four minima, refined to machine precision by Newton's method on ∇L = 0.
    pub fn minima() -> Vec<Vec<f64>> {
        APPROX_MINIMA
            .iter()
            .map(|&[mut x, mut y]| {
                for _ in 0..20 {
                    let mut g = [0.0; 2];
                    Himmelblau.gradient(&[x, y], &mut g);
                    let (hxx, hxy, hyy) = Self::hessian(x, y);
                    let det = hxx * hyy - hxy * hxy;
                    x -= (hyy * g[0] - hxy * g[1]) / det;
                    y -= (-hxy * g[0] + hxx * g[1]) / det;
                }
                vec![x, y]
            })
            .collect()
    }

    fn hessian(x: f64, y: f64) -> (f64, f64, f64) {
        let hxx = 12.0 * x * x + 4.0 * y - 42.0;
        let hxy = 4.0 * (x + y);
        let hyy = 12.0 * y * y + 4.0 * x - 26.0;
        (hxx, hxy, hyy)
    }
}

impl Objective for Himmelblau {
    fn dim(&self) -> usize {
        2
    }

    // Small and called once per step: #[inline] lets a caller's generic loop (another crate) inline it.
    #[inline]
    fn loss(&self, t: &[f64]) -> f64 {
        let (x, y) = (t[0], t[1]);
        let p = x * x + y - 11.0;
        let q = x + y * y - 7.0;
        p * p + q * q
    }

    // Small and called once per step: #[inline] lets a caller's generic loop (another crate) inline it.
    #[inline]
    fn gradient(&self, t: &[f64], g: &mut [f64]) {
        let (x, y) = (t[0], t[1]);
        let p = x * x + y - 11.0;
        let q = x + y * y - 7.0;
        g[0] = 4.0 * x * p + 2.0 * q;
        g[1] = 2.0 * p + 4.0 * y * q;
    }

    // The same expressions as `loss` and `gradient`, lane by lane (bit-identical), in a loop over lanes
    // that the compiler vectorises: the basin-map path (`gd_final_lanes`, which calls these one register
    // of lanes at a time).
    #[inline]
    fn loss_lanes<const L: usize>(&self, t: &[[f64; L]], loss: &mut [f64; L]) {
        let (xs, ys) = (&t[0], &t[1]);
        for l in 0..L {
            let (x, y) = (xs[l], ys[l]);
            let p = x * x + y - 11.0;
            let q = x + y * y - 7.0;
            loss[l] = p * p + q * q;
        }
    }

    #[inline]
    fn gradient_lanes<const L: usize>(&self, t: &[[f64; L]], g: &mut [[f64; L]]) {
        let (xs, ys) = (&t[0], &t[1]);
        let [gx, gy] = g else { return };
        for l in 0..L {
            let (x, y) = (xs[l], ys[l]);
            let p = x * x + y - 11.0;
            let q = x + y * y - 7.0;
            gx[l] = 4.0 * x * p + 2.0 * q;
            gy[l] = 2.0 * p + 4.0 * y * q;
        }
    }

    fn hvp(&self, t: &[f64], v: &[f64], out: &mut [f64]) {
        let (hxx, hxy, hyy) = Self::hessian(t[0], t[1]);
        out[0] = hxx * v[0] + hxy * v[1];
        out[1] = hxy * v[0] + hyy * v[1];
    }

    /// From f = (x² + y − 11)² + (x + y² − 7)²: ∂³f/∂x³ = 24x, ∂³f/∂x²∂y = 4, ∂³f/∂x∂y² = 4,
    /// ∂³f/∂y³ = 24y.
    fn third_derivative(&self, t: &[f64], u: &[f64], v: &[f64], out: &mut [f64]) -> bool {
        let (txxx, txxy, txyy, tyyy) = (24.0 * t[0], 4.0, 4.0, 24.0 * t[1]);
        out[0] = txxx * u[0] * v[0] + txxy * (u[0] * v[1] + u[1] * v[0]) + txyy * u[1] * v[1];
        out[1] = txxy * u[0] * v[0] + txyy * (u[0] * v[1] + u[1] * v[0]) + tyyy * u[1] * v[1];
        true
    }

    fn known_minima(&self) -> Vec<Vec<f64>> {
        Self::minima()
    }

    fn lane_objective(&self) -> Option<LaneObjective<'_>> {
        Some(LaneObjective::Himmelblau(self))
    }
}
