//! The loss and gradient of R copies of one [`Mlp`] (same architecture and data, different θ) at once,
//! with the runs in SIMD lanes: every parameter, activation and partial derivative is stored as an
//! array of R values (one per run), so each multiply–add of a product serves R runs and the shared data
//! is read once for all of them.
//!
//! Bit identity with [`Mlp`]'s one-run gradient is the point, so every entry is summed in the order the
//! one-run path's kernels sum it (src/objective/dense/avx2.rs), which the shape alone fixes:
//! - a forward product Z = m·A·Wᵀ and a backpropagated m·Δ·W (the unit-rows kernel): one fused chain
//!   acc ← fma(a_il, b_lj, acc) over l = 0, 1, … from acc = 0, then fma(m, acc, 0);
//! - a weight gradient m·Δᵀ·A (the dot kernel): four chains, sample i into chain i mod 4 (the lanes of
//!   a short last group take fma(0, 0, acc)), added as (c₀ + c₂) + (c₁ + c₃), then fma(m, ·, 0);
//! - an output layer of one unit backpropagates as (m·(δ_i w_j + 0) + 0)·σ' (`outer_times_slope`);
//! - the activation and the loss are elementwise or per run, as in the one-run code.
//!
//! These orders hold only where the one-run path takes those kernels: [`MlpLanes::new`] checks that
//! every product of the network routes to them on this CPU (AVX2 and FMA, small shapes), that the batch
//! is one chunk, that there are no biases and that the loss is mean squared error; otherwise it refuses
//! and callers keep the one-run path. tests/it/net_lanes.rs holds the lanes to
//! [`crate::discrete::blockwise_gradient_descent`] bit for bit.

use super::dense::{self, Mat, MatMut};
use super::mlp::{Mlp, MlpLoss, CHUNK};
use super::Objective;

/// Runs per lane block of the network lanes: two ymm registers per value, so the multiply–adds over
/// independent samples keep both FMA units busy.
pub const NET_LANES: usize = 8;

/// The loss and gradient of up to R runs of one network, in lanes (see the module docs). Buffers are
/// allocated once; an evaluation does not allocate.
pub struct MlpLanes<'a, const R: usize> {
    mlp: &'a Mlp,
    widths: Vec<usize>,
    mult: Vec<f64>,
    w_off: Vec<usize>,
    dim: usize,
    /// Samples n (one chunk: n ≤ CHUNK).
    n: usize,
    /// The inputs, column-major n × p (shared by the runs: each value is broadcast to the lanes).
    x: Vec<f64>,
    /// The targets, column-major n × k.
    y: Vec<f64>,
    /// Per layer: Z_l, A_l (hidden layers), σ'(Z_l), ∂L/∂Z_l, each column-major n × h_l in lanes.
    z: Vec<Vec<[f64; R]>>,
    a: Vec<Vec<[f64; R]>>,
    s1: Vec<Vec<[f64; R]>>,
    delta: Vec<Vec<[f64; R]>>,
}

impl<'a, const R: usize> MlpLanes<'a, R> {
    /// Lanes for `mlp`, or `None` when they would not be bit-identical to its one-run gradient: a CPU
    /// without AVX2 and FMA, biases, a loss other than mean squared error, more samples than one chunk,
    /// or a product that the one-run path sends to another routine than the two kernels mirrored here.
    pub fn new(mlp: &'a Mlp) -> Option<Self> {
        let config = mlp.config();
        if R == 0 || config.bias || config.loss != MlpLoss::Mse || !dense::fma_kernels_available() {
            return None;
        }
        let (xs, ys) = mlp.data();
        let n = mlp.samples();
        if n > CHUNK {
            return None;
        }
        let widths = config.widths.clone();
        let layers = widths.len() - 1;
        // Each product as the one-run path forms it, on zeros, must take the kernel whose order we follow.
        let widest = widths.iter().copied().max().unwrap_or(0);
        let zeros = vec![0.0; n * widest + widest * widest];
        let mut out = vec![0.0; n * widest + widest * widest];
        for l in 0..layers {
            let (h_in, h_out) = (widths[l], widths[l + 1]);
            let input = Mat::col_major(&zeros, n, h_in);
            let w = Mat::row_major(&zeros, h_out, h_in);
            let forward = dense::fma_route(&input, &w.t(), &MatMut::col_major(&mut out, n, h_out));
            let delta = Mat::col_major(&zeros, n, h_out);
            let gw = dense::fma_route(&delta.t(), &input, &MatMut::row_major(&mut out, h_out, h_in));
            if forward != Some(dense::FmaRoute::UnitRows) || gw != Some(dense::FmaRoute::Dot) {
                return None;
            }
            if l > 0 && h_out > 1 {
                let back = dense::fma_route(&delta, &w, &MatMut::col_major(&mut out, n, h_in));
                if back != Some(dense::FmaRoute::UnitRows) {
                    return None;
                }
            }
        }
        let per_layer = || {
            widths[1..]
                .iter()
                .map(|h| vec![[0.0; R]; n * h])
                .collect::<Vec<_>>()
        };
        Some(MlpLanes {
            mlp,
            mult: (0..layers).map(|l| mlp.multiplier(l)).collect(),
            w_off: (0..layers).map(|l| mlp.offsets(l).0).collect(),
            dim: mlp.dim(),
            n,
            x: xs.to_vec(),
            y: ys.to_vec(),
            z: per_layer(),
            a: per_layer(),
            s1: per_layer(),
            delta: per_layer(),
            widths,
        })
    }

