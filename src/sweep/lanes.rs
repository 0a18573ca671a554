//! Sweeps over initial points run their GD methods many rows at once, through the lane-wise loop
//! ([`gd_record_lanes`]), instead of one start per row.
//!
//! Why only these sweeps: the lane loop advances many starts on one objective, one time grid and one
//! update, so the rows of a batch may differ only in θ₀ (and in the divergence bound, which follows from
//! L(θ₀) and is per lane). A sweep whose every axis is an `init.point[i]` key guarantees that for all
//! its rows. The objective must be one with vectorised lane methods and a fixed small dimension
//! ([`Objective::lane_objective`]); any other sweep keeps running each row alone. The trajectories equal
//! [`crate::discrete::gradient_descent`]'s bit for bit, so rows do not change (tests/it/sweep_lanes.rs).

use crate::discrete::gd_record_lanes;
use crate::method::MethodKind;
use crate::objective::{LaneObjective, Objective};
use crate::scenario::sweep::Axis;
use crate::scenario::Scenario;
use crate::trajectory::Trajectory;
use rayon::prelude::*;

/// Groups of four lanes per loop body (16 starts): the default of the lane bench (benches/workloads.rs).
const GROUPS: usize = 4;

/// Starts per rayon task: a few loop bodies each, so that a chunk of rows spreads over the threads.
const STARTS_PER_TASK: usize = 64;

/// True when the rows of a sweep of `base` over `axes` can take their GD trajectories from the lanes: the
/// axes move only the initial point, the objective has a lane form, and some method is plain GD.
pub(super) fn eligible(base: &Scenario, axes: &[Axis]) -> bool {
    axes.iter().all(|a| a.key.starts_with("init.point["))
        && base.experiment.objective.lane_objective().is_some()
        && base.experiment.methods.iter().any(|m| m.kind == MethodKind::Gd)
}

/// The GD trajectory of each of `rows` (scenarios of one eligible sweep), in order, computed in parallel
/// on the current rayon pool; `None` when the first row's objective has no lane form or the rows do not
/// share its time grid and dimension (the caller then runs each row alone).
pub(super) fn gd_trajectories(rows: &[&Scenario]) -> Option<Vec<Trajectory>> {
    let first = rows.first()?;
    match first.experiment.objective.lane_objective()? {
        LaneObjective::Himmelblau(h) => batch::<_, 2>(h, rows),
    }
}

/// [`gd_trajectories`] on the concrete objective `objective` of dimension `D`.
fn batch<O: Objective, const D: usize>(objective: &O, rows: &[&Scenario]) -> Option<Vec<Trajectory>> {
    let grid = rows[0].experiment.grid.clone();
    let same = rows.iter().all(|s| {
        s.experiment.grid == grid && s.experiment.init.len() == D && s.experiment.objective.dim() == D
    });
    // The lanes step with one η; a scheduled run takes the general path.
    if !same || grid.schedule.is_some() {
        return None;
    }
    let starts: Vec<[f64; D]> = rows
        .iter()
        .map(|s| {
            s.experiment
                .init
                .as_slice()
                .try_into()
                .expect("checked: dimension D")
        })
        .collect();
    let bounds: Vec<f64> = rows.iter().map(|s| s.experiment.divergence_bound).collect();
    // The grid GD runs on in `experiment::run_method`: the run's, on GD's own time map.
    let grid = grid.with_time_map(MethodKind::Gd.time_map());
    Some(
        starts
            .par_chunks(STARTS_PER_TASK)
            .zip(bounds.par_chunks(STARTS_PER_TASK))
            .flat_map_iter(|(s, b)| gd_record_lanes::<O, D, GROUPS>(objective, s, b, &grid))
            .collect(),
    )
}
