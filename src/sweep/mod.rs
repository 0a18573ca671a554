//! Sweeps: one scenario run over a grid of settings, one CSV row per run, in parallel, streamed.
//!
//! The scenario is parsed once; each grid point sets its values in the parsed file and runs the loader's
//! checks on it ([`crate::scenario::sweep::Points`]), so a swept value gets every check a written one
//! gets, and the objective is built once unless an axis changes it.
//! Rows are computed in chunks with rayon and written in index order, so `sweep.csv` is the same byte
//! for byte whatever `--jobs` is, and memory stays bounded by one chunk whatever the grid size.
//! Nothing random depends on timing: the only seeds are the scenario's, swept like any key
//! (`init.seed=0:99:100` gives run i the seed of its grid coordinate).

mod kept;
mod lanes;
mod merge;
mod table;

pub use merge::merge;
pub use table::read_summary;

use crate::error::{Error, Location, Result};
use crate::experiment::Report;
use crate::formats::kept::{KeptHeader, KeptSeries, KeptWriter, KEPT};
use crate::formats::sweep_summary::{
    SavedAxis, SavedFigure, SavedMethod, SavedOutput, SavedShard, SweepPlan, SweepSummary,
};
use crate::formats::table::Writer;
use crate::objective::norm;
use crate::outdir::Claim;
use crate::render;
use crate::scenario::sweep::{self as spec, Axis, Points, SweepFigure, SweepSpec};
use crate::scenario::{self, Scenario};
use crate::trajectory::{Termination, Trajectory};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub use crate::formats::TABLE;

/// Runs computed in parallel before their rows are written: the memory bound.
pub const CHUNK: usize = 1024;

/// A run's end point counts as having reached a known minimum when it lies within this distance of it.
pub const MINIMUM_RADIUS: f64 = 1e-2;

/// The largest dimension whose final point goes into the row (`<id>.x0`, `<id>.x1`).
pub const MAX_POINT_DIM: usize = 2;

/// Which part of the grid this process runs: indices i with i mod count = index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0 ≤ index < count.
    pub index: u64,
    /// The number of parts.
    pub count: u64,
}

