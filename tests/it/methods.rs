//! Momentum methods, modified flows and their ODEs, tested against mathematics: closed forms, exact
//! linear recursions, and orders of accuracy measured as log–log slopes over halvings of η.

use super::quadratic_closed_form::{rel_err, rotated_quadratic};
use flowgap::compare::compare;
use flowgap::continuous::{
    heavy_ball_correction, solve, third_derivative_along, HeavyBallModifiedFlow, HeavyBallOde, ModifiedFlow,
    ModifiedOrder, NesterovOde, SolverSettings, VectorField,
};
use flowgap::discrete::{gradient_descent, heavy_ball, nesterov, MomentumStart, NesterovSchedule};
use flowgap::method::MethodKind;
use flowgap::objective::{Objective, Quadratic, Rosenbrock};
use flowgap::trajectory::TimeMap;
use flowgap::{Termination, TimeGrid, Trajectory};
use nalgebra::{DMatrix, DVector};

/// Least-squares slope of log y against log x.
fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

fn dop853(rtol: f64) -> SolverSettings {
    SolverSettings::dop853(rtol, rtol * 1e-2)
}

/// The maximum distance between two completed trajectories over every paired time.
fn max_gap(a: &Trajectory, b: &Trajectory) -> f64 {
    assert_eq!(a.termination, Termination::Completed);
    assert_eq!(b.termination, Termination::Completed);
    let c = compare("a", a, "b", b, 1.0);
    assert_eq!(
        c.paired_points,
        a.len().min(b.len()),
        "every point is paired by time"
    );
    c.max_distance
}

/// For each η, runs `pair` on the grid t ∈ [0, t_end] (every step recorded) and returns the fitted slope
/// of the maximum distance, with the distances.
fn order_of(
    etas: &[f64],
    t_end: f64,
    pair: impl Fn(&TimeGrid) -> (Trajectory, Trajectory),
) -> (f64, Vec<f64>) {
    let gaps: Vec<f64> = etas
        .iter()
        .map(|&eta| {
            let grid = TimeGrid::new(eta, (t_end / eta).round() as u64, 1);
            let (a, b) = pair(&grid);
            max_gap(&a, &b)
        })
        .collect();
    (loglog_slope(etas, &gaps), gaps)
}

/// ½θᵀAθ with A = [[5.5, 4.5], [4.5, 5.5]]: eigenvalues 10 and 1 along (1, 1) and (1, −1), so both
/// directions move and mix in the original coordinates.
fn quadratic() -> Quadratic {
    Quadratic::new(
        DMatrix::from_row_slice(2, 2, &[5.5, 4.5, 4.5, 5.5]),
        vec![0.0, 0.0],
    )
}

fn rosenbrock() -> Rosenbrock {
    Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    }
}

// ---------------------------------------------------------------------------------------------------
// Modified flows of GD.
//
// Backward error analysis: GD follows the order-p modified flow to O(η^{p+1}) uniformly on [0, T]. The
// asymptotics need ηλ_max ≪ 1, the error's next term being O(ηλ_max) relative: on the quadratic
// λ_max = 10 and η ≤ 4e-3 (ηλ ≤ 0.04); on Rosenbrock from (−1.2, 1) the sharpness is ≈ 1330 at the
// start and ≈ 1000 in the valley, so η ≤ 4e-5 (ηλ ≤ 0.05). The largest distance arises in the fast
// initial fall (t ≈ 0.001 on Rosenbrock), so a short horizon suffices there.

fn gd_vs_modified(
    objective: &dyn Objective,
    theta0: &[f64],
    order: ModifiedOrder,
    grid: &TimeGrid,
) -> (Trajectory, Trajectory) {
    let gd = gradient_descent(objective, theta0, grid, 1e10);
    let field = ModifiedFlow::new(objective, grid.step_size, order);
    let flow = solve(&field, objective, theta0, grid, &dop853(1e-13), 1e10);
    (gd, flow)
}

