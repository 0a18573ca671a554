//! A loss written as an expression over named parameters, e.g. `(1-x)^2 + 100*(y-x^2)^2` over
//! `["x", "y"]`, parsed and differentiated symbolically by the exmex crate.
//!
//! The gradient is d symbolic first partials; the Hessian-vector product uses the d(d+1)/2 symbolic
//! second partials (fine for the few-parameter formulas this is meant for). Every expression is
//! checked when the formula is built, so evaluation cannot fail later.
//!
//! Cost: exmex evaluates a compiled, flattened expression. It keeps the operands on the stack
//! while an expression has at most 32 of them (numbers and variable uses); a larger derivative
//! spills to the heap, one allocation per evaluation. Values are passed in exmex's variable order
//! (alphabetical); when `params` is not in that order they are permuted into a stack buffer
//! (d ≤ 16) or, for larger d, a heap one.
//!
//! Limits (issue 17): exmex parses and differentiates by recursion, and symbolic derivatives of long
//! products and quotients grow fast, so a formula is refused when its text passes [`MAX_CHARS`],
//! [`MAX_DEPTH`] or [`MAX_OPERATORS`] (one linear pass, before exmex sees it), when it has more than
//! [`MAX_PARAMS`] params, or when its first derivatives are too large to differentiate again. exmex's
//! work runs on a thread with a stack of its own; evaluation is flat (no recursion).

mod text;

pub use text::{MAX_CHARS, MAX_DEPTH, MAX_OPERATORS};

use super::Objective;
use exmex::prelude::*;
use exmex::Differentiate;

/// Where in the input a formula's fault sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAt {
    /// At this byte offset of the expression text.
    Expr(usize),
    /// At this entry of the parameter list.
    Param(usize),
    /// The parameter list as a whole (e.g. empty).
    Params,
}

/// Why a formula was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    /// Where the fault is.
    pub at: FaultAt,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl std::fmt::Display for FormulaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            FaultAt::Expr(offset) => write!(f, "expression at byte {offset}: {}", self.message),
            FaultAt::Param(i) => write!(f, "params[{i}]: {}", self.message),
            FaultAt::Params => write!(f, "params: {}", self.message),
        }
    }
}

impl std::error::Error for FormulaError {}

/// The most parameters whose values are permuted on the stack.
const STACK_VARS: usize = 16;

/// The most parameters a formula may have (each pair needs a symbolic second derivative).
pub const MAX_PARAMS: usize = 16;

/// The bound on Σᵢ (d − i)·nᵢ², where nᵢ operators make ∂L/∂θᵢ: the second derivatives are found by
/// differentiating each first one d − i times, in time that grows about with the square of its size.
/// Measured: the slowest accepted (a chain of 20 quotients) builds in 0.4 s on a loaded 2-core machine.
const MAX_HESSIAN_WORK: usize = 65_536;

/// The stack of the thread that parses and differentiates. exmex recurses over the expression, about
/// 85 KiB per operator of a long chain: measured 5.5 MiB for the longest chain accepted (65 terms) and
/// 6.3 MiB for the second derivatives of 20 quotients, more than a thread of rayon's pool (2 MiB) has.
/// A test builds the largest accepted formulas with a quarter of this.
const BUILD_STACK: usize = 64 << 20;

/// A loss given by an expression, with exact symbolic derivatives.
#[derive(Debug, Clone)]
pub struct Formula {
    text: String,
    params: Vec<String>,
    loss: FlatEx<f64>,
    /// ∂L/∂θ_i, in the order of `params`.
    gradient: Vec<FlatEx<f64>>,
    /// The second partials ∂²L/∂θ_i∂θ_j for i ≤ j, except those that exmex simplifies to the constant 0.
    hessian: Vec<(usize, usize, FlatEx<f64>)>,
    /// The third partials ∂(∂²L/∂θ_i∂θ_j)/∂θ_k for i ≤ j and every k (constant zeros left out), built when
    /// there are at most [`MAX_THIRD_PARAMS`] params and the second partials are small enough
    /// ([`MAX_THIRD_WORK`]); `None` otherwise, and third derivatives are then differences of products.
    third: Option<Vec<ThirdPartial>>,
    /// `order[k]` is the index in θ of exmex's k-th (alphabetical) variable.
    order: Vec<usize>,
    /// True when `params` is already in exmex's order.
    in_order: bool,
}

