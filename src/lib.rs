//! # flowgap
//!
//! Run one training problem two ways — as discrete iterations (gradient descent, heavy ball, Nesterov) and
//! as their continuous-time models (gradient flow, modified flows, momentum ODEs, integrated by an ODE
//! solver) — on one time axis t_k = k·η (k·√η for Nesterov's ODE), measure how and when they part, and
//! draw the result. docs/methods.md states every method and model.
//!
//! ```
//! use flowgap::objective::{Objective, Quadratic};
//! use flowgap::trajectory::TimeGrid;
//! use flowgap::discrete::gradient_descent;
//! use flowgap::continuous::{solve, GradientFlow, SolverKind, SolverSettings};
//! use flowgap::compare::compare;
//!
//! let q = Quadratic::from_eigenvalues(&[10.0, 1.0], vec![0.0, 0.0]);
//! let grid = TimeGrid::new(0.01, 100, 1);
//! let gd = gradient_descent(&q, &[1.0, 1.0], &grid, 1e10);
//! let settings = SolverSettings { solver: SolverKind::Dop853, rtol: 1e-10, atol: 1e-12, max_steps: 100_000, dt: 1e-3, controller: None };
//! let flow = solve(&GradientFlow { objective: &q }, &q, &[1.0, 1.0], &grid, &settings, 1e10);
//! let gap = compare("gd", &gd, "flow", &flow, 1e-3);
//! assert!(gap.max_distance < 0.05);
//! ```

pub mod compare;
pub mod continuous;
pub mod data;
pub mod diagnostics;
pub mod discrete;
pub mod error;
pub mod experiment;
pub mod files;
pub mod formats;
pub mod golden;
pub mod landscape;
pub mod method;
pub mod objective;
pub mod order;
pub mod outdir;
pub mod output;
pub mod outspec;
pub mod render;
pub mod replot;
pub mod scenario;
pub mod schedule;
pub mod stochastic;
pub mod sweep;
pub mod trajectory;
pub mod watch;

pub use error::{Error, Result};
pub use trajectory::{Termination, TimeGrid, Trajectory};
