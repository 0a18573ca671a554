//! An experiment: one objective, one initial point, one time grid, the methods to run on it, the
//! comparisons between them and the diagnostics — built in code with [`Experiment::builder`] or by the
//! scenario loader from TOML, and run by [`Experiment::run`] into a [`Report`]. Pure computation;
//! writing files is the output layer's job.

use crate::compare::{compare, midpoints, Comparison};
use crate::continuous::{
    central_comparison, central_series, stable_series, CentralComparison, CentralSeries, StableSeries,
};
use crate::diagnostics::{Diagnostics, DiagnosticsConfig};
use crate::discrete::default_divergence_bound;
use crate::error::{Error, Result};
use crate::method::{run_method_extras, MethodConfig, MethodKind, MethodRun, Problem, RunExtras};
use crate::objective::{HeldOut, HeldOutSeries, Objective};
use crate::schedule::{Schedule, StepSizes};
use crate::stochastic::{compare_ensembles, EnsembleComparison};
use crate::trajectory::{TimeGrid, Trajectory};
use std::collections::HashMap;
use std::path::PathBuf;

pub use crate::watch::{on_pool, Progress, RunOptions, Watch};

/// One comparison between two methods (a scenario's `[[compare]]`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CompareConfig {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// The departure tolerance on the distance.
    pub tolerance: f64,
    /// Compare `a`'s midpoint iterates ¼(w_{k−1} + 2w_k + w_{k+1}) instead of its iterates (`a` discrete,
    /// `b` continuous, every step recorded).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub midpoint: bool,
    /// A centred window of this many steps (odd) over which GD's loss and its squared displacement from the
    /// central flow `b` are averaged (`a` discrete, `b` a central_flow, every step recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
}

impl CompareConfig {
    /// A plain comparison of `a` and `b` with departure `tolerance` (no midpoint, no window).
    pub fn new(a: impl Into<String>, b: impl Into<String>, tolerance: f64) -> Self {
        CompareConfig {
            a: a.into(),
            b: b.into(),
            tolerance,
            midpoint: false,
            window: None,
        }
    }

    /// Compares trajectory `a` (of method `a`) with `b` as this configuration asks: `a`'s midpoints when
    /// `midpoint` is set (their losses evaluated on `objective`).
    pub fn compare(&self, objective: &dyn Objective, a: &Trajectory, b: &Trajectory) -> Comparison {
        if self.midpoint {
            let mut c = compare(&self.a, &midpoints(a, objective), &self.b, b, self.tolerance);
            c.midpoint = true;
            c
        } else {
            compare(&self.a, a, &self.b, b, self.tolerance)
        }
    }

    /// Why the comparison cannot apply to these methods on the run's grid `run` (the two on different
    /// learning-rate schedules, or `midpoint` or `window` not applicable), as (key, message); `None` when
    /// it can.
    pub fn problem(&self, methods: &[MethodConfig], run: &TimeGrid) -> Option<(&'static str, String)> {
        let (record_every, steps) = (run.record_every, run.steps);
        let config = |id: &str| methods.iter().find(|m| m.id == id);
        let (Some(config_a), Some(config_b)) = (config(&self.a), config(&self.b)) else {
            return None;
        };
        // Points are paired by time: two step-size schedules share almost no recorded time.
        if config_a.grid(run).schedule != config_b.grid(run).schedule {
            return Some((
                "b",
                format!(
                    "`{}` and `{}` run on different learning-rate schedules, so their steps sit at different \
                     times and no points pair up; give both the same `schedule` (a continuous model follows a \
                     discrete method's schedule only when it is given the same one)",
                    self.a, self.b
                ),
            ));
        }
        let (a, b) = (&config_a.kind, &config_b.kind);
        let plain_discrete = a.is_discrete() && a.ensemble().is_none();
        if self.midpoint {
            if !plain_discrete || b.is_discrete() || b.ensemble().is_some() {
                return Some((
                    "midpoint",
                    format!(
                        "needs `a` a discrete method and `b` a continuous model (neither an ensemble); found `{}` ({}) and `{}` ({})",
                        self.a,
                        a.name(),
                        self.b,
                        b.name()
                    ),
                ));
            }
            if record_every != 1 {
                return Some((
                    "midpoint",
                    format!("needs every step recorded (run.record_every = 1), found record_every = {record_every}"),
                ));
            }
        }
        if let Some(w) = self.window {
            if !plain_discrete || !matches!(b, MethodKind::CentralFlow { .. }) {
                return Some((
                    "window",
                    format!(
                        "needs `a` a discrete method (not an ensemble) and `b` a central_flow; found `{}` ({}) and `{}` ({})",
                        self.a,
                        a.name(),
                        self.b,
                        b.name()
                    ),
                ));
            }
            if w % 2 == 0 || w > steps {
                return Some((
                    "window",
                    format!("must be an odd number of steps in 1..={steps} (centred on a step), found {w}"),
                ));
            }
            if record_every != 1 {
                return Some((
                    "window",
                    format!("needs every step recorded (run.record_every = 1), found record_every = {record_every}"),
                ));
            }
        }
        None
    }
}

