//! The distance figure's on-line departure labels ("departs, t = …") sit beside their own departure line,
//! inside the plot, and touch no curve, tolerance line, other departure line, other label or the legend:
//! checked on the computed layout (the curves and lines in backend coordinates, recorded by
//! `render::legend::record`) against each label's box measured on the SVG, in the paper and screen styles.

use crate::sweep_overlay::text_boxes;
use flowgap::outspec::{FigureKind, FigureStyle, ImageFormat};
use flowgap::render::legend::{covers, record, LegendLayout, Rect};
use flowgap::scenario;
use std::path::Path;

/// Whether the recorded mark `m` is a closed axis-aligned rectangle: the outline of a label or note the
/// figure asks its legend to avoid, not drawn data.
pub fn is_box(m: &[(i32, i32)]) -> bool {
    m.len() == 5 && m[0] == m[4] && m.windows(2).all(|w| w[0].0 == w[1].0 || w[0].1 == w[1].1)
}

/// A text box from the SVG (floats) as a backend rectangle rounded outwards.
pub fn rect_of(b: &(String, f64, f64, f64, f64)) -> Rect {
    (
        b.1.floor() as i32,
        b.2.floor() as i32,
        b.3.ceil() as i32,
        b.4.ceil() as i32,
    )
}

/// Whether the rectangles `a` and `b` overlap.
pub fn overlap(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Text replacements applied to a scenario's file: (from, to).
pub type Edits<'a> = &'a [(&'a str, &'a str)];

/// The named scenario run with `edits` (text replacements that shorten it) applied to its file.
pub fn run(
    name: &str,
    edits: &[(&str, &str)],
) -> (flowgap::experiment::Report, flowgap::outspec::OutputSpec) {
    let path = scenario::named_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), name);
    let mut src = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(src.contains(from), "{name}: no {from:?} to shorten");
        src = src.replace(from, to);
    }
    let (experiment, spec) = scenario::parse(&src, &path)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_parts();
    (experiment.run(), spec)
}

/// Draws `figure` of the run in `style` as SVG; returns the SVG and its recorded layout.
pub fn draw(
    tag: &str,
    run: &(flowgap::experiment::Report, flowgap::outspec::OutputSpec),
    figure: FigureKind,
    style: FigureStyle,
) -> (String, LegendLayout) {
    let (report, spec) = run;
    let mut spec = spec.clone();
    spec.figure.style = style;
    // As `flowgap run --style`: a paper style drops the title.
    spec.figure.title = style == FigureStyle::Screen;
    spec.figure.width = 1000;
    spec.figure.height = 800;
    // FLOWGAP_KEEP_FIGURES=DIR keeps the figures (with PNGs) in DIR/TAG_STYLE to look at.
    let keep = std::env::var_os("FLOWGAP_KEEP_FIGURES").map(std::path::PathBuf::from);
    let out = match &keep {
        Some(dir) => dir.join(format!("{tag}_{style:?}")),
        None => std::env::temp_dir().join(format!("flowgap_{tag}_{style:?}_{}", std::process::id())),
    };
    let formats: &[ImageFormat] = match keep {
        Some(_) => &[ImageFormat::Svg, ImageFormat::Png],
        None => &[ImageFormat::Svg],
    };
    let (drawn, layouts) = record(|| flowgap::output::draw_figures(report, &spec, &[figure], formats, &out));
    drawn.unwrap_or_else(|e| panic!("{tag} {style:?}: {e}"));
    let svg = std::fs::read_to_string(out.join(format!("{}.svg", figure.name()))).unwrap();
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&out);
    }
    let layout = layouts.into_iter().next().expect("the figure's layout");
    (svg, layout)
}

/// Checks every departure label of the distance figure; returns how many were drawn.
fn check(
    name: &str,
    run: &(flowgap::experiment::Report, flowgap::outspec::OutputSpec),
    style: FigureStyle,
) -> usize {
    let (svg, l) = draw(name, run, FigureKind::Distance, style);
    let look = format!("{name} {style:?}");
    let labels: Vec<Rect> = text_boxes(&svg)
        .iter()
        .filter(|b| b.0.starts_with("departs, t = "))
        .map(rect_of)
        .collect();
    // The departure lines: vertical two-point marks standing on the plot's bottom (a legend band above
    // the data may shorten them to a small part of the plot's height).
    let lines: Vec<i32> = (l.marks.iter())
        .filter(|m| {
            m.len() == 2 && m[0].0 == m[1].0 && m[0].1.max(m[1].1) >= l.plot.3 - 1 && m[0].1 != m[1].1
        })
        .map(|m| m[0].0)
        .collect();
    for (i, &r) in labels.iter().enumerate() {
        let p = l.plot;
        assert!(
            r.0 >= p.0 && r.1 >= p.1 && r.2 <= p.2 && r.3 <= p.3,
            "{look}: label {r:?} outside the plot {p:?}"
        );
        // Its own line: the nearest, beside the box (not through it) and a few units from its side.
        let side = |x: i32| (x - r.2).abs().min((x - r.0).abs());
        let own = *lines.iter().min_by_key(|&&x| side(x)).expect("a departure line");
        assert!(
            (own <= r.0 + 1 || own >= r.2 - 1) && side(own) <= 8,
            "{look}: label {r:?} is not beside its line x = {own}"
        );
        let others: Vec<Vec<(i32, i32)>> = (l.marks.iter())
            // Not a label's or note's outline, not its own line.
            .filter(|m| !(is_box(m) || m.len() == 2 && m[0].0 == own && m[1].0 == own))
            .cloned()
            .collect();
        assert!(
            !covers(&others, r, p),
            "{look}: label {r:?} touches a curve or another line"
        );
        if let Some(legend) = l.legend {
            assert!(
                !overlap(legend, r),
                "{look}: label {r:?} under the legend {legend:?}"
            );
        }
        for &q in &labels[i + 1..] {
            assert!(!overlap(q, r), "{look}: labels {r:?} and {q:?} overlap");
        }
    }
    labels.len()
}

#[test]
fn departure_labels_sit_beside_their_lines_clear_of_the_curves() {
    // (scenario, shortening edits, whether a label must be drawn in both styles).
    let cases: [(&str, Edits, bool); 6] = [
        ("adam_vs_sign_flow", &[], false),
        ("central_flow_mlp", &[], false),
        ("cosine_schedule_mlp", &[], false),
        ("edge_of_stability_mlp", &[], true),
        ("rmsprop_flow_quadratic", &[], true),
        // Its departures sit on the y axis (t = 1e-5 on 0..0.2).
        ("heavy_ball_quadratic", &[], false),
    ];
    for (name, edits, must) in cases {
        let run = run(name, edits);
        for style in [FigureStyle::Paper, FigureStyle::Screen] {
            let n = check(name, &run, style);
            assert!(!must || n > 0, "{name} {style:?}: no departure label drawn");
        }
    }
}
