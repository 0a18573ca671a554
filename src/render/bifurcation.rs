//! The orbit diagram of a sweep over the step size (or another axis): for each axis value, the last K
//! recorded iterates' first coordinate of the first discrete method (`<id>.tail_j`), with the first
//! continuous model's end point for contrast.

use super::legend;
use super::style::{fmt_tick, series_color, text, TICK_SIZE, TITLE_SIZE};
use super::sweep::{axis_keys, key_words, methods, titled, unfit};
use crate::error::Result;
use crate::formats::sweep::{no_column, read_columns};
use crate::formats::sweep_summary::SweepPlan;
use crate::outspec::{FigureSettings, DEFAULT_FIGURE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The figure's name.
const NAME: &str = "bifurcation";

/// The points of an orbit diagram.
pub struct Orbits {
    axis: String,
    method: String,
    /// (axis value, iterate) for every kept iterate of every run.
    iterates: Vec<(f64, f64)>,
    /// The flow's id and (axis value, end point).
    flow: Option<(String, Vec<(f64, f64)>)>,
}

impl Orbits {
    /// Reads the tail columns of the first discrete method against the first axis that is not a start
    /// coordinate.
    pub fn read(plan: &SweepPlan, table: &Path) -> Result<Orbits> {
        let tail = plan.tail;
        let axis = axis_keys(plan)
            .into_iter()
            .find(|k| !k.starts_with("init.point"))
            .ok_or_else(|| {
                unfit(
                    "bifurcation",
                    "the sweep has no axis besides the starts (e.g. run.step_size)".into(),
                )
            })?;
        let ms = methods(plan);
        let method = ms
            .iter()
            .find(|m| m.1)
            .map(|m| m.0.clone())
            .ok_or_else(|| unfit("bifurcation", "the scenario has no discrete method".into()))?;
        if tail == 0 {
            return Err(unfit(
                "bifurcation",
                "the sweep keeps no tail (set `tail = K` in [sweep])".into(),
            ));
        }
        let mut names = vec![axis.clone()];
        names.extend((0..tail).map(|j| format!("{method}.tail_{j}")));
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let cols = read_columns(table, &refs)?.map_err(|m| no_column(table, &m))?;
        let mut iterates = Vec::new();
        for (r, &x) in cols[0].iter().enumerate() {
            for c in &cols[1..] {
                if c[r].is_finite() {
                    iterates.push((x, c[r]));
                }
            }
        }
        let flow = match ms.iter().find(|m| !m.1) {
            Some((id, _)) => {
                let c =
                    read_columns(table, &[&axis, &format!("{id}.x0")])?.map_err(|m| no_column(table, &m))?;
                let pts = c[0]
                    .iter()
                    .zip(&c[1])
                    .map(|(&a, &b)| (a, b))
                    .filter(|p| p.1.is_finite())
                    .collect();
                Some((id.clone(), pts))
            }
            None => None,
        };
        Ok(Orbits {
            axis,
            method,
            iterates,
            flow,
        })
    }

    /// Draws the diagram with the default settings.
    pub fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        self.plot_with(root, &DEFAULT_FIGURE)
    }

    /// Draws the diagram with the scenario's settings: its title, legend placement and method labels,
    /// and `[output.figure.bifurcation]`'s title and axis descriptions.
    pub fn plot_with<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        settings: &FigureSettings,
    ) -> std::result::Result<(), String> {
        let own = settings.overrides(NAME);
        let method = settings.display_name(&self.method);
        let flow = self
            .flow
            .as_ref()
            .map(|(id, pts)| (settings.display_name(id), pts));
        let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let all = || {
            self.iterates
                .iter()
                .chain(self.flow.iter().flat_map(|f| f.1.iter()))
        };
        let (mut x0, mut x1, mut y0, mut y1) =
            (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for &(x, y) in all() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 >= x1 || !x0.is_finite() {
            (x0, x1) = (x0.min(0.0), x0.max(0.0) + 1.0);
        }
        if y0 >= y1 || !y0.is_finite() {
            (y0, y1) = (-1.0, 1.0);
        }
        let (py, px) = (0.05 * (y1 - y0), 0.02 * (x1 - x0));
        // The legend's entries in drawing order; every dot and cross is data it must not cover.
        let mut labels = vec![format!("{method}: last iterates")];
        let mut marks: Vec<Vec<(f64, f64)>> = self.iterates.iter().map(|&p| vec![p]).collect();
        if let Some((id, pts)) = &flow {
            labels.push(format!("{id}: end point"));
            marks.extend(pts.iter().map(|&p| vec![p]));
        }
        let request = legend::Request {
            labels: &labels,
            marks: &marks,
            placement: settings.legend,
            symbols: &[],
        };
        let title = format!("orbit diagram of {method}");
        let area = titled(root, NAME, &title, settings, TITLE_SIZE)?;
        let build = |(lo, hi): (f64, f64)| {
            ChartBuilder::on(&area)
                .margin(20)
                .x_label_area_size(62)
                .y_label_area_size(90)
                .build_cartesian_2d((x0 - px)..(x1 + px), lo..hi)
                .map_err(fail)
        };
        let y = (y0 - py, y1 + py);
        let spot = legend::choose(build(y)?.plotting_area(), &request);
        let mut chart = build(spot.y_range(y))?;
        let (x_desc, y_desc) = (
            own.x_label(&key_words(&self.axis)),
            own.y_label("θ₀ (last iterates)"),
        );
        let desc = super::style::desc_style(&x_desc, &y_desc, chart.plotting_area().dim_in_pixel());
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(desc)
            .label_style(text(TICK_SIZE))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04))
            .draw()
            .map_err(fail)?;
        let gd = series_color(0);
        chart
            .draw_series(self.iterates.iter().map(|&p| Circle::new(p, 2, gd.filled())))
            .map_err(fail)?
            .label(labels[0].clone())
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, gd.filled()));
        if let Some((_, pts)) = &flow {
            let c = series_color(1);
            chart
                .draw_series(pts.iter().map(|&p| Cross::new(p, 5, c.stroke_width(2))))
                .map_err(fail)?
                .label(labels[1].clone())
                .legend(move |(x, y)| Cross::new((x + 10, y), 6, c.stroke_width(2)));
        }
        legend::draw(&mut chart, spot, &request)
    }
}
