//! The order figure: max_t ‖θ_a(t) − θ_b(t)‖ against η on log–log axes for each comparison of an order
//! study, the least-squares line through the fitted points (its slope is the measured order) and grey
//! reference lines of slope 1, 2 and 3 through the middle of the data.

use super::curves::fail;
use super::legend;
use super::style::{
    fmt_num, log_tick_labeller, log_ticks, padded_range, series_color, text, TickedAxis, GREY, LABEL_SIZE,
    LINE_WIDTH, TICK_SIZE,
};
use crate::formats::order::OrderStudy;
use crate::outspec::FigureSettings;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The reference slopes drawn.
const REFERENCE_SLOPES: [f64; 3] = [1.0, 2.0, 3.0];

/// A measured point: (log10 η, log10 error, whether it entered the fit).
type Point = (f64, f64, bool);

/// Each comparison's drawable points.
fn points(study: &OrderStudy) -> Vec<Vec<Point>> {
    study
        .comparisons
        .iter()
        .map(|fit| {
            study
                .step_sizes
                .iter()
                .zip(&fit.max_distances)
                .zip(&fit.completed)
                .filter(|((eta, d), _)| **eta > 0.0 && d.is_finite() && **d > 0.0)
                .map(|((eta, d), done)| (eta.log10(), d.log10(), *done))
                .collect()
        })
        .collect()
}

/// Draws the figure with the scenario's `[output]` settings: its title only when `title` is on, its
/// legend where `legend` says.
pub fn plot_order_with<DB: DrawingBackend>(
    study: &OrderStudy,
    settings: &FigureSettings,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let area = super::style::titled(root, "order", "order of the gap", settings)?;
    let pts = points(study);
    let all = || pts.iter().flatten();
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y, _) in all() {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        let etas = study.step_sizes.iter().filter(|e| **e > 0.0).map(|e| e.log10());
        (x0, x1) = etas.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), e| {
            (a.min(e), b.max(e))
        });
        (y0, y1) = (-3.0, 0.0);
    }
    let x = padded_range(x0, x1, 0.08, 0.3);
    let y = padded_range(y0, y1, 0.08, 0.5);
    let (xmaj, xmin) = log_ticks(x.0, x.1);
    let (ymaj, ymin) = log_ticks(y.0, y.1);
    // The legend's entries in drawing order, and what it must not cover: the measured points and the
    // fitted lines.
    let mut labels: Vec<String> = Vec::new();
    let mut marks: Vec<Vec<(f64, f64)>> = Vec::new();
    for (fit, pts) in study.comparisons.iter().zip(&pts) {
        let slope = fit
            .slope
            .map_or("no fit".to_string(), |s| format!("slope {s:.2}"));
        labels.push(format!("{} vs {}: {slope}", fit.a, fit.b));
        marks.extend(pts.iter().map(|p| vec![(p.0, p.1)]));
        if let Some(line) = fitted_line(fit, pts) {
            marks.push(line.to_vec());
        }
    }
    if pts.iter().any(|p| p.iter().any(|q| !q.2)) {
        labels.push("not fitted (a method stopped early)".to_string());
    }
    let request = legend::Request {
        labels: &labels,
        marks: &marks,
        placement: settings.legend,
        symbols: &[],
    };
    let axes = |y: (f64, f64)| {
        (
            TickedAxis::new(x.0, x.1, xmaj.clone(), xmin.clone()),
            TickedAxis::new(y.0, y.1, ymaj.clone(), ymin.clone()),
        )
    };
    let spot = {
        let trial = build(&area, axes(y))?;
        legend::choose(trial.plotting_area(), &request)
    };
    let y = spot.y_range(y);
    let mut chart = build(&area, axes(y))?;
    let x_label = log_tick_labeller(x.0, x.1);
    let y_label = log_tick_labeller(y.0, y.1);
    chart
        .configure_mesh()
        .x_desc(format!(
            "step size η   (log scale; fixed horizon t = {})",
            fmt_num(study.t_end)
        ))
        .y_desc("max distance over t   (log scale)")
        .axis_desc_style(text(LABEL_SIZE))
        .label_style(text(TICK_SIZE))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .set_all_tick_mark_size(6)
        .draw()
        .map_err(fail)?;

    // Reference slopes through the centre of the data, labelled at their right end.
    let centre = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    if centre.0.is_finite() && centre.1.is_finite() {
        for p in REFERENCE_SLOPES {
            let line = |xv: f64| centre.1 + p * (xv - centre.0);
            // Clip to the plot box (positive slopes enter at the bottom or left, leave at the top or right).
            let a = x.0.max(centre.0 + (y.0 - centre.1) / p);
            let b = x.1.min(centre.0 + (y.1 - centre.1) / p);
            if a.partial_cmp(&b) != Some(std::cmp::Ordering::Less) {
                continue;
            }
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(a, line(a)), (b, line(b))],
                    6,
                    6,
                    GREY.stroke_width(1),
                )))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("slope {p}"),
                    (b, line(b)),
                    text(TICK_SIZE)
                        .color(&GREY)
                        .pos(Pos::new(HPos::Right, VPos::Bottom)),
                )))
                .map_err(fail)?;
        }
    }

    for (k, ((fit, pts), label)) in study.comparisons.iter().zip(&pts).zip(labels.clone()).enumerate() {
        let colour = series_color(k);
        if let Some(line) = fitted_line(fit, pts) {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    line.to_vec(),
                    colour.stroke_width(LINE_WIDTH),
                )))
                .map_err(fail)?;
        }
        chart
            .draw_series(
                pts.iter()
                    .filter(|p| p.2)
                    .map(|&(a, b, _)| Circle::new((a, b), 6, colour.filled())),
            )
            .map_err(fail)?
            .label(label)
            .legend(move |(x, y)| {
                EmptyElement::at((x + 17, y))
                    + PathElement::new(vec![(-17, 0), (17, 0)], colour.stroke_width(LINE_WIDTH))
                    + Circle::new((0, 0), 6, colour.filled())
            });
        chart
            .draw_series(
                pts.iter()
                    .filter(|p| !p.2)
                    .map(|&(a, b, _)| Circle::new((a, b), 6, colour.stroke_width(2))),
            )
            .map_err(fail)?;
    }
    if pts.iter().any(|p| p.iter().any(|q| !q.2)) {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(fail)?
            .label("not fitted (a method stopped early)")
            .legend(|(x, y)| Circle::new((x + 17, y), 6, BLACK.stroke_width(2)));
    }
    if all().next().is_none() {
        chart
            .draw_series(std::iter::once(Text::new(
                "no positive finite distances to draw",
                (0.5 * (x.0 + x.1), 0.5 * (y.0 + y.1)),
                text(LABEL_SIZE)
                    .color(&GREY)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))
            .map_err(fail)?;
    }
    legend::draw(&mut chart, spot, &request)
}

