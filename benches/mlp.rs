//! The mlp gradient and Hessian-vector product for 1000 samples × 20 inputs × 50 tanh hidden units × 1
//! output (mean squared error, biases), and, in the same run, this machine's f64 matrix-product
//! throughput (a 1000×20 by 20×50 product, the network's largest, and a square 256 product) to put the
//! gradient time in context. Criterion's "elem/s" for the `gemm` group is flop/s (2·m·k·n per product).
//! Run: `cargo bench --bench mlp`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgap::data::{Dataset, Task};
use flowgap::objective::activation::Activation;
use flowgap::objective::{Mlp, MlpConfig, MlpLoss, Objective, Parameterization};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;

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

    let mut group = c.benchmark_group("gemm");
    for (m, k, n) in [(1000usize, 20usize, 50usize), (256, 256, 256)] {
        let a = gaussian(&mut rng, m, k);
        let b = gaussian(&mut rng, k, n);
        let mut prod = DMatrix::zeros(m, n);
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_function(format!("{m}x{k}_by_{k}x{n}"), |bench| {
            bench.iter(|| prod.gemm(1.0, black_box(&a), black_box(&b), 0.0))
        });
    }
    group.finish();
}

criterion_group!(benches, mlp);
criterion_main!(benches);
