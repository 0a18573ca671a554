//! `kind = "noisy_quadratic"`: the quadratic's keys (`eigenvalues` or `matrix`, optional `center`)
//! and the gradient noise's covariance Σ as `noise_diagonal = [...]` (variances) or
//! `noise_covariance = [[...], ...]` (symmetric positive semidefinite).

use super::quadratic::{quadratic_from, settings};
use super::Built;
use crate::error::Result;
use crate::objective::{NoisyQuadratic, Objective};
use crate::scenario::ctx::Ctx;
use nalgebra::DMatrix;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a noisy quadratic objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    kind: Spanned<String>,
    eigenvalues: Option<Spanned<Vec<f64>>>,
    matrix: Option<Spanned<Vec<Vec<f64>>>>,
    center: Option<Spanned<Vec<f64>>>,
    noise_diagonal: Option<Spanned<Vec<f64>>>,
    noise_covariance: Option<Spanned<Vec<Vec<f64>>>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let q = quadratic_from(cx, &spec.kind, &spec.eigenvalues, &spec.matrix, &spec.center)?;
    let d = q.dim();
    let (sigma, span, key) = match (&spec.noise_diagonal, &spec.noise_covariance) {
        (Some(v), None) => {
            let key = "objective.noise_diagonal";
            let var = cx.finite_list(v, key)?;
            if var.len() != d {
                return Err(cx.err(
                    v.span(),
                    key,
                    format!("has {} entries; the quadratic has dimension {d}", var.len()),
                ));
            }
            if let Some(i) = var.iter().position(|&x| x < 0.0) {
                return Err(cx.err(
                    v.span(),
                    key,
                    format!("entry {i} is {}; variances must be ≥ 0", var[i]),
                ));
            }
            let sigma = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(var));
            (sigma, v.span(), key)
        }
        (None, Some(m)) => {
            let rows = m.get_ref();
            let key = "objective.noise_covariance";
            if rows.len() != d || rows.iter().any(|r| r.len() != d) {
                return Err(cx.err(
                    m.span(),
                    key,
                    format!(
                        "must be {d} rows of {d} numbers (the quadratic has dimension {d}); found {} rows of lengths {:?}",
                        rows.len(),
                        rows.iter().map(Vec::len).collect::<Vec<_>>()
                    ),
                ));
            }
            (DMatrix::from_fn(d, d, |i, j| rows[i][j]), m.span(), key)
        }
        (Some(v), Some(_)) => {
            return Err(cx.err(
                v.span(),
                "objective.noise_diagonal",
                "give either `noise_diagonal` (variances) or `noise_covariance` (a matrix), not both",
            ));
        }
        (None, None) => {
            return Err(cx.err(
                spec.kind.span(),
                "objective.noise_diagonal",
                "a noisy quadratic needs its gradient noise: `noise_diagonal = [...]` (variances) or \
                 `noise_covariance = [[...], ...]` (symmetric positive semidefinite)",
            ));
        }
    };
    let mut settings = settings(&q, "noisy_quadratic");
    let nq = NoisyQuadratic::new(q, sigma).map_err(|e| cx.err(span, key, e.to_string()))?;
    settings["noise_covariance"] = serde_json::json!(nq
        .covariance()
        .row_iter()
        .map(|r| r.iter().copied().collect::<Vec<_>>())
        .collect::<Vec<_>>());
    Ok((Box::new(nq), settings))
}
