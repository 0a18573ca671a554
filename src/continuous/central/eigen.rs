//! The top eigenpairs of ∇²L(w) for the central flow's vector field, through the shared eigensolver
//! ([`crate::objective::spectrum`]): the Hessian assembled from d products and decomposed exactly up to
//! [`EXACT_MAX_DIM`] parameters, Lanczos with full reorthogonalisation above, warm-started from the
//! previous evaluation's eigenvectors (the field is evaluated along a continuous path, so the critical
//! subspace moves little between calls and Lanczos converges in few products).

use crate::objective::spectrum::{Eigensolver, SharpnessSettings};
use crate::objective::Objective;

/// Up to this dimension the central flow assembles and decomposes the Hessian exactly; above it, Lanczos.
pub const EXACT_MAX_DIM: usize = 64;

/// The most Lanczos iterations (Hessian-vector products) per evaluation of the field.
pub const LANCZOS_ITERATIONS: usize = 80;

/// Lanczos stops once every wanted Ritz pair's residual ‖Hy − θy‖ is below this times the largest Ritz
/// value: the eigenvector's error is then about this over the relative gap to the next eigenvalue, and the
/// eigenvalue's about its square, well inside the adaptive solver's tolerances.
pub const LANCZOS_TOLERANCE: f64 = 1e-10;

/// Workspace for the top eigenpairs along a path.
pub struct TopEigen {
    dim: usize,
    solver: Eigensolver,
    unconverged: u64,
}

impl TopEigen {
    /// A workspace for the `top` largest eigenpairs in dimension `dim`, exact up to `exact_max_dim`.
    pub fn new(dim: usize, top: usize, exact_max_dim: usize) -> Self {
        let settings = SharpnessSettings {
            top_k: top,
            every: 1,
            exact_max_dim,
            lanczos_iterations: LANCZOS_ITERATIONS,
            lanczos_tolerance: LANCZOS_TOLERANCE,
            lambda_min: false,
        };
        TopEigen {
            dim,
            solver: Eigensolver::new(dim, settings),
            unconverged: 0,
        }
    }

    /// True when the Hessian is decomposed exactly (d ≤ the exact limit).
    pub fn is_exact(&self) -> bool {
        self.solver.is_exact()
    }

    /// Evaluations where Lanczos stopped at its cap before meeting its tolerance.
    pub fn unconverged(&self) -> u64 {
        self.unconverged
    }

    /// Writes the largest eigenvalues of ∇²L(θ), in decreasing order, into `values` (as many as it holds)
    /// and their unit eigenvectors into `vectors` (row-major, vector i at `vectors[i*d..(i+1)*d]`);
    /// returns the Hessian-vector products spent. A slot Lanczos found no Ritz value for is −∞ (never
    /// critical).
    pub fn top(
        &mut self,
        objective: &dyn Objective,
        theta: &[f64],
        values: &mut [f64],
        vectors: &mut [f64],
    ) -> u64 {
        let d = self.dim;
        // `top_into`, not `spectrum`: no allocation on the Lanczos path (this runs at every evaluation).
        let (n, work) = self.solver.top_into(objective, theta, values);
        if !work.converged {
            self.unconverged += 1;
        }
        values[n..].iter_mut().for_each(|v| *v = f64::NEG_INFINITY);
        vectors[..n * d].copy_from_slice(&self.solver.top_vectors()[..n * d]);
        work.hvps
    }
}
