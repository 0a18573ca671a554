//! The momentum and modified-flow scenarios load and run through the library and show what their
//! descriptions say; their keys are checked with line numbers; the summary reports time maps and
//! stability thresholds.

use flowgap::error::Error;
use flowgap::experiment::Report;
use flowgap::{output, scenario, Termination};
use std::path::Path;

fn scenarios_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn run_named(name: &str) -> Report {
    let s = scenario::load(&scenario::named_path(&scenarios_dir(), name)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.experiment.name, name);
    (s).experiment.run()
}

fn max_distance(report: &Report, a: &str, b: &str) -> f64 {
    let c = report
        .comparisons
        .iter()
        .find(|c| c.a == a && c.b == b)
        .unwrap_or_else(|| panic!("no comparison {a} vs {b}"));
    assert!(
        c.paired_points > 1,
        "{a} vs {b} paired {} points",
        c.paired_points
    );
    c.max_distance
}

fn completed(report: &Report) {
    for m in &report.methods {
        assert_eq!(m.trajectory.termination, Termination::Completed, "{}", m.id);
    }
}

#[test]
fn modified_flow_scenarios_get_closer_to_gd_with_each_order() {
    // With ηλ_max ≈ 0.1 (Rosenbrock) or 0.2 (quadratic), each order of the modified equation gains a factor
    // of roughly 1/(ηλ) in the distance to GD: at least 5 (Rosenbrock) and 4 (quadratic).
    for (name, factor) in [
        ("modified_flow_rosenbrock", 5.0),
        ("modified_flow_quadratic", 4.0),
    ] {
        let r = run_named(name);
        completed(&r);
        let d0 = max_distance(&r, "gd", "flow");
        let d1 = max_distance(&r, "gd", "modified1");
        let d2 = max_distance(&r, "gd", "modified2");
        assert!(
            d0 > factor * d1 && d1 > factor * d2,
            "{name}: {d0:e}, {d1:e}, {d2:e}"
        );
    }
}

#[test]
fn modified_flow_quadratic_rates_are_the_series_of_gds_rate() {
    // On the stiff coordinate (λ = 20, η = 0.01) GD decays at ln(1 − ηλ)/η = −22.314 per unit time, gradient
    // flow at −λ = −20, the modified flows at −λ − ηλ²/2 = −22 and −22 − η²λ³/3 = −22.267. Each model's
    // stiff coordinate (starting at 1) is e^{rate·t}: recover the rates at t = 0.2, where it is still
    // ≈ 0.01, far above the solver's atol.
    let r = run_named("modified_flow_quadratic");
    let eta: f64 = 0.01;
    let lambda: f64 = 20.0;
    let rate_of = |id: &str| {
        let t = &r.method(id).unwrap().trajectory;
        let i = t.times.iter().position(|&x| (x - 0.2).abs() < 1e-12).unwrap();
        t.state(i)[0].ln() / 0.2
    };
    let expected = [
        ("gd", (1.0 - eta * lambda).ln() / eta),
        ("flow", -lambda),
        ("modified1", -lambda - eta * lambda * lambda / 2.0),
        (
            "modified2",
            -lambda - eta * lambda * lambda / 2.0 - eta * eta * lambda.powi(3) / 3.0,
        ),
    ];
    for (id, rate) in expected {
        assert!(
            (rate_of(id) - rate).abs() < 1e-7,
            "{id}: {} vs {rate}",
            rate_of(id)
        );
    }
}

#[test]
fn heavy_ball_scenario_separates_steady_and_at_rest_starts() {
    let r = run_named("heavy_ball_quadratic");
    completed(&r);
    let modified = max_distance(&r, "hb", "hb_modified");
    let ode = max_distance(&r, "hb", "hb_ode");
    let rest = max_distance(&r, "hb_rest", "hb_modified");
    let flow = max_distance(&r, "hb", "flow");
    // O(η²) for both models when started steady, O(η) at rest (the initial lag ηβ/(1 − β)²·‖∇L(θ₀)‖ ≈ 1e-2
    // here), O(1) against plain gradient flow, which runs 1/(1 − β) = 10 times slower.
    assert!(modified < 1e-3 && ode < 1e-3, "{modified:e}, {ode:e}");
    assert!(rest > 10.0 * modified, "{rest:e} vs {modified:e}");
    assert!(flow > 0.1, "{flow:e}");
}

