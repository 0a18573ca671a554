//! Edge of stability (Cohen et al. 2021): a discrete method's sharpness against its linear stability
//! threshold (GD: 2/η), the first time it crosses, how far it strays from the threshold afterwards
//! (hovering), and how that compares with when the method leaves its continuous model. For the adaptive
//! methods the same statistics are taken of the preconditioned sharpness λ₁(P⁻¹H) against their
//! preconditioned threshold (Cohen et al. 2022).

use serde::Serialize;

/// Sharpness against the threshold for one discrete method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeOfStability {
    /// What is compared with the threshold: `sharpness` (λ_max(H)) or, for the adaptive methods,
    /// `preconditioned_sharpness` (λ₁(P⁻¹H)).
    pub quantity: &'static str,
    /// The method's stability threshold on that quantity (GD 2/η, see
    /// `MethodKind::stability_threshold`; Adam (2 + 2β₁)/((1 − β₁)η), see
    /// `MethodKind::preconditioned_threshold`).
    pub threshold: f64,
    /// The first sampled time at which λ_1 > threshold; `None` if it never does.
    pub crossing_time: Option<f64>,
    /// The largest sampled λ_1.
    pub max_sharpness: f64,
    /// The largest sampled λ_1 / threshold.
    pub max_ratio: f64,
    /// The smallest λ_1 / threshold from the first crossing to the end (`None`: never crossed).
    pub hover_min_ratio: Option<f64>,
    /// The largest λ_1 / threshold from the first crossing to the end (`None`: never crossed).
    pub hover_max_ratio: Option<f64>,
}

/// The crossing analysis of sampled sharpness `lambda_1` at `times` against `threshold`; `quantity`
/// names what `lambda_1` is (see [`EdgeOfStability::quantity`]).
pub fn edge_of_stability(
    quantity: &'static str,
    times: &[f64],
    lambda_1: &[f64],
    threshold: f64,
) -> EdgeOfStability {
    let first = lambda_1.iter().position(|&l| l > threshold);
    let crossing_time = first.map(|j| times[j]);
    let max_sharpness = lambda_1.iter().copied().fold(f64::NAN, f64::max);
    let after = first.map(|j| lambda_1[j..].iter().map(|l| l / threshold));
    EdgeOfStability {
        quantity,
        threshold,
        crossing_time,
        max_sharpness,
        max_ratio: max_sharpness / threshold,
        hover_min_ratio: after.clone().map(|r| r.fold(f64::NAN, f64::min)),
        hover_max_ratio: after.map(|r| r.fold(f64::NAN, f64::max)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_and_hovering_from_hand_made_samples() {
        // Threshold 10: rises, crosses at t = 3 (11), then stays in [9, 12].
        let times = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let l1 = [2.0, 5.0, 9.5, 11.0, 9.0, 12.0];
        let e = edge_of_stability("sharpness", &times, &l1, 10.0);
        assert_eq!(e.crossing_time, Some(3.0));
        assert_eq!(e.max_sharpness, 12.0);
        assert_eq!(e.max_ratio, 1.2);
        assert_eq!(e.hover_min_ratio, Some(0.9));
        assert_eq!(e.hover_max_ratio, Some(1.2));
        let never = edge_of_stability("sharpness", &times[..3], &l1[..3], 10.0);
        assert_eq!((never.crossing_time, never.hover_min_ratio), (None, None));
    }
}
