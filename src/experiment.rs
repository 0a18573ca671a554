//! Running a validated scenario: every method, then every comparison. Pure computation; writing is
//! [`crate::output`]'s job.

use crate::compare::{compare, Comparison};
use crate::continuous::{
    solve_watched, GradientFlow, HeavyBallModifiedFlow, HeavyBallOde, ModifiedFlow, NesterovOde,
    SolverSettings, VectorField,
};
use crate::discrete::{
    blockwise_gradient_descent_watched, gradient_descent_watched, heavy_ball_watched, nesterov_watched,
};
use crate::method::{HeavyBallForm, MethodConfig, MethodKind};
use crate::objective::Objective;
use crate::scenario::Scenario;
use crate::stochastic::{compare_ensembles, run_ensemble_watched, EnsembleComparison, EnsembleStats};
use crate::trajectory::{TimeGrid, Trajectory};
pub use crate::watch::{on_pool, Progress, RunOptions, Watch};

/// One `[[compare]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareConfig {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// The departure tolerance on the distance.
    pub tolerance: f64,
}

/// One method's result.
#[derive(Debug, Clone)]
pub struct MethodRun {
    /// The method's id from the scenario.
    pub id: String,
    /// Its kind (`gd`, `gradient_flow`, …).
    pub kind: String,
    /// True for discrete iterations, false for continuous models (figures draw them differently).
    pub discrete: bool,
    /// The sampled path (for `sgd` and `sme`: the ensemble mean).
    pub trajectory: Trajectory,
    /// Ensemble statistics over time (`sgd` and `sme` only).
    pub ensemble: Option<EnsembleStats>,
}

/// Everything a run produced.
pub struct Report {
    /// The scenario that was run, as validated.
    pub scenario: Scenario,
    /// Every method's result, in scenario order.
    pub methods: Vec<MethodRun>,
    /// Every comparison, in scenario order.
    pub comparisons: Vec<Comparison>,
    /// The post-pass of `[diagnostics]`, when the scenario asks for it.
    pub diagnostics: Option<crate::diagnostics::Diagnostics>,
    /// The moment comparison of every `[[compare]]` whose two methods are both ensembles.
    pub ensemble_comparisons: Vec<EnsembleComparison>,
}

impl Report {
    /// The method with this id.
    pub fn method(&self, id: &str) -> Option<&MethodRun> {
        self.methods.iter().find(|m| m.id == id)
    }
}

/// Runs one method from `theta0` on the run's grid (t = k·η), mapped to the method's own time axis
/// (on rayon's pool, see [`on_pool`]).
pub fn run_method(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
) -> Trajectory {
    run_method_watched(kind, objective, theta0, grid, loss_bound, &Watch::idle())
}

/// [`run_method`] under `watch`: the method ends with [`Termination::TimeLimit`] once its budget is
/// spent, and reports its progress.
pub fn run_method_watched(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    on_pool(|| run_method_here(kind, objective, theta0, grid, loss_bound, watch))
}

