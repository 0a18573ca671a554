//! The portrait of a plane of parameter space (a 2-D objective's own, or a projected one): the loss
//! landscape as a filled map with contour lines, the −∇L direction field, every method's trajectory with
//! start and end markers, and the known minima. Drawn from a [`Sampled`] landscape: numbers, no objective.

use super::contour::{contour_lines, levels};
use super::legend::{self, arrow_head, star, Marker, Symbol, SQUARE_HALF, STAR_RADIUS};
use super::matched::{MatchedPoint, MATCHED_TIMES};
use super::style::TickedAxis;
use super::style::{
    colormap, decimate, ensure_ticks, fmt_log_tick, fmt_tick, linear_ticks, log_ticks, method_label,
    series_color, snap_zero, split_at_turns, stop_note, text, CONTOUR, FIELD_GREY, LABEL_SIZE, LINE_WIDTH,
    THICK_WIDTH, THIN_WIDTH, TICK_SIZE, TITLE_SIZE,
};
use crate::landscape::{clamp_point, Sampled, FIELD_ARROWS};
use crate::method::MethodRun;
use crate::outspec::FigureSettings;
use crate::trajectory::Termination;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The number of contour lines.
const CONTOUR_LEVELS: usize = 14;
/// The most points drawn per trajectory.
const MAX_LINE_POINTS: usize = 2000;
/// Discrete trajectories with fewer points than this get a dot at every point.
const DOTS_BELOW: usize = 60;
/// Distinct background colours (so neighbouring cells of one colour merge into one rectangle).
const SHADES: usize = 64;
/// Width of the colour bar itself, in canvas units.
const BAR_WIDTH: u32 = 49;
/// The colour bar panel's margins left and right of the bar and its labels.
const BAR_MARGINS: (u32, u32) = (6, 10);
/// The colour bar's tick marks' length.
const BAR_TICK: u32 = 6;
/// The gap between the colour bar's widest tick label and its title.
const BAR_TITLE_GAP: u32 = 10;

/// How loss values map to background colours and contour levels.
#[derive(Debug, Clone, Copy)]
struct Scale {
    /// log10(L − shift) when set, else L itself.
    log_shift: Option<f64>,
    /// The mapped values at the bottom and top of the colormap.
    lo: f64,
    hi: f64,
}

impl Scale {
    /// The mapped value of a loss.
    fn z(&self, loss: f64) -> f64 {
        match self.log_shift {
            Some(shift) => (loss - shift).log10(),
            None => loss,
        }
    }

