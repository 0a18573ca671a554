//! Every named scenario matches its golden file; a moved result or a missing golden file fails loudly.

use flowgap::golden::{self, Outcome};
use flowgap::{run, scenario};
use std::path::Path;
use std::process::Command;

#[test]
fn every_named_scenario_matches_its_golden_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for (name, _) in scenario::list(&dir).unwrap() {
        let path = scenario::named_path(&dir, &name);
        let report = run::run(scenario::load(&path).unwrap());
        match golden::check(&path, &report, false) {
            Ok(Outcome::Passed) => {}
            Ok(Outcome::Failed(misses)) => {
                let lines: Vec<String> = misses.iter().take(10).map(|m| m.to_string()).collect();
                panic!("{name}: {} quantities moved:\n{}", misses.len(), lines.join("\n"));
            }
            Ok(Outcome::Blessed(_)) => unreachable!("not blessing"),
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

/// A copy of a scenario whose golden file pins a loss that is off by more than its tolerance must fail
/// with exit code 1, naming the method, quantity, time, expected and found values; without a golden file
/// the check fails too; `--bless` writes one that then passes.
#[test]
fn a_moved_value_or_a_missing_golden_file_fails_the_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("flowgap-golden-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("golden")).unwrap();
    let scenario = dir.join("quadratic_below_threshold.toml");
    std::fs::copy(root.join("scenarios/quadratic_below_threshold.toml"), &scenario).unwrap();
    let flowgap = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_flowgap"))
            .args(args)
            .output()
            .unwrap()
    };
    let s = scenario.to_str().unwrap();

    let missing = flowgap(&["check", s]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("--bless"));

    assert_eq!(flowgap(&["check", "--bless", s]).status.code(), Some(0));
    assert_eq!(flowgap(&["check", s]).status.code(), Some(0));

    // Move θ₁ of the flow at the second pinned point (t ≈ 1, θ₁ ≈ e^{−1}) by 1e-6 relative: far beyond
    // dop853's allowance of 100·rtol = 1e-8 relative plus 100·atol = 1e-10.
    let golden_path = dir.join("golden/quadratic_below_threshold.json");
    let mut g: golden::Golden =
        serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap();
    let flow = g.methods.iter_mut().find(|m| m.id == "flow").unwrap();
    let last = &mut flow.points[1];
    last.theta[1] *= 1.0 + 1e-6;
    let t_last = last.t;
    std::fs::write(&golden_path, serde_json::to_string_pretty(&g).unwrap()).unwrap();
    let failed = flowgap(&["check", s]);
    assert_eq!(failed.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        stdout.contains(&format!("flow theta_1 at t={t_last}")),
        "{stdout}"
    );
    assert!(stdout.contains("the allowed difference"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tolerances_accept_within_and_refuse_beyond() {
    let tol = golden::Tolerance {
        rel: 1e-9,
        abs: 1e-12,
    };
    assert!(tol.accepts(1.0, 1.0 + 0.9e-9));
    assert!(!tol.accepts(1.0, 1.0 + 1.2e-9));
    assert!(tol.accepts(0.0, 0.9e-12));
    assert!(!tol.accepts(0.0, 1.1e-12));
    assert!(tol.accepts(f64::NAN, f64::NAN));
    assert!(!tol.accepts(1.0, f64::NAN));
}
