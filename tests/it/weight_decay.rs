//! Weight decay `objective.l2` (issue 21, part 2): the decayed loss L + (λ/2)‖θ‖² has the gradient and
//! Hessian-vector product of its finite differences, on an mlp read from a scenario with `l2`; GD and the
//! flow on a decayed quadratic reach its closed-form minimiser (A + λI)⁻¹Ac; the sharpness diagnostic sees
//! λ_max(A) + λ; and the coupled L2 term is not AdamW's decoupled decay: one step of each against its
//! hand-computed formula.

use flowgap::discrete::AdaptiveMethod;
use flowgap::method::{run_method, MethodKind};
use flowgap::objective::{Objective, Quadratic, WeightDecay};
use flowgap::scenario;
use flowgap::{Termination, TimeGrid};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Loads `text` as a scenario file.
fn load(text: &str) -> scenario::Scenario {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wd.toml");
    std::fs::write(&path, text).unwrap();
    scenario::load(&path).unwrap()
}

fn with_l2(name: &str, lambda: f64) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    let text = std::fs::read_to_string(path).unwrap();
    text.replacen("[objective]\n", &format!("[objective]\nl2 = {lambda}\n"), 1)
}

#[test]
fn the_decayed_mlp_has_the_gradient_and_hvp_of_its_differences() {
    let lambda = 0.03;
    let decayed = load(&with_l2("mlp_teacher_student", lambda));
    let plain = load(&with_l2("mlp_teacher_student", 0.0));
    let (f, g) = (
        decayed.experiment.objective.as_ref(),
        plain.experiment.objective.as_ref(),
    );
    let d = f.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..3 {
        let theta: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
        let v: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
        let norm2: f64 = theta.iter().map(|x| x * x).sum();
        assert!((f.loss(&theta) - g.loss(&theta) - 0.5 * lambda * norm2).abs() < 1e-12 * f.loss(&theta));
        // Gradient against central differences of the loss along v: ∇L·v.
        let mut grad = vec![0.0; d];
        let loss = f.loss_gradient(&theta, &mut grad);
        assert_eq!(loss, f.loss(&theta));
        let h = 1e-5;
        let shifted =
            |s: f64, of: &[f64]| -> Vec<f64> { theta.iter().zip(of).map(|(t, x)| t + s * x).collect() };
        let fd = (f.loss(&shifted(h, &v)) - f.loss(&shifted(-h, &v))) / (2.0 * h);
        let exact: f64 = grad.iter().zip(&v).map(|(a, b)| a * b).sum();
        assert!(
            (fd - exact).abs() <= 1e-6 * exact.abs().max(1.0),
            "∇L·v: {fd} vs {exact}"
        );
        // HVP against central differences of the gradient.
        let (mut gp, mut gm, mut hv) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        f.gradient(&shifted(h, &v), &mut gp);
        f.gradient(&shifted(-h, &v), &mut gm);
        f.hvp(&theta, &v, &mut hv);
        let num: f64 = (0..d)
            .map(|i| ((gp[i] - gm[i]) / (2.0 * h) - hv[i]).powi(2))
            .sum::<f64>()
            .sqrt();
        let den: f64 = hv.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!(num <= 1e-6 * den, "Hv: relative error {}", num / den);
        // The decay's own share: exactly λv on top of the undecayed product.
        let mut hv0 = vec![0.0; d];
        g.hvp(&theta, &v, &mut hv0);
        for i in 0..d {
            assert!((hv[i] - hv0[i] - lambda * v[i]).abs() <= 1e-12 * hv[i].abs().max(1.0));
        }
        // Minibatch gradients carry the decay too: the full batch equals the gradient.
        let fs = f.as_finite_sum().expect("the mlp is a finite sum");
        let all: Vec<usize> = (0..fs.num_samples()).collect();
        let mut gb = vec![0.0; d];
        let lb = fs.batch_loss_gradient(&theta, &all, &mut gb);
        assert!((lb - loss).abs() <= 1e-12 * loss);
        for i in 0..d {
            assert!((gb[i] - grad[i]).abs() <= 1e-12 * grad[i].abs().max(1.0));
        }
    }
    assert_eq!(decayed.experiment.objective_settings["l2"], lambda);
}

