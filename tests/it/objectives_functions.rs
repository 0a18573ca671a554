//! The test functions (beale, rastrigin, double_well), the formula objective and the noisy quadratic
//! model against mathematics: derivatives against central finite differences, minima against their
//! closed forms, formula against the hand-written Rosenbrock, the noise against its distribution, and
//! bad scenario input against the exact line and column of the fault.

use super::quadratic_closed_form::rel_err;
use flowgap::objective::{
    Beale, DoubleWell, Formula, NoisyGradient, NoisyQuadratic, Objective, Quadratic, Rastrigin, Rosenbrock,
};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// ∂L/∂θ_i ≈ (L(θ + h e_i) − L(θ − h e_i)) / 2h, h = 1e-5·(1 + |θ_i|): truncation error h²·L'''/6
/// and rounding error ε·|L|/h are both ≪ 1e-6 relative for the functions tested here.
fn fd_gradient(f: &dyn Objective, theta: &[f64]) -> Vec<f64> {
    (0..theta.len())
        .map(|i| {
            let h = 1e-5 * (1.0 + theta[i].abs());
            let mut p = theta.to_vec();
            let mut m = theta.to_vec();
            p[i] += h;
            m[i] -= h;
            (f.loss(&p) - f.loss(&m)) / (2.0 * h)
        })
        .collect()
}

/// H v ≈ (∇L(θ + h v) − ∇L(θ − h v)) / 2h, with h scaled to θ and v.
fn fd_hvp(f: &dyn Objective, theta: &[f64], v: &[f64]) -> Vec<f64> {
    let h = 1e-5 * (1.0 + norm(theta)) / norm(v);
    let p: Vec<f64> = theta.iter().zip(v).map(|(t, vi)| t + h * vi).collect();
    let m: Vec<f64> = theta.iter().zip(v).map(|(t, vi)| t - h * vi).collect();
    let (mut gp, mut gm) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
    f.gradient(&p, &mut gp);
    f.gradient(&m, &mut gm);
    gp.iter().zip(&gm).map(|(a, b)| (a - b) / (2.0 * h)).collect()
}

/// At 25 seeded points uniform in [lo, hi]^d: the gradient and the Hessian-vector product (along a
/// random Gaussian v) agree with central differences to 1e-6 relative.
fn check_derivatives(name: &str, f: &dyn Objective, lo: f64, hi: f64, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = f.dim();
    let mut worst = (0.0f64, 0.0f64);
    for _ in 0..25 {
        let theta: Vec<f64> = (0..d).map(|_| rng.random_range(lo..hi)).collect();
        let v: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut g = vec![0.0; d];
        f.gradient(&theta, &mut g);
        let eg = rel_err(&g, &fd_gradient(f, &theta));
        let mut hv = vec![0.0; d];
        f.hvp(&theta, &v, &mut hv);
        let eh = rel_err(&hv, &fd_hvp(f, &theta, &v));
        assert!(eg < 1e-6, "{name}: gradient at {theta:?} off by {eg:e} relative");
        assert!(eh < 1e-6, "{name}: hvp at {theta:?} off by {eh:e} relative");
        worst = (worst.0.max(eg), worst.1.max(eh));
    }
    eprintln!(
        "{name}: worst relative error gradient {:.1e}, hvp {:.1e}",
        worst.0, worst.1
    );
}

