//! The one look shared by every figure: font, palette, line widths, colormap, tick and number
//! formatting, and a few layout helpers.

use crate::outspec::FigureSettings;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::ops::Range;
use std::sync::OnceLock;

/// The font family every text uses; registered from the embedded DejaVu Sans by [`ensure_font`].
///
/// The name is also what SVGs write as `font-family`, so it is a CSS font list; each SVG embeds a subset
/// of DejaVu Sans under its first name ([`super::svg_font`]), and viewers that ignore embedded fonts
/// fall back to an installed DejaVu Sans or their sans-serif (see docs/figures.md).
pub const FONT: &str = "DejaVu Sans, sans-serif";
/// Figure title size in pixels.
pub const TITLE_SIZE: f64 = 33.0;
/// Axis label size in pixels.
pub const LABEL_SIZE: f64 = 28.0;
/// Tick label size in pixels.
pub const TICK_SIZE: f64 = 22.0;
/// Legend text size in pixels.
pub const LEGEND_SIZE: f64 = 21.0;

/// Width of a data line.
pub const LINE_WIDTH: u32 = 2;
/// Width of an emphasised line (continuous models).
pub const THICK_WIDTH: u32 = 3;
/// Width of thin decorations (contours, arrows).
pub const THIN_WIDTH: u32 = 1;

/// The Okabe–Ito colour-blind-safe palette, reordered so the colours that read best on white come
/// first (yellow, weakest on white, comes last).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// Neutral grey for reference lines (tolerances).
pub const GREY: RGBColor = RGBColor(110, 110, 110);
/// Dark grey for the direction field.
pub const FIELD_GREY: RGBColor = RGBColor(70, 70, 70);
/// Colour of contour lines (opaque: overlapping translucent segments would look dotted in PNG).
pub const CONTOUR: RGBColor = RGBColor(85, 85, 85);

/// The palette colour of series `i` (cycling).
pub fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Registers DejaVu Sans as [`FONT`] (regular and bold) exactly once per process; no system font is used.
pub fn ensure_font() -> Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .and_then(|_| register_font(FONT, FontStyle::Bold, dejavu::sans::bold()))
                .map_err(|_| "the embedded DejaVu Sans font could not be loaded".to_string())
        })
        .clone()
}

/// A text style of `size` pixels in the shared font.
pub fn text(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// The smallest size an axis description is shrunk to so that it fits its side of the plot area (7.1 pt
/// in the paper styles): below it a description is left to run past the area, which only an 80-character
/// label on a small canvas needs.
pub const MIN_LABEL_SIZE: f64 = 19.5;

/// The share of the plot area's side an axis description may fill (the rest keeps it off the canvas's
/// edge: a description longer than the side is centred on it and would run past both ends).
const DESC_ROOM: f64 = 0.96;

/// The text style of a chart's axis descriptions (plotters sets one for both axes): [`LABEL_SIZE`], or
/// smaller, down to [`MIN_LABEL_SIZE`], until `x_desc` fits the plot area's width and `y_desc` (drawn
/// upright along the y axis) its height; `plot` is the plot area's (width, height) in canvas units.
pub fn desc_style(x_desc: &str, y_desc: &str, plot: (u32, u32)) -> TextStyle<'static> {
    let base = text(LABEL_SIZE);
    let fits = |desc: &str, room: u32| -> f64 {
        match base.font.box_size(desc) {
            Ok((w, _)) if w as f64 > DESC_ROOM * room as f64 => DESC_ROOM * room as f64 / w as f64,
            _ => 1.0,
        }
    };
    let factor = fits(x_desc, plot.0).min(fits(y_desc, plot.1));
    if factor >= 1.0 {
        base
    } else {
        text((LABEL_SIZE * factor).max(MIN_LABEL_SIZE))
    }
}

/// Canvas units per typographic point in the paper styles: the screen's 22-unit tick labels print at
/// 8 pt (axis labels 28 units: 10.2 pt; legends 21 units: 7.6 pt; data lines 2 units: 0.73 pt).
///
/// Why one factor: every size in this module is in canvas units, so drawing the paper styles on a canvas
/// of `inches × 72 × UNITS_PER_PT` units and printing it at `inches` scales every element, text, lines,
/// margins and legends alike, with nothing to keep in step by hand.
pub const UNITS_PER_PT: f64 = TICK_SIZE / 8.0;

