//! A fully connected network (multilayer perceptron) trained on a dataset, with exact backpropagation and
//! an exact Hessian-vector product by Pearlmutter's R-operator, both over whole batches with matrix
//! products into preallocated buffers.
//!
//! Widths [h_0 = p, h_1, …, h_L = k]; layer l (1-based) computes Z_l = m_l A_{l−1} W_lᵀ + 1 b_lᵀ on the
//! batch (n × h_l, one sample per row), A_0 = X, A_l = σ(Z_l) for hidden layers, and the output Z_L is
//! linear. m_l is the parameterisation's multiplier (1 for standard). Parameters are laid out layer by
//! layer: W_l (h_l × h_{l−1}, row by row) then b_l (h_l entries, only when biases are on).
//!
//! Losses: mean squared error (1/2n) Σ_i ‖z_i − y_i‖²; cross-entropy (1/n) Σ_i ℓ_i with softmax for k ≥ 2,
//! ℓ_i = (Σ_c y_ic)·logsumexp(z_i) − y_iᵀz_i (one-hot targets give −log p_{i,label}), and with the
//! logistic function for k = 1, ℓ_i = log(1 + e^{z_i}) − y_i z_i.

use super::activation::Activation;
use super::dense::{gemm, Mat, MatMut};
use super::scratch::with_scratch;
use super::{FiniteSum, Objective};
use crate::data::Dataset;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use std::sync::Mutex;

/// The training loss of the network's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum MlpLoss {
    /// Mean squared error (1/2n) Σ ‖z_i − y_i‖².
    Mse,
    /// Cross-entropy: softmax over k ≥ 2 outputs, or the logistic function for k = 1.
    CrossEntropy,
}

impl MlpLoss {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// How weights are scaled, at initialisation and in the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum Parameterization {
    /// Multiplier 1, weights drawn N(0, scale²/fan_in) (LeCun).
    Standard,
    /// Neural-tangent parameterisation (Jacot et al. 2018): multiplier 1/√fan_in, weights N(0, scale²).
    Ntk,
    /// Mean-field: as `ntk` in hidden layers, but the output layer's multiplier is 1/fan_in (Mei et al.
    /// 2018; Chizat & Bach 2018), so the output is an average over the last hidden layer's units.
    MeanField,
}

impl Parameterization {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The architecture and loss of an [`Mlp`].
#[derive(Debug, Clone, PartialEq)]
pub struct MlpConfig {
    /// [p, h_1, …, k]: input width, hidden widths, output width.
    pub widths: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// The training loss.
    pub loss: MlpLoss,
    /// Whether every layer has a bias.
    pub bias: bool,
    /// Weight scaling.
    pub parameterization: Parameterization,
}

/// A multilayer perceptron on a fixed dataset (see the module docs).
pub struct Mlp {
    config: MlpConfig,
    mult: Vec<f64>,
    w_off: Vec<usize>,
    b_off: Vec<usize>,
    dim: usize,
    x: DMatrix<f64>,
    y: DMatrix<f64>,
    work: Mutex<Work>,
}

impl std::fmt::Debug for Mlp {
    /// The architecture and the data's shape (the workspace is no part of the network).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mlp")
            .field("config", &self.config)
            .field("samples", &self.x.nrows())
            .finish_non_exhaustive()
    }
}

/// Samples per chunk. Every pass over a batch runs chunk by chunk (rows 0..512, 512..1024, …) and the
/// chunks' losses and gradients are added in chunk order. The chunk size is fixed, never derived from the
/// thread count, so the arithmetic, and every output bit, is the same on 1 thread or 64; chunks run in
/// parallel (rayon) when there is more than one. Why 512 and not smaller: a batch of at most one chunk
/// is summed exactly as before chunking existed, so the shipped scenarios (≤ 300 samples) keep their
/// results bit for bit — the edge-of-stability GD run amplifies a one-ulp change in the gradient to a
/// 1e-3 relative change in its loss, far beyond its golden tolerance — while a 1000-sample batch still
/// splits in two for two cores.
pub(crate) const CHUNK: usize = 512;

/// Chunks evaluated in one parallel wave: bounds the workspace (WAVE chunk buffers and WAVE partial
/// gradients of length d) however many samples there are. A fixed number, so it changes nothing in the
/// arithmetic either (the partial results are still added in chunk order).
const WAVE: usize = 8;

/// A workspace for batches of up to `rows` samples: the chunk buffers of one wave and a gathered
/// minibatch.
struct Work {
    rows: usize,
    chunks: Vec<Chunk>,
    /// A gathered minibatch (column-major rows × p and rows × k).
    xb: Vec<f64>,
    yb: Vec<f64>,
}

