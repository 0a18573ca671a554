//! Self-stabilization's constrained trajectory `stable_flow` (Damian, Nichani & Lee 2023), checked
//! against what the mathematics of the toy L(x, y) = ½(1 + y)x² + 1e-6·x − αy (α = 0.05, η = 0.1,
//! 2/η = 20, κ = 1/η) gives in closed form:
//! - H = [[1 + y, x], [x, 0]], S = ((1 + y) + √((1 + y)² + 4x²))/2 ≈ 1 + y, ∇S ≈ (0, 1);
//! - below the edge the stable flow is gradient flow, bit for bit (the same field);
//! - gradient flow from (0.1, 10): x decays at rate ≈ 11 and y = 10 + αt − c, c = ∫½x² dt ≈ x₀²/(4·11);
//!   the S constraint becomes active when dS/dt = α meets the relaxation's κ(2/η − S), i.e. at
//!   S = 20 − α/κ = 19.995, t_act = (9 − α/κ + c)/α ≈ 179.905; from there dS/dt = κ(20 − S) exactly, so
//!   S = 20 − (α/κ)e^{−κ(t − t_act)};
//! - held: ∇L·u = 0 gives x = −1e-6/(1 + y) = −5e-8 (up to the eigenvector's tilt, 6e-12), y = 19, and
//!   the multiplier of ∇S is μ₁ = α: the central flow's ½σ² (σ² = 2α), so on the toy the two flows
//!   coincide and their losses differ by exactly the central flow's tr Σ/η = 2α/η = 1: the stable flow's
//!   L = −19α − 1e-12/40, the central flow's predicted L + σ²/η = 0.05;
//! - started past the edge (y₀ = 25) the relaxation brings S back as S = 20 + 6e^{−κt};
//! - with the drift reversed (+αy) the unconstrained flow lowers S: the inequality is inactive and the
//!   stable flow is gradient flow from the edge, y = 19 − αt;
//! - on a quadratic past the edge (∇S = 0) nothing holds S: the named failure.

use flowgap::continuous::{CentralFlow, CentralSettings, SolverSettings, StableFlow, StableSettings};
use flowgap::method::{run_method, MethodKind};
use flowgap::objective::{Formula, Objective, Quadratic};
use flowgap::scenario;
use flowgap::trajectory::{SolverFailure, Termination, TimeGrid, Trajectory};
use std::path::Path;

const ALPHA: f64 = 0.05;
const ETA: f64 = 0.1;
const KAPPA: f64 = 1.0 / ETA;

fn toy(sign: f64) -> Formula {
    let expr = format!("0.5*(1 + y)*x^2 + 0.000001*x + {}*y", -sign * ALPHA);
    Formula::new(&expr, &["x".to_string(), "y".to_string()]).unwrap()
}

/// λ₁ of H = [[1 + y, x], [x, 0]].
fn sharpness(w: &[f64]) -> f64 {
    let a = 1.0 + w[1];
    0.5 * (a + (a * a + 4.0 * w[0] * w[0]).sqrt())
}

fn stable() -> MethodKind {
    MethodKind::StableFlow {
        settings: StableSettings::default(),
        solver: SolverSettings::dop853(1e-10, 1e-12),
    }
}

fn gradient_flow() -> MethodKind {
    MethodKind::GradientFlow(SolverSettings::dop853(1e-10, 1e-12))
}

fn run(kind: &MethodKind, obj: &dyn Objective, w0: &[f64], steps: u64) -> Trajectory {
    let t = run_method(kind, obj, w0, &TimeGrid::new(ETA, steps, 1), 1e10);
    assert_eq!(t.termination, Termination::Completed);
    t
}

