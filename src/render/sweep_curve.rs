//! A metric of a sweep against one axis (e.g. the maximum distance between GD and its flow against η,
//! log–log), one dot per run joined in axis order.

use super::style::{
    desc_style, ensure_ticks, fmt_num, log_tick_labeller, log_ticks, padded_range, series_color, text,
    TickedAxis, LABEL_SIZE, LINE_WIDTH, TICK_SIZE,
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

impl Curve {
    /// Reads the columns named by the figure's `x` and `y` from the table; with `log`, only positive
    /// values are kept.
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
            .filter(|(x, y)| x.is_finite() && y.is_finite() && (!log || (*x > 0.0 && *y > 0.0)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Curve {
            x_key,
            y_key,
            log,
            points,
        })
    }

    /// Draws the curve on `root` with the default settings.
    pub fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        self.plot_with(root, &DEFAULT_FIGURE)
    }

    /// Draws the curve on `root` with the scenario's settings: its title (none in the paper styles),
    /// and `[output.figure.curve]`'s title and axis descriptions.
    pub fn plot_with<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        settings: &FigureSettings,
    ) -> std::result::Result<(), String> {
        let own = settings.overrides(NAME);
        let log_note = if self.log { " (log scale)" } else { "" };
        let x_desc = own.x_label(&format!("{}{log_note}", key_words(&self.x_key)));
        let y_desc = own.y_label(&format!("{}{log_note}", key_words(&self.y_key)));
        let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let range = |v: Vec<f64>| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if lo.is_finite() && hi > lo {
                (lo, hi)
            } else if lo.is_finite() {
                (lo - 0.5 * lo.abs().max(1e-12), hi + 0.5 * hi.abs().max(1e-12))
            } else {
                (1.0, 10.0)
            }
        };
        let (x0, x1) = range(self.points.iter().map(|p| p.0).collect());
        let (y0, y1) = range(self.points.iter().map(|p| p.1).collect());
        let title = format!("{} against {}", key_words(&self.y_key), key_words(&self.x_key));
        let area = titled(root, NAME, &title, settings, LABEL_SIZE)?;
        let mut builder = ChartBuilder::on(&area);
        builder.margin(20).x_label_area_size(62).y_label_area_size(110);
        let series = LineSeries::new(self.points.clone(), series_color(0).stroke_width(LINE_WIDTH));
        let dots = self
            .points
            .iter()
            .map(|&p| Circle::new(p, 4, series_color(0).filled()));
        macro_rules! draw {
            ($chart:expr) => {{
                let mut chart = $chart;
                let desc = desc_style(&x_desc, &y_desc, chart.plotting_area().dim_in_pixel());
                chart
                    .configure_mesh()
                    .x_labels(12)
                    .y_labels(12)
                    .x_desc(x_desc.clone())
                    .y_desc(y_desc.clone())
                    .axis_desc_style(desc)
                    .label_style(text(TICK_SIZE))
                    .x_label_formatter(&|v| fmt_num(*v))
                    .y_label_formatter(&|v| fmt_num(*v))
                    .bold_line_style(BLACK.mix(0.12))
                    .light_line_style(BLACK.mix(0.04))
                    .draw()
                    .map_err(fail)?;
                chart.draw_series(series).map_err(fail)?;
                chart.draw_series(dots).map_err(fail)?;
            }};
        }
        if self.log {
            // Drawn as log10 values on linear axes with the shared log ticks (plotters' own log axis
            // labels only the decades, so a sweep within one decade would show a single tick).
            let logged: Vec<(f64, f64)> = self.points.iter().map(|p| (p.0.log10(), p.1.log10())).collect();
            let (lx0, lx1) = padded_range(x0.log10(), x1.log10(), 0.03, 0.1);
            let (ly0, ly1) = padded_range(y0.log10(), y1.log10(), 0.05, 0.1);
            let axis = |lo: f64, hi: f64| {
                let (major, minor) = log_ticks(lo, hi);
                TickedAxis::new(lo, hi, ensure_ticks(major, lo, hi), minor)
            };
            let mut chart = builder
                .build_cartesian_2d(axis(lx0, lx1), axis(ly0, ly1))
                .map_err(fail)?;
            let (fx, fy) = (log_tick_labeller(lx0, lx1), log_tick_labeller(ly0, ly1));
            let desc = desc_style(&x_desc, &y_desc, chart.plotting_area().dim_in_pixel());
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
                .draw_series(LineSeries::new(logged.clone(), c.stroke_width(LINE_WIDTH)))
                .map_err(fail)?;
            chart
                .draw_series(logged.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(fail)?;
        } else {
            let pad = |lo: f64, hi: f64| (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo));
            let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
            draw!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(fail)?);
        }
        Ok(())
    }
}
