//! Learning-rate schedules (issue 21, part 1) against exact answers: the time axis is the exact sum
//! t_k = Σ_{j<k} η_j rounded once (checked in rational arithmetic); GD with a schedule on a quadratic is
//! Π_j (I − η_j A) θ₀; heavy ball follows its scheduled recursion; a constant schedule changes no bit of
//! any method; gradient flow on the summed axis is expm(−A t_k) θ₀; and the modified flow with η(t) = η_k
//! in its correction keeps its order 2 against scheduled GD, which it loses with a constant η.

use super::quadratic_closed_form::{rel_err, rotated_quadratic};
use flowgap::continuous::{ModifiedOrder, SolverSettings};
use flowgap::discrete::{AdaptiveMethod, MomentumStart, NesterovSchedule};
use flowgap::experiment::Experiment;
use flowgap::method::{run_method, MethodKind};
use flowgap::objective::Rosenbrock;
use flowgap::schedule::{Schedule, StepSizes};
use flowgap::{Termination, TimeGrid, Trajectory};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use num_bigint::BigInt;
use num_rational::BigRational;

fn scheduled(eta: f64, steps: u64, every: u64, schedule: Schedule) -> TimeGrid {
    TimeGrid::new(eta, steps, every)
        .with_schedule(StepSizes::new(eta, steps, schedule).unwrap())
        .unwrap()
}

fn every_schedule() -> Vec<Schedule> {
    vec![
        Schedule::Warmup { warmup_steps: 37 },
        Schedule::Cosine {
            warmup_steps: 50,
            final_fraction: 0.01,
        },
        Schedule::Step {
            every: 60,
            factor: 0.3,
        },
        Schedule::InverseTime {
            decay_steps: 7.0,
            power: 0.5,
        },
        Schedule::Pairs {
            points: vec![(0, 0.013), (100, 0.0071), (250, 0.0193)],
        },
    ]
}

fn exact(x: f64) -> BigRational {
    BigRational::from_float(x).expect("finite")
}

/// t is the double nearest to the rational s (ties to even): s lies between the midpoints to t's
/// neighbours (both positive here).
fn is_nearest(t: f64, s: &BigRational) -> bool {
    let below = f64::from_bits(t.to_bits() - 1);
    let above = f64::from_bits(t.to_bits() + 1);
    let two = BigRational::from_integer(BigInt::from(2));
    let lo = (exact(below) + exact(t)) / &two;
    let hi = (exact(t) + exact(above)) / &two;
    let even = t.to_bits() % 2 == 0;
    (s > &lo || (even && s == &lo)) && (s < &hi || (even && s == &hi))
}

#[test]
fn the_time_axis_is_the_exact_sum_rounded_once() {
    let eta = 0.0123;
    let steps = 400;
    let mut drifted = 0;
    for schedule in every_schedule() {
        for every in [1, 7, 40] {
            if steps % every != 0 {
                continue;
            }
            let grid = scheduled(eta, steps, every, schedule.clone());
            let sizes = StepSizes::new(eta, steps, schedule.clone()).unwrap();
            let mut sum = BigRational::from_integer(BigInt::from(0));
            let mut naive = 0.0;
            for k in 0..=steps {
                let t = grid.time_of_step(k);
                assert_eq!(t.to_bits(), grid.time_of_step(k).to_bits());
                if k == 0 {
                    assert_eq!(t, 0.0);
                } else {
                    assert!(is_nearest(t, &sum), "{schedule:?}, every {every}: t_{k} = {t:e}");
                    drifted += usize::from(naive != t);
                }
                if k < steps {
                    assert_eq!(grid.step_size_at(k), sizes.at(k));
                    sum += exact(sizes.at(k));
                    naive += sizes.at(k);
                }
            }
            assert_eq!(grid.t_end(), grid.time_of_step(steps));
        }
    }
    // The check can fail: repeated addition does not give these times.
    assert!(
        drifted > 100,
        "naive summation matched the exact sum almost everywhere ({drifted})"
    );
}

#[test]
fn gd_with_a_schedule_is_the_product_of_its_steps() {
    let q = rotated_quadratic();
    let theta0 = [1.0, -2.0, 0.5];
    for schedule in every_schedule() {
        let grid = scheduled(0.04, 300, 3, schedule.clone());
        let traj = run_method(&MethodKind::Gd, &q, &theta0, &grid, 1e10);
        assert_eq!(traj.termination, Termination::Completed, "{schedule:?}");
        assert_eq!(traj.len(), 101);
        let mut expected = DVector::from_column_slice(&theta0);
        for k in 0..=300u64 {
            if k % 3 == 0 {
                let i = (k / 3) as usize;
                assert_eq!(traj.steps[i], k);
                assert_eq!(traj.times[i].to_bits(), grid.time_of_step(k).to_bits());
                let err = rel_err(traj.state(i), expected.as_slice());
                assert!(err < 1e-12, "{schedule:?}, step {k}: relative error {err:e}");
            }
            if k < 300 {
                let m = DMatrix::identity(3, 3) - q.matrix() * grid.step_size_at(k);
                expected = m * expected;
            }
        }
    }
}

