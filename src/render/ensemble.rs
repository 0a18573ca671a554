//! The `ensemble` figure: every ensemble method's (SGD, SME) mean ± one standard deviation over time, as a
//! line with a translucent band: the loss in the top panel and below it one panel per parameter statistic
//! the ensemble keeps (θ_i for d ≤ 8, ‖θ‖ beyond: see [`crate::stochastic::MAX_PARAM_STATS`]), two to a
//! row. Discrete methods (SGD) are solid lines; continuous models (SME) dashed.

use super::legend;
use super::style::{
    fmt_tick, method_label, series_color, text, LABEL_SIZE, LINE_WIDTH, TICK_SIZE, TITLE_SIZE,
};
use super::FigureInput;
use crate::method::MethodRun;
use crate::outspec::{FigureOverrides, FigureSettings};
use crate::stochastic::EnsembleStats;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// (t, mean, sd) of one quantity: column `c` of the parameter statistics, or the loss when `None`.
fn series(e: &EnsembleStats, c: Option<usize>, window: &FigureOverrides) -> Vec<(f64, f64, f64)> {
    (0..e.len())
        .map(|i| {
            let (m, v) = match c {
                None => (e.loss_mean[i], e.loss_var[i]),
                Some(c) => (e.param_mean[i * e.q() + c], e.param_var[i * e.q() + c]),
            };
            (e.times[i], m, v.max(0.0).sqrt())
        })
        .filter(|(t, m, s)| t.is_finite() && m.is_finite() && s.is_finite() && window.in_window(*t))
        .collect()
}

/// How one panel is laid out within the figure.
#[derive(Clone, Copy)]
struct PanelLayout {
    /// Whether the panel names its x axis ("t"): the bottom row's panels and a panel alone.
    time_label: bool,
    /// A short panel (one of more than two rows): three y ticks instead of six.
    short: bool,
    /// Whether the panel holds the figure's one legend (the loss panel, titled or not).
    legend: bool,
}

impl PanelLayout {
    /// A panel with every label.
    const FULL: PanelLayout = PanelLayout {
        time_label: true,
        short: false,
        legend: true,
    };
}

/// Draws one panel of every ensemble's band and mean.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ensembles: &[(usize, &MethodRun, &EnsembleStats)],
    c: Option<usize>,
    y_desc: &str,
    caption: Option<&str>,
    layout: PanelLayout,
    settings: &FigureSettings,
) -> Result<(), String> {
    let own = settings.overrides("ensemble");
    let data: Vec<_> = ensembles.iter().map(|(_, _, e)| series(e, c, own)).collect();
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
    let y = ((lo - pad), (hi + pad));
    // One legend, in the loss panel: the parameter panels share its styles.
    let labels: Vec<String> = if layout.legend {
        ensembles
            .iter()
            .map(|(_, m, _)| format!("{} (M = {})", method_label(m, settings), ensembles_paths(m)))
            .collect()
    } else {
        Vec::new()
    };
    // What the legend must not cover: each mean line and the edges of its band.
    let marks: Vec<Vec<(f64, f64)>> = data
        .iter()
        .flat_map(|s| {
            [
                s.iter().map(|&(t, m, _)| (t, m)).collect(),
                s.iter().map(|&(t, m, sd)| (t, m + sd)).collect(),
                s.iter().map(|&(t, m, sd)| (t, m - sd)).collect(),
            ]
        })
        .collect();
    // The symbols the mean lines below are drawn with.
    let symbols: Vec<legend::Symbol> = ensembles
        .iter()
        .take(labels.len())
        .map(|(slot, m, _)| {
            let style = series_color(*slot).stroke_width(LINE_WIDTH + 1);
            match m.discrete {
                true => legend::Symbol::Line(style),
                false => legend::Symbol::Pattern(style, 8, 4),
            }
        })
        .collect();
    let request = legend::Request {
        labels: &labels,
        marks: &marks,
        placement: settings.legend,
        symbols: &symbols,
    };
    let spot = {
        let trial = build(area, caption, layout, t1, y)?;
        legend::choose(trial.plotting_area(), &request)
    };
    let mut chart = build(area, caption, layout, t1, spot.y_range(y))?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(if layout.short { 3 } else { 6 })
        .x_desc(if layout.time_label {
            settings.overrides("ensemble").x_label("t")
        } else {
            String::new()
        })
        .y_desc(y_desc)
        .axis_desc_style(text(LABEL_SIZE))
        .label_style(text(TICK_SIZE))
        .x_label_formatter(&|v| fmt_tick(*v))
        .y_label_formatter(&|v| fmt_tick(*v))
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
        let label = format!("{} (M = {})", method_label(m, settings), ensembles_paths(m));
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
    legend::draw(&mut chart, spot, &request)
}

