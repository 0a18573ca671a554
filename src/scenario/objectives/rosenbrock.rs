//! `kind = "rosenbrock"`: `a` (default 1), `b` (default 100), `dim` (default 2).

use super::Built;
use crate::error::Result;
use crate::objective::Rosenbrock;
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a Rosenbrock objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    a: Option<Spanned<f64>>,
    b: Option<Spanned<f64>>,
    dim: Option<Spanned<i64>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let finite = |v: &Option<Spanned<f64>>, key: &str, default: f64| -> Result<f64> {
        match v {
            Some(s) if !s.get_ref().is_finite() => Err(cx.err(s.span(), key, "must be a finite number")),
            Some(s) => Ok(*s.get_ref()),
            None => Ok(default),
        }
    };
    let a = finite(&spec.a, "objective.a", 1.0)?;
    let b = finite(&spec.b, "objective.b", 100.0)?;
    let dim = match &spec.dim {
        Some(d) if *d.get_ref() < 2 || *d.get_ref() > 1_000_000 => {
            return Err(cx.err(
                d.span(),
                "objective.dim",
                format!("must be an integer from 2 to 1000000, found {}", d.get_ref()),
            ));
        }
        Some(d) => *d.get_ref() as usize,
        None => 2,
    };
    Ok((
        Box::new(Rosenbrock { a, b, dim }),
        serde_json::json!({"kind": "rosenbrock", "a": a, "b": b, "dim": dim}),
    ))
}
