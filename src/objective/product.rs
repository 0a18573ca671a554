//! Objectives that see their parameters only through a product of factors P = W_D ⋯ W_1 (deep linear
//! networks, matrix factorisation and sensing): the chain rule through the product, its exact
//! Hessian-vector product, the layer balancedness that gradient flow conserves, and initialisation.
//!
//! Parameter layout: the factors in order W_1, …, W_D, each h_l × h_{l−1} and flattened row by row, for
//! widths [h_0, h_1, …, h_D] (input width first). P is h_D × h_0.
//!
//! With prefixes A_l = W_l ⋯ W_1 (A_0 = I) and suffixes S_l = W_D ⋯ W_{l+1} (S_D = I), and G = ∂ℓ/∂P:
//! ∂L/∂W_l = S_lᵀ G A_{l−1}ᵀ. Along a direction V = (V_1, …, V_D) the prefixes move by
//! Ȧ_l = V_l A_{l−1} + W_l Ȧ_{l−1}, the suffixes by Ṡ_{l−1} = Ṡ_l W_l + S_l V_l, P by Ṗ = Ȧ_D, G by
//! Ġ = ℓ''[Ṗ], and the Hessian-vector product is
//! (H V)_l = Ṡ_lᵀ G A_{l−1}ᵀ + S_lᵀ (Ġ A_{l−1}ᵀ + G Ȧ_{l−1}ᵀ).

use super::dense::{gemm, Mat, MatMut};
use super::scratch::with_scratch;
use super::Objective;
use nalgebra::{DMatrix, SVD};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::sync::Mutex;

/// A loss ℓ(P) of the end-to-end product P, with its gradient and its Hessian applied to a direction.
pub trait FactorLoss: Send + Sync {
    /// Per-call temporaries (kept in the objective's workspace, so calls do not allocate).
    type Scratch: Send;
    /// P's shape (rows, columns).
    fn shape(&self) -> (usize, usize);
    /// Fresh temporaries.
    fn scratch(&self) -> Self::Scratch;
    /// ℓ(P).
    fn loss(&self, p: &DMatrix<f64>, s: &mut Self::Scratch) -> f64;
    /// Writes G = ∂ℓ/∂P into `g`.
    fn gradient(&self, p: &DMatrix<f64>, g: &mut DMatrix<f64>, s: &mut Self::Scratch);
    /// Writes Ġ = ℓ''(P)\[Ṗ\] into `g_dot` (the losses here are quadratic in P, so ℓ'' does not depend on P).
    fn hessian(&self, p_dot: &DMatrix<f64>, g_dot: &mut DMatrix<f64>, s: &mut Self::Scratch);
}

/// How to draw the factors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactorInit {
    /// Entries of W_l are N(0, scale²/h_{l−1}): scale = 1 keeps signals at unit size (LeCun); scale ≪ 1
    /// is the small-initialisation regime of Saxe et al. (2014), where learning goes saddle to saddle.
    pub scale: f64,
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
    /// Balanced initialisation (Arora et al. 2019, Procedure 1): draw an end-to-end matrix of the same
    /// typical size, A with N(0, scale^{2D}/h_0) entries, take its SVD U Σ Vᵀ truncated to the narrowest
    /// width r, and set W_1 = Σ^{1/D} Vᵀ, W_l = Σ^{1/D} (middle), W_D = U Σ^{1/D}, zero-padded to the
    /// widths: then every W_{l+1}ᵀW_{l+1} − W_l W_lᵀ is 0 and P is A's best rank-r approximation.
    pub balanced: bool,
}

/// A loss of the product W_D ⋯ W_1 (see the module docs for the layout and the formulas).
pub struct Product<L: FactorLoss> {
    widths: Vec<usize>,
    offsets: Vec<usize>,
    loss: L,
    work: Mutex<Work<L::Scratch>>,
}

