//! The sweep's overlay figure at a paper's column width: every text (tick labels, axis descriptions,
//! legend) lies on the canvas, measured on the SVG with the font's own advance widths; the legend above
//! the data takes rows of entries, not a line per entry; the legend covers no data.

use flowgap::formats::sweep_summary::SweepPlan;
use flowgap::outspec::{FigureSettings, FigureStyle};
use flowgap::render::legend::{covers, record};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_sweep_overlay_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A text of an SVG with its box in the SVG's user units: (text, x0, y0, x1, y1).
pub type TextBox = (String, f64, f64, f64, f64);

/// Every `<text>` of `svg` with the box its glyphs take: the width from DejaVu Sans's advance widths
/// (the font every figure draws with) at the element's `font-size`, placed by its `text-anchor`; the
/// height from the baseline (`y` + `dy`: plotters writes 0.76em, 0.5ex or −0.5ex) up by the font's
/// ascent of digits and capitals (0.73 em) and down by its descent (0.24 em); then turned by its
/// `rotate(a, x, y)` transform, if any.
pub fn text_boxes(svg: &str) -> Vec<TextBox> {
    let face = ttf_parser::Face::parse(dejavu::sans::regular(), 0).unwrap();
    let upem = face.units_per_em() as f64;
    let advance = |c: char| -> f64 {
        face.glyph_index(c)
            .and_then(|g| face.glyph_hor_advance(g))
            .map_or(0.6 * upem, f64::from)
    };
    let doc = roxmltree::Document::parse(svg).unwrap();
    let num = |n: &roxmltree::Node, a: &str| -> f64 {
        n.attribute(a)
            .unwrap_or_else(|| panic!("a text without `{a}`"))
            .parse()
            .unwrap()
    };
    let mut out = Vec::new();
    for n in doc.descendants().filter(|n| n.tag_name().name() == "text") {
        let content: String = n
            .descendants()
            .filter(|d| d.is_text())
            .filter_map(|d| d.text())
            .collect();
        let content = content.trim().to_string();
        if content.is_empty() {
            continue;
        }
        let (x, y, size) = (num(&n, "x"), num(&n, "y"), num(&n, "font-size"));
        let width = content.chars().map(advance).sum::<f64>() / upem * size;
        let x0 = match n.attribute("text-anchor") {
            Some("middle") => x - width / 2.0,
            Some("end") => x - width,
            _ => x,
        };
        let baseline = y + match n.attribute("dy") {
            Some("0.76em") => 0.76 * size,
            // DejaVu Sans's x-height is 0.55 em.
            Some("0.5ex") => 0.5 * 0.55 * size,
            Some("-0.5ex") => -0.5 * 0.55 * size,
            _ => 0.0,
        };
        let (top, bottom) = (baseline - 0.73 * size, baseline + 0.24 * size);
        let mut corners = [(x0, top), (x0 + width, top), (x0, bottom), (x0 + width, bottom)];
        if let Some(t) = n.attribute("transform") {
            let inner = t
                .strip_prefix("rotate(")
                .and_then(|r| r.strip_suffix(')'))
                .unwrap_or_else(|| panic!("transform {t}"));
            let v: Vec<f64> = inner.split(',').map(|p| p.trim().parse().unwrap()).collect();
            let (a, cx, cy) = (v[0].to_radians(), v[1], v[2]);
            for c in &mut corners {
                let (dx, dy) = (c.0 - cx, c.1 - cy);
                *c = (cx + dx * a.cos() - dy * a.sin(), cy + dx * a.sin() + dy * a.cos());
            }
        }
        let xs = corners.map(|c| c.0);
        let ys = corners.map(|c| c.1);
        let lo = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
        let hi = |v: [f64; 4]| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
        out.push((content, lo(xs), lo(ys), hi(xs), hi(ys)));
    }
    out
}

/// Asserts that every text of `svg` lies on its `w` × `h` canvas.
pub fn assert_texts_on_canvas(name: &str, svg: &str, (w, h): (f64, f64)) {
    let boxes = text_boxes(svg);
    assert!(!boxes.is_empty(), "{name}: no text");
    for (t, x0, y0, x1, y1) in &boxes {
        assert!(
            *x0 >= 0.0 && *y0 >= 0.0 && *x1 <= w && *y1 <= h,
            "{name}: {t:?} at ({x0:.1}, {y0:.1})–({x1:.1}, {y1:.1}) leaves the {w} × {h} canvas"
        );
    }
}