/// The log–log axes on `area`, nothing drawn yet.
fn build<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (ax, ay): (TickedAxis, TickedAxis),
) -> Result<ChartContext<'_, DB, Cartesian2d<TickedAxis, TickedAxis>>, String> {
    super::style::plot_frame(area)
        .build_cartesian_2d(ax, ay)
        .map_err(fail)
}

/// The least-squares line of `fit` over the η range of its fitted points, in log10 units.
fn fitted_line(fit: &crate::formats::order::OrderFit, pts: &[Point]) -> Option<[(f64, f64); 2]> {
    let (s, c) = (fit.slope?, fit.intercept?);
    // ln d = c + s ln η, so log10 d = c / ln 10 + s log10 η.
    let fitted = pts.iter().filter(|p| p.2).map(|p| p.0);
    let lo = fitted.clone().fold(f64::INFINITY, f64::min);
    let hi = fitted.fold(f64::NEG_INFINITY, f64::max);
    let line = |xv: f64| c / std::f64::consts::LN_10 + s * xv;
    (lo < hi).then(|| [(lo, line(lo)), (hi, line(hi))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::order::OrderFit;
    use crate::trajectory::TimeMap;

    #[test]
    fn the_title_is_drawn_only_when_the_settings_ask_for_it() {
        let study = OrderStudy {
            scenario: "quad".into(),
            source: "quad.toml".into(),
            t_end: 2.0,
            time_map: TimeMap::Eta,
            step_sizes: vec![0.04, 0.02, 0.01],
            steps: vec![50, 100, 200],
            comparisons: vec![OrderFit {
                a: "gd".into(),
                b: "flow".into(),
                max_distances: vec![0.12, 0.06, 0.03],
                completed: vec![true, true, true],
                points_used: 3,
                slope: Some(1.0),
                intercept: Some(3f64.log10()),
            }],
        };
        crate::render::style::ensure_font().unwrap();
        let svg_of = |settings: &FigureSettings| {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (1000, 800)).into_drawing_area();
                plot_order_with(&study, settings, &root).unwrap();
                root.present().unwrap();
            }
            svg
        };
        let untitled = FigureSettings {
            title: false,
            ..FigureSettings::default()
        };
        let (with, without) = (svg_of(&FigureSettings::default()), svg_of(&untitled));
        assert!(with.contains("order of the gap"));
        assert!(!without.contains("order of the gap"));
        // The axes keep their words.
        assert!(without.contains("step size η"));
        assert!(without.contains("gd vs flow: slope 1.00"));
    }
}