impl Formula {
    /// Parses `expr` over the variables `params` (θ_i is `params[i]`) and differentiates it.
    ///
    /// Refuses, saying where: an expression exmex cannot parse; a spot where exmex's precedence
    /// differs from the usual reading (`-x^2` is (−x)² there, `a^b^c` is (a^b)^c); a variable not in
    /// `params`; a param that is not a plain name, collides with an exmex operator or constant, is
    /// listed twice, or is not used; an operator exmex cannot differentiate (e.g. `abs`); a formula
    /// beyond the limits (see the module's doc).
    pub fn new(expr: &str, params: &[String]) -> Result<Formula, FormulaError> {
        Formula::new_with_stack(expr, params, BUILD_STACK)
    }

    /// [`Formula::new`] with exmex's work done on a thread with a `stack`-byte stack.
    fn new_with_stack(expr: &str, params: &[String], stack: usize) -> Result<Formula, FormulaError> {
        check_params(params)?;
        if let Some((offset, message)) = text::size_fault(expr) {
            return Err(FormulaError {
                at: FaultAt::Expr(offset),
                message,
            });
        }
        on_own_stack(stack, || Formula::build(expr, params))
    }

    /// Parses and differentiates an expression that passed the size limits.
    fn build(expr: &str, params: &[String]) -> Result<Formula, FormulaError> {
        let err = |offset: usize, message: String| FormulaError {
            at: FaultAt::Expr(offset),
            message,
        };
        let loss = exmex::parse::<f64>(expr).map_err(|e| {
            let (offset, message) = text::locate_fault(expr, e.msg());
            err(offset, message)
        })?;
        if let Some((offset, message)) = text::precedence_pitfall(expr) {
            return Err(err(offset, message));
        }
        let names = loss.var_names().to_vec();
        for name in &names {
            if !params.contains(name) {
                let offset = text::find_var(expr, name).unwrap_or(0);
                let hint = match name.as_str() {
                    "pi" | "Pi" => " (π is written `PI` or `π`)",
                    "tau" | "Tau" => " (τ is written `TAU` or `τ`)",
                    _ => "",
                };
                return Err(err(
                    offset,
                    format!(
                        "`{name}` is not in params [{}]{hint}; list every variable the expression uses",
                        params.join(", ")
                    ),
                ));
            }
        }
        if let Some(i) = params.iter().position(|p| !names.contains(p)) {
            return Err(FormulaError {
                at: FaultAt::Param(i),
                message: format!(
                    "`{}` is not used by the expression; remove it (each param is a coordinate of θ)",
                    params[i]
                ),
            });
        }
        // names is sorted and holds exactly the params: order[k] = position of names[k] in params.
        let order: Vec<usize> = names
            .iter()
            .map(|n| params.iter().position(|p| p == n).unwrap_or(0))
            .collect();
        let in_order = order.iter().enumerate().all(|(k, &i)| k == i);
        let exmex_index = |i: usize| order.iter().position(|&o| o == i).unwrap_or(0);
        let not_differentiable = |e: exmex::ExError| {
            let (offset, repr) = first_non_differentiable(expr).unwrap_or((0, String::new()));
            err(
                offset,
                if repr.is_empty() {
                    format!("exmex cannot differentiate this expression: {}", e.msg())
                } else {
                    format!("exmex cannot differentiate `{repr}`; the loss needs a gradient, so use differentiable operators")
                },
            )
        };
        let mut gradient = Vec::with_capacity(params.len());
        let mut work = 0;
        for i in 0..params.len() {
            let g = loss.clone().partial(exmex_index(i)).map_err(not_differentiable)?;
            // Differentiating g again d − i times takes time growing with the square of its size.
            let n = text::operator_count(g.unparse());
            work += (params.len() - i) * n * n;
            if work > MAX_HESSIAN_WORK {
                return Err(err(
                    0,
                    format!(
                        "the derivatives grow too large to differentiate again (∂L/∂{} has {n} operators; \
                     formula objectives need second derivatives, and those of products and quotients \
                     of many factors grow fastest); write a shorter expression",
                        params[i]
                    ),
                ));
            }
            gradient.push(g);
        }
        let mut hessian = Vec::new();
        for (i, gi) in gradient.iter().enumerate() {
            for j in i..params.len() {
                let h = gi.clone().partial(exmex_index(j)).map_err(not_differentiable)?;
                if h.unparse().trim().parse::<f64>() != Ok(0.0) {
                    hessian.push((i, j, h));
                }
            }
        }
        let third = third_partials(&hessian, params.len(), exmex_index);
        Ok(Formula {
            text: expr.to_string(),
            params: params.to_vec(),
            loss,
            gradient,
            hessian,
            third,
            order,
            in_order,
        })
    }

