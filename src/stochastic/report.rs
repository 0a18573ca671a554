//! The `ensemble` object of summary.json (the ensemble CSV is [`crate::formats`]'s).

use super::{EnsembleStats, STATIONARY_FRACTION};

/// The `ensemble` object of a method in summary.json.
pub fn ensemble_summary(e: &EnsembleStats) -> serde_json::Value {
    let last = e.len().checked_sub(1);
    let q = e.q();
    serde_json::json!({
        "paths": e.paths,
        "blown_up": e.blown_up,
        "first_blow_up_t": e.first_blow_up,
        "trajectory": "ensemble mean of θ; loss column = ensemble mean of L(θ)",
        "param_names": e.param_names,
        "final": last.map(|i| serde_json::json!({
            "t": e.times[i],
            "alive": e.alive[i],
            "loss_mean": e.loss_mean[i],
            "loss_var": e.loss_var[i],
            "param_mean": &e.param_mean[i * q..(i + 1) * q],
            "param_var": &e.param_var[i * q..(i + 1) * q],
        })),
        "stationary": e.stationary().map(|s| {
            let mut v = serde_json::to_value(&s).expect("plain data");
            v["window"] = serde_json::json!(format!(
                "time average over the last {}% of the recorded points",
                STATIONARY_FRACTION * 100.0
            ));
            v
        }),
    })
}
