//! The preconditioned sharpness λ₁(P⁻¹H) of the adaptive methods against known answers:
//! - P_k is the vector Adam's step from θ_k divides by, √v̂_k + ε, checked against the recursion written
//!   out here (and the iterates it comes with against the recorded path, to rounding);
//! - Lanczos on P^{-1/2} H P^{-1/2} equals the dense eigenvalue (nalgebra's SymmetricEigen) on a small mlp
//!   along an Adam path to 1e-8;
//! - with P = I it is the plain sharpness, and with a frozen diagonal P on a diagonal quadratic it is
//!   max_i λ_i/p_i (so P⁻¹, not P);
//! - the edge-of-stability statistics use it against (2 + 2β₁)/((1 − β₁)η), the CSV carries it, and
//!   `flowgap plot` redraws the sharpness figure byte for byte.

use super::diagnostics::small_mlp;
use flowgap::diagnostics::sharpness::{Eigensolver, SharpnessSettings};
use flowgap::discrete::{adam_threshold, adaptive, adaptive_preconditioners, AdaptiveMethod};
use flowgap::experiment::Report;
use flowgap::objective::{Objective, Quadratic};
use flowgap::scenario::parse;
use flowgap::TimeGrid;
use nalgebra::{DMatrix, SymmetricEigen};
use std::path::Path;
use std::process::Command;

fn run_toml(src: &str) -> Report {
    parse(src, Path::new("test.toml"))
        .expect("valid scenario")
        .experiment
        .run()
}

fn adam(beta1: f64, beta2: f64, eps: f64) -> AdaptiveMethod {
    AdaptiveMethod::Adam {
        beta1,
        beta2,
        eps,
        bias_correction: true,
        weight_decay: None,
        frozen: None,
    }
}

#[test]
fn preconditioners_are_the_adam_denominators_of_the_recorded_steps() {
    // L = ½θᵀAθ with A = [[3, 1], [1, 2]], g = Aθ; Adam written out as PyTorch states it.
    let a = DMatrix::from_row_slice(2, 2, &[3.0, 1.0, 1.0, 2.0]);
    let q = Quadratic::new(a.clone(), vec![0.0, 0.0]);
    let (b1, b2, eps, eta) = (0.9, 0.99, 1e-3, 0.05);
    let method = adam(b1, b2, eps);
    let grid = TimeGrid::new(eta, 40, 4);
    let theta0 = [1.0, -2.0];
    let run = adaptive(&q, &theta0, &grid, &method, 1e10);
    let steps: Vec<u64> = vec![0, 4, 20, 40];
    let rerun = adaptive_preconditioners(&q, &theta0, &grid, &method, &steps).unwrap();
    // The rerun's iterates are the recorded ones, bit for bit (d = 2: the driver's fixed-size path).
    for (j, &k) in steps.iter().enumerate() {
        assert!(
            rerun.theta[2 * j..2 * j + 2] == *run.state(k as usize / 4),
            "θ_{k}"
        );
    }
    let p = rerun.p;

    let (mut th, mut m, mut v) = ([1.0f64, -2.0], [0.0f64; 2], [0.0f64; 2]);
    for k in 0..=40u64 {
        let g = [
            a[(0, 0)] * th[0] + a[(0, 1)] * th[1],
            a[(1, 0)] * th[0] + a[(1, 1)] * th[1],
        ];
        if k % 4 == 0 {
            let i = (k / 4) as usize;
            for (r, h) in run.state(i).iter().zip(&th) {
                assert!(
                    (r - h).abs() <= 1e-13 * h.abs(),
                    "θ_{k}: recorded {r}, by hand {h}"
                );
            }
        }
        let t = (k + 1) as i32;
        let mut next = th;
        let mut denom = [0.0; 2];
        for i in 0..2 {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            denom[i] = v[i].sqrt() / (1.0 - b2.powi(t)).sqrt() + eps;
            next[i] = th[i] - eta / (1.0 - b1.powi(t)) * m[i] / denom[i];
        }
        if let Some(j) = steps.iter().position(|&s| s == k) {
            for i in 0..2 {
                let got = p[2 * j + i];
                assert!(
                    (got - denom[i]).abs() <= 1e-12 * denom[i],
                    "P_{k}[{i}] = {got}, by hand {}",
                    denom[i]
                );
            }
        }
        th = next;
    }
    // The sign methods have no such P.
    assert!(adaptive_preconditioners(&q, &theta0, &grid, &AdaptiveMethod::SignGd, &steps).is_none());
}

