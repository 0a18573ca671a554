//! Running a validated scenario: every method, then every comparison. Pure computation; writing is
//! [`crate::output`]'s job.

use crate::compare::{compare, Comparison};
use crate::continuous::{
    solve, GradientFlow, HeavyBallModifiedFlow, HeavyBallOde, ModifiedFlow, NesterovOde, SolverSettings,
    VectorField,
};
use crate::discrete::{blockwise_gradient_descent, gradient_descent, heavy_ball, nesterov};
use crate::objective::Objective;
use crate::scenario::{HeavyBallForm, MethodConfig, MethodKind, Scenario};
use crate::stochastic::{compare_ensembles, run_ensemble, EnsembleComparison, EnsembleStats};
use crate::trajectory::{TimeGrid, Trajectory};

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

/// Runs `f` on a thread of rayon's global pool, or right here when this thread already is one.
///
/// An objective that splits each gradient over the pool (the mlp's chunks) called from outside it hands
/// every gradient over to the pool and sleeps until it is done: a wake-up there and back per gradient
/// (9% of a single-threaded W2 run in a profile). Called from a pool thread, the caller works on one
/// chunk itself and the others are stolen by idle workers. The arithmetic, and so every result, is the
/// same either way.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        f()
    } else {
        rayon::scope(|_| f())
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
    on_pool(|| run_method_here(kind, objective, theta0, grid, loss_bound))
}

/// [`run_method`] on the calling thread.
fn run_method_here(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
) -> Trajectory {
    let grid = grid.with_time_map(kind.time_map());
    let eta = grid.step_size;
    let flow = |field: &dyn VectorField, settings: &SolverSettings| {
        solve(field, objective, theta0, &grid, settings, loss_bound)
    };
    match kind {
        MethodKind::Gd => gradient_descent(objective, theta0, &grid, loss_bound),
        MethodKind::BlockGd(scales) => {
            let rates = scales
                .rates(objective, eta)
                .expect("the loader checked the scales' count");
            blockwise_gradient_descent(objective, theta0, &grid, &rates, loss_bound)
        }
        MethodKind::HeavyBall { beta, start } => {
            heavy_ball(objective, theta0, &grid, *beta, *start, loss_bound)
        }
        MethodKind::Nesterov(schedule) => nesterov(objective, theta0, &grid, *schedule, loss_bound),
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
            run_ensemble(kind, objective, theta0, &grid, loss_bound)
                .expect("sgd and sme are ensembles")
                .0
        }
    }
}

/// Runs every method of `scenario` and every comparison. Divergence and solver failures are recorded in
/// the trajectories' terminations; this never fails. Runs on rayon's pool (see [`on_pool`]), diagnostics
/// included.
pub fn run(scenario: Scenario) -> Report {
    on_pool(|| run_with(scenario, |_, _| None))
}

/// [`run`], except that a method for which `given(index, method)` returns a trajectory takes that one
/// instead of being run: for callers that computed it elsewhere, bit for bit as [`run_method`] would
/// (`flowgap sweep` runs GD for many starts at once with [`crate::discrete::gd_record_lanes`]).
pub fn run_with(
    scenario: Scenario,
    mut given: impl FnMut(usize, &MethodConfig) -> Option<Trajectory>,
) -> Report {
    let objective = scenario.objective.as_ref();
    let methods: Vec<MethodRun> = scenario
        .methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (init, grid, bound) = (&scenario.init, &scenario.grid, scenario.divergence_bound);
            let (trajectory, ensemble) = match given(i, m) {
                Some(t) => (t, None),
                None => match run_ensemble(&m.kind, objective, init, grid, bound) {
                    Some((t, e)) => (t, Some(e)),
                    None => (run_method(&m.kind, objective, init, grid, bound), None),
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