#[test]
fn heavy_ball_with_a_schedule_follows_its_recursion() {
    let q = rotated_quadratic();
    let theta0 = [1.0, -2.0, 0.5];
    let beta = 0.8;
    let schedule = Schedule::Cosine {
        warmup_steps: 20,
        final_fraction: 0.0,
    };
    let grid = scheduled(0.02, 200, 1, schedule);
    let kind = MethodKind::HeavyBall {
        beta,
        start: MomentumStart::AtRest,
    };
    let traj = run_method(&kind, &q, &theta0, &grid, 1e10);
    assert_eq!(traj.termination, Termination::Completed);
    let mut theta = DVector::from_column_slice(&theta0);
    let mut v = DVector::zeros(3);
    for k in 0..=200usize {
        let err = rel_err(traj.state(k), theta.as_slice());
        assert!(err < 1e-12, "step {k}: relative error {err:e}");
        v = &v * beta - q.matrix() * &theta * grid.step_size_at(k as u64);
        theta += &v;
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same(a: &Trajectory, b: &Trajectory, what: &str) {
    assert_eq!(a.steps, b.steps, "{what}");
    assert_eq!(bits(&a.times), bits(&b.times), "{what}: times");
    assert_eq!(bits(&a.states), bits(&b.states), "{what}: states");
    assert_eq!(bits(&a.losses), bits(&b.losses), "{what}: losses");
    assert_eq!(a.termination, b.termination, "{what}");
}

/// A constant schedule is the unscheduled run; so is a list of one (0, η) pair, which goes through the
/// scheduled machinery (η_k read per step, times from the exact sums): every discrete method gives the
/// same bits, times included, because the correctly rounded Σ_{j<k} η is the IEEE product k·η.
#[test]
fn a_constant_schedule_changes_no_bit() {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let theta0 = [-1.2, 1.0];
    let eta = 1.3e-3;
    let kinds = [
        MethodKind::Gd,
        MethodKind::HeavyBall {
            beta: 0.9,
            start: MomentumStart::Steady,
        },
        MethodKind::Nesterov(NesterovSchedule::Constant(0.5)),
        MethodKind::Adaptive(AdaptiveMethod::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            bias_correction: true,
            weight_decay: Some(0.1),
            frozen: None,
        }),
    ];
    let plain = TimeGrid::new(eta, 3000, 7 * 3);
    let one_pair = scheduled(
        eta,
        3000,
        21,
        Schedule::Pairs {
            points: vec![(0, eta)],
        },
    );
    assert!(one_pair.schedule.is_some());
    let constant = scheduled(eta, 3000, 21, Schedule::Constant);
    assert!(constant.schedule.is_none());
    for kind in &kinds {
        let reference = run_method(kind, &f, &theta0, &plain, 1e10);
        assert_same(
            &run_method(kind, &f, &theta0, &one_pair, 1e10),
            &reference,
            kind.name(),
        );
        assert_same(
            &run_method(kind, &f, &theta0, &constant, 1e10),
            &reference,
            kind.name(),
        );
    }
    // Through an Experiment: `schedule(Constant)` is the default.
    let run = |schedule: Option<Schedule>| {
        let mut b = Experiment::builder(f.clone())
            .init(theta0.to_vec())
            .step_size(eta)
            .steps(500)
            .method("gd", MethodKind::Gd)
            .method("flow", MethodKind::GradientFlow(SolverSettings::default()));
        if let Some(s) = schedule {
            b = b.schedule(s);
        }
        b.build().unwrap().run()
    };
    let (a, b) = (run(None), run(Some(Schedule::Constant)));
    for (x, y) in a.methods.iter().zip(&b.methods) {
        assert_same(&x.trajectory, &y.trajectory, &x.id);
    }
}

/// θ(t) = V e^{−Λt} Vᵀ θ₀ at the summed times, for a flow integrated segment by segment.
#[test]
fn gradient_flow_on_the_summed_axis_is_the_matrix_exponential() {
    let q = rotated_quadratic();
    let theta0 = [1.0, -2.0, 0.5];
    let eig = SymmetricEigen::new(q.matrix().clone());
    let at = |t: f64| {
        let e = DMatrix::from_diagonal(&eig.eigenvalues.map(|l| (-l * t).exp()));
        &eig.eigenvectors * e * eig.eigenvectors.transpose() * DVector::from_column_slice(&theta0)
    };
    for schedule in every_schedule() {
        let grid = scheduled(0.04, 300, 3, schedule.clone());
        for settings in [
            SolverSettings::dop853(1e-12, 1e-14),
            SolverSettings {
                solver: flowgap::continuous::SolverKind::Rk4,
                dt: 1.0 / 1024.0,
                ..SolverSettings::default()
            },
        ] {
            let traj = run_method(&MethodKind::GradientFlow(settings), &q, &theta0, &grid, 1e10);
            assert_eq!(traj.termination, Termination::Completed);
            assert_eq!(traj.len(), 101);
            for i in 0..traj.len() {
                assert_eq!(traj.times[i].to_bits(), grid.time_of_step(3 * i as u64).to_bits());
                let want = at(traj.times[i]);
                let err = rel_err(traj.state(i), want.as_slice());
                assert!(
                    err < 1e-9,
                    "{schedule:?} {:?}, t = {}: {err:e}",
                    settings.solver,
                    traj.times[i]
                );
            }
        }
    }
}

/// log-log slope of y against x, least squares.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a.ln(), b.ln())).unzip();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let cov: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let var: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    cov / var
}

