//! Fuzzing the formula objective (`flowgap::objective::Formula`) with proptest: arbitrary text,
//! expressions built from a grammar, and those expressions with characters deleted or inserted.
//!
//! The properties: `Formula::new` never panics (exmex is a third-party parser; a panic inside it would
//! be a crash of the CLI); a refusal points inside its input (a byte offset within the expression, or
//! an entry of the parameter list) with a message; an accepted formula's gradient agrees with central
//! differences of its loss, and its Hessian-vector products with central differences of its gradient,
//! wherever those are finite and well-conditioned (Richardson: two step sizes agree).
//!
//! CI runs 64 cases per property (a few seconds); run long with
//! `PROPTEST_CASES=200000 cargo test --test fuzz_formula` (see docs/fuzzing.md).

use flowgap::objective::formula::FaultAt;
use flowgap::objective::{Formula, Objective};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many derivative comparisons were made (not skipped), for the coverage test.
static COMPARED: AtomicUsize = AtomicUsize::new(0);

fn params() -> Vec<String> {
    vec!["x".to_string(), "y".to_string()]
}

/// Central difference of `f` along coordinate `i` at `p` with step `h`.
fn central(f: &dyn Fn(&[f64]) -> f64, p: &[f64], i: usize, h: f64) -> f64 {
    let (mut a, mut b) = (p.to_vec(), p.to_vec());
    a[i] += h;
    b[i] -= h;
    (f(&a) - f(&b)) / (2.0 * h)
}

/// Checks `exact` (an analytic derivative along coordinate `i`) against central differences of `f`.
/// Skips points where the differences are not finite or not converged (|D(h) − D(h/2)| large: a
/// singularity or a kink nearby), or where `f` is too large for differences to carry digits.
///
/// `loss` is |L(p)|: the symbolic derivatives are exact, but evaluated in f64 they cancel terms of the
/// loss's size, so their own rounding is ε·|L| times the expression's scale (found by this fuzzer:
/// `exp((x/(x/3))^3)` is the constant e²⁷ ≈ 5e11, yet its exact ∂²L/∂x² evaluates to −0.85 at
/// x = −0.128; see docs/pitfalls.md). Points with |L| > 10⁸ are skipped and the tolerance carries
/// 1e-12·|L|.
fn agrees(
    f: &dyn Fn(&[f64]) -> f64,
    p: &[f64],
    i: usize,
    exact: f64,
    loss: f64,
    what: &str,
) -> Result<(), TestCaseError> {
    let f0 = f(p);
    let too_large = !loss.is_finite() || loss.abs() > 1e8;
    if !f0.is_finite() || f0.abs() > 1e8 || !exact.is_finite() || too_large {
        return Ok(());
    }
    let h = 1e-4 * (1.0 + p[i].abs());
    let (d1, d2) = (central(f, p, i, h), central(f, p, i, h / 2.0));
    if !d1.is_finite() || !d2.is_finite() {
        return Ok(());
    }
    // Truncation error of D(h/2) ≈ |D(h) − D(h/2)|/3; rounding ≈ ε|f|/h.
    let truncation = (d1 - d2).abs();
    if truncation > 1e-2 * (1.0 + d2.abs()) {
        return Ok(());
    }
    COMPARED.fetch_add(1, Ordering::Relaxed);
    // f's rounding is up to ε·|L| even when f (a partial derivative) is small, because its terms can
    // cancel at the loss's scale (found: `sinh(x/(x*y - x))` is sinh(1/(y − 1)), yet its ∂L/∂x carries
    // noise ε·cosh(…)).
    let rounding = 1e-15 * (1.0 + f0.abs().max(loss.abs())) / h;
    let tol = truncation + 100.0 * rounding + 1e-7 * (1.0 + exact.abs()) + 1e-12 * loss.abs();
    prop_assert!(
        (exact - d2).abs() <= tol,
        "{}: exact {} vs central difference {} (tolerance {:e}) at {:?}",
        what,
        exact,
        d2,
        tol,
        p
    );
    Ok(())
}

