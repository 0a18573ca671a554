//! The network lanes (`blockwise_gd_net_lanes`, many runs of one mlp sharing each gradient evaluation in
//! SIMD lanes) against `blockwise_gradient_descent` run by run: every recorded step, state, loss,
//! gradient norm, the termination (its step and reason) and the counts, bit for bit. On the
//! trainability network (runs on both sides of the boundary, diverging at different steps), a wider
//! net with a hidden width not a multiple of 4, two hidden layers, a sample count not a multiple of 4
//! and recording every 7th step, a single lane, and more runs than a lane block. The sweep of the
//! trainability scenario through the lanes gives the rows of each point run alone.

use flowgap::discrete::{blockwise_gd_net_lanes, blockwise_gradient_descent, BlockScales, NetRun};
use flowgap::objective::{LaneObjective, Mlp, NET_LANES};
use flowgap::scenario::{load, parse, Scenario};
use flowgap::sweep::Plan;
use flowgap::{Termination, TimeGrid, Trajectory};
use std::path::Path;

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same(lane: &Trajectory, one: &Trajectory, what: &str) {
    assert_eq!(lane.steps, one.steps, "{what}: steps");
    assert_eq!(bits(&lane.times), bits(&one.times), "{what}: times");
    assert_eq!(bits(&lane.states), bits(&one.states), "{what}: states");
    assert_eq!(bits(&lane.losses), bits(&one.losses), "{what}: losses");
    assert_eq!(bits(&lane.grad_norms), bits(&one.grad_norms), "{what}: norms");
    assert_eq!(bits(&lane.conserved), bits(&one.conserved), "{what}: conserved");
    assert_eq!(lane.termination, one.termination, "{what}: termination");
    assert_eq!(lane.stats.grad_evals, one.stats.grad_evals, "{what}: evaluations");
    assert_eq!(
        lane.stats.accepted_steps, one.stats.accepted_steps,
        "{what}: steps taken"
    );
}

fn mlp_of(s: &Scenario) -> &Mlp {
    match s.experiment.objective.lane_objective() {
        Some(LaneObjective::Mlp(m)) => m,
        _ => panic!("an mlp scenario"),
    }
}

/// Runs `scales` (one per layer) from each θ₀ through the lanes and alone; returns the diverged
/// runs' stop steps.
fn compare(s: &Scenario, runs: &[(Vec<f64>, Vec<f64>)], grid: &TimeGrid) -> Vec<u64> {
    let objective = s.experiment.objective.as_ref();
    let bound = s.experiment.divergence_bound;
    let rates: Vec<Vec<f64>> = runs
        .iter()
        .map(|(scales, _)| {
            BlockScales(scales.clone())
                .rates(objective, grid.step_size)
                .unwrap()
        })
        .collect();
    let specs: Vec<NetRun> = runs
        .iter()
        .zip(&rates)
        .map(|((_, theta0), r)| NetRun {
            theta0,
            rates: r,
            loss_bound: bound,
        })
        .collect();
    let lanes = blockwise_gd_net_lanes(mlp_of(s), &specs, grid)
        .expect("this CPU has AVX2 and FMA and the network fits the lanes");
    assert_eq!(lanes.len(), runs.len());
    let mut stops = Vec::new();
    for (i, ((scales, theta0), r)) in runs.iter().zip(&rates).enumerate() {
        let one = blockwise_gradient_descent(objective, theta0, grid, r, bound);
        assert_same(&lanes[i], &one, &format!("run {i}, scales {scales:?}"));
        if let Termination::Diverged { step, .. } = one.termination {
            stops.push(step);
        }
    }
    stops
}

fn trainability() -> Scenario {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trainability_boundary.toml")).unwrap()
}

/// Whether this machine runs the lanes at all (they decline CPUs without AVX2 and FMA).
fn lanes_run() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[test]
fn trainability_runs_on_both_sides_of_the_boundary_equal_single_runs() {
    if !lanes_run() {
        return;
    }
    let s = trainability();
    let theta0 = s.experiment.init.clone();
    // η2 from far below to far above the boundary (it lies near η2 ≈ 40…1000 depending on η1), with
    // η1 across its range: 20 runs, more than two lane blocks, diverging at many different steps.
    let mut runs = Vec::new();
    for e1 in [1.0, 30.0, 650.0, 1000.0] {
        for e2 in [10.0, 45.0, 90.0, 300.0, 1000.0] {
            runs.push((vec![e1, e2], theta0.clone()));
        }
    }
    assert!(runs.len() > 2 * NET_LANES);
    let stops = compare(&s, &runs, &s.experiment.grid);
    assert!(stops.len() >= 4, "some runs diverge: {stops:?}");
    assert!(stops.len() < runs.len(), "some runs converge");
    let mut distinct = stops.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 3, "runs stop at different steps: {stops:?}");
}

