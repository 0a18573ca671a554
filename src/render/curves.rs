//! Curves against time: the loss of every method, and the distance between the methods of every
//! comparison. Both use a log10 y axis drawn as a linear axis of log10 values with hand-made ticks, so
//! spans of any width (a fraction of a decade to hundreds) get sensible labels.

use super::legend;
use super::style;
use super::style::TickedAxis;
use super::style::{
    decimate, ensure_ticks, fmt_num, fmt_tick, linear_ticks, log_tick_labeller, log_ticks, method_label,
    padded_range, series_color, snap_zero, stop_note, text, GREY, LABEL_SIZE, LINE_WIDTH, THICK_WIDTH,
    TICK_SIZE,
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
#[derive(Clone)]
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
        // A linear axis keeps the multiples of a coarser 1-2-5 step (0.02 becomes 0.1, not 0.08): every
        // k-th tick from the first would label 0.06, −0.02, −0.1.
        let coarse = (!decades).then(|| coarser_nice_step(spacing, gap / per_unit));
        let keep = |i: usize, v: f64| match coarse {
            Some(Some(c)) => ((v / c) - (v / c).round()).abs() < 1e-6,
            Some(None) => i as i64 % k == 0,
            None => (v.round() as i64).rem_euclid(k * step.max(1)) == 0,
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

    /// The axis with its bottom lowered (its ticks kept) so that the part below `level` is at least
    /// `need` canvas units of a plot area `height` units high once the axis is stretched by `stretch`
    /// (a legend's band above the data, [`legend::Spot::y_range`]); as it is when it already is, or when
    /// that part would take most of the plot.
    fn room_below(&self, level: f64, need: i32, height: i32, stretch: f64) -> YAxis {
        // With span S = (hi − lo)·stretch the part below is (level − lo)/S·height ≥ need: solved for lo.
        let share = need as f64 / height.max(1) as f64 * stretch;
        let lo = if share < 0.5 && level < self.hi {
            self.lo.min(level - share * (self.hi - level) / (1.0 - share))
        } else {
            self.lo
        };
        YAxis { lo, ..self.clone() }
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

/// The smallest step of the 1-2-5 series that is a whole multiple of `step` and at least `least` long
/// (`None` when none is within twelve decades).
fn coarser_nice_step(step: f64, least: f64) -> Option<f64> {
    let first = step.log10().floor() as i32;
    (first..first + 12)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|d| d * 10f64.powi(e)))
        .filter(|&c| c > step * (1.0 + 1e-9) && c >= least)
        .find(|&c| ((c / step) - (c / step).round()).abs() < 1e-6)
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
    frame_with(area, x, y, (x_desc, y_desc), None)
}

/// The axis labels' style [`frame`] gives a chart of these axes on `area` (shrunk until both fit).
pub(super) fn desc_for<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: (f64, f64),
    y: &YAxis,
    (x_desc, y_desc): (&str, &str),
) -> Result<TextStyle<'static>, String> {
    let trial = build(area, x, y)?;
    Ok(style::desc_style(
        x_desc,
        y_desc,
        trial.plotting_area().dim_in_pixel(),
    ))
}

/// Draws panels stacked on one figure with their axis labels at one size, the one the most cramped
/// needs: `panel(area, which, desc)` draws a panel with its labels in `desc` and, given none, draws
/// nothing and returns the style its labels would take alone.
pub(super) fn stacked<DB: DrawingBackend, W: Copy>(
    panels: &[(&DrawingArea<DB, Shift>, W)],
    panel: impl Fn(&DrawingArea<DB, Shift>, W, Option<TextStyle<'static>>) -> Result<TextStyle<'static>, String>,
) -> Result<(), String> {
    let mut desc: Option<TextStyle<'static>> = None;
    for &(area, which) in panels {
        let own = panel(area, which, None)?;
        if desc
            .as_ref()
            .is_none_or(|d| own.font.get_size() < d.font.get_size())
        {
            desc = Some(own);
        }
    }
    for &(area, which) in panels {
        panel(area, which, desc.clone())?;
    }
    Ok(())
}

/// [`frame`] with the axis labels in `desc` when given (one size across stacked panels).
pub(super) fn frame_with<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: (f64, f64),
    y: &YAxis,
    (x_desc, y_desc): (&str, &str),
    desc: Option<TextStyle<'static>>,
) -> Result<Chart<'a, DB>, String> {
    let trial = build(area, x, y)?;
    // Labels at least 1.4 label heights apart.
    let y = &y.thinned(trial.plotting_area().dim_in_pixel().1, 1.4 * TICK_SIZE);
    drop(trial);
    let mut chart = build(area, x, y)?;
    let desc =
        desc.unwrap_or_else(|| style::desc_style(x_desc, y_desc, chart.plotting_area().dim_in_pixel()));
    let y_label: Box<dyn Fn(&f64) -> String> = if y.log {
        // Judged on the ticks, not the axis: a legend band stretches the axis past a decade while the
        // ticks (2, 3, 5 × 10⁻¹) still read best as plain numbers.
        let (a, b) = match (y.major.first(), y.major.last()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => (y.lo, y.hi),
        };
        Box::new(log_tick_labeller(a, b))
    } else {
        Box::new(move |v: &f64| fmt_tick(snap_zero(*v, y.hi - y.lo)))
    };
    chart
        .configure_mesh()
        .x_labels(8)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(desc)
        .label_style(text(TICK_SIZE))
        .x_label_formatter(&|v| fmt_tick(snap_zero(*v, x.1 - x.0)))
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

