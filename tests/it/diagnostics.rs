//! Diagnostics against known answers: sharpness of quadratics, Lanczos against the exact
//! eigendecomposition, the exact per-step change of a conserved quantity under GD, the closed-form
//! 2-cycle of GD on the double well, and Lyapunov exponents of GD and the flow on ½λx².

use flowgap::data::{Dataset, Task};
use flowgap::diagnostics::end_state::EndStatus;
use flowgap::diagnostics::sharpness::{Eigensolver, SharpnessSettings};
use flowgap::experiment::Report;
use flowgap::objective::activation::Activation;
use flowgap::objective::{Mlp, MlpConfig, MlpLoss, Objective, Parameterization};
use flowgap::scenario::parse;
use nalgebra::DMatrix;
use std::path::Path;

/// The scenario in `src`, parsed into what to run and what to write.
fn parse_toml(src: &str) -> (flowgap::experiment::Experiment, flowgap::outspec::OutputSpec) {
    parse(src, Path::new("test.toml"))
        .expect("valid scenario")
        .into_parts()
}

fn run_toml(src: &str) -> Report {
    parse(src, Path::new("test.toml"))
        .expect("valid scenario")
        .experiment
        .run()
}

const FLOW: &str = "solver = \"dop853\"\nrtol = 1e-11\natol = 1e-13\n";

#[test]
fn quadratic_sharpness_is_lambda_max_and_min_at_every_sample_exact_and_lanczos() {
    let eigenvalues = [10.0, 4.0, 2.5, 1.0, 0.3];
    for exact_max_dim in [64, 0] {
        let r = run_toml(&format!(
            "name = \"q\"\n[objective]\nkind = \"quadratic\"\neigenvalues = {eigenvalues:?}\n\
             [init]\npoint = [1.0, -1.0, 0.5, 2.0, 1.0]\n[run]\nstep_size = 0.05\nsteps = 60\n\
             [[method]]\nid = \"gd\"\nkind = \"gd\"\n[[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n{FLOW}\
             [diagnostics.sharpness]\ntop_k = 2\nevery = 7\nexact_max_dim = {exact_max_dim}\nlanczos_iterations = 5\n"
        ));
        let d = r.diagnostics.as_ref().unwrap();
        for m in &d.methods {
            let s = m.sharpness.as_ref().unwrap();
            assert_eq!(s.method, if exact_max_dim == 0 { "lanczos" } else { "exact" });
            // Samples at 0, 7, …, 56 and the last point (60).
            assert_eq!(s.times.len(), 10, "{}", m.id);
            for j in 0..s.times.len() {
                assert!((s.top[2 * j] - 10.0).abs() <= 1e-12 * 10.0, "{}", s.top[2 * j]);
                assert!((s.top[2 * j + 1] - 4.0).abs() <= 1e-12 * 10.0);
                assert!((s.min[j] - 0.3).abs() <= 1e-12 * 10.0, "{}", s.min[j]);
            }
        }
    }
}

#[test]
fn crossing_fires_exactly_when_eta_exceeds_two_over_lambda_max() {
    // λ_max = 8: threshold 2/η crosses λ_max at η = 0.25.
    for eta in [0.2, 0.249, 0.2499, 0.2501, 0.251, 0.3] {
        let r = run_toml(&format!(
            "name = \"q\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [8.0, 1.0]\n\
             [init]\npoint = [1.0, 1.0]\n[run]\nstep_size = {eta}\nsteps = 40\n\
             [[method]]\nid = \"gd\"\nkind = \"gd\"\n[[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n{FLOW}\
             [[compare]]\na = \"gd\"\nb = \"flow\"\n[diagnostics.sharpness]\n"
        ));
        let d = r.diagnostics.as_ref().unwrap();
        let e = d.method("gd").unwrap().edge_of_stability.as_ref().unwrap();
        assert_eq!(e.threshold, 2.0 / eta);
        assert_eq!(e.crossing_time.is_some(), eta > 2.0 / 8.0, "η = {eta}");
        if eta > 0.25 {
            assert_eq!(e.crossing_time, Some(0.0));
        }
        // Continuous models have no threshold.
        assert!(d.method("flow").unwrap().edge_of_stability.is_none());
        let rel = &d.comparisons[0].edge_of_stability;
        assert_eq!(rel.len(), 1);
        assert_eq!(rel[0].crossing_time, e.crossing_time);
    }
}

