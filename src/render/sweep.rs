//! Figures of a finished sweep, drawn from `sweep.csv` and the sweep's `summary.json` (so a merge, or a
//! later redraw, needs nothing else): [`super::sweep_curve`], [`super::basin_map`],
//! [`super::bifurcation`]. PNG only.

use super::style;
use crate::error::{Error, Result};
use crate::outspec;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Draws every figure the summary's `figures` list names into `dir` (created when needed).
pub fn sweep_figures(summary: &serde_json::Value, table: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in summary["figures"].as_array().into_iter().flatten() {
        let kind = f["kind"].as_str().unwrap_or_default();
        let fail = |message: String| Error::Render {
            figure: kind.to_string(),
            message,
        };
        style::ensure_font().map_err(fail)?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = match kind {
            "curve" => {
                let data = super::sweep_curve::Curve::read(summary, f, table)?;
                save(dir, "curve", (outspec::WIDTH, outspec::HEIGHT), |a| data.plot(a)).map_err(fail)?
            }
            "basin_map" => {
                let data = super::basin_map::BasinMap::read(summary, table)?;
                save(dir, "basin_map", data.size(), |a| data.plot(a)).map_err(fail)?
            }
            "bifurcation" => {
                let data = super::bifurcation::Orbits::read(summary, table)?;
                save(dir, "bifurcation", (outspec::WIDTH, outspec::HEIGHT), |a| {
                    data.plot(a)
                })
                .map_err(fail)?
            }
            "trainability" => {
                let data = super::trainability::Trainability::read(summary, table)?;
                save(dir, "trainability", data.size(), |a| data.plot(a)).map_err(fail)?
            }
            other => return Err(fail(format!("unknown sweep figure `{other}`"))),
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

/// The sweep's axis keys, from its summary.
pub(crate) fn axis_keys(summary: &serde_json::Value) -> Vec<String> {
    summary["axes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["key"].as_str().map(str::to_string))
        .collect()
}

/// The sweep's methods as (id, discrete).
pub(crate) fn methods(summary: &serde_json::Value) -> Vec<(String, bool)> {
    summary["methods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m["id"].as_str()?.to_string(), m["discrete"].as_bool()?)))
        .collect()
}

/// A figure error for data that cannot make the figure.
pub(crate) fn unfit(figure: &str, message: String) -> Error {
    Error::Render {
        figure: figure.to_string(),
        message,
    }
}