    /// Position of a loss on the colormap, in [0, 1] (NaN for NaN).
    fn t(&self, loss: f64) -> f64 {
        if loss.is_nan() {
            return f64::NAN;
        }
        if loss == f64::INFINITY {
            return 1.0;
        }
        let z = self.z(loss);
        if z.is_nan() {
            return 0.0;
        }
        ((z - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }
}

/// A polyline in data coordinates.
type Polyline = Vec<(f64, f64)>;

/// Everything the phase portrait draws, computed once and drawn for each format.
pub struct PhasePortrait<'a> {
    title: String,
    /// Legend placement and method labels.
    settings: &'a FigureSettings,
    /// The x and y axis descriptions.
    axes: (String, String),
    methods: &'a [MethodRun],
    x: (f64, f64),
    y: (f64, f64),
    /// True when the scenario fixed the frame: paths are drawn clipped to it, markers only inside it.
    fixed: bool,
    scale: Scale,
    /// Background shade index per cell, row-major from the bottom-left.
    fill: Vec<u16>,
    /// Cells per side of the background.
    fill_cells: usize,
    /// Contour levels with their polylines.
    contours: Vec<(f64, Vec<Polyline>)>,
    /// Direction field: position and ∇L there.
    field: Vec<((f64, f64), (f64, f64))>,
    /// Each method's thinned path (empty when it has no finite 2-D point).
    paths: Vec<Vec<(f64, f64)>>,
    /// Per path, where a diverged path leaves the frame (see [`crate::landscape::Sampled::exits`]).
    exits: Vec<Option<(f64, f64)>>,
    /// Known minima inside the figure.
    minima: Vec<(f64, f64)>,
    /// Compared pairs' points at matched times.
    matched: Vec<MatchedPoint>,
}

impl<'a> PhasePortrait<'a> {
    /// Prepares a sampled plane for drawing: thins the paths, picks the colour scale and shades, and
    /// traces the contour lines. `matched` are the compared pairs' points at matched times, in plane
    /// coordinates.
    pub fn new(
        title: String,
        settings: &'a FigureSettings,
        axes: (String, String),
        methods: &'a [MethodRun],
        sampled: Sampled,
        matched: &[MatchedPoint],
    ) -> Self {
        let Sampled {
            paths,
            exits,
            minima,
            x,
            y,
            fixed,
            grid,
            cells,
            cells_per_side,
            field,
        } = sampled;
        let in_frame = |p: (f64, f64)| (x.0..=x.1).contains(&p.0) && (y.0..=y.1).contains(&p.1);
        // In a frame the scenario fixed, a known minimum outside it is not drawn.
        let minima = minima.into_iter().filter(|&m| !fixed || in_frame(m)).collect();
        let matched: Vec<MatchedPoint> = matched
            .iter()
            // A diverged path is drawn only up to the frame: so are its matched-time markers.
            .filter(|m| in_frame(clamp_point(m.at_a)) && in_frame(clamp_point(m.at_b)))
            .map(|m| MatchedPoint {
                at_a: clamp_point(m.at_a),
                at_b: clamp_point(m.at_b),
                ..*m
            })
            .collect();
        let (xspan, yspan) = (x.1 - x.0, y.1 - y.0);
        let paths = paths
            .into_iter()
            .map(|p| decimate(p.into_iter(), (1.0 / xspan, 1.0 / yspan), 1e-3, MAX_LINE_POINTS))
            .collect();
        let (scale, contour_levels) = scale_and_levels(&grid.values);
        let contours = contour_levels
            .into_iter()
            .map(|level| (level, contour_lines(&grid, level)))
            .collect();
        drop(grid);
        let fill = cells
            .iter()
            .map(|&v| {
                let t = scale.t(v);
                if t.is_nan() {
                    u16::MAX
                } else {
                    (t * (SHADES - 1) as f64).round() as u16
                }
            })
            .collect();
        PhasePortrait {
            title,
            settings,
            axes,
            methods,
            x,
            y,
            fixed,
            scale,
            fill,
            fill_cells: cells_per_side,
            contours,
            field,
            paths,
            exits,
            minima,
            matched,
        }
    }

    /// Draws the figure onto `root`.
    pub fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(fail)?;
        // An empty title is none (the settings drew no titles).
        let area = if self.title.is_empty() {
            root.margin(6, 0, 0, 0)
        } else {
            root.titled(&self.title, text(TITLE_SIZE)).map_err(fail)?
        };
        let (w, _) = area.dim_in_pixel();
        let bar_labels = self.bar_label_area();
        let panel = BAR_MARGINS.0 + BAR_WIDTH + bar_labels + BAR_MARGINS.1;
        let (main, bar) = area.split_horizontally(w.saturating_sub(panel));
        let (x, y) = (self.x, self.y);
        let (labels, symbols, marks) = self.legend_parts();
        let request = legend::Request {
            labels: &labels,
            marks: &marks,
            placement: self.settings.legend,
            symbols: &symbols,
        };
        let spot = {
            let trial = self.chart(&main, y)?;
            // A band spans the landscape's width: no blank strip beside the legend above the map.
            legend::spanning(
                legend::choose(trial.plotting_area(), &request),
                trial.plotting_area(),
            )
        };
        // With the legend above the data the frame gains a band at the top; the landscape keeps its box.
        let frame_y = spot.y_range(y);
        let mut chart = self.chart(&main, frame_y)?;
        let desc = super::style::desc_style(&self.axes.0, &self.axes.1, chart.plotting_area().dim_in_pixel());
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(8)
            .x_desc(self.axes.0.as_str())
            .y_desc(self.axes.1.as_str())
            .axis_desc_style(desc)
            .label_style(text(TICK_SIZE))
            .x_label_formatter(&|v| fmt_tick(snap_zero(*v, x.1 - x.0)))
            .y_label_formatter(&|v| fmt_tick(snap_zero(*v, y.1 - y.0)))
            .set_all_tick_mark_size(6)
            .draw()
            .map_err(fail)?;

