//! The central flow (Cohen, Damian, Talwalkar, Kolter & Lee 2025), checked against mathematics:
//! - third derivatives: the exact ones of Rosenbrock, Himmelblau and a formula against the central
//!   difference of exact Hessian-vector products, and ∇S = D³L[u, u, ·] against a finite difference of
//!   the top eigenvalue S(w) itself;
//! - the k = 1 closed form σ² = max(0, 2(⟨−∇L, ∇S⟩ − κ(2/η − S))/‖∇S‖²), which at S = 2/η is the paper's
//!   σ² = 2⟨−∇L, ∇S⟩/‖∇S‖², and the field −∇L − ½σ²∇S;
//! - a quadratic: below the edge the central flow is gradient flow; past it no Σ can help (∇S = 0) and
//!   the run ends with the named failure `complementarity_infeasible`;
//! - the `central_flow_toy` scenario: the claims (S held within 1e-6 of 2/η once critical, σ² = 2α,
//!   GD's mean x² within 2% of σ², GD's mean y closer to the central flow's than to gradient flow's).

use flowgap::continuous::{third_derivative, CentralFlow, CentralSettings, VectorField};
use flowgap::objective::{Formula, Himmelblau, Objective, Quadratic, Rosenbrock};
use flowgap::scenario;
use flowgap::trajectory::{SolverFailure, Termination};
use std::path::Path;

/// An objective with its closed-form third derivative hidden, so that [`third_derivative`] differences
/// Hessian-vector products.
struct NoThird<'a>(&'a dyn Objective);

impl Objective for NoThird<'_> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn loss(&self, t: &[f64]) -> f64 {
        self.0.loss(t)
    }
    fn gradient(&self, t: &[f64], g: &mut [f64]) {
        self.0.gradient(t, g)
    }
    fn hvp(&self, t: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.hvp(t, v, out)
    }
}

fn toy() -> Formula {
    Formula::new(
        "0.5*(1 + y)*x^2 + 0.000001*x - 0.05*y",
        &["x".to_string(), "y".to_string()],
    )
    .unwrap()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Differences of exact HVPs against the closed forms at scattered points and directions: the stated
/// error (docs/methods.md) is about 1e-10 relative; the test allows 1e-8.
#[test]
fn differenced_third_derivatives_match_the_closed_forms() {
    let rosen = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 3,
    };
    let formula = Formula::new("x^3*y + sin(x*y) + exp(0.3*y)", &["x".into(), "y".into()]).unwrap();
    let cases: Vec<(&dyn Objective, Vec<f64>)> = vec![
        (&rosen, vec![-1.2, 1.0, 0.4]),
        (&rosen, vec![0.3, -0.7, 2.0]),
        (&Himmelblau, vec![-2.5, 1.75]),
        (&Himmelblau, vec![3.1, -0.2]),
        (&formula, vec![0.7, -1.3]),
        (&formula, vec![-1.1, 0.4]),
    ];
    let mut worst = 0.0f64;
    for (obj, theta) in cases {
        let d = obj.dim();
        let u: Vec<f64> = (0..d).map(|i| 0.3 + 0.7 * (i as f64).sin()).collect();
        let v: Vec<f64> = (0..d).map(|i| -0.5 + 0.9 * (i as f64 * 1.7).cos()).collect();
        for (a, b) in [(&u, &v), (&u, &u), (&v, &u)] {
            let mut exact = vec![0.0; d];
            assert!(
                obj.third_derivative(&theta, a, b, &mut exact),
                "closed form expected"
            );
            let (mut fd, mut p, mut m) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
            let hvps = third_derivative(&NoThird(obj), &theta, a, b, &mut fd, &mut p, &mut m);
            assert_eq!(hvps, 2);
            let err =
                norm(&exact.iter().zip(&fd).map(|(x, y)| x - y).collect::<Vec<_>>()) / norm(&exact).max(1.0);
            worst = worst.max(err);
            assert!(err < 1e-8, "θ = {theta:?}: exact {exact:?}, differenced {fd:?}");
        }
    }
    eprintln!("worst relative error of differenced third derivatives: {worst:.2e}");
    // A quadratic's third derivative is zero, exactly and at no cost.
    let q = Quadratic::from_eigenvalues(&[3.0, 1.0], vec![0.0, 0.0]);
    let mut out = [1.0; 2];
    assert_eq!(
        third_derivative(
            &q,
            &[1.0, 2.0],
            &[1.0, 0.0],
            &[0.0, 1.0],
            &mut out,
            &mut [0.0; 2],
            &mut [0.0; 2]
        ),
        0
    );
    assert_eq!(out, [0.0, 0.0]);
}

