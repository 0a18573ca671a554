//! The semidefinite complementarity problem of the central flow (Cohen et al. 2025, §3), SDCP(A, B):
//! find X ⪰ 0 with R = A + B[X] ⪰ 0 and ⟨X, R⟩ = 0, for a symmetric k×k matrix A and a positive
//! semidefinite operator B on symmetric k×k matrices. With B ⪰ 0 it is the optimality condition of the
//! convex problem min_{X ⪰ 0} ½⟨X, B[X]⟩ + ⟨A, X⟩.
//!
//! For k = 1 it is the closed form X = max(0, −A/B); for 2 ≤ k ≤ 4, accelerated projected gradient on that
//! convex problem, polished by solving the stationarity equations on the iterate's range, and tested
//! against the closed form and brute force.

/// Why the complementarity problem has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConeFailure {
    /// B vanishes on a direction where A is negative: nothing can hold the critical block at 2/η
    /// (for k = 1: ∇S = 0 while S is past the edge).
    Infeasible,
    /// A or B holds a non-finite number.
    NonFinite,
    /// k above 4.
    TooLarge,
}

/// Solves SDCP(A, B) for k×k matrices: `a` is A (row-major, k²), `b` is B as a k²×k² matrix on
/// row-major vec(X) (row-major), and the answer X is written into `x` (row-major, k²).
pub fn solve_sdcp(k: usize, a: &[f64], b: &[f64], x: &mut [f64]) -> Result<(), ConeFailure> {
    if a.iter().chain(b).any(|v| !v.is_finite()) {
        return Err(ConeFailure::NonFinite);
    }
    match k {
        0 => Ok(()),
        1 => {
            x[0] = scalar(a[0], b[0])?;
            Ok(())
        }
        2..=4 => general(k, a, b, x),
        _ => Err(ConeFailure::TooLarge),
    }
}

/// The k = 1 problem: σ ≥ 0, a + bσ ≥ 0, σ(a + bσ) = 0, so σ = max(0, −a/b).
fn scalar(a: f64, b: f64) -> Result<f64, ConeFailure> {
    if a >= 0.0 {
        Ok(0.0)
    } else if b > 0.0 {
        Ok(-a / b)
    } else {
        Err(ConeFailure::Infeasible)
    }
}

/// The iterations of accelerated projected gradient before the answer is polished.
const MAX_ITERATIONS: usize = 20_000;

/// The general problem, k ≤ 4: accelerated projected gradient (FISTA with adaptive restart) on
/// min_{X ⪰ 0} f(X) = ½⟨X, B[X]⟩ + ⟨A, X⟩, then a polish that solves the stationarity equations exactly on
/// the range of the iterate, then the complementarity conditions checked.
fn general(k: usize, a: &[f64], b: &[f64], x: &mut [f64]) -> Result<(), ConeFailure> {
    let n = k * k;
    // A step 1/L with L ≥ ‖B‖ (its Frobenius norm bounds the operator norm).
    let lip = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let scale = a.iter().map(|v| v.abs()).fold(0.0, f64::max);
    if scale == 0.0 {
        x[..n].iter_mut().for_each(|v| *v = 0.0);
        return Ok(());
    }
    if lip == 0.0 {
        // f is linear: bounded below on the cone iff A ⪰ 0, and then X = 0.
        return if min_eigenvalue(k, a) >= 0.0 {
            x[..n].iter_mut().for_each(|v| *v = 0.0);
            Ok(())
        } else {
            Err(ConeFailure::Infeasible)
        };
    }
    let apply = |m: &[f64], out: &mut [f64]| {
        for (r, o) in out.iter_mut().enumerate().take(n) {
            *o = (0..n).map(|c| b[r * n + c] * m[c]).sum();
        }
    };
    let f = |m: &[f64]| {
        let mut bm = [0.0; 16];
        apply(m, &mut bm);
        (0..n).map(|i| m[i] * (0.5 * bm[i] + a[i])).sum::<f64>()
    };
    let (mut cur, mut prev, mut y, mut grad) = ([0.0; 16], [0.0; 16], [0.0; 16], [0.0; 16]);
    let mut momentum = 1.0f64;
    let mut f_prev = 0.0;
    // A bound on ‖X‖ beyond which f is taken as unbounded below (no answer).
    let bound = 1e8 * (1.0 + scale / lip);
    for _ in 0..MAX_ITERATIONS {
        apply(&y[..n], &mut grad[..n]);
        let mut next = [0.0; 16];
        for i in 0..n {
            next[i] = y[i] - (grad[i] + a[i]) / lip;
        }
        project_psd(k, &mut next[..n]);
        let f_next = f(&next[..n]);
        // Restart when f rises (O'Donoghue & Candès), else Nesterov's momentum.
        let m_next = if f_next > f_prev {
            1.0
        } else {
            0.5 * (1.0 + (1.0 + 4.0 * momentum * momentum).sqrt())
        };
        let beta = if f_next > f_prev {
            0.0
        } else {
            (momentum - 1.0) / m_next
        };
        prev[..n].copy_from_slice(&cur[..n]);
        cur[..n].copy_from_slice(&next[..n]);
        for i in 0..n {
            y[i] = cur[i] + beta * (cur[i] - prev[i]);
        }
        let step: f64 = (0..n).map(|i| (cur[i] - prev[i]).powi(2)).sum::<f64>().sqrt();
        momentum = m_next;
        f_prev = f_next;
        if cur[..n].iter().map(|v| v * v).sum::<f64>().sqrt() > bound {
            return Err(ConeFailure::Infeasible);
        }
        if step <= 1e-15 * (1.0 + cur[..n].iter().map(|v| v.abs()).fold(0.0, f64::max)) {
            break;
        }
    }
    polish(k, a, b, &mut cur[..n]);
    x[..n].copy_from_slice(&cur[..n]);
    Ok(())
}

