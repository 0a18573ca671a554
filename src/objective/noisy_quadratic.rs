//! The noisy quadratic model (Zhang et al. 2019, "Which algorithmic choices matter at which batch
//! sizes?"): L(θ) = ½ (θ − c)ᵀ A (θ − c), whose stochastic gradient is ∇L(θ) + ξ with ξ ~ N(0, Σ)
//! drawn afresh at every call, independent of θ.

use super::{NoisyGradient, Objective, Quadratic};
use nalgebra::{DMatrix, SymmetricEigen};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Why a noise covariance was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum CovarianceError {
    /// Σ is not d×d.
    Shape {
        /// Rows and columns given.
        found: (usize, usize),
        /// The quadratic's dimension.
        dim: usize,
    },
    /// An entry is NaN or infinite.
    NotFinite,
    /// Σ ≠ Σᵀ: the largest |Σ_ij − Σ_ji|.
    Asymmetric(f64),
    /// Σ has a negative eigenvalue (the smallest one).
    NotPsd(f64),
}

impl std::fmt::Display for CovarianceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CovarianceError::Shape { found, dim } => write!(
                f,
                "is {}×{} but the quadratic has dimension {dim}; give a {dim}×{dim} matrix",
                found.0, found.1
            ),
            CovarianceError::NotFinite => write!(f, "all entries must be finite"),
            CovarianceError::Asymmetric(a) => {
                write!(f, "must be symmetric; the largest |Σ_ij − Σ_ji| is {a:e}")
            }
            CovarianceError::NotPsd(l) => write!(
                f,
                "must be positive semidefinite (a covariance); its smallest eigenvalue is {l:e}"
            ),
        }
    }
}

impl std::error::Error for CovarianceError {}

/// A quadratic with additive Gaussian gradient noise of covariance Σ.
#[derive(Debug, Clone)]
pub struct NoisyQuadratic {
    quadratic: Quadratic,
    covariance: DMatrix<f64>,
    /// F with F Fᵀ = Σ, computed once: the Cholesky factor when Σ is positive definite, otherwise
    /// V·diag(√λ) from Σ's eigen-decomposition (Cholesky fails on a singular Σ, e.g. noise confined
    /// to a subspace). ξ = F z with z ~ N(0, I) has covariance Σ.
    factor: DMatrix<f64>,
}

impl NoisyQuadratic {
    /// From a quadratic and a noise covariance Σ (checked: d×d, finite, symmetric to 1e-12 relative,
    /// positive semidefinite with eigenvalues ≥ −1e-12·max|Σ_ij|).
    pub fn new(quadratic: Quadratic, covariance: DMatrix<f64>) -> Result<Self, CovarianceError> {
        let d = quadratic.dim();
        if covariance.shape() != (d, d) {
            return Err(CovarianceError::Shape {
                found: covariance.shape(),
                dim: d,
            });
        }
        if covariance.iter().any(|x| !x.is_finite()) {
            return Err(CovarianceError::NotFinite);
        }
        let scale = covariance.abs().max();
        let asym = Quadratic::asymmetry(&covariance);
        if asym > 1e-12 * scale.max(1.0) {
            return Err(CovarianceError::Asymmetric(asym));
        }
        // Symmetrise exactly, so the factor is of the matrix the user meant.
        let covariance = (&covariance + covariance.transpose()) * 0.5;
        let eig = SymmetricEigen::new(covariance.clone());
        let min = eig.eigenvalues.min();
        if min < -1e-12 * scale {
            return Err(CovarianceError::NotPsd(min));
        }
        let factor = match covariance.clone().cholesky() {
            Some(ch) => ch.l(),
            None => {
                let sqrt = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
                &eig.eigenvectors * DMatrix::from_diagonal(&sqrt)
            }
        };
        Ok(NoisyQuadratic {
            quadratic,
            covariance,
            factor,
        })
    }

    /// Σ = diag(σ²) from the noise variances σ_i² ≥ 0.
    pub fn with_diagonal_noise(quadratic: Quadratic, variances: &[f64]) -> Result<Self, CovarianceError> {
        let sigma = DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(variances));
        Self::new(quadratic, sigma)
    }

    /// The noiseless quadratic.
    pub fn quadratic(&self) -> &Quadratic {
        &self.quadratic
    }

    /// The noise covariance Σ.
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.covariance
    }

    /// The factor F with F Fᵀ = Σ used to draw the noise.
    pub fn factor(&self) -> &DMatrix<f64> {
        &self.factor
    }
}

impl Objective for NoisyQuadratic {
    fn dim(&self) -> usize {
        self.quadratic.dim()
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.quadratic.loss(theta)
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.quadratic.gradient(theta, grad)
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.quadratic.hvp(theta, v, out)
    }

    fn known_minima(&self) -> Vec<Vec<f64>> {
        self.quadratic.known_minima()
    }

    fn as_noisy(&self) -> Option<&dyn NoisyGradient> {
        Some(self)
    }
}

impl NoisyGradient for NoisyQuadratic {
    fn noisy_gradient(&self, theta: &[f64], rng: &mut ChaCha8Rng, grad: &mut [f64]) {
        use rand::RngExt;
        self.quadratic.gradient(theta, grad);
        // ξ = F z, accumulated one column of F per draw z_j, so no buffer for z is needed (and the
        // column-major F is read in memory order).
        for j in 0..self.dim() {
            let z: f64 = rng.sample(StandardNormal);
            for (g, f) in grad.iter_mut().zip(self.factor.column(j).iter()) {
                *g += f * z;
            }
        }
    }

    fn gradient_covariance(&self, _theta: &[f64]) -> DMatrix<f64> {
        self.covariance.clone()
    }

    fn constant_covariance(&self) -> bool {
        true
    }
}
