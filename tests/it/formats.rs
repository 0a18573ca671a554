//! Saved files that are not what flowgap wrote are bad input (exit 2) naming the file, whichever command
//! reads them: `flowgap plot` on a run's folder and on a sweep's, and `flowgap merge`.

use super::sweep::{flowgap, ok, scenario, temp_dir};
use std::path::Path;

/// Runs `args` in `dir` and checks: exit 2, a message naming `file` and saying `says`, no panic.
fn refused(args: &[&str], dir: &Path, file: &str, says: &str, what: &str) {
    let out = flowgap(args, dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(
        err.contains(file),
        "{what}: the message does not name {file}: {err}"
    );
    assert!(
        err.contains(says),
        "{what}: the message does not say `{says}`: {err}"
    );
    assert!(!err.contains("panicked"), "{what}: {err}");
}

/// A sweep folder's table cut short, with a row of another width, or missing, refuses `flowgap plot`
/// (which redraws its figures from it) as bad input naming sweep.csv.
#[test]
fn a_damaged_sweep_table_is_bad_input_for_plot() {
    let dir = temp_dir("formats-sweep");
    let s = scenario("himmelblau_basin_grid");
    let grid = ["--grid", "init.point[0]=-6:6:5", "--grid", "init.point[1]=-6:6:5"];
    let mut args = vec!["sweep", s.as_str(), "--quiet", "--out", "o"];
    args.extend(grid);
    ok(&flowgap(&args, &dir));
    ok(&flowgap(&["plot", "o"], &dir));
    let table = dir.join("o/sweep.csv");
    let good = std::fs::read_to_string(&table).unwrap();
    let first_row = good.lines().nth(1).unwrap().to_string();
    let torn = good.replacen(&first_row, "0,1.5", 1);
    for (what, text, says) in [
        ("cut short", good[..good.len() - 3].to_string(), "cut short"),
        ("a torn row", torn, "row 2: not a flowgap CSV row (2 fields"),
        ("empty", String::new(), "is empty"),
    ] {
        std::fs::write(&table, &text).unwrap();
        refused(&["plot", "o"], &dir, "o/sweep.csv", says, what);
    }
    std::fs::write(&table, &good).unwrap();
    ok(&flowgap(&["plot", "o"], &dir));
}

/// A run's summary.json that does not parse, or lacks its methods, and a trajectory with a row of
/// another width refuse `flowgap plot` as bad input naming the file.
#[test]
fn a_damaged_run_summary_or_trajectory_is_bad_input_for_plot() {
    let dir = temp_dir("formats-run");
    let s = scenario("quadratic_below_threshold");
    ok(&flowgap(&["run", s.as_str(), "--quiet", "--out", "o"], &dir));
    let summary = dir.join("o/summary.json");
    let good = std::fs::read_to_string(&summary).unwrap();
    std::fs::write(&summary, &good[..good.len() / 2]).unwrap();
    refused(
        &["plot", "o"],
        &dir,
        "o/summary.json",
        "not a flowgap summary",
        "cut short",
    );
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v.as_object_mut().unwrap().remove("methods");
    std::fs::write(&summary, v.to_string()).unwrap();
    refused(&["plot", "o"], &dir, "o/summary.json", "methods", "no methods");
    std::fs::write(&summary, &good).unwrap();

    let first = serde_json::from_str::<serde_json::Value>(&good).unwrap()["methods"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let csv = dir.join(format!("o/trajectories/{first}.csv"));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[2].push_str(",1");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    refused(
        &["plot", "o"],
        &dir,
        &format!("{first}.csv"),
        "row 3: not a flowgap CSV row",
        "a wide row",
    );
    std::fs::write(&csv, &text).unwrap();
    ok(&flowgap(&["plot", "o"], &dir));
}