fn names(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

/// A formula using most of exmex's differentiable operators, params not in alphabetical order.
fn rich_formula() -> Formula {
    Formula::new(
        "sin(x*y) + exp(-(z^2)/2) + ln(1 + x^2) + sqrt(2 + y^2) + x/(1 + z^2) + tanh(y - z)^2 \
         + (x - 1)^3 + cos(z)*atan(y) + 2^x + π*z",
        &names(&["z", "x", "y"]),
    )
    .unwrap()
}

/// A 3×3 symmetric positive definite matrix with off-diagonal entries (eigenvalues 4.5, 2, 0.25 in a
/// rotated basis).
fn rotated(eigenvalues: [f64; 3]) -> DMatrix<f64> {
    let q = nalgebra::Rotation3::from_euler_angles(0.4, -0.9, 1.3).into_inner();
    let q = DMatrix::from_fn(3, 3, |i, j| q[(i, j)]);
    let a = &q * DMatrix::from_diagonal(&DVector::from_vec(eigenvalues.to_vec())) * q.transpose();
    (&a + a.transpose()) * 0.5
}

fn noisy_quadratic() -> NoisyQuadratic {
    let q = Quadratic::new(rotated([4.5, 2.0, 0.25]), vec![1.0, -2.0, 0.5]);
    NoisyQuadratic::new(q, rotated([3.0, 1.0, 0.1])).unwrap()
}

#[test]
fn gradients_and_hvps_match_finite_differences() {
    check_derivatives("beale", &Beale, -4.5, 4.5, 1);
    check_derivatives(
        "rastrigin A=10 d=3",
        &Rastrigin { a: 10.0, dim: 3 },
        -5.12,
        5.12,
        2,
    );
    check_derivatives(
        "rastrigin A=2.5 d=5",
        &Rastrigin { a: 2.5, dim: 5 },
        -5.12,
        5.12,
        3,
    );
    check_derivatives("double_well d=4", &DoubleWell { dim: 4 }, -2.0, 2.0, 4);
    check_derivatives("double_well d=1", &DoubleWell { dim: 1 }, -2.0, 2.0, 5);
    let rosen = Formula::new("(1-x)^2 + 100*(y-x^2)^2", &names(&["x", "y"])).unwrap();
    check_derivatives("formula rosenbrock", &rosen, -2.0, 2.0, 6);
    check_derivatives("formula rich", &rich_formula(), -1.5, 1.5, 7);
    check_derivatives(
        "noisy_quadratic (mean gradient)",
        &noisy_quadratic(),
        -3.0,
        3.0,
        8,
    );
}

#[test]
fn known_minima_are_stationary_with_their_closed_form_values() {
    // Beale: every residual 1.5 − 3 + 3·0.5, 2.25 − 3 + 3·0.25, 2.625 − 3 + 3·0.125 is exactly 0.
    assert_eq!(Beale.known_minima(), vec![vec![3.0, 0.5]]);
    // Rastrigin: 0 ∈ ℝ^d with L = A·d − A·d = 0.
    let r = Rastrigin { a: 10.0, dim: 4 };
    assert_eq!(r.known_minima(), vec![vec![0.0; 4]]);
    // Double well: the 2^d corners of [−1, 1]^d, all distinct; none listed above d = 10.
    let dw = DoubleWell { dim: 3 };
    let mut corners = dw.known_minima();
    assert_eq!(corners.len(), 8);
    corners.sort_by(|a, b| a.partial_cmp(b).unwrap());
    corners.dedup();
    assert_eq!(corners.len(), 8);
    assert!(corners.iter().flatten().all(|x| x.abs() == 1.0));
    assert_eq!(DoubleWell { dim: 10 }.known_minima().len(), 1024);
    assert!(DoubleWell { dim: 11 }.known_minima().is_empty());
    let nq = noisy_quadratic();
    assert_eq!(nq.known_minima(), vec![vec![1.0, -2.0, 0.5]]);

    let objectives: [(&str, &dyn Objective); 4] = [
        ("beale", &Beale),
        ("rastrigin", &r),
        ("double_well", &dw),
        ("noisy_quadratic", &nq),
    ];
    for (name, f) in objectives {
        for m in f.known_minima() {
            let mut g = vec![0.0; f.dim()];
            f.gradient(&m, &mut g);
            assert_eq!(norm(&g), 0.0, "{name}: ∇L({m:?}) = {g:?}");
            assert!(f.loss(&m).abs() < 1e-15, "{name}: L({m:?}) = {}", f.loss(&m));
            // A minimum: the Hessian is positive definite (vᵀHv > 0 along the axes and diagonals).
            for k in 0..f.dim() {
                let mut v = vec![0.0; f.dim()];
                v[k] = 1.0;
                v[(k + 1) % f.dim()] += 0.5;
                let mut hv = vec![0.0; f.dim()];
                f.hvp(&m, &v, &mut hv);
                let curvature: f64 = v.iter().zip(&hv).map(|(a, b)| a * b).sum();
                assert!(curvature > 0.0, "{name}: vᵀHv = {curvature} at {m:?}");
            }
        }
    }
    // The Hessians at the minima, by hand: Beale's at (3, ½) is Σ 2∇r_k∇r_kᵀ with ∇r_k = (y^k − 1,
    // k x y^{k−1}) = (−½, 3), (−¾, 3), (−⅞, 9/4): H = [[2.6406…, −14.4375], [−14.4375, 46.125]].
    let mut h = [0.0; 2];
    Beale.hvp(&[3.0, 0.5], &[1.0, 0.0], &mut h);
    let hxx = 2.0 * (0.25 + 0.5625 + 0.765625);
    let hxy = 2.0 * (-1.5 - 2.25 - 1.96875);
    assert!((h[0] - hxx).abs() < 1e-13 && (h[1] - hxy).abs() < 1e-13, "{h:?}");
    Beale.hvp(&[3.0, 0.5], &[0.0, 1.0], &mut h);
    assert!((h[1] - 2.0 * (9.0 + 9.0 + 5.0625)).abs() < 1e-13, "{h:?}");
    // Rastrigin: ∂_ii L(0) = 2 + 4π²A; double well: ∂_ii L(±1) = 3 − 1 = 2.
    let mut hr = [0.0; 4];
    r.hvp(&[0.0; 4], &[1.0; 4], &mut hr);
    let expect = 2.0 + 4.0 * std::f64::consts::PI.powi(2) * 10.0;
    assert!(hr.iter().all(|x| (x - expect).abs() < 1e-12), "{hr:?}");
    let mut hd = [0.0; 3];
    dw.hvp(&[1.0, -1.0, 1.0], &[1.0, 2.0, 3.0], &mut hd);
    assert_eq!(hd, [2.0, 4.0, 6.0]);
}

#[test]
fn formula_of_rosenbrock_equals_the_builtin() {
    let builtin = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    for params in [["x", "y"], ["y", "x"]] {
        let f = Formula::new("(1-x)^2 + 100*(y-x^2)^2", &names(&params)).unwrap();
        // With params = [y, x], θ = (y, x): compare against the builtin at the swapped point.
        let swap = params[0] == "y";
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..25 {
            let p = [rng.random_range(-2.0..2.0), rng.random_range(-1.0..3.0)];
            let v = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let (pf, vf) = if swap {
                ([p[1], p[0]], [v[1], v[0]])
            } else {
                (p, v)
            };
            let (lb, lf) = (builtin.loss(&p), f.loss(&pf));
            assert!((lf - lb).abs() <= 1e-12 * lb.abs(), "loss at {p:?}: {lf} vs {lb}");
            let (mut gb, mut gf) = ([0.0; 2], [0.0; 2]);
            builtin.gradient(&p, &mut gb);
            f.gradient(&pf, &mut gf);
            if swap {
                gf.swap(0, 1);
            }
            assert!(rel_err(&gf, &gb) <= 1e-12, "gradient at {p:?}: {gf:?} vs {gb:?}");
            let (mut hb, mut hf) = ([0.0; 2], [0.0; 2]);
            builtin.hvp(&p, &v, &mut hb);
            f.hvp(&pf, &vf, &mut hf);
            if swap {
                hf.swap(0, 1);
            }
            assert!(rel_err(&hf, &hb) <= 1e-12, "hvp at {p:?}: {hf:?} vs {hb:?}");
        }
    }
}

/// Draws n noisy gradients at θ; returns the z-scores of the sample mean against ∇L(θ) and of the
/// sample covariance against `sigma`. For Gaussian ξ the standard error of the mean's component i is
/// √(Σ_ii/n), and of the (mean-known) sample covariance S_ij = (1/n) Σ_k ξ_i ξ_j it is
/// √((Σ_ii Σ_jj + Σ_ij²)/n) (Isserlis: Var[ξ_i ξ_j] = Σ_ii Σ_jj + Σ_ij²).
fn noise_z_scores(
    nq: &NoisyQuadratic,
    theta: &[f64],
    sigma: &DMatrix<f64>,
    n: usize,
) -> (Vec<f64>, Vec<f64>) {
    let noisy = nq.as_noisy().expect("a noisy quadratic has a noisy gradient");
    let d = nq.dim();
    let mut g = vec![0.0; d];
    nq.gradient(theta, &mut g);
    let mut rng = ChaCha8Rng::seed_from_u64(2019);
    let mut sum = vec![0.0; d];
    let mut outer = DMatrix::<f64>::zeros(d, d);
    let mut draw = vec![0.0; d];
    for _ in 0..n {
        noisy.noisy_gradient(theta, &mut rng, &mut draw);
        for i in 0..d {
            sum[i] += draw[i];
            for j in 0..d {
                outer[(i, j)] += (draw[i] - g[i]) * (draw[j] - g[j]);
            }
        }
    }
    let nf = n as f64;
    let z_mean = (0..d)
        .map(|i| (sum[i] / nf - g[i]) / (nq.covariance()[(i, i)] / nf).sqrt())
        .collect();
    let mut z_cov = Vec::new();
    for i in 0..d {
        for j in i..d {
            // The standard error uses the true Σ (not `sigma`, the hypothesis being tested).
            let s = nq.covariance();
            let se = ((s[(i, i)] * s[(j, j)] + s[(i, j)].powi(2)) / nf).sqrt();
            z_cov.push((outer[(i, j)] / nf - sigma[(i, j)]) / se);
        }
    }
    (z_mean, z_cov)
}

#[test]
fn noisy_gradients_have_mean_grad_l_and_covariance_sigma() {
    let nq = noisy_quadratic();
    let theta = [0.3, 1.7, -2.2];
    let n = 40_000;
    let (z_mean, z_cov) = noise_z_scores(&nq, &theta, nq.covariance(), n);
    // 9 statistics, each N(0, 1) under the hypothesis: |z| < 4 fails by chance with p ≈ 6e-4.
    for z in z_mean.iter().chain(&z_cov) {
        assert!(z.abs() < 4.0, "mean z {z_mean:?}, covariance z {z_cov:?}");
    }
    // The test has power: the covariance of the transposed factor, FᵀF ≠ Σ, is rejected clearly.
    let wrong = nq.factor().transpose() * nq.factor();
    let (_, z_wrong) = noise_z_scores(&nq, &theta, &wrong, n);
    let max = |z: &[f64]| z.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    eprintln!(
        "max |z|: mean {:.2}, covariance {:.2}, covariance against FᵀF {:.1}",
        max(&z_mean),
        max(&z_cov),
        max(&z_wrong)
    );
    assert!(
        z_wrong.iter().any(|z| z.abs() > 10.0),
        "FᵀF not rejected: {z_wrong:?}"
    );
    assert_eq!(
        nq.as_noisy().unwrap().gradient_covariance(&theta),
        *nq.covariance()
    );
    assert!(Quadratic::from_eigenvalues(&[1.0], vec![0.0])
        .as_noisy()
        .is_none());
}

#[test]
fn singular_noise_stays_in_its_subspace_and_draws_are_reproducible() {
    // Σ = u uᵀ with u = (1, 2, −1): rank 1, so Cholesky fails and the eigen factor is used. Every
    // draw's noise is a multiple of u: its component along w = (2, −1, 0) ⟂ u vanishes.
    let u = DVector::from_vec(vec![1.0, 2.0, -1.0]);
    let q = Quadratic::from_eigenvalues(&[1.0, 2.0, 3.0], vec![0.0; 3]);
    let nq = NoisyQuadratic::new(q.clone(), &u * u.transpose()).unwrap();
    let theta = [0.5, -1.0, 2.0];
    let mut g = [0.0; 3];
    nq.gradient(&theta, &mut g);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut draw = [0.0; 3];
    for _ in 0..1000 {
        nq.noisy_gradient(&theta, &mut rng, &mut draw);
        let xi: Vec<f64> = draw.iter().zip(&g).map(|(a, b)| a - b).collect();
        assert!((2.0 * xi[0] - xi[1]).abs() < 1e-12, "noise {xi:?} leaves span(u)");
    }
    let (z_mean, z_cov) = noise_z_scores(&nq, &theta, nq.covariance(), 20_000);
    for z in z_mean.iter().chain(&z_cov).filter(|z| z.is_finite()) {
        assert!(z.abs() < 4.0, "mean z {z_mean:?}, covariance z {z_cov:?}");
    }
    // Diagonal noise with a zero variance: that coordinate is exact.
    let diag = NoisyQuadratic::with_diagonal_noise(q, &[0.5, 0.0, 2.0]).unwrap();
    diag.noisy_gradient(&theta, &mut rng, &mut draw);
    diag.gradient(&theta, &mut g);
    assert_eq!(draw[1], g[1]);
    // Same seed, same draws.
    let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
    nq.noisy_gradient(&theta, &mut ChaCha8Rng::seed_from_u64(9), &mut a);
    nq.noisy_gradient(&theta, &mut ChaCha8Rng::seed_from_u64(9), &mut b);
    assert_eq!(a, b);
}

#[test]
fn bad_covariances_are_refused() {
    let q = || Quadratic::from_eigenvalues(&[1.0, 2.0], vec![0.0; 2]);
    let m = |rows: [[f64; 2]; 2]| DMatrix::from_fn(2, 2, |i, j| rows[i][j]);
    use flowgap::objective::CovarianceError as E;
    // Eigenvalues of [[1, 2], [2, 1]] are 3 and −1.
    assert!(
        matches!(NoisyQuadratic::new(q(), m([[1.0, 2.0], [2.0, 1.0]])), Err(E::NotPsd(l)) if (l + 1.0).abs() < 1e-12)
    );
    assert!(matches!(
        NoisyQuadratic::new(q(), m([[1.0, 0.5], [0.4, 1.0]])),
        Err(E::Asymmetric(_))
    ));
    assert!(matches!(
        NoisyQuadratic::new(q(), DMatrix::identity(3, 3)),
        Err(E::Shape { .. })
    ));
    assert!(matches!(
        NoisyQuadratic::new(q(), m([[f64::NAN, 0.0], [0.0, 1.0]])),
        Err(E::NotFinite)
    ));
}

// ---- scenario files ----

fn parse(text: &str) -> flowgap::Result<flowgap::scenario::Scenario> {
    flowgap::scenario::parse(text, Path::new("bad.toml"))
}

/// A scenario with the given `[objective]` table body and a 2-D start.
fn scenario(objective: &str, point: &str) -> String {
    format!(
        "name = \"t\"\n\n[objective]\n{objective}\n\n[init]\npoint = {point}\n\n[run]\nstep_size = 1e-3\n\
         steps = 10\n\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n"
    )
}

/// 1-based line and column (in characters) of the first occurrence of `needle` in `text`, plus `skip`
/// characters.
fn position(text: &str, needle: &str, skip: usize) -> (usize, usize) {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1 + skip;
    (line, col)
}

/// The refusal is bad input (exit code 2 in the CLI) and names the file, line and column, the key and
/// `also`.
fn assert_refused_at(text: &str, key: &str, (line, col): (usize, usize), also: &str) {
    let err = match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    };
    assert!(err.is_bad_input(), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("bad.toml:{line}:{col}: ")),
        "not at {line}:{col}: {msg}"
    );
    assert!(msg.contains(key), "key {key} not in {msg}");
    assert!(msg.contains(also), "`{also}` not in {msg}");
}