/// A training problem and the methods to run on it, ready to run: every value has been checked.
pub struct Experiment {
    /// Its name (output folders and figure titles use it).
    pub name: String,
    /// One line on what it shows.
    pub description: String,
    /// The objective.
    pub objective: Box<dyn Objective>,
    /// The objective's settings as summary.json records them (for a scenario, as resolved from the file).
    pub objective_settings: serde_json::Value,
    /// The initial point θ0.
    pub init: Vec<f64>,
    /// The run's time axis on t = k·η; a method with another time map uses
    /// `grid.with_time_map(kind.time_map())`, one with its own schedule [`MethodConfig::grid`].
    pub grid: TimeGrid,
    /// The loss above which a method counts as diverged.
    pub divergence_bound: f64,
    /// The methods, in order.
    pub methods: Vec<MethodConfig>,
    /// The comparisons, in order.
    pub comparisons: Vec<CompareConfig>,
    /// The post-run diagnostics (none when `None`).
    pub diagnostics: Option<DiagnosticsConfig>,
    /// The held-out evaluation (training and test loss, accuracy) run after the methods, when the
    /// objective's data has a test part.
    pub held_out: Option<HeldOut>,
}

/// Everything a run produced, with the experiment that produced it.
pub struct Report {
    /// The experiment that was run.
    pub experiment: Experiment,
    /// Every method's result, in the experiment's order.
    pub methods: Vec<MethodRun>,
    /// Every comparison, in the experiment's order.
    pub comparisons: Vec<Comparison>,
    /// The diagnostics, when the experiment asks for them.
    pub diagnostics: Option<Diagnostics>,
    /// The moment comparison of every comparison whose two methods are both ensembles.
    pub ensemble_comparisons: Vec<EnsembleComparison>,
    /// Every method's held-out record, in the experiment's order (empty without a held-out evaluation).
    pub held_out: Vec<HeldOutSeries>,
    /// Per method: the central flow's recorded quantities (`central_flow` methods only).
    pub central_series: Vec<Option<CentralSeries>>,
    /// Per method: the stable flow's recorded quantities (`stable_flow` methods only).
    pub stable_series: Vec<Option<StableSeries>>,
    /// Per comparison: GD against the central flow over a window (comparisons with `window` only).
    pub central_comparisons: Vec<Option<CentralComparison>>,
    /// Per method: a Lanczos central flow's evaluations where Lanczos did not converge (else `None`;
    /// empty for a report read back from files).
    pub lanczos_unconverged: Vec<Option<u64>>,
}

impl Report {
    /// The method with this id.
    pub fn method(&self, id: &str) -> Option<&MethodRun> {
        self.methods.iter().find(|m| m.id == id)
    }
}

