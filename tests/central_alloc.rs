//! The central flow's field does not allocate per evaluation on the Lanczos path (issue 22): a counting
//! global allocator (per thread, so the test harness's other threads do not count) sees no allocation
//! across many evaluations once the buffers exist — the shared eigensolver's Lanczos iterations, its
//! tridiagonal eigenproblems, the differenced third derivatives and the k = 1 closed form.
//! The exact path (d ≤ 64) and the cone solver for k ≥ 2 still allocate (nalgebra's dense eigensolver).

use flowgap::continuous::{CentralFlow, CentralSettings, VectorField};
use flowgap::objective::spectrum::{Eigensolver, SharpnessSettings};
use flowgap::objective::Quadratic;
use flowgap::scenario;
use std::path::Path;

#[path = "support/counting.rs"]
mod counting;
use counting::allocations_in;

/// Lanczos on a 200-dimensional diagonal quadratic (eigenvalues 1..200): once built, 50 spectra along a
/// path allocate nothing, and they are right (the top three are 200, 199, 198).
#[test]
fn lanczos_top_eigenpairs_do_not_allocate() {
    let d = 200;
    let eig: Vec<f64> = (1..=d).map(|i| i as f64).collect();
    let q = Quadratic::from_eigenvalues(&eig, vec![0.0; d]);
    let settings = SharpnessSettings {
        top_k: 3,
        every: 1,
        exact_max_dim: 64,
        lanczos_iterations: 80,
        lanczos_tolerance: 1e-10,
        lambda_min: false,
    };
    let mut solver = Eigensolver::new(d, settings);
    let theta = vec![0.1; d];
    let mut values = [0.0; 3];
    solver.top_into(&q, &theta, &mut values);
    let n = allocations_in(|| {
        for _ in 0..50 {
            let (found, _) = solver.top_into(&q, &theta, &mut values);
            assert_eq!(found, 3);
        }
    });
    assert_eq!(n, 0, "allocations in 50 spectra");
    for (v, want) in values.iter().zip([200.0, 199.0, 198.0]) {
        assert!((v - want).abs() < 1e-8 * want, "{v} vs {want}");
    }
}

/// The central flow's field on `central_flow_mlp`'s network (465 parameters: Lanczos) at its start with
/// η = 0.7, where S ≈ 2.94 is past 0.95·2/η ≈ 2.71, so each evaluation runs Lanczos, two differenced
/// third-derivative products and the k = 1 closed form: 20 evaluations after the first allocate nothing.
#[test]
fn the_central_flow_field_does_not_allocate_on_the_lanczos_path() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let sc = scenario::load(&scenario::named_path(&dir, "central_flow_mlp")).unwrap();
    let objective = sc.experiment.objective;
    let theta0 = sc.experiment.init.clone();
    let field = CentralFlow::new(objective.as_ref(), 0.7, CentralSettings::default()).unwrap();
    assert!(field.uses_lanczos());
    let d = objective.dim();
    let mut out = vec![0.0; d];
    let mut w = theta0.clone();
    field.eval(0.0, &w, &mut out);
    let p = field.point(&w).unwrap();
    assert_eq!(
        p.critical,
        1,
        "S = {} against 2/η = {}",
        p.eigenvalues[0],
        2.0 / 0.7
    );
    let n = allocations_in(|| {
        for step in 0..20 {
            field.eval(step as f64, &w, &mut out);
            for (x, o) in w.iter_mut().zip(&out) {
                *x += 1e-3 * o;
            }
        }
    });
    assert_eq!(n, 0, "allocations in 20 evaluations");
    assert!(out.iter().all(|x| x.is_finite()));
    assert!(field.hvps() > 0);
}
