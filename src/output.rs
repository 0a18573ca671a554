//! Writing a run: `summary.json`, `trajectories/<id>.csv` (and `.npy` for d > 128), `figures/`.
//!
//! A run's output appears all at once or not at all, and replaces only a folder flowgap made: see
//! [`crate::outdir`], whose staging folder the files are written into.
//!
//! Every file is a function of the scenario alone (byte-identical across runs), except `timing.json`,
//! which holds the wall-clock times.

use crate::error::{Error, Result};
use crate::experiment::Report;
use crate::formats;
use crate::formats::summary::{
    ComparisonSummary, EnsembleSummary, HeldOutBlock, MethodSummary, MethodTiming, RunGridSummary,
    RunSummary, ScenarioSummary, Timing,
};
use crate::method::MethodRun;
use crate::outdir::{Claim, Kind};
use crate::outspec::{FigureKind, ImageFormat, OutputSpec};
use crate::render::{self, FigureInput};
use std::path::{Path, PathBuf};

pub use crate::formats::{MAX_CSV_DIM, SUMMARY, TIMING};

/// Writes `report` into `dir`, replacing a previous run there as one rename, under the rule of
/// [`crate::outdir`] (`force` replaces another scenario's output, never foreign files). Returns the
/// files written (paths inside `dir`).
/// `spec` says which figures to draw and holds the scenario file to save beside them.
pub fn write_report(report: &Report, spec: &OutputSpec, dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    let claim = Claim::new(dir, Kind::Run, &report.experiment.name, force)?;
    write_claimed(report, spec, claim)
}

/// Writes `report` into a folder claimed (and so checked) before the run: into its staging folder,
/// which then replaces the folder. Returns the files written (paths inside the folder).
pub fn write_claimed(report: &Report, spec: &OutputSpec, claim: Claim) -> Result<Vec<PathBuf>> {
    let written = write_into(report, spec, claim.staging()).map_err(|e| claim.relocate(e))?;
    claim.commit(written)
}

