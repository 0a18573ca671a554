//! `kind = "quadratic"`: `eigenvalues = [...]` (A diagonal) or `matrix = [[...], ...]` (A symmetric),
//! and an optional `center`.

use super::Built;
use crate::error::Result;
use crate::objective::Quadratic;
use crate::scenario::ctx::Ctx;
use nalgebra::DMatrix;
use serde::Deserialize;
use toml::Spanned;

/// The keys of a quadratic objective.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    kind: Spanned<String>,
    eigenvalues: Option<Spanned<Vec<f64>>>,
    matrix: Option<Spanned<Vec<Vec<f64>>>>,
    center: Option<Spanned<Vec<f64>>>,
}

/// Checks the keys and builds the objective.
pub fn build(cx: &Ctx, spec: Spec) -> Result<Built> {
    let q = quadratic_from(cx, &spec.kind, &spec.eigenvalues, &spec.matrix, &spec.center)?;
    let settings = settings(&q, "quadratic");
    Ok((Box::new(q), settings))
}

/// Builds the quadratic from the `eigenvalues` or `matrix` key and the optional `center` (shared with
/// `noisy_quadratic`, which has the same keys for its matrix).
pub(super) fn quadratic_from(
    cx: &Ctx,
    kind: &Spanned<String>,
    eigenvalues: &Option<Spanned<Vec<f64>>>,
    matrix: &Option<Spanned<Vec<Vec<f64>>>>,
    center: &Option<Spanned<Vec<f64>>>,
) -> Result<Quadratic> {
    let a = match (eigenvalues, matrix) {
        (Some(e), None) => {
            let eig = cx.finite_list(e, "objective.eigenvalues")?;
            if eig.is_empty() {
                return Err(cx.err(
                    e.span(),
                    "objective.eigenvalues",
                    "must list at least one eigenvalue",
                ));
            }
            DMatrix::from_diagonal(&nalgebra::DVector::from_vec(eig))
        }
        (None, Some(m)) => {
            let rows = m.get_ref();
            let n = rows.len();
            if n == 0 || rows.iter().any(|r| r.len() != n) {
                return Err(cx.err(
                    m.span(),
                    "objective.matrix",
                    format!(
                        "must be a square list of rows (n rows of n numbers); found {n} rows of lengths {:?}",
                        rows.iter().map(Vec::len).collect::<Vec<_>>()
                    ),
                ));
            }
            let a = DMatrix::from_fn(n, n, |i, j| rows[i][j]);
            if a.iter().any(|x| !x.is_finite()) {
                return Err(cx.err(m.span(), "objective.matrix", "all entries must be finite"));
            }
            let asym = Quadratic::asymmetry(&a);
            if asym > 1e-12 * a.abs().max().max(1.0) {
                return Err(cx.err(
                    m.span(),
                    "objective.matrix",
                    format!("must be symmetric; the largest |A_ij − A_ji| is {asym:e}"),
                ));
            }
            a
        }
        (Some(e), Some(_)) => {
            return Err(cx.err(
                e.span(),
                "objective.eigenvalues",
                "give either `eigenvalues` (a diagonal matrix) or `matrix`, not both",
            ));
        }
        (None, None) => {
            return Err(cx.err(
                kind.span(),
                "objective.eigenvalues",
                "a quadratic needs `eigenvalues = [...]` (diagonal A) or `matrix = [[...], ...]` (symmetric A)",
            ));
        }
    };
    let n = a.nrows();
    let center = match center {
        Some(c) => {
            let c_vec = cx.finite_list(c, "objective.center")?;
            if c_vec.len() != n {
                return Err(cx.err(
                    c.span(),
                    "objective.center",
                    format!("has {} entries; the matrix is {n}×{n}", c_vec.len()),
                ));
            }
            c_vec
        }
        None => vec![0.0; n],
    };
    Ok(Quadratic::new(a, center))
}

/// The resolved settings of a quadratic for summary.json.
pub(super) fn settings(q: &Quadratic, kind: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": kind,
        "matrix": q.matrix().row_iter().map(|r| r.iter().copied().collect::<Vec<_>>()).collect::<Vec<_>>(),
        "eigenvalues": q.eigenvalues(),
        "center": q.center(),
        "stability_threshold_gd": 2.0 / q.lambda_max(),
    })
}
