//! The named scenario `edge_of_stability_mlp` shows the edge of stability of Cohen et al. (2021), checked
//! against the linear stability threshold 2/η rather than against its own output:
//! - progressive sharpening: GD's λ_1 starts well below 2/η and crosses it;
//! - after the crossing GD's λ_1 stays within ±15% of 2/η to the end of the run (it hovers);
//! - the loss keeps falling (the end is well below the loss at the crossing) but not monotonically (it
//!   rises at least once after the crossing, by a factor ≥ 2 between recorded points);
//! - gradient flow's loss never rises (dL/dt = −‖∇L‖² ≤ 0) and its λ_1 keeps rising: at the end of the
//!   run it is well above 2/η, where GD's is not.
//!
//! One run (~4 s in the test profile) serves all the claims.

use flowgap::scenario;
use std::path::Path;

#[test]
fn gd_sharpens_to_two_over_eta_and_hovers_while_the_flow_keeps_sharpening() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let report = (scenario::load(&scenario::named_path(&dir, "edge_of_stability_mlp")).unwrap())
        .experiment
        .run();
    let eta = 0.2_f64;
    let threshold = 2.0 / eta;
    let d = report
        .diagnostics
        .as_ref()
        .expect("scenario asks for diagnostics");

    let gd_run = &report.method("gd").unwrap().trajectory;
    let gd = d.method("gd").unwrap();
    let s = gd.sharpness.as_ref().unwrap();
    let l1 = s.lambda_1();
    let eos = gd.edge_of_stability.as_ref().unwrap();
    assert_eq!(eos.threshold, threshold);

    // Progressive sharpening from well below the threshold.
    assert!(l1[0] < 0.5 * threshold, "λ_1(0) = {}", l1[0]);
    let crossing = eos.crossing_time.expect("GD's λ_1 must cross 2/η");
    let first = l1.iter().position(|&l| l > threshold).unwrap();
    assert_eq!(s.times[first], crossing);
    // Not at the very end: at least half of the run is spent at the edge.
    let t_end = *gd_run.times.last().unwrap();
    assert!(crossing < 0.5 * t_end, "crossing at t = {crossing}");

    // Hovering: every later sample within ±15% of 2/η.
    for (j, &l) in l1.iter().enumerate().skip(first) {
        assert!(
            (l / threshold - 1.0).abs() <= 0.15,
            "t = {}: λ_1 = {l}, 2/η = {threshold}",
            s.times[j]
        );
    }

    // The loss keeps falling, non-monotonically.
    let k_cross = s.indices[first];
    let loss_cross = gd_run.losses[k_cross];
    let loss_end = *gd_run.losses.last().unwrap();
    assert!(
        loss_end < 0.5 * loss_cross,
        "loss at crossing {loss_cross}, at end {loss_end}"
    );
    let spikes = gd_run.losses[k_cross..]
        .windows(2)
        .filter(|w| w[1] > 2.0 * w[0])
        .count();
    assert!(spikes >= 1, "no loss rise after the crossing");

    // The flow: loss non-increasing (up to the solver's tolerance), sharpness past 2/η and still rising.
    let flow_run = &report.method("flow").unwrap().trajectory;
    for w in flow_run.losses.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-6), "flow loss rose: {w:?}");
    }
    let fl1 = d.method("flow").unwrap().sharpness.as_ref().unwrap().lambda_1();
    let (f_end, g_end) = (*fl1.last().unwrap(), *l1.last().unwrap());
    assert!(
        f_end > 1.2 * threshold,
        "flow λ_1 at the end {f_end}, 2/η = {threshold}"
    );
    assert!(f_end > g_end, "flow {f_end} vs gd {g_end}");
    // Over the second half of the run the flow's λ_1 only grows.
    let half = fl1.len() / 2;
    for w in fl1[half..].windows(2) {
        assert!(w[1] >= w[0], "flow λ_1 fell: {w:?}");
    }
}
