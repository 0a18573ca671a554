//! Figures drawn with plotters, one file per figure kind, one shared style.

use crate::compare::Comparison;
use crate::error::Result;
use crate::objective::Objective;
use crate::run::MethodRun;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The figures a scenario may ask for in `[output] figures`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    /// Loss contours, the −∇L field and every trajectory, for 2-D objectives.
    PhasePortrait,
    /// Loss against time, log scale.
    Loss,
    /// ‖θ_a(t) − θ_b(t)‖ for each comparison, log scale, departure times marked.
    Distance,
}

impl FigureKind {
    /// The names accepted in a scenario.
    pub const NAMES: [&'static str; 3] = ["phase_portrait", "loss", "distance"];

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "phase_portrait" => Some(FigureKind::PhasePortrait),
            "loss" => Some(FigureKind::Loss),
            "distance" => Some(FigureKind::Distance),
            _ => None,
        }
    }

    /// The file stem of the figure.
    pub fn name(self) -> &'static str {
        match self {
            FigureKind::PhasePortrait => "phase_portrait",
            FigureKind::Loss => "loss",
            FigureKind::Distance => "distance",
        }
    }
}

/// The image formats a figure can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    /// Raster, for screens and quick looks.
    Png,
    /// Vector, for papers.
    Svg,
}

impl ImageFormat {
    /// The names accepted in a scenario.
    pub const NAMES: [&'static str; 2] = ["png", "svg"];

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "png" => Some(ImageFormat::Png),
            "svg" => Some(ImageFormat::Svg),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }
}

/// Everything a figure may draw from.
pub struct FigureInput<'a> {
    /// The scenario's name, used in titles.
    pub title: &'a str,
    /// The loss landscape.
    pub objective: &'a dyn Objective,
    /// Every method's result, in scenario order.
    pub methods: &'a [MethodRun],
    /// Every comparison, in scenario order.
    pub comparisons: &'a [Comparison],
    /// η, the step size (the time unit).
    pub step_size: f64,
}

/// Draws one figure into `dir/<name>.<ext>` for each format, returning the files written.
pub fn draw(
    kind: FigureKind,
    input: &FigureInput,
    dir: &Path,
    formats: &[ImageFormat],
) -> Result<Vec<PathBuf>> {
    let _ = (kind, input, dir, formats);
    todo!("render")
}
