//! Curves against time: the loss of every method, and the distance between the methods of every
//! comparison. Both use a log10 y axis drawn as a linear axis of log10 values with hand-made ticks, so
//! spans of any width (a fraction of a decade to hundreds) get sensible labels.

use super::legend;
use super::style;
use super::style::TickedAxis;
use super::style::{
    decimate, ensure_ticks, fmt_num, linear_ticks, log_tick_labeller, log_ticks, method_label, padded_range,
    series_color, snap_zero, stop_note, text, GREY, LABEL_SIZE, LINE_WIDTH, THICK_WIDTH, TICK_SIZE,
};
use super::FigureInput;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

/// The most points drawn per curve.
const MAX_LINE_POINTS: usize = 2000;
/// Discrete methods with fewer points than this get a dot at every point.
const DOTS_BELOW: usize = 60;

/// A y axis: values are drawn as log10(v) when `log`, else as they are.
pub(super) struct YAxis {
    pub(super) log: bool,
    pub(super) lo: f64,
    pub(super) hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl YAxis {
    /// An axis covering the drawn (already mapped) values `ys`, padded by 5%.
    pub(super) fn covering(log: bool, ys: impl Iterator<Item = f64>) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for y in ys.filter(|y| y.is_finite()) {
            lo = lo.min(y);
            hi = hi.max(y);
        }
        let (lo, hi) = if lo <= hi {
            let centre = 0.5 * (lo + hi);
            let min_span = if log {
                0.5
            } else if centre != 0.0 {
                0.2 * centre.abs()
            } else {
                1.0
            };
            padded_range(lo, hi, 0.05, min_span)
        } else if log {
            (-3.0, 0.0)
        } else {
            (0.0, 1.0)
        };
        Self::ticked(log, lo, hi)
    }
}

impl YAxis {
    /// The axis over `lo..hi` (log10 units when `log`) with its major and minor ticks.
    fn ticked(log: bool, lo: f64, hi: f64) -> Self {
        let (major, minor) = if log {
            log_ticks(lo, hi)
        } else {
            (linear_ticks(lo, hi, 8), Vec::new())
        };
        YAxis {
            log,
            lo,
            hi,
            major: ensure_ticks(major, lo, hi),
            minor,
        }
    }

    /// An axis over exactly `lo..hi` in data units (a figure's own `y_range`; drawn as log10 of them when
    /// `log`, where both are positive by the scenario check), ticked as [`YAxis::covering`] ticks.
    pub(super) fn fixed(log: bool, (lo, hi): (f64, f64)) -> Self {
        let (lo, hi) = if log { (lo.log10(), hi.log10()) } else { (lo, hi) };
        Self::ticked(log, lo, hi)
    }

    /// The axis a figure draws: over its own `range` when the scenario sets one, else covering `ys`.
    pub(super) fn chosen(log: bool, range: Option<(f64, f64)>, ys: impl Iterator<Item = f64>) -> Self {
        match range {
            Some(r) => YAxis::fixed(log, r),
            None => YAxis::covering(log, ys),
        }
    }

    /// The axis with no two labelled ticks closer than `gap` canvas units on a plot area `height` units
    /// high: every k-th tick is kept (on a log axis, the decades divisible by k), the rest become light
    /// grid lines. A small panel or a legend band squeezes a many-decade axis (a conserved quantity's
    /// drift from 10⁻¹⁶ to 10⁻⁶) until its labels overprint one another.
    pub(super) fn thinned(&self, height: u32, gap: f64) -> YAxis {
        let per_unit = height as f64 / (self.hi - self.lo).max(f64::MIN_POSITIVE);
        let spacing = self
            .major
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(f64::INFINITY, f64::min);
        let mut axis = YAxis {
            log: self.log,
            lo: self.lo,
            hi: self.hi,
            major: self.major.clone(),
            minor: self.minor.clone(),
        };
        if !(spacing.is_finite() && spacing * per_unit < gap) {
            return axis;
        }
        let k = (gap / (spacing * per_unit)).ceil().max(2.0) as i64;
        let decades = self.log && self.major.iter().all(|v| (v - v.round()).abs() < 1e-9);
        let step = if decades { spacing.round() as i64 } else { 1 };
        let keep = |i: usize, v: f64| {
            if decades {
                (v.round() as i64).rem_euclid(k * step.max(1)) == 0
            } else {
                i as i64 % k == 0
            }
        };
        let kept: Vec<f64> = (self.major.iter().enumerate())
            .filter(|&(i, &v)| keep(i, v))
            .map(|(_, &v)| v)
            .collect();
        // Fewer than two labels leave a reader no scale: then the two ends, if they are a gap apart.
        let kept = match (kept.len(), self.major.first(), self.major.last()) {
            (n, _, _) if n >= 2 => kept,
            (_, Some(&a), Some(&b)) if (b - a).abs() * per_unit >= gap => vec![a, b],
            _ => return axis,
        };
        let dropped = self.major.iter().filter(|v| !kept.contains(v));
        axis.minor.extend(dropped.copied());
        axis.major = kept;
        axis
    }

