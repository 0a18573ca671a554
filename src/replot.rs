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

use crate::diagnostics::{self, Diagnostics, SharpnessSeries};
use crate::error::{Error, Result};
use crate::experiment::Report;
use crate::files::{self, MAX_SAVED_BYTES, MAX_SCENARIO_BYTES};
use crate::formats::data_files::{self, DataFilesSummary};
use crate::formats::summary::{EnsembleSummary, SavedRun, SavedSharpness};
use crate::formats::table::{read_saved, read_saved_text, Table};
use crate::formats::{self, DATA_FILES, FIGURES, MAX_CSV_DIM, SCENARIO_COPY, SUMMARY, TRAJECTORIES};
use crate::method::MethodRun;
use crate::output;
use crate::outspec::{FigureKind, FigureStyle, ImageFormat};
use crate::render;
use crate::scenario::{self, Scenario};
use crate::stochastic::{compare_ensembles, EnsembleStats};
use crate::trajectory::{RunStats, Trajectory};
use std::path::{Path, PathBuf};

/// A saved file of the run folder that cannot be used: bad input (exit 2) naming the file.
fn bad(path: &Path, message: impl Into<String>) -> Error {
    files::input_error(path, message)
}

/// Redraws `figures` (default: the scenario's) in `formats` (default: the scenario's) into `DIR/figures`.
/// Returns the files written.
///
/// For a sweep's folder every figure of the sweep is redrawn (PNG, as the sweep draws them); `figures`
/// and `formats` must then be `None`. Every defect of the folder (a saved file missing, cut short, not
/// what flowgap wrote, or a data file changed since the run) is [`Error::Input`] naming the file.
pub fn replot(
    dir: &Path,
    figures: Option<&[FigureKind]>,
    formats: Option<&[ImageFormat]>,
) -> Result<Vec<PathBuf>> {
    replot_in_style(dir, figures, formats, None)
}

