//! `[output] width`, `height`, `dpi`, `projection`, `style`, `title` and `legend`: checked with located errors into
//! [`FigureSettings`].

use super::ctx::Ctx;
use crate::error::Result;
use crate::outspec::{FigureSettings, FigureStyle, LegendPlacement, DPI_RANGE, MAX_SIDE, MIN_SIDE};
use toml::Spanned;

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