#[test]
fn lanczos_preconditioned_sharpness_equals_the_dense_eigenvalue_along_an_adam_path() {
    let (net, theta0) = small_mlp();
    let d = net.dim();
    let method = adam(0.9, 0.999, 1e-8);
    let grid = TimeGrid::new(0.01, 60, 1);
    let run = adaptive(&net, &theta0, &grid, &method, 1e10);
    let steps = [0u64, 1, 7, 30, 60];
    let p = adaptive_preconditioners(&net, &theta0, &grid, &method, &steps)
        .unwrap()
        .p;
    // With every third step recorded (the driver's plain steps in between), the rerun still lands on the
    // recorded iterates bit for bit.
    let sparse = TimeGrid::new(0.01, 60, 3);
    let recorded = adaptive(&net, &theta0, &sparse, &method, 1e10);
    let at = [0u64, 3, 30, 60];
    let rerun = adaptive_preconditioners(&net, &theta0, &sparse, &method, &at).unwrap();
    for (j, &k) in at.iter().enumerate() {
        assert!(
            rerun.theta[j * d..(j + 1) * d] == *recorded.state(k as usize / 3),
            "θ_{k}"
        );
    }
    let settings = SharpnessSettings {
        top_k: 1,
        every: 1,
        exact_max_dim: 0,
        lanczos_iterations: d,
        lanczos_tolerance: 1e-12,
        lambda_min: false,
    };
    let mut lanczos = Eigensolver::new(d, settings);
    assert!(!lanczos.is_exact());
    let mut unit = vec![0.0; d];
    let mut col = vec![0.0; d];
    for (j, &k) in steps.iter().enumerate() {
        let theta = run.state(k as usize);
        let pk = &p[j * d..(j + 1) * d];
        // Adam's P varies over orders of magnitude across parameters: the test means something.
        let (lo, hi) = pk
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        assert!(hi > 3.0 * lo, "P_{k} in [{lo}, {hi}]");
        let mut h = DMatrix::zeros(d, d);
        for c in 0..d {
            unit.fill(0.0);
            unit[c] = 1.0;
            net.hvp(theta, &unit, &mut col);
            for r in 0..d {
                h[(r, c)] = col[r];
            }
        }
        let h = (&h + h.transpose()) * 0.5;
        let s = DMatrix::from_fn(d, d, |r, c| if r == c { 1.0 / pk[r].sqrt() } else { 0.0 });
        let dense = SymmetricEigen::new(&s * h * &s)
            .eigenvalues
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let scale: Vec<f64> = pk.iter().map(|x| 1.0 / x.sqrt()).collect();
        let l = lanczos.scaled_spectrum(&net, theta, &scale);
        assert!(
            (l.top[0] - dense).abs() <= 1e-8 * dense.abs(),
            "step {k}: Lanczos {} dense {dense}",
            l.top[0]
        );
        assert!(l.converged && l.hvps < d as u64, "{} products", l.hvps);
    }
}

const QUAD: &str = "[objective]\nkind = \"quadratic\"\neigenvalues = [8.0, 1.0]\n\
                    [init]\npoint = [1.0, 1.0]\n[run]\nstep_size = 0.01\nsteps = 30\n";

