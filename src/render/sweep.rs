//! Figures of a finished sweep, drawn from `sweep.csv` and the sweep's `summary.json` (so a merge, or a
//! later redraw, needs nothing else): [`super::sweep_curve`], [`super::basin_map`],
//! [`super::bifurcation`], [`super::sweep_overlay`] (from `kept.csv`). PNG only.

use super::style;
use crate::error::{Error, Result};
use crate::formats::sweep_summary::{SavedFigure, SweepPlan};
use crate::outspec;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Draws every figure the plan's `figures` list names into `dir` (created when needed).
pub fn sweep_figures(plan: &SweepPlan, table: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in &plan.figures {
        let kind = match f {
            SavedFigure::Curve { .. } => "curve",
            SavedFigure::BasinMap => "basin_map",
            SavedFigure::Bifurcation => "bifurcation",
            SavedFigure::Trainability => "trainability",
            SavedFigure::Overlay { .. } => "overlay",
        };
        let fail = |message: String| Error::Render {
            figure: kind.to_string(),
            message,
        };
        style::ensure_font().map_err(fail)?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = match f {
            SavedFigure::Curve { x, y, log } => {
                let data = super::sweep_curve::Curve::read(plan, x, y, *log, table)?;
                save(dir, "curve", (outspec::WIDTH, outspec::HEIGHT), |a| data.plot(a)).map_err(fail)?
            }
            SavedFigure::BasinMap => {
                let data = super::basin_map::BasinMap::read(plan, table)?;
                save(dir, "basin_map", data.size(), |a| data.plot(a)).map_err(fail)?
            }
            SavedFigure::Bifurcation => {
                let data = super::bifurcation::Orbits::read(plan, table)?;
                save(dir, "bifurcation", (outspec::WIDTH, outspec::HEIGHT), |a| {
                    data.plot(a)
                })
                .map_err(fail)?
            }
            SavedFigure::Trainability => {
                let data = super::trainability::Trainability::read(plan, table)?;
                save(dir, "trainability", data.size(), |a| data.plot(a)).map_err(fail)?
            }
            SavedFigure::Overlay { .. } => {
                // kept.csv sits beside sweep.csv in every sweep folder.
                let kept = table.with_file_name(crate::formats::kept::KEPT);
                let data = super::sweep_overlay::Overlay::read(plan, f, &kept)?;
                save(dir, "overlay", (outspec::WIDTH, outspec::HEIGHT), |a| {
                    data.plot(a)
                })
                .map_err(fail)?
            }
        };
        written.push(path);
    }
    Ok(written)
}

/// Renders into a hidden temporary PNG beside `dir/<name>.png`, then renames it into place.
fn save(
    dir: &Path,
    name: &str,
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> std::result::Result<(), String>,
) -> std::result::Result<PathBuf, String> {
    let path = dir.join(format!("{name}.png"));
    let tmp = dir.join(format!(".{name}.tmp.{}.png", std::process::id()));
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
    Ok(path)
}

/// The sweep's axis keys, slowest first.
pub(crate) fn axis_keys(plan: &SweepPlan) -> Vec<String> {
    plan.axes.iter().map(|a| a.key.clone()).collect()
}

/// The sweep's methods as (id, discrete).
pub(crate) fn methods(plan: &SweepPlan) -> Vec<(String, bool)> {
    plan.methods.iter().map(|m| (m.id.clone(), m.discrete)).collect()
}

/// A figure error for data that cannot make the figure.
pub(crate) fn unfit(figure: &str, message: String) -> Error {
    Error::Render {
        figure: figure.to_string(),
        message,
    }
}