impl Experiment {
    /// Starts an experiment on `objective`, to be given θ₀, a step size, a number of steps and methods.
    pub fn builder(objective: impl Objective + 'static) -> ExperimentBuilder {
        ExperimentBuilder::new(Box::new(objective))
    }

    /// The problem every method runs on.
    pub fn problem(&self) -> Problem<'_> {
        Problem {
            objective: self.objective.as_ref(),
            init: &self.init,
            grid: &self.grid,
            divergence_bound: self.divergence_bound,
        }
    }

    /// Runs every method and every comparison, then the diagnostics. Divergence and solver failures are
    /// recorded in the trajectories' terminations; this never fails. Runs on rayon's pool (see
    /// [`on_pool`]).
    pub fn run(self) -> Report {
        self.run_with_options(RunOptions::default())
    }

    /// [`Experiment::run`] with each method bounded and watched by `options` (`flowgap run --max-time`,
    /// its progress line). Without a limit or a progress callback it is [`Experiment::run`], bit for bit.
    pub fn run_with_options(self, options: RunOptions) -> Report {
        on_pool(|| self.run_watched(options, |_, _| None))
    }

    /// [`Experiment::run`], except that a method for which `given(index, method)` returns a trajectory
    /// takes that one instead of being run: for callers that computed it elsewhere, bit for bit as
    /// [`crate::method::run_method`] would (`flowgap sweep` runs GD for many starts at once with
    /// [`crate::discrete::gd_record_lanes`]).
    pub fn run_with(self, given: impl FnMut(usize, &MethodConfig) -> Option<Trajectory>) -> Report {
        self.run_watched(RunOptions::default(), given)
    }

    /// [`Experiment::run_with`] with every method it runs under a [`Watch`] built from `options`.
    fn run_watched(
        self,
        options: RunOptions,
        mut given: impl FnMut(usize, &MethodConfig) -> Option<Trajectory>,
    ) -> Report {
        let problem = self.problem();
        let count = self.methods.len();
        let mut lanczos_unconverged = Vec::with_capacity(count);
        let methods: Vec<MethodRun> = self
            .methods
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let grid = m.grid(problem.grid);
                let t_end = grid.with_time_map(m.kind.time_map()).t_end();
                let watch = Watch::new(options, &m.id, m.kind.name(), i, count, t_end);
                let (trajectory, extras) = match given(i, m) {
                    Some(t) => (t, RunExtras::default()),
                    None => run_method_extras(
                        &m.kind,
                        problem.objective,
                        problem.init,
                        grid,
                        problem.divergence_bound,
                        &watch,
                    ),
                };
                lanczos_unconverged.push(extras.lanczos_unconverged);
                MethodRun {
                    id: m.id.clone(),
                    kind: m.kind.name().to_string(),
                    discrete: m.kind.is_discrete(),
                    trajectory,
                    ensemble: extras.ensemble,
                }
            })
            .collect();
        let find = |id: &str| {
            methods
                .iter()
                .find(|m| m.id == id)
                .expect("validated: a comparison names two methods")
        };
        let comparisons: Vec<Comparison> = self
            .comparisons
            .iter()
            .map(|c| c.compare(problem.objective, &find(&c.a).trajectory, &find(&c.b).trajectory))
            .collect();
        let (central_series, central_comparisons) = central_checks(&self, &methods);
        let stable_series = self
            .methods
            .iter()
            .zip(&methods)
            .map(|(config, run)| match &config.kind {
                MethodKind::StableFlow { settings, .. } => stable_series(
                    self.objective.as_ref(),
                    &run.trajectory,
                    self.grid.step_size,
                    *settings,
                ),
                _ => None,
            })
            .collect();
        let diagnostics = self
            .diagnostics
            .map(|d| crate::diagnostics::diagnose(&d, problem, &self.methods, &methods, &comparisons));
        let ensemble_comparisons = self
            .comparisons
            .iter()
            .filter_map(|c| {
                let a = find(&c.a).ensemble.as_ref()?;
                let b = find(&c.b).ensemble.as_ref()?;
                Some(compare_ensembles(&c.a, a, &c.b, b))
            })
            .collect();
        // A post-pass over the recorded θ, like the diagnostics: the methods' loops are untouched.
        let held_out = match &self.held_out {
            Some(h) => methods.iter().map(|m| h.series(&m.trajectory)).collect(),
            None => Vec::new(),
        };
        Report {
            experiment: self,
            methods,
            comparisons,
            diagnostics,
            ensemble_comparisons,
            held_out,
            central_series,
            stable_series,
            central_comparisons,
            lanczos_unconverged,
        }
    }
}

