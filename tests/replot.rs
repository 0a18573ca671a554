//! `flowgap plot DIR` redraws every figure kind a `flowgap run` draws (and a sweep's figures) from the saved
//! files, byte for byte: each test runs the binary, deletes `figures/`, runs `flowgap plot` and compares
//! every figure file (PNG and SVG) with the one the run wrote. Also: missing or corrupt saved data gives
//! an error naming the file, never a panic.

use flowgap::render::FigureKind;
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
        message.contains("gd_sharpness.csv, row 4, column `lambda_1`: `1.5e` is not a number"),
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
        // The library says the same, as a data error.
        match flowgap::replot::replot(&out, None, None) {
            Err(flowgap::Error::Data { file, .. }) => assert_eq!(file, csv),
            other => panic!("expected a data error, got {other:?}"),
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
