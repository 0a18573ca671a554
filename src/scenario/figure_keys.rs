//! `[output] width`, `height`, `dpi`, `projection`, `style`, `title` and `legend`: checked with located errors into
//! [`FigureSettings`].

use super::ctx::Ctx;
use crate::error::Result;
use crate::outspec::{
    settings_keys, FigureKind, FigureOverrides, FigureSettings, FigureStyle, LegendPlacement, DPI_RANGE,
    MAX_SIDE, MIN_SIDE, SWEEP_FIGURES,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One `[output.figure.<kind>]` table, as read from the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFigureTable {
    /// `title`: a string, or `false` for none.
    title: Option<Spanned<toml::Value>>,
    /// `x_label`: the x axis's description.
    x_label: Option<Spanned<String>>,
    /// `y_label`: the y axis's description.
    y_label: Option<Spanned<String>>,
    /// `x_range`: `[lo, hi]`.
    x_range: Option<Spanned<Vec<f64>>>,
    /// `y_range`: `[lo, hi]`.
    y_range: Option<Spanned<Vec<f64>>>,
    /// `x_log`: a log or linear x axis (the sweep's `curve`; refused on the run figures, whose x axis is
    /// time from t = 0).
    x_log: Option<Spanned<bool>>,
    /// `y_log`: a log or linear y axis.
    y_log: Option<Spanned<bool>>,
    /// `t_max`: the end of the figure's time window.
    t_max: Option<Spanned<f64>>,
}

/// The longest title or axis label, in characters.
pub const MAX_TEXT_CHARS: usize = 80;

/// Checks every `[output.figure.<kind>]` table: a known run figure kind, and only the keys that kind honours
/// ([`FigureKind::settings_keys`]), each well formed.
pub fn per_figure(
    cx: &Ctx,
    tables: &Spanned<BTreeMap<String, Spanned<RawFigureTable>>>,
) -> Result<BTreeMap<String, FigureOverrides>> {
    let mut out = BTreeMap::new();
    for (name, table) in tables.get_ref() {
        let honoured = settings_keys(name).ok_or_else(|| {
            let sweep: Vec<&str> = SWEEP_FIGURES.iter().map(|(n, _)| *n).collect();
            cx.err(
                table.span(),
                format!("output.figure.{name}"),
                format!(
                    "unknown figure `{name}`; allowed: {}, and the sweep figures {}",
                    FigureKind::NAMES.join(", "),
                    sweep.join(", ")
                ),
            )
        })?;
        let raw = table.get_ref();
        let given = [
            ("title", raw.title.as_ref().map(|v| v.span())),
            ("x_label", raw.x_label.as_ref().map(|v| v.span())),
            ("y_label", raw.y_label.as_ref().map(|v| v.span())),
            ("x_range", raw.x_range.as_ref().map(|v| v.span())),
            ("y_range", raw.y_range.as_ref().map(|v| v.span())),
            ("x_log", raw.x_log.as_ref().map(|v| v.span())),
            ("y_log", raw.y_log.as_ref().map(|v| v.span())),
            ("t_max", raw.t_max.as_ref().map(|v| v.span())),
        ];
        for (key, span) in given {
            let Some(span) = span else { continue };
            if !honoured.contains(&key) {
                return Err(cx.err(
                    span,
                    format!("output.figure.{name}.{key}"),
                    format!(
                        "is not a setting the `{name}` figure can honour; it takes: {}",
                        honoured.join(", ")
                    ),
                ));
            }
        }
        let text = |v: &Spanned<String>, key: &str| -> Result<String> {
            let t = v.get_ref();
            let err = |m: String| cx.err(v.span(), format!("output.figure.{name}.{key}"), m);
            if t.chars().any(char::is_control) {
                return Err(err(
                    "holds a control character (a line break or tab); it is one line of text".into(),
                ));
            }
            let n = t.chars().count();
            if n > MAX_TEXT_CHARS {
                return Err(err(format!(
                    "has {n} characters; at most {MAX_TEXT_CHARS} fit a figure"
                )));
            }
            Ok(t.clone())
        };
        let range = |v: &Spanned<Vec<f64>>, key: &str| -> Result<(f64, f64)> {
            let err = |m: String| cx.err(v.span(), format!("output.figure.{name}.{key}"), m);
            match v.get_ref().as_slice() {
                &[lo, hi] if lo.is_finite() && hi.is_finite() && lo < hi => Ok((lo, hi)),
                &[lo, hi] => Err(err(format!(
                    "must be [lo, hi] with finite lo < hi, found [{lo}, {hi}]"
                ))),
                other => Err(err(format!(
                    "must be two numbers [lo, hi], found {} numbers",
                    other.len()
                ))),
            }
        };
        let title = match &raw.title {
            None => None,
            Some(v) => match v.get_ref() {
                toml::Value::Boolean(false) => Some(None),
                toml::Value::String(s) => {
                    let owned = Spanned::new(v.span(), s.clone());
                    Some(Some(text(&owned, "title")?))
                }
                other => {
                    return Err(cx.err(
                        v.span(),
                        format!("output.figure.{name}.title"),
                        format!(
                            "must be a string (the title) or false (no title), found {}",
                            match other {
                                toml::Value::Boolean(_) => "true".to_string(),
                                v => v.type_str().to_string(),
                            }
                        ),
                    ))
                }
            },
        };
        let o = FigureOverrides {
            title,
            x_label: raw.x_label.as_ref().map(|v| text(v, "x_label")).transpose()?,
            y_label: raw.y_label.as_ref().map(|v| text(v, "y_label")).transpose()?,
            x_range: raw.x_range.as_ref().map(|v| range(v, "x_range")).transpose()?,
            y_range: raw.y_range.as_ref().map(|v| range(v, "y_range")).transpose()?,
            x_log: raw.x_log.as_ref().map(|v| *v.get_ref()),
            y_log: raw.y_log.as_ref().map(|v| *v.get_ref()),
            t_max: match &raw.t_max {
                None => None,
                Some(v) if v.get_ref().is_finite() && *v.get_ref() > 0.0 => Some(*v.get_ref()),
                Some(v) => {
                    return Err(cx.err(
                        v.span(),
                        format!("output.figure.{name}.t_max"),
                        format!(
                            "must be a finite time above 0 (the window is 0..t_max), found {}",
                            v.get_ref()
                        ),
                    ))
                }
            },
        };
        // A log axis cannot reach zero or below: say so here, not with an empty figure.
        if let (Some(true), Some((lo, _)), Some(v)) = (o.y_log, o.y_range, &raw.y_range) {
            if lo <= 0.0 {
                return Err(cx.err(
                    v.span(),
                    format!("output.figure.{name}.y_range"),
                    format!("starts at {lo}, but `y_log = true` needs a positive range"),
                ));
            }
        }
        out.insert(name.clone(), o);
    }
    Ok(out)
}

/// The raw keys, as read from `[output]`.
pub struct RawFigureKeys<'a> {
    /// `width`, pixels.
    pub width: Option<&'a Spanned<i64>>,
    /// `height`, pixels.
    pub height: Option<&'a Spanned<i64>>,
    /// `dpi`, PNG resolution metadata.
    pub dpi: Option<&'a Spanned<i64>>,
    /// `projection`, two direction vectors.
    pub projection: Option<&'a Spanned<Vec<Vec<f64>>>>,
    /// `style`: `screen`, `paper` or `paper_wide`.
    pub style: Option<&'a Spanned<String>>,
    /// `title`: whether figures carry a title.
    pub title: Option<&'a Spanned<bool>>,
    /// `legend`: `auto`, `none`, `outside` or a corner.
    pub legend: Option<&'a Spanned<String>>,
}

