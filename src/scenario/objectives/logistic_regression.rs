//! `kind = "logistic_regression"`: mean cross-entropy of a linear classifier (sigmoid for binary data,
//! softmax for multiclass); `l2` (default 0), `bias` (default true), and the `[objective.data]` table,
//! which must hold class labels.

use super::linear_regression::l2;
use super::Built;
use crate::data::Task;
use crate::error::Result;
use crate::objective::{HeldOut, LogisticRegression, Objective};
use crate::scenario::ctx::Ctx;
use crate::scenario::data::{build_dataset_with_settings, DataSpec};
use serde::Deserialize;
use toml::Spanned;

/// The keys of a logistic-regression objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    l2: Option<Spanned<f64>>,
    bias: Option<bool>,
    data: DataSpec,
}

/// Checks the keys, builds the dataset (refusing regression targets) and the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let l2 = l2(cx, &spec.l2)?;
    let bias = spec.bias.unwrap_or(true);
    let (data, data_settings) = build_dataset_with_settings(cx, &spec.data)?;
    if data.task == Task::Regression {
        return Err(cx.err(
            spec.data.source.span(),
            "objective.data",
            "logistic regression needs class labels: use a classification source (blobs, two_moons, \
             spirals, xor) or csv with task = \"binary\" or \"multiclass\"",
        ));
    }
    let f = LogisticRegression::new(&data, l2, bias)?;
    let settings = serde_json::json!({
        "kind": "logistic_regression",
        "loss": if f.is_softmax() { "softmax_cross_entropy" } else { "binary_cross_entropy" },
        "l2": l2,
        "bias": bias,
        "dim": f.dim(),
        "parameter_layout": "W row-major (outputs × features), then b (outputs) when bias = true",
        "data": data_settings,
    });
    Ok((Box::new(f), settings))
}

/// The same model on the training and the test samples, for held-out evaluation: no L2 term (`l2` is
/// left out of both losses).
pub fn held_out(spec: Spec, train: &crate::data::Dataset, test: &crate::data::Dataset) -> Result<HeldOut> {
    let bias = spec.bias.unwrap_or(true);
    let a = LogisticRegression::new(train, 0.0, bias)?;
    let b = LogisticRegression::new(test, 0.0, bias)?;
    let dim = a.dim();
    Ok(HeldOut::new(Box::new(a), Box::new(b), dim))
}
