//! Writing ensembles: `trajectories/<id>_ensemble.csv` and the `ensemble` object of summary.json.

use super::{EnsembleStats, STATIONARY_FRACTION};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `dir/<id>_ensemble.csv`: `step,t,alive,loss_mean,loss_var`, then `<q>_mean,<q>_var` for every
/// parameter statistic q (`theta_i`, or `theta_norm` when d > [`super::MAX_PARAM_STATS`]).
pub fn write_ensemble_csv(id: &str, e: &EnsembleStats, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(format!("{id}_ensemble.csv"));
    let io = |err| Error::io(&path, err);
    let file = std::fs::File::create(&path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    let mut header = String::from("step,t,alive,loss_mean,loss_var");
    for name in &e.param_names {
        header.push_str(&format!(",{name}_mean,{name}_var"));
    }
    writeln!(w, "{header}").map_err(io)?;
    let q = e.q();
    for i in 0..e.len() {
        write!(
            w,
            "{},{},{},{},{}",
            e.steps[i], e.times[i], e.alive[i], e.loss_mean[i], e.loss_var[i]
        )
        .map_err(io)?;
        for c in 0..q {
            write!(w, ",{},{}", e.param_mean[i * q + c], e.param_var[i * q + c]).map_err(io)?;
        }
        writeln!(w).map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(path)
}

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
