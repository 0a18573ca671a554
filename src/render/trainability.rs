//! The trainability map of a sweep over two axes (Sohl-Dickstein 2024, "The boundary of neural network
//! trainability is fractal"): each grid cell is one run of the first discrete method, blue when it
//! completed and red when it diverged; the shade says how fast — for a completed run the mean recorded
//! loss (darker: lower, i.e. trained faster), for a diverged one the step it diverged at (darker:
//! earlier). Log axes when the axis was log-spaced. Two colour bars give the scales.

use super::style::{fmt_log_tick, fmt_num, fmt_tick, text, LABEL_SIZE, TICK_SIZE, TITLE_SIZE};
use super::sweep::{axis_keys, key_words, methods, titled, unfit};
use crate::error::Result;
use crate::formats::sweep_summary::SweepPlan;
use crate::outspec::FigureSettings;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The figure's name.
const NAME: &str = "trainability";

/// The pixel width of the strip holding the two colour bars.
const BAR_STRIP: u32 = 250;

/// How one run ended, with its shade in [0, 1] (1: darkest).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// Reached the horizon; shade from the mean loss.
    Converged(f64),
    /// Diverged; shade from the step it diverged at.
    Diverged(f64),
    /// No row, or the solver failed.
    Missing,
}

/// A trainability map's data.
pub struct Trainability {
    method: String,
    keys: [String; 2],
    logs: [bool; 2],
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Row-major over (x index, y index).
    cells: Vec<Cell>,
    /// The mean-loss range of the converged runs (log10) and the largest step of any run.
    loss_range: (f64, f64),
    max_step: f64,
}

/// Light to dark blue (converged) and light to dark red (diverged), at shade `t` ∈ [0, 1].
pub fn shade(cell: Cell) -> RGBColor {
    let mix = |light: (f64, f64, f64), dark: (f64, f64, f64), t: f64| {
        let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 1.0 };
        let c = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        RGBColor(c(light.0, dark.0), c(light.1, dark.1), c(light.2, dark.2))
    };
    match cell {
        Cell::Converged(t) => mix((200.0, 222.0, 245.0), (8.0, 48.0, 120.0), t),
        Cell::Diverged(t) => mix((252.0, 210.0, 190.0), (120.0, 0.0, 10.0), t),
        Cell::Missing => RGBColor(235, 235, 235),
    }
}

/// An axis title: the key in words ([`super::sweep::key_words`]), noting a log scale.
fn axis_title(key: &str, log: bool) -> String {
    let words = key_words(key);
    if log {
        format!("{words} (log scale)")
    } else {
        words
    }
}

