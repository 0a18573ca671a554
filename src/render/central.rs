//! The central figure: for each `[[compare]]` with a `window` (GD against a central flow), two panels on
//! the shared time axis. Above, the central flow's predicted time-averaged loss L(w) + tr Σ/η (thick,
//! dashed) against GD's loss averaged over the window (solid); below, σ² = tr Σ (thick, dashed) against
//! GD's squared displacement from the central flow in the critical subspace, averaged over the window
//! (solid). Drawn from the run's central checks, so it is written by [`draw`] rather than [`super::draw`].

use super::curves::{desc_for, fail, frame_with, legend_spot, note, stacked, time_label, time_range, YAxis};
use super::legend;
use super::style::{decimate, ensure_font, series_color, LINE_WIDTH, THICK_WIDTH};
use super::FigureInput;
use crate::continuous::{CentralComparison, CentralOptimizer};
use crate::error::{Error, Result};
use crate::experiment::Report;
use crate::method::MethodKind;
use crate::outspec::{FigureKind, FigureSettings, ImageFormat};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The file stem.
pub const NAME: &str = FigureKind::Central.name();

/// The most points drawn per curve.
const MAX_LINE_POINTS: usize = 2000;

/// Draws `dir/central.<ext>` for each format, through the writer every figure shares.
pub fn draw(
    report: &Report,
    settings: &FigureSettings,
    dir: &Path,
    formats: &[ImageFormat],
) -> Result<Vec<PathBuf>> {
    ensure_font().map_err(|message| Error::Render {
        figure: NAME.to_string(),
        message,
    })?;
    super::write_files(NAME, &CentralFigure(report, settings), dir, formats, settings)
}

/// The central figure of a run.
struct CentralFigure<'r>(&'r Report, &'r FigureSettings);

impl super::Figure for CentralFigure<'_> {
    fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        plot(self.0, self.1, root)
    }
}

/// One comparison's curves, as (t, value) points: (the central flow's prediction, GD's windowed mean).
type Pair = (Vec<(f64, f64)>, Vec<(f64, f64)>);

/// Which pair of columns a panel draws.
#[derive(Clone, Copy, PartialEq)]
enum Panel {
    Loss,
    Sigma,
}

impl Panel {
    /// (the central flow's prediction, GD's windowed mean) of `c`.
    fn series(self, c: &CentralComparison) -> (&[f64], &[f64]) {
        match self {
            Panel::Loss => (&c.predicted_loss, &c.smoothed_loss),
            Panel::Sigma => (&c.sigma2, &c.smoothed_sq_displacement),
        }
    }

    /// The legend's labels for comparison `c`: (prediction, GD). `preconditioned`: `c.b` is scalar
    /// RMSProp's central flow, whose predicted loss is L(w) + ½⟨H, Σ⟩ (tr Σ/η only at GD's edge 2/η).
    fn labels(self, c: &CentralComparison, preconditioned: bool) -> (String, String) {
        match self {
            Panel::Loss => (
                if preconditioned {
                    format!("{}: L(w) + ½⟨H, Σ⟩", c.b)
                } else {
                    format!("{}: L(w) + tr Σ/η", c.b)
                },
                format!("{}: loss, mean over {} steps", c.a, c.window),
            ),
            Panel::Sigma => (
                format!("{}: σ² = tr Σ", c.b),
                format!("{}: ‖Uᵀ(w − w_cf)‖², mean over {} steps", c.a, c.window),
            ),
        }
    }
}

fn plot<DB: DrawingBackend>(
    report: &Report,
    settings: &FigureSettings,
    root: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let area = super::style::titled(
        root,
        "central",
        "central flow against GD's windowed means",
        settings,
    )?;
    let input = FigureInput {
        title: &report.experiment.name,
        objective: report.experiment.objective.as_ref(),
        methods: &report.methods,
        comparisons: &report.comparisons,
        step_size: report.experiment.grid.step_size,
        settings,
    };
    let x_desc = settings.overrides("central").x_label(&time_label(&input));
    let comparisons: Vec<&CentralComparison> = report.central_comparisons.iter().flatten().collect();
    let own = settings.overrides("central");
    let x = time_range(
        comparisons
            .iter()
            .flat_map(|c| c.times.iter().copied())
            .filter(|&t| own.in_window(t)),
    );
    let height = area.dim_in_pixel().1;
    let (top, bottom) = area.split_vertically(height / 2);
    let preconditioned: Vec<bool> = comparisons
        .iter()
        .map(|c| {
            report.experiment.methods.iter().any(|m| {
                m.id == c.b
                    && matches!(&m.kind, MethodKind::CentralFlow { settings, .. }
                        if settings.optimizer != CentralOptimizer::Gd)
            })
        })
        .collect();
    let panels = (&comparisons[..], &preconditioned[..]);
    // One axis-label size for both panels (a long σ² label shrank only its own).
    stacked(
        &[(&top, Panel::Loss), (&bottom, Panel::Sigma)],
        |area, which, desc| panel(panels, settings, area, which, x, (&x_desc, desc)),
    )
}

