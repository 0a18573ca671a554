//! The objective kinds a scenario can name. Each kind has its own spec type (its keys, with spans) and
//! builder in a file of this folder; adding a kind means adding a file and a line to [`KINDS`] and
//! [`build`].

mod beale;
mod dim;
mod double_well;
mod formula;
mod himmelblau;
mod linear_regression;
mod logistic_regression;
mod noisy_quadratic;
mod quadratic;
mod rastrigin;
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
pub const KINDS: [&str; 10] = [
    "quadratic",
    "rosenbrock",
    "himmelblau",
    "linear_regression",
    "logistic_regression",
    "beale",
    "rastrigin",
    "double_well",
    "formula",
    "noisy_quadratic",
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
        "beale" => beale::build(cx, read(cx)?),
        "rastrigin" => rastrigin::build(cx, read(cx)?),
        "double_well" => double_well::build(cx, read(cx)?),
        "formula" => formula::build(cx, read(cx)?),
        "noisy_quadratic" => noisy_quadratic::build(cx, read(cx)?),
        other => Err(cx.err(
            kind.span(),
            "objective.kind",
            format!("unknown objective `{other}`; allowed: {}", KINDS.join(", ")),
        )),
    }
}
