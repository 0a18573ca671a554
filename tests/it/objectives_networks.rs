//! Network objectives (deep linear, mlp, matrix factorisation and sensing) against mathematics: central
//! finite differences of the loss and of the gradient at seeded random points, a tiny network and the
//! scalar deep linear net worked out by hand, the balancedness that gradient flow conserves and the exact
//! amount by which a gradient-descent step changes it.

use flowgap::continuous::{solve, GradientFlow, SolverSettings};
use flowgap::data::{Dataset, Task};
use flowgap::discrete::gradient_descent;
use flowgap::objective::activation::Activation;
use flowgap::objective::{
    DeepLinear, FactorInit, MatrixFactorization, MatrixSensing, Mlp, MlpConfig, MlpLoss, Objective,
    Parameterization,
};
use flowgap::{Termination, TimeGrid};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

fn gauss(rng: &mut ChaCha8Rng, n: usize, std: f64) -> Vec<f64> {
    (0..n)
        .map(|_| std * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&d) / norm(b).max(1e-300)
}

/// ∇L by central differences, (L(θ + h e_i) − L(θ − h e_i))/2h with h = 1e-5·max(1, |θ_i|): truncation
/// O(h²) ≈ 1e-10 and rounding ≈ 1e-16·L/h ≈ 1e-11, far below the 1e-6 tolerance.
fn fd_gradient(f: &dyn Objective, theta: &[f64]) -> Vec<f64> {
    let mut t = theta.to_vec();
    (0..theta.len())
        .map(|i| {
            let h = 1e-5 * theta[i].abs().max(1.0);
            t[i] = theta[i] + h;
            let up = f.loss(&t);
            t[i] = theta[i] - h;
            let down = f.loss(&t);
            t[i] = theta[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// H v by central differences of the exact gradient along v.
fn fd_hvp(f: &dyn Objective, theta: &[f64], v: &[f64]) -> Vec<f64> {
    let h = 1e-5 / norm(v);
    let plus: Vec<f64> = theta.iter().zip(v).map(|(t, v)| t + h * v).collect();
    let minus: Vec<f64> = theta.iter().zip(v).map(|(t, v)| t - h * v).collect();
    let (mut gp, mut gm) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
    f.gradient(&plus, &mut gp);
    f.gradient(&minus, &mut gm);
    gp.iter().zip(&gm).map(|(a, b)| (a - b) / (2.0 * h)).collect()
}

/// Gradient and Hessian-vector product against finite differences (relative 1e-6) at `theta` along a
/// seeded random direction.
fn check_derivatives(f: &dyn Objective, theta: &[f64], seed: u64, what: &str) {
    let d = f.dim();
    assert_eq!(theta.len(), d, "{what}");
    let mut g = vec![0.0; d];
    f.gradient(theta, &mut g);
    let fd = fd_gradient(f, theta);
    let e = rel_diff(&g, &fd);
    assert!(
        e < 1e-6,
        "{what}: gradient vs central differences, relative error {e:e}"
    );
    assert!(
        norm(&g) > 1e-6,
        "{what}: a vanishing gradient would make the check empty"
    );
    let v = gauss(&mut ChaCha8Rng::seed_from_u64(seed ^ 0xfeed), d, 1.0);
    let mut hv = vec![0.0; d];
    f.hvp(theta, &v, &mut hv);
    let fd = fd_hvp(f, theta, &v);
    let e = rel_diff(&hv, &fd);
    assert!(
        e < 1e-6,
        "{what}: hvp vs differences of the gradient, relative error {e:e}"
    );
}

fn regression_data(seed: u64, n: usize, p: usize, k: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Dataset {
        x: DMatrix::from_vec(n, p, gauss(&mut rng, n * p, 1.0)),
        y: DMatrix::from_vec(n, k, gauss(&mut rng, n * k, 1.0)),
        task: Task::Regression,
    }
}

/// n samples with one-hot labels over k classes (k ≥ 2) or 0/1 labels (k = 1).
fn labelled_data(seed: u64, n: usize, p: usize, k: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = DMatrix::from_vec(n, p, gauss(&mut rng, n * p, 1.0));
    let mut y = DMatrix::zeros(n, k);
    for i in 0..n {
        if k == 1 {
            y[(i, 0)] = (i % 2) as f64;
        } else {
            y[(i, i % k)] = 1.0;
        }
    }
    let task = if k == 1 {
        Task::Binary
    } else {
        Task::Multiclass { classes: k }
    };
    Dataset { x, y, task }
}

// ---------------------------------------------------------------- deep linear

#[test]
fn scalar_deep_linear_net_is_half_s_minus_w2_w1_squared() {
    // Widths 1-1-1 on the one sample (x, y) = (1, s): L = ½(s − w₂w₁)². With r = s − w₂w₁:
    // ∇L = (−r w₂, −r w₁) and H = [[w₂², 2w₁w₂ − s], [2w₁w₂ − s, w₁²]].
    let s = 1.7;
    let data = Dataset {
        x: DMatrix::from_element(1, 1, 1.0),
        y: DMatrix::from_element(1, 1, s),
        task: Task::Regression,
    };
    let net = DeepLinear::new(vec![1, 1, 1], &data).unwrap();
    assert_eq!(net.dim(), 2);
    for &(w1, w2) in &[(0.3, -1.2), (2.0, 0.5), (-0.7, -0.9)] {
        let r = s - w2 * w1;
        assert!((net.loss(&[w1, w2]) - 0.5 * r * r).abs() < 1e-15);
        let mut g = [0.0; 2];
        net.gradient(&[w1, w2], &mut g);
        assert!(
            (g[0] + r * w2).abs() < 1e-15 && (g[1] + r * w1).abs() < 1e-15,
            "{g:?}"
        );
        let (v1, v2) = (0.4, -1.3);
        let mut hv = [0.0; 2];
        net.hvp(&[w1, w2], &[v1, v2], &mut hv);
        let c = 2.0 * w1 * w2 - s;
        assert!((hv[0] - (w2 * w2 * v1 + c * v2)).abs() < 1e-14);
        assert!((hv[1] - (c * v1 + w1 * w1 * v2)).abs() < 1e-14);
        let mut b = [0.0; 2];
        net.conserved(&[w1, w2], &mut b);
        assert!((b[1] - (w2 * w2 - w1 * w1)).abs() < 1e-15 && (b[0] - b[1].abs()).abs() < 1e-15);
    }
    assert_eq!(net.conserved_names(), ["balance_1_fro", "balance_1_trace"]);
}

#[test]
fn deep_linear_derivatives_match_finite_differences() {
    let data = regression_data(1, 9, 3, 2);
    let net = DeepLinear::new(vec![3, 4, 5, 2], &data).unwrap();
    for seed in 0..3 {
        let theta = net.init(&FactorInit {
            scale: 1.0,
            seed,
            balanced: false,
        });
        check_derivatives(&net, &theta, seed, "deep_linear 3-4-5-2");
    }
    // Saxe's whitened setting: X = I, targets the columns of M, so L = (1/2p)‖W₂W₁ − M‖².
    let m = DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 0.5, 0.3, 0.0, 4.0]);
    let net = DeepLinear::whitened(vec![3, 2, 2], &m).unwrap();
    let theta = net.init(&FactorInit {
        scale: 0.8,
        seed: 7,
        balanced: false,
    });
    let p = net.product(&theta);
    assert!((net.loss(&theta) - (&p - &m).norm_squared() / 6.0).abs() < 1e-14);
    check_derivatives(&net, &theta, 7, "deep_linear whitened");
}

#[test]
fn deep_linear_rejects_widths_that_do_not_fit_the_data() {
    let data = regression_data(1, 4, 3, 2);
    let err = DeepLinear::new(vec![2, 4, 2], &data).err().unwrap();
    assert!(err.contains("first width must be 3"), "{err}");
    assert!(DeepLinear::new(vec![3], &data).is_err());
    assert!(DeepLinear::new(vec![3, 0, 2], &data).is_err());
}

#[test]
fn balanced_initialisation_is_balanced_and_product_keeps_its_scale() {
    let data = regression_data(2, 6, 4, 3);
    let net = DeepLinear::new(vec![4, 5, 6, 3], &data).unwrap();
    let theta = net.init(&FactorInit {
        scale: 1.0,
        seed: 3,
        balanced: true,
    });
    let mut b = vec![0.0; 4];
    net.conserved(&theta, &mut b);
    assert!(b.iter().all(|x| x.abs() < 1e-13), "balance {b:?}");
    // The product is the best rank-3 (= full rank) approximation of a 3×4 Gaussian with entries of
    // variance 1/4: its squared Frobenius norm has mean 3 (generous bounds for one draw).
    let p = net.product(&theta).norm_squared();
    assert!(p > 0.3 && p < 30.0, "‖P‖² = {p}");
    let unbalanced = net.init(&FactorInit {
        scale: 1.0,
        seed: 3,
        balanced: false,
    });
    net.conserved(&unbalanced, &mut b);
    assert!(b[0] > 0.1, "a Gaussian init is not balanced: {b:?}");
}

#[test]
fn small_initialisation_scales_the_factors() {
    // Entries N(0, scale²/fan_in): 200×100 weights estimate the standard deviation to about 0.5%.
    let data = regression_data(3, 2, 100, 1);
    let net = DeepLinear::new(vec![100, 200, 1], &data).unwrap();
    for scale in [1.0, 1e-3] {
        let theta = net.init(&FactorInit {
            scale,
            seed: 11,
            balanced: false,
        });
        let w1 = &theta[..20_000];
        let std = (w1.iter().map(|x| x * x).sum::<f64>() / w1.len() as f64).sqrt();
        let want = scale / 10.0;
        assert!((std / want - 1.0).abs() < 0.03, "std {std:e}, want {want:e}");
    }
}

#[test]
fn gradient_flow_conserves_balancedness_on_the_scalar_net() {
    let s = 2.0;
    let data = Dataset {
        x: DMatrix::from_element(1, 1, 1.0),
        y: DMatrix::from_element(1, 1, s),
        task: Task::Regression,
    };
    let net = DeepLinear::new(vec![1, 1, 1], &data).unwrap();
    let theta0 = [0.3, 1.4];
    let grid = TimeGrid::new(0.05, 200, 1);
    let settings = SolverSettings::dop853(1e-10, 1e-12);
    let flow = solve(
        &GradientFlow { objective: &net },
        &net,
        &theta0,
        &grid,
        &settings,
        1e10,
    );
    assert_eq!(flow.termination, Termination::Completed);
    let b0 = flow.conserved_at(0)[1];
    assert!((b0 - (1.4f64 * 1.4 - 0.3 * 0.3)).abs() < 1e-15);
    let drift = (0..flow.len())
        .map(|i| (flow.conserved_at(i)[1] - b0).abs())
        .fold(0.0, f64::max);
    assert!(drift < 1e-8, "gradient flow moved w₂² − w₁² by {drift:e}");
    assert!(flow.final_loss() < 1e-6, "the flow should reach the fit w₁w₂ = s");

    // GD: with r = s − w₁w₂ the step is w₁ ← w₁ + η r w₂, w₂ ← w₂ + η r w₁, so
    // w₂'² − w₁'² = w₂² + 2ηr w₁w₂ + η²r²w₁² − w₁² − 2ηr w₁w₂ − η²r²w₂² = (w₂² − w₁²)(1 − η²r²):
    // each step changes the balance by exactly −η²r²(w₂² − w₁²).
    let gd = gradient_descent(&net, &theta0, &grid, 1e10);
    let eta = grid.step_size;
    let mut total = 0.0;
    for k in 0..gd.len() - 1 {
        let (w1, w2) = (gd.state(k)[0], gd.state(k)[1]);
        let r = s - w1 * w2;
        let (b, b_next) = (gd.conserved_at(k)[1], gd.conserved_at(k + 1)[1]);
        let predicted = -eta * eta * r * r * b;
        assert!(
            (b_next - b - predicted).abs() < 1e-14,
            "step {k}: change {:e}, predicted {predicted:e}",
            b_next - b
        );
        total += b_next - b;
    }
    assert!(
        total.abs() > 1e-3,
        "GD should move the balance visibly, moved {total:e}"
    );
}

#[test]
fn gradient_flow_conserves_every_balance_of_a_deep_net_and_gd_moves_it_by_eta_squared() {
    let data = regression_data(5, 8, 3, 2);
    let net = DeepLinear::new(vec![3, 4, 4, 2], &data).unwrap();
    let theta0 = net.init(&FactorInit {
        scale: 1.0,
        seed: 5,
        balanced: false,
    });
    let grid = TimeGrid::new(0.02, 100, 5);
    let settings = SolverSettings::dop853(1e-10, 1e-12);
    let flow = solve(
        &GradientFlow { objective: &net },
        &net,
        &theta0,
        &grid,
        &settings,
        1e10,
    );
    assert_eq!(flow.termination, Termination::Completed);
    assert!(
        flow.final_loss() < 0.9 * flow.losses[0],
        "the flow should learn something"
    );
    for q in 0..4 {
        let b0 = flow.conserved_at(0)[q];
        let drift = (0..flow.len())
            .map(|i| (flow.conserved_at(i)[q] - b0).abs())
            .fold(0.0, f64::max);
        assert!(drift < 1e-8, "{}: drift {drift:e}", flow.conserved_names[q]);
    }
    // One GD step θ' = θ − ηg changes W_{l+1}ᵀW_{l+1} − W_lW_lᵀ by η²(G_{l+1}ᵀG_{l+1} − G_lG_lᵀ): the
    // first-order terms cancel because W_{l+1}ᵀG_{l+1} = S_lᵀ G A_lᵀ = G_l W_lᵀ. Its trace moves by
    // η²(‖G_{l+1}‖² − ‖G_l‖²).
    let eta = 0.05;
    let mut theta = theta0.clone();
    let mut g = vec![0.0; net.dim()];
    let (mut before, mut after) = (vec![0.0; 4], vec![0.0; 4]);
    let sizes = [3 * 4, 4 * 4, 4 * 2];
    for _ in 0..5 {
        net.gradient(&theta, &mut g);
        net.conserved(&theta, &mut before);
        let sq: Vec<f64> = [0, 12, 28]
            .iter()
            .zip(sizes)
            .map(|(&o, n)| g[o..o + n].iter().map(|x| x * x).sum())
            .collect();
        theta.iter_mut().zip(&g).for_each(|(t, g)| *t -= eta * g);
        net.conserved(&theta, &mut after);
        for l in 0..2 {
            let predicted = eta * eta * (sq[l + 1] - sq[l]);
            let change = after[2 * l + 1] - before[2 * l + 1];
            assert!(
                (change - predicted).abs() < 1e-12 * (1.0 + before[2 * l + 1].abs()),
                "layer {}: change {change:e}, predicted {predicted:e}",
                l + 1
            );
            assert!(predicted.abs() > 1e-6, "the check needs a visible change");
        }
    }
}

// ---------------------------------------------------------------- mlp

fn mlp(
    widths: &[usize],
    act: Activation,
    loss: MlpLoss,
    bias: bool,
    par: Parameterization,
    data: &Dataset,
) -> Mlp {
    let config = MlpConfig {
        widths: widths.to_vec(),
        activation: act,
        loss,
        bias,
        parameterization: par,
    };
    Mlp::new(config, data).unwrap()
}

#[test]
fn tiny_tanh_network_by_hand() {
    // x = (1, 2), W₁ = [[0.3, −0.1], [0.2, 0.4]], b₁ = (0.05, −0.1), W₂ = (0.7, −0.5), b₂ = 0.2, y = 0.5.
    // z = W₁x + b₁ = (0.3 − 0.2 + 0.05, 0.2 + 0.8 − 0.1) = (0.15, 0.9); h = tanh z
    //   = (0.14888503362331793, 0.7162978701990245);
    // f = 0.7·h₁ − 0.5·h₂ + 0.2 = −0.0539294115631897; r = f − y = −0.5539294115631896;
    // L = ½r² = 0.15341889649737075 (n = 1).
    // ∂L/∂W₂ = r·h, ∂L/∂b₂ = r, ∂L/∂b₁_j = r·W₂_j·(1 − h_j²), ∂L/∂W₁_jk = ∂L/∂b₁_j · x_k.
    let data = Dataset {
        x: DMatrix::from_row_slice(1, 2, &[1.0, 2.0]),
        y: DMatrix::from_element(1, 1, 0.5),
        task: Task::Regression,
    };
    let net = mlp(
        &[2, 2, 1],
        Activation::Tanh,
        MlpLoss::Mse,
        true,
        Parameterization::Standard,
        &data,
    );
    // Layout: W₁ row by row, b₁, W₂, b₂.
    let theta = [0.3, -0.1, 0.2, 0.4, 0.05, -0.1, 0.7, -0.5, 0.2];
    assert_eq!(net.dim(), 9);
    assert!((net.loss(&theta) - 0.153_418_896_497_370_75).abs() < 1e-15);
    let (h1, h2) = (0.15f64.tanh(), 0.9f64.tanh());
    let r = 0.7 * h1 - 0.5 * h2 + 0.2 - 0.5;
    let db1 = [r * 0.7 * (1.0 - h1 * h1), r * -0.5 * (1.0 - h2 * h2)];
    let want = [
        db1[0],
        2.0 * db1[0],
        db1[1],
        2.0 * db1[1],
        db1[0],
        db1[1],
        r * h1,
        r * h2,
        r,
    ];
    let mut g = [0.0; 9];
    net.gradient(&theta, &mut g);
    for i in 0..9 {
        assert!(
            (g[i] - want[i]).abs() < 1e-15,
            "∂L/∂θ_{i}: {} vs {}",
            g[i],
            want[i]
        );
    }
    // The same numbers, written out in decimals: ∂L/∂W₁₁ = −0.3791554164904398, ∂L/∂W₂₂ = −0.3967784577433116.
    assert!((g[0] + 0.379_155_416_490_439_8).abs() < 1e-15 && (g[7] + 0.396_778_457_743_311_6).abs() < 1e-15);
}

#[test]
fn mlp_derivatives_match_finite_differences_for_every_activation_loss_and_bias() {
    let acts = [
        Activation::Tanh,
        Activation::Relu,
        Activation::Gelu,
        Activation::Sigmoid,
        Activation::Identity,
    ];
    let mut case = 0u64;
    for act in acts {
        for (loss, k) in [
            (MlpLoss::Mse, 2),
            (MlpLoss::CrossEntropy, 3),
            (MlpLoss::CrossEntropy, 1),
        ] {
            for bias in [false, true] {
                case += 1;
                let data = if loss == MlpLoss::Mse {
                    regression_data(case, 7, 3, k)
                } else {
                    labelled_data(case, 7, 3, k)
                };
                // Two hidden layers, so the R-pass's hidden-to-hidden terms are exercised.
                let net = mlp(&[3, 4, 3, k], act, loss, bias, Parameterization::Standard, &data);
                let mut theta = net.init(1.0, case);
                if bias {
                    // Biases start at 0; move them so their derivatives are checked at a generic point.
                    let mut rng = ChaCha8Rng::seed_from_u64(case + 100);
                    for l in 0..net.layers() {
                        let (_, Some(b)) = net.offsets(l) else {
                            unreachable!()
                        };
                        let h = [4, 3, k][l];
                        theta[b..b + h].copy_from_slice(&gauss(&mut rng, h, 0.3));
                    }
                }
                let what = format!("mlp {act:?} {loss:?} k={k} bias={bias}");
                check_derivatives(&net, &theta, case, &what);
            }
        }
    }
}

#[test]
fn ntk_and_mean_field_derivatives_match_finite_differences() {
    let data = regression_data(40, 6, 3, 1);
    for par in [Parameterization::Ntk, Parameterization::MeanField] {
        let net = mlp(&[3, 5, 4, 1], Activation::Tanh, MlpLoss::Mse, true, par, &data);
        let theta = net.init(1.0, 9);
        check_derivatives(&net, &theta, 9, &format!("{par:?}"));
    }
}

#[test]
fn parameterisations_are_reparameterisations_of_the_standard_network() {
    // The ntk network at θ computes what the standard network computes with W_l/√fan_in; mean_field
    // likewise, but W_L/fan_in in the output layer. Biases are not scaled.
    let data = regression_data(41, 5, 4, 2);
    let widths = [4, 6, 3, 2];
    let std_net = mlp(
        &widths,
        Activation::Gelu,
        MlpLoss::Mse,
        true,
        Parameterization::Standard,
        &data,
    );
    let theta: Vec<f64> = gauss(&mut ChaCha8Rng::seed_from_u64(8), std_net.dim(), 1.0);
    for (par, last) in [
        (Parameterization::Ntk, 1.0 / 3f64.sqrt()),
        (Parameterization::MeanField, 1.0 / 3.0),
    ] {
        let net = mlp(&widths, Activation::Gelu, MlpLoss::Mse, true, par, &data);
        let mut scaled = theta.clone();
        for l in 0..3 {
            let (w, _) = net.offsets(l);
            let factor = if l == 2 {
                last
            } else {
                1.0 / (widths[l] as f64).sqrt()
            };
            scaled[w..w + widths[l] * widths[l + 1]]
                .iter_mut()
                .for_each(|x| *x *= factor);
        }
        let (a, b) = (net.loss(&theta), std_net.loss(&scaled));
        assert!((a - b).abs() < 1e-13 * b, "{par:?}: {a} vs {b}");
    }
}

#[test]
fn cross_entropy_matches_its_definition() {
    // Softmax: ℓ_i = log Σ_c e^{z_ic} − z_i,label; logistic: ℓ_i = log(1 + e^{z_i}) − y_i z_i. A network with
    // one identity layer and no bias outputs z = W x, computed here directly.
    let data = labelled_data(50, 4, 2, 3);
    let net = mlp(
        &[2, 3],
        Activation::Identity,
        MlpLoss::CrossEntropy,
        false,
        Parameterization::Standard,
        &data,
    );
    let theta = [0.5, -1.0, 2.0, 0.3, -0.7, 1.1];
    let w = DMatrix::from_row_slice(3, 2, &theta);
    let mut want = 0.0;
    for i in 0..4 {
        let z = &w * data.x.row(i).transpose();
        let lse = z.iter().map(|v| v.exp()).sum::<f64>().ln();
        want += lse - z[i % 3];
    }
    assert!((net.loss(&theta) - want / 4.0).abs() < 1e-14);
    let data = labelled_data(51, 4, 2, 1);
    let net = mlp(
        &[2, 1],
        Activation::Identity,
        MlpLoss::CrossEntropy,
        false,
        Parameterization::Standard,
        &data,
    );
    let mut want = 0.0;
    for i in 0..4 {
        let z = 3.0 * data.x[(i, 0)] - 2.0 * data.x[(i, 1)];
        want += (1.0 + z.exp()).ln() - data.y[(i, 0)] * z;
    }
    assert!((net.loss(&[3.0, -2.0]) - want / 4.0).abs() < 1e-14);
}

#[test]
fn minibatch_gradients_are_full_gradients_of_the_selected_rows() {
    // The minibatch gradient over rows B (indices may repeat) equals the full gradient of the same
    // network built on exactly those rows.
    let data = labelled_data(60, 9, 3, 3);
    let net = mlp(
        &[3, 5, 3],
        Activation::Tanh,
        MlpLoss::CrossEntropy,
        true,
        Parameterization::Standard,
        &data,
    );
    let theta = gauss(&mut ChaCha8Rng::seed_from_u64(61), net.dim(), 0.7);
    let fs = net.as_finite_sum().expect("an mlp is a finite sum");
    assert_eq!(fs.num_samples(), 9);
    for batch in [vec![4usize, 0, 7], vec![2, 2, 8, 1, 5, 5, 5, 0, 3, 6, 6, 6]] {
        let sub = Dataset {
            x: DMatrix::from_fn(batch.len(), 3, |i, j| data.x[(batch[i], j)]),
            y: DMatrix::from_fn(batch.len(), 3, |i, j| data.y[(batch[i], j)]),
            task: data.task.clone(),
        };
        let reference = mlp(
            &[3, 5, 3],
            Activation::Tanh,
            MlpLoss::CrossEntropy,
            true,
            Parameterization::Standard,
            &sub,
        );
        let mut g = vec![0.0; net.dim()];
        let mut want = vec![0.0; net.dim()];
        let loss = fs.batch_loss_gradient(&theta, &batch, &mut g);
        reference.gradient(&theta, &mut want);
        assert!((loss - reference.loss(&theta)).abs() < 1e-14);
        assert!(rel_diff(&g, &want) < 1e-13);
    }
    // And the full gradient is unchanged by the minibatch calls in between (the workspace is reused).
    let all: Vec<usize> = (0..9).collect();
    let (mut a, mut b) = (vec![0.0; net.dim()], vec![0.0; net.dim()]);
    fs.batch_loss_gradient(&theta, &all, &mut a);
    net.gradient(&theta, &mut b);
    assert!(rel_diff(&a, &b) < 1e-14);
}

#[test]
fn relu_network_balancedness_is_conserved_by_gradient_flow() {
    let data = regression_data(70, 10, 2, 1);
    let net = mlp(
        &[2, 6, 5, 1],
        Activation::Relu,
        MlpLoss::Mse,
        true,
        Parameterization::Standard,
        &data,
    );
    assert_eq!(
        net.conserved_names(),
        [
            "balance_1_trace",
            "balance_1_nodes",
            "balance_2_trace",
            "balance_2_nodes"
        ]
    );
    let mut theta0 = net.init(1.0, 71);
    theta0[net.offsets(0).1.unwrap()] = 0.4; // a nonzero bias, whose square counts as an incoming weight
    let grid = TimeGrid::new(0.05, 40, 4);
    let settings = SolverSettings::dop853(1e-10, 1e-12);
    let flow = solve(
        &GradientFlow { objective: &net },
        &net,
        &theta0,
        &grid,
        &settings,
        1e10,
    );
    assert_eq!(flow.termination, Termination::Completed);
    assert!(flow.final_loss() < 0.95 * flow.losses[0]);
    for q in 0..4 {
        let b0 = flow.conserved_at(0)[q];
        let drift = (0..flow.len())
            .map(|i| (flow.conserved_at(i)[q] - b0).abs())
            .fold(0.0, f64::max);
        assert!(drift < 1e-7, "{}: drift {drift:e}", flow.conserved_names[q]);
    }
    let gd = gradient_descent(&net, &theta0, &grid, 1e10);
    let moved = (gd.conserved_at(gd.len() - 1)[0] - gd.conserved_at(0)[0]).abs();
    assert!(moved > 1e-6, "GD should move the balance, moved {moved:e}");
    let tanh = mlp(
        &[2, 3, 1],
        Activation::Tanh,
        MlpLoss::Mse,
        false,
        Parameterization::Standard,
        &data,
    );
    assert!(
        tanh.conserved_names().is_empty(),
        "tanh is not homogeneous: nothing is conserved"
    );
}

#[test]
fn mlp_rejects_inconsistent_settings() {
    let data = regression_data(80, 4, 3, 1);
    let config = |widths: Vec<usize>, loss| MlpConfig {
        widths,
        activation: Activation::Tanh,
        loss,
        bias: true,
        parameterization: Parameterization::Standard,
    };
    assert!(Mlp::new(config(vec![2, 4, 1], MlpLoss::Mse), &data)
        .err()
        .unwrap()
        .contains("first width"));
    assert!(Mlp::new(config(vec![3], MlpLoss::Mse), &data).is_err());
    // Regression targets are Gaussian: some lie outside [0, 1].
    assert!(Mlp::new(config(vec![3, 4, 1], MlpLoss::CrossEntropy), &data)
        .err()
        .unwrap()
        .contains("[0, 1]"));
}

// ---------------------------------------------------------------- matrix factorisation and sensing

#[test]
fn matrix_factorization_is_half_the_squared_distance_of_the_product() {
    let m = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, -1.0, 0.5, 0.0, 3.0]);
    let mf = MatrixFactorization::new(vec![2, 4, 4, 3], m.clone()).unwrap();
    let theta = mf.init(&FactorInit {
        scale: 1.0,
        seed: 1,
        balanced: false,
    });
    // P = W₃W₂W₁ multiplied out here from the row-major layout.
    let w1 = DMatrix::from_row_slice(4, 2, &theta[0..8]);
    let w2 = DMatrix::from_row_slice(4, 4, &theta[8..24]);
    let w3 = DMatrix::from_row_slice(3, 4, &theta[24..36]);
    let p = &w3 * &w2 * &w1;
    assert!((mf.loss(&theta) - 0.5 * (&p - &m).norm_squared()).abs() < 1e-13);
    check_derivatives(&mf, &theta, 1, "matrix_factorization depth 3");
    let balanced = mf.init(&FactorInit {
        scale: 1.0,
        seed: 2,
        balanced: true,
    });
    check_derivatives(&mf, &balanced, 2, "matrix_factorization balanced");
    // Depth 1 is plain least squares: ∇L = W − M, H = I.
    let flat = MatrixFactorization::new(vec![2, 3], m.clone()).unwrap();
    let w = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let mut g = [0.0; 6];
    flat.gradient(&w, &mut g);
    let want: Vec<f64> = w.iter().zip(m.transpose().iter()).map(|(a, b)| a - b).collect();
    assert!(rel_diff(&g, &want) < 1e-15);
    assert!(flat.conserved_names().is_empty());
}

