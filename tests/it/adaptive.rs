//! The adaptive methods against their formulas and their continuous models: hand-worked steps of each
//! update (PyTorch's form: ε outside the square root, bias correction), Adam and RMSProp with a frozen
//! preconditioner diverging exactly past their thresholds on λ/p, closed forms of the sign and
//! preconditioned flows, a stalled sign flow ending with a named termination, and first-order agreement
//! of RMSProp and Adam with their flows when (1 − β)/η is held fixed.

use flowgap::compare::compare;
use flowgap::continuous::{solve, AdaptiveFlow, SolverKind, SolverSettings};
use flowgap::discrete::{adam_threshold, adaptive, AdaptiveMethod, SecondMomentStart};
use flowgap::method::{run_method, MethodKind};
use flowgap::objective::{Quadratic, Rosenbrock};
use flowgap::trajectory::SolverFailure;
use flowgap::{Termination, TimeGrid, Trajectory};

/// Two recorded steps of `method` on L = ½·4·x² from x₀ = 1 at η = 0.1: (θ₁, θ₂).
fn two_steps(method: &AdaptiveMethod) -> (f64, f64) {
    let q = Quadratic::from_eigenvalues(&[4.0], vec![0.0]);
    let t = adaptive(&q, &[1.0], &TimeGrid::new(0.1, 2, 1), method, 1e10);
    assert_eq!(t.termination, Termination::Completed);
    (t.state(1)[0], t.state(2)[0])
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-14 * b.abs().max(1.0),
        "{what}: {a} against {b}"
    );
}

fn rmsprop(beta2: f64, eps: f64, momentum: f64, bias_correction: bool) -> AdaptiveMethod {
    AdaptiveMethod::RmsProp {
        beta2,
        eps,
        momentum,
        bias_correction,
        start: SecondMomentStart::Zero,
        frozen: None,
    }
}

fn adam(
    beta1: f64,
    beta2: f64,
    eps: f64,
    bias_correction: bool,
    weight_decay: Option<f64>,
) -> AdaptiveMethod {
    AdaptiveMethod::Adam {
        beta1,
        beta2,
        eps,
        bias_correction,
        weight_decay,
        frozen: None,
    }
}

/// g = 4x. The expected values were worked from the update formulas of docs/methods.md (step 1 shown);
/// ε = 0.5 is large so that ε inside the square root would be caught.
#[test]
fn one_dimensional_steps_follow_the_pytorch_formulas() {
    // RMSProp β₂ = 0.9: ν₁ = 0.1·16 = 1.6, θ₁ = 1 − 0.1·4/(√1.6 + 0.5).
    let (a, b) = two_steps(&rmsprop(0.9, 0.5, 0.0, false));
    close(a, 1.0 - 0.4 / (1.6f64.sqrt() + 0.5), "rmsprop θ₁ by formula");
    close(a, 0.773_359_684_720_784_6, "rmsprop θ₁");
    close(b, 0.622_327_932_089_482_2, "rmsprop θ₂");
    // With bias correction and momentum 0.5: ν̂₁ = 16, b₁ = 4/4.5, θ₁ = 1 − 0.1·4/4.5.
    let (a, b) = two_steps(&rmsprop(0.9, 0.5, 0.5, true));
    close(a, 1.0 - 0.4 / 4.5, "rmsprop+momentum θ₁");
    close(b, 0.782_245_828_694_607_6, "rmsprop+momentum θ₂");
    // Adam: m̂₁ = 4, v̂₁ = 16, θ₁ = 1 − η·|g|/(|g| + ε) = 1 − 0.1·4/4.5.
    let (a, b) = two_steps(&adam(0.9, 0.99, 0.5, true, None));
    close(a, 1.0 - 0.4 / 4.5, "adam θ₁");
    close(b, 0.822_961_784_634_617_3, "adam θ₂");
    // Without bias correction: m₁ = 0.4, √v₁ = 0.4, θ₁ = 1 − 0.1·0.4/0.9.
    let (a, b) = two_steps(&adam(0.9, 0.99, 0.5, false, None));
    close(a, 1.0 - 0.04 / 0.9, "adam (no correction) θ₁");
    close(b, 0.884_989_340_243_159_9, "adam (no correction) θ₂");
    // AdamW λ = 0.1: θ₁ = (1 − 0.01)·1 − 0.1·4/4.5.
    let (a, b) = two_steps(&adam(0.9, 0.99, 0.5, true, Some(0.1)));
    close(a, 0.99 - 0.4 / 4.5, "adamw θ₁");
    close(b, 0.804_048_742_993_502_3, "adamw θ₂");
    // Sign descent: one η per step whatever the gradient's size.
    let (a, b) = two_steps(&AdaptiveMethod::SignGd);
    close(a, 0.9, "sign_gd θ₁");
    close(b, 0.8, "sign_gd θ₂");
}