impl Shard {
    /// The whole grid.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/N` with 0 ≤ i < N; an error names the flag and says what is allowed.
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || {
            Shard::error(format!(
                "`{s}`: write i/N with integers 0 ≤ i < N (e.g. 0/4 … 3/4)"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Refuses a split into more parts than the grid has runs (a part would be empty).
    pub fn check(self, runs: u64) -> Result<()> {
        if self.count > runs {
            return Err(Shard::error(format!(
                "`{}/{}`: N must be at most the grid's {runs} runs",
                self.index, self.count
            )));
        }
        Ok(())
    }

    /// A bad `--shard`: bad input (exit 2) naming the flag.
    fn error(message: String) -> Error {
        Error::Scenario {
            location: Location {
                file: "--shard".into(),
                line: None,
                column: None,
            },
            key: "shard".into(),
            message,
        }
    }
}

/// The per-method `sweep.csv` columns of held-out evaluation (none without a test split): the final and
/// the lowest test loss, and for a classification loss the final training and test accuracy.
fn held_out_columns(held_out: Option<bool>) -> &'static [&'static str] {
    match held_out {
        None => &[],
        Some(false) => &["test_loss", "best_test_loss"],
        Some(true) => &["test_loss", "best_test_loss", "train_accuracy", "test_accuracy"],
    }
}

/// A sweep ready to run: the base scenario read once, the axes, and the table's columns.
pub struct Plan {
    /// The scenario's name.
    pub name: String,
    /// Its file.
    pub source: PathBuf,
    base: spec::Base,
    /// The axes and figures.
    pub spec: SweepSpec,
    /// The CSV header, in order.
    pub columns: Vec<String>,
    /// The objective's known minima (their index is the `<id>.minimum` column).
    pub minima: Vec<Vec<f64>>,
    /// Method ids and whether each is discrete.
    pub methods: Vec<(String, bool)>,
    /// Comparison column prefixes `<a>_vs_<b>`.
    pub comparisons: Vec<String>,
    dim: usize,
    /// With a held-out split: whether the loss classifies (then the accuracies are columns too).
    held_out: Option<bool>,
    /// True when the rows' GD methods and dopri5 flows (or a network's per-block GD) run many rows at once
    /// through the lanes (see `lanes`).
    lanes: bool,
    /// The scenario's `[output]` figure settings, saved with the plan (the sweep's figures use them).
    output: SavedOutput,
}

impl Plan {
    /// Reads the scenario at `path`, its `[sweep]` table, and the `--grid` axes (which replace file axes
    /// with the same key), and checks every axis value on the base scenario.
    pub fn new(path: &Path, grid: &[String]) -> Result<Plan> {
        let src = scenario::read_source(path)?;
        let base = scenario::parse(&src, path)?;
        let mut sweep = spec::read(&src, path)?;
        for g in grid {
            sweep.set_axis(spec::parse_axis(g).map_err(spec::grid_error)?);
        }
        let runs = sweep
            .axes
            .iter()
            .try_fold(1u64, |acc, a| acc.checked_mul(a.values.len() as u64))
            .filter(|&n| n <= spec::MAX_RUNS);
        if runs.is_none() {
            return Err(spec::grid_error(format!(
                "the grid has more than {} runs; split it, or use fewer values",
                spec::MAX_RUNS
            )));
        }
        let dim = base.experiment.objective.dim();
        let held_out = base.experiment.held_out.as_ref().map(|h| h.classification());
        let minima = base.experiment.objective.known_minima();
        let methods: Vec<(String, bool)> = base
            .experiment
            .methods
            .iter()
            .map(|m| (m.id.clone(), m.kind.is_discrete()))
            .collect();
        let comparisons: Vec<String> = base
            .experiment
            .comparisons
            .iter()
            .map(|c| format!("{}_vs_{}", c.a, c.b))
            .collect();
        let mut columns = vec!["index".to_string()];
        columns.extend(sweep.axes.iter().map(|a| a.key.clone()));
        for (id, discrete) in &methods {
            for c in ["termination", "final_loss", "grad_norm", "stop_step", "mean_loss"] {
                columns.push(format!("{id}.{c}"));
            }
            for c in held_out_columns(held_out) {
                columns.push(format!("{id}.{c}"));
            }
            if dim <= MAX_POINT_DIM {
                columns.extend((0..dim).map(|i| format!("{id}.x{i}")));
            }
            if !minima.is_empty() {
                columns.push(format!("{id}.minimum"));
            }
            if *discrete {
                columns.extend((0..sweep.tail).map(|j| format!("{id}.tail_{j}")));
            }
        }
        for c in &comparisons {
            columns.push(format!("{c}.max_distance"));
            columns.push(format!("{c}.departure_time"));
        }
        if !sweep.figures_declared {
            sweep.figures = spec::default_figures(&sweep.axes, &comparisons, !minima.is_empty());
        }
        spec::check_plan(&mut sweep, &src, path, &base)?;
        let lanes = lanes::eligible(&base, &sweep.axes);
        let name = base.experiment.name.clone();
        let output = base.output.saved();
        let plan = Plan {
            name,
            source: path.to_path_buf(),
            base: spec::Base::new(src, path, base, &sweep.axes)?,
            spec: sweep,
            columns,
            minima,
            methods,
            comparisons,
            dim,
            held_out,
            lanes,
            output,
        };
        plan.check_axes()?;
        Ok(plan)
    }

    /// True when the rows' GD methods (and dopri5 gradient flows) run many rows at once through the
    /// lane-wise loops: every axis is an `init.point[i]` key and the objective has a lane form
    /// ([`crate::objective::LaneObjective`]), or the objective is a network and the axes move only
    /// per-block step-size scales and the initial point.
    pub fn uses_lanes(&self) -> bool {
        self.lanes
    }

    /// The header of `kept.csv`.
    fn kept_header(&self) -> KeptHeader {
        KeptHeader {
            axes: self.spec.axes.iter().map(|a| a.key.clone()).collect(),
            columns: self.spec.keep.clone(),
        }
    }

    /// The number of runs in the whole grid.
    pub fn runs(&self) -> u64 {
        self.spec.len()
    }

    /// Validates each axis value once (the other axes at their first value), so a bad value is refused
    /// before anything runs.
    fn check_axes(&self) -> Result<()> {
        let points = self.base.points(0)?;
        for (k, axis) in self.spec.axes.iter().enumerate() {
            for j in 0..axis.values.len() {
                let mut coordinates = vec![0; self.spec.axes.len()];
                coordinates[k] = j;
                self.scenario_at(&points, &coordinates)?;
            }
        }
        Ok(())
    }

    /// The axis values of run `index`.
    pub fn values_at(&self, index: u64) -> Vec<f64> {
        self.spec
            .coordinates(index)
            .iter()
            .zip(&self.spec.axes)
            .map(|(&c, a)| a.values[c])
            .collect()
    }

    /// The checked scenario of the grid point at `coordinates` (one value index per axis); an error
    /// names the point.
    fn scenario_at(&self, points: &Points, coordinates: &[usize]) -> Result<Scenario> {
        points.scenario(coordinates).map_err(|e| match e {
            Error::Scenario {
                location,
                key,
                message,
            } => {
                let point = self
                    .spec
                    .axes
                    .iter()
                    .zip(coordinates)
                    .map(|(a, &c)| format!("{}={}", a.key, a.values[c]))
                    .collect::<Vec<_>>()
                    .join(", ");
                Error::Scenario {
                    location,
                    key,
                    message: format!("{message} (at the sweep point {point})"),
                }
            }
            other => other,
        })
    }

    /// Runs grid point `index` alone and returns its CSV row's cells. A sweep reads the file once for
    /// all its rows; this reads it for one.
    pub fn row(&self, index: u64) -> Result<Vec<String>> {
        Ok(self.row_at(&self.base.points(0)?, index)?.cells)
    }

    /// Runs grid point `index` alone and returns its kept series (`[sweep] keep`), as `kept.csv` holds
    /// them.
    pub fn kept(&self, index: u64) -> Result<Vec<KeptSeries>> {
        Ok(self.row_at(&self.base.points(0)?, index)?.kept)
    }

    /// Runs grid point `index` and returns its CSV row's cells and kept series.
    fn row_at(&self, points: &Points, index: u64) -> Result<RunOut> {
        let coordinates = self.spec.coordinates(index);
        let report = self.scenario_at(points, &coordinates)?.experiment.run();
        Ok(self.run_out(index, &self.values_at(index), &report))
    }

    /// What run `index` leaves of its report: its row's cells and its kept series.
    fn run_out(&self, index: u64, values: &[f64], report: &Report) -> RunOut {
        RunOut {
            cells: self.format_row(index, values, report),
            kept: kept::series(report, &self.spec.keep, &self.spec.keep_methods),
        }
    }

    /// The rows of `indices`, in order, computed in parallel on the current rayon pool; `None` for a run
    /// not started because `stop` became true. `bar` advances once per finished row.
    fn rows(
        &self,
        points: &Points,
        indices: &[u64],
        stop: &AtomicBool,
        bar: &indicatif::ProgressBar,
    ) -> Vec<Option<Result<RunOut>>> {
        if self.lanes {
            return self.rows_with_lanes(points, indices, stop, bar);
        }
        indices
            .par_iter()
            .map(|&i| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let row = self.row_at(points, i);
                bar.inc(1);
                Some(row)
            })
            .collect()
    }

    /// [`Plan::rows`] for a sweep over initial points: every row's scenario first, then the GD runs and the
    /// dopri5 gradient flows of all of them at once through the lanes, then each row's other methods and
    /// its formatting. The rows equal
    /// those of [`Plan::row`] byte for byte.
    fn rows_with_lanes(
        &self,
        points: &Points,
        indices: &[u64],
        stop: &AtomicBool,
        bar: &indicatif::ProgressBar,
    ) -> Vec<Option<Result<RunOut>>> {
        // The lanes hand over whole trajectories: a network's take ~0.6 MB each (500 steps of 144
        // parameters), so a chunk is run a part at a time to bound the memory held at once.
        if indices.len() > LANE_ROWS {
            return indices
                .chunks(LANE_ROWS)
                .flat_map(|part| self.rows_with_lanes(points, part, stop, bar))
                .collect();
        }
        let prepared: Vec<Option<Result<Prepared>>> = indices
            .par_iter()
            .map(|&i| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let values = self.values_at(i);
                let coordinates = self.spec.coordinates(i);
                Some(self.scenario_at(points, &coordinates).map(|s| (values, s)))
            })
            .collect();
        let ready: Vec<&Scenario> = prepared.iter().flatten().flatten().map(|(_, s)| s).collect();
        // Per method, an iterator over the ready rows' trajectories (for the methods the lanes run).
        let mut given: Vec<Option<std::vec::IntoIter<Trajectory>>> = lanes::trajectories(&ready)
            .map(|per| per.into_iter().map(|t| t.map(Vec::into_iter)).collect())
            .unwrap_or_default();
        // Hand each prepared row its trajectories (rows are in the order `ready` took them).
        let jobs: Vec<_> = indices
            .iter()
            .zip(prepared)
            .map(|(&i, p)| {
                let trajs: Vec<Option<Trajectory>> = match &p {
                    Some(Ok(_)) => given
                        .iter_mut()
                        .map(|it| it.as_mut().and_then(Iterator::next))
                        .collect(),
                    _ => Vec::new(),
                };
                (i, p, trajs)
            })
            .collect();
        jobs.into_par_iter()
            .map(|(i, prepared, mut trajs)| {
                let (values, scenario) = match prepared? {
                    Ok(p) => p,
                    Err(e) => return Some(Err(e)),
                };
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let given =
                    |m: usize, _: &crate::method::MethodConfig| trajs.get_mut(m).and_then(Option::take);
                let report = scenario.experiment.run_with(given);
                bar.inc(1);
                Some(Ok(self.run_out(i, &values, &report)))
            })
            .collect()
    }

