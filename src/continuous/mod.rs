//! Continuous-time models: vector fields, kept apart from the solver that integrates them.

mod field;
mod solve;

pub use field::{GradientFlow, VectorField};
pub use solve::{solve, SolverKind, SolverSettings, MIN_RTOL};
