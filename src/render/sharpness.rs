//! The sharpness figure: λ_1(t) of every method with sharpness samples (discrete methods solid,
//! continuous models dashed), each discrete method's stability threshold (GD: 2/η) as a dashed
//! horizontal line in its colour, and the first crossing marked with a vertical dotted line and a ring.
//! An adaptive method (Adam, RMSProp) is drawn by its preconditioned sharpness λ_1(P⁻¹H) against its
//! preconditioned threshold (Adam: (2 + 2β₁)/((1 − β₁)η)), named so in the legend and on the axis.
//! Under a learning-rate schedule a discrete method's threshold moves with η_k: it is drawn as a
//! dashed per-step curve (GD: 2/η_k at t_k) instead of a line.
//! Drawn from the run's diagnostics, so it is written by [`draw`] rather than [`super::draw`].

use super::curves::{clip, frame, legend_spot, log_scale_fits, YAxis};
use super::legend;
use super::style::{
    ensure_font, fmt_num, fmt_tick, method_label, padded_range, series_color, snap_zero, text, LABEL_SIZE,
    LINE_WIDTH, THICK_WIDTH, TICK_SIZE,
};
use crate::error::{Error, Result};
use crate::experiment::Report;
use crate::outspec::{FigureKind, ImageFormat};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The file stem.
pub const NAME: &str = FigureKind::Sharpness.name();

fn fail<E: std::fmt::Display>(e: E) -> String {
    format!("drawing failed: {e}")
}

/// Draws `dir/sharpness.<ext>` for each format, through the writer every figure shares (atomic, with the
/// scenario's size and dpi, and the font embedded in an SVG).
pub fn draw(
    report: &Report,
    settings: &crate::outspec::FigureSettings,
    dir: &Path,
    formats: &[ImageFormat],
) -> Result<Vec<PathBuf>> {
    ensure_font().map_err(|message| Error::Render {
        figure: NAME.to_string(),
        message,
    })?;
    super::write_files(NAME, &Sharpness(report, settings), dir, formats, settings)
}

/// How the legend names an adaptive method's curve: the top eigenvalue of its preconditioned Hessian.
const PRECONDITIONED: &str = "λ₁(P⁻¹H)";

/// The y axis when an adaptive method is drawn.
const PRECONDITIONED_AXIS: &str = "λ₁ of H, or of P⁻¹H where the legend says so";

/// The sharpness figure of a run.
struct Sharpness<'r>(&'r Report, &'r crate::outspec::FigureSettings);

impl super::Figure for Sharpness<'_> {
    fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        plot(self.0, self.1, root)
    }
}

/// One method's curve and threshold.
struct Curve {
    label: String,
    discrete: bool,
    points: Vec<(f64, f64)>,
    /// `points` as drawn: itself, or the pieces inside a frame the scenario fixed (`x_range`, `y_range`).
    pieces: Vec<Vec<(f64, f64)>>,
    threshold: Option<f64>,
    /// The threshold per step (t_k, threshold at η_k) under a learning-rate schedule, in place of
    /// `threshold`; empty otherwise.
    threshold_curve: Vec<(f64, f64)>,
    /// True once `threshold` (and every y) holds log10 of the value.
    threshold_on_log: bool,
    crossing: Option<(f64, f64)>,
}

