//! The `[objective.data]` table: where an objective's samples come from (a CSV file or a seeded
//! generator), checked key by key with line numbers, and turned into a [`Dataset`].
//!
//! Objective specs that train on data hold a `data: DataSpec` field and call [`build_dataset`] (or
//! [`build_dataset_with_settings`] to also record what was loaded in summary.json).

use super::ctx::Ctx;
use crate::data::csv::{self as csv_data, CsvOptions, CsvTask, RowSubset};
use crate::data::scale::{self, ScaleParams, Scaling};
use crate::data::split;
use crate::data::synthetic::{self, Blobs, Classified, TeacherStudent};
use crate::data::{Dataset, Task};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// The dotted prefix of every key in the table, for messages.
const PREFIX: &str = "objective.data";

/// The data sources, as written in `source`.
pub const SOURCES: [&str; 6] = ["csv", "teacher_student", "blobs", "two_moons", "spirals", "xor"];

/// The keys of an `[objective.data]` table: `source` picks the source, the other keys are its
/// parameters (each source refuses the keys it does not use). See docs/datasets.md.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// `csv`, `teacher_student`, `blobs`, `two_moons`, `spirals` or `xor`.
    pub source: Spanned<String>,
    seed: Option<Spanned<i64>>,
    scale: Option<Spanned<String>>,
    task: Option<Spanned<String>>,
    // csv
    path: Option<Spanned<String>>,
    features: Option<Spanned<Vec<String>>>,
    label: Option<Spanned<String>>,
    positive: Option<Spanned<toml::Value>>,
    rows: Option<Spanned<Vec<i64>>>,
    max_rows: Option<Spanned<i64>>,
    // synthetic
    samples: Option<Spanned<i64>>,
    inputs: Option<Spanned<i64>>,
    hidden: Option<Spanned<i64>>,
    outputs: Option<Spanned<i64>>,
    classes: Option<Spanned<i64>>,
    noise: Option<Spanned<f64>>,
    spread: Option<Spanned<f64>>,
    center_box: Option<Spanned<f64>>,
    turns: Option<Spanned<f64>>,
    // held-out evaluation
    test_fraction: Option<Spanned<f64>>,
    split_seed: Option<Spanned<i64>>,
    test_data: Option<Spanned<String>>,
}

/// The keys each source accepts besides `source`.
fn allowed_keys(source: &str) -> &'static [&'static str] {
    match source {
        "csv" => &[
            "path",
            "label",
            "features",
            "task",
            "positive",
            "rows",
            "max_rows",
            "scale",
            "test_fraction",
            "split_seed",
            "test_data",
        ],
        "teacher_student" => &[
            "seed",
            "samples",
            "inputs",
            "hidden",
            "outputs",
            "noise",
            "scale",
            "test_fraction",
            "split_seed",
        ],
        "blobs" => &[
            "seed",
            "samples",
            "classes",
            "inputs",
            "spread",
            "center_box",
            "task",
            "scale",
            "test_fraction",
            "split_seed",
        ],
        "two_moons" | "xor" => &[
            "seed",
            "samples",
            "noise",
            "task",
            "scale",
            "test_fraction",
            "split_seed",
        ],
        "spirals" => &[
            "seed",
            "samples",
            "classes",
            "turns",
            "noise",
            "task",
            "scale",
            "test_fraction",
            "split_seed",
        ],
        _ => &[],
    }
}

/// The largest number of samples, and of input entries n·p, a generator may be asked for (8·10⁸ bytes).
const MAX_SAMPLES: i64 = 10_000_000;
const MAX_ENTRIES: i64 = 100_000_000;

impl DataSpec {
    /// Every optional key that is present, with its span.
    fn present(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        macro_rules! key {
            ($($f:ident),*) => {$(
                if let Some(v) = &self.$f {
                    out.push((stringify!($f), v.span()));
                }
            )*};
        }
        key!(
            seed,
            scale,
            task,
            path,
            features,
            label,
            positive,
            rows,
            max_rows,
            samples,
            inputs,
            hidden,
            outputs,
            classes,
            noise,
            spread,
            center_box,
            turns,
            test_fraction,
            split_seed,
            test_data
        );
        out
    }

    /// True when the table asks for a test part (`test_fraction` or `test_data`).
    pub fn has_test_part(&self) -> bool {
        self.test_fraction.is_some() || self.test_data.is_some()
    }

