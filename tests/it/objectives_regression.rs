//! Linear and logistic regression against mathematics: central finite differences for the gradient,
//! differences of the gradient for the Hessian-vector product, hand-computed values on tiny problems,
//! the normal equations, and the finite-sum identities that SGD relies on.

use super::quadratic_closed_form::rel_err;
use flowgap::data::{Dataset, Task};
use flowgap::discrete::gradient_descent;
use flowgap::objective::{sigmoid, softplus, FiniteSum, LinearRegression, LogisticRegression, Objective};
use flowgap::TimeGrid;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

/// n samples of p Gaussian features; targets by `task`: Gaussian (regression, k columns), 0/1 (binary),
/// or one-hot over k classes.
fn random_data(n: usize, p: usize, k: usize, task: Task, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = DMatrix::from_fn(n, p, |_, _| gauss(&mut rng));
    let y = match task {
        Task::Regression => DMatrix::from_fn(n, k, |_, _| gauss(&mut rng)),
        Task::Binary => DMatrix::from_fn(n, 1, |_, _| f64::from(rng.random_bool(0.5))),
        Task::Multiclass { classes } => {
            let labels: Vec<usize> = (0..n).map(|_| rng.random_range(0..classes)).collect();
            DMatrix::from_fn(n, classes, |i, c| f64::from(labels[i] == c))
        }
    };
    Dataset { x, y, task }
}

fn random_point(d: usize, scale: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..d).map(|_| scale * gauss(rng)).collect()
}