fn plot<DB: DrawingBackend>(
    report: &Report,
    settings: &crate::outspec::FigureSettings,
    root: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let area = super::style::titled(root, "sharpness", "sharpness", settings)?;
    let own = settings.overrides("sharpness");
    let eta = report.experiment.grid.step_size;
    let scheduled = |m: &crate::method::MethodConfig| m.grid(&report.experiment.grid).schedule.is_some();
    let time_axis = if report.experiment.methods.iter().any(scheduled) {
        "t = η₀ + η₁ + … + ηₖ₋₁"
    } else {
        "t = k·η"
    };
    let mut curves: Vec<(usize, Curve)> = Vec::new();
    let mut any_preconditioned = false;
    if let Some(diag) = &report.diagnostics {
        for (k, ((m, d), config)) in report
            .methods
            .iter()
            .zip(&diag.methods)
            .zip(&report.experiment.methods)
            .enumerate()
        {
            let Some(s) = &d.sharpness else { continue };
            // An adaptive method is drawn by its preconditioned sharpness, against the threshold on it.
            let (l1, threshold, label) = match &s.preconditioned {
                Some(p) => (
                    p.lambda_1.clone(),
                    Some(p.threshold),
                    format!("{}: {PRECONDITIONED}", method_label(m, settings)),
                ),
                None => (
                    s.lambda_1(),
                    config.kind.stability_threshold(eta),
                    method_label(m, settings),
                ),
            };
            any_preconditioned |= s.preconditioned.is_some();
            let points: Vec<(f64, f64)> = s
                .times
                .iter()
                .zip(&l1)
                .filter(|(t, l)| t.is_finite() && l.is_finite() && own.in_window(**t))
                .map(|(&t, &l)| (t, l))
                .collect();
            // Under a schedule the (unpreconditioned) threshold is a curve over the steps.
            let grid = config.grid(&report.experiment.grid);
            let mut threshold_curve = Vec::new();
            let mut threshold = threshold;
            if let (Some(_), None, Some(_)) = (&grid.schedule, &s.preconditioned, threshold) {
                threshold = None;
                let steps = grid.steps;
                let stride = (steps / 1000).max(1);
                for k in (0..steps).step_by(stride as usize).chain([steps]) {
                    let eta_k = grid.step_size_at(k.min(steps - 1));
                    if let Some(th) = config.kind.stability_threshold(eta_k) {
                        let t = grid.time_of_step(k);
                        if own.in_window(t) {
                            threshold_curve.push((t, th));
                        }
                    }
                }
            }
            let crossing = d.edge_of_stability.as_ref().and_then(|e| {
                let t = e.crossing_time?;
                points.iter().find(|p| p.0 == t).copied()
            });
            curves.push((
                k,
                Curve {
                    label,
                    discrete: m.discrete,
                    points,
                    pieces: Vec::new(),
                    threshold,
                    threshold_curve,
                    threshold_on_log: false,
                    crossing,
                },
            ));
        }
    }
    // λ₁(P⁻¹H) of an adaptive method is orders of magnitude above λ₁(H) of the other methods (Adam's
    // edge 38/η against a flow's few units): with one on the figure the axis is logarithmic, when it can be.
    // A `y_range` reaching zero or below asks for a linear axis, as on the loss figure.
    let log = any_preconditioned
        && own.y_range.is_none_or(|r| r.0 > 0.0)
        && log_scale_fits(
            curves
                .iter()
                .flat_map(|(_, c)| c.points.iter().map(|p| p.1).chain(c.threshold)),
        );
    if log {
        for (_, c) in curves.iter_mut() {
            c.points.retain(|p| p.1 > 0.0);
            for p in c.points.iter_mut() {
                p.1 = p.1.log10();
            }
            c.threshold = c.threshold.map(f64::log10);
            for p in c.threshold_curve.iter_mut() {
                p.1 = p.1.log10();
            }
            c.threshold_on_log = true;
            c.crossing = c.crossing.map(|(t, l)| (t, l.log10()));
        }
    }
    // A threshold curve counts up to a little above the highest sharpness or the curve's own lowest
    // value (a warm-up starts its 2/η_k far above everything else; the axis does not follow it).
    let top = curves
        .iter()
        .flat_map(|(_, c)| c.points.iter().map(|p| p.1))
        .fold(f64::NEG_INFINITY, f64::max);
    let ys = curves.iter().flat_map(|(_, c)| {
        let floor = c
            .threshold_curve
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min);
        let cap = if c.threshold_on_log {
            top.max(floor) + 0.3
        } else {
            1.5 * top.max(floor)
        };
        c.points
            .iter()
            .map(|p| p.1)
            .chain(c.threshold)
            .chain(c.threshold_curve.iter().map(|p| p.1).filter(move |&y| y <= cap))
    });
    let (mut t0, mut t1) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in curves.iter().flat_map(|(_, c)| &c.points) {
        t0 = t0.min(p.0);
        t1 = t1.max(p.0);
    }
    let (t0, t1) = if t0 < t1 {
        (t0, t1 + 0.02 * (t1 - t0))
    } else {
        (0.0, 1.0)
    };
    // The scenario's `x_range`, `y_range` fix the frame; what lies outside it is clipped or not drawn.
    let (t0, t1) = own.x_range.unwrap_or((t0, t1));
    let fixed = own.x_range.is_some() || own.y_range.is_some();
    if log {
        let y = YAxis::chosen(true, own.y_range, ys);
        let (lo, hi) = (y.lo, y.hi);
        fit_to_frame(&mut curves, fixed, (t0, t1), (lo, hi));
        let (labels, symbols, marks) = legend_entries(&curves, (t0, t1), hi);
        let request = legend::Request {
            labels: &labels,
            marks: &marks,
            placement: settings.legend,
            symbols: &symbols,
        };
        let spot = legend_spot(&area, (t0, t1), &y, &request)?;
        let mut chart = frame(
            &area,
            (t0, t1),
            &y.stretched(spot),
            &own.x_label(time_axis),
            &own.y_label(PRECONDITIONED_AXIS),
        )?;
        draw_curves(&mut chart, &curves, (t0, t1), (lo, hi))?;
        finish(&mut chart, &curves, (t0, t1), (lo, hi))?;
        legend::draw(&mut chart, spot, &request)
    } else {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for y in ys.filter(|y| y.is_finite()) {
            lo = lo.min(y);
            hi = hi.max(y);
        }
        let (lo, hi) = if let Some(r) = own.y_range {
            r
        } else if lo <= hi {
            padded_range(lo.min(0.0), hi, 0.06, 1.0)
        } else {
            (0.0, 1.0)
        };
        fit_to_frame(&mut curves, fixed, (t0, t1), (lo, hi));
        let (labels, symbols, marks) = legend_entries(&curves, (t0, t1), hi);
        let request = legend::Request {
            labels: &labels,
            marks: &marks,
            placement: settings.legend,
            symbols: &symbols,
        };
        let spot = {
            let trial = linear_chart(&area, (t0, t1), (lo, hi))?;
            legend::choose(trial.plotting_area(), &request)
        };
        let mut chart = linear_chart(&area, (t0, t1), spot.y_range((lo, hi)))?;
        let (x_desc, y_desc) = (
            own.x_label(time_axis),
            own.y_label(if any_preconditioned {
                PRECONDITIONED_AXIS
            } else {
                "λ₁ (top Hessian eigenvalue)"
            }),
        );
        let desc = super::style::desc_style(&x_desc, &y_desc, chart.plotting_area().dim_in_pixel());
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(8)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(desc)
            .label_style(text(TICK_SIZE))
            .x_label_formatter(&|v| fmt_tick(snap_zero(*v, t1 - t0)))
            .y_label_formatter(&|v| fmt_tick(snap_zero(*v, hi - lo)))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()
            .map_err(fail)?;
        draw_curves(&mut chart, &curves, (t0, t1), (lo, hi))?;
        finish(&mut chart, &curves, (t0, t1), (lo, hi))?;
        legend::draw(&mut chart, spot, &request)
    }
}