    /// The cells of run `index`'s row.
    fn format_row(&self, index: u64, values: &[f64], report: &Report) -> Vec<String> {
        let mut cells: Vec<String> = vec![index.to_string()];
        cells.extend(values.iter().map(|v| num(*v)));
        for (k, m) in report.methods.iter().enumerate() {
            let t = &m.trajectory;
            cells.push(t.termination.name().to_string());
            cells.push(num(t.final_loss()));
            cells.push(t.grad_norms.last().map_or(String::new(), |g| num(*g)));
            let stop = match t.termination {
                Termination::Diverged { step, .. } => Some(step),
                _ => t.steps.last().copied(),
            };
            cells.push(stop.map_or(String::new(), |s| s.to_string()));
            cells.push(num(mean_loss(&t.losses)));
            if let Some(classification) = self.held_out {
                let h = report.held_out.get(k).map(|h| h.summary());
                let cell = |v: Option<f64>| v.map_or(String::new(), num);
                cells.push(cell(h.as_ref().and_then(|h| h.final_test_loss)));
                cells.push(cell(h.as_ref().and_then(|h| h.best_test_loss)));
                if classification {
                    cells.push(cell(h.as_ref().and_then(|h| h.final_train_accuracy)));
                    cells.push(cell(h.as_ref().and_then(|h| h.final_test_accuracy)));
                }
            }
            let last = t.last_state();
            if self.dim <= MAX_POINT_DIM {
                for i in 0..self.dim {
                    cells.push(last.map_or(String::new(), |s| num(s[i])));
                }
            }
            if !self.minima.is_empty() {
                let reached = last
                    .filter(|_| !t.termination.stopped_early())
                    .and_then(|s| nearest_minimum(&self.minima, s));
                cells.push(reached.map_or(String::new(), |i| i.to_string()));
            }
            if m.discrete {
                // The last `tail` recorded points' first coordinate, oldest first; empty cells when the
                // run stopped with fewer points.
                let k = self.spec.tail;
                let n = t.len();
                for j in 0..k {
                    let at = (n + j).checked_sub(k);
                    cells.push(at.map_or(String::new(), |i| num(t.state(i)[0])));
                }
            }
        }
        for c in &report.comparisons {
            cells.push(num(c.max_distance));
            cells.push(c.departure_time.map_or(String::new(), num));
        }
        cells
    }
}