/// Gaps (canvas units) round the round-off note: below the band's top edge, where the curves under the
/// floor are drawn (clear of them by the legend's padding and a line's width), above the plot's bottom,
/// and from the plot's right edge.
const NOTE_TOP: i32 = 14;
/// See [`NOTE_TOP`].
const NOTE_BOTTOM: i32 = 6;
/// See [`NOTE_TOP`].
const NOTE_INSET: i32 = 8;
/// The gap between the note's two lines when it is broken.
const NOTE_LEADING: i32 = 3;

/// The note naming the round-off band: its lines (one, or two where one is wider than the plot) and the
/// size of each.
struct RoundoffNote {
    /// Each line and its width and height in canvas units.
    lines: Vec<(String, (i32, i32))>,
}

impl RoundoffNote {
    /// The note for the floor `floor`, in lines no wider than `width` where a break makes them so.
    fn new(floor: f64, width: i32) -> Option<Self> {
        let measure = |s: String| -> Option<(String, (i32, i32))> {
            let (w, h) = text(TICK_SIZE).font.box_size(&s).ok()?;
            Some((s, (w as i32, h as i32)))
        };
        let head = format!("round-off: L < {}·L(θ₀)", fmt_num(ROUNDOFF));
        let tail = format!("drawn at {}", fmt_num(floor));
        let one = measure(format!("{head} {tail}"))?;
        let lines = if one.1 .0 <= width {
            vec![one]
        } else {
            vec![measure(head)?, measure(tail)?]
        };
        Some(RoundoffNote { lines })
    }

    /// The note's width and height in canvas units.
    fn size(&self) -> (i32, i32) {
        let w = self.lines.iter().map(|l| l.1 .0).max().unwrap_or(0);
        let h = self.lines.iter().map(|l| l.1 .1).sum::<i32>()
            + NOTE_LEADING * (self.lines.len() as i32 - 1).max(0);
        (w, h)
    }

    /// The height the band needs to hold the note and its gaps.
    fn need(&self) -> i32 {
        self.size().1 + NOTE_TOP + NOTE_BOTTOM + LABEL_SLACK
    }

    /// Draws the note right-aligned in the backend box `r` on `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, r: legend::Rect) -> Result<(), String> {
        let (bx, by) = area.get_base_pixel();
        let mut top = r.1;
        for (line, (_, h)) in &self.lines {
            // Centred on its line's middle: the anchor plotters and an SVG reader agree on best.
            let style = text(TICK_SIZE)
                .pos(Pos::new(HPos::Right, VPos::Center))
                .color(&GREY);
            area.draw(&Text::new(line.clone(), (r.2 - bx, top + h / 2 - by), style))
                .map_err(fail)?;
            top += h + NOTE_LEADING;
        }
        Ok(())
    }
}