fn write_into(report: &Report, spec: &OutputSpec, dir: &Path) -> Result<Vec<PathBuf>> {
    let traj_dir = dir.join(formats::TRAJECTORIES);
    let fig_dir = dir.join(formats::FIGURES);
    for d in [&traj_dir, &fig_dir] {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    let mut written = Vec::new();
    // The scenario as run, so that `flowgap plot` can redraw the figures later.
    if let Some(source) = &spec.source {
        let copy = dir.join(crate::formats::SCENARIO_COPY);
        std::fs::write(&copy, &source.text).map_err(|e| Error::io(&copy, e))?;
        written.push(copy);
    }
    for m in &report.methods {
        written.extend(write_trajectory(m, &traj_dir)?);
        if let Some(e) = &m.ensemble {
            written.push(formats::run_csv::write_ensemble(&traj_dir, &m.id, e)?);
        }
    }
    written.extend(write_sharpness(report, &traj_dir)?);
    for (m, h) in report.methods.iter().zip(&report.held_out) {
        written.push(formats::run_csv::write_held_out(&traj_dir, &m.id, h)?);
    }
    written.extend(write_central(report, &traj_dir, dir)?);
    written.extend(draw_figures(
        report,
        spec,
        &spec.figures,
        &spec.formats,
        &fig_dir,
    )?);
    let path = dir.join(SUMMARY);
    formats::write_json(&path, &summary(report, spec))?;
    written.push(path);
    let path = dir.join(TIMING);
    formats::write_json(&path, &timing(report))?;
    written.push(path);
    Ok(written)
}

/// Draws `figures` of `report` in `formats` into `dir`: what a run draws, and what `flowgap plot` redraws
/// from a report read back from the saved files, at the size `spec` gives. Returns the files written.
pub fn draw_figures(
    report: &Report,
    spec: &OutputSpec,
    figures: &[FigureKind],
    formats: &[ImageFormat],
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let input = FigureInput {
        title: &report.experiment.name,
        objective: report.experiment.objective.as_ref(),
        methods: &report.methods,
        comparisons: &report.comparisons,
        step_size: report.experiment.grid.step_size,
        settings: &spec.figure,
    };
    let mut written = Vec::new();
    for &kind in figures {
        // The sharpness figure draws from the run's diagnostics, which FigureInput does not carry.
        if kind == FigureKind::Sharpness {
            written.extend(render::sharpness::draw(report, &spec.figure, dir, formats)?);
        } else if kind == FigureKind::HeldOut {
            // Drawn from the held-out records, which FigureInput does not carry either.
            written.extend(render::held_out::draw(report, &spec.figure, dir, formats)?);
        } else if kind == FigureKind::Central {
            // Drawn from the windowed comparisons with a central flow, likewise.
            written.extend(render::central::draw(report, &spec.figure, dir, formats)?);
        } else {
            written.extend(render::draw(kind, &input, dir, formats)?);
        }
    }
    Ok(written)
}

/// A learning-rate schedule as summary.json records it: its kind and keys, the smallest and largest η_k,
/// and the time axis.
fn schedule_summary(axis: &crate::schedule::ScheduledAxis) -> serde_json::Value {
    let mut v = serde_json::to_value(&axis.sizes.schedule).expect("plain data");
    let (lo, hi) = axis.range();
    v["min_step_size"] = serde_json::json!(lo);
    v["max_step_size"] = serde_json::json!(hi);
    v["time_axis"] = serde_json::json!(crate::schedule::SUMMED_TIME_AXIS);
    v
}

/// The summary of a run, as summary.json holds it (the schema is documented in docs/output.md); `spec`
/// gives the scenario file.
pub fn summary<'a>(report: &'a Report, spec: &OutputSpec) -> RunSummary<'a> {
    let s = &report.experiment;
    let source = spec.source.as_ref().map(|f| f.path.as_path());
    let eta = s.grid.step_size;
    let diagnostics = report.diagnostics.as_ref();
    let methods = report
        .methods
        .iter()
        .zip(&s.methods)
        .enumerate()
        .map(|(i, (m, config))| {
            let t = &m.trajectory;
            let time_map = config.kind.time_map();
            MethodSummary {
                id: m.id.clone(),
                kind: m.kind.clone(),
                discrete: m.discrete,
                settings: config.kind.settings(),
                schedule: config
                    .own_grid
                    .as_ref()
                    .and_then(|g| g.schedule.as_deref())
                    .map(schedule_summary),
                time_map: match (&config.grid(&s.grid).schedule, time_map) {
                    (Some(_), crate::trajectory::TimeMap::Eta) => crate::schedule::SUMMED_TIME_AXIS,
                    _ => time_map.formula(),
                },
                time_unit: time_map.unit(eta),
                stability_threshold: config.kind.stability_threshold(eta),
                termination: t.termination.clone(),
                recorded_points: t.len(),
                t_end: t.t_end(),
                final_step: t.steps.last().copied(),
                final_loss: t.final_loss(),
                final_grad_norm: t.grad_norms.last().copied(),
                final_point: t.last_state(),
                grad_evals: t.stats.grad_evals,
                accepted_steps: t.stats.accepted_steps,
                rejected_steps: t.stats.rejected_steps,
                hvps: t.stats.hvps,
                lanczos_unconverged: report.lanczos_unconverged.get(i).copied().flatten(),
                ensemble: m.ensemble.as_ref().map(EnsembleSummary::of),
                diagnostics: diagnostics.and_then(|d| d.methods.get(i)),
                held_out: report.held_out.get(i).map(|h| HeldOutBlock {
                    evaluated_at: if m.ensemble.is_some() {
                        "ensemble_mean_theta"
                    } else {
                        "theta"
                    },
                    summary: h.summary(),
                }),
                central: report
                    .central_series
                    .get(i)
                    .and_then(Option::as_ref)
                    .map(|c| c.summary(eta)),
            }
        })
        .collect();
    let comparisons = report
        .comparisons
        .iter()
        .enumerate()
        .map(|(i, comparison)| ComparisonSummary {
            comparison,
            diagnostics: diagnostics.and_then(|d| d.comparisons.get(i)),
            central: report
                .central_comparisons
                .get(i)
                .and_then(Option::as_ref)
                .map(|c| &c.summary),
        })
        .collect();
    RunSummary {
        flowgap_version: env!("CARGO_PKG_VERSION"),
        scenario: ScenarioSummary {
            name: s.name.clone(),
            description: s.description.clone(),
            source: source.map(Path::to_path_buf),
            objective: s.objective_settings.clone(),
            init: s.init.clone(),
            run: RunGridSummary {
                step_size: eta,
                steps: s.grid.steps,
                record_every: s.grid.record_every,
                t_end: s.grid.t_end(),
                divergence_bound: s.divergence_bound,
                schedule: s.grid.schedule.as_deref().map(schedule_summary),
            },
            seed: None,
        },
        methods,
        comparisons,
        ensemble_comparisons: &report.ensemble_comparisons,
        data_files: formats::data_files::summarise(source, &s.objective_settings),
        diagnostics_settings: diagnostics.and(s.diagnostics),
    }
}