#[test]
fn a_single_run_and_different_initial_points_equal_single_runs() {
    if !lanes_run() {
        return;
    }
    let s = trainability();
    let mlp = mlp_of(&s);
    compare(
        &s,
        &[(vec![3.0, 20.0], s.experiment.init.clone())],
        &s.experiment.grid,
    );
    // Each run from its own seed: the lanes need not share θ₀.
    let runs: Vec<_> = (0..NET_LANES as u64 + 3)
        .map(|seed| (vec![100.0, 60.0 + 10.0 * seed as f64], mlp.init(1.0, seed)))
        .collect();
    compare(&s, &runs, &s.experiment.grid);
}

/// A 5-7-6-2 tanh network (hidden widths not multiples of 4, two hidden layers, two outputs), standard
/// parameterisation, on 11 samples (not a multiple of 4), recorded every 7th step with a bound that a
/// recorded loss can cross and rates under which θ overflows first: divergence both at recorded steps
/// and between them.
const DEEP: &str = r#"
name = "net_lanes_deep"
description = "a small deep tanh net"

[objective]
kind = "mlp"
widths = [5, 7, 6, 2]
activation = "tanh"
loss = "mse"
bias = false
parameterization = "standard"

[objective.data]
source = "teacher_student"
samples = 11
inputs = 5
outputs = 2
hidden = 3
seed = 8

[init]
seed = 4
scale = 1.0

[run]
step_size = 0.5
steps = 210
record_every = 7
divergence_bound = 1e200

[[method]]
id = "gd"
kind = "gd"
step_size_scale = [1.0, 1.0, 1.0]
"#;

#[test]
fn a_deeper_narrower_net_recorded_every_seventh_step_equals_single_runs() {
    if !lanes_run() {
        return;
    }
    let s = parse(DEEP, Path::new("net_lanes_deep.toml")).unwrap();
    let theta0 = s.experiment.init.clone();
    let mut runs = Vec::new();
    for a in [0.1, 1.0, 4.0, 12.0] {
        for b in [0.5, 3.0, 9.0] {
            runs.push((vec![a, b, 2.0 * b], theta0.clone()));
        }
    }
    // Rates so large that θ overflows within a few steps, before a recorded loss crosses the bound.
    for a in [1e5, 1e8, 1e11, 3e12] {
        runs.push((vec![a, 7.0 * a, 1e3 * a], theta0.clone()));
    }
    let stops = compare(&s, &runs, &s.experiment.grid);
    assert!(!stops.is_empty() && stops.len() < runs.len(), "{stops:?}");
    assert!(
        stops.iter().any(|k| k % 7 != 0),
        "some run stops between recorded steps: {stops:?}"
    );
}

#[test]
fn networks_the_lanes_cannot_reproduce_are_declined() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trainability_boundary.toml");
    let with_bias = std::fs::read_to_string(path)
        .unwrap()
        .replace("bias = false", "bias = true");
    let b = parse(&with_bias, Path::new("bias.toml")).unwrap();
    let theta0 = b.experiment.init.clone();
    let rates = vec![1.0; theta0.len()];
    let run = NetRun {
        theta0: &theta0,
        rates: &rates,
        loss_bound: 1e10,
    };
    assert!(blockwise_gd_net_lanes(mlp_of(&b), &[run], &b.experiment.grid).is_none());
}

#[test]
fn a_trainability_sweep_through_the_lanes_gives_the_rows_of_single_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trainability_boundary.toml");
    // A 6 × 5 window across the boundary (η2 from 20 to 1000 diverges from about 100 up).
    let grid = [
        "method.gd.step_size_scale[0]=1:1000:6:log".to_string(),
        "method.gd.step_size_scale[1]=20:1000:5:log".to_string(),
    ];
    let plan = Plan::new(&path, &grid).unwrap();
    assert!(
        plan.uses_lanes(),
        "a sweep over the layer scales takes the network lanes"
    );
    let other = Plan::new(&path, &["run.step_size=0.5,1".to_string()]).unwrap();
    assert!(
        !other.uses_lanes(),
        "a step-size axis changes the grid: one row at a time"
    );
    let diverged = super::sweep_lanes::rows_of_single_runs(&plan, dir.path(), 30, "gd.termination");
    assert!(diverged > 0 && diverged < 30, "{diverged} of 30 diverged");
}
