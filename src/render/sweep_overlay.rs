//! The overlay figure of a sweep (`overlay.png`): a kept column (`kept.csv`) of one method against step
//! or time, one line per value of an axis (a colour ramp, the value in the legend), as in the
//! edge-of-stability paper's Figure 1 (Cohen et al. 2021: sharpness against step for several η, each
//! with its 2/η dashed in the same colour). When the column is the sharpness, the method's stability
//! threshold of each line is drawn dashed in the line's colour. With a seed axis (`over`), each line is
//! the mean over the seeds at each step, in a band of ± one sample standard deviation.

use super::legend;
use super::legend::Symbol;
use super::style::{
    end_room, ensure_ticks, fmt_num, fmt_tick, linear_ticks, log_tick_labeller, log_ticks, padded_range,
    text, y_label_room, TickedAxis, GREY, LABEL_SIZE, LINE_WIDTH, TICK_SIZE,
};
use super::sweep::{titled, unfit};
use crate::error::Result;
use crate::formats::kept::{for_each_row, KeptHeader};
use crate::formats::sweep_summary::{SavedFigure, SweepPlan};
use crate::outspec::{FigureSettings, DEFAULT_FIGURE};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// The figure's name.
const NAME: &str = "overlay";

/// The colour ramp's stops: viridis's dark purple, blue and teal, then a darker green than viridis's
/// (whose light green and yellow end read poorly as thin lines on white): every colour of the ramp has
/// a contrast of at least 3:1 against white, the least for graphics that must be seen (WCAG 2.1, 1.4.11).
const RAMP: [(u8, u8, u8); 4] = [(68, 1, 84), (59, 81, 139), (33, 144, 141), (75, 150, 30)];

