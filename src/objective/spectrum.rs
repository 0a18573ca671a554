//! The top-k and the smallest eigenvalues of the Hessian at a point (and the top eigenvectors), from
//! Hessian-vector products only: the sharpness diagnostic and the central flow's critical subspace. Up to a dimension threshold the Hessian is assembled column by column (d products) and
//! decomposed exactly; above it, Lanczos with full reorthogonalisation, warm-started from the previous
//! point's top eigenvectors so that a slowly moving spectrum costs few products. The Lanczos path works in
//! buffers sized once, its tridiagonal eigenproblems solved in place by the implicit QL method
//! ([`tridiagonal_eigen`]): the central flow calls it at every evaluation of its field, so it does not
//! allocate ([`Eigensolver::top_into`]).

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
    /// The Lanczos tridiagonal matrix: diagonal α and off-diagonal β (capacity: the iteration cap).
    alpha: Vec<f64>,
    beta: Vec<f64>,
    /// Its eigenvalues (ascending) and eigenvectors (row-major, m×m) at the current size m.
    ritz_values: Vec<f64>,
    ritz_off: Vec<f64>,
    ritz_vectors: Vec<f64>,
    /// The last spectrum's top eigenvalues, decreasing (`top_count` of them).
    top: Vec<f64>,
    top_count: usize,
}

