//! The preconditioned sharpness λ₁(P⁻¹H) along the continuous models of the adaptive methods (the
//! RMSProp flow with ν as state, the Adam ODE with v as state), against known answers:
//! - the P the solver records is the flow's √ν + ε (√v̂ + ε): at t = 0 it is the known start (ε from
//!   ν₀ = 0, |∇L(θ₀)| + ε from ν₀ = ∇L², and the bias-corrected Adam limit |∇L(θ₀)| + ε);
//! - it tracks the discrete method's P_k at first order in η when (1 − β)/η is held fixed (log–log
//!   slope 1 of the largest relative gap), which is what makes the flow's curve comparable with the
//!   method's;
//! - on a diagonal quadratic λ₁(P⁻¹H) = max_i λ_i/P_i from the recorded P, drawn against the modelled
//!   method's threshold (RMSProp 2/η, Adam (2 + 2β₁)/((1 − β₁)η)); the sign flow has none.

use flowgap::continuous::{solve, AdaptiveFlow, SolverKind, SolverSettings};
use flowgap::discrete::{adam_threshold, adaptive_preconditioners, AdaptiveMethod, SecondMomentStart};
use flowgap::experiment::Report;
use flowgap::objective::{Objective, Rosenbrock};
use flowgap::scenario::parse;
use flowgap::{Termination, TimeGrid};
use std::path::Path;

fn run_toml(src: &str) -> Report {
    parse(src, Path::new("test.toml"))
        .expect("valid scenario")
        .experiment
        .run()
}

fn tight() -> SolverSettings {
    SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-12,
        atol: 1e-14,
        max_steps: 10_000_000,
        dt: 0.0,
        controller: None,
    }
}

/// Least-squares slope of log y against log x.
fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

const ROSENBROCK: Rosenbrock = Rosenbrock {
    a: 1.0,
    b: 100.0,
    dim: 2,
};

#[test]
fn the_recorded_preconditioner_starts_where_the_flow_does() {
    let f = ROSENBROCK;
    let theta0 = [-1.2, 1.0];
    let mut g = [0.0; 2];
    f.gradient(&theta0, &mut g);
    let eps = 1e-3;
    let grid = TimeGrid::new(1e-3, 10, 5);
    let cases = [
        (
            AdaptiveFlow::RmsProp {
                beta2: 0.99,
                eps,
                start: SecondMomentStart::Zero,
            },
            [eps, eps],
        ),
        (
            AdaptiveFlow::RmsProp {
                beta2: 0.99,
                eps,
                start: SecondMomentStart::GradientSquared,
            },
            [g[0].abs() + eps, g[1].abs() + eps],
        ),
        (
            AdaptiveFlow::Adam {
                beta1: 0.9,
                beta2: 0.99,
                eps,
                bias_correction: true,
            },
            [g[0].abs() + eps, g[1].abs() + eps],
        ),
    ];
    for (model, p0) in cases {
        let t = solve(model.field(&f, 1e-3).as_ref(), &f, &theta0, &grid, &tight(), 1e10);
        assert_eq!(t.termination, Termination::Completed);
        assert_eq!(t.preconditioners.len(), t.len() * 2, "{model:?}");
        for (i, (&got, &want)) in t.preconditioners.iter().zip(&p0).enumerate() {
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "{model:?}: P₀[{i}] = {got}, want {want}"
            );
        }
    }
    // Fields without a P state record none.
    let sign = AdaptiveFlow::Sign { eps };
    let t = solve(sign.field(&f, 1e-3).as_ref(), &f, &theta0, &grid, &tight(), 1e10);
    assert!(t.preconditioners.is_empty());
}

