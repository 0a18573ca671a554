//! Learning-rate schedules: the step size η_k of step k, and the time axis they define,
//! t_k = Σ_{j<k} η_j, computed as exact sums.
//!
//! Why exact: a schedule's time axis is a running sum, and a running sum in floating point drifts (each
//! addition rounds, and the errors accumulate like √k·ε·t at best, k·ε·t at worst). [`ExactSum`] keeps the
//! sum as a short list of non-overlapping doubles whose real sum is the exact sum of every η_j added
//! (Shewchuk's expansion, as in Python's `math.fsum`), and rounds it once, to nearest (ties to even), when
//! a time is read. So every t_k is the double nearest to the exact real Σ_{j<k} η_j of the doubles η_j: off
//! by at most half an ulp of t_k, whatever k. For a constant schedule that is the correctly rounded k·η,
//! which is what the IEEE product `k as f64 * η` gives: the unscheduled axis, bit for bit.

use serde::Serialize;

/// The time map of a scheduled run, as summary.json names it.
pub const SUMMED_TIME_AXIS: &str = "sum_{j<k} eta_j";

/// How η_k depends on the step k, relative to the run's step size η (`run.step_size`) and horizon K
/// (`run.steps`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// η_k = η.
    Constant,
    /// Linear warm-up over W steps: η_k = η·(k + 1)/W for k < W, then η.
    Warmup {
        /// W ≥ 1.
        warmup_steps: u64,
    },
    /// Cosine decay after an optional linear warm-up of W steps (0 for none): η_k = η·(k + 1)/W for k < W,
    /// then η_min + (η − η_min)·½(1 + cos(π(k − W)/(K − W))), η_min = `final_fraction`·η.
    Cosine {
        /// W, 0 ≤ W < K.
        warmup_steps: u64,
        /// η_min/η ∈ [0, 1].
        final_fraction: f64,
    },
    /// Step decay: η_k = η·γ^⌊k/S⌋.
    Step {
        /// S ≥ 1.
        every: u64,
        /// γ ∈ (0, 1].
        factor: f64,
    },
    /// 1/t-type decay: η_k = η/(1 + k/τ)^p.
    InverseTime {
        /// τ > 0, in steps.
        decay_steps: f64,
        /// p > 0 (1 for 1/t).
        power: f64,
    },
    /// Piecewise constant from a list of (step, η) pairs, steps increasing: η_k is the η of the last pair
    /// whose step is ≤ k, and the run's η before the first.
    Pairs {
        /// (step, η) with increasing steps and positive η.
        points: Vec<(u64, f64)>,
    },
}

/// A schedule with the run's η and horizon K: the step size of every step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSizes {
    /// The run's η.
    pub base: f64,
    /// The horizon K (cosine decays over it).
    pub steps: u64,
    /// The schedule.
    pub schedule: Schedule,
}

impl StepSizes {
    /// Checks `schedule`'s parameters against η = `base` and K = `steps`; the message names the bad key.
    pub fn new(base: f64, steps: u64, schedule: Schedule) -> Result<Self, String> {
        let check = |ok: bool, msg: String| if ok { Ok(()) } else { Err(msg) };
        check(
            base.is_finite() && base > 0.0,
            format!("the step size must be positive and finite, found {base}"),
        )?;
        match &schedule {
            Schedule::Constant => {}
            Schedule::Warmup { warmup_steps } => check(
                *warmup_steps >= 1,
                format!("warmup_steps must be ≥ 1, found {warmup_steps}"),
            )?,
            Schedule::Cosine {
                warmup_steps,
                final_fraction,
            } => {
                check(
                    *warmup_steps < steps,
                    format!("warmup_steps must be below run.steps = {steps}, found {warmup_steps}"),
                )?;
                check(
                    (0.0..=1.0).contains(final_fraction),
                    format!("final_fraction must lie in [0, 1], found {final_fraction}"),
                )?;
            }
            Schedule::Step { every, factor } => {
                check(*every >= 1, format!("every must be ≥ 1, found {every}"))?;
                check(
                    *factor > 0.0 && *factor <= 1.0,
                    format!("factor must lie in (0, 1], found {factor}"),
                )?;
            }
            Schedule::InverseTime { decay_steps, power } => {
                check(
                    decay_steps.is_finite() && *decay_steps > 0.0,
                    format!("decay_steps must be positive and finite, found {decay_steps}"),
                )?;
                check(
                    power.is_finite() && *power > 0.0,
                    format!("power must be positive and finite, found {power}"),
                )?;
            }
            Schedule::Pairs { points } => {
                check(
                    !points.is_empty(),
                    "points must hold at least one [step, eta] pair".into(),
                )?;
                for (i, &(k, eta)) in points.iter().enumerate() {
                    check(
                        eta.is_finite() && eta > 0.0,
                        format!("points[{i}]: η must be positive and finite, found {eta}"),
                    )?;
                    check(
                        k < steps,
                        format!("points[{i}]: step {k} is not below run.steps = {steps}"),
                    )?;
                    check(
                        i == 0 || points[i - 1].0 < k,
                        format!(
                            "points[{i}]: steps must increase, found {k} after {}",
                            points[i.max(1) - 1].0
                        ),
                    )?;
                }
            }
        }
        Ok(StepSizes {
            base,
            steps,
            schedule,
        })
    }

