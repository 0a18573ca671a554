//! The named scenario `adam_edge_of_stability` shows the adaptive edge of stability of Cohen et al. (2022),
//! checked against Adam's preconditioned threshold (2 + 2β₁)/((1 − β₁)η) = 38/η, not against its own output:
//! - adaptive progressive sharpening: λ_1(P⁻¹H) starts far below 38/η and crosses it in the first half;
//! - after the crossing it stays within ±15% of 38/η to the end (it hovers), while λ_1(H) itself stays far
//!   below GD's 2/η (the edge is the preconditioned one);
//! - the loss never rises before the crossing, rises at least three times after it, and still falls (the
//!   end is below 1% of the loss at the crossing);
//! - the Adam ODE, which has no step size to be unstable at, never lets its loss rise;
//! - the RMSProp flow from ν(0) = ∇L(θ₀)² integrates the whole horizon in bounded work (not the stiff
//!   start from ν = 0), never lets its loss rise, starts from Adam's own P₀ = |∇L(θ₀)| + ε (bias-corrected
//!   v̂₁ = g₀²), and its λ_1(P⁻¹H) passes RMSProp's 2/η.

use flowgap::discrete::adaptive_preconditioners;
use flowgap::method::MethodKind;
use flowgap::scenario;
use std::path::Path;

#[test]
fn adam_sharpens_to_38_over_eta_in_the_preconditioned_sense_and_hovers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let report = (scenario::load(&scenario::named_path(&dir, "adam_edge_of_stability")).unwrap())
        .experiment
        .run();
    let eta = 2e-3_f64;
    let threshold = (2.0 + 2.0 * 0.9) / ((1.0 - 0.9) * eta);
    assert!((threshold - 38.0 / eta).abs() <= 1e-9 * threshold);
    let d = report
        .diagnostics
        .as_ref()
        .expect("the scenario asks for diagnostics");

    let adam_run = &report.method("adam").unwrap().trajectory;
    let adam = d.method("adam").unwrap();
    let s = adam.sharpness.as_ref().unwrap();
    let p = s
        .preconditioned
        .as_ref()
        .expect("adam has a preconditioned sharpness");
    assert!((p.threshold - threshold).abs() <= 1e-9 * threshold);
    let eos = adam.edge_of_stability.as_ref().unwrap();
    assert_eq!(eos.quantity, "preconditioned_sharpness");

    assert!(
        p.lambda_1[0] < 0.05 * threshold,
        "λ_1(P⁻¹H) at 0: {}",
        p.lambda_1[0]
    );
    let first = p
        .lambda_1
        .iter()
        .position(|&l| l > threshold)
        .expect("it must cross 38/η");
    assert_eq!(eos.crossing_time, Some(s.times[first]));
    let t_end = *adam_run.times.last().unwrap();
    assert!(s.times[first] < 0.5 * t_end, "crossing at t = {}", s.times[first]);
    for (j, &l) in p.lambda_1.iter().enumerate().skip(first) {
        assert!(
            (l / threshold - 1.0).abs() <= 0.15,
            "t = {}: λ_1(P⁻¹H) = {l}, 38/η = {threshold}",
            s.times[j]
        );
    }
    let (lo, hi) = (eos.hover_min_ratio.unwrap(), eos.hover_max_ratio.unwrap());
    assert!(
        lo >= 0.85 && hi <= 1.15 && hi > 1.0,
        "hovers in [{lo}, {hi}] × 38/η"
    );
    // The plain sharpness is nowhere near GD's threshold: it is P that brings Adam to its edge.
    for &l in &s.lambda_1() {
        assert!(l < 0.02 * (2.0 / eta), "λ_1(H) = {l}");
    }

    let k_cross = s.indices[first];
    let losses = &adam_run.losses;
    let rises = |range: std::ops::Range<usize>| losses[range].windows(2).filter(|w| w[1] > w[0]).count();
    assert_eq!(rises(0..k_cross + 1), 0, "the loss rose before the crossing");
    assert!(
        rises(k_cross..losses.len()) >= 3,
        "too few rises after the crossing"
    );
    let loss_end = *losses.last().unwrap();
    assert!(
        loss_end < 0.01 * losses[k_cross],
        "loss {} at the crossing, {loss_end} at the end",
        losses[k_cross]
    );

    // P_k comes from running Adam again: on this chaotic path too it lands on the recorded iterates bit
    // for bit at every sample, so each λ_1(P⁻¹H) pairs θ_k with its own P_k.
    let e = &report.experiment;
    let MethodKind::Adaptive(method) = &e.methods[0].kind else {
        panic!("adam first")
    };
    let steps: Vec<u64> = s.indices.iter().map(|&i| adam_run.steps[i]).collect();
    let rerun = adaptive_preconditioners(e.objective.as_ref(), &e.init, &e.grid, method, &steps).unwrap();
    let dim = e.objective.dim();
    for (j, &i) in s.indices.iter().enumerate() {
        assert!(
            rerun.theta[j * dim..(j + 1) * dim] == *adam_run.state(i),
            "θ at step {}",
            steps[j]
        );
    }

    let ode = &report.method("adam_ode").unwrap().trajectory;
    assert_eq!(ode.times.last(), adam_run.times.last());
    for w in ode.losses.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-6), "the Adam ODE's loss rose: {w:?}");
    }

    let rms = report.method("rmsprop_flow").unwrap();
    assert_eq!(rms.trajectory.termination.name(), "completed");
    assert_eq!(rms.trajectory.times.last(), adam_run.times.last());
    assert!(
        rms.trajectory.stats.accepted_steps < 20_000,
        "{} steps: the stiff regime",
        rms.trajectory.stats.accepted_steps
    );
    for w in rms.trajectory.losses.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-6), "the RMSProp flow's loss rose: {w:?}");
    }
    let rp = d.method("rmsprop_flow").unwrap().sharpness.as_ref().unwrap();
    let rp = rp.preconditioned.as_ref().expect("the flow records its P");
    assert_eq!(rp.threshold, 2.0 / eta);
    assert!(
        (rp.lambda_1[0] / p.lambda_1[0] - 1.0).abs() <= 1e-9,
        "λ_1(P₀⁻¹H): flow {} against Adam {}",
        rp.lambda_1[0],
        p.lambda_1[0]
    );
    assert!(rp.lambda_1[0] < rp.threshold && rp.max_lambda_1 > rp.threshold);
}