/// The axes of a panel on `area`, nothing drawn yet.
fn build<'c, DB: DrawingBackend>(
    area: &'c DrawingArea<DB, Shift>,
    caption: Option<&str>,
    layout: PanelLayout,
    t1: f64,
    y: (f64, f64),
) -> Result<ChartContext<'c, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(12)
        .margin_left(10)
        .margin_right(30)
        .margin_bottom(10)
        .x_label_area_size(if layout.time_label { 56 } else { 32 })
        .y_label_area_size(100);
    if let Some(title) = caption {
        builder.caption(title, text(TITLE_SIZE));
    }
    builder.build_cartesian_2d(0.0..t1, y.0..y.1).map_err(fail)
}

/// A parameter statistic's name as a reader writes it: `theta_3` → θ₃, `theta_norm` → ‖θ‖.
fn statistic_label(name: &str) -> String {
    const SUBSCRIPTS: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    match name.strip_prefix("theta_") {
        Some("norm") => "‖θ‖".to_string(),
        Some(i) if !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()) => std::iter::once('θ')
            .chain(i.bytes().map(|b| SUBSCRIPTS[(b - b'0') as usize]))
            .collect(),
        _ => name.to_string(),
    }
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
    let title = input.settings.title_of("ensemble", "ensemble mean ± 1 sd");
    if ensembles.is_empty() {
        root.draw(&Text::new(
            "no sgd or sme method in this scenario",
            (40, 60),
            text(LABEL_SIZE),
        ))
        .map_err(fail)?;
        return Ok(());
    }
    // Every ensemble of a run keeps the same statistics (they depend only on d).
    let names = &ensembles[0].2.param_names;
    let (width, height) = root.dim_in_pixel();
    let rows = names.len().div_ceil(2) as u32;
    // The loss keeps half the height above two rows of parameter panels, a third above more.
    let loss_height = if rows <= 2 { height / 2 } else { height / 3 };
    let (top, below) = root.split_vertically(loss_height);
    panel(
        &top,
        &ensembles,
        None,
        "loss L(θ)",
        title.as_deref(),
        PanelLayout::FULL,
        input.settings,
    )?;
    let row_height = (height - loss_height) / rows.max(1);
    let mut rest = below;
    for row in 0..rows as usize {
        let (this_row, next) = if row + 1 < rows as usize {
            rest.split_vertically(row_height)
        } else {
            let empty = rest.split_vertically(rest.dim_in_pixel().1).1;
            (rest, empty)
        };
        let columns: Vec<usize> = (2 * row..(2 * row + 2).min(names.len())).collect();
        let cells = if columns.len() == 2 {
            let (left, right) = this_row.split_horizontally(width / 2);
            vec![left, right]
        } else {
            vec![this_row]
        };
        for (cell, &c) in cells.iter().zip(&columns) {
            let layout = PanelLayout {
                // Only the bottom row names the shared time axis; short rows take fewer y ticks.
                time_label: row + 1 == rows as usize,
                short: rows > 2,
                legend: false,
            };
            panel(
                cell,
                &ensembles,
                Some(c),
                &statistic_label(&names[c]),
                None,
                layout,
                input.settings,
            )?;
        }
        rest = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn statistics_are_labelled_as_a_reader_writes_them() {
        assert_eq!(super::statistic_label("theta_0"), "θ₀");
        assert_eq!(super::statistic_label("theta_12"), "θ₁₂");
        assert_eq!(super::statistic_label("theta_norm"), "‖θ‖");
        assert_eq!(super::statistic_label("theta_"), "theta_");
    }
}
