//! The held-out figure: every method's training loss (thin, dashed) and test loss (thick, solid) against
//! t in its colour, on a log axis when the losses allow one, with the lowest test loss ringed; below,
//! for a classification loss, the training and test accuracy in the same styles. Drawn from the run's
//! held-out records ([`crate::objective::held_out`]), so it is written by [`draw`] rather than
//! [`super::draw`].

use super::curves::{
    desc_for, fail, frame_with, legend_spot, log_scale_fits, map_value, note, stacked, time_label,
    time_range, YAxis,
};
use super::legend;
use super::style::{decimate, ensure_font, method_label, series_color, LINE_WIDTH, THICK_WIDTH};
use super::FigureInput;
use crate::error::{Error, Result};
use crate::experiment::Report;
use crate::objective::HeldOutSeries;
use crate::outspec::{FigureKind, FigureSettings, ImageFormat};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The file stem.
pub const NAME: &str = FigureKind::HeldOut.name();

/// The most points drawn per curve.
const MAX_LINE_POINTS: usize = 2000;

/// Draws `dir/held_out.<ext>` for each format, through the writer every figure shares.
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
    super::write_files(NAME, &HeldOutFigure(report, settings), dir, formats, settings)
}

/// The held-out figure of a run.
struct HeldOutFigure<'r>(&'r Report, &'r FigureSettings);

impl super::Figure for HeldOutFigure<'_> {
    fn plot<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        plot(self.0, self.1, root)
    }
}

/// One method's training and test curve, as (t, drawn value) points.
type Pair = (Vec<(f64, f64)>, Vec<(f64, f64)>);

/// Which pair of series a panel draws.
#[derive(Clone, Copy, PartialEq)]
enum Panel {
    Loss,
    Accuracy,
}

impl Panel {
    /// The (training, test) values of `s` this panel draws.
    fn series(self, s: &HeldOutSeries) -> (&[f64], &[f64]) {
        match self {
            Panel::Loss => (&s.train_loss, &s.test_loss),
            Panel::Accuracy => (&s.train_accuracy, &s.test_accuracy),
        }
    }
}

fn plot<DB: DrawingBackend>(
    report: &Report,
    settings: &FigureSettings,
    root: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let area = super::style::titled(root, "held_out", "training and test loss", settings)?;
    let input = FigureInput {
        title: &report.experiment.name,
        objective: report.experiment.objective.as_ref(),
        methods: &report.methods,
        comparisons: &report.comparisons,
        step_size: report.experiment.grid.step_size,
        settings,
    };
    let x_desc = settings.overrides("held_out").x_label(&time_label(&input));
    let own = settings.overrides("held_out");
    let x = time_range(
        report
            .held_out
            .iter()
            .flat_map(|s| s.times.iter().copied())
            .filter(|&t| own.in_window(t)),
    );
    let classification = report.held_out.iter().any(HeldOutSeries::classification);
    if classification {
        let height = area.dim_in_pixel().1;
        let (top, bottom) = area.split_vertically(height * 11 / 20);
        stacked(
            &[(&top, Panel::Loss), (&bottom, Panel::Accuracy)],
            |area, which, desc| panel(report, settings, area, which, x, (&x_desc, desc)),
        )
    } else {
        stacked(&[(&area, Panel::Loss)], |area, which, desc| {
            panel(report, settings, area, which, x, (&x_desc, desc))
        })
    }
}

