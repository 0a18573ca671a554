//! The mlp gradient and Hessian-vector product for 1000 samples × 20 inputs × 50 tanh hidden units × 1
//! output (mean squared error, biases), and, in the same run, the crate's f64 matrix products (`gemm`
//! in src/objective/dense/) on the layouts the gradient uses — its forward product (a 512-sample chunk
//! of the inputs, in place, times W1ᵀ) and its weight gradient (Δᵀ times the chunk) — and on square 256
//! operands in three layouts, to put the gradient time in context. Criterion's "elem/s" for the `gemm`
//! group is flop/s (2·m·k·n per product). The `step` group runs 100 steps of GD and of Adam on the same
//! mlp through the shared driver (issue 20: Adam's elementwise update should cost little next to the
//! gradient). Run: `cargo bench --bench mlp`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgap::data::{Dataset, Task};
use flowgap::discrete::{adaptive, gradient_descent, AdaptiveMethod};
use flowgap::objective::activation::Activation;
use flowgap::objective::{Mlp, MlpConfig, MlpLoss, Objective, Parameterization};
use flowgap::TimeGrid;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;

// The product routines are private to the crate, so the bench compiles its own copy of the module. It
// uses only `gemm` and some constructors, and cargo compiles benches with cfg(test) but without their
// #[test] functions, which leaves the module's test imports unused.
#[allow(dead_code, unused_imports)]
#[path = "../src/objective/dense/mod.rs"]
mod dense;
use dense::{gemm, Mat, MatMut};

fn gaussian(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.sample::<f64, _>(StandardNormal))
}

fn mlp(c: &mut Criterion) {
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
    let v = net.init(1.0, 3);
    let mut out = vec![0.0; net.dim()];

    let mut group = c.benchmark_group("mlp_1000x20x50x1_tanh");
    group.bench_function("loss", |b| b.iter(|| net.loss(black_box(&theta))));
    group.bench_function("gradient", |b| {
        b.iter(|| net.gradient(black_box(&theta), &mut out))
    });
    group.bench_function("hvp", |b| {
        b.iter(|| net.hvp(black_box(&theta), black_box(&v), &mut out))
    });
    let z: Vec<f64> = (0..50_000).map(|i| (i as f64 * 0.37).sin() * 3.0).collect();
    let (mut a, mut d) = (vec![0.0; z.len()], vec![0.0; z.len()]);
    group.bench_function("tanh_layer_50000_fast", |b| {
        b.iter(|| Activation::Tanh.forward(black_box(&z), &mut a, &mut d))
    });
    group.bench_function("tanh_layer_50000_libm", |b| {
        b.iter(|| {
            for (zi, ai) in black_box(&z).iter().zip(a.iter_mut()) {
                *ai = zi.tanh();
            }
        })
    });
    group.finish();

    // 100 steps, the first and last recorded: the per-step cost of each method, gradient included.
    let mut group = c.benchmark_group("step");
    group.sample_size(20);
    let grid = TimeGrid::new(1e-3, 100, 100);
    let adam = AdaptiveMethod::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        bias_correction: true,
        weight_decay: None,
        frozen: None,
    };
    group.bench_function("gd_100_steps", |b| {
        b.iter(|| gradient_descent(&net, black_box(&theta), &grid, 1e10))
    });
    group.bench_function("adam_100_steps", |b| {
        b.iter(|| adaptive(&net, black_box(&theta), &grid, &adam, 1e10))
    });
    group.finish();

    let mut group = c.benchmark_group("gemm");
    let values = |len: usize, seed: f64| -> Vec<f64> { (0..len).map(|i| (i as f64 * seed).sin()).collect() };
    let flop = |m: usize, k: usize, n: usize| Throughput::Elements((2 * m * k * n) as u64);
    // The mlp's products for a chunk of b = 512 of 1000 samples, 20 inputs and 50 hidden units.
    let (samples, b, p, h) = (1000, 512, 20, 50);
    let (x, w1, delta) = (values(samples * p, 0.37), values(h * p, 1.3), values(b * h, 0.71));
    let mut z = values(b * h, 0.5);
    let mut grad = vec![0.0; h * p];
    group.throughput(flop(b, p, h));
    group.bench_function("mlp_forward_512x20_by_20x50", |bench| {
        bench.iter(|| {
            let xs = Mat::col_major_ld(black_box(&x), b, p, samples);
            let w = Mat::row_major(black_box(&w1), h, p).t();
            gemm(1.0, xs, w, 1.0, MatMut::col_major(&mut z, b, h));
        })
    });
    group.throughput(flop(h, b, p));
    group.bench_function("mlp_weight_grad_50x512_by_512x20", |bench| {
        bench.iter(|| {
            let dt = Mat::col_major(black_box(&delta), b, h).t();
            let xs = Mat::col_major_ld(black_box(&x), b, p, samples);
            gemm(0.5, dt, xs, 0.0, MatMut::row_major(&mut grad, h, p));
        })
    });
    // Square products: both factors column-major, a transposed column-major times a column-major (the
    // layouts of the crate's two kernels, which leave products this large to matrixmultiply), and both
    // row-major (a layout the kernels never take).
    let n = 256;
    let (sa, sb) = (values(n * n, 0.9), values(n * n, 1.7));
    let mut sc = vec![0.0; n * n];
    group.throughput(flop(n, n, n));
    group.bench_function("256_col_major", |bench| {
        bench.iter(|| {
            let (a, b) = (Mat::col_major(black_box(&sa), n, n), Mat::col_major(&sb, n, n));
            gemm(1.0, a, b, 0.0, MatMut::col_major(&mut sc, n, n));
        })
    });
    group.bench_function("256_transposed_times_col_major", |bench| {
        bench.iter(|| {
            let (a, b) = (
                Mat::col_major(black_box(&sa), n, n).t(),
                Mat::col_major(&sb, n, n),
            );
            gemm(1.0, a, b, 0.0, MatMut::col_major(&mut sc, n, n));
        })
    });
    group.bench_function("256_row_major", |bench| {
        bench.iter(|| {
            let (a, b) = (Mat::row_major(black_box(&sa), n, n), Mat::row_major(&sb, n, n));
            gemm(1.0, a, b, 0.0, MatMut::row_major(&mut sc, n, n));
        })
    });
    group.finish();
}

criterion_group!(benches, mlp);
criterion_main!(benches);