/// Builds the formula and checks the properties at a few points.
fn check(expr: &str, points: &[[f64; 2]]) -> Result<(), TestCaseError> {
    let params = params();
    match Formula::new(expr, &params) {
        Err(e) => {
            prop_assert!(!e.message.trim().is_empty());
            match e.at {
                FaultAt::Expr(offset) => {
                    prop_assert!(
                        offset <= expr.len(),
                        "offset {} beyond {} bytes",
                        offset,
                        expr.len()
                    );
                }
                FaultAt::Param(i) => prop_assert!(i < params.len()),
                FaultAt::Params => prop_assert!(false, "params is not empty"),
            }
        }
        Ok(formula) => {
            let loss = |t: &[f64]| formula.loss(t);
            for p in points {
                let l = formula.loss(p);
                let mut g = [0.0; 2];
                formula.gradient(p, &mut g);
                for i in 0..2 {
                    agrees(&loss, p, i, g[i], l, &format!("∂L/∂θ{i} of `{expr}`"))?;
                    let mut e = [0.0; 2];
                    e[i] = 1.0;
                    let mut hv = [0.0; 2];
                    formula.hvp(p, &e, &mut hv);
                    for (j, &hji) in hv.iter().enumerate() {
                        // (H e_i)_j = ∂g_j/∂θ_i.
                        let gj = |t: &[f64]| {
                            let mut g = [0.0; 2];
                            formula.gradient(t, &mut g);
                            g[j]
                        };
                        agrees(&gj, p, i, hji, l, &format!("∂²L/∂θ{j}∂θ{i} of `{expr}`"))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Well-formed expressions over x and y (the leaves of the grammar exmex documents; powers are small
/// non-negative integers, so `^` stays defined on negative bases). A term `+0.3*x*y` makes every one use
/// both params, which `Formula::new` requires.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("y".to_string()),
        (0u32..50).prop_map(|n| format!("{}", f64::from(n) / 10.0)),
        Just("PI".to_string()),
    ];
    leaf.prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            (inner.clone(), "[-+*/]", inner.clone()).prop_map(|(a, op, b)| format!("({a}){op}({b})")),
            (inner.clone(), 0u32..4).prop_map(|(a, k)| format!("({a})^{k}")),
            (
                prop::sample::select(vec!["sin", "cos", "exp", "tanh", "ln", "sqrt", "atan", "sinh"]),
                inner
            )
                .prop_map(|(f, a)| format!("{f}({a})")),
        ]
    })
    .prop_map(|e| format!("{e}+0.3*x*y"))
}

/// An expression with a few characters deleted or inserted.
fn mutated() -> impl Strategy<Value = String> {
    (
        expression(),
        prop::collection::vec(
            (
                any::<usize>(),
                prop::sample::select(vec![
                    "", "(", ")", "^", "-", "*", "x", "z", "e", "1e-3", ",", " ", "é", "abs", "--", "^-",
                ]),
            ),
            1..4,
        ),
    )
        .prop_map(|(mut s, edits)| {
            for (at, ins) in edits {
                let chars: Vec<char> = s.chars().collect();
                let k = at % (chars.len() + 1);
                let mut out: String = chars[..k].iter().collect();
                out.push_str(ins);
                // An empty insert deletes the character at k instead.
                let rest = if ins.is_empty() {
                    (k + 1).min(chars.len())
                } else {
                    k
                };
                out.extend(&chars[rest..]);
                s = out;
            }
            s
        })
}

fn point() -> impl Strategy<Value = [f64; 2]> {
    [-1.5f64..1.5, -1.5f64..1.5]
}

proptest! {
    #![proptest_config(Config { cases: Config::default().cases.min(64), ..Config::default() })]

    /// Any text at all.
    #[test]
    fn arbitrary_text_is_refused_inside_its_input_or_differentiates_right(expr in any::<String>(), p in point()) {
        check(&expr, &[p])?;
    }

    /// Text made of exmex's tokens.
    #[test]
    fn token_soup_is_refused_inside_its_input_or_differentiates_right(
        expr in "((x|y|z|[0-9]|\\.|\\+|-|\\*|/|\\^|\\(|\\)|sin|exp|ln|sqrt|abs|min|max|atan2|PI|E|,| |e)){0,30}",
        p in point(),
    ) {
        check(&expr, &[p])?;
    }

    /// Well-formed expressions: accepted or refused with a reason (e.g. exmex's precedence), and when
    /// accepted their derivatives agree with central differences.
    #[test]
    fn well_formed_expressions_differentiate_right(expr in expression(), p in point(), q in point()) {
        check(&expr, &[p, q])?;
    }

    /// Well-formed expressions with 1–3 characters deleted or inserted.
    #[test]
    fn mutated_expressions_are_refused_inside_their_input_or_differentiate_right(expr in mutated(), p in point()) {
        check(&expr, &[p])?;
    }
}

/// The checker can fail: a wrong derivative is caught (so agreement is not vacuous).
#[test]
fn the_derivative_check_catches_a_wrong_derivative() {
    let f = |t: &[f64]| t[0].sin() * t[1];
    let p = [0.3, 1.2];
    let l = f(&p);
    assert!(agrees(&f, &p, 0, 0.3f64.cos() * 1.2, l, "right").is_ok());
    assert!(agrees(&f, &p, 0, 0.3f64.cos() * 1.2 * 1.001, l, "wrong").is_err());
}

/// The grammar reaches the accepted side (so the derivative property is exercised, not vacuous):
/// over 300 expressions from a fixed seed, most are accepted and their derivatives are checked.
#[test]
fn most_grammar_expressions_are_accepted() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = expression();
    let mut accepted = 0;
    let before = COMPARED.load(Ordering::Relaxed);
    for _ in 0..300 {
        let expr = strategy.new_tree(&mut runner).unwrap().current();
        if Formula::new(&expr, &params()).is_ok() {
            accepted += 1;
        }
        check(&expr, &[[0.4, -0.7]]).unwrap();
    }
    // Each accepted formula offers 2 gradient and 4 Hessian comparisons at the point; most must be
    // made, not skipped (the other tests run in parallel and may add to the count, never subtract).
    let compared = COMPARED.load(Ordering::Relaxed) - before;
    eprintln!("{accepted} of 300 grammar expressions accepted, {compared} derivatives compared");
    assert!(accepted >= 250, "only {accepted} of 300 accepted");
    assert!(compared >= 3 * accepted, "only {compared} derivatives compared");
}