#[test]
fn matrix_sensing_measures_the_ground_truth_and_has_exact_derivatives() {
    let truth = DMatrix::from_row_slice(3, 3, &[1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 2.0, 0.0, 4.0]);
    let ms = MatrixSensing::new(vec![3, 3, 3, 3], truth.clone(), 12, 5).unwrap();
    let sensing = ms.factor_loss();
    for i in [0, 5, 11] {
        let a = sensing.measurement(i);
        assert!((sensing.values()[i] - a.component_mul(&truth).sum()).abs() < 1e-13);
    }
    // Balanced factors with product equal to the truth fit every measurement: W_l = diag(1, 1, 1) except
    // W₁ = truth (any factorisation will do).
    let mut theta = vec![0.0; 27];
    theta[..9].copy_from_slice(&[1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 2.0, 0.0, 4.0]);
    for l in 1..3 {
        for j in 0..3 {
            theta[9 * l + 4 * j] = 1.0;
        }
    }
    assert!(ms.loss(&theta) < 1e-28);
    let theta = ms.init(&FactorInit {
        scale: 1.0,
        seed: 6,
        balanced: false,
    });
    check_derivatives(&ms, &theta, 6, "matrix_sensing depth 3");
    // The same seed draws the same measurements.
    let again = MatrixSensing::new(vec![3, 3, 3, 3], truth, 12, 5).unwrap();
    assert_eq!(again.factor_loss().values(), sensing.values());
}

