//! Where a figure's legend goes: measured on the computed layout, never on top of data.
//!
//! A figure lists its legend labels and the data it draws (polylines and markers, in data coordinates)
//! before it builds its chart. [`choose`] maps the data onto a trial chart's plot area in backend
//! coordinates, and takes the first corner (upper right, upper left, lower left, lower right) whose
//! legend box no drawn segment or marker touches; when every corner is touched, the legend goes above the
//! data, into a band the figure's y axis gains at the top ([`Spot::y_range`]), in as many columns as
//! fit, else in rows of entries as wide as their labels. `[output] legend` overrides the choice.
//! Symbols ([`Symbol`]) are drawn as the figure draws its series and markers, a phase portrait's too.
//!
//! [`draw`] draws the legend where [`choose`] put it and, while [`record`] runs, records the layout (plot
//! area, legend box, data in backend coordinates) so tests check placement on the layout, not on pixels.

use super::style::{text, LEGEND_SIZE};
use crate::outspec::LegendPlacement;
use plotters::coord::CoordTranslate;
use plotters::element::{DashedPathElement, MultiLineText};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::cell::RefCell;

/// Padding around each drawn segment or marker (canvas units): covers line widths and marker radii
/// (a lone point, a marker, gets the star's halo radius, 12.5 units: see [`covers`]).
const PAD: i32 = 10;
/// The legend's symbol column (plotters' `legend_area_size`).
const SYMBOL_COLUMN: i32 = 40;
/// The legend's inner margin.
const MARGIN: i32 = 12;
/// The gap between the plot area's edge and an inside legend (plotters' own corner offset).
const INSET: i32 = 5;

/// A rectangle in backend coordinates: `(x0, y0, x1, y1)`, y downwards.
pub type Rect = (i32, i32, i32, i32);

/// What a figure's legend holds and what it must not cover.
#[derive(Clone, Copy)]
pub struct Request<'r> {
    /// The legend's labels, one per legend entry, in the order the series are drawn.
    pub labels: &'r [String],
    /// Everything drawn as data, in data coordinates: polylines (consecutive points are joined) and
    /// markers (a polyline of one point).
    pub marks: &'r [Vec<(f64, f64)>],
    /// The scenario's `[output] legend`.
    pub placement: LegendPlacement,
    /// Each entry's symbol, one per label, when the figure can say them: then a legend above the data is
    /// laid out in as many columns as the plot's width holds ([`grid_size`]), or in flowed rows when
    /// no two columns fit, and every legend is drawn with them ([`draw_grid`]); empty, it stays one
    /// column (plotters draws the series' own symbols).
    pub symbols: &'r [Symbol],
}

/// Where the legend goes, decided on the trial layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spot {
    /// No legend (no labels, or `legend = "none"`).
    Hidden,
    /// Inside the plot area, at this box (backend coordinates).
    Inside(Rect),
    /// In a band the y axis gains above the data: the axis is stretched by `stretch` (its span times
    /// `stretch`, the bottom kept), and the legend sits at `rect` in that band.
    Above {
        /// The legend box (backend coordinates).
        rect: Rect,
        /// The factor the y span grows by.
        stretch: f64,
        /// The legend's columns (filled column by column; 1: plotters' own list, or a request's
        /// symbols in one column).
        columns: usize,
        /// True when no two columns fit and the entries flow into rows instead, each as wide as
        /// its own label (short entries, a portrait's markers, share a row).
        flowed: bool,
    },
}

impl Spot {
    /// The y axis range `lo..hi` (in the axis's drawn units: log10 values on a log axis) the final chart
    /// is built with: as it was, or stretched upwards to make room above the data.
    pub fn y_range(&self, (lo, hi): (f64, f64)) -> (f64, f64) {
        match *self {
            Spot::Above { stretch, .. } => (lo, lo + (hi - lo) * stretch),
            Spot::Hidden | Spot::Inside(_) => (lo, hi),
        }
    }

    /// The legend's columns: more than one only above the data, for a request with symbols (1 too
    /// when its entries flow into rows).
    pub fn columns(&self) -> usize {
        match *self {
            Spot::Above { columns, .. } => columns,
            Spot::Hidden | Spot::Inside(_) => 1,
        }
    }

