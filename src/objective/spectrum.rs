//! The top-k and the smallest eigenvalues of the Hessian at a point (and the top eigenvectors), from
//! Hessian-vector products only: the sharpness diagnostic and the central flow's critical subspace. Up to a dimension threshold the Hessian is assembled column by column (d products) and
//! decomposed exactly; above it, Lanczos with full reorthogonalisation, warm-started from the previous
//! point's top eigenvectors so that a slowly moving spectrum costs few products.

use crate::objective::Objective;
use nalgebra::{DMatrix, SymmetricEigen};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How to compute the spectrum (the scenario's `[diagnostics.sharpness]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SharpnessSettings {
    /// How many of the largest eigenvalues to track (λ_1 ≥ … ≥ λ_k).
    pub top_k: usize,
    /// Compute the spectrum at every `every`-th recorded point (and always at the last one).
    pub every: usize,
    /// Up to this dimension the Hessian is assembled and decomposed exactly; above it, Lanczos.
    pub exact_max_dim: usize,
    /// The most Lanczos iterations (Hessian-vector products) per point.
    pub lanczos_iterations: usize,
    /// A Ritz value counts as converged when its residual β_m·|s_m| is below this times the largest
    /// Ritz value's magnitude.
    pub lanczos_tolerance: f64,
    /// Also find λ_min (Lanczos must then converge at both ends of the spectrum, which takes more
    /// products; without it λ_min is the smallest Ritz value found, a bound from above).
    pub lambda_min: bool,
}

impl Default for SharpnessSettings {
    fn default() -> Self {
        SharpnessSettings {
            top_k: 1,
            every: 1,
            exact_max_dim: 64,
            lanczos_iterations: 60,
            lanczos_tolerance: 1e-10,
            lambda_min: true,
        }
    }
}

/// The eigenvalues found at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// The largest eigenvalues, in decreasing order (min(k, d) of them).
    pub top: Vec<f64>,
    /// The smallest eigenvalue.
    pub min: f64,
    /// Hessian-vector products spent.
    pub hvps: u64,
    /// True when Lanczos met its tolerance (always true for the exact decomposition).
    pub converged: bool,
}

/// Computes spectra along a path, keeping its workspace and the last top eigenvectors between calls.
pub struct Eigensolver {
    settings: SharpnessSettings,
    dim: usize,
    /// The Lanczos basis, row-major: vector j is `basis[j*d..(j+1)*d]`.
    basis: Vec<f64>,
    w: Vec<f64>,
    unit: Vec<f64>,
    /// The previous point's top Ritz vectors (row-major, `warm_count` of them).
    warm: Vec<f64>,
    warm_count: usize,
    rng: ChaCha8Rng,
    /// Work for the dense path.
    dense: DMatrix<f64>,
    /// S⊙v, the vector the objective's Hessian multiplies when the operator is S H S.
    scaled: Vec<f64>,
}

impl Eigensolver {
    /// A solver for dimension `dim`.
    pub fn new(dim: usize, settings: SharpnessSettings) -> Self {
        let exact = dim <= settings.exact_max_dim;
        let m = if exact {
            0
        } else {
            settings.lanczos_iterations.min(dim).max(1)
        };
        Eigensolver {
            settings,
            dim,
            basis: vec![0.0; m * dim],
            w: vec![0.0; dim],
            unit: vec![0.0; dim],
            warm: vec![0.0; settings.top_k * dim],
            warm_count: 0,
            // A fixed seed: the same path gives the same Lanczos start, so results are reproducible.
            rng: ChaCha8Rng::seed_from_u64(0x5eed_1a4c),
            dense: if exact {
                DMatrix::zeros(dim, dim)
            } else {
                DMatrix::zeros(0, 0)
            },
            scaled: vec![0.0; dim],
        }
    }

    /// True when this solver decomposes the assembled Hessian exactly.
    pub fn is_exact(&self) -> bool {
        self.dim <= self.settings.exact_max_dim
    }

    /// The unit eigenvectors (Ritz vectors under Lanczos) of the last spectrum's top eigenvalues, in the
    /// same decreasing order, row-major: vector i at `[i*d..(i+1)*d]`. Empty before the first spectrum.
    pub fn top_vectors(&self) -> &[f64] {
        &self.warm[..self.warm_count * self.dim]
    }

    /// The spectrum of ∇²L(θ).
    pub fn spectrum(&mut self, objective: &dyn Objective, theta: &[f64]) -> Spectrum {
        self.spectrum_of(Operator {
            objective,
            theta,
            scale: None,
        })
    }

