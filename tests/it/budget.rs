//! A run that takes long can be bounded (`flowgap run --max-time`, [`experiment::RunOptions::max_time`]): a
//! method out of time ends as `time_limit` with the points it recorded, and every output is written; a
//! budget never spent changes no result, and without a terminal the run prints nothing new.

use super::sweep::{flowgap, temp_dir};
use flowgap::experiment::{Progress, RunOptions};
use flowgap::{Termination, Trajectory};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shipped scenarios that between them hold every kind of method: gd, heavy ball and Nesterov; the
/// heavy-ball flows; modified flows; Nesterov's ODE (a series start); sgd and sme ensembles; and
/// [`SOLVERS`], the two solvers they do not use.
const SCENARIOS: [&str; 6] = [
    "heavy_ball_beyond_gd_threshold",
    "heavy_ball_quadratic",
    "modified_flow_quadratic",
    "nesterov_quadratic",
    "sgd_vs_sme_noisy_quadratic",
    "solvers",
];

/// Gradient flow by rk4 and by dopri5.
const SOLVERS: &str = r#"name = "solvers"
[objective]
kind = "quadratic"
eigenvalues = [4.0, 1.0]
[init]
point = [1.0, 1.0]
[run]
step_size = 0.01
steps = 300
record_every = 3
[[method]]
id = "rk4"
kind = "gradient_flow"
solver = "rk4"
dt = 0.001
[[method]]
id = "dopri5"
kind = "gradient_flow"
solver = "dopri5"
rtol = 1e-10
atol = 1e-12
[[compare]]
a = "rk4"
b = "dopri5"
tolerance = 1e-6
"#;

fn load(name: &str) -> flowgap::scenario::Scenario {
    let path = if name == "solvers" {
        // One file per call: the tests run in parallel.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "flowgap-budget-solvers-{}-{call}.toml",
            std::process::id()
        ));
        std::fs::write(&path, SOLVERS).unwrap();
        let scenario = flowgap::scenario::load(&path).expect("the scenario loads");
        std::fs::remove_file(&path).unwrap();
        return scenario;
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(format!("{name}.toml"))
    };
    flowgap::scenario::load(&path).expect("the scenario loads")
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The first `len` points of `full`, bit for bit.
fn assert_prefix(part: &Trajectory, full: &Trajectory, what: &str) {
    let n = part.len();
    assert!(n <= full.len(), "{what}: {n} points, more than the whole run's");
    assert_eq!(part.steps, full.steps[..n], "{what}: steps");
    assert_eq!(bits(&part.times), bits(&full.times[..n]), "{what}: times");
    assert_eq!(
        bits(&part.states),
        bits(&full.states[..n * full.dim]),
        "{what}: states"
    );
    assert_eq!(bits(&part.losses), bits(&full.losses[..n]), "{what}: losses");
    assert_eq!(
        bits(&part.grad_norms),
        bits(&full.grad_norms[..n]),
        "{what}: gradient norms"
    );
}

/// A budget of zero ends every method at its first look at the clock (after its first step), as
/// `time_limit` with the limit and a time inside the horizon, keeping the points recorded until then:
/// the start of the unbounded run, bit for bit. Comparisons are still made.
#[test]
fn a_spent_budget_ends_every_kind_of_method_with_the_points_it_recorded() {
    let none = RunOptions {
        max_time: Some(Duration::ZERO),
        progress: None,
    };
    for name in SCENARIOS {
        let full = (load(name)).experiment.run();
        let cut = (load(name)).experiment.run_with_options(none);
        assert_eq!(cut.comparisons.len(), full.comparisons.len(), "{name}");
        for ((m, whole), config) in cut.methods.iter().zip(&full.methods).zip(&cut.experiment.methods) {
            let what = format!("{name}: {}", m.id);
            let t_end = cut.experiment.grid.with_time_map(config.kind.time_map()).t_end();
            match m.trajectory.termination {
                Termination::TimeLimit { t, limit_seconds } => {
                    assert_eq!(limit_seconds, 0.0, "{what}");
                    assert!((0.0..t_end).contains(&t), "{what}: stopped at t = {t} of {t_end}");
                    assert!(m.trajectory.t_end() <= t, "{what}: a point past the stop");
                }
                ref other => panic!("{what}: ended {other:?}"),
            }
            assert!(!m.trajectory.is_empty(), "{what}: the start is recorded");
            assert!(m.trajectory.len() < whole.trajectory.len(), "{what}");
            assert_prefix(&m.trajectory, &whole.trajectory, &what);
        }
    }
}