impl Trainability {
    /// Reads the first two axes and the first discrete method's `termination`, `stop_step` and
    /// `mean_loss` columns.
    pub fn read(plan: &SweepPlan, table: &Path) -> Result<Trainability> {
        let keys = axis_keys(plan);
        if keys.len() != 2 {
            return Err(unfit(
                "trainability",
                format!(
                    "needs exactly two sweep axes (e.g. two learning rates); this sweep has {}",
                    keys.len()
                ),
            ));
        }
        let method = methods(plan)
            .into_iter()
            .find(|m| m.1)
            .map(|m| m.0)
            .ok_or_else(|| unfit("trainability", "the scenario has no discrete method".into()))?;
        let axis = |i: usize| -> (Vec<f64>, bool) { (plan.axes[i].values.clone(), plan.axes[i].log) };
        let ((xs, xlog), (ys, ylog)) = (axis(0), axis(1));
        let (nx, ny) = (xs.len(), ys.len());
        let wanted = [
            keys[0].clone(),
            keys[1].clone(),
            format!("{method}.termination"),
            format!("{method}.stop_step"),
            format!("{method}.mean_loss"),
        ];
        let mut raw: Vec<Option<(bool, f64, f64)>> = vec![None; nx * ny];
        let mut missing_column = None;
        crate::formats::sweep::for_each_row(table, |header, cells| {
            let col: Vec<Option<usize>> = wanted
                .iter()
                .map(|w| header.iter().position(|h| h == w))
                .collect();
            let Some(col) = col.into_iter().collect::<Option<Vec<usize>>>() else {
                missing_column = Some(());
                return;
            };
            let num = |c: usize| cells[c].parse::<f64>().unwrap_or(f64::NAN);
            let find = |v: &[f64], x: f64| v.iter().position(|a| a.to_bits() == x.to_bits());
            if let (Some(i), Some(j)) = (find(&xs, num(col[0])), find(&ys, num(col[1]))) {
                let diverged = match cells[col[2]] {
                    "diverged" => Some(true),
                    "completed" => Some(false),
                    _ => None,
                };
                raw[i * ny + j] = diverged.map(|d| (d, num(col[3]), num(col[4])));
            }
        })?;
        if missing_column.is_some() {
            return Err(unfit(
                "trainability",
                format!("the table lacks one of the columns {}", wanted.join(", ")),
            ));
        }
        // The shade's range: the 2nd to 98th percentile of log10(mean loss) over converged runs, so a
        // few near-divergent runs (huge but bounded losses) do not wash out the rest.
        let mut logs: Vec<f64> = raw
            .iter()
            .flatten()
            .filter(|r| !r.0)
            .map(|r| r.2.log10())
            .filter(|v| v.is_finite())
            .collect();
        logs.sort_by(f64::total_cmp);
        let at = |q: f64| {
            logs.get(((logs.len() as f64 - 1.0) * q).round() as usize)
                .copied()
        };
        let loss_range = (at(0.02).unwrap_or(0.0), at(0.98).unwrap_or(0.0));
        let max_step = raw
            .iter()
            .flatten()
            .map(|r| r.1)
            .filter(|s| s.is_finite())
            .fold(1.0, f64::max);
        let cells = raw
            .iter()
            .map(|r| match *r {
                None => Cell::Missing,
                Some((true, step, _)) => Cell::Diverged(1.0 - (1.0 + step).ln() / (1.0 + max_step).ln()),
                Some((false, _, mean)) => {
                    let (lo, hi) = loss_range;
                    let t = if hi > lo {
                        (hi - mean.log10()) / (hi - lo)
                    } else {
                        0.5
                    };
                    Cell::Converged(t)
                }
            })
            .collect();
        Ok(Trainability {
            method,
            keys: [keys[0].clone(), keys[1].clone()],
            logs: [xlog, ylog],
            xs,
            ys,
            cells,
            loss_range,
            max_step,
        })
    }

    /// The cell at grid indices (i, j) of the first and second axis.
    pub fn cell(&self, i: usize, j: usize) -> Cell {
        self.cells[i * self.ys.len() + j]
    }

    /// The image size.
    pub fn size(&self) -> (u32, u32) {
        (760 + BAR_STRIP, 800)
    }