    /// The axis with its top raised as `spot` needs (a band above the data for the legend); the ticks
    /// stay where the data is.
    pub(super) fn stretched(&self, spot: legend::Spot) -> YAxis {
        let (lo, hi) = spot.y_range((self.lo, self.hi));
        YAxis {
            log: self.log,
            lo,
            hi,
            major: self.major.clone(),
            minor: self.minor.clone(),
        }
    }
}

/// log10(v) (for positive finite v) or v (finite) depending on `log`.
pub(super) fn map_value(log: bool, v: f64) -> Option<f64> {
    if !v.is_finite() {
        None
    } else if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

/// Each curve as the pieces inside the frame `x` × `y` when the figure's range is fixed (`clip`), else
/// as one piece, itself.
fn frame_pieces(
    curves: &[Vec<(f64, f64)>],
    fixed: bool,
    x: (f64, f64),
    y: &YAxis,
) -> Vec<Vec<Vec<(f64, f64)>>> {
    curves
        .iter()
        .map(|c| {
            if fixed {
                clip(c, x, (y.lo, y.hi))
            } else {
                vec![c.clone()]
            }
        })
        .collect()
}

/// The parts of polyline `path` inside the box `x` × `y` (each segment cut where it crosses an edge,
/// Liang–Barsky): plotters does not clip series to the plot area, so a figure with a fixed range clips
/// what it draws. A path wholly inside comes back as one piece, unchanged.
pub(super) fn clip(path: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: (f64, f64)| p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.0 && p.1 <= y.1;
    if path.iter().all(|&p| inside(p)) {
        return vec![path.to_vec()];
    }
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    if path.len() == 1 && inside(path[0]) {
        return vec![path.to_vec()];
    }
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut keep = true;
        for (p, q) in [
            (-dx, a.0 - x.0),
            (dx, x.1 - a.0),
            (-dy, a.1 - y.0),
            (dy, y.1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    keep = false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !keep || t0 > t1 {
            if !current.is_empty() {
                pieces.push(std::mem::take(&mut current));
            }
            continue;
        }
        let start = (a.0 + t0 * dx, a.1 + t0 * dy);
        let end = (a.0 + t1 * dx, a.1 + t1 * dy);
        if current.last() != Some(&start) {
            if !current.is_empty() {
                pieces.push(std::mem::take(&mut current));
            }
            current.push(start);
        }
        current.push(end);
        if t1 < 1.0 {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// The chart type both figures draw on.
pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, TickedAxis>>;

/// Builds the axes on `area` (nothing is drawn yet).
fn build<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: (f64, f64),
    y: &YAxis,
) -> Result<Chart<'a, DB>, String> {
    super::style::plot_frame(area)
        .build_cartesian_2d(
            x.0..x.1,
            TickedAxis::new(y.lo, y.hi, y.major.clone(), y.minor.clone()),
        )
        .map_err(fail)
}

/// Where the legend of `request` goes on a chart of these axes built on `area` (see [`legend::choose`]);
/// the chart is then built with [`YAxis::stretched`].
pub(super) fn legend_spot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: (f64, f64),
    y: &YAxis,
    request: &legend::Request,
) -> Result<legend::Spot, String> {
    let trial = build(area, x, y)?;
    Ok(legend::choose(trial.plotting_area(), request))
}

/// Builds the axes with labels and a light grid.
pub(super) fn frame<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: (f64, f64),
    y: &YAxis,
    x_desc: &str,
    y_desc: &str,
) -> Result<Chart<'a, DB>, String> {
    let trial = build(area, x, y)?;
    // Labels at least 1.4 label heights apart.
    let y = &y.thinned(trial.plotting_area().dim_in_pixel().1, 1.4 * TICK_SIZE);
    drop(trial);
    let mut chart = build(area, x, y)?;
    let desc = style::desc_style(x_desc, y_desc, chart.plotting_area().dim_in_pixel());
    let y_label: Box<dyn Fn(&f64) -> String> = if y.log {
        // Judged on the ticks, not the axis: a legend band stretches the axis past a decade while the
        // ticks (2, 3, 5 × 10⁻¹) still read best as plain numbers.
        let (a, b) = match (y.major.first(), y.major.last()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => (y.lo, y.hi),
        };
        Box::new(log_tick_labeller(a, b))
    } else {
        Box::new(move |v: &f64| fmt_num(snap_zero(*v, y.hi - y.lo)))
    };
    chart
        .configure_mesh()
        .x_labels(8)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(desc)
        .label_style(text(TICK_SIZE))
        .x_label_formatter(&|v| fmt_num(snap_zero(*v, x.1 - x.0)))
        .y_label_formatter(&y_label)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .x_max_light_lines(4)
        .set_all_tick_mark_size(6)
        .draw()
        .map_err(fail)?;
    Ok(chart)
}

