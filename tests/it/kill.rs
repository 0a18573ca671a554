//! Killing a run at any moment leaves the output folder absent or holding a complete run, never a
//! half-written one; the strays a killed run leaves beside it never break or leak into the next run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run that takes a few tenths of a second, much of it writing two CSVs of 30,001 rows, so that kills
/// land in the computation and in the writing.
fn scenario(name: &str) -> String {
    format!(
        r#"name = "{name}"
[objective]
kind = "quadratic"
eigenvalues = [4.0, 1.0]
[init]
point = [1.0, 1.0]
[run]
step_size = 0.0003
steps = 30000
[[method]]
id = "gd"
kind = "gd"
[[method]]
id = "flow"
kind = "gradient_flow"
rtol = 1e-6
atol = 1e-9
[output]
figures = []
"#
    )
}

fn flowgap(scenario: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flowgap"));
    c.arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Runs to the end and returns how long it took.
fn run_to_end(scenario: &Path, out: &Path) -> Duration {
    let started = Instant::now();
    let result = flowgap(scenario, out).output().unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    started.elapsed()
}

/// Asserts that `out` holds a complete run: summary.json and timing.json parse, and every method's CSV
/// has a header and exactly its recorded points, each row complete, the last one at its final step.
/// Returns the summary.
fn assert_complete(out: &Path) -> serde_json::Value {
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap())
            .expect("summary.json parses");
    let _: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("timing.json")).unwrap()).expect("timing.json parses");
    let dim = summary["scenario"]["init"].as_array().unwrap().len();
    let methods = summary["methods"].as_array().unwrap();
    assert_eq!(methods.len(), 2);
    for m in methods {
        let id = m["id"].as_str().unwrap();
        let csv = std::fs::read_to_string(out.join("trajectories").join(format!("{id}.csv"))).unwrap();
        assert!(csv.ends_with('\n'), "{id}.csv does not end with a newline");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines.len() as u64,
            m["recorded_points"].as_u64().unwrap() + 1,
            "{id}.csv rows"
        );
        for line in &lines {
            assert_eq!(line.split(',').count(), 4 + dim, "{id}.csv: a short row `{line}`");
        }
        let last_step: u64 = lines.last().unwrap().split(',').next().unwrap().parse().unwrap();
        assert_eq!(last_step, m["final_step"].as_u64().unwrap());
    }
    summary
}

/// The entries of `dir` other than `keep`, by name.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    out.sort();
    out
}

/// Starts a run, kills it (SIGKILL) after `after`, and reaps it.
fn kill_after(scenario: &Path, out: &Path, after: Duration) {
    let mut child = flowgap(scenario, out).spawn().unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    child.wait().unwrap();
}

#[test]
fn a_run_killed_at_any_moment_leaves_the_previous_run_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.toml");
    std::fs::write(&path, scenario("kill")).unwrap();
    let out = dir.path().join("out");
    let took = run_to_end(&path, &out);
    let previous = assert_complete(&out);
    for fraction in [0.1, 0.3, 0.5, 0.7, 0.85, 0.95] {
        kill_after(&path, &out, took.mul_f64(fraction));
        // The previous run, or (if the kill came after the swap) the new one, which is the same run.
        assert_eq!(assert_complete(&out), previous, "killed at {fraction} of a run");
        let strays = others(dir.path(), &["kill.toml", "out"]);
        // A kill mid-write leaves a staging folder and the (unlocked) lock file; a kill while the
        // replaced run is being deleted leaves what remains of it. Nothing else.
        assert!(
            strays
                .iter()
                .all(|s| s.starts_with(".out.staging-") || s.starts_with(".out.old-") || s == ".out.lock"),
            "killed at {fraction}: {strays:?}"
        );
    }
    // A clean run into the same folder succeeds and removes the killed runs' strays. (Measured by hand
    // with the same kill times: kills at 0.3 and 0.5 of a run landed mid-write, leaving 2–4.5 MB
    // staging folders, and one at 0.7 during the deletion of the replaced run.)
    run_to_end(&path, &out);
    assert_eq!(assert_complete(&out), previous);
    assert_eq!(others(dir.path(), &["kill.toml", "out"]), Vec::<String>::new());
}

#[test]
fn a_first_run_killed_leaves_no_output_or_a_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.toml");
    std::fs::write(&path, scenario("kill")).unwrap();
    let probe = dir.path().join("probe");
    let took = run_to_end(&path, &probe);
    std::fs::remove_dir_all(&probe).unwrap();
    for (i, fraction) in [0.2, 0.6, 0.9].into_iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        kill_after(&path, &out, took.mul_f64(fraction));
        if out.exists() {
            assert_complete(&out);
        }
        run_to_end(&path, &out);
        assert_complete(&out);
    }
}

/// The pid of a process that has exited (and been reaped), for fake strays.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn strays_of_dead_runs_are_removed_or_restored_and_never_read_as_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.toml");
    std::fs::write(&path, scenario("kill")).unwrap();
    let out = dir.path().join("out");

    // A killed run's half-written staging folder: garbage that must not be read or kept.
    let staging = dir.path().join(format!(".out.staging-{}", dead_pid()));
    std::fs::create_dir_all(staging.join("trajectories")).unwrap();
    std::fs::write(staging.join("summary.json"), "{\"scenario\": {\"na").unwrap();
    std::fs::write(
        staging.join("trajectories/gd.csv"),
        "step,t,loss,grad_norm,theta_0,theta_1\n0,0,",
    )
    .unwrap();
    run_to_end(&path, &out);
    assert_complete(&out);
    assert!(!staging.exists(), "a dead run's staging folder was left");

    // A run killed between moving the previous output aside and moving the new one in: the previous
    // output is put back, and so it is protected like any other (another scenario needs --force).
    let old = dir.path().join(format!(".out.old-{}", dead_pid()));
    std::fs::rename(&out, &old).unwrap();
    let other = dir.path().join("other.toml");
    std::fs::write(&other, scenario("other")).unwrap();
    let refused = flowgap(&other, &out).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert!(!old.exists());
    assert_eq!(assert_complete(&out)["scenario"]["name"], "kill");

    // A live process's staging folder (another run in progress) is left alone.
    let live = dir.path().join(format!(".out.staging-{}", std::process::id()));
    std::fs::create_dir_all(&live).unwrap();
    run_to_end(&path, &out);
    assert!(live.exists());
}