/// The ramp's colour at `t` ∈ [0, 1].
fn ramp(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (RAMP.len() - 1) as f64;
    let k = (x.floor() as usize).min(RAMP.len() - 2);
    let f = x - k as f64;
    let (a, b) = (RAMP[k], RAMP[k + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The mean and the sample standard deviation (n − 1 in the denominator) of `ys`; the deviation is NaN
/// for fewer than two values, the mean NaN for none.
pub fn mean_sd(ys: &[f64]) -> (f64, f64) {
    let n = ys.len() as f64;
    let mean = ys.iter().sum::<f64>() / n;
    if ys.len() < 2 {
        return (mean, f64::NAN);
    }
    let ss: f64 = ys.iter().map(|y| (y - mean) * (y - mean)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

/// One band point: the step, the mean over the runs with a finite value there, the sample standard
/// deviation (NaN with one run) and the number of runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    /// The step.
    pub step: u64,
    /// The mean.
    pub mean: f64,
    /// The sample standard deviation.
    pub sd: f64,
    /// The runs averaged.
    pub n: usize,
}

/// Mean ± sd across `runs` (each a list of (step, value)) at every step some run has a finite value at;
/// a run that stopped early (diverged) counts only where it has values.
pub fn bands(runs: &[Vec<(u64, f64)>]) -> Vec<BandPoint> {
    let mut at: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for run in runs {
        for &(step, y) in run {
            if y.is_finite() {
                at.entry(step).or_default().push(y);
            }
        }
    }
    at.into_iter()
        .map(|(step, ys)| {
            let (mean, sd) = mean_sd(&ys);
            BandPoint {
                step,
                mean,
                sd,
                n: ys.len(),
            }
        })
        .collect()
}

/// One value of the `by` axis: its runs' series and thresholds.
struct Group {
    value: f64,
    /// Per run (by index): (step, t, value).
    runs: BTreeMap<u64, Vec<(u64, f64, f64)>>,
    /// The distinct finite thresholds of its runs.
    thresholds: Vec<f64>,
}

/// A line to draw: the mean (or the one run), the band when there are several runs, the thresholds.
struct Line {
    label: String,
    colour: RGBColor,
    /// (x, y) of the mean.
    mean: Vec<(f64, f64)>,
    /// (x, y − sd, y + sd) where the sd is defined.
    band: Vec<(f64, f64, f64)>,
    thresholds: Vec<f64>,
}

/// The overlay figure's data, read from `kept.csv`.
pub struct Overlay {
    column: String,
    method: String,
    by: String,
    over: Option<String>,
    x_is_step: bool,
    log: bool,
    groups: Vec<Group>,
    /// The largest number of runs in a group (seeds).
    seeds: usize,
}

/// The axis key in words for the legend (η for the step size).
fn key_label(key: &str) -> String {
    match key {
        "run.step_size" => "η".to_string(),
        "init.seed" => "seed".to_string(),
        other => super::sweep::key_words(other),
    }
}

/// The kept column in words for the vertical axis.
fn column_label(column: &str) -> &str {
    match column {
        "sharpness" => "sharpness λ₁",
        "grad_norm" => "‖∇L(θ)‖",
        "train_loss" => "training loss",
        "test_loss" => "test loss",
        "train_accuracy" => "training accuracy",
        "test_accuracy" => "test accuracy",
        other => other,
    }
}

impl Overlay {
    /// Reads the column `figure` (an overlay of the sweep `plan`) draws, of its method, from the kept
    /// table at `kept`, grouped by the value of its `by` axis. An axis or column the sweep does not
    /// have, or a table that is not this sweep's, is an error.
    pub fn read(plan: &SweepPlan, figure: &SavedFigure, kept: &Path) -> Result<Overlay> {
        let SavedFigure::Overlay {
            column,
            x,
            by,
            over,
            method,
            log,
        } = figure
        else {
            return Err(unfit(NAME, "not an overlay figure".into()));
        };
        let (column, by, method) = (column.as_str(), by.as_str(), method.as_str());
        let header = KeptHeader {
            axes: plan.axes.iter().map(|a| a.key.clone()).collect(),
            columns: plan.keep.clone(),
        };
        let by_k = header
            .axes
            .iter()
            .position(|a| a == by)
            .ok_or_else(|| unfit(NAME, format!("`by = \"{by}\"` is not an axis of the sweep")))?;
        let c = header
            .columns
            .iter()
            .position(|k| k == column)
            .ok_or_else(|| unfit(NAME, format!("`column = \"{column}\"` is not a kept column")))?;
        let mut groups: BTreeMap<u64, Group> = BTreeMap::new();
        for_each_row(kept, &header, |row| {
            if row.method != method {
                return;
            }
            let value = row.axes[by_k];
            // Grouped by the value's bits (total order: the ramp runs from the smallest value).
            let key = value.to_bits() ^ if value < 0.0 { u64::MAX } else { 1 << 63 };
            let g = groups.entry(key).or_insert_with(|| Group {
                value,
                runs: BTreeMap::new(),
                thresholds: Vec::new(),
            });
            if let Some(t) = row.threshold.filter(|t| t.is_finite()) {
                if !g.thresholds.contains(&t) {
                    g.thresholds.push(t);
                }
            }
            if let Some(y) = row.values[c] {
                g.runs.entry(row.index).or_default().push((row.step, row.t, y));
            }
        })?;
        let groups: Vec<Group> = groups.into_values().collect();
        let seeds = groups.iter().map(|g| g.runs.len()).max().unwrap_or(0);
        Ok(Overlay {
            column: column.to_string(),
            method: method.to_string(),
            by: by.to_string(),
            over: over.clone(),
            x_is_step: x == "step",
            log: *log,
            groups,
            seeds,
        })
    }

    /// True when the lines are one per step size η and each line's only threshold is 2/η (GD's): the
    /// legend names the dashed lines "2/η" and each line by its η alone.
    fn thresholds_are_two_over_eta(&self) -> bool {
        self.by == "run.step_size"
            && self.groups.iter().all(|g| match g.thresholds[..] {
                [t] => (t - 2.0 / g.value).abs() <= 1e-9 * t.abs(),
                _ => false,
            })
    }

    /// The legend entry of the dashed threshold lines.
    fn threshold_label(&self) -> &'static str {
        if self.thresholds_are_two_over_eta() {
            "2/η (dashed)"
        } else {
            "stability threshold (dashed)"
        }
    }

    /// The lines to draw, in the order of the `by` values.
    fn lines(&self) -> Vec<Line> {
        let n = self.groups.len();
        self.groups
            .iter()
            .enumerate()
            .map(|(j, g)| {
                let colour = ramp(if n > 1 { j as f64 / (n - 1) as f64 } else { 0.0 });
                // The time of each step (equal in every run of a group: one η).
                let mut time: BTreeMap<u64, f64> = BTreeMap::new();
                let runs: Vec<Vec<(u64, f64)>> = g
                    .runs
                    .values()
                    .map(|r| {
                        r.iter()
                            .map(|&(s, t, y)| {
                                time.entry(s).or_insert(t);
                                (s, y)
                            })
                            .collect()
                    })
                    .collect();
                let x = |s: u64| if self.x_is_step { s as f64 } else { time[&s] };
                let b = bands(&runs);
                let mean = b.iter().map(|p| (x(p.step), p.mean)).collect();
                let band = b
                    .iter()
                    .filter(|p| p.sd.is_finite())
                    .map(|p| (x(p.step), p.mean - p.sd, p.mean + p.sd))
                    .collect();
                let mut label = format!("{} = {}", key_label(&self.by), fmt_num(g.value));
                // The threshold's value is named only where the legend's "2/η" does not give it.
                if self.column == "sharpness" && !self.thresholds_are_two_over_eta() {
                    if let [t] = g.thresholds[..] {
                        label.push_str(&format!(" (threshold {})", fmt_num(t)));
                    }
                }
                Line {
                    label,
                    colour,
                    mean,
                    band,
                    thresholds: if self.column == "sharpness" {
                        g.thresholds.clone()
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect()
    }

    /// Draws the figure on `root` with the default settings.
    pub fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        self.plot_with(root, &DEFAULT_FIGURE)
    }

    /// Draws the figure on `root` with the scenario's settings: its title, legend placement and the
    /// method's label, and `[output.figure.overlay]`'s title and axis descriptions.
    pub fn plot_with<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        settings: &FigureSettings,
    ) -> std::result::Result<(), String> {
        let own = settings.overrides(NAME);
        let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let lines = self.lines();
        let over = match (&self.over, self.seeds) {
            (Some(o), n) if n > 1 => format!(", mean ± sd over {n} values of {}", key_label(o)),
            _ => String::new(),
        };
        let title = format!(
            "{}: {} for each {}{over}",
            settings.display_name(&self.method),
            column_label(&self.column),
            key_label(&self.by)
        );
        let area = titled(root, NAME, &title, settings, LABEL_SIZE)?;
        // On a log axis every y is its log10 (the shared log ticks label them), non-positive values
        // dropped; a band's lower edge below the frame is clipped to it.
        let fy = |y: f64| if self.log { y.log10() } else { y };
        let finite = |y: f64| y.is_finite() && (!self.log || y > 0.0);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for l in &lines {
            for &(x, y) in &l.mean {
                xs.push(x);
                if finite(y) {
                    ys.push(fy(y));
                }
            }
            for &(_, lo, hi) in &l.band {
                for y in [lo, hi] {
                    if finite(y) {
                        ys.push(fy(y));
                    }
                }
            }
            ys.extend(l.thresholds.iter().copied().filter(|&t| finite(t)).map(fy));
        }
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (x0, x1) = if xs.is_empty() {
            (0.0, 1.0)
        } else {
            (min(&xs), max(&xs).max(min(&xs) + 1e-12))
        };
        let (y0, y1) = padded_range(min(&ys), max(&ys), 0.05, if self.log { 0.1 } else { 1e-12 });
        let (major, minor) = if self.log {
            log_ticks(y0, y1)
        } else {
            (linear_ticks(y0, y1, 10), Vec::new())
        };
        let major = ensure_ticks(major, y0, y1);
        let clip = |y: f64| if finite(y) { fy(y).clamp(y0, y1) } else { y0 };
        // The legend's entries in drawing order, and everything drawn as data it must not cover: each
        // line, its band's edges and its threshold lines (drawn across the whole width).
        let mut labels: Vec<String> = lines.iter().map(|l| l.label.clone()).collect();
        let mut marks: Vec<Vec<(f64, f64)>> = Vec::new();
        for l in &lines {
            marks.push(
                l.mean
                    .iter()
                    .filter(|p| finite(p.1))
                    .map(|&(x, y)| (x, fy(y)))
                    .collect(),
            );
            if l.band.len() >= 2 {
                marks.push(l.band.iter().map(|&(x, lo, _)| (x, clip(lo))).collect());
                marks.push(l.band.iter().map(|&(x, _, hi)| (x, clip(hi))).collect());
            }
            for y in threshold_levels(l, &fy, &finite, (y0, y1)) {
                marks.push(vec![(x0, y), (x1, y)]);
            }
        }
        let mut symbols: Vec<Symbol> = lines
            .iter()
            .map(|l| Symbol::Line(l.colour.stroke_width(LINE_WIDTH)))
            .collect();
        if lines.iter().any(|l| !l.thresholds.is_empty()) {
            labels.push(self.threshold_label().to_string());
            symbols.push(Symbol::Dashed(GREY.stroke_width(LINE_WIDTH)));
        }
        if lines.iter().any(|l| l.band.len() >= 2) {
            labels.push("mean ± sd (band)".to_string());
            symbols.push(Symbol::Patch(GREY.mix(0.3).filled()));
        }
        let request = legend::Request {
            labels: &labels,
            marks: &marks,
            placement: settings.legend,
            symbols: &symbols,
        };
        let log_label = log_tick_labeller(y0, y1);
        let y_label = |v: &f64| if self.log { log_label(v) } else { fmt_tick(*v) };
        // The x ticks are chosen here (not by plotters) so that the right margin can make room for the
        // last label, centred on the axis's end ("2000" would otherwise run off the canvas).
        let x_ticks = ensure_ticks(linear_ticks(x0, x1, 5), x0, x1);
        let x_names: Vec<String> = x_ticks.iter().map(|v| fmt_tick(*v)).collect();
        let y_room = y_label_room(major.iter().map(&y_label));
        let build = |(lo, hi): (f64, f64)| {
            ChartBuilder::on(&area)
                .margin(20)
                .margin_right(end_room(&x_names, 20))
                .x_label_area_size(62)
                .y_label_area_size(y_room)
                .build_cartesian_2d(
                    TickedAxis::new(x0, x1, x_ticks.clone(), Vec::new()),
                    TickedAxis::new(lo, hi, major.clone(), minor.clone()),
                )
                .map_err(fail)
        };
        // One column in a corner; in the band above the data, as many columns as its width holds
        // (the shared rule, [`legend::choose`]).
        let trial = build((y0, y1))?;
        let spot = legend::choose(trial.plotting_area(), &request);
        drop(trial);
        let mut chart = build(spot.y_range((y0, y1)))?;
        let y_desc = match self.log {
            true => format!("{} (log scale)", column_label(&self.column)),
            false => column_label(&self.column).to_string(),
        };
        let (x_desc, y_desc) = (
            own.x_label(if self.x_is_step { "step k" } else { "t = k·η" }),
            own.y_label(&y_desc),
        );
        let desc = super::style::desc_style(&x_desc, &y_desc, chart.plotting_area().dim_in_pixel());
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(desc)
            .label_style(text(TICK_SIZE))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&y_label)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()
            .map_err(fail)?;
        // Bands first, under every line.
        for l in &lines {
            if l.band.len() < 2 {
                continue;
            }
            let mut polygon: Vec<(f64, f64)> = l.band.iter().map(|&(x, _, hi)| (x, clip(hi))).collect();
            polygon.extend(l.band.iter().rev().map(|&(x, lo, _)| (x, clip(lo))));
            chart
                .draw_series(std::iter::once(Polygon::new(polygon, l.colour.mix(0.2).filled())))
                .map_err(fail)?;
        }
        for l in &lines {
            let points: Vec<(f64, f64)> = l
                .mean
                .iter()
                .filter(|p| finite(p.1))
                .map(|&(x, y)| (x, fy(y)))
                .collect();
            let style = l.colour.stroke_width(LINE_WIDTH);
            chart.draw_series(LineSeries::new(points, style)).map_err(fail)?;
            for y in threshold_levels(l, &fy, &finite, (y0, y1)) {
                chart
                    .draw_series(std::iter::once(DashedPathElement::new(
                        vec![(x0, y), (x1, y)],
                        12,
                        8,
                        l.colour.stroke_width(LINE_WIDTH),
                    )))
                    .map_err(fail)?;
            }
        }
        if lines.is_empty() {
            return Ok(());
        }
        legend::draw_grid(&mut chart, spot, &request, &symbols, spot.columns())
    }
}

/// The drawn heights (log10 on a log axis) of `line`'s thresholds that fall inside the data's range
/// `y0..=y1`: the dashed lines the figure draws.
fn threshold_levels(
    line: &Line,
    fy: &impl Fn(f64) -> f64,
    finite: &impl Fn(f64) -> bool,
    (y0, y1): (f64, f64),
) -> Vec<f64> {
    line.thresholds
        .iter()
        .copied()
        .filter(|&t| finite(t))
        .map(fy)
        .filter(|y| (y0..=y1).contains(y))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_the_mean_and_sample_sd_at_each_step_over_the_runs_that_reach_it() {
        // By hand: step 0 has 1, 3, 5: mean 3, squares 4 + 0 + 4 = 8 over n − 1 = 2, sd 2. Step 5 has 2
        // and 4 (the third run stopped): mean 3, squares 1 + 1 = 2 over 1, sd √2. Step 10 has 7 alone
        // (the NaN does not count): mean 7, no sd.
        let runs = vec![
            vec![(0, 1.0), (5, 2.0), (10, f64::NAN)],
            vec![(0, 3.0), (5, 4.0), (10, 7.0)],
            vec![(0, 5.0)],
        ];
        let b = bands(&runs);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].step, b[0].mean, b[0].sd, b[0].n), (0, 3.0, 2.0, 3));
        assert_eq!((b[1].step, b[1].mean, b[1].n), (5, 3.0, 2));
        assert!((b[1].sd - 2f64.sqrt()).abs() < 1e-15);
        assert_eq!((b[2].step, b[2].mean, b[2].n), (10, 7.0, 1));
        assert!(b[2].sd.is_nan());
        // One value per run at one step: mean 2.5, sd of 1, 2, 3, 4 = √(5/3).
        let (m, s) = mean_sd(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    /// The WCAG 2.1 contrast ratio of `c` against white: (1 + 0.05) / (L + 0.05), L the relative
    /// luminance of the sRGB colour.
    fn contrast_on_white(c: RGBColor) -> f64 {
        let lin = |u: u8| {
            let v = u as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let l = 0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2);
        1.05 / (l + 0.05)
    }

    #[test]
    fn the_ramp_runs_from_its_first_to_its_last_stop_and_every_colour_reads_on_white() {
        assert_eq!(ramp(0.0), RGBColor(68, 1, 84));
        assert_eq!(ramp(1.0), RGBColor(75, 150, 30));
        assert_eq!(ramp(f64::NAN), ramp(0.0));
        // White itself has ratio 1, black 21; viridis's old end (150, 205, 40) had 1.9.
        assert!((contrast_on_white(RGBColor(255, 255, 255)) - 1.0).abs() < 1e-12);
        assert!((contrast_on_white(RGBColor(0, 0, 0)) - 21.0).abs() < 1e-12);
        assert!(contrast_on_white(RGBColor(150, 205, 40)) < 2.0);
        for k in 0..=100 {
            let c = ramp(k as f64 / 100.0);
            assert!(contrast_on_white(c) >= 3.0, "{c:?}: {}", contrast_on_white(c));
        }
    }
}