        // The filled landscape, as few rectangles as the shades allow.
        let cells = self.fill_cells;
        let (cw, ch) = ((x.1 - x.0) / cells as f64, (y.1 - y.0) / cells as f64);
        let edge = |r: (f64, f64), c: f64, k: usize| if k == cells { r.1 } else { r.0 + k as f64 * c };
        let rects = fill_blocks(&self.fill, cells).into_iter().map(|b| {
            let colour = if b.shade == u16::MAX {
                RGBColor(225, 225, 225)
            } else {
                colormap(b.shade as f64 / (SHADES - 1) as f64)
            };
            Rectangle::new(
                [
                    (edge(x, cw, b.i0), edge(y, ch, b.j1)),
                    (edge(x, cw, b.i1), edge(y, ch, b.j0)),
                ],
                colour.filled(),
            )
        });
        chart.draw_series(rects).map_err(fail)?;

        // Contour lines.
        let contour_style = CONTOUR.stroke_width(THIN_WIDTH);
        for (_, lines) in &self.contours {
            chart
                .draw_series(lines.iter().map(|l| PathElement::new(l.clone(), contour_style)))
                .map_err(fail)?;
        }

        // The −∇L direction field, arrows of one length in pixels.
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        let (sx, sy) = (pw as f64 / (x.1 - x.0), ph as f64 / (frame_y.1 - frame_y.0));
        let len = 0.55 * (pw.min(ph) as f64 / FIELD_ARROWS as f64);
        let (head_len, head_half) = (0.38 * len, 0.2 * len);
        let arrow_style = FIELD_GREY.mix(0.6);
        let mut shafts = Vec::new();
        let mut heads = Vec::new();
        for &(p, g) in &self.field {
            let (u, v) = (-g.0 * sx, -g.1 * sy);
            let n = u.hypot(v);
            if !(n.is_finite() && n > 0.0) {
                continue;
            }
            let (u, v) = (u / n, v / n);
            let to_data = |du: f64, dv: f64| (p.0 + du / sx, p.1 + dv / sy);
            let tail = to_data(-0.5 * len * u, -0.5 * len * v);
            let tip = to_data(0.5 * len * u, 0.5 * len * v);
            let base = (0.5 * len - head_len, 0.5 * len - 0.8 * head_len);
            shafts.push(PathElement::new(
                vec![tail, to_data(base.1 * u, base.1 * v)],
                arrow_style.stroke_width(THIN_WIDTH + 1),
            ));
            heads.push(Polygon::new(
                vec![
                    tip,
                    to_data(base.0 * u - head_half * v, base.0 * v + head_half * u),
                    to_data(base.0 * u + head_half * v, base.0 * v - head_half * u),
                ],
                arrow_style.filled(),
            ));
        }
        chart.draw_series(shafts).map_err(fail)?;
        chart.draw_series(heads).map_err(fail)?;

        // Trajectories: discrete solid (dots when few points), continuous dashed and drawn on top.
        let order = self
            .methods
            .iter()
            .enumerate()
            .filter(|(_, m)| m.discrete)
            .chain(self.methods.iter().enumerate().filter(|(_, m)| !m.discrete));
        for (k, m) in order {
            let path = &self.paths[k];
            let colour = series_color(k);
            // Pieces split at sharp turns: the bitmap backend's thick-line joins spike at hairpins.
            let pieces: Vec<Polyline> = self
                .drawn(k)
                .iter()
                .flat_map(|piece| split_at_turns(piece, (sx, sy)))
                .collect();
            if m.discrete {
                let style = colour.stroke_width(LINE_WIDTH);
                chart
                    .draw_series(pieces.iter().map(|p| PathElement::new(p.clone(), style)))
                    .map_err(fail)?;
                if path.len() < DOTS_BELOW && m.trajectory.len() < DOTS_BELOW {
                    chart
                        .draw_series(
                            path.iter()
                                .filter(|&&p| self.shown(p))
                                .map(|&p| Circle::new(p, 3, colour.filled())),
                        )
                        .map_err(fail)?;
                }
            } else {
                let style = colour.stroke_width(THICK_WIDTH);
                for piece in &pieces {
                    chart
                        .draw_series(DashedLineSeries::new(piece.iter().copied(), 12, 7, style))
                        .map_err(fail)?;
                }
            }
        }

