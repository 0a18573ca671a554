//! Roundoff twins: how far a deterministic method's path moves when its arithmetic changes by a few ulps
//! (a new compiler, libm, BLAS kernel or summation order), measured by running it again.
//!
//! Why measure rather than assume: a contracting map forgets roundoff, so its path is reproducible to a
//! few ulps for ever, while a chaotic one (gradient descent at the edge of stability) amplifies it
//! exponentially until, past some step, the path is not reproducible at all; the same fixed relative
//! tolerance is needlessly loose for the first and meaningless for the second. A twin reruns the method
//! with every gradient component moved by [`JITTER`] (relative, 64 ulps) up or down, the direction a hash
//! of the twin's salt, the component and the value's bits: stateless, so it is deterministic and
//! thread-safe, and independent from one evaluation to the next, as roundoff is. [`TWINS`] twins with
//! different salts give, at every recorded point, the spread of the reproducible path; a golden file
//! allows [`SAFETY`] times it on top of its fixed floor, and stops comparing points (it still records
//! them) where that allowance is no longer small against the state: past the predictability horizon.

use crate::compare::Comparison;
use crate::experiment::CompareConfig;
use crate::method::run_method;
use crate::method::MethodKind;
use crate::objective::{FiniteSum, NoisyGradient, Objective};
use crate::trajectory::{TimeGrid, Trajectory};

/// How many twins run per method (the spread is the largest of their differences).
pub const TWINS: usize = 8;

/// The relative change of each gradient component in a twin: 2⁻⁴⁶, 64 ulps of a double, more than a
/// change of summation order or of a libm function typically makes (a few ulps), so the twins' spread
/// bounds such a change with room to spare while it stays in the linear regime.
pub const JITTER: f64 = 1.0 / (1u64 << 46) as f64;

/// A golden value may differ from its pinned value by this many twin spreads (above the fixed floor): the
/// largest of [`TWINS`] draws of a spread is itself a draw, and another build's change is one more.
pub const SAFETY: f64 = 4.0;

/// A point is predictable while its allowance [`SAFETY`]·spread stays below this fraction of the state's
/// size (‖θ‖); beyond, the twins have left the reference path and a pin would only pin roundoff.
pub const HORIZON: f64 = 1e-2;

/// An objective whose gradient is the inner one moved by ±[`JITTER`] per component (everything else is
/// the inner objective's).
pub struct Jittered<'a> {
    inner: &'a dyn Objective,
    salt: u64,
}

impl<'a> Jittered<'a> {
    /// The twin objective with this salt (a different salt, a different pattern of ups and downs).
    pub fn new(inner: &'a dyn Objective, salt: u64) -> Self {
        Self { inner, salt }
    }
}

/// SplitMix64's finaliser: a fast hash whose every output bit depends on every input bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Objective for Jittered<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn loss(&self, theta: &[f64]) -> f64 {
        self.inner.loss(theta)
    }
    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.inner.gradient(theta, grad);
        for (i, g) in grad.iter_mut().enumerate() {
            let h = mix(self.salt ^ mix(i as u64 ^ g.to_bits().rotate_left(17)));
            *g *= if h & 1 == 0 { 1.0 + JITTER } else { 1.0 - JITTER };
        }
    }
    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.inner.hvp(theta, v, out)
    }
    fn third_derivative(&self, theta: &[f64], u: &[f64], v: &[f64], out: &mut [f64]) -> bool {
        self.inner.third_derivative(theta, u, v, out)
    }
    fn known_minima(&self) -> Vec<Vec<f64>> {
        self.inner.known_minima()
    }
    fn conserved_names(&self) -> Vec<String> {
        self.inner.conserved_names()
    }
    fn conserved(&self, theta: &[f64], out: &mut [f64]) {
        self.inner.conserved(theta, out)
    }
    // A minibatch or noisy gradient would bypass the jitter: twins are only for full-gradient methods.
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        None
    }
    fn as_noisy(&self) -> Option<&dyn NoisyGradient> {
        None
    }
    fn parameter_blocks(&self) -> Vec<(String, std::ops::Range<usize>)> {
        self.inner.parameter_blocks()
    }
}