/// As [`replot`], with every figure drawn in `style` when one is given (`flowgap plot --style`), in
/// place of the `[output] style` the run or sweep was drawn with: as `flowgap run --style`, a paper
/// style drops the titles and the screen style draws them. The data are the same, so only the look
/// changes; a sweep's folder takes it too.
pub fn replot_in_style(
    dir: &Path,
    figures: Option<&[FigureKind]>,
    formats: Option<&[ImageFormat]>,
    style: Option<FigureStyle>,
) -> Result<Vec<PathBuf>> {
    let summary_path = dir.join(SUMMARY);
    let text = read_saved_text(
        &summary_path,
        MAX_SAVED_BYTES,
        "not a flowgap output folder (a run or a sweep writes summary.json)",
    )?;
    let summary: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&summary_path, format!("not a flowgap summary: {e}")))?;
    if !summary.is_object() {
        return Err(bad(&summary_path, "not a flowgap summary: not a JSON object"));
    }
    let table = dir.join(crate::formats::TABLE);
    if summary.get("axes").is_some() && std::fs::symlink_metadata(&table).is_ok() {
        return replot_sweep(
            dir,
            &summary,
            &table,
            figures.is_some() || formats.is_some(),
            style,
        );
    }
    let (scenario, mut spec) = load_copy(dir, &summary, &summary_path)?.into_parts();
    if let Some(style) = style {
        spec.figure.style = style;
        spec.figure.title = style == FigureStyle::Screen;
    }
    let figures = figures.unwrap_or(&spec.figures).to_vec();
    let formats = formats.unwrap_or(&spec.formats).to_vec();
    let sampled = scenario.diagnostics.is_some_and(|d| d.sharpness.is_some());
    if figures.contains(&FigureKind::Sharpness) && !sampled {
        return Err(bad(
            &dir.join(SCENARIO_COPY),
            "the run sampled no sharpness, which the `sharpness` figure draws: add a \
             [diagnostics.sharpness] table to the scenario and run it again",
        ));
    }
    let saved: SavedRun = serde_json::from_value(summary.clone()).map_err(|e| {
        bad(
            &summary_path,
            format!(
                "not a flowgap run summary: {e} (a method lacks a key, or the `methods` list is missing)"
            ),
        )
    })?;
    let listed = &saved.methods;
    let ids: Vec<&str> = listed.iter().map(|m| m.id.as_str()).collect();
    let scenario_ids: Vec<&str> = scenario.methods.iter().map(|m| m.id.as_str()).collect();
    if ids != scenario_ids {
        return Err(bad(
            &dir.join(SCENARIO_COPY),
            format!(
                "its methods {scenario_ids:?} are not summary.json's {ids:?}: the copy was edited; \
                 only [output] settings may change before `flowgap plot`"
            ),
        ));
    }
    let traj_dir = dir.join(TRAJECTORIES);
    let mut methods = Vec::with_capacity(listed.len());
    for m in listed {
        let (id, kind, discrete) = (m.id.clone(), m.kind.clone(), m.discrete);
        let mut trajectory = read_trajectory(&traj_dir, &id, scenario.objective.dim(), m.recorded_points)?;
        trajectory.termination = m.termination.clone();
        trajectory.stats = RunStats {
            grad_evals: m.grad_evals,
            accepted_steps: m.accepted_steps,
            rejected_steps: m.rejected_steps,
            wall_seconds: 0.0,
            hvps: m.hvps,
        };
        let ensemble = match &m.ensemble {
            Some(saved) if figures.contains(&FigureKind::Ensemble) => {
                Some(read_ensemble(&traj_dir, &id, &trajectory, saved)?)
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
        comparisons.push(c.compare(scenario.objective.as_ref(), &a.trajectory, &b.trajectory));
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
                    &|k| {
                        let eta_k = config_m.grid(&scenario.grid).step_size_at(k);
                        config_m.kind.stability_threshold(eta_k)
                    },
                    saved.diagnostics.as_ref().and_then(|d| d.sharpness.as_ref()),
                )?));
            }
            Some(Diagnostics {
                methods: diagnostics::method_diagnostics(
                    config,
                    scenario.objective.as_ref(),
                    eta,
                    &scenario.methods,
                    &methods,
                    series,
                ),
                comparisons: Vec::new(),
            })
        }
        _ => None,
    };
    // The held-out figure draws the saved losses and accuracies, read back only when it is asked for.
    let held_out = if figures.contains(&FigureKind::HeldOut) {
        methods
            .iter()
            .map(|m| formats::run_csv::read_held_out(&traj_dir, &m.id))
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    // The central figure draws the saved windowed comparisons, read back only when it is asked for.
    let central_comparisons = if figures.contains(&FigureKind::Central) {
        let cmp_dir = dir.join(formats::central::COMPARISONS);
        scenario
            .comparisons
            .iter()
            .map(|c| {
                c.window
                    .map(|w| formats::central::read_comparison(&cmp_dir, &c.a, &c.b, w))
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let report = Report {
        experiment: scenario,
        methods,
        comparisons,
        diagnostics,
        ensemble_comparisons,
        held_out,
        central_series: Vec::new(),
        stable_series: Vec::new(),
        central_comparisons,
        lanczos_unconverged: Vec::new(),
    };
    write_figures(dir, |staging| {
        output::draw_figures(&report, &spec, &figures, &formats, staging)
    })
}

/// Redraws a sweep's figures from its `sweep.csv` and summary.json, as the sweep drew them.
fn replot_sweep(
    dir: &Path,
    summary: &serde_json::Value,
    table: &Path,
    with_choices: bool,
    style: Option<FigureStyle>,
) -> Result<Vec<PathBuf>> {
    if with_choices {
        return Err(bad(
            dir,
            "a sweep's folder: `flowgap plot` redraws every figure of its summary.json as PNG; \
             --figures and --formats apply to a run's folder",
        ));
    }
    let mut saved =
        crate::formats::sweep_summary::SweepSummary::from_value(summary.clone(), &dir.join(SUMMARY))?;
    if let Some(style) = style {
        // A summary from before the settings were saved drew PNG at the defaults: restyle those.
        let output = saved
            .plan
            .output
            .get_or_insert_with(|| crate::outspec::OutputSpec::figures(Vec::new()).saved());
        output.style = <&str>::from(style).to_string();
        output.title = style == FigureStyle::Screen;
    }
    if saved.shard.is_some() {
        return Err(bad(
            dir,
            "one shard of a sweep, which draws no figures: join the parts with `flowgap merge`, then plot \
             the merged folder",
        ));
    }
    // The table is read by the renderer: refuse a FIFO or a huge file before it opens it.
    files::open_regular(table, MAX_SAVED_BYTES)?;
    write_figures(dir, |staging| render::sweep_figures(&saved.plan, table, staging))
}

/// The one place `flowgap plot` writes: draws into a fresh folder beside `DIR/figures`, then renames
/// each file into `DIR/figures`. A rename replaces a link planted at a figure's name instead of
/// writing through it; a `figures` that is a link or not a folder, or a figure name taken by a folder
/// or a special file, is refused before anything is written. A failure leaves the old figures.
fn write_figures(dir: &Path, draw: impl FnOnce(&Path) -> Result<Vec<PathBuf>>) -> Result<Vec<PathBuf>> {
    let figures = dir.join(FIGURES);
    match std::fs::symlink_metadata(&figures) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(bad(
                &figures,
                "is a symbolic link; `flowgap plot` writes only into the run folder's own `figures` \
                 folder: remove the link",
            ))
        }
        Ok(m) if !m.is_dir() => {
            return Err(bad(
                &figures,
                "is not a folder; `flowgap plot` writes the figures there: move it away",
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&figures, e)),
    }
    let staging = dir.join(format!(".{FIGURES}.plot-{}", std::process::id()));
    // A leftover of a killed `plot` with the same process id: remove_dir_all removes a link, not its target.
    let _ = std::fs::remove_dir_all(&staging).or_else(|_| std::fs::remove_file(&staging));
    std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let result = draw(&staging).and_then(|drawn| move_into(&staging, &drawn, &figures));
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// Moves every file of `staging` into `figures` (created if missing) by rename, after checking that no
/// name is taken there by something other than a file or a link. Returns the new paths: those of
/// `drawn` in its order, then any other file the renderer left in `staging`.
fn move_into(staging: &Path, drawn: &[PathBuf], figures: &Path) -> Result<Vec<PathBuf>> {
    // `--figures loss,loss` draws a file twice: it is moved once.
    let mut names: Vec<std::ffi::OsString> = Vec::new();
    for name in drawn.iter().filter_map(|p| p.file_name()) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_os_string());
        }
    }
    let mut others = Vec::new();
    for entry in std::fs::read_dir(staging).map_err(|e| Error::io(staging, e))? {
        let name = entry.map_err(|e| Error::io(staging, e))?.file_name();
        if !names.contains(&name) {
            others.push(name);
        }
    }
    others.sort();
    names.extend(others);
    let run_dir = figures.parent().unwrap_or(figures);
    for name in &names {
        let target = figures.join(name);
        if let Ok(m) = std::fs::symlink_metadata(&target) {
            if !m.is_file() && !m.file_type().is_symlink() {
                return Err(bad(
                    &target,
                    "is not a regular file; `flowgap plot` would replace it with the figure: move it away",
                ));
            }
            let rel = format!("{FIGURES}/{}", name.to_string_lossy());
            if crate::outdir::wrote(run_dir, &rel)? == Some(false) {
                return Err(bad(
                    &target,
                    "was not written by flowgap (it is not in the run's manifest); `flowgap plot` would \
                     replace it with the figure: move it away",
                ));
            }
        }
    }
    match std::fs::create_dir(figures) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(Error::io(figures, e)),
        _ => {}
    }
    let mut written = Vec::with_capacity(names.len());
    for name in names {
        let target = figures.join(&name);
        std::fs::rename(staging.join(&name), &target).map_err(|e| Error::io(&target, e))?;
        written.push(target);
    }
    // New figure names join the manifest, so that the next run into this folder counts them as flowgap's.
    if crate::outdir::wrote(run_dir, FIGURES)?.is_some() {
        crate::outdir::record(run_dir, &written)?;
    }
    Ok(written)
}