/// One chunk's per-layer buffers, each column-major (chunk rows × width), and its partial results.
struct Chunk {
    bufs: Bufs,
    /// The chunk's share of ∇L (or H v), length d.
    out: Vec<f64>,
    /// The chunk's share of the loss.
    loss: f64,
}

struct Bufs {
    /// Pre-activations Z_l.
    z: Vec<Vec<f64>>,
    /// Activations A_l (hidden layers); for the output layer, the loss's link (probabilities).
    a: Vec<Vec<f64>>,
    /// σ'(Z_l) (hidden layers).
    s1: Vec<Vec<f64>>,
    /// ∂L/∂Z_l.
    delta: Vec<Vec<f64>>,
    /// R{Z_l}, R{A_l}, R{∂L/∂Z_l}.
    rz: Vec<Vec<f64>>,
    ra: Vec<Vec<f64>>,
    rdelta: Vec<Vec<f64>>,
    /// ∂L/∂A and R{∂L/∂A} of one layer (the R-pass; the gradient pass works in place in `delta`).
    back: Vec<f64>,
    rback: Vec<f64>,
}

impl Bufs {
    fn new(widths: &[usize], rows: usize) -> Self {
        let per_layer = || {
            widths[1..]
                .iter()
                .map(|h| vec![0.0; rows * h])
                .collect::<Vec<_>>()
        };
        let widest = widths.iter().copied().max().unwrap_or(0);
        Bufs {
            z: per_layer(),
            a: per_layer(),
            s1: per_layer(),
            delta: per_layer(),
            rz: per_layer(),
            ra: per_layer(),
            rdelta: per_layer(),
            back: vec![0.0; rows * widest],
            rback: vec![0.0; rows * widest],
        }
    }
}

impl Work {
    fn new(widths: &[usize], dim: usize, rows: usize) -> Self {
        let chunk_rows = rows.min(CHUNK);
        let chunks = (0..rows.div_ceil(CHUNK).clamp(1, WAVE))
            .map(|_| Chunk {
                bufs: Bufs::new(widths, chunk_rows),
                out: vec![0.0; dim],
                loss: 0.0,
            })
            .collect();
        Work {
            rows,
            chunks,
            xb: vec![0.0; rows * widths[0]],
            yb: vec![0.0; rows * widths[widths.len() - 1]],
        }
    }
}

/// The samples of one chunk: rows `x[i + c·ld]` (i < b) of the inputs and likewise of the targets, and
/// 1/(size of the whole batch), the weight of every sample in the batch mean.
#[derive(Clone, Copy)]
struct Part<'a> {
    x: &'a [f64],
    y: &'a [f64],
    ld: usize,
    b: usize,
    inv: f64,
}

/// Which samples a pass runs on.
#[derive(Clone, Copy)]
enum Batch<'a> {
    /// The whole dataset.
    All,
    /// These rows (gathered into the workspace first).
    Rows(&'a [usize]),
}

impl Mlp {
    /// The network `config` on `data` (inputs n × p, targets n × k). Refuses widths that do not match the
    /// data, zero widths, non-finite data, and cross-entropy targets outside [0, 1] (k = 1) or negative.
    pub fn new(config: MlpConfig, data: &Dataset) -> Result<Self, String> {
        let w = &config.widths;
        if w.len() < 2 || w.contains(&0) {
            return Err(format!(
                "widths must list at least two positive numbers [inputs, …, outputs], found {w:?}"
            ));
        }
        let (n, p, k) = (data.len(), data.features(), data.outputs());
        if n == 0 || data.y.nrows() != n {
            return Err(format!(
                "the dataset needs at least one sample and one target row per input; found {n} inputs and {} targets",
                data.y.nrows()
            ));
        }
        if w[0] != p || w[w.len() - 1] != k {
            return Err(format!(
                "widths {w:?} do not fit the data: the first width must be the {p} input features and the \
                 last the {k} target columns"
            ));
        }
        if data.x.iter().chain(data.y.iter()).any(|v| !v.is_finite()) {
            return Err("the dataset's inputs and targets must be finite".to_string());
        }
        if config.loss == MlpLoss::CrossEntropy {
            let bad = if k == 1 {
                data.y.iter().any(|&v| !(0.0..=1.0).contains(&v))
            } else {
                data.y.iter().any(|&v| v < 0.0)
            };
            if bad {
                return Err(if k == 1 {
                    "cross-entropy with one output needs targets in [0, 1]".to_string()
                } else {
                    "cross-entropy needs non-negative targets (one-hot or probabilities)".to_string()
                });
            }
        }
        let layers = w.len() - 1;
        let mut w_off = Vec::with_capacity(layers);
        let mut b_off = Vec::with_capacity(layers);
        let mut dim = 0;
        let mut mult = Vec::with_capacity(layers);
        for l in 0..layers {
            w_off.push(dim);
            dim += w[l + 1] * w[l];
            b_off.push(dim);
            if config.bias {
                dim += w[l + 1];
            }
            let fan_in = w[l] as f64;
            mult.push(match config.parameterization {
                Parameterization::Standard => 1.0,
                Parameterization::MeanField if l == layers - 1 => 1.0 / fan_in,
                Parameterization::Ntk | Parameterization::MeanField => 1.0 / fan_in.sqrt(),
            });
        }
        let work = Mutex::new(Work::new(w, dim, n));
        Ok(Mlp {
            config,
            mult,
            w_off,
            b_off,
            dim,
            x: data.x.clone(),
            y: data.y.clone(),
            work,
        })
    }