#[test]
fn scalar_rmsprop_divides_by_one_norm_and_sign_methods_treat_zero_and_momentum_right() {
    // L = ½(4x² + y²) from (1, 2): g₀ = (4, 2), ‖g₀‖² = 20, ν₁ = 2, θ₁ = θ₀ − 0.1·g₀/(√2 + 0.5).
    let q = Quadratic::from_eigenvalues(&[4.0, 1.0], vec![0.0, 0.0]);
    let method = AdaptiveMethod::ScalarRmsProp {
        beta2: 0.9,
        eps: 0.5,
        start: SecondMomentStart::Zero,
    };
    let t = adaptive(&q, &[1.0, 2.0], &TimeGrid::new(0.1, 2, 1), &method, 1e10);
    let r = 2f64.sqrt() + 0.5;
    close(t.state(1)[0], 1.0 - 0.4 / r, "scalar θ₁[0]");
    close(t.state(1)[1], 2.0 - 0.2 / r, "scalar θ₁[1]");
    close(t.state(2)[0], 0.652_122_900_479_224_9, "scalar θ₂[0]");
    close(t.state(2)[1], 1.812_300_445_550_279_8, "scalar θ₂[1]");

    // sign(0) = 0: a coordinate at its minimum stays there (f64::signum would move it by η).
    let t = adaptive(
        &q,
        &[0.0, 1.0],
        &TimeGrid::new(0.1, 3, 1),
        &AdaptiveMethod::SignGd,
        1e10,
    );
    assert_eq!(t.state(3), [0.0, ((1.0 - 0.1) - 0.1) - 0.1]);

    // Signum on ½x² at η = 0.6, β = 0.9 from 1: m = 0.1, 0.13, 0.097 stays positive after θ crosses 0,
    // so θ = 0.4, −0.2, −0.8 (sign descent would turn back to 0.4 at the third step).
    let q1 = Quadratic::from_eigenvalues(&[1.0], vec![0.0]);
    let signum = AdaptiveMethod::SignMomentum { beta: 0.9 };
    let t = adaptive(&q1, &[1.0], &TimeGrid::new(0.6, 3, 1), &signum, 1e10);
    let xs: Vec<f64> = (1..4).map(|i| t.state(i)[0]).collect();
    for (x, want) in xs.iter().zip([0.4, -0.2, -0.8]) {
        assert!((x - want).abs() < 1e-15, "signum {xs:?}");
    }
}

/// The first step k at which ½λθ_k² exceeds `bound`, from the (θ, u) recursion u_{k+1} = βu_k +
/// (1 − β)a·θ_k, θ_{k+1} = (1 − ηw)θ_k − ηu_{k+1} (a = λ/p, u = m/p, w AdamW's decay), the companion
/// matrix [[1 − ηw − η(1 − β)a, −ηβ], [(1 − β)a, β]] applied step by step.
fn predicted_divergence(
    lambda: f64,
    p: f64,
    beta: f64,
    decay: f64,
    eta: f64,
    bound: f64,
    steps: u64,
) -> Option<u64> {
    let a = lambda / p;
    let (mut theta, mut u) = (1.0f64, 0.0f64);
    for k in 0..=steps {
        if 0.5 * lambda * theta * theta > bound {
            return Some(k);
        }
        let next_u = beta * u + (1.0 - beta) * a * theta;
        theta = (1.0 - eta * decay) * theta - eta * next_u;
        u = next_u;
    }
    None
}