/// The time axis `lo..hi` of the given times, with a little room on the right for end markers.
pub(super) fn time_range(times: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for t in times.filter(|t| t.is_finite()) {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !lo.is_finite() || lo > hi {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span > 0.0 && span.is_finite() {
        (lo, hi + 0.02 * span)
    } else {
        // One time only: a unit-scale window around it, not reaching below zero if it is not negative.
        let s = 0.5 * lo.abs().max(1.0);
        let start = if lo >= 0.0 { (lo - s).max(0.0) } else { lo - s };
        (start, hi + s)
    }
}

/// Writes `message` in the plot area, a little above the middle (reference lines often sit mid-height).
pub(super) fn note<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    x: (f64, f64),
    y: &YAxis,
    message: &str,
) -> Result<(), String> {
    let centre = Pos::new(HPos::Center, VPos::Center);
    chart
        .draw_series(std::iter::once(Text::new(
            message.to_string(),
            (0.5 * (x.0 + x.1), y.lo + 0.7 * (y.hi - y.lo)),
            text(LABEL_SIZE).pos(centre).color(&GREY),
        )))
        .map_err(fail)?;
    Ok(())
}

/// True when `values` suit a log axis: no finite value is negative and one is positive. A value of exactly
/// 0 (an exact fit) has no place on a log axis and is left out, rather than forcing the figure linear.
pub(super) fn log_scale_fits(values: impl Iterator<Item = f64>) -> bool {
    let (mut any_positive, mut any_negative) = (false, false);
    for v in values.filter(|v| v.is_finite()) {
        any_positive |= v > 0.0;
        any_negative |= v < 0.0;
    }
    any_positive && !any_negative
}

/// Losses below this fraction of the largest initial loss are round-off on the loss figure's log axis: an
/// exact minimum of 0 is computed as the cancellation of terms of size about L(θ₀), whose last bits are
/// noise near 1e-16·L(θ₀) (an ODE solver's path ends there, GD's may fall further by luck).
const ROUNDOFF: f64 = 1e-12;

/// The loss below which the loss figure draws a round-off band ([`ROUNDOFF`]·max L(θ₀)), when some
/// positive finite loss falls below it; `None` otherwise.
fn roundoff_floor<'a>(losses: impl Iterator<Item = &'a [f64]> + Clone) -> Option<f64> {
    let start = losses
        .clone()
        .filter_map(|l| l.first().copied())
        .filter(|l| l.is_finite() && *l > 0.0)
        .fold(0.0f64, f64::max);
    let floor = ROUNDOFF * start;
    let below = losses.flatten().any(|&l| l.is_finite() && l > 0.0 && l < floor);
    (floor > 0.0 && below).then_some(floor)
}