/// The smallest canvas (width, height, in canvas units) the screen style lays a figure out on: the
/// paper style's canvas, the smallest the layout (fonts, margins, legends) is drawn and tested for.
///
/// Why: the screen style's sizes are canvas units, so on a canvas smaller than this its fonts and legends
/// would take a growing share of the figure (at 500 × 400 the phase portrait's legend band took 60% of
/// the plot and titles clipped). A smaller figure is laid out on a canvas scaled up to this and drawn
/// down to its pixels, so every element scales with it; its texts keep at least 0.62 of their size on a
/// 400-pixel side (ticks 13.7 px). The default 1000 × 800 canvas is larger and drawn as it is.
pub const SCREEN_MIN_CANVAS: (f64, f64) = (644.0, 515.0);

/// Where a figure is drawn and how it is printed: the one geometry every figure kind (and a sweep's
/// figures) gets from its [`FigureSettings`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Page {
    /// The drawing canvas in canvas units (pixels for the screen style).
    pub canvas: (u32, u32),
    /// The printed size in inches, `None` for the screen style (printed at the PNG's `dpi`, if any).
    pub inches: Option<(f64, f64)>,
    /// The PNG's size in pixels.
    pub png: (u32, u32),
    /// The resolution written into the PNG's `pHYs` chunk.
    pub dpi: Option<u32>,
}

impl Page {
    /// The PDF page's dots per inch for this canvas (`fallback` for the screen style without `dpi`): a
    /// screen figure's page is its pixels at that dpi, whatever canvas it was laid out on.
    pub fn pdf_dpi(&self, fallback: u32) -> f32 {
        match self.inches {
            Some((w, _)) => (self.canvas.0 as f64 / w) as f32,
            None => (self.dpi.unwrap_or(fallback) as f64 * self.canvas.0 as f64 / self.png.0 as f64) as f32,
        }
    }

    /// Whether the figure is laid out on a canvas other than its PNG's pixels (the paper styles, and the
    /// screen style below [`SCREEN_MIN_CANVAS`]): its PNG is then its SVG drawn at the PNG's size.
    pub fn scaled(&self) -> bool {
        self.canvas != self.png
    }
}

/// The page of a figure drawn with `settings`: the screen style draws `width` × `height` pixels (laid
/// out on a canvas scaled up to [`SCREEN_MIN_CANVAS`] when smaller); the paper styles draw a canvas of
/// [`UNITS_PER_PT`] units per point and write PNGs at `dpi` (default [`crate::outspec::PAPER_DPI`]).
pub fn page(settings: &FigureSettings) -> Page {
    match settings.style.inches() {
        None => {
            let (w, h) = (settings.width, settings.height);
            let k = (SCREEN_MIN_CANVAS.0 / w.max(1) as f64)
                .max(SCREEN_MIN_CANVAS.1 / h.max(1) as f64)
                .max(1.0);
            let up = |side: u32| (side as f64 * k).round() as u32;
            Page {
                canvas: (up(w), up(h)),
                inches: None,
                png: (w, h),
                dpi: settings.dpi,
            }
        }
        Some((w, h)) => {
            let dpi = settings.dpi.unwrap_or(crate::outspec::PAPER_DPI);
            let units = |inches: f64| (inches * 72.0 * UNITS_PER_PT).round() as u32;
            let px = |inches: f64| ((inches * dpi as f64).round() as u32).max(1);
            Page {
                canvas: (units(w), units(h)),
                inches: Some((w, h)),
                png: (px(w), px(h)),
                dpi: Some(dpi),
            }
        }
    }
}