/// A kept table of GD at η = 0.2, 0.3, 0.4, 0.5 over 2000 steps whose sharpness rises from 2.8 to its
/// 2/η and hovers there (the edge-of-stability shape of edge_of_stability_mlp), and its plan.
fn eos_like(dir: &Path) -> (SweepPlan, PathBuf) {
    let kept = dir.join("kept.csv");
    let etas = [0.2f64, 0.3, 0.4, 0.5];
    let mut csv = String::from("index,run.step_size,method,step,t,sharpness,threshold\n");
    for (i, eta) in etas.iter().enumerate() {
        for k in 0..=100u32 {
            let step = 20 * k;
            let rise = 2.8 + 0.01 * f64::from(step);
            let lambda = rise.min(2.0 / eta + 0.3 * (f64::from(k) * 1.7).sin());
            csv.push_str(&format!(
                "{i},{eta},gd,{step},{},{lambda},{}\n",
                f64::from(step) * eta,
                2.0 / eta
            ));
        }
    }
    std::fs::write(&kept, csv).unwrap();
    let plan: SweepPlan = serde_json::from_value(serde_json::json!({
        "scenario": "overlay",
        "runs": 4,
        "axes": [{"key": "run.step_size", "log": false, "values": etas}],
        "tail": 0,
        "figures": [{"kind": "overlay", "column": "sharpness", "x": "step", "by": "run.step_size",
                     "over": null, "method": "gd", "log": false}],
        "minima": [],
        "methods": [{"id": "gd", "discrete": true}],
        "comparisons": [],
        "keep": ["sharpness"],
        "kept_methods": ["gd"]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    (plan, kept)
}

#[test]
fn the_overlay_keeps_its_texts_on_the_canvas_and_its_legend_in_rows_in_every_style() {
    let dir = temp_dir("canvas");
    let (plan, kept) = eos_like(&dir);
    flowgap::render::style::ensure_font().unwrap();
    let overlay = flowgap::render::sweep_overlay::Overlay::read(&plan, &plan.figures[0], &kept).unwrap();
    for style in [FigureStyle::Paper, FigureStyle::PaperWide, FigureStyle::Screen] {
        let settings = FigureSettings {
            style,
            title: style == FigureStyle::Screen,
            ..FigureSettings::default()
        };
        let canvas = flowgap::render::style::page(&settings).canvas;
        let mut svg = String::new();
        let (drawn, layouts) = record(|| {
            let root = SVGBackend::with_string(&mut svg, canvas).into_drawing_area();
            root.fill(&WHITE).unwrap();
            overlay.plot_with(&root, &settings)
        });
        drawn.unwrap();
        let name = format!("{style:?}");
        assert_texts_on_canvas(&name, &svg, (canvas.0 as f64, canvas.1 as f64));
        // The last x tick, 2000, is drawn (the axis ends there) and is among the texts checked.
        assert!(text_boxes(&svg).iter().any(|b| b.0 == "2000"), "{name}: no 2000");
        let l = &layouts[0];
        let legend = l.legend.expect("a legend");
        assert!(
            !covers(&l.marks, legend, l.plot),
            "{name}: {legend:?} covers data"
        );
        // Four η entries and the 2/η entry: on one line per entry the legend took 40% of the paper
        // figure's height; in rows it takes at most a quarter of the plot area.
        assert_eq!(l.labels.len(), 5, "{:?}", l.labels);
        let (plot_h, legend_h) = (l.plot.3 - l.plot.1, legend.3 - legend.1);
        assert!(
            legend_h * 4 <= plot_h,
            "{name}: legend {legend_h} of a {plot_h}-unit plot area"
        );
        assert!(
            l.labels.iter().all(|t| t.chars().count() <= 14),
            "{name}: {:?}",
            l.labels
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The run figures of named scenarios drawn in the paper styles: every text of every SVG lies on its
/// canvas (the SVG's viewBox), measured as above.
#[test]
fn run_figures_keep_their_texts_on_the_canvas_at_a_papers_widths() {
    use flowgap::outspec::ImageFormat;
    use flowgap::scenario;
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in [
        "quadratic_above_threshold",
        "heavy_ball_beyond_gd_threshold",
        "deep_linear_saxe",
        "sgd_vs_sme_noisy_quadratic",
        "held_out_two_moons",
    ] {
        let loaded =
            scenario::load(&scenario::named_path(&scenarios, name)).unwrap_or_else(|e| panic!("{e}"));
        let (experiment, mut spec) = loaded.into_parts();
        let report = experiment.run();
        for style in [FigureStyle::Paper, FigureStyle::PaperWide] {
            spec.figure.style = style;
            spec.figure.title = false;
            let out = temp_dir(&format!("{name}_{style:?}"));
            flowgap::output::draw_figures(&report, &spec, &spec.figures, &[ImageFormat::Svg], &out)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for kind in &spec.figures {
                let path = out.join(format!("{}.svg", kind.name()));
                let svg = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                let doc = roxmltree::Document::parse(&svg).unwrap();
                let view: Vec<f64> = doc
                    .root_element()
                    .attribute("viewBox")
                    .expect("a paper SVG has a viewBox")
                    .split_whitespace()
                    .map(|v| v.parse().unwrap())
                    .collect();
                assert_texts_on_canvas(
                    &format!("{name} {} {style:?}", kind.name()),
                    &svg,
                    (view[2], view[3]),
                );
            }
            std::fs::remove_dir_all(&out).ok();
        }
    }
}
