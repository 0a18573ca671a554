//! Discrete training methods. Each returns a [`crate::Trajectory`] on its time axis (see
//! [`crate::trajectory::TimeMap`]).

mod adaptive;
mod custom;
mod drive;
mod gd;
mod heavy_ball;
mod lanes;
mod lanes_record;
mod layerwise;
mod nesterov;
mod net_lanes;

pub use adaptive::{
    adam_threshold, adaptive, adaptive_preconditioners, adaptive_watched, AdaptiveMethod, AdaptiveStepper,
    SecondMomentStart,
};
pub use custom::{run_discrete_method, DiscreteMethod};
pub use gd::{gradient_descent, gradient_descent_watched};
pub use heavy_ball::{heavy_ball, heavy_ball_watched, MomentumStart};
pub use lanes::{gd_final_lanes, GdFinal, LANE_GROUP};
pub use lanes_record::gd_record_lanes;
pub use layerwise::{blockwise_gradient_descent, blockwise_gradient_descent_watched, BlockScales};
pub use nesterov::{nesterov, nesterov_watched, NesterovSchedule};
pub use net_lanes::{blockwise_gd_net_lanes, NetRun};

/// The default divergence bound on the loss: a run is called diverged once |L| exceeds
/// `max(1, |L(θ₀)|) · DIVERGENCE_FACTOR`.
pub const DIVERGENCE_FACTOR: f64 = 1e10;

/// The loss bound above which a run starting at loss `initial_loss` counts as diverged.
pub fn default_divergence_bound(initial_loss: f64) -> f64 {
    initial_loss.abs().max(1.0) * DIVERGENCE_FACTOR
}

/// Gradient descent's linear stability threshold on the sharpness: GD on a quadratic converges iff
/// λ_max < 2/η.
pub fn gd_threshold(eta: f64) -> f64 {
    2.0 / eta
}

/// Heavy ball's threshold: on a quadratic it converges iff λ_max < 2(1 + β)/η (the root −1 of
/// r² − (1 + β − ηλ)r + β).
pub fn heavy_ball_threshold(eta: f64, beta: f64) -> f64 {
    2.0 * (1.0 + beta) / eta
}

/// Nesterov's threshold with constant β: λ_max < (2 + 2β)/(η(1 + 2β)) (the root −1 of
/// r² − (1 + β)(1 − ηλ)r + β(1 − ηλ)).
pub fn nesterov_threshold(eta: f64, beta: f64) -> f64 {
    (2.0 + 2.0 * beta) / (eta * (1.0 + 2.0 * beta))
}