    /// The architecture.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// The inputs (n × p) and targets (n × k), each column-major.
    pub(crate) fn data(&self) -> (&[f64], &[f64]) {
        (self.x.as_slice(), self.y.as_slice())
    }

    /// The number of samples n.
    pub fn samples(&self) -> usize {
        self.x.nrows()
    }

    /// The number of samples classified correctly at θ by the network's outputs Z_L (the rule of
    /// [`super::held_out`]), from the same chunked forward pass as the loss.
    pub fn correct(&self, theta: &[f64]) -> usize {
        let last = self.layers() - 1;
        let k = self.config.widths[last + 1];
        let total = self.chunked(Batch::All, &mut [], |part, w, _| {
            self.forward(theta, part, w);
            let z = &w.z[last][..part.b * k];
            let (b, ld) = (part.b, part.ld);
            super::held_out::count_correct(b, k, |i, c| z[c * b + i], |i, c| part.y[c * ld + i]) as f64
        });
        // A sum of whole counts below 2⁵³ is exact.
        total as usize
    }

    /// The number of layers L (weight matrices).
    pub fn layers(&self) -> usize {
        self.config.widths.len() - 1
    }

    /// The forward multiplier m_l of layer l (0-based).
    pub fn multiplier(&self, l: usize) -> f64 {
        self.mult[l]
    }

    /// The offsets in θ of layer l's (0-based) weights and bias.
    pub fn offsets(&self, l: usize) -> (usize, Option<usize>) {
        (self.w_off[l], self.config.bias.then_some(self.b_off[l]))
    }

    /// Draws θ: weights N(0, scale²/fan_in) (standard) or N(0, scale²) (ntk, mean_field), biases 0, from
    /// ChaCha8 seeded with `seed`, layer by layer, each row by row.
    pub fn init(&self, scale: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut theta = vec![0.0; self.dim];
        let w = &self.config.widths;
        for l in 0..self.layers() {
            let std = match self.config.parameterization {
                Parameterization::Standard => scale / (w[l] as f64).sqrt(),
                Parameterization::Ntk | Parameterization::MeanField => scale,
            };
            for t in &mut theta[self.w_off[l]..self.w_off[l] + w[l + 1] * w[l]] {
                *t = std * rng.sample::<f64, _>(StandardNormal);
            }
        }
        theta
    }

