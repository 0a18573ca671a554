//! The three workloads of issue 8, timed as a user would run them through flowgap's public API, and their
//! results printed so the Python implementations in benches/python/ can be checked against them:
//!
//! - W1 Rosenbrock (a = 1, b = 100) from (−1.5, 2): 200,000 GD steps at η = 1e-4, and gradient flow to
//!   t = 20 at rtol 1e-10, atol 1e-12 (dop853 and dopri5) sampled every 100 steps' time (t = 0.01 apart);
//! - W2 teacher–student: 1000 samples x ~ N(0, I_20) labelled by a 5-unit tanh teacher (seed 7, no noise),
//!   a 20-50-1 tanh student with biases (LeCun init, seed 1), mean squared error, both layers trained:
//!   2000 GD steps at η = 0.05, and gradient flow (dopri5) to t = 100 at rtol 1e-8, atol 1e-10, sampled
//!   every 10 steps' time;
//! - W3 Himmelblau basin map: 256×256 starts on [−6, 6]² (both ends included): GD 2000 steps at η = 0.01
//!   and gradient flow (dopri5) to t = 20 at rtol 1e-8, atol 1e-10, final points only; each final point
//!   is labelled by the minimum it is within 0.1 of (else "none", or "diverged"), and the fraction of
//!   starts whose labels differ is reported. Starts run in parallel with rayon on `FLOWGAP_BENCH_THREADS`
//!   threads (default 2); every start is independent, so the results do not depend on the thread count.
//! - W4 trainability map (issue 24): scenarios/trainability_boundary.toml's 128×128 sweep (an 8-16-1 tanh
//!   mean-field net, 500 GD steps with one rate per layer, η1 × η2 log-spaced) as `flowgap sweep` runs
//!   it on `FLOWGAP_BENCH_THREADS` jobs, each cell labelled converged or diverged; beside it the same runs
//!   without the sweep's rows (per cell, and through the network lanes alone). `w4_large` (named only,
//!   run once): a 1024×1024 zoom window of the map.
//!
//! Named only, not run by default: `w3_dop853` (W3's flow with dop853, `solve` against the lanes, and
//! the dopri5 lanes alone), `w3_gradient_floor` (one Himmelblau gradient in lane form: the floor of the
//! lane flow) and `relu_flow` (issue 24's ReLU network flow at the default solver and at dopri5, rtol 1e-6).
//!
//! A custom harness (not criterion): W2's flow, W3 and W4 take seconds per run, so each workload runs once to
//! warm up and then `FLOWGAP_BENCH_REPS` times (default 5); the median and the minimum wall time are
//! printed. With `FLOWGAP_BENCH_DUMP=DIR` it writes DIR/flowgap.json (times, final points, the W2 data and
//! initial point), which benches/python/run.sh hands to the Python scripts.
//! Run: `cargo bench --bench workloads`.

