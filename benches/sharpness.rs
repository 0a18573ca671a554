//! The cost of tracking sharpness against the cost of training: 100 GD steps on the mlp of
//! benches/mlp.rs (1000 samples × 20 inputs × 50 tanh units × 1 output, d = 1101), against λ_1 every
//! 10 steps of that run (11 spectra: steps 0, 10, …, 100) by Lanczos warm-started from the previous top
//! eigenvector (top_k = 1, at most 4 Hessian-vector products per point, relative residual 1e-3, λ_min
//! not converged). Run: `cargo bench --bench sharpness`.

use criterion::{criterion_group, criterion_main, Criterion};
use flowgap::data::{Dataset, Task};
use flowgap::diagnostics::sharpness::{Eigensolver, SharpnessSettings};
use flowgap::objective::activation::Activation;
use flowgap::objective::{Mlp, MlpConfig, MlpLoss, Objective, Parameterization};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;

const STEPS: usize = 100;
const EVERY: usize = 10;
const ETA: f64 = 0.05;

fn gaussian(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.sample::<f64, _>(StandardNormal))
}

fn sharpness(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let data = Dataset {
        x: gaussian(&mut rng, 1000, 20),
        y: gaussian(&mut rng, 1000, 1),
        task: Task::Regression,
    };
    let config = MlpConfig {
        widths: vec![20, 50, 1],
        activation: Activation::Tanh,
        loss: MlpLoss::Mse,
        bias: true,
        parameterization: Parameterization::Standard,
    };
    let net = Mlp::new(config, &data).expect("valid network");
    let theta0 = net.init(1.0, 2);
    let d = net.dim();
    // The training run, recording the points the tracker visits.
    let train = |theta: &mut Vec<f64>, grad: &mut Vec<f64>, keep: Option<&mut Vec<Vec<f64>>>| {
        let mut keep = keep;
        for k in 0..=STEPS {
            if k % EVERY == 0 {
                if let Some(kept) = keep.as_deref_mut() {
                    kept.push(theta.clone());
                }
            }
            if k == STEPS {
                break;
            }
            net.gradient(theta, grad);
            for (t, g) in theta.iter_mut().zip(grad.iter()) {
                *t -= ETA * g;
            }
        }
    };
    let mut points = Vec::new();
    let (mut theta, mut grad) = (theta0.clone(), vec![0.0; d]);
    train(&mut theta, &mut grad, Some(&mut points));
    let settings = SharpnessSettings {
        top_k: 1,
        every: 1,
        exact_max_dim: 0,
        lanczos_iterations: 4,
        lanczos_tolerance: 1e-3,
        lambda_min: false,
    };
    // Report the tracked values once against a converged Lanczos, so the figure below is honest.
    let mut tight = Eigensolver::new(
        d,
        SharpnessSettings {
            lanczos_iterations: 200,
            lanczos_tolerance: 1e-10,
            ..settings
        },
    );
    let mut cheap = Eigensolver::new(d, settings);
    let mut worst: f64 = 0.0;
    let mut hvps = 0;
    for p in &points {
        let a = tight.spectrum(&net, p).top[0];
        let s = cheap.spectrum(&net, p);
        hvps += s.hvps;
        worst = worst.max(((s.top[0] - a) / a).abs());
    }
    eprintln!(
        "tracking: {} points, {hvps} Hessian-vector products, worst relative error of λ_1 {worst:.1e}",
        points.len()
    );

    let mut group = c.benchmark_group("sharpness_mlp_1000x20x50x1_tanh");
    group.sample_size(10);
    group.bench_function("train_100_gd_steps", |b| {
        b.iter(|| {
            let (mut theta, mut grad) = (theta0.clone(), vec![0.0; d]);
            train(&mut theta, &mut grad, None);
            black_box(theta)
        })
    });
    group.bench_function("track_lambda_1_every_10_steps", |b| {
        b.iter(|| {
            let mut solver = Eigensolver::new(d, settings);
            let mut total = 0.0;
            for p in &points {
                total += solver.spectrum(&net, black_box(p)).top[0];
            }
            black_box(total)
        })
    });
    group.finish();
}

criterion_group!(benches, sharpness);
criterion_main!(benches);
