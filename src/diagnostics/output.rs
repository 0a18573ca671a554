//! Writing diagnostics: a `diagnostics` object beside each method and comparison in summary.json
//! (docs/output.md lists the fields; `<id>_sharpness.csv` is [`crate::formats`]'s).

use crate::experiment::Report;

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