    /// The legend box in backend coordinates, `None` when hidden.
    pub fn rect(&self) -> Option<Rect> {
        match *self {
            Spot::Hidden => None,
            Spot::Inside(r) | Spot::Above { rect: r, .. } => Some(r),
        }
    }
}

/// The legend box's size in canvas units for these labels: exactly what plotters draws (its text block
/// in [`LEGEND_SIZE`], a symbol column and a margin all round).
pub fn box_size(labels: &[String]) -> (i32, i32) {
    let font = text(LEGEND_SIZE);
    let mut block = MultiLineText::<(i32, i32), &str>::new((0, 0), &font);
    for l in labels {
        block.push_line(l.as_str());
    }
    // A font that cannot measure (never with the embedded font) gets a generous estimate.
    let (w, h) = block.estimate_dimension().unwrap_or_else(|_| {
        let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        (
            (widest as f64 * 0.62 * LEGEND_SIZE) as i32,
            (labels.len() as f64 * 1.25 * LEGEND_SIZE) as i32,
        )
    });
    (w + SYMBOL_COLUMN + 2 * MARGIN, h + 2 * MARGIN)
}

/// The gap between two columns of a [`grid_size`] legend.
const COLUMN_GAP: i32 = 14;

/// The width of `label` in the legend's font.
fn label_width(label: &str) -> i32 {
    box_size(&[label.to_string()]).0 - SYMBOL_COLUMN - 2 * MARGIN
}

/// The height of one legend line (plotters' multi-line text: the font's size times 1.25).
fn line_height() -> i32 {
    (LEGEND_SIZE * 1.25).round() as i32
}

/// The rows of a legend of `n` entries in at most `columns` columns.
fn rows(n: usize, columns: usize) -> usize {
    n.div_ceil(columns.max(1)).max(1)
}