/// Loads the scenario copy `DIR/scenario.toml` as the run had it.
///
/// A run folder whose summary.json records its data files ([`DATA_FILES`]) is loaded as if the copy
/// sat in the folder the run's data paths resolved against, after checking that every data file is
/// still there with the bytes the run read. An older folder loads the original scenario when it is
/// still where the run found it and unchanged, else the copy in place.
fn load_copy(dir: &Path, summary: &serde_json::Value, summary_path: &Path) -> Result<Scenario> {
    let copy = dir.join(SCENARIO_COPY);
    let text = read_saved_text(
        &copy,
        MAX_SCENARIO_BYTES,
        "this run was written before flowgap saved its scenario; run it again",
    )?;
    let Some(saved) = summary.get(DATA_FILES) else {
        let source = summary["scenario"]["source"].as_str().map(PathBuf::from);
        if let Some(source) = source.filter(|s| s.is_file()) {
            if files::read_limited(&source, MAX_SCENARIO_BYTES).is_ok_and(|b| b == text.as_bytes()) {
                return scenario::parse(&text, &source);
            }
        }
        return scenario::parse(&text, &copy);
    };
    let saved: DataFilesSummary = serde_json::from_value(saved.clone()).map_err(|e| {
        bad(
            summary_path,
            format!("`{DATA_FILES}` is not what flowgap writes: {e}"),
        )
    })?;
    let folder = saved.folder;
    for f in &saved.files {
        let path = folder.join(&f.path);
        let Some(pinned) = &f.hash else {
            continue;
        };
        let now = data_files::hash_file(&path).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => bad(
                &path,
                format!(
                    "missing: the run in {} read this data file; `flowgap plot` needs it to rebuild the \
                     objective: put it back",
                    dir.display()
                ),
            ),
            other => other,
        })?;
        if &now != pinned {
            return Err(bad(
                &path,
                format!(
                    "changed since the run in {} read it (hash {now}, the run's {pinned}): the figures \
                     would not be the run's; restore the file, or run the scenario again",
                    dir.display()
                ),
            ));
        }
    }
    // Errors name the copy: its lines are the text's, wherever it is parsed as sitting.
    let at = folder.join(SCENARIO_COPY);
    scenario::parse(&text, &at).map_err(|e| match e {
        Error::Scenario {
            mut location,
            key,
            message,
        } if location.file == at => {
            location.file = copy.clone();
            Error::Scenario {
                location,
                key,
                message,
            }
        }
        other => other,
    })
}

