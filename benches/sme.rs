//! SME ensembles of 1000 paths, Euler–Maruyama at dt = η/16 (the default), in paths per second
//! (criterion's "elem/s"):
//! - 2-D noisy quadratic diag(4, 1), Σ = I, η = 0.1, 100 steps (t_end = 10): 1600 substeps per path;
//! - the mlp of benches/mlp.rs (1000 samples × 20 inputs × 50 tanh units × 1 output, d = 1101) as a finite
//!   sum, batch 32 with replacement. Each substep takes the n = 1000 per-sample gradients (for the
//!   noise Σ^{1/2}ξ = n^{−1/2} Σ z_i (g_i − ḡ)), so the horizon is shortened to ONE step of η with
//!   2 substeps (order 1) to keep a benchmark iteration near seconds.
//!
//! Run: `cargo bench --bench sme`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgap::data::{Dataset, Sampling, Task};
use flowgap::objective::activation::Activation;
use flowgap::objective::{Mlp, MlpConfig, MlpLoss, NoisyQuadratic, Parameterization, Quadratic};
use flowgap::stochastic::{run_sme, Minibatch, SmeOrder, SmeSettings, Source};
use flowgap::TimeGrid;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;
use std::time::Duration;

const PATHS: usize = 1000;

fn gaussian(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.sample::<f64, _>(StandardNormal))
}

fn settings(substeps: u32, order: SmeOrder, batch_size: usize) -> SmeSettings {
    SmeSettings {
        minibatch: Minibatch {
            batch_size,
            sampling: Sampling::WithReplacement,
        },
        order,
        substeps,
        seed: 1,
        paths: PATHS,
    }
}

fn sme(c: &mut Criterion) {
    let q = Quadratic::from_eigenvalues(&[4.0, 1.0], vec![0.0, 0.0]);
    let f = NoisyQuadratic::with_diagonal_noise(q, &[1.0, 1.0]).expect("valid covariance");
    let grid = TimeGrid::new(0.1, 100, 1);
    let mut group = c.benchmark_group("sme_1000_paths");
    group.throughput(Throughput::Elements(PATHS as u64));
    for order in [SmeOrder::One, SmeOrder::Two] {
        let s = settings(16, order, 1);
        group.bench_function(
            format!("noisy_quadratic_2d_100_steps_order{}", order.as_number()),
            |b| b.iter(|| run_sme(&f, Source::Noisy(&f), black_box(&[1.0, 1.0]), &grid, &s, 1e10)),
        );
    }
    group.finish();

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
    let theta = net.init(1.0, 2);
    let grid = TimeGrid::new(0.01, 1, 1);
    let s = settings(2, SmeOrder::One, 32);
    let mut group = c.benchmark_group("sme_1000_paths_mlp");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(PATHS as u64));
    group.bench_function("mlp_1000x20x50x1_one_step_2_substeps", |b| {
        b.iter(|| run_sme(&net, Source::FiniteSum(&net), black_box(&theta), &grid, &s, 1e10))
    });
    group.finish();
}

criterion_group!(benches, sme);
criterion_main!(benches);