/// `label` broken at spaces into lines of at most `room` canvas units each (a word wider than `room`
/// keeps a line of its own): a one-column legend's entry wider than its plot.
fn wrap(label: &str, room: i32) -> Vec<String> {
    if label_width(label) <= room {
        return vec![label.to_string()];
    }
    // An equation ("t = 0.01") stays on one line: its spaces are not breaks.
    const KEEP: char = '\u{0}';
    let glued = label.replace(" = ", &format!("{KEEP}={KEEP}"));
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in glued.split(' ').map(|w| w.replace(KEEP, " ")) {
        let longer = if line.is_empty() {
            word.clone()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || label_width(&longer) <= room {
            line = longer;
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    lines.push(line);
    lines
}

/// One legend entry as laid out: where its symbol starts and its text's lines.
struct Cell {
    /// The entry's left edge, from the box's inner (margin) edge.
    x: i32,
    /// The entry's first line, counted in lines from the box's inner top.
    line: usize,
    /// The entry's lines: one, unless it is wider than the plot and was wrapped.
    lines: Vec<String>,
}

/// A legend's entries laid out in its box: each entry's place, and the box's size.
struct Grid {
    /// The entries, in order.
    cells: Vec<Cell>,
    /// The box's size, margins included.
    size: (i32, i32),
}

impl Grid {
    /// The layout of `labels` in at most `columns` columns filled column by column (so that a series
    /// of values reads down each column in order); a one-column legend wraps entries wider than
    /// `width` canvas units (its box, margins included) when `width` is given.
    fn new(labels: &[String], columns: usize, width: Option<i32>) -> Grid {
        let room = match (columns, width) {
            (1, Some(w)) => w - 2 * MARGIN - SYMBOL_COLUMN,
            _ => i32::MAX,
        };
        let lines: Vec<Vec<String>> = labels.iter().map(|l| wrap(l, room)).collect();
        let rows = rows(labels.len(), columns);
        let mut widths = vec![0; labels.len().div_ceil(rows)];
        let mut row_lines = vec![1; rows];
        for (i, entry) in lines.iter().enumerate() {
            let w = &mut widths[i / rows];
            *w = (*w).max(SYMBOL_COLUMN + text_width(entry));
            row_lines[i % rows] = row_lines[i % rows].max(entry.len());
        }
        let cells = lines
            .into_iter()
            .enumerate()
            .map(|(i, lines)| {
                let (row, col) = (i % rows, i / rows);
                Cell {
                    x: widths[..col].iter().sum::<i32>() + COLUMN_GAP * col as i32,
                    line: row_lines[..row].iter().sum(),
                    lines,
                }
            })
            .collect();
        let w = widths.iter().sum::<i32>() + COLUMN_GAP * (widths.len() as i32 - 1).max(0);
        let h = row_lines.iter().sum::<usize>() as i32 * line_height();
        Grid {
            cells,
            size: (w + 2 * MARGIN, h + 2 * MARGIN),
        }
    }

    /// The layout of `labels` flowed into rows within `width` canvas units (margins included): each
    /// entry as wide as its own label, in the first row that still has room for it (a new row when
    /// none has), so that short entries (a portrait's markers) fill the rows long ones leave; an entry
    /// wider than the width alone is wrapped. For a band where two columns of the widest entries do
    /// not fit.
    fn flow(labels: &[String], width: i32) -> Grid {
        let room = width - 2 * MARGIN;
        // Per row: where its entries end, its first line and its height in lines.
        let mut rows: Vec<(i32, usize, usize)> = Vec::new();
        let mut cells = Vec::with_capacity(labels.len());
        for label in labels {
            let lines = wrap(label, room - SYMBOL_COLUMN);
            let w = SYMBOL_COLUMN + text_width(&lines);
            let fits = |&&(end, _, _): &&(i32, usize, usize)| end + COLUMN_GAP + w <= room;
            let (x, line) = match rows.iter().position(|r| lines.len() == 1 && fits(&r)) {
                Some(r) => {
                    let row = &mut rows[r];
                    let x = row.0 + COLUMN_GAP;
                    row.0 = x + w;
                    (x, row.1)
                }
                None => {
                    let line = rows.last().map_or(0, |r| r.1 + r.2);
                    rows.push((w, line, lines.len()));
                    (0, line)
                }
            };
            cells.push(Cell { x, line, lines });
        }
        let widest = rows.iter().map(|r| r.0).max().unwrap_or(0);
        let h = rows.last().map_or(0, |r| r.1 + r.2) as i32 * line_height();
        Grid {
            cells,
            size: (widest + 2 * MARGIN, h + 2 * MARGIN),
        }
    }
}

/// The widest of `lines` in the legend's font.
fn text_width(lines: &[String]) -> i32 {
    lines.iter().map(|l| label_width(l)).max().unwrap_or(0)
}

/// The size of a legend of `labels` laid out column by column in at most `columns` columns (for a band
/// above the data, where one column of many entries would take a large share of a small figure's
/// height).
pub fn grid_size(labels: &[String], columns: usize) -> (i32, i32) {
    Grid::new(labels, columns, None).size
}

/// The most columns (up to one per label) a [`grid_size`] legend of `labels` may have and stay within
/// `width` canvas units.
pub fn columns_within(labels: &[String], width: i32) -> usize {
    (1..=labels.len().max(1))
        .rev()
        .find(|&c| grid_size(labels, c).0 <= width)
        .unwrap_or(1)
}

/// The size of a one-column legend of `labels` no wider than `width` canvas units where wrapping its
/// entries at spaces allows: a label as wide as the plot keeps its symbol.
pub fn column_size_within(labels: &[String], width: i32) -> (i32, i32) {
    Grid::new(labels, 1, Some(width)).size
}

/// How a legend entry of a [`draw_grid`] legend is drawn.
#[derive(Debug, Clone, Copy)]
pub enum Symbol {
    /// A line in this style.
    Line(ShapeStyle),
    /// A dashed line in this style.
    Dashed(ShapeStyle),
    /// A line of `dash`-unit dashes and `gap`-unit gaps in this style (dotted: short dashes).
    Pattern(ShapeStyle, u32, u32),
    /// A filled patch in this style.
    Patch(ShapeStyle),
    /// A marker of a phase portrait, drawn as the portrait draws it (the legend's copy in white where
    /// the portrait fills it with the series' colour).
    Marker(Marker),
    /// A line in this style ending in the arrowhead a portrait draws where a diverged path leaves its
    /// frame.
    Arrow(ShapeStyle),
}

/// The markers a phase portrait draws, each with its own legend entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A circle of this radius in a black ring (starts: 7; matched times: 4).
    Ring(i32),
    /// The known minima's black star.
    Star,
    /// The end's square in a black outline.
    Square,
    /// The early stop's cross.
    Cross,
}

/// The outer radius of the known minima's star (its white halo in the plot is 2.5 units wider).
pub const STAR_RADIUS: f64 = 10.0;
/// Half the side of the end's square.
pub const SQUARE_HALF: i32 = 6;
/// The length of an escaping path's arrowhead, and half its width.
pub const ARROW_HEAD: (f64, f64) = (22.0, 9.0);

/// A five-pointed star of outer radius `r` units around the origin (offsets, y down): the known minima.
pub fn star(r: f64) -> Vec<(i32, i32)> {
    (0..10)
        .map(|k| {
            let radius = if k % 2 == 0 { r } else { 0.42 * r };
            let a = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
            (
                (radius * a.cos()).round() as i32,
                (radius * a.sin()).round() as i32,
            )
        })
        .collect()
}

/// The arrowhead of a path leaving the frame along `(u, v)` (a unit vector, y down), its tip at the
/// origin: offsets of the tip and the two base corners.
pub fn arrow_head((u, v): (f64, f64)) -> Vec<(i32, i32)> {
    let at = |along: f64, across: f64| ((along * u - across * v) as i32, (along * v + across * u) as i32);
    let (len, half) = ARROW_HEAD;
    vec![at(0.0, 0.0), at(-len, half), at(-len, -half)]
}

/// The plot area of a chart in backend coordinates.
fn plot_rect<DB: DrawingBackend, CT: CoordTranslate>(plot: &DrawingArea<DB, CT>) -> Rect {
    let (xs, ys) = plot.get_pixel_range();
    (xs.start, ys.start, xs.end, ys.end)
}

/// The data of `request` in backend coordinates on the chart whose plot area is `plot`.
fn backend_marks<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    plot: &DrawingArea<DB, CT>,
    marks: &[Vec<(f64, f64)>],
) -> Vec<Vec<(i32, i32)>> {
    marks
        .iter()
        .map(|m| {
            m.iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .map(|p| plot.map_coordinate(p))
                .collect()
        })
        .collect()
}

/// `r` with `by` units added on every side.
pub fn grown(r: Rect, by: i32) -> Rect {
    (r.0 - by, r.1 - by, r.2 + by, r.3 + by)
}

/// Whether the segment `a`–`b` (a point when equal), clipped to `clip`, touches `r` grown by [`PAD`].
pub fn segment_touches(a: (i32, i32), b: (i32, i32), r: Rect, clip: Rect) -> bool {
    let pad_clip = grown(clip, PAD);
    let grown = grown(r, PAD);
    // The part of the segment inside both the (padded) plot area and the grown box: Liang–Barsky on
    // the intersection of the two rectangles.
    let lo = (grown.0.max(pad_clip.0) as f64, grown.1.max(pad_clip.1) as f64);
    let hi = (grown.2.min(pad_clip.2) as f64, grown.3.min(pad_clip.3) as f64);
    if lo.0 > hi.0 || lo.1 > hi.1 {
        return false;
    }
    let (x0, y0) = (a.0 as f64, a.1 as f64);
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, x0 - lo.0),
        (dx, hi.0 - x0),
        (-dy, y0 - lo.1),
        (dy, hi.1 - y0),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// Whether any drawn segment or marker of `marks` touches `r` (parts outside `clip` are not drawn).
pub fn covers(marks: &[Vec<(i32, i32)>], r: Rect, clip: Rect) -> bool {
    marks.iter().any(|m| match m.as_slice() {
        [] => false,
        // A lone point is a marker: the largest, the known minimum's star with its halo, reaches
        // STAR_RADIUS + 2.5 units from its point, past PAD.
        [p] => {
            let grow = (STAR_RADIUS + 2.5).ceil() as i32 - PAD;
            segment_touches(*p, *p, grown(r, grow), clip)
        }
        many => many.windows(2).any(|w| segment_touches(w[0], w[1], r, clip)),
    })
}

/// Chooses the legend's place on `trial`, the plot area of a chart built with the figure's own axes
/// (dropped afterwards; the final chart differs from it at most by [`Spot::y_range`]): the one rule of
/// every figure. A one-column box in the first corner it covers no data in; else above the data, in as
/// many columns as the plot's width holds when the request gives its symbols (a band of rows rather than
/// a line per entry, which on a small figure took half the plot).
pub fn choose<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    trial: &DrawingArea<DB, CT>,
    request: &Request,
) -> Spot {
    // A request that says its symbols is drawn by [`draw_grid`] wherever it goes: its one-column
    // box is the grid's, its entries wrapped to the plot's width when wider.
    let gridded = request.symbols.len() == request.labels.len() && !request.labels.is_empty();
    if !gridded {
        return choose_sized(trial, request, box_size(request.labels));
    }
    let plot = plot_rect(trial);
    let room = plot.2 - plot.0 - 2 * INSET;
    let one = column_size_within(request.labels, room);
    let spot = choose_sized(trial, request, one);
    if !matches!(spot, Spot::Above { .. }) || request.labels.len() < 2 {
        return spot;
    }
    let above = Request {
        placement: LegendPlacement::Outside,
        ..*request
    };
    let columns = columns_within(request.labels, room);
    let (size, flowed) = if columns > 1 {
        (grid_size(request.labels, columns), false)
    } else {
        // No two columns fit: rows of entries as wide as their labels, when that saves rows.
        let flow = Grid::flow(request.labels, room).size;
        if flow.1 >= one.1 {
            return spot;
        }
        (flow, true)
    };
    match choose_sized(trial, &above, size) {
        Spot::Above { rect, stretch, .. } => Spot::Above {
            rect,
            stretch,
            columns,
            flowed,
        },
        other => other,
    }
}