/// What a progress report said: method index, method count, id, t, t_end, fraction done.
type Report = (usize, usize, String, f64, f64, f64);

/// With a budget that is never spent and a progress callback, every result is the unbounded run's, bit
/// for bit, and every method reported how far it got (its place, its id, t within its horizon).
#[test]
fn a_budget_never_spent_changes_no_result_and_every_method_reports_progress() {
    let seen: Mutex<Vec<Report>> = Mutex::new(Vec::new());
    let record = |p: &Progress| {
        seen.lock()
            .unwrap()
            .push((p.index, p.count, p.id.to_string(), p.t, p.t_end, p.fraction()));
    };
    for name in SCENARIOS {
        seen.lock().unwrap().clear();
        let options = RunOptions {
            max_time: Some(Duration::from_secs(3600)),
            progress: Some(&record),
        };
        let full = (load(name)).experiment.run();
        let watched = (load(name)).experiment.run_with_options(options);
        for (m, whole) in watched.methods.iter().zip(&full.methods) {
            let what = format!("{name}: {}", m.id);
            assert_eq!(m.trajectory.termination, whole.trajectory.termination, "{what}");
            assert_eq!(m.trajectory.len(), whole.trajectory.len(), "{what}");
            assert_prefix(&m.trajectory, &whole.trajectory, &what);
            assert_eq!(
                m.trajectory.stats.grad_evals, whole.trajectory.stats.grad_evals,
                "{what}"
            );
        }
        for (c, whole) in watched.comparisons.iter().zip(&full.comparisons) {
            assert_eq!(c.max_distance.to_bits(), whole.max_distance.to_bits(), "{name}");
        }
        let seen = seen.lock().unwrap();
        let count = full.methods.len();
        for (i, m) in full.methods.iter().enumerate() {
            let reports: Vec<_> = seen.iter().filter(|r| r.0 == i).collect();
            assert!(!reports.is_empty(), "{name}: {} never reported", m.id);
            for (_, n, id, t, t_end, fraction) in reports {
                assert_eq!((*n, id.as_str()), (count, m.id.as_str()), "{name}");
                assert!(*t >= 0.0 && t <= t_end, "{name}: {id} at t = {t} of {t_end}");
                assert!((0.0..=1.0).contains(fraction), "{name}: {id} fraction {fraction}");
            }
        }
    }
}

/// A 5-20-1 tanh network on 200 samples: 2,000,000 GD steps (over a minute) and its gradient flow at
/// rtol 1e-13 to t = 200,000 (some 500 a second here), each recorded every 1000 steps (Δ = 100).
const SLOW: &str = r#"name = "slow_mlp"
[objective]
kind = "mlp"
widths = [5, 20, 1]
activation = "tanh"
loss = "mse"
bias = true
[objective.data]
source = "teacher_student"
samples = 200
inputs = 5
hidden = 5
seed = 7
[init]
seed = 1
scale = 1.0
[run]
step_size = 0.1
steps = 2000000
record_every = 1000
[[method]]
id = "gd"
kind = "gd"
[[method]]
id = "flow"
kind = "gradient_flow"
solver = "dop853"
rtol = 1e-13
atol = 1e-15
max_steps = 4000000000
[[compare]]
a = "gd"
b = "flow"
tolerance = 1e-2
[output]
figures = ["loss", "distance"]
formats = ["png"]
"#;