/// The round-off note's box (backend coordinates) on the chart whose plot area is `plot`, axes `x` ×
/// `y`: right-aligned under the band's top edge at `level` (drawn units); `None` without a note or band,
/// or where the band is too thin to hold it clear of the curves on its edge.
fn note_box<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    plot: &DrawingArea<DB, CT>,
    x: (f64, f64),
    y: &YAxis,
    level: Option<f64>,
    note: Option<&RoundoffNote>,
) -> Option<legend::Rect> {
    let (level, note) = (level?, note?);
    let (xs, ys) = plot.get_pixel_range();
    let edge = plot.map_coordinate(&(x.0, level.min(y.hi))).1;
    let (w, h) = note.size();
    let r = (
        xs.end - NOTE_INSET - w,
        edge + NOTE_TOP,
        xs.end - NOTE_INSET,
        edge + NOTE_TOP + h,
    );
    (r.0 >= xs.start && r.1 >= ys.start && r.3 <= ys.end - NOTE_BOTTOM).then_some(r)
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
    // The round-off band's top (drawn units) and the note naming it, sized for the plot's width.
    let floor_level = floor.map(f64::log10).filter(|&f| f > y.lo);
    let (plot_w, plot_h) = {
        let trial = build(&area, x, &y)?;
        let (xs, ys) = trial.plotting_area().get_pixel_range();
        (xs.end - xs.start, ys.end - ys.start)
    };
    let roundoff = floor
        .filter(|_| floor_level.is_some())
        .and_then(|f| RoundoffNote::new(f, plot_w - 2 * NOTE_INSET));
    // The axis reaches low enough for the band to hold the note once the legend's band (stretch) is
    // added above; a scenario's own `y_range` is kept as it is, and the note drawn only where it fits.
    let lowered = |stretch: f64| match (&roundoff, floor_level, own.y_range) {
        (Some(n), Some(level), None) => y.room_below(level, n.need(), plot_h, stretch),
        _ => y.clone(),
    };
    let first = lowered(1.0);
    let spot = {
        let trial = build(&area, x, &first)?;
        let plot = trial.plotting_area();
        let mut all = marks.clone();
        all.extend(
            note_box(plot, x, &first, floor_level, roundoff.as_ref())
                .map(|r| outline(plot, x, (first.lo, first.hi), r)),
        );
        legend::choose(
            plot,
            &legend::Request {
                marks: &all,
                ..request
            },
        )
    };
    // Stretched for a legend above the data, the axis is lowered again so the band keeps its height.
    let y = match spot {
        legend::Spot::Above { stretch, .. } => lowered(stretch),
        _ => first,
    };
    let axis = y.stretched(spot);
    let mut chart = frame(&area, x, &axis, &x_desc, &own.y_label("loss"))?;
    let note_at = note_box(chart.plotting_area(), x, &axis, floor_level, roundoff.as_ref());
    // The band ends at the frame's top when a fixed range cuts it.
    if let Some(level) = floor_level {
        let top = level.min(axis.hi);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x.0, axis.lo), (x.1, top)],
                BLACK.mix(0.08).filled(),
            )))
            .map_err(fail)?;
    }
    if let (Some(n), Some(r)) = (&roundoff, note_at) {
        n.draw(&area, r)?;
    }
    // What the legend avoided, as drawn: the curves and the note's box on the final axes.
    let mut drawn_marks = marks.clone();
    drawn_marks.extend(note_at.map(|r| outline(chart.plotting_area(), x, (axis.lo, axis.hi), r)));
    let request = legend::Request {
        marks: &drawn_marks,
        ..request
    };

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
    // A tolerance line runs across the whole plot: a legend on it would hide where the pair departs,
    // and a departure label on it would hide the crossing.
    for (tol, _) in &tolerances {
        occupied.push(vec![(x.0, level(*tol)), (x.1, level(*tol))]);
    }
    // Each departure line is also labelled on the line where a spot beside it is clear (see
    // `departure_labels`), placed before the legend so that the legend avoids the labels.
    let lines: Vec<Option<f64>> = comparisons.iter().map(departs).collect();
    // What a label must not touch besides the departure lines: the curves and tolerance lines.
    let obstacles = occupied.clone();
    let (on_line, outlines) = {
        let trial = build(&area, x, &y)?;
        let plot = trial.plotting_area();
        let on_line = departure_labels(plot, (x.0, y.hi), &lines, &obstacles);
        let outlines: Vec<Vec<(f64, f64)>> = (on_line.iter().flatten())
            .map(|l| outline(plot, x, (y.lo, y.hi), l.rect))
            .collect();
        (on_line, outlines)
    };
    let mut symbols: Vec<legend::Symbol> = Vec::new();
    for (k, c) in comparisons.iter().enumerate() {
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
    let marks: Vec<Vec<(f64, f64)>> = occupied.iter().chain(&outlines).cloned().collect();
    let spot = legend_spot(
        &area,
        x,
        &y,
        &legend::Request {
            labels: &labels,
            marks: &marks,
            placement: input.settings.legend,
            symbols: &symbols,
        },
    )?;
    // A legend above the data squeezes the data's part of the plot: the labels are placed again on the
    // squeezed axes (the legend's band holds no label, so the legend stays clear of them).
    let stretched = y.stretched(spot);
    let (on_line, marks) = if stretched.hi != y.hi {
        let trial = build(&area, x, &stretched)?;
        let plot = trial.plotting_area();
        let on_line = departure_labels(plot, (x.0, y.hi), &lines, &obstacles);
        let mut marks = occupied.clone();
        marks.extend(
            (on_line.iter().flatten()).map(|l| outline(plot, x, (stretched.lo, stretched.hi), l.rect)),
        );
        (on_line, marks)
    } else {
        (on_line, marks)
    };
    let request = legend::Request {
        labels: &labels,
        marks: &marks,
        placement: input.settings.legend,
        symbols: &symbols,
    };
    let mut chart = frame(&area, x, &stretched, &x_desc, &own.y_label(&y_desc))?;

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
        if let Some(l) = &on_line[k] {
            draw_line_label(&area, l, colour)?;
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

/// The gap, in canvas units, between a departure line and its label, and between the label and the plot's
/// top or bottom.
const LABEL_GAP: i32 = 5;

/// Slack added round a label's measured box before it is tested against what is drawn: the font's box
/// and the drawn glyphs (or an SVG reader's measure of them) differ by a unit or two.
const LABEL_SLACK: i32 = 2;

/// A departure line's label on the line: its text and where it is drawn.
struct LineLabel {
    /// "departs, t = …".
    text: String,
    /// The label's box in backend coordinates.
    rect: legend::Rect,
    /// Drawn reading upwards along the line (else across, beside it).
    upright: bool,
    /// The box lies left of its line: a label across is anchored at its right end, so the gap to the
    /// line does not hang on how well the font's box measures the text.
    left: bool,
}

/// The outline of the backend box `r` in data coordinates on the chart whose plot area is `plot`, with
/// axes `x` × `y` (in drawn units): a closed polyline, for the legend to avoid.
fn outline<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    plot: &DrawingArea<DB, CT>,
    x: (f64, f64),
    y: (f64, f64),
    r: legend::Rect,
) -> Vec<(f64, f64)> {
    // The mapping is affine: invert it from the images of two corners.
    let (a, b) = (plot.map_coordinate(&(x.0, y.0)), plot.map_coordinate(&(x.1, y.1)));
    let back = |p: i32, from: i32, to: i32, lo: f64, hi: f64| {
        if to == from {
            lo
        } else {
            lo + (p - from) as f64 / (to - from) as f64 * (hi - lo)
        }
    };
    let at = |px: i32, py: i32| (back(px, a.0, b.0, x.0, x.1), back(py, a.1, b.1, y.0, y.1));
    vec![
        at(r.0, r.1),
        at(r.2, r.1),
        at(r.2, r.3),
        at(r.0, r.3),
        at(r.0, r.1),
    ]
}

/// The outline of the backend box `r` as a closed polyline in backend coordinates.
fn box_path(r: legend::Rect) -> Vec<(i32, i32)> {
    vec![(r.0, r.1), (r.2, r.1), (r.2, r.3), (r.0, r.3), (r.0, r.1)]
}

/// The on-line label of each departure time in `lines` (`None` without one) on the chart whose plot
/// area is `plot`, the data below `top` (the unstretched axis's top, in drawn units): the first of these
/// spots whose box lies in the data's part of the plot and touches none of `obstacles` (curves and
/// tolerance lines, data coordinates), the other departure lines or an earlier label: reading upwards
/// beside the line, at the top, then the bottom, then in between (left of the line before right of
/// it), then the same across. None where no spot is clear (the legend names every departure), and none
/// for a second line at the same time.
fn departure_labels<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    plot: &DrawingArea<DB, CT>,
    (x0, top): (f64, f64),
    lines: &[Option<f64>],
    obstacles: &[Vec<(f64, f64)>],
) -> Vec<Option<LineLabel>> {
    let (xs, ys) = plot.get_pixel_range();
    let clip: legend::Rect = (xs.start, ys.start, xs.end, ys.end);
    let to_px = |m: &Vec<(f64, f64)>| -> Vec<(i32, i32)> {
        m.iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|p| plot.map_coordinate(p))
            .collect()
    };
    let mut blocked: Vec<Vec<(i32, i32)>> = obstacles.iter().map(to_px).collect();
    let (data_top, data_bottom) = (plot.map_coordinate(&(x0, top)).1, ys.end);
    let line_px: Vec<Option<i32>> = lines
        .iter()
        .map(|t| t.map(|t| plot.map_coordinate(&(t, top)).0))
        .collect();
    let mut out: Vec<Option<LineLabel>> = Vec::with_capacity(lines.len());
    for (k, t) in lines.iter().enumerate() {
        let (Some(td), Some(px)) = (*t, line_px[k]) else {
            out.push(None);
            continue;
        };
        if lines[..k].contains(&Some(td)) {
            out.push(None);
            continue;
        }
        let text = format!("departs, t = {}", fmt_num(td));
        let Ok((len, tall)) = style::text(TICK_SIZE).font.box_size(&text) else {
            out.push(None);
            continue;
        };
        let (len, tall) = (len as i32, tall as i32);
        // The other departure lines are in the way; this one's own line (and any at its pixel) is not.
        let others: Vec<Vec<(i32, i32)>> = (line_px.iter())
            .flatten()
            .filter(|&&q| (q - px).abs() > 1)
            .map(|&q| vec![(q, data_top), (q, data_bottom)])
            .collect();
        let clear = |r: legend::Rect| {
            let grown = legend::grown(r, LABEL_SLACK);
            r.0 >= clip.0
                && r.2 <= clip.2
                && r.1 >= data_top
                && r.3 <= data_bottom
                && !legend::covers(&blocked, grown, clip)
                && !legend::covers(&others, grown, clip)
        };
        let mut found = None;
        'search: for (w, h, upright) in [(tall, len, true), (len, tall, false)] {
            let (high, low) = (data_top + LABEL_GAP, data_bottom - LABEL_GAP - h);
            // The top, the bottom, then seven steps between.
            let heights = [high, low]
                .into_iter()
                .chain((1..8).map(|i| high + (low - high) * i / 8));
            for y0 in heights {
                for x0 in [px - LABEL_GAP - w, px + LABEL_GAP] {
                    let r = (x0, y0, x0 + w, y0 + h);
                    if clear(r) {
                        found = Some(LineLabel {
                            text,
                            rect: r,
                            upright,
                            left: x0 < px,
                        });
                        break 'search;
                    }
                }
            }
        }
        if let Some(l) = &found {
            blocked.push(box_path(l.rect));
        }
        out.push(found);
    }
    out
}

