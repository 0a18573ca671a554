//! Matched-time markers for the portraits: for each compared pair of methods, the points both paths
//! reach at the same times t_j, so the gap between a discrete method and its continuous model can be
//! read off the figure (a marker on each path, joined by a thin segment).

use crate::compare::Comparison;
use crate::method::MethodRun;

/// How many matched times each compared pair gets (t = 0 excluded: both paths start there).
pub const MATCHED_TIMES: usize = 10;

/// One matched time of one compared pair, in plane coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchedPoint {
    /// Index of the first method of the pair (in scenario order).
    pub a: usize,
    /// Index of the second method.
    pub b: usize,
    /// The time t_j.
    pub t: f64,
    /// Where method `a` is at t_j.
    pub at_a: (f64, f64),
    /// Where method `b` is at t_j.
    pub at_b: (f64, f64),
}

/// The matched points of every comparison. `paths[k]` is method k's path in plane coordinates, one
/// point per recorded sample (aligned with `methods[k].trajectory.times`); a method whose path is not
/// aligned (e.g. drawn nowhere) is skipped.
///
/// The times are `MATCHED_TIMES` evenly spaced fractions of the span both methods reached, each moved
/// to the nearest recorded time of the pair's first method (usually the discrete one, so the markers sit
/// on its iterates); the other path is interpolated linearly between its samples there, which is exact
/// when both are recorded on the same grid (the usual case) and the interpolation of a projection is the
/// projection of the interpolation. Non-finite points are left out.
pub fn matched_points(
    methods: &[MethodRun],
    comparisons: &[Comparison],
    paths: &[Vec<(f64, f64)>],
) -> Vec<MatchedPoint> {
    let index = |id: &str| methods.iter().position(|m| m.id == id);
    let mut out = Vec::new();
    for c in comparisons {
        let (Some(a), Some(b)) = (index(&c.a), index(&c.b)) else {
            continue;
        };
        let (ta, tb) = (&methods[a].trajectory.times, &methods[b].trajectory.times);
        let (pa, pb) = (&paths[a], &paths[b]);
        if pa.len() != ta.len() || pb.len() != tb.len() || ta.len() < 2 || tb.len() < 2 {
            continue;
        }
        let reached = |times: &[f64], path: &[(f64, f64)]| {
            times
                .iter()
                .zip(path)
                .rev()
                .find(|(t, p)| t.is_finite() && p.0.is_finite() && p.1.is_finite())
                .map(|(&t, _)| t)
        };
        let (Some(end_a), Some(end_b)) = (reached(ta, pa), reached(tb, pb)) else {
            continue;
        };
        let span = end_a.min(end_b);
        if span.is_nan() || span <= 0.0 {
            continue;
        }
        let mut last_t = 0.0;
        for j in 1..=MATCHED_TIMES {
            let target = span * j as f64 / MATCHED_TIMES as f64;
            let t = nearest(ta, target).min(span);
            if t <= last_t {
                continue;
            }
            last_t = t;
            if let (Some(at_a), Some(at_b)) = (interpolate(ta, pa, t), interpolate(tb, pb, t)) {
                out.push(MatchedPoint { a, b, t, at_a, at_b });
            }
        }
    }
    out
}

/// The recorded time nearest `target` (times ascending).
fn nearest(times: &[f64], target: f64) -> f64 {
    let i = times.partition_point(|&t| t < target);
    match (i.checked_sub(1).map(|j| times[j]), times.get(i)) {
        (Some(lo), Some(&hi)) if target - lo <= hi - target => lo,
        (_, Some(&hi)) => hi,
        (Some(lo), None) => lo,
        (None, None) => target,
    }
}

/// The path at time `t`, linear between the samples around it; `None` outside the recorded span or at
/// a non-finite point.
fn interpolate(times: &[f64], path: &[(f64, f64)], t: f64) -> Option<(f64, f64)> {
    let i = times.partition_point(|&s| s < t);
    let hi = *path.get(i)?;
    let point = if times[i] == t || i == 0 {
        hi
    } else {
        let lo = path[i - 1];
        let w = (t - times[i - 1]) / (times[i] - times[i - 1]);
        (lo.0 + w * (hi.0 - lo.0), lo.1 + w * (hi.1 - lo.1))
    };
    (point.0.is_finite() && point.1.is_finite()).then_some(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_picks_the_closer_sample() {
        let t = [0.0, 0.1, 0.2, 0.3];
        assert_eq!(nearest(&t, 0.14), 0.1);
        assert_eq!(nearest(&t, 0.16), 0.2);
        assert_eq!(nearest(&t, 5.0), 0.3);
        assert_eq!(nearest(&t, -1.0), 0.0);
    }

    #[test]
    fn interpolation_is_exact_on_samples_and_linear_between() {
        let t = [0.0, 1.0, 2.0];
        let p = [(0.0, 0.0), (1.0, 2.0), (3.0, 2.0)];
        assert_eq!(interpolate(&t, &p, 1.0), Some((1.0, 2.0)));
        assert_eq!(interpolate(&t, &p, 1.5), Some((2.0, 2.0)));
        assert_eq!(interpolate(&t, &p, 2.5), None);
    }
}
