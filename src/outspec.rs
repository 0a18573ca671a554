//! The output specification: which figures a run draws, in which image formats, on what canvas. The
//! scenario loader checks it from `[output]` and the renderer reads it; both import it from here, so
//! neither depends on the other for it.

use crate::formats::sweep_summary::{SavedOutput, SavedOverrides};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What a run's `[output]` asks to be drawn, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// The figures to draw, in order, each once.
    pub figures: Vec<FigureKind>,
    /// The formats to draw each figure in, each once.
    pub formats: Vec<ImageFormat>,
    /// Canvas size, PNG resolution and the projected portrait's plane.
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

impl OutputSpec {
    /// The formats and figure settings a sweep saves in its summary (all but the projection: no sweep
    /// figure draws one), so that a merge or `flowgap plot` draws its figures as the sweep did.
    pub fn saved(&self) -> SavedOutput {
        let f = &self.figure;
        let figure = f
            .per_figure
            .iter()
            .map(|(kind, o)| {
                let saved = SavedOverrides {
                    title: o.title.clone().flatten(),
                    no_title: o.title == Some(None),
                    x_label: o.x_label.clone(),
                    y_label: o.y_label.clone(),
                    x_range: o.x_range,
                    y_range: o.y_range,
                    x_log: o.x_log,
                    y_log: o.y_log,
                };
                (kind.clone(), saved)
            })
            .collect();
        SavedOutput {
            formats: self.formats.iter().map(|f| f.extension().to_string()).collect(),
            style: <&str>::from(f.style).to_string(),
            width: f.width,
            height: f.height,
            dpi: f.dpi,
            title: f.title,
            legend: <&str>::from(f.legend).to_string(),
            labels: f.labels.clone(),
            figure,
        }
    }

    /// The formats and figure settings `saved` holds (`None`, a summary from before they were saved:
    /// PNG at the default settings); a name flowgap does not know is an error message.
    pub fn from_saved(saved: Option<&SavedOutput>) -> Result<(Vec<ImageFormat>, FigureSettings), String> {
        let Some(s) = saved else {
            return Ok((vec![ImageFormat::Png], FigureSettings::default()));
        };
        let unknown =
            |what: &str, name: &str| format!("its `output.{what}` `{name}` is not one flowgap knows");
        let formats = s
            .formats
            .iter()
            .map(|n| ImageFormat::from_name(n).ok_or_else(|| unknown("formats", n)))
            .collect::<Result<Vec<_>, _>>()?;
        let per_figure = s
            .figure
            .iter()
            .map(|(kind, o)| {
                let title = match (&o.title, o.no_title) {
                    (_, true) => Some(None),
                    (Some(t), false) => Some(Some(t.clone())),
                    (None, false) => None,
                };
                let own = FigureOverrides {
                    title,
                    x_label: o.x_label.clone(),
                    y_label: o.y_label.clone(),
                    x_range: o.x_range,
                    y_range: o.y_range,
                    x_log: o.x_log,
                    y_log: o.y_log,
                    // No sweep figure has a time axis of a run's.
                    t_max: None,
                };
                (kind.clone(), own)
            })
            .collect();
        let settings = FigureSettings {
            width: s.width,
            height: s.height,
            dpi: s.dpi,
            projection: None,
            style: FigureStyle::from_name(&s.style).ok_or_else(|| unknown("style", &s.style))?,
            title: s.title,
            legend: LegendPlacement::from_name(&s.legend).ok_or_else(|| unknown("legend", &s.legend))?,
            labels: s.labels.clone(),
            per_figure,
        };
        Ok((formats, settings))
    }
}

/// The figures a sweep draws (`[sweep] figures`), which `[output.figure.<kind>]` may also name, with
/// the keys each honours: their titles and axis descriptions (their frames follow the grid), and the
/// curve's scale per axis (its `log` sets both; a grid axis may be swept linearly and still read best on
/// a log axis).
pub const SWEEP_FIGURES: &[(&str, &[&str])] = &[
    ("curve", &["title", "x_label", "y_label", "x_log", "y_log"]),
    ("basin_map", &["title", "x_label", "y_label"]),
    ("bifurcation", &["title", "x_label", "y_label"]),
    ("trainability", &["title", "x_label", "y_label"]),
    ("overlay", &["title", "x_label", "y_label"]),
];

