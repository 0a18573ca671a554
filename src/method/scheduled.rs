//! The continuous models on a scheduled time axis: which field each kind integrates for a step size η_k,
//! and whether it depends on η (see [`crate::continuous::solve_scheduled_watched`]).

use super::{HeavyBallForm, MethodKind};
use crate::continuous::{
    solve_scheduled_watched, GradientFlow, HeavyBallModifiedFlow, HeavyBallOde, ModifiedFlow,
    SgdModifiedFlow, SolverSettings, VectorField,
};
use crate::objective::Objective;
use crate::trajectory::{TimeGrid, Trajectory};
use crate::watch::Watch;

/// Runs the continuous `kind` on `grid`'s scheduled axis, its field built for η_k on step k; `None` for
/// a kind that is not a single continuous model with a schedule-free time map (the caller runs it as
/// usual).
pub(super) fn scheduled_flow<'a>(
    kind: &'a MethodKind,
    objective: &'a dyn Objective,
    theta0: &[f64],
    grid: &TimeGrid,
    loss_bound: f64,
    watch: &Watch,
) -> Option<Trajectory> {
    let run =
        |make: &dyn Fn(f64) -> Box<dyn VectorField + 'a>, eta_dependent: bool, solver: &SolverSettings| {
            solve_scheduled_watched(
                make,
                eta_dependent,
                objective,
                theta0,
                grid,
                solver,
                loss_bound,
                watch,
            )
        };
    let traj = match kind {
        MethodKind::GradientFlow(solver) => run(&|_| Box::new(GradientFlow { objective }), false, solver),
        MethodKind::ModifiedFlow { order, solver } => run(
            &|eta| Box::new(ModifiedFlow::new(objective, eta, *order)),
            true,
            solver,
        ),
        MethodKind::HeavyBallFlow { beta, form, solver } => match form {
            HeavyBallForm::Modified => run(
                &|eta| Box::new(HeavyBallModifiedFlow::new(objective, eta, *beta)),
                true,
                solver,
            ),
            HeavyBallForm::SecondOrder(start) => run(
                &|eta| Box::new(HeavyBallOde::new(objective, eta, *beta, *start)),
                true,
                solver,
            ),
        },
        MethodKind::SgdModifiedFlow { batch_size, solver } => {
            let samples = objective.as_finite_sum()?;
            run(
                &|eta| Box::new(SgdModifiedFlow::new(objective, samples, eta, *batch_size)),
                true,
                solver,
            )
        }
        MethodKind::AdaptiveFlow { model, solver } => run(&|eta| model.field(objective, eta), true, solver),
        MethodKind::Continuous { model, solver } => run(&|eta| model.0.field(objective, eta), true, solver),
        MethodKind::NesterovOde(_)
        | MethodKind::Gd
        | MethodKind::BlockGd(_)
        | MethodKind::HeavyBall { .. }
        | MethodKind::Nesterov(_)
        | MethodKind::Adaptive(_)
        | MethodKind::Discrete(_)
        | MethodKind::Sgd(_)
        | MethodKind::CentralFlow { .. }
        | MethodKind::StableFlow { .. }
        | MethodKind::Sme(_) => return None,
    };
    Some(traj)
}