    /// The network.
    pub fn mlp(&self) -> &'a Mlp {
        self.mlp
    }

    /// The number of parameters d of one run.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Writes each lane's ∇L(θ) into `grad` and returns each lane's L(θ), for θ in `theta` (d lane
    /// arrays, parameter-major: entry i of run r at `theta[i][r]`), bit for bit as
    /// [`Objective::loss_gradient`] computes them for each run alone.
    pub fn loss_gradient(&mut self, theta: &[[f64; R]], grad: &mut [[f64; R]]) -> [f64; R] {
        assert!(theta.len() == self.dim && grad.len() == self.dim, "d lane arrays");
        // SAFETY: `new` checked that the CPU has AVX2 and FMA.
        unsafe { self.loss_gradient_fma(theta, grad) }
    }

    /// [`MlpLanes::loss_gradient`] compiled for AVX2 and FMA, so that `mul_add` is one instruction and
    /// the loops over the R lanes run as vectors.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn loss_gradient_fma(&mut self, theta: &[[f64; R]], grad: &mut [[f64; R]]) -> [f64; R] {
        let layers = self.widths.len() - 1;
        let b = self.n;
        let act = self.mlp.config().activation;
        for l in 0..layers {
            let (h_in, h_out) = (self.widths[l], self.widths[l + 1]);
            let w = &theta[self.w_off[l]..self.w_off[l] + h_out * h_in];
            let (lower, upper) = self.a.split_at_mut(l);
            let z = &mut self.z[l];
            // Z[i, j] = fma(m, Σ_c fma(A[i, c], W[j, c], ·), 0): the chain over c.
            for j in 0..h_out {
                let zj = &mut z[j * b..(j + 1) * b];
                let m = self.mult[l];
                if l == 0 {
                    let x = &self.x;
                    chain_column(m, |k| [x[k]; R], b, h_in, w, j * h_in, 1, zj);
                } else {
                    let a = &lower[l - 1];
                    chain_column(m, |k| a[k], b, h_in, w, j * h_in, 1, zj);
                }
            }
            if l + 1 < layers {
                // Elementwise, so the lanes' layout changes no value (tanh's blocks are lane-pure).
                act.forward(
                    self.z[l].as_flattened(),
                    upper[0].as_flattened_mut(),
                    self.s1[l].as_flattened_mut(),
                );
            }
        }
        // Mean squared error, as `Mlp::output` sums it: output by output, sample by sample.
        let last = layers - 1;
        let k = self.widths[layers];
        let inv = 1.0 / b as f64;
        let mut total = [0.0; R];
        for c in 0..k {
            let y = &self.y[c * b..(c + 1) * b];
            for ((d, zi), &yi) in self.delta[last][c * b..(c + 1) * b]
                .iter_mut()
                .zip(&self.z[last][c * b..(c + 1) * b])
                .zip(y)
            {
                for r in 0..R {
                    let res = zi[r] - yi;
                    total[r] += res * res;
                    d[r] = res * inv;
                }
            }
        }
        let mut loss = [0.0; R];
        for r in 0..R {
            loss[r] = 0.5 * total[r] * inv;
        }
        for l in (0..layers).rev() {
            let (h_in, h_out) = (self.widths[l], self.widths[l + 1]);
            let m = self.mult[l];
            let (lower, upper) = self.delta.split_at_mut(l);
            let delta = &upper[0];
            // ∇W_l[j, c] = fma(m, (c₀ + c₂) + (c₁ + c₃), 0), chain q summing samples i ≡ q (mod 4).
            let gw = &mut grad[self.w_off[l]..self.w_off[l] + h_out * h_in];
            for j in 0..h_out {
                let dj = &delta[j * b..(j + 1) * b];
                for c in 0..h_in {
                    gw[j * h_in + c] = if l == 0 {
                        let x = &self.x[c * b..(c + 1) * b];
                        dot4(m, dj, |i| [x[i]; R])
                    } else {
                        let a = &self.a[l - 1][c * b..(c + 1) * b];
                        dot4(m, dj, |i| a[i])
                    };
                }
            }
            if l > 0 {
                let below = &mut lower[l - 1];
                let slope = &self.s1[l - 1];
                let w = &theta[self.w_off[l]..self.w_off[l] + h_out * h_in];
                if h_out == 1 {
                    // `outer_times_slope`: (m·(δ_i w_c + 0) + 0)·σ'.
                    for (c, wc) in w.iter().enumerate() {
                        let rows = c * b..(c + 1) * b;
                        for ((o, s), d) in below[rows.clone()].iter_mut().zip(&slope[rows]).zip(delta) {
                            for r in 0..R {
                                o[r] = (m * (d[r] * wc[r] + 0.0) + 0.0) * s[r];
                            }
                        }
                    }
                } else {
                    // m·Δ·W by the unit-rows order (the chain over j), then ⊙ σ' as a separate product.
                    for c in 0..h_in {
                        let out = &mut below[c * b..(c + 1) * b];
                        chain_column(m, |k| delta[k], b, h_out, w, c, h_in, out);
                        for (o, s) in out.iter_mut().zip(&slope[c * b..(c + 1) * b]) {
                            for r in 0..R {
                                o[r] *= s[r];
                            }
                        }
                    }
                }
            }
        }
        loss
    }
}

