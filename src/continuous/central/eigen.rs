//! The top eigenpairs of ∇²L(θ) for the central flow's vector field, from Hessian-vector products: the
//! Hessian assembled column by column (d products) and decomposed exactly. (A copy of the diagnostics'
//! dense path, which sits in a layer above the continuous models.)

use crate::objective::Objective;
use nalgebra::{DMatrix, SymmetricEigen};

/// The largest dimension whose Hessian the central flow assembles and decomposes exactly.
pub const EXACT_MAX_DIM: usize = 64;

/// Workspace for the top eigenpairs at one point.
pub struct TopEigen {
    dim: usize,
    dense: DMatrix<f64>,
    unit: Vec<f64>,
    column: Vec<f64>,
}

impl TopEigen {
    /// A workspace for dimension `dim` (at most [`EXACT_MAX_DIM`]).
    pub fn new(dim: usize) -> Self {
        TopEigen {
            dim,
            dense: DMatrix::zeros(dim, dim),
            unit: vec![0.0; dim],
            column: vec![0.0; dim],
        }
    }

    /// Writes the `m` largest eigenvalues of ∇²L(θ), in decreasing order, into `values` and their unit
    /// eigenvectors into `vectors` (row-major, vector i at `vectors[i*d..(i+1)*d]`); returns the
    /// Hessian-vector products spent (d). nalgebra's decomposition allocates its result: one d×d matrix
    /// per call, small beside the d products that assemble it.
    pub fn top(
        &mut self,
        objective: &dyn Objective,
        theta: &[f64],
        values: &mut [f64],
        vectors: &mut [f64],
    ) -> u64 {
        let d = self.dim;
        for j in 0..d {
            self.unit.iter_mut().for_each(|u| *u = 0.0);
            self.unit[j] = 1.0;
            objective.hvp(theta, &self.unit, &mut self.column);
            for i in 0..d {
                self.dense[(i, j)] = self.column[i];
            }
        }
        // Exact products are symmetric up to rounding; symmetrise so the solver sees one matrix.
        for i in 0..d {
            for j in 0..i {
                let s = 0.5 * (self.dense[(i, j)] + self.dense[(j, i)]);
                self.dense[(i, j)] = s;
                self.dense[(j, i)] = s;
            }
        }
        let eig = SymmetricEigen::new(self.dense.clone());
        let mut order: [usize; EXACT_MAX_DIM] = [0; EXACT_MAX_DIM];
        for (i, o) in order.iter_mut().enumerate().take(d) {
            *o = i;
        }
        order[..d].sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        for (slot, &i) in order.iter().take(values.len()).enumerate() {
            values[slot] = eig.eigenvalues[i];
            let v = &mut vectors[slot * d..(slot + 1) * d];
            for (r, x) in v.iter_mut().enumerate() {
                *x = eig.eigenvectors[(r, i)];
            }
        }
        d as u64
    }
}
