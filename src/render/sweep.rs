//! Figures of a finished sweep, drawn from `sweep.csv` and the sweep's `summary.json` (so a merge, or a
//! later redraw, needs nothing else): [`super::sweep_curve`], [`super::basin_map`],
//! [`super::bifurcation`], [`super::sweep_overlay`] (from `kept.csv`), [`super::trainability`]. They are
//! drawn with the swept scenario's `[output]` settings as the summary saved them (style, size, dpi,
//! formats, title, legend, method labels, `[output.figure.<kind>]`), through the same writer as a run's
//! figures.

use super::style;
use super::{write_files, Figure};
use crate::error::{Error, Result};
use crate::formats::sweep_summary::{SavedFigure, SweepPlan};
use crate::outspec::{self, FigureSettings, FigureStyle, OutputSpec};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// A sweep figure's data, read once and drawn in every format.
enum Drawn {
    Curve(super::sweep_curve::Curve),
    BasinMap(super::basin_map::BasinMap),
    Bifurcation(super::bifurcation::Orbits),
    Trainability(super::trainability::Trainability),
    Overlay(super::sweep_overlay::Overlay),
}

/// A sweep figure with the settings it is drawn with.
struct WithSettings<'s>(&'s Drawn, &'s FigureSettings);

impl Figure for WithSettings<'_> {
    fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let s = self.1;
        // The screen PNG's buffer starts black; every figure is drawn on white.
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        match self.0 {
            Drawn::Curve(d) => d.plot_with(root, s),
            Drawn::BasinMap(d) => d.plot_with(root, s),
            Drawn::Bifurcation(d) => d.plot_with(root, s),
            Drawn::Trainability(d) => d.plot_with(root, s),
            Drawn::Overlay(d) => d.plot_with(root, s),
        }
    }
}

/// The settings of a figure whose screen canvas follows its data (a panel per method, colour bars):
/// `own` pixels unless the scenario gave another size or a paper style.
fn own_canvas(settings: &FigureSettings, own: (u32, u32)) -> FigureSettings {
    let mut s = settings.clone();
    if s.style == FigureStyle::Screen && (s.width, s.height) == (outspec::WIDTH, outspec::HEIGHT) {
        (s.width, s.height) = own;
    }
    s
}

/// Draws every figure the plan's `figures` list names into `dir` (created when needed), in each of the
/// scenario's formats, with its figure settings (both from the plan's saved `output`).
pub fn sweep_figures(plan: &SweepPlan, table: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let (formats, settings) = OutputSpec::from_saved(plan.output.as_ref()).map_err(|m| Error::Render {
        figure: "sweep".to_string(),
        message: format!("the sweep summary's figure settings: {m}"),
    })?;
    let mut written = Vec::new();
    for f in &plan.figures {
        let kind = match f {
            SavedFigure::Curve { .. } => "curve",
            SavedFigure::BasinMap => "basin_map",
            SavedFigure::Bifurcation => "bifurcation",
            SavedFigure::Trainability => "trainability",
            SavedFigure::Overlay { .. } => "overlay",
        };
        style::ensure_font().map_err(|message| Error::Render {
            figure: kind.to_string(),
            message,
        })?;
        let (drawn, settings) = match f {
            SavedFigure::Curve { x, y, log } => (
                Drawn::Curve(super::sweep_curve::Curve::read(plan, x, y, *log, table)?),
                settings.clone(),
            ),
            SavedFigure::BasinMap => {
                let data = super::basin_map::BasinMap::read(plan, table)?;
                let s = own_canvas(&settings, data.size());
                (Drawn::BasinMap(data), s)
            }
            SavedFigure::Bifurcation => (
                Drawn::Bifurcation(super::bifurcation::Orbits::read(plan, table)?),
                settings.clone(),
            ),
            SavedFigure::Trainability => {
                let data = super::trainability::Trainability::read(plan, table)?;
                let s = own_canvas(&settings, data.size());
                (Drawn::Trainability(data), s)
            }
            SavedFigure::Overlay { .. } => {
                // kept.csv sits beside sweep.csv in every sweep folder.
                let kept = table.with_file_name(crate::formats::kept::KEPT);
                (
                    Drawn::Overlay(super::sweep_overlay::Overlay::read(plan, f, &kept)?),
                    settings.clone(),
                )
            }
        };
        written.extend(write_files(
            kind,
            &WithSettings(&drawn, &settings),
            dir,
            &formats,
            &settings,
        )?);
    }
    Ok(written)
}

/// `root` under a sweep figure's title at `size` ([`FigureSettings::title_of`]: the kind's own
/// `title`, else `default` when titles are on), or `root` itself with a title's top gap.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    kind: &str,
    default: &str,
    settings: &FigureSettings,
    size: f64,
) -> std::result::Result<DrawingArea<DB, Shift>, String> {
    match settings.title_of(kind, default) {
        Some(title) => root.titled(&title, style::text(size)).map_err(|e| e.to_string()),
        None => Ok(root.margin(6, 0, 0, 0)),
    }
}

