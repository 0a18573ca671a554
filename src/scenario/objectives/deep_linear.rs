//! `kind = "deep_linear"`: `widths = [p, h_1, …, k]` and either an inline `target = [[…], …]` (k rows of p
//! numbers; Saxe's whitened inputs x_i = e_i, y_i = the target's i-th column) or a dataset supplied by
//! the caller.

use super::shapes::{matrix, rows, widths};
use super::Built;
use crate::data::Dataset;
use crate::error::Result;
use crate::objective::{DeepLinear, Objective};
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a deep linear network.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    kind: Spanned<String>,
    /// Read separately by the registry, which passes the built dataset in.
    #[allow(dead_code)]
    data: Option<serde::de::IgnoredAny>,
    widths: Spanned<Vec<i64>>,
    target: Option<Spanned<Vec<Vec<f64>>>>,
}

/// Checks the keys and builds the network: on `data` when given (then `target` is refused), otherwise
/// on the inline whitened `target`.
pub fn build(cx: &Ctx, spec: Spec, data: Option<Dataset>) -> Result<Built> {
    let w = widths(cx, &spec.widths, "objective.widths")?;
    let (net, source) = match (data, &spec.target) {
        (Some(_), Some(t)) => {
            return Err(cx.err(
                t.span(),
                "objective.target",
                "give either a dataset or an inline `target` (whitened inputs), not both",
            ));
        }
        (Some(data), None) => {
            let net = DeepLinear::new(w.clone(), &data)
                .map_err(|m| cx.err(spec.widths.span(), "objective.widths", m))?;
            (net, serde_json::json!({"samples": data.len()}))
        }
        (None, Some(t)) => {
            let target = matrix(cx, t, "objective.target")?;
            let net = DeepLinear::whitened(w.clone(), &target).map_err(|m| {
                cx.err(
                    spec.widths.span(),
                    "objective.widths",
                    format!("{m} (the target is {}×{})", target.nrows(), target.ncols()),
                )
            })?;
            (
                net,
                serde_json::json!({"target": rows(&target), "inputs": "whitened"}),
            )
        }
        (None, None) => {
            return Err(cx.err(
                spec.kind.span(),
                "objective.target",
                "a deep_linear network needs data: an inline `target = [[...], ...]` (k rows of p numbers, \
                 fitted with whitened inputs) or a dataset",
            ));
        }
    };
    let mut settings = serde_json::json!({"kind": "deep_linear", "widths": w, "dim": net.dim()});
    if let (Some(s), Some(extra)) = (settings.as_object_mut(), source.as_object()) {
        s.extend(extra.clone());
    }
    Ok((Box::new(net), settings))
}