/// `spot` with a band legend ([`Spot::Above`]) widened to the width of `trial`'s plot area (less the
/// insets): for a figure whose band would otherwise leave blank strips beside the legend over a filled
/// background (a phase portrait's landscape); its entries are centred in the box.
pub fn spanning<DB: DrawingBackend, CT: CoordTranslate>(spot: Spot, trial: &DrawingArea<DB, CT>) -> Spot {
    let plot = plot_rect(trial);
    match spot {
        Spot::Above {
            rect,
            stretch,
            columns,
            flowed,
        } => Spot::Above {
            rect: (
                rect.0.min(plot.0 + INSET),
                rect.1,
                rect.2.max(plot.2 - INSET),
                rect.3,
            ),
            stretch,
            columns,
            flowed,
        },
        other => other,
    }
}

/// [`choose`] for a legend box of `(w, h)` canvas units (a [`grid_size`] legend's).
pub fn choose_sized<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    trial: &DrawingArea<DB, CT>,
    request: &Request,
    (w, h): (i32, i32),
) -> Spot {
    if request.labels.is_empty() || request.placement == LegendPlacement::None {
        return Spot::Hidden;
    }
    let plot = plot_rect(trial);
    let corner = |c: LegendPlacement| -> Rect {
        let x0 = match c {
            LegendPlacement::UpperLeft | LegendPlacement::LowerLeft => plot.0 + INSET,
            _ => plot.2 - w - INSET,
        };
        let y0 = match c {
            LegendPlacement::LowerLeft | LegendPlacement::LowerRight => plot.3 - h - INSET,
            _ => plot.1 + INSET,
        };
        (x0, y0, x0 + w, y0 + h)
    };
    // Outside the data: a band above it, as high as the legend and its insets, made by stretching the
    // y axis (plotters clips a chart's legend to its plot area, so the band is part of that area).
    let above = || {
        let ph = (plot.3 - plot.1).max(1) as f64;
        // The legend, its insets and [`PAD`] below it: data reaching the old top of the plot area stays
        // clear of the legend by as much as anywhere else.
        let band = (h + 2 * INSET + PAD) as f64;
        // A legend taller than 3/4 of the plot would leave too little for the data: it gets 1/4.
        let stretch = ph / (ph - band).max(0.25 * ph);
        let x0 = plot.2 - w - INSET;
        Spot::Above {
            rect: (x0, plot.1 + INSET, x0 + w, plot.1 + INSET + h),
            stretch,
            columns: 1,
            flowed: false,
        }
    };
    match request.placement {
        LegendPlacement::None => Spot::Hidden,
        LegendPlacement::Outside => above(),
        c @ (LegendPlacement::UpperRight
        | LegendPlacement::UpperLeft
        | LegendPlacement::LowerLeft
        | LegendPlacement::LowerRight) => Spot::Inside(corner(c)),
        LegendPlacement::Auto => {
            let marks = backend_marks(trial, request.marks);
            let fits = |r: Rect| r.0 >= plot.0 && r.1 >= plot.1 && r.2 <= plot.2 && r.3 <= plot.3;
            [
                LegendPlacement::UpperRight,
                LegendPlacement::UpperLeft,
                LegendPlacement::LowerLeft,
                LegendPlacement::LowerRight,
            ]
            .into_iter()
            .map(corner)
            .find(|&r| fits(r) && !covers(&marks, r, plot))
            .map_or_else(above, Spot::Inside)
        }
    }
}