    fn weights<'a>(&self, theta: &'a [f64], l: usize) -> &'a [f64] {
        let w = &self.config.widths;
        &theta[self.w_off[l]..self.w_off[l] + w[l + 1] * w[l]]
    }

    fn with_work<R>(&self, rows: usize, f: impl FnOnce(&mut Work) -> R) -> R {
        let make = || Work::new(&self.config.widths, self.dim, rows.max(self.x.nrows()));
        with_scratch(&self.work, make, |w| {
            if w.rows < rows {
                // A minibatch larger than the dataset (sampling with replacement): grow once.
                *w = Work::new(&self.config.widths, self.dim, rows);
            }
            f(w)
        })
    }

    /// Gathers the batch's rows into the workspace; returns the batch size.
    fn gather(&self, batch: Batch, w: &mut Work) -> usize {
        let Batch::Rows(rows) = batch else {
            return self.x.nrows();
        };
        let b = rows.len();
        for (src, dst, cols) in [
            (&self.x, &mut w.xb, self.x.ncols()),
            (&self.y, &mut w.yb, self.y.ncols()),
        ] {
            for c in 0..cols {
                let column = src.column(c);
                for (j, &i) in rows.iter().enumerate() {
                    dst[c * b + j] = column[i];
                }
            }
        }
        b
    }

    /// Runs `pass` on every chunk of the batch (gathered first for a minibatch) and returns the sum of the
    /// chunks' losses, adding their `out` vectors into `out` (unless `out` is empty) — both in chunk
    /// order, whatever thread ran which chunk.
    fn chunked(
        &self,
        batch: Batch,
        out: &mut [f64],
        pass: impl Fn(Part, &mut Bufs, &mut [f64]) -> f64 + Sync,
    ) -> f64 {
        let rows = match batch {
            Batch::All => self.x.nrows(),
            Batch::Rows(r) => r.len(),
        };
        self.with_work(rows, |w| {
            let total = self.gather(batch, w);
            let Work { chunks, xb, yb, .. } = w;
            let (x, y) = match batch {
                Batch::All => (self.x.as_slice(), self.y.as_slice()),
                Batch::Rows(_) => (&xb[..], &yb[..]),
            };
            let inv = 1.0 / total as f64;
            let n_chunks = total.div_ceil(CHUNK);
            let want_out = !out.is_empty();
            let mut loss = 0.0;
            let per_wave = chunks.len();
            for first in (0..n_chunks).step_by(per_wave) {
                let wave = &mut chunks[..per_wave.min(n_chunks - first)];
                let run = |j: usize, c: &mut Chunk| {
                    let i0 = (first + j) * CHUNK;
                    let part = Part {
                        x: &x[i0..],
                        y: &y[i0..],
                        ld: total,
                        b: CHUNK.min(total - i0),
                        inv,
                    };
                    let out = if want_out { &mut c.out[..] } else { &mut [][..] };
                    c.loss = pass(part, &mut c.bufs, out);
                };
                if wave.len() == 1 {
                    run(0, &mut wave[0]);
                } else {
                    wave.par_iter_mut().enumerate().for_each(|(j, c)| run(j, c));
                }
                for (j, c) in wave.iter().enumerate() {
                    if first + j == 0 {
                        loss = c.loss;
                        if want_out {
                            out.copy_from_slice(&c.out);
                        }
                    } else {
                        loss += c.loss;
                        for (o, p) in out.iter_mut().zip(&c.out) {
                            *o += p;
                        }
                    }
                }
            }
            loss
        })
    }

    /// The chunk's inputs as a b × p matrix (in place, columns `ld` apart).
    fn input<'a>(&self, part: Part<'a>) -> Mat<'a> {
        Mat::col_major_ld(part.x, part.b, self.config.widths[0], part.ld)
    }

    /// Z_l and, for hidden layers, A_l = σ(Z_l) and σ'(Z_l).
    fn forward(&self, theta: &[f64], part: Part, w: &mut Bufs) {
        let widths = &self.config.widths;
        let (layers, b) = (self.layers(), part.b);
        for l in 0..layers {
            let (h_in, h_out) = (widths[l], widths[l + 1]);
            let (lower, upper) = w.a.split_at_mut(l);
            let input = if l == 0 {
                self.input(part)
            } else {
                Mat::col_major(&lower[l - 1], b, h_in)
            };
            let z = &mut w.z[l][..b * h_out];
            let beta = self.fill_bias(theta, l, b, z);
            let wl = Mat::row_major(self.weights(theta, l), h_out, h_in);
            gemm(self.mult[l], input, wl.t(), beta, MatMut::col_major(z, b, h_out));
            if l + 1 < layers {
                let n = b * h_out;
                self.config
                    .activation
                    .forward(&w.z[l][..n], &mut upper[0][..n], &mut w.s1[l][..n]);
            }
        }
    }

    /// Writes 1 bᵀ into `z` when the layer has a bias (and returns the gemm β that keeps it).
    fn fill_bias(&self, theta: &[f64], l: usize, b: usize, z: &mut [f64]) -> f64 {
        if !self.config.bias {
            return 0.0;
        }
        let h_out = self.config.widths[l + 1];
        let bias = &theta[self.b_off[l]..self.b_off[l] + h_out];
        for (j, &bj) in bias.iter().enumerate() {
            z[j * b..(j + 1) * b].fill(bj);
        }
        1.0
    }

    /// The chunk's share of the loss of the output Z_L against its targets, writing ∂L/∂Z_L into delta
    /// and the link (probabilities) into the output layer's `a`. Every sample weighs 1/(batch size).
    fn output(&self, part: Part, w: &mut Bufs) -> f64 {
        let last = self.layers() - 1;
        let k = self.config.widths[last + 1];
        let (b, inv) = (part.b, part.inv);
        let z = &w.z[last][..b * k];
        let delta = &mut w.delta[last][..b * k];
        let link = &mut w.a[last][..b * k];
        // Target (i, c) of the chunk.
        let y = |i: usize, c: usize| part.y[c * part.ld + i];
        match (self.config.loss, k) {
            (MlpLoss::Mse, _) => {
                let mut total = 0.0;
                for c in 0..k {
                    let yc = &part.y[c * part.ld..c * part.ld + b];
                    let col = c * b..(c + 1) * b;
                    for ((d, &zi), &yi) in delta[col.clone()].iter_mut().zip(&z[col]).zip(yc) {
                        let r = zi - yi;
                        total += r * r;
                        *d = r * inv;
                    }
                }
                0.5 * total * inv
            }
            (MlpLoss::CrossEntropy, 1) => {
                let mut total = 0.0;
                for (((d, s), &zi), &yi) in delta.iter_mut().zip(link.iter_mut()).zip(z).zip(&part.y[..b]) {
                    // log(1 + e^z) = max(z, 0) + log(1 + e^{−|z|}), without overflow.
                    total += zi.max(0.0) + (-zi.abs()).exp().ln_1p() - yi * zi;
                    let e = (-zi.abs()).exp();
                    let sig = if zi >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
                    *s = sig;
                    *d = (sig - yi) * inv;
                }
                total * inv
            }
            (MlpLoss::CrossEntropy, _) => {
                let mut total = 0.0;
                for i in 0..b {
                    let row = |c: usize| c * b + i;
                    let max = (0..k).map(|c| z[row(c)]).fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for c in 0..k {
                        let e = (z[row(c)] - max).exp();
                        link[row(c)] = e;
                        sum += e;
                    }
                    let lse = max + sum.ln();
                    let mass: f64 = (0..k).map(|c| y(i, c)).sum();
                    total += mass * lse - (0..k).map(|c| y(i, c) * z[row(c)]).sum::<f64>();
                    for c in 0..k {
                        let p = link[row(c)] / sum;
                        link[row(c)] = p;
                        delta[row(c)] = (mass * p - y(i, c)) * inv;
                    }
                }
                total * inv
            }
        }
    }

    /// R{∂L/∂Z_L} = ℓ''(Z_L)[R{Z_L}], from the link saved by [`Mlp::output`].
    fn output_r(&self, part: Part, w: &mut Bufs) {
        let last = self.layers() - 1;
        let k = self.config.widths[last + 1];
        let (b, inv) = (part.b, part.inv);
        let rz = &w.rz[last][..b * k];
        let rd = &mut w.rdelta[last][..b * k];
        let link = &w.a[last][..b * k];
        match (self.config.loss, k) {
            (MlpLoss::Mse, _) => rd.iter_mut().zip(rz).for_each(|(d, r)| *d = r * inv),
            (MlpLoss::CrossEntropy, 1) => {
                for ((d, r), s) in rd.iter_mut().zip(rz).zip(link) {
                    *d = s * (1.0 - s) * r * inv;
                }
            }
            (MlpLoss::CrossEntropy, _) => {
                // (Σ_c y_c)·(diag p − p pᵀ) applied to the row's R{z}.
                for i in 0..b {
                    let row = |c: usize| c * b + i;
                    let mass: f64 = (0..k).map(|c| part.y[c * part.ld + i]).sum();
                    let pr: f64 = (0..k).map(|c| link[row(c)] * rz[row(c)]).sum();
                    for c in 0..k {
                        rd[row(c)] = mass * link[row(c)] * (rz[row(c)] - pr) * inv;
                    }
                }
            }
        }
    }

    /// Backpropagation from delta of the output layer: writes the chunk's share of ∇L into `grad`.
    fn backward(&self, theta: &[f64], part: Part, w: &mut Bufs, grad: &mut [f64]) {
        let widths = &self.config.widths;
        let b = part.b;
        for l in (0..self.layers()).rev() {
            let (h_in, h_out) = (widths[l], widths[l + 1]);
            let (lower, upper) = w.delta.split_at_mut(l);
            let delta = &upper[0][..b * h_out];
            let input = if l == 0 {
                self.input(part)
            } else {
                Mat::col_major(&w.a[l - 1], b, h_in)
            };
            // ∇W_l = m_l Δ_lᵀ A_{l−1}, written straight into θ's row-major layout of W_l.
            let gw = MatMut::row_major(&mut grad[self.w_off[l]..], h_out, h_in);
            gemm(self.mult[l], Mat::col_major(delta, b, h_out).t(), input, 0.0, gw);
            if self.config.bias {
                column_sums(delta, b, &mut grad[self.b_off[l]..self.b_off[l] + h_out], 0.0);
            }
            if l > 0 {
                // Δ_{l−1} = σ'(Z_{l−1}) ⊙ ∂L/∂A_{l−1}, with ∂L/∂A_{l−1} = m_l Δ_l W_l, in Δ_{l−1}'s buffer.
                let below = &mut lower[l - 1][..b * h_in];
                let slope = &w.s1[l - 1][..b * h_in];
                let weights = self.weights(theta, l);
                if h_out == 1 {
                    outer_times_slope(self.mult[l], delta, weights, slope, below);
                } else {
                    // The product first, then scaled in place: one buffer fewer in the working set.
                    let wl = Mat::row_major(weights, h_out, h_in);
                    let d = Mat::col_major(delta, b, h_out);
                    gemm(self.mult[l], d, wl, 0.0, MatMut::col_major(below, b, h_in));
                    for (d, s) in below.iter_mut().zip(slope) {
                        *d *= s;
                    }
                }
            }
        }
    }

    /// The forward R-pass: R{Z_l} and R{A_l} along the direction v.
    fn forward_r(&self, theta: &[f64], v: &[f64], part: Part, w: &mut Bufs) {
        let widths = &self.config.widths;
        let (layers, b) = (self.layers(), part.b);
        for l in 0..layers {
            let (h_in, h_out) = (widths[l], widths[l + 1]);
            let input = if l == 0 {
                self.input(part)
            } else {
                Mat::col_major(&w.a[l - 1], b, h_in)
            };
            let rz = &mut w.rz[l][..b * h_out];
            // R{Z_l} = m_l (R{A_{l−1}} W_lᵀ + A_{l−1} V_lᵀ) + 1 R{b_l}ᵀ; R{A_0} = 0.
            let beta = self.fill_bias(v, l, b, rz);
            let vl = Mat::row_major(self.weights(v, l), h_out, h_in);
            gemm(self.mult[l], input, vl.t(), beta, MatMut::col_major(rz, b, h_out));
            if l > 0 {
                let wl = Mat::row_major(self.weights(theta, l), h_out, h_in);
                let ra = Mat::col_major(&w.ra[l - 1], b, h_in);
                gemm(self.mult[l], ra, wl.t(), 1.0, MatMut::col_major(rz, b, h_out));
            }
            if l + 1 < layers {
                for ((ra, rz), s) in w.ra[l][..b * h_out]
                    .iter_mut()
                    .zip(&w.rz[l][..b * h_out])
                    .zip(&w.s1[l][..b * h_out])
                {
                    *ra = s * rz;
                }
            }
        }
    }

    /// The backward R-pass from R{Δ_L}: writes the chunk's share of H v into `out` (needs delta from
    /// [`Mlp::output`]).
    fn backward_r(&self, theta: &[f64], v: &[f64], part: Part, w: &mut Bufs, out: &mut [f64]) {
        let widths = &self.config.widths;
        let act = self.config.activation;
        let b = part.b;
        for l in (0..self.layers()).rev() {
            let (h_in, h_out) = (widths[l], widths[l + 1]);
            let input = if l == 0 {
                self.input(part)
            } else {
                Mat::col_major(&w.a[l - 1], b, h_in)
            };
            let delta = &w.delta[l][..b * h_out];
            let rdelta = &w.rdelta[l][..b * h_out];
            // R{∇W_l} = m_l (R{Δ_l}ᵀ A_{l−1} + Δ_lᵀ R{A_{l−1}}).
            let ow = &mut out[self.w_off[l]..self.w_off[l] + h_out * h_in];
            let rdt = Mat::col_major(rdelta, b, h_out).t();
            gemm(self.mult[l], rdt, input, 0.0, MatMut::row_major(ow, h_out, h_in));
            if l > 0 {
                let (dt, ra) = (
                    Mat::col_major(delta, b, h_out).t(),
                    Mat::col_major(&w.ra[l - 1], b, h_in),
                );
                gemm(self.mult[l], dt, ra, 1.0, MatMut::row_major(ow, h_out, h_in));
            }
            if self.config.bias {
                column_sums(rdelta, b, &mut out[self.b_off[l]..self.b_off[l] + h_out], 0.0);
            }
            if l > 0 {
                // ∂L/∂A_{l−1} = m_l Δ_l W_l and R{∂L/∂A_{l−1}} = m_l (R{Δ_l} W_l + Δ_l V_l).
                let wl = Mat::row_major(self.weights(theta, l), h_out, h_in);
                let vl = Mat::row_major(self.weights(v, l), h_out, h_in);
                let (d, rd) = (Mat::col_major(delta, b, h_out), Mat::col_major(rdelta, b, h_out));
                let back = &mut w.back[..b * h_in];
                gemm(self.mult[l], d, wl, 0.0, MatMut::col_major(back, b, h_in));
                let rback = &mut w.rback[..b * h_in];
                gemm(self.mult[l], rd, wl, 0.0, MatMut::col_major(rback, b, h_in));
                gemm(self.mult[l], d, vl, 1.0, MatMut::col_major(rback, b, h_in));
                // Δ_{l−1} = σ' ⊙ ∂L/∂A and R{Δ_{l−1}} = σ'' ⊙ R{Z} ⊙ ∂L/∂A + σ' ⊙ R{∂L/∂A}.
                let n = b * h_in;
                let (z, a, s1, rz) = (
                    &w.z[l - 1][..n],
                    &w.a[l - 1][..n],
                    &w.s1[l - 1][..n],
                    &w.rz[l - 1][..n],
                );
                let (dl, rdl) = (&mut w.delta[l - 1][..n], &mut w.rdelta[l - 1][..n]);
                for i in 0..n {
                    dl[i] = s1[i] * back[i];
                    rdl[i] = act.curvature(z[i], a[i], s1[i]) * rz[i] * back[i] + s1[i] * rback[i];
                }
            }
        }
    }

    fn loss_on(&self, theta: &[f64], batch: Batch) -> f64 {
        self.chunked(batch, &mut [], |part, w, _| {
            self.forward(theta, part, w);
            self.output(part, w)
        })
    }

    fn gradient_on(&self, theta: &[f64], batch: Batch, grad: &mut [f64]) -> f64 {
        self.chunked(batch, grad, |part, w, grad| {
            self.forward(theta, part, w);
            let loss = self.output(part, w);
            self.backward(theta, part, w, grad);
            loss
        })
    }
}