    /// The span of the key that asks for a test part (for errors about it), else of `source`.
    pub fn test_part_span(&self) -> std::ops::Range<usize> {
        match (&self.test_fraction, &self.test_data) {
            (Some(f), _) => f.span(),
            (None, Some(d)) => d.span(),
            (None, None) => self.source.span(),
        }
    }
}

/// How the samples are split for held-out evaluation, checked.
enum HeldOutRule {
    /// No test part.
    None,
    /// A seeded fraction of the samples ([`crate::data::split`]).
    Fraction { fraction: f64, seed: u64 },
    /// A second CSV file (`test_data`).
    File,
}

/// Checks `test_fraction`, `split_seed` and `test_data` together.
fn held_out_rule(cx: &Ctx, spec: &DataSpec) -> Result<HeldOutRule> {
    let key = |k: &str| format!("{PREFIX}.{k}");
    match (&spec.test_fraction, &spec.split_seed, &spec.test_data) {
        (Some(_), _, Some(d)) => Err(cx.err(
            d.span(),
            key("test_data"),
            "give either `test_fraction` (a seeded split of these samples) or `test_data` (a second file), not both",
        )),
        (None, Some(s), None) => Err(cx.err(
            s.span(),
            key("split_seed"),
            "seeds the test split, which `test_fraction = <f in (0, 1)>` asks for: add it, or remove `split_seed`",
        )),
        (None, Some(s), Some(_)) => Err(cx.err(
            s.span(),
            key("split_seed"),
            "seeds a `test_fraction` split; with `test_data` the test samples are that file's, so remove `split_seed`",
        )),
        (Some(f), seed, None) => {
            let fraction = *f.get_ref();
            if !(fraction > 0.0 && fraction < 1.0) {
                return Err(cx.err(
                    f.span(),
                    key("test_fraction"),
                    format!("must be a number strictly between 0 and 1 (the share of samples held out for testing), found {fraction}"),
                ));
            }
            let seed = match seed {
                Some(s) if *s.get_ref() < 0 => {
                    return Err(cx.err(
                        s.span(),
                        key("split_seed"),
                        format!("must be an integer ≥ 0, found {}", s.get_ref()),
                    ))
                }
                Some(s) => *s.get_ref() as u64,
                None => {
                    return Err(cx.err(
                        f.span(),
                        key("split_seed"),
                        "the test split is random: give `split_seed = <integer ≥ 0>` so that runs repeat exactly",
                    ))
                }
            };
            Ok(HeldOutRule::Fraction { fraction, seed })
        }
        (None, None, Some(_)) => Ok(HeldOutRule::File),
        (None, None, None) => Ok(HeldOutRule::None),
    }
}

/// Splits `dataset` by `rule` (a fraction: the seeded split; otherwise nothing here), fits the scaling on
/// the training part and applies it to both. Returns the scaling and the test part, and records the split
/// in `settings["held_out"]`.
fn split_and_scale(
    cx: &Ctx,
    spec: &DataSpec,
    rule: &HeldOutRule,
    dataset: &mut Dataset,
    scaling: Scaling,
    settings: &mut serde_json::Value,
) -> Result<(ScaleParams, Option<Dataset>)> {
    let HeldOutRule::Fraction { fraction, seed } = *rule else {
        return Ok((scale::apply(&mut dataset.x, scaling), None));
    };
    let n = dataset.len();
    let parts = split::split(n, fraction, seed)
        .map_err(|m| cx.err(spec.test_part_span(), format!("{PREFIX}.test_fraction"), m))?;
    let mut test = dataset.rows(&parts.test);
    *dataset = dataset.rows(&parts.train);
    let params = scale::apply(&mut dataset.x, scaling);
    scale::apply_params(&mut test.x, &params);
    settings["held_out"] = serde_json::json!({
        "test_fraction": fraction,
        "split_seed": seed,
        "train_samples": dataset.len(),
        "test_samples": test.len(),
        "rule": SPLIT_RULE,
        "scale": "fitted on the training part, applied to both",
    });
    Ok((params, Some(test)))
}

/// The split rule in words, for summary.json (docs/datasets.md states it in full).
const SPLIT_RULE: &str = "test = round(test_fraction*samples) samples picked by a ChaCha8 Fisher-Yates shuffle seeded with split_seed; both parts keep the data order";