/// Checks the keys against the objective's dimension `dim`.
pub fn parse(cx: &Ctx, raw: RawFigureKeys, dim: usize) -> Result<FigureSettings> {
    let int_in = |v: Option<&Spanned<i64>>, key: &str, lo: u32, hi: u32, default: Option<u32>| {
        let Some(v) = v else { return Ok(default) };
        let x = *v.get_ref();
        if x < lo as i64 || x > hi as i64 {
            return Err(cx.err(
                v.span(),
                format!("output.{key}"),
                format!("must be an integer from {lo} to {hi}, found {x}"),
            ));
        }
        Ok(Some(x as u32))
    };
    let d = FigureSettings::default();
    let style = match raw.style {
        None => FigureStyle::Screen,
        Some(s) => FigureStyle::from_name(s.get_ref()).ok_or_else(|| {
            cx.err(
                s.span(),
                "output.style",
                format!(
                    "unknown style `{}`; allowed: {}",
                    s.get_ref(),
                    FigureStyle::NAMES.join(", ")
                ),
            )
        })?,
    };
    if style != FigureStyle::Screen {
        // The paper styles fix the printed size (and so the text's size in points); pixels would undo it.
        for (key, v) in [("width", raw.width), ("height", raw.height)] {
            if let Some(v) = v {
                return Err(cx.err(
                    v.span(),
                    format!("output.{key}"),
                    "is set in pixels for `style = \"screen\"` only; the paper styles print at a fixed \
                     width (3.25 in, or 6.75 in for paper_wide) with `dpi` setting the PNG's pixels",
                ));
            }
        }
    }
    let legend = match raw.legend {
        None => LegendPlacement::Auto,
        Some(s) => LegendPlacement::from_name(s.get_ref()).ok_or_else(|| {
            cx.err(
                s.span(),
                "output.legend",
                format!(
                    "unknown legend placement `{}`; allowed: {}",
                    s.get_ref(),
                    LegendPlacement::NAMES.join(", ")
                ),
            )
        })?,
    };
    let width = int_in(raw.width, "width", MIN_SIDE, MAX_SIDE, Some(d.width))?.unwrap_or(d.width);
    let height = int_in(raw.height, "height", MIN_SIDE, MAX_SIDE, Some(d.height))?.unwrap_or(d.height);
    let dpi = int_in(raw.dpi, "dpi", DPI_RANGE.0, DPI_RANGE.1, None)?;
    let projection = match raw.projection {
        None => None,
        Some(p) => Some(directions(cx, p, dim)?),
    };
    Ok(FigureSettings {
        width,
        height,
        dpi,
        projection,
        style,
        title: raw
            .title
            .map(|t| *t.get_ref())
            .unwrap_or(style == FigureStyle::Screen),
        legend,
        // Filled from `[[method]] label` by the loader.
        labels: Default::default(),
        // Filled from `[output.figure.<kind>]` by `per_figure`.
        per_figure: Default::default(),
    })
}