/// The `[output.figure.<kind>]` keys of figure `name`, a run figure's or a sweep figure's; `None` for
/// a name that is neither.
pub fn settings_keys(name: &str) -> Option<&'static [&'static str]> {
    match FigureKind::from_name(name) {
        Some(kind) => Some(kind.settings_keys()),
        None => SWEEP_FIGURES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, keys)| *keys),
    }
}

/// The figures a scenario may ask for in `[output] figures` (in the order error messages list them).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString, strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FigureKind {
    /// Loss contours, the −∇L field and every trajectory, for 2-D objectives.
    PhasePortrait,
    /// Loss against time, log scale.
    Loss,
    /// ‖θ_a(t) − θ_b(t)‖ for each comparison, log scale, departure times marked.
    Distance,
    /// The phase portrait in a 2-D plane through the iterates (principal or named directions), any d.
    ProjectedPortrait,
    /// The drift q(t) − q(0) of each conserved quantity per method.
    Conserved,
    /// λ_1(t) per method with each discrete method's stability threshold (needs
    /// `[diagnostics.sharpness]`; drawn from the run's diagnostics rather than its trajectories).
    Sharpness,
    /// SGD and SME ensembles: mean ± one standard deviation of the loss (and θ₀ when d ≤ 2) over time.
    Ensemble,
    /// Training and test loss against time per method, and the accuracies for a classification loss
    /// (needs a test part in `[objective.data]`; drawn from the run's held-out records).
    HeldOut,
    /// GD against the central flow over a window: the predicted loss L + tr Σ/η against GD's windowed loss,
    /// σ² against GD's windowed squared displacement (needs a `[[compare]] window`; drawn from the run's
    /// central checks).
    Central,
}

impl FigureKind {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The `[output.figure.<kind>]` keys this kind honours. The loss and distance figures take every key
    /// but `x_log` (their time axis starts at t = 0); the portraits and the sharpness figure take their
    /// title, axis labels and ranges (a portrait's landscape is sampled in the given frame; their scales
    /// are fixed: a plane's coordinates, λ₁ on the axis its data need); the figures of several stacked
    /// panels take their title and the shared time axis's label. Every figure with a time axis takes
    /// `t_max`, the end of its time window.
    pub const fn settings_keys(self) -> &'static [&'static str] {
        match self {
            FigureKind::Loss | FigureKind::Distance => &[
                "title", "x_label", "y_label", "x_range", "y_range", "y_log", "t_max",
            ],
            FigureKind::PhasePortrait | FigureKind::ProjectedPortrait => {
                &["title", "x_label", "y_label", "x_range", "y_range"]
            }
            FigureKind::Sharpness => &["title", "x_label", "y_label", "x_range", "y_range", "t_max"],
            FigureKind::Conserved | FigureKind::HeldOut | FigureKind::Central | FigureKind::Ensemble => {
                &["title", "x_label", "t_max"]
            }
        }
    }

    /// The file stem of the figure (also its name in a scenario). Written out, not strum's, because it
    /// is `const` (figure modules name their files in constants); a test checks it against the parser.
    pub const fn name(self) -> &'static str {
        match self {
            FigureKind::PhasePortrait => "phase_portrait",
            FigureKind::Loss => "loss",
            FigureKind::Distance => "distance",
            FigureKind::Sharpness => "sharpness",
            FigureKind::Ensemble => "ensemble",
            FigureKind::ProjectedPortrait => "projected_portrait",
            FigureKind::Conserved => "conserved",
            FigureKind::HeldOut => "held_out",
            FigureKind::Central => "central",
        }
    }
}

/// The image formats a figure can be written in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ImageFormat {
    /// Raster, for screens and quick looks.
    Png,
    /// Vector, for the web and for editing.
    Svg,
    /// Vector with the fonts embedded, for papers (LaTeX includes it as it is).
    Pdf,
}

impl ImageFormat {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        self.into()
    }
}