    /// η_k.
    #[inline]
    pub fn at(&self, k: u64) -> f64 {
        let eta = self.base;
        let warm = |w: u64| eta * (k + 1) as f64 / w as f64;
        match &self.schedule {
            Schedule::Constant => eta,
            Schedule::Warmup { warmup_steps } => {
                if k < *warmup_steps {
                    warm(*warmup_steps)
                } else {
                    eta
                }
            }
            Schedule::Cosine {
                warmup_steps,
                final_fraction,
            } => {
                if k < *warmup_steps {
                    warm(*warmup_steps)
                } else {
                    let progress = (k - warmup_steps) as f64 / (self.steps - warmup_steps) as f64;
                    let low = final_fraction * eta;
                    low + (eta - low) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
                }
            }
            Schedule::Step { every, factor } => {
                // γ^n by powi is exact for the small n of a run; n beyond i32 would underflow anyway.
                let n = (k / every).min(i32::MAX as u64) as i32;
                eta * factor.powi(n)
            }
            Schedule::InverseTime { decay_steps, power } => {
                let base = 1.0 + k as f64 / decay_steps;
                if *power == 1.0 {
                    eta / base
                } else {
                    eta / base.powf(*power)
                }
            }
            Schedule::Pairs { points } => {
                // The last pair at or before k (points are few and increasing).
                match points.partition_point(|&(s, _)| s <= k) {
                    0 => eta,
                    i => points[i - 1].1,
                }
            }
        }
    }
}

/// An exact running sum of doubles, read correctly rounded (Shewchuk's non-overlapping expansion, the
/// algorithm of Python's `math.fsum`). Exact as long as no partial overflows (sums below ~1e308).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    /// Non-overlapping partials, increasing in magnitude, whose real sum is the exact sum.
    partials: Vec<f64>,
}

impl ExactSum {
    /// The empty sum.
    pub fn new() -> Self {
        ExactSum::default()
    }

    /// A sum that starts from the exact partials of another.
    fn from_partials(partials: &[f64]) -> Self {
        ExactSum {
            partials: partials.to_vec(),
        }
    }

    /// Adds `x` exactly.
    pub fn add(&mut self, mut x: f64) {
        let mut i = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            // Two-sum (Fast2Sum with |x| ≥ |y|): hi + lo = x + y exactly.
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        self.partials.truncate(i);
        self.partials.push(x);
    }

    /// The sum, rounded once to the nearest double (ties to even).
    pub fn value(&self) -> f64 {
        let p = &self.partials;
        let mut n = p.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        // Round half to even when the remaining partials push a tie the other way.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
        hi
    }

    /// The partials (for checkpoints).
    fn partials(&self) -> &[f64] {
        &self.partials
    }
}

/// A scheduled time axis: η_k for every step and the exact times of the recorded steps, with the exact
/// partial sums kept at each of them so that the time of any other step costs at most `record_every`
/// additions.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledAxis {
    /// η_k.
    pub sizes: StepSizes,
    /// The recording interval r.
    pub record_every: u64,
    /// t_{j·r}, j = 0..=K/r.
    recorded: Vec<f64>,
    /// The exact partials of t_{j·r}, flattened; `offsets[j]..offsets[j+1]` are point j's.
    partials: Vec<f64>,
    /// Where each point's partials start (one more entry than points).
    offsets: Vec<usize>,
}

impl ScheduledAxis {
    /// Sums η_0, …, η_{K−1} once, keeping the time of every `record_every`-th step. Fails if some η_k is
    /// not positive and finite (a decay that underflows) or a time overflows.
    pub fn new(sizes: StepSizes, record_every: u64) -> Result<Self, String> {
        let r = record_every.max(1);
        let points = (sizes.steps / r + 1) as usize;
        let mut recorded = Vec::with_capacity(points);
        let mut partials = Vec::with_capacity(points * 2);
        let mut offsets = Vec::with_capacity(points + 1);
        offsets.push(0);
        let mut sum = ExactSum::new();
        for k in 0..=sizes.steps {
            if k % r == 0 {
                let t = sum.value();
                if !t.is_finite() {
                    return Err(format!("the time axis overflows at step {k}"));
                }
                recorded.push(t);
                partials.extend_from_slice(sum.partials());
                offsets.push(partials.len());
            }
            if k < sizes.steps {
                let eta = sizes.at(k);
                if !(eta.is_finite() && eta > 0.0) {
                    return Err(format!(
                        "the schedule gives step {k} the step size {eta}; every step size must be positive and finite"
                    ));
                }
                sum.add(eta);
            }
        }
        Ok(ScheduledAxis {
            sizes,
            record_every: r,
            recorded,
            partials,
            offsets,
        })
    }

