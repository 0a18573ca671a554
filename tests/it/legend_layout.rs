//! Legends never cover data: checked on the computed layout (plot area, legend box and every drawn
//! segment and marker in backend coordinates, recorded by `render::legend::record`), not on pixels.

use flowgap::outspec::{FigureKind, FigureStyle, ImageFormat, LegendPlacement};
use flowgap::render::legend::{covers, record, LegendLayout};
use flowgap::scenario;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgap_legend_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs the named scenario and draws `figures` (its own when empty) in `style` with `placement`,
/// returning every legend layout drawn.
fn layouts(
    name: &str,
    style: FigureStyle,
    placement: LegendPlacement,
    figures: &[FigureKind],
) -> Vec<(FigureKind, LegendLayout)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let loaded = scenario::load(&scenario::named_path(&dir, name)).unwrap_or_else(|e| panic!("{e}"));
    let (experiment, mut spec) = loaded.into_parts();
    spec.figure.style = style;
    spec.figure.legend = placement;
    let report = experiment.run();
    let kinds = if figures.is_empty() {
        spec.figures.clone()
    } else {
        figures.to_vec()
    };
    let out = temp_dir(name);
    let mut all = Vec::new();
    for kind in kinds {
        let (drawn, layouts) =
            record(|| flowgap::output::draw_figures(&report, &spec, &[kind], &[ImageFormat::Svg], &out));
        drawn.unwrap_or_else(|e| panic!("{name} {}: {e}", kind.name()));
        all.extend(layouts.into_iter().map(|l| (kind, l)));
    }
    let _ = std::fs::remove_dir_all(&out);
    all
}

/// Asserts that no legend box touches a drawn segment or marker inside its plot area, and that every
/// legend lies inside the canvas-sized area around its plot.
fn assert_clear(name: &str, layouts: &[(FigureKind, LegendLayout)]) {
    assert!(!layouts.is_empty(), "{name}: no legend layout recorded");
    for (kind, l) in layouts {
        let Some(r) = l.legend else { continue };
        assert!(
            !covers(&l.marks, r, l.plot),
            "{name} {}: the legend {r:?} covers data (plot {:?}, labels {:?})",
            kind.name(),
            l.plot,
            l.labels
        );
        assert!(
            r.0 >= 0 && r.1 >= 0,
            "{name} {}: legend {r:?} off the canvas",
            kind.name()
        );
    }
}

#[test]
fn legends_cover_no_data_in_any_style() {
    let cases: [(&str, &[FigureKind]); 3] = [
        // The known bad case: heavy ball's spiral filled the corner the legend took in paper style.
        (
            "heavy_ball_beyond_gd_threshold",
            &[FigureKind::PhasePortrait, FigureKind::Loss],
        ),
        (
            "rosenbrock_valley",
            &[FigureKind::PhasePortrait, FigureKind::Loss, FigureKind::Distance],
        ),
        (
            "sgd_vs_sme_noisy_quadratic",
            &[FigureKind::Ensemble, FigureKind::Loss],
        ),
    ];
    for (name, figures) in cases {
        for style in [FigureStyle::Screen, FigureStyle::Paper, FigureStyle::PaperWide] {
            let l = layouts(name, style, LegendPlacement::Auto, figures);
            assert!(
                l.iter().any(|(_, l)| l.legend.is_some()),
                "{name} {style:?}: no legend drawn"
            );
            assert_clear(&format!("{name} {style:?}"), &l);
        }
    }
}

#[test]
fn the_setting_overrides_the_placement() {
    let name = "heavy_ball_beyond_gd_threshold";
    let figures = [FigureKind::Loss];
    let none = layouts(name, FigureStyle::Paper, LegendPlacement::None, &figures);
    assert!(none.iter().all(|(_, l)| l.legend.is_none()));
    // Outside: the legend lies above every drawn point, in the band the y axis gains at the top.
    for (_, l) in layouts(name, FigureStyle::Paper, LegendPlacement::Outside, &figures) {
        let r = l.legend.expect("a legend");
        let top = l.marks.iter().flatten().map(|p| p.1).min().expect("data");
        assert!(r.3 < top, "{r:?} reaches below the data's top {top}");
        assert!(r.1 >= l.plot.1, "{r:?} against plot {:?}", l.plot);
    }
    // A corner: inside the plot area at that corner, whatever it covers.
    for (_, l) in layouts(name, FigureStyle::Screen, LegendPlacement::LowerLeft, &figures) {
        let r = l.legend.expect("a legend");
        assert!(r.0 > l.plot.0 && r.0 - l.plot.0 < 20, "{r:?} {:?}", l.plot);
        assert!(r.3 < l.plot.3 && l.plot.3 - r.3 < 20, "{r:?} {:?}", l.plot);
    }
}