#[test]
fn below_the_edge_it_is_gradient_flow_and_then_approaches_the_edge_at_the_relaxation_rate() {
    let obj = toy(1.0);
    let w0 = [0.1, 10.0];
    let st = run(&stable(), &obj, &w0, 2500);
    let gf = run(&gradient_flow(), &obj, &w0, 2500);
    let c = w0[0] * w0[0] / (4.0 * (1.0 + w0[1]));
    let t_act = (19.0 - w0[1] - ALPHA / KAPPA + c) / ALPHA;
    // Before the constraint is active the two runs evaluate one field: identical.
    let parted = (0..st.len())
        .find(|&k| (st.state(k)[1] - gf.state(k)[1]).abs() > 1e-9)
        .expect("gradient flow passes the edge");
    for k in (0..parted).take_while(|&k| st.times[k] < t_act - 0.2) {
        assert_eq!(st.state(k), gf.state(k), "t = {}", st.times[k]);
    }
    let t_parted = st.times[parted];
    assert!(
        (t_parted - t_act).abs() < 0.15,
        "parted at t = {t_parted}, activation predicted at {t_act}"
    );
    // From t_act: S = 20 − (α/κ)e^{−κ(t − t_act)}, then held.
    let mut worst = 0.0f64;
    for k in 0..st.len() {
        let t = st.times[k];
        if t < t_act + 0.5 {
            continue;
        }
        let s = sharpness(st.state(k));
        let predicted = 2.0 / ETA - ALPHA / KAPPA * (-KAPPA * (t - t_act)).exp();
        worst = worst.max((s - predicted).abs());
    }
    assert!(worst < 1e-6, "S against the relaxation law: {worst:e}");
    eprintln!(
        "activation predicted t = {t_act:.4}, parted from gradient flow at {t_parted}; S law {worst:.2e}"
    );
    // Held values at t ≥ 190: y = 19, x = −1e-6/20, μ₁ = α. y is held to the solver's accuracy, not to
    // rounding: dop853 at rtol 1e-10 may err by rtol·|y| ≈ 2e-9 per step and the relaxation pulls that
    // back at rate κ; measured drift up to 4e-8 (the field there points back: dy/dt = κ(19 − y)).
    let field = StableFlow::new(&obj, ETA, StableSettings::default()).unwrap();
    for k in (1900..st.len()).step_by(50) {
        let w = st.state(k);
        assert!((w[1] - 19.0).abs() < 2e-7, "y = {}", w[1]);
        assert!((w[0] + 1e-6 / 20.0).abs() < 2e-11, "x = {:e}", w[0]);
        let p = field.point(w).unwrap();
        assert!(p.active);
        // μ₁ = α − κ(20 − S): within κ·2e-7 of α.
        assert!((p.mu_sharpness - ALPHA).abs() < 3e-6, "μ₁ = {}", p.mu_sharpness);
    }
    // Gradient flow meanwhile keeps rising: y(250) = 10 + 250α − c.
    let y_gf = gf.state(gf.len() - 1)[1];
    assert!(
        (y_gf - (10.0 + 250.0 * ALPHA - c)).abs() < 1e-5,
        "gradient flow y = {y_gf}"
    );
}

#[test]
fn past_the_edge_the_relaxation_brings_the_sharpness_back() {
    let obj = toy(1.0);
    let st = run(&stable(), &obj, &[-1e-6 / 26.0, 25.0], 30);
    for k in 0..st.len() {
        let t = st.times[k];
        let s = sharpness(st.state(k));
        let predicted = 2.0 / ETA + 6.0 * (-KAPPA * t).exp();
        assert!((s - predicted).abs() < 1e-7, "t = {t}: S = {s}, law {predicted}");
    }
}

#[test]
fn when_the_flow_lowers_the_sharpness_the_constraint_lets_go() {
    let obj = toy(-1.0);
    let w0 = [-1e-6 / 20.0, 19.0];
    let st = run(&stable(), &obj, &w0, 200);
    let gf = run(&gradient_flow(), &obj, &w0, 200);
    for k in 0..st.len() {
        assert_eq!(st.state(k), gf.state(k));
        let t = st.times[k];
        assert!((st.state(k)[1] - (19.0 - ALPHA * t)).abs() < 1e-9);
    }
}

#[test]
fn on_a_quadratic_past_the_edge_it_ends_with_the_named_failure() {
    let q = Quadratic::from_eigenvalues(&[3.0, 1.0], vec![0.0, 0.0]);
    let below = run_method(&stable(), &q, &[1.0, 1.0], &TimeGrid::new(0.5, 20, 1), 1e10);
    assert_eq!(below.termination, Termination::Completed);
    let past = run_method(&stable(), &q, &[1.0, 1.0], &TimeGrid::new(0.7, 20, 1), 1e10);
    match past.termination {
        Termination::SolverFailed { failure, .. } => {
            assert_eq!(failure, SolverFailure::ComplementarityInfeasible)
        }
        other => panic!("expected the named failure, got {other:?}"),
    }
}

