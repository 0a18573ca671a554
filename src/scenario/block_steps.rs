//! `step_size_scale = [s_1, …, s_B]` on a `gd` method: one step-size scale per parameter block of the
//! objective (an mlp's layers), layer b's step size being run.step_size · s_b.

use super::ctx::Ctx;
use crate::discrete::BlockScales;
use crate::error::Result;
use crate::objective::Objective;
use toml::Spanned;

/// Checks the scales against `objective`'s blocks: one per block, each finite and > 0.
pub fn scales(
    cx: &Ctx,
    list: &Spanned<Vec<Spanned<f64>>>,
    key: &str,
    objective: &dyn Objective,
) -> Result<BlockScales> {
    let blocks = objective.parameter_blocks();
    if blocks.is_empty() {
        return Err(cx.err(
            list.span(),
            key,
            "applies only to an objective with parameter layers (kind `mlp`); this one has none",
        ));
    }
    let names: Vec<&str> = blocks.iter().map(|(n, _)| n.as_str()).collect();
    if list.get_ref().len() != blocks.len() {
        return Err(cx.err(
            list.span(),
            key,
            format!(
                "needs one scale per layer, {} in all ({}); found {}",
                blocks.len(),
                names.join(", "),
                list.get_ref().len()
            ),
        ));
    }
    for (s, name) in list.get_ref().iter().zip(&names) {
        let v = *s.get_ref();
        if !(v.is_finite() && v > 0.0) {
            return Err(cx.err(
                s.span(),
                key,
                format!("the scale of {name} must be a finite number > 0, found {v}"),
            ));
        }
    }
    Ok(BlockScales(list.get_ref().iter().map(|s| *s.get_ref()).collect()))
}
