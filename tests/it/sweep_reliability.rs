//! Sweeps under faults and interruptions: a grid crossing GD's threshold 2/λ_max records the diverged
//! runs as rows (never aborts), each row carries bit for bit the metrics `flowgap run` gives for the
//! same setting written into the scenario file, and a sweep killed with SIGKILL at any moment leaves
//! either no sweep.csv or a whole one, never a truncated one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn flowgap(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("runs")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap-sweeprel-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses a CSV or JSON number to its bits, so "the same" means bit for bit.
fn bits(text: &str) -> u64 {
    text.parse::<f64>()
        .unwrap_or_else(|_| panic!("`{text}` is not a number"))
        .to_bits()
}

#[test]
fn a_sweep_across_two_over_lambda_records_divergence_and_matches_single_runs() {
    let dir = temp_dir("threshold");
    let base = scenario("quadratic_below_threshold");
    // λ_max = 100, so 2/λ_max = 0.02: two step sizes below, two above.
    let etas = ["0.005", "0.0196", "0.0204", "0.03"];
    let grid = format!("run.step_size={}", etas.join(","));
    let base_str = base.display().to_string();
    let out = flowgap(
        &["sweep", &base_str, "--quiet", "--grid", &grid, "--out", "o"],
        &dir,
    );
    ok(&out);
    let csv = std::fs::read_to_string(dir.join("o/sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), etas.len(), "one row per grid point");

    let text = std::fs::read_to_string(&base).unwrap();
    assert!(text.contains("step_size = 0.0196 "));
    for (row, eta) in rows.iter().zip(etas) {
        assert_eq!(row[col("run.step_size")], eta);
        let above = eta.parse::<f64>().unwrap() > 0.02;
        let gd_status = row[col("gd.termination")];
        assert_eq!(
            gd_status,
            if above { "diverged" } else { "completed" },
            "η = {eta}: GD's termination"
        );
        assert_eq!(row[col("flow.termination")], "completed", "η = {eta}");

        // The same setting written into the file and run alone.
        let file = dir.join(format!("eta_{eta}.toml"));
        std::fs::write(
            &file,
            text.replace("step_size = 0.0196 ", &format!("step_size = {eta} ")),
        )
        .unwrap();
        let run_out = dir.join(format!("run_{eta}"));
        ok(&flowgap(
            &[
                "run",
                &file.display().to_string(),
                "--out",
                &run_out.display().to_string(),
            ],
            &dir,
        ));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run_out.join("summary.json")).unwrap()).unwrap();
        for (i, id) in ["gd", "flow"].iter().enumerate() {
            let m = &summary["methods"][i];
            assert_eq!(m["id"], *id);
            assert_eq!(m["termination"]["status"], row[col(&format!("{id}.termination"))]);
            for (json, csv_col) in [("final_loss", "final_loss"), ("final_grad_norm", "grad_norm")] {
                let a = m[json].to_string();
                let b = row[col(&format!("{id}.{csv_col}"))];
                assert_eq!(bits(&a), bits(b), "η = {eta}: {id}.{csv_col}: run {a}, sweep {b}");
            }
            for k in 0..2 {
                let a = m["final_point"][k].to_string();
                let b = row[col(&format!("{id}.x{k}"))];
                assert_eq!(bits(&a), bits(b), "η = {eta}: {id}.x{k}: run {a}, sweep {b}");
            }
        }
        let c = &summary["comparisons"][0];
        for (json, csv_col) in [
            ("max_distance", "gd_vs_flow.max_distance"),
            ("departure_time", "gd_vs_flow.departure_time"),
        ] {
            let a = c[json].to_string();
            let b = row[col(csv_col)];
            assert_eq!(bits(&a), bits(b), "η = {eta}: {csv_col}: run {a}, sweep {b}");
        }
    }
}

/// Checks that `dir/sweep.csv` is absent or whole: a header and `rows` rows of equal width.
fn absent_or_whole(dir: &Path, rows: usize) -> bool {
    let Ok(csv) = std::fs::read_to_string(dir.join("sweep.csv")) else {
        return false;
    };
    let mut lines = csv.lines();
    let width = lines.next().expect("a header").split(',').count();
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), rows, "a truncated sweep.csv");
    for line in &body {
        assert_eq!(line.split(',').count(), width, "a torn row: {line}");
    }
    assert!(csv.ends_with('\n'), "no final newline: truncated");
    true
}

