//! Matrix products over flat slices: parameters (row-major factors), workspace buffers (column-major)
//! and their transposes enter one general product without copies or allocation.
//!
//! Products go straight to `matrixmultiply` (nalgebra's own gemm backend, which picks AVX/FMA kernels at
//! run time): nalgebra 0.34 sends products with a dimension ≤ 5 to a fallback that indexes strided
//! (transposed or row-major) operands past their end, so strided views must not reach it.

use nalgebra::DMatrix;

/// A read-only rows × cols matrix inside a slice, element (i, j) at `i·rs + j·cs`.
#[derive(Debug, Clone, Copy)]
pub struct Mat<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> Mat<'a> {
    /// `data` read as a rows × cols matrix stored column by column (panics if `data` is too short).
    pub fn col_major(data: &'a [f64], rows: usize, cols: usize) -> Self {
        Mat {
            data: &data[..rows * cols],
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }

    /// A rows × cols block of a column-major matrix whose columns start `ld` elements apart (ld ≥ rows):
    /// element (i, j) at `i + j·ld`. It lets a chunk of samples (rows) be used in place, without a copy.
    /// Panics if `data` is too short or ld < rows.
    pub fn col_major_ld(data: &'a [f64], rows: usize, cols: usize, ld: usize) -> Self {
        assert!(ld >= rows, "leading dimension {ld} below {rows} rows");
        // The last element read is (rows − 1, cols − 1), at (cols − 1)·ld + rows − 1.
        let len = if rows == 0 || cols == 0 {
            0
        } else {
            (cols - 1) * ld + rows
        };
        Mat {
            data: &data[..len],
            rows,
            cols,
            rs: 1,
            cs: ld,
        }
    }

    /// `data` read as a rows × cols matrix stored row by row (panics if `data` is too short).
    pub fn row_major(data: &'a [f64], rows: usize, cols: usize) -> Self {
        Mat {
            data: &data[..rows * cols],
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// A column-major nalgebra matrix.
    pub fn of(m: &'a DMatrix<f64>) -> Self {
        Self::col_major(m.as_slice(), m.nrows(), m.ncols())
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Mat {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// Element (i, j).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.rs + j * self.cs]
    }
}

/// A writable rows × cols matrix inside a slice; its constructors only make layouts in which distinct
/// elements occupy distinct places.
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f64],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> MatMut<'a> {
    /// `data` written as a rows × cols matrix stored column by column.
    pub fn col_major(data: &'a mut [f64], rows: usize, cols: usize) -> Self {
        MatMut {
            data: &mut data[..rows * cols],
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }

    /// `data` written as a rows × cols matrix stored row by row.
    pub fn row_major(data: &'a mut [f64], rows: usize, cols: usize) -> Self {
        MatMut {
            data: &mut data[..rows * cols],
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// A column-major nalgebra matrix.
    pub fn of(m: &'a mut DMatrix<f64>) -> Self {
        let (rows, cols) = m.shape();
        Self::col_major(m.as_mut_slice(), rows, cols)
    }
}

/// c ← α·a·b + β·c (with β = 0, c is only written, so it may hold anything, even NaN).
///
/// Panics when the shapes do not chain; every slice access is within bounds by construction.
pub fn gemm(alpha: f64, a: Mat, b: Mat, beta: f64, c: MatMut) {
    assert!(
        a.cols == b.rows && c.rows == a.rows && c.cols == b.cols,
        "gemm: {}×{} · {}×{} into {}×{}",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        c.rows,
        c.cols
    );
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for j in 0..n {
            for i in 0..m {
                let e = &mut c.data[i * c.rs + j * c.cs];
                *e = if beta == 0.0 { 0.0 } else { beta * *e };
            }
        }
        return;
    }
    // SAFETY: each matrix's constructor sliced its data to exactly rows·cols elements with strides
    // (1, rows) or (cols, 1), or (`col_major_ld`) to (cols − 1)·ld + rows elements with strides (1, ld)
    // (or those swapped by `t`), so every index i·rs + j·cs with i < rows and j < cols is inside its
    // slice; c's layout maps distinct (i, j) to distinct elements, and c is a
    // unique borrow, so it aliases neither a nor b.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.data.as_mut_ptr(),
            c.rs as isize,
            c.cs as isize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_of_every_layout_and_small_shape_match_the_definition() {
        // c_ij = α Σ_l a_il b_lj + β c_ij, written out, for shapes with 1s (the cases nalgebra mishandles)
        // and for transposed and row-major operands.
        for &(m, k, n) in &[(1, 1, 1), (3, 1, 4), (1, 5, 1), (7, 2, 1), (2, 9, 3), (6, 6, 6)] {
            let av: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.7).sin()).collect();
            let bv: Vec<f64> = (0..k * n).map(|i| (i as f64 * 1.3).cos()).collect();
            let c0: Vec<f64> = (0..m * n).map(|i| i as f64 * 0.1).collect();
            for (a, b) in [
                (Mat::col_major(&av, m, k), Mat::row_major(&bv, k, n)),
                (Mat::row_major(&av, k, m).t(), Mat::col_major(&bv, n, k).t()),
            ] {
                let mut c = c0.clone();
                gemm(2.0, a, b, 0.5, MatMut::row_major(&mut c, m, n));
                for i in 0..m {
                    for j in 0..n {
                        let s: f64 = (0..k).map(|l| a.at(i, l) * b.at(l, j)).sum();
                        let want = 2.0 * s + 0.5 * c0[i * n + j];
                        assert!((c[i * n + j] - want).abs() < 1e-14, "{m}×{k}×{n} ({i},{j})");
                    }
                }
            }
        }
        // A block of rows inside a taller column-major matrix (a chunk of samples) equals its copy.
        let tall: Vec<f64> = (0..10 * 3).map(|i| (i as f64 * 0.9).sin()).collect();
        let w: Vec<f64> = (0..3 * 2).map(|i| i as f64 - 2.5).collect();
        let block: Vec<f64> = (0..3)
            .flat_map(|j| tall[j * 10 + 4..j * 10 + 9].to_vec())
            .collect();
        let (mut c1, mut c2) = (vec![0.0; 5 * 2], vec![0.0; 5 * 2]);
        let wm = Mat::row_major(&w, 3, 2);
        gemm(
            1.0,
            Mat::col_major_ld(&tall[4..], 5, 3, 10),
            wm,
            0.0,
            MatMut::col_major(&mut c1, 5, 2),
        );
        gemm(
            1.0,
            Mat::col_major(&block, 5, 3),
            wm,
            0.0,
            MatMut::col_major(&mut c2, 5, 2),
        );
        assert_eq!(c1, c2);
        // β = 0 ignores whatever c held.
        let mut c = [f64::NAN];
        gemm(
            1.0,
            Mat::col_major(&[2.0], 1, 1),
            Mat::col_major(&[3.0], 1, 1),
            0.0,
            MatMut::col_major(&mut c, 1, 1),
        );
        assert_eq!(c[0], 6.0);
    }
}