/// With P frozen, Adam on ½λx² is linear in (θ, m) and diverges iff λ/p > (2 + 2β₁)/((1 − β₁)η); at
/// 1.001× the spectral radius is about 1 + 38·0.001 (the root near −1), at 0.999× about 1 − 0.038.
/// AdamW's decay λ_w moves the root −1 to (2 + 2β₁)(1 − ηλ_w/2)/((1 − β₁)η).
#[test]
fn adam_with_a_frozen_preconditioner_diverges_exactly_past_its_threshold() {
    let (eta, beta1, p) = (0.01, 0.9, 2.0);
    assert!((adam_threshold(eta, beta1) - 3800.0).abs() < 1e-9);
    let steps = 20_000;
    for weight_decay in [None, Some(5.0)] {
        let threshold = adam_threshold(eta, beta1) * (1.0 - 0.5 * eta * weight_decay.unwrap_or(0.0));
        for factor in [0.999, 1.001] {
            let lambda = factor * threshold * p;
            let q = Quadratic::from_eigenvalues(&[lambda], vec![0.0]);
            let method = AdaptiveMethod::Adam {
                beta1,
                beta2: 0.999,
                eps: 1e-8,
                bias_correction: false,
                weight_decay,
                frozen: Some(vec![p]),
            };
            let bound = 1e10 * (0.5 * lambda).max(1.0);
            let t = adaptive(&q, &[1.0], &TimeGrid::new(eta, steps, 1), &method, bound);
            let decay = weight_decay.unwrap_or(0.0);
            let predicted = predicted_divergence(lambda, p, beta1, decay, eta, bound, steps);
            match (factor > 1.0, &t.termination) {
                (true, Termination::Diverged { step, .. }) => {
                    assert_eq!(Some(*step), predicted, "diverged at the predicted step")
                }
                (false, Termination::Completed) => {
                    assert_eq!(predicted, None);
                    assert!(
                        t.state(t.len() - 1)[0].abs() < 1e-100,
                        "converges at rate 0.96 per step"
                    );
                }
                (_, other) => panic!("decay {weight_decay:?}, factor {factor}: {other:?}"),
            }
            let kind = MethodKind::Adaptive(method);
            assert!((kind.preconditioned_threshold(eta).unwrap() - threshold).abs() < 1e-9);
        }
    }
}

/// RMSProp with P frozen is GD with step η/p: it diverges iff λ/p > 2/η.
#[test]
fn rmsprop_with_a_frozen_preconditioner_diverges_past_two_over_eta() {
    let (eta, p) = (0.01, 3.0);
    for factor in [0.999, 1.001] {
        let lambda = factor * 2.0 / eta * p;
        let q = Quadratic::from_eigenvalues(&[lambda], vec![0.0]);
        let method = AdaptiveMethod::RmsProp {
            beta2: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            bias_correction: false,
            start: SecondMomentStart::Zero,
            frozen: Some(vec![p]),
        };
        let t = adaptive(
            &q,
            &[1.0],
            &TimeGrid::new(eta, 40_000, 100),
            &method,
            1e10 * lambda,
        );
        // θ_k = (1 − ηλ/p)^k = (1 − 2·factor)^k: |.| = 1.002 or 0.998.
        let diverged = matches!(t.termination, Termination::Diverged { .. });
        assert_eq!(diverged, factor > 1.0, "factor {factor}: {:?}", t.termination);
    }
}

#[test]
fn adaptive_runs_are_bit_identical() {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 3,
    };
    let grid = TimeGrid::new(1e-3, 3003, 7);
    for method in [
        adam(0.9, 0.999, 1e-8, true, Some(0.01)),
        rmsprop(0.99, 1e-8, 0.9, false),
        AdaptiveMethod::SignMomentum { beta: 0.9 },
    ] {
        let kind = MethodKind::Adaptive(method);
        let a = run_method(&kind, &f, &[-1.2, 1.0, 0.5], &grid, 1e10);
        let b = run_method(&kind, &f, &[-1.2, 1.0, 0.5], &grid, 1e10);
        let bits = |t: &Trajectory| t.states.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        assert_eq!(a.len(), 3003 / 7 + 1, "every 7th step");
    }
}

fn tight() -> SolverSettings {
    SolverSettings {
        solver: SolverKind::Dop853,
        rtol: 1e-12,
        atol: 1e-14,
        max_steps: 10_000_000,
        dt: 0.0,
        controller: None,
    }
}

