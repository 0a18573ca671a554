//! Gradient descent with a step size per parameter block (Sohl-Dickstein 2024's per-layer learning
//! rates): θ_b ← θ_b − η·s_b·∇_b L(θ) for each block b of the objective's
//! [`crate::objective::Objective::parameter_blocks`], step k at t_k = k·η.

use super::drive::{drive, Update};
use crate::objective::Objective;
use crate::schedule::StepSizes;
use crate::trajectory::{TimeGrid, Trajectory};
use crate::watch::Watch;

/// The step-size scale s_b of each parameter block, in the objective's block order (`layer1`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockScales(pub Vec<f64>);

impl BlockScales {
    /// The per-coordinate step sizes η·s_b for `objective` (one entry per parameter), or why they do not
    /// fit it: the objective has no blocks, or a different number of them.
    pub fn rates(&self, objective: &dyn Objective, eta: f64) -> Result<Vec<f64>, String> {
        let blocks = objective.parameter_blocks();
        if blocks.len() != self.0.len() {
            return Err(format!(
                "{} scales for an objective with {} parameter blocks",
                self.0.len(),
                blocks.len()
            ));
        }
        let mut rates = vec![eta; objective.dim()];
        for ((_, range), s) in blocks.iter().zip(&self.0) {
            // η·s is formed once per block, so a scale of exactly 1 gives exactly η (bit-identical GD).
            rates[range.clone()].iter_mut().for_each(|r| *r = eta * s);
        }
        Ok(rates)
    }
}

/// θ ← θ − rate ⊙ ∇L(θ).
struct BlockUpdate<'a> {
    rates: &'a [f64],
    /// The schedule, if any: step k then uses rate·η_k/η (the rates were made from η).
    schedule: Option<StepSizes>,
}

impl Update for BlockUpdate<'_> {
    const USES_GRADIENT: bool = true;

    #[inline]
    fn advance(&mut self, k: u64, theta: &[f64], grad: &[f64], next: &mut [f64]) -> u64 {
        match &self.schedule {
            None => {
                for (((n, t), g), r) in next.iter_mut().zip(theta).zip(grad).zip(self.rates) {
                    *n = t - r * g;
                }
            }
            Some(sizes) => {
                let f = sizes.at(k) / sizes.base;
                for (((n, t), g), r) in next.iter_mut().zip(theta).zip(grad).zip(self.rates) {
                    *n = t - (r * f) * g;
                }
            }
        }
        0
    }
}

/// Runs gradient descent from `theta0` over `grid` with the per-coordinate step sizes `rates` (length d;
/// see [`BlockScales::rates`]) instead of `grid.step_size`; the time axis stays t_k = k·`grid.step_size`.
/// Divergence is a result, as for [`super::gradient_descent`]; the loop does not allocate.
pub fn blockwise_gradient_descent<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    rates: &[f64],
    loss_bound: f64,
) -> Trajectory {
    blockwise_gradient_descent_watched(objective, theta0, grid, rates, loss_bound, &Watch::idle())
}

/// [`blockwise_gradient_descent`] under `watch` (see [`super::gradient_descent_watched`]).
pub fn blockwise_gradient_descent_watched<O: Objective + ?Sized>(
    objective: &O,
    theta0: &[f64],
    grid: &TimeGrid,
    rates: &[f64],
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    assert_eq!(rates.len(), objective.dim(), "one step size per parameter");
    drive(
        objective,
        theta0,
        grid,
        loss_bound,
        BlockUpdate {
            rates,
            schedule: grid.schedule.as_ref().map(|a| a.sizes.clone()),
        },
        0,
        watch,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Dataset, Task};
    use crate::discrete::gradient_descent;
    use crate::objective::activation::Activation;
    use crate::objective::{Mlp, MlpConfig, MlpLoss, Parameterization, Quadratic};
    use nalgebra::DMatrix;

    fn net(widths: Vec<usize>, x: &[f64], y: &[f64]) -> Mlp {
        let n = y.len() / widths[widths.len() - 1];
        let data = Dataset {
            x: DMatrix::from_row_slice(n, widths[0], x),
            y: DMatrix::from_row_slice(n, widths[widths.len() - 1], y),
            task: Task::Regression,
        };
        let config = MlpConfig {
            widths,
            activation: Activation::Tanh,
            loss: MlpLoss::Mse,
            bias: false,
            parameterization: Parameterization::Standard,
        };
        Mlp::new(config, &data).unwrap()
    }

    #[test]
    fn unit_scales_are_bit_identical_to_gd() {
        let mlp = net(
            vec![2, 4, 1],
            &[0.5, -1.0, 1.5, 0.3, -0.7, 0.9],
            &[1.0, -0.5, 0.2],
        );
        let theta0 = mlp.init(1.0, 7);
        let grid = TimeGrid::new(0.3, 200, 1);
        let rates = BlockScales(vec![1.0, 1.0]).rates(&mlp, 0.3).unwrap();
        let a = blockwise_gradient_descent(&mlp, &theta0, &grid, &rates, 1e10);
        let b = gradient_descent(&mlp, &theta0, &grid, 1e10);
        assert_eq!(a.len(), b.len());
        for i in 0..a.len() {
            let (sa, sb) = (a.state(i), b.state(i));
            assert!(
                sa.iter().zip(sb).all(|(x, y)| x.to_bits() == y.to_bits()),
                "step {i}"
            );
        }
    }

    #[test]
    fn one_step_of_a_scalar_tanh_net_matches_the_hand_derivative() {
        // f = w2·tanh(w1·x), L = ½(f − y)²: ∂L/∂w1 = r·w2·(1 − tanh²(w1x))·x, ∂L/∂w2 = r·tanh(w1x).
        let (x, y, w1, w2) = (0.8, 0.3, 0.6, -1.2);
        let mlp = net(vec![1, 1, 1], &[x], &[y]);
        let (eta, s1, s2) = (0.5, 0.2, 3.0);
        let rates = BlockScales(vec![s1, s2]).rates(&mlp, eta).unwrap();
        let t = mlp.parameter_blocks();
        assert_eq!(
            t,
            vec![("layer1".to_string(), 0..1), ("layer2".to_string(), 1..2)]
        );
        let traj = blockwise_gradient_descent(&mlp, &[w1, w2], &TimeGrid::new(eta, 1, 1), &rates, 1e10);
        let h = (w1 * x).tanh();
        let r = w2 * h - y;
        let expect = [w1 - eta * s1 * r * w2 * (1.0 - h * h) * x, w2 - eta * s2 * r * h];
        let got = traj.state(1);
        for i in 0..2 {
            assert!(
                (got[i] - expect[i]).abs() < 1e-15,
                "{i}: {} vs {}",
                got[i],
                expect[i]
            );
        }
        assert_eq!(traj.times[1], eta, "time stays k·η");
    }

    #[test]
    fn refuses_scales_that_do_not_fit_the_blocks() {
        let q = Quadratic::new(DMatrix::identity(2, 2), vec![0.0, 0.0]);
        assert!(BlockScales(vec![1.0]).rates(&q, 0.1).is_err());
        let mlp = net(vec![1, 1, 1], &[1.0], &[1.0]);
        let err = BlockScales(vec![1.0, 2.0, 3.0]).rates(&mlp, 0.1).unwrap_err();
        assert!(
            err.contains("3 scales") && err.contains("2 parameter blocks"),
            "{err}"
        );
    }
}