/// Runs [`TWINS`] twins of method `kind` from `theta0` (as [`run_method`] runs the method itself).
pub fn twins(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
) -> Vec<Trajectory> {
    (0..TWINS as u64)
        .map(|salt| {
            run_method(
                kind,
                &Jittered::new(objective, mix(salt + 1)),
                theta0,
                grid,
                loss_bound,
            )
        })
        .collect()
}

/// The twins' spread around a reference path, per recorded point of the reference: each entry is the
/// largest difference of any twin from the reference at this point or any earlier one (an envelope, so
/// that a twin crossing the reference at a pinned time does not shrink the allowance there). Infinite
/// from the first point a twin did not reach (it diverged earlier).
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// |Δ loss|.
    pub loss: Vec<f64>,
    /// max_j |Δ θ_j|.
    pub theta: Vec<f64>,
    /// ‖Δ θ‖.
    pub state: Vec<f64>,
    /// True when every twin ended as the reference did (same status, same step).
    pub same_termination: bool,
}

impl Spread {
    /// The spread of `twins` around `reference`.
    pub fn of(reference: &Trajectory, twins: &[Trajectory]) -> Spread {
        let n = reference.len();
        let (mut loss, mut theta, mut state) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for twin in twins {
            for i in 0..n {
                let (dl, dt, ds) = if i < twin.len() && twin.steps[i] == reference.steps[i] {
                    let d = reference
                        .state(i)
                        .iter()
                        .zip(twin.state(i))
                        .map(|(a, b)| (a - b).abs());
                    let (max, sq) = d.fold((0.0f64, 0.0f64), |(m, s), x| (m.max(x), s + x * x));
                    ((twin.losses[i] - reference.losses[i]).abs(), max, sq.sqrt())
                } else {
                    (f64::INFINITY, f64::INFINITY, f64::INFINITY)
                };
                // NaN (a non-finite value on one side) counts as an infinite spread.
                let worse = |x: f64, y: f64| if y.is_nan() { f64::INFINITY } else { x.max(y) };
                loss[i] = worse(loss[i], dl);
                theta[i] = worse(theta[i], dt);
                state[i] = worse(state[i], ds);
            }
        }
        for v in [&mut loss, &mut theta, &mut state] {
            for i in 1..n {
                v[i] = v[i].max(v[i - 1]);
            }
        }
        let same_termination = twins.iter().all(|t| t.termination == reference.termination);
        Spread {
            loss,
            theta,
            state,
            same_termination,
        }
    }

    /// The first recorded point that is not predictable, if any: where the allowance [`SAFETY`]·spread
    /// exceeds [`HORIZON`] times the state's size so far, max ‖θ‖ over the points up to it (so far, not
    /// now: the spread is an envelope too, and a path converging to 0 has not become unpredictable because
    /// its early ulps outlast its shrinking norm), plus `floor`, below which differences pass anyway.
    pub fn horizon(&self, reference: &Trajectory, floor: f64) -> Option<usize> {
        let mut size = 0.0f64;
        (0..reference.len()).find(|&i| {
            size = size.max(crate::objective::norm(reference.state(i)));
            exceeds(SAFETY * self.state[i], HORIZON * size + floor)
        })
    }
}

/// True when `a` exceeds `b`, or either is NaN (an allowance that cannot be compared is not small).
pub fn exceeds(a: f64, b: f64) -> bool {
    a > b || a.is_nan() || b.is_nan()
}

/// The spread of one scalar over twins: the largest |twin − reference|, infinite when a twin lacks the
/// value the reference has or has one the reference lacks (a departure that happens in one and not the
/// other).
pub fn scalar_spread(reference: Option<f64>, twins: impl IntoIterator<Item = Option<f64>>) -> f64 {
    twins.into_iter().fold(0.0f64, |s, t| match (reference, t) {
        // Equal non-finite values (the same infinity, the same NaN) agree; others do not.
        (Some(a), Some(b)) if (a - b).is_nan() && a.to_bits() == b.to_bits() => s,
        (Some(a), Some(b)) if (a - b).is_nan() => f64::INFINITY,
        (Some(a), Some(b)) => s.max((a - b).abs()),
        (None, None) => s,
        _ => f64::INFINITY,
    })
}