        // Matched times: a thin segment between the two paths at each t_j, a small marker on each end.
        if !self.matched.is_empty() {
            let gap_style = BLACK.mix(0.55).stroke_width(THIN_WIDTH + 1);
            chart
                .draw_series(
                    self.matched
                        .iter()
                        .map(|m| PathElement::new(vec![m.at_a, m.at_b], gap_style)),
                )
                .map_err(fail)?;
            let dot = |p: (f64, f64), k: usize| {
                EmptyElement::at(p)
                    + Circle::new((0, 0), 4, series_color(k).filled())
                    + Circle::new((0, 0), 4, BLACK.stroke_width(1))
            };
            chart
                .draw_series(
                    self.matched
                        .iter()
                        .flat_map(|m| [dot(m.at_a, m.a), dot(m.at_b, m.b)]),
                )
                .map_err(fail)?;
        }

        // Known minima under the start and end markers (a marker on a minimum leaves the star's points
        // showing).
        if !self.minima.is_empty() {
            chart
                .draw_series(self.minima.iter().map(|&m| {
                    EmptyElement::at(m)
                        + Polygon::new(star(STAR_RADIUS + 2.5), WHITE.filled())
                        + Polygon::new(star(STAR_RADIUS), BLACK.filled())
                }))
                .map_err(fail)?;
        }

        // Start and end markers.
        let starts: Vec<_> = self
            .paths
            .iter()
            .enumerate()
            .filter_map(|(k, p)| p.first().filter(|&&s| self.shown(s)).map(|&s| (k, s)))
            .collect();
        let mut ends = Vec::new();
        let mut stops = Vec::new();
        let mut escapes = Vec::new();
        for (k, (m, p)) in self.methods.iter().zip(&self.paths).enumerate() {
            if let Some(&e) = p.last().filter(|&&e| self.shown(e)) {
                if self.exits.get(k).is_some_and(Option::is_some) && p.len() >= 2 {
                    escapes.push((k, p[p.len() - 2], e));
                } else if m.trajectory.termination.stopped_early() {
                    stops.push((k, e));
                } else {
                    ends.push((k, e));
                }
            }
        }
        if !starts.is_empty() {
            chart
                .draw_series(starts.iter().map(|&(k, s)| {
                    EmptyElement::at(s)
                        + Circle::new((0, 0), 7, series_color(k).filled())
                        + Circle::new((0, 0), 7, BLACK.stroke_width(1))
                }))
                .map_err(fail)?;
        }
        if !ends.is_empty() {
            chart
                .draw_series(ends.iter().map(|&(k, e)| {
                    let (a, b) = ((-SQUARE_HALF, -SQUARE_HALF), (SQUARE_HALF, SQUARE_HALF));
                    EmptyElement::at(e)
                        + Rectangle::new([a, b], series_color(k).filled())
                        + Rectangle::new([a, b], BLACK.stroke_width(1))
                }))
                .map_err(fail)?;
        }
        if !stops.is_empty() {
            chart
                .draw_series(stops.iter().map(|&(k, e)| {
                    EmptyElement::at(e)
                        + Cross::new((0, 0), 9, BLACK.stroke_width(5))
                        + Cross::new((0, 0), 9, series_color(k).stroke_width(3))
                }))
                .map_err(fail)?;
        }