#[test]
fn heavy_ball_converges_where_gd_and_nesterov_diverge() {
    let r = run_named("heavy_ball_beyond_gd_threshold");
    let status = |id: &str| r.method(id).unwrap().trajectory.termination.name();
    assert_eq!(status("gd"), "diverged");
    assert_eq!(status("nesterov"), "diverged");
    assert_eq!(status("hb"), "completed");
    assert!(r.method("hb").unwrap().trajectory.final_loss() < 1e-30);
    // The summary states each threshold on the sharpness; λ_max = 100 lies between GD's and heavy ball's.
    let summary = serde_json::to_value(output::summary(
        &r,
        &flowgap::outspec::OutputSpec::figures(Vec::new()),
    ))
    .unwrap();
    let threshold = |i: usize| summary["methods"][i]["stability_threshold"].as_f64().unwrap();
    assert!((threshold(0) - 2.0 / 0.03).abs() < 1e-9);
    assert!((threshold(1) - 2.0 * 1.9 / 0.03).abs() < 1e-9);
    assert!((threshold(2) - 3.8 / (0.03 * 2.8)).abs() < 1e-9);
    assert!(threshold(0) < 100.0 && threshold(1) > 100.0 && threshold(2) < 100.0);
    assert_eq!(summary["methods"][1]["settings"]["beta"], 0.9);
    assert_eq!(summary["methods"][1]["settings"]["start"], "at_rest");
    assert_eq!(summary["methods"][1]["time_map"], "k*eta");
}

#[test]
fn nesterov_scenario_runs_on_the_square_root_time_axis() {
    let r = run_named("nesterov_quadratic");
    completed(&r);
    for m in &r.methods {
        let t = &m.trajectory;
        assert_eq!(t.len(), 3001, "{}", m.id);
        for (k, &time) in t.times.iter().enumerate() {
            assert_eq!(time, k as f64 * 1e-4f64.sqrt(), "{}: t_k = k·√η", m.id);
        }
    }
    // A distance of order √η = 0.01 (measured 7.8e-3).
    let d = max_distance(&r, "nesterov", "ode");
    assert!(d > 1e-3 && d < 3e-2, "{d:e}");
    let summary = serde_json::to_value(output::summary(
        &r,
        &flowgap::outspec::OutputSpec::figures(Vec::new()),
    ))
    .unwrap();
    for i in 0..2 {
        assert_eq!(summary["methods"][i]["time_map"], "k*sqrt(eta)");
        assert!((summary["methods"][i]["time_unit"].as_f64().unwrap() - 0.01).abs() < 1e-15);
    }
    // Continuous models report no threshold; Su–Boyd–Candès' β_k → 1 gives the limit 4/(3η).
    assert!((summary["methods"][0]["stability_threshold"].as_f64().unwrap() - 4.0 / 3e-4).abs() < 1e-6);
    assert!(summary["methods"][1]["stability_threshold"].is_null());
}

const BASE: &str = r#"name = "keys"

[objective]
kind = "quadratic"
eigenvalues = [2.0, 1.0]

[init]
point = [1.0, 1.0]

[run]
step_size = 0.01
steps = 10

[[method]]
id = "m"
kind = "gd"

[[method]]
id = "other"
kind = "gd"

[[compare]]
a = "m"
b = "other"
"#;

/// Replaces the first method's kind line with `method` (its kind and keys) and checks the refusal: the
/// key, the 1-based line of `needle`, and a fragment of the message.
fn refused(method: &str, key: &str, needle: &str, fragment: &str) {
    let text = BASE.replacen("kind = \"gd\"", method, 1);
    let line = text.lines().position(|l| l.contains(needle)).expect("needle") + 1;
    match scenario::parse(&text, Path::new("keys.toml")) {
        Err(Error::Scenario {
            location,
            key: k,
            message,
        }) => {
            assert_eq!(k, key, "{method}: {message}");
            assert_eq!(location.line, Some(line), "{method}: {message}");
            assert!(
                message.contains(fragment),
                "{method}: `{fragment}` not in {message}"
            );
        }
        Err(other) => panic!("{method}: unexpected error {other}"),
        Ok(_) => panic!("{method}: accepted"),
    }
}