/// out = (m·δ wᵀ) ⊙ slope, column-major (δ.len() rows × w.len() columns): backpropagation through a layer
/// of one unit, whose m·Δ W has inner dimension 1. An outer product needs no gemm (which would pack and
/// tile it) nor a second pass for σ'. Each entry is rounded exactly as [`gemm`] rounds it: its kernels
/// start from zeroed accumulators, so they form m·(δ_i w_j + 0) + 0 (the + 0 turn a −0 into +0).
fn outer_times_slope(m: f64, delta: &[f64], w: &[f64], slope: &[f64], out: &mut [f64]) {
    let rows = delta.len();
    for ((&wj, out), slope) in w
        .iter()
        .zip(out.chunks_exact_mut(rows))
        .zip(slope.chunks_exact(rows))
    {
        for ((o, &s), &d) in out.iter_mut().zip(slope).zip(delta) {
            *o = (m * (d * wj + 0.0) + 0.0) * s;
        }
    }
}

/// out_j = Σ_i m_ij + β·out_j for a column-major rows × out.len() matrix m.
fn column_sums(m: &[f64], rows: usize, out: &mut [f64], beta: f64) {
    for (j, o) in out.iter_mut().enumerate() {
        *o = beta * *o + sum(&m[j * rows..(j + 1) * rows]);
    }
}