#[test]
fn gd_and_the_flow_reach_the_closed_form_minimiser_of_a_decayed_quadratic() {
    let lambda = 0.5;
    let text = format!(
        r#"name = "wd"
description = "decayed quadratic"
[objective]
kind = "quadratic"
matrix = [[3.0, 1.0], [1.0, 2.0]]
center = [1.0, -2.0]
l2 = {lambda}
[init]
point = [0.3, 0.7]
[run]
step_size = 0.1
steps = 2000
record_every = 100
[[method]]
id = "gd"
kind = "gd"
[[method]]
id = "flow"
kind = "gradient_flow"
rtol = 1e-12
atol = 1e-14
[diagnostics.sharpness]
every = 1
[output]
figures = []
"#
    );
    let s = load(&text);
    let report = s.experiment.run();
    let a = DMatrix::from_row_slice(2, 2, &[3.0, 1.0, 1.0, 2.0]);
    let c = DVector::from_vec(vec![1.0, -2.0]);
    let minimiser = (&a + DMatrix::identity(2, 2) * lambda).try_inverse().unwrap() * &a * &c;
    for id in ["gd", "flow"] {
        let t = &report.method(id).unwrap().trajectory;
        assert_eq!(t.termination, Termination::Completed);
        let end = t.last_state().unwrap();
        for i in 0..2 {
            assert!(
                (end[i] - minimiser[i]).abs() < 1e-10,
                "{id}: {end:?} vs {minimiser}"
            );
        }
    }
    // The sharpness diagnostic sees the decayed Hessian A + λI.
    let lmax = a.symmetric_eigen().eigenvalues.max() + lambda;
    let s = report
        .diagnostics
        .as_ref()
        .unwrap()
        .method("gd")
        .unwrap()
        .sharpness
        .as_ref()
        .unwrap();
    for l in s.lambda_1() {
        assert!((l - lmax).abs() < 1e-10, "λ_1 = {l}, λ_max(A) + λ = {lmax}");
    }
}

/// Adam on L + (λ/2)‖θ‖² and AdamW with decay λ on L take different first steps, each its formula's:
/// with bias correction the first Adam step is η·g/(|g| + ε) per coordinate.
#[test]
fn l2_is_coupled_and_adamw_decoupled() {
    let (lambda, eta, eps) = (0.3, 0.01, 1e-8);
    let q = Quadratic::from_eigenvalues(&[4.0, 1.0], vec![0.5, 0.0]);
    let theta0 = [1.0, -2.0];
    let adam = |weight_decay| {
        MethodKind::Adaptive(AdaptiveMethod::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps,
            bias_correction: true,
            weight_decay,
            frozen: None,
        })
    };
    let grid = TimeGrid::new(eta, 1, 1);
    let decayed = WeightDecay::new(Box::new(q.clone()), lambda);
    let coupled = run_method(&adam(None), &decayed, &theta0, &grid, 1e10);
    let decoupled = run_method(&adam(Some(lambda)), &q, &theta0, &grid, 1e10);
    let mut g = [0.0; 2];
    q.gradient(&theta0, &mut g);
    for i in 0..2 {
        let gc = g[i] + lambda * theta0[i];
        let want_coupled = theta0[i] - eta * gc / (gc.abs() + eps);
        let want_decoupled = (1.0 - eta * lambda) * theta0[i] - eta * g[i] / (g[i].abs() + eps);
        assert!((coupled.state(1)[i] - want_coupled).abs() < 1e-15);
        assert!((decoupled.state(1)[i] - want_decoupled).abs() < 1e-15);
        assert!((want_coupled - want_decoupled).abs() > 1e-3);
    }
}

/// The named scenario `weight_decay_mlp`: at the end GD sits where the data gradient balances the decay
/// (the decayed gradient below 1% of ∇L, and ∇L along −θ with |∇L| = λ‖θ‖ to 1%), and the order-1 modified
/// flow of the decayed loss is at least four times closer to GD than the gradient flow.
#[test]
fn weight_decay_mlp_ends_where_the_data_gradient_balances_the_decay() {
    let path = scenario::named_path(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        "weight_decay_mlp",
    );
    let s = scenario::load(&path).unwrap();
    let lambda = s.experiment.objective_settings["l2"].as_f64().unwrap();
    let report = s.experiment.run();
    let f = report.experiment.objective.as_ref();
    let theta = report
        .method("gd")
        .unwrap()
        .trajectory
        .last_state()
        .unwrap()
        .to_vec();
    let mut decayed = vec![0.0; theta.len()];
    f.gradient(&theta, &mut decayed);
    let data: Vec<f64> = decayed.iter().zip(&theta).map(|(g, t)| g - lambda * t).collect();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (gd, gl, th) = (norm(&data), norm(&decayed), norm(&theta));
    assert!(gl < 0.01 * gd, "‖∇L_λ‖ = {gl}, ‖∇L‖ = {gd}");
    assert!(
        (gd / (lambda * th) - 1.0).abs() < 0.01,
        "‖∇L‖ = {gd}, λ‖θ‖ = {}",
        lambda * th
    );
    let cos = -data.iter().zip(&theta).map(|(a, b)| a * b).sum::<f64>() / (gd * th);
    assert!(cos > 0.9999, "cos(∇L, −θ) = {cos}");
    let gap = |b: &str| {
        report
            .comparisons
            .iter()
            .find(|c| c.a == "gd" && c.b == b)
            .unwrap()
            .max_distance
    };
    assert!(
        gap("modified") < 0.25 * gap("flow"),
        "{} vs {}",
        gap("modified"),
        gap("flow")
    );
}
