//! `flowgap plot DIR`: redraws the figures of a finished run from its saved files, without running it.
//!
//! A run saves a copy of its scenario as `DIR/scenario.toml`, its trajectories as
//! `DIR/trajectories/<id>.csv` (θ in `.npy` beside them when d > 128), the ensemble statistics of `sgd`
//! and `sme` methods as `<id>_ensemble.csv`, the sampled Hessian spectra of `[diagnostics.sharpness]` as
//! `<id>_sharpness.csv`, and `DIR/summary.json` (each method's kind, termination, evaluation counts and
//! ensemble size). [`replot`] reloads the scenario (for the objective and the figure settings), reads
//! these back into the [`Report`] the renderer uses (the CSVs hold each f64's shortest round-trip
//! decimal, so they come back bit for bit), recomputes the comparisons and the cheap diagnostics, and
//! draws with the same code as the run ([`crate::output::draw_figures`]). The same renderer on the same
//! data writes the same files. Each file beyond the trajectories is read only when a figure asked for
//! needs it.
//!
//! A sweep's folder (`sweep.csv` beside its summary.json) is redrawn from those two files, as the sweep
//! drew it.

use crate::compare::compare;
use crate::diagnostics::{self, Diagnostics, SharpnessSeries};
use crate::error::{Error, Result};
use crate::output::{self, MAX_CSV_DIM, SUMMARY};
use crate::render::{self, FigureKind, ImageFormat};
use crate::run::{MethodRun, Report};
use crate::scenario;
use crate::stochastic::{compare_ensembles, EnsembleStats};
use crate::trajectory::{RunStats, Termination, Trajectory};
use std::path::{Path, PathBuf};

/// The scenario copy's name inside an output folder.
pub const SCENARIO_COPY: &str = "scenario.toml";

/// A saved file of the run folder that cannot be used: a data error (exit 2) naming the file, like the
/// sharpness and ensemble readers' errors; only a failure to read or write is an I/O error.
fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Data {
        file: path.to_path_buf(),
        row: None,
        column: None,
        message: message.into(),
    }
}

