//! Numerical faults are results, not errors: a solver failure or a divergence ends that method with a
//! named termination and the time reached, while the other methods, the comparisons (up to the time
//! both reached) and summary.json still complete. Runs go through `experiment::run` and `output::summary`
//! (no figures).

use flowgap::scenario;
use flowgap::trajectory::SolverFailure;
use flowgap::{output, Termination};
use std::path::Path;

/// L = ½(100x² + y²) from (1, 1), GD plus two more methods given by `methods` (TOML), compared with GD.
fn scenario_text(step_size: f64, steps: u64, methods: &str, compare: &[&str]) -> String {
    let mut s = format!(
        "name = \"faults\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [100.0, 1.0]\n[init]\n\
         point = [1.0, 1.0]\n[run]\nstep_size = {step_size}\nsteps = {steps}\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n{methods}\n"
    );
    for b in compare {
        s.push_str(&format!("[[compare]]\na = \"gd\"\nb = \"{b}\"\n"));
    }
    s + "[output]\nfigures = []\n"
}

fn run_text(text: &str) -> (flowgap::experiment::Report, serde_json::Value) {
    let report = (scenario::parse(text, Path::new("faults.toml")).unwrap())
        .experiment
        .run();
    let summary = output::summary(&report, &flowgap::outspec::OutputSpec::figures(Vec::new()));
    // The summary serialises (non-finite numbers become null) and reads back. (The checks below use the
    // value itself: serde_json's default parser may round a float's last bit.)
    let json = serde_json::to_string(&summary).unwrap();
    let _: serde_json::Value = serde_json::from_str(&json).unwrap();
    let summary = serde_json::to_value(&summary).unwrap();
    (report, summary)
}

#[test]
fn a_solver_out_of_steps_ends_with_its_name_and_the_rest_completes() {
    // η = 0.001 < 2/100: GD is stable. `tiny` may take 3 steps; dop853 at rtol 1e-10 on a stiff λ = 100
    // needs far more to reach t = 0.5. `ok` has the default budget and completes.
    let methods = "[[method]]\nid = \"tiny\"\nkind = \"gradient_flow\"\nmax_steps = 3\n\
                   [[method]]\nid = \"ok\"\nkind = \"gradient_flow\"\n";
    let (report, summary) = run_text(&scenario_text(0.001, 500, methods, &["tiny", "ok"]));
    let gd = &report.method("gd").unwrap().trajectory;
    let tiny = &report.method("tiny").unwrap().trajectory;
    let ok = &report.method("ok").unwrap().trajectory;
    assert_eq!(gd.termination, Termination::Completed);
    assert_eq!(ok.termination, Termination::Completed);
    let t_reached = match tiny.termination {
        Termination::SolverFailed {
            failure: SolverFailure::MaxStepsReached,
            t,
            ..
        } => t,
        ref other => panic!("expected max_steps_reached, got {other:?}"),
    };
    assert!(t_reached > 0.0 && t_reached < 0.5, "t = {t_reached}");
    // Its samples stop where the solver stopped, and the comparison covers exactly those times.
    assert!(tiny.t_end() <= t_reached);
    let cmp = &report.comparisons[0];
    assert_eq!(cmp.paired_points, tiny.len());
    assert_eq!(cmp.t_final, tiny.t_end());
    assert_eq!(report.comparisons[1].paired_points, 501);
    // The summary says what happened.
    let s = &summary["methods"][1];
    assert_eq!(s["termination"]["status"], "solver_failed");
    assert_eq!(s["termination"]["failure"], "max_steps_reached");
    assert_eq!(s["termination"]["t"].as_f64(), Some(t_reached));
    assert!(s["termination"]["advice"].as_str().unwrap().contains("max_steps"));
    assert_eq!(summary["methods"][2]["termination"]["status"], "completed");
    assert_eq!(summary["comparisons"].as_array().unwrap().len(), 2);
}