        // A diverged path leaving the frame: an arrow where it leaves (its legend entry gives the step).
        for &(k, from, exit) in &escapes {
            let (du, dv) = ((exit.0 - from.0) * sx, -(exit.1 - from.1) * sy);
            let n = du.hypot(dv);
            let dir = if n > 0.0 { (du / n, dv / n) } else { (1.0, 0.0) };
            // Offsets from the exit point: the tip on the edge (the legend draws the same head).
            let head = arrow_head(dir);
            let tip = head[0];
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at(exit)
                        + Polygon::new(head.clone(), series_color(k).filled())
                        + PathElement::new(
                            head.into_iter().chain(std::iter::once(tip)).collect::<Vec<_>>(),
                            BLACK.stroke_width(1),
                        ),
                ))
                .map_err(fail)?;
        }

        legend::draw(&mut chart, spot, &request)?;

        self.colour_bar(&bar, bar_labels)
    }

    /// True when point `p` is drawn: always in a frame framed on the data, else only inside the frame.
    fn shown(&self, p: (f64, f64)) -> bool {
        !self.fixed || ((self.x.0..=self.x.1).contains(&p.0) && (self.y.0..=self.y.1).contains(&p.1))
    }

    /// Path `k` as drawn: itself, or its pieces inside a frame the scenario fixed.
    fn drawn(&self, k: usize) -> Vec<Polyline> {
        let path = &self.paths[k];
        if !self.fixed {
            return vec![path.clone()];
        }
        super::curves::clip(path, self.x, self.y)
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// The axes on `area` with the y range `y`, nothing drawn yet. The y ticks label the landscape's
    /// box only: a band the legend adds above it is no part of the plane (a `y_range` of 0.3..1.3 must
    /// not read as one up to 1.8).
    fn chart<'c, DB: DrawingBackend>(
        &self,
        area: &'c DrawingArea<DB, Shift>,
        y: (f64, f64),
    ) -> Result<ChartContext<'c, DB, Cartesian2d<RangedCoordf64, TickedAxis>>, String> {
        let x = self.x;
        let ticks = ensure_ticks(linear_ticks(self.y.0, self.y.1, 7), self.y.0, self.y.1);
        ChartBuilder::on(area)
            .margin_top(12)
            .margin_left(10)
            .margin_right(8)
            .margin_bottom(10)
            .x_label_area_size(62)
            .y_label_area_size(88)
            .build_cartesian_2d(x.0..x.1, TickedAxis::new(y.0, y.1, ticks, Vec::new()))
            .map_err(fail)
    }

    /// The legend's labels in the order `plot` draws their series, and what the legend must not cover:
    /// every path, the matched-time segments and markers, the minima.
    fn legend_parts(&self) -> (Vec<String>, Vec<Symbol>, Vec<Polyline>) {
        let mut labels = Vec::new();
        let mut symbols = Vec::new();
        let order = (self.methods.iter().enumerate())
            .filter(|(_, m)| m.discrete)
            .chain(self.methods.iter().enumerate().filter(|(_, m)| !m.discrete));
        for (k, m) in order {
            // A continuous path with no point in the frame draws no series, so it has no legend entry.
            if !m.discrete && self.drawn(k).iter().all(Vec::is_empty) {
                continue;
            }
            let escaped = self.exits.get(k).is_some_and(Option::is_some);
            let label = match &m.trajectory.termination {
                Termination::Diverged { step, .. } if escaped => {
                    format!("{} (diverged at step {step})", method_label(m, self.settings))
                }
                termination => match stop_note(termination, false) {
                    Some(note) => format!("{} ({note})", method_label(m, self.settings)),
                    None => method_label(m, self.settings),
                },
            };
            labels.push(label);
            // As `plot` draws the path: solid when discrete, dashed when continuous; an arrow when it
            // leaves the frame.
            let colour = series_color(k);
            symbols.push(match (escaped, m.discrete) {
                (true, true) => Symbol::Arrow(colour.stroke_width(LINE_WIDTH)),
                (true, false) => Symbol::Arrow(colour.stroke_width(THICK_WIDTH)),
                (false, true) => Symbol::Line(colour.stroke_width(LINE_WIDTH)),
                (false, false) => Symbol::Pattern(colour.stroke_width(THICK_WIDTH), 12, 7),
            });
        }
        if !self.matched.is_empty() {
            labels.push(format!("same time tⱼ ({MATCHED_TIMES} per pair)"));
            symbols.push(Symbol::Marker(Marker::Ring(4)));
        }
        match self.minima.len() {
            0 => {}
            1 => labels.push("known minimum".to_string()),
            _ => labels.push("known minima".to_string()),
        }
        if !self.minima.is_empty() {
            symbols.push(Symbol::Marker(Marker::Star));
        }
        let (mut starts, mut ends, mut stops) = (false, false, false);
        for (k, (m, p)) in self.methods.iter().zip(&self.paths).enumerate() {
            if p.is_empty() {
                continue;
            }
            starts |= p.first().is_some_and(|&s| self.shown(s));
            // An escaping path ends in an arrow, not a marker; an end outside a fixed frame in none.
            let escaped = self.exits.get(k).is_some_and(Option::is_some) && p.len() >= 2;
            if p.last().is_some_and(|&e| self.shown(e)) && !escaped {
                if m.trajectory.termination.stopped_early() {
                    stops = true;
                } else {
                    ends = true;
                }
            }
        }
        for (shown, label, marker) in [
            (starts, "start", Marker::Ring(7)),
            (ends, "end", Marker::Square),
            (stops, "stopped early", Marker::Cross),
        ] {
            if shown {
                labels.push(label.to_string());
                symbols.push(Symbol::Marker(marker));
            }
        }
        let mut marks: Vec<Polyline> = (0..self.paths.len()).flat_map(|k| self.drawn(k)).collect();
        marks.extend(self.matched.iter().map(|m| vec![m.at_a, m.at_b]));
        marks.extend(self.minima.iter().map(|&p| vec![p]));
        (labels, symbols, marks)
    }

    /// The colour bar's title: the loss above its minimum on a log scale, else the loss.
    fn bar_title(&self) -> &'static str {
        match self.scale.log_shift {
            Some(_) => "L − min L",
            None => "L",
        }
    }

    /// The colour bar's major and minor ticks and its major ticks' labels.
    fn bar_ticks(&self) -> (Vec<f64>, Vec<f64>, Vec<String>) {
        let s = self.scale;
        let (lo, hi) = (s.lo, s.hi);
        let (major, minor) = match s.log_shift {
            Some(_) => log_ticks(lo, hi),
            None => (linear_ticks(lo, hi, 7), Vec::new()),
        };
        let major = ensure_ticks(major, lo, hi);
        let names = major.iter().map(|v| self.bar_tick_label(*v)).collect();
        (major, minor, names)
    }

    /// A colour bar tick's label.
    fn bar_tick_label(&self, v: f64) -> String {
        match self.scale.log_shift {
            Some(_) => fmt_log_tick(v),
            None => fmt_tick(snap_zero(v, self.scale.hi - self.scale.lo)),
        }
    }

    /// The width of the colour bar's label area right of the bar: plotters puts the tick labels twice
    /// the tick mark's length from the bar and the title against the area's outer edge, so the area
    /// holds both side by side (measured in the figure's font: "5×10⁻²" ran into the title when the
    /// area was a fixed 100 units).
    fn bar_label_area(&self) -> u32 {
        let (_, _, names) = self.bar_ticks();
        let measure = |t: &str, size: f64| text(size).font.box_size(t).unwrap_or((0, 0));
        let widest = names.iter().map(|n| measure(n, TICK_SIZE).0).max().unwrap_or(0);
        let title = measure(self.bar_title(), LABEL_SIZE).1;
        2 * BAR_TICK + widest + BAR_TITLE_GAP + title
    }

    /// The colour bar at the right: the colormap against loss, with the contour levels marked;
    /// `label_area` is [`Self::bar_label_area`].
    fn colour_bar<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        label_area: u32,
    ) -> Result<(), String> {
        let s = self.scale;
        let (lo, hi) = (s.lo, s.hi);
        let (major, minor, _) = self.bar_ticks();
        let mut chart = ChartBuilder::on(area)
            .margin_top(12)
            .margin_bottom(10 + 62)
            .margin_left(BAR_MARGINS.0)
            .margin_right(BAR_MARGINS.1)
            .set_label_area_size(LabelAreaPosition::Right, label_area)
            .build_cartesian_2d(0f64..1f64, TickedAxis::new(lo, hi, major, minor))
            .map_err(fail)?;
        let label = |v: &f64| self.bar_tick_label(*v);
        let desc = self.bar_title();
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc(desc)
            .axis_desc_style(text(LABEL_SIZE))
            .label_style(text(TICK_SIZE))
            .y_label_formatter(&label)
            .set_all_tick_mark_size(BAR_TICK as i32)
            .draw()
            .map_err(fail)?;
        let n = 128;
        chart
            .draw_series((0..n).map(|k| {
                let a = lo + (hi - lo) * k as f64 / n as f64;
                let b = lo + (hi - lo) * (k + 1) as f64 / n as f64;
                Rectangle::new(
                    [(0.0, b), (1.0, a)],
                    colormap((k as f64 + 0.5) / n as f64).filled(),
                )
            }))
            .map_err(fail)?;
        chart
            .draw_series(self.contours.iter().filter_map(|&(level, _)| {
                let z = s.z(level);
                (z > lo && z < hi).then(|| PathElement::new(vec![(0.0, z), (1.0, z)], CONTOUR))
            }))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, hi), (1.0, lo)],
                BLACK.stroke_width(1),
            )))
            .map_err(fail)?;
        Ok(())
    }
}