/// The loss figure: L(θ(t)) for every method, on a log axis when [`log_scale_fits`], with losses below
/// [`roundoff_floor`] drawn on it inside a grey band.
pub fn plot_loss<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let area = style::titled(root, "loss", "loss", input.settings)?;
    let own = input.settings.overrides("loss");
    // The scenario's `y_log` decides; a `y_range` reaching zero or below asks for a linear axis.
    let log = own.y_log.unwrap_or_else(|| {
        own.y_range.is_none_or(|r| r.0 > 0.0)
            && log_scale_fits(
                input
                    .methods
                    .iter()
                    .flat_map(|m| m.trajectory.losses.iter().copied()),
            )
    });
    let floor = if log {
        roundoff_floor(input.methods.iter().map(|m| m.trajectory.losses.as_slice()))
    } else {
        None
    };
    let raw: Vec<Vec<(f64, f64)>> = input
        .methods
        .iter()
        .map(|m| {
            let t = &m.trajectory;
            t.times
                .iter()
                .zip(&t.losses)
                .filter_map(|(&t, &l)| Some((t, map_value(log, l)?)))
                .filter(|p| p.0.is_finite() && own.in_window(p.0))
                // Below the floor a loss is drawn on it: the band says what lies there.
                .map(|(t, v)| (t, floor.map_or(v, |f| v.max(f.log10()))))
                .collect()
        })
        .collect();
    let y = YAxis::chosen(log, own.y_range, raw.iter().flatten().map(|p| p.1));
    let x = own
        .x_range
        .unwrap_or_else(|| time_range(raw.iter().flatten().map(|p| p.0)));
    let scale = (1.0 / (x.1 - x.0), 1.0 / (y.hi - y.lo));
    let curves: Vec<Vec<(f64, f64)>> = raw
        .into_iter()
        .map(|c| decimate(c.into_iter(), scale, 5e-4, MAX_LINE_POINTS))
        .collect();
    // Each curve as the pieces inside a fixed frame (one piece, itself, when the frame is the data's).
    let fixed = own.x_range.is_some() || own.y_range.is_some();
    let pieces = frame_pieces(&curves, fixed, x, &y);
    let in_frame = |p: &(f64, f64)| !fixed || (p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.lo && p.1 <= y.hi);
    let x_desc = own.x_label(&time_label(input));
    let order: Vec<usize> = (input.methods.iter().enumerate())
        .filter(|(_, m)| m.discrete)
        .chain(input.methods.iter().enumerate().filter(|(_, m)| !m.discrete))
        .map(|(k, _)| k)
        .collect();
    let labels: Vec<String> = order
        .iter()
        .map(|&k| {
            let m = &input.methods[k];
            match stop_note(&m.trajectory.termination, true) {
                Some(note) => format!("{} ({note})", method_label(m, input.settings)),
                None => method_label(m, input.settings),
            }
        })
        .collect();
    // The symbols the curves below are drawn with, in the labels' order.
    let symbols: Vec<legend::Symbol> = order
        .iter()
        .map(|&k| match input.methods[k].discrete {
            true => legend::Symbol::Line(series_color(k).stroke_width(LINE_WIDTH)),
            false => legend::Symbol::Pattern(series_color(k).stroke_width(THICK_WIDTH), 12, 7),
        })
        .collect();
    let marks: Vec<Vec<(f64, f64)>> = pieces.iter().flatten().cloned().collect();
    let request = legend::Request {
        labels: &labels,
        marks: &marks,
        placement: input.settings.legend,
        symbols: &symbols,
    };
    let spot = legend_spot(&area, x, &y, &request)?;
    let mut chart = frame(&area, x, &y.stretched(spot), &x_desc, &own.y_label("loss"))?;
    // The band ends at the frame's top when a fixed range cuts it.
    if let Some(f) = floor.filter(|f| f.log10() > y.lo) {
        let top = f.log10().min(y.hi);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x.0, y.lo), (x.1, top)],
                BLACK.mix(0.08).filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!(
                    "round-off: L < {}·L(θ₀) drawn at {}",
                    fmt_num(ROUNDOFF),
                    fmt_num(f)
                ),
                // Inside the band, under the curves that lie on its edge.
                (x.1 - 0.01 * (x.1 - x.0), 0.5 * (y.lo + top)),
                text(TICK_SIZE)
                    .pos(Pos::new(HPos::Right, VPos::Center))
                    .color(&GREY),
            )))
            .map_err(fail)?;
    }

    for (&k, label) in order.iter().zip(&labels) {
        let m = &input.methods[k];
        let curve = &curves[k];
        let colour = series_color(k);
        let label = label.clone();
        // The first piece carries the legend entry (an empty one when the frame holds none of it).
        let (first, rest) = match pieces[k].split_first() {
            Some((first, rest)) => (first.clone(), rest),
            None => (Vec::new(), &[][..]),
        };
        if m.discrete {
            let style = colour.stroke_width(LINE_WIDTH);
            chart
                .draw_series(LineSeries::new(first, style))
                .map_err(fail)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 34, y)], style));
            for piece in rest {
                chart
                    .draw_series(LineSeries::new(piece.iter().copied(), style))
                    .map_err(fail)?;
            }
            if m.trajectory.len() < DOTS_BELOW && curve.len() > 1 {
                chart
                    .draw_series(
                        curve
                            .iter()
                            .filter(|p| in_frame(p))
                            .map(|&p| Circle::new(p, 3, colour.filled())),
                    )
                    .map_err(fail)?;
            }
        } else {
            let style = colour.stroke_width(THICK_WIDTH);
            chart
                .draw_series(DashedLineSeries::new(first, 12, 7, style))
                .map_err(fail)?
                .label(label)
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 12, 7, style));
            for piece in rest {
                chart
                    .draw_series(DashedLineSeries::new(piece.iter().copied(), 12, 7, style))
                    .map_err(fail)?;
            }
        }
        if curve.len() == 1 && in_frame(&curve[0]) {
            // A lone point draws no line: mark it.
            chart
                .draw_series(std::iter::once(Circle::new(curve[0], 5, colour.filled())))
                .map_err(fail)?;
        }
        if m.trajectory.termination.stopped_early() {
            if let Some(&end) = curve.last().filter(|p| in_frame(p)) {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(end)
                            + Cross::new((0, 0), 9, BLACK.stroke_width(5))
                            + Cross::new((0, 0), 9, colour.stroke_width(3)),
                    ))
                    .map_err(fail)?;
            }
        }
    }
    if curves.iter().all(|c| c.is_empty()) {
        note(&mut chart, x, &y, "no finite losses to draw")?;
    }
    legend::draw(&mut chart, spot, &request)
}

