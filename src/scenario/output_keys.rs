//! `[output]`: which figures, which image formats, and the figure settings, checked with located errors.

use super::ctx::Ctx;
use super::diagnostics::RawDiagnostics;
use crate::error::Result;
use crate::outspec::{FigureKind, FigureSettings, ImageFormat};
use serde::Deserialize;
use toml::Spanned;

/// The raw `[output]` keys, as read from the file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutput {
    /// `figures`: the figure kinds to draw.
    pub(super) figures: Option<Spanned<Vec<Spanned<String>>>>,
    /// `formats`: the image formats.
    pub(super) formats: Option<Vec<Spanned<String>>>,
    /// `width`, pixels.
    pub(super) width: Option<Spanned<i64>>,
    /// `height`, pixels.
    pub(super) height: Option<Spanned<i64>>,
    /// `dpi`, PNG resolution metadata.
    pub(super) dpi: Option<Spanned<i64>>,
    /// `projection`, two direction vectors.
    pub(super) projection: Option<Spanned<Vec<Vec<f64>>>>,
    /// `style`: `screen`, `paper` or `paper_wide`.
    pub(super) style: Option<Spanned<String>>,
    /// `title`: whether figures carry a title.
    pub(super) title: Option<Spanned<bool>>,
    /// `legend`: `auto`, `none`, `outside` or a corner.
    pub(super) legend: Option<Spanned<String>>,
    /// `[output.figure.<kind>]`: each figure kind's own title, labels, ranges and scales.
    pub(super) figure:
        Option<Spanned<std::collections::BTreeMap<String, Spanned<super::figure_keys::RawFigureTable>>>>,
}

/// Checks `[output]` against the objective's dimension `dim` (and whether `[diagnostics]` samples the sharpness).
pub(super) fn build(
    cx: &Ctx,
    raw: &RawOutput,
    dim: usize,
    diagnostics: &Option<RawDiagnostics>,
) -> Result<(Vec<FigureKind>, Vec<ImageFormat>, FigureSettings)> {
    let figures = match &raw.figures {
        None => {
            let mut f = vec![FigureKind::Loss, FigureKind::Distance];
            if dim == 2 {
                f.insert(0, FigureKind::PhasePortrait);
            }
            f
        }
        Some(list) => {
            let mut out = Vec::new();
            for f in list.get_ref() {
                let kind = FigureKind::from_name(f.get_ref()).ok_or_else(|| {
                    cx.err(
                        f.span(),
                        "output.figures",
                        format!(
                            "unknown figure `{}`; allowed: {}",
                            f.get_ref(),
                            FigureKind::NAMES.join(", ")
                        ),
                    )
                })?;
                if kind == FigureKind::ProjectedPortrait && dim < 2 {
                    return Err(cx.err(
                        f.span(),
                        "output.figures",
                        "`projected_portrait` needs a plane; this objective has dimension 1",
                    ));
                }
                if kind == FigureKind::PhasePortrait && dim != 2 {
                    return Err(cx.err(
                        f.span(),
                        "output.figures",
                        format!("`phase_portrait` needs a 2-D objective; this one has dimension {dim}"),
                    ));
                }
                if kind == FigureKind::Sharpness && !super::diagnostics::has_sharpness(diagnostics) {
                    return Err(cx.err(
                        f.span(),
                        "output.figures",
                        "`sharpness` needs a [diagnostics.sharpness] table (its samples are what it draws)",
                    ));
                }
                if !out.contains(&kind) {
                    out.push(kind);
                }
            }
            out
        }
    };
    let formats = match &raw.formats {
        None => vec![ImageFormat::Png],
        Some(list) => {
            let mut out = Vec::new();
            for f in list {
                let fmt = ImageFormat::from_name(f.get_ref()).ok_or_else(|| {
                    cx.err(
                        f.span(),
                        "output.formats",
                        format!(
                            "unknown format `{}`; allowed: {}",
                            f.get_ref(),
                            ImageFormat::NAMES.join(", ")
                        ),
                    )
                })?;
                if !out.contains(&fmt) {
                    out.push(fmt);
                }
            }
            out
        }
    };

    let figure = super::figure_keys::parse(
        cx,
        super::figure_keys::RawFigureKeys {
            width: raw.width.as_ref(),
            height: raw.height.as_ref(),
            dpi: raw.dpi.as_ref(),
            projection: raw.projection.as_ref(),
            style: raw.style.as_ref(),
            title: raw.title.as_ref(),
            legend: raw.legend.as_ref(),
        },
        dim,
    )?;
    let mut figure = figure;
    if let Some(tables) = &raw.figure {
        figure.per_figure = super::figure_keys::per_figure(cx, tables)?;
    }
    Ok((figures, formats, figure))
}