/// `root` under figure `kind`'s title in the shared style ([`FigureSettings::title_of`]: its own
/// `title`, else `default`), or `root` itself (with the same top gap a title's area leaves free of data)
/// when it draws none.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    kind: &str,
    default: &str,
    settings: &FigureSettings,
) -> Result<DrawingArea<DB, Shift>, String> {
    match settings.title_of(kind, default) {
        Some(title) => root.titled(&title, text(TITLE_SIZE)).map_err(|e| e.to_string()),
        None => Ok(root.margin(6, 0, 0, 0)),
    }
}

/// Viridis, sampled at nine evenly spaced stops.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// How far the background colormap is blended towards white, so data drawn on top stays readable.
const BACKGROUND_LIGHTEN: f64 = 0.45;

/// The sequential background colormap at `t` ∈ [0, 1] (clamped; NaN maps to the top): viridis blended
/// towards white.
pub fn colormap(t: f64) -> RGBColor {
    let t = if t.is_nan() { 1.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let k = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - k as f64;
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    let mix = |p: u8, q: u8| {
        let v = p as f64 + (q as f64 - p as f64) * f;
        let v = v + (255.0 - v) * BACKGROUND_LIGHTEN;
        v.round().clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Formats a number compactly with about four significant digits (`0.0123`, `1.5e-7`, `2500`).
pub fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if (1e-3..1e5).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let s = format!("{x:.3e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let m = if m.contains('.') {
                    m.trim_end_matches('0').trim_end_matches('.')
                } else {
                    m
                };
                format!("{m}e{e}")
            }
            None => s,
        }
    }
}

/// `v`, or 0 when it is rounding noise next to zero on an axis spanning `span` (so ticks read `0`, not
/// `-5.551e-17`).
pub fn snap_zero(v: f64, span: f64) -> f64 {
    if v.abs() < 1e-9 * span.abs() {
        0.0
    } else {
        v
    }
}

/// `n` written with Unicode superscript digits (`-3` → `⁻³`).
fn superscript(n: i64) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if n < 0 {
        s.push('⁻');
    }
    for c in n.unsigned_abs().to_string().chars() {
        s.push(DIGITS[c.to_digit(10).unwrap_or(0) as usize]);
    }
    s
}

/// Labels a tick on an axis that shows log10 of a quantity: `10⁻³`, or `2×10⁻³` between decades.
pub fn fmt_log_tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let k = v.round();
    if (v - k).abs() < 1e-6 {
        return format!("10{}", superscript(k as i64));
    }
    let e = v.floor();
    let m = 10f64.powf(v - e);
    format!(
        "{}×10{}",
        fmt_num((m * 1000.0).round() / 1000.0),
        superscript(e as i64)
    )
}

/// The largest share of a log axis's span that may lie beyond its outermost labelled ticks: more, and a
/// reader cannot tell what the values there are (0.6..1.45 labelled 0.6, 0.7, 0.8, 0.9, 1 leaves the
/// data above 1 unlabelled).
const LOG_END_GAP: f64 = 0.3;

/// True when `major` (sorted log10 positions) labels `lo..hi` up to [`LOG_END_GAP`] at either end.
fn covers(major: &[f64], lo: f64, hi: f64) -> bool {
    let limit = LOG_END_GAP * (hi - lo);
    match (major.first(), major.last()) {
        (Some(&a), Some(&b)) => a - lo <= limit && hi - b <= limit,
        _ => false,
    }
}

