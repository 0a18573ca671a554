//! The loss figure's round-off note ("round-off: L < 1e-12·L(θ₀) drawn at …") lies inside the grey band
//! below the floor, inside the plot, and no curve (drawn on the band's top edge) or legend touches it:
//! checked on the computed layout (`render::legend::record`) against the note's box measured on the SVG,
//! in the paper style (3.25 in) and the screen style at 1000 × 800.

use crate::departure_label::{draw, is_box, overlap, rect_of, run};
use crate::sweep_overlay::text_boxes;
use flowgap::outspec::{FigureKind, FigureStyle};
use flowgap::render::legend::{covers, Rect};

#[test]
fn the_roundoff_note_fits_its_band_clear_of_the_curves() {
    for name in [
        "deep_linear_saxe",
        "double_well_period_doubling",
        "formula_scalar_net",
        "heavy_ball_beyond_gd_threshold",
        "himmelblau_basin_grid",
        "himmelblau_basins",
        "implicit_gradient_regularisation",
        "scalar_rmsprop_central_flow_quadratic",
    ] {
        let run = run(name, &[]);
        for style in [FigureStyle::Paper, FigureStyle::Screen] {
            let look = format!("{name} {style:?}");
            let (svg, l) = draw(name, &run, FigureKind::Loss, style);
            let boxes = text_boxes(&svg);
            // The note, in one line or broken after "L(θ₀)".
            let head = boxes
                .iter()
                .position(|b| b.0.starts_with("round-off: L < "))
                .unwrap_or_else(|| panic!("{look}: no round-off note"));
            let mut note = rect_of(&boxes[head]);
            if !boxes[head].0.contains("drawn at") {
                let tail = boxes
                    .iter()
                    .find(|b| b.0.starts_with("drawn at "))
                    .expect("its second line");
                let t = rect_of(tail);
                note = (note.0.min(t.0), note.1.min(t.1), note.2.max(t.2), note.3.max(t.3));
            }
            let curves: Vec<Vec<(i32, i32)>> = l.marks.iter().filter(|m| !is_box(m)).cloned().collect();
            // The band: from the floor (the lowest drawn point: losses below it are drawn on it) to the
            // plot's bottom.
            let floor = curves.iter().flatten().map(|p| p.1).max().expect("curves");
            let p = l.plot;
            let band: Rect = (p.0, floor, p.2, p.3);
            assert!(
                note.0 >= band.0 && note.1 > band.1 && note.2 <= band.2 && note.3 <= band.3,
                "{look}: the note {note:?} is not inside the band {band:?}"
            );
            assert!(
                !covers(&curves, note, p),
                "{look}: a curve touches the note {note:?} (band {band:?})"
            );
            if let Some(legend) = l.legend {
                assert!(
                    !overlap(legend, note),
                    "{look}: the note {note:?} under the legend {legend:?}"
                );
            }
        }
    }
}