/// Sign flow on ½λx² with x > 0: x' = −λx/(λx + ε), so x + (ε/λ)·ln x + t is constant.
#[test]
fn sign_flow_follows_its_implicit_closed_form() {
    let (lambda, eps) = (2.0, 0.1);
    let q = Quadratic::from_eigenvalues(&[lambda], vec![0.0]);
    let model = AdaptiveFlow::Sign { eps };
    let grid = TimeGrid::new(0.01, 150, 10);
    let t = solve(model.field(&q, 0.01).as_ref(), &q, &[2.0], &grid, &tight(), 1e10);
    assert_eq!(t.termination, Termination::Completed);
    let invariant = |x: f64, time: f64| x + eps / lambda * x.ln() + time;
    let c0 = invariant(2.0, 0.0);
    for i in 0..t.len() {
        let x = t.state(i)[0];
        assert!((invariant(x, t.times[i]) - c0).abs() < 1e-9, "t = {}", t.times[i]);
    }
    assert!(t.state(t.len() - 1)[0] < 0.6, "moved at nearly unit speed");
}

/// θ' = −P⁻¹∇L on ½θᵀdiag(λ)θ: θ_i(t) = θ_i(0)·exp(−λ_i t/p_i).
#[test]
fn preconditioned_flow_matches_its_closed_form() {
    let q = Quadratic::from_eigenvalues(&[4.0, 1.0], vec![0.0, 0.0]);
    let p = vec![2.0, 0.25];
    let model = AdaptiveFlow::Preconditioned(p.clone());
    let grid = TimeGrid::new(0.01, 200, 10);
    let t = solve(
        model.field(&q, 0.01).as_ref(),
        &q,
        &[1.0, -1.0],
        &grid,
        &tight(),
        1e10,
    );
    for i in 0..t.len() {
        let time = t.times[i];
        let want = [(-2.0 * time).exp(), -(-4.0 * time).exp()];
        for (got, want) in t.state(i).iter().zip(want) {
            assert!((got - want).abs() < 1e-10, "t = {time}");
        }
    }
}

/// With a tiny ε the sign flow chatters where a gradient component crosses zero (Rosenbrock's
/// valley): the adaptive solver ends with a named failure at the time reached, not a hang: `stalled`
/// when `solve`'s pace guard sees that the pace of 1000 attempts cannot reach the horizon within the
/// budget, else `max_steps_reached`; the same problem with rk4 at a fixed step completes.
#[test]
fn a_stalled_sign_flow_ends_with_a_named_termination() {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let model = AdaptiveFlow::Sign { eps: 1e-12 };
    let grid = TimeGrid::new(1e-3, 2000, 100);
    let settings = SolverSettings {
        solver: SolverKind::Dopri5,
        rtol: 1e-8,
        atol: 1e-10,
        max_steps: 50_000,
        dt: 0.0,
        controller: None,
    };
    let started = std::time::Instant::now();
    let t = solve(
        model.field(&f, 1e-3).as_ref(),
        &f,
        &[-1.2, 1.0],
        &grid,
        &settings,
        1e10,
    );
    assert!(started.elapsed().as_secs() < 30);
    match t.termination {
        Termination::SolverFailed {
            failure, t: reached, ..
        } => {
            assert!(
                matches!(failure, SolverFailure::Stalled | SolverFailure::MaxStepsReached),
                "{failure:?}"
            );
            assert!(reached < 2.0);
        }
        other => panic!("{other:?}"),
    }
    let rk4 = SolverSettings {
        solver: SolverKind::Rk4,
        dt: 1e-4,
        ..settings
    };
    let t = solve(
        model.field(&f, 1e-3).as_ref(),
        &f,
        &[-1.2, 1.0],
        &grid,
        &rk4,
        1e10,
    );
    assert_eq!(t.termination, Termination::Completed);
}

