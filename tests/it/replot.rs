//! `flowgap plot DIR` redraws every figure kind a `flowgap run` draws (and a sweep's figures) from the saved
//! files, byte for byte: each test runs the binary, deletes `figures/`, runs `flowgap plot` and compares
//! every figure file (PNG and SVG) with the one the run wrote. Also: missing or corrupt saved data gives
//! an error naming the file, never a panic.

use flowgap::outspec::FigureKind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn flowgap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(args)
        .output()
        .expect("the flowgap binary runs")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_replot_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "flowgap failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every file in `dir` by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Runs `scenario` into `dir/out`, deletes its figures, redraws them with `flowgap plot` and checks that
/// exactly the same files come back with the same bytes. Returns the output folder.
fn run_delete_replot(scenario: &Path, dir: &Path, expected: &[&str]) -> PathBuf {
    let out = dir.join("out");
    ok(&flowgap(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let figures = out.join("figures");
    let before = files(&figures);
    let names: Vec<&str> = before.keys().map(String::as_str).collect();
    assert_eq!(names, expected, "the run's figures");
    std::fs::remove_dir_all(&figures).unwrap();
    let said = ok(&flowgap(&["plot", out.to_str().unwrap()]));
    assert!(
        said.contains(&format!("redrew {} files", expected.len())),
        "{said}"
    );
    let after = files(&figures);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the redrawn files"
    );
    for (name, bytes) in &before {
        assert!(after[name] == *bytes, "{name} differs after `flowgap plot`");
    }
    out
}

/// 2-D Rosenbrock from (0, 0) with η = 3e-3 (2/η ≈ 667): GD's sharpness rises past the threshold at
/// t ≈ 1.5 (the crossing is ringed) and then hovers below it; every run figure kind but the ensemble.
const ROSENBROCK: &str = r#"name = "replot_rosenbrock"
description = "GD past its stability threshold in Rosenbrock's valley"

[objective]
kind = "rosenbrock"
a = 1.0
b = 100.0

[init]
point = [0.0, 0.0]

[run]
step_size = 3e-3
steps = 3000
record_every = 3

[[method]]
id = "gd"
kind = "gd"

[[method]]
id = "flow"
kind = "gradient_flow"

[[compare]]
a = "gd"
b = "flow"

[diagnostics.sharpness]
every = 10
top_k = 2

[output]
figures = ["phase_portrait", "loss", "distance", "sharpness", "projected_portrait", "conserved"]
formats = ["png", "svg"]
"#;

/// Both formats of each figure, sorted by name.
fn both(names: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .flat_map(|n| [format!("{n}.png"), format!("{n}.svg")])
        .collect();
    out.sort();
    out
}

#[test]
fn plot_redraws_per_figure_settings_byte_for_byte() {
    // The Rosenbrock run with `[output.figure.<kind>]` tables: the redraw reads them from the saved
    // scenario and draws the same titles, labels, clipped ranges and scales.
    let dir = temp_dir("per_figure");
    let scenario = dir.join("rosenbrock.toml");
    let settings = r#"
[output.figure.loss]
title = "(a) loss"
x_range = [1.0, 6.0]
y_range = [1e-3, 1.0]

[output.figure.distance]
title = false
y_log = false
y_label = "gap to the flow"

[output.figure.sharpness]
x_label = "time"

[output.figure.phase_portrait]
y_label = "second weight"
"#;
    std::fs::write(&scenario, format!("{ROSENBROCK}{settings}")).unwrap();
    let expected = both(&[
        "conserved",
        "distance",
        "loss",
        "phase_portrait",
        "projected_portrait",
        "sharpness",
    ]);
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let out = run_delete_replot(&scenario, &dir, &expected);
    let loss = std::fs::read_to_string(out.join("figures/loss.svg")).unwrap();
    assert!(loss.contains("(a) loss"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_redraws_the_sharpness_figure_byte_for_byte() {
    let dir = temp_dir("rosenbrock");
    let scenario = dir.join("rosenbrock.toml");
    std::fs::write(&scenario, ROSENBROCK).unwrap();
    let expected = both(&[
        "conserved",
        "distance",
        "loss",
        "phase_portrait",
        "projected_portrait",
        "sharpness",
    ]);
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let out = run_delete_replot(&scenario, &dir, &expected);
    // The figure did draw a crossing: GD's λ_1 passed 2/η.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["methods"][0]["diagnostics"]["edge_of_stability"]["crossing_time"].is_f64());
    // Only the sharpness figure, through the library.
    let figures = out.join("figures");
    let sharpness_png = std::fs::read(figures.join("sharpness.png")).unwrap();
    std::fs::remove_dir_all(&figures).unwrap();
    let written = flowgap::replot::replot(&out, Some(&[FigureKind::Sharpness]), None).unwrap();
    assert_eq!(
        written,
        vec![figures.join("sharpness.png"), figures.join("sharpness.svg")]
    );
    assert!(std::fs::read(figures.join("sharpness.png")).unwrap() == sharpness_png);
    std::fs::remove_dir_all(&dir).ok();
}

/// Under a learning-rate schedule the sharpness file's `threshold` column holds 2/η_k at each row's step,
/// `flowgap plot` redraws every figure (the per-step threshold curve included) byte for byte, and a row
/// whose threshold is the unscheduled 2/η is refused.
#[test]
fn plot_redraws_a_scheduled_run_and_checks_its_per_step_thresholds() {
    let dir = temp_dir("scheduled");
    let scenario = dir.join("rosenbrock.toml");
    let text = ROSENBROCK.replacen(
        "[run]\n",
        "[run]\nschedule = { kind = \"cosine\", warmup_steps = 300, final_fraction = 0.2 }\n",
        1,
    );
    std::fs::write(&scenario, text).unwrap();
    let expected = both(&[
        "conserved",
        "distance",
        "loss",
        "phase_portrait",
        "projected_portrait",
        "sharpness",
    ]);
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let out = run_delete_replot(&scenario, &dir, &expected);
    let sizes = flowgap::schedule::StepSizes::new(
        3e-3,
        3000,
        flowgap::schedule::Schedule::Cosine {
            warmup_steps: 300,
            final_fraction: 0.2,
        },
    )
    .unwrap();
    let path = out.join("trajectories/gd_sharpness.csv");
    let csv = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "threshold").unwrap();
    let mut rows = 0;
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let k: u64 = cells[0].parse().unwrap();
        let th: f64 = cells[col].parse().unwrap();
        assert_eq!(th, 2.0 / sizes.at(k), "step {k}");
        rows += 1;
    }
    assert!(rows > 5);
    // The unscheduled threshold in one row is refused by name.
    let second = csv.lines().nth(2).unwrap();
    let mut cells: Vec<String> = second.split(',').map(String::from).collect();
    cells[col] = (2.0 / 3e-3f64).to_string();
    std::fs::write(&path, csv.replacen(second, &cells.join(","), 1)).unwrap();
    let refused = refusal(&out);
    assert!(refused.contains("stability threshold"), "{refused}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_redraws_conserved_quantities_byte_for_byte() {
    // A 2-2-2 deep linear net conserves its balancedness under the flow; GD drifts. Sharpness in 8-D.
    let dir = temp_dir("deep_linear");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/deep_linear_saxe.toml"),
    )
    .unwrap()
    .replace("steps = 1200", "steps = 400")
    .replace(
        "[output]\nfigures = [\"loss\", \"distance\", \"projected_portrait\", \"conserved\"]",
        "[diagnostics.sharpness]\nevery = 5\n\n[output]\n\
         figures = [\"loss\", \"distance\", \"projected_portrait\", \"conserved\", \"sharpness\"]\n\
         formats = [\"png\", \"svg\"]",
    );
    assert!(text.contains("\"sharpness\"]"), "the scenario's [output] moved");
    let scenario = dir.join("deep_linear.toml");
    std::fs::write(&scenario, text).unwrap();
    let expected = both(&["conserved", "distance", "loss", "projected_portrait", "sharpness"]);
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let out = run_delete_replot(&scenario, &dir, &expected);
    let header = std::fs::read_to_string(out.join("trajectories/gd.csv")).unwrap();
    assert!(
        header.lines().next().unwrap().contains("balance_1_fro"),
        "{header:.200}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_redraws_the_ensemble_figure_byte_for_byte() {
    // The named scenario with fewer paths, both formats, and every figure a 2-D ensemble run can draw.
    let dir = temp_dir("ensemble");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sgd_vs_sme_noisy_quadratic.toml"),
    )
    .unwrap()
    .replace("paths = 1000", "paths = 60")
    .replace(
        "[output]\nfigures = [\"ensemble\", \"loss\"]\nformats = [\"png\"]",
        "[diagnostics.sharpness]\nevery = 20\n\n[output]\n\
         figures = [\"ensemble\", \"loss\", \"distance\", \"phase_portrait\", \"sharpness\"]\n\
         formats = [\"png\", \"svg\"]",
    );
    assert!(
        text.contains("paths = 60") && text.contains("\"sharpness\"]"),
        "the scenario moved"
    );
    let scenario = dir.join("ensemble.toml");
    std::fs::write(&scenario, text).unwrap();
    let expected = both(&["distance", "ensemble", "loss", "phase_portrait", "sharpness"]);
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let out = run_delete_replot(&scenario, &dir, &expected);
    for id in ["sgd", "sme1", "sme2"] {
        assert!(out.join(format!("trajectories/{id}_ensemble.csv")).is_file());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_redraws_a_sweep_from_its_table() {
    let dir = temp_dir("sweep");
    let out = dir.join("sweep");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/himmelblau_basin_grid.toml");
    ok(&flowgap(&[
        "sweep",
        scenario.to_str().unwrap(),
        "--grid",
        "init.point[0]=-6:6:7",
        "--grid",
        "init.point[1]=-6:6:7",
        "--quiet",
        "--jobs",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]));
    let figures = out.join("figures");
    let before = files(&figures);
    assert_eq!(before.keys().collect::<Vec<_>>(), ["basin_map.png"]);
    std::fs::remove_dir_all(&figures).unwrap();
    ok(&flowgap(&["plot", out.to_str().unwrap()]));
    assert!(
        files(&figures) == before,
        "basin_map.png differs after `flowgap plot`"
    );
    // A sweep's figures are fixed by its summary: choosing figures or formats is refused, clearly.
    let refused = flowgap(&["plot", out.to_str().unwrap(), "--formats", "svg"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("a sweep's folder"), "{message}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The message of `flowgap plot DIR`, which must fail with exit code 2 (the folder is bad input).
fn refusal(out: &Path) -> String {
    let output = flowgap(&["plot", out.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let message = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!message.contains("panicked"), "{message}");
    message
}

#[test]
fn missing_or_corrupt_saved_data_is_named() {
    let dir = temp_dir("bad");
    let scenario = dir.join("rosenbrock.toml");
    std::fs::write(&scenario, ROSENBROCK.replace("steps = 3000", "steps = 300")).unwrap();
    let out = dir.join("out");
    ok(&flowgap(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let csv = out.join("trajectories/gd_sharpness.csv");
    let good = std::fs::read_to_string(&csv).unwrap();

    std::fs::remove_file(&csv).unwrap();
    let message = refusal(&out);
    assert!(message.contains("gd_sharpness.csv"), "{message}");
    assert!(message.contains("sharpness figure"), "{message}");
    // Figures that do not need the file are still redrawn.
    ok(&flowgap(&[
        "plot",
        out.to_str().unwrap(),
        "--figures",
        "loss,distance",
    ]));

    // A value that is not a number: the row (as a spreadsheet counts, header = 1) and the column.
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    let mut cells: Vec<&str> = lines[3].split(',').collect();
    cells[2] = "1.5e";
    lines[3] = cells.join(",");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let message = refusal(&out);
    assert!(
        message.contains("gd_sharpness.csv: row 4, column `lambda_1`: `1.5e` is not a number"),
        "{message}"
    );

    // Cut short mid-row, a foreign header, an empty file, a step the trajectory never recorded, a
    // threshold that is not the scenario's.
    let cut = &good[..good.len() / 2];
    let wrong_step = good.replacen("\n30,", "\n31,", 1);
    let wrong_threshold = good.replace(",666.6666666666666\n", ",667\n");
    assert!(wrong_step != good && wrong_threshold != good);
    for (text, expect) in [
        (cut, "gd_sharpness.csv"),
        ("a,b,c\n1,2,3\n", "expected the columns step,t,lambda_1"),
        ("", "expected the columns"),
        (&wrong_step, "step 31 is not a later recorded point of gd.csv"),
        (&wrong_threshold, "stability threshold"),
    ] {
        std::fs::write(&csv, text).unwrap();
        let message = refusal(&out);
        assert!(message.contains("gd_sharpness.csv"), "{message}");
        assert!(message.contains(expect), "{expect}: {message}");
        // The library says the same, as an input error naming the file.
        match flowgap::replot::replot(&out, None, None) {
            Err(flowgap::Error::Input { path, .. }) => assert_eq!(path, csv),
            other => panic!("expected an input error, got {other:?}"),
        }
    }
    std::fs::write(&csv, &good).unwrap();

    // The trajectory itself: missing, a foreign header, a cell that is not a number. Also exit 2.
    let trajectory = out.join("trajectories/gd.csv");
    let saved = std::fs::read_to_string(&trajectory).unwrap();
    let mut rows: Vec<String> = saved.lines().map(str::to_string).collect();
    let mut cells: Vec<&str> = rows[2].split(',').collect();
    cells[2] = "ten";
    rows[2] = cells.join(",");
    let not_a_number = rows.join("\n") + "\n";
    for text in [None, Some("a,b\n1,2\n"), Some(not_a_number.as_str())] {
        match text {
            None => std::fs::remove_file(&trajectory).unwrap(),
            Some(t) => std::fs::write(&trajectory, t).unwrap(),
        }
        let message = refusal(&out);
        assert!(message.contains("gd.csv"), "{message}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn corrupt_ensemble_data_is_named() {
    let dir = temp_dir("bad_ensemble");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sgd_vs_sme_noisy_quadratic.toml"),
    )
    .unwrap()
    .replace("paths = 1000", "paths = 20")
    .replace("steps = 80", "steps = 20");
    let scenario = dir.join("ensemble.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join("out");
    ok(&flowgap(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let csv = out.join("trajectories/sme1_ensemble.csv");
    let good = std::fs::read_to_string(&csv).unwrap();
    let short: String = good.lines().take(5).map(|l| format!("{l}\n")).collect();
    let renamed = good.replacen("theta_1_var", "theta_1_sd", 1);
    for (text, expect) in [
        (short.as_str(), "has 4 rows but sme1.csv"),
        (renamed.as_str(), "expected the columns step,t,alive"),
        (&good.replacen("\n0,0,20,", "\n0,0,twenty,", 1), "column `alive`"),
    ] {
        std::fs::write(&csv, text).unwrap();
        let message = refusal(&out);
        assert!(message.contains("sme1_ensemble.csv"), "{message}");
        assert!(message.contains(expect), "{expect}: {message}");
    }
    std::fs::remove_file(&csv).unwrap();
    let message = refusal(&out);
    assert!(
        message.contains("sme1_ensemble.csv") && message.contains("ensemble figure"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `scenario` (text) into `dir/out` and returns the output folder.
fn run_into(dir: &Path, scenario: &str) -> PathBuf {
    let path = dir.join("scenario_under_test.toml");
    std::fs::write(&path, scenario).unwrap();
    let out = dir.join("out");
    ok(&flowgap(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    out
}

/// Every path under `dir` (links not followed) with its bytes (`None` for folders, links' targets for
/// links): what "nothing else changed" is checked against.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let content = if meta.file_type().is_symlink() {
                Some(
                    std::fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                )
            } else if meta.is_dir() {
                stack.push(p.clone());
                None
            } else if meta.is_file() {
                Some(std::fs::read(&p).unwrap())
            } else {
                // A FIFO would block a read: its presence is what counts.
                Some(b"(special file)".to_vec())
            };
            out.insert(p, content);
        }
    }
    out
}

#[test]
fn plot_never_writes_through_a_link_in_the_run_folder() {
    let dir = temp_dir("links");
    let out = run_into(&dir, &ROSENBROCK.replace("steps = 3000", "steps = 60"));
    let figures = out.join("figures");
    let victim = dir.join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(victim.join("keep.txt"), "keep").unwrap();

    // `figures` is a link to a folder elsewhere: refused, the folder untouched, nothing staged left.
    std::fs::remove_dir_all(&figures).unwrap();
    std::os::unix::fs::symlink(&victim, &figures).unwrap();
    let before = (tree(&out), tree(&victim));
    let message = refusal(&out);
    assert!(
        message.contains("figures") && message.contains("symbolic link"),
        "{message}"
    );
    assert_eq!((tree(&out), tree(&victim)), before);

    // `figures` is a file, a FIFO: refused the same way, never opened.
    std::fs::remove_file(&figures).unwrap();
    for make in ["file", "fifo"] {
        if make == "file" {
            std::fs::write(&figures, "not a folder").unwrap();
        } else {
            assert!(Command::new("mkfifo").arg(&figures).status().unwrap().success());
        }
        let before = tree(&out);
        let message = refusal(&out);
        assert!(message.contains("is not a folder"), "{message}");
        assert_eq!(tree(&out), before);
        std::fs::remove_file(&figures).unwrap();
    }

    // A figure file that is a link (to a file, to a folder, dangling): replaced by the figure, the
    // target untouched.
    std::fs::create_dir(&figures).unwrap();
    let victim_file = victim.join("keep.txt");
    std::os::unix::fs::symlink(&victim_file, figures.join("loss.png")).unwrap();
    std::os::unix::fs::symlink(&victim, figures.join("loss.svg")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), figures.join("distance.png")).unwrap();
    ok(&flowgap(&["plot", out.to_str().unwrap()]));
    assert_eq!(tree(&victim), before.1);
    assert!(!dir.join("nowhere").exists());
    for name in ["loss.png", "loss.svg", "distance.png"] {
        let meta = std::fs::symlink_metadata(figures.join(name)).unwrap();
        assert!(meta.is_file(), "{name} is a regular file now");
    }
    assert!(std::fs::read(figures.join("loss.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));

    // A figure name taken by a folder: refused before any figure is replaced.
    let png = std::fs::read(figures.join("distance.png")).unwrap();
    std::fs::remove_file(figures.join("loss.png")).unwrap();
    std::fs::create_dir(figures.join("loss.png")).unwrap();
    std::fs::write(figures.join("loss.png/mine.txt"), "mine").unwrap();
    let before = tree(&out);
    let message = refusal(&out);
    assert!(
        message.contains("loss.png") && message.contains("not a regular file"),
        "{message}"
    );
    assert_eq!(tree(&out), before);
    assert!(std::fs::read(figures.join("distance.png")).unwrap() == png);
    std::fs::remove_dir_all(&dir).ok();
}

/// A scenario reading a data file next to it, in `dir/scen/`, with the data in `dir/scen/data/`.
fn iris_scenario(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scen = dir.join("scen");
    std::fs::create_dir_all(scen.join("data")).unwrap();
    std::fs::copy(root.join("data/iris.csv"), scen.join("data/iris.csv")).unwrap();
    let path = scen.join("logistic_iris.toml");
    std::fs::copy(root.join("logistic_iris.toml"), &path).unwrap();
    path
}

/// `flowgap plot` run from folder `cwd`.
fn plot_from(cwd: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["plot", out.to_str().unwrap()])
        .current_dir(cwd)
        .output()
        .unwrap()
}

#[test]
fn plot_finds_the_runs_data_from_any_folder_and_refuses_changed_data() {
    let dir = temp_dir("iris");
    let scenario = iris_scenario(&dir);
    // Run from the scenario's folder with a relative path, as a user would: `flowgap run logistic_iris.toml`.
    let out = dir.join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["run", "logistic_iris.toml", "--out", out.to_str().unwrap()])
        .current_dir(scenario.parent().unwrap())
        .output()
        .unwrap();
    ok(&run);
    let figures = files(&out.join("figures"));
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();

    // From another folder, and a copy of the run folder from yet another: the same figures.
    let copy = dir.join("copy");
    assert!(Command::new("cp")
        .args(["-r", out.to_str().unwrap(), copy.to_str().unwrap()])
        .status()
        .unwrap()
        .success());
    for folder in [&out, &copy] {
        std::fs::remove_dir_all(folder.join("figures")).unwrap();
        ok(&plot_from(&elsewhere, folder));
        assert!(files(&folder.join("figures")) == figures, "{}", folder.display());
    }

    // summary.json records where the data is and its hash.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let saved = &summary["data_files"];
    assert_eq!(saved["files"][0]["path"], "data/iris.csv");
    assert!(saved["files"][0]["hash"]
        .as_str()
        .unwrap()
        .starts_with("fnv1a64:"));
    assert!(Path::new(saved["folder"].as_str().unwrap()).is_absolute());

    // One changed cell, a replaced file, a deleted file: refused naming the data file, figures untouched.
    let data = scenario.parent().unwrap().join("data/iris.csv");
    let good = std::fs::read_to_string(&data).unwrap();
    let one_cell = good.replacen("5.1,", "5.2,", 1);
    assert_ne!(one_cell, good);
    for (text, expect) in [
        (Some(one_cell.as_str()), "changed since the run"),
        (Some("a,b\n1,2\n"), "changed since the run"),
        (None, "missing"),
    ] {
        match text {
            Some(t) => std::fs::write(&data, t).unwrap(),
            None => std::fs::remove_file(&data).unwrap(),
        }
        let before = tree(&out);
        let output = plot_from(&elsewhere, &out);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(
            message.contains("iris.csv") && message.contains(expect),
            "{expect}: {message}"
        );
        assert_eq!(tree(&out), before);
    }
    std::fs::write(&data, &good).unwrap();
    ok(&plot_from(&elsewhere, &out));

    // A run folder written before summary.json recorded its data files still redraws as before (from
    // the original scenario, found by its recorded path).
    let mut old = summary.clone();
    old.as_object_mut().unwrap().remove("data_files");
    old["scenario"]["source"] = serde_json::json!(scenario.to_str().unwrap());
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_string_pretty(&old).unwrap(),
    )
    .unwrap();
    std::fs::remove_dir_all(out.join("figures")).unwrap();
    ok(&plot_from(&elsewhere, &out));
    assert!(files(&out.join("figures")) == figures);
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes `text` at `path` after removing whatever is there (a file, a folder, a link, a FIFO).
fn replace_with(path: &Path, text: &[u8]) {
    let _ = std::fs::remove_dir_all(path).or_else(|_| std::fs::remove_file(path));
    std::fs::write(path, text).unwrap();
}

/// Puts something that is not a regular file at `path`: "fifo", "folder", "devzero" (a link to
/// /dev/zero), "huge" (a sparse file over the 4 GiB limit).
fn plant(path: &Path, what: &str) {
    let _ = std::fs::remove_dir_all(path).or_else(|_| std::fs::remove_file(path));
    match what {
        "fifo" => assert!(Command::new("mkfifo").arg(path).status().unwrap().success()),
        "folder" => std::fs::create_dir(path).unwrap(),
        "devzero" => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
        "huge" => std::fs::File::create(path)
            .unwrap()
            .set_len((4 << 30) + 1)
            .unwrap(),
        _ => unreachable!(),
    }
}

/// Refused with exit 2 within a few seconds (a FIFO must not block), naming `name`, saying `expect`.
fn refused_naming(out: &Path, name: &str, expect: &str) {
    let started = std::time::Instant::now();
    let message = refusal(out);
    assert!(started.elapsed().as_secs() < 30, "took {:?}", started.elapsed());
    assert!(message.contains(name), "{name}: {message}");
    assert!(message.contains(expect), "{expect}: {message}");
}

#[test]
fn a_cut_reordered_or_foreign_trajectory_is_refused_naming_file_and_row() {
    let dir = temp_dir("cut");
    let out = run_into(
        &dir,
        &ROSENBROCK
            .replace("steps = 3000", "steps = 60")
            .replace("\"sharpness\", ", ""),
    );
    let csv = out.join("trajectories/gd.csv");
    let good = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    assert_eq!(lines.len(), 22, "header + 21 points");
    let join = |l: &[&str]| l.join("\n") + "\n";
    let mut swapped = lines.clone();
    swapped.swap(5, 6);
    let mut doubled = lines.clone();
    doubled.insert(8, lines[8]);
    let missing_row = join(&[&lines[..10], &lines[11..]].concat());
    let fewer_fields = join(&lines[..12]) + &lines[12][..lines[12].rfind(',').unwrap()] + "\n";
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() - 7].to_string(), "cut short"),
        (good[..good.len() - 1].to_string(), "cut short"),
        (fewer_fields, "row 13"),
        (join(&lines[..1]), "has 0 rows but summary.json records 21 points"),
        (
            join(&lines[..15]),
            "has 14 rows but summary.json records 21 points",
        ),
        (missing_row, "has 20 rows"),
        (join(&swapped), "row 7: step 12 does not follow step 15"),
        (join(&doubled), "has 22 rows"),
        (String::new(), "expected columns"),
        (
            String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x01, b'\n']).into_owned(),
            "gd.csv",
        ),
    ];
    for (text, expect) in &cases {
        replace_with(&csv, text.as_bytes());
        refused_naming(&out, "gd.csv", expect);
    }
    // Raw garbage bytes, not even UTF-8.
    replace_with(&csv, &[0x00, 0xff, 0xc3, b',', b'\n']);
    refused_naming(&out, "gd.csv", "gd.csv");
    for what in ["fifo", "folder", "devzero", "huge"] {
        plant(&csv, what);
        let expect = match what {
            "fifo" => "FIFO",
            "folder" => "folder",
            "devzero" => "device",
            _ => "larger than",
        };
        refused_naming(&out, "gd.csv", expect);
    }
    std::fs::remove_file(&csv).unwrap();
    refused_naming(&out, "gd.csv", "missing");
    replace_with(&csv, good.as_bytes());
    ok(&flowgap(&["plot", out.to_str().unwrap()]));

    // summary.json and scenario.toml: missing, empty, garbage, cut, not a regular file: exit 2 naming them.
    for name in ["summary.json", "scenario.toml"] {
        let path = out.join(name);
        let saved = std::fs::read(&path).unwrap();
        let cut = saved[..saved.len() / 2].to_vec();
        for text in [&b""[..], b"\x00\xff garbage", &cut] {
            replace_with(&path, text);
            refused_naming(&out, name, name);
        }
        for what in ["fifo", "folder", "devzero", "huge"] {
            plant(&path, what);
            refused_naming(&out, name, name);
        }
        std::fs::remove_file(&path).unwrap();
        refused_naming(&out, name, "missing");
        replace_with(&path, &saved);
    }
    ok(&flowgap(&["plot", out.to_str().unwrap()]));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_cut_or_foreign_npy_is_refused_naming_it() {
    // 144 parameters: θ is saved in gd.npy beside gd.csv.
    let dir = temp_dir("npy");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trainability_boundary.toml"),
    )
    .unwrap()
    .replace("steps = 500", "steps = 20");
    let out = run_into(&dir, &text);
    let npy = out.join("trajectories/gd.npy");
    let good = std::fs::read(&npy).unwrap();
    let mut wrong_shape = good.clone();
    let header = String::from_utf8_lossy(&good[..128]).into_owned();
    let at = header.find("(21, 144").expect("the .npy header gives the shape");
    wrong_shape[at..at + 8].copy_from_slice(b"(12, 144");
    for (bytes, expect) in [
        (good[..good.len() - 100].to_vec(), "not a flowgap .npy"),
        (good[..40].to_vec(), "not a flowgap .npy"),
        (Vec::new(), "not a flowgap .npy"),
        (b"\x93NUMPY garbage".to_vec(), "not a flowgap .npy"),
        (wrong_shape, "shape"),
    ] {
        replace_with(&npy, &bytes);
        refused_naming(&out, "gd.npy", expect);
    }
    for what in ["fifo", "huge"] {
        plant(&npy, what);
        refused_naming(&out, "gd.npy", "gd.npy");
    }
    std::fs::remove_file(&npy).unwrap();
    refused_naming(&out, "gd.npy", "missing");
    replace_with(&npy, &good);
    ok(&flowgap(&["plot", out.to_str().unwrap()]));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_leaves_a_users_figure_alone_and_records_new_figures_as_flowgaps() {
    let dir = temp_dir("manifest");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quadratic_below_threshold.toml");
    let png_only = std::fs::read_to_string(&scenario)
        .unwrap()
        .replace(r#"formats = ["png", "svg"]"#, r#"formats = ["png"]"#);
    let out = run_into(&dir, &png_only);
    let out_s = out.to_str().unwrap();
    assert!(!out.join("figures/loss.svg").exists());
    // A figure in a new format is recorded: the next run into the folder still takes it as flowgap's.
    ok(&flowgap(&[
        "plot",
        out_s,
        "--figures",
        "loss",
        "--formats",
        "svg",
    ]));
    assert!(out.join("figures/loss.svg").is_file());
    let manifest = std::fs::read_to_string(out.join(".flowgap-manifest.json")).unwrap();
    assert!(manifest.contains("figures/loss.svg"), "{manifest}");
    let copy = dir.join("scenario_under_test.toml");
    ok(&flowgap(&["run", copy.to_str().unwrap(), "--out", out_s]));
    // A file of the user's at a figure's name is never replaced.
    std::fs::write(out.join("figures/loss.svg"), "mine").unwrap();
    let manifest = std::fs::read_to_string(out.join(".flowgap-manifest.json")).unwrap();
    assert!(
        !manifest.contains("figures/loss.svg"),
        "the rerun wrote no svg: {manifest}"
    );
    let refused = flowgap(&["plot", out_s, "--figures", "loss", "--formats", "svg"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("was not written by flowgap"));
    assert_eq!(
        std::fs::read_to_string(out.join("figures/loss.svg")).unwrap(),
        "mine"
    );
}

/// `flowgap plot --figures sharpness` on a run that sampled no sharpness is refused (exit 2, naming the
/// scenario's copy and the table to add) and writes nothing, instead of drawing an empty figure.
#[test]
fn plot_refuses_the_sharpness_figure_of_a_run_without_sharpness_samples() {
    let dir = temp_dir("no_sharpness");
    let out = dir.join("out");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quadratic_below_threshold.toml");
    ok(&flowgap(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let before = files(&out.join("figures"));
    let res = flowgap(&["plot", out.to_str().unwrap(), "--figures", "sharpness"]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("scenario.toml") && err.contains("[diagnostics.sharpness]"),
        "{err}"
    );
    assert_eq!(
        files(&out.join("figures")),
        before,
        "a refused plot wrote figures"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_redraws_in_another_style_and_back() {
    // A screen run redrawn with `--style paper` prints at 3.25 × 2.6 in (975 × 780 px at the paper's
    // 300 dpi, the SVG sized in inches) without a title; redrawn with `--style screen` it is the run's
    // figures again, byte for byte (the style is the only thing a redraw changes).
    let dir = temp_dir("style");
    let out = run_into(
        &dir,
        r#"name = "replot_style"
description = "GD and its flow on diag(4, 1)"

[objective]
kind = "quadratic"
eigenvalues = [4.0, 1.0]

[init]
point = [1.0, 1.0]

[run]
step_size = 0.1
steps = 60

[[method]]
id = "gd"
kind = "gd"

[[method]]
id = "flow"
kind = "gradient_flow"

[[compare]]
a = "gd"
b = "flow"

[output]
figures = ["loss", "distance"]
formats = ["png", "svg"]
"#,
    );
    let figures = out.join("figures");
    let screen = files(&figures);
    ok(&flowgap(&["plot", out.to_str().unwrap(), "--style", "paper"]));
    let paper = files(&figures);
    for name in ["loss", "distance"] {
        let png = &paper[&format!("{name}.png")];
        let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
        assert_eq!((be(16), be(20)), (975, 780), "{name}.png");
        let svg = String::from_utf8_lossy(&paper[&format!("{name}.svg")]).into_owned();
        assert!(
            svg.starts_with(r#"<svg width="3.2500in" height="2.6000in""#),
            "{name}.svg"
        );
    }
    // "loss" is the screen figure's title and its y axis's name; the paper figure keeps only the latter.
    let count = |svg: &[u8]| {
        let svg = String::from_utf8_lossy(svg);
        svg.lines().filter(|l| l.trim() == "loss").count()
    };
    assert_eq!(count(&screen["loss.svg"]), 2);
    assert_eq!(count(&paper["loss.svg"]), 1, "the paper style draws no title");
    ok(&flowgap(&["plot", out.to_str().unwrap(), "--style", "screen"]));
    assert!(files(&figures) == screen, "screen again: the run's figures");
    let refused = flowgap(&["plot", out.to_str().unwrap(), "--style", "poster"]);
    assert_eq!(refused.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}
