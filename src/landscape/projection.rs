//! The plane of a projected portrait (Li et al. 2018, "Visualizing the loss landscape of neural nets").
//!
//! The plane passes through the centroid c of every method's iterates. Its directions are the top two
//! principal directions of those iterates (centred, eigenvectors of their covariance), or two named
//! directions (orthonormalised by Gram–Schmidt). A point θ lies at (a, b) = ((θ − c)·u, (θ − c)·v).

use nalgebra::{DMatrix, SymmetricEigen};

/// At most this many iterates (over all methods) enter the principal directions: evenly strided, so a
/// long run costs no more than a short one.
const MAX_PCA_ROWS: usize = 2000;

/// The plane: centre, orthonormal directions and the share of the iterates' variance along each.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// The centroid of the iterates.
    pub centre: Vec<f64>,
    /// The first direction (unit length).
    pub u: Vec<f64>,
    /// The second direction (unit length, orthogonal to `u`).
    pub v: Vec<f64>,
    /// Fraction of the iterates' total variance along `u` and along `v` (NaN when they do not spread).
    pub explained: (f64, f64),
    /// Whether the directions are principal ones (else named by the scenario).
    pub principal: bool,
}

/// The dot product of two equally long vectors.
pub(super) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(p, q)| p * q).sum()
}

fn normalise(x: &mut [f64]) -> f64 {
    let n = dot(x, x).sqrt();
    if n > 0.0 && n.is_finite() {
        x.iter_mut().for_each(|e| *e /= n);
    }
    n
}

impl Projection {
    /// The plane through `rows` (iterates of dimension `dim`): principal directions, or `named` ones.
    /// Needs `dim` ≥ 2.
    pub fn fit(rows: &[&[f64]], dim: usize, named: Option<&[Vec<f64>; 2]>) -> Result<Self, String> {
        if dim < 2 {
            return Err(format!(
                "a projected portrait needs a plane, the objective has d = {dim}; remove \"projected_portrait\" from [output] figures"
            ));
        }
        let rows: Vec<&[f64]> = rows
            .iter()
            .copied()
            .filter(|r| r.len() == dim && r.iter().all(|x| x.is_finite()))
            .collect();
        let stride = rows.len().div_ceil(MAX_PCA_ROWS).max(1);
        let rows: Vec<&[f64]> = rows.into_iter().step_by(stride).collect();
        let n = rows.len();
        let mut centre = vec![0.0; dim];
        for r in &rows {
            centre.iter_mut().zip(r.iter()).for_each(|(c, x)| *c += x);
        }
        if n > 0 {
            centre.iter_mut().for_each(|c| *c /= n as f64);
        }
        // The centred iterates, one per row of x.
        let x = DMatrix::from_fn(n, dim, |i, j| rows[i][j] - centre[j]);
        let total: f64 = x.iter().map(|e| e * e).sum();
        let variance_along = |w: &[f64]| {
            let p = &x * nalgebra::DVector::from_column_slice(w);
            p.iter().map(|e| e * e).sum::<f64>() / total
        };
        let (u, v, principal) = match named {
            Some([a, b]) => {
                let mut u = a.clone();
                normalise(&mut u);
                let mut v = b.clone();
                let along = dot(&v, &u);
                v.iter_mut().zip(&u).for_each(|(e, ue)| *e -= along * ue);
                normalise(&mut v);
                (u, v, false)
            }
            None => {
                let (mut u, mut v) = top_two(&x, dim);
                // Orient each axis along the runs' overall travel (first iterate → centroid of the last
                // ones), so the picture does not flip between eigen solvers.
                if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
                    let travel: Vec<f64> = last.iter().zip(first.iter()).map(|(l, f)| l - f).collect();
                    for w in [&mut u, &mut v] {
                        if dot(w, &travel) < 0.0 {
                            w.iter_mut().for_each(|e| *e = -*e);
                        }
                    }
                }
                (u, v, true)
            }
        };
        let explained = if total > 0.0 && total.is_finite() {
            (variance_along(&u), variance_along(&v))
        } else {
            (f64::NAN, f64::NAN)
        };
        Ok(Projection {
            centre,
            u,
            v,
            explained,
            principal,
        })
    }

    /// The plane coordinates of θ.
    pub fn coordinates(&self, theta: &[f64]) -> (f64, f64) {
        let (mut a, mut b) = (0.0, 0.0);
        for ((t, c), (u, v)) in theta.iter().zip(&self.centre).zip(self.u.iter().zip(&self.v)) {
            a += (t - c) * u;
            b += (t - c) * v;
        }
        (a, b)
    }

    /// The distance of θ from the plane.
    pub fn off_plane(&self, theta: &[f64]) -> f64 {
        let (a, b) = self.coordinates(theta);
        theta
            .iter()
            .zip(&self.centre)
            .zip(self.u.iter().zip(&self.v))
            .map(|((t, c), (u, v))| t - c - a * u - b * v)
            .map(|r| r * r)
            .sum::<f64>()
            .sqrt()
    }
}

/// The top two principal directions of the centred rows of `x` (n × dim). Uses the dim × dim covariance
/// when dim ≤ n, else the n × n Gram matrix (same non-zero spectrum, cheaper for wide networks). Falls
/// back to coordinate axes when the rows do not spread in two directions.
fn top_two(x: &DMatrix<f64>, dim: usize) -> (Vec<f64>, Vec<f64>) {
    let axis = |k: usize| {
        let mut e = vec![0.0; dim];
        e[k] = 1.0;
        e
    };
    let n = x.nrows();
    let mut dirs: Vec<Vec<f64>> = Vec::with_capacity(2);
    if n >= 2 {
        let (eig, gram) = if dim <= n {
            (SymmetricEigen::new(x.transpose() * x), false)
        } else {
            (SymmetricEigen::new(x * x.transpose()), true)
        };
        let mut order: Vec<usize> = (0..eig.eigenvalues.len()).collect();
        order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
        let top = eig.eigenvalues[order[0]].max(0.0);
        for &k in order.iter().take(2) {
            if !(eig.eigenvalues[k] > 1e-12 * top && top > 0.0) {
                break;
            }
            let w = eig.eigenvectors.column(k);
            let mut d: Vec<f64> = if gram {
                // A Gram eigenvector w maps to the covariance eigenvector xᵀw.
                (x.transpose() * w).iter().copied().collect()
            } else {
                w.iter().copied().collect()
            };
            if normalise(&mut d) > 0.0 && d.iter().all(|e| e.is_finite()) {
                dirs.push(d);
            }
        }
    }
    // Complete with the coordinate axis least aligned with what is there (Gram–Schmidt).
    while dirs.len() < 2 {
        let best = (0..dim)
            .map(|k| {
                let mut e = axis(k);
                for d in &dirs {
                    let along = d[k];
                    e.iter_mut().zip(d).for_each(|(x, y)| *x -= along * y);
                }
                e
            })
            .max_by(|a, b| dot(a, a).total_cmp(&dot(b, b)))
            .unwrap_or_else(|| axis(0));
        let mut e = best;
        normalise(&mut e);
        dirs.push(e);
    }
    let v = dirs.pop().unwrap_or_else(|| axis(1));
    let u = dirs.pop().unwrap_or_else(|| axis(0));
    (u, v)
}
