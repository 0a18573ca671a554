//! `[run] schedule`: a learning-rate schedule for every method of the scenario (see
//! [`crate::schedule`]), its keys per kind, each checked where it is written.

use super::ctx::Ctx;
use crate::error::Result;
use crate::schedule::{Schedule, StepSizes};
use serde::Deserialize;
use toml::Spanned;

/// The schedule kinds a scenario can name.
pub const KINDS: [&str; 6] = ["constant", "warmup", "cosine", "step", "inverse_time", "pairs"];

/// Every schedule key in one table, checked per kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    kind: Spanned<String>,
    warmup_steps: Option<Spanned<i64>>,
    final_fraction: Option<Spanned<f64>>,
    every: Option<Spanned<i64>>,
    factor: Option<Spanned<f64>>,
    decay_steps: Option<Spanned<f64>>,
    power: Option<Spanned<f64>>,
    points: Option<Spanned<Vec<(i64, f64)>>>,
}

/// A `[[method]]`'s `schedule`: for `nesterov` a string naming its momentum schedule, for any method a
/// table giving its own learning-rate schedule (the keys of `[run] schedule`).
pub(super) enum RawMethodSchedule {
    /// `schedule = "constant"` or `"su_boyd_candes"` (nesterov's β_k).
    Momentum(String),
    /// `schedule = { kind = "cosine", … }` (boxed: the table is ten times the string's size).
    Rate(Box<RawSchedule>),
}

impl<'de> Deserialize<'de> for RawMethodSchedule {
    // By hand rather than `#[serde(untagged)]`: untagged buffers the table, which loses the spans of its
    // keys (errors would point at the whole method) and replaces unknown-key messages with a generic one.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawMethodSchedule;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a learning-rate schedule table such as { kind = \"cosine\" }, or for nesterov a momentum schedule name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(RawMethodSchedule::Momentum(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                RawSchedule::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|r| RawMethodSchedule::Rate(Box::new(r)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The step sizes of the schedule `r` (the table written at `table`, its keys named `<prefix>.<key>`, e.g.
/// `run.schedule`) at η = `step_size` over `steps` steps.
pub(super) fn sizes(
    cx: &Ctx,
    (r, table, prefix): (&RawSchedule, std::ops::Range<usize>, &str),
    step_size: f64,
    steps: u64,
) -> Result<StepSizes> {
    let key = |k: &str| format!("{prefix}.{k}");
    let kind = r.kind.get_ref().as_str();
    let allowed: &[&str] = match kind {
        "constant" => &[],
        "warmup" => &["warmup_steps"],
        "cosine" => &["warmup_steps", "final_fraction"],
        "step" => &["every", "factor"],
        "inverse_time" => &["decay_steps", "power"],
        "pairs" => &["points"],
        other => {
            return Err(cx.err(
                r.kind.span(),
                key("kind"),
                format!("unknown schedule `{other}`; the kinds are {}", KINDS.join(", ")),
            ))
        }
    };
    let present: [(&str, Option<std::ops::Range<usize>>); 7] = [
        ("warmup_steps", r.warmup_steps.as_ref().map(Spanned::span)),
        ("final_fraction", r.final_fraction.as_ref().map(Spanned::span)),
        ("every", r.every.as_ref().map(Spanned::span)),
        ("factor", r.factor.as_ref().map(Spanned::span)),
        ("decay_steps", r.decay_steps.as_ref().map(Spanned::span)),
        ("power", r.power.as_ref().map(Spanned::span)),
        ("points", r.points.as_ref().map(Spanned::span)),
    ];
    for (name, span) in &present {
        if let (Some(span), false) = (span.clone(), allowed.contains(name)) {
            let keys = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            };
            return Err(cx.err(
                span,
                key(name),
                format!("is not a key of the `{kind}` schedule (its keys: {keys})"),
            ));
        }
    }
    let required = |name: &str, span: Option<std::ops::Range<usize>>| {
        span.ok_or_else(|| {
            cx.err(
                table.clone(),
                key(name),
                format!("the `{kind}` schedule needs `{name}`"),
            )
        })
    };
    let count = |v: &Option<Spanned<i64>>, name: &str, min: i64| -> Result<Option<u64>> {
        match v {
            None => Ok(None),
            Some(v) if *v.get_ref() >= min => Ok(Some(*v.get_ref() as u64)),
            Some(v) => Err(cx.err(
                v.span(),
                key(name),
                format!("must be an integer ≥ {min}, found {}", v.get_ref()),
            )),
        }
    };
    let schedule = match kind {
        "constant" => Schedule::Constant,
        "warmup" => {
            required("warmup_steps", r.warmup_steps.as_ref().map(Spanned::span))?;
            Schedule::Warmup {
                warmup_steps: count(&r.warmup_steps, "warmup_steps", 1)?.unwrap_or(1),
            }
        }
        "cosine" => Schedule::Cosine {
            warmup_steps: count(&r.warmup_steps, "warmup_steps", 0)?.unwrap_or(0),
            final_fraction: r.final_fraction.as_ref().map_or(0.0, |v| *v.get_ref()),
        },
        "step" => {
            required("every", r.every.as_ref().map(Spanned::span))?;
            required("factor", r.factor.as_ref().map(Spanned::span))?;
            Schedule::Step {
                every: count(&r.every, "every", 1)?.unwrap_or(1),
                factor: r.factor.as_ref().map_or(1.0, |v| *v.get_ref()),
            }
        }
        "inverse_time" => {
            required("decay_steps", r.decay_steps.as_ref().map(Spanned::span))?;
            Schedule::InverseTime {
                decay_steps: r.decay_steps.as_ref().map_or(1.0, |v| *v.get_ref()),
                power: r.power.as_ref().map_or(1.0, |v| *v.get_ref()),
            }
        }
        _ => {
            let points = required("points", r.points.as_ref().map(Spanned::span))?;
            let list = r.points.as_ref().map(Spanned::get_ref).expect("checked");
            let mut out = Vec::with_capacity(list.len());
            for (i, &(k, eta)) in list.iter().enumerate() {
                if k < 0 {
                    return Err(cx.err(
                        points.clone(),
                        key("points"),
                        format!("points[{i}]: the step must be ≥ 0, found {k}"),
                    ));
                }
                out.push((k as u64, eta));
            }
            Schedule::Pairs { points: out }
        }
    };
    // The values' own checks: the message names the key; point at it when it is written, else at the table.
    StepSizes::new(step_size, steps, schedule).map_err(|message| {
        let (name, span) = present
            .iter()
            .find(|(name, span)| span.is_some() && message.contains(name))
            .map_or(("kind", table.clone()), |(name, at)| {
                (*name, at.clone().expect("present"))
            });
        cx.err(span, key(name), message)
    })
}