/// The largest eigenvalue of a 2×2 symmetric Hessian, assembled from HVPs.
fn top_eigenvalue(obj: &dyn Objective, w: &[f64]) -> f64 {
    let (mut c0, mut c1) = ([0.0; 2], [0.0; 2]);
    obj.hvp(w, &[1.0, 0.0], &mut c0);
    obj.hvp(w, &[0.0, 1.0], &mut c1);
    let (a, b, c) = (c0[0], 0.5 * (c0[1] + c1[0]), c1[1]);
    0.5 * (a + c) + (0.25 * (a - c) * (a - c) + b * b).sqrt()
}

/// σ² and the field from the k = 1 closed form, with ∇S taken as a central difference of S(w) = λ_max
/// itself (independent of the third-derivative code), on Himmelblau and the toy, at points where S is
/// past, at and below 2/η.
#[test]
fn one_critical_eigenvalue_gives_the_closed_form() {
    let formula = toy();
    let cases: Vec<(&dyn Objective, Vec<f64>)> = vec![
        (&Himmelblau, vec![-2.5, 1.75]),
        (&Himmelblau, vec![3.3, 0.4]),
        (&formula, vec![0.02, 19.0]),
        (&formula, vec![-0.3, 19.5]),
        (&formula, vec![0.1, 18.8]),
    ];
    for (obj, w) in cases {
        let s = top_eigenvalue(obj, &w);
        // η with 2/η just above, at, or below S, so every branch of the closed form is met.
        for (eta, settings) in [
            (2.0 / s, CentralSettings::default()),
            (2.0 / (1.01 * s), CentralSettings::default()),
            (
                2.0 / (0.99 * s),
                CentralSettings {
                    candidate_fraction: 0.5,
                    relaxation: 0.5,
                    ..CentralSettings::default()
                },
            ),
        ] {
            let h = 1e-5;
            let grad_s: Vec<f64> = (0..2)
                .map(|i| {
                    let (mut p, mut m) = (w.clone(), w.clone());
                    p[i] += h;
                    m[i] -= h;
                    (top_eigenvalue(obj, &p) - top_eigenvalue(obj, &m)) / (2.0 * h)
                })
                .collect();
            let mut g = [0.0; 2];
            obj.gradient(&w, &mut g);
            let kappa = settings.relaxation / eta;
            let drive = -g[0] * grad_s[0] - g[1] * grad_s[1] - kappa * (2.0 / eta - s);
            let expected = (2.0 * drive / (grad_s[0].powi(2) + grad_s[1].powi(2))).max(0.0);
            let flow = CentralFlow::new(obj, eta, settings).unwrap();
            let p = flow.point(&w).unwrap();
            assert_eq!(p.critical, 1);
            assert!((p.eigenvalues[0] - s).abs() < 1e-12 * s);
            assert!(
                (p.sigma_trace - expected).abs() < 1e-6 * (1.0 + expected),
                "w = {w:?}, η = {eta}: σ² = {} vs closed form {expected}",
                p.sigma_trace
            );
            assert_eq!(p.predicted_loss, p.loss + p.sigma_trace / eta);
            let mut field = [0.0; 2];
            flow.eval(0.0, &w, &mut field);
            for i in 0..2 {
                let want = -g[i] - 0.5 * expected * grad_s[i];
                assert!(
                    (field[i] - want).abs() < 1e-6 * (1.0 + want.abs()),
                    "field {field:?}"
                );
            }
        }
    }
}