#[test]
fn bad_formulas_are_refused_at_the_faulty_character() {
    let obj = |expr: &str, params: &str| format!("kind = \"formula\"\nexpr = \"{expr}\"\nparams = {params}");
    let xy = "[\"x\", \"y\"]";
    // Unclosed parenthesis: the `(` before y, 14 characters into the value, 1 past the quote.
    let t = scenario(&obj("(1-x)^2 + 100*(y-x^2", xy), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.expr",
        position(&t, "\"(1-x)", 1 + 14),
        "never closed",
    );
    // A missing operator: `2y` → at y.
    let t = scenario(&obj("x + 2y", xy), "[0.0, 0.0]");
    assert_refused_at(&t, "objective.expr", position(&t, "2y", 1), "operator is missing");
    // An unknown function: at its name.
    let t = scenario(&obj("x + sinn(y)", xy), "[0.0, 0.0]");
    assert_refused_at(&t, "objective.expr", position(&t, "sinn", 0), "not a function");
    // A variable not in params.
    let t = scenario(&obj("x + z", xy), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.expr",
        position(&t, "z\"", 0),
        "`z` is not in params",
    );
    // exmex's precedence: -x^2 is (−x)².
    let t = scenario(&obj("exp(-x^2) + y", xy), "[0.0, 0.0]");
    assert_refused_at(&t, "objective.expr", position(&t, "-x^2", 0), "before `^`");
    // Not differentiable.
    let t = scenario(&obj("abs(x) + y", xy), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.expr",
        position(&t, "abs", 0),
        "cannot differentiate `abs`",
    );
    // A literal string maps as exactly.
    let t = scenario(
        "kind = \"formula\"\nexpr = 'x ** y'\nparams = [\"x\", \"y\"]",
        "[0.0, 0.0]",
    );
    assert_refused_at(&t, "objective.expr", position(&t, "** y", 1), "binary operator");
    // Params: unused, duplicate, operator names, empty.
    let t = scenario(&obj("x + y", "[\"x\", \"y\", \"w\"]"), "[0.0, 0.0, 0.0]");
    assert_refused_at(&t, "objective.params[2]", position(&t, "\"w\"", 0), "not used");
    let t = scenario(&obj("x + y", "[\"x\", \"y\", \"x\"]"), "[0.0, 0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.params[2]",
        position(&t, "\"x\"]", 0),
        "listed twice",
    );
    let t = scenario(&obj("x + e", "[\"x\", \"e\"]"), "[0.0, 0.0]");
    assert_refused_at(&t, "objective.params[1]", position(&t, "\"e\"]", 0), "constant");
    let t = scenario(&obj("x", "[]"), "[0.0]");
    assert_refused_at(
        &t,
        "objective.params",
        position(&t, "[]", 0),
        "list the expression's variables",
    );
    // A missing key is named.
    let t = scenario("kind = \"formula\"\nexpr = \"x\"", "[0.0]");
    let err = parse(&t).err().expect("refused");
    assert!(err.to_string().contains("params"), "{err}");
}

