//! Golden files of ensemble methods (`sgd`, `sme`) are checked against Monte Carlo standard errors: a
//! re-seeded ensemble (new random streams) passes against the shipped golden file, and a change of the
//! dynamics (η, the noise level) fails with a miss naming the method, the quantity and the time.

use flowgap::golden::{self, Golden, Mismatch};
use flowgap::scenario;
use std::path::{Path, PathBuf};

const NAME: &str = "sgd_vs_sme_noisy_quadratic";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shipped_golden() -> Golden {
    golden::load(&root().join(format!("scenarios/golden/{NAME}.json"))).unwrap()
}

/// Runs a copy of the scenario with `edits` (text replacements) applied; each must match exactly once.
fn run_edited(tag: &str, edits: &[(&str, &str)]) -> flowgap::experiment::Report {
    let mut text = std::fs::read_to_string(root().join(format!("scenarios/{NAME}.toml"))).unwrap();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "{from:?} must occur once in the scenario"
        );
        text = text.replace(from, to);
    }
    let dir: PathBuf =
        std::env::temp_dir().join(format!("flowgap-golden-stoch-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{NAME}.toml"));
    std::fs::write(&path, text).unwrap();
    let report = (scenario::load(&path).unwrap()).experiment.run();
    std::fs::remove_dir_all(&dir).unwrap();
    report
}

/// The largest |found − expected| / allowed over every pinned statistic, with where it happened.
fn largest_miss(golden: &Golden, found: &Golden) -> (f64, String) {
    let mut worst = (0.0, String::new());
    for (g, m) in golden.methods.iter().zip(&found.methods) {
        let (Some(ge), Some(me)) = (&g.ensemble, &m.ensemble) else {
            continue;
        };
        for (p, q) in ge.points.iter().zip(&me.points) {
            for (a, b) in p.stats.iter().zip(&q.stats) {
                assert_eq!(a.name, b.name);
                let allowed = golden::ensemble_allowance(ge.z, a.se, b.se, g.tolerance, a.value);
                let r = (b.value - a.value).abs() / allowed;
                if r > worst.0 {
                    worst = (r, format!("{} {} at t={}", g.id, a.name, p.t));
                }
            }
        }
    }
    worst
}

#[test]
fn a_reseeded_ensemble_passes_against_the_shipped_golden_file() {
    let golden = shipped_golden();
    // New seeds for all three ensembles: every random number differs, the dynamics do not.
    let report = run_edited(
        "reseed",
        &[
            ("seed = 7", "seed = 1007"),
            ("seed = 8", "seed = 1008"),
            ("seed = 9", "seed = 1009"),
        ],
    );
    let misses = golden::compare(&golden, &report);
    let lines: Vec<String> = misses.iter().map(Mismatch::to_string).collect();
    assert!(
        misses.is_empty(),
        "a re-seeded ensemble must pass:\n{}",
        lines.join("\n")
    );
    let (worst, at) = largest_miss(&golden, &golden::record(&report));
    eprintln!("re-seeded: largest miss {worst:.3}× the allowed difference ({at})");
    // Not a bit-for-bit pass in disguise: the statistics did move, by Monte Carlo amounts.
    assert!(worst > 0.01, "{worst}");
}

#[test]
fn only_the_seed_of_an_ensemble_is_exempt_from_the_settings_check() {
    // The number of paths is a setting like any other: a golden file made with 1000 refuses 200.
    let golden = shipped_golden();
    let report = run_edited("paths", &[("paths = 1000\nseed = 7", "paths = 200\nseed = 7")]);
    let misses = golden::compare(&golden, &report);
    assert_eq!(misses.len(), 1, "{misses:?}");
    assert_eq!(misses[0].subject, "settings");
}

/// A real change of the dynamics, with the settings check set aside (the golden file's settings replaced
/// by the changed run's) so that the statistics themselves must catch it.
fn misses_after(tag: &str, edits: &[(&str, &str)]) -> Vec<Mismatch> {
    let mut golden = shipped_golden();
    let report = run_edited(tag, edits);
    golden.settings = golden::record(&report).settings;
    let misses = golden::compare(&golden, &report);
    let (worst, at) = largest_miss(&golden, &golden::record(&report));
    eprintln!(
        "{tag}: {} misses, largest {worst:.2}× the allowed difference ({at})",
        misses.len()
    );
    for m in misses.iter().take(12) {
        eprintln!("  {m}");
    }
    misses
}

fn assert_named_misses(misses: &[Mismatch], method: &str) {
    let of_method: Vec<&Mismatch> = misses.iter().filter(|m| m.subject == method).collect();
    assert!(!of_method.is_empty(), "{method} must miss: {misses:?}");
    for m in of_method {
        assert!(m.t.is_some(), "{m}");
        assert!(m.miss.is_some_and(|x| x > 1.0), "{m}");
        let text = m.to_string();
        assert!(
            text.starts_with(&format!("{method} {} at t=", m.quantity)),
            "{text}"
        );
        assert!(text.contains("the allowed difference"), "{text}");
    }
}