/// A 32-parameter tanh mlp on 12 fixed samples and its seeded start (also used by `adaptive_sharpness`).
pub(crate) fn small_mlp() -> (Mlp, Vec<f64>) {
    // 12 samples, 3 inputs, 5 tanh units, 2 outputs, biases: d = 3·5 + 5 + 5·2 + 2 = 32.
    let x = DMatrix::from_fn(12, 3, |i, j| ((i * 7 + j * 3) as f64 * 0.61).sin());
    let y = DMatrix::from_fn(12, 2, |i, j| ((i * 5 + j) as f64 * 0.37).cos());
    let data = Dataset {
        x,
        y,
        task: Task::Regression,
    };
    let net = Mlp::new(
        MlpConfig {
            widths: vec![3, 5, 2],
            activation: Activation::Tanh,
            loss: MlpLoss::Mse,
            bias: true,
            parameterization: Parameterization::Standard,
        },
        &data,
    )
    .unwrap();
    let theta = net.init(1.0, 4);
    (net, theta)
}

#[test]
fn lanczos_matches_the_exact_eigendecomposition_on_a_small_mlp() {
    let (net, theta0) = small_mlp();
    let d = net.dim();
    let settings = SharpnessSettings {
        top_k: 3,
        every: 1,
        exact_max_dim: d,
        lanczos_iterations: d,
        lanczos_tolerance: 1e-12,
        lambda_min: true,
    };
    let mut exact = Eigensolver::new(d, settings);
    let mut lanczos = Eigensolver::new(
        d,
        SharpnessSettings {
            exact_max_dim: 0,
            ..settings
        },
    );
    assert!(exact.is_exact() && !lanczos.is_exact());
    // A short GD path, so the warm start is exercised too.
    let mut theta = theta0.clone();
    let mut g = vec![0.0; d];
    let mut total_hvps = 0;
    for step in 0..5 {
        let e = exact.spectrum(&net, &theta);
        let l = lanczos.spectrum(&net, &theta);
        let scale = e.top[0].abs();
        for (a, b) in e.top.iter().zip(&l.top) {
            assert!(
                (a - b).abs() <= 1e-8 * scale,
                "step {step}: exact {a} lanczos {b}"
            );
        }
        assert!(
            (e.min - l.min).abs() <= 1e-8 * scale,
            "step {step}: {} vs {}",
            e.min,
            l.min
        );
        assert!(l.converged);
        total_hvps += l.hvps;
        // It stopped on its residual test before spanning the whole space (where it would be exact by
        // construction): 24–26 products here for d = 32.
        assert!(l.hvps < d as u64, "{} products for d = {d}", l.hvps);
        net.gradient(&theta, &mut g);
        for (t, gi) in theta.iter_mut().zip(&g) {
            *t -= 0.1 * gi;
        }
    }
    assert!(total_hvps > 0);
}

