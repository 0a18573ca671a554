//! Matrix factorisation and matrix sensing with a depth-N product of factors (Gunasekar et al. 2017;
//! Arora et al. 2019): `matrix_factorization` fits W_N ⋯ W_1 to a target M with ½‖W_N ⋯ W_1 − M‖²_F;
//! `matrix_sensing` fits it to m linear measurements y_i = ⟨A_i, M⟩ of a ground truth M with Gaussian
//! A_i, L = (1/2m) Σ_i (⟨A_i, W_N ⋯ W_1⟩ − y_i)². Layout as in [`super::product`].

use super::dense::{gemm, Mat, MatMut};
use super::product::{FactorLoss, Product};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// ½‖P − M‖²_F as a loss of P.
#[derive(Debug, Clone)]
pub struct TargetFit {
    target: DMatrix<f64>,
}

impl TargetFit {
    /// The target M.
    pub fn target(&self) -> &DMatrix<f64> {
        &self.target
    }
}

impl FactorLoss for TargetFit {
    type Scratch = ();

    fn shape(&self) -> (usize, usize) {
        self.target.shape()
    }

    fn scratch(&self) {}

    fn loss(&self, p: &DMatrix<f64>, _: &mut ()) -> f64 {
        0.5 * p
            .iter()
            .zip(self.target.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
    }

    fn gradient(&self, p: &DMatrix<f64>, g: &mut DMatrix<f64>, _: &mut ()) {
        g.copy_from(p);
        *g -= &self.target;
    }

    fn hessian(&self, p_dot: &DMatrix<f64>, g_dot: &mut DMatrix<f64>, _: &mut ()) {
        g_dot.copy_from(p_dot);
    }
}

/// Matrix factorisation: ½‖W_N ⋯ W_1 − M‖²_F.
pub type MatrixFactorization = Product<TargetFit>;

impl Product<TargetFit> {
    /// Factors of `widths` = [cols, h_1, …, rows] fitted to the rows × cols `target`.
    pub fn new(widths: Vec<usize>, target: DMatrix<f64>) -> Result<Self, String> {
        if target.iter().any(|v| !v.is_finite()) {
            return Err("the target's entries must be finite".to_string());
        }
        Product::with_loss(widths, TargetFit { target })
    }
}

/// (1/2m) Σ_i (⟨A_i, P⟩ − y_i)² as a loss of P. The measurement matrices are the rows of one m × (rows·cols)
/// matrix, each the column-major flattening of A_i, so that all m inner products are one product.
#[derive(Debug, Clone)]
pub struct Sensing {
    rows: usize,
    cols: usize,
    a: DMatrix<f64>,
    y: DVector<f64>,
    truth: DMatrix<f64>,
}

impl Sensing {
    /// The ground truth M whose measurements are fitted.
    pub fn ground_truth(&self) -> &DMatrix<f64> {
        &self.truth
    }

    /// The i-th measurement matrix A_i (allocates).
    pub fn measurement(&self, i: usize) -> DMatrix<f64> {
        DMatrix::from_iterator(self.rows, self.cols, self.a.row(i).iter().copied())
    }

    /// The measurements y.
    pub fn values(&self) -> &DVector<f64> {
        &self.y
    }
}

impl FactorLoss for Sensing {
    /// Residuals A vec(P) − y.
    type Scratch = DVector<f64>;

    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn scratch(&self) -> DVector<f64> {
        DVector::zeros(self.y.len())
    }

    fn loss(&self, p: &DMatrix<f64>, r: &mut DVector<f64>) -> f64 {
        self.residuals(p, r);
        r.norm_squared() / (2.0 * self.y.len() as f64)
    }

    fn gradient(&self, p: &DMatrix<f64>, g: &mut DMatrix<f64>, r: &mut DVector<f64>) {
        self.residuals(p, r);
        self.adjoint(r, g);
    }

    fn hessian(&self, p_dot: &DMatrix<f64>, g_dot: &mut DMatrix<f64>, r: &mut DVector<f64>) {
        // Ġ = (1/m) Σ_i ⟨A_i, Ṗ⟩ A_i.
        let (m, len) = (self.y.len(), p_dot.len());
        let out = MatMut::col_major(r.as_mut_slice(), m, 1);
        gemm(
            1.0,
            Mat::of(&self.a),
            Mat::col_major(p_dot.as_slice(), len, 1),
            0.0,
            out,
        );
        self.adjoint(r, g_dot);
    }
}

impl Sensing {
    /// r = A vec(P) − y.
    fn residuals(&self, p: &DMatrix<f64>, r: &mut DVector<f64>) {
        r.copy_from(&self.y);
        let (m, len) = (self.y.len(), p.len());
        let out = MatMut::col_major(r.as_mut_slice(), m, 1);
        gemm(
            1.0,
            Mat::of(&self.a),
            Mat::col_major(p.as_slice(), len, 1),
            -1.0,
            out,
        );
    }

    /// vec(G) = Aᵀ r / m.
    fn adjoint(&self, r: &DVector<f64>, g: &mut DMatrix<f64>) {
        let (m, len) = (self.y.len(), g.len());
        let out = MatMut::col_major(g.as_mut_slice(), len, 1);
        gemm(
            1.0 / m as f64,
            Mat::of(&self.a).t(),
            Mat::col_major(r.as_slice(), m, 1),
            0.0,
            out,
        );
    }
}

/// Matrix sensing: (1/2m) Σ_i (⟨A_i, W_N ⋯ W_1⟩ − ⟨A_i, M⟩)² with Gaussian A_i.
pub type MatrixSensing = Product<Sensing>;

impl Product<Sensing> {
    /// Factors of `widths` = [cols, …, rows] fitted to `measurements` ≥ 1 measurements of the rows × cols
    /// `ground_truth` M. The A_i have independent N(0, 1) entries, drawn from ChaCha8 seeded with `seed`,
    /// measurement by measurement, each column by column.
    pub fn new(
        widths: Vec<usize>,
        ground_truth: DMatrix<f64>,
        measurements: usize,
        seed: u64,
    ) -> Result<Self, String> {
        if measurements == 0 {
            return Err("needs at least one measurement".to_string());
        }
        if ground_truth.iter().any(|v| !v.is_finite()) {
            return Err("the ground truth's entries must be finite".to_string());
        }
        let (rows, cols) = ground_truth.shape();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a = DMatrix::from_row_iterator(
            measurements,
            rows * cols,
            (0..measurements * rows * cols).map(|_| rng.sample::<f64, _>(StandardNormal)),
        );
        let y = &a * DVector::from_column_slice(ground_truth.as_slice());
        Product::with_loss(
            widths,
            Sensing {
                rows,
                cols,
                a,
                y,
                truth: ground_truth,
            },
        )
    }
}