/// Partial sums of [`sum`]: independent chains, so that the additions overlap.
const SUM_LANES: usize = 8;

/// Σ v in a fixed order that depends only on v's length: element i goes to partial sum i mod 8, the
/// partial sums are added pairwise, then the elements after the last whole group of 8 in order. A
/// single running sum is one chain of dependent additions (in a profile of the W2 gradient it was the
/// backward pass's hottest loop; with eight chains `column_sums` fell to 2.9% of the run), and the
/// pairwise finish is no less accurate.
fn sum(v: &[f64]) -> f64 {
    let mut acc = [0.0; SUM_LANES];
    let groups = v.chunks_exact(SUM_LANES);
    let rest = groups.remainder();
    for g in groups {
        for (a, x) in acc.iter_mut().zip(g) {
            *a += x;
        }
    }
    let mut total = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for x in rest {
        total += x;
    }
    total
}

impl Objective for Mlp {
    fn dim(&self) -> usize {
        self.dim
    }

    fn initial_point(&self, init: &super::RandomInit) -> Option<Vec<f64>> {
        (!init.balanced).then(|| self.init(init.scale, init.seed))
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.loss_on(theta, Batch::All)
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.gradient_on(theta, Batch::All, grad);
    }

    /// The loss that the gradient's forward pass computes anyway (the same chunks, summed in the same
    /// order as [`Objective::loss`]).
    fn loss_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        self.gradient_on(theta, Batch::All, grad)
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.chunked(Batch::All, out, |part, w, out| {
            self.forward(theta, part, w);
            self.output(part, w);
            self.forward_r(theta, v, part, w);
            self.output_r(part, w);
            self.backward_r(theta, v, part, w, out);
            0.0
        });
    }

    fn conserved_names(&self) -> Vec<String> {
        if !self.config.activation.is_homogeneous() {
            return Vec::new();
        }
        (1..self.layers())
            .flat_map(|l| [format!("balance_{l}_trace"), format!("balance_{l}_nodes")])
            .collect()
    }

    /// For each hidden layer l of a relu or identity network, with c_j = ‖column j of W_{l+1}‖² −
    /// ‖row j of W_l‖² − b_{l,j}² (outgoing minus incoming weights of unit j, bias included): the sum
    /// Σ_j c_j (`balance_l_trace`, = ‖W_{l+1}‖² − ‖W_l‖² − ‖b_l‖²) and the norm ‖c‖ (`balance_l_nodes`).
    /// Each c_j is conserved by gradient flow, since rescaling a unit's incoming weights by λ and its
    /// outgoing ones by 1/λ leaves the network unchanged.
    fn conserved(&self, theta: &[f64], out: &mut [f64]) {
        if !self.config.activation.is_homogeneous() {
            return;
        }
        let widths = &self.config.widths;
        for l in 0..self.layers() - 1 {
            let (h_in, h, h_next) = (widths[l], widths[l + 1], widths[l + 2]);
            let incoming = Mat::row_major(self.weights(theta, l), h, h_in);
            let outgoing = Mat::row_major(self.weights(theta, l + 1), h_next, h);
            let (mut sum, mut sq) = (0.0, 0.0);
            for j in 0..h {
                let out_sq: f64 = (0..h_next).map(|i| outgoing.at(i, j).powi(2)).sum();
                let in_sq: f64 = (0..h_in).map(|k| incoming.at(j, k).powi(2)).sum();
                let mut c = out_sq - in_sq;
                if self.config.bias {
                    c -= theta[self.b_off[l] + j].powi(2);
                }
                sum += c;
                sq += c * c;
            }
            out[2 * l] = sum;
            out[2 * l + 1] = sq.sqrt();
        }
    }

    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }

    fn lane_objective(&self) -> Option<super::LaneObjective<'_>> {
        Some(super::LaneObjective::Mlp(self))
    }

    /// `layer1` … `layerL`: layer l's weights and (when present) bias, which lie contiguously in θ.
    fn parameter_blocks(&self) -> Vec<(String, std::ops::Range<usize>)> {
        (0..self.layers())
            .map(|l| {
                let end = self.w_off.get(l + 1).copied().unwrap_or(self.dim);
                (format!("layer{}", l + 1), self.w_off[l]..end)
            })
            .collect()
    }
}

