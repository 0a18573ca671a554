//! SGD's modified flow (issue 21, part 3; Smith, Dherin, Barrett & De 2021): on least squares with n = 4
//! samples and minibatches of one (m = 4 batches per epoch, random reshuffling), the mean of SGD after one
//! epoch, taken exactly over all 4! = 24 orderings (no Monte Carlo), is within O(η³) of the flow of
//! L̃_SGD = L + (η/4m)Σ_k‖∇L_k‖² at t = mη, and only within O(η²) of the flows of L̃_GD = L + (η/4)‖∇L‖² and
//! of L: fitted log–log slopes 3, 2, 2 within ±0.2.

use flowgap::continuous::{reshuffling_weight, ModifiedOrder, SolverSettings};
use flowgap::data::{Dataset, Task};
use flowgap::method::{run_method, MethodKind};
use flowgap::objective::{FiniteSum, LinearRegression, Objective};
use flowgap::{Termination, TimeGrid};
use nalgebra::DMatrix;

fn least_squares() -> LinearRegression {
    let data = Dataset {
        x: DMatrix::from_row_slice(4, 2, &[1.0, 0.3, -0.4, 1.2, 0.8, -0.9, 0.2, 0.5]),
        y: DMatrix::from_row_slice(4, 1, &[1.0, -0.5, 2.0, 0.3]),
        task: Task::Regression,
    };
    LinearRegression::new(&data, 0.0, false).unwrap()
}

/// Every ordering of 0..n.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for at in 0..=p.len() {
            let mut q = p.clone();
            q.insert(at, n - 1);
            out.push(q);
        }
    }
    out
}

/// E[θ after one epoch of SGD with batches of one], exactly: the mean over every ordering.
fn mean_after_one_epoch(f: &LinearRegression, theta0: &[f64], eta: f64) -> Vec<f64> {
    let orders = permutations(f.num_samples());
    assert_eq!(orders.len(), 24);
    let d = theta0.len();
    let mut mean = vec![0.0; d];
    let mut g = vec![0.0; d];
    for order in &orders {
        let mut theta = theta0.to_vec();
        for &i in order {
            f.batch_loss_gradient(&theta, &[i], &mut g);
            for (t, gi) in theta.iter_mut().zip(&g) {
                *t -= eta * gi;
            }
        }
        for (m, t) in mean.iter_mut().zip(&theta) {
            *m += t / orders.len() as f64;
        }
    }
    mean
}

fn slope(x: &[f64], y: &[f64]) -> f64 {
    let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a.ln(), b.ln())).unzip();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let cov: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    cov / lx.iter().map(|a| (a - mx).powi(2)).sum::<f64>()
}

#[test]
fn the_mean_of_sgd_after_an_epoch_follows_the_sgd_modified_flow_to_third_order() {
    let f = least_squares();
    let theta0 = [0.7, -1.1];
    let solver = SolverSettings::dop853(1e-13, 1e-15);
    let kinds = [
        MethodKind::SgdModifiedFlow {
            batch_size: 1,
            solver,
        },
        MethodKind::ModifiedFlow {
            order: ModifiedOrder::One,
            solver,
        },
        MethodKind::GradientFlow(solver),
    ];
    let etas = [0.08, 0.04, 0.02, 0.01];
    let mut errors = vec![Vec::new(); 3];
    for &eta in &etas {
        let mean = mean_after_one_epoch(&f, &theta0, eta);
        // One epoch: m = 4 steps, recorded at its end (t = 4η).
        let grid = TimeGrid::new(eta, 4, 4);
        for (kind, err) in kinds.iter().zip(errors.iter_mut()) {
            let t = run_method(kind, &f, &theta0, &grid, 1e10);
            assert_eq!(t.termination, Termination::Completed);
            let end = t.state(1);
            err.push(
                end.iter()
                    .zip(&mean)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt(),
            );
        }
    }
    let slopes: Vec<f64> = errors.iter().map(|e| slope(&etas, e)).collect();
    eprintln!("errors {errors:?}\nslopes {slopes:?}");
    assert!(
        (slopes[0] - 3.0).abs() <= 0.2,
        "E[SGD] vs L̃_SGD flow: slope {}",
        slopes[0]
    );
    assert!(
        (slopes[1] - 2.0).abs() <= 0.2,
        "E[SGD] vs L̃_GD flow: slope {}",
        slopes[1]
    );
    assert!(
        (slopes[2] - 2.0).abs() <= 0.2,
        "E[SGD] vs gradient flow: slope {}",
        slopes[2]
    );
    for (j, &eta) in etas.iter().enumerate() {
        assert!(
            errors[0][j] < errors[1][j] && errors[0][j] < errors[2][j],
            "η = {eta}"
        );
    }
}