    /// The expression as given.
    pub fn expr(&self) -> &str {
        &self.text
    }

    /// The parameter names; θ_i is `params()[i]`.
    pub fn params(&self) -> &[String] {
        &self.params
    }

    /// The symbolic partial ∂L/∂θ_i as exmex prints it.
    pub fn partial_text(&self, i: usize) -> &str {
        self.gradient[i].unparse()
    }

    /// Calls `f` with θ's values in exmex's variable order.
    fn with_vars<R>(&self, theta: &[f64], f: impl FnOnce(&[f64]) -> R) -> R {
        let d = self.order.len();
        if self.in_order {
            f(&theta[..d])
        } else if d <= STACK_VARS {
            let mut buf = [0.0; STACK_VARS];
            for (b, &i) in buf.iter_mut().zip(&self.order) {
                *b = theta[i];
            }
            f(&buf[..d])
        } else {
            let buf: Vec<f64> = self.order.iter().map(|&i| theta[i]).collect();
            f(&buf)
        }
    }
}

/// A third partial ∂(∂²L/∂θ_i∂θ_j)/∂θ_k as (i, j, k, expression), i ≤ j.
type ThirdPartial = (usize, usize, usize, FlatEx<f64>);

/// The most params for which a formula carries symbolic third partials (d²(d + 1)/2 of them).
pub const MAX_THIRD_PARAMS: usize = 4;

/// The bound on Σ over second partials of d·n², n its operator count, for building third partials
/// (the same measure as [`MAX_HESSIAN_WORK`], one differentiation more).
const MAX_THIRD_WORK: usize = 65_536;

/// The symbolic third partials of a small formula, or `None` (too many params, too large, or exmex
/// declines one): the caller then differentiates Hessian-vector products numerically.
fn third_partials(
    hessian: &[(usize, usize, FlatEx<f64>)],
    d: usize,
    exmex_index: impl Fn(usize) -> usize,
) -> Option<Vec<ThirdPartial>> {
    if d > MAX_THIRD_PARAMS {
        return None;
    }
    let work: usize = hessian
        .iter()
        .map(|(_, _, h)| {
            let n = text::operator_count(h.unparse());
            d * n * n
        })
        .sum();
    if work > MAX_THIRD_WORK {
        return None;
    }
    let mut third = Vec::new();
    for (i, j, h) in hessian {
        for k in 0..d {
            let t = h.clone().partial(exmex_index(k)).ok()?;
            if t.unparse().trim().parse::<f64>() != Ok(0.0) {
                third.push((*i, *j, k, t));
            }
        }
    }
    Some(third)
}

/// Runs `f` on a thread of its own with a `stack`-byte stack, so exmex's recursion does not depend
/// on the caller's stack (sweeps build scenarios on rayon's pool, whose threads have 2 MiB).
fn on_own_stack(
    stack: usize,
    f: impl FnOnce() -> Result<Formula, FormulaError> + Send,
) -> Result<Formula, FormulaError> {
    let fault = |message: String| FormulaError {
        at: FaultAt::Expr(0),
        message,
    };
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("formula".to_string())
            .stack_size(stack)
            .spawn_scoped(scope, f)
            .map_err(|e| fault(format!("cannot start a thread to differentiate the formula: {e}")))?;
        thread
            .join()
            .map_err(|_| fault("exmex failed on this expression (it panicked)".to_string()))?
    })
}

/// exmex evaluates only with the right number of values, which [`Formula::new`] guarantees; NaN
/// stands in for the impossible error rather than a panic.
fn eval(e: &FlatEx<f64>, vars: &[f64]) -> f64 {
    e.eval(vars).unwrap_or(f64::NAN)
}

