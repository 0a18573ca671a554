//! A two-parameter model written by the user — scalar factorisation L(a, b) = (ab − 1)²/2 — run as
//! gradient descent and as gradient flow, with a phase portrait.
//!
//! Gradient flow conserves a² − b² on this model (the balancedness of a two-layer linear network), and
//! GD drifts from it by O(η²) per step (every point of the hyperbola ab = 1 is a minimum, so the
//! balance decides where a run ends); the example checks both and writes its figures.
//!
//! Run: `cargo run --release --example custom_objective [OUT_DIR]` (default `output/example_custom_objective`).

use flowgap::continuous::{SolverKind, SolverSettings};
use flowgap::experiment::Experiment;
use flowgap::method::MethodKind;
use flowgap::objective::Objective;
use flowgap::outspec::{FigureKind, OutputSpec};
use std::path::PathBuf;

/// L(a, b) = (ab − 1)²/2.
struct ScalarFactorisation;

impl Objective for ScalarFactorisation {
    fn dim(&self) -> usize {
        2
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        let r = theta[0] * theta[1] - 1.0;
        0.5 * r * r
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        let r = theta[0] * theta[1] - 1.0;
        grad[0] = r * theta[1];
        grad[1] = r * theta[0];
    }

    fn conserved_names(&self) -> Vec<String> {
        vec!["a^2 - b^2".into()]
    }

    fn conserved(&self, theta: &[f64], out: &mut [f64]) {
        out[0] = theta[0] * theta[0] - theta[1] * theta[1];
    }
}

fn main() -> flowgap::Result<()> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("output/example_custom_objective"), PathBuf::from);
    let solver = SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-10,
        atol: 1e-12,
        max_steps: 1_000_000,
        dt: 1e-3,
        controller: None,
    };
    let experiment = Experiment::builder(ScalarFactorisation)
        .name("example_custom_objective")
        .description("scalar factorisation (ab - 1)^2/2: GD against gradient flow")
        .init(vec![2.0, 0.1])
        .step_size(0.05)
        .steps(400)
        .method("gd", MethodKind::Gd)
        .method("flow", MethodKind::GradientFlow(solver))
        .compare("gd", "flow", 1e-2)
        .build()?;
    let report = experiment.run();

    let drift = |id: &str| {
        let t = &report.method(id).expect("a method of the experiment").trajectory;
        let first = t.conserved_at(0)[0];
        (0..t.len())
            .map(|i| (t.conserved_at(i)[0] - first).abs())
            .fold(0.0, f64::max)
    };
    let (flow_drift, gd_drift) = (drift("flow"), drift("gd"));
    println!("max |Δ(a² − b²)|: gradient flow {flow_drift:.2e}, GD {gd_drift:.2e}");
    assert!(flow_drift < 1e-7, "gradient flow conserves a² − b²");
    assert!(gd_drift > 100.0 * flow_drift, "GD does not");
    let gap = &report.comparisons[0];
    println!("GD and the flow differ by at most {:.3e}", gap.max_distance);

    let spec = OutputSpec::figures(vec![
        FigureKind::PhasePortrait,
        FigureKind::Loss,
        FigureKind::Conserved,
    ]);
    let files = flowgap::output::write_report(&report, &spec, &out, false)?;
    println!("wrote {} files into {}", files.len(), out.display());
    Ok(())
}
