//! Logistic regression: the mean cross-entropy of an affine model, with optional L2 (λ/2)‖W‖².
//!
//! One target column (binary labels y ∈ [0, 1]): z = w·x + b and ℓ = log(1 + eᶻ) − y·z, the binary
//! cross-entropy of σ(z). k ≥ 2 target columns (one-hot, or any non-negative weights): z = W·x + b ∈ ℝᵏ
//! and ℓ = s·logsumexp(z) − y·z with s = Σ_c y_c, the softmax cross-entropy. Both are written in forms
//! that neither overflow nor lose digits for large |z|. Parameters θ = [W row-major (k × p), then b (k)
//! when there is a bias] (see the affine module).

use super::affine::{Affine, Link};
use super::linear_regression::check_data;
use super::{FiniteSum, Objective};
use crate::data::Dataset;
use crate::error::{Error, Result};
use nalgebra::{DMatrixView, DMatrixViewMut};

/// log(1 + eᶻ) without overflow for large z nor loss of digits for very negative z.
pub fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// σ(z) = 1/(1 + e⁻ᶻ), evaluated on the side where the exponential cannot overflow.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// σ(z)(1 − σ(z)) = e^{−|z|} / (1 + e^{−|z|})², without cancellation.
fn sigmoid_slope(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// Binary cross-entropy of σ(z): ℓ = softplus(z) − y·z, G = σ(z) − y, curvature σ(z)(1 − σ(z)).
struct Binary;

impl Link for Binary {
    fn loss_and_residual(&self, z: &mut DMatrixViewMut<f64>, y: &DMatrixView<f64>) -> f64 {
        let mut total = 0.0;
        for (zi, &yi) in z.iter_mut().zip(y.iter()) {
            total += softplus(*zi) - yi * *zi;
            *zi = sigmoid(*zi) - yi;
        }
        total
    }

    fn curvature(&self, z: &DMatrixView<f64>, _y: &DMatrixView<f64>, dz: &mut DMatrixViewMut<f64>) {
        for (d, &zi) in dz.iter_mut().zip(z.iter()) {
            *d *= sigmoid_slope(zi);
        }
    }
}

/// Softmax cross-entropy: ℓ = s·lse(z) − y·z with s = Σ_c y_c; G = s·softmax(z) − y; curvature
/// s·(diag(π) − ππᵀ) with π = softmax(z).
struct Softmax;

impl Softmax {
    /// For row i: the maximum of z_i, Σ_c exp(z_ic − max), and s_i = Σ_c y_ic.
    fn row_stats(z: &DMatrixView<f64>, y: &DMatrixView<f64>, i: usize) -> (f64, f64, f64) {
        let k = z.ncols();
        let mut m = f64::NEG_INFINITY;
        for c in 0..k {
            m = m.max(z[(i, c)]);
        }
        let mut sum = 0.0;
        let mut s = 0.0;
        for c in 0..k {
            sum += (z[(i, c)] - m).exp();
            s += y[(i, c)];
        }
        (m, sum, s)
    }
}

impl Link for Softmax {
    fn loss_and_residual(&self, z: &mut DMatrixViewMut<f64>, y: &DMatrixView<f64>) -> f64 {
        let (n, k) = z.shape();
        let mut total = 0.0;
        for i in 0..n {
            let (m, sum, s) = Softmax::row_stats(&z.as_view(), y, i);
            // lse = m + ln Σ exp(z − m): the largest term is exp(0) = 1, so nothing overflows.
            let lse = m + sum.ln();
            for c in 0..k {
                let zc = z[(i, c)];
                let yc = y[(i, c)];
                total += yc * (lse - zc);
                z[(i, c)] = s * (zc - m).exp() / sum - yc;
            }
        }
        total
    }

    fn curvature(&self, z: &DMatrixView<f64>, y: &DMatrixView<f64>, dz: &mut DMatrixViewMut<f64>) {
        let (n, k) = z.shape();
        for i in 0..n {
            let (m, sum, s) = Softmax::row_stats(z, y, i);
            let mut pd = 0.0;
            for c in 0..k {
                pd += (z[(i, c)] - m).exp() / sum * dz[(i, c)];
            }
            for c in 0..k {
                let pc = (z[(i, c)] - m).exp() / sum;
                dz[(i, c)] = s * pc * (dz[(i, c)] - pd);
            }
        }
    }
}

/// Mean cross-entropy of a linear classifier (sigmoid for one target column, softmax for several).
pub struct LogisticRegression {
    model: Affine,
    softmax: bool,
}

impl LogisticRegression {
    /// Classifies `data` (task binary or multiclass: targets in [0, 1]), with a bias when `bias` and L2
    /// weight `l2` ≥ 0 on ½‖W‖².
    pub fn new(data: &Dataset, l2: f64, bias: bool) -> Result<Self> {
        check_data(data, l2, "logistic_regression")?;
        if let Some(v) = data.y.iter().find(|v| !(0.0..=1.0).contains(*v)) {
            return Err(Error::Data {
                file: "(logistic_regression dataset)".into(),
                row: None,
                column: None,
                message: format!(
                    "has the target {v}; cross-entropy needs class labels (0/1 or one-hot), not regression targets"
                ),
            });
        }
        Ok(LogisticRegression {
            softmax: data.outputs() >= 2,
            model: Affine::new(data.x.clone(), data.y.clone(), bias, l2),
        })
    }

    /// True for softmax cross-entropy (k ≥ 2 classes), false for binary (sigmoid).
    pub fn is_softmax(&self) -> bool {
        self.softmax
    }

    /// The number of samples n.
    pub fn samples(&self) -> usize {
        self.model.n()
    }

    /// The number of samples classified correctly at θ (the rule of [`super::held_out`]).
    pub fn correct(&self, theta: &[f64]) -> usize {
        self.model.with_outputs(theta, |z, y| {
            super::held_out::count_correct(z.nrows(), z.ncols(), |i, c| z[(i, c)], |i, c| y[(i, c)])
        })
    }

    fn link(&self) -> &'static dyn Link {
        if self.softmax {
            &Softmax
        } else {
            &Binary
        }
    }
}

impl Objective for LogisticRegression {
    fn dim(&self) -> usize {
        self.model.dim()
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.model.loss(self.link(), theta)
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.model.gradient(self.link(), theta, grad);
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.model.hvp(self.link(), theta, v, out);
    }

    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
}

impl FiniteSum for LogisticRegression {
    fn num_samples(&self) -> usize {
        self.model.n()
    }

    fn batch_loss_gradient(&self, theta: &[f64], batch: &[usize], grad: &mut [f64]) -> f64 {
        self.model.batch_loss_gradient(self.link(), theta, batch, grad)
    }
}