/// Temporaries for one evaluation, shaped once.
struct Work<S> {
    pre: Vec<DMatrix<f64>>,
    suf: Vec<DMatrix<f64>>,
    pre_dot: Vec<DMatrix<f64>>,
    suf_dot: Vec<DMatrix<f64>>,
    g: DMatrix<f64>,
    g_dot: DMatrix<f64>,
    t1: Vec<DMatrix<f64>>,
    t2: Vec<DMatrix<f64>>,
    balance: Vec<DMatrix<f64>>,
    loss: S,
}

impl<L: FactorLoss> Product<L> {
    /// The factors of `widths` = [h_0, …, h_D] (D ≥ 1, all widths ≥ 1) under `loss`, whose shape must be
    /// h_D × h_0.
    pub fn with_loss(widths: Vec<usize>, loss: L) -> Result<Self, String> {
        if widths.len() < 2 || widths.contains(&0) {
            return Err(format!(
                "widths must list at least two positive numbers [input, …, output], found {widths:?}"
            ));
        }
        let (rows, cols) = loss.shape();
        if rows != widths[widths.len() - 1] || cols != widths[0] {
            return Err(format!(
                "widths {widths:?} give a {}×{} product but the loss needs {rows}×{cols}: the first width \
                 must be {cols} and the last {rows}",
                widths[widths.len() - 1],
                widths[0]
            ));
        }
        let mut offsets = vec![0];
        for l in 0..widths.len() - 1 {
            offsets.push(offsets[l] + widths[l] * widths[l + 1]);
        }
        let work = Mutex::new(Self::make_work(&widths, &loss));
        Ok(Product {
            widths,
            offsets,
            loss,
            work,
        })
    }

    fn make_work(widths: &[usize], loss: &L) -> Work<L::Scratch> {
        let d = widths.len() - 1;
        let (k, p) = (widths[d], widths[0]);
        let pre: Vec<_> = (0..=d).map(|i| DMatrix::zeros(widths[i], p)).collect();
        let suf: Vec<_> = (0..=d).map(|i| DMatrix::zeros(k, widths[i])).collect();
        let t: Vec<_> = (0..d).map(|i| DMatrix::zeros(k, widths[i])).collect();
        Work {
            pre_dot: pre.clone(),
            suf_dot: suf.clone(),
            pre,
            suf,
            g: DMatrix::zeros(k, p),
            g_dot: DMatrix::zeros(k, p),
            t1: t.clone(),
            t2: t,
            balance: (1..d).map(|i| DMatrix::zeros(widths[i], widths[i])).collect(),
            loss: loss.scratch(),
        }
    }

    fn with_work<R>(&self, f: impl FnOnce(&mut Work<L::Scratch>) -> R) -> R {
        with_scratch(&self.work, || Self::make_work(&self.widths, &self.loss), f)
    }

    /// The widths [h_0, …, h_D].
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The depth D (number of factors).
    pub fn depth(&self) -> usize {
        self.widths.len() - 1
    }

    /// The loss of the product.
    pub fn factor_loss(&self) -> &L {
        &self.loss
    }

