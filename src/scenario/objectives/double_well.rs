//! `kind = "double_well"`: `dim` (default 1).

use super::dim::dim;
use super::Built;
use crate::error::Result;
use crate::objective::DoubleWell;
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a double-well objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    dim: Option<Spanned<i64>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let dim = dim(cx, &spec.dim, 1, 1)?;
    Ok((
        Box::new(DoubleWell { dim }),
        serde_json::json!({"kind": "double_well", "dim": dim}),
    ))
}