/// One panel: per comparison the central flow's prediction (thick, dashed) and GD's windowed mean (solid),
/// its axis labels in `desc`. Without `desc` it draws nothing and returns the labels' own style.
fn panel<DB: DrawingBackend>(
    (comparisons, preconditioned): (&[&CentralComparison], &[bool]),
    settings: &FigureSettings,
    area: &DrawingArea<DB, Shift>,
    which: Panel,
    x: (f64, f64),
    (x_desc, desc): (&str, Option<TextStyle<'static>>),
) -> std::result::Result<TextStyle<'static>, String> {
    let raw: Vec<Pair> = comparisons
        .iter()
        .map(|c| {
            let (model, gd) = which.series(c);
            let own = settings.overrides("central");
            let pts = |v: &[f64]| {
                (c.times.iter().copied().zip(v.iter().copied()))
                    .filter(|p| own.in_window(p.0))
                    .collect::<Vec<_>>()
            };
            (pts(model), pts(gd))
        })
        .collect();
    let y = YAxis::covering(
        false,
        raw.iter().flat_map(|(a, b)| a.iter().chain(b)).map(|p| p.1),
    );
    let scale = (1.0 / (x.1 - x.0), 1.0 / (y.hi - y.lo));
    let thin = |c: &Vec<(f64, f64)>| decimate(c.iter().copied(), scale, 5e-4, MAX_LINE_POINTS);
    let curves: Vec<Pair> = raw.iter().map(|(a, b)| (thin(a), thin(b))).collect();
    let y_desc = match which {
        Panel::Loss => "loss",
        Panel::Sigma => "σ², squared displacement",
    };
    let mut labels = Vec::new();
    let mut symbols = Vec::new();
    let mut marks: Vec<Vec<(f64, f64)>> = Vec::new();
    for (k, (((model, gd), c), &p)) in (curves.iter().zip(comparisons).zip(preconditioned)).enumerate() {
        let (lm, lg) = which.labels(c, p);
        labels.push(lg);
        labels.push(lm);
        // The styles the curves below are drawn with, so the legend rule can lay entries out in columns.
        symbols.push(legend::Symbol::Line(series_color(2 * k).stroke_width(LINE_WIDTH)));
        symbols.push(legend::Symbol::Pattern(
            series_color(2 * k + 1).stroke_width(THICK_WIDTH),
            12,
            7,
        ));
        marks.push(gd.clone());
        marks.push(model.clone());
    }
    let request = legend::Request {
        labels: &labels,
        marks: &marks,
        placement: settings.legend,
        symbols: &symbols,
    };
    let spot = legend_spot(area, x, &y, &request)?;
    let Some(desc) = desc else {
        return desc_for(area, x, &y.stretched(spot), (x_desc, y_desc));
    };
    let mut chart = frame_with(area, x, &y.stretched(spot), (x_desc, y_desc), Some(desc.clone()))?;
    for (k, ((model, gd), label)) in curves.iter().zip(labels.chunks(2)).enumerate() {
        // GD in its pair's first colour, the central flow in the second, as the loss figure pairs them.
        let gd_style = series_color(2 * k).stroke_width(LINE_WIDTH);
        chart
            .draw_series(LineSeries::new(gd.iter().copied(), gd_style))
            .map_err(fail)?
            .label(label[0].clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 34, y)], gd_style));
        let model_style = series_color(2 * k + 1).stroke_width(THICK_WIDTH);
        chart
            .draw_series(DashedLineSeries::new(model.iter().copied(), 12, 7, model_style))
            .map_err(fail)?
            .label(label[1].clone())
            .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 12, 7, model_style));
    }
    if curves.iter().all(|(a, b)| a.is_empty() && b.is_empty()) {
        note(
            &mut chart,
            x,
            &y,
            "no windowed comparison: add [[compare]] window = W with b a central_flow",
        )?;
    }
    legend::draw(&mut chart, spot, &request)?;
    Ok(desc)
}
