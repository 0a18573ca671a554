//! `flowgap order`: one scenario at several step sizes on a fixed horizon, with each comparison's fitted
//! order.

use flowgap::order::{loglog_fit, order_study, write_order};
use flowgap::trajectory::TimeMap;
use std::path::{Path, PathBuf};

fn named(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

#[test]
fn loglog_fit_recovers_a_power_law() {
    // y = 3·x^2.5 exactly: slope 2.5, intercept ln 3.
    let x = [0.1, 0.03, 0.01, 0.002];
    let y: Vec<f64> = x.iter().map(|v: &f64| 3.0 * v.powf(2.5)).collect();
    let (slope, intercept) = loglog_fit(&x, &y).unwrap();
    assert!((slope - 2.5).abs() < 1e-12 && (intercept - 3f64.ln()).abs() < 1e-12);
    assert_eq!(loglog_fit(&[0.1], &[1.0]), None);
    assert_eq!(loglog_fit(&[0.1, 0.1], &[1.0, 2.0]), None);
}

#[test]
fn order_study_finds_orders_0_1_2_of_the_modified_flows() {
    // modified_flow_quadratic: t_end = 3. GD follows gradient flow to O(η), the order-p modified flow to
    // O(η^{p+1}); ηλ_max ≤ 0.2 here, so the slopes are within 0.1 of 1, 2, 3 (measured 1.04, 2.02, 3.03).
    let etas = [0.01, 0.005, 0.0025, 0.00125];
    let study = order_study(&named("modified_flow_quadratic"), &etas).unwrap();
    assert_eq!(study.time_map, TimeMap::Eta);
    assert!((study.t_end - 3.0).abs() < 1e-12);
    assert_eq!(study.steps, vec![300, 600, 1200, 2400]);
    let expected = [("flow", 1.0), ("modified1", 2.0), ("modified2", 3.0)];
    assert_eq!(study.comparisons.len(), 3);
    for (fit, (b, slope)) in study.comparisons.iter().zip(expected) {
        assert_eq!((fit.a.as_str(), fit.b.as_str()), ("gd", b));
        assert_eq!(fit.points_used, 4);
        assert!(fit.completed.iter().all(|&c| c));
        let s = fit.slope.unwrap();
        assert!(
            (s - slope).abs() < 0.1,
            "gd vs {b}: slope {s} from {:?}",
            fit.max_distances
        );
    }
    // The written file carries the same numbers.
    let dir = std::env::temp_dir().join(format!("flowgap-order-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = write_order(&study, &dir).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["scenario"], "modified_flow_quadratic");
    assert_eq!(json["time_map"], "eta");
    assert_eq!(
        json["comparisons"][2]["slope"].as_f64(),
        study.comparisons[2].slope
    );
    assert_eq!(
        json["comparisons"][0]["max_distances"].as_array().unwrap().len(),
        4
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn order_study_keeps_the_square_root_horizon_for_nesterov() {
    // Every method of nesterov_quadratic runs on t = k·√η, so the horizon 3000·√1e-4 = 30 is kept in that
    // time: steps = 30/√η. Nesterov follows its ODE to O(√η): slope 1/2 (measured 0.50).
    let etas = [1e-4, 2.5e-5, 6.25e-6];
    let study = order_study(&named("nesterov_quadratic"), &etas).unwrap();
    assert_eq!(study.time_map, TimeMap::SqrtEta);
    assert_eq!(study.steps, vec![3000, 6000, 12000]);
    let s = study.comparisons[0].slope.unwrap();
    assert!((s - 0.5).abs() < 0.1, "slope {s}");
}

#[test]
fn order_study_refuses_step_sizes_it_cannot_use() {
    let path = named("modified_flow_quadratic");
    for (etas, fragment) in [
        (vec![0.01], "at least two"),
        (vec![0.01, -0.005], "> 0"),
        (vec![0.01, 0.01], "distinct"),
        (vec![0.01, 0.007], "does not divide"),
    ] {
        let err = order_study(&path, &etas).unwrap_err();
        assert!(err.is_bad_input(), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("--step-sizes") && text.contains(fragment),
            "{etas:?}: {text}"
        );
    }
}

#[test]
fn order_subcommand_writes_order_json() {
    let dir = std::env::temp_dir().join(format!("flowgap-order-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args([
            "order",
            "modified_flow_quadratic",
            "--step-sizes",
            "0.01,0.005",
            "--out",
            "o",
        ])
        .arg("--scenarios")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("gd vs modified2: slope"), "{stdout}");
    assert!(dir.join("o").join("order.json").is_file());
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["order", "modified_flow_quadratic", "--step-sizes", "0.01,0.007"])
        .arg("--scenarios")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(!dir.join("output").exists(), "a refused study writes nothing");
    std::fs::remove_dir_all(&dir).unwrap();
}
