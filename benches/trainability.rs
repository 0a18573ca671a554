//! One run of the `trainability_boundary` scenario's network (8-16-1 tanh, 16 samples, 500 full-batch
//! steps): per-layer GD (`step_size_scale`) against plain GD on the same rates, i.e. what one cell of the
//! trainability map costs and what the block-wise step adds. Run: `cargo bench --bench trainability`.

use criterion::{criterion_group, criterion_main, Criterion};
use flowgap::discrete::{blockwise_gradient_descent, gradient_descent, BlockScales};
use flowgap::scenario::load;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn trainability(c: &mut Criterion) {
    let s = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trainability_boundary.toml"))
        .expect("the named scenario loads");
    let objective = s.experiment.objective.as_ref();
    let rates = BlockScales(vec![1.0, 1.0])
        .rates(objective, s.experiment.grid.step_size)
        .expect("two layers");
    let mut group = c.benchmark_group("trainability_8x16x1_500_steps");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("plain_gd", |b| {
        b.iter(|| {
            gradient_descent(
                objective,
                black_box(&s.experiment.init),
                &s.experiment.grid,
                s.experiment.divergence_bound,
            )
        })
    });
    group.bench_function("per_layer_gd", |b| {
        b.iter(|| {
            blockwise_gradient_descent(
                objective,
                black_box(&s.experiment.init),
                &s.experiment.grid,
                &rates,
                s.experiment.divergence_bound,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, trainability);
criterion_main!(benches);
