//! Every file in scenarios/ parses, validates, runs, and writes a complete output.

use flowgap::{output, run, scenario, Termination};
use std::path::Path;

#[test]
fn every_named_scenario_parses_validates_and_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let names = scenario::list(&dir).unwrap();
    assert!(names.len() >= 3);
    for (name, _) in names {
        let scenario = scenario::load(&scenario::named_path(&dir, &name)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.name, name, "a scenario's name matches its file name");
        let figures = scenario.figures.len() * scenario.formats.len();
        // One CSV per method, plus an NPY of the parameters when d > 128.
        let files_per_method = if scenario.objective.dim() > flowgap::output::MAX_CSV_DIM {
            2
        } else {
            1
        };
        // Ensemble methods (sgd, sme) add `<id>_ensemble.csv`.
        let ensembles = scenario
            .methods
            .iter()
            .filter(|m| matches!(m.kind.name(), "sgd" | "sme"))
            .count();
        let methods = scenario.methods.len() * files_per_method + ensembles;
        let report = run::run(scenario);
        let out = std::env::temp_dir().join(format!("flowgap-scenarios-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let files = output::write_report(&report, &out, false).unwrap_or_else(|e| panic!("{name}: {e}"));
        // A method tracked by [diagnostics.sharpness] adds `<id>_sharpness.csv`.
        let sharpness_csvs = report
            .diagnostics
            .as_ref()
            .map_or(0, |d| d.methods.iter().filter(|m| m.sharpness.is_some()).count());
        // Trajectories, figures, summary.json, timing.json and the scenario's copy.
        assert_eq!(
            files.len(),
            methods + sharpness_csvs + figures + 3,
            "{name}: {files:?}"
        );
        for f in &files {
            assert!(
                std::fs::metadata(f).unwrap().len() > 0,
                "{name}: {} is empty",
                f.display()
            );
        }
        for m in &report.methods {
            assert!(!m.trajectory.is_empty(), "{name}/{}", m.id);
            if !m.discrete {
                assert_eq!(
                    m.trajectory.termination,
                    Termination::Completed,
                    "{name}/{}",
                    m.id
                );
            }
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
}

/// The threshold scenarios show what their names say: GD converges just below 2/λ_max and diverges just
/// above it; the flow converges in both.
#[test]
fn threshold_scenarios_land_on_the_right_side_of_two_over_lambda() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for (name, gd_diverges) in [
        ("quadratic_below_threshold", false),
        ("quadratic_above_threshold", true),
    ] {
        let report = run::run(scenario::load(&scenario::named_path(&dir, name)).unwrap());
        let gd = &report.method("gd").unwrap().trajectory;
        let flow = &report.method("flow").unwrap().trajectory;
        assert_eq!(
            matches!(gd.termination, Termination::Diverged { .. }),
            gd_diverges,
            "{name}"
        );
        assert_eq!(flow.termination, Termination::Completed);
        assert!(
            flow.final_loss() < 1e-4,
            "{name}: flow loss {}",
            flow.final_loss()
        );
    }
}