/// A block of background cells of one shade: columns `i0..i1`, rows `j0..j1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    i0: usize,
    i1: usize,
    j0: usize,
    j1: usize,
    shade: u16,
}

/// Covers an `n` × `n` row-major grid of shades with blocks: runs of one shade within a row, each
/// extended upwards while the rows above repeat the same run (keeps SVG output small).
fn fill_blocks(fill: &[u16], n: usize) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    // Blocks still open at the previous row, keyed by (i0, i1, shade).
    let mut open: std::collections::HashMap<(usize, usize, u16), usize> = std::collections::HashMap::new();
    let mut next_open = std::collections::HashMap::new();
    for (j, row) in fill.chunks_exact(n).enumerate() {
        let mut i = 0;
        while i < n {
            let shade = row[i];
            let mut k = i + 1;
            while k < n && row[k] == shade {
                k += 1;
            }
            let key = (i, k, shade);
            let b = match open.get(&key) {
                Some(&b) => {
                    blocks[b].j1 = j + 1;
                    b
                }
                None => {
                    blocks.push(Block {
                        i0: i,
                        i1: k,
                        j0: j,
                        j1: j + 1,
                        shade,
                    });
                    blocks.len() - 1
                }
            };
            next_open.insert(key, b);
            i = k;
        }
        std::mem::swap(&mut open, &mut next_open);
        next_open.clear();
    }
    blocks
}