    /// The spectrum of S ∇²L(θ) S with S = diag(`scale`): with scale_i = 1/√p_i it is the symmetrised
    /// preconditioned Hessian P^{-1/2} H P^{-1/2}, whose eigenvalues are those of P⁻¹H.
    pub fn scaled_spectrum(&mut self, objective: &dyn Objective, theta: &[f64], scale: &[f64]) -> Spectrum {
        self.spectrum_of(Operator {
            objective,
            theta,
            scale: Some(scale),
        })
    }

    fn spectrum_of(&mut self, op: Operator) -> Spectrum {
        if self.is_exact() {
            self.exact(op)
        } else {
            self.lanczos(op)
        }
    }

    fn exact(&mut self, op: Operator) -> Spectrum {
        let d = self.dim;
        for j in 0..d {
            self.unit.iter_mut().for_each(|u| *u = 0.0);
            self.unit[j] = 1.0;
            op.apply(&self.unit, &mut self.scaled, &mut self.w);
            for i in 0..d {
                self.dense[(i, j)] = self.w[i];
            }
        }
        // Exact products are symmetric up to rounding; symmetrise so the symmetric solver sees one matrix.
        let h = (&self.dense + self.dense.transpose()) * 0.5;
        let decomposition = SymmetricEigen::new(h);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| decomposition.eigenvalues[b].total_cmp(&decomposition.eigenvalues[a]));
        let eig: Vec<f64> = order.iter().map(|&i| decomposition.eigenvalues[i]).collect();
        let k = self.settings.top_k.min(d);
        // The top eigenvectors, kept as for Lanczos so that [`Eigensolver::top_vectors`] serves both paths.
        self.warm_count = k;
        for (slot, &i) in order.iter().take(k).enumerate() {
            for (r, x) in self.warm[slot * d..(slot + 1) * d].iter_mut().enumerate() {
                *x = decomposition.eigenvectors[(r, i)];
            }
        }
        Spectrum {
            top: eig[..k].to_vec(),
            min: eig.last().copied().unwrap_or(f64::NAN),
            hvps: d as u64,
            converged: true,
        }
    }

    /// Fills `w` with a random unit vector orthogonal to the first `j` basis vectors (None when they
    /// already span the space).
    fn fresh_direction(&mut self, j: usize) -> bool {
        let d = self.dim;
        for _ in 0..3 {
            for x in self.w.iter_mut() {
                *x = self.rng.random::<f64>() - 0.5;
            }
            orthogonalise(&mut self.w, &self.basis, j, d);
            let n = norm(&self.w);
            if n > 1e-8 {
                self.w.iter_mut().for_each(|x| *x /= n);
                return true;
            }
        }
        false
    }

    fn lanczos(&mut self, op: Operator) -> Spectrum {
        let d = self.dim;
        let m_max = self.basis.len() / d;
        let k = self.settings.top_k.min(d);
        // Start: the previous top eigenvectors (their sum), plus a random part so that the bottom of the
        // spectrum is in the Krylov space too (an exact eigenvector alone spans an invariant subspace).
        for x in self.w.iter_mut() {
            *x = self.rng.random::<f64>() - 0.5;
        }
        let n = norm(&self.w);
        self.w.iter_mut().for_each(|x| *x /= n);
        if self.warm_count > 0 {
            for x in self.w.iter_mut() {
                *x *= 0.1;
            }
            for v in self.warm.chunks(d).take(self.warm_count) {
                for (x, y) in self.w.iter_mut().zip(v) {
                    *x += y;
                }
            }
            let n = norm(&self.w);
            self.w.iter_mut().for_each(|x| *x /= n);
        }
        self.basis[..d].copy_from_slice(&self.w);

        let mut alpha: Vec<f64> = Vec::with_capacity(m_max);
        let mut beta: Vec<f64> = Vec::with_capacity(m_max);
        let mut hvps = 0u64;
        let mut converged = false;
        let mut ritz: Option<SymmetricEigen<f64, nalgebra::Dyn>> = None;
        let mut m = 0;
        while m < m_max {
            let j = m;
            let (before, rest) = self.basis.split_at_mut(j * d);
            let q = &rest[..d];
            op.apply(q, &mut self.scaled, &mut self.w);
            hvps += 1;
            let a = dot(q, &self.w);
            alpha.push(a);
            for (x, y) in self.w.iter_mut().zip(q) {
                *x -= a * y;
            }
            if j > 0 {
                let b = beta[j - 1];
                for (x, y) in self.w.iter_mut().zip(&before[(j - 1) * d..]) {
                    *x -= b * y;
                }
            }
            // Full reorthogonalisation, twice ("twice is enough", Parlett): keeps the basis orthogonal
            // to rounding so no ghost copies of converged eigenvalues appear.
            orthogonalise(&mut self.w, &self.basis, j + 1, d);
            orthogonalise(&mut self.w, &self.basis, j + 1, d);
            let mut b = norm(&self.w);
            m = j + 1;
            let t = tridiagonal_eigen(&alpha, &beta);
            let scale = t
                .eigenvalues
                .iter()
                .fold(0.0f64, |s, x| s.max(x.abs()))
                .max(f64::MIN_POSITIVE);
            let wanted = wanted_indices(&t.eigenvalues, k, self.settings.lambda_min);
            // The residual of Ritz pair i is |β_m · s_{m,i}| (last component of its eigenvector).
            let done = m > k
                && wanted.iter().all(|&i| {
                    (b * t.eigenvectors[(m - 1, i)]).abs() <= self.settings.lanczos_tolerance * scale
                });
            ritz = Some(t);
            if done || m == m_max || m == d {
                converged = done || m == d;
                break;
            }
            if b <= 1e-12 * scale {
                // An invariant subspace: every Ritz value in it is exact. Continue in a fresh direction
                // orthogonal to it (the tridiagonal matrix gets a zero off-diagonal).
                if !self.fresh_direction(m) {
                    converged = true;
                    break;
                }
                b = 0.0;
            } else {
                self.w.iter_mut().for_each(|x| *x /= b);
            }
            beta.push(b);
            self.basis[m * d..(m + 1) * d].copy_from_slice(&self.w);
        }
        let t = ritz.expect("at least one iteration");
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| t.eigenvalues[b].total_cmp(&t.eigenvalues[a]));
        let top: Vec<f64> = order.iter().take(k).map(|&i| t.eigenvalues[i]).collect();
        let min = order.last().map_or(f64::NAN, |&i| t.eigenvalues[i]);
        // Ritz vectors y = Q s of the top values: the next point's warm start.
        self.warm_count = order.len().min(k);
        for (slot, &i) in order.iter().take(self.warm_count).enumerate() {
            let y = &mut self.warm[slot * d..(slot + 1) * d];
            y.iter_mut().for_each(|x| *x = 0.0);
            for r in 0..m {
                let s = t.eigenvectors[(r, i)];
                for (x, q) in y.iter_mut().zip(&self.basis[r * d..(r + 1) * d]) {
                    *x += s * q;
                }
            }
        }
        Spectrum {
            top,
            min,
            hvps,
            converged,
        }
    }
}