/// Draws the departure label `l` (its box in backend coordinates) on `area`, in `colour`.
fn draw_line_label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    l: &LineLabel,
    colour: RGBColor,
) -> Result<(), String> {
    let (bx, by) = area.get_base_pixel();
    let r = l.rect;
    // Anchored so the text lies in `rect`: upright, its end at the top middle (plotters rotates about the
    // anchor); across, its end next to the line at the middle height.
    let (at, style) = if l.upright {
        let style = text(TICK_SIZE)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center));
        (((r.0 + r.2) / 2, r.1), style)
    } else if l.left {
        (
            (r.2, (r.1 + r.3) / 2),
            text(TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center)),
        )
    } else {
        (
            (r.0, (r.1 + r.3) / 2),
            text(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
        )
    };
    area.draw(&Text::new(
        l.text.clone(),
        (at.0 - bx, at.1 - by),
        style.color(&colour),
    ))
    .map_err(fail)
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
    fn a_thinned_linear_axis_keeps_a_coarser_1_2_5_step() {
        // Ticks every 0.02 from −0.1 to 0.06 on a short plot: the labels left are the multiples of 0.1
        // (0.08 apart would label 0.06, −0.02, −0.1).
        let axis = super::YAxis::ticked(false, -0.11, 0.07);
        assert_eq!(axis.major.len(), 9, "{:?}", axis.major);
        let thinned = axis.thinned(60, 22.0);
        assert!(thinned
            .major
            .iter()
            .all(|v| ((v / 0.1) - (v / 0.1).round()).abs() < 1e-9));
        assert!(thinned.major.len() >= 2, "{:?}", thinned.major);
        assert_eq!(super::coarser_nice_step(0.02, 0.05), Some(0.1));
        assert_eq!(super::coarser_nice_step(0.5, 0.6), Some(1.0));
        assert_eq!(super::coarser_nice_step(1.0, 1.5), Some(2.0));
        assert_eq!(super::coarser_nice_step(0.04, 0.05), Some(0.2));
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