#[test]
fn a_sweep_or_merge_killed_at_any_moment_leaves_no_truncated_output() {
    let dir = temp_dir("kill");
    let s = scenario("himmelblau_basin_grid").display().to_string();
    let grid = [
        "--grid",
        "init.point[0]=-6:6:12",
        "--grid",
        "init.point[1]=-6:6:12",
    ];
    let mut whole = 0;
    for (i, ms) in [0u64, 30, 80, 150, 300, 600, 1200, 2500].iter().enumerate() {
        let out = format!("o{i}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowgap"))
            .args(["sweep", &s, "--quiet", "--jobs", "2", "--out", &out])
            .args(grid)
            .current_dir(&dir)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*ms));
        let _ = child.kill(); // SIGKILL: no handler runs
        let _ = child.wait();
        if absent_or_whole(&dir.join(&out), 144) {
            whole += 1;
        }
    }
    // A sweep run to the end is whole (so the check above can tell whole from absent).
    ok(&flowgap(
        &["sweep", &s, "--quiet", "--out", "full"]
            .iter()
            .chain(grid.iter())
            .copied()
            .collect::<Vec<_>>(),
        &dir,
    ));
    assert!(absent_or_whole(&dir.join("full"), 144));
    eprintln!("{whole} of 8 killed sweeps had finished");

    // Merge: two shards, merged and killed at several moments.
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = format!("s{k}");
        let mut args = vec!["sweep", &s, "--quiet", "--shard", &shard, "--out", &out];
        args.extend(grid);
        ok(&flowgap(&args, &dir));
    }
    for (i, ms) in [0u64, 5, 20, 60, 200].iter().enumerate() {
        let out = format!("m{i}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowgap"))
            .args(["merge", "s0", "s1", "--out", &out])
            .current_dir(&dir)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*ms));
        let _ = child.kill();
        let _ = child.wait();
        absent_or_whole(&dir.join(&out), 144);
    }
    ok(&flowgap(&["merge", "s0", "s1", "--out", "mfull"], &dir));
    assert!(absent_or_whole(&dir.join("mfull"), 144));
}

/// The names in `dir` other than `keep`.
fn beside(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

#[test]
fn a_resweep_killed_at_any_moment_keeps_the_previous_sweep_and_the_next_one_runs() {
    let dir = temp_dir("resweep");
    let s = scenario("himmelblau_basin_grid").display().to_string();
    let args = [
        "sweep",
        &s,
        "--quiet",
        "--jobs",
        "2",
        "--out",
        "o",
        "--grid",
        "init.point[0]=-6:6:12",
        "--grid",
        "init.point[1]=-6:6:12",
    ];
    std::fs::write(dir.join("canary"), "beside").unwrap();
    ok(&flowgap(&args, &dir));
    let files = ["sweep.csv", "summary.json", "figures/basin_map.png"];
    let previous: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(dir.join("o").join(f)).unwrap())
        .collect();
    for ms in [0u64, 30, 80, 150, 300, 600, 1200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowgap"))
            .args(args)
            .current_dir(&dir)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // The previous sweep (or the new one, which is the same sweep) is whole, byte for byte.
        for (f, bytes) in files.iter().zip(&previous) {
            let now = std::fs::read(dir.join("o").join(f)).unwrap_or_default();
            assert!(&now == bytes, "killed after {ms} ms: {f} changed or lost");
        }
        let strays = beside(&dir, &["o", "canary"]);
        assert!(
            strays
                .iter()
                .all(|s| s.starts_with(".o.staging-") || s.starts_with(".o.old-") || s == ".o.lock"),
            "killed after {ms} ms: {strays:?}"
        );
    }
    // The next sweep runs without --force and leaves nothing beside its folder.
    ok(&flowgap(&args, &dir));
    assert_eq!(beside(&dir, &["o", "canary"]), Vec::<String>::new());
    assert_eq!(std::fs::read_to_string(dir.join("canary")).unwrap(), "beside");
    assert!(std::fs::read(dir.join("o/sweep.csv")).unwrap() == previous[0]);
}