use flowgap::continuous::{
    gradient_flow_final_lanes, solve, Controller, FlowLaneEnd, GradientFlow, SolverKind, SolverSettings,
};
use flowgap::data::synthetic::{teacher_student, TeacherStudent};
use flowgap::discrete::{
    blockwise_gd_net_lanes, blockwise_gradient_descent, gd_final_lanes, gradient_descent, BlockScales,
    GdFinal, NetRun,
};
use flowgap::objective::activation::Activation;
use flowgap::objective::{
    Himmelblau, LaneObjective, Mlp, MlpConfig, MlpLoss, Objective, Parameterization, Rosenbrock,
};
use flowgap::scenario;
use flowgap::sweep::{run_sweep, Options, Plan, Shard};
use flowgap::watch::on_pool;
use flowgap::{Termination, TimeGrid, Trajectory};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::hint::black_box;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Runs `f` once to warm up, then `reps` times; returns (median, min) seconds and the last result.
fn time<R>(reps: usize, mut f: impl FnMut() -> R) -> (f64, f64, R) {
    let mut out = black_box(f());
    let mut secs = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        out = black_box(f());
        secs.push(start.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    (secs[secs.len() / 2], secs[0], out)
}

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn last(traj: &Trajectory) -> Vec<f64> {
    traj.state(traj.len() - 1).to_vec()
}

fn settings(solver: SolverKind, rtol: f64, atol: f64) -> SolverSettings {
    SolverSettings {
        solver,
        rtol,
        atol,
        max_steps: 10_000_000,
        dt: 0.0,
        controller: None,
    }
}

fn report(name: &str, (median, min): (f64, f64), extra: &str) -> Value {
    println!("{name:<28} median {median:>10.4} s   min {min:>10.4} s   {extra}");
    json!({ "median_s": median, "min_s": min })
}

fn w1(reps: usize) -> Value {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let theta0 = [-1.5, 2.0];
    let grid = TimeGrid::new(1e-4, 200_000, 100);
    let (m, n, gd) = time(reps, || gradient_descent(&f, &theta0, &grid, 1e10));
    let gd_json = report("w1_gd", (m, n), &format!("final {:?}", last(&gd)));
    let mut out = json!({ "gd": gd_json, "gd_final": last(&gd) });
    for (key, solver) in [("dop853", SolverKind::Dop853), ("dopri5", SolverKind::Dopri5)] {
        let s = settings(solver, 1e-10, 1e-12);
        let (m, n, flow) = time(reps, || {
            solve(&GradientFlow { objective: &f }, &f, &theta0, &grid, &s, 1e10)
        });
        assert_eq!(flow.len(), 2001, "samples at t = 0, 0.01, …, 20");
        let v = report(
            &format!("w1_flow_{key}"),
            (m, n),
            &format!("final {:?}, {} evals", last(&flow), flow.stats.grad_evals),
        );
        out[format!("flow_{key}")] = v;
        out[format!("flow_{key}_final")] = json!(last(&flow));
    }
    out
}

fn w2(reps: usize) -> Value {
    let cfg = TeacherStudent {
        samples: 1000,
        inputs: 20,
        hidden: 5,
        outputs: 1,
        noise: 0.0,
    };
    let (data, _) = teacher_student(&cfg, 7).expect("valid teacher–student settings");
    let config = MlpConfig {
        widths: vec![20, 50, 1],
        activation: Activation::Tanh,
        loss: MlpLoss::Mse,
        bias: true,
        parameterization: Parameterization::Standard,
    };
    let net = Mlp::new(config, &data).expect("valid network");
    let theta0 = net.init(1.0, 1);
    let grid = TimeGrid::new(0.05, 2000, 10);
    // On rayon's pool, as `flowgap run` runs every method (`watch::on_pool`): the gradient's chunks are then
    // shared with the calling thread instead of handed over to the pool and waited for.
    let (m, n, gd) = time(reps, || on_pool(|| gradient_descent(&net, &theta0, &grid, 1e10)));
    let gd_json = report("w2_gd", (m, n), &format!("final loss {:.12e}", gd.final_loss()));
    let s = settings(SolverKind::Dopri5, 1e-8, 1e-10);
    let (m, n, flow) = time(reps.min(3), || {
        on_pool(|| solve(&GradientFlow { objective: &net }, &net, &theta0, &grid, &s, 1e10))
    });
    let flow_json = report(
        "w2_flow_dopri5",
        (m, n),
        &format!(
            // ode_solvers calls solout at every dense output point as well as at every step, so
            // stats.accepted_steps overcounts in dense mode; Dopri5 makes 6 evaluations a step (FSAL)
            // plus 2 for its initial step size, which gives the step count to set beside diffrax's.
            "final loss {:.12e}, {} evals (≈{} steps), {} rejected",
            flow.final_loss(),
            flow.stats.grad_evals,
            flow.stats.grad_evals.saturating_sub(2) / 6,
            flow.stats.rejected_steps
        ),
    );
    // The same flow under the plain integral controller (`controller = "i"`, β = 0) instead of dopri5's PI.
    let s_i = SolverSettings {
        controller: Some(Controller::I),
        ..s
    };
    let (m, n, flow_i) = time(reps.min(3), || {
        on_pool(|| {
            solve(
                &GradientFlow { objective: &net },
                &net,
                &theta0,
                &grid,
                &s_i,
                1e10,
            )
        })
    });
    let flow_i_json = report(
        "w2_flow_dopri5_i",
        (m, n),
        &format!(
            "final loss {:.12e}, {} evals (≈{} steps), {} rejected",
            flow_i.final_loss(),
            flow_i.stats.grad_evals,
            flow_i.stats.grad_evals.saturating_sub(2) / 6,
            flow_i.stats.rejected_steps
        ),
    );
    // Row-major x (n × 20) and y (n), θ0 in flowgap's layout [W1 (50×20, row-major), b1, W2, b2].
    let x: Vec<f64> = data.x.transpose().as_slice().to_vec();
    json!({
        "gd": gd_json, "gd_final": last(&gd), "gd_final_loss": gd.final_loss(),
        "flow_dopri5_i": flow_i_json, "flow_dopri5_i_evals": flow_i.stats.grad_evals,
        "flow_dopri5_i_final_loss": flow_i.final_loss(),
        "flow_dopri5": flow_json, "flow_dopri5_final": last(&flow),
        "flow_dopri5_final_loss": flow.final_loss(), "flow_dopri5_evals": flow.stats.grad_evals,
        "x": x, "y": data.y.as_slice(), "theta0": theta0,
    })
}

/// The index of the minimum within 0.1 of `p`, 4 for none, 5 for a run that diverged.
fn basin(traj: &Trajectory, minima: &[Vec<f64>]) -> u8 {
    if !matches!(traj.termination, Termination::Completed) {
        return 5;
    }
    label(&last(traj), minima)
}

/// The index of the minimum within 0.1 of `p`, 4 for none.
fn label(p: &[f64], minima: &[Vec<f64>]) -> u8 {
    minima
        .iter()
        .position(|m| (p[0] - m[0]).hypot(p[1] - m[1]) < 0.1)
        .map_or(4, |i| i as u8)
}

/// W3's lanes rows alone (`cargo bench --bench workloads -- w3_lanes`): for A/B runs of the lane loop,
/// without the seconds of the one-start GD and the flow timings (the labels are still checked against the
/// one-start path, run once untimed).
fn w3_lanes(reps: usize, threads: usize) -> Value {
    w3_with(reps, threads, false)
}

fn w3(reps: usize, threads: usize) -> Value {
    w3_with(reps, threads, true)
}

fn w3_with(reps: usize, threads: usize, all: bool) -> Value {
    let starts = w3_starts();
    let minima = Himmelblau::minima();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let grid = TimeGrid::new(0.01, 2000, 2000);
    let s = settings(SolverKind::Dopri5, 1e-8, 1e-10);
    let basins = |run: &(dyn Fn(&[f64; 2]) -> Trajectory + Sync)| -> Vec<u8> {
        pool.install(|| starts.par_iter().map(|p| basin(&run(p), &minima)).collect())
    };
    let one_start = || basins(&|p: &[f64; 2]| gradient_descent(&Himmelblau, p, &grid, 1e10));
    let (gd, gd_json) = if all {
        let (m, n, gd) = time(reps, one_start);
        (gd, report("w3_gd_65536_starts", (m, n), ""))
    } else {
        (one_start(), Value::Null)
    };
    // The final-point path (no trajectory, G groups of 4 starts per loop body), chunked over the pool; its
    // labels must equal the reference path's (they are bit-identical, tests/it/gd_lanes.rs). 16 lanes
    // (G = 4) is the default; 4 and 8 show what the width buys.
    let lane_labels = |ends: Vec<GdFinal<2>>| -> Vec<u8> {
        ends.iter()
            .map(|f| match f.diverged_at {
                Some(_) => 5,
                None => label(&f.theta, &minima),
            })
            .collect()
    };
    let mut lanes_json = json!({});
    for width in [16usize, 4, 8] {
        let run = |c: &[[f64; 2]]| match width {
            4 => gd_final_lanes::<_, 2, 1>(&Himmelblau, c, &grid, 1e10),
            8 => gd_final_lanes::<_, 2, 2>(&Himmelblau, c, &grid, 1e10),
            _ => gd_final_lanes::<_, 2, 4>(&Himmelblau, c, &grid, 1e10),
        };
        let (m, n, ends) = time(reps, || {
            pool.install(|| starts.par_chunks(1024).flat_map_iter(run).collect::<Vec<_>>())
        });
        assert_eq!(
            lane_labels(ends),
            gd,
            "the lane path's basin labels equal the reference path's"
        );
        let name = format!("w3_gd_65536_starts_lanes_{width}");
        lanes_json[format!("lanes_{width}")] = report(&name, (m, n), "");
    }
    if !all {
        return json!({ "gd_final_lanes": lanes_json["lanes_16"], "gd_lanes": lanes_json });
    }
    let (m, n, flow) = time(reps.min(3), || {
        basins(&|p: &[f64; 2]| {
            solve(
                &GradientFlow {
                    objective: &Himmelblau,
                },
                &Himmelblau,
                p,
                &grid,
                &s,
                1e10,
            )
        })
    });
    let flow_json = report("w3_flow_dopri5_65536_starts", (m, n), "");
    // The same flows through the lane integrator (8 starts per loop body, chunks of 1024 over the pool):
    // its ends are `solve`'s bit for bit (tests/it/flow_lanes.rs), so its labels must equal the above.
    let bounds = vec![1e10; 1024];
    let flow_lanes =
        |c: &[[f64; 2]]| gradient_flow_final_lanes::<_, 2, 8>(&Himmelblau, c, &bounds[..c.len()], &grid, &s);
    let (m, n, ends) = time(reps.min(3), || {
        pool.install(|| {
            starts
                .par_chunks(1024)
                .flat_map_iter(flow_lanes)
                .collect::<Vec<FlowLaneEnd<2>>>()
        })
    });
    let evals: u64 = ends.iter().map(|e| e.stats.grad_evals).sum();
    let lane_flow: Vec<u8> = ends
        .iter()
        .map(|e| match e.termination {
            Termination::Completed => label(&e.theta, &minima),
            _ => 5,
        })
        .collect();
    assert_eq!(lane_flow, flow, "the lane flow's basin labels equal solve's");
    let flow_lanes_json = report(
        "w3_flow_dopri5_lanes_8",
        (m, n),
        &format!(
            "{evals} gradient evaluations ({:.0} per start)",
            evals as f64 / starts.len() as f64
        ),
    );
    let count = |v: &[u8], b: u8| v.iter().filter(|&&x| x == b).count();
    let disagree = gd.iter().zip(&flow).filter(|(a, b)| a != b).count() as f64 / starts.len() as f64;
    println!(
        "w3: disagreement {disagree:.6}; gd per basin {:?}; flow per basin {:?} (minima 0..3, none, diverged)",
        (0..6).map(|b| count(&gd, b)).collect::<Vec<_>>(),
        (0..6).map(|b| count(&flow, b)).collect::<Vec<_>>()
    );
    json!({
        "gd": gd_json, "gd_final_lanes": lanes_json["lanes_16"], "gd_lanes": lanes_json, "flow_dopri5": flow_json, "flow_dopri5_lanes": flow_lanes_json, "flow_evals": evals, "disagreement": disagree,
        "gd_basins": gd, "flow_basins": flow, "minima": minima,
    })
}

/// W3's flow with dop853 (same starts, horizon and tolerances, `cargo bench --bench workloads --
/// w3_dop853`): `solve` one start at a time against the lane integrator (8 starts per loop body), min of
/// `reps`; the lanes' ends are `solve`'s bit for bit (tests/it/flow_lanes.rs), so their labels must agree.
fn w3_dop853(reps: usize, threads: usize) -> Value {
    let starts = w3_starts();
    let minima = Himmelblau::minima();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let grid = TimeGrid::new(0.01, 2000, 2000);
    let s = settings(SolverKind::Dop853, 1e-8, 1e-10);
    let (m, n, flow) = time(reps, || {
        pool.install(|| {
            starts
                .par_iter()
                .map(|p| {
                    let traj = solve(
                        &GradientFlow {
                            objective: &Himmelblau,
                        },
                        &Himmelblau,
                        p,
                        &grid,
                        &s,
                        1e10,
                    );
                    basin(&traj, &minima)
                })
                .collect::<Vec<u8>>()
        })
    });
    let solve_json = report("w3_flow_dop853_65536_starts", (m, n), "");
    let bounds = vec![1e10; 1024];
    let flow_lanes =
        |c: &[[f64; 2]]| gradient_flow_final_lanes::<_, 2, 8>(&Himmelblau, c, &bounds[..c.len()], &grid, &s);
    let (m, n, ends) = time(reps, || {
        pool.install(|| {
            starts
                .par_chunks(1024)
                .flat_map_iter(flow_lanes)
                .collect::<Vec<FlowLaneEnd<2>>>()
        })
    });
    let evals: u64 = ends.iter().map(|e| e.stats.grad_evals).sum();
    let lane_flow: Vec<u8> = ends
        .iter()
        .map(|e| match e.termination {
            Termination::Completed => label(&e.theta, &minima),
            _ => 5,
        })
        .collect();
    assert_eq!(
        lane_flow, flow,
        "the dop853 lane flow's basin labels equal solve's"
    );
    let lanes_json = report(
        "w3_flow_dop853_lanes_8",
        (m, n),
        &format!(
            "{evals} gradient evaluations ({:.0} per start)",
            evals as f64 / starts.len() as f64
        ),
    );
    // W3's own dopri5 flow through the lanes, for the evaluation floor (its `solve` timing is w3's).
    let s5 = settings(SolverKind::Dopri5, 1e-8, 1e-10);
    let dopri5_lanes =
        |c: &[[f64; 2]]| gradient_flow_final_lanes::<_, 2, 8>(&Himmelblau, c, &bounds[..c.len()], &grid, &s5);
    let (m, n, ends) = time(reps, || {
        pool.install(|| {
            starts
                .par_chunks(1024)
                .flat_map_iter(dopri5_lanes)
                .collect::<Vec<FlowLaneEnd<2>>>()
        })
    });
    let evals5: u64 = ends.iter().map(|e| e.stats.grad_evals).sum();
    let dopri5_json = report(
        "w3_flow_dopri5_lanes_8",
        (m, n),
        &format!(
            "{evals5} gradient evaluations ({:.0} per start)",
            evals5 as f64 / starts.len() as f64
        ),
    );
    json!({ "flow_dop853": solve_json, "flow_dop853_lanes": lanes_json, "flow_evals": evals, "flow_dopri5_lanes": dopri5_json, "flow_dopri5_evals": evals5 })
}

/// The evaluation floor of W3's flow (`cargo bench --bench workloads -- w3_gradient_floor`): the time of
/// one Himmelblau gradient in the lane form the flow lanes call (`gradient_lanes` on 8 lanes, as their
/// stages do, the points perturbed each round so nothing is hoisted), on one thread; min of `reps` runs
/// of 2²⁴ lane calls. Multiplied by W3's evaluation count over 2 cores it is the time no integrator of
/// this many evaluations can beat.
// Index loops over lanes, as the integrator's stages write them.
#[allow(clippy::needless_range_loop)]
fn w3_gradient_floor(reps: usize) -> Value {
    const L: usize = 8;
    const ROUNDS: usize = 1 << 21;
    let mut y = [[0.0f64; L]; 2];
    for l in 0..L {
        y[0][l] = -5.0 + 1.3 * l as f64;
        y[1][l] = 4.0 - 0.9 * l as f64;
    }
    let (m, n, _) = time(reps, || {
        let mut g = [[0.0f64; L]; 2];
        let mut acc = 0.0;
        for _ in 0..ROUNDS {
            Himmelblau.gradient_lanes(black_box(&y), &mut g);
            for l in 0..L {
                // A stage-like update: the next point depends on this gradient, as in the integrator.
                y[0][l] -= 1e-12 * g[0][l];
                y[1][l] -= 1e-12 * g[1][l];
            }
            acc += g[0][0];
        }
        black_box(acc)
    });
    let evals = (ROUNDS * L) as f64;
    let (per_m, per_n) = (m / evals, n / evals);
    report(
        "w3_gradient_floor",
        (m, n),
        &format!(
            "{:.2} ns per gradient (min; median {:.2} ns), lane form, {L} lanes",
            per_n * 1e9,
            per_m * 1e9
        ),
    );
    json!({ "ns_per_gradient_min": per_n * 1e9, "ns_per_gradient_median": per_m * 1e9 })
}

/// Issue 24's ReLU flow (`cargo bench --bench workloads -- relu_flow`, run once): a 2-32-2 ReLU net with
/// biases on 100 teacher–student samples (a 2-4-2 tanh teacher, seed 3; LeCun init, seed 1; mean squared
/// error), gradient flow over 2000 steps' time at η = 0.1 recorded every 10 steps, at the default
/// (dop853, rtol 1e-10, atol 1e-12, max_steps 10⁷) and at the documented setting for non-smooth
/// objectives (dopri5, rtol 1e-6, atol 1e-8): the ending, the time reached, the steps and the wall time.
fn relu_flow() -> Value {
    let cfg = TeacherStudent {
        samples: 100,
        inputs: 2,
        hidden: 4,
        outputs: 2,
        noise: 0.0,
    };
    let (data, _) = teacher_student(&cfg, 3).expect("valid teacher–student settings");
    let config = MlpConfig {
        widths: vec![2, 32, 2],
        activation: Activation::Relu,
        loss: MlpLoss::Mse,
        bias: true,
        parameterization: Parameterization::Standard,
    };
    let net = Mlp::new(config, &data).expect("valid network");
    let theta0 = net.init(1.0, 1);
    let grid = TimeGrid::new(0.1, 2000, 10);
    let mut out = json!({});
    for (name, s) in [
        ("default_dop853", SolverSettings::default()),
        ("dopri5_1e-6", settings(SolverKind::Dopri5, 1e-6, 1e-8)),
    ] {
        let start = Instant::now();
        let traj = solve(&GradientFlow { objective: &net }, &net, &theta0, &grid, &s, 1e10);
        let secs = start.elapsed().as_secs_f64();
        let t = traj.times.last().copied().unwrap_or(0.0);
        println!(
            "relu_flow {name:<16} {:>8.2} s  {:?}  last t {t}  accepted {}  rejected {}  evals {}  final loss {:.6e}",
            secs,
            traj.termination,
            traj.stats.accepted_steps,
            traj.stats.rejected_steps,
            traj.stats.grad_evals,
            traj.final_loss()
        );
        out[name] = json!({ "seconds": secs, "t": t, "termination": traj.termination.name() });
    }
    out
}

/// The trainability_boundary scenario's file.
fn w4_scenario_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trainability_boundary.toml")
}

