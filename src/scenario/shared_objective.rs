//! One built objective behind many experiments: a sweep whose axes leave `[objective]` alone builds its
//! objective (and its dataset) once, and every grid point's [`crate::experiment::Experiment`] holds this
//! handle to it.

use crate::objective::{FiniteSum, LaneObjective, NoisyGradient, Objective, RandomInit};
use std::sync::Arc;

/// An objective shared by reference count; every method forwards to it, so a run on the handle is bit
/// for bit a run on the objective itself.
#[derive(Clone)]
pub struct SharedObjective(pub Arc<dyn Objective>);

impl Objective for SharedObjective {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn loss(&self, theta: &[f64]) -> f64 {
        self.0.loss(theta)
    }
    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.0.gradient(theta, grad)
    }
    fn loss_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        self.0.loss_gradient(theta, grad)
    }
    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.hvp(theta, v, out)
    }
    fn third_derivative(&self, theta: &[f64], u: &[f64], v: &[f64], out: &mut [f64]) -> bool {
        self.0.third_derivative(theta, u, v, out)
    }
    fn known_minima(&self) -> Vec<Vec<f64>> {
        self.0.known_minima()
    }
    fn conserved_names(&self) -> Vec<String> {
        self.0.conserved_names()
    }
    fn conserved(&self, theta: &[f64], out: &mut [f64]) {
        self.0.conserved(theta, out)
    }
    fn initial_point(&self, init: &RandomInit) -> Option<Vec<f64>> {
        self.0.initial_point(init)
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        self.0.as_finite_sum()
    }
    fn as_noisy(&self) -> Option<&dyn NoisyGradient> {
        self.0.as_noisy()
    }
    fn lane_objective(&self) -> Option<LaneObjective<'_>> {
        self.0.lane_objective()
    }
    fn parameter_blocks(&self) -> Vec<(String, std::ops::Range<usize>)> {
        self.0.parameter_blocks()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Himmelblau;

    #[test]
    fn the_handle_gives_what_the_objective_gives_bit_for_bit() {
        let shared = SharedObjective(Arc::new(Himmelblau));
        let theta = [-2.5, 1.75];
        // f(x, y) = (x² + y − 11)² + (x + y² − 7)², by hand at (−2.5, 1.75): (6.25 + 1.75 − 11)² +
        // (−2.5 + 3.0625 − 7)² = 9 + 41.44140625.
        assert_eq!(shared.loss(&theta), 9.0 + 41.441_406_25);
        let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
        shared.gradient(&theta, &mut a);
        Himmelblau.gradient(&theta, &mut b);
        assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
        assert_eq!(shared.loss_gradient(&theta, &mut a), Himmelblau.loss(&theta));
        assert_eq!(shared.known_minima(), Himmelblau.known_minima());
        assert_eq!(shared.dim(), 2);
        // The lane form is reached through the handle, so a sweep over starts still takes the lanes.
        assert!(matches!(
            shared.lane_objective(),
            Some(LaneObjective::Himmelblau(_))
        ));
    }
}