/// Rows run through the lanes at a time (see [`Plan::rows_with_lanes`]).
const LANE_ROWS: usize = 256;

/// A grid point's axis values and its validated scenario.
type Prepared = (Vec<f64>, Scenario);

/// What a finished run leaves: its `sweep.csv` row and its kept series (none without `keep`).
struct RunOut {
    cells: Vec<String>,
    kept: Vec<KeptSeries>,
}

/// The mean of the recorded losses (NaN with none): with `record_every = 1`, the loss summed over
/// training divided by the steps, Sohl-Dickstein's (2024) measure of how fast a run trains.
fn mean_loss(losses: &[f64]) -> f64 {
    losses.iter().sum::<f64>() / losses.len() as f64
}

/// A table cell's number, in the form every flowgap CSV uses ([`crate::formats::table::number`]).
fn num(x: f64) -> String {
    crate::formats::table::number(x)
}

/// The index of the known minimum within [`MINIMUM_RADIUS`] of `theta`, if any.
pub fn nearest_minimum(minima: &[Vec<f64>], theta: &[f64]) -> Option<usize> {
    minima.iter().position(|m| {
        let d: Vec<f64> = m.iter().zip(theta).map(|(a, b)| a - b).collect();
        norm(&d) < MINIMUM_RADIUS
    })
}

