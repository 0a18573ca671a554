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
mod output_keys;
mod schedule;
mod shared_objective;
mod stochastic;
pub mod sweep;

pub use data::SOURCES as DATA_SOURCES;
pub use objectives::KINDS as OBJECTIVE_KINDS;

pub use crate::error::excerpt;
pub use crate::experiment::{MAX_ID_CHARS, METHOD_FILE_SUFFIXES};
pub use budget::{
    check_budget, memory_budget, parse_size, work_budget, DEFAULT_MEMORY_BUDGET, DEFAULT_WORK_BUDGET,
    MEMORY_BUDGET_VAR, WORK_BUDGET_VAR,
};
pub use load::{load, parse, parse_with_objective, read_source, MAX_STEPS};

use crate::error::{Error, Result};
use crate::experiment::Experiment;
use crate::outspec::{OutputSpec, SourceFile};
use std::path::{Path, PathBuf};

/// A checked scenario, ready to run: the experiment it describes and what to write about it.
pub struct Scenario {
    /// The experiment (objective, θ₀, grid, methods, comparisons, diagnostics), every value checked.
    pub experiment: Experiment,
    /// The figures, formats and figure settings of `[output]`, and the file itself.
    pub output: OutputSpec,
}

impl Scenario {
    /// The file the scenario came from (canonicalised).
    pub fn source(&self) -> &Path {
        &self.file().path
    }

    /// The file's text as parsed.
    pub fn text(&self) -> &str {
        &self.file().text
    }

    fn file(&self) -> &SourceFile {
        self.output
            .source
            .as_ref()
            .expect("a loaded scenario keeps its file")
    }

    /// Splits the scenario into the experiment to run and what to write.
    pub fn into_parts(self) -> (Experiment, OutputSpec) {
        (self.experiment, self.output)
    }
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
            Ok(s) => s.experiment.description,
            Err(e) => format!("(invalid: {e})"),
        };
        out.push((stem, description));
    }
    out.sort();
    Ok(out)
}