/// The central flow's checks of a finished run: the recorded quantities of every `central_flow` method
/// (with exact eigenvectors), and each windowed comparison of a discrete method with one.
pub fn central_checks(
    experiment: &Experiment,
    methods: &[MethodRun],
) -> (Vec<Option<CentralSeries>>, Vec<Option<CentralComparison>>) {
    let eta = experiment.grid.step_size;
    let series: Vec<Option<CentralSeries>> = experiment
        .methods
        .iter()
        .zip(methods)
        .map(|(config, run)| match &config.kind {
            MethodKind::CentralFlow { settings, .. } => {
                central_series(experiment.objective.as_ref(), &run.trajectory, eta, *settings)
            }
            _ => None,
        })
        .collect();
    let index = |id: &str| methods.iter().position(|m| m.id == id);
    let comparisons = experiment
        .comparisons
        .iter()
        .map(|c| {
            let window = c.window?;
            let (a, b) = (index(&c.a)?, index(&c.b)?);
            let s = series[b].as_ref()?;
            Some(central_comparison(
                &c.a,
                &methods[a].trajectory,
                &c.b,
                &methods[b].trajectory,
                s,
                window,
            ))
        })
        .collect();
    (series, comparisons)
}

/// Builds an [`Experiment`] in code; [`ExperimentBuilder::build`] checks it as the scenario loader
/// checks a file.
pub struct ExperimentBuilder {
    name: String,
    description: String,
    objective: Box<dyn Objective>,
    objective_settings: serde_json::Value,
    init: Vec<f64>,
    step_size: f64,
    steps: u64,
    record_every: u64,
    schedule: Schedule,
    divergence_bound: Option<f64>,
    methods: Vec<MethodConfig>,
    /// Per method, its own learning-rate schedule (`None`: the experiment's).
    method_schedules: Vec<Option<Schedule>>,
    comparisons: Vec<CompareConfig>,
    diagnostics: Option<DiagnosticsConfig>,
    held_out: Option<HeldOut>,
}

impl ExperimentBuilder {
    /// A builder for `objective` (name `experiment`, step size 0.01, 1000 steps, every step recorded).
    pub fn new(objective: Box<dyn Objective>) -> Self {
        ExperimentBuilder {
            name: "experiment".into(),
            description: String::new(),
            objective,
            objective_settings: serde_json::json!({ "kind": "custom" }),
            init: Vec::new(),
            step_size: 0.01,
            steps: 1000,
            record_every: 1,
            schedule: Schedule::Constant,
            divergence_bound: None,
            methods: Vec::new(),
            method_schedules: Vec::new(),
            comparisons: Vec::new(),
            diagnostics: None,
            held_out: None,
        }
    }

    /// The experiment's name (it names the output folder; letters, digits, `_` and `-`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// One line on what it shows.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The objective's settings as summary.json should record them (default `{"kind": "custom"}`).
    pub fn objective_settings(mut self, settings: serde_json::Value) -> Self {
        self.objective_settings = settings;
        self
    }

    /// The initial point θ₀ (its length must be the objective's dimension).
    pub fn init(mut self, theta0: impl Into<Vec<f64>>) -> Self {
        self.init = theta0.into();
        self
    }