/// Runs `flowgap sweep` of `file` over `grid` at two jobs and, for each row, `flowgap run` of `file`
/// with that row's values written in by `write(row values)`; every metric must agree bit for bit.
fn rows_equal_single_runs(dir: &Path, file: &Path, grid: &[&str], write: impl Fn(&[&str]) -> String) {
    let file_str = file.display().to_string();
    let mut args = vec!["sweep", file_str.as_str(), "--quiet", "--jobs", "2", "--out", "o"];
    for g in grid {
        args.extend(["--grid", g]);
    }
    ok(&flowgap(&args, dir));
    let csv = std::fs::read_to_string(dir.join("o/sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let expected: usize = grid.iter().map(|g| g.split(',').count()).product();
    assert_eq!(rows.len(), expected, "one row per grid point");
    for (r, row) in rows.iter().enumerate() {
        let values: Vec<&str> = row[1..=grid.len()].to_vec();
        let alone = dir.join(format!("alone_{r}.toml"));
        std::fs::write(&alone, write(&values)).unwrap();
        let out = dir.join(format!("run_{r}"));
        ok(&flowgap(
            &[
                "run",
                &alone.display().to_string(),
                "--out",
                &out.display().to_string(),
            ],
            dir,
        ));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        for (i, id) in ["gd", "flow"].iter().enumerate() {
            let m = &summary["methods"][i];
            assert_eq!(m["id"], *id);
            assert_eq!(m["termination"]["status"], row[col(&format!("{id}.termination"))]);
            for (json, csv_col) in [("final_loss", "final_loss"), ("final_grad_norm", "grad_norm")] {
                let (a, b) = (m[json].to_string(), row[col(&format!("{id}.{csv_col}"))]);
                assert_eq!(
                    bits(&a),
                    bits(b),
                    "row {r} {values:?}: {id}.{csv_col}: run {a}, sweep {b}"
                );
            }
        }
        let (a, b) = (
            summary["comparisons"][0]["max_distance"].to_string(),
            row[col("gd_vs_flow.max_distance")],
        );
        assert_eq!(
            bits(&a),
            bits(b),
            "row {r} {values:?}: max_distance: run {a}, sweep {b}"
        );
    }
}

/// The mlp scenario cut to 100 steps, without figures.
fn short_mlp() -> String {
    let text = std::fs::read_to_string(scenario("mlp_teacher_student")).unwrap();
    assert!(text.contains("steps = 2000 ") && text.contains("figures = [\"loss\""));
    text.replace("steps = 2000 ", "steps = 100 ").replace(
        "figures = [\"loss\", \"distance\", \"projected_portrait\"]",
        "figures = []",
    )
}

#[test]
fn grid_points_built_from_the_parsed_file_equal_the_setting_written_and_run_alone() {
    // Axes on [init], on a method key the file has, and on a [run] key it lacks: the points are built
    // from the file parsed once, with the objective built once per worker thread.
    let dir = temp_dir("points");
    let text = short_mlp();
    assert!(text.contains("seed = 1\nscale") && text.contains("rtol = 1e-8\n"));
    let file = dir.join("mlp.toml");
    std::fs::write(&file, &text).unwrap();
    let grid = [
        "init.seed=1,2,3",
        "method.flow.rtol=1e-6,1e-8",
        "run.divergence_bound=1e6",
    ];
    rows_equal_single_runs(&dir, &file, &grid, |v| {
        text.replace("seed = 1\nscale", &format!("seed = {}\nscale", v[0]))
            .replace("rtol = 1e-8\n", &format!("rtol = {}\n", v[1]))
            .replace(
                "record_every = 10",
                &format!("record_every = 10\ndivergence_bound = {}", v[2]),
            )
    });
}

#[test]
fn an_objective_axis_gives_each_point_its_own_objective() {
    // The teacher's data seed changes the objective: each point builds its own, equal to a file run.
    let dir = temp_dir("objective_axis");
    let text = short_mlp();
    assert!(text.contains("seed = 7\n"));
    let file = dir.join("mlp.toml");
    std::fs::write(&file, &text).unwrap();
    let grid = ["objective.data.seed=7,8"];
    rows_equal_single_runs(&dir, &file, &grid, |v| {
        text.replace("seed = 7\n", &format!("seed = {}\n", v[0]))
    });
    let csv = std::fs::read_to_string(dir.join("o/sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    let loss = |row: &str| row.split(',').nth(3).unwrap().to_string();
    assert_ne!(loss(rows[0]), loss(rows[1]), "two datasets, two losses");
}