/// The longest method `label`, in characters (a legend line, not a caption).
pub const MAX_LABEL_CHARS: usize = 60;

/// Checks `[[method]] label` (method `i`): one line of 1 to [`MAX_LABEL_CHARS`] characters, no control
/// characters.
pub fn method_label(cx: &Ctx, label: &Spanned<String>, i: usize) -> Result<String> {
    let text = label.get_ref();
    let err = |m: String| cx.err(label.span(), format!("method[{i}].label"), m);
    if text.trim().is_empty() {
        return Err(err(
            "is empty; give the name legends should show, or leave it out for the id".into(),
        ));
    }
    let n = text.chars().count();
    if n > MAX_LABEL_CHARS {
        return Err(err(format!(
            "has {n} characters; at most {MAX_LABEL_CHARS} fit a legend line"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(err(
            "holds a control character (a line break or tab); a label is one line of text".into(),
        ));
    }
    Ok(text.clone())
}

/// Two finite, non-zero, non-parallel directions of length `dim`.
fn directions(cx: &Ctx, p: &Spanned<Vec<Vec<f64>>>, dim: usize) -> Result<[Vec<f64>; 2]> {
    let key = "output.projection";
    let err = |m: String| cx.err(p.span(), key, m);
    let list = p.get_ref();
    if list.len() != 2 {
        return Err(err(format!(
            "must be two direction vectors [[…], […]] of length {dim} (the objective's dimension), found {} vectors",
            list.len()
        )));
    }
    for (k, v) in list.iter().enumerate() {
        if v.len() != dim {
            return Err(err(format!(
                "direction {k} has {} entries; the objective's dimension is {dim}",
                v.len()
            )));
        }
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(err(format!(
                "direction {k}, entry {i} is {}; entries must be finite",
                v[i]
            )));
        }
        if v.iter().all(|&x| x == 0.0) {
            return Err(err(format!("direction {k} is zero; it must span a line")));
        }
    }
    let (a, b) = (&list[0], &list[1]);
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    let cos = dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt());
    if cos.is_nan() || cos.abs() >= 1.0 - 1e-9 {
        return Err(err(
            "the two directions are parallel; they must span a plane".to_string()
        ));
    }
    Ok([a.clone(), b.clone()])
}
