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
//! `PROPTEST_CASES=200000 cargo test --test it fuzz_formula::` (see docs/fuzzing.md).

use flowgap::objective::formula::FaultAt;
use flowgap::objective::{Formula, Objective};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
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
    #![proptest_config(Config {
        cases: Config::default().cases.min(64),
        // Failures are kept beside this file, in tests/it/fuzz_formula.proptest-regressions, and replayed
        // first on every run (proptest's default would use tests/proptest-regressions/, tests/it/ having a
        // main.rs).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        // A fixed seed unless PROPTEST_RNG_SEED is set: CI is reproducible (a random seed made a
        // rare round-off case fail one run in many); set the variable to explore other cases.
        rng_seed: match Config::default().rng_seed {
            proptest::test_runner::RngSeed::Random => proptest::test_runner::RngSeed::Fixed(0x5eed_f10f),
            chosen => chosen,
        },
        ..Config::default()
    })]

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

// ---- Pathological formulas (issue 17): each is refused quickly with a located message, or accepted,
// built within a time bound and evaluated right.

use flowgap::objective::formula::{MAX_CHARS, MAX_DEPTH, MAX_OPERATORS, MAX_PARAMS};
use std::time::{Duration, Instant};

/// A generated formula: its name, text, params and the loss it should have at θ (None: no reference).
struct Case {
    name: String,
    expr: String,
    params: Vec<String>,
    value: Option<fn(&[f64], usize) -> f64>,
    n: usize,
}

/// `n` copies of `term` joined by `op`.
fn join(term: &str, op: &str, n: usize) -> String {
    vec![term; n].join(op)
}

/// `f(` nested `n` times around `inner`.
fn nest(f: &str, inner: &str, n: usize) -> String {
    format!("{}{inner}{}", format!("{f}(").repeat(n), ")".repeat(n))
}

