//! The objective kinds a scenario can name. Each kind has its own spec type (its keys, with spans) and
//! builder in a file of this folder; adding a kind means adding a file and a line to [`KINDS`] and
//! [`build`].

mod beale;
pub mod deep_linear;
mod dim;
mod double_well;
mod formula;
mod himmelblau;
mod linear_regression;
mod logistic_regression;
mod matrix_factorization;
mod matrix_sensing;
pub mod mlp;
mod noisy_quadratic;
mod quadratic;
mod rastrigin;
mod rosenbrock;
mod shapes;

use super::ctx::Ctx;
use super::data::{build_dataset_with_settings, build_split_with_settings, DataSpec};
use crate::data::Dataset;
use crate::error::Result;
use crate::objective::{HeldOut, Objective, WeightDecay};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

/// What an objective builder returns: the objective and its resolved settings for summary.json.
pub type Built = (Box<dyn Objective>, serde_json::Value);

/// The objective kinds, as written in `[objective] kind`.
pub const KINDS: [&str; 14] = [
    "quadratic",
    "rosenbrock",
    "himmelblau",
    "linear_regression",
    "logistic_regression",
    "deep_linear",
    "mlp",
    "matrix_factorization",
    "matrix_sensing",
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
    // `objective.l2` applies to every kind and is read by `build`: the kind's own keys are read without it
    // (except by the kinds with an `l2` of their own).
    let mut tree = cx.tree()?;
    if let Some(table) = tree.get_mut().get_mut("objective") {
        if let toml::de::DeValue::Table(t) = table.get_mut() {
            let own = t.get("kind").is_some_and(
                |k| matches!(k.get_ref(), toml::de::DeValue::String(s) if OWN_L2.contains(&s.as_ref())),
            );
            if !own {
                t.remove("l2");
            }
        }
    }
    Ok(cx.deserialize_tree::<ObjectiveTable<T>>(tree)?.objective)
}

/// The kinds whose own `l2` key leaves the bias out of the penalty: for them `l2` is theirs, not the
/// generic weight decay.
const OWN_L2: [&str; 2] = ["linear_regression", "logistic_regression"];

/// `objective.l2`, read apart from the kind's keys.
#[derive(Deserialize)]
struct L2Only {
    l2: Option<Spanned<f64>>,
}

/// Wraps `built` in weight decay (λ/2)‖θ‖² when the file gives `objective.l2` = λ > 0 (recorded as `l2`
/// in the objective's settings).
fn with_l2(cx: &Ctx, built: Result<Built>) -> Result<Built> {
    let (objective, mut settings) = built?;
    let Some(l2) = cx.deserialize::<ObjectiveTable<L2Only>>()?.objective.l2 else {
        return Ok((objective, settings));
    };
    let strength = *l2.get_ref();
    if !(strength.is_finite() && strength >= 0.0) {
        return Err(cx.err(
            l2.span(),
            "objective.l2",
            format!("the weight decay λ in (λ/2)‖θ‖² must be finite and ≥ 0, found {strength}"),
        ));
    }
    settings["l2"] = serde_json::json!(strength);
    if strength == 0.0 {
        return Ok((objective, settings));
    }
    Ok((Box::new(WeightDecay::new(objective, strength)), settings))
}

/// Only the `[objective.data]` table (for kinds whose spec takes a dataset from the caller).
#[derive(Deserialize)]
struct DataTable {
    data: Option<DataSpec>,
}

/// Builds the dataset of `[objective.data]`, with its summary record; refuses a missing table when
/// `required`.
fn dataset(cx: &Ctx, required: bool) -> Result<Option<(Dataset, serde_json::Value)>> {
    let table: ObjectiveTable<DataTable> = cx.deserialize()?;
    match table.objective.data {
        Some(spec) => Ok(Some(build_dataset_with_settings(cx, &spec)?)),
        None if required => Err(cx.err(
            0..0,
            "objective.data",
            "this objective trains on data: add an [objective.data] table (see docs/datasets.md)",
        )),
        None => Ok(None),
    }
}

/// Adds the dataset's record to the objective's settings.
fn with_data(built: Result<Built>, data: Option<(Dataset, serde_json::Value)>) -> Result<Built> {
    let (objective, mut settings) = built?;
    if let Some((_, record)) = data {
        settings["data"] = record;
    }
    Ok((objective, settings))
}

/// The objective kinds that take a test part in `[objective.data]`.
const HELD_OUT_KINDS: [&str; 3] = ["linear_regression", "logistic_regression", "mlp"];

/// The held-out evaluation of the objective of `kind` (the same model on the training and the test
/// samples, without weight decay) when its `[objective.data]` asks for a test part; `None` otherwise.
pub fn held_out(cx: &Ctx, kind: &Spanned<String>) -> Result<Option<HeldOut>> {
    let table: ObjectiveTable<DataTable> = cx.deserialize()?;
    let Some(spec) = table.objective.data.filter(DataSpec::has_test_part) else {
        return Ok(None);
    };
    let kind = kind.get_ref().as_str();
    if !HELD_OUT_KINDS.contains(&kind) {
        return Err(cx.err(
            spec.test_part_span(),
            "objective.data",
            format!(
                "a test part (held-out evaluation) is for the kinds {}, not `{kind}`",
                HELD_OUT_KINDS.join(", ")
            ),
        ));
    }
    let (train, test, _) = build_split_with_settings(cx, &spec)?;
    let test = test.expect("a table with a test part gives one");
    Ok(Some(match kind {
        "linear_regression" => linear_regression::held_out(read(cx)?, &train, &test)?,
        "logistic_regression" => logistic_regression::held_out(read(cx)?, &train, &test)?,
        _ => mlp::held_out(cx, read(cx)?, &train, &test)?,
    }))
}

/// Builds the objective of kind `kind`, reading its keys from the file.
pub fn build(cx: &Ctx, kind: &Spanned<String>) -> Result<Built> {
    if OWN_L2.contains(&kind.get_ref().as_str()) {
        return build_kind(cx, kind);
    }
    with_l2(cx, build_kind(cx, kind))
}

/// The objective of `kind` without weight decay.
fn build_kind(cx: &Ctx, kind: &Spanned<String>) -> Result<Built> {
    match kind.get_ref().as_str() {
        "quadratic" => quadratic::build(cx, read(cx)?),
        "rosenbrock" => rosenbrock::build(cx, read(cx)?),
        "himmelblau" => himmelblau::build(cx, read(cx)?),
        "linear_regression" => linear_regression::build(cx, read(cx)?),
        "logistic_regression" => logistic_regression::build(cx, read(cx)?),
        "deep_linear" => {
            let data = dataset(cx, false)?;
            with_data(
                deep_linear::build(cx, read(cx)?, data.as_ref().map(|d| d.0.clone())),
                data,
            )
        }
        "mlp" => {
            let data = dataset(cx, true)?.expect("required");
            let dataset = data.0.clone();
            with_data(mlp::build(cx, read(cx)?, dataset), Some(data))
        }
        "matrix_factorization" => matrix_factorization::build(cx, read(cx)?),
        "matrix_sensing" => matrix_sensing::build(cx, read(cx)?),
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
