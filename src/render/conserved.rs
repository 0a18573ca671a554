//! The conserved-quantity figure: for each quantity the objective conserves under gradient flow
//! (Trajectory::conserved_names, e.g. the balancedness of a deep linear net), its drift q(t) − q(0) per
//! method, one panel per quantity. The drift, not q itself, is drawn: q is constant up to the drift, so
//! q's own axis would hide it. When the drifts span more than two decades the panel shows log10 |drift|
//! (zeros, such as t = 0, are left out) and says so on its axis.

use super::curves::{fail, frame, legend_spot, map_value, note, time_label, time_range, YAxis};
use super::legend;
use super::style::{
    decimate, fmt_num, method_label, series_color, split_at_turns, stop_note, text, LABEL_SIZE, LINE_WIDTH,
    THICK_WIDTH,
};
use super::FigureInput;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// The most panels drawn; further quantities are named in a note.
const MAX_PANELS: usize = 6;
/// The most points drawn per curve.
const MAX_LINE_POINTS: usize = 2000;
/// Drifts spanning more than this ratio are drawn on a log axis.
const LOG_SPAN: f64 = 100.0;

/// Every conserved quantity's name over all methods, in first-seen order.
fn quantity_names(input: &FigureInput) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in input.methods {
        for n in &m.trajectory.conserved_names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    names
}

/// The drift q(t) − q(0) of quantity `name` along method `m` (empty when it does not record it), and q(0).
fn drift(m: &crate::method::MethodRun, name: &str) -> (Vec<(f64, f64)>, f64) {
    let t = &m.trajectory;
    let Some(k) = t.conserved_names.iter().position(|n| n == name) else {
        return (Vec::new(), f64::NAN);
    };
    let q = |i: usize| t.conserved_at(i).get(k).copied().unwrap_or(f64::NAN);
    let Some(first) = (0..t.len()).map(q).find(|v| v.is_finite()) else {
        return (Vec::new(), f64::NAN);
    };
    let points = (0..t.len())
        .map(|i| (t.times[i], q(i) - first))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    (points, first)
}

/// Draws the figure.
pub fn plot_conserved<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let area = super::style::titled(root, "conserved", "conserved quantities", input.settings)?;
    let names = quantity_names(input);
    let x_desc = input.settings.overrides("conserved").x_label(&time_label(input));
    if names.is_empty() {
        let y = YAxis::covering(false, std::iter::empty());
        let x = time_range(
            input
                .methods
                .iter()
                .flat_map(|m| m.trajectory.times.iter().copied()),
        );
        let mut chart = frame(&area, x, &y, &x_desc, "q − q(0)")?;
        return note(&mut chart, x, &y, "this objective conserves no quantity");
    }
    let shown = names.len().min(MAX_PANELS);
    let cols = if shown > 2 { 2 } else { 1 };
    let rows = shown.div_ceil(cols);
    let panels = area.split_evenly((rows, cols));
    for (p, name) in names.iter().take(shown).enumerate() {
        let own = input.settings.overrides("conserved");
        // q(0) is the start's, whatever the window; the drift is drawn up to `t_max`.
        let drifts: Vec<(Vec<(f64, f64)>, f64)> = input
            .methods
            .iter()
            .map(|m| {
                let (mut points, q0) = drift(m, name);
                points.retain(|p| own.in_window(p.0));
                (points, q0)
            })
            .collect();
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for &(_, d) in drifts.iter().flat_map(|(c, _)| c) {
            if d != 0.0 {
                lo = lo.min(d.abs());
                hi = hi.max(d.abs());
            }
        }
        let log = hi > 0.0 && hi / lo > LOG_SPAN;
        let raw: Vec<Vec<(f64, f64)>> = drifts
            .iter()
            .map(|(c, _)| {
                c.iter()
                    .filter_map(|&(t, d)| Some((t, map_value(log, if log { d.abs() } else { d })?)))
                    .collect()
            })
            .collect();
        let y = YAxis::covering(log, raw.iter().flatten().map(|p| p.1));
        let x = time_range(raw.iter().flatten().map(|p| p.0));
        let scale = (1.0 / (x.1 - x.0), 1.0 / (y.hi - y.lo));
        let curves: Vec<Vec<(f64, f64)>> = raw
            .into_iter()
            .map(|c| decimate(c.into_iter(), scale, 5e-4, MAX_LINE_POINTS))
            .collect();
        let q0 = drifts.iter().map(|d| d.1).find(|v| v.is_finite());
        let heading = match q0 {
            Some(v) => format!("{name}   (q(0) = {})", fmt_num(v)),
            None => name.clone(),
        };
        let panel = panels[p].titled(&heading, text(LABEL_SIZE)).map_err(fail)?;
        let y_desc = if log {
            "|q − q(0)|, log scale"
        } else {
            "q − q(0)"
        };
        // One legend, in the first panel: the others share its styles.
        let labels: Vec<String> = if p == 0 {
            (input.methods.iter().zip(&curves))
                .filter(|(_, c)| !c.is_empty())
                .map(|(m, _)| match stop_note(&m.trajectory.termination, true) {
                    Some(n) => format!("{} ({n})", method_label(m, input.settings)),
                    None => method_label(m, input.settings),
                })
                .collect()
        } else {
            Vec::new()
        };
        let request = legend::Request {
            labels: &labels,
            marks: &curves,
            placement: input.settings.legend,
        };
        let spot = legend_spot(&panel, x, &y, &request)?;
        let mut chart = frame(&panel, x, &y.stretched(spot), &x_desc, y_desc)?;
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        let pixels = (pw as f64 / (x.1 - x.0), ph as f64 / (y.hi - y.lo));
        for (k, m) in input.methods.iter().enumerate() {
            let curve = &curves[k];
            if curve.is_empty() {
                continue;
            }
            let colour = series_color(k);
            let label = match stop_note(&m.trajectory.termination, true) {
                Some(n) => format!("{} ({n})", method_label(m, input.settings)),
                None => method_label(m, input.settings),
            };
            let pieces = split_at_turns(curve, pixels);
            if m.discrete {
                let style = colour.stroke_width(LINE_WIDTH);
                chart
                    .draw_series(pieces.iter().map(|c| PathElement::new(c.clone(), style)))
                    .map_err(fail)?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 34, y)], style));
            } else {
                let style = colour.stroke_width(THICK_WIDTH);
                let mut anno = None;
                for c in &pieces {
                    anno = Some(
                        chart
                            .draw_series(DashedLineSeries::new(c.iter().copied(), 12, 7, style))
                            .map_err(fail)?,
                    );
                }
                if let Some(anno) = anno {
                    anno.label(label).legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 34, y)], 12, 7, style)
                    });
                }
            }
            if curve.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(curve[0], 5, colour.filled())))
                    .map_err(fail)?;
            }
        }
        if curves.iter().all(|c| c.is_empty()) {
            let message = if hi == 0.0 && drifts.iter().any(|d| !d.0.is_empty()) {
                "no drift: q(t) = q(0) exactly"
            } else {
                "no finite values"
            };
            note(&mut chart, x, &y, message)?;
        }
        legend::draw(&mut chart, spot, &request)?;
    }
    if names.len() > shown {
        let rest = names[shown..].join(", ");
        root.draw(&Text::new(
            format!("not shown: {rest}"),
            (10, root.dim_in_pixel().1 as i32 - 24),
            text(LABEL_SIZE * 0.7),
        ))
        .map_err(fail)?;
    }
    Ok(())
}