/// Sets each curve's drawn pieces: its points, or with a `fixed` frame `x` × `y` the parts inside it, the
/// threshold only where its level lies inside, the threshold curve's points inside, and the crossing only
/// when inside.
fn fit_to_frame(curves: &mut [(usize, Curve)], fixed: bool, x: (f64, f64), y: (f64, f64)) {
    let inside = |p: &(f64, f64)| p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.0 && p.1 <= y.1;
    for (_, c) in curves.iter_mut() {
        if !fixed {
            c.pieces = vec![c.points.clone()];
            continue;
        }
        c.pieces = clip(&c.points, x, y);
        c.threshold = c.threshold.filter(|th| (y.0..=y.1).contains(th));
        c.threshold_curve.retain(inside);
        c.crossing = c.crossing.filter(inside);
    }
}

/// The linear-axis chart on `area` (nothing drawn yet).
fn linear_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    (t0, t1): (f64, f64),
    (lo, hi): (f64, f64),
) -> std::result::Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    super::style::plot_frame(area)
        .build_cartesian_2d(t0..t1, lo..hi)
        .map_err(fail)
}

/// A legend's labels, the symbols they are drawn with and the drawn data it must not cover.
type LegendEntries = (Vec<String>, Vec<legend::Symbol>, Vec<Vec<(f64, f64)>>);

