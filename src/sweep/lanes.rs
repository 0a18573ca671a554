//! Sweeps over initial points run their GD methods and their dopri5/dop853 gradient flows many rows at once,
//! through the lane-wise loops ([`gd_record_lanes`], [`gradient_flow_lanes`]), instead of one start per
//! row; sweeps of a network over per-layer step-size scales (and initial points) run their per-block GD
//! through the network lanes ([`blockwise_gd_net_lanes`]).
//!
//! Why only these sweeps: the lane loops advance many starts on one objective, one time grid and one
//! update (or one set of solver settings), so the rows of a batch may differ only in θ₀ (and in the
//! divergence bound, which follows from L(θ₀) and is per lane). A sweep whose every axis is an
//! `init.point[i]` key guarantees that for all its rows. The objective must be one with vectorised lane
//! methods and a fixed small dimension ([`Objective::lane_objective`]); any other sweep keeps running each
//! row alone. A flow takes the lanes when it is `gradient_flow` with dopri5 or dop853 on at most
//! [`crate::continuous::MAX_LANE_STATE`] coordinates ([`lanes_cover`]); other continuous models, and
//! gradient flows with another solver, run per row. The network lanes also let the runs differ in their
//! per-coordinate step sizes, so for an mlp the axes may be `method.<id>.step_size_scale[i]` as well as
//! `init.seed`, `init.scale` and `init.point[i]`; they take only GD with `step_size_scale`, and only
//! networks they reproduce bit for bit ([`crate::objective::MlpLanes::new`]: an AVX2 + FMA CPU, no biases,
//! mean squared error, at most 512 samples). The trajectories equal
//! [`crate::discrete::gradient_descent`]'s, [`crate::discrete::blockwise_gradient_descent`]'s and
//! [`crate::continuous::solve`]'s bit for bit, so rows do not change (tests/it/sweep_lanes.rs,
//! tests/it/net_lanes.rs).

use crate::continuous::{gradient_flow_lanes, lanes_cover, SolverSettings};
use crate::discrete::{blockwise_gd_net_lanes, gd_record_lanes, NetRun};
use crate::method::{MethodConfig, MethodKind};
use crate::objective::{LaneObjective, Mlp, Objective};
use crate::scenario::sweep::Axis;
use crate::scenario::Scenario;
use crate::trajectory::{TimeGrid, Trajectory};
use rayon::prelude::*;

/// Groups of four lanes per loop body (16 starts): the default of the lane bench (benches/workloads.rs).
const GROUPS: usize = 4;

/// Flow lanes per loop body: the width benches/workloads.rs measures best for W3's flow.
const FLOW_LANES: usize = 8;

/// Starts per rayon task: a few loop bodies each, so that a chunk of rows spreads over the threads.
const STARTS_PER_TASK: usize = 64;

/// How a method of an eligible sweep takes its trajectories from the lanes, if it does.
fn lane_method(m: &MethodConfig, dim: usize) -> Option<LaneMethod> {
    match &m.kind {
        MethodKind::Gd => Some(LaneMethod::Gd),
        MethodKind::GradientFlow(s) if lanes_cover(s, dim) => Some(LaneMethod::Flow(*s)),
        _ => None,
    }
}

/// A method the lanes run: plain GD, or the gradient flow with these (dopri5 or dop853) settings.
#[derive(Debug, Clone, Copy)]
enum LaneMethod {
    Gd,
    Flow(SolverSettings),
}

/// True when the rows of a sweep of `base` over `axes` can take some trajectories from the lanes: for
/// a 2-D lane objective, the axes move only the initial point and some method is plain GD or a dopri5
/// or dop853 gradient flow; for a network, the axes move only per-block step-size scales and the initial
/// point (`method.<id>.step_size_scale[i]`, `init.seed`, `init.scale`, `init.point[i]`) and some method
/// is GD with per-block scales (the network lanes, [`blockwise_gd_net_lanes`], which may still decline a
/// network they cannot reproduce bit for bit: those rows run alone).
pub(super) fn eligible(base: &Scenario, axes: &[Axis]) -> bool {
    let e = &base.experiment;
    match e.objective.lane_objective() {
        Some(LaneObjective::Himmelblau(_)) => {
            axes.iter().all(|a| a.key.starts_with("init.point["))
                && e.methods
                    .iter()
                    .any(|m| lane_method(m, e.objective.dim()).is_some())
        }
        Some(LaneObjective::Mlp(_)) => {
            axes.iter().all(|a| net_axis(&a.key))
                && e.methods.iter().any(|m| matches!(m.kind, MethodKind::BlockGd(_)))
        }
        None => false,
    }
}

