//! The objective kinds a scenario can name. Each kind has its own spec type (its keys, with spans) and
//! builder in a file of this folder; adding a kind means adding a file and a line to [`KINDS`] and
//! [`build`].

pub mod deep_linear;
mod himmelblau;
mod matrix_factorization;
mod matrix_sensing;
pub mod mlp;
mod quadratic;
mod rosenbrock;
mod shapes;

use super::ctx::Ctx;
use crate::error::Result;
use crate::objective::Objective;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

/// What an objective builder returns: the objective and its resolved settings for summary.json.
pub type Built = (Box<dyn Objective>, serde_json::Value);

/// The objective kinds, as written in `[objective] kind`.
pub const KINDS: [&str; 6] = [
    "quadratic",
    "rosenbrock",
    "himmelblau",
    "deep_linear",
    "matrix_factorization",
    "matrix_sensing",
];

/// Reads only the `[objective]` table of the file as `T` (the second pass, once the kind is known).
#[derive(Deserialize)]
struct ObjectiveTable<T> {
    objective: T,
}

fn read<T: DeserializeOwned>(cx: &Ctx) -> Result<T> {
    Ok(cx.deserialize::<ObjectiveTable<T>>()?.objective)
}

/// Builds the objective of kind `kind`, reading its keys from the file.
pub fn build(cx: &Ctx, kind: &Spanned<String>) -> Result<Built> {
    match kind.get_ref().as_str() {
        "quadratic" => quadratic::build(cx, read(cx)?),
        "rosenbrock" => rosenbrock::build(cx, read(cx)?),
        "himmelblau" => himmelblau::build(cx, read(cx)?),
        // Inline whitened target only, until `[objective.data]` is wired (then pass the dataset).
        "deep_linear" => deep_linear::build(cx, read(cx)?, None),
        "matrix_factorization" => matrix_factorization::build(cx, read(cx)?),
        "matrix_sensing" => matrix_sensing::build(cx, read(cx)?),
        other => Err(cx.err(
            kind.span(),
            "objective.kind",
            format!("unknown objective `{other}`; allowed: {}", KINDS.join(", ")),
        )),
    }
}