/// The distance figure: ‖θ_a(t) − θ_b(t)‖ for every comparison, its departure time and tolerance.
pub fn plot_distance<DB: DrawingBackend>(
    input: &FigureInput,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let area = style::titled(root, "distance", "distance between methods", input.settings)?;
    let own = input.settings.overrides("distance");
    // Log unless the scenario asks for linear (`y_log = false`, or a `y_range` reaching zero).
    let log = own.y_log.unwrap_or_else(|| own.y_range.is_none_or(|r| r.0 > 0.0));
    let level = |v: f64| if log { v.log10() } else { v };
    let comparisons = input.comparisons;
    // Methods by their display names (`[[method]] label`, else the id).
    let name = |id: &str| input.settings.display_name(id).to_string();
    // A pair by display names; GD entering as its midpoint iterates says so (`[[compare]] midpoint`).
    let pair = |c: &crate::compare::Comparison| {
        let a = name(&c.a);
        let a = if c.midpoint { format!("{a} (midpoints)") } else { a };
        format!("{a} vs {}", name(&c.b))
    };
    let raw: Vec<Vec<(f64, f64)>> = comparisons
        .iter()
        .map(|c| {
            c.times
                .iter()
                .zip(&c.distances)
                .filter_map(|(&t, &d)| Some((t, map_value(log, d)?)))
                .filter(|p| p.0.is_finite() && own.in_window(p.0))
                .collect()
        })
        .collect();
    // Distinct tolerances, each drawn once.
    let mut tolerances: Vec<(f64, Vec<usize>)> = Vec::new();
    for (k, c) in comparisons.iter().enumerate() {
        if !(c.tolerance.is_finite() && c.tolerance > 0.0) {
            continue;
        }
        match tolerances.iter_mut().find(|(t, _)| *t == c.tolerance) {
            Some((_, who)) => who.push(k),
            None => tolerances.push((c.tolerance, vec![k])),
        }
    }
    let y = YAxis::chosen(
        log,
        own.y_range,
        raw.iter()
            .flatten()
            .map(|p| p.1)
            .chain(tolerances.iter().map(|(t, _)| level(*t))),
    );
    let departures = comparisons
        .iter()
        .filter_map(|c| c.departure_time)
        .filter(|&t| own.in_window(t));
    let x = own.x_range.unwrap_or_else(|| {
        time_range(
            comparisons
                .iter()
                .flat_map(|c| c.times.iter().copied())
                .filter(|&t| own.in_window(t))
                .chain(departures),
        )
    });
    let scale = (1.0 / (x.1 - x.0), 1.0 / (y.hi - y.lo));
    let curves: Vec<Vec<(f64, f64)>> = raw
        .into_iter()
        .map(|c| decimate(c.into_iter(), scale, 5e-4, MAX_LINE_POINTS))
        .collect();
    // Inside a fixed frame the curves are clipped, and lines outside it are not drawn.
    let fixed = own.x_range.is_some() || own.y_range.is_some();
    let pieces = frame_pieces(&curves, fixed, x, &y);
    let departs = |c: &crate::compare::Comparison| {
        c.departure_time
            .filter(|t| t.is_finite() && own.in_window(*t) && (!fixed || (x.0..=x.1).contains(t)))
    };
    tolerances.retain(|(t, _)| !fixed || (y.lo..=y.hi).contains(&level(*t)));
    let x_desc = own.x_label(&time_label(input));
    // The axis names the two methods when there is one pair; several pairs are named in the legend.
    let y_desc = match comparisons {
        [c] if c.midpoint => format!("‖θ̄_{}(t) − θ_{}(t)‖, θ̄ the midpoints", name(&c.a), name(&c.b)),
        [c] => format!("‖θ_{}(t) − θ_{}(t)‖", name(&c.a), name(&c.b)),
        _ => "‖θ_a(t) − θ_b(t)‖, pairs (a, b) in the legend".to_string(),
    };
    // The legend's entries in drawing order, and what it must not cover: the curves, departure and
    // tolerance lines.
    let mut labels: Vec<String> = Vec::new();
    let mut occupied: Vec<Vec<(f64, f64)>> = pieces.iter().flatten().cloned().collect();
    // Each departure line away from the y axis is also labelled on the line (see `on_line`).
    let on_line = {
        let trial = build(&area, x, &y)?;
        departure_labels(trial.plotting_area(), x, &y, comparisons.iter().map(departs))
    };
    let mut symbols: Vec<legend::Symbol> = Vec::new();
    for (k, (c, label)) in comparisons.iter().zip(&on_line).enumerate() {
        labels.push(pair(c));
        // The symbols the lines below are drawn with.
        symbols.push(legend::Symbol::Line(series_color(k).stroke_width(LINE_WIDTH + 1)));
        if let Some(td) = departs(c) {
            labels.push(format!("{} departs, t = {}", pair(c), fmt_num(td)));
            symbols.push(legend::Symbol::Pattern(
                series_color(k).stroke_width(LINE_WIDTH),
                10,
                6,
            ));
            occupied.push(vec![(td, y.lo), (td, y.hi)]);
        }
        occupied.extend(label.as_ref().map(|l| l.covers.clone()));
    }
    let tolerance_labels: Vec<String> = tolerances
        .iter()
        .map(|(tol, who)| {
            if tolerances.len() == 1 {
                format!("tolerance {}", fmt_num(*tol))
            } else {
                let names: Vec<String> = who.iter().map(|&k| pair(&comparisons[k])).collect();
                format!("tolerance {} ({})", fmt_num(*tol), names.join(", "))
            }
        })
        .collect();
    labels.extend(tolerance_labels.iter().cloned());
    symbols.extend(
        tolerance_labels
            .iter()
            .map(|_| legend::Symbol::Pattern(GREY.stroke_width(LINE_WIDTH), 3, 5)),
    );
    // A tolerance line runs across the whole plot: a legend on it would hide where the pair departs.
    for (tol, _) in &tolerances {
        occupied.push(vec![(x.0, level(*tol)), (x.1, level(*tol))]);
    }
    let request = legend::Request {
        labels: &labels,
        marks: &occupied,
        placement: input.settings.legend,
        symbols: &symbols,
    };
    let spot = legend_spot(&area, x, &y, &request)?;
    let mut chart = frame(&area, x, &y.stretched(spot), &x_desc, &own.y_label(&y_desc))?;

    for (k, c) in comparisons.iter().enumerate() {
        let colour = series_color(k);
        let style = colour.stroke_width(LINE_WIDTH + 1);
        let label = pair(c);
        let (first, rest) = match pieces[k].split_first() {
            Some((first, rest)) => (first.clone(), rest),
            None => (Vec::new(), &[][..]),
        };
        chart
            .draw_series(LineSeries::new(first, style))
            .map_err(fail)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 34, y)], style));
        for piece in rest {
            chart
                .draw_series(LineSeries::new(piece.iter().copied(), style))
                .map_err(fail)?;
        }
        if curves[k].len() == 1 && pieces[k].len() == 1 {
            chart
                .draw_series(std::iter::once(Circle::new(curves[k][0], 5, colour.filled())))
                .map_err(fail)?;
        }
        if let Some(td) = departs(c) {
            let dashed = colour.stroke_width(LINE_WIDTH);
            let label = format!("{} departs, t = {}", pair(c), fmt_num(td));
            chart
                .draw_series(DashedLineSeries::new(vec![(td, y.lo), (td, y.hi)], 10, 6, dashed))
                .map_err(fail)?
                .label(label)
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 10, 6, dashed));
        }
        if let (Some(td), Some(l)) = (departs(c), &on_line[k]) {
            // Upright, reading upwards, its end at the line's top and its foot a gap left of the line.
            let style = text(TICK_SIZE)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Bottom))
                .color(&colour);
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((td, y.hi)) + Text::new(l.text.clone(), (-LABEL_GAP, LABEL_GAP), style),
                ))
                .map_err(fail)?;
        }
    }
    let dotted = GREY.stroke_width(LINE_WIDTH);
    for ((tol, _), label) in tolerances.iter().zip(tolerance_labels) {
        let level = level(*tol);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x.0, level), (x.1, level)],
                3,
                5,
                dotted,
            ))
            .map_err(fail)?
            .label(label)
            .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 3, 5, dotted));
    }
    if comparisons.is_empty() {
        note(&mut chart, x, &y, "no comparisons")?;
    } else if curves.iter().all(|c| c.is_empty()) {
        note(
            &mut chart,
            x,
            &y,
            "the distance is zero (or undefined) at every paired time",
        )?;
    }
    legend::draw(&mut chart, spot, &request)
}