/// Redraws `figures` (default: the scenario's) in `formats` (default: the scenario's) into `DIR/figures`.
/// Returns the files written.
///
/// For a sweep's folder every figure of the sweep is redrawn (PNG, as the sweep draws them); `figures`
/// and `formats` must then be `None`.
pub fn replot(
    dir: &Path,
    figures: Option<&[FigureKind]>,
    formats: Option<&[ImageFormat]>,
) -> Result<Vec<PathBuf>> {
    let summary_path = dir.join(SUMMARY);
    let text = std::fs::read_to_string(&summary_path).map_err(|e| Error::io(&summary_path, e))?;
    let summary: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&summary_path, format!("not a flowgap summary: {e}")))?;
    let table = dir.join(crate::sweep::TABLE);
    if table.is_file() && summary.get("axes").is_some() {
        return replot_sweep(dir, &summary, &table, figures.is_some() || formats.is_some());
    }
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
    let figures = figures.unwrap_or(&scenario.figures).to_vec();
    let formats = formats.unwrap_or(&scenario.formats).to_vec();
    let listed = summary["methods"]
        .as_array()
        .ok_or_else(|| bad(&summary_path, "has no `methods` list"))?;
    let ids: Vec<&str> = listed.iter().map(|m| m["id"].as_str().unwrap_or("?")).collect();
    let scenario_ids: Vec<&str> = scenario.methods.iter().map(|m| m.id.as_str()).collect();
    if ids != scenario_ids {
        return Err(bad(
            &copy,
            format!(
                "its methods {scenario_ids:?} are not summary.json's {ids:?}: the copy was edited; \
                 only [output] settings may change before `flowgap plot`"
            ),
        ));
    }
    let traj_dir = dir.join("trajectories");
    let mut methods = Vec::with_capacity(listed.len());
    for m in listed {
        let field = |k: &str| bad(&summary_path, format!("a method lacks `{k}`"));
        let id = m["id"].as_str().ok_or_else(|| field("id"))?.to_string();
        let kind = m["kind"].as_str().ok_or_else(|| field("kind"))?.to_string();
        let discrete = m["discrete"].as_bool().ok_or_else(|| field("discrete"))?;
        let termination: Termination =
            serde_json::from_value(m["termination"].clone()).map_err(|_| field("termination"))?;
        let mut trajectory = read_trajectory(&traj_dir, &id, scenario.objective.dim())?;
        trajectory.termination = termination;
        trajectory.stats = RunStats {
            grad_evals: m["grad_evals"].as_u64().unwrap_or(0),
            accepted_steps: m["accepted_steps"].as_u64().unwrap_or(0),
            rejected_steps: m["rejected_steps"].as_u64().unwrap_or(0),
            wall_seconds: 0.0,
        };
        let ensemble = match &m["ensemble"] {
            saved if saved.is_object() && figures.contains(&FigureKind::Ensemble) => {
                Some(read_ensemble(&traj_dir, &id, &trajectory, saved, &summary_path)?)
            }
            _ => None,
        };
        methods.push(MethodRun {
            id,
            kind,
            discrete,
            trajectory,
            ensemble,
        });
    }
    let mut comparisons = Vec::with_capacity(scenario.comparisons.len());
    let mut ensemble_comparisons = Vec::new();
    for c in &scenario.comparisons {
        let find = |id: &str| {
            methods
                .iter()
                .find(|m| m.id == id)
                .ok_or_else(|| bad(&summary_path, format!("no method `{id}` for a comparison")))
        };
        let (a, b) = (find(&c.a)?, find(&c.b)?);
        comparisons.push(compare(&c.a, &a.trajectory, &c.b, &b.trajectory, c.tolerance));
        if let (Some(ea), Some(eb)) = (&a.ensemble, &b.ensemble) {
            ensemble_comparisons.push(compare_ensembles(&c.a, ea, &c.b, eb));
        }
    }
    // The sharpness figure draws the sampled spectra and the edge-of-stability crossings; the spectra are
    // read back, the rest is recomputed from them as the run did. Lyapunov exponents and the comparisons'
    // diagnostics (summary.json holds them) are not rebuilt: no figure draws them.
    let diagnostics = match &scenario.diagnostics {
        Some(config) if config.sharpness.is_some() && figures.contains(&FigureKind::Sharpness) => {
            let eta = scenario.grid.step_size;
            let mut series = Vec::with_capacity(methods.len());
            for ((m, saved), config_m) in methods.iter().zip(listed).zip(&scenario.methods) {
                series.push(Some(read_sharpness(
                    &traj_dir,
                    &m.id,
                    &m.trajectory,
                    config_m.kind.stability_threshold(eta),
                    &saved["diagnostics"]["sharpness"],
                )?));
            }
            Some(Diagnostics {
                methods: diagnostics::method_diagnostics(config, &scenario, &methods, series),
                comparisons: Vec::new(),
            })
        }
        _ => None,
    };
    let report = Report {
        scenario,
        methods,
        comparisons,
        diagnostics,
        ensemble_comparisons,
    };
    output::draw_figures(&report, &figures, &formats, &dir.join("figures"))
}

/// Redraws a sweep's figures from its `sweep.csv` and summary.json, as the sweep drew them.
fn replot_sweep(
    dir: &Path,
    summary: &serde_json::Value,
    table: &Path,
    with_choices: bool,
) -> Result<Vec<PathBuf>> {
    if with_choices {
        return Err(bad(
            dir,
            "a sweep's folder: `flowgap plot` redraws every figure of its summary.json as PNG; \
             --figures and --formats apply to a run's folder",
        ));
    }
    if !summary["shard"].is_null() {
        return Err(bad(
            dir,
            "one shard of a sweep, which draws no figures: join the parts with `flowgap merge`, then plot \
             the merged folder",
        ));
    }
    render::sweep_figures(summary, table, &dir.join("figures"))
}

