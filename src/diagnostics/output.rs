//! Writing diagnostics: a `diagnostics` object beside each method and comparison in summary.json, and
//! `trajectories/<id>_sharpness.csv` per method (docs/output.md lists the fields).

use crate::error::{Error, Result};
use crate::experiment::Report;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Adds `"diagnostics"` to each method and comparison of a summary built by
/// [`crate::output::summary`]; a no-op when the run has no diagnostics.
pub fn attach(summary: &mut serde_json::Value, report: &Report) {
    let Some(diag) = &report.diagnostics else {
        return;
    };
    if let Some(methods) = summary["methods"].as_array_mut() {
        for (m, d) in methods.iter_mut().zip(&diag.methods) {
            m["diagnostics"] = serde_json::to_value(d).expect("plain data");
        }
    }
    if let Some(comparisons) = summary["comparisons"].as_array_mut() {
        for (c, d) in comparisons.iter_mut().zip(&diag.comparisons) {
            c["diagnostics"] = serde_json::to_value(d).expect("plain data");
        }
    }
    summary["diagnostics_settings"] =
        serde_json::to_value(report.experiment.diagnostics).expect("plain data");
}

/// Writes `<id>_sharpness.csv` into `dir` for every method with sharpness samples: columns
/// `step,t,lambda_1..lambda_k,lambda_min,threshold` (threshold empty for continuous models).
pub fn write_csvs(report: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    let Some(diag) = &report.diagnostics else {
        return Ok(Vec::new());
    };
    let eta = report.experiment.grid.step_size;
    let mut written = Vec::new();
    for ((m, d), config) in report
        .methods
        .iter()
        .zip(&diag.methods)
        .zip(&report.experiment.methods)
    {
        let Some(s) = &d.sharpness else { continue };
        let path = dir.join(format!("{}_sharpness.csv", m.id));
        let io = |e| Error::io(&path, e);
        let file = std::fs::File::create(&path).map_err(io)?;
        let mut w = std::io::BufWriter::new(file);
        let mut header = String::from("step,t");
        for i in 1..=s.k {
            header.push_str(&format!(",lambda_{i}"));
        }
        header.push_str(",lambda_min,threshold");
        writeln!(w, "{header}").map_err(io)?;
        let threshold = config
            .kind
            .stability_threshold(eta)
            .map_or(String::new(), |x| x.to_string());
        for (j, &i) in s.indices.iter().enumerate() {
            write!(w, "{},{}", m.trajectory.steps[i], s.times[j]).map_err(io)?;
            for x in &s.top[j * s.k..(j + 1) * s.k] {
                write!(w, ",{x}").map_err(io)?;
            }
            writeln!(w, ",{},{threshold}", s.min[j]).map_err(io)?;
        }
        w.flush().map_err(io)?;
        written.push(path);
    }
    Ok(written)
}
