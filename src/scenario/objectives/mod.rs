//! The objective kinds a scenario can name. Each kind has its own spec type (its keys, with spans) and
//! builder in a file of this folder; adding a kind means adding a file and a line to [`KINDS`] and
//! [`build`].

mod himmelblau;
mod linear_regression;
mod logistic_regression;
mod quadratic;
mod rosenbrock;

use super::ctx::Ctx;
use crate::error::Result;
use crate::objective::Objective;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

/// What an objective builder returns: the objective and its resolved settings for summary.json.
pub type Built = (Box<dyn Objective>, serde_json::Value);

/// The objective kinds, as written in `[objective] kind`.
pub const KINDS: [&str; 5] = [
    "quadratic",
    "rosenbrock",
    "himmelblau",
    "linear_regression",
    "logistic_regression",
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
        "linear_regression" => linear_regression::build(cx, read(cx)?),
        "logistic_regression" => logistic_regression::build(cx, read(cx)?),
        other => Err(cx.err(
            kind.span(),
            "objective.kind",
            format!("unknown objective `{other}`; allowed: {}", KINDS.join(", ")),
        )),
    }
}