/// A solver that runs out of steps still reports its rejected steps: dopri5 makes 3 evaluations before
/// its first step and 6 per attempt, so accepted + rejected must equal (evaluations − 3)/6, the attempts
/// counted independently of the solver's error (which carries only the attempts).
#[test]
fn a_solver_out_of_steps_reports_its_rejected_steps() {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let model = AdaptiveFlow::Sign { eps: 1e-12 };
    let settings = SolverSettings {
        solver: SolverKind::Dopri5,
        rtol: 1e-8,
        atol: 1e-10,
        max_steps: 300,
        dt: 0.0,
        controller: None,
    };
    let t = solve(
        model.field(&f, 1e-3).as_ref(),
        &f,
        &[-1.2, 1.0],
        &TimeGrid::new(1e-3, 2000, 100),
        &settings,
        1e10,
    );
    assert!(
        matches!(
            t.termination,
            Termination::SolverFailed {
                failure: SolverFailure::MaxStepsReached,
                ..
            }
        ),
        "{:?}",
        t.termination
    );
    let s = &t.stats;
    assert!(s.rejected_steps > 0, "{s:?}");
    assert_eq!((s.grad_evals - 3) % 6, 0, "{s:?}");
    assert_eq!(
        s.accepted_steps + s.rejected_steps,
        (s.grad_evals - 3) / 6,
        "{s:?}"
    );
}

/// Least-squares slope of log y against log x.
fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    flowgap::order::loglog_fit(x, y).expect("two points or more").0
}

/// max_k ‖θ_method(kη) − θ_model(kη)‖ on Rosenbrock from (−1.2, 1) over t ∈ [0, 1], per η, with the
/// method and the model built for that η.
fn gaps(
    etas: &[f64],
    method: impl Fn(f64) -> AdaptiveMethod,
    model: impl Fn(f64) -> AdaptiveFlow,
) -> Vec<f64> {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let theta0 = [-1.2, 1.0];
    etas.iter()
        .map(|&eta| {
            let steps = (1.0 / eta).round() as u64;
            let grid = TimeGrid::new(eta, steps, 1);
            let discrete = adaptive(&f, &theta0, &grid, &method(eta), 1e10);
            let flow_model = model(eta);
            let flow = solve(
                flow_model.field(&f, eta).as_ref(),
                &f,
                &theta0,
                &grid,
                &tight(),
                1e10,
            );
            assert_eq!(discrete.termination, Termination::Completed);
            assert_eq!(flow.termination, Termination::Completed);
            let c = compare("method", &discrete, "model", &flow, 1e-3);
            assert_eq!(c.paired_points, steps as usize + 1);
            c.max_distance
        })
        .collect()
}

const ETAS: [f64; 4] = [4e-4, 2e-4, 1e-4, 5e-5];

/// β₂ = 1 − bη with b = 2 fixed: RMSProp follows the RMSProp flow to O(η) (both from ν₀ = ∇L(θ₀)²).
#[test]
fn rmsprop_follows_its_flow_at_first_order() {
    let b = 2.0;
    let gaps = gaps(
        &ETAS,
        |eta| AdaptiveMethod::RmsProp {
            beta2: 1.0 - b * eta,
            eps: 1e-8,
            momentum: 0.0,
            bias_correction: false,
            start: SecondMomentStart::GradientSquared,
            frozen: None,
        },
        |eta| AdaptiveFlow::RmsProp {
            beta2: 1.0 - b * eta,
            eps: 1e-8,
            start: SecondMomentStart::GradientSquared,
        },
    );
    let slope = loglog_slope(&ETAS, &gaps);
    assert!((slope - 1.0).abs() < 0.15, "slope {slope} from gaps {gaps:?}");
}

/// β₁ = 1 − aη, β₂ = 1 − bη with a = 5, b = 2 fixed: Adam follows the Adam ODE to O(η), with and
/// without bias correction.
#[test]
fn adam_follows_its_ode_at_first_order() {
    let (a, b) = (5.0, 2.0);
    for bias_correction in [true, false] {
        let gaps = gaps(
            &ETAS,
            |eta| adam(1.0 - a * eta, 1.0 - b * eta, 1e-8, bias_correction, None),
            |eta| AdaptiveFlow::Adam {
                beta1: 1.0 - a * eta,
                beta2: 1.0 - b * eta,
                eps: 1e-8,
                bias_correction,
            },
        );
        let slope = loglog_slope(&ETAS, &gaps);
        assert!(
            (slope - 1.0).abs() < 0.15,
            "bias correction {bias_correction}: slope {slope} from gaps {gaps:?}"
        );
    }
}

