//! The named scenarios added for issue 7 show what they claim, checked against closed forms and known
//! orders rather than against their own output:
//! - `quadratic_at_threshold`: at η = 2/λ_max exactly, GD's stiff coordinate is (−1)^k θ₀ (period 2,
//!   constant amplitude) and its soft coordinate (1 − η)^k θ₀;
//! - `implicit_gradient_regularisation` (Barrett & Dherin 2021): GD ends at a flatter minimum than the
//!   flow, the flow conserves b² − a² while each GD step multiplies it by exactly 1 − η²x²r², and the
//!   end-point gap GD–modified flow is O(η²) while GD–flow is O(η).

use flowgap::{scenario, Termination};
use std::path::{Path, PathBuf};

fn named(name: &str) -> PathBuf {
    scenario::named_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), name)
}

#[test]
fn at_the_threshold_gd_flips_the_stiff_coordinate_at_constant_amplitude() {
    let report = (scenario::load(&named("quadratic_at_threshold")).unwrap())
        .experiment
        .run();
    let gd = &report.method("gd").unwrap().trajectory;
    let flow = &report.method("flow").unwrap().trajectory;
    assert_eq!(
        gd.termination,
        Termination::Completed,
        "neither converges nor diverges"
    );
    assert_eq!(gd.len(), 101);
    let eta = 0.02_f64;
    for k in 0..gd.len() {
        let theta = gd.state(k);
        let stiff = if k % 2 == 0 { 1.0 } else { -1.0 };
        let soft = (1.0 - eta).powi(k as i32);
        assert!((theta[0] - stiff).abs() < 1e-12, "step {k}: stiff {}", theta[0]);
        assert!(
            (theta[1] - soft).abs() < 1e-12,
            "step {k}: soft {} vs {soft}",
            theta[1]
        );
        // L = ½(100·1 + 1·soft²): never below 50.
        let loss = 0.5 * (100.0 + soft * soft);
        assert!(
            (gd.losses[k] - loss).abs() < 1e-10,
            "step {k}: loss {}",
            gd.losses[k]
        );
    }
    // The flow converges: θ(t) = (e^{−100t}, e^{−t}).
    assert_eq!(flow.termination, Termination::Completed);
    let last = flow.state(flow.len() - 1);
    assert!(
        last[0].abs() < 1e-12 && (last[1] - (-2.0_f64).exp()).abs() < 1e-8,
        "{last:?}"
    );
}

/// Final points (a, b) of gd, flow and modified1 for the IGR scenario run with step size `eta` over its
/// horizon t_end = 5.
fn igr_end_points(eta: f64) -> [[f64; 2]; 3] {
    let path = named("implicit_gradient_regularisation");
    let text = std::fs::read_to_string(&path).unwrap();
    let steps = (5.0 / eta).round() as u64;
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("step_size =") {
                format!("step_size = {eta}")
            } else if l.starts_with("steps =") {
                format!("steps = {steps}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let report = (scenario::parse(&text, &path).unwrap()).experiment.run();
    ["gd", "flow", "modified1"].map(|id| {
        let t = &report.method(id).unwrap().trajectory;
        assert_eq!(t.termination, Termination::Completed, "{id} at η = {eta}");
        assert!(
            t.final_loss() < 1e-16,
            "{id} at η = {eta}: loss {}",
            t.final_loss()
        );
        let p = t.state(t.len() - 1);
        [p[0], p[1]]
    })
}

/// E(a, b) = ½(y − abx)² with x = 2, y = 1.5, as in the scenario.
const X: f64 = 2.0;
const Y: f64 = 1.5;

/// The sharpness x²(a² + b²) of a point on the line of minima ab = y/x (the Hessian's nonzero eigenvalue).
fn sharpness(p: [f64; 2]) -> f64 {
    X * X * (p[0] * p[0] + p[1] * p[1])
}

fn dist(p: [f64; 2], q: [f64; 2]) -> f64 {
    (p[0] - q[0]).hypot(p[1] - q[1])
}

#[test]
fn gd_lands_flatter_than_the_flow_and_its_modified_flow_follows_it_to_order_two() {
    let [gd, flow, modified] = igr_end_points(0.02);
    for p in [gd, flow, modified] {
        assert!((p[0] * p[1] - Y / X).abs() < 1e-8, "on the line of minima: {p:?}");
    }
    // The flow conserves b² − a² = 4 − 1 = 3: its end point is the closed form on the hyperbola.
    let b2 = (3.0 + (9.0_f64 + 4.0 * 0.75 * 0.75).sqrt()) / 2.0;
    let exact_flow = [0.75 / b2.sqrt(), b2.sqrt()];
    assert!(dist(flow, exact_flow) < 1e-7, "{flow:?} vs {exact_flow:?}");
    // Implicit gradient regularisation: GD ends flatter (nearer the balanced minimum, sharpness 6) than
    // the flow; the modified flow on E + (η/4)‖∇E‖² ends flatter than the flow too.
    let (s_gd, s_flow, s_mod) = (sharpness(gd), sharpness(flow), sharpness(modified));
    assert!(s_gd < s_flow - 0.5, "sharpness gd {s_gd} vs flow {s_flow}");
    assert!(
        s_mod < s_flow - 0.5,
        "sharpness modified {s_mod} vs flow {s_flow}"
    );
    assert!(dist(gd, modified) < 0.35 * dist(gd, flow));
    // Orders in η: halving η halves the GD–flow gap (O(η)) and quarters the GD–modified gap (O(η²)).
    let [gd2, flow2, modified2] = igr_end_points(0.01);
    let r_flow = dist(gd, flow) / dist(gd2, flow2);
    let r_mod = dist(gd, modified) / dist(gd2, modified2);
    assert!((1.7..2.5).contains(&r_flow), "GD–flow ratio {r_flow}");
    assert!((3.4..4.6).contains(&r_mod), "GD–modified ratio {r_mod}");
}

#[test]
fn each_gd_step_shrinks_the_imbalance_by_exactly_one_minus_eta_squared_x_squared_r_squared() {
    let report = (scenario::load(&named("implicit_gradient_regularisation")).unwrap())
        .experiment
        .run();
    let gd = &report.method("gd").unwrap().trajectory;
    let eta = 0.02;
    let imbalance = |p: &[f64]| p[1] * p[1] - p[0] * p[0];
    for k in 0..gd.len() - 1 {
        let p = gd.state(k);
        let r = Y - p[0] * p[1] * X;
        let predicted = imbalance(p) * (1.0 - eta * eta * X * X * r * r);
        let found = imbalance(gd.state(k + 1));
        assert!(
            (found - predicted).abs() < 1e-12 * (1.0 + predicted.abs()),
            "step {k}: {found} vs {predicted}"
        );
    }
    // The flow keeps it (to its tolerance); GD has lost ≈ 9% of it over the run (2.73 left).
    let flow = &report.method("flow").unwrap().trajectory;
    for i in 0..flow.len() {
        assert!((imbalance(flow.state(i)) - 3.0).abs() < 1e-7, "point {i}");
    }
    let end = imbalance(gd.state(gd.len() - 1));
    assert!(end < 2.8, "GD's imbalance {end}");
}
