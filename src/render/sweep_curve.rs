//! A metric of a sweep against one axis (e.g. the maximum distance between GD and its flow against η,
//! log–log), one dot per run joined in axis order.

use super::style::{fmt_num, series_color, text, LABEL_SIZE, LINE_WIDTH, TICK_SIZE, TITLE_SIZE};
use super::sweep::unfit;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The points of a curve figure.
pub struct Curve {
    x_key: String,
    y_key: String,
    log: bool,
    points: Vec<(f64, f64)>,
    title: String,
}

impl Curve {
    /// Reads the columns named by the figure's `x` and `y` from the table; with `log`, only positive
    /// values are kept.
    pub fn read(summary: &serde_json::Value, figure: &serde_json::Value, table: &Path) -> Result<Curve> {
        let x_key = figure["x"].as_str().unwrap_or_default().to_string();
        let y_key = figure["y"].as_str().unwrap_or_default().to_string();
        let log = figure["log"] == true;
        let cols = crate::sweep::read_columns(table, &[&x_key, &y_key]).map_err(|e| {
            unfit(
                "curve",
                format!("{e}; the curve's x is an axis key, y a column of sweep.csv"),
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
            title: summary["scenario"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// Draws the curve on `root`.
    pub fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
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
        let area = root
            .titled(
                &format!("{}: {} against {}", self.title, self.y_key, self.x_key),
                text(TITLE_SIZE),
            )
            .map_err(fail)?;
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
                chart
                    .configure_mesh()
                    .x_desc(self.x_key.as_str())
                    .y_desc(self.y_key.as_str())
                    .axis_desc_style(text(LABEL_SIZE))
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
            let pad = |lo: f64, hi: f64| (lo / 1.2, hi * 1.2);
            let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
            draw!(builder
                .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
                .map_err(fail)?);
        } else {
            let pad = |lo: f64, hi: f64| (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo));
            let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
            draw!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(fail)?);
        }
        Ok(())
    }
}