/// On a quadratic the sharpness is constant: below 2/η the central flow is gradient flow (e^{−λt}
/// per eigendirection); at or past it no covariance can lower it (∇S = 0), which is a named failure.
#[test]
fn on_a_quadratic_it_is_gradient_flow_below_the_edge_and_a_named_failure_past_it() {
    use flowgap::continuous::SolverSettings;
    use flowgap::method::{run_method, MethodKind};
    use flowgap::trajectory::TimeGrid;
    let q = Quadratic::from_eigenvalues(&[3.0, 1.0], vec![0.0, 0.0]);
    let kind = MethodKind::CentralFlow {
        settings: CentralSettings::default(),
        solver: SolverSettings::dop853(1e-12, 1e-14),
    };
    let below = run_method(&kind, &q, &[1.0, 1.0], &TimeGrid::new(0.5, 20, 1), 1e10);
    assert_eq!(below.termination, Termination::Completed);
    for (k, &t) in below.times.iter().enumerate() {
        let s = below.state(k);
        // Quadratic::from_eigenvalues is diagonal: θ_i(t) = e^{−λ_i t}.
        assert!((s[0] - (-3.0 * t).exp()).abs() < 1e-9 && (s[1] - (-t).exp()).abs() < 1e-9);
    }
    assert_eq!(
        below.stats.hvps,
        below.stats.grad_evals * 2,
        "d = 2 products per evaluation"
    );
    let past = run_method(&kind, &q, &[1.0, 1.0], &TimeGrid::new(0.7, 20, 1), 1e10);
    match past.termination {
        Termination::SolverFailed { failure, .. } => {
            assert_eq!(failure, SolverFailure::ComplementarityInfeasible)
        }
        other => panic!("expected the named failure, got {other:?}"),
    }
}

/// The claims on `central_flow_toy` (α = 0.05, η = 0.1, 2/η = 20, steps 30,000–60,000 as
/// GD's averaging window).
#[test]
fn central_flow_toy_holds_the_edge_with_sigma_squared_two_alpha() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let sc = scenario::load(&scenario::named_path(&dir, "central_flow_toy")).unwrap();
    let report = sc.experiment.run();
    let (alpha, eta) = (0.05, 0.1);
    let objective = toy();
    let central = &report.method("central").unwrap().trajectory;
    let flow_run = &report.method("flow").unwrap().trajectory;
    let gd = &report.method("gd").unwrap().trajectory;
    for t in [central, flow_run, gd] {
        assert_eq!(t.termination, Termination::Completed);
        assert_eq!(t.len(), 60_001);
    }
    assert!(central.stats.hvps > 0);
    let i_central = report.methods.iter().position(|m| m.id == "central").unwrap();
    assert_eq!(
        report.lanczos_unconverged[i_central], None,
        "exact eigenpairs (d = 2)"
    );
    // S and σ² along the central flow, at every 100th point.
    let cf = CentralFlow::new(&objective, eta, CentralSettings::default()).unwrap();
    let mut critical_from = None;
    for k in (0..central.len()).step_by(100) {
        let p = cf.point(central.state(k)).unwrap();
        let s = p.eigenvalues[0];
        if critical_from.is_none() && (s - 2.0 / eta).abs() < 1e-6 {
            critical_from = Some(k);
        }
        if critical_from.is_some() {
            assert!((s - 2.0 / eta).abs() < 1e-6, "step {k}: S = {s}");
            assert!(
                (p.sigma_trace - 2.0 * alpha).abs() < 1e-6,
                "step {k}: σ² = {}",
                p.sigma_trace
            );
        }
    }
    // y rises from 10 at rate α until S = 1 + y reaches 20: critical from t ≈ 180 (step 1800), plus the
    // relaxation's approach (rate 1/η: under a hundred steps to 1e-6).
    let from = critical_from.expect("the central flow reaches the edge");
    assert!((1800..2000).contains(&from), "critical from step {from}");
    // GD over steps 30,000–60,000.
    let window = 30_000..=60_000;
    let n = (*window.end() - *window.start() + 1) as f64;
    let mean_x2 = window.clone().map(|k| gd.state(k)[0].powi(2)).sum::<f64>() / n;
    assert!(
        (mean_x2 - 2.0 * alpha).abs() < 0.02 * 2.0 * alpha,
        "GD's mean x² = {mean_x2} vs σ² = {}",
        2.0 * alpha
    );
    let mean = |t: &flowgap::trajectory::Trajectory| window.clone().map(|k| t.state(k)[1]).sum::<f64>() / n;
    let (gd_y, central_y, flow_y) = (mean(gd), mean(central), mean(flow_run));
    assert!(
        (gd_y - central_y).abs() < (gd_y - flow_y).abs(),
        "mean y: gd {gd_y}, central {central_y}, flow {flow_y}"
    );
    eprintln!("GD mean x² {mean_x2:.5}; mean y: gd {gd_y:.4}, central {central_y:.4}, flow {flow_y:.4}");

    // The recorded quantities (trajectories/central_central.csv): once critical, S = 2/η and σ² = 2α.
    let series = report.central_series[i_central]
        .as_ref()
        .expect("a central_flow has its series");
    assert_eq!(series.len(), central.len());
    for i in from..series.len() {
        assert!(
            (series.sharpness[i] - 2.0 / eta).abs() < 1e-6,
            "step {i}: S = {}",
            series.sharpness[i]
        );
        assert!(
            (series.sigma2[i] - 2.0 * alpha).abs() < 1e-6,
            "step {i}: σ² = {}",
            series.sigma2[i]
        );
        assert_eq!(series.critical[i], 1);
        assert_eq!(series.predicted_loss[i], series.loss[i] + series.sigma2[i] / eta);
    }
    assert!(series
        .summary(eta)
        .t_edge
        .is_some_and(|t| (179.0..181.0).contains(&t)));
    // The windowed comparison (comparisons/gd_vs_central_central.csv): GD's squared displacement along
    // u = (1, 0), averaged over 11001 steps (about ten catapult cycles), averages to σ² over the rows with
    // t ≥ 3000 within 2% (measured 0.100001); GD's smoothed loss stays within 0.015 of the predicted
    // L + σ²/η = 0.05 there on average (measured 0.0621: GD's catapults hold its mean y at 18.63, below the
    // central flow's 19, and the −αy term turns that into +0.019).
    let c = report.central_comparisons[0]
        .as_ref()
        .expect("compare[0] has a window");
    assert_eq!(c.window, 11001);
    let rows: Vec<usize> = (0..c.times.len()).filter(|&r| c.times[r] >= 3000.0).collect();
    let avg = |v: &[f64]| rows.iter().map(|&r| v[r]).sum::<f64>() / rows.len() as f64;
    let disp = avg(&c.smoothed_sq_displacement);
    assert!(
        (disp - 2.0 * alpha).abs() < 0.02 * 2.0 * alpha,
        "windowed displacement {disp}"
    );
    let (pred, smooth) = (avg(&c.predicted_loss), avg(&c.smoothed_loss));
    assert!((pred - 0.05).abs() < 1e-6, "predicted loss {pred}");
    assert!(
        (smooth - pred).abs() < 0.015,
        "smoothed loss {smooth} vs predicted {pred}"
    );
    // The midpoint comparison: GD's midpoints are closer to the central flow than GD's iterates on average
    // over steps 30,000–60,000, by the oscillation along x that the midpoint removes.
    let mid = &report.comparisons[0];
    assert!(mid.midpoint);
    let plain = flowgap::compare::compare("gd", gd, "central", central, 0.5);
    let late = |c: &flowgap::compare::Comparison| {
        let v: Vec<f64> = c
            .times
            .iter()
            .zip(&c.distances)
            .filter(|(t, _)| **t >= 3000.0)
            .map(|(_, d)| *d)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (with_mid, without) = (late(mid), late(&plain));
    eprintln!("mean distance to the central flow over t ≥ 3000: midpoints {with_mid:.4}, iterates {without:.4}; windowed x² {disp:.5}; loss: smoothed {smooth:.5}, predicted {pred:.5}");
    assert!(with_mid < without, "midpoints {with_mid} vs iterates {without}");
}

