//! Drift of the quantities gradient flow conserves (see [`crate::objective::Objective::conserved`]),
//! measured along every method's recorded path: a flow should keep them to its solver tolerance, a
//! discrete method moves them by O(η²) per step.

use crate::trajectory::Trajectory;
use serde::Serialize;

/// How far one conserved quantity moved along a path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConservedDrift {
    /// The quantity's name.
    pub name: String,
    /// q(0).
    pub initial: f64,
    /// q at the last recorded point.
    pub final_value: f64,
    /// q(t_end) − q(0).
    pub final_drift: f64,
    /// max_t |q(t) − q(0)| over the recorded points.
    pub max_abs_drift: f64,
}

/// The drift of each conserved quantity recorded in `t` (empty when none are).
pub fn drift(t: &Trajectory) -> Vec<ConservedDrift> {
    if t.is_empty() {
        return Vec::new();
    }
    let first = t.conserved_at(0);
    let last = t.conserved_at(t.len() - 1);
    t.conserved_names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let max_abs_drift = (0..t.len())
                .map(|i| (t.conserved_at(i)[c] - first[c]).abs())
                .fold(0.0, f64::max);
            ConservedDrift {
                name: name.clone(),
                initial: first[c],
                final_value: last[c],
                final_drift: last[c] - first[c],
                max_abs_drift,
            }
        })
        .collect()
}
