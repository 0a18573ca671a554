//! Sweeps that keep recorded series (`[sweep] keep`, `kept.csv`) and draw them overlaid
//! (`[sweep.overlay]`): the kept values against closed forms, shards merged equal to one run, `flowgap
//! plot` redrawing the overlay byte for byte, and the refusals that need the whole grid (the budget, an
//! overlay axis the sweep does not have).

use super::sweep::{flowgap, ok, temp_dir};
use flowgap::formats::kept::{for_each_row, KeptHeader, KeptRow};
use std::path::Path;

/// GD and the flow on L = ½(4x² + y²) from (1, 1), exact sharpness at every other recorded point, swept
/// over three step sizes; the overlay draws GD's sharpness against step, one line per η.
const SCENARIO: &str = r#"name = "kept_quadratic"
description = "kept series of GD and its flow on a quadratic"

[objective]
kind = "quadratic"
eigenvalues = [4.0, 1.0]

[init]
point = [1.0, 1.0]

[run]
step_size = 0.1
steps = 20
record_every = 2

[[method]]
id = "gd"
kind = "gd"

[[method]]
id = "flow"
kind = "gradient_flow"
solver = "dop853"
rtol = 1e-10
atol = 1e-12

[diagnostics.sharpness]
every = 2

[output]
figures = []

[sweep]
grid = ["run.step_size = 0.1, 0.2, 0.3"]
keep = ["loss", "sharpness"]
figures = ["overlay"]

[sweep.overlay]
column = "sharpness"
by = "run.step_size"
"#;

/// Writes the test scenario (with `extra` appended) into `dir` as `s.toml`.
fn write_scenario(dir: &Path, extra: &str) {
    std::fs::write(dir.join("s.toml"), format!("{SCENARIO}{extra}")).unwrap();
}

/// The rows of `dir/kept.csv`.
fn kept_rows(dir: &Path, axes: &[&str]) -> Vec<KeptRow> {
    let header = KeptHeader {
        axes: axes.iter().map(|a| a.to_string()).collect(),
        columns: vec!["loss".into(), "sharpness".into()],
    };
    let mut rows = Vec::new();
    for_each_row(&dir.join("kept.csv"), &header, |r| rows.push(r.clone())).unwrap();
    rows
}

#[test]
fn kept_series_are_the_closed_form_losses_the_quadratic_sharpness_and_2_over_eta() {
    let dir = temp_dir("kept-closed-form");
    write_scenario(&dir, "");
    ok(&flowgap(&["sweep", "s.toml", "--quiet", "--out", "out"], &dir));
    let rows = kept_rows(&dir.join("out"), &["run.step_size"]);
    let etas = [0.1, 0.2, 0.3];
    // Per run and method: 11 recorded points (steps 0, 2, …, 20), sharpness at points 0, 2, 4, 6, 8, 10.
    assert_eq!(rows.len(), 3 * 2 * 11);
    for (k, &eta) in etas.iter().enumerate() {
        for method in ["gd", "flow"] {
            let run: Vec<&KeptRow> = rows
                .iter()
                .filter(|r| r.index == k as u64 && r.method == method)
                .collect();
            assert_eq!(run.len(), 11, "run {k} {method}");
            for (i, r) in run.iter().enumerate() {
                assert_eq!(r.axes, [eta]);
                assert_eq!(r.step, 2 * i as u64);
                let t = r.step as f64 * eta;
                assert!((r.t - t).abs() <= 1e-15 * t.max(1.0), "{} vs {t}", r.t);
                // GD: θ_k = ((1 − 4η)^k, (1 − η)^k); the flow: (e^{−4t}, e^{−t}).
                let expected = if method == "gd" {
                    let n = r.step as i32;
                    0.5 * (4.0 * (1.0 - 4.0 * eta).powi(2 * n) + (1.0 - eta).powi(2 * n))
                } else {
                    0.5 * (4.0 * (-8.0 * t).exp() + (-2.0 * t).exp())
                };
                let loss = r.values[0].expect("the loss at every point");
                assert!(
                    (loss - expected).abs() <= 1e-9 * expected.abs().max(1e-300),
                    "{method} η = {eta} step {}: loss {loss} vs {expected}",
                    r.step
                );
                // The Hessian is diag(4, 1): λ₁ = 4 wherever the diagnostic sampled (every 2nd point).
                match r.values[1] {
                    Some(l) => {
                        assert_eq!(i % 2, 0, "sampled at point {i}");
                        assert!((l - 4.0).abs() < 1e-12, "λ₁ = {l}");
                    }
                    None => assert_eq!(i % 2, 1, "not sampled at point {i}"),
                }
                // GD's threshold is 2/η; the flow has none.
                match method {
                    "gd" => assert_eq!(r.threshold, Some(2.0 / eta)),
                    _ => assert_eq!(r.threshold, None),
                }
            }
        }
    }
    // The plan says what was kept; the overlay is drawn, and `flowgap plot` redraws it byte for byte.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["keep"], serde_json::json!(["loss", "sharpness"]));
    assert_eq!(summary["kept_methods"], serde_json::json!(["gd", "flow"]));
    assert_eq!(summary["figures"][0]["kind"], "overlay");
    assert_eq!(summary["figures"][0]["method"], "gd");
    assert_eq!(summary["figures"][0]["over"], serde_json::Value::Null);
    let png = std::fs::read(dir.join("out/figures/overlay.png")).unwrap();
    let info = png::Decoder::new(std::io::Cursor::new(&png))
        .read_info()
        .expect("a decodable PNG");
    assert!(info.info().width > 500 && info.info().height > 300);
    std::fs::remove_file(dir.join("out/figures/overlay.png")).unwrap();
    ok(&flowgap(&["plot", "out"], &dir));
    assert!(
        std::fs::read(dir.join("out/figures/overlay.png")).unwrap() == png,
        "the redrawn overlay differs"
    );
    // A single run ignores the sweep table.
    ok(&flowgap(&["run", "s.toml", "--quiet", "--out", "run"], &dir));
    assert!(!dir.join("run/kept.csv").exists());
}