/// With room for two critical eigenvalues (the cone solver) the toy's central flow is unchanged: its
/// second eigenvalue, about −x²/(1 + y), never nears 2/η, so the problem stays the k = 1 closed form.
#[test]
fn two_candidate_eigenvalues_leave_the_toy_unchanged() {
    use flowgap::continuous::SolverSettings;
    use flowgap::method::{run_method, MethodKind};
    use flowgap::trajectory::TimeGrid;
    let objective = toy();
    let grid = TimeGrid::new(0.1, 4000, 10);
    let run = |k| {
        let kind = MethodKind::CentralFlow {
            settings: CentralSettings {
                max_critical: k,
                ..CentralSettings::default()
            },
            solver: SolverSettings::dop853(1e-10, 1e-12),
        };
        run_method(&kind, &objective, &[0.1, 10.0], &grid, 1e10)
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(two.termination, Termination::Completed);
    for (a, b) in one.states.iter().zip(&two.states) {
        assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "{a} vs {b}");
    }
}

/// GD on ½(20x² + y²) with η = 0.1 sits exactly at the edge along x: x_k = (−1)^k x₀, the period-2
/// regime, and y_k = 0.9^k y₀. The midpoint ¼(w_{k−1} + 2w_k + w_{k+1}) removes the oscillation exactly
/// (x̄_k = 0) and scales the contracting component by (1 + r)²/(4r), r = 0.9, so the midpoint comparison
/// with gradient flow (x₀e^{−20t}, y₀e^{−t}) has the closed-form distance at every t_k, k = 1..n−1.
#[test]
fn the_midpoint_removes_the_period_two_oscillation_exactly() {
    use flowgap::compare::midpoints;
    use flowgap::continuous::SolverSettings;
    use flowgap::experiment::{CompareConfig, Experiment};
    use flowgap::method::MethodKind;
    let (x0, y0, n) = (0.5, 1.0, 60u64);
    let q = Quadratic::from_eigenvalues(&[20.0, 1.0], vec![0.0, 0.0]);
    let report = Experiment::builder(q.clone())
        .init(vec![x0, y0])
        .step_size(0.1)
        .steps(n)
        .record_every(1)
        .method("gd", MethodKind::Gd)
        .method(
            "flow",
            MethodKind::GradientFlow(SolverSettings::dop853(1e-12, 1e-14)),
        )
        .compare_with(CompareConfig {
            midpoint: true,
            ..CompareConfig::new("gd", "flow", 1e-3)
        })
        .compare("gd", "flow", 1e-3)
        .build()
        .unwrap()
        .run();
    let gd = &report.method("gd").unwrap().trajectory;
    let mid = midpoints(gd, &q);
    assert_eq!(mid.len(), n as usize - 1, "k = 1..n−1");
    let r: f64 = 0.9;
    for (i, k) in (1..n).enumerate() {
        assert_eq!(mid.steps[i], k);
        let w = mid.state(i);
        assert!(w[0].abs() < 1e-15, "step {k}: x̄ = {}", w[0]);
        let y = y0 * r.powi(k as i32 - 1) * (1.0 + r).powi(2) / 4.0;
        assert!((w[1] - y).abs() < 1e-14, "step {k}: ȳ = {} vs {y}", w[1]);
        assert!((mid.losses[i] - 0.5 * w[1] * w[1]).abs() < 1e-15);
    }
    let (with, without) = (&report.comparisons[0], &report.comparisons[1]);
    assert!(with.midpoint && !without.midpoint);
    assert_eq!(with.paired_points, n as usize - 1);
    for (i, (&t, &dist)) in with.times.iter().zip(&with.distances).enumerate() {
        let k = (i + 1) as i32;
        let y = y0 * r.powi(k - 1) * (1.0 + r).powi(2) / 4.0;
        let want = (x0 * x0 * (-40.0 * t).exp() + (y - y0 * (-t).exp()).powi(2)).sqrt();
        assert!((dist - want).abs() < 1e-9, "t = {t}: {dist} vs {want}");
    }
    // Without the midpoint the distance keeps GD's oscillation: at least |x₀| − x₀e^{−20t}.
    let last = without.distances.last().unwrap();
    assert!(*last > 0.49, "{last}");
}

