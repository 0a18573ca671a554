//! Linear regression: L(W, b) = (1/2n)·Σ_i ‖W·x_i + b − y_i‖² + (λ/2)·‖W‖².
//!
//! Parameters θ = [W row-major (k × p), then b (k) when there is a bias] (see the affine module).

use super::affine::{Affine, Link};
use super::{FiniteSum, Objective};
use crate::data::Dataset;
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, SymmetricEigen};

/// Half the squared error: ℓ(z, y) = ½‖z − y‖², G = z − y, curvature the identity.
struct Squared;

impl Link for Squared {
    fn loss_and_residual(&self, z: &mut DMatrixViewMut<f64>, y: &DMatrixView<f64>) -> f64 {
        *z -= y;
        0.5 * z.norm_squared()
    }

    fn curvature(&self, _z: &DMatrixView<f64>, _y: &DMatrixView<f64>, _dz: &mut DMatrixViewMut<f64>) {}
}

/// Mean squared error of an affine map from features to targets, with optional L2 on the weights.
pub struct LinearRegression {
    model: Affine,
}

impl LinearRegression {
    /// Fits `data.y` (any task: one-hot targets are regressed on like numbers) from `data.x`, with a bias
    /// when `bias`, and L2 weight `l2` ≥ 0 on ½‖W‖².
    pub fn new(data: &Dataset, l2: f64, bias: bool) -> Result<Self> {
        check_data(data, l2, "linear_regression")?;
        Ok(LinearRegression {
            model: Affine::new(data.x.clone(), data.y.clone(), bias, l2),
        })
    }

    /// The number of features p.
    pub fn features(&self) -> usize {
        self.model.p()
    }

    /// The number of outputs k.
    pub fn outputs(&self) -> usize {
        self.model.k()
    }

    /// The minimiser from the normal equations (X̃ᵀX̃/n + λD)·Θ = X̃ᵀY/n with X̃ = [X, 1] (no ones column
    /// without a bias) and D = diag(1, …, 1, 0) (the bias is not penalised), in θ's layout; `None` when
    /// the system is singular to working precision (its smallest eigenvalue is below 1e-12 times its
    /// largest), where the least-squares solutions form a line or more.
    pub fn normal_equations_solution(&self) -> Option<Vec<f64>> {
        let m = &self.model;
        let (n, p, k) = (m.n(), m.p(), m.k());
        let q = p + usize::from(m.bias);
        let xt = DMatrix::from_fn(n, q, |i, j| if j < p { m.x[(i, j)] } else { 1.0 });
        let mut a = xt.tr_mul(&xt) / n as f64;
        for j in 0..p {
            a[(j, j)] += m.l2;
        }
        let eig = SymmetricEigen::new(a.clone()).eigenvalues;
        let (lo, hi) = (eig.min(), eig.max());
        if !(hi > 0.0 && lo > 1e-12 * hi) {
            return None;
        }
        let rhs = xt.tr_mul(&m.y) / n as f64;
        let sol = a.cholesky()?.solve(&rhs); // q × k: column c holds (W[c][..], b[c])
        let mut theta = vec![0.0; m.dim()];
        for c in 0..k {
            for j in 0..p {
                theta[c * p + j] = sol[(j, c)];
            }
            if m.bias {
                theta[k * p + c] = sol[(p, c)];
            }
        }
        Some(theta)
    }
}

/// Refuses data and settings that make no model: no samples, mismatched rows, non-finite values, or a
/// negative or non-finite L2 weight.
pub(super) fn check_data(data: &Dataset, l2: f64, kind: &str) -> Result<()> {
    let refuse = |message: String| {
        Err(Error::Data {
            file: format!("({kind} dataset)").into(),
            row: None,
            column: None,
            message,
        })
    };
    if data.is_empty() || data.features() == 0 || data.outputs() == 0 {
        return refuse(format!(
            "needs at least one sample, one feature and one target column; found {} × {} inputs and {} target columns",
            data.len(),
            data.features(),
            data.outputs()
        ));
    }
    if data.y.nrows() != data.len() {
        return refuse(format!(
            "has {} input rows but {} target rows",
            data.len(),
            data.y.nrows()
        ));
    }
    if data.x.iter().chain(data.y.iter()).any(|v| !v.is_finite()) {
        return refuse("holds a value that is not a finite number".into());
    }
    if !(l2.is_finite() && l2 >= 0.0) {
        return refuse(format!("the L2 weight must be a finite number ≥ 0, found {l2}"));
    }
    Ok(())
}

impl Objective for LinearRegression {
    fn dim(&self) -> usize {
        self.model.dim()
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.model.loss(&Squared, theta)
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.model.gradient(&Squared, theta, grad);
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.model.hvp(&Squared, theta, v, out);
    }

    fn known_minima(&self) -> Vec<Vec<f64>> {
        self.normal_equations_solution().into_iter().collect()
    }

    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
}

impl FiniteSum for LinearRegression {
    fn num_samples(&self) -> usize {
        self.model.n()
    }

    fn batch_loss_gradient(&self, theta: &[f64], batch: &[usize], grad: &mut [f64]) -> f64 {
        self.model.batch_loss_gradient(&Squared, theta, batch, grad)
    }

    /// Exact: the minibatch gradient is affine in θ, g_B(θ) = H_Bθ − b_B, so H_Bv = g_B(v) − g_B(0) with
    /// no truncation error (only the rounding of the two gradients).
    fn batch_hvp(&self, _theta: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) {
        let zero = vec![0.0; v.len()];
        let mut at_zero = vec![0.0; v.len()];
        self.model
            .batch_loss_gradient(&Squared, &zero, batch, &mut at_zero);
        self.model.batch_loss_gradient(&Squared, v, batch, out);
        for (o, z) in out.iter_mut().zip(&at_zero) {
            *o -= z;
        }
    }
}
