//! A discrete method written by the user — gradient descent with norm clipping,
//! θ ← θ − η·min(1, c/|∇L|)·∇L — compared with gradient flow on an ill-conditioned quadratic, through the
//! same driver, comparisons, summary.json, CSVs and figures as a built-in method.
//!
//! Clipping only shortens steps, so on the quadratic it is stable below GD's threshold 2/η and, far
//! from the minimum (|∇L| > c), moves at speed η·c per step; near the minimum it is GD. The example checks
//! that the clipped run reaches the minimum and that summary.json records it like a built-in method.
//!
//! Run: `cargo run --release --example custom_method [OUT_DIR]` (default `output/example_custom_method`).

use flowgap::continuous::{SolverKind, SolverSettings};
use flowgap::discrete::{gd_threshold, DiscreteMethod};
use flowgap::experiment::Experiment;
use flowgap::method::{MethodKind, UserMethod};
use flowgap::objective::Quadratic;
use flowgap::outspec::{FigureKind, OutputSpec};
use std::path::PathBuf;
use std::sync::Arc;

/// Gradient descent whose step is clipped to norm `η·max_norm`.
struct ClippedGd {
    max_norm: f64,
}

impl DiscreteMethod for ClippedGd {
    fn name(&self) -> &str {
        "clipped_gd"
    }

    fn stability_threshold(&self, eta: f64) -> Option<f64> {
        // Near the minimum the clip is inactive and the method is GD, with GD's threshold.
        Some(gd_threshold(eta))
    }

    fn settings(&self) -> serde_json::Value {
        serde_json::json!({ "max_norm": self.max_norm })
    }

    fn step(&self, _k: u64, eta: f64, theta: &[f64], grad: &[f64], _state: &mut [f64], next: &mut [f64]) {
        let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        let scale = if norm > self.max_norm {
            self.max_norm / norm
        } else {
            1.0
        };
        for ((n, t), g) in next.iter_mut().zip(theta).zip(grad) {
            *n = t - eta * scale * g;
        }
    }
}

fn main() -> flowgap::Result<()> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("output/example_custom_method"), PathBuf::from);
    let quadratic = Quadratic::from_eigenvalues(&[10.0, 1.0], vec![0.0, 0.0]);
    let solver = SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-10,
        atol: 1e-12,
        max_steps: 1_000_000,
        dt: 1e-3,
        controller: None,
    };
    let clipped = MethodKind::Discrete(UserMethod(Arc::new(ClippedGd { max_norm: 1.0 })));
    let experiment = Experiment::builder(quadratic)
        .name("example_custom_method")
        .description("GD with norm clipping against GD and gradient flow on a 10:1 quadratic")
        .init(vec![3.0, 3.0])
        .step_size(0.05)
        .steps(600)
        .method("clipped", clipped)
        .method("gd", MethodKind::Gd)
        .method("flow", MethodKind::GradientFlow(solver))
        .compare("clipped", "flow", 1e-2)
        .compare("gd", "flow", 1e-2)
        .build()?;
    let report = experiment.run();

    let clipped = &report.method("clipped").expect("a method").trajectory;
    println!(
        "clipped GD: final loss {:.3e} after {} steps",
        clipped.final_loss(),
        clipped.steps.last().unwrap()
    );
    assert!(clipped.final_loss() < 1e-12, "clipped GD reaches the minimum");
    for c in &report.comparisons {
        println!("{} vs {}: max distance {:.3e}", c.a, c.b, c.max_distance);
    }

    let spec = OutputSpec::figures(vec![
        FigureKind::PhasePortrait,
        FigureKind::Loss,
        FigureKind::Distance,
    ]);
    flowgap::output::write_report(&report, &spec, &out, false)?;
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("written"))
            .expect("JSON");
    let m = &summary["methods"][0];
    assert_eq!(m["kind"], "clipped_gd");
    assert_eq!(m["settings"]["max_norm"], 1.0);
    assert_eq!(m["stability_threshold"], 40.0);
    assert!(out.join("trajectories/clipped.csv").is_file());
    println!(
        "summary.json, trajectories/clipped.csv and the figures are in {}",
        out.display()
    );
    Ok(())
}
