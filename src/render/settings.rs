//! Per-scenario figure settings from `[output]`: canvas size, PNG resolution metadata and the plane of
//! the projected portrait. The loader checks them; the renderer only reads them.

use super::style;

/// Smallest canvas side accepted, in pixels: below this the fixed-size text no longer fits.
pub const MIN_SIDE: u32 = 400;
/// Largest canvas side accepted, in pixels.
pub const MAX_SIDE: u32 = 10_000;
/// The accepted PNG resolutions, in dots per inch.
pub const DPI_RANGE: (u32, u32) = (10, 2400);

/// How figures are sized and which plane the projected portrait shows.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureSettings {
    /// Canvas width in pixels (PNG) or user units (SVG).
    pub width: u32,
    /// Canvas height in pixels (PNG) or user units (SVG).
    pub height: u32,
    /// The resolution written into each PNG's `pHYs` chunk (sets its printed size, not its pixels);
    /// `None` writes no chunk.
    pub dpi: Option<u32>,
    /// Two directions in parameter space spanning the projected portrait's plane; `None` uses the top
    /// two principal directions of the iterates.
    pub projection: Option<[Vec<f64>; 2]>,
}

/// The settings of a scenario whose `[output]` names none of them.
pub static DEFAULT: FigureSettings = FigureSettings {
    width: style::WIDTH,
    height: style::HEIGHT,
    dpi: None,
    projection: None,
};

impl Default for FigureSettings {
    fn default() -> Self {
        DEFAULT.clone()
    }
}
