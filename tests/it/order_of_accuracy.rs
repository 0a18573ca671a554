//! GD is a first-order method for gradient flow: max_k ‖θ_GD(kη) − θ_GF(kη)‖ = O(η).

use flowgap::compare::compare;
use flowgap::continuous::{solve, GradientFlow, SolverSettings};
use flowgap::discrete::gradient_descent;
use flowgap::objective::Rosenbrock;
use flowgap::{Termination, TimeGrid};

/// Least-squares slope of log y against log x.
fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

#[test]
fn gd_departs_from_the_flow_at_first_order_on_rosenbrock() {
    let f = Rosenbrock {
        a: 1.0,
        b: 100.0,
        dim: 2,
    };
    let theta0 = [-1.2, 1.0];
    let etas: [f64; 4] = [4e-4, 2e-4, 1e-4, 5e-5];
    let mut gaps = Vec::new();
    for &eta in &etas {
        let steps = (2.0 / eta).round() as u64;
        let grid = TimeGrid::new(eta, steps, 1);
        let gd = gradient_descent(&f, &theta0, &grid, 1e10);
        let settings = SolverSettings::dop853(1e-12, 1e-14);
        let flow = solve(
            &GradientFlow { objective: &f },
            &f,
            &theta0,
            &grid,
            &settings,
            1e10,
        );
        assert_eq!(gd.termination, Termination::Completed);
        assert_eq!(flow.termination, Termination::Completed);
        let c = compare("gd", &gd, "flow", &flow, 1e-3);
        assert_eq!(
            c.paired_points,
            steps as usize + 1,
            "every step is paired by time"
        );
        assert!((c.t_final - 2.0).abs() < 1e-12);
        gaps.push(c.max_distance);
    }
    let slope = loglog_slope(&etas, &gaps);
    assert!((slope - 1.0).abs() < 0.15, "slope {slope} from gaps {gaps:?}");
}