/// How a sweep runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Worker threads (rayon); the output does not depend on it.
    pub jobs: usize,
    /// The part of the grid to run.
    pub shard: Shard,
    /// Draw a progress bar on stderr (the caller decides: a terminal and no `--quiet`).
    pub progress: bool,
}

/// What a sweep did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Rows written.
    pub rows: u64,
    /// Rows this process was asked for.
    pub planned: u64,
    /// True when stopped (Ctrl-C) before every run finished.
    pub interrupted: bool,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// Runs `plan` (the shard `options.shard` of it) into the folder `claim` holds (claimed before the sweep, so
/// that an occupied folder is refused before any work): `sweep.csv`,
/// `summary.json`, figures.
///
/// Everything is written into the claim's staging folder, which replaces the output folder at the end, so
/// a killed or failed sweep (a full disk) leaves the previous sweep whole. Rows stream into the staging
/// folder's `sweep.csv` in index order, flushed after every chunk. When `stop` becomes true (Ctrl-C), runs
/// not yet started are skipped, every finished row is still written, and `summary.json` says
/// `"complete": false`.
pub fn run_sweep_claimed(plan: &Plan, claim: Claim, options: Options, stop: &AtomicBool) -> Result<Outcome> {
    let outcome = write_sweep(plan, claim.staging(), options, stop).map_err(|e| claim.relocate(e))?;
    let files = claim.commit(outcome.files.clone())?;
    Ok(Outcome { files, ..outcome })
}

/// [`run_sweep_claimed`] into `dir`, claimed here under the rule of [`crate::outdir`] (without `--force`).
pub fn run_sweep(plan: &Plan, dir: &Path, options: Options, stop: &AtomicBool) -> Result<Outcome> {
    let claim = Claim::new(dir, crate::outdir::Kind::Sweep, &plan.name, false)?;
    run_sweep_claimed(plan, claim, options, stop)
}