/// Default canvas width in pixels (PNG) or user units (SVG).
pub const WIDTH: u32 = 1000;
/// Default canvas height in pixels (PNG) or user units (SVG).
pub const HEIGHT: u32 = 800;
/// Smallest canvas side accepted, in pixels: a screen figure smaller than
/// the renderer's smallest layout canvas (644 × 515, `style::SCREEN_MIN_CANVAS`) is laid out at that size and drawn down, so below 400 its
/// text would shrink under 14 pixels.
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
    /// The look: today's screen figure, or a physical size for a paper's column.
    pub style: FigureStyle,
    /// Whether figures carry a title (the paper styles default to none: a paper's caption names it).
    pub title: bool,
    /// Where legends go (`[output] legend`).
    pub legend: LegendPlacement,
    /// Display names by method id (`[[method]] label`); a method not listed is named by its id.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Each figure kind's own title, axis labels, ranges and scales (`[output.figure.<kind>]`), by the
    /// kind's name; a kind not listed draws as it chooses.
    pub per_figure: std::collections::BTreeMap<String, FigureOverrides>,
}

/// One figure kind's settings from `[output.figure.<kind>]`: each `Some` replaces what the figure would
/// choose from its data. Only the keys [`FigureKind::settings_keys`] lists for the kind are ever set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FigureOverrides {
    /// `title`: `Some(Some(text))` draws this title, `Some(None)` (`title = false`) none.
    pub title: Option<Option<String>>,
    /// `x_label`: the x axis's description.
    pub x_label: Option<String>,
    /// `y_label`: the y axis's description.
    pub y_label: Option<String>,
    /// `x_range`: the x axis's ends, in data units (lo < hi).
    pub x_range: Option<(f64, f64)>,
    /// `y_range`: the y axis's ends, in data units (lo < hi; both positive on a log axis).
    pub y_range: Option<(f64, f64)>,
    /// `x_log`: a log (true) or linear (false) x axis (the sweep's `curve` only: every run figure's x
    /// axis is time from t = 0).
    pub x_log: Option<bool>,
    /// `y_log`: a log (true) or linear (false) y axis.
    pub y_log: Option<bool>,
    /// `t_max`: the time window's end; what a figure draws against time is drawn up to it.
    pub t_max: Option<f64>,
}

/// The overrides of a kind with no `[output.figure.<kind>]` table.
static NO_OVERRIDES: FigureOverrides = FigureOverrides {
    title: None,
    x_label: None,
    y_label: None,
    x_range: None,
    y_range: None,
    x_log: None,
    y_log: None,
    t_max: None,
};

impl FigureOverrides {
    /// The x axis's description: the scenario's, else `default`.
    pub fn x_label(&self, default: &str) -> String {
        self.x_label.clone().unwrap_or_else(|| default.to_string())
    }

    /// The y axis's description: the scenario's, else `default`.
    pub fn y_label(&self, default: &str) -> String {
        self.y_label.clone().unwrap_or_else(|| default.to_string())
    }

    /// True when time `t` lies in the figure's time window (`t ≤ t_max`, every time without one).
    pub fn in_window(&self, t: f64) -> bool {
        self.t_max.is_none_or(|m| t <= m)
    }
}

impl FigureSettings {
    /// The name figures give method `id`: its `label`, or the id itself.
    pub fn display_name<'s>(&'s self, id: &'s str) -> &'s str {
        self.labels.get(id).map_or(id, String::as_str)
    }

    /// The settings of figure `kind` (its name: run figures and sweep figures alike).
    pub fn overrides(&self, kind: &str) -> &FigureOverrides {
        self.per_figure.get(kind).unwrap_or(&NO_OVERRIDES)
    }

    /// The title figure `kind` draws: `None` for none (`[output] title = false` or the paper styles,
    /// unless the kind's own `title` names one), else its own `title` or `default`.
    pub fn title_of(&self, kind: &str, default: &str) -> Option<String> {
        match &self.overrides(kind).title {
            Some(own) => own.clone(),
            None => self.title.then(|| default.to_string()),
        }
    }
}