/// Major and minor tick positions, in log10 units, for an axis spanning log10 values `lo..hi`: decades
/// when three or more fit (or two that label the span to within [`LOG_END_GAP`] of its ends), else 1, 2, 5
/// (or more mantissas) times a power of ten, else evenly spaced values; the labelled ticks always reach
/// within [`LOG_END_GAP`] of the span of either end.
pub fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (vec![], vec![]);
    }
    let eps = 1e-9;
    let (d0, d1) = ((lo - eps).ceil() as i64, (hi + eps).floor() as i64);
    let decades = d1 - d0 + 1;
    let decade_ticks: Vec<f64> = (d0..=d1).map(|k| k as f64).collect();
    if decades >= 3 || (decades == 2 && covers(&decade_ticks, lo, hi)) {
        let step = ((decades + 7) / 8).max(1);
        let mut major = vec![];
        let mut minor = vec![];
        let mut k = d0;
        while k <= d1 {
            major.push(k as f64);
            k += step;
        }
        if step == 1 {
            for k in d0 - 1..=d1 {
                for m in 2..=9 {
                    let v = k as f64 + (m as f64).log10();
                    if v > lo && v < hi {
                        minor.push(v);
                    }
                }
            }
        } else {
            minor.extend((d0..=d1).filter(|k| (k - d0) % step != 0).map(|k| k as f64));
        }
        return (major, minor);
    }
    // Fewer decades: ticks at 1, 2, 5 (or every mantissa) times a power of ten.
    for mantissas in [
        &[1.0, 2.0, 5.0][..],
        // Before every mantissa: 2, 3, 5 keep labels apart where 5, 6, 7 would touch.
        &[1.0, 2.0, 3.0, 5.0][..],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0][..],
    ] {
        let mut major = vec![];
        for k in (lo.floor() as i64)..=(hi.ceil() as i64) {
            for &m in mantissas {
                let v = k as f64 + f64::log10(m);
                if v >= lo - eps && v <= hi + eps {
                    major.push(v);
                }
            }
        }
        if major.len() >= 3 && covers(&major, lo, hi) {
            return (major, vec![]);
        }
    }
    // A narrow span, or one the mantissas leave unlabelled at an end: linear ticks in value space.
    let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
    let step = nice_step((b - a) / 4.0);
    let mut major = vec![];
    let mut v = (a / step).ceil() * step;
    while v <= b * (1.0 + 1e-12) && major.len() < 20 {
        if v > 0.0 {
            major.push(v.log10());
        }
        v += step;
    }
    (major, vec![])
}