/// Reads an integer key within `lo..=hi`, or its default when absent (`None`: the key is required).
fn int(
    cx: &Ctx,
    v: &Option<Spanned<i64>>,
    name: &str,
    lo: i64,
    hi: i64,
    default: Option<i64>,
    at: &Spanned<String>,
) -> Result<i64> {
    let key = format!("{PREFIX}.{name}");
    match (v, default) {
        (Some(s), _) if *s.get_ref() < lo || *s.get_ref() > hi => Err(cx.err(
            s.span(),
            key,
            format!("must be an integer from {lo} to {hi}, found {}", s.get_ref()),
        )),
        (Some(s), _) => Ok(*s.get_ref()),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(cx.err(
            at.span(),
            key,
            format!(
                "source `{}` needs `{name}` (an integer from {lo} to {hi})",
                at.get_ref()
            ),
        )),
    }
}

/// Reads a finite number ≥ `lo` (> `lo` when `strict`), or its default when absent.
fn num(cx: &Ctx, v: &Option<Spanned<f64>>, name: &str, lo: f64, strict: bool, default: f64) -> Result<f64> {
    match v {
        Some(s) => {
            let x = *s.get_ref();
            let ok = x.is_finite() && if strict { x > lo } else { x >= lo };
            if ok {
                Ok(x)
            } else {
                let rel = if strict { ">" } else { "≥" };
                Err(cx.err(
                    s.span(),
                    format!("{PREFIX}.{name}"),
                    format!("must be a finite number {rel} {lo}, found {x}"),
                ))
            }
        }
        None => Ok(default),
    }
}

/// Builds the dataset and describes it for summary.json (source, sizes, task, classes, every parameter
/// after defaults, the scaling applied). With a test part (`test_fraction` or `test_data`) the dataset
/// is the training part only.
pub fn build_dataset_with_settings(cx: &Ctx, spec: &DataSpec) -> Result<(Dataset, serde_json::Value)> {
    let (train, _, settings) = build_split_with_settings(cx, spec)?;
    Ok((train, settings))
}

