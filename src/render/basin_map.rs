//! The basin map of a sweep over a 2-D grid of starts (`init.point[0]` × `init.point[1]`): one panel per
//! method colouring each start by the known minimum the method ends at (Okabe–Ito, with a legend giving
//! the minima's coordinates; light grey where it reaches none or diverges), and one panel marking in
//! black the starts where the first two methods end in different places.

use super::style::{fmt_tick, series_color, text, LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE};
use super::sweep::{key_words, methods, titled, unfit};
use crate::error::Result;
use crate::formats::sweep::{no_column, read_columns};
use crate::formats::sweep_summary::SweepPlan;
use crate::outspec::{FigureSettings, DEFAULT_FIGURE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The figure's name.
const NAME: &str = "basin_map";

/// The colour of starts that reach no known minimum.
const NONE: RGBColor = RGBColor(225, 225, 225);
/// The pixel size of one panel.
const PANEL: u32 = 560;
/// The height of the legend strip under the panels.
const LEGEND_HEIGHT: u32 = 130;

/// A basin map's data: the grid and, per method, the minimum reached at each start.
pub struct BasinMap {
    xs: Vec<f64>,
    ys: Vec<f64>,
    minima: Vec<Vec<f64>>,
    /// Per method: its id and, per row, the minimum index (None: none reached).
    reached: Vec<(String, Vec<Option<usize>>)>,
    cells: Vec<(usize, usize)>,
}

/// The sorted distinct values of `v`.
fn distinct(v: &[f64]) -> Vec<f64> {
    let mut u: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    u.sort_by(f64::total_cmp);
    u.dedup();
    u
}

impl BasinMap {
    /// Reads the starts and every method's `minimum` column.
    pub fn read(plan: &SweepPlan, table: &Path) -> Result<BasinMap> {
        let minima = plan.minima.clone();
        if minima.is_empty() {
            return Err(unfit(
                "basin_map",
                "the objective has no known minima to colour by".into(),
            ));
        }
        let ids: Vec<String> = methods(plan).into_iter().map(|(id, _)| id).collect();
        let mut names = vec!["init.point[0]".to_string(), "init.point[1]".to_string()];
        names.extend(ids.iter().map(|id| format!("{id}.minimum")));
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let cols = read_columns(table, &refs)?.map_err(|missing| {
            unfit(
                "basin_map",
                format!(
                    "{}; a basin map needs a grid of starts (`init_grid` in [sweep])",
                    no_column(table, &missing)
                ),
            )
        })?;
        let (xs, ys) = (distinct(&cols[0]), distinct(&cols[1]));
        let at = |u: &[f64], v: f64| u.binary_search_by(|p| p.total_cmp(&v)).ok();
        let cells = cols[0]
            .iter()
            .zip(&cols[1])
            .map(|(&x, &y)| (at(&xs, x).unwrap_or(0), at(&ys, y).unwrap_or(0)))
            .collect();
        let reached = ids
            .into_iter()
            .zip(&cols[2..])
            .map(|(id, c)| {
                let r = c
                    .iter()
                    .map(|&m| (m.is_finite() && m >= 0.0).then_some(m as usize))
                    .collect();
                (id, r)
            })
            .collect();
        Ok(BasinMap {
            xs,
            ys,
            minima,
            reached,
            cells,
        })
    }

    /// The figure's pixel size: a panel per method, one for the disagreement, a legend strip.
    pub fn size(&self) -> (u32, u32) {
        let panels = self.reached.len() as u32 + u32::from(self.reached.len() >= 2);
        (PANEL * panels.max(1), PANEL + LEGEND_HEIGHT + 50)
    }

    /// The fraction of starts where the first two methods end differently.
    pub fn disagreement(&self) -> Option<f64> {
        let (a, b) = (&self.reached.first()?.1, &self.reached.get(1)?.1);
        let n = a.iter().zip(b).filter(|(x, y)| x != y).count();
        Some(n as f64 / a.len().max(1) as f64)
    }

    /// The legend: one swatch per minimum with its coordinates, then "none" and "differ".
    fn legend_entries(&self) -> Vec<(RGBColor, String)> {
        let mut entries: Vec<(RGBColor, String)> = self
            .minima
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let coords: Vec<String> = m.iter().map(|v| format!("{v:.3}")).collect();
                (series_color(i), format!("({})", coords.join(", ")))
            })
            .collect();
        entries.push((NONE, "no minimum / diverged".into()));
        if self.reached.len() >= 2 {
            entries.push((BLACK, "methods differ".into()));
        }
        entries
    }

    /// Draws the panels and the legend with the default settings.
    pub fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        self.plot_with(root, &DEFAULT_FIGURE)
    }

    /// Draws the panels and the legend with the scenario's settings: its title, the methods' labels
    /// on the panels, and `[output.figure.basin_map]`'s title and axis descriptions (each panel's).
    pub fn plot_with<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        settings: &FigureSettings,
    ) -> std::result::Result<(), String> {
        let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let own = settings.overrides(NAME);
        let (x_desc, y_desc) = (
            own.x_label(&key_words("init.point[0]")),
            own.y_label(&key_words("init.point[1]")),
        );
        let name = |k: usize| settings.display_name(&self.reached[k].0);
        let root = titled(root, NAME, "basins of attraction", settings, TITLE_SIZE)?;
        let (w, h) = root.dim_in_pixel();
        // As many legend entries per row as fit the width (at least one), two rows at the default size.
        let entries = self.legend_entries();
        let widest = entries.iter().map(|e| e.1.chars().count()).max().unwrap_or(0) as f64;
        let entry_w = (20.0 + 38.0 + 0.55 * LEGEND_SIZE * widest) as u32;
        let per_row = ((w / entry_w.max(1)) as usize).clamp(1, entries.len().div_ceil(2).max(1));
        let rows = entries.len().div_ceil(per_row) as u32;
        let legend_height = LEGEND_HEIGHT.max(rows * 50 + 30);
        let (panels_area, legend) = root.split_vertically(h.saturating_sub(legend_height));
        let n = self.reached.len() + usize::from(self.reached.len() >= 2);
        let panels = panels_area.split_evenly((1, n));
        let step = |u: &[f64]| {
            if u.len() > 1 {
                (u[u.len() - 1] - u[0]) / (u.len() - 1) as f64
            } else {
                1.0
            }
        };
        let (dx, dy) = (step(&self.xs), step(&self.ys));
        let (x0, x1) = (self.xs[0] - dx / 2.0, self.xs[self.xs.len() - 1] + dx / 2.0);
        let (y0, y1) = (self.ys[0] - dy / 2.0, self.ys[self.ys.len() - 1] + dy / 2.0);
        let disagree = self.disagreement();
        for (k, area) in panels.iter().enumerate() {
            let caption = match self.reached.get(k) {
                Some(_) => name(k).to_string(),
                None => format!(
                    "{} ≠ {}: {:.1}%{}",
                    name(0),
                    name(1),
                    100.0 * disagree.unwrap_or(f64::NAN),
                    if area.dim_in_pixel().0 >= 400 {
                        " of starts"
                    } else {
                        ""
                    }
                ),
            };
            let mut chart = ChartBuilder::on(area)
                .caption(caption, text(LABEL_SIZE))
                .margin(12)
                .x_label_area_size(75)
                .y_label_area_size(85)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(x_desc.clone())
                .y_desc(y_desc.clone())
                .axis_desc_style(text(LABEL_SIZE))
                .label_style(text(TICK_SIZE))
                .x_labels(5)
                .y_labels(5)
                .x_label_formatter(&|v| fmt_tick(*v))
                .y_label_formatter(&|v| fmt_tick(*v))
                .draw()
                .map_err(fail)?;
            let colour = |row: usize| -> RGBColor {
                match self.reached.get(k) {
                    Some((_, r)) => r[row].map_or(NONE, series_color),
                    None if self.reached[0].1[row] != self.reached[1].1[row] => BLACK,
                    None => WHITE,
                }
            };
            chart
                .draw_series(self.cells.iter().enumerate().map(|(row, &(i, j))| {
                    let (x, y) = (self.xs[i], self.ys[j]);
                    Rectangle::new(
                        [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                        colour(row).filled(),
                    )
                }))
                .map_err(fail)?;
            chart
                .draw_series(
                    self.minima.iter().map(|m| {
                        Cross::new((m[0], m.get(1).copied().unwrap_or(0.0)), 7, BLACK.stroke_width(2))
                    }),
                )
                .map_err(fail)?;
        }
        let per_row = per_row as u32;
        let col_w = w / per_row;
        for (i, (c, label)) in entries.iter().enumerate() {
            let (col, row) = (i as u32 % per_row, i as u32 / per_row);
            let (x, y) = ((col * col_w + 20) as i32, (row * 50 + 20) as i32);
            legend
                .draw(&Rectangle::new([(x, y), (x + 28, y + 28)], c.filled()))
                .map_err(fail)?;
            legend
                .draw(&Rectangle::new([(x, y), (x + 28, y + 28)], BLACK.stroke_width(1)))
                .map_err(fail)?;
            legend
                .draw(&Text::new(label.clone(), (x + 38, y + 2), text(LEGEND_SIZE)))
                .map_err(fail)?;
        }
        Ok(())
    }
}
