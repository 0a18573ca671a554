//! Sweeps: grid parsing, output independent of --jobs, shard + merge equal to one run, the double
//! well's period-doubling thresholds against their closed forms, Ctrl-C keeping finished rows, and
//! refusals of bad --grid flags.

use flowgap::scenario::sweep::{parse_axis, spaced};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with `args` in `cwd`.
pub(crate) fn flowgap(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("runs")
}

/// A fresh scratch folder named by `tag` and this process.
pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap-sweep-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The path of the named scenario `name`.
pub(crate) fn scenario(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
        .display()
        .to_string()
}

/// Asserts that the command succeeded, showing its stderr if not.
pub(crate) fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 9×9 basin grid: small enough for a debug build, big enough for several chunks of work per thread.
const SMALL_GRID: [&str; 4] = ["--grid", "init.point[0]=-6:6:9", "--grid", "init.point[1]=-6:6:9"];

#[test]
fn grid_flags_parse_linear_log_and_lists() {
    let a = parse_axis("run.step_size=0.1:0.5:5").unwrap();
    assert_eq!(a.key, "run.step_size");
    assert_eq!(a.values, vec![0.1, 0.2, 0.3, 0.4, 0.5]);
    assert!(!a.log);
    let l = parse_axis("run.step_size = 1e-3:1e-1:3:log").unwrap();
    assert!(l.log);
    assert_eq!(l.values[0], 1e-3);
    assert!((l.values[1] - 1e-2).abs() < 1e-15);
    assert_eq!(l.values[2], 1e-1);
    let s = parse_axis("init.seed=3,1,2").unwrap();
    assert_eq!(s.values, vec![3.0, 1.0, 2.0]);
    assert_eq!(parse_axis("method.hb.beta=0.5").unwrap().values, vec![0.5]);
    // Geometric spacing: equal ratios.
    let g = spaced(1.0, 1000.0, 4, true);
    for w in g.windows(2) {
        assert!((w[1] / w[0] - 10.0).abs() < 1e-12, "{g:?}");
    }
    for (bad, says) in [
        ("run.step_size", "no `=`"),
        ("run.step_size=0.1:0.5", "lo:hi:n"),
        ("run.step_size=0.1:0.5:0", "count n"),
        ("run.step_size=0.1:0.5:x", "count n"),
        ("run.step_size=0:1:3:log", "lo > 0"),
        ("run.step_size=0.1,abc", "not a number"),
        ("run.step_size=0.1:1:4:lin", "lo:hi:n:log"),
        ("name=1", "allowed: run.step_size"),
        ("method.gd.kind=1", "allowed"),
        ("run.record_every=1,2", "recorded points"),
        ("output.figures=1", "allowed"),
    ] {
        let e = parse_axis(bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

#[test]
fn output_is_byte_identical_for_any_number_of_jobs() {
    let dir = temp_dir("jobs");
    let s = scenario("himmelblau_basin_grid");
    let mut outs = Vec::new();
    for jobs in ["1", "2"] {
        let out = format!("j{jobs}");
        let mut args = vec![
            "sweep",
            s.as_str(),
            "--quiet",
            "--jobs",
            jobs,
            "--out",
            out.as_str(),
        ];
        args.extend(SMALL_GRID);
        ok(&flowgap(&args, &dir));
        outs.push(dir.join(&out));
    }
    for file in ["sweep.csv", "summary.json", "figures/basin_map.png"] {
        let a = std::fs::read(outs[0].join(file)).unwrap();
        let b = std::fs::read(outs[1].join(file)).unwrap();
        assert!(a == b, "{file} differs between --jobs 1 and 2");
    }
    let csv = std::fs::read_to_string(outs[0].join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 82, "header + 81 rows");
    for (i, line) in csv.lines().skip(1).enumerate() {
        assert!(line.starts_with(&format!("{i},")), "row {i} out of order: {line}");
    }
}

#[test]
fn a_scenario_without_sweep_figures_gets_the_default_ones_and_figures_empty_gets_none() {
    let dir = temp_dir("defaults");
    let s = scenario("rosenbrock_valley");
    // One axis: the comparison's maximum distance against it, log–log for a log-spaced axis.
    let grid = "run.step_size=1e-4:1e-3:3:log";
    ok(&flowgap(
        &["sweep", s.as_str(), "--quiet", "--grid", grid, "--out", "one"],
        &dir,
    ));
    assert!(dir.join("one/figures/curve.png").exists(), "no curve.png");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("one/summary.json")).unwrap()).unwrap();
    let figures = summary["figures"].as_array().unwrap();
    assert_eq!(figures.len(), 1, "{figures:?}");
    assert_eq!(figures[0]["kind"], "curve");
    assert_eq!(figures[0]["x"], "run.step_size");
    assert_eq!(figures[0]["y"], "gd_vs_flow.max_distance");
    assert_eq!(figures[0]["log"], true);
    // Two axes that are not a grid of starts: no default figure fits.
    let two = ["--grid", grid, "--grid", "init.point[0]=-1.5,-1.2"];
    let mut args = vec!["sweep", s.as_str(), "--quiet", "--out", "two"];
    args.extend(two);
    ok(&flowgap(&args, &dir));
    assert!(!dir.join("two/figures").exists());
    // `figures = []` in [sweep] asks for none.
    let text = std::fs::read_to_string(&s).unwrap() + "\n[sweep]\nfigures = []\n";
    std::fs::write(dir.join("none.toml"), text).unwrap();
    ok(&flowgap(
        &["sweep", "none.toml", "--quiet", "--grid", grid, "--out", "none"],
        &dir,
    ));
    assert!(dir.join("none/sweep.csv").exists());
    assert!(!dir.join("none/figures").exists());
}

#[test]
fn shards_merged_equal_a_single_run() {
    let dir = temp_dir("shards");
    let s = scenario("himmelblau_basin_grid");
    let mut single = vec!["sweep", s.as_str(), "--quiet", "--out", "single"];
    single.extend(SMALL_GRID);
    ok(&flowgap(&single, &dir));
    // Parts finished in any order, merged in another.
    for i in [2, 0, 1] {
        let (shard, out) = (format!("{i}/3"), format!("part{i}"));
        let mut args = vec![
            "sweep",
            s.as_str(),
            "--quiet",
            "--shard",
            shard.as_str(),
            "--out",
            out.as_str(),
        ];
        args.extend(SMALL_GRID);
        ok(&flowgap(&args, &dir));
    }
    ok(&flowgap(
        &["merge", "part1", "part2", "part0", "--out", "merged"],
        &dir,
    ));
    for file in ["sweep.csv", "summary.json", "figures/basin_map.png"] {
        let a = std::fs::read(dir.join("single").join(file)).unwrap();
        let b = std::fs::read(dir.join("merged").join(file)).unwrap();
        assert!(a == b, "{file}: merged shards differ from a single run");
    }
    // A missing part is refused, and nothing is written.
    let out = flowgap(&["merge", "part0", "part1", "--out", "partial"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard 2/3 is missing"));
    assert!(!dir.join("partial").exists());
}

/// The 2-cycle {x, y} of GD on ¼(x² − 1)² for η > 1: x + y = √(1 + 3/η), xy = 1/η.
fn two_cycle(eta: f64) -> (f64, f64) {
    let s = (1.0 + 3.0 / eta).sqrt();
    let r = (s * s - 4.0 / eta).sqrt();
    ((s - r) / 2.0, (s + r) / 2.0)
}

#[test]
fn double_well_thresholds_match_the_closed_forms() {
    let dir = temp_dir("dw");
    let bound = 5f64.sqrt() - 1.0; // the 2-cycle's multiplier 9 − 2(1 + η)² reaches −1 here
    let etas = [0.9, 0.98, 1.02, 1.1, 1.2, bound - 0.01, bound + 0.01, 1.3];
    let list: Vec<String> = etas.iter().map(|e| e.to_string()).collect();
    let grid = format!("run.step_size={}", list.join(","));
    ok(&flowgap(
        &[
            "sweep",
            &scenario("double_well_period_doubling"),
            "--quiet",
            "--grid",
            &grid,
            "--out",
            "o",
        ],
        &dir,
    ));
    let csv = std::fs::read_to_string(dir.join("o/sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let tails: Vec<usize> = (0..32)
        .map(|j| header.iter().position(|h| *h == format!("gd.tail_{j}")).unwrap())
        .collect();
    for (line, &eta) in lines.zip(&etas) {
        let cells: Vec<&str> = line.split(',').collect();
        let tail: Vec<f64> = tails.iter().map(|&i| cells[i].parse().unwrap()).collect();
        if eta < 1.0 {
            // |1 − 2η| < 1: the minimum attracts.
            assert!(tail.iter().all(|x| (x - 1.0).abs() < 1e-9), "η = {eta}: {tail:?}");
        } else if eta < bound {
            // The stable 2-cycle, at the closed-form points, alternating.
            let (x, y) = two_cycle(eta);
            for (j, v) in tail.iter().enumerate() {
                let near = if (v - x).abs() < (v - y).abs() { x } else { y };
                assert!(
                    (v - near).abs() < 1e-6,
                    "η = {eta}: {v} is not on the cycle {x}, {y}"
                );
                if j > 0 {
                    assert!(
                        (v - tail[j - 1]).abs() > 0.5 * (y - x),
                        "η = {eta}: no alternation"
                    );
                }
            }
            let multiplier = 9.0 - 2.0 * (1.0 + eta) * (1.0 + eta);
            assert!(multiplier.abs() < 1.0);
        } else {
            // Beyond √5 − 1 the 2-cycle is unstable: the orbit is no longer of period 2.
            let (x, y) = two_cycle(eta);
            let off = tail
                .iter()
                .map(|v| (v - x).abs().min((v - y).abs()))
                .fold(0.0, f64::max);
            assert!(off > 1e-3, "η = {eta}: still on the 2-cycle ({off})");
            let period2 = tail.windows(3).all(|w| (w[0] - w[2]).abs() < 1e-6);
            assert!(!period2, "η = {eta}: period 2 beyond the bound");
        }
    }
}

#[test]
fn bad_grid_flags_exit_2_naming_what_is_allowed() {
    let dir = temp_dir("bad");
    let s = scenario("double_well_period_doubling");
    for (grid, says) in [
        ("name=1,2", "allowed: run.step_size"),
        ("method.nope.beta=0.5", "the ids are: gd, flow"),
        ("run.step_size=-1,0.5", "run.step_size"),
        ("objective.dim=1.5", "integers"),
        ("run.step_size=1:2", "lo:hi:n"),
    ] {
        let out = flowgap(&["sweep", &s, "--quiet", "--grid", grid, "--out", "o"], &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{grid}: {stderr}");
        assert!(stderr.contains(says), "{grid}: {stderr}");
        assert!(!dir.join("o").exists(), "{grid}: wrote output");
    }
    // A bad swept value is refused at the line of its key in the file, naming the grid point; a key the
    // file lacks, at its table's line.
    let text = std::fs::read_to_string(&s).unwrap();
    let line_of = |prefix: &str| text.lines().position(|l| l.starts_with(prefix)).unwrap() + 1;
    for (grid, line, says) in [
        (
            "run.step_size=0.5,-1",
            line_of("step_size = 1.1"),
            "(at the sweep point run.step_size=-1)",
        ),
        ("method.flow.rtol=2", line_of("rtol = 1e-8"), "must be below 1"),
    ] {
        let out = flowgap(&["sweep", &s, "--quiet", "--grid", grid, "--out", "o"], &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{grid}: {stderr}");
        assert!(
            stderr.contains(&format!("double_well_period_doubling.toml:{line}:")) && stderr.contains(says),
            "{grid}: {stderr}"
        );
    }
    let out = flowgap(&["sweep", &s, "--shard", "3/3", "--out", "o"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("o").exists());
    // A bad [sweep] table is refused with its line.
    let text = std::fs::read_to_string(&s)
        .unwrap()
        .replace("\"bifurcation\", \"curve\"", "\"bifurcations\"");
    std::fs::write(dir.join("bad.toml"), &text).unwrap();
    let out = flowgap(&["sweep", "bad.toml", "--out", "o"], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = text.lines().position(|l| l.contains("bifurcations")).unwrap() + 1;
    assert!(
        stderr.contains(&format!("bad.toml:{line}:")) && stderr.contains("allowed: curve"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_keeps_every_finished_row() {
    let dir = temp_dir("sigint");
    let s = scenario("himmelblau_basin_grid");
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["sweep", &s, "--quiet", "--jobs", "2", "--out", "o"])
        .args([
            "--grid",
            "init.point[0]=-6:6:300",
            "--grid",
            "init.point[1]=-6:6:300",
        ])
        .current_dir(&dir)
        .spawn()
        .unwrap();
    // Wait for the first chunk of rows (in the staging folder beside `o`), then interrupt.
    let partial = dir.join(format!(".o.staging-{}/sweep.csv", child.id()));
    let start = std::time::Instant::now();
    loop {
        let lines = std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count());
        if lines > 1 {
            break;
        }
        assert!(start.elapsed().as_secs() < 120, "no rows after 120 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "an interrupted sweep exits 130");
    let csv = std::fs::read_to_string(dir.join("o/sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let width = lines.next().unwrap().split(',').count();
    let mut last = None;
    let mut rows = 0u64;
    for line in lines {
        assert_eq!(line.split(',').count(), width, "a torn row: {line}");
        let i: u64 = line.split(',').next().unwrap().parse().unwrap();
        assert!(last.is_none_or(|l| i > l), "rows out of order");
        last = Some(i);
        rows += 1;
    }
    assert!((1..90_000).contains(&rows), "{rows} rows");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("o/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["complete"], false);
    assert_eq!(summary["rows"], rows);
    // The staging folder became `o`: nothing is left beside it.
    let beside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside, ["o"]);
}

/// Every entry under `dir` by relative path, with the bytes of files (links and FIFOs by kind).
fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let t = std::fs::symlink_metadata(&path).unwrap().file_type();
            let bytes = if t.is_dir() {
                todo.push(path.clone());
                b"folder".to_vec()
            } else if t.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                b"other".to_vec()
            };
            out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
        }
    }
    out
}

/// Copies the part folder `from` to `to` (files only, one level of folders).
fn copy_part(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for f in ["summary.json", "sweep.csv"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

#[test]
fn merge_refuses_bad_parts_naming_them_and_writes_nothing() {
    let dir = temp_dir("badparts");
    let s = scenario("himmelblau_basin_grid");
    for i in 0..3 {
        let (shard, out) = (format!("{i}/3"), format!("part{i}"));
        let mut args = vec!["sweep", s.as_str(), "--quiet", "--shard", &shard, "--out", &out];
        args.extend(SMALL_GRID);
        ok(&flowgap(&args, &dir));
    }
    // A previous merge in the output folder, which a failed merge must leave as it is.
    ok(&flowgap(
        &["merge", "part0", "part1", "part2", "--out", "merged"],
        &dir,
    ));
    let summary = std::fs::read_to_string(dir.join("part2/summary.json")).unwrap();
    let table = std::fs::read_to_string(dir.join("part2/sweep.csv")).unwrap();
    let first_row = table.lines().nth(1).unwrap().to_string();
    let cases: Vec<(&str, Damage, &str)> = vec![
        ("shard 5/3", Box::new(|p| set_shard(p, 5, 3)), "summary.json"),
        ("shard count 0", Box::new(|p| set_shard(p, 0, 0)), "summary.json"),
        (
            "shard count 2^64-1",
            Box::new(|p| set_shard(p, 2, u64::MAX)),
            "summary.json",
        ),
        (
            "summary not JSON",
            Box::new(|p| std::fs::write(p.join("summary.json"), "{\"axes\": [").unwrap()),
            "summary.json",
        ),
        (
            "summary missing",
            Box::new(|p| std::fs::remove_file(p.join("summary.json")).unwrap()),
            "summary.json",
        ),
        (
            "summary of a run",
            Box::new(|p| {
                std::fs::write(p.join("summary.json"), "{\"scenario\": {\"name\": \"x\"}}").unwrap()
            }),
            "summary.json",
        ),
        (
            "a row twice",
            Box::new({
                let table = table.clone();
                move |p: &Path| {
                    let mut lines: Vec<&str> = table.lines().collect();
                    lines.insert(2, lines[1]);
                    std::fs::write(p.join("sweep.csv"), lines.join("\n") + "\n").unwrap();
                }
            }),
            "sweep.csv",
        ),
        (
            "a row of another shard",
            Box::new({
                let table = table.clone();
                move |p: &Path| {
                    let lines: Vec<&str> = table.lines().collect();
                    let moved = lines[1].replacen("2,", "3,", 1);
                    let text = [lines[0], moved.as_str()]
                        .iter()
                        .chain(&lines[2..])
                        .copied()
                        .collect::<Vec<_>>()
                        .join("\n");
                    std::fs::write(p.join("sweep.csv"), text + "\n").unwrap();
                }
            }),
            "sweep.csv",
        ),
        (
            "a row missing",
            Box::new({
                let table = table.clone();
                let first_row = first_row.clone();
                move |p: &Path| {
                    std::fs::write(
                        p.join("sweep.csv"),
                        table.replacen(&format!("{first_row}\n"), "", 1),
                    )
                    .unwrap()
                }
            }),
            "sweep.csv",
        ),
        (
            "the last row cut short",
            Box::new({
                let table = table.clone();
                move |p: &Path| std::fs::write(p.join("sweep.csv"), &table[..table.len() - 7]).unwrap()
            }),
            "sweep.csv",
        ),
        (
            "a torn row",
            Box::new({
                let table = table.clone();
                let first_row = first_row.clone();
                move |p: &Path| {
                    std::fs::write(p.join("sweep.csv"), table.replacen(&first_row, "2,1.5", 1)).unwrap()
                }
            }),
            "sweep.csv",
        ),
        (
            "sweep.csv missing",
            Box::new(|p| std::fs::remove_file(p.join("sweep.csv")).unwrap()),
            "sweep.csv",
        ),
        (
            "sweep.csv a FIFO",
            Box::new(|p| {
                std::fs::remove_file(p.join("sweep.csv")).unwrap();
                assert!(Command::new("mkfifo")
                    .arg(p.join("sweep.csv"))
                    .status()
                    .unwrap()
                    .success());
            }),
            "sweep.csv",
        ),
        (
            "incomplete",
            Box::new({
                let summary = summary.clone();
                move |p: &Path| {
                    std::fs::write(
                        p.join("summary.json"),
                        summary.replace("\"complete\": true", "\"complete\": false"),
                    )
                    .unwrap()
                }
            }),
            "summary.json",
        ),
    ];
    for (what, damage, file) in &cases {
        copy_part(&dir.join("part2"), &dir.join("bad"));
        damage(&dir.join("bad"));
        let before = tree(&dir);
        for out in ["merged", "fresh"] {
            let result = flowgap(&["merge", "part0", "part1", "bad", "--out", out], &dir);
            let err = String::from_utf8_lossy(&result.stderr);
            assert_eq!(result.status.code(), Some(2), "{what}: {err}");
            assert!(
                err.contains(&format!("bad/{file}")),
                "{what}: the message does not name the part: {err}"
            );
            assert!(!err.contains("panicked"), "{what}: {err}");
            assert_eq!(tree(&dir), before, "{what}: a failed merge changed something");
        }
    }
    // The same part twice, and a part merged into itself.
    let result = flowgap(&["merge", "part0", "part1", "part1", "--out", "fresh"], &dir);
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("part1/summary.json"));
    let result = flowgap(&["merge", "part0", "part1", "part2", "--out", "part2"], &dir);
    assert_eq!(result.status.code(), Some(2));
    assert!(!dir.join("fresh").exists());
}

/// A change made to a copy of a good part.
type Damage = Box<dyn Fn(&Path)>;

/// A `{"index": .., "count": ..}` shard written over part `p`'s summary.
fn set_shard(p: &Path, index: u64, count: u64) {
    let path = p.join("summary.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["shard"] = serde_json::json!({"index": index, "count": count});
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn bad_shard_and_jobs_flags_are_refused_or_capped_naming_the_flag() {
    let dir = temp_dir("shardflags");
    let s = scenario("himmelblau_basin_grid");
    for shard in ["0/18446744073709551615", "82/82", "1/0", "x", "1/2/3", "0/82"] {
        let mut args = vec!["sweep", s.as_str(), "--quiet", "--shard", shard, "--out", "o"];
        args.extend(SMALL_GRID);
        let out = flowgap(&args, &dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{shard}: {err}");
        assert!(
            err.contains("--shard") && !err.contains("--grid"),
            "{shard}: {err}"
        );
        assert!(!dir.join("o").exists());
    }
    // 81 runs: 81 parts is the most there can be.
    let mut args = vec!["sweep", s.as_str(), "--quiet", "--shard", "80/81", "--out", "o"];
    args.extend(SMALL_GRID);
    ok(&flowgap(&args, &dir));
    // More jobs than cores run on the cores (no thread explosion), with a note.
    let mut args = vec!["sweep", s.as_str(), "--quiet", "--jobs", "100000", "--out", "j"];
    args.extend(SMALL_GRID);
    let out = flowgap(&args, &dir);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jobs 100000 is more than"));
}