/// Checks the parameter names: plain exmex names, no operator or constant names, no duplicates.
fn check_params(params: &[String]) -> Result<(), FormulaError> {
    if params.is_empty() {
        return Err(FormulaError {
            at: FaultAt::Params,
            message: "list the expression's variables, e.g. params = [\"x\", \"y\"]".to_string(),
        });
    }
    if params.len() > MAX_PARAMS {
        return Err(FormulaError {
            at: FaultAt::Param(MAX_PARAMS),
            message: format!(
                "more than {MAX_PARAMS} params (limit of formula objectives, whose Hessian is symbolic)"
            ),
        });
    }
    let ops = text::operators();
    for (i, p) in params.iter().enumerate() {
        let refuse = |message: String| {
            Err(FormulaError {
                at: FaultAt::Param(i),
                message,
            })
        };
        if !text::is_name(p) {
            return refuse(format!(
                "`{p}` is not a name: use letters (Latin or Greek), digits and `_`, starting with a letter or `_`"
            ));
        }
        if let Some((repr, kind)) = ops.iter().find(|(r, _)| r == p) {
            let what = if *kind == text::Kind::Const {
                "constant"
            } else {
                "function"
            };
            return refuse(format!(
                "`{repr}` is exmex's {what}; name the parameter differently"
            ));
        }
        // exmex reads `min`, `max` and `atan2` even when letters follow (`minimum` = min imum).
        if let Some((repr, _)) = ops
            .iter()
            .find(|(r, k)| *k == text::Kind::BinFunc && p.starts_with(r))
        {
            return refuse(format!(
                "exmex reads a name starting with `{repr}` as the operator `{repr}`; rename the parameter"
            ));
        }
        if params[..i].contains(p) {
            return refuse(format!("`{p}` is listed twice"));
        }
    }
    Ok(())
}

/// The first operator in `expr` that exmex cannot differentiate, with its byte offset.
fn first_non_differentiable(expr: &str) -> Option<(usize, String)> {
    text::operators()
        .into_iter()
        .filter(|(_, k)| matches!(k, text::Kind::Func | text::Kind::BinFunc))
        .filter(|(repr, k)| {
            let probe = if *k == text::Kind::Func {
                format!("{repr}(x)")
            } else {
                format!("{repr}(x, y)")
            };
            exmex::parse::<f64>(&probe).is_ok_and(|e| e.partial(0).is_err())
        })
        .filter_map(|(repr, _)| text::find_op(expr, repr).map(|at| (at, repr.to_string())))
        .min()
}

impl Objective for Formula {
    fn dim(&self) -> usize {
        self.params.len()
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.with_vars(theta, |v| eval(&self.loss, v))
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.with_vars(theta, |v| {
            for (g, e) in grad.iter_mut().zip(&self.gradient) {
                *g = eval(e, v);
            }
        })
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        self.with_vars(theta, |vars| {
            for (i, j, e) in &self.hessian {
                let h = eval(e, vars);
                out[*i] += h * v[*j];
                if i != j {
                    out[*j] += h * v[*i];
                }
            }
        })
    }