/// The gap, in canvas units, between a departure line and its label, and between the label and the top.
const LABEL_GAP: i32 = 5;

/// A departure line's label on the line, with the region it covers (for the legend to avoid).
struct LineLabel {
    /// "departs, t = …".
    text: String,
    /// The label's box in data coordinates, as a polyline along its outer edge and across its foot.
    covers: Vec<(f64, f64)>,
}

/// The on-line label of each departure time in `times` (`None` without one): drawn upright at the top of
/// the line on its left, where the distance is still below the tolerance (the departure is its first
/// crossing), so no curve runs; none when the line sits on the y axis, with less room left of it than
/// the label's height (the legend names it there).
fn departure_labels<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    plot: &DrawingArea<DB, CT>,
    x: (f64, f64),
    y: &YAxis,
    times: impl Iterator<Item = Option<f64>>,
) -> Vec<Option<LineLabel>> {
    let (xs, ys) = plot.get_pixel_range();
    let (w, h) = (
        (xs.end - xs.start).max(1) as f64,
        (ys.end - ys.start).max(1) as f64,
    );
    let (per_x, per_y) = ((x.1 - x.0) / w, (y.hi - y.lo) / h);
    times
        .map(|t| {
            let td = t?;
            let text = format!("departs, t = {}", fmt_num(td));
            let (len, tall) = style::text(TICK_SIZE).font.box_size(&text).ok()?;
            let room = (td - x.0) / per_x;
            if room < (tall as i32 + 2 * LABEL_GAP) as f64 || len as f64 + 2.0 * LABEL_GAP as f64 > h {
                return None;
            }
            let left = td - (tall as i32 + LABEL_GAP) as f64 * per_x;
            let (top, foot) = (
                y.hi - LABEL_GAP as f64 * per_y,
                y.hi - (len as i32 + LABEL_GAP) as f64 * per_y,
            );
            Some(LineLabel {
                text,
                covers: vec![(td, top), (left, top), (left, foot), (td, foot)],
            })
        })
        .collect()
}

