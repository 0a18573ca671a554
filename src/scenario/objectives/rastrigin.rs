//! `kind = "rastrigin"`: `a` (the amplitude A, default 10, also accepted as `A`), `dim` (default 2).

use super::dim::dim;
use super::Built;
use crate::error::Result;
use crate::objective::Rastrigin;
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a Rastrigin objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    #[serde(alias = "A")]
    a: Option<Spanned<f64>>,
    dim: Option<Spanned<i64>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let a = match &spec.a {
        // A < 0 turns the ripples' minima into maxima and moves the global minimum off 0.
        Some(s) if !(s.get_ref().is_finite() && *s.get_ref() >= 0.0) => {
            return Err(cx.err(
                s.span(),
                "objective.a",
                format!("must be a finite number ≥ 0, found {}", s.get_ref()),
            ));
        }
        Some(s) => *s.get_ref(),
        None => 10.0,
    };
    let dim = dim(cx, &spec.dim, 1, 2)?;
    Ok((
        Box::new(Rastrigin { a, dim }),
        serde_json::json!({"kind": "rastrigin", "a": a, "dim": dim}),
    ))
}
