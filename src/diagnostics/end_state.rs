//! End states: where each method ends — a minimum (the objective's known ones, else a cluster of end
//! points), a period-2 orbit, a divergence, or still moving — and whether two methods end alike.

use crate::method::MethodKind;
use crate::objective::{norm, Objective};
use crate::trajectory::{Termination, Trajectory};
use serde::Serialize;

/// Thresholds of the end-state classification (`[diagnostics.end_state]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EndStateSettings {
    /// ‖∇L‖ at or below this counts as stationary (`converged`).
    pub grad_tolerance: f64,
    /// Two points closer than `tolerance·(1 + ‖θ‖)` are the same point (period detection).
    pub tolerance: f64,
    /// An end point within this distance of a known minimum reaches it; end points within it of each
    /// other share a cluster.
    pub minimum_radius: f64,
}

impl Default for EndStateSettings {
    fn default() -> Self {
        EndStateSettings {
            grad_tolerance: 1e-6,
            tolerance: 1e-8,
            minimum_radius: 1e-3,
        }
    }
}

/// What the end of a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndStatus {
    /// ‖∇L‖ ≤ grad_tolerance at the end point.
    Converged,
    /// The method alternates between two distinct points (θ_{k+2} = θ_k ≠ θ_{k+1}).
    Period2,
    /// The method diverged (a solver failure is `NotConverged`: the flow stopped, it did not blow up).
    Diverged,
    /// None of the above by the horizon.
    NotConverged,
}

/// One point of an end state with its loss and gradient norm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndPoint {
    /// θ.
    pub point: Vec<f64>,
    /// L(θ).
    pub loss: f64,
    /// ‖∇L(θ)‖.
    pub grad_norm: f64,
}

/// Where one method ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndState {
    /// The classification.
    pub status: EndStatus,
    /// The end point (for `period2`, both points of the orbit, the last recorded one first).
    pub points: Vec<EndPoint>,
    /// The label of the minimum reached: `minimum_i` (the i-th of the objective's known minima) or
    /// `cluster_j` (end points grouped when the objective knows no minima); `None` when not converged
    /// or the known minima are all farther than `minimum_radius`.
    pub minimum: Option<String>,
    /// The distance to that minimum (known minima only).
    pub distance_to_minimum: Option<f64>,
}

fn end_point(objective: &dyn Objective, theta: &[f64], grad: &mut [f64]) -> EndPoint {
    objective.gradient(theta, grad);
    EndPoint {
        point: theta.to_vec(),
        loss: objective.loss(theta),
        grad_norm: norm(grad),
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Classifies the end of trajectory `t` of a method of `kind` with step `eta`.
///
/// GD's period is checked on the map itself (two more steps from the last point), so it is found
/// whatever `record_every` is; heavy ball and Nesterov carry a velocity that is not recorded, so their
/// period is read from the last three recorded points (exact with `record_every = 1`).
pub fn classify(
    objective: &dyn Objective,
    kind: &MethodKind,
    eta: f64,
    t: &Trajectory,
    settings: &EndStateSettings,
) -> EndState {
    let d = objective.dim();
    let mut grad = vec![0.0; d];
    let Some(last) = t.last_state() else {
        return EndState {
            status: EndStatus::Diverged,
            points: Vec::new(),
            minimum: None,
            distance_to_minimum: None,
        };
    };
    let end = end_point(objective, last, &mut grad);
    let same = |a: &[f64], b: &[f64]| distance(a, b) <= settings.tolerance * (1.0 + norm(a));
    let finite = end.point.iter().all(|x| x.is_finite()) && end.loss.is_finite();
    let (status, points) = if matches!(t.termination, Termination::Diverged { .. }) || !finite {
        (EndStatus::Diverged, vec![end])
    } else if end.grad_norm <= settings.grad_tolerance {
        (EndStatus::Converged, vec![end])
    } else if matches!(t.termination, Termination::SolverFailed { .. }) || !kind.is_discrete() {
        (EndStatus::NotConverged, vec![end])
    } else {
        // The partner point of a possible 2-cycle.
        let partner: Option<Vec<f64>> = if *kind == MethodKind::Gd {
            let x1: Vec<f64> = last.iter().zip(&grad).map(|(x, g)| x - eta * g).collect();
            objective.gradient(&x1, &mut grad);
            let x2: Vec<f64> = x1.iter().zip(&grad).map(|(x, g)| x - eta * g).collect();
            (same(&x2, last) && !same(&x1, last)).then_some(x1)
        } else if t.len() >= 3 && t.stats.accepted_steps > 0 {
            let (x1, x2) = (t.state(t.len() - 2), t.state(t.len() - 3));
            (same(x2, last) && !same(x1, last)).then(|| x1.to_vec())
        } else {
            None
        };
        match partner {
            Some(p) => {
                let second = end_point(objective, &p, &mut grad);
                (EndStatus::Period2, vec![end, second])
            }
            None => (EndStatus::NotConverged, vec![end]),
        }
    };
    let mut state = EndState {
        status,
        points,
        minimum: None,
        distance_to_minimum: None,
    };
    if status == EndStatus::Converged {
        let p = &state.points[0].point;
        let nearest = objective
            .known_minima()
            .iter()
            .enumerate()
            .map(|(i, m)| (i, distance(m, p)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, dist)) = nearest {
            if dist <= settings.minimum_radius {
                state.minimum = Some(format!("minimum_{i}"));
                state.distance_to_minimum = Some(dist);
            }
        }
    }
    state
}

/// Labels converged end states that reached no known minimum by clustering their end points: points
/// within `radius` of a cluster's first point join it (`cluster_0`, `cluster_1`, … in method order).
/// Only used when the objective lists no known minima.
pub fn cluster(states: &mut [EndState], radius: f64) {
    let mut centres: Vec<Vec<f64>> = Vec::new();
    for s in states.iter_mut() {
        if s.status != EndStatus::Converged || s.minimum.is_some() {
            continue;
        }
        let p = &s.points[0].point;
        let j = match centres.iter().position(|c| distance(c, p) <= radius) {
            Some(j) => j,
            None => {
                centres.push(p.clone());
                centres.len() - 1
            }
        };
        s.minimum = Some(format!("cluster_{j}"));
    }
}

/// True when two methods end alike: both converged to the same minimum or cluster, or both on the same
/// 2-cycle (the same two points, in either order, within `radius`).
pub fn agree(a: &EndState, b: &EndState, radius: f64) -> bool {
    match (a.status, b.status) {
        (EndStatus::Converged, EndStatus::Converged) => match (&a.minimum, &b.minimum) {
            (Some(x), Some(y)) => x == y,
            _ => distance(&a.points[0].point, &b.points[0].point) <= radius,
        },
        (EndStatus::Period2, EndStatus::Period2) => {
            let (a0, a1) = (&a.points[0].point, &a.points[1].point);
            let (b0, b1) = (&b.points[0].point, &b.points[1].point);
            (distance(a0, b0) <= radius && distance(a1, b1) <= radius)
                || (distance(a0, b1) <= radius && distance(a1, b0) <= radius)
        }
        _ => false,
    }
}
