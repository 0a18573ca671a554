//! Running a validated scenario: every method, then every comparison. Pure computation; writing is
//! [`crate::output`]'s job.

use crate::compare::{compare, Comparison};
use crate::continuous::{solve, GradientFlow};
use crate::discrete::gradient_descent;
use crate::scenario::{MethodKind, Scenario};
use crate::trajectory::Trajectory;

/// One method's result.
#[derive(Debug, Clone)]
pub struct MethodRun {
    /// The method's id from the scenario.
    pub id: String,
    /// Its kind (`gd`, `gradient_flow`, …).
    pub kind: String,
    /// True for discrete iterations, false for continuous models (figures draw them differently).
    pub discrete: bool,
    /// The sampled path.
    pub trajectory: Trajectory,
}

/// Everything a run produced.
pub struct Report {
    /// The scenario that was run, as validated.
    pub scenario: Scenario,
    /// Every method's result, in scenario order.
    pub methods: Vec<MethodRun>,
    /// Every comparison, in scenario order.
    pub comparisons: Vec<Comparison>,
}

impl Report {
    /// The method with this id.
    pub fn method(&self, id: &str) -> Option<&MethodRun> {
        self.methods.iter().find(|m| m.id == id)
    }
}

/// Runs every method of `scenario` and every comparison. Divergence and solver failures are recorded in
/// the trajectories' terminations; this never fails.
pub fn run(scenario: Scenario) -> Report {
    let objective = scenario.objective.as_ref();
    let grid = scenario.grid;
    let theta0 = &scenario.init;
    let bound = scenario.divergence_bound;
    let methods: Vec<MethodRun> = scenario
        .methods
        .iter()
        .map(|m| {
            let trajectory = match &m.kind {
                MethodKind::Gd => gradient_descent(objective, theta0, &grid, bound),
                MethodKind::GradientFlow(settings) => solve(
                    &GradientFlow { objective },
                    objective,
                    theta0,
                    &grid,
                    settings,
                    bound,
                ),
            };
            MethodRun {
                id: m.id.clone(),
                kind: m.kind.name().to_string(),
                discrete: m.kind.is_discrete(),
                trajectory,
            }
        })
        .collect();
    let comparisons = scenario
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
    Report {
        scenario,
        methods,
        comparisons,
    }
}