/// The central difference (L(θ + h e_i) − L(θ − h e_i)) / 2h for every i; truncation error O(h²·L''')
/// ≈ 1e-10 and rounding ≈ ε·L/h ≈ 1e-11 at h = 1e-5, far below the 1e-6 tolerance.
fn fd_gradient(f: &dyn Objective, theta: &[f64]) -> Vec<f64> {
    let h = 1e-5;
    let mut t = theta.to_vec();
    (0..theta.len())
        .map(|i| {
            t[i] = theta[i] + h;
            let up = f.loss(&t);
            t[i] = theta[i] - h;
            let down = f.loss(&t);
            t[i] = theta[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// (∇L(θ + h v) − ∇L(θ − h v)) / 2h: H v + O(h²).
fn fd_hvp(f: &dyn Objective, theta: &[f64], v: &[f64]) -> Vec<f64> {
    let h = 1e-5;
    let plus: Vec<f64> = theta.iter().zip(v).map(|(t, v)| t + h * v).collect();
    let minus: Vec<f64> = theta.iter().zip(v).map(|(t, v)| t - h * v).collect();
    let (mut gp, mut gm) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
    f.gradient(&plus, &mut gp);
    f.gradient(&minus, &mut gm);
    gp.iter().zip(&gm).map(|(a, b)| (a - b) / (2.0 * h)).collect()
}

/// Gradient and Hessian-vector product against finite differences at five seeded random points.
fn check_derivatives(name: &str, f: &dyn Objective, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for trial in 0..5 {
        let theta = random_point(f.dim(), 0.7, &mut rng);
        let v = random_point(f.dim(), 1.0, &mut rng);
        let mut g = vec![0.0; f.dim()];
        f.gradient(&theta, &mut g);
        let e = rel_err(&g, &fd_gradient(f, &theta));
        assert!(e < 1e-6, "{name} trial {trial}: gradient relative error {e:e}");
        let mut hv = vec![0.0; f.dim()];
        f.hvp(&theta, &v, &mut hv);
        let e = rel_err(&hv, &fd_hvp(f, &theta, &v));
        assert!(e < 1e-6, "{name} trial {trial}: hvp relative error {e:e}");
    }
}

#[test]
fn gradients_and_hvps_match_finite_differences() {
    let cases: Vec<(&str, Box<dyn Objective>)> = vec![
        (
            "linear k=1 bias",
            Box::new(LinearRegression::new(&random_data(40, 3, 1, Task::Regression, 1), 0.0, true).unwrap()),
        ),
        (
            "linear k=3 bias l2",
            Box::new(LinearRegression::new(&random_data(40, 4, 3, Task::Regression, 2), 0.3, true).unwrap()),
        ),
        (
            "linear k=2 no bias (n, p > 5: the matrixmultiply path)",
            Box::new(LinearRegression::new(&random_data(64, 7, 2, Task::Regression, 3), 0.1, false).unwrap()),
        ),
        (
            "logistic binary bias l2",
            Box::new(LogisticRegression::new(&random_data(50, 3, 1, Task::Binary, 4), 0.2, true).unwrap()),
        ),
        (
            "logistic binary no bias",
            Box::new(LogisticRegression::new(&random_data(50, 8, 1, Task::Binary, 5), 0.0, false).unwrap()),
        ),
        (
            "softmax k=3 bias l2",
            Box::new(
                LogisticRegression::new(
                    &random_data(60, 4, 3, Task::Multiclass { classes: 3 }, 6),
                    0.1,
                    true,
                )
                .unwrap(),
            ),
        ),
        (
            "softmax k=7 no bias",
            Box::new(
                LogisticRegression::new(
                    &random_data(80, 6, 7, Task::Multiclass { classes: 7 }, 7),
                    0.0,
                    false,
                )
                .unwrap(),
            ),
        ),
    ];
    for (i, (name, f)) in cases.iter().enumerate() {
        check_derivatives(name, f.as_ref(), 100 + i as u64);
    }
}

/// x = (1, 2), y = (1, 3), θ = (w, b) = (1, 0): residuals w·x + b − y = (0, −1), so
/// L = (1/(2·2))·(0² + 1²) = 0.25, ∂L/∂w = ½(0·1 + (−1)·2) = −1, ∂L/∂b = ½(0 + (−1)) = −0.5.
/// The data lie on y = 2x − 1, so the least-squares solution is (w, b) = (2, −1).
/// With l2 = 0.5 the loss gains 0.5·½·w² = 0.25 and ∂/∂w gains 0.5·w = 0.5.
#[test]
fn linear_regression_by_hand() {
    let data = Dataset {
        x: DMatrix::from_column_slice(2, 1, &[1.0, 2.0]),
        y: DMatrix::from_column_slice(2, 1, &[1.0, 3.0]),
        task: Task::Regression,
    };
    let f = LinearRegression::new(&data, 0.0, true).unwrap();
    assert_eq!(f.dim(), 2);
    assert!((f.loss(&[1.0, 0.0]) - 0.25).abs() < 1e-15);
    let mut g = [0.0; 2];
    f.gradient(&[1.0, 0.0], &mut g);
    assert!((g[0] + 1.0).abs() < 1e-15 && (g[1] + 0.5).abs() < 1e-15, "{g:?}");
    let min = f.known_minima();
    assert_eq!(min.len(), 1);
    assert!(rel_err(&min[0], &[2.0, -1.0]) < 1e-12, "{:?}", min[0]);

    let f = LinearRegression::new(&data, 0.5, true).unwrap();
    assert!((f.loss(&[1.0, 0.0]) - 0.5).abs() < 1e-15);
    f.gradient(&[1.0, 0.0], &mut g);
    assert!((g[0] + 0.5).abs() < 1e-15 && (g[1] + 0.5).abs() < 1e-15, "{g:?}");
}

/// Two identical feature columns make XᵀX singular: there is no unique minimiser to report.
#[test]
fn singular_normal_equations_give_no_minimum() {
    let mut data = random_data(20, 2, 1, Task::Regression, 9);
    let c0: Vec<f64> = data.x.column(0).iter().copied().collect();
    data.x.set_column(1, &nalgebra::DVector::from_vec(c0));
    let f = LinearRegression::new(&data, 0.0, true).unwrap();
    assert!(f.known_minima().is_empty());
    // Any positive L2 weight makes the system definite again.
    let f = LinearRegression::new(&data, 1e-3, true).unwrap();
    assert_eq!(f.known_minima().len(), 1);
}

/// GD on least squares with η below 2/λ_max(H) converges linearly to the solution of the normal
/// equations, here solved independently by LU on X̃ᵀX̃ Θ = X̃ᵀY (X̃ = [X, 1]); H = X̃ᵀX̃/n has eigenvalues
/// ≈ 1 for standard Gaussian features, so η = 0.5 contracts by ≈ 0.5 per step along most directions.
#[test]
fn gd_converges_to_the_normal_equations_solution() {
    let data = random_data(200, 3, 2, Task::Regression, 11);
    let f = LinearRegression::new(&data, 0.0, true).unwrap();
    let (n, p, k) = (200, 3, 2);
    let xt = DMatrix::from_fn(n, p + 1, |i, j| if j < p { data.x[(i, j)] } else { 1.0 });
    let sol = (xt.transpose() * &xt)
        .lu()
        .solve(&(xt.transpose() * &data.y))
        .unwrap();
    // θ layout: W row-major (k × p), then b.
    let mut expected = vec![0.0; k * p + k];
    for c in 0..k {
        for j in 0..p {
            expected[c * p + j] = sol[(j, c)];
        }
        expected[k * p + c] = sol[(p, c)];
    }
    assert!(rel_err(&f.known_minima()[0], &expected) < 1e-10);
    let grid = TimeGrid::new(0.5, 400, 400);
    let traj = gradient_descent(&f, &vec![0.0; f.dim()], &grid, 1e10);
    let end = traj.last_state().unwrap();
    assert!(rel_err(end, &expected) < 1e-10, "{end:?} vs {expected:?}");
    let mut g = vec![0.0; f.dim()];
    f.gradient(&expected, &mut g);
    assert!(
        g.iter().all(|v| v.abs() < 1e-12),
        "gradient at the solution: {g:?}"
    );
}

/// x = (1, −2), y = (1, 0), θ = (w, b) = (0.5, 0.25): z = (0.75, −0.75).
/// ℓ₁ = softplus(0.75) − 0.75 = softplus(−0.75) and ℓ₂ = softplus(−0.75), so L = ln(1 + e^−0.75).
/// G = σ(z) − y = (σ(0.75) − 1, σ(−0.75)) = (−σ(−0.75), σ(−0.75)), hence
/// ∂L/∂w = ½(G₁·1 + G₂·(−2)) = −1.5·σ(−0.75) and ∂L/∂b = ½(G₁ + G₂) = 0.
/// With s = σ(0.75)σ(−0.75): H = ½ s [[1 + 4, 1 − 2], [1 − 2, 2]] = s [[2.5, −0.5], [−0.5, 1]].
/// Numerically e^−0.75 = 0.4723665527410147, L = 0.3868710, σ(−0.75) = 0.3208213, s = 0.2178950.
#[test]
fn logistic_loss_and_gradient_by_hand() {
    let data = Dataset {
        x: DMatrix::from_column_slice(2, 1, &[1.0, -2.0]),
        y: DMatrix::from_column_slice(2, 1, &[1.0, 0.0]),
        task: Task::Binary,
    };
    let f = LogisticRegression::new(&data, 0.0, true).unwrap();
    let theta = [0.5, 0.25];
    let e = (-0.75f64).exp();
    assert!((e - 0.4723665527410147).abs() < 1e-16);
    let loss = (1.0 + e).ln();
    assert!((loss - 0.3868710).abs() < 1e-7);
    assert!((f.loss(&theta) - loss).abs() < 1e-15);
    let s_neg = e / (1.0 + e); // σ(−0.75)
    assert!((s_neg - 0.3208213).abs() < 1e-7);
    let mut g = [0.0; 2];
    f.gradient(&theta, &mut g);
    assert!((g[0] + 1.5 * s_neg).abs() < 1e-15, "{g:?}");
    assert!(g[1].abs() < 1e-15, "{g:?}");
    let s = s_neg * (1.0 - s_neg);
    assert!((s - 0.2178950).abs() < 1e-7);
    let mut hv = [0.0; 2];
    f.hvp(&theta, &[1.0, 0.0], &mut hv);
    assert!(
        (hv[0] - 2.5 * s).abs() < 1e-15 && (hv[1] + 0.5 * s).abs() < 1e-15,
        "{hv:?}"
    );
    f.hvp(&theta, &[0.0, 1.0], &mut hv);
    assert!(
        (hv[0] + 0.5 * s).abs() < 1e-15 && (hv[1] - s).abs() < 1e-15,
        "{hv:?}"
    );

    // L2 = 0.4 adds 0.4·½·w² = 0.05 to the loss and 0.4·w = 0.2 to ∂L/∂w, nothing to ∂L/∂b.
    let f = LogisticRegression::new(&data, 0.4, true).unwrap();
    assert!((f.loss(&theta) - (loss + 0.05)).abs() < 1e-15);
    f.gradient(&theta, &mut g);
    assert!(
        (g[0] - (0.2 - 1.5 * s_neg)).abs() < 1e-15 && g[1].abs() < 1e-15,
        "{g:?}"
    );
}

/// Softmax over two classes with class 0's row fixed at zero is the sigmoid of z₁ − z₀ = z₁:
/// ℓ = lse(0, z) − y₁ z = softplus(z) − y₁ z. So the 2-class softmax loss at θ = (0, 0, w, b) (layout W
/// row-major, then b) equals the binary loss at (w, b), and its gradient's class-1 block equals the
/// binary gradient while the class-0 block is its negative (softmax gradients sum to zero over classes).
#[test]
fn two_class_softmax_is_the_binary_sigmoid() {
    let bin = random_data(30, 1, 1, Task::Binary, 21);
    let onehot = Dataset {
        x: bin.x.clone(),
        y: DMatrix::from_fn(30, 2, |i, c| {
            if c == 1 {
                bin.y[(i, 0)]
            } else {
                1.0 - bin.y[(i, 0)]
            }
        }),
        task: Task::Multiclass { classes: 2 },
    };
    let fb = LogisticRegression::new(&bin, 0.0, true).unwrap();
    let fs = LogisticRegression::new(&onehot, 0.0, true).unwrap();
    assert!(!fb.is_softmax() && fs.is_softmax());
    let (w, b) = (0.8, -0.3);
    let (mut gb, mut gs) = ([0.0; 2], [0.0; 4]);
    fb.gradient(&[w, b], &mut gb);
    // θ_s = (W[0][0], W[1][0], b[0], b[1]).
    let theta_s = [0.0, w, 0.0, b];
    assert!((fs.loss(&theta_s) - fb.loss(&[w, b])).abs() < 1e-14);
    fs.gradient(&theta_s, &mut gs);
    assert!((gs[1] - gb[0]).abs() < 1e-14 && (gs[3] - gb[1]).abs() < 1e-14);
    assert!((gs[0] + gb[0]).abs() < 1e-14 && (gs[2] + gb[1]).abs() < 1e-14);
}

/// Far from the origin the losses are asymptotically linear and must stay finite: with x = 1, y = 0,
/// w = 1000 the binary loss is softplus(1000) = 1000 (e^−1000 underflows to 0) and its gradient σ(1000)
/// = 1; a naive log(1 + e^1000) would be infinite. Softmax with z = (1000, 0) and class 1 true gives
/// lse(1000, 0) − 0 = 1000.
#[test]
fn losses_stay_finite_for_huge_logits() {
    assert_eq!(softplus(1000.0), 1000.0);
    assert_eq!(softplus(-1000.0), 0.0);
    assert!(
        (softplus(-30.0) - (-30.0f64).exp()).abs() < 1e-25,
        "keeps digits far left"
    );
    assert_eq!(sigmoid(-1000.0), 0.0);
    assert_eq!(sigmoid(1000.0), 1.0);
    let bin = Dataset {
        x: DMatrix::from_element(1, 1, 1.0),
        y: DMatrix::from_element(1, 1, 0.0),
        task: Task::Binary,
    };
    let f = LogisticRegression::new(&bin, 0.0, false).unwrap();
    assert_eq!(f.loss(&[1000.0]), 1000.0);
    let mut g = [0.0];
    f.gradient(&[1000.0], &mut g);
    assert_eq!(g[0], 1.0);
    let multi = Dataset {
        x: DMatrix::from_element(1, 1, 1.0),
        y: DMatrix::from_row_slice(1, 2, &[0.0, 1.0]),
        task: Task::Multiclass { classes: 2 },
    };
    let f = LogisticRegression::new(&multi, 0.0, false).unwrap();
    assert_eq!(f.loss(&[1000.0, 0.0]), 1000.0);
}

/// L = (1/n) Σ ℓ_i with the penalty inside each ℓ_i, so: the batch of all indices gives the full loss and
/// gradient; the mean of the n single-sample gradients is the full gradient; a batch with a repeat,
/// [0, 0, 1], gives (2∇ℓ₀ + ∇ℓ₁)/3.
#[test]
fn finite_sum_batches_average_per_sample_gradients() {
    let objectives: Vec<Box<dyn Objective>> = vec![
        Box::new(LinearRegression::new(&random_data(12, 3, 2, Task::Regression, 31), 0.2, true).unwrap()),
        Box::new(
            LogisticRegression::new(
                &random_data(12, 3, 3, Task::Multiclass { classes: 3 }, 32),
                0.2,
                true,
            )
            .unwrap(),
        ),
        Box::new(LogisticRegression::new(&random_data(12, 3, 1, Task::Binary, 33), 0.0, false).unwrap()),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(34);
    for f in &objectives {
        let fs: &dyn FiniteSum = f.as_finite_sum().expect("a finite sum");
        let n = fs.num_samples();
        assert_eq!(n, 12);
        let d = f.dim();
        let theta = random_point(d, 0.5, &mut rng);
        let mut full = vec![0.0; d];
        f.gradient(&theta, &mut full);
        let all: Vec<usize> = (0..n).collect();
        let mut g = vec![0.0; d];
        let loss = fs.batch_loss_gradient(&theta, &all, &mut g);
        assert!((loss - f.loss(&theta)).abs() < 1e-14 * loss.abs().max(1.0));
        assert!(rel_err(&g, &full) < 1e-13);

        let mut mean = vec![0.0; d];
        let mut singles = Vec::new();
        for i in 0..n {
            fs.batch_loss_gradient(&theta, &[i], &mut g);
            mean.iter_mut().zip(&g).for_each(|(m, gi)| *m += gi / n as f64);
            singles.push(g.clone());
        }
        assert!(rel_err(&mean, &full) < 1e-13);
        fs.batch_loss_gradient(&theta, &[0, 0, 1], &mut g);
        let expect: Vec<f64> = (0..d)
            .map(|j| (2.0 * singles[0][j] + singles[1][j]) / 3.0)
            .collect();
        assert!(rel_err(&g, &expect) < 1e-13);
    }
}

#[test]
fn logistic_refuses_regression_targets() {
    let data = random_data(10, 2, 1, Task::Regression, 41);
    let err = LogisticRegression::new(&data, 0.0, true).err().expect("refused");
    assert!(err.is_bad_input());
    assert!(err.to_string().contains("class labels"), "{err}");
    assert!(LinearRegression::new(&data, -1.0, true).is_err());
}