#[test]
fn modified_flows_of_order_1_and_2_follow_gd_to_eta_squared_and_cubed_on_a_quadratic() {
    let q = quadratic();
    let etas = [4e-3, 2e-3, 1e-3, 5e-4];
    for (order, expected) in [(ModifiedOrder::One, 2.0), (ModifiedOrder::Two, 3.0)] {
        let (slope, gaps) = order_of(&etas, 1.0, |g| gd_vs_modified(&q, &[1.0, 0.3], order, g));
        assert!(
            (slope - expected).abs() < 0.15,
            "{order:?}: slope {slope} from {gaps:?}"
        );
    }
}

#[test]
fn modified_flows_of_order_1_and_2_follow_gd_to_eta_squared_and_cubed_on_rosenbrock() {
    let r = rosenbrock();
    let etas = [4e-5, 2e-5, 1e-5, 5e-6];
    for (order, expected) in [(ModifiedOrder::One, 2.0), (ModifiedOrder::Two, 3.0)] {
        let (slope, gaps) = order_of(&etas, 0.02, |g| gd_vs_modified(&r, &[-1.2, 1.0], order, g));
        assert!(
            (slope - expected).abs() < 0.15,
            "{order:?}: slope {slope} from {gaps:?}"
        );
    }
}

/// The order-2 field without its third-derivative term (1/12)T[g, g]: on a quadratic T = 0, so only a
/// non-quadratic objective shows whether the term is right.
struct OrderTwoWithoutT<'a> {
    objective: &'a Rosenbrock,
    eta: f64,
}

impl VectorField for OrderTwoWithoutT<'_> {
    fn dim(&self) -> usize {
        2
    }
    fn eval(&self, _t: f64, theta: &[f64], out: &mut [f64]) {
        let (mut g, mut hg, mut h2g) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        self.objective.gradient(theta, &mut g);
        self.objective.hvp(theta, &g, &mut hg);
        self.objective.hvp(theta, &hg, &mut h2g);
        for i in 0..2 {
            out[i] = -g[i] - 0.5 * self.eta * hg[i] - self.eta * self.eta * h2g[i] / 3.0;
        }
    }
}

#[test]
fn the_third_derivative_term_is_what_makes_order_2_on_rosenbrock() {
    // Without T the field is off by O(η²), so the distance is c₂η² + c₃η³ with c₃η³ still visible at
    // η = 4e-5 (local slopes 2.36, 2.21, 2.12 down to 5e-6): smaller steps than in the order tests.
    let r = rosenbrock();
    let etas = [1e-5, 5e-6, 2.5e-6, 1.25e-6];
    let (slope, gaps) = order_of(&etas, 0.02, |g| {
        let gd = gradient_descent(&r, &[-1.2, 1.0], g, 1e10);
        let field = OrderTwoWithoutT {
            objective: &r,
            eta: g.step_size,
        };
        (gd, solve(&field, &r, &[-1.2, 1.0], g, &dop853(1e-13), 1e10))
    });
    assert!(
        (slope - 2.0).abs() < 0.15,
        "without T the order drops to 2: slope {slope} from {gaps:?}"
    );
}

