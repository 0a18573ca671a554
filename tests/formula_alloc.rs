//! The formula objective's hot path does not allocate for small formulas: a counting global allocator
//! (per thread, so the test harness's other threads do not count) sees no allocation across many
//! loss, gradient and Hessian-vector product calls. A derivative with more than 32 operands spills
//! exmex's operand stack to the heap: at most one allocation per evaluated expression.

use flowgap::objective::{Formula, Objective};

#[path = "support/counting.rs"]
mod counting;
use counting::allocations_in;

/// Allocations per (loss, gradient, hvp) triple, averaged over 1000 calls.
fn allocations_per_call(expr: &str, params: &[&str]) -> f64 {
    let params: Vec<String> = params.iter().map(|s| s.to_string()).collect();
    let f = Formula::new(expr, &params).unwrap();
    let d = f.dim();
    let theta = vec![0.3; d];
    let v = vec![1.0; d];
    let mut g = vec![0.0; d];
    let mut hv = vec![0.0; d];
    let mut sink = 0.0;
    let n = allocations_in(|| {
        for k in 0..1000 {
            sink += f.loss(&theta) * k as f64;
            f.gradient(&theta, &mut g);
            f.hvp(&theta, &v, &mut hv);
        }
    });
    assert!(sink.is_finite());
    n as f64 / 1000.0
}

#[test]
fn small_formulas_evaluate_without_allocating() {
    let rosenbrock = "(1-x)^2 + 100*(y-x^2)^2";
    assert_eq!(allocations_per_call(rosenbrock, &["x", "y"]), 0.0);
    // Out of exmex's alphabetical order: values are permuted into a stack buffer.
    assert_eq!(allocations_per_call(rosenbrock, &["y", "x"]), 0.0);
    assert_eq!(
        allocations_per_call("x*y*z + sin(x) - exp(y)*z^2", &["z", "y", "x"]),
        0.0
    );
}

#[test]
fn large_derivatives_allocate_at_most_once_per_expression() {
    // 1 loss + 3 partials + 6 second partials are evaluated per triple.
    let per_call = allocations_per_call(
        "sin(a*b) + exp(-(c^2)/2) + ln(1 + a^2) + b/(1 + c^2)",
        &["c", "a", "b"],
    );
    eprintln!("allocations per (loss, gradient, hvp): {per_call}");
    assert!(per_call <= 10.0, "{per_call}");
}