/// Where a figure's legend goes: computed from the data (`auto`), or fixed by the scenario.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
pub enum LegendPlacement {
    /// The first empty corner of the plot area (upper right, upper left, lower left, lower right),
    /// measured on the drawn data; outside the plot area when no corner is empty.
    #[serde(rename = "auto")]
    #[strum(serialize = "auto")]
    Auto,
    /// No legend.
    #[serde(rename = "none")]
    #[strum(serialize = "none")]
    None,
    /// Outside the plot area, to the right or below (whichever takes less of it).
    #[serde(rename = "outside")]
    #[strum(serialize = "outside")]
    Outside,
    /// The upper right corner, whatever lies there.
    #[serde(rename = "upper right")]
    #[strum(serialize = "upper right")]
    UpperRight,
    /// The upper left corner, whatever lies there.
    #[serde(rename = "upper left")]
    #[strum(serialize = "upper left")]
    UpperLeft,
    /// The lower right corner, whatever lies there.
    #[serde(rename = "lower right")]
    #[strum(serialize = "lower right")]
    LowerRight,
    /// The lower left corner, whatever lies there.
    #[serde(rename = "lower left")]
    #[strum(serialize = "lower left")]
    LowerLeft,
}

impl LegendPlacement {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// How a figure is sized: in pixels for a screen, or in inches for a paper with text in points.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FigureStyle {
    /// `width` × `height` pixels, text in pixels (the look figures had before styles existed).
    Screen,
    /// One column of a two-column paper: 3.25 in wide, text at 8 pt (ticks) to 10 pt (axis labels).
    Paper,
    /// The full width of a two-column paper: 6.75 in wide, text in points as [`FigureStyle::Paper`].
    PaperWide,
}

impl FigureStyle {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The printed size in inches (width, height), `None` for the screen style.
    pub fn inches(self) -> Option<(f64, f64)> {
        match self {
            FigureStyle::Screen => None,
            FigureStyle::Paper => Some((PAPER_WIDTH_IN, PAPER_WIDTH_IN * 0.8)),
            FigureStyle::PaperWide => Some((PAPER_WIDE_WIDTH_IN, PAPER_WIDE_WIDTH_IN * 0.45)),
        }
    }
}

/// A single column's width in inches (two-column papers: ICML, NeurIPS' two-column variants, IEEE).
pub const PAPER_WIDTH_IN: f64 = 3.25;
/// A two-column paper's full text width in inches.
pub const PAPER_WIDE_WIDTH_IN: f64 = 6.75;
/// The PNG resolution of the paper styles when the scenario sets no `dpi`.
pub const PAPER_DPI: u32 = 300;

/// The settings of a scenario whose `[output]` names none of them.
pub static DEFAULT_FIGURE: FigureSettings = FigureSettings {
    width: WIDTH,
    height: HEIGHT,
    dpi: None,
    projection: None,
    style: FigureStyle::Screen,
    title: true,
    legend: LegendPlacement::Auto,
    labels: std::collections::BTreeMap::new(),
    per_figure: std::collections::BTreeMap::new(),
};

impl Default for FigureSettings {
    fn default() -> Self {
        DEFAULT_FIGURE.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_kind() {
        for &name in FigureKind::NAMES {
            let kind = FigureKind::from_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(kind.name(), name);
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
        }
        for &name in FigureStyle::NAMES {
            assert!(FigureStyle::from_name(name).is_some(), "{name}");
        }
        for &name in LegendPlacement::NAMES {
            let placement = LegendPlacement::from_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(serde_json::to_value(placement).unwrap(), name);
        }
        assert_eq!(LegendPlacement::from_name("upper_right"), None);
        for &name in ImageFormat::NAMES {
            let format = ImageFormat::from_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(format.extension(), name);
        }
        assert_eq!(FigureKind::from_name("Loss"), None);
        assert_eq!(ImageFormat::from_name("jpeg"), None);
    }

    #[test]
    fn the_default_canvas_is_within_the_accepted_range() {
        let d = FigureSettings::default();
        assert!((MIN_SIDE..=MAX_SIDE).contains(&d.width) && (MIN_SIDE..=MAX_SIDE).contains(&d.height));
        assert_eq!((d.dpi, d.projection), (None, None));
    }
}