#[test]
fn merged_shards_equal_the_unsharded_kept_csv_and_overlay() {
    let dir = temp_dir("kept-shards");
    // A seed-like second axis: the overlay draws mean ± sd over it.
    write_scenario(&dir, "over = \"init.point[0]\"\n");
    let grid = ["--grid", "init.point[0]=0.5,1,2"];
    let mut single = vec!["sweep", "s.toml", "--quiet", "--out", "single"];
    single.extend(grid);
    ok(&flowgap(&single, &dir));
    for i in [1, 0] {
        let (shard, out) = (format!("{i}/2"), format!("part{i}"));
        let mut args = vec!["sweep", "s.toml", "--quiet", "--shard", &shard, "--out", &out];
        args.extend(grid);
        ok(&flowgap(&args, &dir));
        assert!(dir.join(&out).join("kept.csv").exists());
    }
    ok(&flowgap(&["merge", "part1", "part0", "--out", "merged"], &dir));
    for file in ["kept.csv", "sweep.csv", "summary.json", "figures/overlay.png"] {
        let a = std::fs::read(dir.join("single").join(file)).unwrap();
        let b = std::fs::read(dir.join("merged").join(file)).unwrap();
        assert!(a == b, "{file}: merged shards differ from a single run");
    }
    // 3 η × 3 starts, two methods, 11 points each; rows grouped by run, runs in index order.
    let rows = kept_rows(&dir.join("merged"), &["run.step_size", "init.point[0]"]);
    assert_eq!(rows.len(), 9 * 2 * 11);
    assert!(rows.windows(2).all(|w| w[0].index <= w[1].index));
    // GD's loss scales with the start's first coordinate: ½(4x₀²(1 − 4η)^{2k} + (1 − η)^{2k}).
    for r in rows.iter().filter(|r| r.method == "gd") {
        let (eta, x0, n) = (r.axes[0], r.axes[1], r.step as i32);
        let expected = 0.5 * (4.0 * x0 * x0 * (1.0 - 4.0 * eta).powi(2 * n) + (1.0 - eta).powi(2 * n));
        let loss = r.values[0].unwrap();
        assert!(
            (loss - expected).abs() <= 1e-12 * expected.max(1e-300),
            "{loss} vs {expected}"
        );
    }
    // A part whose kept.csv is missing is refused, naming it, and nothing is written.
    std::fs::remove_file(dir.join("part0/kept.csv")).unwrap();
    let out = flowgap(&["merge", "part0", "part1", "--out", "bad"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept.csv"));
    assert!(!dir.join("bad").exists());
}

#[test]
fn a_keep_too_large_and_an_overlay_off_the_axes_are_refused_at_their_lines() {
    let dir = temp_dir("kept-refusals");
    write_scenario(&dir, "");
    // 6000 runs of 10,000 steps keeping two columns of two methods is more than the budget.
    let too_many = ["--grid", "init.point[1]=0:1:2000", "--grid", "run.steps=10000"];
    let mut args = vec!["sweep", "s.toml", "--quiet", "--out", "o"];
    args.extend(too_many);
    let out = flowgap(&args, &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // The budget is checked after the overlay's axes: drop the overlay to see it.
    assert!(err.contains("sweep.overlay"), "{err}");
    let text = SCENARIO.replace("figures = [\"overlay\"]", "figures = []");
    let text = text.split("[sweep.overlay]").next().unwrap().to_string();
    std::fs::write(dir.join("t.toml"), &text).unwrap();
    let keep_line = text.lines().position(|l| l.starts_with("keep")).unwrap() + 1;
    let mut args = vec!["sweep", "t.toml", "--quiet", "--out", "o"];
    args.extend(too_many);
    let out = flowgap(&args, &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // 3 × 2000 runs × 2 methods × (5002 + 2502) values = 9.0e7 > 2e7.
    assert!(err.contains(&format!("t.toml:{keep_line}:")), "{err}");
    assert!(err.contains("sweep.keep") && err.contains("9.005e7"), "{err}");
    assert!(!dir.join("o").exists());
    // The overlay's `by` must be an axis, and every other axis `by` or `over`.
    let out = flowgap(
        &[
            "sweep",
            "s.toml",
            "--quiet",
            "--grid",
            "init.point[1]=1,2",
            "--out",
            "o",
        ],
        &dir,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let overlay_line = SCENARIO.lines().position(|l| l == "[sweep.overlay]").unwrap() + 1;
    assert!(err.contains(&format!("s.toml:{overlay_line}:")), "{err}");
    assert!(err.contains("init.point[1]") && err.contains("neither"), "{err}");
    write_scenario(&dir, "");
    let text = SCENARIO.replace("by = \"run.step_size\"", "by = \"init.seed\"");
    std::fs::write(dir.join("u.toml"), text).unwrap();
    let out = flowgap(&["sweep", "u.toml", "--quiet", "--out", "o"], &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sweep.overlay.by") && err.contains("not an axis"),
        "{err}"
    );
}

/// A scenario from `scenarios/<name>.toml` with `[objective.data]` extended by `data` (a held-out
/// part), `[output]` drawing nothing, and `sweep` appended; written as `dir/<file>` with the data file
/// beside it (`data/iris.csv`).
fn held_out_scenario(dir: &Path, file: &str, name: &str, data: &str, sweep: &str) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(repo.join("scenarios/data/iris.csv"), dir.join("data/iris.csv")).unwrap();
    let text = std::fs::read_to_string(repo.join(format!("scenarios/{name}.toml"))).unwrap();
    let text = text.split("[output]").next().unwrap().to_string();
    let text = text
        .replacen("l2 = 0.01", "l2 = 0.0", 1)
        .replacen(
            "scale = \"standardize\"",
            &format!("scale = \"standardize\"\n{data}"),
            1,
        )
        .replacen("steps = 400", "steps = 20", 1)
        .replacen("steps = 500", "steps = 20", 1);
    std::fs::write(
        dir.join(file),
        format!("{text}\n[output]\nfigures = []\n\n{sweep}"),
    )
    .unwrap();
}

#[test]
fn kept_held_out_columns_equal_the_training_loss_when_the_test_set_is_the_training_set() {
    let dir = temp_dir("kept-held-out");
    // Softmax regression on iris without weight decay, tested on its own training file: the test loss is
    // the objective's loss and the two accuracies are one count over 150, at every point of every run.
    held_out_scenario(
        &dir,
        "s.toml",
        "logistic_iris",
        "test_data = \"data/iris.csv\"",
        "[sweep]\ngrid = [\"run.step_size = 0.5, 2.0\"]\n\
         keep = [\"loss\", \"test_loss\", \"train_accuracy\", \"test_accuracy\"]\n",
    );
    ok(&flowgap(&["sweep", "s.toml", "--quiet", "--out", "out"], &dir));
    let header = KeptHeader {
        axes: vec!["run.step_size".into()],
        columns: ["loss", "test_loss", "train_accuracy", "test_accuracy"]
            .map(String::from)
            .to_vec(),
    };
    let mut rows = Vec::new();
    for_each_row(&dir.join("out/kept.csv"), &header, |r| rows.push(r.clone())).unwrap();
    // 2 runs × 2 methods × 11 points (steps 0, 2, …, 20).
    assert_eq!(rows.len(), 2 * 2 * 11);
    for r in &rows {
        let v: Vec<f64> = r
            .values
            .iter()
            .map(|v| v.expect("every column at every point"))
            .collect();
        assert_eq!(
            v[1].to_bits(),
            v[0].to_bits(),
            "{} step {}: test loss ≠ loss",
            r.method,
            r.step
        );
        assert_eq!(v[2], v[3]);
        let count = v[3] * 150.0;
        assert!((count - count.round()).abs() < 1e-9, "{count}");
        assert_eq!(r.threshold, None);
    }
    // At θ₀ = 0 every class scores alike: the loss is ln 3 and the argmax is the first class, 50 of 150.
    let first = &rows[0];
    assert_eq!(first.step, 0);
    assert!((first.values[1].unwrap() - 3f64.ln()).abs() < 1e-14);
    assert!((first.values[3].unwrap() - 1.0 / 3.0).abs() < 1e-15);
    // sweep.csv: the final test loss is the final loss, the lowest test loss is no higher, and the
    // accuracies are the last kept ones.
    let csv = std::fs::read_to_string(dir.join("out/sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    for (k, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        for m in ["gd", "flow"] {
            let get = |c: &str| cells[col(&format!("{m}.{c}"))];
            assert_eq!(get("test_loss"), get("final_loss"), "run {k} {m}");
            let best: f64 = get("best_test_loss").parse().unwrap();
            assert!(best <= get("test_loss").parse::<f64>().unwrap());
            let last = rows
                .iter()
                .rfind(|r| r.index == k as u64 && r.method == m)
                .unwrap();
            assert_eq!(
                get("test_accuracy").parse::<f64>().unwrap(),
                last.values[3].unwrap()
            );
            assert_eq!(
                get("train_accuracy").parse::<f64>().unwrap(),
                last.values[2].unwrap()
            );
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["keep"],
        serde_json::json!(["loss", "test_loss", "train_accuracy", "test_accuracy"])
    );
}

#[test]
fn held_out_columns_without_a_test_part_or_accuracy_without_classes_are_refused() {
    let dir = temp_dir("kept-held-out-refusals");
    // No test part: keeping the test loss is refused at `keep`'s line, naming the fix.
    held_out_scenario(
        &dir,
        "a.toml",
        "logistic_iris",
        "",
        "[sweep]\ngrid = [\"run.step_size = 0.5, 1\"]\nkeep = [\"test_loss\"]\n",
    );
    let out = flowgap(&["sweep", "a.toml", "--quiet", "--out", "o"], &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let text = std::fs::read_to_string(dir.join("a.toml")).unwrap();
    let keep_line = text.lines().position(|l| l.starts_with("keep")).unwrap() + 1;
    assert!(err.contains(&format!("a.toml:{keep_line}:")), "{err}");
    assert!(
        err.contains("test_fraction") && err.contains("sweep.keep"),
        "{err}"
    );
    // Least squares has no classes: its test loss can be kept, its accuracy cannot.
    let split = "test_fraction = 0.2\nsplit_seed = 3";
    held_out_scenario(
        &dir,
        "b.toml",
        "linear_regression_iris",
        split,
        "[sweep]\ngrid = [\"run.step_size = 0.5, 0.9\"]\nkeep = [\"test_loss\", \"test_accuracy\"]\n",
    );
    let out = flowgap(&["sweep", "b.toml", "--quiet", "--out", "o"], &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("test_accuracy") && err.contains("classification"),
        "{err}"
    );
    assert!(!dir.join("o").exists());
    held_out_scenario(
        &dir,
        "c.toml",
        "linear_regression_iris",
        split,
        "[sweep]\ngrid = [\"run.step_size = 0.5, 0.9\"]\nkeep = [\"train_loss\", \"test_loss\"]\n",
    );
    ok(&flowgap(&["sweep", "c.toml", "--quiet", "--out", "o"], &dir));
    let csv = std::fs::read_to_string(dir.join("o/sweep.csv")).unwrap();
    let head = csv.lines().next().unwrap();
    assert!(
        head.contains("gd.test_loss,gd.best_test_loss,") && !head.contains("accuracy"),
        "{head}"
    );
}