/// Turns a plotters error into a message.
pub(super) fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The time axis's label: t = k·η, t = k·√η (Nesterov's ODE time map), or both when methods on either map
/// share the figure; t = Σ_{j<k} η_j under a learning-rate schedule. A method's map is read off its points
/// (t against k), so the label cannot disagree with the data.
pub(super) fn time_label(input: &FigureInput) -> String {
    let eta = input.step_size;
    let on = |m: &crate::method::MethodRun, unit: f64| {
        let t = &m.trajectory;
        match (t.steps.last(), t.times.last()) {
            (Some(&k), Some(&time)) if k > 0 => (time - k as f64 * unit).abs() <= 1e-9 * time.abs().max(1.0),
            _ => true,
        }
    };
    let (mut eta_map, mut sqrt_map, mut summed) = (false, false, false);
    for m in input.methods {
        if on(m, eta) {
            eta_map = true;
        } else if on(m, eta.sqrt()) {
            sqrt_map = true;
        } else {
            summed = true;
        }
    }
    let eta_text = fmt_num(eta);
    match (eta_map, sqrt_map, summed) {
        (_, _, true) => format!("t = η₀ + η₁ + … + ηₖ₋₁   (scheduled; base step size η = {eta_text})"),
        (_, false, false) => format!("t = k·η   (η = {eta_text})"),
        (false, true, false) => format!("t = k·√η   (η = {eta_text})"),
        (true, true, false) => format!("t = k·η or k·√η, per method   (η = {eta_text})"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_squeezed_axis_keeps_labels_a_gap_apart_and_a_roomy_one_all_of_them() {
        use super::YAxis;
        // Drift from 10⁻¹⁶ to 10⁻⁶ (log10 −16.5..−5.5): decades every 2, six labels. On 100 units the
        // decades are 100/11 = 9.1 units apart, a label every 18.2; with a 30-unit gap every second
        // label goes (k = ⌈30/18.2⌉ = 2): the decades divisible by 4 stay, 36.4 units apart.
        let axis = YAxis::ticked(true, -16.5, -5.5);
        assert_eq!(axis.major, vec![-16.0, -14.0, -12.0, -10.0, -8.0, -6.0]);
        let thin = axis.thinned(100, 30.0);
        assert_eq!(thin.major, vec![-16.0, -12.0, -8.0]);
        for t in [-14.0, -10.0, -6.0] {
            assert!(thin.minor.contains(&t), "{t} becomes a grid line");
        }
        // Two ticks too close for every second one to go, but a gap apart end to end: both stay (one
        // label alone gives no scale); closer than a gap, the axis is left as it is.
        let two = YAxis::ticked(true, -0.75, -0.45);
        assert!(two.major.len() >= 2, "{:?}", two.major);
        let span = two.major[two.major.len() - 1] - two.major[0];
        let height = (30.0 / span * 0.3 * 1.05).ceil() as u32;
        let kept = two.thinned(height, 30.0);
        assert!(kept.major.len() >= 2, "{:?} → {:?}", two.major, kept.major);
        // On 400 units the labels are 72.7 apart: all stay.
        assert_eq!(axis.thinned(400, 30.0).major, axis.major);
        // A linear axis keeps every k-th: 0, 0.5, …, 3 on 60 units (10 apart) with a 25 gap keeps
        // every third.
        let lin = YAxis::ticked(false, 0.0, 3.0);
        let step = lin.major[1] - lin.major[0];
        let thin = lin.thinned(60, 25.0);
        let per_unit = 60.0 / 3.0;
        assert!(thin.major.len() < lin.major.len());
        for w in thin.major.windows(2) {
            assert!((w[1] - w[0]) * per_unit >= 25.0, "{:?} (step {step})", thin.major);
        }
    }

    #[test]
    fn a_loss_that_reaches_zero_keeps_the_log_axis_and_a_negative_one_does_not() {
        use super::log_scale_fits;
        assert!(log_scale_fits([2.0, 1e-20, 0.0, f64::NAN].into_iter()));
        assert!(!log_scale_fits([2.0, -1e-3].into_iter()));
        assert!(!log_scale_fits([0.0, 0.0, f64::INFINITY].into_iter()));
    }

    #[test]
    fn clipping_cuts_segments_where_they_cross_the_frame() {
        use super::clip;
        // Inside: unchanged, one piece.
        let inside = [(0.1, 0.1), (0.9, 0.5)];
        assert_eq!(clip(&inside, (0.0, 1.0), (0.0, 1.0)), vec![inside.to_vec()]);
        // y = 2x from (0, 0) to (1, 2) leaves the unit box through its top at x = 1/2.
        let out = clip(&[(0.0, 0.0), (1.0, 2.0)], (0.0, 1.0), (0.0, 1.0));
        assert_eq!(out, vec![vec![(0.0, 0.0), (0.5, 1.0)]]);
        // Out through the top and back in: two pieces, the crossings at x = 1/2 and x = 3/2 of y = 2 − |2x − 2|.
        let vee = [(0.0, 0.0), (1.0, 2.0), (2.0, 0.0)];
        let out = clip(&vee, (0.0, 2.0), (0.0, 1.0));
        assert_eq!(
            out,
            vec![vec![(0.0, 0.0), (0.5, 1.0)], vec![(1.5, 1.0), (2.0, 0.0)]]
        );
        // Wholly outside: nothing.
        assert!(clip(&[(2.0, 2.0), (3.0, 3.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
    }

    #[test]
    fn the_roundoff_floor_sits_at_1e_12_of_the_largest_start_and_only_when_reached() {
        use super::roundoff_floor;
        let (a, b) = ([2.0, 1e-3, 1e-13], [4.0, 1e-6]);
        assert_eq!(roundoff_floor([&a[..], &b[..]].into_iter()), Some(4e-12));
        assert_eq!(roundoff_floor([&b[..]].into_iter()), None);
        assert_eq!(roundoff_floor([&[0.0, 0.0][..]].into_iter()), None);
    }
}