/// The sweep's axis keys, slowest first.
pub(crate) fn axis_keys(plan: &SweepPlan) -> Vec<String> {
    plan.axes.iter().map(|a| a.key.clone()).collect()
}

/// The sweep's methods as (id, discrete).
pub(crate) fn methods(plan: &SweepPlan) -> Vec<(String, bool)> {
    plan.methods.iter().map(|m| (m.id.clone(), m.discrete)).collect()
}

/// Subscript digits, for `init.point[i]` → θᵢ(0).
const SUBSCRIPTS: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];

/// `key[i]` split into `key` and `i`.
fn indexed(key: &str) -> Option<(&str, usize)> {
    let (name, rest) = key.split_once('[')?;
    Some((name, rest.strip_suffix(']')?.parse().ok()?))
}

/// A sweep axis key or `sweep.csv` column named in words for a figure's axis or title, by one rule for
/// any key: the keys a reader knows by name (`run.step_size` → "step size η",
/// `method.gd.step_size_scale[0]` → "layer-1 step size scale", `gd_vs_flow.max_distance` → "max distance
/// from gd to flow", `gd.final_loss` → "final loss of gd", …) from a table; any other key as it is
/// written, so an axis is never unnamed.
pub fn key_words(key: &str) -> String {
    let fixed = match key {
        "run.step_size" => Some("step size η"),
        "run.steps" => Some("number of steps"),
        "run.divergence_bound" => Some("divergence bound"),
        "init.seed" => Some("initialisation seed"),
        "init.scale" => Some("initialisation scale"),
        "objective.l2" => Some("weight decay (L2)"),
        "objective.data.seed" => Some("data seed"),
        "objective.data.noise" => Some("label noise σ"),
        "objective.data.samples" => Some("number of samples"),
        _ => None,
    };
    if let Some(words) = fixed {
        return words.to_string();
    }
    if let Some((name, i)) = indexed(key) {
        if name == "init.point" {
            let sub: String = i
                .to_string()
                .bytes()
                .map(|b| SUBSCRIPTS[(b - b'0') as usize])
                .collect();
            return format!("start θ{sub}(0)");
        }
    }
    if let Some(rest) = key.strip_prefix("method.") {
        if let Some((id, param)) = rest.split_once('.') {
            if let Some(("step_size_scale", i)) = indexed(param) {
                return format!("layer-{} step size scale", i + 1);
            }
            let words = match param {
                "beta" => Some("momentum β"),
                "beta1" => Some("β₁"),
                "beta2" => Some("β₂"),
                "rtol" => Some("relative tolerance"),
                "atol" => Some("absolute tolerance"),
                _ => None,
            };
            if let Some(w) = words {
                return format!("{w} of {id}");
            }
        }
        return key.to_string();
    }
    if let Some((prefix, column)) = key.rsplit_once('.') {
        if let Some((a, b)) = prefix.split_once("_vs_") {
            match column {
                "max_distance" => return format!("max distance from {a} to {b}"),
                "departure_time" => return format!("time {a} departs from {b}"),
                _ => {}
            }
        }
        let words = match column {
            "final_loss" => Some("final loss"),
            "mean_loss" => Some("mean loss"),
            "grad_norm" => Some("final gradient norm"),
            "stop_step" => Some("stop step"),
            "test_loss" => Some("final test loss"),
            "best_test_loss" => Some("lowest test loss"),
            "train_accuracy" => Some("final training accuracy"),
            "test_accuracy" => Some("final test accuracy"),
            _ => None,
        };
        if let Some(w) = words {
            return format!("{w} of {prefix}");
        }
    }
    key.to_string()
}

/// A figure error for data that cannot make the figure.
pub(crate) fn unfit(figure: &str, message: String) -> Error {
    Error::Render {
        figure: figure.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::key_words;

    #[test]
    fn keys_are_named_in_words_and_unknown_keys_as_written() {
        assert_eq!(key_words("run.step_size"), "step size η");
        assert_eq!(
            key_words("method.gd.step_size_scale[0]"),
            "layer-1 step size scale"
        );
        assert_eq!(
            key_words("method.gd.step_size_scale[11]"),
            "layer-12 step size scale"
        );
        assert_eq!(
            key_words("gd_vs_flow.max_distance"),
            "max distance from gd to flow"
        );
        assert_eq!(
            key_words("gd_vs_flow.departure_time"),
            "time gd departs from flow"
        );
        assert_eq!(key_words("hb.final_loss"), "final loss of hb");
        assert_eq!(key_words("method.hb.beta"), "momentum β of hb");
        assert_eq!(key_words("init.point[1]"), "start θ₁(0)");
        assert_eq!(key_words("init.point[10]"), "start θ₁₀(0)");
        // Anything else keeps its key: never an empty label.
        for key in [
            "objective.width",
            "method.gd.order",
            "gd.tail_3",
            "x",
            "init.point[a]",
        ] {
            assert_eq!(key_words(key), key);
        }
    }
}
