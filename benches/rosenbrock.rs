//! Rosenbrock (a = 1, b = 100) from (−1.5, 2): 200,000 GD steps at η = 1e-4, and gradient flow over
//! t ∈ [0, 20] at rtol 1e-10, atol 1e-12, with the fixed-size state `solve` picks for d = 2 and the
//! heap-allocated one (`solve_heap`) it used before. Run: `cargo bench --bench rosenbrock`.

use criterion::{criterion_group, criterion_main, Criterion};
use flowgap::continuous::{solve, solve_heap, GradientFlow, SolverKind, SolverSettings};
use flowgap::discrete::gradient_descent;
use flowgap::objective::Rosenbrock;
use flowgap::TimeGrid;
use std::hint::black_box;

fn rosenbrock(c: &mut Criterion) {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let theta0 = [-1.5, 2.0];
    let mut group = c.benchmark_group("rosenbrock");
    group.sample_size(10);
    for record_every in [100u64, 1] {
        let grid = TimeGrid::new(1e-4, 200_000, record_every);
        group.bench_function(format!("gd_200k_steps_record_every_{record_every}"), |b| {
            b.iter(|| gradient_descent(&f, black_box(&theta0), &grid, 1e10))
        });
        for solver in [SolverKind::Dop853, SolverKind::Dopri5] {
            let settings = SolverSettings {
                solver,
                rtol: 1e-10,
                atol: 1e-12,
                max_steps: 10_000_000,
                dt: 0.0,
                controller: None,
            };
            group.bench_function(
                format!("flow_{solver:?}_t20_rtol1e-10_record_every_{record_every}"),
                |b| {
                    b.iter(|| {
                        solve(
                            &GradientFlow { objective: &f },
                            &f,
                            black_box(&theta0),
                            &grid,
                            &settings,
                            1e10,
                        )
                    })
                },
            );
            group.bench_function(
                format!("flow_{solver:?}_t20_rtol1e-10_record_every_{record_every}_heap"),
                |b| {
                    b.iter(|| {
                        solve_heap(
                            &GradientFlow { objective: &f },
                            &f,
                            black_box(&theta0),
                            &grid,
                            &settings,
                            1e10,
                        )
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, rosenbrock);
criterion_main!(benches);
