//! Loss landscapes behind one small trait.
//!
//! An [`Objective`] knows its dimension, its loss, its exact gradient (written into a caller's buffer
//! so hot loops do not allocate) and a Hessian-vector product. The default Hessian-vector product is a
//! central finite difference of the gradient; objectives override it with an exact one where they can
//! (all objectives in this module do).

mod affine;
mod himmelblau;
mod linear_regression;
mod logistic_regression;
mod quadratic;
mod rosenbrock;

pub use himmelblau::Himmelblau;
pub use linear_regression::LinearRegression;
pub use logistic_regression::{sigmoid, softplus, LogisticRegression};
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

    /// Names of the scalar quantities that gradient flow conserves for this objective (e.g. the
    /// layer balancedness of a deep linear network); every method records them along its path.
    fn conserved_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Writes the conserved quantities at θ into `out` (length `conserved_names().len()`).
    fn conserved(&self, _theta: &[f64], _out: &mut [f64]) {}

    /// This objective as a finite sum over samples, when it is one (for minibatch methods).
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        None
    }
}

/// A loss that is a mean over n samples, L(θ) = (1/n) Σ ℓ_i(θ), so that SGD can take minibatch gradients.
pub trait FiniteSum: Objective {
    /// The number of samples n.
    fn num_samples(&self) -> usize;

    /// Writes the minibatch gradient (1/|B|) Σ_{i∈B} ∇ℓ_i(θ) into `grad` and returns the minibatch loss.
    fn batch_loss_gradient(&self, theta: &[f64], batch: &[usize], grad: &mut [f64]) -> f64;
}

/// ‖v‖₂.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