/// `midpoint` and `window` refuse what they cannot mean, in code as in a scenario.
#[test]
fn midpoint_and_window_refuse_what_they_cannot_mean() {
    use flowgap::continuous::SolverSettings;
    use flowgap::experiment::{CompareConfig, Experiment};
    use flowgap::method::MethodKind;
    let build = |record_every, config: CompareConfig| {
        Experiment::builder(Quadratic::from_eigenvalues(&[2.0, 1.0], vec![0.0, 0.0]))
            .init(vec![1.0, 1.0])
            .step_size(0.1)
            .steps(20)
            .record_every(record_every)
            .method("gd", MethodKind::Gd)
            .method(
                "flow",
                MethodKind::GradientFlow(SolverSettings::dop853(1e-10, 1e-12)),
            )
            .compare_with(config)
            .build()
            .err()
            .map(|e| e.to_string())
    };
    let mid = |a: &str, b: &str| CompareConfig {
        midpoint: true,
        ..CompareConfig::new(a, b, 1e-3)
    };
    assert!(build(2, mid("gd", "flow")).unwrap().contains("record_every = 1"));
    assert!(build(1, mid("flow", "gd")).unwrap().contains("discrete method"));
    assert_eq!(build(1, mid("gd", "flow")), None);
    let win = CompareConfig {
        window: Some(5),
        ..CompareConfig::new("gd", "flow", 1e-3)
    };
    assert!(build(1, win).unwrap().contains("central_flow"));
}

