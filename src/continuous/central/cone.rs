//! The semidefinite complementarity problem of the central flow (Cohen et al. 2025, §3), SDCP(A, B):
//! find X ⪰ 0 with R = A + B[X] ⪰ 0 and ⟨X, R⟩ = 0, for a symmetric k×k matrix A and a positive
//! semidefinite operator B on symmetric k×k matrices. With B ⪰ 0 it is the optimality condition of the
//! convex problem min_{X ⪰ 0} ½⟨X, B[X]⟩ + ⟨A, X⟩.
//!
//! For k = 1 it is the closed form X = max(0, −A/B).

/// Why the complementarity problem has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConeFailure {
    /// B vanishes on a direction where A is negative: nothing can hold the critical block at 2/η
    /// (for k = 1: ∇S = 0 while S is past the edge).
    Infeasible,
    /// A or B holds a non-finite number.
    NonFinite,
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
        _ => Err(ConeFailure::Infeasible),
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
