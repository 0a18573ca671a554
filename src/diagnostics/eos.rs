//! Edge of stability (Cohen et al. 2021): a discrete method's sharpness against its linear stability
//! threshold (GD: 2/η), the first time it crosses, and how that compares with when the method leaves
//! its continuous model.

use serde::Serialize;

/// Sharpness against the threshold for one discrete method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeOfStability {
    /// The method's stability threshold on λ_max (GD 2/η; see `MethodKind::stability_threshold`).
    pub threshold: f64,
    /// The first sampled time at which λ_1 > threshold; `None` if it never does.
    pub crossing_time: Option<f64>,
    /// The largest sampled λ_1.
    pub max_sharpness: f64,
    /// The largest sampled λ_1 / threshold.
    pub max_ratio: f64,
}

/// The crossing analysis of sampled sharpness `lambda_1` at `times` against `threshold`.
pub fn edge_of_stability(times: &[f64], lambda_1: &[f64], threshold: f64) -> EdgeOfStability {
    let crossing_time = times
        .iter()
        .zip(lambda_1)
        .find(|(_, &l)| l > threshold)
        .map(|(&t, _)| t);
    let max_sharpness = lambda_1.iter().copied().fold(f64::NAN, f64::max);
    EdgeOfStability {
        threshold,
        crossing_time,
        max_sharpness,
        max_ratio: max_sharpness / threshold,
    }
}

/// How a comparison's departure time relates to the crossing time of its discrete side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartureVsCrossing {
    /// The discrete method whose threshold is used.
    pub method: String,
    /// Its first crossing time (`None`: never crossed).
    pub crossing_time: Option<f64>,
    /// The comparison's departure time (`None`: never departed).
    pub departure_time: Option<f64>,
    /// departure − crossing, when both exist.
    pub departure_minus_crossing: Option<f64>,
    /// `departed_after_crossing`, `departed_before_crossing`, `departed_without_crossing`,
    /// `crossed_without_departing` or `neither`.
    pub relation: &'static str,
}

/// Relates a crossing time to a departure time.
pub fn relate(method: &str, crossing: Option<f64>, departure: Option<f64>) -> DepartureVsCrossing {
    let relation = match (crossing, departure) {
        (Some(c), Some(d)) if d >= c => "departed_after_crossing",
        (Some(_), Some(_)) => "departed_before_crossing",
        (None, Some(_)) => "departed_without_crossing",
        (Some(_), None) => "crossed_without_departing",
        (None, None) => "neither",
    };
    DepartureVsCrossing {
        method: method.to_string(),
        crossing_time: crossing,
        departure_time: departure,
        departure_minus_crossing: crossing.zip(departure).map(|(c, d)| d - c),
        relation,
    }
}