/// The comparisons of each twin pair: twin r of `a` (or `a` itself when it has no twins) against twin r
/// of `b` (likewise), compared as `config` says (its tolerance; `a`'s midpoints when it asks for them).
pub fn twin_comparisons(
    config: &CompareConfig,
    objective: &dyn Objective,
    a: (&Trajectory, &[Trajectory]),
    b: (&Trajectory, &[Trajectory]),
) -> Vec<Comparison> {
    (0..a.1.len().max(b.1.len()))
        .map(|r| {
            let ta = a.1.get(r).unwrap_or(a.0);
            let tb = b.1.get(r).unwrap_or(b.0);
            config.compare(objective, ta, tb)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Quadratic;
    use nalgebra::DMatrix;

    fn diagonal(a: &[f64]) -> Quadratic {
        Quadratic::new(
            DMatrix::from_diagonal(&nalgebra::DVector::from_row_slice(a)),
            vec![0.0; a.len()],
        )
    }

    #[test]
    fn the_jitter_moves_every_component_by_the_jitter_and_repeats_itself() {
        let q = diagonal(&[1.0, 2.0, 3.0]);
        let j = Jittered::new(&q, 7);
        let theta = [1.0, -1.0, 0.5];
        let (mut g, mut a, mut b) = ([0.0; 3], [0.0; 3], [0.0; 3]);
        q.gradient(&theta, &mut g);
        j.gradient(&theta, &mut a);
        j.gradient(&theta, &mut b);
        assert_eq!(a, b, "stateless: the same input, the same twin gradient");
        for (x, y) in g.iter().zip(&a) {
            let rel = ((y - x) / x).abs();
            assert!((rel - JITTER).abs() < 1e-3 * JITTER, "{rel:e}");
        }
    }

    #[test]
    fn a_contracting_map_keeps_its_twins_within_ulps_to_the_end() {
        let q = diagonal(&[1.0, 0.5]);
        let grid = TimeGrid::new(0.1, 200, 10);
        let reference = run_method(&MethodKind::Gd, &q, &[1.0, 1.0], &grid, 1e10);
        let twins = twins(&MethodKind::Gd, &q, &[1.0, 1.0], &grid, 1e10);
        let s = Spread::of(&reference, &twins);
        assert!(s.same_termination);
        assert_eq!(s.horizon(&reference, 0.0), None);
        // Each step moves θ by η·∇L·JITTER at most, and the map contracts: the spread stays ~JITTER·|θ₀|.
        assert!(
            s.state.last().unwrap() < &(10.0 * JITTER),
            "{:e}",
            s.state.last().unwrap()
        );
        assert!(s.state[1] > 0.0, "the twins do differ");
    }

    /// GD on the double well L = (θ² − 1)²/4 at η = 1.9 is the cubic map θ ← θ(1 + η) − ηθ³, chaotic with
    /// Lyapunov exponent λ ≈ 0.90 per step (the mean of ln|1 + η − 3ηθ²| along the orbit). A twin starts
    /// ~JITTER·η·|∇L| ≈ 1e-14 away and separates as e^{λk}, so the horizon, where SAFETY·spread reaches
    /// HORIZON·|θ| ≈ 1e-2, falls near k ≈ ln(1e-2 / (SAFETY · 1e-14)) / 0.9 ≈ 29 steps.
    #[test]
    fn a_chaotic_map_reaches_its_predictability_horizon_where_its_lyapunov_exponent_says() {
        let well = crate::objective::DoubleWell { dim: 1 };
        let grid = TimeGrid::new(1.9, 200, 1);
        let reference = run_method(&MethodKind::Gd, &well, &[0.5], &grid, 1e10);
        let twins = twins(&MethodKind::Gd, &well, &[0.5], &grid, 1e10);
        let s = Spread::of(&reference, &twins);
        let h = s.horizon(&reference, 0.0).expect("a chaotic map has a horizon");
        assert!(
            (15..=45).contains(&reference.steps[h]),
            "horizon at step {}",
            reference.steps[h]
        );
        assert!(
            s.state[h - 1] < s.state[h] && s.state[5] < 1e-10,
            "{:?}",
            &s.state[..h + 1]
        );
    }
}