/// Pathological families around the limits: long chains of each binary operator, deep nesting of each
/// function and of parentheses, unary minus chains, powers of powers, huge numbers, long identifiers,
/// products and quotients whose derivatives grow, many params.
fn pathological() -> Vec<Case> {
    let mut cases = Vec::new();
    let x = || vec!["x".to_string()];
    let xy = || vec!["x".to_string(), "y".to_string()];
    let mut add =
        |name: &str, expr: String, params: Vec<String>, value: Option<fn(&[f64], usize) -> f64>, n: usize| {
            cases.push(Case {
                name: format!("{name} n={n}"),
                expr,
                params,
                value,
                n,
            })
        };
    let ops = MAX_OPERATORS;
    for n in [2, 10, 18, 20, 22, 30, 60, ops, ops + 1, ops + 2, 5 * ops] {
        add("x+x+…", join("x", "+", n), x(), Some(|t, n| n as f64 * t[0]), n);
        add(
            "x-x-…",
            join("x", "-", n),
            x(),
            Some(|t, n| t[0] - (n as f64 - 1.0) * t[0]),
            n,
        );
        add(
            "x*x*…",
            join("x", "*", n),
            x(),
            Some(|t, n| t[0].powi(n as i32)),
            n,
        );
        add(
            "x/x/…",
            join("x", "/", n),
            x(),
            Some(|t, n| t[0].powi(2 - n as i32)),
            n,
        );
        add(
            "x*y+x*y+…",
            join("x*y", "+", n.div_ceil(2)),
            xy(),
            Some(|t, n| n.div_ceil(2) as f64 * t[0] * t[1]),
            n,
        );
        add(
            "(x+y)*(x+y)*…",
            join("(x+y)", "*", n.div_ceil(2)),
            xy(),
            Some(|t, n| (t[0] + t[1]).powi(n.div_ceil(2) as i32)),
            n,
        );
        add(
            "y/(x+y)/(x+y)/…",
            format!("y/{}", join("(x+y)", "/", n.div_ceil(2))),
            xy(),
            Some(|t, n| t[1] / (t[0] + t[1]).powi(n.div_ceil(2) as i32)),
            n,
        );
        add(
            "- - - x",
            format!("{}x", "- ".repeat(n)),
            x(),
            Some(|t, n| if n % 2 == 0 { t[0] } else { -t[0] }),
            n,
        );
        add("sin sin … x", format!("{}x", "sin ".repeat(n)), x(), None, n);
    }
    for n in [1, 10, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 1000, 30_000] {
        add("((x))", nest("", "x", n), x(), Some(|t, _| t[0]), n);
        add(
            "-(-(x))",
            nest("-", "x", n),
            x(),
            Some(|t, n| if n % 2 == 0 { t[0] } else { -t[0] }),
            n,
        );
        add(
            "((x^1.01)^1.01)…",
            format!("{}x{}", "(".repeat(n), ")^1.01".repeat(n)),
            x(),
            Some(|t, n| t[0].powf(1.01f64.powi(n as i32))),
            n,
        );
        for f in ["sin", "cos", "tanh", "atan", "exp", "sqrt", "ln"] {
            add(&format!("{f}({f}(…))"), nest(f, "x", n), x(), None, n);
        }
        add("unclosed (((", format!("{}x", "(".repeat(n)), x(), None, n);
    }
    for n in [10, 300, MAX_CHARS - 4, MAX_CHARS - 2, MAX_CHARS, 100_000] {
        add(
            "x*999…",
            format!("x*{}", "9".repeat(n)),
            x(),
            Some(|t, n| t[0] * "9".repeat(n).parse::<f64>().unwrap()),
            n,
        );
        add(
            "x*0.000…1",
            format!("x*0.{}1", "0".repeat(n)),
            x(),
            Some(|t, n| t[0] * format!("0.{}1", "0".repeat(n)).parse::<f64>().unwrap()),
            n,
        );
        // Texts that do not parse, near the length limit: the fault is located by asking exmex about
        // prefixes (quadratic in the length, which the limit bounds).
        add(
            "long name, trailing +",
            format!("x*{}+", "v".repeat(n)),
            x(),
            None,
            n,
        );
        add(
            "spaces, trailing +",
            format!("x+{}+", " ".repeat(n)),
            x(),
            None,
            n,
        );
        let name = "v".repeat(n);
        add(
            "long identifier",
            format!("{name}^2"),
            vec![name.clone()],
            Some(|t, _| t[0] * t[0]),
            n,
        );
        add(
            "long text",
            format!("x{}", " ".repeat(n)),
            x(),
            Some(|t, _| t[0]),
            n,
        );
    }
    for d in [1, 4, 8, MAX_PARAMS, MAX_PARAMS + 1] {
        let params: Vec<String> = (0..d).map(|i| format!("p{i}")).collect();
        // Σ pᵢ², padded with +0 to the operator limit: the widest flat sum over the most params.
        let squares = params
            .iter()
            .map(|p| format!("{p}^2"))
            .collect::<Vec<_>>()
            .join("+");
        let pad = MAX_OPERATORS.saturating_sub(2 * d) / 2;
        add(
            "Σ p², padded",
            format!("{squares}{}", "+0*0".repeat(pad)),
            params.clone(),
            Some(|t, _| t.iter().map(|v| v * v).sum()),
            d,
        );
        // Π pᵢ repeated: the product rule over many params.
        let product = params
            .iter()
            .cycle()
            .take(MAX_OPERATORS / 2)
            .cloned()
            .collect::<Vec<_>>()
            .join("*");
        add("Π p", product, params.clone(), None, d);
        let quotient = params
            .iter()
            .cycle()
            .take(MAX_OPERATORS / 2)
            .cloned()
            .collect::<Vec<_>>()
            .join("/");
        add("p0/p1/…", quotient, params.clone(), None, d);
        // Rosenbrock in d dimensions.
        let rosen = (0..d.saturating_sub(1))
            .map(|i| format!("100*(p{}-p{i}^2)^2+(1-p{i})^2", i + 1))
            .collect::<Vec<_>>()
            .join("+");
        if d > 1 {
            add(
                "Rosenbrock",
                rosen,
                params.clone(),
                Some(|t, _| {
                    t.windows(2)
                        .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
                        .sum()
                }),
                d,
            );
        }
    }
    cases
}