/// A fresh, not yet existing folder under the system's temp dir for one sweep of W4.
fn w4_dir(tag: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("flowgap_w4_{}_{tag}_{k}", std::process::id()))
}

/// Runs `plan` as `flowgap sweep` does (all of it, `jobs` threads, no progress bar) into a fresh folder,
/// and returns the folder (its sweep.csv, summary.json and trainability.png).
fn w4_sweep_into(plan: &Plan, jobs: usize, tag: &str) -> std::path::PathBuf {
    let dir = w4_dir(tag);
    let options = Options {
        jobs,
        shard: Shard::WHOLE,
        progress: false,
    };
    run_sweep(plan, &dir, options, &AtomicBool::new(false)).expect("the sweep runs");
    dir
}

/// The converged (0) / diverged (1) label per cell of a two-axis sweep's sweep.csv, as `lab[i0 * n1 +
/// i1]` for the first axis' value i0 and the second's i1 (the trainability figure's reading: the `gd`
/// method's termination, `completed` or `diverged`; anything else is a bug here). Removes the folder.
fn w4_labels(plan: &Plan, dir: &std::path::Path) -> Vec<u8> {
    let text = std::fs::read_to_string(dir.join("sweep.csv")).expect("the sweep wrote its table");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (a0, a1, term) = (
        col(&plan.spec.axes[0].key),
        col(&plan.spec.axes[1].key),
        col("gd.termination"),
    );
    let (v0, v1) = (&plan.spec.axes[0].values, &plan.spec.axes[1].values);
    let mut lab = vec![u8::MAX; v0.len() * v1.len()];
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let find = |v: &[f64], c: &str| {
            let x: f64 = c.parse().expect("a number");
            v.iter()
                .position(|a| a.to_bits() == x.to_bits())
                .expect("an axis value")
        };
        let (i, j) = (find(v0, cells[a0]), find(v1, cells[a1]));
        lab[i * v1.len() + j] = match cells[term] {
            "completed" => 0,
            "diverged" => 1,
            other => panic!("run ({i}, {j}) ended {other}"),
        };
    }
    assert!(lab.iter().all(|&l| l <= 1), "every cell has a row");
    let _ = std::fs::remove_dir_all(dir);
    lab
}