#[test]
fn an_rtol_below_what_f64_reaches_fails_at_once_and_the_rest_completes() {
    // 1e-30 is far below 10·ε ≈ 2.2e-15: no f64 step can meet it, so the solver is not started (it would
    // otherwise shrink its step until it ran out of its 10⁷ steps).
    let methods = "[[method]]\nid = \"greedy\"\nkind = \"gradient_flow\"\nsolver = \"dopri5\"\n\
                   rtol = 1e-30\natol = 1e-30\n[[method]]\nid = \"edge\"\nkind = \"gradient_flow\"\nrtol = 2.3e-15\n";
    let started = std::time::Instant::now();
    let (report, summary) = run_text(&scenario_text(0.001, 200, methods, &["greedy", "edge"]));
    assert!(started.elapsed().as_secs_f64() < 1.0, "the run should not grind");
    let greedy = &report.method("greedy").unwrap().trajectory;
    assert_eq!(
        greedy.termination,
        Termination::SolverFailed {
            failure: SolverFailure::ToleranceUnreachable,
            t: 0.0,
            advice: SolverFailure::ToleranceUnreachable.advice().to_string(),
        }
    );
    // θ0 is kept, so the comparison has its one common time, t = 0, where the distance is 0.
    assert_eq!(greedy.len(), 1);
    assert_eq!(report.comparisons[0].paired_points, 1);
    assert_eq!(report.comparisons[0].max_distance, 0.0);
    // Just above the bound is allowed and runs to the end.
    assert_eq!(
        report.method("edge").unwrap().trajectory.termination,
        Termination::Completed
    );
    assert_eq!(
        report.method("gd").unwrap().trajectory.termination,
        Termination::Completed
    );
    assert_eq!(
        summary["methods"][1]["termination"]["failure"],
        "tolerance_unreachable"
    );
    assert_eq!(summary["methods"][2]["termination"]["status"], "completed");
}

#[test]
fn divergence_ends_gd_at_the_step_the_closed_form_predicts_and_the_rest_completes() {
    // η = 0.0204 = 1.02·2/λ_max: GD's stiff coordinate is x_k = (1 − 100η)^k = (−1.04)^k and
    // y_k = 0.9796^k, so L_k = 50·1.04^{2k} + ½·0.9796^{2k}. The default bound is 10¹⁰·L_0 = 10¹⁰·50.5;
    // GD stops at the first k with L_k above it (recorded every step), computed here from the formula.
    let eta = 0.0204;
    let bound = 1e10 * 50.5;
    let loss = |k: i32| 50.0 * (1.0f64 - 100.0 * eta).powi(2 * k) + 0.5 * (1.0f64 - eta).powi(2 * k);
    let k_div = (0..).find(|&k| loss(k) > bound).unwrap() as u64;
    assert_eq!(k_div, 294, "ln(1.01e10)/(2 ln 1.04) = 293.7");
    let methods = "[[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\n";
    let (report, summary) = run_text(&scenario_text(eta, 500, methods, &["flow"]));
    let gd = &report.method("gd").unwrap().trajectory;
    match &gd.termination {
        Termination::Diverged { step, t, reason } => {
            assert_eq!(*step, k_div);
            assert_eq!(*t, k_div as f64 * eta);
            assert!(reason.contains("divergence bound"), "{reason}");
        }
        other => panic!("expected divergence, got {other:?}"),
    }
    // GD keeps every finite iterate up to k_div − 1; the flow goes on to t = 500η and converges.
    assert_eq!(gd.len() as u64, k_div);
    let flow = &report.method("flow").unwrap().trajectory;
    assert_eq!(flow.termination, Termination::Completed);
    assert_eq!(flow.len(), 501);
    let cmp = &report.comparisons[0];
    assert_eq!(cmp.paired_points as u64, k_div);
    assert_eq!(cmp.t_final, (k_div - 1) as f64 * eta);
    assert_eq!(summary["methods"][0]["termination"]["status"], "diverged");
    assert_eq!(summary["methods"][0]["termination"]["step"], k_div);
    assert_eq!(summary["methods"][1]["termination"]["status"], "completed");
}
