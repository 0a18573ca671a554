//! `kind = "matrix_factorization"`: `widths = [cols, h_1, …, rows]` and `target = [[…], …]` (rows × cols);
//! the loss is ½‖W_N ⋯ W_1 − target‖²_F.

use super::shapes::{matrix, rows, widths};
use super::Built;
use crate::error::Result;
use crate::objective::{MatrixFactorization, Objective};
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a matrix factorisation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    widths: Spanned<Vec<i64>>,
    target: Spanned<Vec<Vec<f64>>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let w = widths(cx, &spec.widths, "objective.widths")?;
    let target = matrix(cx, &spec.target, "objective.target")?;
    let (r, c) = target.shape();
    let settings_target = rows(&target);
    let mf = MatrixFactorization::new(w.clone(), target).map_err(|m| {
        cx.err(
            spec.widths.span(),
            "objective.widths",
            format!("{m} (the target is {r}×{c})"),
        )
    })?;
    let settings = serde_json::json!({
        "kind": "matrix_factorization", "widths": w, "dim": mf.dim(), "target": settings_target,
    });
    Ok((Box::new(mf), settings))
}