#[test]
fn bad_test_function_and_noise_keys_are_refused_with_line_and_column() {
    let t = scenario("kind = \"rastrigin\"\na = -1.0", "[0.0, 0.0]");
    assert_refused_at(&t, "objective.a", position(&t, "-1.0", 0), "≥ 0");
    let t = scenario("kind = \"rastrigin\"\ndim = 0", "[0.0, 0.0]");
    assert_refused_at(&t, "objective.dim", position(&t, "0\n", 0), "from 1");
    let t = scenario("kind = \"double_well\"\ndim = -3", "[0.0]");
    assert_refused_at(&t, "objective.dim", position(&t, "-3", 0), "from 1");
    let t = scenario("kind = \"beale\"\ndim = 3", "[0.0, 0.0]");
    assert_refused_at(&t, "objective.dim", position(&t, "dim", 0), "unknown field");
    let nq = |noise: &str| format!("kind = \"noisy_quadratic\"\neigenvalues = [1.0, 2.0]\n{noise}");
    let t = scenario(&nq("noise_covariance = [[1.0, 2.0], [2.0, 1.0]]"), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.noise_covariance",
        position(&t, "[[1.0", 0),
        "positive semidefinite",
    );
    let t = scenario(&nq("noise_covariance = [[1.0, 0.5], [0.4, 1.0]]"), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.noise_covariance",
        position(&t, "[[1.0", 0),
        "symmetric",
    );
    let t = scenario(
        &nq("noise_covariance = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]"),
        "[0.0, 0.0]",
    );
    assert_refused_at(
        &t,
        "objective.noise_covariance",
        position(&t, "[[1.0", 0),
        "2 rows of 2",
    );
    let t = scenario(&nq("noise_diagonal = [1.0, -0.5]"), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.noise_diagonal",
        position(&t, "[1.0, -0.5]", 0),
        "≥ 0",
    );
    let t = scenario(&nq("noise_diagonal = [1.0]"), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.noise_diagonal",
        position(&t, "[1.0]", 0),
        "dimension 2",
    );
    let t = scenario(
        &nq("noise_diagonal = [1.0, 1.0]\nnoise_covariance = [[1.0, 0.0], [0.0, 1.0]]"),
        "[0.0, 0.0]",
    );
    assert_refused_at(
        &t,
        "objective.noise_diagonal",
        position(&t, "[1.0, 1.0]", 0),
        "not both",
    );
    let t = scenario(&nq(""), "[0.0, 0.0]");
    assert_refused_at(
        &t,
        "objective.noise_diagonal",
        position(&t, "\"noisy_quadratic\"", 0),
        "needs its gradient noise",
    );
}