/// Reads `dir/<id>_sharpness.csv` (written by the run's output) back into the
/// series the run computed: the samples bit for bit, their indices into `trajectory` (matched by step),
/// and the summary numbers recomputed from them. `method`, `hvps` and `unconverged_points` come from
/// `saved`, the method's `diagnostics.sharpness` object in summary.json.
fn read_sharpness(
    dir: &Path,
    id: &str,
    trajectory: &Trajectory,
    threshold: &dyn Fn(u64) -> Option<f64>,
    saved: Option<&SavedSharpness>,
) -> Result<SharpnessSeries> {
    let csv = Table::read(
        dir.join(formats::sharpness_csv(id)),
        "`flowgap plot` needs it for the sharpness figure",
    )?;
    // An adaptive method's file ends with the preconditioned sharpness and its threshold.
    let preconditioned = csv.header.len() >= 2
        && csv.header[csv.header.len() - 2..] == formats::run_csv::PRECONDITIONED_COLUMNS;
    let extra = if preconditioned { 2 } else { 0 };
    let k = csv.header.len().saturating_sub(4 + extra);
    let mut expected = vec!["step".to_string(), "t".to_string()];
    expected.extend((1..=k).map(|i| format!("lambda_{i}")));
    expected.extend(["lambda_min".to_string(), "threshold".to_string()]);
    if preconditioned {
        expected.extend(formats::run_csv::PRECONDITIONED_COLUMNS.map(String::from));
    }
    if k == 0 || csv.header != expected {
        return Err(csv.error(
            None,
            None,
            "expected the columns step,t,lambda_1..lambda_k,lambda_min,threshold (and, for an adaptive \
             method, preconditioned_lambda_1,preconditioned_threshold)",
        ));
    }
    let mut preconditioned_lambda_1 = Vec::new();
    let mut preconditioned_threshold: Option<f64> = None;
    let n = csv.rows.len();
    let mut s = SharpnessSeries {
        method: if saved.is_some_and(|s| s.method == "lanczos") {
            "lanczos"
        } else {
            "exact"
        },
        hvps: saved.map_or(0, |s| s.hvps),
        unconverged_points: saved.map_or(0, |s| s.unconverged_points),
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
        preconditioned: None,
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
        let threshold = threshold(step);
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
        if preconditioned {
            preconditioned_lambda_1.push(csv.num(r, 4 + k)?);
            let th = csv.num(r, 5 + k)?;
            if !(th.is_finite() && th > 0.0)
                || preconditioned_threshold.is_some_and(|x| x.to_bits() != th.to_bits())
            {
                return Err(csv.error(
                    Some(r),
                    Some(5 + k),
                    format!("`{th}` is not the one positive preconditioned threshold of every row"),
                ));
            }
            preconditioned_threshold = Some(th);
        }
        s.indices.push(i);
        s.times.push(t);
    }
    s.summarise();
    if let Some(th) = preconditioned_threshold {
        s.preconditioned = Some(diagnostics::PreconditionedSharpness::new(
            th,
            preconditioned_lambda_1,
            0,
            0,
        ));
    }
    Ok(s)
}

