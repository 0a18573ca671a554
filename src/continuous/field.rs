//! Vector fields θ' = F(t, θ) that model a discrete method.

use crate::objective::Objective;

/// The right-hand side of an autonomous or time-dependent ODE θ' = F(t, θ).
pub trait VectorField {
    /// The state dimension.
    fn dim(&self) -> usize;
    /// Writes F(t, θ) into `out`.
    fn eval(&self, t: f64, theta: &[f64], out: &mut [f64]);
}

/// Gradient flow θ' = −∇L(θ), the η → 0 limit of gradient descent.
pub struct GradientFlow<'a, O: Objective + ?Sized> {
    /// The loss whose gradient drives the flow.
    pub objective: &'a O,
}

impl<O: Objective + ?Sized> VectorField for GradientFlow<'_, O> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        self.objective.gradient(theta, out);
        out.iter_mut().for_each(|x| *x = -*x);
    }
}
