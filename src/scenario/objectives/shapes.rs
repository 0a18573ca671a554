//! Checked scenario values shared by the network kinds: layer widths and inline matrices.

use crate::error::Result;
use crate::scenario::ctx::Ctx;
use nalgebra::DMatrix;
use toml::Spanned;

/// The largest width accepted (a guard against typos that would allocate gigabytes).
const MAX_WIDTH: i64 = 100_000;

/// `widths = [h_0, …, h_D]`: at least two integers from 1 to 100000, with at most 10⁸ weights in all.
pub fn widths(cx: &Ctx, w: &Spanned<Vec<i64>>, key: &str) -> Result<Vec<usize>> {
    let list = w.get_ref();
    if list.len() < 2 {
        return Err(cx.err(
            w.span(),
            key,
            format!(
                "needs at least two widths [inputs, …, outputs], found {}",
                list.len()
            ),
        ));
    }
    if let Some(bad) = list.iter().find(|&&h| !(1..=MAX_WIDTH).contains(&h)) {
        return Err(cx.err(
            w.span(),
            key,
            format!("every width must be an integer from 1 to {MAX_WIDTH}, found {bad}"),
        ));
    }
    let weights: i64 = list.windows(2).map(|p| p[0] * p[1]).sum();
    if weights > 100_000_000 {
        return Err(cx.err(
            w.span(),
            key,
            format!("these widths make {weights} weights; at most 100000000 are allowed"),
        ));
    }
    Ok(list.iter().map(|&h| h as usize).collect())
}

/// `key = [[…], …]`: a non-empty rectangular list of rows of finite numbers.
pub fn matrix(cx: &Ctx, m: &Spanned<Vec<Vec<f64>>>, key: &str) -> Result<DMatrix<f64>> {
    let rows = m.get_ref();
    let cols = rows.first().map_or(0, Vec::len);
    if cols == 0 || rows.iter().any(|r| r.len() != cols) {
        return Err(cx.err(
            m.span(),
            key,
            format!(
                "must be a non-empty list of rows of equal length; found rows of lengths {:?}",
                rows.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        ));
    }
    if let Some((i, r)) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.iter().any(|x| !x.is_finite()))
    {
        let j = r.iter().position(|x| !x.is_finite()).unwrap_or(0);
        return Err(cx.err(
            m.span(),
            key,
            format!("entry [{i}][{j}] is {}; all entries must be finite", r[j]),
        ));
    }
    Ok(DMatrix::from_fn(rows.len(), cols, |i, j| rows[i][j]))
}

/// A matrix as a list of rows, for summary.json.
pub fn rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    m.row_iter().map(|r| r.iter().copied().collect()).collect()
}
