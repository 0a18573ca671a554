//! The conserved-quantity figure: for each quantity the objective conserves under gradient flow
//! (Trajectory::conserved_names, e.g. the balancedness of a deep linear net), its drift q(t) − q(0) per
//! method, one panel per quantity. The drift, not q itself, is drawn: q is constant up to the drift, so
//! q's own axis would hide it. When the drifts span more than two decades the panel shows log10 |drift|
//! (zeros, such as t = 0, are left out) and says so on its axis.

use super::curves::{fail, frame, legend_spot, map_value, note, time_label, time_range, YAxis};
use super::legend;
use super::style::{
    decimate, fmt_num, method_label, series_color, split_at_turns, stop_note, text, LABEL_SIZE, LINE_WIDTH,
    MIN_LABEL_SIZE, THICK_WIDTH,
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

/// `n` in Unicode subscript digits (`12` → `₁₂`).
fn subscript(n: usize) -> String {
    const DIGITS: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    n.to_string()
        .chars()
        .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize])
        .collect()
}

/// What a conserved quantity is, in notation, for its panel's caption: the objectives name them
/// `balance_<l>_<what>` (src/objective/product.rs: `fro` and `trace` of W_{l+1}ᵀW_{l+1} − W_l W_lᵀ;
/// src/objective/mlp.rs: `trace`, the unit balances c_j = ‖out-weights of j‖² − ‖in-weights of j‖²
/// summed, and `nodes`, their norm ‖c‖). `mlp` says which family the names come from (only an MLP's
/// have `nodes`). A name not of this form is shown as it is.
pub fn quantity_caption(name: &str, mlp: bool) -> String {
    let parsed = name
        .strip_prefix("balance_")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(l, what)| Some((l.parse::<usize>().ok()?, what)));
    let Some((l, what)) = parsed else {
        return name.to_string();
    };
    let (a, b) = (subscript(l), subscript(l + 1));
    let layers = format!("layers {l}–{}", l + 1);
    match (what, mlp) {
        ("fro", false) => format!("‖W{b}ᵀW{b} − W{a}W{a}ᵀ‖_F, {layers}"),
        ("trace", false) => format!("tr(W{b}ᵀW{b} − W{a}W{a}ᵀ), {layers}"),
        ("trace", true) => format!("Σⱼ cⱼ, unit balance summed, {layers}"),
        ("nodes", true) => format!("‖c‖, unit balances, {layers}"),
        _ => name.to_string(),
    }
}

/// The largest text size, from `size` down to [`MIN_LABEL_SIZE`], at which `caption` fits `room` canvas
/// units, or `None` when it does not fit even at the smallest.
fn fitting_size(caption: &str, size: f64, room: f64) -> Option<f64> {
    let width = match text(size).font.box_size(caption) {
        Ok((w, _)) => w as f64,
        Err(_) => caption.chars().count() as f64 * 0.62 * size,
    };
    let fitted = if width <= room { size } else { size * room / width };
    (fitted >= MIN_LABEL_SIZE).then_some(fitted)
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
    let mlp = names.iter().any(|n| n.ends_with("_nodes"));
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
        let caption = quantity_caption(name, mlp);
        // The caption with q(0) when it fits the panel's width, else without, shrunk if need be.
        let room = 0.96 * panels[p].dim_in_pixel().0 as f64;
        let with_q0 = q0.map(|v| format!("{caption}   (q(0) = {})", fmt_num(v)));
        let (heading, size) = with_q0
            .and_then(|h| Some((h.clone(), fitting_size(&h, LABEL_SIZE, room)?)))
            .unwrap_or_else(|| {
                let size = fitting_size(&caption, LABEL_SIZE, room).unwrap_or(MIN_LABEL_SIZE);
                (caption.clone(), size)
            });
        let panel = panels[p].titled(&heading, text(size)).map_err(fail)?;
        let y_desc = if log {
            "|q − q(0)|, log scale"
        } else {
            "q − q(0)"
        };
        // One legend, in the first panel: the others share its styles.
        let (labels, symbols): (Vec<String>, Vec<legend::Symbol>) = if p == 0 {
            (input.methods.iter().zip(&curves).enumerate())
                .filter(|(_, (_, c))| !c.is_empty())
                .map(|(k, (m, _))| {
                    let label = match stop_note(&m.trajectory.termination, true) {
                        Some(n) => format!("{} ({n})", method_label(m, input.settings)),
                        None => method_label(m, input.settings),
                    };
                    // The symbols the curves below are drawn with.
                    let symbol = if m.discrete {
                        legend::Symbol::Line(series_color(k).stroke_width(LINE_WIDTH))
                    } else {
                        legend::Symbol::Pattern(series_color(k).stroke_width(THICK_WIDTH), 12, 7)
                    };
                    (label, symbol)
                })
                .unzip()
        } else {
            (Vec::new(), Vec::new())
        };
        let request = legend::Request {
            labels: &labels,
            marks: &curves,
            placement: input.settings.legend,
            symbols: &symbols,
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

#[cfg(test)]
mod tests {
    use super::quantity_caption;

    #[test]
    fn captions_name_the_quantities_in_notation() {
        assert_eq!(
            quantity_caption("balance_1_fro", false),
            "‖W₂ᵀW₂ − W₁W₁ᵀ‖_F, layers 1–2"
        );
        assert_eq!(
            quantity_caption("balance_9_trace", false),
            "tr(W₁₀ᵀW₁₀ − W₉W₉ᵀ), layers 9–10"
        );
        assert_eq!(
            quantity_caption("balance_2_nodes", true),
            "‖c‖, unit balances, layers 2–3"
        );
        assert!(quantity_caption("balance_1_trace", true).starts_with("Σⱼ cⱼ"));
        // Names of another form are shown as they are.
        assert_eq!(quantity_caption("energy", false), "energy");
        assert_eq!(quantity_caption("balance_x_fro", false), "balance_x_fro");
    }
}
