//! `kind = "formula"`: `expr` (the loss, in exmex's syntax) and `params` (its variables, in the order
//! of θ's coordinates).

use super::Built;
use crate::error::Result;
use crate::objective::formula::{FaultAt, Formula};
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// The keys of a formula objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    expr: Spanned<String>,
    params: Spanned<Vec<Spanned<String>>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let params: Vec<String> = spec
        .params
        .get_ref()
        .iter()
        .map(|p| p.get_ref().clone())
        .collect();
    let expr = spec.expr.get_ref();
    let f = Formula::new(expr, &params).map_err(|e| match e.at {
        FaultAt::Expr(offset) => {
            let character = expr[..offset.min(expr.len())].chars().count() + 1;
            cx.err(
                in_string(cx, &spec.expr, offset),
                "objective.expr",
                format!("character {character} of the expression: {}", e.message),
            )
        }
        FaultAt::Param(i) => cx.err(
            spec.params.get_ref()[i].span(),
            format!("objective.params[{i}]"),
            e.message,
        ),
        FaultAt::Params => cx.err(spec.params.span(), "objective.params", e.message),
    })?;
    let settings = serde_json::json!({
        "kind": "formula",
        "expr": f.expr(),
        "params": f.params(),
        "gradient": (0..params.len()).map(|i| f.partial_text(i)).collect::<Vec<_>>(),
    });
    Ok((Box::new(f), settings))
}

/// The file position of byte `offset` of a string value: exact for a one-line string without escapes
/// (basic, literal or multi-line, when the text between the quotes is the value itself), otherwise
/// the start of the value (the message then still names the character).
fn in_string(cx: &Ctx, value: &Spanned<String>, offset: usize) -> Range<usize> {
    let span = value.span();
    let raw = &cx.src[span.clone()];
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        let q = quote.len();
        if raw.len() >= 2 * q
            && raw.starts_with(quote)
            && raw.ends_with(quote)
            && raw[q..raw.len() - q] == *value.get_ref()
        {
            let at = span.start + q + offset;
            return at..at;
        }
    }
    span
}