/// About `max` evenly spaced "nice" tick positions (multiples of 1, 2 or 5 times a power of ten) in `lo..hi`.
pub fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let step = nice_step((hi - lo) / max.max(1) as f64);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .take(50)
        .map(|k| {
            let v = k as f64 * step;
            // Snap values that should be zero but carry rounding noise.
            if v.abs() < step * 1e-9 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

/// `ticks`, or the two ends of `lo..hi` when there are none (an axis always gets some labels).
pub fn ensure_ticks(ticks: Vec<f64>, lo: f64, hi: f64) -> Vec<f64> {
    if ticks.is_empty() {
        vec![lo, hi]
    } else {
        ticks
    }
}

/// A method's legend label: its `label` when the scenario gives one, else its id, with its kind when the
/// id does not already say it.
pub fn method_label(m: &crate::method::MethodRun, settings: &FigureSettings) -> String {
    if let Some(label) = settings.labels.get(&m.id) {
        label.clone()
    } else if m.kind.is_empty() || m.id == m.kind {
        m.id.clone()
    } else {
        format!("{}: {}", m.id, m.kind.replace('_', " "))
    }
}

/// A linear f64 axis with hand-picked major and minor ticks (plotters' own key-point wrapper loses the
/// label formatter for f64); labels come from the chart's label formatter.
pub struct TickedAxis {
    inner: RangedCoordf64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl TickedAxis {
    /// The axis `lo..hi` with ticks at `major` and light grid lines at `minor`.
    pub fn new(lo: f64, hi: f64, major: Vec<f64>, minor: Vec<f64>) -> Self {
        TickedAxis {
            inner: (lo..hi).into(),
            major,
            minor,
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// A "nice" step (1, 2 or 5 times a power of ten) close to `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let nice = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * p
}

/// A tick label: [`fmt_num`] with the minus sign a printed axis uses (U+2212), not the hyphen, which sets
/// short and high beside the digits. Axis ticks only: the CLI and file names keep `fmt_num`'s ASCII.
pub fn fmt_tick(x: f64) -> String {
    fmt_num(x).replace('-', "\u{2212}")
}

/// Labels a tick on a log10 axis whose ticks may sit off the decades (narrow spans): as plain numbers
/// (`0.05`, `0.2`, `1.4`) when the axis spans less than a decade, or less than two between 10⁻³ and 10⁵
/// where plain numbers stay short; else decades as `10ᵏ` and other values as `2×10ᵏ`.
pub fn log_tick_labeller(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let narrow = hi - lo < 1.0 || (hi - lo < 2.0 && lo >= -3.0 && hi < 5.0);
    move |v: &f64| {
        if narrow {
            fmt_tick(10f64.powf(*v))
        } else {
            fmt_log_tick(*v)
        }
    }
}

/// A range `lo..hi` padded by `frac` of its span on each side, widened to `min_span` when narrower and
/// made finite (a fallback of `-1..1` when nothing finite is given).
pub fn padded_range(lo: f64, hi: f64, frac: f64, min_span: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) || hi < lo {
        return (-1.0, 1.0);
    }
    let centre = 0.5 * (lo + hi);
    let span = (hi - lo).max(min_span).max(centre.abs() * 1e-9);
    let half = span * (0.5 + frac);
    let (a, b) = (centre - half, centre + half);
    if a.is_finite() && b.is_finite() && b > a {
        (a, b)
    } else {
        (-1.0, 1.0)
    }
}

/// The size of a legend with these labels as fractions of a `plot` area in pixels (an estimate, with a
/// little slack; the legend adds a 40 px symbol column and 12 px margins).
pub fn legend_box<'s>(labels: impl Iterator<Item = &'s str>, plot: (u32, u32)) -> (f64, f64) {
    let (mut n, mut widest) = (0usize, 0usize);
    for l in labels {
        n += 1;
        widest = widest.max(l.chars().count());
    }
    let w = widest as f64 * 0.56 * LEGEND_SIZE + 40.0 + 24.0 + 16.0;
    let h = n as f64 * 1.25 * LEGEND_SIZE + 24.0 + 16.0;
    (w / plot.0.max(1) as f64, h / plot.1.max(1) as f64)
}

/// Thins a polyline for drawing: drops non-finite points, keeps a point only once it is at least `min_step`
/// away (in units scaled by `scale`) from the last kept one, then caps the count at `max_points` by even
/// index sampling. The first and last finite points are always kept.
pub fn decimate(
    points: impl Iterator<Item = (f64, f64)>,
    scale: (f64, f64),
    min_step: f64,
    max_points: usize,
) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)> = points.filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    let n = finite.len();
    if n <= 2 {
        return finite;
    }
    let mut kept = Vec::with_capacity(n.min(4 * max_points.max(2)));
    kept.push(finite[0]);
    let mut last = finite[0];
    for &p in &finite[1..n - 1] {
        let d = ((p.0 - last.0) * scale.0).hypot((p.1 - last.1) * scale.1);
        // NaN distances (infinite spans) keep the point.
        if d.is_nan() || d >= min_step {
            kept.push(p);
            last = p;
        }
    }
    kept.push(finite[n - 1]);
    let max_points = max_points.max(2);
    if kept.len() <= max_points {
        return kept;
    }
    let m = kept.len();
    (0..max_points)
        .map(|k| kept[((k as f64) * (m - 1) as f64 / (max_points - 1) as f64).round() as usize])
        .collect()
}

/// Splits a polyline into pieces at every turn sharper than 60° (measured after scaling by `scale`,
/// i.e. in pixels), consecutive pieces sharing the turning point.
///
/// Why: plotters' bitmap backend strokes a thick polyline as one polygon whose inner corners are the
/// intersections of the offset edges; at a hairpin (GD oscillating across a valley) that intersection
/// lies far away and the PNG shows long spikes. Separate pieces have butt ends and no join.
pub fn split_at_turns(path: &[(f64, f64)], scale: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    // cos 60°: a turn is sharp when the directions in and out make an angle above 60°.
    const COS_LIMIT: f64 = 0.5;
    let mut pieces = Vec::new();
    let mut piece: Vec<(f64, f64)> = Vec::new();
    let mut last_dir: Option<(f64, f64)> = None;
    for &p in path {
        if let Some(&q) = piece.last() {
            let d = ((p.0 - q.0) * scale.0, (p.1 - q.1) * scale.1);
            let n = d.0.hypot(d.1);
            if !(n > 0.0 && n.is_finite()) {
                continue;
            }
            let d = (d.0 / n, d.1 / n);
            if let Some(e) = last_dir {
                if d.0 * e.0 + d.1 * e.1 < COS_LIMIT {
                    pieces.push(std::mem::replace(&mut piece, vec![q]));
                }
            }
            last_dir = Some(d);
        }
        piece.push(p);
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

/// A short description of how a trajectory ended, for legends: `None` when it completed.
pub fn stop_note(termination: &crate::trajectory::Termination, with_time: bool) -> Option<String> {
    use crate::trajectory::Termination;
    match termination {
        Termination::Completed => None,
        Termination::Diverged { t, .. } if with_time => Some(format!("diverged at t={}", fmt_num(*t))),
        Termination::Diverged { .. } => Some("diverged".to_string()),
        Termination::SolverFailed { t, .. } if with_time => {
            Some(format!("solver failed at t={}", fmt_num(*t)))
        }
        Termination::SolverFailed { .. } => Some("solver failed".to_string()),
        Termination::TimeLimit { t, .. } if with_time => Some(format!("time limit at t={}", fmt_num(*t))),
        Termination::TimeLimit { .. } => Some("time limit".to_string()),
    }
}

/// The width of `label` in canvas units at `size` in the shared font (an estimate from its characters
/// if the font cannot measure it, which the embedded font always can).
fn text_width(label: &str, size: f64) -> i32 {
    match text(size).font.box_size(label) {
        Ok((w, _)) => w as i32,
        Err(_) => (label.chars().count() as f64 * 0.62 * size).ceil() as i32,
    }
}

/// The room a chart needs right of its plot area (its right margin, at least `min`) so that the last x
/// tick label, centred on the axis's end, stays on the canvas: half that label's width and a small gap.
pub fn end_room(x_ticks: &[String], min: i32) -> i32 {
    let last = x_ticks.last().map_or(0, |l| text_width(l, TICK_SIZE));
    min.max(last / 2 + 6)
}

/// The width of a left y label area holding tick labels `labels` and an axis description (at most
/// [`LABEL_SIZE`]): plotters puts the labels 10 units left of the axis (twice its 5-unit ticks) and the
/// description at the area's outer edge; between them goes a gap of half a label's height, so that the
/// description reads as the axis's and not as floating text.
pub fn y_label_room(labels: impl Iterator<Item = String>) -> i32 {
    let widest = labels.map(|l| text_width(&l, TICK_SIZE)).max().unwrap_or(0);
    let desc = (1.2 * LABEL_SIZE).ceil() as i32;
    10 + widest + (0.5 * LABEL_SIZE) as i32 + desc
}

/// A chart builder on `area` with the margins and label areas the time-series and order figures share.
pub fn plot_frame<'a, 'b, DB: DrawingBackend>(area: &'a DrawingArea<DB, Shift>) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(12)
        .margin_left(10)
        .margin_right(30)
        .margin_bottom(10)
        .x_label_area_size(62)
        .y_label_area_size(100);
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(1.0), "1");
        assert_eq!(fmt_num(0.001), "0.001");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(1234.5678), "1235");
        assert_eq!(fmt_num(1.5e-7), "1.5e-7");
        assert_eq!(fmt_num(-3e12), "-3e12");
        assert_eq!(fmt_log_tick(-3.0), "10⁻³");
        assert_eq!(fmt_log_tick(12.0), "10¹²");
        assert_eq!(fmt_log_tick(2f64.log10() - 3.0), "2×10⁻³");
    }

    #[test]
    fn log_ticks_cover_spans() {
        let (major, minor) = log_ticks(-3.2, 2.5);
        assert_eq!(major, vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0]);
        assert!(!minor.is_empty());
        let (major, _) = log_ticks(-30.0, 10.0);
        assert!(major.len() <= 9 && major.len() >= 4);
        let (major, _) = log_ticks(0.1, 0.9);
        assert!(major.len() >= 3);
        let (major, _) = log_ticks(0.5, 0.5001);
        assert!(!major.is_empty());
        assert!(major.iter().all(|v| *v >= 0.5 - 1e-9 && *v <= 0.5001 + 1e-9));
        assert_eq!(log_ticks(1.0, f64::NAN), (vec![], vec![]));
    }

    #[test]
    fn log_ticks_label_the_whole_span() {
        // double_well_period_doubling's η axis, 0.6..1.45 padded by 3%: the mantissas 6, 7, 8, 9, 1 stop
        // at 1, 43% of the span short of its top; evenly spaced values label all of it.
        let (lo, hi) = (0.585f64.log10(), 1.489f64.log10());
        let (major, _) = log_ticks(lo, hi);
        let values: Vec<f64> = major
            .iter()
            .map(|v| (10f64.powf(*v) * 1e6).round() / 1e6)
            .collect();
        assert_eq!(values, vec![0.6, 0.8, 1.0, 1.2, 1.4]);
        // Every span: the labelled ticks reach within 30% of the span of both ends.
        for (a, b) in [
            (0.585, 1.489),
            (0.13, 11.0),
            (0.9, 110.0),
            (2.0, 8.9),
            (1.1, 1.9),
            (3e-4, 2e-3),
        ] {
            let (lo, hi) = (f64::log10(a), f64::log10(b));
            let (major, _) = log_ticks(lo, hi);
            assert!(major.len() >= 2, "{a}..{b}: {major:?}");
            let (first, last) = (major[0], major[major.len() - 1]);
            assert!(first - lo <= 0.3 * (hi - lo) + 1e-12, "{a}..{b}: {major:?}");
            assert!(hi - last <= 0.3 * (hi - lo) + 1e-12, "{a}..{b}: {major:?}");
        }
        // Two decades that leave an end unlabelled (0.13..11: 1 and 10 only) take 1, 2, 5 mantissas.
        let (major, _) = log_ticks(0.13f64.log10(), 11f64.log10());
        let has = |v: f64| major.iter().any(|m| (m - v).abs() < 1e-9);
        assert!(has(0.2f64.log10()) && has(0.0) && has(1.0), "{major:?}");
    }

    #[test]
    fn ranges_and_decimation_survive_odd_data() {
        assert_eq!(padded_range(f64::NAN, 1.0, 0.1, 1.0), (-1.0, 1.0));
        let (a, b) = padded_range(3.0, 3.0, 0.1, 1.0);
        assert!(a < 3.0 && b > 3.0);
        let pts = (0..100_000).map(|k| (k as f64, (k as f64).sin()));
        let d = decimate(pts, (1e-5, 0.5), 1e-3, 2000);
        assert!(d.len() <= 2000);
        assert_eq!(d[0], (0.0, 0.0));
        assert_eq!(d.last().unwrap().0, 99_999.0);
        assert!(decimate(std::iter::empty(), (1.0, 1.0), 0.1, 10).is_empty());
        let one = decimate([(f64::NAN, 1.0), (1.0, 2.0)].into_iter(), (1.0, 1.0), 0.1, 10);
        assert_eq!(one, vec![(1.0, 2.0)]);
        assert_eq!(colormap(f64::NAN), colormap(1.0));
    }

    #[test]
    fn polylines_split_at_sharp_turns_only() {
        // A zigzag with hairpins (GD across a valley) splits at each turn; a gentle arc does not.
        let zigzag = [(0.0, 0.0), (1.0, 0.1), (0.0, 0.2), (1.0, 0.3)];
        let pieces = split_at_turns(&zigzag, (1.0, 1.0));
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0], vec![(0.0, 0.0), (1.0, 0.1)]);
        assert_eq!(pieces[1], vec![(1.0, 0.1), (0.0, 0.2)]);
        let arc: Vec<_> = (0..50).map(|k| (k as f64 * 0.05).sin_cos()).collect();
        assert_eq!(split_at_turns(&arc, (1.0, 1.0)).len(), 1);
        // Repeated points are skipped, not treated as turns.
        let repeated = [(0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (2.0, 0.0)];
        assert_eq!(
            split_at_turns(&repeated, (1.0, 1.0)),
            vec![vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]]
        );
    }
}
