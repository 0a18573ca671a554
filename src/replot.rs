//! `flowgap plot DIR`: redraws the figures of a finished run from its saved files, without running it.
//!
//! A run saves a copy of its scenario as `DIR/scenario.toml`, its trajectories as
//! `DIR/trajectories/<id>.csv` (θ in `.npy` beside them when d > 128) and `DIR/summary.json` (each
//! method's kind, termination and evaluation counts). [`replot`] reloads the scenario (for the objective
//! and the figure settings), reads the trajectories back into the structs the renderer uses (the CSV
//! holds each f64's shortest round-trip decimal, so they come back bit for bit), recomputes the
//! comparisons and draws. The same renderer on the same data writes the same files.

use crate::compare::compare;
use crate::error::{Error, Result};
use crate::output::{MAX_CSV_DIM, SUMMARY};
use crate::render::{self, FigureInput, FigureKind, ImageFormat};
use crate::run::MethodRun;
use crate::scenario;
use crate::trajectory::{RunStats, Termination, Trajectory};
use std::path::{Path, PathBuf};

/// The scenario copy's name inside an output folder.
pub const SCENARIO_COPY: &str = "scenario.toml";

fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::io(path, std::io::Error::other(message.into()))
}

/// Redraws `figures` (default: the scenario's) in `formats` (default: the scenario's) into `DIR/figures`.
/// Returns the files written.
pub fn replot(
    dir: &Path,
    figures: Option<&[FigureKind]>,
    formats: Option<&[ImageFormat]>,
) -> Result<Vec<PathBuf>> {
    let summary_path = dir.join(SUMMARY);
    let text = std::fs::read_to_string(&summary_path).map_err(|e| Error::io(&summary_path, e))?;
    let summary: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&summary_path, format!("not a flowgap summary: {e}")))?;
    let copy = dir.join(SCENARIO_COPY);
    if !copy.is_file() {
        return Err(bad(
            &copy,
            "missing: this run was written before flowgap saved its scenario; run it again",
        ));
    }
    // The copy is loaded as if it sat where the original did, so relative data paths still resolve.
    let scenario = match summary["scenario"]["source"].as_str().map(PathBuf::from) {
        Some(source) if source.is_file() && std::fs::read(&source).ok() == std::fs::read(&copy).ok() => {
            scenario::load(&source)?
        }
        _ => scenario::load(&copy)?,
    };
    let listed = summary["methods"]
        .as_array()
        .ok_or_else(|| bad(&summary_path, "has no `methods` list"))?;
    let mut methods = Vec::with_capacity(listed.len());
    for m in listed {
        let field = |k: &str| bad(&summary_path, format!("a method lacks `{k}`"));
        let id = m["id"].as_str().ok_or_else(|| field("id"))?.to_string();
        let kind = m["kind"].as_str().ok_or_else(|| field("kind"))?.to_string();
        let discrete = m["discrete"].as_bool().ok_or_else(|| field("discrete"))?;
        let termination: Termination =
            serde_json::from_value(m["termination"].clone()).map_err(|_| field("termination"))?;
        let mut trajectory = read_trajectory(&dir.join("trajectories"), &id, scenario.objective.dim())?;
        trajectory.termination = termination;
        trajectory.stats = RunStats {
            grad_evals: m["grad_evals"].as_u64().unwrap_or(0),
            accepted_steps: m["accepted_steps"].as_u64().unwrap_or(0),
            rejected_steps: m["rejected_steps"].as_u64().unwrap_or(0),
            wall_seconds: 0.0,
        };
        methods.push(MethodRun {
            id,
            kind,
            discrete,
            trajectory,
            // Ensemble statistics are not read back yet; the `ensemble` figure is skipped below.
            ensemble: None,
        });
    }
    let mut comparisons = Vec::with_capacity(scenario.comparisons.len());
    for c in &scenario.comparisons {
        let find = |id: &str| {
            methods
                .iter()
                .find(|m| m.id == id)
                .ok_or_else(|| bad(&summary_path, format!("no method `{id}` for a comparison")))
        };
        let (a, b) = (find(&c.a)?, find(&c.b)?);
        comparisons.push(compare(&c.a, &a.trajectory, &c.b, &b.trajectory, c.tolerance));
    }
    let input = FigureInput {
        title: &scenario.name,
        objective: scenario.objective.as_ref(),
        methods: &methods,
        comparisons: &comparisons,
        step_size: scenario.grid.step_size,
        settings: &scenario.figure,
    };
    let figures = figures.unwrap_or(&scenario.figures);
    let formats = formats.unwrap_or(&scenario.formats);
    let fig_dir = dir.join("figures");
    let mut written = Vec::new();
    for &kind in figures {
        // Not redrawn yet: these need the ensemble statistics and the diagnostics read back from
        // trajectories/<id>_ensemble.csv and <id>_sharpness.csv.
        if matches!(kind, FigureKind::Sharpness | FigureKind::Ensemble) {
            continue;
        }
        written.extend(render::draw(kind, &input, &fig_dir, formats)?);
    }
    Ok(written)
}

/// Reads `dir/<id>.csv` (and `<id>.npy` when θ is not in the CSV) back into a trajectory.
fn read_trajectory(dir: &Path, id: &str, dim: usize) -> Result<Trajectory> {
    let path = dir.join(format!("{id}.csv"));
    let mut reader = csv::Reader::from_path(&path).map_err(|e| bad(&path, e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(&path, e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let with_theta = dim <= MAX_CSV_DIM;
    let first_conserved = 4 + if with_theta { dim } else { 0 };
    if header.len() < first_conserved || header[..4] != ["step", "t", "loss", "grad_norm"] {
        return Err(bad(
            &path,
            format!("expected columns step,t,loss,grad_norm and {dim} θ columns"),
        ));
    }
    let names = header[first_conserved..].to_vec();
    let mut t = Trajectory::with_conserved(dim, 0, names);
    let mut theta = vec![0.0; dim];
    let mut conserved = vec![0.0; header.len() - first_conserved];
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(&path, e.to_string()))?;
        let num = |k: usize| -> Result<f64> {
            record.get(k).and_then(|s| s.parse::<f64>().ok()).ok_or_else(|| {
                bad(
                    &path,
                    format!("row {}: column {} is not a number", row + 2, k + 1),
                )
            })
        };
        let step = record
            .get(0)
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| bad(&path, format!("row {}: bad step", row + 2)))?;
        if with_theta {
            for (i, x) in theta.iter_mut().enumerate() {
                *x = num(4 + i)?;
            }
        }
        for (i, x) in conserved.iter_mut().enumerate() {
            *x = num(first_conserved + i)?;
        }
        t.push(step, num(1)?, &theta, num(2)?, num(3)?, &conserved);
    }
    if !with_theta {
        let npy = dir.join(format!("{id}.npy"));
        let bytes = std::fs::read(&npy).map_err(|e| Error::io(&npy, e))?;
        let array = npyz::NpyFile::new(&bytes[..]).map_err(|e| Error::io(&npy, e))?;
        let data: Vec<f64> = array.into_vec().map_err(|e| Error::io(&npy, e))?;
        if data.len() != t.len() * dim {
            return Err(bad(
                &npy,
                format!("holds {} numbers, expected {} × {dim}", data.len(), t.len()),
            ));
        }
        t.states = data;
    }
    Ok(t)
}
