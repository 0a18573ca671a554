//! The quadratic L(θ) = ½ (θ − c)ᵀ A (θ − c) with A symmetric.

use super::Objective;
use nalgebra::{DMatrix, SymmetricEigen};

/// ½ (θ − c)ᵀ A (θ − c), A symmetric (not necessarily positive definite).
#[derive(Debug, Clone)]
pub struct Quadratic {
    a: DMatrix<f64>,
    center: Vec<f64>,
    eigenvalues: Vec<f64>,
}

impl Quadratic {
    /// From a full symmetric matrix (the caller checks symmetry; see [`Quadratic::asymmetry`]) and a
    /// centre c.
    pub fn new(a: DMatrix<f64>, center: Vec<f64>) -> Self {
        let mut eigenvalues: Vec<f64> = SymmetricEigen::new(a.clone())
            .eigenvalues
            .iter()
            .copied()
            .collect();
        eigenvalues.sort_by(|x, y| y.total_cmp(x));
        Quadratic {
            a,
            center,
            eigenvalues,
        }
    }

    /// A = diag(λ) centred at c.
    pub fn from_eigenvalues(eigenvalues: &[f64], center: Vec<f64>) -> Self {
        Self::new(
            DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(eigenvalues)),
            center,
        )
    }

    /// The largest |A_ij − A_ji|, to check that a given matrix is symmetric.
    pub fn asymmetry(a: &DMatrix<f64>) -> f64 {
        (a - a.transpose()).abs().max()
    }

    /// The matrix A.
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.a
    }

    /// The centre c (the minimiser when A is positive definite).
    pub fn center(&self) -> &[f64] {
        &self.center
    }

    /// A's eigenvalues, largest first.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The largest eigenvalue λ_max; GD on this quadratic is stable iff η < 2/λ_max.
    pub fn lambda_max(&self) -> f64 {
        self.eigenvalues[0]
    }

    fn apply(&self, x: &[f64], out: &mut [f64]) {
        let d = self.center.len();
        for (i, o) in out.iter_mut().enumerate().take(d) {
            let mut s = 0.0;
            for (j, xj) in x.iter().enumerate().take(d) {
                s += self.a[(i, j)] * xj;
            }
            *o = s;
        }
    }
}

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.center.len()
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        let mut total = 0.0;
        for (i, (ti, ci)) in theta.iter().zip(&self.center).enumerate() {
            let ri = ti - ci;
            for (j, (tj, cj)) in theta.iter().zip(&self.center).enumerate() {
                total += ri * self.a[(i, j)] * (tj - cj);
            }
        }
        0.5 * total
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        for (i, g) in grad.iter_mut().enumerate().take(self.center.len()) {
            let mut s = 0.0;
            for (j, (tj, cj)) in theta.iter().zip(&self.center).enumerate() {
                s += self.a[(i, j)] * (tj - cj);
            }
            *g = s;
        }
    }

    fn hvp(&self, _theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.apply(v, out);
    }

    /// A quadratic's Hessian is constant: its third derivative is zero.
    fn third_derivative(&self, _theta: &[f64], _u: &[f64], _v: &[f64], out: &mut [f64]) -> bool {
        out.iter_mut().for_each(|o| *o = 0.0);
        true
    }

    fn known_minima(&self) -> Vec<Vec<f64>> {
        if self.eigenvalues.last().is_some_and(|&l| l > 0.0) {
            vec![self.center.clone()]
        } else {
            Vec::new()
        }
    }
}
