//! A run's CSVs in `trajectories/`: `<id>.csv` (the trajectory), `<id>_ensemble.csv` (sgd, sme) and
//! `<id>_sharpness.csv` (`[diagnostics.sharpness]`), written through [`super::table::Writer`]; `flowgap
//! plot` reads them back through [`super::table::Table`].

use super::table::Table;
use super::table::Writer;
use super::{ensemble_csv, held_out_csv, sharpness_csv, trajectory_csv, MAX_CSV_DIM};
use crate::diagnostics::SharpnessSeries;
use crate::error::Result;
use crate::objective::HeldOutSeries;
use crate::stochastic::EnsembleStats;
use crate::trajectory::Trajectory;
use std::path::{Path, PathBuf};

/// Writes `dir/<id>.csv`: `step,t,loss,grad_norm`, then `theta_i` for every parameter when
/// d ≤ [`MAX_CSV_DIM`], then one column per conserved quantity.
pub fn write_trajectory(dir: &Path, id: &str, t: &Trajectory) -> Result<PathBuf> {
    let with_theta = t.dim <= MAX_CSV_DIM;
    let mut header: Vec<String> = ["step", "t", "loss", "grad_norm"].map(String::from).to_vec();
    if with_theta {
        header.extend((0..t.dim).map(|i| format!("theta_{i}")));
    }
    header.extend(t.conserved_names.iter().cloned());
    let mut w = Writer::create(&dir.join(trajectory_csv(id)), &header)?;
    for i in 0..t.len() {
        w.int(t.steps[i])?;
        for x in [t.times[i], t.losses[i], t.grad_norms[i]] {
            w.num(x)?;
        }
        if with_theta {
            for &x in t.state(i) {
                w.num(x)?;
            }
        }
        for &x in t.conserved_at(i) {
            w.num(x)?;
        }
        w.end_row()?;
    }
    w.finish()
}

/// Writes `dir/<id>_ensemble.csv`: `step,t,alive,loss_mean,loss_var`, then `<q>_mean,<q>_var` for every
/// parameter statistic q (`theta_i`, or `theta_norm` when d > [`crate::stochastic::MAX_PARAM_STATS`]).
pub fn write_ensemble(dir: &Path, id: &str, e: &EnsembleStats) -> Result<PathBuf> {
    let mut header: Vec<String> = ["step", "t", "alive", "loss_mean", "loss_var"]
        .map(String::from)
        .to_vec();
    for name in &e.param_names {
        header.push(format!("{name}_mean"));
        header.push(format!("{name}_var"));
    }
    let mut w = Writer::create(&dir.join(ensemble_csv(id)), &header)?;
    let q = e.q();
    for i in 0..e.len() {
        w.int(e.steps[i])?;
        w.num(e.times[i])?;
        w.int(e.alive[i] as u64)?;
        w.num(e.loss_mean[i])?;
        w.num(e.loss_var[i])?;
        for c in 0..q {
            w.num(e.param_mean[i * q + c])?;
            w.num(e.param_var[i * q + c])?;
        }
        w.end_row()?;
    }
    w.finish()
}

