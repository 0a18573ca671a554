//! Loss landscapes behind one small trait.
//!
//! An [`Objective`] knows its dimension, its loss, its exact gradient (written into a caller's buffer
//! so hot loops do not allocate) and a Hessian-vector product. The default Hessian-vector product is a
//! central finite difference of the gradient; objectives override it with an exact one where they can
//! (all objectives in this module do).

mod himmelblau;
mod quadratic;
mod rosenbrock;

pub use himmelblau::Himmelblau;
pub use quadratic::Quadratic;
pub use rosenbrock::Rosenbrock;

/// A differentiable loss L: ℝ^d → ℝ.
pub trait Objective: Send + Sync {
    /// The number of parameters d.
    fn dim(&self) -> usize;

    /// L(θ).
    fn loss(&self, theta: &[f64]) -> f64;

    /// Writes ∇L(θ) into `grad` (length d).
    fn gradient(&self, theta: &[f64], grad: &mut [f64]);

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

    /// The known global or local minima, where the objective has closed-form ones (for figures and
    /// end-state reports). Empty when unknown.
    fn known_minima(&self) -> Vec<Vec<f64>> {
        Vec::new()
    }
}

/// ‖v‖₂.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
