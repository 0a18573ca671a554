//! Every element scales with the canvas: run figures of named scenarios drawn at the smallest supported
//! screen sizes (400 × 400, 500 × 400) and in the paper styles keep every text on the canvas (measured
//! with the font's own advances, as tests/it/sweep_overlay.rs does), their legends off the data and
//! inside the plot, and their PNGs at the asked pixels.

use crate::sweep_overlay::{assert_texts_on_canvas, text_boxes};
use flowgap::outspec::{FigureStyle, ImageFormat};
use flowgap::render::legend::{covers, record};
use flowgap::scenario;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_small_canvas_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The viewBox's width and height of an SVG (its canvas), or its `width` × `height` without one.
fn canvas_of(svg: &str) -> (f64, f64) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let root = doc.root_element();
    match root.attribute("viewBox") {
        Some(v) => {
            let v: Vec<f64> = v.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (v[2], v[3])
        }
        None => (
            root.attribute("width").unwrap().parse().unwrap(),
            root.attribute("height").unwrap().parse().unwrap(),
        ),
    }
}

/// Width and height of a PNG file from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

#[test]
fn run_figures_fit_the_smallest_screen_canvases_and_the_paper_styles() {
    // (style, width, height, title): the screen style at the smallest sizes keeps its title.
    let looks = [
        (FigureStyle::Screen, 400, 400, true),
        (FigureStyle::Screen, 500, 400, true),
        (FigureStyle::Screen, 400, 640, true),
        (FigureStyle::Paper, 1000, 800, false),
        (FigureStyle::PaperWide, 1000, 800, false),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in [
        "heavy_ball_beyond_gd_threshold",
        "quadratic_above_threshold",
        "rosenbrock_valley",
        "deep_linear_saxe",
        "sgd_vs_sme_noisy_quadratic",
        "held_out_two_moons",
        "central_flow_toy",
    ] {
        let loaded = scenario::load(&scenario::named_path(&dir, name)).unwrap_or_else(|e| panic!("{e}"));
        let (experiment, mut spec) = loaded.into_parts();
        let report = experiment.run();
        for (style, width, height, title) in looks {
            spec.figure.style = style;
            spec.figure.width = width;
            spec.figure.height = height;
            spec.figure.title = title;
            let look = format!("{name} {style:?} {width}×{height}");
            let out = temp_dir(&format!("{name}_{style:?}_{width}_{height}"));
            for kind in &spec.figures {
                let look = format!("{look} {}", kind.name());
                let (drawn, layouts) = record(|| {
                    flowgap::output::draw_figures(
                        &report,
                        &spec,
                        &[*kind],
                        &[ImageFormat::Svg, ImageFormat::Png],
                        &out,
                    )
                });
                drawn.unwrap_or_else(|e| panic!("{look}: {e}"));
                let svg = std::fs::read_to_string(out.join(format!("{}.svg", kind.name()))).unwrap();
                let canvas = canvas_of(&svg);
                assert_texts_on_canvas(&look, &svg, canvas);
                if style == FigureStyle::Screen {
                    // The PNG has the asked pixels, whatever canvas the figure was laid out on; the
                    // title is drawn (and on the canvas: checked above).
                    let png = png_size(&out.join(format!("{}.png", kind.name())));
                    assert_eq!(png, (width, height), "{look}");
                    assert!(
                        text_boxes(&svg).iter().any(|b| b.2 < 0.1 * canvas.1),
                        "{look}: no text near the top (a title)"
                    );
                }
                // Each legend (drawn twice: SVG and PNG) lies in its plot area and covers no data.
                for l in &layouts {
                    let Some(r) = l.legend else { continue };
                    assert!(
                        !covers(&l.marks, r, l.plot),
                        "{look}: the legend {r:?} covers data (plot {:?}, {:?})",
                        l.plot,
                        l.labels
                    );
                    assert!(
                        r.0 >= l.plot.0 && r.2 <= l.plot.2 && r.1 >= l.plot.1 && r.3 <= l.plot.3,
                        "{look}: the legend {r:?} leaves the plot area {:?} ({:?})",
                        l.plot,
                        l.labels
                    );
                    // A legend in a band above the data (every mark below it) leaves the data at
                    // least half the plot's height; one in an empty corner takes nothing from it.
                    let (ph, lh) = (l.plot.3 - l.plot.1, r.3 - r.1);
                    let above = l.marks.iter().flatten().all(|p| p.1 > r.3);
                    assert!(
                        !above || 2 * lh <= ph,
                        "{look}: a {lh}-unit legend in a {ph}-unit plot area ({:?})",
                        l.labels
                    );
                }
            }
            std::fs::remove_dir_all(&out).ok();
        }
    }
}