/// The reshuffling weight c = (n − B)/(B(n − 1)) is 1 for batches of one and 0 for the full batch; there
/// the model is GD's modified flow, bit for bit in value (the same field up to the order of sums).
#[test]
fn the_full_batch_model_is_gds_modified_flow() {
    assert_eq!(reshuffling_weight(4, 1), 1.0);
    assert_eq!(reshuffling_weight(4, 4), 0.0);
    assert_eq!(reshuffling_weight(10, 5), 5.0 / 45.0);
    let f = least_squares();
    let theta0 = [0.7, -1.1];
    let solver = SolverSettings::dop853(1e-12, 1e-14);
    let grid = TimeGrid::new(0.05, 40, 4);
    let full = run_method(
        &MethodKind::SgdModifiedFlow {
            batch_size: 4,
            solver,
        },
        &f,
        &theta0,
        &grid,
        1e10,
    );
    let gd = run_method(
        &MethodKind::ModifiedFlow {
            order: ModifiedOrder::One,
            solver,
        },
        &f,
        &theta0,
        &grid,
        1e10,
    );
    for i in 0..full.len() {
        for (a, b) in full.state(i).iter().zip(gd.state(i)) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }
    // The exact per-sample Hessian-vector product of least squares: x_i x_iᵀ v.
    let mut out = [0.0; 2];
    f.batch_hvp(&theta0, &[2], &[1.0, 2.0], &mut out);
    let (x0, x1) = (0.8, -0.9);
    let xv = x0 * 1.0 + x1 * 2.0;
    assert!(
        (out[0] - x0 * xv).abs() < 1e-15 && (out[1] - x1 * xv).abs() < 1e-15,
        "{out:?}"
    );
    let _ = f.dim();
}

/// The named scenario `sgd_implicit_regularisation`: after every epoch the SGD ensemble's mean (20,000
/// reshuffled paths) is closer to the flow of L̃_SGD than to L̃_GD's by a factor ≥ 4, and closer to
/// L̃_GD's than to the gradient flow; each gap is far above the Monte Carlo standard error of the mean.
#[test]
fn sgd_implicit_regularisation_follows_the_sgd_modified_flow_epoch_by_epoch() {
    let path = flowgap::scenario::named_path(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        "sgd_implicit_regularisation",
    );
    let report = flowgap::scenario::load(&path).unwrap().experiment.run();
    let sgd = report.method("sgd").unwrap();
    let stats = sgd.ensemble.as_ref().unwrap();
    let dist = |id: &str, i: usize| {
        let t = &report.method(id).unwrap().trajectory;
        assert_eq!(t.times[i], sgd.trajectory.times[i]);
        t.state(i)
            .iter()
            .zip(sgd.trajectory.state(i))
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    assert_eq!(
        sgd.trajectory.steps.iter().map(|k| k % 8).max(),
        Some(0),
        "one point per epoch"
    );
    for i in 1..sgd.trajectory.len() {
        let (s, g, f) = (dist("sgd_flow", i), dist("gd_flow", i), dist("flow", i));
        assert!(s < 0.25 * g, "epoch {i}: {s} vs {g}");
        assert!(g < f, "epoch {i}: {g} vs {f}");
        // The standard error of the ensemble mean, from its per-coordinate variances.
        let se = (0..2)
            .map(|c| stats.param_var[i * 2 + c] / stats.paths as f64)
            .sum::<f64>()
            .sqrt();
        assert!(
            g - s > 20.0 * se,
            "epoch {i}: gap {} vs standard error {se}",
            g - s
        );
    }
}