/// The legend's labels in the order [`draw_curves`] draws them, and what the legend must not cover: the
/// curves, the threshold lines and curves (as drawn, up to `hi`) and the crossing rings.
fn legend_entries(curves: &[(usize, Curve)], (t0, t1): (f64, f64), hi: f64) -> LegendEntries {
    let mut labels = Vec::new();
    let mut symbols = Vec::new();
    let mut marks = Vec::new();
    for (k, c) in curves {
        // The styles `draw_curves` draws each entry with, so the legend can set entries side by side.
        let colour = series_color(*k);
        let threshold = legend::Symbol::Pattern(colour.mix(0.8).stroke_width(LINE_WIDTH), 6, 6);
        labels.push(c.label.clone());
        symbols.push(match c.discrete {
            true => legend::Symbol::Line(colour.stroke_width(LINE_WIDTH)),
            false => legend::Symbol::Pattern(colour.stroke_width(THICK_WIDTH), 12, 7),
        });
        marks.extend(c.pieces.iter().cloned());
        if let Some(th) = c.threshold {
            let shown = if c.threshold_on_log { 10f64.powf(th) } else { th };
            labels.push(format!("{} threshold {}", c.label, fmt_num(shown)));
            symbols.push(threshold);
            marks.push(vec![(t0, th), (t1, th)]);
        }
        if !c.threshold_curve.is_empty() {
            labels.push(format!("{} threshold at ηₖ", c.label));
            symbols.push(threshold);
            marks.push(c.threshold_curve.iter().copied().filter(|p| p.1 <= hi).collect());
        }
        marks.extend(c.crossing.map(|p| vec![p]));
    }
    (labels, symbols, marks)
}

/// Draws each curve, its threshold and its crossing on `chart` (y values already mapped to the axis).
fn draw_curves<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    curves: &[(usize, Curve)],
    (t0, t1): (f64, f64),
    (lo, hi): (f64, f64),
) -> std::result::Result<(), String> {
    for (k, c) in curves {
        let colour = series_color(*k);
        // The first piece carries the legend entry (an empty one when the frame holds none of the curve).
        let (first, rest) = match c.pieces.split_first() {
            Some((first, rest)) => (first.clone(), rest),
            None => (Vec::new(), &[][..]),
        };
        if c.discrete {
            let style = colour.stroke_width(LINE_WIDTH);
            chart
                .draw_series(LineSeries::new(first, style))
                .map_err(fail)?
                .label(c.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 34, y)], style));
            for piece in rest {
                chart
                    .draw_series(LineSeries::new(piece.iter().copied(), style))
                    .map_err(fail)?;
            }
        } else {
            let style = colour.stroke_width(THICK_WIDTH);
            chart
                .draw_series(DashedLineSeries::new(first, 12, 7, style))
                .map_err(fail)?
                .label(c.label.clone())
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 12, 7, style));
            for piece in rest {
                chart
                    .draw_series(DashedLineSeries::new(piece.iter().copied(), 12, 7, style))
                    .map_err(fail)?;
            }
        }
        if let Some(th) = c.threshold {
            let style = colour.mix(0.8).stroke_width(LINE_WIDTH);
            // The label gives the threshold itself, also on a log axis.
            let shown = if c.threshold_on_log { 10f64.powf(th) } else { th };
            chart
                .draw_series(DashedLineSeries::new([(t0, th), (t1, th)], 6, 6, style))
                .map_err(fail)?
                .label(format!("{} threshold {}", c.label, fmt_num(shown)))
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 6, 6, style));
        }
        if !c.threshold_curve.is_empty() {
            let style = colour.mix(0.8).stroke_width(LINE_WIDTH);
            // Points above the axis are left out rather than drawn along its top edge.
            let inside: Vec<(f64, f64)> = c.threshold_curve.iter().copied().filter(|p| p.1 <= hi).collect();
            chart
                .draw_series(DashedLineSeries::new(inside, 6, 6, style))
                .map_err(fail)?
                .label(format!("{} threshold at ηₖ", c.label))
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 6, 6, style));
        }
        if let Some((tc, lc)) = c.crossing {
            chart
                .draw_series(DashedLineSeries::new(
                    [(tc, lo), (tc, hi)],
                    3,
                    5,
                    colour.mix(0.6).stroke_width(1),
                ))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Circle::new((tc, lc), 8, colour.stroke_width(3))))
                .map_err(fail)?;
        }
    }
    Ok(())
}

/// A note when nothing was sampled.
fn finish<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    curves: &[(usize, Curve)],
    (t0, t1): (f64, f64),
    (lo, hi): (f64, f64),
) -> std::result::Result<(), String> {
    if curves.is_empty() {
        chart
            .draw_series(std::iter::once(Text::new(
                "no sharpness samples (add [diagnostics.sharpness])".to_string(),
                (t0 + 0.1 * (t1 - t0), lo + 0.6 * (hi - lo)),
                text(LABEL_SIZE),
            )))
            .map_err(fail)?;
    }
    Ok(())
}