// ---------------------------------------------------------------- scenario files

fn scenario(objective: &str, init: &str) -> String {
    format!(
        "name = \"nets\"\n\n[objective]\n{objective}\n\n[init]\npoint = {init}\n\n[run]\nstep_size = 0.01\nsteps = 10\n\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n"
    )
}

#[test]
fn network_kinds_load_from_scenario_files() {
    use flowgap::scenario::parse;
    use std::path::Path;
    // deep_linear with an inline whitened target: L = (1/2p)‖W₂W₁ − M‖² with p = 2. At W₁ = W₂ = I and
    // M = [[2, 0], [0, −1]]: I − M = [[−1, 0], [0, 2]], so L = ¼(1 + 4) = 1.25.
    let src = scenario(
        "kind = \"deep_linear\"\nwidths = [2, 2, 2]\ntarget = [[2.0, 0.0], [0.0, -1.0]]",
        "[1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]",
    );
    let s = parse(&src, Path::new("dl.toml")).unwrap();
    assert_eq!(s.experiment.objective.dim(), 8);
    assert!((s.experiment.objective.loss(&s.experiment.init) - 1.25).abs() < 1e-15);
    assert_eq!(
        s.experiment.objective.conserved_names(),
        ["balance_1_fro", "balance_1_trace"]
    );

    let src = scenario(
        "kind = \"matrix_factorization\"\nwidths = [2, 1, 2]\ntarget = [[1.0, 2.0], [3.0, 4.0]]",
        "[1.0, 1.0, 1.0, 2.0]",
    );
    // W₂W₁ = [1, 2]ᵀ[1, 1] = [[1, 1], [2, 2]]; ½‖· − M‖² = ½(0 + 1 + 1 + 4) = 3.
    let s = parse(&src, Path::new("mf.toml")).unwrap();
    assert!((s.experiment.objective.loss(&s.experiment.init) - 3.0).abs() < 1e-15);

    let src = scenario(
        "kind = \"matrix_sensing\"\nwidths = [2, 2]\nground_truth = [[1.0, 0.0], [0.0, 1.0]]\nmeasurements = 5\nseed = 3",
        "[1.0, 0.0, 0.0, 1.0]",
    );
    let s = parse(&src, Path::new("ms.toml")).unwrap();
    assert!(
        s.experiment.objective.loss(&s.experiment.init) < 1e-30,
        "the truth fits its own measurements"
    );
}