    /// Draws the map and its two colour bars with the scenario's settings: its title and the method's
    /// label, and `[output.figure.trainability]`'s title and axis descriptions.
    pub fn plot_with<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        settings: &FigureSettings,
    ) -> std::result::Result<(), String> {
        let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let own = settings.overrides(NAME);
        let title = format!("{} trainability", settings.display_name(&self.method));
        let root = titled(root, NAME, &title, settings, TITLE_SIZE)?;
        let width = root.dim_in_pixel().0;
        let (map, bars) = root.split_horizontally(width.saturating_sub(BAR_STRIP));
        // Cell edges: midpoints between neighbouring values (in log10 for a log axis).
        let coord = |v: f64, log: bool| if log { v.log10() } else { v };
        let edges = |vals: &[f64], log: bool| -> Vec<f64> {
            let c: Vec<f64> = vals.iter().map(|&v| coord(v, log)).collect();
            let n = c.len();
            let half = |k: usize| {
                if n > 1 {
                    (c[k.min(n - 1)] - c[k.saturating_sub(1)]) / 2.0
                } else {
                    0.5
                }
            };
            let mut e = vec![c[0] - half(1)];
            e.extend((1..n).map(|k| (c[k - 1] + c[k]) / 2.0));
            e.push(c[n - 1] + half(n - 1));
            e
        };
        if self.xs.is_empty() || self.ys.is_empty() {
            return Err("the sweep has no rows".into());
        }
        let (ex, ey) = (edges(&self.xs, self.logs[0]), edges(&self.ys, self.logs[1]));
        // On a log axis spanning a decade or more only whole decades are labelled (plotters also offers
        // half decades); a narrower zoom labels every tick with its value.
        let label = |log: bool, span: f64| {
            move |v: &f64| match log {
                true if span < 1.0 => fmt_tick(10f64.powf(*v)),
                true if (v - v.round()).abs() < 1e-9 => fmt_log_tick(*v),
                true => String::new(),
                false => fmt_tick(*v),
            }
        };
        let span = |e: &[f64]| e[e.len() - 1] - e[0];
        let (lx, ly) = (label(self.logs[0], span(&ex)), label(self.logs[1], span(&ey)));
        let mut chart = ChartBuilder::on(&map)
            .margin(20)
            .x_label_area_size(62)
            .y_label_area_size(100)
            .build_cartesian_2d(ex[0]..ex[ex.len() - 1], ey[0]..ey[ey.len() - 1])
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(own.x_label(&axis_title(&self.keys[0], self.logs[0])))
            .y_desc(own.y_label(&axis_title(&self.keys[1], self.logs[1])))
            .axis_desc_style(text(LABEL_SIZE))
            .label_style(text(TICK_SIZE))
            .x_label_formatter(&lx)
            .y_label_formatter(&ly)
            .draw()
            .map_err(fail)?;
        let rects = (0..self.xs.len()).flat_map(|i| {
            let (ex, ey) = (&ex, &ey);
            (0..self.ys.len()).map(move |j| {
                Rectangle::new(
                    [(ex[i], ey[j]), (ex[i + 1], ey[j + 1])],
                    shade(self.cell(i, j)).filled(),
                )
            })
        });
        chart.draw_series(rects).map_err(fail)?;
        self.colour_bars(&bars).map_err(|e| e.to_string())
    }

    /// The two vertical colour bars: converged (mean loss) and diverged (step of divergence).
    fn colour_bars<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (w, h) = area.dim_in_pixel();
        let (top, bottom) = (110i32, h as i32 - 120);
        let bar_w = 34i32;
        let small = text(TICK_SIZE - 4.0);
        let head = text(TICK_SIZE - 2.0);
        let columns = [
            (
                "converged",
                "mean loss",
                (|t| shade(Cell::Converged(t))) as fn(f64) -> RGBColor,
                fmt_num(10f64.powf(self.loss_range.0)),
                fmt_num(10f64.powf(self.loss_range.1)),
            ),
            (
                "diverged",
                "at step",
                (|t| shade(Cell::Diverged(t))) as fn(f64) -> RGBColor,
                "1".to_string(),
                format!("{}", self.max_step),
            ),
        ];
        for (k, (name, what, colour, dark_label, light_label)) in columns.iter().enumerate() {
            let x = 20 + k as i32 * (w as i32 / 2);
            area.draw(&Text::new(name.to_string(), (x, top - 95), head.clone()))?;
            area.draw(&Text::new(what.to_string(), (x, top - 65), small.clone()))?;
            let n = (bottom - top).max(1);
            for p in 0..n {
                // Top of the bar: darkest (lowest mean loss, earliest divergence).
                let t = 1.0 - p as f64 / n as f64;
                area.draw(&Rectangle::new(
                    [(x, top + p), (x + bar_w, top + p + 1)],
                    colour(t).filled(),
                ))?;
            }
            area.draw(&Rectangle::new(
                [(x, top), (x + bar_w, bottom)],
                BLACK.stroke_width(1),
            ))?;
            area.draw(&Text::new(dark_label.clone(), (x, top - 30), small.clone()))?;
            area.draw(&Text::new(light_label.clone(), (x, bottom + 8), small.clone()))?;
        }
        Ok(())
    }
}