impl FiniteSum for Mlp {
    fn num_samples(&self) -> usize {
        self.x.nrows()
    }

    /// The minibatch mean over `batch` (indices may repeat); an empty batch gives loss 0 and gradient 0.
    fn batch_loss_gradient(&self, theta: &[f64], batch: &[usize], grad: &mut [f64]) -> f64 {
        if batch.is_empty() {
            grad.fill(0.0);
            return 0.0;
        }
        self.gradient_on(theta, Batch::Rows(batch), grad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lane_sum_adds_every_element_once() {
        // Multiples of 2⁻¹⁰ of moderate size add exactly in any order, so each length (whole groups of
        // 8, a remainder, both, neither) must give the exact total; the values differ, so an element
        // dropped or counted twice shows.
        for n in 0..50 {
            let v: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64 - 50.0) / 1024.0).collect();
            let exact: i64 = (0..n).map(|i| (i * 37 % 101) as i64 - 50).sum();
            assert_eq!(sum(&v), exact as f64 / 1024.0, "length {n}");
        }
        let mut out = [10.0, 20.0];
        column_sums(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, &mut out, 0.5);
        assert_eq!(out, [5.0 + 6.0, 10.0 + 15.0]);
    }

    #[test]
    fn the_outer_product_path_equals_gemm_then_scaling_bit_for_bit() {
        // The general path (gemm with inner dimension 1, then ⊙ σ') against `outer_times_slope`, with
        // multipliers 1 and 1/√7 and signed zeros among the factors (gemm's zeroed accumulators give +0).
        let rows = 37;
        let delta: Vec<f64> = (0..rows)
            .map(|i| if i % 9 == 0 { -0.0 } else { (i as f64 * 0.61).sin() })
            .collect();
        let w: Vec<f64> = (0..11)
            .map(|j| if j == 4 { 0.0 } else { (j as f64 * 1.7).cos() - 0.3 })
            .collect();
        let slope: Vec<f64> = (0..rows * w.len())
            .map(|i| 1.0 - (i as f64 * 0.23).sin().powi(2))
            .collect();
        for m in [1.0, 1.0 / 7f64.sqrt()] {
            let mut want = vec![f64::NAN; rows * w.len()];
            let (d, wl) = (Mat::col_major(&delta, rows, 1), Mat::row_major(&w, 1, w.len()));
            gemm(m, d, wl, 0.0, MatMut::col_major(&mut want, rows, w.len()));
            want.iter_mut().zip(&slope).for_each(|(x, s)| *x *= s);
            let mut got = vec![f64::NAN; rows * w.len()];
            outer_times_slope(m, &delta, &w, &slope, &mut got);
            for (g, x) in got.iter().zip(&want) {
                assert_eq!(g.to_bits(), x.to_bits(), "m = {m}: {g:e} vs {x:e}");
            }
        }
    }
}