/// At fixed β the moments average over a window of 1/(1 − β) steps, a time η/(1 − β) → 0: Adam's step
/// tends to −ηg/(|g| + ε), and Adam approaches the sign flow at first order. On ½(x² + 4y²) from (1, 2)
/// over t ∈ [0, 0.4] no gradient component reaches 0, so the sign flow is smooth there.
#[test]
fn adam_at_fixed_beta_approaches_the_sign_flow_at_first_order() {
    let q = Quadratic::from_eigenvalues(&[1.0, 4.0], vec![0.0, 0.0]);
    let theta0 = [1.0, 2.0];
    let etas: [f64; 4] = [2e-4, 1e-4, 5e-5, 2.5e-5];
    let model = AdaptiveFlow::Sign { eps: 1e-8 };
    let gaps: Vec<f64> = etas
        .iter()
        .map(|&eta| {
            let steps = (0.4 / eta).round() as u64;
            let grid = TimeGrid::new(eta, steps, 1);
            let discrete = adaptive(&q, &theta0, &grid, &adam(0.9, 0.99, 1e-8, true, None), 1e10);
            let flow = solve(model.field(&q, eta).as_ref(), &q, &theta0, &grid, &tight(), 1e10);
            assert_eq!(flow.termination, Termination::Completed);
            compare("adam", &discrete, "sign_flow", &flow, 1e-3).max_distance
        })
        .collect();
    let slope = loglog_slope(&etas, &gaps);
    assert!((slope - 1.0).abs() < 0.15, "slope {slope} from gaps {gaps:?}");
}

