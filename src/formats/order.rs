//! `order.json`: what an order-of-accuracy study ([`crate::order`]) writes and its figure draws.

use crate::trajectory::TimeMap;
use serde::Serialize;

/// The file an order study writes.
pub const ORDER_JSON: &str = "order.json";

/// One comparison across the step sizes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderFit {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// max_t ‖θ_a(t) − θ_b(t)‖ at each step size (NaN where nothing was paired).
    pub max_distances: Vec<f64>,
    /// Whether both methods reached the horizon at each step size; only those points are fitted.
    pub completed: Vec<bool>,
    /// How many points entered the fit (completed, finite and positive distances).
    pub points_used: usize,
    /// The least-squares slope of ln(max distance) against ln η (`None` with fewer than 2 points).
    pub slope: Option<f64>,
    /// The fit's intercept: ln(max distance) ≈ intercept + slope·ln η.
    pub intercept: Option<f64>,
}

/// A whole study, as written to `order.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderStudy {
    /// The scenario's name.
    pub scenario: String,
    /// The file it came from.
    pub source: std::path::PathBuf,
    /// The horizon kept fixed: steps·unit of the scenario as written.
    pub t_end: f64,
    /// The time map on which the horizon is kept (t = k·√η when every method uses it, else k·η).
    pub time_map: TimeMap,
    /// The step sizes, as given.
    pub step_sizes: Vec<f64>,
    /// The number of steps run at each η (every step is recorded, so maxima are over all of them).
    pub steps: Vec<u64>,
    /// One fit per `[[compare]]` of the scenario, in file order.
    pub comparisons: Vec<OrderFit>,
}