#[test]
fn bad_network_keys_are_refused_with_their_line() {
    use flowgap::scenario::parse;
    use std::path::Path;
    let cases = [
        // (objective table, init, the line of the fault, text the message must contain)
        (
            "kind = \"matrix_factorization\"\nwidths = [3, 2]\ntarget = [[1.0, 2.0]]",
            "[0.0]",
            5,
            "first width must be 2",
        ),
        (
            "kind = \"matrix_factorization\"\nwidths = [2, 2]\ntarget = [[1.0, 2.0], [3.0]]",
            "[0.0]",
            6,
            "equal length",
        ),
        (
            "kind = \"deep_linear\"\nwidths = [2, 0, 1]\ntarget = [[1.0, 2.0]]",
            "[0.0]",
            5,
            "from 1 to",
        ),
        (
            "kind = \"deep_linear\"\nwidths = [2, 1]",
            "[0.0]",
            4,
            "needs data",
        ),
        (
            "kind = \"deep_linear\"\nwidths = [2, 1]\ntarget = [[1.0, 2.0]]\ndepth = 3",
            "[0.0]",
            7,
            "depth",
        ),
        (
            "kind = \"matrix_sensing\"\nwidths = [1, 1]\nground_truth = [[1.0]]\nmeasurements = 0",
            "[0.0]",
            7,
            "measurements",
        ),
    ];
    for (objective, init, line, text) in cases {
        let err = parse(&scenario(objective, init), Path::new("bad.toml"))
            .err()
            .expect(objective)
            .to_string();
        assert!(
            err.starts_with(&format!("bad.toml:{line}:")),
            "{objective}: {err}"
        );
        assert!(err.contains(text), "{objective}: {err}");
    }
}