#[test]
fn gd_changes_the_scalar_net_balance_by_the_exact_factor_and_the_flow_keeps_it() {
    // L = ½(s − w₁w₂)² with r = s − w₁w₂. GD: w₁' = w₁ + ηrw₂, w₂' = w₂ + ηrw₁, so
    // w₂'² − w₁'² = w₂² + 2ηrw₁w₂ + η²r²w₁² − w₁² − 2ηrw₁w₂ − η²r²w₂² = (w₂² − w₁²)(1 − η²r²):
    // each step changes q = w₂² − w₁² by exactly −η²r²·q. Gradient flow conserves q.
    let (s, eta) = (2.0, 0.05);
    let r = run_toml(&format!(
        "name = \"net\"\n[objective]\nkind = \"deep_linear\"\nwidths = [1, 1, 1]\ntarget = [[{s}]]\n\
         [init]\npoint = [1.5, 0.2]\n[run]\nstep_size = {eta}\nsteps = 200\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n[[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n{FLOW}\
         [diagnostics.end_state]\n"
    ));
    let gd = &r.method("gd").unwrap().trajectory;
    let qi = gd
        .conserved_names
        .iter()
        .position(|n| n == "balance_1_trace")
        .unwrap();
    for k in 0..gd.len() - 1 {
        let (w1, w2) = (gd.state(k)[0], gd.state(k)[1]);
        let q = gd.conserved_at(k)[qi];
        assert!((q - (w2 * w2 - w1 * w1)).abs() <= 1e-14 * q.abs().max(1.0));
        let res = s - w1 * w2;
        let predicted = -eta * eta * res * res * q;
        let change = gd.conserved_at(k + 1)[qi] - q;
        assert!(
            (change - predicted).abs() <= 1e-13 * q.abs() + 1e-12 * predicted.abs(),
            "step {k}: change {change:e}, formula {predicted:e}"
        );
    }
    let d = r.diagnostics.as_ref().unwrap();
    let gd_drift = &d.method("gd").unwrap().conserved[qi];
    assert!(gd_drift.max_abs_drift > 1e-3, "GD moves q visibly: {gd_drift:?}");
    let flow_drift = &d.method("flow").unwrap().conserved[qi];
    assert!(
        flow_drift.max_abs_drift < 1e-8,
        "the flow keeps q: {flow_drift:?}"
    );
}

#[test]
fn gd_on_the_double_well_ends_on_its_closed_form_two_cycle() {
    // GD on ¼(x² − 1)²: x ↦ x − η(x³ − x). A 2-cycle a ↔ b, a ≠ b, a + b ≠ 0 satisfies
    // a² − ab + b² = 1 and a² + ab + b² = 1 + 2/η, so ab = 1/η, (a + b)² = 1 + 3/η:
    // a, b = (√(1 + 3/η) ± √(1 − 1/η))/2, real for η > 1 and stable for η < √5 − 1.
    let eta: f64 = 1.1;
    let (sum, diff) = ((1.0 + 3.0 / eta).sqrt(), (1.0 - 1.0 / eta).sqrt());
    let (a, b) = ((sum + diff) / 2.0, (sum - diff) / 2.0);
    let r = run_toml(&format!(
        "name = \"dw\"\n[objective]\nkind = \"double_well\"\n[init]\npoint = [0.5]\n\
         [run]\nstep_size = {eta}\nsteps = 200\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n\
         [[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n{FLOW}\
         [[compare]]\na = \"gd\"\nb = \"flow\"\n[diagnostics.end_state]\n"
    ));
    let d = r.diagnostics.as_ref().unwrap();
    let gd = &d.method("gd").unwrap().end_state;
    assert_eq!(gd.status, EndStatus::Period2, "{gd:?}");
    assert_eq!(gd.minimum, None);
    let mut pts: Vec<f64> = gd.points.iter().map(|p| p.point[0]).collect();
    pts.sort_by(f64::total_cmp);
    assert!(
        (pts[0] - b).abs() < 1e-9 && (pts[1] - a).abs() < 1e-9,
        "{pts:?} vs ({b}, {a})"
    );
    for p in &gd.points {
        assert!(p.grad_norm > 0.1, "not a stationary point: {p:?}");
    }
    // The flow from 0.5 converges to the minimum at +1 (known minima: [−1], [+1]).
    let flow = &d.method("flow").unwrap().end_state;
    assert_eq!(flow.status, EndStatus::Converged);
    assert_eq!(flow.minimum.as_deref(), Some("minimum_1"));
    assert!(!d.comparisons[0].end_states_agree);
}

