//! `kind = "mlp"`: `widths = [p, h_1, …, k]`, `activation` (tanh, relu, gelu, sigmoid, identity; default
//! tanh), `loss` (mse or cross_entropy; default mse), `bias` (default true), `parameterization` (standard,
//! ntk or mean_field; default standard). The dataset is supplied by the caller.

use super::shapes::widths;
use super::Built;
use crate::data::Dataset;
use crate::error::Result;
use crate::objective::activation::Activation;
use crate::objective::{HeldOut, Mlp, MlpConfig, MlpLoss, Objective, Parameterization};
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a multilayer perceptron.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    /// Read separately by the registry, which passes the built dataset in.
    #[allow(dead_code)]
    data: Option<serde::de::IgnoredAny>,
    widths: Spanned<Vec<i64>>,
    activation: Option<Spanned<String>>,
    loss: Option<Spanned<String>>,
    bias: Option<bool>,
    parameterization: Option<Spanned<String>>,
}

/// Looks a name up with `parse`, or says which names are allowed.
fn named<T>(
    cx: &Ctx,
    v: &Option<Spanned<String>>,
    key: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
    default: T,
) -> Result<T> {
    match v {
        None => Ok(default),
        Some(s) => parse(s.get_ref()).ok_or_else(|| {
            cx.err(
                s.span(),
                key,
                format!("unknown value `{}`; allowed: {}", s.get_ref(), names.join(", ")),
            )
        }),
    }
}

/// Checks the keys and builds the network on `data`.
pub fn build(cx: &Ctx, spec: Spec, data: Dataset) -> Result<Built> {
    let config = config(cx, &spec)?;
    let (w, activation, loss, parameterization) = (
        config.widths.clone(),
        config.activation,
        config.loss,
        config.parameterization,
    );
    let bias = config.bias;
    let net = Mlp::new(config, &data).map_err(|m| cx.err(spec.widths.span(), "objective.widths", m))?;
    let settings = serde_json::json!({
        "kind": "mlp", "widths": w, "dim": net.dim(), "activation": activation.name(), "loss": loss.name(),
        "bias": bias, "parameterization": parameterization.name(), "samples": data.len(),
    });
    Ok((Box::new(net), settings))
}

/// The same network on the training and the test samples, for held-out evaluation (no weight decay).
pub fn held_out(cx: &Ctx, spec: Spec, train: &Dataset, test: &Dataset) -> Result<HeldOut> {
    let config = config(cx, &spec)?;
    let net = |data: &Dataset| {
        Mlp::new(config.clone(), data).map_err(|m| cx.err(spec.widths.span(), "objective.widths", m))
    };
    let (a, b) = (net(train)?, net(test)?);
    let dim = a.dim();
    Ok(HeldOut::new(Box::new(a), Box::new(b), dim))
}

/// The architecture and loss the keys describe.
fn config(cx: &Ctx, spec: &Spec) -> Result<MlpConfig> {
    let w = widths(cx, &spec.widths, "objective.widths")?;
    let activation = named(
        cx,
        &spec.activation,
        "objective.activation",
        Activation::from_name,
        Activation::NAMES,
        Activation::Tanh,
    )?;
    let loss = named(
        cx,
        &spec.loss,
        "objective.loss",
        MlpLoss::from_name,
        MlpLoss::NAMES,
        MlpLoss::Mse,
    )?;
    let parameterization = named(
        cx,
        &spec.parameterization,
        "objective.parameterization",
        Parameterization::from_name,
        Parameterization::NAMES,
        Parameterization::Standard,
    )?;
    Ok(MlpConfig {
        widths: w,
        activation,
        loss,
        bias: spec.bias.unwrap_or(true),
        parameterization,
    })
}

#[cfg(test)]
mod tests {
    use super::super::read;
    use super::*;
    use crate::data::Task;
    use nalgebra::DMatrix;
    use std::path::Path;

    fn data() -> Dataset {
        Dataset {
            x: DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 1.0, 0.0, 1.0, 1.0]),
            y: DMatrix::from_row_slice(3, 1, &[0.0, 1.0, 1.0]),
            task: Task::Binary,
        }
    }

    #[test]
    fn builds_from_keys_with_defaults() {
        let src = "[objective]\nkind = \"mlp\"\nwidths = [2, 3, 1]\nactivation = \"relu\"\nloss = \"cross_entropy\"\n";
        let cx = Ctx {
            path: Path::new("m.toml"),
            src,
        };
        let (net, settings) = build(&cx, read(&cx).unwrap(), data()).unwrap();
        // Weights 3·2 + 1·3 plus biases 3 + 1 (bias defaults to true).
        assert_eq!(net.dim(), 13);
        assert_eq!(settings["parameterization"], "standard");
        assert_eq!(
            net.conserved_names().len(),
            2,
            "relu conserves the hidden layer's balance"
        );
    }

    #[test]
    fn refuses_unknown_names_and_misfitting_widths_with_their_line() {
        for (src, line, text) in [
            (
                "[objective]\nkind = \"mlp\"\nwidths = [2, 1]\nactivation = \"swish\"\n",
                4,
                "allowed: tanh",
            ),
            (
                "[objective]\nkind = \"mlp\"\nwidths = [3, 1]\n",
                3,
                "first width must be the 2 input",
            ),
            (
                "[objective]\nkind = \"mlp\"\nwidths = [2, 1]\nbias = 1\n",
                4,
                "bool",
            ),
        ] {
            let cx = Ctx {
                path: Path::new("m.toml"),
                src,
            };
            let err = read(&cx)
                .and_then(|spec| build(&cx, spec, data()))
                .err()
                .unwrap()
                .to_string();
            assert!(err.starts_with(&format!("m.toml:{line}:")), "{err}");
            assert!(err.contains(text), "{err}");
        }
    }
}