/// A scenario's adaptive kinds resolve to PyTorch's defaults, and their keys to the settings written.
#[test]
fn scenario_keys_resolve_to_pytorch_defaults() {
    let with = |method: &str| {
        let text = format!(
            "name = \"keys\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [4.0, 1.0]\n[init]\n\
             point = [1.0, 1.0]\n[run]\nstep_size = 0.1\nsteps = 10\n[[method]]\nid = \"m\"\n{method}\n"
        );
        let s = flowgap::scenario::parse(&text, std::path::Path::new("keys.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        s.experiment.methods[0].kind.clone()
    };
    assert_eq!(
        with("kind = \"adam\""),
        MethodKind::Adaptive(adam(0.9, 0.999, 1e-8, true, None))
    );
    assert_eq!(
        with("kind = \"adamw\"\nbias_correction = false"),
        MethodKind::Adaptive(adam(0.9, 0.999, 1e-8, false, Some(0.01)))
    );
    assert_eq!(
        with("kind = \"rmsprop\""),
        MethodKind::Adaptive(rmsprop(0.99, 1e-8, 0.0, false))
    );
    assert_eq!(
        with("kind = \"rmsprop\"\nmomentum = 0.9\npreconditioner = [2.0, 3.0]\nnu_start = \"gradient_squared\""),
        MethodKind::Adaptive(AdaptiveMethod::RmsProp {
            beta2: 0.99,
            eps: 1e-8,
            momentum: 0.9,
            bias_correction: false,
            start: SecondMomentStart::GradientSquared,
            frozen: Some(vec![2.0, 3.0]),
        })
    );
    assert_eq!(
        with("kind = \"sign_momentum\"\nbeta = 0.5"),
        MethodKind::Adaptive(AdaptiveMethod::SignMomentum { beta: 0.5 })
    );
    match with("kind = \"adam_ode\"\nbeta1 = 0.5") {
        MethodKind::AdaptiveFlow { model, solver } => {
            assert_eq!(
                model,
                AdaptiveFlow::Adam {
                    beta1: 0.5,
                    beta2: 0.999,
                    eps: 1e-8,
                    bias_correction: true
                }
            );
            assert_eq!(solver.solver, SolverKind::Dop853);
        }
        other => panic!("{other:?}"),
    }
    let kind = with("kind = \"rmsprop_flow\"\nbeta2 = 0.9");
    assert_eq!(kind.name(), "rmsprop_flow");
    assert_eq!(
        kind.stability_threshold(0.1),
        None,
        "no threshold on λ_max(H) for a flow"
    );
    let adam_kind = with("kind = \"adam\"");
    assert_eq!(adam_kind.stability_threshold(0.1), None, "Adam's is on λ₁(P⁻¹H)");
    assert!((adam_kind.preconditioned_threshold(0.1).unwrap() - 380.0).abs() < 1e-9);
    let adamw_kind = with("kind = \"adamw\"\nweight_decay = 1.0");
    assert!((adamw_kind.preconditioned_threshold(0.1).unwrap() - 380.0 * 0.95).abs() < 1e-9);
}

fn run_named(name: &str) -> flowgap::experiment::Report {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let s =
        flowgap::scenario::load(&flowgap::scenario::named_path(&dir, name)).unwrap_or_else(|e| panic!("{e}"));
    s.experiment.run()
}

/// rmsprop_flow_quadratic: the frozen-preconditioner flow with P = √ν₀ = diag(20, 1) is θ' = −θ, so e^{−t}
/// in both coordinates; RMSProp and its flow stay on the diagonal (each coordinate obeys the same
/// scale-free law from equal starts, up to ε), within 3e-4 of each other, and ahead of e^{−t}.
#[test]
fn rmsprop_flow_quadratic_shows_what_it_says() {
    let r = run_named("rmsprop_flow_quadratic");
    let frozen = &r.method("frozen_flow").unwrap().trajectory;
    for i in 0..frozen.len() {
        let want = (-frozen.times[i]).exp();
        for x in frozen.state(i) {
            assert!((x - want).abs() < 1e-9, "t = {}", frozen.times[i]);
        }
    }
    let rms = &r.method("rmsprop").unwrap().trajectory;
    let flow = &r.method("rmsprop_flow").unwrap().trajectory;
    for t in [rms, flow] {
        let last = t.state(t.len() - 1);
        // Exactly scale-free but for ε = 1e-8, which weighs 20 times more against √ν₁ than √ν₀.
        assert!(
            (last[0] - last[1]).abs() < 1e-6 * last[0],
            "on the diagonal: {last:?}"
        );
        assert!(last[0] < 0.5 * (-2.0f64).exp(), "ahead of e^(−t): {}", last[0]);
    }
    assert!(compare("r", rms, "f", flow, 1e-3).max_distance < 3e-4);
}

/// adam_vs_sign_flow: sign descent and the sign flow move each coordinate at unit speed (the sign flow up
/// to its ε-width, 1e-8 here), so at t = 0.8 both sit at (0.2, 1.2); Adam lags behind it and stays within
/// 2e-4 of the Adam ODE (a = 100, b = 10).
#[test]
fn adam_vs_sign_flow_shows_what_it_says() {
    let r = run_named("adam_vs_sign_flow");
    for id in ["sign_gd", "sign_flow"] {
        let t = &r.method(id).unwrap().trajectory;
        let last = t.state(t.len() - 1);
        assert!(
            (last[0] - 0.2).abs() < 1e-6 && (last[1] - 1.2).abs() < 1e-6,
            "{id}: {last:?}"
        );
    }
    let adam = &r.method("adam").unwrap().trajectory;
    let ode = &r.method("adam_ode").unwrap().trajectory;
    let last = adam.state(adam.len() - 1);
    assert!(
        last[0] > 0.25 && last[1] > 1.2,
        "Adam lags the sign flow: {last:?}"
    );
    assert!(compare("a", adam, "o", ode, 1e-3).max_distance < 2.5e-4);
}

/// rmsprop_flow: RMSProp within 3e-4 of its flow over t ∈ [0, 3]; started from ν₀ = 0 it departs by more
/// than 1e-2 at the first recorded time (10 steps) and ends over 1 away.
#[test]
fn rmsprop_flow_scenario_shows_what_it_says() {
    let r = run_named("rmsprop_flow");
    let flow = &r.method("rmsprop_flow").unwrap().trajectory;
    let close_run = compare("r", &r.method("rmsprop").unwrap().trajectory, "f", flow, 1e-2);
    assert!(close_run.max_distance < 3e-4, "{}", close_run.max_distance);
    let zero = compare(
        "z",
        &r.method("rmsprop_zero_start").unwrap().trajectory,
        "f",
        flow,
        1e-2,
    );
    assert_eq!(zero.departure_time, Some(0.01));
    assert!(zero.final_distance > 1.0);
}