    /// t_k = Σ_{j<k} η_j, correctly rounded (k ≤ K).
    pub fn time_of_step(&self, k: u64) -> f64 {
        let j = (k / self.record_every) as usize;
        let base = j * self.record_every as usize;
        if base as u64 == k && j < self.recorded.len() {
            return self.recorded[j];
        }
        let j = j.min(self.recorded.len() - 1);
        let from = j as u64 * self.record_every;
        let mut sum = ExactSum::from_partials(&self.partials[self.offsets[j]..self.offsets[j + 1]]);
        for i in from..k {
            sum.add(self.sizes.at(i));
        }
        sum.value()
    }

    /// The exact length Σ_{a≤j<b} η_j of steps a..b, correctly rounded.
    pub fn span(&self, a: u64, b: u64) -> f64 {
        let mut sum = ExactSum::new();
        for k in a..b {
            sum.add(self.sizes.at(k));
        }
        sum.value()
    }

    /// The smallest and largest η_k over the run.
    pub fn range(&self) -> (f64, f64) {
        (0..self.sizes.steps)
            .map(|k| self.sizes.at(k))
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), e| (lo.min(e), hi.max(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sum_rounds_once() {
        let mut s = ExactSum::new();
        for x in [1e100, 1.0, -1e100, 1e-20] {
            s.add(x);
        }
        assert_eq!(s.value(), 1.0 + 1e-20);
        let mut t = ExactSum::new();
        for _ in 0..10 {
            t.add(0.1);
        }
        // 10 × 0.1 (the double) is 1.0000000000000000555…, whose nearest double is 1.0; repeated
        // addition gives 0.9999999999999999.
        assert_eq!(t.value(), 1.0);
        assert_eq!(t.value(), 10.0 * 0.1);
    }

    #[test]
    fn schedules_give_their_formulas() {
        let s = |schedule| StepSizes::new(0.1, 100, schedule).unwrap();
        let w = s(Schedule::Warmup { warmup_steps: 4 });
        assert_eq!([w.at(0), w.at(3), w.at(4), w.at(99)], [0.025, 0.1, 0.1, 0.1]);
        let c = s(Schedule::Cosine {
            warmup_steps: 0,
            final_fraction: 0.1,
        });
        assert_eq!(c.at(0), 0.1);
        assert!((c.at(50) - 0.055).abs() < 1e-15);
        let st = s(Schedule::Step {
            every: 10,
            factor: 0.5,
        });
        assert_eq!([st.at(9), st.at(10), st.at(25)], [0.1, 0.05, 0.025]);
        let inv = s(Schedule::InverseTime {
            decay_steps: 10.0,
            power: 1.0,
        });
        assert_eq!(inv.at(10), 0.05);
        let p = s(Schedule::Pairs {
            points: vec![(5, 0.2), (7, 0.3)],
        });
        assert_eq!(
            [p.at(4), p.at(5), p.at(6), p.at(7), p.at(99)],
            [0.1, 0.2, 0.2, 0.3, 0.3]
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        let bad = |schedule| StepSizes::new(0.1, 100, schedule).unwrap_err();
        assert!(bad(Schedule::Warmup { warmup_steps: 0 }).contains("warmup_steps"));
        assert!(bad(Schedule::Cosine {
            warmup_steps: 100,
            final_fraction: 0.0
        })
        .contains("warmup_steps"));
        assert!(bad(Schedule::Step {
            every: 1,
            factor: 1.5
        })
        .contains("factor"));
        assert!(bad(Schedule::Pairs {
            points: vec![(5, 0.2), (5, 0.3)]
        })
        .contains("increase"));
    }

    #[test]
    fn a_constant_axis_is_the_product_axis() {
        for eta in [0.1, 1e-3, 0.7, 3.3e-5] {
            let axis = ScheduledAxis::new(StepSizes::new(eta, 1000, Schedule::Constant).unwrap(), 7).unwrap();
            for k in 0..=1000 {
                assert_eq!(
                    axis.time_of_step(k).to_bits(),
                    (k as f64 * eta).to_bits(),
                    "η = {eta}, k = {k}"
                );
            }
        }
    }
}
