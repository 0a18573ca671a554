//! Running one method: the dispatch from a [`MethodKind`] to its driver (discrete), its vector field and
//! the solver (continuous), or its ensemble.

use super::{HeavyBallForm, MethodKind};
use crate::continuous::{
    central_flow_counted, solve_watched, stable_flow_counted, GradientFlow, HeavyBallModifiedFlow,
    HeavyBallOde, ModifiedFlow, NesterovOde, SgdModifiedFlow, SolverSettings, VectorField,
};
use crate::discrete::{
    adaptive_watched, blockwise_gradient_descent_watched, gradient_descent_watched, heavy_ball_watched,
    nesterov_watched, run_discrete_method,
};
use crate::objective::Objective;
use crate::stochastic::{run_ensemble_watched, EnsembleStats};
use crate::trajectory::{TimeGrid, Trajectory};
use crate::watch::{on_pool, Watch};

/// The problem every method of an experiment is run on: the objective, θ₀, the time grid on t = k·η and
/// the divergence bound.
#[derive(Clone, Copy)]
pub struct Problem<'a> {
    /// The loss.
    pub objective: &'a dyn Objective,
    /// The initial point θ₀.
    pub init: &'a [f64],
    /// The grid on t = k·η (a method with another time map runs on `grid.with_time_map(..)`).
    pub grid: &'a TimeGrid,
    /// The |loss| above which a method counts as diverged.
    pub divergence_bound: f64,
}

/// One method's result.
#[derive(Debug, Clone)]
pub struct MethodRun {
    /// The method's id.
    pub id: String,
    /// Its kind (`gd`, `gradient_flow`, … or a user method's name).
    pub kind: String,
    /// True for discrete iterations, false for continuous models (figures draw them differently).
    pub discrete: bool,
    /// The sampled path (for an ensemble: the ensemble mean).
    pub trajectory: Trajectory,
    /// Ensemble statistics over time (ensembles only).
    pub ensemble: Option<EnsembleStats>,
}

/// Runs one method from `theta0` on the run's grid (t = k·η), mapped to the method's own time axis
/// (on rayon's pool, see [`on_pool`]). An ensemble returns its mean path.
pub fn run_method(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
) -> Trajectory {
    run_method_watched(kind, objective, theta0, grid, loss_bound, &Watch::idle()).0
}

/// What running one method gave besides its path.
#[derive(Debug, Clone, Default)]
pub struct RunExtras {
    /// Ensemble statistics over time (ensembles only).
    pub ensemble: Option<EnsembleStats>,
    /// central_flow or stable_flow with Lanczos eigenpairs: the evaluations of its field where Lanczos stopped at its
    /// iteration cap before meeting its tolerance (`None` for every other method, and with exact
    /// eigenpairs).
    pub lanczos_unconverged: Option<u64>,
}

/// [`run_method`] under `watch` (the method ends with [`crate::Termination::TimeLimit`] once its budget
/// is spent, and reports its progress), with an ensemble's statistics.
pub fn run_method_watched(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> (Trajectory, Option<EnsembleStats>) {
    let (trajectory, extras) = run_method_extras(kind, objective, theta0, grid, loss_bound, watch);
    (trajectory, extras.ensemble)
}

/// [`run_method_watched`] with everything else the run reports ([`RunExtras`]).
pub fn run_method_extras(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> (Trajectory, RunExtras) {
    on_pool(|| run_here(kind, objective, theta0, grid, loss_bound, watch))
}

/// [`run_method_watched`] on the calling thread.
fn run_here(
    kind: &MethodKind,
    objective: &dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> (Trajectory, RunExtras) {
    let grid = grid.with_time_map(kind.time_map());
    if grid.schedule.is_some() && kind.supports_schedule() {
        if let Some(traj) =
            super::scheduled::scheduled_flow(kind, objective, theta0, &grid, loss_bound, watch)
        {
            return (traj, RunExtras::default());
        }
    }
    let eta = grid.step_size;
    let flow = |field: &dyn VectorField, settings: &SolverSettings| {
        solve_watched(field, objective, theta0, &grid, settings, loss_bound, watch)
    };
    let single = match kind {
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
        MethodKind::Adaptive(method) => adaptive_watched(objective, theta0, &grid, method, loss_bound, watch),
        MethodKind::AdaptiveFlow { model, solver } => flow(model.field(objective, eta).as_ref(), solver),
        MethodKind::Discrete(method) => {
            run_discrete_method(method.0.as_ref(), objective, theta0, &grid, loss_bound, watch)
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
        MethodKind::SgdModifiedFlow { batch_size, solver } => {
            let samples = objective
                .as_finite_sum()
                .expect("checked when the experiment was built: a finite-sum objective");
            flow(
                &SgdModifiedFlow::new(objective, samples, eta, *batch_size),
                solver,
            )
        }
        MethodKind::CentralFlow { settings, solver } => {
            let (traj, unconverged) =
                central_flow_counted(objective, theta0, &grid, settings, solver, loss_bound, watch);
            let extras = RunExtras {
                lanczos_unconverged: unconverged,
                ..RunExtras::default()
            };
            return (traj, extras);
        }
        MethodKind::StableFlow { settings, solver } => {
            let (traj, unconverged) =
                stable_flow_counted(objective, theta0, &grid, settings, solver, loss_bound, watch);
            let extras = RunExtras {
                lanczos_unconverged: unconverged,
                ..RunExtras::default()
            };
            return (traj, extras);
        }
        MethodKind::Continuous { model, solver } => flow(model.0.field(objective, eta).as_ref(), solver),
        MethodKind::Sgd(_) | MethodKind::Sme(_) => {
            let which = kind.ensemble().expect("sgd and sme are ensembles");
            let (mean, stats) = run_ensemble_watched(which, objective, theta0, &grid, loss_bound, watch);
            let extras = RunExtras {
                ensemble: Some(stats),
                ..RunExtras::default()
            };
            return (mean, extras);
        }
    };
    (single, RunExtras::default())
}
