//! The output specification: which figures to draw, in which formats and at what size, and the
//! scenario file to save beside the outputs. The scenario loader fills it; output and render read it.

pub use crate::render::settings::FigureSettings;
pub use crate::render::{FigureKind, ImageFormat};
use std::path::PathBuf;

/// What a run writes besides its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// The figures to draw.
    pub figures: Vec<FigureKind>,
    /// The formats to draw them in.
    pub formats: Vec<ImageFormat>,
    /// Canvas size, PNG resolution and the projected portrait's plane (`[output]` width, height, dpi,
    /// projection).
    pub figure: FigureSettings,
    /// The scenario file the experiment came from, saved beside the outputs so that the run can be
    /// redrawn (`flowgap plot`); `None` for an experiment built in code.
    pub source: Option<SourceFile>,
}

/// A scenario file as it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    /// The file, canonicalised (two paths to one file give the same summary.json).
    pub path: PathBuf,
    /// Its text as parsed (saved even if the file has since changed or never existed on disk).
    pub text: String,
}

impl OutputSpec {
    /// Every figure that suits the experiment, as PNG, at the default size; no scenario file.
    pub fn figures(figures: Vec<FigureKind>) -> Self {
        OutputSpec {
            figures,
            formats: vec![ImageFormat::Png],
            figure: FigureSettings::default(),
            source: None,
        }
    }
}