#[test]
fn the_cli_exits_2_on_a_bad_formula() {
    let dir = std::env::temp_dir().join(format!("flowgap-objfun-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = scenario(
        "kind = \"formula\"\nexpr = \"x + 2y\"\nparams = [\"x\", \"y\"]",
        "[0.0, 0.0]",
    );
    std::fs::write(dir.join("bad.toml"), &t).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["run", "bad.toml", "--out", "out"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let (line, col) = position(&t, "2y", 1);
    assert!(stderr.contains(&format!("bad.toml:{line}:{col}:")), "{stderr}");
    assert!(!dir.join("out").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn good_specs_build_the_objective_they_describe() {
    // Defaults: rastrigin A = 10, d = 2; double_well d = 1.
    let s = parse(&scenario("kind = \"rastrigin\"", "[0.5, 0.5]")).unwrap();
    assert_eq!(s.experiment.objective.dim(), 2);
    // L(½, ½) = 20 + 2(¼ − 10 cos π) = 20 + 2·10.25 = 40.5.
    assert!((s.experiment.objective.loss(&[0.5, 0.5]) - 40.5).abs() < 1e-12);
    let s = parse(&scenario(
        "kind = \"rastrigin\"\nA = 2.0\ndim = 3",
        "[0.5, 0.5, 0.5]",
    ))
    .unwrap();
    assert!((s.experiment.objective.loss(&[0.5, 0.5, 0.5]) - (6.0 + 3.0 * 2.25)).abs() < 1e-12);
    let s = parse(&scenario("kind = \"double_well\"", "[0.0]")).unwrap();
    assert_eq!(
        (s.experiment.objective.dim(), s.experiment.objective.loss(&[0.0])),
        (1, 0.25)
    );
    let s = parse(&scenario("kind = \"beale\"", "[1.0, 1.0]")).unwrap();
    // L(1, 1) = 1.5² + 2.25² + 2.625² = 14.203125.
    assert_eq!(s.experiment.objective.loss(&[1.0, 1.0]), 14.203125);
    let s = parse(&scenario(
        "kind = \"formula\"\nexpr = \"(1-x)^2 + 100*(y-x^2)^2\"\nparams = [\"x\", \"y\"]",
        "[-1.2, 1.0]",
    ))
    .unwrap();
    // L(−1.2, 1) = 2.2² + 100·(1 − 1.44)² = 4.84 + 19.36 = 24.2.
    assert!((s.experiment.objective.loss(&[-1.2, 1.0]) - 24.2).abs() < 1e-12);
    let s = parse(&scenario(
        "kind = \"noisy_quadratic\"\nmatrix = [[2.0, 1.0], [1.0, 2.0]]\ncenter = [1.0, 1.0]\nnoise_diagonal = [0.1, 0.2]",
        "[0.0, 0.0]",
    ))
    .unwrap();
    let noisy = s.experiment.objective.as_noisy().expect("noisy");
    assert_eq!(noisy.gradient_covariance(&[0.0, 0.0])[(1, 1)], 0.2);
    // L(0) = ½ (−1, −1) A (−1, −1)ᵀ = ½ · 6 = 3.
    assert_eq!(s.experiment.objective.loss(&[0.0, 0.0]), 3.0);
    assert_eq!(s.experiment.objective_settings["kind"], "noisy_quadratic");
}

#[test]
fn named_scenarios_of_the_new_kinds_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if [
            "beale_",
            "rastrigin_",
            "double_well_",
            "formula_",
            "noisy_quadratic_",
        ]
        .iter()
        .any(|p| stem.starts_with(p))
        {
            let s = flowgap::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.experiment.description.is_empty(), "{stem}: no description");
            found += 1;
        }
    }
    assert!(found >= 2, "only {found} scenarios of the new kinds");
}