/// Builds every pathological formula: a refusal must point inside the text (or the params) and come
/// fast; an acceptance must come within the time bound and evaluate to the direct value, with
/// derivatives that agree with central differences.
#[test]
fn pathological_formulas_are_refused_fast_or_built_in_bounded_time_and_evaluate_right() {
    let mut worst = (Duration::ZERO, String::new());
    let (mut accepted, mut refused) = (0, 0);
    for case in pathological() {
        let start = Instant::now();
        let built = Formula::new(&case.expr, &case.params);
        let took = start.elapsed();
        if took > worst.0 {
            worst = (took, case.name.clone());
        }
        eprintln!(
            "{:>10.1?} {:<26} {}",
            took,
            case.name,
            match &built {
                Ok(_) => "accepted".to_string(),
                Err(e) => e.to_string().chars().take(90).collect(),
            }
        );
        // Measured: at most 0.4 s alone (a chain of 20 quotients, the slowest accepted), 1.4 s with this
        // machine's 2 cores shared by the parallel tests and other builds; unbounded, such formulas took
        // 20 s or overflowed the stack.
        assert!(took < Duration::from_secs(3), "{}: {took:?}", case.name);
        match built {
            Err(e) => {
                refused += 1;
                if e.message.contains("limit of formula objectives") {
                    // Refused by one linear pass over the text, before exmex sees it (measured ≤ 0.1 ms).
                    assert!(took < Duration::from_millis(50), "{}: {took:?}", case.name);
                }
                match e.at {
                    FaultAt::Expr(at) => assert!(at <= case.expr.len(), "{}: offset {at}", case.name),
                    FaultAt::Param(i) => assert!(i < case.params.len(), "{}", case.name),
                    FaultAt::Params => panic!("{}: params are not empty", case.name),
                }
            }
            Ok(f) => {
                accepted += 1;
                let theta: Vec<f64> = (0..case.params.len()).map(|i| 0.7 + 0.05 * i as f64).collect();
                let l = f.loss(&theta);
                if let Some(value) = case.value {
                    let want = value(&theta, case.n);
                    assert!(
                        l == want || (l - want).abs() <= 1e-9 * (1.0 + want.abs()),
                        "{}: loss {l} vs {want}",
                        case.name
                    );
                }
                let mut g = vec![0.0; theta.len()];
                f.gradient(&theta, &mut g);
                let loss = |t: &[f64]| f.loss(t);
                for (i, &gi) in g.iter().enumerate() {
                    agrees(&loss, &theta, i, gi, l, &case.name).unwrap();
                }
            }
        }
    }
    eprintln!(
        "{accepted} accepted, {refused} refused; slowest: {:?} ({})",
        worst.0, worst.1
    );
    assert!(
        accepted > 50 && refused > 50,
        "{accepted} accepted, {refused} refused"
    );
}

/// Builds `expr` over x and y and returns (loss, ∂L/∂x, (H·(1, 0))_x) at (0.7, 0.4).
fn evaluate(expr: &str) -> (f64, f64, f64) {
    let f = Formula::new(expr, &params()).unwrap();
    let theta = [0.7, 0.4];
    let mut g = [0.0; 2];
    f.gradient(&theta, &mut g);
    let mut hv = [0.0; 2];
    f.hvp(&theta, &[1.0, 0.0], &mut hv);
    (f.loss(&theta), g[0], hv[0])
}