#[test]
fn the_saxe_scenario_learns_the_larger_mode_first_and_its_flow_keeps_the_balance() {
    // Runs the named scenario's methods (without the figure writer): the flow's loss ends near 0, the
    // larger target mode (3) is learned before the smaller (1), and balance_1_trace stays constant.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/deep_linear_saxe.toml");
    let report = (flowgap::scenario::load(&path).unwrap()).experiment.run();
    let flow = &report.method("flow").unwrap().trajectory;
    assert_eq!(flow.termination, Termination::Completed);
    assert!(flow.final_loss() < 1e-8, "final loss {}", flow.final_loss());
    let b0 = flow.conserved_at(0)[1];
    let drift = (0..flow.len())
        .map(|i| (flow.conserved_at(i)[1] - b0).abs())
        .fold(0.0, f64::max);
    assert!(drift < 1e-8, "drift {drift:e}");
    // P = W2 W1: its (0,0) entry reaches 3 before its (1,1) entry reaches 1 (each to within 10%).
    let product = |i: usize| {
        let t = flow.state(i);
        let (w1, w2) = (
            DMatrix::from_row_slice(2, 2, &t[..4]),
            DMatrix::from_row_slice(2, 2, &t[4..]),
        );
        w2 * w1
    };
    let first = |f: &dyn Fn(&DMatrix<f64>) -> bool| (0..flow.len()).find(|&i| f(&product(i))).unwrap();
    let big = first(&|p| p[(0, 0)] > 2.7);
    let small = first(&|p| p[(1, 1)] > 0.9);
    assert!(big < small, "mode 3 learned at point {big}, mode 1 at {small}");
}