/// W4 (`cargo bench --bench workloads -- w4`): the trainability_boundary sweep, 128×128 cells (η1 ∈
/// [1, 1000] × η2 ∈ [10, 1000], log), an 8-16-1 tanh mean-field net trained by 500 steps of GD with one
/// rate per layer, timed as `flowgap sweep trainability_boundary --jobs THREADS` runs it through the
/// library (`Plan::new` + `run_sweep`: every row's scenario, the runs, sweep.csv, summary.json and the
/// figure); min/median of `reps.min(3)`. Beside it, the same runs without the sweep's row machinery
/// (`blockwise_gradient_descent` per cell on one scenario's objective per chunk of cells): the per-run
/// overhead of the sweep is the difference. Dumps the labels (0 converged, 1 diverged, row-major over
/// (η1, η2)), the axes, the data and θ₀ for benches/python/w4.py.
fn w4(reps: usize, threads: usize) -> Value {
    let path = w4_scenario_path();
    let plan = Plan::new(&path, &[]).expect("the scenario's sweep plans");
    let (m, n, dir) = time(reps.min(3), || w4_sweep_into(&plan, threads, "w4"));
    let labels = w4_labels(&plan, &dir);
    let cells = labels.len();
    let diverged = labels.iter().filter(|&&l| l == 1).count();
    let sweep_json = report(
        "w4_sweep_16384_runs",
        (m, n),
        &format!("{diverged} of {cells} cells diverged ({threads} threads)"),
    );
    // The same cells straight through the per-layer GD, one scenario loaded per chunk of cells (an
    // `Mlp` keeps its work buffers behind a lock, so threads must not share one).
    let (v0, v1) = (plan.spec.axes[0].values.clone(), plan.spec.axes[1].values.clone());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let direct = || -> Vec<u8> {
        let idx: Vec<usize> = (0..cells).collect();
        pool.install(|| {
            idx.par_chunks(256)
                .flat_map_iter(|chunk| {
                    let s = scenario::load(&path).expect("the scenario loads");
                    let e = &s.experiment;
                    let o = e.objective.as_ref();
                    chunk
                        .iter()
                        .map(|&c| {
                            let scales = BlockScales(vec![v0[c / v1.len()], v1[c % v1.len()]]);
                            let rates = scales.rates(o, e.grid.step_size).expect("two layers");
                            let t =
                                blockwise_gradient_descent(o, &e.init, &e.grid, &rates, e.divergence_bound);
                            u8::from(matches!(t.termination, Termination::Diverged { .. }))
                        })
                        .collect::<Vec<u8>>()
                })
                .collect()
        })
    };
    let (m, n, direct_labels) = time(reps.min(3), direct);
    assert_eq!(
        direct_labels, labels,
        "the direct runs label every cell as the sweep does"
    );
    let direct_json = report(
        "w4_direct_gd_16384_runs",
        (m, n),
        "blockwise_gradient_descent per cell",
    );
    // The same cells through the network lanes alone (`blockwise_gd_net_lanes`, as the sweep calls them,
    // 32 cells per task), without the sweep's rows.
    let s = scenario::load(&path).expect("the scenario loads");
    let e = &s.experiment;
    let Some(LaneObjective::Mlp(mlp)) = e.objective.lane_objective() else {
        panic!("an mlp");
    };
    let rates: Vec<Vec<f64>> = (0..cells)
        .map(|c| {
            let scales = BlockScales(vec![v0[c / v1.len()], v1[c % v1.len()]]);
            scales
                .rates(e.objective.as_ref(), e.grid.step_size)
                .expect("two layers")
        })
        .collect();
    let lanes = || -> Option<Vec<u8>> {
        let runs: Vec<NetRun> = rates
            .iter()
            .map(|r| NetRun {
                theta0: &e.init,
                rates: r,
                loss_bound: e.divergence_bound,
            })
            .collect();
        pool.install(|| {
            let per: Option<Vec<Vec<u8>>> = runs
                .par_chunks(32)
                .map(|chunk| {
                    let trajs = blockwise_gd_net_lanes(mlp, chunk, &e.grid)?;
                    Some(
                        trajs
                            .iter()
                            .map(|t| u8::from(matches!(t.termination, Termination::Diverged { .. })))
                            .collect(),
                    )
                })
                .collect();
            per.map(|p| p.concat())
        })
    };
    let (m, n, lane_labels) = time(reps.min(3), lanes);
    let lanes_json = match lane_labels {
        Some(l) => {
            assert_eq!(l, labels, "the lanes label every cell as the sweep does");
            report(
                "w4_net_lanes_16384_runs",
                (m, n),
                "blockwise_gd_net_lanes, 32 cells per task",
            )
        }
        None => Value::Null,
    };
    // The data and θ₀ for the Python peers, checked against the scenario's own objective (same loss and
    // gradient bit for bit at θ₀, so the regenerated data is the scenario's).
    let s = scenario::load(&path).expect("the scenario loads");
    let e = &s.experiment;
    let (data, _) = teacher_student(
        &TeacherStudent {
            samples: 16,
            inputs: 8,
            hidden: 4,
            outputs: 1,
            noise: 0.0,
        },
        3,
    )
    .expect("valid teacher–student settings");
    let config = MlpConfig {
        widths: vec![8, 16, 1],
        activation: Activation::Tanh,
        loss: MlpLoss::Mse,
        bias: false,
        parameterization: Parameterization::MeanField,
    };
    let net = Mlp::new(config, &data).expect("valid network");
    let (mut g0, mut g1) = (vec![0.0; net.dim()], vec![0.0; net.dim()]);
    let l0 = e.objective.loss_gradient(&e.init, &mut g0);
    assert_eq!(
        l0.to_bits(),
        net.loss_gradient(&e.init, &mut g1).to_bits(),
        "same data"
    );
    assert_eq!(g0, g1, "same data");
    let x: Vec<f64> = data.x.transpose().as_slice().to_vec();
    json!({
        "sweep": sweep_json, "direct_gd": direct_json, "net_lanes": lanes_json, "labels": labels, "eta1": v0, "eta2": v1,
        "x": x, "y": data.y.as_slice(), "theta0": e.init, "steps": e.grid.steps,
        "divergence_bound": e.divergence_bound, "initial_loss": l0,
    })
}

