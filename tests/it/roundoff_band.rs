//! The loss figure's round-off floor: on runs whose loss falls below 1e-12·max L(θ₀) (the ODE's round-off,
//! double_well_period_doubling and deep_linear_saxe), the figure draws a band up to that level, names it,
//! and draws no loss below it (a loss there is drawn on the band's edge, not as data).

use crate::sweep_overlay::text_boxes;
use flowgap::outspec::{FigureKind, ImageFormat};
use flowgap::render::legend::record;
use flowgap::render::style::fmt_num;
use flowgap::scenario;
use std::path::Path;

#[test]
fn the_roundoff_floor_is_a_band_below_1e_12_of_the_start_not_data() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in ["double_well_period_doubling", "deep_linear_saxe"] {
        let loaded = scenario::load(&scenario::named_path(&dir, name)).unwrap();
        let (experiment, spec) = loaded.into_parts();
        let report = experiment.run();
        // The rule, from the runs themselves: 1e-12 times the largest starting loss.
        let start = report
            .methods
            .iter()
            .filter_map(|m| m.trajectory.losses.first().copied())
            .fold(0.0f64, f64::max);
        let floor = 1e-12 * start;
        let lowest = report
            .methods
            .iter()
            .flat_map(|m| m.trajectory.losses.iter().copied())
            .filter(|l| l.is_finite() && *l > 0.0)
            .fold(f64::INFINITY, f64::min);
        assert!(
            lowest < floor,
            "{name}: the run never reaches the floor ({lowest} ≥ {floor})"
        );
        let out = std::env::temp_dir().join(format!("flowgap_roundoff_{name}_{}", std::process::id()));
        let (drawn, layouts) = record(|| {
            flowgap::output::draw_figures(&report, &spec, &[FigureKind::Loss], &[ImageFormat::Svg], &out)
        });
        drawn.unwrap();
        let svg = std::fs::read_to_string(out.join("loss.svg")).unwrap();
        let want = format!("round-off: L < 1e-12·L(θ₀) drawn at {}", fmt_num(floor));
        assert!(
            text_boxes(&svg).iter().any(|b| b.0 == want),
            "{name}: no band labelled {want:?}"
        );
        // The data drawn (the legend's marks: every curve, in backend coordinates) stays on or above the
        // floor: the lowest drawn point is the band's edge, well above the plot's bottom (the losses
        // reach ~1e-20 and less, which a linear-in-log axis would put far below the floor).
        let l = layouts.first().expect("the loss figure's layout");
        let bottom = l.marks.iter().flatten().map(|p| p.1).max().expect("data");
        assert!(
            bottom < l.plot.3,
            "{name}: data at the plot's bottom {bottom} ≥ {}",
            l.plot.3
        );
        std::fs::remove_dir_all(&out).ok();
    }
}
