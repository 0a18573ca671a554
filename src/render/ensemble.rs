//! The `ensemble` figure: every ensemble method's (SGD, SME) mean ± one standard deviation over time, as a
//! line with a translucent band: the loss in the top panel and, when d ≤ 2, the first parameter θ₀ below.
//! Discrete methods (SGD) are solid lines; continuous models (SME) dashed.

use super::style::{
    fmt_num, method_label, series_color, text, LABEL_SIZE, LEGEND_SIZE, LINE_WIDTH, TICK_SIZE, TITLE_SIZE,
};
use super::FigureInput;
use crate::method::MethodRun;
use crate::stochastic::EnsembleStats;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// (t, mean, sd) of one quantity: column `c` of the parameter statistics, or the loss when `None`.
fn series(e: &EnsembleStats, c: Option<usize>) -> Vec<(f64, f64, f64)> {
    (0..e.len())
        .map(|i| {
            let (m, v) = match c {
                None => (e.loss_mean[i], e.loss_var[i]),
                Some(c) => (e.param_mean[i * e.q() + c], e.param_var[i * e.q() + c]),
            };
            (e.times[i], m, v.max(0.0).sqrt())
        })
        .filter(|(t, m, s)| t.is_finite() && m.is_finite() && s.is_finite())
        .collect()
}

/// Draws one panel of every ensemble's band and mean.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ensembles: &[(usize, &MethodRun, &EnsembleStats)],
    c: Option<usize>,
    y_desc: &str,
    caption: Option<&str>,
) -> Result<(), String> {
    let data: Vec<_> = ensembles.iter().map(|(_, _, e)| series(e, c)).collect();
    let (mut t1, mut lo, mut hi) = (0.0f64, f64::INFINITY, f64::NEG_INFINITY);
    for s in &data {
        for &(t, m, sd) in s {
            t1 = t1.max(t);
            lo = lo.min(m - sd);
            hi = hi.max(m + sd);
        }
    }
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        (lo, hi) = if lo.is_finite() {
            (lo - 1.0, lo + 1.0)
        } else {
            (0.0, 1.0)
        };
    }
    let pad = 0.05 * (hi - lo);
    let t1 = if t1 > 0.0 { t1 } else { 1.0 };
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(12)
        .margin_left(10)
        .margin_right(30)
        .margin_bottom(10)
        .x_label_area_size(56)
        .y_label_area_size(100);
    if let Some(title) = caption {
        builder.caption(title, text(TITLE_SIZE));
    }
    let mut chart = builder
        .build_cartesian_2d(0.0..t1, (lo - pad)..(hi + pad))
        .map_err(fail)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(6)
        .x_desc("t")
        .y_desc(y_desc)
        .axis_desc_style(text(LABEL_SIZE))
        .label_style(text(TICK_SIZE))
        .x_label_formatter(&|v| fmt_num(*v))
        .y_label_formatter(&|v| fmt_num(*v))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()
        .map_err(fail)?;
    for ((slot, m, _), s) in ensembles.iter().zip(&data) {
        let color = series_color(*slot);
        let band: Vec<(f64, f64)> = s
            .iter()
            .map(|&(t, m, sd)| (t, m + sd))
            .chain(s.iter().rev().map(|&(t, m, sd)| (t, m - sd)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, color.mix(0.15).filled())))
            .map_err(fail)?;
        let line: Vec<(f64, f64)> = s.iter().map(|&(t, m, _)| (t, m)).collect();
        let style = color.stroke_width(LINE_WIDTH + 1);
        let label = format!("{} (M = {})", method_label(m), ensembles_paths(m));
        if m.discrete {
            chart
                .draw_series(std::iter::once(PathElement::new(line, style)))
                .map_err(fail)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], style));
        } else {
            chart
                .draw_series(std::iter::once(DashedPathElement::new(line, 10, 6, style)))
                .map_err(fail)?
                .label(label)
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 30, y)], 8, 4, style));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(text(LEGEND_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(fail)?;
    Ok(())
}

fn ensembles_paths(m: &MethodRun) -> usize {
    m.ensemble.as_ref().map_or(0, |e| e.paths)
}

/// Draws the figure onto `root`.
pub fn plot<DB: DrawingBackend>(input: &FigureInput, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let ensembles: Vec<_> = input
        .methods
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.ensemble.as_ref().map(|e| (i, m, e)))
        .collect();
    let title = format!("{}: ensemble mean ± 1 sd", input.title);
    if ensembles.is_empty() {
        root.draw(&Text::new(
            "no sgd or sme method in this scenario",
            (40, 60),
            text(LABEL_SIZE),
        ))
        .map_err(fail)?;
        return Ok(());
    }
    let dim = input.objective.dim();
    if dim <= 2 {
        let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 / 2 + 20);
        panel(&top, &ensembles, None, "loss L(θ)", Some(&title))?;
        panel(&bottom, &ensembles, Some(0), "θ₀", None)?;
    } else {
        panel(root, &ensembles, None, "loss L(θ)", Some(&title))?;
    }
    Ok(())
}