/// β = 1 − bη with b fixed: the flow's P(kη) against RMSProp's / Adam's P_k over t ∈ [0, 1] on Rosenbrock
/// from (−1.2, 1), largest relative gap; halving η halves it.
#[test]
fn the_flow_preconditioner_tracks_the_method_at_first_order() {
    let f = ROSENBROCK;
    let theta0 = [-1.2, 1.0];
    let etas: [f64; 4] = [4e-4, 2e-4, 1e-4, 5e-5];
    type Pair = (fn(f64) -> AdaptiveMethod, fn(f64) -> AdaptiveFlow);
    let pairs: [(&str, Pair); 2] = [
        (
            "rmsprop",
            (
                |eta| AdaptiveMethod::RmsProp {
                    beta2: 1.0 - 2.0 * eta,
                    eps: 1e-8,
                    momentum: 0.0,
                    bias_correction: false,
                    start: SecondMomentStart::GradientSquared,
                    frozen: None,
                },
                |eta| AdaptiveFlow::RmsProp {
                    beta2: 1.0 - 2.0 * eta,
                    eps: 1e-8,
                    start: SecondMomentStart::GradientSquared,
                },
            ),
        ),
        (
            "adam",
            (
                |eta| AdaptiveMethod::Adam {
                    beta1: 1.0 - 5.0 * eta,
                    beta2: 1.0 - 2.0 * eta,
                    eps: 1e-8,
                    bias_correction: false,
                    weight_decay: None,
                    frozen: None,
                },
                |eta| AdaptiveFlow::Adam {
                    beta1: 1.0 - 5.0 * eta,
                    beta2: 1.0 - 2.0 * eta,
                    eps: 1e-8,
                    bias_correction: false,
                },
            ),
        ),
    ];
    for (name, (method, model)) in pairs {
        let gaps: Vec<f64> = etas
            .iter()
            .map(|&eta| {
                let steps = (1.0 / eta).round() as u64;
                let every = steps / 10;
                let grid = TimeGrid::new(eta, steps, every);
                let m = model(eta);
                let flow = solve(m.field(&f, eta).as_ref(), &f, &theta0, &grid, &tight(), 1e10);
                assert_eq!(flow.termination, Termination::Completed);
                let ks: Vec<u64> = flow.steps.clone();
                // Skip k = 0: Adam's m₀ = v₀ = 0 has P₀ = ε on both sides (no information).
                let p = adaptive_preconditioners(&f, &theta0, &grid, &method(eta), &ks[1..])
                    .unwrap()
                    .p;
                let mut gap = 0.0f64;
                for (j, i) in (1..flow.len()).enumerate() {
                    for c in 0..2 {
                        let (a, b) = (flow.preconditioners[2 * i + c], p[2 * j + c]);
                        gap = gap.max((a - b).abs() / b);
                    }
                }
                gap
            })
            .collect();
        let slope = loglog_slope(&etas, &gaps);
        assert!(
            (slope - 1.0).abs() < 0.15,
            "{name}: slope {slope} from gaps {gaps:?}"
        );
        assert!(gaps[3] < 1e-2, "{name}: gaps {gaps:?}");
    }
}

/// H = diag(8, 1): λ₁(P⁻¹H) = max(8/P₁, 1/P₂) at each sample, from the P the run recorded.
#[test]
fn flows_report_their_preconditioned_sharpness_against_the_modelled_threshold() {
    let eta = 0.01;
    let r = run_toml(&format!(
        "name = \"q\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [8.0, 1.0]\n\
         [init]\npoint = [1.0, 2.0]\n[run]\nstep_size = {eta}\nsteps = 200\nrecord_every = 10\n\
         [[method]]\nid = \"rf\"\nkind = \"rmsprop_flow\"\nbeta2 = 0.99\neps = 1e-3\n\
         [[method]]\nid = \"ao\"\nkind = \"adam_ode\"\nbeta1 = 0.9\nbeta2 = 0.99\neps = 1e-3\n\
         [[method]]\nid = \"sf\"\nkind = \"sign_flow\"\n\
         [diagnostics.sharpness]\nevery = 2\n"
    ));
    let diagnostics = r.diagnostics.as_ref().unwrap();
    for (id, threshold) in [("rf", 2.0 / eta), ("ao", adam_threshold(eta, 0.9))] {
        let run = &r.method(id).unwrap().trajectory;
        let s = diagnostics.method(id).unwrap().sharpness.as_ref().unwrap();
        let p = s
            .preconditioned
            .as_ref()
            .expect("a flow with P has a preconditioned series");
        assert_eq!(p.threshold, threshold, "{id}");
        assert_eq!(p.lambda_1.len(), s.indices.len());
        for (l, &i) in p.lambda_1.iter().zip(&s.indices) {
            let pi = &run.preconditioners[2 * i..2 * i + 2];
            let want = (8.0 / pi[0]).max(1.0 / pi[1]);
            assert!(
                (l - want).abs() <= 1e-10 * want,
                "{id} at {i}: {l} against {want}"
            );
        }
        let e = diagnostics
            .method(id)
            .unwrap()
            .edge_of_stability
            .as_ref()
            .unwrap();
        assert_eq!(e.quantity, "preconditioned_sharpness");
    }
    let sign = diagnostics.method("sf").unwrap().sharpness.as_ref().unwrap();
    assert!(sign.preconditioned.is_none());
}
