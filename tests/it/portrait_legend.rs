//! The phase portraits' legends follow the shared rule with every entry's symbol (a corner box over no
//! trajectory, else a band above the landscape in as many columns or rows as fit), the colour bar's
//! title clears its tick labels, and a legend entry as wide as its plot keeps its symbol. Checked on
//! the computed layout (`render::legend::record`) and on the SVG's text boxes, not on pixels.

use crate::sweep_overlay::text_boxes;
use flowgap::outspec::{FigureKind, FigureStyle, ImageFormat};
use flowgap::render::legend::{covers, record, LegendLayout, Rect};
use flowgap::scenario;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_portrait_legend_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs the named scenario and draws `kind` as SVG in `style`: the legend layouts drawn and the SVG.
fn drawn(name: &str, style: FigureStyle, kind: FigureKind) -> (Vec<LegendLayout>, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let loaded = scenario::load(&scenario::named_path(&dir, name)).unwrap_or_else(|e| panic!("{e}"));
    let (experiment, mut spec) = loaded.into_parts();
    spec.figure.style = style;
    let report = experiment.run();
    let out = temp_dir(&format!("{name}_{style:?}"));
    let (result, layouts) =
        record(|| flowgap::output::draw_figures(&report, &spec, &[kind], &[ImageFormat::Svg], &out));
    result.unwrap_or_else(|e| panic!("{name} {style:?}: {e}"));
    let svg = std::fs::read_to_string(out.join(format!("{}.svg", kind.name()))).unwrap();
    let _ = std::fs::remove_dir_all(&out);
    (layouts, svg)
}

fn inside(inner: Rect, outer: Rect) -> bool {
    inner.0 >= outer.0 && inner.1 >= outer.1 && inner.2 <= outer.2 && inner.3 <= outer.3
}

fn meet(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Every entry of `l` has its symbol and its text inside the legend box, which lies in the plot area
/// and covers no drawn point.
fn assert_entries_drawn(look: &str, l: &LegendLayout) -> Rect {
    let r = l.legend.unwrap_or_else(|| panic!("{look}: no legend"));
    assert!(
        inside(r, l.plot),
        "{look}: legend {r:?} leaves the plot {:?}",
        l.plot
    );
    assert!(
        !covers(&l.marks, r, l.plot),
        "{look}: legend {r:?} covers data ({:?})",
        l.labels
    );
    assert_eq!(
        l.entries.len(),
        l.labels.len(),
        "{look}: entries without their symbols ({:?})",
        l.labels
    );
    for (e, label) in l.entries.iter().zip(&l.labels) {
        assert!(
            inside(e.symbol, r) && inside(e.text, r),
            "{look}: {label:?} ({e:?}) leaves the legend {r:?}"
        );
        assert!(e.symbol.2 <= e.text.0, "{look}: {label:?}'s text over its symbol");
    }
    r
}

#[test]
fn portrait_legends_give_every_marker_its_symbol_and_leave_the_landscape_room() {
    // The heavy-ball band took ~60% of the paper plot in one column; the others had a white strip.
    for name in ["heavy_ball_quadratic", "rosenbrock_valley", "himmelblau_basins"] {
        for style in [FigureStyle::Paper, FigureStyle::Screen] {
            let look = format!("{name} {style:?}");
            let (layouts, _) = drawn(name, style, FigureKind::PhasePortrait);
            assert!(!layouts.is_empty(), "{look}: no legend layout");
            for l in &layouts {
                let r = assert_entries_drawn(&look, l);
                let band = l.marks.iter().flatten().all(|p| p.1 > r.3);
                if !band {
                    continue;
                }
                // A band above the landscape: as wide as the landscape (no blank strip beside it),
                // rows shared by several entries where two fit side by side, and at most about a
                // third of the plot's height (legend, insets and gap). Heavy ball's seven entries
                // (five methods, with their display labels, and the markers) share rows two by two
                // but one: at most half (one column took 60%).
                let ph = l.plot.3 - l.plot.1;
                let taken = r.3 - l.plot.1 + 10;
                let most = if name == "heavy_ball_quadratic" { 0.5 } else { 0.37 };
                assert!(
                    r.0 - l.plot.0 <= 6 && l.plot.2 - r.2 <= 6,
                    "{look}: the band {r:?} leaves strips in the plot {:?}",
                    l.plot
                );
                assert!(
                    taken as f64 <= most * ph as f64,
                    "{look}: the band takes {taken} of a {ph}-unit plot ({:?})",
                    l.labels
                );
                let mut widths: Vec<i32> = l.entries.iter().map(|e| e.text.2 - e.symbol.0).collect();
                widths.sort_unstable();
                if widths.len() >= 2 && widths[0] + widths[1] + 40 <= r.2 - r.0 {
                    let shared = l
                        .entries
                        .iter()
                        .enumerate()
                        .any(|(i, a)| l.entries[..i].iter().any(|b| b.symbol.1 == a.symbol.1));
                    assert!(shared, "{look}: one entry per row ({:?})", l.labels);
                }
            }
        }
    }
}

#[test]
fn the_colour_bar_title_clears_its_tick_labels() {
    // Paper style: "5×10⁻²" ran into "L − min L".
    for style in [FigureStyle::Paper, FigureStyle::Screen] {
        let (_, svg) = drawn("nesterov_quadratic", style, FigureKind::PhasePortrait);
        let boxes = text_boxes(&svg);
        let title = boxes
            .iter()
            .find(|b| b.0 == "L − min L")
            .unwrap_or_else(|| panic!("{style:?}: no colour bar title"));
        let title_box = (title.1, title.2, title.3, title.4);
        let ticks: Vec<_> = boxes.iter().filter(|b| b.0.contains("10")).collect();
        assert!(ticks.len() >= 3, "{style:?}: {ticks:?}");
        for t in boxes.iter().filter(|b| b.0 != title.0) {
            assert!(
                !meet(title_box, (t.1, t.2, t.3, t.4)),
                "{style:?}: {:?} at {:?} meets the title at {title_box:?}",
                t.0,
                (t.1, t.2, t.3, t.4)
            );
        }
    }
}

#[test]
fn a_legend_entry_as_wide_as_the_plot_keeps_its_symbol() {
    // rmsprop_flow's distance figure: "rmsprop_zero_start vs rmsprop_flow departs, t = 0.01" is as
    // wide as the paper plot; the band drew its entries without their line symbols.
    let (layouts, _) = drawn("rmsprop_flow", FigureStyle::Paper, FigureKind::Distance);
    assert!(!layouts.is_empty());
    for l in &layouts {
        assert_entries_drawn("rmsprop_flow distance", l);
    }
}