/// The symmetric operator whose spectrum is wanted: v ↦ S H S v, H = ∇²L(θ), S = diag(scale) or I.
#[derive(Clone, Copy)]
struct Operator<'a> {
    objective: &'a dyn Objective,
    theta: &'a [f64],
    scale: Option<&'a [f64]>,
}

impl Operator<'_> {
    /// `out` = S H S v, with `scratch` holding S v.
    fn apply(&self, v: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        match self.scale {
            None => self.objective.hvp(self.theta, v, out),
            Some(s) => {
                for ((x, vi), si) in scratch.iter_mut().zip(v).zip(s) {
                    *x = si * vi;
                }
                self.objective.hvp(self.theta, scratch, out);
                for (o, si) in out.iter_mut().zip(s) {
                    *o *= si;
                }
            }
        }
    }
}

/// The indices of the k largest and (when `with_min`) of the smallest eigenvalue.
fn wanted_indices(values: &nalgebra::DVector<f64>, k: usize, with_min: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut out: Vec<usize> = order.iter().take(k).copied().collect();
    if let Some(&last) = order.last().filter(|_| with_min) {
        if !out.contains(&last) {
            out.push(last);
        }
    }
    out
}

/// The eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` and off-diagonal
/// `beta` (m ≤ the Lanczos iteration cap, so a dense solver is cheap next to one Hessian product).
fn tridiagonal_eigen(alpha: &[f64], beta: &[f64]) -> SymmetricEigen<f64, nalgebra::Dyn> {
    let m = alpha.len();
    let mut t = DMatrix::zeros(m, m);
    for i in 0..m {
        t[(i, i)] = alpha[i];
        if i + 1 < m {
            t[(i, i + 1)] = beta[i];
            t[(i + 1, i)] = beta[i];
        }
    }
    SymmetricEigen::new(t)
}

/// Removes from `w` its components along the first `count` basis vectors.
fn orthogonalise(w: &mut [f64], basis: &[f64], count: usize, d: usize) {
    for q in basis.chunks(d).take(count) {
        let c = dot(q, w);
        for (x, y) in w.iter_mut().zip(q) {
            *x -= c * y;
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}