#[test]
fn method_labels_name_the_methods_in_every_legend() {
    let dir = temp_dir("labels");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("labelled.toml");
    std::fs::write(
        &path,
        r#"name = "labelled"
[objective]
kind = "quadratic"
eigenvalues = [4.0, 1.0]
[init]
point = [1.0, 1.0]
[run]
step_size = 0.1
steps = 30
[[method]]
id = "gd"
kind = "gd"
label = "GD, η = 0.1"
[[method]]
id = "flow"
kind = "gradient_flow"
[[compare]]
a = "gd"
b = "flow"
[output]
figures = ["phase_portrait", "loss", "distance"]
"#,
    )
    .unwrap();
    let (experiment, spec) = scenario::load(&path).unwrap().into_parts();
    let report = experiment.run();
    let (drawn, layouts) = record(|| {
        flowgap::output::draw_figures(&report, &spec, &spec.figures, &[ImageFormat::Svg], &dir.join("f"))
    });
    drawn.unwrap();
    assert_eq!(layouts.len(), 3);
    let has = |l: &LegendLayout, s: &str| l.labels.iter().any(|x| x == s);
    // The labelled method is named by its label; the other keeps its default (id and kind).
    assert!(has(&layouts[0], "GD, η = 0.1") && has(&layouts[0], "flow: gradient flow"));
    assert!(has(&layouts[1], "GD, η = 0.1"), "{:?}", layouts[1].labels);
    assert!(has(&layouts[2], "GD, η = 0.1 vs flow"), "{:?}", layouts[2].labels);
    // The distance axis names the pair by their display names, with real norm bars; no title names
    // the scenario.
    let svg = std::fs::read_to_string(dir.join("f").join("distance.svg")).unwrap();
    assert!(svg.contains("‖θ_GD, η = 0.1(t) − θ_flow(t)‖"));
    assert!(!svg.contains("labelled"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_overlay_legend_avoids_the_threshold_lines() {
    use flowgap::formats::sweep_summary::SweepPlan;
    use plotters::prelude::*;
    // Three runs whose sharpness stays low (2 to 4) while their thresholds 2/η sit at 5, 10 and 20: the
    // upper right corner is free of curves but crossed by the dashed 2/η = 20 (the old placement, which
    // counted only the curves, put the legend there).
    let dir = temp_dir("overlay");
    std::fs::create_dir_all(&dir).unwrap();
    let kept = dir.join("kept.csv");
    let mut csv = String::from("index,run.step_size,method,step,t,sharpness,threshold\n");
    for (i, eta) in [0.1f64, 0.2, 0.4].iter().enumerate() {
        for k in 0..=20u32 {
            let step = 10 * k;
            let lambda = 2.0 + 2.0 * f64::from(k) / 20.0 * (1.0 - eta);
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
        "runs": 3,
        "axes": [{"key": "run.step_size", "log": false, "values": [0.1, 0.2, 0.4]}],
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
    flowgap::render::style::ensure_font().unwrap();
    let overlay = flowgap::render::sweep_overlay::Overlay::read(&plan, &plan.figures[0], &kept).unwrap();
    let mut svg = String::new();
    let (drawn, layouts) = record(|| {
        let root = SVGBackend::with_string(&mut svg, (1000, 800)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        overlay.plot(&root)
    });
    drawn.unwrap();
    assert_eq!(layouts.len(), 1);
    let l = &layouts[0];
    // Three curves and three thresholds, each threshold a level segment across the plot area.
    assert_eq!(l.marks.len(), 6, "{:?}", l.marks);
    let levels: Vec<&Vec<(i32, i32)>> = l
        .marks
        .iter()
        .filter(|m| m.len() == 2 && m[0].1 == m[1].1 && m[1].0 - m[0].0 >= (l.plot.2 - l.plot.0) - 2)
        .collect();
    assert_eq!(levels.len(), 3, "{:?}", l.marks);
    let legend = l.legend.expect("a legend");
    assert!(!covers(&l.marks, legend, l.plot), "{legend:?} covers data");
    std::fs::remove_dir_all(&dir).ok();
}