#[test]
fn lyapunov_exponents_on_a_scalar_quadratic_are_the_closed_forms() {
    // ½λx²: GD multiplies any perturbation by (1 − ηλ) per step, so Λ = ln|1 − ηλ|/η at every t; the
    // flow multiplies it by e^{−λt}, so Λ = −λ.
    let (lambda, eta): (f64, f64) = (3.0, 0.1);
    let r = run_toml(&format!(
        "name = \"q\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [{lambda}]\n\
         [init]\npoint = [1.0]\n[run]\nstep_size = {eta}\nsteps = 30\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n\
         [[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n{FLOW}\
         [diagnostics.lyapunov]\nenabled = true\nperturbation = 1e-6\n"
    ));
    let d = r.diagnostics.as_ref().unwrap();
    let gd = d.method("gd").unwrap().lyapunov.as_ref().unwrap();
    let expected = (1.0 - eta * lambda).abs().ln() / eta;
    assert!((gd.t - 3.0).abs() < 1e-12);
    for &(t, l) in &gd.series {
        assert!((l - expected).abs() < 1e-6, "t = {t}: {l} vs {expected}");
    }
    let flow = d.method("flow").unwrap().lyapunov.as_ref().unwrap();
    assert!(
        (flow.exponent + lambda).abs() < 1e-4,
        "{} vs {}",
        flow.exponent,
        -lambda
    );
}

#[test]
fn bad_diagnostics_keys_are_refused_with_their_line() {
    let base = "name = \"q\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [1.0, 2.0]\n\
                [init]\npoint = [1.0, 1.0]\n[run]\nstep_size = 0.1\nsteps = 10\n\
                [[method]]\nid = \"gd\"\nkind = \"gd\"\n";
    for (extra, key) in [
        (
            "[diagnostics.sharpness]\ntop_k = 3\n",
            "diagnostics.sharpness.top_k",
        ),
        (
            "[diagnostics.sharpness]\nevery = 0\n",
            "diagnostics.sharpness.every",
        ),
        (
            "[diagnostics.sharpness]\nlanczos_tolerance = -1.0\n",
            "diagnostics.sharpness.lanczos_tolerance",
        ),
        (
            "[diagnostics.lyapunov]\nperturbation = 0.5\n",
            "diagnostics.lyapunov.perturbation",
        ),
        ("[diagnostics.end_state]\nradius = 1.0\n", "radius"),
    ] {
        let err = parse(&format!("{base}{extra}"), Path::new("bad.toml"))
            .err()
            .expect("refused");
        let msg = err.to_string();
        assert!(msg.contains("bad.toml") && msg.contains(key), "{msg}");
        // The base is 12 lines and the table header line 13: the bad value is on line 14.
        assert!(msg.starts_with("bad.toml:14:"), "{msg}");
    }
}

#[test]
fn diagnostics_reach_summary_csv_and_the_sharpness_figure() {
    // GD on ½·diag(8, 1) with η = 0.3 > 2/8: λ_1 = 8 is above 2/η ≈ 6.67 from the start.
    let (experiment, spec) = parse_toml(&format!(
        "name = \"q\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [8.0, 1.0]\n\
         [init]\npoint = [1.0, 1.0]\n[run]\nstep_size = 0.3\nsteps = 20\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n[[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n{FLOW}\
         [[compare]]\na = \"gd\"\nb = \"flow\"\n[output]\nfigures = [\"sharpness\"]\n\
         [diagnostics.sharpness]\nevery = 5\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = experiment.run();
    flowgap::output::write_report(&r, &spec, &out, false).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let gd = &summary["methods"][0]["diagnostics"];
    assert_eq!(gd["sharpness"]["final_lambda_1"], 8.0);
    assert_eq!(gd["edge_of_stability"]["crossing_time"], 0.0);
    assert_eq!(
        summary["comparisons"][0]["diagnostics"]["edge_of_stability"][0]["relation"],
        "departed_after_crossing"
    );
    let csv = std::fs::read_to_string(out.join("trajectories/gd_sharpness.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("step,t,lambda_1,lambda_min,threshold"));
    assert_eq!(lines.count(), 5, "samples at steps 0, 5, 10, 15, 20");
    assert!(out.join("figures/sharpness.png").is_file());
}