    /// The step size η of the discrete methods (and of the models of them).
    pub fn step_size(mut self, eta: f64) -> Self {
        self.step_size = eta;
        self
    }

    /// The number of steps; the horizon is `steps`·η.
    pub fn steps(mut self, steps: u64) -> Self {
        self.steps = steps;
        self
    }

    /// Record every `n`-th step (1: every step).
    pub fn record_every(mut self, n: u64) -> Self {
        self.record_every = n;
        self
    }

    /// A learning-rate schedule for every method (default constant): step k has size η_k and sits at
    /// t_k = Σ_{j<k} η_j, and the continuous models are integrated on that axis with η_k in their terms.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The |loss| above which a method counts as diverged (default: `max(1, |L(θ₀)|)·1e10`).
    pub fn divergence_bound(mut self, bound: f64) -> Self {
        self.divergence_bound = Some(bound);
        self
    }

    /// Adds a method under `id` (ids name files: letters, digits, `_` and `-`).
    pub fn method(mut self, id: impl Into<String>, kind: MethodKind) -> Self {
        self.methods.push(MethodConfig::new(id, kind));
        self.method_schedules.push(None);
        self
    }

    /// Adds a method under `id` with its own learning-rate schedule in place of the experiment's: its
    /// step k has size η_k of `schedule` (on the experiment's η and steps) and sits at t_k = Σ_{j<k} η_j.
    /// A comparison pairs it only with a method on the same schedule.
    pub fn method_with_schedule(
        mut self,
        id: impl Into<String>,
        kind: MethodKind,
        schedule: Schedule,
    ) -> Self {
        self.methods.push(MethodConfig::new(id, kind));
        self.method_schedules.push(Some(schedule));
        self
    }

    /// Compares methods `a` and `b`; they part when their distance first exceeds `tolerance`.
    pub fn compare(mut self, a: impl Into<String>, b: impl Into<String>, tolerance: f64) -> Self {
        self.comparisons.push(CompareConfig::new(a, b, tolerance));
        self
    }

    /// Adds a comparison as configured (with `midpoint` or `window`).
    pub fn compare_with(mut self, config: CompareConfig) -> Self {
        self.comparisons.push(config);
        self
    }

    /// Asks for the post-run diagnostics.
    pub fn diagnostics(mut self, config: DiagnosticsConfig) -> Self {
        self.diagnostics = Some(config);
        self
    }

    /// Evaluates every method's recorded θ on a training and a test set after the run
    /// ([`crate::objective::held_out`]); the evaluators must take θ of the objective's dimension.
    pub fn held_out(mut self, held_out: HeldOut) -> Self {
        self.held_out = Some(held_out);
        self
    }