#[test]
fn third_derivative_along_matches_rosenbrocks_by_hand() {
    // L = (a − x)² + b(y − x²)². Hessian entries hxx = 2 − 4by + 12bx², hxy = −4bx, hyy = 2b, so the
    // only nonzero third derivatives are ∂³L/∂x³ = 24bx and ∂³L/∂x²∂y = −4b (and its permutations).
    // T[v, v]_x = 24bx·vx² + 2·(−4b)·vx·vy, T[v, v]_y = −4b·vx².
    let r = rosenbrock();
    let b = r.b;
    for (theta, v) in [
        ([-1.2, 1.0], [0.3, -0.7]),
        ([0.5, 0.2], [-2.0, 1.5]),
        ([1.0, 1.0], [1e-3, 2e-3]),
    ] {
        let (mut out, mut p, mut m) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        third_derivative_along(&r, &theta, &v, &mut out, &mut p, &mut m);
        let exact = [
            24.0 * b * theta[0] * v[0] * v[0] - 8.0 * b * v[0] * v[1],
            -4.0 * b * v[0] * v[0],
        ];
        for i in 0..2 {
            let err = (out[i] - exact[i]).abs();
            assert!(
                err <= 1e-8 * exact[0].abs().max(exact[1].abs()),
                "{theta:?} {v:?}: {out:?} vs {exact:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Heavy ball.

#[test]
fn heavy_ball_modified_flow_coefficient_matches_the_dominant_root() {
    // On L = ½λx², heavy ball is x_{k+1} = (1 + β − ηλ)x_k − βx_{k−1}; its slow mode is r₁^k with r₁ the
    // larger root of r² − (1 + β − ηλ)r + β = 0. The modified flow x' = μx with
    // μ = −(λ + η·c·λ²)/(1 − β) must match ln(r₁)/η to O(η²); expanding r₁ = e^{μη} to second order gives
    // c = (1 + β)/(2(1 − β)²) (docs/methods.md). The coefficient (1 + β)/(2(1 − β)) leaves an O(η) error
    // for β > 0.
    // The roots are real, and the expansion in η converges, only for ηλ < (1 − √β)²: η is a fraction of
    // that.
    let lambda = 1.0;
    for beta in [0.0f64, 0.5, 0.9] {
        let radius = (1.0 - beta.sqrt()).powi(2) / lambda;
        let etas = [0.1, 0.05, 0.025, 0.0125].map(|f| f * radius);
        let err = |c: f64| -> Vec<f64> {
            etas.iter()
                .map(|&eta: &f64| {
                    let p = 1.0 + beta - eta * lambda;
                    let r1 = 0.5 * (p + (p * p - 4.0 * beta).sqrt());
                    let mu = -(lambda + eta * c * lambda * lambda) / (1.0 - beta);
                    (r1.ln() / eta - mu).abs()
                })
                .collect()
        };
        let right = err(heavy_ball_correction(beta));
        let slope = loglog_slope(&etas, &right);
        assert!(
            (slope - 2.0).abs() < 0.15,
            "β = {beta}: slope {slope} from {right:?}"
        );
        if beta > 0.0 {
            let wrong = err((1.0 + beta) / (2.0 * (1.0 - beta)));
            let slope = loglog_slope(&etas, &wrong);
            assert!(
                (slope - 1.0).abs() < 0.15,
                "β = {beta}: the other coefficient gives slope {slope}"
            );
        }
    }
}

fn hb_vs_modified(
    objective: &dyn Objective,
    theta0: &[f64],
    beta: f64,
    grid: &TimeGrid,
) -> (Trajectory, Trajectory) {
    let hb = heavy_ball(objective, theta0, grid, beta, MomentumStart::Steady, 1e10);
    let field = HeavyBallModifiedFlow::new(objective, grid.step_size, beta);
    (hb, solve(&field, objective, theta0, grid, &dop853(1e-13), 1e10))
}

// Started at rest, heavy ball's velocity relaxes like β^k, an initial layer of a few steps that leaves
// an O(η) offset; started steady (v₀ = −η∇L/(1 − β)), the residual layer is O(η²), and the maximum
// distance to the modified flow sits in it, at k ≈ log(1/η) steps, with relative corrections of order
// ηλ·log(1/(ηλ)). Hence the small η: ηλ_max/(1 − β) ≤ 5e-3 on the quadratic and ≤ 7e-3 on Rosenbrock.

#[test]
fn heavy_ball_follows_its_modified_flow_to_eta_squared_on_a_quadratic() {
    let q = quadratic();
    let etas = [2.5e-4, 1.25e-4, 6.25e-5, 3.125e-5];
    let (slope, gaps) = order_of(&etas, 1.0, |g| hb_vs_modified(&q, &[1.0, 0.3], 0.5, g));
    assert!((slope - 2.0).abs() < 0.15, "slope {slope} from {gaps:?}");
}

#[test]
fn heavy_ball_follows_its_modified_flow_to_eta_squared_on_rosenbrock() {
    let r = rosenbrock();
    let etas = [2.5e-6, 1.25e-6, 6.25e-7, 3.125e-7];
    let (slope, gaps) = order_of(&etas, 0.01, |g| hb_vs_modified(&r, &[-1.2, 1.0], 0.5, g));
    assert!((slope - 2.0).abs() < 0.15, "slope {slope} from {gaps:?}");
}

#[test]
fn heavy_ball_at_rest_lags_its_flow_by_the_initial_layer() {
    // From rest, the velocity deficit w_k = v_k − v* ≈ β^k·η∇L(θ₀)/(1 − β) sums to a lag of
    // ηβ/(1 − β)²·∇L(θ₀) (uphill): heavy ball then follows the modified flow started at
    // θ₀ + ηβ/(1 − β)²∇L(θ₀) to O(η²) once the layer has passed, while its distance to the flow
    // started at θ₀ is O(η).
    let q = quadratic();
    let (beta, theta0) = (0.5, [1.0, 0.3]);
    let etas = [2.5e-4, 1.25e-4, 6.25e-5, 3.125e-5];
    let mut g0 = [0.0; 2];
    q.gradient(&theta0, &mut g0);
    let (mut plain, mut shifted) = (Vec::new(), Vec::new());
    for &eta in &etas {
        let grid = TimeGrid::new(eta, (1.0 / eta).round() as u64, 1);
        let hb = heavy_ball(&q, &theta0, &grid, beta, MomentumStart::AtRest, 1e10);
        let field = HeavyBallModifiedFlow::new(&q, eta, beta);
        let flow = solve(&field, &q, &theta0, &grid, &dop853(1e-13), 1e10);
        plain.push(max_gap(&hb, &flow));
        let lag = eta * beta / ((1.0 - beta) * (1.0 - beta));
        let start = [theta0[0] + lag * g0[0], theta0[1] + lag * g0[1]];
        let moved = solve(&field, &q, &start, &grid, &dop853(1e-13), 1e10);
        let c = compare("hb", &hb, "moved", &moved, 1.0);
        // After the layer: t ≥ 0.05 is ≥ 200 steps, where β^k < 1e-60.
        let after = c
            .times
            .iter()
            .zip(&c.distances)
            .filter(|(t, _)| **t >= 0.05)
            .map(|(_, d)| *d)
            .fold(0.0, f64::max);
        shifted.push(after);
    }
    let s1 = loglog_slope(&etas, &plain);
    let s2 = loglog_slope(&etas, &shifted);
    assert!(
        (s1 - 1.0).abs() < 0.15,
        "at rest vs flow from θ₀: slope {s1} from {plain:?}"
    );
    assert!(
        (s2 - 2.0).abs() < 0.15,
        "at rest vs flow from the lagged start: slope {s2} from {shifted:?}"
    );
}

#[test]
fn heavy_ball_second_order_ode_follows_heavy_ball_to_eta_squared() {
    // (η/2)(1 + β)θ'' + (1 − β)θ' + ∇L = 0 shares the modified flow as its slow manifold to O(η); its fast
    // mode decays at rate 2(1 − β)/(η(1 + β)). Both started steady: O(η²).
    let q = quadratic();
    let beta = 0.5;
    let etas = [2.5e-4, 1.25e-4, 6.25e-5, 3.125e-5];
    let (slope, gaps) = order_of(&etas, 0.25, |g| {
        let hb = heavy_ball(&q, &[1.0, 0.3], g, beta, MomentumStart::Steady, 1e10);
        let field = HeavyBallOde::new(&q, g.step_size, beta, MomentumStart::Steady);
        (hb, solve(&field, &q, &[1.0, 0.3], g, &dop853(1e-12), 1e10))
    });
    assert!((slope - 2.0).abs() < 0.15, "slope {slope} from {gaps:?}");
}

#[test]
fn heavy_ball_and_nesterov_are_their_companion_matrix_recursions_on_a_quadratic() {
    // Heavy ball on ½θᵀAθ: (θ_{k+1}, θ_k) = [[(1 + β)I − ηA, −βI], [I, 0]]·(θ_k, θ_{k−1}), θ_{−1} = θ₀
    // (at rest) or θ₀ + ηAθ₀/(1 − β) (steady).
    // Nesterov (Sutskever): v_{k+1} = βv_k − ηA(θ_k + βv_k), θ_{k+1} = θ_k + v_{k+1}, so
    // (θ_{k+1}, v_{k+1}) = [[I − ηA, β(I − ηA)], [−ηA, β(I − ηA)]]·(θ_k, v_k), v₀ = 0.
    let q = rotated_quadratic();
    let a = q.matrix().clone();
    let i3 = DMatrix::<f64>::identity(3, 3);
    let theta0 = DVector::from_vec(vec![1.0, -2.0, 0.5]);
    let eta = 0.04;
    let grid = TimeGrid::new(eta, 300, 1);
    for beta in [0.0, 0.7, 0.95] {
        for start in [MomentumStart::AtRest, MomentumStart::Steady] {
            let mut m = DMatrix::zeros(6, 6);
            m.view_mut((0, 0), (3, 3))
                .copy_from(&(&i3 * (1.0 + beta) - &a * eta));
            m.view_mut((0, 3), (3, 3)).copy_from(&(&i3 * -beta));
            m.view_mut((3, 0), (3, 3)).copy_from(&i3);
            let prev = match start {
                MomentumStart::AtRest => theta0.clone(),
                MomentumStart::Steady => &theta0 + &a * &theta0 * (eta / (1.0 - beta)),
            };
            let mut z = DVector::from_iterator(6, theta0.iter().chain(prev.iter()).copied());
            let traj = heavy_ball(&q, theta0.as_slice(), &grid, beta, start, 1e10);
            assert_eq!(traj.len(), 301);
            for k in 0..=300 {
                let err = rel_err(traj.state(k), &z.as_slice()[..3]);
                assert!(
                    err < 1e-12,
                    "heavy ball β = {beta} {start:?}, step {k}: relative error {err:e}"
                );
                z = &m * z;
            }
        }
        let iea = &i3 - &a * eta;
        let mut m = DMatrix::zeros(6, 6);
        m.view_mut((0, 0), (3, 3)).copy_from(&iea);
        m.view_mut((0, 3), (3, 3)).copy_from(&(&iea * beta));
        m.view_mut((3, 0), (3, 3)).copy_from(&(&a * -eta));
        m.view_mut((3, 3), (3, 3)).copy_from(&(&iea * beta));
        let mut z = DVector::from_iterator(6, theta0.iter().copied().chain([0.0; 3]));
        let traj = nesterov(
            &q,
            theta0.as_slice(),
            &grid,
            NesterovSchedule::Constant(beta),
            1e10,
        );
        assert_eq!(traj.stats.grad_evals, 300, "one look-ahead gradient per step");
        for k in 0..=300 {
            let err = rel_err(traj.state(k), &z.as_slice()[..3]);
            assert!(
                err < 1e-12,
                "Nesterov β = {beta}, step {k}: relative error {err:e}"
            );
            assert_eq!(traj.times[k], k as f64 * eta);
            z = &m * z;
        }
    }
}

#[test]
fn nesterov_su_boyd_candes_is_their_two_sequence_scheme() {
    // Su, Boyd & Candès (2014), eq. (1)–(2): x_k = y_{k−1} − s∇f(y_{k−1}),
    // y_k = x_k + (k − 1)/(k + 2)·(x_k − x_{k−1}), y₀ = x₀; x_k sits at t = k√s.
    let r = rosenbrock();
    let s = 1e-4;
    let grid = TimeGrid::new(s, 400, 1).with_time_map(TimeMap::SqrtEta);
    let traj = nesterov(&r, &[-1.2, 1.0], &grid, NesterovSchedule::SuBoydCandes, 1e10);
    let (mut x_prev, mut y) = ([-1.2, 1.0], [-1.2, 1.0]);
    let mut x = x_prev;
    let mut g = [0.0; 2];
    for k in 0..=400u64 {
        if k > 0 {
            r.gradient(&y, &mut g);
            x_prev = x;
            x = [y[0] - s * g[0], y[1] - s * g[1]];
            let c = (k as f64 - 1.0) / (k as f64 + 2.0);
            y = [x[0] + c * (x[0] - x_prev[0]), x[1] + c * (x[1] - x_prev[1])];
        }
        let err = rel_err(traj.state(k as usize), &x);
        // The two forms round differently, and Rosenbrock's valley amplifies rounding (≈1e-13 by step
        // 200); a wrong schedule, e.g. k/(k + 3), is off by ≈1e-3.
        assert!(err < 1e-10, "step {k}: {:?} vs {x:?}", traj.state(k as usize));
        assert_eq!(
            traj.times[k as usize],
            k as f64 * s.sqrt(),
            "t_k = k·√η as a product"
        );
    }
}

/// The step at which a linear two-step recursion with roots r₁ (|r₁| > 1), r₂ and x_{−1} = x₀ makes the
/// loss ½λx² first exceed `bound` (the other coordinate's loss is negligible by then):
/// x_k = A r₁^k + B r₂^k with A + B = x₀, A/r₁ + B/r₂ = x₀.
fn predicted_divergence_step(r1: f64, r2: f64, x0: f64, lambda: f64, bound: f64) -> u64 {
    let a = x0 * (1.0 / r2 - 1.0) / (1.0 / r2 - 1.0 / r1);
    ((2.0 * bound / (lambda * a * a)).ln() / (2.0 * r1.abs().ln())).ceil() as u64
}

#[test]
fn heavy_ball_and_nesterov_diverge_exactly_above_their_thresholds() {
    // On ½·4x² + ½y² the stiff coordinate has λ = 4. Heavy ball's characteristic polynomial
    // r² − (1 + β − ηλ)r + β has the root −1 at ηλ = 2(1 + β); Nesterov's r² − (1 + β)(1 − ηλ)r + β(1 − ηλ)
    // has it at ηλ = (2 + 2β)/(1 + 2β). The thresholds the method kinds report must be these λ.
    let q = Quadratic::from_eigenvalues(&[4.0, 1.0], vec![0.0, 0.0]);
    let lambda = 4.0;
    let theta0 = [1.0, 1.0];
    let bound = 1e10 * q.loss(&theta0);
    for beta in [0.3, 0.9] {
        let cases: [(MethodKind, f64); 2] = [
            (
                MethodKind::HeavyBall {
                    beta,
                    start: MomentumStart::AtRest,
                },
                2.0 * (1.0 + beta) / lambda,
            ),
            (
                MethodKind::Nesterov(NesterovSchedule::Constant(beta)),
                (2.0 + 2.0 * beta) / ((1.0 + 2.0 * beta) * lambda),
            ),
        ];
        for (kind, eta_crit) in cases {
            let threshold = kind.stability_threshold(eta_crit).unwrap();
            assert!(
                (threshold - lambda).abs() < 1e-12 * lambda,
                "{kind:?}: threshold {threshold}"
            );
            for (factor, diverges) in [(1.0 - 1e-3, false), (1.0 + 1e-3, true)] {
                let eta = eta_crit * factor;
                let grid = TimeGrid::new(eta, 60_000, 1);
                let traj = match kind {
                    MethodKind::HeavyBall { beta, start } => {
                        heavy_ball(&q, &theta0, &grid, beta, start, bound)
                    }
                    MethodKind::Nesterov(s) => nesterov(&q, &theta0, &grid, s, bound),
                    _ => unreachable!(),
                };
                match (&traj.termination, diverges) {
                    (Termination::Completed, false) => {
                        assert!(traj.final_loss() < q.loss(&theta0), "{kind:?} η = {eta}")
                    }
                    (Termination::Diverged { step, .. }, true) => {
                        let a = eta * lambda;
                        let (p, c) = match kind {
                            MethodKind::HeavyBall { .. } => (1.0 + beta - a, beta),
                            _ => ((1.0 + beta) * (1.0 - a), beta * (1.0 - a)),
                        };
                        let disc = (p * p - 4.0 * c).sqrt();
                        let (r1, r2) = (0.5 * (p - disc), 0.5 * (p + disc));
                        assert!(r1 < -1.0 && r2.abs() < 1.0, "{kind:?}: roots {r1}, {r2}");
                        let predicted = predicted_divergence_step(r1, r2, theta0[0], lambda, bound);
                        assert!(
                            step.abs_diff(predicted) <= 1,
                            "{kind:?} η = {eta}: diverged at step {step}, predicted {predicted}"
                        );
                    }
                    (other, _) => panic!("{kind:?} η = {eta}: unexpected {other:?}"),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Nesterov's ODE.

/// J₁(z) = (1/2π)∫₀^{2π} cos(τ − z sin τ) dτ (Bessel's integral) by the trapezoidal rule with M points.
/// The integrand is periodic and entire, so the rule's error is the aliased terms
/// J_{M−1}(z) + J_{M+1}(z) + … ≈ (ez/2M)^M; M = 2(|z| + 40) puts it below 1e-40 for every z.
fn bessel_j1(z: f64) -> f64 {
    let m = 2 * (z.abs().ceil() as usize + 40);
    let h = 2.0 * std::f64::consts::PI / m as f64;
    (0..m)
        .map(|j| {
            let tau = j as f64 * h;
            (tau - z * tau.sin()).cos()
        })
        .sum::<f64>()
        / m as f64
}

#[test]
fn bessel_j1_matches_tabulated_values() {
    // Abramowitz & Stegun table 9.1 / DLMF 10.2 values, to 16 digits.
    let table = [
        (0.5, 0.242_268_457_674_873_9),
        (1.0, 0.440_050_585_744_933_5),
        (2.0, 0.576_724_807_756_873_4),
        (5.0, -0.327_579_137_591_465_2),
        (10.0, 0.043_472_746_168_861_44),
        (20.0, 0.066_833_124_175_850_05),
        (30.0, -0.118_751_062_616_623),
        (3.831_705_970_207_512, 0.0), // the first zero j₁,₁
    ];
    for (z, j1) in table {
        assert!(
            (bessel_j1(z) - j1).abs() < 1e-12,
            "J1({z}) = {} vs {j1}",
            bessel_j1(z)
        );
    }
    // And the power series Σ (−1)^m (z/2)^{2m+1}/(m!(m+1)!) for small z, where it does not cancel.
    for z in [0.1, 0.7, 1.5] {
        let (mut term, mut sum) = (z / 2.0, 0.0);
        for m in 0..30 {
            sum += term;
            term *= -(z / 2.0) * (z / 2.0) / ((m + 1) as f64 * (m + 2) as f64);
        }
        assert!((bessel_j1(z) - sum).abs() < 1e-15, "z = {z}");
    }
}

#[test]
fn nesterov_ode_matches_the_bessel_closed_form() {
    // On L = ½Σλ_i x_i², X'' + (3/t)X' + λX = 0 with X(0) = x₀, X'(0) = 0 is solved per coordinate by
    // X(t) = 2x₀J₁(√λ t)/(√λ t) (substitute X = u(z)/z, z = √λ t: Bessel's equation of order 1).
    let lambdas = [4.0, 0.25];
    let q = Quadratic::from_eigenvalues(&lambdas, vec![0.0, 0.0]);
    let x0 = [1.0, -2.0];
    let eta = 1e-4; // t = k·√η = k/100
    let grid = TimeGrid::new(eta, 2000, 10).with_time_map(TimeMap::SqrtEta);
    let traj = solve(&NesterovOde::new(&q), &q, &x0, &grid, &dop853(1e-12), 1e10);
    assert_eq!(traj.termination, Termination::Completed);
    assert_eq!(traj.len(), 201);
    assert_eq!(
        traj.dim, 2,
        "the trajectory records the position, not the velocity"
    );
    let mut worst: f64 = 0.0;
    for j in 0..traj.len() {
        let t = traj.times[j];
        assert_eq!(t, (10 * j) as f64 * 0.01, "t = k·√η as a product");
        for i in 0..2 {
            let z = lambdas[i].sqrt() * t;
            let exact = if z == 0.0 {
                x0[i]
            } else {
                2.0 * x0[i] * bessel_j1(z) / z
            };
            worst = worst.max((traj.state(j)[i] - exact).abs());
        }
    }
    assert!(worst < 1e-9, "worst error {worst:e} up to t = 20");
}

#[test]
fn nesterov_su_boyd_candes_approaches_its_ode_like_sqrt_eta() {
    // Su, Boyd & Candès: x_k → X(k√s) as s → 0; the leading error is O(√s) (their derivation drops the
    // O(√s) terms of the expansion), a slope of 1/2 against η = s.
    let q = Quadratic::from_eigenvalues(&[1.0, 0.2], vec![0.0, 0.0]);
    let x0 = [1.0, 1.0];
    let etas: [f64; 4] = [1e-2, 2.5e-3, 6.25e-4, 1.5625e-4];
    let gaps: Vec<f64> = etas
        .iter()
        .map(|&eta| {
            let grid =
                TimeGrid::new(eta, (4.0 / eta.sqrt()).round() as u64, 1).with_time_map(TimeMap::SqrtEta);
            let nag = nesterov(&q, &x0, &grid, NesterovSchedule::SuBoydCandes, 1e10);
            let ode = solve(&NesterovOde::new(&q), &q, &x0, &grid, &dop853(1e-12), 1e10);
            max_gap(&nag, &ode)
        })
        .collect();
    let slope = loglog_slope(&etas, &gaps);
    assert!((slope - 0.5).abs() < 0.15, "slope {slope} from {gaps:?}");
}

#[test]
fn heavy_ball_ode_is_not_stopped_by_its_own_stiffness() {
    // At η = 1e-6 the fast mode decays at rate 2(1 − β)/(η(1 + β)) ≈ 1e5 while the slow one moves at
    // ≈ λ/(1 − β) = 100: stability-limited steps for most of the run, which ode_solvers' stiffness test
    // would report as a failure after a thousand steps. The run completes and stays O(η²) from heavy ball.
    let q = quadratic();
    let (beta, eta) = (0.9, 1e-6);
    let grid = TimeGrid::new(eta, 200_000, 1000);
    let field = HeavyBallOde::new(&q, eta, beta, MomentumStart::Steady);
    let ode = solve(&field, &q, &[1.0, 0.3], &grid, &dop853(1e-10), 1e10);
    assert_eq!(ode.termination, Termination::Completed, "{:?}", ode.stats);
    assert!(
        ode.stats.accepted_steps > 1000,
        "stability-limited: {:?}",
        ode.stats
    );
    let hb = heavy_ball(&q, &[1.0, 0.3], &grid, beta, MomentumStart::Steady, 1e10);
    assert!(max_gap(&hb, &ode) < 1e-6);
}