/// out[i] = fma(m, Σ_l fma(a(i + l·rows), w[off + l·step], ·), 0) for i < rows, each sum one chain over
/// l = 0 … len − 1 from 0: a column of a product by the unit-rows kernel's order, its rows in tiles of 4
/// whose chains stay in registers.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn chain_column<const R: usize>(
    m: f64,
    a: impl Fn(usize) -> [f64; R] + Copy,
    rows: usize,
    len: usize,
    w: &[[f64; R]],
    off: usize,
    step: usize,
    out: &mut [[f64; R]],
) {
    let mut i = 0;
    while i + 4 <= rows {
        chain_tile::<R, 4>(m, a, rows, len, w, off, step, i, out);
        i += 4;
    }
    while i < rows {
        chain_tile::<R, 1>(m, a, rows, len, w, off, step, i, out);
        i += 1;
    }
}

/// Rows i … i + T − 1 of [`chain_column`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn chain_tile<const R: usize, const T: usize>(
    m: f64,
    a: impl Fn(usize) -> [f64; R],
    rows: usize,
    len: usize,
    w: &[[f64; R]],
    off: usize,
    step: usize,
    i: usize,
    out: &mut [[f64; R]],
) {
    let mut acc = [[0.0; R]; T];
    for l in 0..len {
        let wv = w[off + l * step];
        for (t, acc) in acc.iter_mut().enumerate() {
            let av = a(i + t + l * rows);
            for r in 0..R {
                acc[r] = av[r].mul_add(wv[r], acc[r]);
            }
        }
    }
    // The epilogue with β = 0: fma(m, acc, 0).
    for (t, acc) in acc.iter().enumerate() {
        for r in 0..R {
            out[i + t][r] = m.mul_add(acc[r], 0.0);
        }
    }
}

/// fma(m, (c₀ + c₂) + (c₁ + c₃), 0) per lane, where chain q is fma(d_i, a(i), ·) over the samples
/// i ≡ q (mod 4) in order from 0, and a short last group adds fma(0, 0, ·) in its missing chains: the
/// dot kernel's arithmetic for one output.
#[inline(always)]
fn dot4<const R: usize>(m: f64, d: &[[f64; R]], a: impl Fn(usize) -> [f64; R]) -> [f64; R] {
    let mut acc = [[0.0; R]; 4];
    let groups = d.len() / 4;
    for g in 0..groups {
        for q in 0..4 {
            let (dv, av) = (&d[4 * g + q], a(4 * g + q));
            for r in 0..R {
                acc[q][r] = dv[r].mul_add(av[r], acc[q][r]);
            }
        }
    }
    let rest = d.len() - 4 * groups;
    if rest > 0 {
        for (q, acc) in acc.iter_mut().enumerate() {
            let i = 4 * groups + q;
            for r in 0..R {
                // The masked lanes load 0 for both factors.
                let (dv, av) = if q < rest { (d[i][r], a(i)[r]) } else { (0.0, 0.0) };
                acc[r] = dv.mul_add(av, acc[r]);
            }
        }
    }
    let mut out = [0.0; R];
    for r in 0..R {
        let s = (acc[0][r] + acc[2][r]) + (acc[1][r] + acc[3][r]);
        out[r] = m.mul_add(s, 0.0);
    }
    out
}