/// [`build_dataset_with_settings`] with the test part too (`None` without `test_fraction` or
/// `test_data`): the training and test samples, both scaled by the map fitted on the training part.
pub fn build_split_with_settings(
    cx: &Ctx,
    spec: &DataSpec,
) -> Result<(Dataset, Option<Dataset>, serde_json::Value)> {
    let source = spec.source.get_ref().as_str();
    if !SOURCES.contains(&source) {
        return Err(cx.err(
            spec.source.span(),
            format!("{PREFIX}.source"),
            format!("unknown data source `{source}`; allowed: {}", SOURCES.join(", ")),
        ));
    }
    let allowed = allowed_keys(source);
    for (name, span) in spec.present() {
        if !allowed.contains(&name) {
            return Err(cx.err(
                span,
                format!("{PREFIX}.{name}"),
                format!(
                    "does not apply to source `{source}`; its keys are: source, {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    let scaling = match &spec.scale {
        Some(s) => Scaling::from_name(s.get_ref()).ok_or_else(|| {
            cx.err(
                s.span(),
                format!("{PREFIX}.scale"),
                format!(
                    "unknown scaling `{}`; allowed: {}",
                    s.get_ref(),
                    Scaling::NAMES.join(", ")
                ),
            )
        })?,
        None => Scaling::None,
    };
    let rule = held_out_rule(cx, spec)?;
    if source == "csv" {
        return build_csv(cx, spec, scaling, &rule);
    }

    let seed = match &spec.seed {
        Some(s) if *s.get_ref() < 0 => {
            return Err(cx.err(
                s.span(),
                format!("{PREFIX}.seed"),
                format!("must be an integer ≥ 0, found {}", s.get_ref()),
            ));
        }
        Some(s) => *s.get_ref() as u64,
        None => {
            return Err(cx.err(
                spec.source.span(),
                format!("{PREFIX}.seed"),
                format!(
                    "source `{source}` is random: give `seed = <integer ≥ 0>` so that runs repeat exactly"
                ),
            ));
        }
    };
    let at = &spec.source;
    let samples = int(cx, &spec.samples, "samples", 1, MAX_SAMPLES, None, at)?;
    let mut settings = serde_json::json!({ "source": source, "seed": seed, "samples": samples });
    let (mut dataset, classified) = match source {
        "teacher_student" => {
            let inputs = int(cx, &spec.inputs, "inputs", 1, 100_000, None, at)?;
            check_entries(cx, spec, samples, inputs)?;
            let cfg = TeacherStudent {
                samples: samples as usize,
                inputs: inputs as usize,
                hidden: int(cx, &spec.hidden, "hidden", 1, 100_000, None, at)? as usize,
                outputs: int(cx, &spec.outputs, "outputs", 1, 10_000, Some(1), at)? as usize,
                noise: num(cx, &spec.noise, "noise", 0.0, false, 0.0)?,
            };
            settings["inputs"] = cfg.inputs.into();
            settings["hidden"] = cfg.hidden.into();
            settings["outputs"] = cfg.outputs.into();
            settings["noise"] = cfg.noise.into();
            (synthetic::teacher_student(&cfg, seed)?.0, None)
        }
        "blobs" => {
            let inputs = int(cx, &spec.inputs, "inputs", 1, 100_000, Some(2), at)?;
            check_entries(cx, spec, samples, inputs)?;
            let cfg = Blobs {
                samples: samples as usize,
                classes: int(cx, &spec.classes, "classes", 2, 10_000, None, at)? as usize,
                inputs: inputs as usize,
                spread: num(cx, &spec.spread, "spread", 0.0, false, 1.0)?,
                center_box: num(cx, &spec.center_box, "center_box", 0.0, true, 10.0)?,
            };
            settings["classes"] = cfg.classes.into();
            settings["inputs"] = cfg.inputs.into();
            settings["spread"] = cfg.spread.into();
            settings["center_box"] = cfg.center_box.into();
            let (c, centres) = synthetic::blobs(&cfg, seed)?;
            settings["centres"] = centres
                .row_iter()
                .map(|r| r.iter().copied().collect::<Vec<_>>())
                .collect::<Vec<_>>()
                .into();
            classify(cx, spec, c)?
        }
        "two_moons" => {
            let noise = num(cx, &spec.noise, "noise", 0.0, false, 0.1)?;
            settings["noise"] = noise.into();
            classify(cx, spec, synthetic::two_moons(samples as usize, noise, seed)?)?
        }
        "spirals" => {
            let classes = int(cx, &spec.classes, "classes", 2, 10_000, Some(2), at)?;
            let turns = num(cx, &spec.turns, "turns", 0.0, true, 1.0)?;
            let noise = num(cx, &spec.noise, "noise", 0.0, false, 0.0)?;
            settings["classes"] = classes.into();
            settings["turns"] = turns.into();
            settings["noise"] = noise.into();
            let c = synthetic::spirals(samples as usize, classes as usize, turns, noise, seed)?;
            classify(cx, spec, c)?
        }
        _ => {
            // "xor", the last source left.
            let noise = num(cx, &spec.noise, "noise", 0.0, false, 0.0)?;
            settings["noise"] = noise.into();
            classify(cx, spec, synthetic::xor(samples as usize, noise, seed)?)?
        }
    };
    let (params, test) = split_and_scale(cx, spec, &rule, &mut dataset, scaling, &mut settings)?;
    settings["task"] = task_name(&dataset.task).into();
    if let Some(k) = classified {
        settings["classes"] = k.into();
    }
    settings["features"] = dataset.features().into();
    settings["outputs"] = dataset.outputs().into();
    settings["scale"] = serde_json::to_value(&params).unwrap_or_default();
    Ok((dataset, test, settings))
}

/// Refuses n·p beyond [`MAX_ENTRIES`].
fn check_entries(cx: &Ctx, spec: &DataSpec, samples: i64, inputs: i64) -> Result<()> {
    if samples.saturating_mul(inputs) > MAX_ENTRIES {
        let span = spec.samples.as_ref().map_or(spec.source.span(), |s| s.span());
        return Err(cx.err(
            span,
            format!("{PREFIX}.samples"),
            format!("samples × inputs = {samples} × {inputs} exceeds {MAX_ENTRIES} numbers; ask for fewer"),
        ));
    }
    Ok(())
}

/// Encodes classified samples by `task`: `binary` (two classes only; the default for two) or
/// `multiclass` (one-hot; the default for more). Returns the dataset and the class count.
fn classify(cx: &Ctx, spec: &DataSpec, c: Classified) -> Result<(Dataset, Option<usize>)> {
    let one_hot = match &spec.task {
        None => c.classes > 2,
        Some(t) if t.get_ref() == "multiclass" => true,
        Some(t) if t.get_ref() == "binary" && c.classes == 2 => false,
        Some(t) if t.get_ref() == "binary" => {
            return Err(cx.err(
                t.span(),
                format!("{PREFIX}.task"),
                format!(
                    "`binary` needs 2 classes; this source has {}: use `multiclass`",
                    c.classes
                ),
            ));
        }
        Some(t) => {
            return Err(cx.err(
                t.span(),
                format!("{PREFIX}.task"),
                format!(
                    "unknown task `{}` for a classification source; allowed: binary, multiclass",
                    t.get_ref()
                ),
            ));
        }
    };
    Ok((c.to_dataset(one_hot), Some(c.classes)))
}

fn task_name(task: &Task) -> &'static str {
    match task {
        Task::Regression => "regression",
        Task::Binary => "binary",
        Task::Multiclass { .. } => "multiclass",
    }
}

/// True when `file` is inside `folder` once links are followed. Data may live anywhere (absolute paths
/// and `..` are allowed), but errors about a file outside the scenario's folder show none of its
/// contents: a scenario from someone else must not be able to print /etc/shadow through an error.
fn inside(folder: &Path, file: &Path) -> bool {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    match (std::fs::canonicalize(folder), std::fs::canonicalize(file)) {
        (Ok(folder), Ok(file)) => file.starts_with(folder),
        _ => false,
    }
}

/// `source = "csv"`: reads the file named by `path` (relative to the scenario file).
fn build_csv(
    cx: &Ctx,
    spec: &DataSpec,
    scaling: Scaling,
    rule: &HeldOutRule,
) -> Result<(Dataset, Option<Dataset>, serde_json::Value)> {
    let key = |k: &str| format!("{PREFIX}.{k}");
    let path = spec.path.as_ref().ok_or_else(|| {
        cx.err(
            spec.source.span(),
            key("path"),
            "source `csv` needs `path = \"file.csv\"` (relative to this scenario file)",
        )
    })?;
    let label = spec.label.as_ref().ok_or_else(|| {
        cx.err(
            spec.source.span(),
            key("label"),
            "source `csv` needs `label = \"<column name>\"`, the column holding the targets",
        )
    })?;
    let task_name = spec.task.as_ref().map_or("regression", |t| t.get_ref().as_str());
    let task = match task_name {
        "regression" => {
            cx.not_for(
                &spec.positive,
                &key("positive"),
                "csv with task = \"regression\"",
                "task = \"binary\" only",
            )?;
            CsvTask::Regression
        }
        "multiclass" => {
            cx.not_for(
                &spec.positive,
                &key("positive"),
                "csv with task = \"multiclass\"",
                "task = \"binary\" only",
            )?;
            CsvTask::Multiclass
        }
        "binary" => {
            let positive = spec.positive.as_ref().ok_or_else(|| {
                cx.err(
                    spec.task.as_ref().map_or(spec.source.span(), |t| t.span()),
                    key("positive"),
                    "task `binary` needs `positive = \"<label value>\"`: the class counted as 1 (all others are 0)",
                )
            })?;
            let text = match positive.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) if f.is_finite() => f.to_string(),
                _ => {
                    return Err(cx.err(
                        positive.span(),
                        key("positive"),
                        "must be a label value: a string or a number",
                    ));
                }
            };
            CsvTask::Binary { positive: text }
        }
        other => {
            let span = spec.task.as_ref().map_or(spec.source.span(), |t| t.span());
            return Err(cx.err(
                span,
                key("task"),
                format!("unknown task `{other}`; allowed: regression, binary, multiclass"),
            ));
        }
    };
    let rows = match (&spec.rows, &spec.max_rows) {
        (Some(r), Some(_)) => {
            return Err(cx.err(
                r.span(),
                key("rows"),
                "give either `rows = [start, end]` or `max_rows`, not both",
            ));
        }
        (Some(r), None) => match r.get_ref()[..] {
            [start, end] if 0 <= start && start < end => RowSubset::Range {
                start: start as usize,
                end: end as usize,
            },
            _ => {
                return Err(cx.err(
                    r.span(),
                    key("rows"),
                    format!(
                        "must be [start, end] with 0 ≤ start < end (data rows numbered from 0, end excluded), found {:?}",
                        r.get_ref()
                    ),
                ));
            }
        },
        (None, Some(m)) if *m.get_ref() < 1 => {
            return Err(cx.err(
                m.span(),
                key("max_rows"),
                format!("must be an integer ≥ 1, found {}", m.get_ref()),
            ));
        }
        (None, Some(m)) => RowSubset::First(*m.get_ref() as usize),
        (None, None) => RowSubset::All,
    };
    let base = cx.path.parent().unwrap_or(Path::new(""));
    let file = base.join(path.get_ref());
    let held_out = !matches!(rule, HeldOutRule::None);
    let opts = CsvOptions {
        show_contents: inside(base, &file),
        path: file,
        features: spec.features.as_ref().map(|f| f.get_ref().clone()),
        label: label.get_ref().clone(),
        task,
        // With a test part the scaling is fitted on the training part below, after the split.
        scaling: if held_out { Scaling::None } else { scaling },
        rows,
    };
    let mut loaded = load_reported(cx, &opts, path, "path")?;
    let d = &loaded.dataset;
    let mut settings = serde_json::json!({
        "source": "csv",
        "path": path.get_ref(),
        "label": loaded.label,
        "feature_names": loaded.features,
        "task": task_name,
        "positive": match &opts.task { CsvTask::Binary { positive } => Some(positive.clone()), _ => None },
        "class_names": loaded.classes,
        "rows": [loaded.rows.0, loaded.rows.1],
        "samples": d.len(),
        "features": d.features(),
        "outputs": d.outputs(),
        "scale": serde_json::to_value(&loaded.scale).unwrap_or_default(),
    });
    let test = match rule {
        HeldOutRule::None => None,
        HeldOutRule::Fraction { .. } => {
            let (params, test) =
                split_and_scale(cx, spec, rule, &mut loaded.dataset, scaling, &mut settings)?;
            settings["scale"] = serde_json::to_value(&params).unwrap_or_default();
            test
        }
        HeldOutRule::File => {
            let test_path = spec.test_data.as_ref().expect("the File rule has test_data");
            let file = base.join(test_path.get_ref());
            let test_opts = CsvOptions {
                show_contents: inside(base, &file),
                path: file,
                // The training file's feature columns, by name, in its order.
                features: Some(loaded.features.clone()),
                rows: RowSubset::All,
                ..opts.clone()
            };
            let mut test = load_reported(cx, &test_opts, test_path, "test_data")?;
            if matches!(test_opts.task, CsvTask::Multiclass) {
                remap_classes(cx, test_path, &loaded.classes, &mut test)?;
            }
            let params = scale::apply(&mut loaded.dataset.x, scaling);
            scale::apply_params(&mut test.dataset.x, &params);
            settings["scale"] = serde_json::to_value(&params).unwrap_or_default();
            // `source` and `path` make the test file one of the run's pinned data files.
            settings["held_out"] = serde_json::json!({
                "source": "csv",
                "path": test_path.get_ref(),
                "train_samples": loaded.dataset.len(),
                "test_samples": test.dataset.len(),
                "scale": "fitted on the training part, applied to both",
            });
            Some(test.dataset)
        }
    };
    Ok((loaded.dataset, test, settings))
}

/// Loads one CSV file, reporting every fault at the scenario key `key` (`path` or `test_data`, spanned by
/// `at`) that names the file, the user's entry point, with the data file's own row and column in the
/// message.
fn load_reported(cx: &Ctx, opts: &CsvOptions, at: &Spanned<String>, key: &str) -> Result<csv_data::CsvData> {
    csv_data::load(opts).map_err(|e| {
        let mut message = match e {
            Error::Input { message, .. } => format!("the data file {} {message}", opts.path.display()),
            other => other.to_string(),
        };
        if std::fs::symlink_metadata(&opts.path).is_err() {
            message.push_str("; the path is relative to this scenario file's folder");
        }
        cx.err(at.span(), format!("{PREFIX}.{key}"), message)
    })
}

/// Puts the one-hot columns of the test file's classes in the training file's class order; a class the
/// training file does not have is refused at `test_data` (the model has no output for it).
fn remap_classes(
    cx: &Ctx,
    at: &Spanned<String>,
    train_classes: &[String],
    test: &mut csv_data::CsvData,
) -> Result<()> {
    let mut columns = Vec::with_capacity(test.classes.len());
    for name in &test.classes {
        match train_classes.iter().position(|c| c == name) {
            Some(j) => columns.push(j),
            None => {
                return Err(cx.err(
                    at.span(),
                    format!("{PREFIX}.test_data"),
                    format!(
                        "the test file has the class `{}`, which the training file does not (its classes: {});                          the model has no output for it",
                        crate::error::excerpt(name),
                        train_classes.iter().map(|c| crate::error::excerpt(c)).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        }
    }
    let y = &test.dataset.y;
    let mut remapped = nalgebra::DMatrix::zeros(y.nrows(), train_classes.len());
    for (c, &j) in columns.iter().enumerate() {
        remapped.set_column(j, &y.column(c));
    }
    test.dataset.y = remapped;
    test.dataset.task = crate::data::Task::Multiclass {
        classes: train_classes.len(),
    };
    test.classes = train_classes.to_vec();
    Ok(())
}