/// Whether an axis changes only what the network lanes let differ between runs: a method's per-block
/// step-size scales, or the initial point.
fn net_axis(key: &str) -> bool {
    let scale = key
        .strip_prefix("method.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(_, field)| field.starts_with("step_size_scale["));
    scale || key == "init.seed" || key == "init.scale" || key.starts_with("init.point[")
}

/// For each method of the sweep (by its index in `[[method]]`), the trajectories of `rows` (scenarios of
/// one eligible sweep) in order, computed in parallel on the current rayon pool, or `None` for a method
/// the lanes do not run. `None` altogether when the first row's objective has no lane form or the rows
/// do not share its time grid and dimension (the caller then runs each row alone).
pub(super) fn trajectories(rows: &[&Scenario]) -> Option<Vec<Option<Vec<Trajectory>>>> {
    let first = rows.first()?;
    match first.experiment.objective.lane_objective()? {
        LaneObjective::Himmelblau(h) => batch::<_, 2>(h, rows),
        LaneObjective::Mlp(m) => net_batch(m, rows),
    }
}

/// Runs per rayon task of the network lanes: several lane blocks' worth, so that a lane freed by a
/// short (diverged) run mostly takes another run of the task, and a chunk of rows still spreads over
/// the threads.
const NET_RUNS_PER_TASK: usize = 32;

/// [`trajectories`] for a network: each method that is GD with per-block scales, for all rows at once
/// through [`blockwise_gd_net_lanes`]; other methods run per row. `None` when the rows do not share the
/// time grid and dimension, or when the lanes decline the network.
fn net_batch(mlp: &Mlp, rows: &[&Scenario]) -> Option<Vec<Option<Vec<Trajectory>>>> {
    let base = &rows[0].experiment;
    let grid = base.grid.clone();
    let dim = mlp.dim();
    let same = rows.iter().all(|s| {
        s.experiment.grid == grid
            && s.experiment.methods.len() == base.methods.len()
            && s.experiment.methods.iter().all(|m| m.own_grid.is_none())
            && s.experiment.init.len() == dim
            && s.experiment.objective.dim() == dim
    });
    if !same || grid.schedule.is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(base.methods.len());
    for (i, m) in base.methods.iter().enumerate() {
        if !matches!(m.kind, MethodKind::BlockGd(_)) {
            out.push(None);
            continue;
        }
        // The grid and rates `method::run_method` would use: the run's grid on the method's time map,
        // and each row's scales times its step size.
        let on = grid.with_time_map(m.kind.time_map());
        let mut rates = Vec::with_capacity(rows.len());
        for s in rows {
            let MethodKind::BlockGd(scales) = &s.experiment.methods[i].kind else {
                return None;
            };
            rates.push(scales.rates(s.experiment.objective.as_ref(), on.step_size).ok()?);
        }
        let runs: Vec<NetRun> = rows
            .iter()
            .zip(&rates)
            .map(|(s, r)| NetRun {
                theta0: &s.experiment.init,
                rates: r,
                loss_bound: s.experiment.divergence_bound,
            })
            .collect();
        let trajs: Option<Vec<Vec<Trajectory>>> = runs
            .par_chunks(NET_RUNS_PER_TASK)
            .map(|chunk| blockwise_gd_net_lanes(mlp, chunk, &on))
            .collect();
        out.push(Some(trajs?.into_iter().flatten().collect()));
    }
    Some(out)
}

/// [`trajectories`] on the concrete objective `objective` of dimension `D`.
fn batch<O: Objective, const D: usize>(
    objective: &O,
    rows: &[&Scenario],
) -> Option<Vec<Option<Vec<Trajectory>>>> {
    let base = &rows[0].experiment;
    let grid = base.grid.clone();
    let same = rows.iter().all(|s| {
        s.experiment.grid == grid
            && s.experiment.methods.iter().all(|m| m.own_grid.is_none())
            && s.experiment.init.len() == D
            && s.experiment.objective.dim() == D
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
    // GD's trajectories do not depend on anything a GD method sets: computed once for all of them.
    let mut gd: Option<Vec<Trajectory>> = None;
    let mut out = Vec::with_capacity(base.methods.len());
    for m in &base.methods {
        // The grid each method runs on in `method::run_method`: the run's, on the method's time map.
        let on = grid.with_time_map(m.kind.time_map());
        out.push(match lane_method(m, D) {
            None => None,
            Some(LaneMethod::Gd) => Some(
                gd.get_or_insert_with(|| {
                    starts
                        .par_chunks(STARTS_PER_TASK)
                        .zip(bounds.par_chunks(STARTS_PER_TASK))
                        .flat_map_iter(|(s, b)| gd_record_lanes::<O, D, GROUPS>(objective, s, b, &on))
                        .collect()
                })
                .clone(),
            ),
            Some(LaneMethod::Flow(settings)) => Some(
                starts
                    .par_chunks(STARTS_PER_TASK)
                    .zip(bounds.par_chunks(STARTS_PER_TASK))
                    .flat_map_iter(|(s, b)| flows(objective, s, b, &on, &settings))
                    .collect(),
            ),
        });
    }
    Some(out)
}

/// The gradient flow's trajectory from each of `starts`, as [`crate::continuous::solve`] records it: the
/// recorded points as the lanes hand them over (in order within a start), then the start's termination
/// and counts. The counts may exceed `solve`'s for a start that diverged at a recorded point (the lanes
/// stop there; `solve` integrates on): no row shows them.
fn flows<O: Objective, const D: usize>(
    objective: &O,
    starts: &[[f64; D]],
    bounds: &[f64],
    grid: &TimeGrid,
    settings: &SolverSettings,
) -> Vec<Trajectory> {
    let capacity = grid.intervals() as usize + 1;
    let names = objective.conserved_names();
    let mut conserved = vec![0.0; names.len()];
    let mut trajs: Vec<Trajectory> = starts
        .iter()
        .map(|_| Trajectory::with_conserved(D, capacity, names.clone()))
        .collect();
    let ends = gradient_flow_lanes::<O, D, FLOW_LANES>(objective, starts, bounds, grid, settings, |s| {
        let k = grid.step_of(s.j);
        objective.conserved(s.theta, &mut conserved);
        trajs[s.start].push(k, grid.time_of_step(k), s.theta, s.loss, s.grad_norm, &conserved);
    });
    for (traj, end) in trajs.iter_mut().zip(ends) {
        debug_assert_eq!(traj.len() as u64, end.recorded);
        traj.termination = end.termination;
        traj.stats = end.stats;
    }
    trajs
}