/// W4-large (`cargo bench --bench workloads -- w4_large`, run once): a 1024×1024 zoom window of W4's map
/// on the boundary, η1 ∈ [500, 700] × η2 ∈ [80, 100] (log; docs/sweeps.md's second zoom), through the
/// sweep as `flowgap sweep trainability_boundary --grid … --jobs THREADS` runs it. `FLOWGAP_W4_LARGE_SIDE`
/// sets the side (default 1024).
fn w4_large(threads: usize) -> Value {
    let side = env_usize("FLOWGAP_W4_LARGE_SIDE", 1024);
    let grid = [
        format!("method.gd.step_size_scale[0]=500:700:{side}:log"),
        format!("method.gd.step_size_scale[1]=80:100:{side}:log"),
    ];
    let plan = Plan::new(&w4_scenario_path(), &grid).expect("the zoom plans");
    let start = Instant::now();
    let dir = w4_sweep_into(&plan, threads, "large");
    let secs = start.elapsed().as_secs_f64();
    let labels = w4_labels(&plan, &dir);
    let diverged = labels.iter().filter(|&&l| l == 1).count();
    report(
        &format!("w4_large_{side}x{side}"),
        (secs, secs),
        &format!(
            "{diverged} of {} cells diverged ({threads} threads), window {grid:?}",
            labels.len()
        ),
    );
    json!({ "seconds": secs, "side": side, "cells": labels.len(), "diverged": diverged, "grid": grid })
}