#[test]
fn method_keys_are_checked_with_line_and_key() {
    refused(
        "kind = \"heavy_ball\"\nbeta = 1.0",
        "method[0].beta",
        "beta = 1.0",
        "[0, 1)",
    );
    refused(
        "kind = \"heavy_ball\"\nbeta = -0.1",
        "method[0].beta",
        "beta = -0.1",
        "[0, 1)",
    );
    refused(
        "kind = \"heavy_ball\"",
        "method[0].beta",
        "heavy_ball",
        "needs `beta`",
    );
    refused(
        "kind = \"heavy_ball\"\nbeta = 0.9\nstart = \"moving\"",
        "method[0].start",
        "moving",
        "at_rest, steady",
    );
    refused(
        "kind = \"heavy_ball\"\nbeta = 0.9\norder = 1",
        "method[0].order",
        "order = 1",
        "does not apply",
    );
    refused(
        "kind = \"gd\"\nbeta = 0.9",
        "method[0].beta",
        "beta = 0.9",
        "does not apply to kind `gd`",
    );
    refused(
        "kind = \"modified_flow\"\norder = 3",
        "method[0].order",
        "order = 3",
        "1 or 2",
    );
    refused(
        "kind = \"modified_flow\"\nbeta = 0.5",
        "method[0].beta",
        "beta = 0.5",
        "does not apply",
    );
    refused(
        "kind = \"heavy_ball_flow\"\nbeta = 0.5\nstart = \"steady\"",
        "method[0].start",
        "start",
        "form = \"second_order\"",
    );
    refused(
        "kind = \"heavy_ball_flow\"\nbeta = 0.5\nform = \"third\"",
        "method[0].form",
        "third",
        "modified, second_order",
    );
    refused(
        "kind = \"heavy_ball_flow\"\nbeta = 0.5\nform = \"second_order\"\nsolver = \"rk4\"\nrtol = 1e-6",
        "method[0].rtol",
        "rtol",
        "rk4 has a fixed step",
    );
    refused(
        "kind = \"nesterov\"\nschedule = \"sbc\"",
        "method[0].schedule",
        "sbc",
        "su_boyd_candes",
    );
    refused(
        "kind = \"nesterov\"\nschedule = \"su_boyd_candes\"\nbeta = 0.9",
        "method[0].beta",
        "beta = 0.9",
        "(k − 1)/(k + 2)",
    );
    refused(
        "kind = \"nesterov_ode\"\nbeta = 0.9",
        "method[0].beta",
        "beta",
        "does not apply",
    );
    refused(
        "kind = \"heavyball\"",
        "method[0].kind",
        "heavyball",
        "heavy_ball, nesterov",
    );
    // A comparison across time maps would pair almost no points: refused at the comparison.
    refused(
        "kind = \"nesterov\"\nschedule = \"su_boyd_candes\"",
        "compare[0].b",
        "b = \"other\"",
        "k*sqrt(eta)",
    );
}

#[test]
fn method_keys_resolve_to_their_defaults() {
    let with = |method: &str| {
        let text = BASE.replacen("kind = \"gd\"", method, 1);
        scenario::parse(&text, Path::new("keys.toml")).unwrap_or_else(|e| panic!("{e}"))
    };
    use flowgap::continuous::{ModifiedOrder, SolverKind};
    use flowgap::discrete::{MomentumStart, NesterovSchedule};
    use flowgap::method::{HeavyBallForm, MethodKind};
    let s = with("kind = \"modified_flow\"");
    match &s.experiment.methods[0].kind {
        MethodKind::ModifiedFlow { order, solver } => {
            assert_eq!(*order, ModifiedOrder::One);
            assert_eq!(solver.solver, SolverKind::Dop853);
        }
        other => panic!("{other:?}"),
    }
    let s = with("kind = \"heavy_ball\"\nbeta = 0.9");
    assert_eq!(
        s.experiment.methods[0].kind,
        MethodKind::HeavyBall {
            beta: 0.9,
            start: MomentumStart::AtRest
        }
    );
    let s = with("kind = \"heavy_ball_flow\"\nbeta = 0.5\nform = \"second_order\"");
    match &s.experiment.methods[0].kind {
        MethodKind::HeavyBallFlow { form, .. } => {
            assert_eq!(*form, HeavyBallForm::SecondOrder(MomentumStart::AtRest))
        }
        other => panic!("{other:?}"),
    }
    let s = with("kind = \"nesterov\"\nbeta = 0.5");
    assert_eq!(
        s.experiment.methods[0].kind,
        MethodKind::Nesterov(NesterovSchedule::Constant(0.5))
    );
    // rk4's default step is a quarter of the method's time unit: η/4, or √η/4 for the Nesterov ODE
    // (compared with another √η method so the comparison is allowed).
    let text = BASE
        .replacen("kind = \"gd\"", "kind = \"nesterov_ode\"\nsolver = \"rk4\"", 1)
        .replacen(
            "kind = \"gd\"",
            "kind = \"nesterov\"\nschedule = \"su_boyd_candes\"",
            1,
        );
    let s = scenario::parse(&text, Path::new("keys.toml")).unwrap_or_else(|e| panic!("{e}"));
    match &s.experiment.methods[0].kind {
        MethodKind::NesterovOde(settings) => assert!((settings.dt - 0.1 / 4.0).abs() < 1e-15),
        other => panic!("{other:?}"),
    }
}