/// The `central` figure is drawn from `comparisons/<a>_vs_<b>_central.csv`, which reads back as the run's
/// windowed comparison bit for bit, and `flowgap plot` redraws it byte for byte from that file.
#[test]
fn plot_redraws_the_central_figure_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let path = scenario::named_path(&dir, "central_flow_toy");
    let text = std::fs::read_to_string(&path).unwrap();
    // 6,000 steps (the edge is reached at step ~1,800) and a window of 1,001 steps keep it quick.
    let text =
        text.replacen("steps = 60000", "steps = 6000", 1)
            .replacen("window = 11001", "window = 1001", 1);
    let text = match text.find("[output]") {
        Some(i) => format!(
            "{}[output]\nfigures = [\"central\"]\nformats = [\"png\", \"svg\"]\n",
            &text[..i]
        ),
        None => panic!("central_flow_toy has an [output] table"),
    };
    let parsed = scenario::parse(&text, &path).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let report = parsed.experiment.run();
    flowgap::output::write_report(&report, &parsed.output, &out, false).unwrap();
    let c = report.central_comparisons[0]
        .as_ref()
        .expect("compare[0] has a window");
    assert_eq!(c.window, 1001);
    assert!(c.summary.edge_rows > 0, "the run reaches the edge");
    let back =
        flowgap::formats::central::read_comparison(&out.join("comparisons"), "gd", "central", 1001).unwrap();
    assert_eq!(&back, c);
    let figures = out.join("figures");
    let read = |name: &str| std::fs::read(figures.join(name)).unwrap();
    let before = [read("central.png"), read("central.svg")];
    std::fs::remove_dir_all(&figures).unwrap();
    flowgap::replot::replot(&out, None, None).unwrap();
    assert!(
        read("central.png") == before[0],
        "central.png differs after replot"
    );
    assert!(
        read("central.svg") == before[1],
        "central.svg differs after replot"
    );
}

/// sin of the largest principal angle between the spans of the k unit vectors in `u` and in `v`
/// (row-major, dimension d): the smallest singular value of UᵀV is that angle's cosine.
fn largest_principal_angle_sine(u: &[f64], v: &[f64], k: usize, d: usize) -> f64 {
    let m = nalgebra::DMatrix::from_fn(k, k, |i, j| {
        u[i * d..(i + 1) * d]
            .iter()
            .zip(&v[j * d..(j + 1) * d])
            .map(|(a, b)| a * b)
            .sum::<f64>()
    });
    let smallest = m
        .singular_values()
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(1.0);
    (1.0 - smallest * smallest).max(0.0).sqrt()
}

/// A step η with 2/η at 98% of the small mlp's starting sharpness: the central flow starts past the
/// edge, so the constraint binds from t = 0 and X > 0 along the whole run.
fn past_the_edge(net: &dyn Objective, theta: &[f64]) -> f64 {
    let flow = CentralFlow::new(net, 1.0, CentralSettings::default()).unwrap();
    2.0 / (0.98 * flow.point(theta).unwrap().eigenvalues[0])
}

/// The warm-started Lanczos path (forced on by an exact limit of 0) against the exact decomposition on a
/// 32-parameter mlp, along a GD path: the top two eigenvalues to 1e-9 relative, the two-dimensional
/// critical subspace to a principal angle below 1e-6 (the Lanczos residual 1e-10·λ₁ over the gap
/// λ₂ − λ₃ bounds it), and X and tr Σ to 1e-6 relative.
#[test]
fn lanczos_eigenpairs_match_the_exact_ones_for_the_critical_subspace() {
    let (net, mut theta) = super::diagnostics::small_mlp();
    let d = net.dim();
    let eta = past_the_edge(&net, &theta);
    let settings = CentralSettings {
        max_critical: 2,
        candidate_fraction: 0.5,
        ..CentralSettings::default()
    };
    let exact = CentralFlow::new(&net, eta, settings).unwrap();
    let lanczos = CentralFlow::with_exact_max_dim(&net, eta, settings, 0).unwrap();
    assert!(!exact.uses_lanczos() && lanczos.uses_lanczos());
    let mut g = vec![0.0; d];
    let mut critical_seen = 0;
    for _ in 0..20 {
        let (a, b) = (exact.point(&theta).unwrap(), lanczos.point(&theta).unwrap());
        assert_eq!(a.critical, b.critical);
        for (x, y) in a.eigenvalues.iter().zip(&b.eigenvalues) {
            assert!(
                (x - y).abs() < 1e-9 * x.abs(),
                "eigenvalues {:?} vs {:?}",
                a.eigenvalues,
                b.eigenvalues
            );
        }
        let sine = largest_principal_angle_sine(&a.eigenvectors, &b.eigenvectors, 2, d);
        assert!(sine < 1e-6, "principal angle sine {sine}");
        assert!((a.sigma_trace - b.sigma_trace).abs() < 1e-6 * (1.0 + a.sigma_trace));
        // X's off-diagonal entries change sign with the eigenvectors' signs (Σ itself does not).
        for (x, y) in a.x.iter().zip(&b.x) {
            assert!(
                (x.abs() - y.abs()).abs() < 1e-6 * (1.0 + a.sigma_trace),
                "X {:?} vs {:?}",
                a.x,
                b.x
            );
        }
        critical_seen += usize::from(a.sigma_trace > 0.0);
        net.gradient(&theta, &mut g);
        for (t, gi) in theta.iter_mut().zip(&g) {
            *t -= 0.5 * eta * gi;
        }
    }
    assert!(critical_seen > 0, "the comparison must meet X > 0");
    assert_eq!(lanczos.lanczos_unconverged(), 0);
}

