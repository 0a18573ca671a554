//! Polyak's heavy ball θ_{k+1} = θ_k − η∇L(θ_k) + β(θ_k − θ_{k−1}), step k at t_k = k·η.
//!
//! Run in velocity form: v_{k+1} = βv_k − η∇L(θ_k), θ_{k+1} = θ_k + v_{k+1}, with v_k = θ_k − θ_{k−1}.

use super::drive::{drive, Update};
use crate::objective::Objective;
use crate::trajectory::{StepRate, TimeGrid, Trajectory};
use crate::watch::Watch;
use serde::{Deserialize, Serialize};

/// How a momentum method's velocity starts.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MomentumStart {
    /// Zero velocity: θ_{−1} = θ_0 (the usual implementation, momentum buffer zero).
    #[default]
    AtRest,
    /// The velocity already at the value it settles to under a constant gradient: the fixed point of
    /// v ← βv − η∇L(θ_0), i.e. v_0 = −η∇L(θ_0)/(1 − β), θ_{−1} = θ_0 + η∇L(θ_0)/(1 − β). This starts the
    /// iteration on its slow manifold (no initial layer; see docs/methods.md).
    Steady,
}

impl MomentumStart {
    /// The names accepted in a scenario, in declaration order (strum derives them with the parser).
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The name a scenario uses for this start.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// v ← βv − η∇L(θ); θ ← θ + v.
struct HeavyBallUpdate {
    eta: StepRate,
    beta: f64,
    velocity: Vec<f64>,
}

impl Update for HeavyBallUpdate {
    const USES_GRADIENT: bool = true;

    // Non-generic, so without #[inline] it is not inlined into the driver when a user crate
    // instantiates it (no cross-crate inlining without LTO): a call per step, +40% on 2-D GD.
    #[inline]
    fn advance(&mut self, k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) -> u64 {
        let eta = self.eta.at(k);
        for (((n, t), v), g) in next.iter_mut().zip(theta).zip(self.velocity.iter_mut()).zip(grad) {
            *v = self.beta * *v - eta * g;
            *n = t + *v;
        }
        0
    }
}

/// Runs heavy ball with momentum `beta` ∈ [0, 1) from `theta0` over `grid` (t = k·η).
///
/// Divergence is a result, as for [`super::gradient_descent`]; linear stability on a quadratic needs
/// η·λ_max < 2(1 + β).
pub fn heavy_ball<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    beta: f64,
    start: MomentumStart,
    loss_bound: f64,
) -> Trajectory {
    heavy_ball_watched(objective, theta0, grid, beta, start, loss_bound, &Watch::idle())
}

/// [`heavy_ball`] under `watch` (see [`super::gradient_descent_watched`]).
pub fn heavy_ball_watched<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    beta: f64,
    start: MomentumStart,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    let eta = grid.step_size_at(0);
    let mut velocity = vec![0.0; objective.dim()];
    let mut setup = 0;
    if start == MomentumStart::Steady {
        objective.gradient(theta0, &mut velocity);
        setup = 1;
        velocity.iter_mut().for_each(|v| *v *= -eta / (1.0 - beta));
    }
    let update = HeavyBallUpdate {
        eta: grid.rate(),
        beta,
        velocity,
    };
    drive(objective, theta0, grid, loss_bound, update, setup, watch)
}

#[cfg(test)]
mod tests {
    use super::MomentumStart;

    #[test]
    fn start_names_parse_back_and_match_serde() {
        assert_eq!(MomentumStart::NAMES, ["at_rest", "steady"]);
        for (&start, &name) in <MomentumStart as strum::VariantArray>::VARIANTS
            .iter()
            .zip(MomentumStart::NAMES)
        {
            assert_eq!(start.name(), name);
            assert_eq!(MomentumStart::from_name(name), Some(start));
            assert_eq!(serde_json::to_value(start).unwrap(), name);
        }
        assert_eq!(MomentumStart::from_name("AtRest"), None);
    }
}
