//! The deep linear network f(x) = W_D ⋯ W_1 x under mean squared error (Saxe et al. 2014; Arora et al.
//! 2019): L = (1/2n) Σ_i ‖W_D ⋯ W_1 x_i − y_i‖². Parameters are laid out as in [`super::product`]:
//! W_1, …, W_D, each row by row. D = 2 with widths 1-1-1 on the one sample (x, y) = (1, s) is the scalar
//! net ½(s − w₂w₁)².

use super::dense::{gemm, Mat, MatMut};
use super::product::{FactorLoss, Product};
use crate::data::Dataset;
use nalgebra::DMatrix;

/// Mean squared error of the linear map x ↦ P x on a dataset, as a loss of P.
///
/// With Σ_xx = XᵀX/n and Σ_yx = YᵀX/n, the gradient is P Σ_xx − Σ_yx and the Hessian maps Ṗ to Ṗ Σ_xx,
/// so both cost O(k·p²) whatever n; the loss itself is summed from residuals (no cancellation near a
/// perfect fit).
#[derive(Debug, Clone)]
pub struct LinearFit {
    x: DMatrix<f64>,
    y: DMatrix<f64>,
    sxx: DMatrix<f64>,
    syx: DMatrix<f64>,
}

impl LinearFit {
    /// Inputs x (n × p) and targets y (n × k), one sample per row.
    pub fn new(x: DMatrix<f64>, y: DMatrix<f64>) -> Result<Self, String> {
        let n = x.nrows();
        if n == 0 || y.nrows() != n {
            return Err(format!(
                "needs at least one sample and as many targets as inputs; found {n} inputs and {} targets",
                y.nrows()
            ));
        }
        if x.iter().chain(y.iter()).any(|v| !v.is_finite()) {
            return Err("inputs and targets must be finite".to_string());
        }
        let sxx = x.transpose() * &x / n as f64;
        let syx = y.transpose() * &x / n as f64;
        Ok(LinearFit { x, y, sxx, syx })
    }

    /// The input second-moment matrix Σ_xx = XᵀX/n.
    pub fn input_moment(&self) -> &DMatrix<f64> {
        &self.sxx
    }

    /// The input–output cross moment Σ_yx = YᵀX/n (with whitened inputs, the matrix the network learns).
    pub fn cross_moment(&self) -> &DMatrix<f64> {
        &self.syx
    }
}

impl FactorLoss for LinearFit {
    /// The residuals X Pᵀ − Y (n × k).
    type Scratch = DMatrix<f64>;

    fn shape(&self) -> (usize, usize) {
        (self.y.ncols(), self.x.ncols())
    }

    fn scratch(&self) -> DMatrix<f64> {
        DMatrix::zeros(self.y.nrows(), self.y.ncols())
    }

    fn loss(&self, p: &DMatrix<f64>, r: &mut DMatrix<f64>) -> f64 {
        r.copy_from(&self.y);
        gemm(1.0, Mat::of(&self.x), Mat::of(p).t(), -1.0, MatMut::of(r));
        r.norm_squared() / (2.0 * self.x.nrows() as f64)
    }

    fn gradient(&self, p: &DMatrix<f64>, g: &mut DMatrix<f64>, _: &mut DMatrix<f64>) {
        g.copy_from(&self.syx);
        gemm(1.0, Mat::of(p), Mat::of(&self.sxx), -1.0, MatMut::of(g));
    }

    fn hessian(&self, p_dot: &DMatrix<f64>, g_dot: &mut DMatrix<f64>, _: &mut DMatrix<f64>) {
        gemm(1.0, Mat::of(p_dot), Mat::of(&self.sxx), 0.0, MatMut::of(g_dot));
    }
}

/// A deep linear network under mean squared error (see the module docs).
pub type DeepLinear = Product<LinearFit>;

impl Product<LinearFit> {
    /// The network of `widths` = [p, h_1, …, k] on `data` (n × p inputs, n × k targets).
    pub fn new(widths: Vec<usize>, data: &Dataset) -> Result<Self, String> {
        Product::with_loss(widths, LinearFit::new(data.x.clone(), data.y.clone())?)
    }

    /// Saxe's setting: whitened inputs x_i = e_i (X = I_p, n = p) and targets y_i = the i-th column of
    /// `target` (k × p), so L = (1/2p)‖W_D ⋯ W_1 − target‖²_F.
    pub fn whitened(widths: Vec<usize>, target: &DMatrix<f64>) -> Result<Self, String> {
        let p = target.ncols();
        Product::with_loss(
            widths,
            LinearFit::new(DMatrix::identity(p, p), target.transpose())?,
        )
    }
}