fn max_gap(a: &Trajectory, b: &Trajectory) -> f64 {
    assert_eq!(a.len(), b.len());
    (0..a.len())
        .map(|i| rel_err(a.state(i), b.state(i)) * flowgap::objective::norm(b.state(i)))
        .fold(0.0, f64::max)
}

/// Cosine decay with warm-up over K = 1/η steps on Rosenbrock from (−1.2, 1), η = 4e-4 halved three times: scheduled
/// GD departs from gradient flow like η (slope 1) and from the order-1 modified flow with η(t) = η_k like
/// η² (slope 2); the same modified flow with the constant peak η in its correction does no better than
/// order 1.
#[test]
fn the_modified_flow_with_eta_of_t_keeps_its_order() {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let theta0 = [-1.2, 1.0];
    let solver = SolverSettings::dop853(1e-11, 1e-13);
    let (mut etas, mut gf, mut mf, mut mf_const) = (vec![], vec![], vec![], vec![]);
    for k in [2500u64, 5000, 10000, 20000] {
        let eta = 1.0 / k as f64;
        let schedule = Schedule::Cosine {
            warmup_steps: k / 10,
            final_fraction: 0.1,
        };
        let grid = scheduled(eta, k, k / 50, schedule);
        let gd = run_method(&MethodKind::Gd, &f, &theta0, &grid, 1e10);
        let flow = run_method(&MethodKind::GradientFlow(solver), &f, &theta0, &grid, 1e10);
        let modified = MethodKind::ModifiedFlow {
            order: ModifiedOrder::One,
            solver,
        };
        let m = run_method(&modified, &f, &theta0, &grid, 1e10);
        // The same model with η frozen at its peak, on the same summed axis.
        let mc = flowgap::continuous::solve_scheduled_watched(
            &|_| {
                Box::new(flowgap::continuous::ModifiedFlow::new(
                    &f,
                    eta,
                    ModifiedOrder::One,
                ))
            },
            false,
            &f,
            &theta0,
            &grid,
            &solver,
            1e10,
            &flowgap::watch::Watch::idle(),
        );
        for t in [&gd, &flow, &m, &mc] {
            assert_eq!(t.termination, Termination::Completed);
        }
        etas.push(eta);
        gf.push(max_gap(&gd, &flow));
        mf.push(max_gap(&gd, &m));
        mf_const.push(max_gap(&gd, &mc));
    }
    let (s_gf, s_mf, s_c) = (slope(&etas, &gf), slope(&etas, &mf), slope(&etas, &mf_const));
    eprintln!("gf {gf:?} → {s_gf}\nmf {mf:?} → {s_mf}\nconst {mf_const:?} → {s_c}");
    assert!((s_gf - 1.0).abs() < 0.15, "GD vs gradient flow: slope {s_gf}");
    assert!(
        (s_mf - 2.0).abs() < 0.15,
        "GD vs modified flow with η(t): slope {s_mf}"
    );
    assert!(s_c < 1.5, "GD vs modified flow with a constant η: slope {s_c}");
    for i in 0..etas.len() {
        assert!(mf[i] < 0.2 * gf[i], "η = {}: {} vs {}", etas[i], mf[i], gf[i]);
    }
}