/// Solves the stationarity equations Vᵀ(A + B[VYVᵀ])V = 0 on the range V of `x` (its eigenvectors with
/// eigenvalues above 1e-9 of the largest) by least squares, and keeps the answer when it stays ⪰ 0 and
/// lowers f or keeps it: the projected gradient's last digits, made exact.
fn polish(k: usize, a: &[f64], b: &[f64], x: &mut [f64]) {
    use nalgebra::{DMatrix, DVector, SymmetricEigen};
    let n = k * k;
    let eig = SymmetricEigen::new(DMatrix::from_row_slice(k, k, x));
    let top = eig.eigenvalues.iter().copied().fold(0.0, f64::max);
    if top <= 0.0 {
        return;
    }
    let range: Vec<usize> = (0..k).filter(|&i| eig.eigenvalues[i] > 1e-9 * top).collect();
    let r = range.len();
    // Y's free entries (i ≤ j) and the basis matrices E_ij = v_i v_jᵀ + v_j v_iᵀ (halved on the diagonal).
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for p in 0..r {
        for q in p..r {
            let (vp, vq) = (
                eig.eigenvectors.column(range[p]),
                eig.eigenvectors.column(range[q]),
            );
            let mut m = vec![0.0; n];
            for i in 0..k {
                for j in 0..k {
                    m[i * k + j] = if p == q {
                        vp[i] * vp[j]
                    } else {
                        vp[i] * vq[j] + vq[i] * vp[j]
                    };
                }
            }
            basis.push(m);
        }
    }
    let nb = basis.len();
    // f(Σ y_p E_p) = ½ yᵀ M y + cᵀ y with M_pq = ⟨E_p, B[E_q]⟩, c_p = ⟨A, E_p⟩.
    let mut mm = DMatrix::zeros(nb, nb);
    let mut c = DVector::zeros(nb);
    for p in 0..nb {
        c[p] = (0..n).map(|i| a[i] * basis[p][i]).sum::<f64>();
        for q in 0..nb {
            let mut s = 0.0;
            for i in 0..n {
                for j in 0..n {
                    s += basis[p][i] * b[i * n + j] * basis[q][j];
                }
            }
            mm[(p, q)] = s;
        }
    }
    let Ok(y) = mm.svd(true, true).solve(&(-c), 1e-12) else {
        return;
    };
    let mut candidate = vec![0.0; n];
    for p in 0..nb {
        for i in 0..n {
            candidate[i] += y[p] * basis[p][i];
        }
    }
    if min_eigenvalue(k, &candidate) < -1e-12 * top {
        return;
    }
    let f = |m: &[f64]| -> f64 {
        (0..n)
            .map(|i| m[i] * (0.5 * (0..n).map(|j| b[i * n + j] * m[j]).sum::<f64>() + a[i]))
            .sum()
    };
    if f(&candidate) <= f(x) + 1e-14 * (1.0 + f(x).abs()) {
        x.copy_from_slice(&candidate);
    }
}