/// A legend as laid out: what tests check (see [`record`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LegendLayout {
    /// The plot area, backend coordinates.
    pub plot: Rect,
    /// The legend box, `None` when the figure drew no legend.
    pub legend: Option<Rect>,
    /// The data the legend must not cover, in backend coordinates (polylines and markers).
    pub marks: Vec<Vec<(i32, i32)>>,
    /// The legend's labels.
    pub labels: Vec<String>,
    /// Each entry as drawn with the request's symbols ([`draw_grid`]); empty when plotters drew its
    /// own list.
    pub entries: Vec<EntryLayout>,
}

/// One legend entry as drawn: its symbol's and its text's boxes, backend coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryLayout {
    /// The symbol column's box (the drawn symbol lies inside it).
    pub symbol: Rect,
    /// The text's box: its lines' widths in the legend's font and their line heights.
    pub text: Rect,
}

thread_local! {
    /// The layouts drawn on this thread while [`record`] runs.
    static RECORDED: RefCell<Option<Vec<LegendLayout>>> = const { RefCell::new(None) };
}

/// Runs `f` and returns what it returned with every legend layout drawn on this thread meanwhile.
pub fn record<T>(f: impl FnOnce() -> T) -> (T, Vec<LegendLayout>) {
    let before = RECORDED.with(|r| r.borrow_mut().replace(Vec::new()));
    let out = f();
    let layouts = RECORDED.with(|r| std::mem::replace(&mut *r.borrow_mut(), before));
    (out, layouts.unwrap_or_default())
}