/// [`run_sweep_claimed`]'s writing, into the empty folder `dir`.
fn write_sweep(plan: &Plan, dir: &Path, options: Options, stop: &AtomicBool) -> Result<Outcome> {
    let table = dir.join(TABLE);
    let mut out = Writer::create(&table, &plan.columns)?;
    out.flush()?;
    let mut kept_out = match plan.spec.keep.is_empty() {
        true => None,
        false => Some(KeptWriter::create(&dir.join(KEPT), plan.kept_header())?),
    };

    let total = plan.runs();
    let Shard { index: first, count } = options.shard;
    let planned = if first < total {
        (total - first).div_ceil(count)
    } else {
        0
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| Error::io("(thread pool)", std::io::Error::other(e)))?;
    let points = plan.base.points(pool.current_num_threads())?;
    let bar = if options.progress {
        let bar = indicatif::ProgressBar::new(planned);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  eta {eta}")
                .expect("a fixed template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut rows = 0u64;
    let mut interrupted = false;
    let mut j = 0u64;
    while j < planned {
        let end = (j + CHUNK as u64).min(planned);
        let indices: Vec<u64> = (j..end).map(|k| first + k * count).collect();
        let results = pool.install(|| plan.rows(&points, &indices, stop, &bar));
        for r in results {
            match r {
                Some(Ok(run)) => {
                    out.record(&run.cells)?;
                    if let Some(k) = &mut kept_out {
                        let index: u64 = run.cells[0].parse().expect("a row starts with its index");
                        k.run(index, &plan.values_at(index), &run.kept)?;
                    }
                    rows += 1;
                }
                Some(Err(e)) => {
                    bar.finish_and_clear();
                    return Err(e);
                }
                None => interrupted = true,
            }
        }
        // Each finished chunk is on disk, so a killed sweep leaves its rows in the staging folder.
        out.flush()?;
        if let Some(k) = &mut kept_out {
            k.flush()?;
        }
        if stop.load(Ordering::Relaxed) {
            interrupted = interrupted || end < planned;
            break;
        }
        j = end;
    }
    bar.finish_and_clear();
    let mut files = vec![out.finish()?];
    if let Some(k) = kept_out {
        files.push(k.finish()?);
    }
    let shard = (options.shard != Shard::WHOLE).then_some(options.shard);
    files.extend(finish(dir, &plan_record(plan), shard, planned, !interrupted)?);
    Ok(Outcome {
        rows,
        planned,
        interrupted,
        files,
    })
}

/// What a merge needs to rebuild a sweep's summary and figures: the plan, as saved.
fn plan_record(plan: &Plan) -> SweepPlan {
    SweepPlan {
        scenario: plan.name.clone(),
        runs: plan.runs(),
        axes: plan.spec.axes.iter().map(SavedAxis::from).collect(),
        tail: plan.spec.tail,
        figures: plan.spec.figures.iter().map(SavedFigure::from).collect(),
        minima: plan.minima.clone(),
        methods: plan
            .methods
            .iter()
            .map(|(id, discrete)| SavedMethod {
                id: id.clone(),
                discrete: *discrete,
            })
            .collect(),
        comparisons: plan.comparisons.clone(),
        keep: plan.spec.keep.clone(),
        kept_methods: plan.spec.keep_methods.clone(),
        output: Some(plan.output.clone()),
    }
}

impl From<&Axis> for SavedAxis {
    fn from(a: &Axis) -> SavedAxis {
        SavedAxis {
            key: a.key.clone(),
            log: a.log,
            values: a.values.clone(),
        }
    }
}

impl From<SavedAxis> for Axis {
    fn from(a: SavedAxis) -> Axis {
        Axis {
            key: a.key,
            log: a.log,
            values: a.values,
        }
    }
}

impl From<&SweepFigure> for SavedFigure {
    fn from(f: &SweepFigure) -> SavedFigure {
        match f {
            SweepFigure::Curve { x, y, log } => SavedFigure::Curve {
                x: x.clone(),
                y: y.clone(),
                log: *log,
            },
            SweepFigure::BasinMap => SavedFigure::BasinMap,
            SweepFigure::Bifurcation => SavedFigure::Bifurcation,
            SweepFigure::Trainability => SavedFigure::Trainability,
            SweepFigure::Overlay(o) => SavedFigure::Overlay {
                column: o.column.clone(),
                x: o.x.clone(),
                by: o.by.clone(),
                over: o.over.clone(),
                method: o.method.clone(),
                log: o.log,
            },
        }
    }
}

/// Writes `summary.json` (the plan plus counts read back from `sweep.csv`) and the figures into `dir` (a
/// staging folder). Shared by a sweep and a merge, so both give the same bytes.
fn finish(
    dir: &Path,
    plan: &SweepPlan,
    shard: Option<Shard>,
    planned: u64,
    complete: bool,
) -> Result<Vec<PathBuf>> {
    let table = dir.join(TABLE);
    let counts = table::counts(&table, plan)?;
    let summary = SweepSummary {
        plan: plan.clone(),
        shard: shard.map(|s| SavedShard {
            index: s.index,
            count: s.count,
        }),
        planned_rows: planned,
        rows: counts.rows,
        complete,
        counts,
    };
    let path = dir.join(crate::formats::SUMMARY);
    summary.write(&path)?;
    let mut files = vec![path];
    if shard.is_none() {
        files.extend(render::sweep_figures(
            &summary.plan,
            &table,
            &dir.join("figures"),
        )?);
    }
    Ok(files)
}