/// The rows of a trajectory CSV after its header.
fn csv_rows(path: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

/// `--max-time 1` on a run of minutes: it ends within seconds, exit 0; both methods (one discrete, one
/// flow) end as `time_limit` in summary.json; each CSV holds the points recorded before the limit (the
/// grid's first points, none past the stop); the comparison and the figures are written.
#[test]
fn max_time_ends_a_long_descent_and_a_long_flow_with_every_output_written() {
    let dir = temp_dir("budget-slow");
    std::fs::write(dir.join("slow.toml"), SLOW).unwrap();
    let started = Instant::now();
    let out = flowgap(&["run", "slow.toml", "--out", "out", "--max-time", "1"], &dir);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    // Two methods of one second each, then the outputs; generous for a loaded machine.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(stderr.is_empty(), "stderr is not a terminal, yet: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("time_limit").count(), 2, "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap();
    for m in summary["methods"].as_array().unwrap() {
        let id = m["id"].as_str().unwrap();
        let termination = &m["termination"];
        assert_eq!(termination["status"], "time_limit", "{id}: {termination}");
        assert_eq!(termination["limit_seconds"], 1.0, "{id}");
        let t = termination["t"].as_f64().unwrap();
        assert!(t > 0.0 && t < 200_000.0, "{id}: stopped at t = {t}");
        let rows = csv_rows(&dir.join(format!("out/trajectories/{id}.csv")));
        assert_eq!(rows.len() as u64, m["recorded_points"].as_u64().unwrap(), "{id}");
        assert!(!rows.is_empty(), "{id}: not even the start");
        for (j, row) in rows.iter().enumerate() {
            // step, t, …: the grid's points k = 1000·j at t = k·η, in order, none past the stop.
            let k = (j * 1000) as f64;
            assert_eq!((row[0], row[1]), (k, k * 0.1), "{id} row {j}");
            assert!(row[1] <= t, "{id}: a point at t = {} past the stop {t}", row[1]);
        }
    }
    assert_eq!(summary["comparisons"].as_array().unwrap().len(), 1);
    for figure in ["loss.png", "distance.png"] {
        assert!(dir.join("out/figures").join(figure).is_file(), "{figure}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Negative, zero, non-finite and non-numeric budgets are refused by the flag parser: exit 2, the flag
/// named, nothing run or written.
#[test]
fn bad_max_times_are_refused_with_exit_2() {
    let dir = temp_dir("budget-bad");
    for bad in ["-1", "0", "nan", "inf", "-0", "1e400", "soon", ""] {
        let out = flowgap(
            &[
                "run",
                "quadratic_below_threshold",
                "--out",
                "out",
                "--max-time",
                bad,
            ],
            &dir,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--max-time {bad:?}: {stderr}");
        assert!(stderr.contains("--max-time"), "--max-time {bad:?}: {stderr}");
        assert!(!dir.join("out").exists(), "--max-time {bad:?} wrote output");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A budget the run does not reach writes the same trajectories, byte for byte, as no budget; and
/// without a terminal on stderr neither run prints anything there (no progress line in pipes).
#[test]
fn a_budget_not_reached_writes_what_no_budget_writes_and_pipes_see_no_progress() {
    let dir = temp_dir("budget-same");
    let plain = flowgap(&["run", "modified_flow_quadratic", "--out", "plain"], &dir);
    let bounded = flowgap(
        &[
            "run",
            "modified_flow_quadratic",
            "--out",
            "bounded",
            "--max-time",
            "600",
        ],
        &dir,
    );
    for out in [&plain, &bounded] {
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let files: Vec<_> = std::fs::read_dir(dir.join("plain/trajectories"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(files.len() >= 4, "{files:?}");
    for f in files {
        let a = std::fs::read(dir.join("plain/trajectories").join(&f)).unwrap();
        let b = std::fs::read(dir.join("bounded/trajectories").join(&f)).unwrap();
        assert!(a == b, "{f:?} differs");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Ctrl-C during the computation ends the process at once (SIGINT's default: the shell's exit 130) and
/// leaves no output folder, nor anything else beside it.
#[test]
fn ctrl_c_during_a_run_ends_it_with_nothing_written() {
    use std::os::unix::process::ExitStatusExt;
    let dir = temp_dir("budget-sigint");
    std::fs::write(dir.join("slow.toml"), SLOW).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["run", "slow.toml", "--out", "out"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "SIGINT took {:?}",
        started.elapsed()
    );
    assert!(
        status.signal() == Some(2) || status.code() == Some(130),
        "ended {status:?}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["slow.toml"], "left {left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