/// W3's 256×256 starts on [−6, 6]², row by row.
fn w3_starts() -> Vec<[f64; 2]> {
    let side = 256usize;
    (0..side * side)
        .map(|i| {
            let (r, c) = (i / side, i % side);
            let at = |k: usize| -6.0 + 12.0 * k as f64 / (side - 1) as f64;
            [at(c), at(r)]
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments select workloads by name (w1, w2, w3, w4, or
    // w3_lanes: W3's lanes rows alone; w3_dop853, w3_gradient_floor, w4_large and relu_flow run only when
    // named).
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |w: &str| picked.is_empty() || picked.iter().any(|p| p == w);
    let reps = env_usize("FLOWGAP_BENCH_REPS", 5);
    let threads = env_usize("FLOWGAP_BENCH_THREADS", 2);
    let mut out = json!({ "reps": reps, "threads": threads });
    if want("w1") {
        out["w1"] = w1(reps);
    }
    if want("w2") {
        out["w2"] = w2(reps);
    }
    if want("w3") {
        out["w3"] = w3(reps, threads);
    } else if picked.iter().any(|p| p == "w3_lanes") {
        out["w3_lanes"] = w3_lanes(reps, threads);
    }
    if want("w4") {
        out["w4"] = w4(reps, threads);
    }
    if picked.iter().any(|p| p == "w4_large") {
        out["w4_large"] = w4_large(threads);
    }
    if picked.iter().any(|p| p == "w3_dop853") {
        out["w3_dop853"] = w3_dop853(reps, threads);
    }
    if picked.iter().any(|p| p == "relu_flow") {
        out["relu_flow"] = relu_flow();
    }
    if picked.iter().any(|p| p == "w3_gradient_floor") {
        out["w3_gradient_floor"] = w3_gradient_floor(reps);
    }
    if let Ok(dir) = std::env::var("FLOWGAP_BENCH_DUMP") {
        let path = std::path::Path::new(&dir).join("flowgap.json");
        std::fs::create_dir_all(&dir).expect("the dump directory can be created");
        std::fs::write(&path, out.to_string()).expect("the dump file can be written");
        println!("wrote {}", path.display());
    }
}