/// The wall-clock times of a run as JSON: kept out of summary.json so that it is byte-identical across
/// runs of the same scenario.
pub fn timing(report: &Report) -> Timing {
    Timing {
        methods: report
            .methods
            .iter()
            .map(|m| MethodTiming {
                id: m.id.clone(),
                wall_seconds: m.trajectory.stats.wall_seconds,
            })
            .collect(),
    }
}

/// Writes one method's CSV (and NPY when d > [`MAX_CSV_DIM`]).
fn write_trajectory(m: &MethodRun, dir: &Path) -> Result<Vec<PathBuf>> {
    let t = &m.trajectory;
    let mut out = vec![formats::run_csv::write_trajectory(dir, &m.id, t)?];
    if t.dim > MAX_CSV_DIM {
        let npy_path = dir.join(formats::trajectory_npy(&m.id));
        write_npy(&npy_path, t.len(), t.dim, &t.states)?;
        out.push(npy_path);
    }
    Ok(out)
}

/// Writes `<id>_sharpness.csv` into `dir` for every method with sharpness samples.
fn write_sharpness(report: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    let Some(diag) = &report.diagnostics else {
        return Ok(Vec::new());
    };
    let mut written = Vec::new();
    for ((m, d), config) in report
        .methods
        .iter()
        .zip(&diag.methods)
        .zip(&report.experiment.methods)
    {
        if let Some(s) = &d.sharpness {
            let grid = config.grid(&report.experiment.grid);
            let threshold = |k: u64| config.kind.stability_threshold(grid.step_size_at(k));
            written.push(formats::run_csv::write_sharpness(
                dir,
                &m.id,
                &m.trajectory.steps,
                s,
                &threshold,
            )?);
        }
    }
    Ok(written)
}

/// Writes `trajectories/<id>_central.csv` for every central_flow method, `<id>_stable.csv` for every
/// stable_flow method, and
/// `comparisons/<a>_vs_<b>_central.csv` for every comparison with a window.
fn write_central(report: &Report, traj_dir: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (m, s) in report.methods.iter().zip(&report.central_series) {
        if let Some(s) = s {
            written.push(formats::central::write_series(traj_dir, &m.id, s)?);
        }
    }
    for (m, s) in report.methods.iter().zip(&report.stable_series) {
        if let Some(s) = s {
            written.push(formats::central::write_stable_series(traj_dir, &m.id, s)?);
        }
    }
    if report.central_comparisons.iter().any(Option::is_some) {
        let cmp_dir = dir.join(formats::central::COMPARISONS);
        std::fs::create_dir_all(&cmp_dir).map_err(|e| Error::io(&cmp_dir, e))?;
        for c in report.central_comparisons.iter().flatten() {
            written.push(formats::central::write_comparison(&cmp_dir, c)?);
        }
    }
    Ok(written)
}

/// Writes an n×d float64 array.
fn write_npy(path: &Path, n: usize, d: usize, data: &[f64]) -> Result<()> {
    use npyz::WriterBuilder;
    let io = |e| Error::io(path, e);
    let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[n as u64, d as u64])
        .writer(file)
        .begin_nd()
        .map_err(io)?;
    writer.extend(data.iter().copied()).map_err(io)?;
    writer.finish().map_err(io)
}