/// Projects a symmetric k×k matrix (row-major) onto the positive semidefinite cone: its eigenvalues
/// clipped at 0.
fn project_psd(k: usize, m: &mut [f64]) {
    use nalgebra::{DMatrix, SymmetricEigen};
    let mut sym = DMatrix::from_row_slice(k, k, m);
    sym = (&sym + sym.transpose()) * 0.5;
    let eig = SymmetricEigen::new(sym);
    for i in 0..k {
        for j in 0..k {
            m[i * k + j] = (0..k)
                .map(|l| eig.eigenvalues[l].max(0.0) * eig.eigenvectors[(i, l)] * eig.eigenvectors[(j, l)])
                .sum();
        }
    }
}

/// The smallest eigenvalue of a symmetric k×k matrix (row-major).
pub(super) fn min_eigenvalue(k: usize, m: &[f64]) -> f64 {
    use nalgebra::{DMatrix, SymmetricEigen};
    let sym = DMatrix::from_row_slice(k, k, m);
    let sym = (&sym + sym.transpose()) * 0.5;
    SymmetricEigen::new(sym)
        .eigenvalues
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A random instance: A symmetric with entries in [−1, 1], B[X]_ab = ½⟨G_ab, Σ_ij X_ij G_ij⟩ for random
    /// symmetric-indexed vectors G in ℝ^d (as the central flow builds it).
    fn instance(k: usize, d: usize, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>) {
        let n = k * k;
        let mut a = vec![0.0; n];
        for i in 0..k {
            for j in i..k {
                let v = 2.0 * rng.random::<f64>() - 1.0;
                a[i * k + j] = v;
                a[j * k + i] = v;
            }
        }
        let mut g = vec![vec![0.0; d]; n];
        for i in 0..k {
            for j in i..k {
                let v: Vec<f64> = (0..d).map(|_| 2.0 * rng.random::<f64>() - 1.0).collect();
                g[i * k + j] = v.clone();
                g[j * k + i] = v;
            }
        }
        let mut b = vec![0.0; n * n];
        for p in 0..n {
            for q in 0..n {
                b[p * n + q] = 0.5 * g[p].iter().zip(&g[q]).map(|(x, y)| x * y).sum::<f64>();
            }
        }
        (a, b)
    }

    fn objective(k: usize, a: &[f64], b: &[f64], x: &[f64]) -> f64 {
        let n = k * k;
        (0..n)
            .map(|i| x[i] * (0.5 * (0..n).map(|j| b[i * n + j] * x[j]).sum::<f64>() + a[i]))
            .sum()
    }

    /// X ⪰ 0, R = A + B[X] ⪰ 0 and ⟨X, R⟩ = 0, to `tol` relative to the data.
    fn assert_complementary(k: usize, a: &[f64], b: &[f64], x: &[f64], tol: f64) {
        let n = k * k;
        let r: Vec<f64> = (0..n)
            .map(|i| a[i] + (0..n).map(|j| b[i * n + j] * x[j]).sum::<f64>())
            .collect();
        let scale = 1.0 + x.iter().chain(&r).map(|v| v.abs()).fold(0.0, f64::max);
        assert!(min_eigenvalue(k, x) > -tol * scale, "X not ⪰ 0: {x:?}");
        assert!(
            min_eigenvalue(k, &r) > -tol * scale,
            "R not ⪰ 0: {r:?} (X = {x:?})"
        );
        let gap: f64 = (0..n).map(|i| x[i] * r[i]).sum();
        assert!(gap.abs() < tol * scale * scale, "⟨X, R⟩ = {gap}");
    }

    /// k = 1 through the general path equals the closed form max(0, −a/b).
    #[test]
    fn the_general_solver_gives_the_closed_form_for_one_eigenvalue() {
        for (a, b) in [(-0.3, 2.0), (0.4, 1.0), (-5.0, 0.25), (0.0, 3.0)] {
            let mut x = [0.0];
            general(1, &[a], &[b], &mut x).unwrap();
            let want = scalar(a, b).unwrap();
            assert!(
                (x[0] - want).abs() < 1e-12 * (1.0 + want),
                "a = {a}, b = {b}: {} vs {want}",
                x[0]
            );
        }
        assert_eq!(
            general(1, &[-1.0], &[0.0], &mut [0.0]),
            Err(ConeFailure::Infeasible)
        );
    }

    /// Two decoupled eigenvalues (G_11 ⟂ G_22, G_12 = 0): X is diagonal with the two closed forms.
    #[test]
    fn decoupled_eigenvalues_give_two_closed_forms() {
        // G_11 = (2, 0), G_22 = (0, 1), G_12 = 0: B[X]_11 = ½·4·X_11, B[X]_22 = ½·X_22.
        let b = vec![
            2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5,
        ];
        let a = vec![-0.6, 0.0, 0.0, -0.1];
        let mut x = [0.0; 4];
        solve_sdcp(2, &a, &b, &mut x).unwrap();
        let want = [0.3, 0.0, 0.0, 0.2];
        for i in 0..4 {
            assert!((x[i] - want[i]).abs() < 1e-12, "{x:?}");
        }
    }

    /// k = 2 on random instances against a brute-force search over the cone, parametrised as
    /// X = LLᵀ with L lower triangular on a grid, refined around the best point: the solver's f is never
    /// above the search's, the search comes within 1e-4 of it (the grid, not the solver, limits this), and the answer is complementary.
    #[test]
    fn two_eigenvalues_match_brute_force_on_random_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(22);
        for case in 0..12 {
            let (a, b) = instance(2, 4, &mut rng);
            let mut x = [0.0; 4];
            solve_sdcp(2, &a, &b, &mut x).unwrap();
            assert_complementary(2, &a, &b, &x, 1e-9);
            // X = LLᵀ, L = [[l₁, 0], [l₂, l₃]] with l₁, l₃ ≥ 0: every PSD X, smoothly.
            let (mut centre, mut half) = ([2.0, 0.0, 2.0], [2.0, 2.0, 2.0]);
            let mut best = (f64::INFINITY, [0.0; 4]);
            let mut best_l = centre;
            for _ in 0..8 {
                let steps = 40;
                for i in 0..=steps {
                    for j in 0..=steps {
                        for l in 0..=steps {
                            let at = |c: f64, h: f64, s: usize| c - h + 2.0 * h * s as f64 / steps as f64;
                            let (l1, l2, l3) = (
                                at(centre[0], half[0], i).max(0.0),
                                at(centre[1], half[1], j),
                                at(centre[2], half[2], l).max(0.0),
                            );
                            let m = [l1 * l1, l1 * l2, l1 * l2, l2 * l2 + l3 * l3];
                            let f = objective(2, &a, &b, &m);
                            if f < best.0 {
                                best = (f, m);
                                best_l = [l1, l2, l3];
                            }
                        }
                    }
                }
                centre = best_l;
                half = [half[0] / 4.0, half[1] / 4.0, half[2] / 4.0];
            }
            let f_solver = objective(2, &a, &b, &x);
            assert!(
                f_solver <= best.0 + 1e-12,
                "case {case}: f = {f_solver} above brute force {}",
                best.0
            );
            // The search reaches the same optimal value (X itself can sit in a flat valley of f).
            assert!(
                best.0 - f_solver < 1e-4 * (1.0 + f_solver.abs()),
                "case {case}: f = {f_solver}, brute force {} at {:?}",
                best.0,
                best.1
            );
        }
    }

    /// k = 3 and 4 on random instances: complementary, and no random PSD matrix near the answer has a
    /// lower f (the problem is convex, so a local check is a global one).
    #[test]
    fn three_and_four_eigenvalues_are_complementary_and_locally_optimal() {
        let mut rng = ChaCha8Rng::seed_from_u64(2222);
        for k in [3, 4] {
            for _ in 0..8 {
                let (a, b) = instance(k, 12, &mut rng);
                let mut x = vec![0.0; k * k];
                solve_sdcp(k, &a, &b, &mut x).unwrap();
                assert_complementary(k, &a, &b, &x, 1e-8);
                let f0 = objective(k, &a, &b, &x);
                for _ in 0..2000 {
                    let mut y = x.clone();
                    for i in 0..k {
                        for j in i..k {
                            let v = 1e-3 * (2.0 * rng.random::<f64>() - 1.0);
                            y[i * k + j] += v;
                            if i != j {
                                y[j * k + i] += v;
                            }
                        }
                    }
                    project_psd(k, &mut y);
                    assert!(objective(k, &a, &b, &y) >= f0 - 1e-12 * (1.0 + f0.abs()));
                }
            }
        }
    }
}