/// [`run_method_watched`] on the calling thread.
fn run_method_here(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> Trajectory {
    let grid = grid.with_time_map(kind.time_map());
    let eta = grid.step_size;
    let flow = |field: &dyn VectorField, settings: &SolverSettings| {
        solve_watched(field, objective, theta0, &grid, settings, loss_bound, watch)
    };
    match kind {
        MethodKind::Gd => gradient_descent_watched(objective, theta0, &grid, loss_bound, watch),
        MethodKind::BlockGd(scales) => {
            let rates = scales
                .rates(objective, eta)
                .expect("the loader checked the scales' count");
            blockwise_gradient_descent_watched(objective, theta0, &grid, &rates, loss_bound, watch)
        }
        MethodKind::HeavyBall { beta, start } => {
            heavy_ball_watched(objective, theta0, &grid, *beta, *start, loss_bound, watch)
        }
        MethodKind::Nesterov(schedule) => {
            nesterov_watched(objective, theta0, &grid, *schedule, loss_bound, watch)
        }
        MethodKind::GradientFlow(settings) => flow(&GradientFlow { objective }, settings),
        MethodKind::ModifiedFlow { order, solver } => {
            flow(&ModifiedFlow::new(objective, eta, *order), solver)
        }
        MethodKind::HeavyBallFlow { beta, form, solver } => match form {
            HeavyBallForm::Modified => flow(&HeavyBallModifiedFlow::new(objective, eta, *beta), solver),
            HeavyBallForm::SecondOrder(start) => {
                flow(&HeavyBallOde::new(objective, eta, *beta, *start), solver)
            }
        },
        MethodKind::NesterovOde(settings) => flow(&NesterovOde::new(objective), settings),
        MethodKind::Sgd(_) | MethodKind::Sme(_) => {
            run_ensemble_watched(kind, objective, theta0, &grid, loss_bound, watch)
                .expect("sgd and sme are ensembles")
                .0
        }
    }
}

/// Runs every method of `scenario` and every comparison. Divergence and solver failures are recorded in
/// the trajectories' terminations; this never fails. Runs on rayon's pool (see [`on_pool`]), diagnostics
/// included.
pub fn run(scenario: Scenario) -> Report {
    run_with_options(scenario, RunOptions::default())
}

/// [`run`] with each method bounded and watched by `options` (`flowgap run --max-time`, its progress
/// line). Without a limit or a progress callback it is [`run`], bit for bit.
pub fn run_with_options(scenario: Scenario, options: RunOptions) -> Report {
    on_pool(|| run_watched(scenario, options, |_, _| None))
}

/// [`run`], except that a method for which `given(index, method)` returns a trajectory takes that one
/// instead of being run: for callers that computed it elsewhere, bit for bit as [`run_method`] would
/// (`flowgap sweep` runs GD for many starts at once with [`crate::discrete::gd_record_lanes`]).
pub fn run_with(scenario: Scenario, given: impl FnMut(usize, &MethodConfig) -> Option<Trajectory>) -> Report {
    run_watched(scenario, RunOptions::default(), given)
}

/// [`run_with`] with every method it runs under a [`Watch`] built from `options`.
fn run_watched(
    scenario: Scenario,
    options: RunOptions,
    mut given: impl FnMut(usize, &MethodConfig) -> Option<Trajectory>,
) -> Report {
    let objective = scenario.objective.as_ref();
    let count = scenario.methods.len();
    let methods: Vec<MethodRun> = scenario
        .methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (init, grid, bound) = (&scenario.init, &scenario.grid, scenario.divergence_bound);
            let t_end = grid.with_time_map(m.kind.time_map()).t_end();
            let watch = Watch::new(options, &m.id, m.kind.name(), i, count, t_end);
            let (trajectory, ensemble) = match given(i, m) {
                Some(t) => (t, None),
                None => match run_ensemble_watched(&m.kind, objective, init, grid, bound, &watch) {
                    Some((t, e)) => (t, Some(e)),
                    None => (
                        run_method_watched(&m.kind, objective, init, grid, bound, &watch),
                        None,
                    ),
                },
            };
            MethodRun {
                id: m.id.clone(),
                kind: m.kind.name().to_string(),
                discrete: m.kind.is_discrete(),
                trajectory,
                ensemble,
            }
        })
        .collect();
    let comparisons: Vec<Comparison> = scenario
        .comparisons
        .iter()
        .map(|c| {
            let a = methods
                .iter()
                .find(|m| m.id == c.a)
                .expect("validated: compare.a names a method");
            let b = methods
                .iter()
                .find(|m| m.id == c.b)
                .expect("validated: compare.b names a method");
            compare(&c.a, &a.trajectory, &c.b, &b.trajectory, c.tolerance)
        })
        .collect();
    let diagnostics = scenario
        .diagnostics
        .map(|d| crate::diagnostics::diagnose(&d, &scenario, &methods, &comparisons));
    let ensemble_comparisons = scenario
        .comparisons
        .iter()
        .filter_map(|c| {
            let a = methods.iter().find(|m| m.id == c.a)?.ensemble.as_ref()?;
            let b = methods.iter().find(|m| m.id == c.b)?.ensemble.as_ref()?;
            Some(compare_ensembles(&c.a, a, &c.b, b))
        })
        .collect();
    Report {
        scenario,
        methods,
        comparisons,
        diagnostics,
        ensemble_comparisons,
    }
}
