//! `kind = "matrix_sensing"`: `widths = [cols, h_1, …, rows]`, the `ground_truth = [[…], …]` (rows × cols),
//! the number of Gaussian `measurements` and their `seed` (default 0); the loss is
//! (1/2m) Σ_i (⟨A_i, W_N ⋯ W_1⟩ − ⟨A_i, ground_truth⟩)².

use super::shapes::{matrix, rows, widths};
use super::Built;
use crate::error::Result;
use crate::objective::{MatrixSensing, Objective};
use crate::scenario::ctx::Ctx;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a matrix sensing problem.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[allow(dead_code)]
    kind: String,
    widths: Spanned<Vec<i64>>,
    ground_truth: Spanned<Vec<Vec<f64>>>,
    measurements: Spanned<i64>,
    seed: Option<Spanned<i64>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let w = widths(cx, &spec.widths, "objective.widths")?;
    let truth = matrix(cx, &spec.ground_truth, "objective.ground_truth")?;
    let m = *spec.measurements.get_ref();
    if !(1..=1_000_000).contains(&m) || m as usize * truth.len() > 100_000_000 {
        return Err(cx.err(
            spec.measurements.span(),
            "objective.measurements",
            format!(
                "must be an integer from 1 to 1000000 with measurements × entries ≤ 10⁸ (the ground truth has {} entries), found {m}",
                truth.len()
            ),
        ));
    }
    let seed = match &spec.seed {
        Some(s) if *s.get_ref() < 0 => {
            return Err(cx.err(
                s.span(),
                "objective.seed",
                format!("must be an integer ≥ 0, found {}", s.get_ref()),
            ));
        }
        Some(s) => *s.get_ref() as u64,
        None => 0,
    };
    let (r, c) = truth.shape();
    let settings_truth = rows(&truth);
    let ms = MatrixSensing::new(w.clone(), truth, m as usize, seed).map_err(|e| {
        cx.err(
            spec.widths.span(),
            "objective.widths",
            format!("{e} (the ground truth is {r}×{c})"),
        )
    })?;
    let settings = serde_json::json!({
        "kind": "matrix_sensing", "widths": w, "dim": ms.dim(), "ground_truth": settings_truth,
        "measurements": m, "seed": seed,
    });
    Ok((Box::new(ms), settings))
}