#[test]
fn with_p_equal_to_one_it_is_the_sharpness_and_a_frozen_p_divides_the_curvatures() {
    // P = I: λ₁(P⁻¹H) = λ_max = 8 at every sample, as the plain sharpness.
    let r = run_toml(&format!(
        "name = \"q\"\n{QUAD}[[method]]\nid = \"adam\"\nkind = \"adam\"\npreconditioner = [1.0, 1.0]\n\
         [diagnostics.sharpness]\nevery = 5\n"
    ));
    let d = r.diagnostics.as_ref().unwrap().method("adam").unwrap();
    let s = d.sharpness.as_ref().unwrap();
    let p = s.preconditioned.as_ref().unwrap();
    assert_eq!(p.lambda_1.len(), s.times.len());
    for (a, b) in p.lambda_1.iter().zip(s.lambda_1()) {
        assert!(
            (a - b).abs() <= 1e-13 * b && (a - 8.0).abs() <= 1e-13 * 8.0,
            "{a} vs {b}"
        );
    }
    // Adam's threshold (2 + 2β₁)/((1 − β₁)η) = 38/0.01 = 3800 at β₁ = 0.9.
    let e = d.edge_of_stability.as_ref().unwrap();
    assert_eq!(e.quantity, "preconditioned_sharpness");
    assert_eq!(e.threshold, adam_threshold(0.01, 0.9));
    assert!((e.threshold - 3800.0).abs() < 1e-9);
    assert_eq!(e.crossing_time, None);

    // H = diag(8, 1), P = diag(4, 0.25): P⁻¹H = diag(2, 4), λ₁ = 4 (P·H would give 32). With η = 0.0125
    // the threshold 38/η = 3040 is not crossed; at η = 10, 38/η = 3.8 < 4 it is crossed at t = 0.
    for (eta, crossed) in [(0.0125, false), (10.0, true)] {
        let r = run_toml(&format!(
            "name = \"q\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [8.0, 1.0]\n\
             [init]\npoint = [1e-3, 1e-3]\n[run]\nstep_size = {eta}\nsteps = 3\n\
             [[method]]\nid = \"adam\"\nkind = \"adam\"\npreconditioner = [4.0, 0.25]\n\
             [diagnostics.sharpness]\nexact_max_dim = 0\nlanczos_iterations = 2\n"
        ));
        let d = r.diagnostics.as_ref().unwrap().method("adam").unwrap();
        let p = d.sharpness.as_ref().unwrap().preconditioned.as_ref().unwrap();
        for &l in &p.lambda_1 {
            assert!((l - 4.0).abs() <= 1e-12 * 4.0, "λ₁(P⁻¹H) = {l}");
        }
        let e = d.edge_of_stability.as_ref().unwrap();
        assert_eq!(e.crossing_time.is_some(), crossed, "η = {eta}");
        if crossed {
            assert_eq!(e.crossing_time, Some(0.0));
            let ratio = 4.0 / 3.8;
            assert!((e.hover_min_ratio.unwrap() - ratio).abs() < 1e-12);
        }
    }
}

/// An Adam run with sharpness samples into a temporary folder, its CSV read, its figures deleted and
/// redrawn by `flowgap plot`: the same bytes come back.
#[test]
fn the_csv_carries_it_and_plot_redraws_the_figure_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("flowgap_adaptive_sharpness_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("adam.toml");
    std::fs::write(
        &scenario,
        "name = \"adam_sharpness\"\n[objective]\nkind = \"quadratic\"\neigenvalues = [8.0, 3.0, 1.0]\n\
         [init]\npoint = [1.0, -1.0, 0.5]\n[run]\nstep_size = 0.05\nsteps = 200\nrecord_every = 2\n\
         [[method]]\nid = \"adam\"\nkind = \"adam\"\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n\
         [diagnostics.sharpness]\nevery = 5\n[output]\nfigures = [\"sharpness\"]\nformats = [\"png\", \"svg\"]\n",
    )
    .unwrap();
    let out = dir.join("out");
    let bin = env!("CARGO_BIN_EXE_flowgap");
    let run = Command::new(bin)
        .args(["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let csv = std::fs::read_to_string(out.join("trajectories/adam_sharpness.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "step,t,lambda_1,lambda_min,threshold,preconditioned_lambda_1,preconditioned_threshold"
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row[4], "", "no threshold on λ_max(H) for adam");
    assert_eq!(row[6].parse::<f64>().unwrap(), adam_threshold(0.05, 0.9));
    // GD's file keeps its columns.
    let gd = std::fs::read_to_string(out.join("trajectories/gd_sharpness.csv")).unwrap();
    assert_eq!(gd.lines().next().unwrap(), "step,t,lambda_1,lambda_min,threshold");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let adam_summary = summary["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "adam")
        .unwrap();
    let diag = &adam_summary["diagnostics"];
    assert!(
        diag["sharpness"]["preconditioned"]["max_lambda_1"]
            .as_f64()
            .unwrap()
            > 8.0
    );
    assert_eq!(diag["edge_of_stability"]["quantity"], "preconditioned_sharpness");

    let figures = out.join("figures");
    let before: Vec<(String, Vec<u8>)> = ["sharpness.png", "sharpness.svg"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(figures.join(n)).unwrap()))
        .collect();
    let svg = String::from_utf8_lossy(&before[1].1).into_owned();
    assert!(
        svg.contains("λ₁(P⁻¹H)"),
        "the figure names the preconditioned sharpness"
    );
    std::fs::remove_dir_all(&figures).unwrap();
    let plot = Command::new(bin)
        .args(["plot", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(plot.status.success(), "{}", String::from_utf8_lossy(&plot.stderr));
    for (name, bytes) in &before {
        assert!(
            std::fs::read(figures.join(name)).unwrap() == *bytes,
            "{name} differs"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