/// Batches longer than one chunk (512 samples) are evaluated chunk by chunk and summed: with 1100
/// samples (chunks of 512, 512, 76) the gradient and Hessian-vector product still match finite
/// differences, for every loss (softmax targets exercise the strided target columns), and a minibatch of
/// 1100 rows drawn with repeats gives the gradient of the dataset those rows make up.
#[test]
fn mlp_derivatives_hold_across_several_sample_chunks() {
    let n = 1100;
    for (loss, k, data) in [
        (MlpLoss::Mse, 2, regression_data(31, n, 4, 2)),
        (MlpLoss::CrossEntropy, 3, labelled_data(32, n, 4, 3)),
        (MlpLoss::CrossEntropy, 1, labelled_data(33, n, 4, 1)),
    ] {
        let net = mlp(
            &[4, 6, 5, k],
            Activation::Tanh,
            loss,
            true,
            Parameterization::Standard,
            &data,
        );
        let theta = net.init(1.0, 5);
        check_derivatives(&net, &theta, 7, &format!("{loss:?} k={k}, 1100 samples"));

        let rows: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % n).collect();
        let picked = Dataset {
            x: DMatrix::from_fn(n, 4, |i, j| data.x[(rows[i], j)]),
            y: DMatrix::from_fn(n, k, |i, j| data.y[(rows[i], j)]),
            task: data.task.clone(),
        };
        let same = mlp(
            &[4, 6, 5, k],
            Activation::Tanh,
            loss,
            true,
            Parameterization::Standard,
            &picked,
        );
        let (mut a, mut b) = (vec![0.0; net.dim()], vec![0.0; net.dim()]);
        let la = net
            .as_finite_sum()
            .unwrap()
            .batch_loss_gradient(&theta, &rows, &mut a);
        same.gradient(&theta, &mut b);
        assert_eq!(la.to_bits(), same.loss(&theta).to_bits(), "{loss:?}");
        assert_eq!(
            a, b,
            "{loss:?}: a gathered minibatch is summed like the dataset it forms"
        );
    }
}