    /// Checks every value and returns the experiment, or an error naming the value and what is allowed.
    pub fn build(mut self) -> Result<Experiment> {
        let bad = |key: &str, message: String| Error::Input {
            path: PathBuf::from(format!("experiment `{}`", self.name)),
            message: format!("{key}: {message}"),
        };
        if let Some(problem) = file_name_problem(&self.name) {
            return Err(bad("name", problem));
        }
        let d = self.objective.dim();
        if self.init.len() != d {
            return Err(bad(
                "init",
                format!("has {} values, the objective has {d} parameters", self.init.len()),
            ));
        }
        if let Some(i) = self.init.iter().position(|x| !x.is_finite()) {
            return Err(bad(
                "init",
                format!("value {i} is {}, must be finite", self.init[i]),
            ));
        }
        if !(self.step_size.is_finite() && self.step_size > 0.0) {
            return Err(bad(
                "step_size",
                format!("must be positive and finite, found {}", self.step_size),
            ));
        }
        if self.steps == 0 || self.steps > crate::experiment::MAX_STEPS {
            return Err(bad(
                "steps",
                format!("must be in 1..={MAX_STEPS}, found {}", self.steps),
            ));
        }
        if self.record_every == 0 || self.record_every > self.steps {
            return Err(bad(
                "record_every",
                format!(
                    "must be in 1..=steps ({}), found {}",
                    self.steps, self.record_every
                ),
            ));
        }
        if self.methods.is_empty() {
            return Err(bad("method", "give at least one method".into()));
        }
        if let Some(h) = self.held_out.as_ref().filter(|h| h.dim() != d) {
            return Err(bad(
                "held_out",
                format!("evaluates θ of {} parameters, the objective has {d}", h.dim()),
            ));
        }
        let grid = TimeGrid::new(self.step_size, self.steps, self.record_every)
            .with_schedule(
                StepSizes::new(self.step_size, self.steps, self.schedule.clone())
                    .map_err(|e| bad("schedule", e))?,
            )
            .map_err(|e| bad("schedule", e))?;
        for m in &self.methods {
            if let MethodKind::SgdModifiedFlow { batch_size, .. } = &m.kind {
                let n = self.objective.as_finite_sum().map(|f| f.num_samples());
                match n {
                    None => {
                        return Err(bad(
                            &format!("method `{}`", m.id),
                            "sgd_modified_flow needs an objective that is a mean over samples (a data-driven objective)".into(),
                        ))
                    }
                    Some(n) if *batch_size < 1 || *batch_size > n => {
                        return Err(bad(
                            &format!("method `{}`", m.id),
                            format!("batch_size must be in 1..={n} (the samples), found {batch_size}"),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        for (m, schedule) in self.methods.iter_mut().zip(&self.method_schedules) {
            if let Some(schedule) = schedule {
                let sizes = StepSizes::new(self.step_size, self.steps, schedule.clone())
                    .map_err(|e| bad(&format!("method `{}` schedule", m.id), e))?;
                let own = TimeGrid::new(self.step_size, self.steps, self.record_every)
                    .with_schedule(sizes)
                    .map_err(|e| bad(&format!("method `{}` schedule", m.id), e))?;
                m.own_grid = Some(own);
            }
        }
        let unschedulable = self
            .methods
            .iter()
            .find(|m| m.grid(&grid).schedule.is_some() && !m.kind.supports_schedule());
        if let Some(m) = unschedulable {
            return Err(bad(
                &format!("method `{}`", m.id),
                format!(
                    "`{}` cannot run with a learning-rate schedule (the sme, the central and stable flows, and \
                     methods on t = k·√η)",
                    m.kind.name()
                ),
            ));
        }
        let mut written = HashMap::new();
        for (i, m) in self.methods.iter().enumerate() {
            if self.methods[..i].iter().any(|other| other.id == m.id) {
                return Err(bad(&format!("method `{}`", m.id), "the id is used twice".into()));
            }
            if let Some(problem) = file_name_problem(&m.id) {
                return Err(bad(&format!("method `{}`", m.id), format!("id {problem}")));
            }
            if let Some(clash) = file_clash(&mut written, &m.id) {
                return Err(bad(&format!("method `{}`", m.id), clash));
            }
        }
        for c in &self.comparisons {
            for id in [&c.a, &c.b] {
                if !self.methods.iter().any(|m| &m.id == id) {
                    return Err(bad("compare", format!("names `{id}`, which is not a method")));
                }
            }
            if !(c.tolerance.is_finite() && c.tolerance > 0.0) {
                return Err(bad(
                    "compare",
                    format!("tolerance must be positive, found {}", c.tolerance),
                ));
            }
            if let Some((key, message)) = c.problem(&self.methods, &grid) {
                return Err(bad(&format!("compare {} vs {}: {key}", c.a, c.b), message));
            }
        }
        let divergence_bound = match self.divergence_bound {
            Some(b) if b.is_finite() && b > 0.0 => b,
            Some(b) => return Err(bad("divergence_bound", format!("must be positive, found {b}"))),
            None => default_divergence_bound(self.objective.loss(&self.init)),
        };
        Ok(Experiment {
            name: self.name,
            description: self.description,
            objective: self.objective,
            objective_settings: self.objective_settings,
            init: self.init,
            grid,
            divergence_bound,
            methods: self.methods,
            comparisons: self.comparisons,
            diagnostics: self.diagnostics,
            held_out: self.held_out,
        })
    }
}

/// The most steps a run may take: beyond this, a run takes days even on the smallest objective.
pub const MAX_STEPS: u64 = 1_000_000_000;

/// The longest method id or scenario name (they name files; file systems allow 255 bytes, and a method
/// adds suffixes such as `_sharpness.csv`).
pub const MAX_ID_CHARS: usize = 100;

/// What every method writes into `trajectories/`, as suffixes of its id: `<id>.csv`, `<id>.npy` (d > 128),
/// `<id>_ensemble.csv` (sgd, sme), `<id>_sharpness.csv` (`[diagnostics.sharpness]`), `<id>_held_out.csv`
/// (a held-out split), `<id>_central.csv` (central_flow), `<id>_stable.csv` (stable_flow). Ids whose files would coincide are refused; a
/// writer that adds a file per method must add its suffix here (tests/it/scenarios.rs checks that every
/// file a run writes is on this list).
pub const METHOD_FILE_SUFFIXES: [&str; 7] = [
    ".csv",
    ".npy",
    "_ensemble.csv",
    "_sharpness.csv",
    "_held_out.csv",
    "_central.csv",
    "_stable.csv",
];

/// Why `id` cannot name a file, or `None` when it can: letters, digits, `_` and `-` only (so no `/`,
/// `..`, NUL or leading `.`), not starting with `-` (it would read as a command-line option), at most
/// [`MAX_ID_CHARS`] characters.
pub fn file_name_problem(id: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if id.is_empty() || !id.chars().all(allowed) {
        Some("must be non-empty and use only letters, digits, `_` and `-`".to_string())
    } else if id.starts_with('-') {
        Some("must not start with `-`".to_string())
    } else if id.len() > MAX_ID_CHARS {
        Some(format!(
            "must be at most {MAX_ID_CHARS} characters, found {}",
            id.len()
        ))
    } else {
        None
    }
}

/// Records the files method `id` writes in `written` (file name in lower case → the id that writes it)
/// and says which earlier method would write one of the same files. Names are compared ignoring case,
/// as file systems on macOS and Windows do.
pub fn file_clash(written: &mut HashMap<String, String>, id: &str) -> Option<String> {
    for suffix in METHOD_FILE_SUFFIXES {
        let file = format!("{id}{suffix}");
        if let Some(other) = written.get(&file.to_lowercase()) {
            let why = if other.eq_ignore_ascii_case(id) {
                format!("`{id}` and `{other}` differ only in case, and file names on macOS and Windows ignore case")
            } else {
                format!(
                    "`{other}` also writes trajectories/{}",
                    written_name(other, &file)
                )
            };
            return Some(format!(
                "this method's output file trajectories/{file} would overwrite another: {why}; choose another id \
                 (ids must not be another id followed by {})",
                id_suffixes().join(" or ")
            ));
        }
    }
    for suffix in METHOD_FILE_SUFFIXES {
        let file = format!("{id}{suffix}");
        written.insert(file.to_lowercase(), id.to_string());
    }
    None
}

/// The suffixes that turn one id into another's file name stem: `_ensemble`, `_sharpness`.
fn id_suffixes() -> Vec<&'static str> {
    METHOD_FILE_SUFFIXES
        .iter()
        .filter_map(|s| s.split('.').next())
        .filter(|stem| !stem.is_empty())
        .collect()
}

/// The name of `other`'s file that coincides with `file` (as `other` writes it, in its case).
fn written_name(other: &str, file: &str) -> String {
    METHOD_FILE_SUFFIXES
        .iter()
        .map(|s| format!("{other}{s}"))
        .find(|f| f.eq_ignore_ascii_case(file))
        .unwrap_or_else(|| file.to_string())
}