/// The plot's and the legend's rectangles of a legend about to be drawn at `spot`, recorded for the
/// layout tests when they are listening.
fn note_layout<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    area: &DrawingArea<DB, CT>,
    spot: Spot,
    request: &Request,
    entries: Vec<EntryLayout>,
) -> (Rect, Option<Rect>) {
    let (plot, rect) = (plot_rect(area), spot.rect());
    RECORDED.with(|r| {
        if let Some(list) = r.borrow_mut().as_mut() {
            list.push(LegendLayout {
                plot,
                legend: rect,
                marks: backend_marks(area, request.marks),
                labels: request.labels.to_vec(),
                entries,
            });
        }
    });
    (plot, rect)
}

/// Draws the legend of `chart` at `spot` (chosen by [`choose`], the chart built with
/// [`Spot::y_range`]), in the shared style: with the request's symbols when it gives them
/// ([`draw_grid`]), else plotters' list of the series' own symbols.
pub fn draw<'a, DB: DrawingBackend + 'a, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'a, DB, CT>,
    spot: Spot,
    request: &Request,
) -> Result<(), String> {
    // With its symbols, the figure's legend is drawn with them, in one column too (plotters' list
    // would draw a series' own symbol, which such a figure does not give, and no wrapped entry).
    if request.symbols.len() == request.labels.len() && !request.labels.is_empty() {
        return draw_grid(chart, spot, request, request.symbols, spot.columns());
    }
    let (plot, rect) = note_layout(chart.plotting_area(), spot, request, Vec::new());
    let Some(rect) = rect else { return Ok(()) };
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::Coordinate(rect.0 - plot.0, rect.1 - plot.1))
        .margin(MARGIN)
        .legend_area_size(SYMBOL_COLUMN)
        .label_font(text(LEGEND_SIZE))
        .background_style(WHITE.mix(0.92))
        .border_style(BLACK.stroke_width(1))
        .draw()
        .map_err(|e| e.to_string())
}

