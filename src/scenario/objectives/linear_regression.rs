//! `kind = "linear_regression"`: mean squared error of an affine map on a dataset; `l2` (default 0),
//! `bias` (default true), and the `[objective.data]` table.

use super::Built;
use crate::error::Result;
use crate::objective::{HeldOut, LinearRegression, Objective};
use crate::scenario::ctx::Ctx;
use crate::scenario::data::{build_dataset_with_settings, DataSpec};
use serde::Deserialize;
use toml::Spanned;

/// The keys of a linear-regression objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    l2: Option<Spanned<f64>>,
    bias: Option<bool>,
    data: DataSpec,
}

/// Reads `l2` (a finite number ≥ 0, default 0).
pub(super) fn l2(cx: &Ctx, v: &Option<Spanned<f64>>) -> Result<f64> {
    match v {
        Some(s) if !(s.get_ref().is_finite() && *s.get_ref() >= 0.0) => Err(cx.err(
            s.span(),
            "objective.l2",
            format!(
                "must be a finite number ≥ 0 (the weight on ½‖W‖²), found {}",
                s.get_ref()
            ),
        )),
        Some(s) => Ok(*s.get_ref()),
        None => Ok(0.0),
    }
}

/// Checks the keys, builds the dataset and the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let l2 = l2(cx, &spec.l2)?;
    let bias = spec.bias.unwrap_or(true);
    let (data, data_settings) = build_dataset_with_settings(cx, &spec.data)?;
    let f = LinearRegression::new(&data, l2, bias)?;
    let settings = serde_json::json!({
        "kind": "linear_regression",
        "l2": l2,
        "bias": bias,
        "dim": f.dim(),
        "parameter_layout": "W row-major (outputs × features), then b (outputs) when bias = true",
        "least_squares_solution": f.known_minima().into_iter().next(),
        "data": data_settings,
    });
    Ok((Box::new(f), settings))
}

/// The same model on the training and the test samples, for held-out evaluation: no L2 term (`l2` is
/// left out of both losses).
pub fn held_out(spec: Spec, train: &crate::data::Dataset, test: &crate::data::Dataset) -> Result<HeldOut> {
    let bias = spec.bias.unwrap_or(true);
    let a = LinearRegression::new(train, 0.0, bias)?;
    let b = LinearRegression::new(test, 0.0, bias)?;
    let dim = a.dim();
    Ok(HeldOut::new(Box::new(a), Box::new(b), dim))
}
