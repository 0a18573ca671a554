//! Scenarios: TOML files parsed, checked once into a [`Scenario`], and found by name.

mod ctx;
mod data;
mod load;
mod locate;
mod objectives;

pub use data::SOURCES as DATA_SOURCES;
pub use objectives::KINDS as OBJECTIVE_KINDS;

pub use load::{load, parse};

use crate::continuous::SolverSettings;
use crate::error::{Error, Result};
use crate::objective::Objective;
use crate::render::{FigureKind, ImageFormat};
use crate::trajectory::TimeGrid;
use std::path::{Path, PathBuf};

/// A method as the scenario asks for it.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodKind {
    /// Gradient descent.
    Gd,
    /// Gradient flow θ' = −∇L integrated by an ODE solver.
    GradientFlow(SolverSettings),
}

impl MethodKind {
    /// The kinds accepted in a scenario.
    pub const NAMES: [&'static str; 2] = ["gd", "gradient_flow"];

    /// The scenario name of this kind.
    pub fn name(&self) -> &'static str {
        match self {
            MethodKind::Gd => "gd",
            MethodKind::GradientFlow(_) => "gradient_flow",
        }
    }

    /// True for discrete iterations.
    pub fn is_discrete(&self) -> bool {
        matches!(self, MethodKind::Gd)
    }
}

/// One `[[method]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodConfig {
    /// Its unique id (file names and comparisons use it).
    pub id: String,
    /// What to run.
    pub kind: MethodKind,
}

/// One `[[compare]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareConfig {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// The departure tolerance on the distance.
    pub tolerance: f64,
}

/// A checked scenario, ready to run: every value in it has been validated.
pub struct Scenario {
    /// The scenario's name (the default output folder is `output/<name>/`).
    pub name: String,
    /// One line on what it shows.
    pub description: String,
    /// The file it came from.
    pub source: PathBuf,
    /// The objective, as written in the file (resolved settings for the summary).
    pub objective_settings: serde_json::Value,
    /// The objective, built.
    pub objective: Box<dyn Objective>,
    /// The initial point θ0.
    pub init: Vec<f64>,
    /// The shared time axis.
    pub grid: TimeGrid,
    /// The loss above which a method counts as diverged.
    pub divergence_bound: f64,
    /// The methods, in file order.
    pub methods: Vec<MethodConfig>,
    /// The comparisons, in file order.
    pub comparisons: Vec<CompareConfig>,
    /// The figures to draw.
    pub figures: Vec<FigureKind>,
    /// The formats to draw them in.
    pub formats: Vec<ImageFormat>,
}

/// A named scenario's file: `dir/NAME.toml`.
pub fn named_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

/// Resolves `NAME|PATH`: an existing file, or anything ending in `.toml`, is a path; otherwise a name in
/// `dir`.
pub fn resolve(dir: &Path, name_or_path: &str) -> Result<PathBuf> {
    let as_path = Path::new(name_or_path);
    if as_path.is_file() || name_or_path.ends_with(".toml") {
        return Ok(as_path.to_path_buf());
    }
    let path = named_path(dir, name_or_path);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::UnknownScenario {
            name: name_or_path.to_string(),
            dir: dir.to_path_buf(),
        })
    }
}

/// Name and description of every scenario file in `dir`, sorted by name. Files that do not parse are
/// listed with the error as their description, so `flowgap list` shows what is broken.
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
