//! Comparing two trajectories on the shared time axis: points are paired by time, never by index.

use crate::objective::{norm, Objective};
use crate::trajectory::Trajectory;
use serde::{Deserialize, Serialize};

/// The default departure tolerance on ‖θ_a(t) − θ_b(t)‖ when a scenario sets none.
pub const DEFAULT_DEPARTURE_TOLERANCE: f64 = 1e-3;

/// How two methods' paths differ over their common times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// The distance above which the paths count as departed.
    pub tolerance: f64,
    /// The number of paired times.
    pub paired_points: usize,
    /// max_t ‖θ_a(t) − θ_b(t)‖ over the paired times (NaN when none).
    pub max_distance: f64,
    /// The time of that maximum.
    pub t_max_distance: f64,
    /// The distance at the last paired time.
    pub final_distance: f64,
    /// The last paired time (where both methods still have points).
    pub t_final: f64,
    /// L_a − L_b at the last paired time.
    pub final_loss_gap: f64,
    /// max_t |L_a(t) − L_b(t)|.
    pub max_abs_loss_gap: f64,
    /// The first paired time where the distance exceeds `tolerance`; `None` if it never does.
    pub departure_time: Option<f64>,
    /// True when `a` entered as its midpoint iterates w̄_k = ¼(w_{k−1} + 2w_k + w_{k+1}) ([`midpoints`]);
    /// absent from summary.json when false, so older summaries read back unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub midpoint: bool,
    /// The paired times.
    #[serde(skip)]
    pub times: Vec<f64>,
    /// ‖θ_a(t) − θ_b(t)‖ at each paired time.
    #[serde(skip)]
    pub distances: Vec<f64>,
    /// L_a(t) − L_b(t) at each paired time.
    #[serde(skip)]
    pub loss_gaps: Vec<f64>,
}

/// True when two times on the shared axis are the same sample (they are computed as k·η on both sides,
/// so they agree to rounding).
pub fn same_time(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
}

/// Pairs `a` and `b` by time and measures how far apart they are.
pub fn compare(a_id: &str, a: &Trajectory, b_id: &str, b: &Trajectory, tolerance: f64) -> Comparison {
    let mut times = Vec::new();
    let mut distances = Vec::new();
    let mut loss_gaps = Vec::new();
    let mut diff = vec![0.0; a.dim];
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (ta, tb) = (a.times[i], b.times[j]);
        if same_time(ta, tb) {
            for ((d, x), y) in diff.iter_mut().zip(a.state(i)).zip(b.state(j)) {
                *d = x - y;
            }
            times.push(ta);
            distances.push(norm(&diff));
            loss_gaps.push(a.losses[i] - b.losses[j]);
            i += 1;
            j += 1;
        } else if ta < tb {
            i += 1;
        } else {
            j += 1;
        }
    }
    let (mut max_distance, mut t_max_distance) = (f64::NAN, f64::NAN);
    for (&t, &d) in times.iter().zip(&distances) {
        if max_distance.is_nan() || d > max_distance {
            max_distance = d;
            t_max_distance = t;
        }
    }
    let departure_time = times
        .iter()
        .zip(&distances)
        .find(|(_, &d)| d > tolerance)
        .map(|(&t, _)| t);
    Comparison {
        a: a_id.to_string(),
        b: b_id.to_string(),
        tolerance,
        paired_points: times.len(),
        max_distance,
        t_max_distance,
        final_distance: distances.last().copied().unwrap_or(f64::NAN),
        t_final: times.last().copied().unwrap_or(f64::NAN),
        final_loss_gap: loss_gaps.last().copied().unwrap_or(f64::NAN),
        max_abs_loss_gap: loss_gaps.iter().map(|g| g.abs()).fold(f64::NAN, f64::max),
        departure_time,
        midpoint: false,
        times,
        distances,
        loss_gaps,
    }
}

/// GD's midpoint iterates w̄_k = ¼(w_{k−1} + 2w_k + w_{k+1}) of a discrete trajectory recorded at every
/// step, for k = 1..n−1 of its n recorded points (Cohen et al. 2025 compare the central flow with them: a
/// period-2 oscillation w_k = c + (−1)^k·a cancels exactly). Each point keeps step k and time t_k; its
/// loss is L(w̄_k) and its gradient norm ‖∇L(w̄_k)‖ (the objective evaluated there, not GD's loss).
/// Points whose neighbours are not the steps k ± 1 (a trajectory recorded less often, or a diverged last
/// row off the cadence) are skipped. The termination and the work counts are `a`'s.
pub fn midpoints(a: &Trajectory, objective: &dyn Objective) -> Trajectory {
    let d = a.dim;
    let n = a.len();
    let mut out = Trajectory::with_capacity(d, n.saturating_sub(2));
    let (mut w, mut grad) = (vec![0.0; d], vec![0.0; d]);
    for k in 1..n.saturating_sub(1) {
        if a.steps[k - 1] + 1 != a.steps[k] || a.steps[k] + 1 != a.steps[k + 1] {
            continue;
        }
        let (prev, here, next) = (a.state(k - 1), a.state(k), a.state(k + 1));
        for i in 0..d {
            w[i] = 0.25 * (prev[i] + 2.0 * here[i] + next[i]);
        }
        let loss = objective.loss_gradient(&w, &mut grad);
        out.push(a.steps[k], a.times[k], &w, loss, norm(&grad), &[]);
    }
    out.termination = a.termination.clone();
    out.stats = a.stats;
    out
}