/// Draws a legend of `request`'s labels with `symbols` in at most `columns` columns (filled column by
/// column) at `spot`
/// (chosen with [`choose_sized`] for [`grid_size`]), in the shared style; recorded like [`draw`].
pub fn draw_grid<'a, DB: DrawingBackend + 'a, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'a, DB, CT>,
    spot: Spot,
    request: &Request,
    symbols: &[Symbol],
    columns: usize,
) -> Result<(), String> {
    let area = chart.plotting_area();
    let (plot, rect) = (plot_rect(area), spot.rect());
    // The layout [`choose`] measured the box for, on the same plot width.
    let room = plot.2 - plot.0 - 2 * INSET;
    let grid = match spot {
        Spot::Above { flowed: true, .. } => Grid::flow(request.labels, room),
        _ => Grid::new(request.labels, columns, Some(room)),
    };
    let lh = line_height();
    // A box wider than its entries (see [`spanning`]) centres them.
    let centre = rect.map_or(0, |r| ((r.2 - r.0) - grid.size.0).max(0) / 2);
    // Each entry's symbol column and text, backend coordinates: the symbol centred on the first line.
    let entries: Vec<EntryLayout> = match rect {
        None => Vec::new(),
        Some(rect) => (grid.cells.iter().zip(symbols))
            .map(|(cell, _)| {
                let x = rect.0 + centre + MARGIN + cell.x;
                let y = rect.1 + MARGIN + cell.line as i32 * lh;
                let w = text_width(&cell.lines);
                EntryLayout {
                    symbol: (x, y, x + SYMBOL_COLUMN, y + lh),
                    text: (
                        x + SYMBOL_COLUMN,
                        y,
                        x + SYMBOL_COLUMN + w,
                        y + cell.lines.len() as i32 * lh,
                    ),
                }
            })
            .collect(),
    };
    note_layout(area, spot, request, entries.clone());
    let Some(rect) = rect else { return Ok(()) };
    let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    // Drawn in the plot area's own pixels (its origin at its top-left corner).
    let px = area.strip_coord_spec();
    let at = |x: i32, y: i32| (x - plot.0, y - plot.1);
    px.draw(&Rectangle::new(
        [at(rect.0, rect.1), at(rect.2, rect.3)],
        WHITE.mix(0.92).filled(),
    ))
    .map_err(fail)?;
    px.draw(&Rectangle::new(
        [at(rect.0, rect.1), at(rect.2, rect.3)],
        BLACK.stroke_width(1),
    ))
    .map_err(fail)?;
    let font = text(LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for ((cell, entry), symbol) in grid.cells.iter().zip(&entries).zip(symbols) {
        let (sx, sy) = at(entry.symbol.0, entry.symbol.1 + lh / 2);
        draw_symbol(&px, *symbol, (sx, sy)).map_err(fail)?;
        for (k, line) in cell.lines.iter().enumerate() {
            let ty = sy + k as i32 * lh;
            px.draw(&Text::new(line.clone(), (sx + SYMBOL_COLUMN, ty), font.clone()))
                .map_err(fail)?;
        }
    }
    Ok(())
}

/// Draws `symbol` on `px` in the symbol column that starts at `(sx, sy)` (its left end, mid-line).
fn draw_symbol<DB: DrawingBackend>(
    px: &DrawingArea<DB, plotters::coord::Shift>,
    symbol: Symbol,
    (sx, sy): (i32, i32),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let line = vec![(sx, sy), (sx + 34, sy)];
    let mid = (sx + 17, sy);
    match symbol {
        Symbol::Line(style) => px.draw(&PathElement::new(line, style)),
        Symbol::Dashed(style) => px.draw(&DashedPathElement::new(line, 12, 8, style)),
        Symbol::Pattern(style, dash, gap) => px.draw(&DashedPathElement::new(line, dash, gap, style)),
        Symbol::Patch(style) => px.draw(&Rectangle::new([(sx, sy - 7), (sx + 34, sy + 7)], style)),
        Symbol::Marker(Marker::Ring(r)) => px.draw(
            &(EmptyElement::at(mid)
                + Circle::new((0, 0), r, WHITE.filled())
                + Circle::new((0, 0), r, BLACK.stroke_width(1))),
        ),
        Symbol::Marker(Marker::Star) => {
            px.draw(&(EmptyElement::at(mid) + Polygon::new(star(STAR_RADIUS), BLACK.filled())))
        }
        Symbol::Marker(Marker::Square) => {
            let (a, b) = ((-SQUARE_HALF, -SQUARE_HALF), (SQUARE_HALF, SQUARE_HALF));
            px.draw(
                &(EmptyElement::at(mid)
                    + Rectangle::new([a, b], WHITE.filled())
                    + Rectangle::new([a, b], BLACK.stroke_width(1))),
            )
        }
        Symbol::Marker(Marker::Cross) => {
            px.draw(&(EmptyElement::at(mid) + Cross::new((0, 0), 8, BLACK.stroke_width(3))))
        }
        Symbol::Arrow(style) => {
            // A shorter line, the head's tip at the column's end.
            px.draw(&PathElement::new(vec![(sx, sy), (sx + 20, sy)], style))?;
            let head = arrow_head((1.0, 0.0));
            let outline: Vec<(i32, i32)> = head.iter().copied().chain(std::iter::once(head[0])).collect();
            px.draw(
                &(EmptyElement::at((sx + 36, sy))
                    + Polygon::new(head, style.color.filled())
                    + PathElement::new(outline, BLACK.stroke_width(1))),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_wider_than_the_plot_wraps_and_keeps_its_symbol_column() {
        let long = "rmsprop_zero_start vs rmsprop_flow departs, t = 0.01".to_string();
        let labels = vec!["tolerance 0.01".to_string(), long.clone()];
        let width = label_width(&long) * 2 / 3;
        let grid = Grid::new(&labels, 1, Some(width));
        assert!(grid.size.0 <= width, "{:?} wider than {width}", grid.size);
        assert!(grid.cells[1].lines.len() >= 2, "{:?}", grid.cells[1].lines);
        assert_eq!(grid.cells[1].lines.join(" "), long);
        assert!(grid.cells[1].lines.iter().any(|l| l.ends_with("t = 0.01")));
        // Every entry keeps the symbol column: its text starts after it, inside the box.
        for c in &grid.cells {
            assert_eq!(c.x, 0);
            assert!(SYMBOL_COLUMN + text_width(&c.lines) + 2 * MARGIN <= grid.size.0);
        }
        // Without a width nothing wraps.
        assert!(Grid::new(&labels, 1, None)
            .cells
            .iter()
            .all(|c| c.lines.len() == 1));
    }

    #[test]
    fn flowed_rows_fill_with_short_entries_within_the_width() {
        let labels: Vec<String> = [
            "a long first method label",
            "another long method label",
            "start",
            "end",
        ]
        .map(String::from)
        .to_vec();
        let width = 2 * MARGIN
            + SYMBOL_COLUMN
            + label_width(&labels[0])
            + COLUMN_GAP
            + 2 * SYMBOL_COLUMN
            + label_width("start")
            + label_width("end")
            + COLUMN_GAP;
        let flow = Grid::flow(&labels, width);
        assert!(flow.size.0 <= width);
        // "start" and "end" share the first row; the second long label has its own.
        let lines: Vec<usize> = flow.cells.iter().map(|c| c.line).collect();
        assert_eq!(lines, vec![0, 1, 0, 0]);
        assert!(flow.size.1 < Grid::new(&labels, 1, Some(width)).size.1);
    }

    #[test]
    fn segments_touch_boxes_they_cross_and_not_others() {
        let clip = (0, 0, 1000, 1000);
        let r = (100, 100, 200, 200);
        // Crossing without a vertex inside.
        assert!(segment_touches((50, 150), (300, 150), r, clip));
        assert!(segment_touches((50, 50), (300, 300), r, clip));
        // Passing by, further than the padding.
        assert!(!segment_touches((50, 50), (300, 50), r, clip));
        assert!(!segment_touches((300, 0), (300, 1000), r, clip));
        // A marker inside, and one just within the padding.
        assert!(segment_touches((150, 150), (150, 150), r, clip));
        assert!(segment_touches((205, 150), (205, 150), r, clip));
        // Outside the plot area nothing is drawn: a box sticking out of it is not covered there.
        assert!(!segment_touches(
            (150, 600),
            (150, 700),
            (100, 500, 200, 800),
            (0, 0, 1000, 400)
        ));
    }
}