/// Writes `dir/<id>_sharpness.csv` of the series `s` sampled on a trajectory whose recorded steps are
/// `steps`: columns `step,t,lambda_1..lambda_k,lambda_min,threshold` (threshold empty for a method
/// without a stability threshold, the continuous models), then, when the series has the preconditioned
/// sharpness of an adaptive method, `preconditioned_lambda_1,preconditioned_threshold`. `threshold(k)`
/// is the threshold at step k (2/η_k for GD under a learning-rate schedule).
pub fn write_sharpness(
    dir: &Path,
    id: &str,
    steps: &[u64],
    s: &SharpnessSeries,
    threshold: &dyn Fn(u64) -> Option<f64>,
) -> Result<PathBuf> {
    let mut header = vec!["step".to_string(), "t".to_string()];
    header.extend((1..=s.k).map(|i| format!("lambda_{i}")));
    header.extend(["lambda_min".to_string(), "threshold".to_string()]);
    if s.preconditioned.is_some() {
        header.extend(PRECONDITIONED_COLUMNS.map(String::from));
    }
    let mut w = Writer::create(&dir.join(sharpness_csv(id)), &header)?;
    for (j, &i) in s.indices.iter().enumerate() {
        w.int(steps[i])?;
        w.num(s.times[j])?;
        for &x in &s.top[j * s.k..(j + 1) * s.k] {
            w.num(x)?;
        }
        w.num(s.min[j])?;
        match threshold(steps[i]) {
            Some(x) => w.num(x)?,
            None => w.text("")?,
        }
        if let Some(p) = &s.preconditioned {
            w.num(p.lambda_1[j])?;
            w.num(p.threshold)?;
        }
        w.end_row()?;
    }
    w.finish()
}

/// The columns `<id>_sharpness.csv` ends with for an adaptive method: λ₁(P⁻¹H) and its threshold.
pub const PRECONDITIONED_COLUMNS: [&str; 2] = ["preconditioned_lambda_1", "preconditioned_threshold"];

/// The columns of `<id>_held_out.csv`: these four, then [`HELD_OUT_ACCURACY_COLUMNS`] for a
/// classification loss.
pub const HELD_OUT_COLUMNS: [&str; 4] = ["step", "t", "train_loss", "test_loss"];

/// The accuracy columns `<id>_held_out.csv` ends with for a classification loss.
pub const HELD_OUT_ACCURACY_COLUMNS: [&str; 2] = ["train_accuracy", "test_accuracy"];

/// Writes `dir/<id>_held_out.csv`: `step,t,train_loss,test_loss`, then `train_accuracy,test_accuracy`
/// when the series has accuracies.
pub fn write_held_out(dir: &Path, id: &str, s: &HeldOutSeries) -> Result<PathBuf> {
    let mut header: Vec<&str> = HELD_OUT_COLUMNS.to_vec();
    if s.classification() {
        header.extend(HELD_OUT_ACCURACY_COLUMNS);
    }
    let mut w = Writer::create(&dir.join(held_out_csv(id)), &header)?;
    for i in 0..s.len() {
        w.int(s.steps[i])?;
        for x in [s.times[i], s.train_loss[i], s.test_loss[i]] {
            w.num(x)?;
        }
        if s.classification() {
            w.num(s.train_accuracy[i])?;
            w.num(s.test_accuracy[i])?;
        }
        w.end_row()?;
    }
    w.finish()
}

/// Reads `dir/<id>_held_out.csv` back (bit for bit: the file holds each number's shortest round-trip
/// form), refusing a file whose columns are not the ones [`write_held_out`] writes.
pub fn read_held_out(dir: &Path, id: &str) -> Result<HeldOutSeries> {
    let csv = Table::read(
        dir.join(held_out_csv(id)),
        "`flowgap plot` needs it for the held_out figure",
    )?;
    let classification = csv.header.len() == 6;
    let mut expected: Vec<&str> = HELD_OUT_COLUMNS.to_vec();
    if classification {
        expected.extend(HELD_OUT_ACCURACY_COLUMNS);
    }
    if csv.header != expected {
        return Err(csv.error(
            None,
            None,
            "expected the columns step,t,train_loss,test_loss (and, for a classification loss, \
             train_accuracy,test_accuracy)",
        ));
    }
    let mut s = HeldOutSeries::default();
    for r in 0..csv.rows.len() {
        s.steps.push(csv.int(r, 0)?);
        s.times.push(csv.num(r, 1)?);
        s.train_loss.push(csv.num(r, 2)?);
        s.test_loss.push(csv.num(r, 3)?);
        if classification {
            s.train_accuracy.push(csv.num(r, 4)?);
            s.test_accuracy.push(csv.num(r, 5)?);
        }
    }
    Ok(s)
}