/// The colour scale for the sampled losses and the contour levels: log10(L − L_min + tiny) when the losses
/// span more than two decades above their minimum, else linear.
fn scale_and_levels(values: &[f64]) -> (Scale, Vec<f64>) {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let flat = |v: f64| Scale {
        log_shift: None,
        lo: v - 1.0,
        hi: v + 1.0,
    };
    if finite.is_empty() {
        return (flat(0.0), Vec::new());
    }
    finite.sort_unstable_by(f64::total_cmp);
    let n = finite.len();
    let q = |p: f64| finite[((n - 1) as f64 * p).round() as usize];
    let (min, max) = (finite[0], finite[n - 1]);
    let spread = max - min;
    if !(spread > 0.0 && spread.is_finite()) {
        return (flat(min), Vec::new());
    }
    let s10 = q(0.10) - min;
    // Most of the grid at the minimum (s10 = 0) also calls for log.
    let log = s10 <= 0.0 || spread / s10 > 40.0;
    let (q01, q98) = (q(0.01), q(0.98));
    if log {
        let first_above = finite.iter().copied().find(|&v| v > min).unwrap_or(max);
        let tiny = 0.5 * (first_above - min);
        let shift = min - tiny;
        let scale = Scale {
            log_shift: Some(shift),
            lo: (q01.max(first_above) - shift).log10(),
            hi: (max - shift).log10(),
        };
        if scale.lo.is_finite() && scale.hi.is_finite() && scale.hi > scale.lo {
            let top = if q98 > q01 { q98 } else { max };
            return (
                scale,
                levels(q01.max(first_above), top, CONTOUR_LEVELS, Some(shift)),
            );
        }
    }
    let scale = Scale {
        log_shift: None,
        lo: min,
        hi: max,
    };
    let top = if q98 > min { q98 } else { max };
    (scale, levels(min, top, CONTOUR_LEVELS, None))
}

/// Turns a plotters error into a message.
fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_blocks_cover_every_cell_once() {
        let n = 7;
        let fill: Vec<u16> = (0..n * n).map(|c| ((c % n) / 3 + (c / n) / 4) as u16).collect();
        let blocks = fill_blocks(&fill, n);
        let mut seen = vec![0; n * n];
        for b in &blocks {
            for j in b.j0..b.j1 {
                for i in b.i0..b.i1 {
                    seen[j * n + i] += 1;
                    assert_eq!(fill[j * n + i], b.shade);
                }
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
        assert!(blocks.len() < n * n / 3);
    }

    #[test]
    fn scale_picks_log_for_wide_spreads() {
        let wide: Vec<f64> = (0..1000).map(|k| 10f64.powf(k as f64 / 100.0 - 5.0)).collect();
        let (s, lv) = scale_and_levels(&wide);
        assert!(s.log_shift.is_some());
        assert_eq!(lv.len(), CONTOUR_LEVELS);
        let narrow: Vec<f64> = (0..1000).map(|k| 1.0 + k as f64 / 1000.0).collect();
        let (s, lv) = scale_and_levels(&narrow);
        assert!(s.log_shift.is_none());
        assert_eq!(lv.len(), CONTOUR_LEVELS);
        let (s, lv) = scale_and_levels(&[f64::NAN, 2.0, 2.0]);
        assert!(lv.is_empty() && s.hi > s.lo);
        let (_, lv) = scale_and_levels(&[]);
        assert!(lv.is_empty());
        assert_eq!(s.t(f64::INFINITY), 1.0);
    }
}