/// Reads `dir/<id>_ensemble.csv` (written by [`crate::stochastic::write_ensemble_csv`]) back into the
/// statistics the run computed: the columns bit for bit, `paths`, `blown_up` and `first_blow_up` from
/// `saved` (the method's `ensemble` object in summary.json), the mean path θ from `trajectory`.
fn read_ensemble(
    dir: &Path,
    id: &str,
    trajectory: &Trajectory,
    saved: &EnsembleSummary,
) -> Result<EnsembleStats> {
    let csv = Table::read(
        dir.join(formats::ensemble_csv(id)),
        "`flowgap plot` needs it for the ensemble figure",
    )?;
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
    if saved.param_names != param_names {
        return Err(csv.error(
            None,
            None,
            format!(
                "its statistics {param_names:?} are not summary.json's `param_names` {:?}",
                saved.param_names
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
        paths: saved.paths,
        blown_up: saved.blown_up,
        first_blow_up: saved.first_blow_up,
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

/// Reads `dir/<id>.csv` (and `<id>.npy` when θ is not in the CSV) back into a trajectory. Every row
/// must be complete, the steps strictly increasing, and the rows as many as summary.json's
/// `recorded_points` for the method (when it says).
fn read_trajectory(dir: &Path, id: &str, dim: usize, recorded: Option<u64>) -> Result<Trajectory> {
    let table = Table::read(
        dir.join(formats::trajectory_csv(id)),
        &format!("the run saved method `{id}`'s trajectory there"),
    )?;
    let Table { path, header, rows } = table;
    let with_theta = dim <= MAX_CSV_DIM;
    let first_conserved = 4 + if with_theta { dim } else { 0 };
    if header.len() < first_conserved || header[..4] != ["step", "t", "loss", "grad_norm"] {
        return Err(bad(
            &path,
            format!("expected columns step,t,loss,grad_norm and {dim} θ columns"),
        ));
    }
    if rows.is_empty() || recorded.is_some_and(|n| n != rows.len() as u64) {
        return Err(bad(
            &path,
            format!(
                "has {} rows but summary.json records {} points of `{id}`: the file was cut short or edited",
                rows.len(),
                recorded.map_or("at least one".to_string(), |n| n.to_string())
            ),
        ));
    }
    let names = header[first_conserved..].to_vec();
    let mut t = Trajectory::with_conserved(dim, 0, names);
    let mut theta = vec![0.0; dim];
    let mut conserved = vec![0.0; header.len() - first_conserved];
    for (row, record) in rows.iter().enumerate() {
        let at = |message: String| bad(&path, format!("row {}: {message}", row + 2));
        let num = |k: usize| -> Result<f64> {
            record
                .get(k)
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or_else(|| at(format!("column {} is not a number", k + 1)))
        };
        let step = record
            .get(0)
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| at("bad step".to_string()))?;
        if let Some(&previous) = t.steps.last() {
            if step <= previous {
                return Err(at(format!(
                    "step {step} does not follow step {previous}: the rows are out of order"
                )));
            }
        }
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
        t.states = read_npy(&dir.join(formats::trajectory_npy(id)), t.len(), dim)?;
    }
    Ok(t)
}

/// Reads the n × `dim` float64 array of `path` (written by the run beside its CSV of n rows).
fn read_npy(path: &Path, n: usize, dim: usize) -> Result<Vec<f64>> {
    let bytes = read_saved(
        path,
        MAX_SAVED_BYTES,
        "the run saved θ there (more than 128 parameters)",
    )?;
    let not_ours = |e: std::io::Error| bad(path, format!("not a flowgap .npy array: {e}"));
    let array = npyz::NpyFile::new(&bytes[..]).map_err(not_ours)?;
    let shape = array.shape().to_vec();
    if shape != [n as u64, dim as u64] {
        return Err(bad(
            path,
            format!("has shape {shape:?}, expected [{n}, {dim}] (the CSV's rows × the parameters)"),
        ));
    }
    array.into_vec::<f64>().map_err(not_ours)
}