/// A saved CSV read whole, whose errors name the file and, where known, the row and the column.
struct Saved {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Saved {
    /// Reads `path`, which `figure` needs.
    fn read(path: PathBuf, figure: &str) -> Result<Saved> {
        let data = |message: String| Error::Data {
            file: path.clone(),
            row: None,
            column: None,
            message,
        };
        let mut reader = csv::Reader::from_path(&path).map_err(|e| {
            data(format!(
                "cannot read it ({e}); `flowgap plot` needs it for {figure}"
            ))
        })?;
        let header = reader
            .headers()
            .map_err(|e| data(format!("not a flowgap CSV: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| data(format!("not a flowgap CSV: {e}")))?;
        Ok(Saved { path, header, rows })
    }

    /// An error at 0-based data row `r` (`None`: the header) and column `c`.
    fn error(&self, r: Option<usize>, c: Option<usize>, message: impl Into<String>) -> Error {
        Error::Data {
            file: self.path.clone(),
            row: Some(r.map_or(1, |r| r + 2)),
            column: c.map(|c| {
                self.header
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", c + 1))
            }),
            message: message.into(),
        }
    }

    fn cell(&self, r: usize, c: usize) -> &str {
        self.rows[r].get(c).unwrap_or("")
    }

    /// The f64 at row `r`, column `c`.
    fn num(&self, r: usize, c: usize) -> Result<f64> {
        let cell = self.cell(r, c);
        cell.parse()
            .map_err(|_| self.error(Some(r), Some(c), format!("`{cell}` is not a number")))
    }

    /// The non-negative integer at row `r`, column `c`.
    fn int(&self, r: usize, c: usize) -> Result<u64> {
        let cell = self.cell(r, c);
        cell.parse().map_err(|_| {
            self.error(
                Some(r),
                Some(c),
                format!("`{cell}` is not a non-negative integer"),
            )
        })
    }
}

/// Reads `dir/<id>_sharpness.csv` (written by [`crate::diagnostics::output::write_csvs`]) back into the
/// series the run computed: the samples bit for bit, their indices into `trajectory` (matched by step),
/// and the summary numbers recomputed from them. `method`, `hvps` and `unconverged_points` come from
/// `saved`, the method's `diagnostics.sharpness` object in summary.json.
fn read_sharpness(
    dir: &Path,
    id: &str,
    trajectory: &Trajectory,
    threshold: Option<f64>,
    saved: &serde_json::Value,
) -> Result<SharpnessSeries> {
    let csv = Saved::read(dir.join(format!("{id}_sharpness.csv")), "the sharpness figure")?;
    let k = csv.header.len().saturating_sub(4);
    let mut expected = vec!["step".to_string(), "t".to_string()];
    expected.extend((1..=k).map(|i| format!("lambda_{i}")));
    expected.extend(["lambda_min".to_string(), "threshold".to_string()]);
    if k == 0 || csv.header != expected {
        return Err(csv.error(
            None,
            None,
            "expected the columns step,t,lambda_1..lambda_k,lambda_min,threshold",
        ));
    }
    let n = csv.rows.len();
    let mut s = SharpnessSeries {
        method: if saved["method"].as_str() == Some("lanczos") {
            "lanczos"
        } else {
            "exact"
        },
        hvps: saved["hvps"].as_u64().unwrap_or(0),
        unconverged_points: saved["unconverged_points"].as_u64().unwrap_or(0) as usize,
        indices: Vec::with_capacity(n),
        times: Vec::with_capacity(n),
        top: Vec::with_capacity(n * k),
        k,
        min: Vec::with_capacity(n),
        initial_lambda_1: f64::NAN,
        final_lambda_1: f64::NAN,
        max_lambda_1: f64::NAN,
        final_lambda_min: f64::NAN,
        min_lambda_min: f64::NAN,
    };
    let mut next = 0;
    for r in 0..n {
        let step = csv.int(r, 0)?;
        let i = trajectory.steps[next.min(trajectory.len())..]
            .iter()
            .position(|&x| x == step)
            .map(|p| next + p)
            .ok_or_else(|| {
                csv.error(
                    Some(r),
                    Some(0),
                    format!("step {step} is not a later recorded point of {id}.csv"),
                )
            })?;
        next = i + 1;
        let t = csv.num(r, 1)?;
        if t.to_bits() != trajectory.times[i].to_bits() {
            return Err(csv.error(
                Some(r),
                Some(1),
                format!(
                    "t = {t} differs from {id}.csv's t = {} at step {step}",
                    trajectory.times[i]
                ),
            ));
        }
        for c in 2..2 + k {
            s.top.push(csv.num(r, c)?);
        }
        s.min.push(csv.num(r, 2 + k)?);
        let cell = csv.cell(r, 3 + k);
        let agrees = match threshold {
            None => cell.is_empty(),
            Some(th) => cell.parse::<f64>().is_ok_and(|x| x.to_bits() == th.to_bits()),
        };
        if !agrees {
            return Err(csv.error(
                Some(r),
                Some(3 + k),
                format!(
                    "`{cell}` is not the method's stability threshold in {SCENARIO_COPY} ({})",
                    threshold.map_or("none: leave the cell empty".to_string(), |x| x.to_string())
                ),
            ));
        }
        s.indices.push(i);
        s.times.push(t);
    }
    s.summarise();
    Ok(s)
}

/// Reads `dir/<id>_ensemble.csv` (written by [`crate::stochastic::write_ensemble_csv`]) back into the
/// statistics the run computed: the columns bit for bit, `paths`, `blown_up` and `first_blow_up` from
/// `saved` (the method's `ensemble` object in summary.json), the mean path θ from `trajectory`.
fn read_ensemble(
    dir: &Path,
    id: &str,
    trajectory: &Trajectory,
    saved: &serde_json::Value,
    summary_path: &Path,
) -> Result<EnsembleStats> {
    let csv = Saved::read(dir.join(format!("{id}_ensemble.csv")), "the ensemble figure")?;
    let fixed = ["step", "t", "alive", "loss_mean", "loss_var"];
    let pairs = &csv.header[fixed.len().min(csv.header.len())..];
    let param_names: Option<Vec<String>> = pairs
        .chunks(2)
        .map(|p| match p {
            [m, v] => m
                .strip_suffix("_mean")
                .filter(|name| *v == format!("{name}_var"))
                .map(str::to_string),
            _ => None,
        })
        .collect();
    let param_names = match param_names {
        Some(names) if csv.header[..fixed.len().min(csv.header.len())] == fixed && !names.is_empty() => names,
        _ => {
            return Err(csv.error(
                None,
                None,
                "expected the columns step,t,alive,loss_mean,loss_var and a <name>_mean,<name>_var pair \
                 per parameter statistic",
            ))
        }
    };
    let from_summary = |key: &str| Error::Data {
        file: summary_path.to_path_buf(),
        row: None,
        column: None,
        message: format!("method `{id}`: its `ensemble` object lacks `{key}`"),
    };
    let listed: Option<Vec<&str>> = saved["param_names"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect());
    if listed.as_deref() != Some(&param_names.iter().map(String::as_str).collect::<Vec<_>>()[..]) {
        return Err(csv.error(
            None,
            None,
            format!(
                "its statistics {param_names:?} are not summary.json's `param_names` {:?}",
                saved["param_names"]
            ),
        ));
    }
    let n = csv.rows.len();
    if n != trajectory.len() {
        return Err(csv.error(
            None,
            None,
            format!(
                "has {n} rows but {id}.csv, the ensemble-mean path, has {} points",
                trajectory.len()
            ),
        ));
    }
    let q = param_names.len();
    let mut e = EnsembleStats {
        paths: saved["paths"].as_u64().ok_or_else(|| from_summary("paths"))? as usize,
        blown_up: saved["blown_up"]
            .as_u64()
            .ok_or_else(|| from_summary("blown_up"))? as usize,
        first_blow_up: saved["first_blow_up_t"].as_f64(),
        param_names,
        steps: Vec::with_capacity(n),
        times: Vec::with_capacity(n),
        alive: Vec::with_capacity(n),
        loss_mean: Vec::with_capacity(n),
        loss_var: Vec::with_capacity(n),
        param_mean: Vec::with_capacity(n * q),
        param_var: Vec::with_capacity(n * q),
        // Not saved: only the golden check's standard errors use the fourth moments, never a figure.
        loss_m4: Vec::new(),
        param_m4: Vec::new(),
        theta_mean: trajectory.states.clone(),
    };
    for r in 0..n {
        let step = csv.int(r, 0)?;
        if step != trajectory.steps[r] {
            return Err(csv.error(
                Some(r),
                Some(0),
                format!(
                    "step {step} differs from {id}.csv's step {} in the same row",
                    trajectory.steps[r]
                ),
            ));
        }
        e.steps.push(step);
        e.times.push(csv.num(r, 1)?);
        e.alive.push(csv.int(r, 2)? as usize);
        e.loss_mean.push(csv.num(r, 3)?);
        e.loss_var.push(csv.num(r, 4)?);
        for c in 0..q {
            e.param_mean.push(csv.num(r, 5 + 2 * c)?);
            e.param_var.push(csv.num(r, 6 + 2 * c)?);
        }
    }
    Ok(e)
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