/// What one spectrum cost and whether it converged, beside the values left in the solver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumWork {
    /// The smallest eigenvalue (the smallest Ritz value under Lanczos).
    pub min: f64,
    /// Hessian-vector products spent.
    pub hvps: u64,
    /// True when Lanczos met its tolerance (always true for the exact decomposition).
    pub converged: bool,
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
            alpha: Vec::with_capacity(m),
            beta: Vec::with_capacity(m),
            ritz_values: vec![0.0; m],
            ritz_off: vec![0.0; m],
            ritz_vectors: vec![0.0; m * m],
            top: vec![0.0; settings.top_k.min(dim)],
            top_count: 0,
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
        let work = self.spectrum_of(Operator {
            objective,
            theta,
            scale: None,
        });
        self.collect(work)
    }

    /// The top eigenvalues of ∇²L(θ), decreasing, written into `values` (as many as were found and fit;
    /// the rest untouched), their unit eigenvectors then in [`Eigensolver::top_vectors`]; returns how many
    /// were written with the work done. The Lanczos path does not allocate (the central flow's field).
    pub fn top_into(
        &mut self,
        objective: &dyn Objective,
        theta: &[f64],
        values: &mut [f64],
    ) -> (usize, SpectrumWork) {
        let work = self.spectrum_of(Operator {
            objective,
            theta,
            scale: None,
        });
        let n = self.top_count.min(values.len());
        values[..n].copy_from_slice(&self.top[..n]);
        (n, work)
    }

    /// The last spectrum's values as a [`Spectrum`].
    fn collect(&self, work: SpectrumWork) -> Spectrum {
        Spectrum {
            top: self.top[..self.top_count].to_vec(),
            min: work.min,
            hvps: work.hvps,
            converged: work.converged,
        }
    }

    /// The spectrum of S ∇²L(θ) S with S = diag(`scale`): with scale_i = 1/√p_i it is the symmetrised
    /// preconditioned Hessian P^{-1/2} H P^{-1/2}, whose eigenvalues are those of P⁻¹H.
    pub fn scaled_spectrum(&mut self, objective: &dyn Objective, theta: &[f64], scale: &[f64]) -> Spectrum {
        let work = self.spectrum_of(Operator {
            objective,
            theta,
            scale: Some(scale),
        });
        self.collect(work)
    }

    fn spectrum_of(&mut self, op: Operator) -> SpectrumWork {
        if self.is_exact() {
            self.exact(op)
        } else {
            self.lanczos(op)
        }
    }

    fn exact(&mut self, op: Operator) -> SpectrumWork {
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
        self.top[..k].copy_from_slice(&eig[..k]);
        self.top_count = k;
        SpectrumWork {
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

    fn lanczos(&mut self, op: Operator) -> SpectrumWork {
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

        self.alpha.clear();
        self.beta.clear();
        let mut hvps = 0u64;
        let mut converged = false;
        let mut m = 0;
        while m < m_max {
            let j = m;
            let (before, rest) = self.basis.split_at_mut(j * d);
            let q = &rest[..d];
            op.apply(q, &mut self.scaled, &mut self.w);
            hvps += 1;
            let a = dot(q, &self.w);
            self.alpha.push(a);
            for (x, y) in self.w.iter_mut().zip(q) {
                *x -= a * y;
            }
            if j > 0 {
                let b = self.beta[j - 1];
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
            let solved = tridiagonal_eigen(
                &self.alpha,
                &self.beta,
                &mut self.ritz_values[..m],
                &mut self.ritz_off[..m],
                &mut self.ritz_vectors[..m * m],
            );
            let values = &self.ritz_values[..m];
            let scale = values
                .iter()
                .fold(0.0f64, |s, x| s.max(x.abs()))
                .max(f64::MIN_POSITIVE);
            // Ascending Ritz values: the top k are the last k, λ_min the first. The residual of Ritz pair
            // i is |β_m · s_{m,i}| (the last component of its eigenvector).
            let small = |i: usize| {
                (b * self.ritz_vectors[(m - 1) * m + i]).abs() <= self.settings.lanczos_tolerance * scale
            };
            let done = solved && m > k && (m - k..m).all(small) && (!self.settings.lambda_min || small(0));
            if done || m == m_max || m == d {
                converged = solved && (done || m == d);
                break;
            }
            if b <= 1e-12 * scale {
                // An invariant subspace: every Ritz value in it is exact. Continue in a fresh direction
                // orthogonal to it (the tridiagonal matrix gets a zero off-diagonal).
                if !self.fresh_direction(m) {
                    converged = solved;
                    break;
                }
                b = 0.0;
            } else {
                self.w.iter_mut().for_each(|x| *x /= b);
            }
            self.beta.push(b);
            self.basis[m * d..(m + 1) * d].copy_from_slice(&self.w);
        }
        let top = k.min(m);
        for s in 0..top {
            self.top[s] = self.ritz_values[m - 1 - s];
        }
        self.top_count = top;
        // Ritz vectors y = Q s of the top values: the next point's warm start.
        self.warm_count = top;
        for slot in 0..top {
            let i = m - 1 - slot;
            let y = &mut self.warm[slot * d..(slot + 1) * d];
            y.iter_mut().for_each(|x| *x = 0.0);
            for r in 0..m {
                let s = self.ritz_vectors[r * m + i];
                for (x, q) in y.iter_mut().zip(&self.basis[r * d..(r + 1) * d]) {
                    *x += s * q;
                }
            }
        }
        SpectrumWork {
            min: self.ritz_values[0],
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

/// The eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` (length m) and
/// off-diagonal `beta` (length m − 1), in place and without allocating: eigenvalues ascending into
/// `values`, the unit eigenvector of `values[i]` into column i of `vectors` (row-major m×m), `off` a
/// scratch buffer of length m. The implicit QL method with Wilkinson-type shifts (EISPACK's tql2, as in
/// JAMA, public domain), started from the identity; false when it did not converge in 30 sweeps per
/// eigenvalue or met a non-finite entry (the values are then not to be trusted).
pub fn tridiagonal_eigen(
    alpha: &[f64],
    beta: &[f64],
    values: &mut [f64],
    off: &mut [f64],
    vectors: &mut [f64],
) -> bool {
    let n = alpha.len();
    debug_assert!(beta.len() + 1 >= n && values.len() == n && off.len() == n && vectors.len() == n * n);
    if n == 0 {
        return true;
    }
    values.copy_from_slice(alpha);
    // off[i] couples i and i + 1; off[n − 1] = 0 ends every search for a negligible coupling.
    off[..n - 1].copy_from_slice(&beta[..n - 1]);
    off[n - 1] = 0.0;
    vectors.iter_mut().for_each(|v| *v = 0.0);
    for i in 0..n {
        vectors[i * n + i] = 1.0;
    }
    if !values.iter().chain(off.iter()).all(|x| x.is_finite()) {
        return false;
    }
    let eps = f64::EPSILON;
    let (mut f, mut tst1) = (0.0f64, 0.0f64);
    for l in 0..n {
        tst1 = tst1.max(values[l].abs() + off[l].abs());
        let mut m = l;
        while m < n - 1 && off[m].abs() > eps * tst1 {
            m += 1;
        }
        if m > l {
            let mut sweeps = 0;
            loop {
                sweeps += 1;
                if sweeps > 30 {
                    return false;
                }
                // The implicit shift from the leading 2×2 block.
                let mut g = values[l];
                let mut p = (values[l + 1] - g) / (2.0 * off[l]);
                let mut r = p.hypot(1.0);
                if p < 0.0 {
                    r = -r;
                }
                values[l] = off[l] / (p + r);
                values[l + 1] = off[l] * (p + r);
                let dl1 = values[l + 1];
                let mut h = g - values[l];
                for v in values[l + 2..].iter_mut() {
                    *v -= h;
                }
                f += h;
                // The implicit QL sweep from m up to l, with its rotations applied to the vectors.
                p = values[m];
                let (mut c, mut c2, mut c3) = (1.0f64, 1.0f64, 1.0f64);
                let el1 = off[l + 1];
                let (mut s, mut s2) = (0.0f64, 0.0f64);
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    g = c * off[i];
                    h = c * p;
                    r = p.hypot(off[i]);
                    off[i + 1] = s * r;
                    s = off[i] / r;
                    c = p / r;
                    p = c * values[i] - s * g;
                    values[i + 1] = h + s * (c * g + s * values[i]);
                    for k in 0..n {
                        let row = &mut vectors[k * n..(k + 1) * n];
                        let h = row[i + 1];
                        row[i + 1] = s * row[i] + c * h;
                        row[i] = c * row[i] - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * off[l] / dl1;
                off[l] = s * p;
                values[l] = c * p;
                if off[l].abs() <= eps * tst1 {
                    break;
                }
            }
        }
        values[l] += f;
        off[l] = 0.0;
    }
    // Ascending order, vectors with their values (selection sort: m is at most the iteration cap).
    for i in 0..n.saturating_sub(1) {
        let mut k = i;
        for j in i + 1..n {
            if values[j] < values[k] {
                k = j;
            }
        }
        if k != i {
            values.swap(i, k);
            for row in vectors.chunks_mut(n) {
                row.swap(i, k);
            }
        }
    }
    values.iter().all(|x| x.is_finite())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs [`tridiagonal_eigen`] on (alpha, beta) and returns (values, vectors) with its own buffers.
    fn solve(alpha: &[f64], beta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = alpha.len();
        let (mut values, mut off, mut vectors) = (vec![0.0; n], vec![0.0; n], vec![0.0; n * n]);
        assert!(tridiagonal_eigen(
            alpha,
            beta,
            &mut values,
            &mut off,
            &mut vectors
        ));
        (values, vectors)
    }

    /// The second-difference matrix tridiag(−1, 2, −1) of size n has the eigenvalues
    /// 2 − 2cos(jπ/(n + 1)), j = 1..n, with eigenvectors sin(ijπ/(n + 1)).
    #[test]
    fn the_second_difference_matrix_has_its_closed_form_spectrum() {
        for n in [1, 2, 3, 7, 40, 80] {
            let (values, vectors) = solve(&vec![2.0; n], &vec![-1.0; n.saturating_sub(1)]);
            let h = std::f64::consts::PI / (n + 1) as f64;
            for j in 0..n {
                let want = 2.0 - 2.0 * ((j + 1) as f64 * h).cos();
                assert!(
                    (values[j] - want).abs() < 1e-13,
                    "n = {n}, j = {j}: {} vs {want}",
                    values[j]
                );
                // Column j against the normalised sine vector (up to sign).
                let s: Vec<f64> = (0..n)
                    .map(|i| ((i + 1) as f64 * (j + 1) as f64 * h).sin())
                    .collect();
                let sn = norm(&s);
                let c: f64 = (0..n).map(|i| vectors[i * n + j] * s[i] / sn).sum();
                assert!(
                    (c.abs() - 1.0).abs() < 1e-12,
                    "n = {n}, j = {j}: |cos| = {}",
                    c.abs()
                );
            }
        }
    }

    /// On random tridiagonal matrices (with a zero coupling, as after a Lanczos restart): T v = λ v for
    /// every pair, the vectors orthonormal, the values ascending and equal to nalgebra's.
    #[test]
    fn random_tridiagonals_are_decomposed() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [2, 5, 17, 60] {
            let alpha: Vec<f64> = (0..n).map(|_| 10.0 * rng.random::<f64>() - 5.0).collect();
            let mut beta: Vec<f64> = (0..n - 1).map(|_| 2.0 * rng.random::<f64>() - 1.0).collect();
            if n > 3 {
                beta[n / 2] = 0.0;
            }
            let (values, v) = solve(&alpha, &beta);
            let mut t = DMatrix::zeros(n, n);
            for i in 0..n {
                t[(i, i)] = alpha[i];
                if i + 1 < n {
                    t[(i, i + 1)] = beta[i];
                    t[(i + 1, i)] = beta[i];
                }
            }
            let mut reference: Vec<f64> = SymmetricEigen::new(t.clone())
                .eigenvalues
                .iter()
                .copied()
                .collect();
            reference.sort_by(f64::total_cmp);
            for j in 0..n {
                assert!(
                    (values[j] - reference[j]).abs() < 1e-12,
                    "n = {n}: {} vs {}",
                    values[j],
                    reference[j]
                );
                if j > 0 {
                    assert!(values[j - 1] <= values[j]);
                }
                for r in 0..n {
                    let tv: f64 = (0..n).map(|c| t[(r, c)] * v[c * n + j]).sum();
                    assert!(
                        (tv - values[j] * v[r * n + j]).abs() < 1e-12,
                        "n = {n}: T v ≠ λ v"
                    );
                }
                for k in 0..n {
                    let dot: f64 = (0..n).map(|r| v[r * n + j] * v[r * n + k]).sum();
                    let want = if j == k { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-12, "n = {n}: vectors {j}, {k}: {dot}");
                }
            }
        }
    }

    /// A non-finite entry is reported, not looped on.
    #[test]
    fn a_non_finite_entry_is_refused() {
        let (mut values, mut off, mut vectors) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 9]);
        assert!(!tridiagonal_eigen(
            &[1.0, f64::NAN, 2.0],
            &[0.5, 0.5],
            &mut values,
            &mut off,
            &mut vectors
        ));
    }
}
