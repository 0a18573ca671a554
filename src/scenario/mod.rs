//! Scenarios: TOML files parsed, checked once into a [`Scenario`], and found by name.

mod block_steps;
mod budget;
mod ctx;
mod data;
mod diagnostics;
mod figure_keys;
mod load;
mod locate;
mod objectives;
mod stochastic;
pub mod sweep;

pub use data::SOURCES as DATA_SOURCES;
pub use objectives::KINDS as OBJECTIVE_KINDS;

pub use budget::{
    check_budget, memory_budget, parse_size, work_budget, DEFAULT_MEMORY_BUDGET, DEFAULT_WORK_BUDGET,
    MEMORY_BUDGET_VAR, WORK_BUDGET_VAR,
};
pub use ctx::excerpt;
pub use load::{load, parse, read_source, MAX_ID_CHARS, MAX_STEPS, METHOD_FILE_SUFFIXES};

use crate::error::{Error, Result};
use crate::objective::Objective;
use crate::outspec::{FigureKind, ImageFormat};
use crate::trajectory::TimeGrid;
use std::path::{Path, PathBuf};

/// A checked scenario, ready to run: every value in it has been validated.
pub struct Scenario {
    /// The scenario's name (the default output folder is `output/<name>/`).
    pub name: String,
    /// One line on what it shows.
    pub description: String,
    /// The file it came from.
    pub source: PathBuf,
    /// The file's text as parsed (saved beside the outputs, so a run can be redrawn even if the file
    /// has since changed or never existed on disk).
    pub text: String,
    /// The objective, as written in the file (resolved settings for the summary).
    pub objective_settings: serde_json::Value,
    /// The objective, built.
    pub objective: Box<dyn Objective>,
    /// The initial point θ0.
    pub init: Vec<f64>,
    /// The run's time axis on t = k·η; a method with another time map uses
    /// `grid.with_time_map(kind.time_map())`.
    pub grid: TimeGrid,
    /// The loss above which a method counts as diverged.
    pub divergence_bound: f64,
    /// The methods, in file order.
    pub methods: Vec<crate::method::MethodConfig>,
    /// The comparisons, in file order.
    pub comparisons: Vec<crate::experiment::CompareConfig>,
    /// The figures to draw.
    pub figures: Vec<FigureKind>,
    /// The formats to draw them in.
    pub formats: Vec<ImageFormat>,
    /// The post-run diagnostics asked for in `[diagnostics]` (none when the table is absent).
    pub diagnostics: Option<crate::diagnostics::DiagnosticsConfig>,
    /// Canvas size, PNG resolution and the projected portrait's plane (`[output]` width, height, dpi,
    /// projection).
    pub figure: crate::outspec::FigureSettings,
}

/// A named scenario's file: `dir/NAME.toml`.
pub fn named_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

/// Resolves `NAME|PATH`: an existing file, anything ending in `.toml`, or an existing path with a `/`
/// (a FIFO, a device) is a path; otherwise a name in `dir`. Only the path's metadata is looked at, never
/// its contents ([`load`] then refuses what is not a regular file, without blocking on a FIFO).
pub fn resolve(dir: &Path, name_or_path: &str) -> Result<PathBuf> {
    let as_path = Path::new(name_or_path);
    let exists = std::fs::symlink_metadata(as_path).is_ok();
    if as_path.is_file() || name_or_path.ends_with(".toml") || (exists && name_or_path.contains('/')) {
        return Ok(as_path.to_path_buf());
    }
    let path = named_path(dir, name_or_path);
    // A named scenario that exists but is no regular file (a FIFO `x.toml`) is still the one meant.
    if std::fs::symlink_metadata(&path).is_ok() {
        Ok(path)
    } else {
        Err(Error::UnknownScenario {
            name: name_or_path.to_string(),
            dir: dir.to_path_buf(),
        })
    }
}

/// Name and description of every scenario file in `dir`, sorted by name. Files that do not parse are
/// listed with the error as their description, so `flowgap list` shows what is broken; what is not a
/// regular file (a FIFO, a device, a folder named `x.toml`) is listed as such without being opened.
pub fn list(dir: &Path) -> Result<Vec<(String, String)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let description = match load(&path) {
            Ok(s) => s.description,
            Err(e) => format!("(invalid: {e})"),
        };
        out.push((stem, description));
    }
    out.sort();
    Ok(out)
}
