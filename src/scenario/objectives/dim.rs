//! The `dim` key shared by objectives defined in any dimension.

use crate::error::Result;
use crate::scenario::ctx::Ctx;
use toml::Spanned;

/// The largest dimension a scenario may ask for.
pub const MAX_DIM: i64 = 1_000_000;

/// Reads `dim`: an integer from `min` to [`MAX_DIM`], `default` when absent.
pub fn dim(cx: &Ctx, v: &Option<Spanned<i64>>, min: i64, default: usize) -> Result<usize> {
    match v {
        Some(d) if *d.get_ref() < min || *d.get_ref() > MAX_DIM => Err(cx.err(
            d.span(),
            "objective.dim",
            format!(
                "must be an integer from {min} to {MAX_DIM}, found {}",
                d.get_ref()
            ),
        )),
        Some(d) => Ok(*d.get_ref() as usize),
        None => Ok(default),
    }
}