/// On `central_flow_toy` the stable flow and the central flow coincide once at the edge (both hold
/// y = 19 with x = −1e-6/20), and their losses differ by tr Σ/η = 2α/η = 1.
#[test]
fn central_flow_toy_stable_flow_coincides_with_the_central_flow_at_the_edge() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let sc = scenario::load(&scenario::named_path(&dir, "central_flow_toy")).unwrap();
    let report = sc.experiment.run();
    let st = &report.method("stable").unwrap().trajectory;
    let central = &report.method("central").unwrap().trajectory;
    assert_eq!(st.termination, Termination::Completed);
    assert_eq!(st.len(), central.len());
    let objective = toy(1.0);
    let cf = CentralFlow::new(&objective, ETA, CentralSettings::default()).unwrap();
    let held_loss = -19.0 * ALPHA - 1e-12 / 40.0;
    let mut worst = 0.0f64;
    for k in (2000..st.len()).step_by(100) {
        let (a, b) = (st.state(k), central.state(k));
        worst = worst.max((a[0] - b[0]).hypot(a[1] - b[1]));
        assert!(
            (st.losses[k] - held_loss).abs() < 1e-8,
            "stable loss {}",
            st.losses[k]
        );
        let p = cf.point(b).unwrap();
        assert!(
            (p.predicted_loss - st.losses[k] - 2.0 * ALPHA / ETA).abs() < 1e-5,
            "predicted {} vs stable {}",
            p.predicted_loss,
            st.losses[k]
        );
    }
    // Both hold y = 19 to their solvers' accuracy (rtol 1e-10, see above), and their x differ by the
    // eigenvector's tilt, about 2e-11.
    assert!(worst < 2e-7, "stable vs central distance {worst:e}");
    eprintln!(
        "t ≥ 200: stable vs central flow max distance {worst:.2e}; stable hvps {}",
        st.stats.hvps
    );
}

/// `<id>_stable.csv`'s series on the run started past the edge: S = 20 + 6e^{−κt}, and with ∇S = (0, 1),
/// ∇L·∇S = ½x² − α ≈ −α, the S constraint α − μ₁ = dS/dt = −κ(S − 20) gives μ₁ = α + 6κe^{−κt}; x stays
/// at −1e-6/(1 + y), so ∇L·u ≈ 0. The file holds exactly these numbers.
#[test]
fn the_stable_series_records_the_sharpness_and_the_multiplier_in_closed_form() {
    use flowgap::continuous::stable_series;
    use flowgap::formats::central::{stable_csv, write_stable_series, STABLE_COLUMNS};
    let obj = toy(1.0);
    let st = run(&stable(), &obj, &[-1e-6 / 26.0, 25.0], 30);
    let s = stable_series(&obj, &st, ETA, StableSettings::default()).unwrap();
    assert_eq!(s.len(), st.len());
    assert!(!s.infeasible);
    assert!(s.hvps > 0);
    for k in 0..s.len() {
        let t = s.times[k];
        let decay = 6.0 * (-KAPPA * t).exp();
        assert!(
            (s.sharpness[k] - (20.0 + decay)).abs() < 1e-7,
            "t = {t}: S = {}",
            s.sharpness[k]
        );
        assert!(s.active[k], "t = {t}: past the edge the constraints hold");
        let mu1 = ALPHA + KAPPA * decay;
        assert!(
            (s.mu_sharpness[k] - mu1).abs() < 1e-5 * mu1,
            "t = {t}: μ₁ = {}, law {mu1}",
            s.mu_sharpness[k]
        );
        assert!(s.gradient_along[k].abs() < 1e-9, "∇L·u = {}", s.gradient_along[k]);
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = write_stable_series(tmp.path(), "stable", &s).unwrap();
    assert_eq!(path, tmp.path().join(stable_csv("stable")));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), STABLE_COLUMNS.join(","));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), s.len());
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r[0], s.steps[k] as f64);
        assert_eq!(r[1], s.times[k]);
        assert_eq!(r[2], s.sharpness[k]);
        assert_eq!(r[3], s.gradient_along[k]);
        assert_eq!(r[4], 1.0);
        assert_eq!(r[5], s.mu_sharpness[k]);
        assert_eq!(r[6], s.mu_gradient[k]);
    }
}
