//! The named scenario `cosine_schedule_mlp`: the edge of stability of Cohen et al. (2021) under linear
//! warm-up and cosine decay, checked against the moving threshold 2/η_k of the schedule itself:
//! - progressive sharpening from well below 2/η, until λ_1 reaches 0.95 × 2/η_k in the first half;
//! - never far above the moving threshold: λ_1 ≤ 1.15 × 2/η_k at every sample;
//! - riding it while η_k is large: from the first reach to step 2400 every sample is ≥ 0.85 × 2/η_k;
//! - released as η_k decays: at the end λ_1 < 0.5 × 2/η_{K−1};
//! - gradient flow, which has no threshold, ends sharper than GD;
//! - the recorded times are the summed axis: t_end = η_0 + … + η_{K−1} ∈ (K·η_min, K·η).

use flowgap::scenario;
use std::path::Path;

#[test]
fn gd_rides_the_moving_threshold_two_over_eta_k_and_is_released_as_eta_k_decays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let report = (scenario::load(&scenario::named_path(&dir, "cosine_schedule_mlp")).unwrap())
        .experiment
        .run();
    let grid = &report.experiment.grid;
    assert!(grid.schedule.is_some());
    let threshold = |k: u64| 2.0 / grid.step_size_at(k);
    let d = report.diagnostics.as_ref().unwrap();
    let gd_run = &report.method("gd").unwrap().trajectory;
    let s = d.method("gd").unwrap().sharpness.as_ref().unwrap();
    let l1 = s.lambda_1();
    let steps: Vec<u64> = s.indices.iter().map(|&i| gd_run.steps[i]).collect();
    let ratio: Vec<f64> = l1.iter().zip(&steps).map(|(l, &k)| l / threshold(k)).collect();

    assert!(l1[0] < 0.5 * 2.0 / grid.step_size, "λ_1(0) = {}", l1[0]);
    let first = ratio.iter().position(|&r| r >= 0.95).expect("GD reaches 2/η_k");
    let t_end = gd_run.t_end();
    assert!(s.times[first] < 0.5 * t_end, "reached at t = {}", s.times[first]);
    for (j, &r) in ratio.iter().enumerate() {
        assert!(r <= 1.15, "step {}: λ_1 = {} = {r} × 2/η_k", steps[j], l1[j]);
        if j >= first && steps[j] <= 2400 {
            assert!(r >= 0.85, "step {}: λ_1 = {r} × 2/η_k while riding", steps[j]);
        }
    }
    let last = *ratio.last().unwrap();
    assert!(last < 0.5, "at the end λ_1 = {last} × 2/η_(K−1)");

    let fl1 = d.method("flow").unwrap().sharpness.as_ref().unwrap().lambda_1();
    let (f_end, g_end) = (*fl1.last().unwrap(), *l1.last().unwrap());
    assert!(f_end > 1.05 * g_end, "flow λ_1 {f_end} vs gd {g_end}");

    let k = grid.steps as f64;
    assert_eq!(t_end, grid.time_of_step(grid.steps));
    assert!(t_end > k * 0.05 && t_end < k * 0.2, "t_end = {t_end}");
    let flow = &report.method("flow").unwrap().trajectory;
    assert_eq!(flow.times, gd_run.times, "both on the summed axis");
}
