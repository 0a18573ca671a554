//! The programmatic entry point: an `Experiment` built in code runs a user's discrete method and a user's
//! continuous model through the same driver and solver as the built-in ones (bit for bit where the
//! arithmetic is the same), and the builder refuses what the scenario loader refuses.

use flowgap::continuous::{ContinuousModel, GradientFlow, SolverKind, SolverSettings, VectorField};
use flowgap::discrete::{gd_threshold, DiscreteMethod};
use flowgap::experiment::Experiment;
use flowgap::method::{MethodClass, MethodKind, UserMethod, UserModel};
use flowgap::objective::{Objective, Quadratic, Rosenbrock};
use flowgap::{Error, Termination};
use std::sync::Arc;

/// Gradient descent written as a user would: θ − η∇L.
struct MyGd;

impl DiscreteMethod for MyGd {
    fn name(&self) -> &str {
        "my_gd"
    }
    fn stability_threshold(&self, eta: f64) -> Option<f64> {
        Some(gd_threshold(eta))
    }
    fn step(&self, _k: u64, eta: f64, theta: &[f64], grad: &[f64], _state: &mut [f64], next: &mut [f64]) {
        for ((n, t), g) in next.iter_mut().zip(theta).zip(grad) {
            *n = t - eta * g;
        }
    }
}

/// Heavy ball written with a velocity state: v ← βv − η∇L, θ ← θ + v (starting at rest).
struct MyHeavyBall {
    beta: f64,
}

impl DiscreteMethod for MyHeavyBall {
    fn name(&self) -> &str {
        "my_heavy_ball"
    }
    fn stability_threshold(&self, eta: f64) -> Option<f64> {
        Some(2.0 * (1.0 + self.beta) / eta)
    }
    fn state_len(&self, dim: usize) -> usize {
        dim
    }
    fn step(&self, _k: u64, eta: f64, theta: &[f64], grad: &[f64], v: &mut [f64], next: &mut [f64]) {
        for i in 0..theta.len() {
            v[i] = self.beta * v[i] - eta * grad[i];
            next[i] = theta[i] + v[i];
        }
    }
}

/// Gradient flow written as a user's model.
struct MyFlow;

impl ContinuousModel for MyFlow {
    fn name(&self) -> &str {
        "my_flow"
    }
    fn field<'a>(&'a self, objective: &'a dyn Objective, _eta: f64) -> Box<dyn VectorField + 'a> {
        Box::new(GradientFlow { objective })
    }
}

fn solver() -> SolverSettings {
    SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-10,
        atol: 1e-12,
        max_steps: 1_000_000,
        dt: 1e-3,
        controller: None,
    }
}

#[test]
fn user_methods_run_bit_for_bit_as_the_built_in_ones() {
    let report = Experiment::builder(Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    })
    .init(vec![-1.2, 1.0])
    .step_size(1e-3)
    .steps(2000)
    .record_every(10)
    .method("gd", MethodKind::Gd)
    .method("mine", MethodKind::Discrete(UserMethod(Arc::new(MyGd))))
    .method("flow", MethodKind::GradientFlow(solver()))
    .method(
        "my_flow",
        MethodKind::Continuous {
            model: UserModel(Arc::new(MyFlow)),
            solver: solver(),
        },
    )
    .compare("gd", "mine", 1e-12)
    .compare("flow", "my_flow", 1e-12)
    .build()
    .unwrap()
    .run();
    let t = |id: &str| &report.method(id).unwrap().trajectory;
    assert_eq!(t("gd").states, t("mine").states);
    assert_eq!(t("gd").losses, t("mine").losses);
    assert_eq!(t("gd").stats.grad_evals, t("mine").stats.grad_evals);
    assert_eq!(t("flow").states, t("my_flow").states);
    assert!(report.comparisons.iter().all(|c| c.max_distance == 0.0));
    let mine = report.method("mine").unwrap();
    assert_eq!((mine.kind.as_str(), mine.discrete), ("my_gd", true));
    assert!(!report.method("my_flow").unwrap().discrete);
}

#[test]
fn a_user_method_with_state_follows_its_recursion_and_diverges_past_its_threshold() {
    // On ½λθ², heavy ball from rest is the 2×2 recursion; it converges iff λ < 2(1 + β)/η.
    let (eta, beta) = (0.1, 0.5);
    let threshold = 2.0 * (1.0 + beta) / eta;
    let run = |lambda: f64| {
        Experiment::builder(Quadratic::from_eigenvalues(&[lambda], vec![0.0]))
            .init(vec![1.0])
            .step_size(eta)
            .steps(400)
            .method(
                "hb",
                MethodKind::Discrete(UserMethod(Arc::new(MyHeavyBall { beta }))),
            )
            .build()
            .unwrap()
            .run()
    };
    let report = run(0.5 * threshold);
    let t = &report.method("hb").unwrap().trajectory;
    let (mut theta, mut v) = (1.0f64, 0.0f64);
    for k in 0..t.len() {
        assert!(
            (t.state(k)[0] - theta).abs() <= 1e-12 * theta.abs().max(1e-300),
            "step {k}"
        );
        v = beta * v - eta * 0.5 * threshold * theta;
        theta += v;
    }
    let kind = &report.experiment.methods[0].kind;
    assert_eq!(kind.stability_threshold(eta), Some(threshold));
    assert_eq!(kind.class(), MethodClass::Discrete);
    let above = run(1.01 * threshold);
    assert!(matches!(
        above.method("hb").unwrap().trajectory.termination,
        Termination::Diverged { .. }
    ));
}

#[test]
fn the_builder_refuses_what_the_loader_refuses() {
    let base = || {
        Experiment::builder(Quadratic::from_eigenvalues(&[1.0, 2.0], vec![0.0, 0.0]))
            .init(vec![1.0, 1.0])
            .method("gd", MethodKind::Gd)
    };
    let refused = |b: flowgap::experiment::ExperimentBuilder, says: &str| match b.build() {
        Err(e @ Error::Input { .. }) => assert!(e.to_string().contains(says), "{e}"),
        Err(e) => panic!("not bad input: {e}"),
        Ok(_) => panic!("accepted; expected a refusal saying {says:?}"),
    };
    assert!(base().build().is_ok());
    refused(base().init(vec![1.0]), "the objective has 2 parameters");
    refused(base().step_size(0.0), "step_size");
    refused(base().steps(0), "steps");
    refused(base().method("gd", MethodKind::Gd), "used twice");
    refused(base().method("gd_sharpness", MethodKind::Gd), "would overwrite");
    refused(base().method("../x", MethodKind::Gd), "letters, digits");
    refused(base().compare("gd", "nope", 1e-3), "`nope`");
    refused(base().name("a/b"), "name");
    refused(base().init(vec![f64::NAN, 1.0]), "finite");
}