/// The central flow's trajectory with Lanczos eigenpairs against the exact ones on the same mlp, started
/// past the edge (X > 0 throughout), integrated by dop853 at rtol 1e-10 over t = 40η: the two paths agree
/// within 1e-6 (relative to ‖w‖) at every recorded point; the stated tolerance covers the eigenvectors'
/// 1e-10-level error carried through the third derivatives and the solver's own error.
#[test]
fn lanczos_and_exact_central_flows_follow_one_trajectory() {
    use flowgap::continuous::{solve, SolverSettings};
    use flowgap::trajectory::TimeGrid;
    let (net, theta0) = super::diagnostics::small_mlp();
    let eta = past_the_edge(&net, &theta0);
    let settings = CentralSettings::default();
    let exact = CentralFlow::new(&net, eta, settings).unwrap();
    let lanczos = CentralFlow::with_exact_max_dim(&net, eta, settings, 0).unwrap();
    let grid = TimeGrid::new(eta, 40, 1);
    let solver = SolverSettings::dop853(1e-10, 1e-12);
    let a = solve(&exact, &net, &theta0, &grid, &solver, 1e10);
    let b = solve(&lanczos, &net, &theta0, &grid, &solver, 1e10);
    assert_eq!(a.termination, Termination::Completed);
    assert_eq!(b.termination, Termination::Completed);
    let scale = norm(&theta0);
    let mut worst: f64 = 0.0;
    for k in 0..a.len() {
        let diff: Vec<f64> = a.state(k).iter().zip(b.state(k)).map(|(x, y)| x - y).collect();
        worst = worst.max(norm(&diff) / scale);
    }
    assert!(worst < 1e-6, "max relative distance {worst:e}");
    // The run is on the edge: S is held near 2/η and σ² > 0 at the end.
    let end = exact.point(a.state(a.len() - 1)).unwrap();
    assert!(end.sigma_trace > 0.0 && (end.eigenvalues[0] - 2.0 / eta).abs() < 1e-3 * 2.0 / eta);
    eprintln!(
        "lanczos vs exact central flow: max relative distance {worst:e}; hvps exact {} lanczos {}",
        exact.hvps(),
        lanczos.hvps()
    );
}