/// One panel: per method its training and test curves, the lowest test loss ringed (loss panel), its axis
/// labels in `desc`. Without `desc` it draws nothing and returns the labels' own style.
fn panel<DB: DrawingBackend>(
    report: &Report,
    settings: &FigureSettings,
    area: &DrawingArea<DB, Shift>,
    which: Panel,
    x: (f64, f64),
    (x_desc, desc): (&str, Option<TextStyle<'static>>),
) -> std::result::Result<TextStyle<'static>, String> {
    let log = which == Panel::Loss
        && log_scale_fits(report.held_out.iter().flat_map(|s| {
            let (a, b) = which.series(s);
            a.iter().chain(b).copied()
        }));
    let points = |times: &[f64], values: &[f64]| -> Vec<(f64, f64)> {
        times
            .iter()
            .zip(values)
            .filter_map(|(&t, &v)| Some((t, map_value(log, v)?)))
            .filter(|p| p.0.is_finite() && settings.overrides("held_out").in_window(p.0))
            .collect()
    };
    // Per method: (training curve, test curve).
    let raw: Vec<Pair> = report
        .held_out
        .iter()
        .map(|s| {
            let (train, test) = which.series(s);
            (points(&s.times, train), points(&s.times, test))
        })
        .collect();
    let y = YAxis::covering(log, raw.iter().flat_map(|(a, b)| a.iter().chain(b)).map(|p| p.1));
    let scale = (1.0 / (x.1 - x.0), 1.0 / (y.hi - y.lo));
    let thin = |c: &Vec<(f64, f64)>| decimate(c.iter().copied(), scale, 5e-4, MAX_LINE_POINTS);
    let curves: Vec<Pair> = raw.iter().map(|(a, b)| (thin(a), thin(b))).collect();
    let y_desc = match which {
        Panel::Loss => "loss (no weight decay)",
        Panel::Accuracy => "accuracy",
    };
    // The legend's entries and what it must not cover, known before the chart is built so the legend
    // can be placed in an empty corner or a band above the data.
    let mut labels = Vec::new();
    let mut symbols = Vec::new();
    let mut marks: Vec<Vec<(f64, f64)>> = Vec::new();
    for (k, ((train, test), (m, s))) in
        (curves.iter().zip(report.methods.iter().zip(&report.held_out))).enumerate()
    {
        let name = method_label(m, settings);
        labels.push(format!("{name} train"));
        labels.push(format!("{name} test"));
        // The symbols the curves below are drawn with.
        let colour = series_color(k);
        symbols.push(legend::Symbol::Pattern(
            colour.mix(0.9).stroke_width(LINE_WIDTH),
            9,
            6,
        ));
        symbols.push(legend::Symbol::Line(colour.stroke_width(THICK_WIDTH)));
        marks.push(train.clone());
        marks.push(test.clone());
        if let Some(p) = best_point(which, log, s, settings) {
            marks.push(vec![p]);
        }
    }
    // One legend, in the loss panel: the accuracy panel below shares its styles (two legends of four
    // entries took half of each panel at a paper's column width and sat on the accuracies).
    if which == Panel::Accuracy {
        labels.clear();
        symbols.clear();
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
    for (k, ((train, test), (m, s))) in curves
        .iter()
        .zip(report.methods.iter().zip(&report.held_out))
        .enumerate()
    {
        let colour = series_color(k);
        let name = method_label(m, settings);
        let thin_style = colour.mix(0.9).stroke_width(LINE_WIDTH);
        let label = format!("{name} train");
        chart
            .draw_series(DashedLineSeries::new(train.iter().copied(), 9, 6, thin_style))
            .map_err(fail)?
            .label(label)
            .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 34, y)], 9, 6, thin_style));
        let thick = colour.stroke_width(THICK_WIDTH);
        let label = format!("{name} test");
        chart
            .draw_series(LineSeries::new(test.iter().copied(), thick))
            .map_err(fail)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 34, y)], thick));
        if let Some(p) = best_point(which, log, s, settings) {
            chart
                .draw_series(std::iter::once(Circle::new(p, 7, colour.stroke_width(3))))
                .map_err(fail)?;
        }
    }
    if curves.iter().all(|(a, b)| a.is_empty() && b.is_empty()) {
        note(&mut chart, x, &y, "no finite values to draw")?;
    }
    legend::draw(&mut chart, spot, &request)?;
    Ok(desc)
}

/// Where the loss panel rings a method's lowest test loss (drawn units), if it has one.
/// A lowest test loss after the figure's `t_max` is not ringed: it lies outside the window.
fn best_point(which: Panel, log: bool, s: &HeldOutSeries, settings: &FigureSettings) -> Option<(f64, f64)> {
    if which != Panel::Loss {
        return None;
    }
    let best = s.summary();
    let (t, l) = (best.best_test_loss_t?, best.best_test_loss?);
    if !settings.overrides("held_out").in_window(t) {
        return None;
    }
    Some((t, map_value(log, l)?))
}