/// The chunks are fixed (never sized by the thread count) and summed in chunk order, so the loss,
/// gradient and Hessian-vector product are the same bits on one thread and on several, and from run to
/// run.
#[test]
fn mlp_results_do_not_depend_on_the_thread_count() {
    let data = regression_data(41, 2100, 20, 1);
    let net = mlp(
        &[20, 50, 1],
        Activation::Tanh,
        MlpLoss::Mse,
        true,
        Parameterization::Standard,
        &data,
    );
    let theta = net.init(1.0, 1);
    let v = net.init(1.0, 2);
    let eval = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let (mut g, mut hv) = (vec![0.0; net.dim()], vec![0.0; net.dim()]);
            net.gradient(&theta, &mut g);
            net.hvp(&theta, &v, &mut hv);
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
            (net.loss(&theta).to_bits(), bits(&g), bits(&hv))
        })
    };
    let one = eval(1);
    for threads in [2, 3, 4] {
        assert!(eval(threads) == one, "{threads} threads differ from 1");
    }
    assert!(eval(2) == one, "a second run on 2 threads differs");
    // Nested inside an outer parallel loop (a sweep over runs sharing one objective): no deadlock, and
    // the calls that find the workspace busy build their own and still give the same bits.
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let nested: Vec<Vec<u64>> = pool.install(|| {
        (0..6)
            .into_par_iter()
            .map(|_| {
                let mut g = vec![0.0; net.dim()];
                net.gradient(&theta, &mut g);
                g.iter().map(|v| v.to_bits()).collect()
            })
            .collect()
    });
    assert!(nested.iter().all(|g| *g == one.1), "nested calls differ");
}