/// The paper's claims on `central_flow_mlp` (a 10-16-16-1 tanh mlp, 465 parameters, so the eigenpairs come
/// from Lanczos; η = 0.4, 2/η = 5), measured in docs/scenarios.md:
/// - the central flow holds S = 2/η: the relaxation closes the entering gap as e^{−t/η} (below
///   e^{−25} of it 25 steps after the edge), so what remains is the solver's error, within rtol·2/η;
/// - once GD's first catapult is over (the loss back below twice its pre-spike minimum), GD's midpoints are
///   nearer the central flow than gradient flow at every step (before it GD sits past 2/η without
///   oscillating yet, while the central flow already carries σ², so gradient flow is the nearer there);
/// - over the edge phase, the time average of GD's loss is the predicted L(w) + tr Σ/η and that of its
///   squared displacement in the critical subspace is σ² (the means, within 5%: measured 1.7% and 1.2%).
#[test]
fn central_flow_mlp_holds_the_edge_and_follows_gd_after_its_first_catapult() {
    use flowgap::compare::{compare, midpoints};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let path = scenario::named_path(&dir, "central_flow_mlp");
    let objective = scenario::load(&path).unwrap().experiment.objective;
    let report = scenario::load(&path).unwrap().experiment.run();
    let eta = 0.4;
    let edge = 2.0 / eta;
    let gd = &report.method("gd").unwrap().trajectory;
    let flow = &report.method("flow").unwrap().trajectory;
    let central = &report.method("central").unwrap().trajectory;
    for t in [gd, flow, central] {
        assert_eq!(t.termination, Termination::Completed);
        assert_eq!(t.len(), 1001);
    }
    assert!(
        objective.dim() > flowgap::continuous::EXACT_MAX_DIM,
        "Lanczos path"
    );

    let i_central = report.methods.iter().position(|m| m.id == "central").unwrap();
    // Lanczos's unconverged evaluations are counted for the Lanczos central flow only (summary.json
    // `lanczos_unconverged`); each counted one is an evaluation, so there are at most grad_evals.
    let unconverged = report.lanczos_unconverged[i_central].expect("a Lanczos central flow counts them");
    assert!(unconverged <= central.stats.grad_evals);
    let i_gd = report.methods.iter().position(|m| m.id == "gd").unwrap();
    assert_eq!(report.lanczos_unconverged[i_gd], None);
    eprintln!(
        "central flow: {} HVPs, {unconverged} unconverged Lanczos evaluations of {}",
        central.stats.hvps, central.stats.grad_evals
    );
    let series = report.central_series[i_central].as_ref().unwrap();
    let from = (0..series.len())
        .find(|&i| series.sigma2[i] > 0.0)
        .expect("the central flow reaches the edge");
    // σ² turns positive once S sharpens faster than κ(2/η − S) (the relaxation then brings S to 2/η
    // exponentially): at t = 57.6 here, a little before GD's sharpness crosses 2/η (t ≈ 64).
    assert!((100..200).contains(&from), "edge from step {from}");
    for i in from + 25..series.len() {
        assert!(
            (series.sharpness[i] - edge).abs() <= 1e-6 * edge,
            "step {i}: S = {}",
            series.sharpness[i]
        );
        assert!(series.sigma2[i] > 0.0, "step {i} left the edge");
    }

    // GD's first catapult: the first step whose loss is over twice the lowest loss before it, then the
    // first step past the spike's peak whose loss is back below that.
    let loss = &gd.losses;
    let mut low = loss[0];
    let start = (1..loss.len())
        .find(|&k| {
            let spike = loss[k] > 2.0 * low;
            low = low.min(loss[k]);
            spike
        })
        .expect("GD catapults");
    let peak = (start..start + 60)
        .max_by(|&a, &b| loss[a].total_cmp(&loss[b]))
        .unwrap();
    let over = (peak..loss.len()).find(|&k| loss[k] < 2.0 * low).unwrap();
    assert!(over > from && over < 400, "first catapult over at step {over}");
    let mid = midpoints(gd, objective.as_ref());
    let to_central = compare("gd", &mid, "central", central, 0.1);
    let to_flow = compare("gd", &mid, "flow", flow, 0.1);
    let t_over = over as f64 * eta;
    let (mut nearest, mut worst_central, mut worst_flow) = (f64::INFINITY, 0.0f64, 0.0f64);
    for ((t, dc), df) in to_central
        .times
        .iter()
        .zip(&to_central.distances)
        .zip(&to_flow.distances)
    {
        if *t >= t_over {
            assert!(dc < df, "t = {t}: to central {dc}, to flow {df}");
            nearest = nearest.min(df - dc);
            worst_central = worst_central.max(*dc);
            worst_flow = worst_flow.max(*df);
        }
    }
    eprintln!(
        "from t = {t_over}: max distance of GD's midpoints to the central flow {worst_central:.4}, to \
         gradient flow {worst_flow:.4}; smallest margin {nearest:.4}"
    );

    let c = report.central_comparisons[0]
        .as_ref()
        .expect("compare[0] has a window");
    let s = &c.summary;
    let (pred, smooth) = (s.mean_predicted_loss.unwrap(), s.mean_smoothed_loss.unwrap());
    let (sigma2, disp) = (s.mean_sigma2.unwrap(), s.mean_sq_displacement.unwrap());
    eprintln!("edge phase means: loss predicted {pred:.6}, smoothed {smooth:.6}; σ² {sigma2:.6}, displacement {disp:.6}");
    assert!(
        (pred - smooth).abs() < 0.05 * smooth,
        "loss: predicted {pred}, smoothed {smooth}"
    );
    assert!(
        (sigma2 - disp).abs() < 0.05 * disp,
        "σ² {sigma2}, displacement {disp}"
    );
}