#[test]
fn doubling_the_noise_level_fails_the_check() {
    // σ doubled: the variances of ξ go from 1 to 4, every ensemble's variance fourfold.
    let misses = misses_after(
        "sigma",
        &[("noise_diagonal = [1.0, 1.0]", "noise_diagonal = [4.0, 4.0]")],
    );
    for id in ["sgd", "sme1", "sme2"] {
        assert_named_misses(&misses, id);
    }
    assert!(misses
        .iter()
        .any(|m| m.subject == "sgd" && m.quantity == "theta_1_var"));
}

#[test]
fn a_larger_step_size_fails_the_check() {
    // η up 20%: the mean contracts by (1 − ηλ) per step (SGD) or e^{−λη} (SME), so at a fixed step the
    // mean of θ₁ (λ = 1) drops by ~0.07 at step 8 against an allowance of 5·√2·0.007 ≈ 0.05; the stationary
    // variance ησ²/(λ(2 − ηλ)) grows by 20–26%, under the ~32% a variance may move at M = 1000. With the
    // shipped seeds every method misses at t = 0.8 and 1.6 (1.05–1.46×); the test asks for at least one
    // miss, so that a new random stream cannot make it flaky (a single method's early-time miss is ~2σ
    // from the edge, all six at once are not).
    let misses = misses_after("eta", &[("step_size = 0.1", "step_size = 0.12")]);
    assert!(!misses.is_empty(), "a 20% larger step size must be caught");
    for id in ["sgd", "sme1", "sme2"] {
        if misses.iter().any(|m| m.subject == id) {
            assert_named_misses(&misses, id);
        }
    }
}

/// Not run by default (`cargo test --test it golden_stochastic:: -- --ignored --nocapture`): the largest miss
/// multiple of ten re-seeded runs, to see how far below 1 the null distribution sits.
#[test]
#[ignore]
fn ten_reseeds_stay_well_inside_the_allowance() {
    let golden = shipped_golden();
    for r in 1..=10u64 {
        let seeds: Vec<(String, String)> = (7..=9)
            .map(|s| (format!("seed = {s}\n"), format!("seed = {}\n", 100 * r + s)))
            .collect();
        let edits: Vec<(&str, &str)> = seeds.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let report = run_edited(&format!("reseed{r}"), &edits);
        let misses = golden::compare(&golden, &report);
        let (worst, at) = largest_miss(&golden, &golden::record(&report));
        eprintln!("re-seed {r}: {} misses, largest {worst:.3}× ({at})", misses.len());
        assert!(misses.is_empty());
    }
}

/// A golden file records each ensemble statistic with its standard error by the formulas: s/√n for a
/// mean, √(max(m4 − s⁴, 0)/n) for a variance (n the live paths), √(p(1 − p)/M) for the alive fraction;
/// and two records may differ by z·√(se_a² + se_b²) plus the floor.
#[test]
fn ensemble_points_record_the_standard_error_formulas() {
    // Point 1: four of five paths alive; θ mean 2.4, s² = 5.3, m4 = 41.0272; loss mean 5, s² = 55.875,
    // m4 = 5935.425.
    let e = flowgap::stochastic::EnsembleStats {
        paths: 5,
        blown_up: 1,
        first_blow_up: Some(0.1),
        param_names: vec!["theta_0".into()],
        steps: vec![0, 1],
        times: vec![0.0, 0.1],
        alive: vec![5, 4],
        loss_mean: vec![0.0, 5.0],
        loss_var: vec![0.0, 55.875],
        param_mean: vec![0.0, 2.4],
        param_var: vec![0.0, 5.3],
        loss_m4: vec![0.0, 5935.425],
        param_m4: vec![0.0, 41.0272],
        theta_mean: vec![0.0, 2.4],
    };
    let point = golden::ensemble_point(&e, 1);
    assert_eq!((point.step, point.t, point.alive), (1, 0.1, 4));
    let stat = |name: &str| point.stats.iter().find(|s| s.name == name).unwrap().clone();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    for (name, value, se) in [
        ("theta_0_mean", 2.4, (5.3f64 / 4.0).sqrt()),
        ("theta_0_var", 5.3, ((41.0272 - 5.3 * 5.3) / 4.0f64).sqrt()),
        ("loss_mean", 5.0, (55.875f64 / 4.0).sqrt()),
        ("loss_var", 55.875, ((5935.425 - 55.875 * 55.875) / 4.0f64).sqrt()),
        ("alive_fraction", 0.8, (0.8f64 * 0.2 / 5.0).sqrt()),
    ] {
        let s = stat(name);
        assert!(close(s.value, value) && close(s.se, se), "{s:?}");
    }
    assert_eq!(point.stats.len(), 5);
    // At t = 0 every path sits at θ₀: zero variance, zero standard errors.
    assert!(golden::ensemble_point(&e, 0).stats.iter().all(|s| s.se == 0.0));
    let floor = golden::Tolerance {
        rel: 1e-9,
        abs: 1e-12,
    };
    let allowed = golden::ensemble_allowance(5.0, 0.3, 0.4, floor, 2.0);
    assert!(close(allowed, 5.0 * 0.5 + 1e-12 + 2e-9));
}
