//! The central flow's files: `trajectories/<id>_central.csv` (its recorded quantities) and
//! `comparisons/<a>_vs_<b>_central.csv` (GD against it over a window); the stable flow's
//! `trajectories/<id>_stable.csv` (its sharpness and multipliers). Columns: docs/output.md.

use super::table::{Table, Writer};
use crate::continuous::{CentralComparison, CentralComparisonSummary, CentralSeries, StableSeries};
use crate::error::Result;
use std::path::{Path, PathBuf};

/// The comparisons' folder inside a run's output folder.
pub const COMPARISONS: &str = "comparisons";

/// The ending of a central_flow method's recorded quantities file.
pub const CENTRAL_SUFFIX: &str = "_central.csv";

/// The columns of `<id>_central.csv`.
pub const SERIES_COLUMNS: [&str; 7] = [
    "step",
    "t",
    "sharpness",
    "critical",
    "sigma2",
    "loss",
    "predicted_loss",
];

/// The ending of a stable_flow method's recorded quantities file.
pub const STABLE_SUFFIX: &str = "_stable.csv";

/// The columns of `<id>_stable.csv` (`active` is 1 where μ₁ > 0, else 0).
pub const STABLE_COLUMNS: [&str; 7] = [
    "step",
    "t",
    "sharpness",
    "gradient_along",
    "active",
    "mu_sharpness",
    "mu_gradient",
];

/// `<id>_stable.csv`: a stable_flow method's S, ∇L·u, whether the constraints are active, μ₁ and μ₂.
pub fn stable_csv(id: &str) -> String {
    format!("{id}{STABLE_SUFFIX}")
}

/// Writes `dir/<id>_stable.csv` from the series `s`.
pub fn write_stable_series(dir: &Path, id: &str, s: &StableSeries) -> Result<PathBuf> {
    let mut w = Writer::create(&dir.join(stable_csv(id)), STABLE_COLUMNS)?;
    for i in 0..s.len() {
        w.int(s.steps[i])?;
        w.num(s.times[i])?;
        w.num(s.sharpness[i])?;
        w.num(s.gradient_along[i])?;
        w.int(u64::from(s.active[i]))?;
        w.num(s.mu_sharpness[i])?;
        w.num(s.mu_gradient[i])?;
        w.end_row()?;
    }
    w.finish()
}

/// The columns of `<a>_vs_<b>_central.csv`.
pub const COMPARISON_COLUMNS: [&str; 5] = [
    "t",
    "predicted_loss",
    "gd_loss_smoothed",
    "sigma2",
    "gd_sq_displacement_smoothed",
];

/// `<id>_central.csv`: a central_flow method's S, critical count, σ², loss and predicted loss.
pub fn central_csv(id: &str) -> String {
    format!("{id}_central.csv")
}

/// `<a>_vs_<b>_central.csv`: a windowed comparison of GD with the central flow.
pub fn central_comparison_csv(a: &str, b: &str) -> String {
    format!("{a}_vs_{b}_central.csv")
}

/// Writes `dir/<id>_central.csv` from the series `s`.
pub fn write_series(dir: &Path, id: &str, s: &CentralSeries) -> Result<PathBuf> {
    let mut w = Writer::create(&dir.join(central_csv(id)), SERIES_COLUMNS)?;
    for i in 0..s.len() {
        w.int(s.steps[i])?;
        w.num(s.times[i])?;
        w.num(s.sharpness[i])?;
        w.int(s.critical[i] as u64)?;
        w.num(s.sigma2[i])?;
        w.num(s.loss[i])?;
        w.num(s.predicted_loss[i])?;
        w.end_row()?;
    }
    w.finish()
}

/// Writes `dir/<a>_vs_<b>_central.csv` from the comparison `c`.
pub fn write_comparison(dir: &Path, c: &CentralComparison) -> Result<PathBuf> {
    let mut w = Writer::create(&dir.join(central_comparison_csv(&c.a, &c.b)), COMPARISON_COLUMNS)?;
    for r in 0..c.times.len() {
        w.num(c.times[r])?;
        w.num(c.predicted_loss[r])?;
        w.num(c.smoothed_loss[r])?;
        w.num(c.sigma2[r])?;
        w.num(c.smoothed_sq_displacement[r])?;
        w.end_row()?;
    }
    w.finish()
}

/// Reads `dir/<a>_vs_<b>_central.csv` back (the windowed comparison of `a` with the central flow `b` over
/// `window` steps), as `flowgap plot` does for the central figure; the summary is recomputed from the rows.
pub fn read_comparison(dir: &Path, a: &str, b: &str, window: u64) -> Result<CentralComparison> {
    let csv = Table::read(
        dir.join(central_comparison_csv(a, b)),
        "`flowgap plot` needs it for the central figure",
    )?;
    if csv.header != COMPARISON_COLUMNS {
        return Err(csv.error(
            None,
            None,
            format!("expected the columns {}", COMPARISON_COLUMNS.join(",")),
        ));
    }
    let mut c = CentralComparison {
        a: a.to_string(),
        b: b.to_string(),
        window,
        times: Vec::new(),
        predicted_loss: Vec::new(),
        smoothed_loss: Vec::new(),
        sigma2: Vec::new(),
        smoothed_sq_displacement: Vec::new(),
        summary: CentralComparisonSummary::default(),
    };
    for r in 0..csv.rows.len() {
        c.times.push(csv.num(r, 0)?);
        c.predicted_loss.push(csv.num(r, 1)?);
        c.smoothed_loss.push(csv.num(r, 2)?);
        c.sigma2.push(csv.num(r, 3)?);
        c.smoothed_sq_displacement.push(csv.num(r, 4)?);
    }
    Ok(c.summarised())
}