    /// The slice of θ holding factor W_{i+1} (0-based i), h_{i+1} × h_i row by row.
    pub fn factor<'a>(&self, theta: &'a [f64], i: usize) -> &'a [f64] {
        &theta[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The end-to-end product P = W_D ⋯ W_1 (allocates; for reports and tests).
    pub fn product(&self, theta: &[f64]) -> DMatrix<f64> {
        self.with_work(|w| {
            self.prefixes(theta, &mut w.pre);
            w.pre[self.depth()].clone()
        })
    }

    /// pre[i] = W_i ⋯ W_1 (pre[0] = I).
    fn prefixes(&self, theta: &[f64], pre: &mut [DMatrix<f64>]) {
        pre[0].fill_with_identity();
        for i in 0..self.depth() {
            let f = Mat::row_major(self.factor(theta, i), self.widths[i + 1], self.widths[i]);
            let (done, rest) = pre.split_at_mut(i + 1);
            gemm(1.0, f, Mat::of(&done[i]), 0.0, MatMut::of(&mut rest[0]));
        }
    }

    /// suf[i] = W_D ⋯ W_{i+1} (suf[D] = I).
    fn suffixes(&self, theta: &[f64], suf: &mut [DMatrix<f64>]) {
        let d = self.depth();
        suf[d].fill_with_identity();
        for i in (0..d).rev() {
            let f = Mat::row_major(self.factor(theta, i), self.widths[i + 1], self.widths[i]);
            let (head, tail) = suf.split_at_mut(i + 1);
            gemm(1.0, Mat::of(&tail[0]), f, 0.0, MatMut::of(&mut head[i]));
        }
    }

    /// Draws θ as `init` says (see [`FactorInit`]).
    pub fn init(&self, init: &FactorInit) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(init.seed);
        let mut theta = vec![0.0; self.dim()];
        let d = self.depth();
        if !init.balanced {
            for i in 0..d {
                let std = init.scale / (self.widths[i] as f64).sqrt();
                for t in &mut theta[self.offsets[i]..self.offsets[i + 1]] {
                    *t = std * rng.sample::<f64, _>(StandardNormal);
                }
            }
            return theta;
        }
        let (k, p) = (self.widths[d], self.widths[0]);
        let std = init.scale.powi(d as i32) / (p as f64).sqrt();
        let a = DMatrix::from_fn(k, p, |_, _| std * rng.sample::<f64, _>(StandardNormal));
        let svd = SVD::new(a, true, true);
        let (u, vt) = (svd.u.expect("asked for U"), svd.v_t.expect("asked for Vᵀ"));
        let r = *self.widths.iter().min().expect("at least two widths");
        // nalgebra's SVD sorts singular values in decreasing order.
        let root: Vec<f64> = (0..r)
            .map(|j| svd.singular_values[j].powf(1.0 / d as f64))
            .collect();
        for i in 0..d {
            let cols = self.widths[i];
            let rows = self.widths[i + 1];
            let f = &mut theta[self.offsets[i]..self.offsets[i + 1]];
            for j in 0..r {
                if d == 1 {
                    for a in 0..rows {
                        for b in 0..cols {
                            f[a * cols + b] += u[(a, j)] * root[j] * vt[(j, b)];
                        }
                    }
                } else if i == 0 {
                    for b in 0..cols {
                        f[j * cols + b] = root[j] * vt[(j, b)];
                    }
                } else if i == d - 1 {
                    for a in 0..rows {
                        f[a * cols + j] = u[(a, j)] * root[j];
                    }
                } else {
                    f[j * cols + j] = root[j];
                }
            }
        }
        theta
    }
}

impl<L: FactorLoss> Objective for Product<L> {
    fn dim(&self) -> usize {
        self.offsets[self.depth()]
    }

