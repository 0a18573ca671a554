//! Rendering cost against the simulation it shows: the rosenbrock_valley set-up (GD at η = 1e-3 for 5000
//! steps and gradient flow, dop853 at rtol 1e-9, every step recorded), then its phase portrait (400 × 400
//! contour lattice, 200 × 200 filled background, 20 × 20 field) as PNG and as SVG, and the loss curve.
//! Run: `cargo bench --bench render`.

use criterion::{criterion_group, criterion_main, Criterion};
use flowgap::compare::compare;
use flowgap::continuous::{solve, GradientFlow, SolverKind, SolverSettings};
use flowgap::discrete::gradient_descent;
use flowgap::method::MethodRun;
use flowgap::objective::Rosenbrock;
use flowgap::outspec::{FigureKind, ImageFormat, DEFAULT_FIGURE};
use flowgap::render::{draw, FigureInput};
use flowgap::TimeGrid;

fn render(c: &mut Criterion) {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let theta0 = [-1.2, 1.0];
    let grid = TimeGrid::new(1e-3, 5000, 1);
    let solver = SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-9,
        atol: 1e-12,
        max_steps: 1_000_000,
        dt: 0.0,
        controller: None,
    };
    let simulate = || {
        let gd = gradient_descent(&f, &theta0, &grid, 1e10);
        let flow = solve(&GradientFlow { objective: &f }, &f, &theta0, &grid, &solver, 1e10);
        let cmp = compare("gd", &gd, "flow", &flow, 1e-3);
        (gd, flow, cmp)
    };
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    group.bench_function("simulate_gd_and_flow_5000_steps", |b| b.iter(simulate));
    let (gd, flow, cmp) = simulate();
    let methods = vec![
        MethodRun {
            id: "gd".into(),
            kind: "gd".into(),
            discrete: true,
            trajectory: gd,
            ensemble: None,
        },
        MethodRun {
            id: "flow".into(),
            kind: "gradient_flow".into(),
            discrete: false,
            trajectory: flow,
            ensemble: None,
        },
    ];
    let comparisons = [cmp];
    let input = FigureInput {
        title: "rosenbrock_valley",
        objective: &f,
        methods: &methods,
        comparisons: &comparisons,
        step_size: 1e-3,
        settings: &DEFAULT_FIGURE,
    };
    let dir = std::env::temp_dir().join(format!("flowgap_bench_render_{}", std::process::id()));
    for (kind, format) in [
        (FigureKind::PhasePortrait, ImageFormat::Png),
        (FigureKind::PhasePortrait, ImageFormat::Svg),
        (FigureKind::Loss, ImageFormat::Png),
    ] {
        group.bench_function(format!("{}_{}", kind.name(), format.extension()), |b| {
            b.iter(|| draw(kind, &input, &dir, &[format]).unwrap())
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, render);
criterion_main!(benches);