    /// Σ_jk ∂³L/∂θ_m∂θ_j∂θ_k u_j v_k from the symbolic third partials ∂_k(∂²L/∂θ_i∂θ_j), i ≤ j: entry
    /// (i, j, k) adds to row i with u_j and, when i ≠ j, to row j with u_i.
    fn third_derivative(&self, theta: &[f64], u: &[f64], v: &[f64], out: &mut [f64]) -> bool {
        let Some(third) = &self.third else {
            return false;
        };
        out.iter_mut().for_each(|o| *o = 0.0);
        self.with_vars(theta, |vars| {
            for (i, j, k, e) in third {
                let t = eval(e, vars) * v[*k];
                out[*i] += t * u[*j];
                if i != j {
                    out[*j] += t * u[*i];
                }
            }
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn params_in_any_order_map_to_theta() {
        // L = x − 2y + 3z²: ∇L = (1, −2, 6z) whatever the order of params.
        let f = Formula::new("x - 2*y + 3*z^2", &names(&["z", "x", "y"])).unwrap();
        let theta = [2.0, 5.0, 7.0]; // z = 2, x = 5, y = 7
        assert_eq!(f.loss(&theta), 5.0 - 14.0 + 12.0);
        let mut g = [0.0; 3];
        f.gradient(&theta, &mut g);
        assert_eq!(g, [12.0, 1.0, -2.0]);
        let mut hv = [0.0; 3];
        f.hvp(&theta, &[1.0, 1.0, 1.0], &mut hv);
        assert_eq!(hv, [6.0, 0.0, 0.0]);
        // Only ∂²L/∂z² = 6 is not identically zero; the other five second partials are skipped.
        assert_eq!(f.hessian.len(), 1);
    }

    #[test]
    fn refusals_say_where() {
        let at = |e: &str, p: &[&str]| Formula::new(e, &names(p)).unwrap_err();
        assert_eq!(at("x + y", &["x"]).at, FaultAt::Expr(4));
        assert_eq!(at("x", &["x", "y"]).at, FaultAt::Param(1));
        assert_eq!(at("x + y", &["x", "y", "x"]).at, FaultAt::Param(2));
        assert_eq!(at("x", &[]).at, FaultAt::Params);
        assert_eq!(at("x + e", &["x", "e"]).at, FaultAt::Param(1));
        assert_eq!(at("x + minimum", &["x", "minimum"]).at, FaultAt::Param(1));
        assert_eq!(at("x", &["x y"]).at, FaultAt::Param(0));
        let e = at("x^2 + abs(y)", &["x", "y"]);
        assert_eq!(e.at, FaultAt::Expr(6));
        assert!(e.message.contains("`abs`"), "{}", e.message);
        assert_eq!(at("x + exp(-y^2)", &["x", "y"]).at, FaultAt::Expr(8));
        assert!(at("2*pi*x", &["x"]).message.contains("PI"));
    }

    /// Checks that `family(n)` is the largest of its family the limits accept (n found by bisection;
    /// update it when the limits change) and that it builds with a quarter of the building thread's
    /// stack. A stack overflow aborts the test process, so this fails loudly if the headroom is gone.
    fn largest(family: impl Fn(usize) -> String, n: usize, params: &[&str]) {
        let params = names(params);
        let (text, next) = (family(n), family(n + 1));
        let built = Formula::new_with_stack(&text, &params, BUILD_STACK / HEADROOM);
        assert!(built.is_ok(), "`{text}`: {:?}", built.err());
        assert!(Formula::new(&next, &params).is_err(), "`{next}` is accepted");
    }

    /// The largest formulas the limits accept build in a quarter of the stack: the longest chain of
    /// each binary operator, the deepest nesting, the most params, and the products and quotients
    /// whose derivatives come closest to the bound on their size.
    #[test]
    fn the_largest_accepted_formulas_build_in_a_quarter_of_the_stack() {
        let chain = |term: &str, op: &str, n: usize| vec![term; n].join(op);
        largest(|n| chain("x", "+", n), MAX_OPERATORS + 1, &["x"]);
        largest(|n| chain("x", "-", n), MAX_OPERATORS + 1, &["x"]);
        largest(|n| chain("x", "*", n), 22, &["x"]);
        largest(|n| chain("x", "/", n), 20, &["x"]);
        largest(|n| chain("x*y", "+", n), 32, &["x", "y"]);
        largest(|n| chain("(x+y)", "*", n), 11, &["x", "y"]);
        largest(|n| format!("y/{}", chain("(x+y)", "/", n)), 9, &["x", "y"]);
        largest(|n| format!("{}x{}", "sin(".repeat(n), ")".repeat(n)), 21, &["x"]);
        let params: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}")).collect();
        let squares = |n: usize| {
            let sum: Vec<String> = params[..n].iter().map(|p| format!("{p}^2")).collect();
            format!("{}{}", sum.join("+"), "+0*0".repeat((MAX_OPERATORS - 2 * n) / 2))
        };
        let p: Vec<&str> = params.iter().map(String::as_str).collect();
        let built = Formula::new_with_stack(
            &squares(MAX_PARAMS),
            &names(&p[..MAX_PARAMS]),
            BUILD_STACK / HEADROOM,
        );
        assert!(built.is_ok(), "{:?}", built.err());
        assert!(Formula::new(&squares(MAX_PARAMS + 1), &names(&p)).is_err());
    }

    /// How many times the stack the largest accepted formulas need the building thread has.
    const HEADROOM: usize = 4;
}