    fn initial_point(&self, init: &super::RandomInit) -> Option<Vec<f64>> {
        Some(self.init(&FactorInit {
            scale: init.scale,
            seed: init.seed,
            balanced: init.balanced,
        }))
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.with_work(|w| {
            self.prefixes(theta, &mut w.pre);
            self.loss.loss(&w.pre[self.depth()], &mut w.loss)
        })
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.with_work(|w| {
            let d = self.depth();
            self.prefixes(theta, &mut w.pre);
            self.suffixes(theta, &mut w.suf);
            self.loss.gradient(&w.pre[d], &mut w.g, &mut w.loss);
            for i in 0..d {
                // ∂L/∂W_{i+1} = S_{i+1}ᵀ (G A_iᵀ).
                gemm(
                    1.0,
                    Mat::of(&w.g),
                    Mat::of(&w.pre[i]).t(),
                    0.0,
                    MatMut::of(&mut w.t1[i]),
                );
                let (rows, cols) = (self.widths[i + 1], self.widths[i]);
                let out = MatMut::row_major(&mut grad[self.offsets[i]..self.offsets[i + 1]], rows, cols);
                gemm(1.0, Mat::of(&w.suf[i + 1]).t(), Mat::of(&w.t1[i]), 0.0, out);
            }
        })
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.with_work(|w| {
            let d = self.depth();
            self.prefixes(theta, &mut w.pre);
            self.suffixes(theta, &mut w.suf);
            // Ȧ_{i+1} = V_{i+1} A_i + W_{i+1} Ȧ_i, Ȧ_0 = 0.
            w.pre_dot[0].fill(0.0);
            for i in 0..d {
                let f = Mat::row_major(self.factor(theta, i), self.widths[i + 1], self.widths[i]);
                let vi = Mat::row_major(self.factor(v, i), self.widths[i + 1], self.widths[i]);
                let (done, rest) = w.pre_dot.split_at_mut(i + 1);
                gemm(1.0, vi, Mat::of(&w.pre[i]), 0.0, MatMut::of(&mut rest[0]));
                gemm(1.0, f, Mat::of(&done[i]), 1.0, MatMut::of(&mut rest[0]));
            }
            // Ṡ_i = Ṡ_{i+1} W_{i+1} + S_{i+1} V_{i+1}, Ṡ_D = 0.
            w.suf_dot[d].fill(0.0);
            for i in (0..d).rev() {
                let f = Mat::row_major(self.factor(theta, i), self.widths[i + 1], self.widths[i]);
                let vi = Mat::row_major(self.factor(v, i), self.widths[i + 1], self.widths[i]);
                let (head, tail) = w.suf_dot.split_at_mut(i + 1);
                gemm(1.0, Mat::of(&tail[0]), f, 0.0, MatMut::of(&mut head[i]));
                gemm(1.0, Mat::of(&w.suf[i + 1]), vi, 1.0, MatMut::of(&mut head[i]));
            }
            self.loss.gradient(&w.pre[d], &mut w.g, &mut w.loss);
            self.loss.hessian(&w.pre_dot[d], &mut w.g_dot, &mut w.loss);
            for i in 0..d {
                let pre_t = Mat::of(&w.pre[i]).t();
                gemm(1.0, Mat::of(&w.g), pre_t, 0.0, MatMut::of(&mut w.t1[i]));
                gemm(1.0, Mat::of(&w.g_dot), pre_t, 0.0, MatMut::of(&mut w.t2[i]));
                gemm(
                    1.0,
                    Mat::of(&w.g),
                    Mat::of(&w.pre_dot[i]).t(),
                    1.0,
                    MatMut::of(&mut w.t2[i]),
                );
                let (rows, cols) = (self.widths[i + 1], self.widths[i]);
                let o = &mut out[self.offsets[i]..self.offsets[i + 1]];
                let (sd, t1) = (Mat::of(&w.suf_dot[i + 1]).t(), Mat::of(&w.t1[i]));
                gemm(1.0, sd, t1, 0.0, MatMut::row_major(o, rows, cols));
                let (s, t2) = (Mat::of(&w.suf[i + 1]).t(), Mat::of(&w.t2[i]));
                gemm(1.0, s, t2, 1.0, MatMut::row_major(o, rows, cols));
            }
        })
    }

    fn conserved_names(&self) -> Vec<String> {
        (1..self.depth())
            .flat_map(|l| [format!("balance_{l}_fro"), format!("balance_{l}_trace")])
            .collect()
    }

    /// For l = 1, …, D−1: the Frobenius norm and the trace of W_{l+1}ᵀW_{l+1} − W_l W_lᵀ.
    fn conserved(&self, theta: &[f64], out: &mut [f64]) {
        self.with_work(|w| {
            for i in 0..self.depth() - 1 {
                let (h0, h1, h2) = (self.widths[i], self.widths[i + 1], self.widths[i + 2]);
                let next = self.factor(theta, i + 1);
                let this = self.factor(theta, i);
                let b = &mut w.balance[i];
                let (next, this) = (Mat::row_major(next, h2, h1), Mat::row_major(this, h1, h0));
                gemm(1.0, next.t(), next, 0.0, MatMut::of(b));
                gemm(-1.0, this, this.t(), 1.0, MatMut::of(b));
                out[2 * i] = b.norm();
                out[2 * i + 1] = b.trace();
            }
        })
    }
}