/// The largest formulas the limits accept build and evaluate from a thread with a 256 KiB stack (an
/// eighth of a rayon pool thread's, where sweeps build and run scenarios): exmex's recursive parsing
/// and differentiation run on a thread of the formula's own, and evaluation is flat. Values agree with
/// direct evaluation of L = (x + y)¹¹ and L = 32·x·y and their derivatives.
#[test]
fn the_largest_accepted_formulas_build_and_evaluate_on_a_small_stack() {
    let small = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let product = ["(x+y)"; 11].join("*");
            let sum = ["x*y"; 32].join("+");
            (evaluate(&product), evaluate(&sum))
        })
        .unwrap();
    let (product, sum) = small.join().expect("no stack overflow on a 256 KiB thread");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
    let s: f64 = 0.7 + 0.4;
    assert!(close(product.0, s.powi(11)), "{product:?}");
    assert!(close(product.1, 11.0 * s.powi(10)), "{product:?}");
    assert!(close(product.2, 110.0 * s.powi(9)), "{product:?}");
    assert!(close(sum.0, 32.0 * 0.7 * 0.4), "{sum:?}");
    assert!(close(sum.1, 32.0 * 0.4) && close(sum.2, 0.0), "{sum:?}");
}

/// Runs `flowgap run` on a formula scenario with `expr` and returns (exit code, stderr, seconds).
fn run_binary(expr: &str) -> (Option<i32>, String, f64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    let scenario = format!(
        "name = \"s\"\n[objective]\nkind = \"formula\"\nexpr = \"{expr}\"\nparams = [\"x\", \"y\"]\n\
         [init]\npoint = [1.0, 2.0]\n[run]\nstep_size = 0.1\nsteps = 20\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n\
         [output]\nfigures = []\n"
    );
    std::fs::write(&path, scenario).unwrap();
    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let took = start.elapsed().as_secs_f64();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    )
}

/// Refusing 30,000 unclosed parentheses (25 s before the limits: the fault was located by asking exmex
/// about every prefix), 30,000 nested ones (a stack overflow before) or a 200,000-character expression
/// takes well under a second, with exit code 2 and the key and the limit named; so do the longest
/// texts under the length limit that break the nesting and operator limits.
#[test]
fn huge_formulas_are_refused_by_the_binary_in_under_a_second() {
    let cases = [
        ("(".repeat(30_000) + "x*y", "longer than 1000"),
        (
            format!("{}x*y{}", "(".repeat(30_000), ")".repeat(30_000)),
            "longer than 1000",
        ),
        (
            format!("{}x*y{}", "sin(".repeat(30_000), ")".repeat(30_000)),
            "longer than 1000",
        ),
        (vec!["x/y"; 50_000].join("/"), "longer than 1000"),
        ("(".repeat(990) + "x*y", "nest deeper than 32"),
        (vec!["x/y"; 200].join("/"), "more than 64 operators"),
    ];
    for (expr, says) in cases {
        let (code, stderr, took) = run_binary(&expr);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(": objective.expr:") && stderr.contains(says),
            "{stderr}"
        );
        assert!(took < 1.0, "{took} s to refuse `{}…`", &expr[..20]);
    }
}

/// The formulas of issue 17 that overflowed the stack (the process died): a chain of 50 quotients, a
/// sum of 100 products, 50 nested sines; now refused with exit code 2 and a message. Ten nested sines
/// are within the limits and run.
#[test]
fn the_formulas_that_overflowed_the_stack_are_refused_or_run() {
    let refused = [
        vec!["x"; 50].join("/") + "+y",
        vec!["x*y*x*y*x"; 100].join("+"),
        format!("{}x{}+y", "sin(".repeat(50), ")".repeat(50)),
    ];
    for expr in refused {
        let (code, stderr, _) = run_binary(&expr);
        assert_eq!(code, Some(2), "`{expr}`: {stderr}");
        assert!(
            stderr.contains(": objective.expr:") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    let nested = format!("{}x{}+y", "sin(".repeat(10), ")".repeat(10));
    let (code, stderr, _) = run_binary(&nested);
    assert_eq!(code, Some(0), "{stderr}");
}
