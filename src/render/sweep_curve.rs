//! A metric of a sweep against one axis (e.g. the maximum distance between GD and its flow against η,
//! log–log), one dot per run joined in axis order.

use super::style::{
    desc_style, end_room, ensure_ticks, fmt_tick, linear_ticks, log_tick_labeller, log_ticks, padded_range,
    series_color, text, y_label_room, TickedAxis, LABEL_SIZE, LINE_WIDTH, TICK_SIZE,
};
use super::sweep::{key_words, titled, unfit};
use crate::error::Result;
use crate::formats::sweep::{no_column, read_columns};
use crate::formats::sweep_summary::SweepPlan;
use crate::outspec::{FigureSettings, DEFAULT_FIGURE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The figure's name.
const NAME: &str = "curve";

/// The points of a curve figure.
pub struct Curve {
    x_key: String,
    y_key: String,
    log: bool,
    points: Vec<(f64, f64)>,
}

/// One axis of the curve: its ends and ticks in drawn units (log10 of the value on a log axis).
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Axis {
    /// The axis framing `values` (finite, positive on a log axis), padded by `pad` of the span.
    fn framing(values: impl Iterator<Item = f64>, log: bool, pad: f64) -> Axis {
        let drawn: Vec<f64> = values.map(|v| if log { v.log10() } else { v }).collect();
        let lo = drawn.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = drawn.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if !lo.is_finite() {
            if log {
                (0.0, 1.0)
            } else {
                (1.0, 10.0)
            }
        } else if log {
            padded_range(lo, hi, pad, 0.1)
        } else if hi > lo {
            (lo - pad * (hi - lo), hi + pad * (hi - lo))
        } else {
            let half = 0.5 * lo.abs().max(1e-12);
            (lo - half, hi + half)
        };
        let (major, minor) = if log {
            log_ticks(lo, hi)
        } else {
            (linear_ticks(lo, hi, 5), Vec::new())
        };
        Axis {
            log,
            lo,
            hi,
            major: ensure_ticks(major, lo, hi),
            minor,
        }
    }

    /// The drawn position of value `v`.
    fn at(&self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
        }
    }

    /// The plotters axis.
    fn ticked(&self) -> TickedAxis {
        TickedAxis::new(self.lo, self.hi, self.major.clone(), self.minor.clone())
    }

    /// A tick's label.
    fn label(&self, v: f64) -> String {
        if self.log {
            log_tick_labeller(self.lo, self.hi)(&v)
        } else {
            fmt_tick(v)
        }
    }
}

impl Curve {
    /// Reads the columns named by the figure's `x` and `y` from the table (finite values; a log axis
    /// drops the others when drawn). `log` is the figure's `log` (log–log axes unless
    /// `[output.figure.curve]` sets `x_log` or `y_log`).
    pub fn read(_plan: &SweepPlan, x_key: &str, y_key: &str, log: bool, table: &Path) -> Result<Curve> {
        let (x_key, y_key) = (x_key.to_string(), y_key.to_string());
        let cols = read_columns(table, &[&x_key, &y_key])?.map_err(|missing| {
            unfit(
                "curve",
                format!(
                    "{}; the curve's x is an axis key, y a column of sweep.csv",
                    no_column(table, &missing)
                ),
            )
        })?;
        let mut points: Vec<(f64, f64)> = cols[0]
            .iter()
            .zip(&cols[1])
            .map(|(&x, &y)| (x, y))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Curve {
            x_key,
            y_key,
            log,
            points,
        })
    }

    /// Whether the x and y axes are logarithmic: `[output.figure.curve]`'s `x_log` and `y_log`, else the
    /// figure's `log` for both.
    pub fn scales(&self, settings: &FigureSettings) -> (bool, bool) {
        let own = settings.overrides(NAME);
        (own.x_log.unwrap_or(self.log), own.y_log.unwrap_or(self.log))
    }

    /// Draws the curve on `root` with the default settings.
    pub fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        self.plot_with(root, &DEFAULT_FIGURE)
    }

    /// Draws the curve on `root` with the scenario's settings: its title (none in the paper styles),
    /// and `[output.figure.curve]`'s title, axis descriptions and scales.
    pub fn plot_with<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        settings: &FigureSettings,
    ) -> std::result::Result<(), String> {
        let own = settings.overrides(NAME);
        let (x_log, y_log) = self.scales(settings);
        let note = |log: bool| if log { " (log scale)" } else { "" };
        let x_desc = own.x_label(&format!("{}{}", key_words(&self.x_key), note(x_log)));
        let y_desc = own.y_label(&format!("{}{}", key_words(&self.y_key), note(y_log)));
        let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        // A log axis cannot show values ≤ 0: those points are left out.
        let points: Vec<(f64, f64)> = self
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| (!x_log || x > 0.0) && (!y_log || y > 0.0))
            .collect();
        let xa = Axis::framing(points.iter().map(|p| p.0), x_log, if x_log { 0.03 } else { 0.05 });
        let ya = Axis::framing(points.iter().map(|p| p.1), y_log, 0.05);
        let drawn: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (xa.at(x), ya.at(y))).collect();
        let title = format!("{} against {}", key_words(&self.y_key), key_words(&self.x_key));
        let area = titled(root, NAME, &title, settings, LABEL_SIZE)?;
        let x_ticks: Vec<String> = xa.major.iter().map(|&v| xa.label(v)).collect();
        let mut chart = ChartBuilder::on(&area)
            .margin(20)
            .margin_right(end_room(&x_ticks, 20))
            .x_label_area_size(62)
            .y_label_area_size(y_label_room(ya.major.iter().map(|&v| ya.label(v))))
            .build_cartesian_2d(xa.ticked(), ya.ticked())
            .map_err(fail)?;
        let desc = desc_style(&x_desc, &y_desc, chart.plotting_area().dim_in_pixel());
        let (fx, fy) = (|v: &f64| xa.label(*v), |v: &f64| ya.label(*v));
        chart
            .configure_mesh()
            .x_desc(x_desc.clone())
            .y_desc(y_desc.clone())
            .axis_desc_style(desc)
            .label_style(text(TICK_SIZE))
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()
            .map_err(fail)?;
        let c = series_color(0);
        chart
            .draw_series(LineSeries::new(drawn.clone(), c.stroke_width(LINE_WIDTH)))
            .map_err(fail)?;
        chart
            .draw_series(drawn.iter().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(fail)?;
        Ok(())
    }
}
