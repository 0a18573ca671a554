//! Discrete training methods. Each returns a [`crate::Trajectory`] on the shared time axis.

mod gd;

pub use gd::gradient_descent;

/// The default divergence bound on the loss: a run is called diverged once |L| exceeds
/// `max(1, |L(θ₀)|) · DIVERGENCE_FACTOR`.
pub const DIVERGENCE_FACTOR: f64 = 1e10;

/// The loss bound above which a run starting at loss `initial_loss` counts as diverged.
pub fn default_divergence_bound(initial_loss: f64) -> f64 {
    initial_loss.abs().max(1.0) * DIVERGENCE_FACTOR
}
