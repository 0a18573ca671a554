//! Matrix products over flat slices: parameters (row-major factors), workspace buffers (column-major)
//! and their transposes enter one general product without copies or allocation.
//!
//! On x86-64 CPUs with AVX2 and FMA, the two layouts of the mlp's products go to the kernels in
//! [`avx2`], which do not pack B (for the mlp's small factors, matrixmultiply's packing of both
//! operands cost about a third of its time): a with unit row stride into a c with unit row stride (the
//! forward pass, X·Wᵀ, and backpropagation, Δ·W), and a with unit column stride times b with unit row
//! stride (the weight gradient, Δᵀ·X). Other layouts, other CPUs and large products go to
//! `matrixmultiply` (nalgebra's own gemm backend, which picks AVX/FMA kernels at run time) rather than
//! to nalgebra: nalgebra 0.34 sends products with a dimension ≤ 5 to a fallback that indexes strided
//! (transposed or row-major) operands past their end, so strided views must not reach it.
//!
//! Every matrix keeps one invariant, which its constructors establish and `t` preserves: element (i, j)
//! at i·rs + j·cs is inside its slice for all i < rows and j < cols. The unsafe code relies on it.

#[cfg(target_arch = "x86_64")]
mod avx2;

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

/// The most multiply-adds (m·k·n) of a product sent to [`avx2::unit_rows`], 512 × 128 × 128 (a chunk
/// of the mlp through two layers of 128): as the operands outgrow the caches, matrixmultiply's packed,
/// cache-blocked kernels catch up (measured: the kernel 9% faster at 200³, 5% at 240³, 8% slower at 256³).
#[cfg(target_arch = "x86_64")]
const UNIT_ROWS_MAX_WORK: usize = 1 << 23;

/// The most multiply-adds of a product sent to [`avx2::dot`], which reads B once per 3 rows of C: as B
/// nears the size of L2, matrixmultiply catches up (measured: the kernel 15% faster at 160³ and 16%
/// at 50 × 2000 × 50, 4% slower at 200³).
#[cfg(target_arch = "x86_64")]
const DOT_MAX_WORK: usize = 6_000_000;

/// Which routine computes a product.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// [`avx2::unit_rows`].
    UnitRows,
    /// [`avx2::dot`].
    Dot,
    /// `matrixmultiply::dgemm`.
    Matrixmultiply,
}

/// The routine for a product on a CPU with AVX2 and FMA, chosen by the layout and the size alone (so
/// equal shapes and strides always take the same routine and round the same way).
#[cfg(target_arch = "x86_64")]
fn route(a: &Mat, b: &Mat, c: &MatMut) -> Route {
    let work = a.rows.saturating_mul(a.cols).saturating_mul(b.cols);
    // unit_rows copies blocks of A only up to k = PANEL_K, and longer blocks read in place may thrash L1.
    if a.rs == 1 && c.rs == 1 && a.cols <= avx2::PANEL_K && work <= UNIT_ROWS_MAX_WORK {
        Route::UnitRows
    } else if a.cs == 1 && b.rs == 1 && work <= DOT_MAX_WORK {
        Route::Dot
    } else {
        Route::Matrixmultiply
    }
}

/// One of the AVX2 + FMA kernels (for code that mirrors their arithmetic, as the network lanes do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FmaRoute {
    /// [`avx2::unit_rows`]: one fused chain per entry.
    UnitRows,
    /// [`avx2::dot`]: four chains per entry, added pairwise.
    Dot,
}

/// Whether [`gemm`] uses its AVX2 + FMA kernels on this CPU.
pub(crate) fn fma_kernels_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        avx2::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The kernel [`gemm`] runs for operands of these shapes and strides, or `None` when it runs
/// matrixmultiply (or the CPU lacks AVX2 and FMA). The choice depends on shapes and strides alone.
pub(crate) fn fma_route(a: &Mat, b: &Mat, c: &MatMut) -> Option<FmaRoute> {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() && a.rows > 0 && a.cols > 0 && b.cols > 0 {
        return match route(a, b, c) {
            Route::UnitRows => Some(FmaRoute::UnitRows),
            Route::Dot => Some(FmaRoute::Dot),
            Route::Matrixmultiply => None,
        };
    }
    let _ = (a, b, c);
    None
}

/// c ← α·a·b + β·c (with β = 0, c is only written, so it may hold anything, even NaN).
///
/// The result does not depend on the threads or on where the slices start in memory; it may differ in
/// the last bits between CPUs with and without AVX2 and FMA, whose products sum in different orders.
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
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        match route(&a, &b, &c) {
            Route::UnitRows => {
                // SAFETY: the CPU has AVX2 and FMA, `route` checked a.rs = c.rs = 1, the shapes chain
                // (asserted above) with m, n, k ≥ 1, and the matrices keep their invariant.
                unsafe { avx2::unit_rows(alpha, a, b, beta, c) };
                return;
            }
            Route::Dot => {
                // SAFETY: as above, with a.cs = b.rs = 1 checked by `route`.
                unsafe { avx2::dot(alpha, a, b, beta, c) };
                return;
            }
            Route::Matrixmultiply => {}
        }
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

    /// How a test stores a rows × cols factor: the four stride patterns the constructors make.
    #[derive(Debug, Clone, Copy)]
    enum Layout {
        /// `col_major`: strides (1, rows).
        Col,
        /// `col_major_ld` with ld = rows + 3, starting 2 elements into its buffer: strides (1, ld).
        ColLd,
        /// `row_major`: strides (cols, 1).
        Row,
        /// The transpose of a `col_major_ld` block (ld = cols + 3, 2 elements in): strides (ld, 1).
        RowLd,
    }

    const LAYOUTS: [Layout; 4] = [Layout::Col, Layout::ColLd, Layout::Row, Layout::RowLd];

    /// A buffer holding f(i, j) at element (i, j) of a rows × cols matrix in `layout`, after `skip`
    /// leading elements (NaN, as is every gap between columns, so a read outside the matrix shows).
    fn store(
        layout: Layout,
        rows: usize,
        cols: usize,
        skip: usize,
        f: impl Fn(usize, usize) -> f64,
    ) -> Vec<f64> {
        let (rs, cs, len) = match layout {
            Layout::Col => (1, rows, rows * cols),
            Layout::Row => (cols, 1, rows * cols),
            Layout::ColLd => (1, rows + 3, 2 + (rows + 3) * cols),
            Layout::RowLd => (cols + 3, 1, 2 + (cols + 3) * rows),
        };
        let start = skip
            + if matches!(layout, Layout::ColLd | Layout::RowLd) {
                2
            } else {
                0
            };
        let mut v = vec![f64::NAN; skip + len];
        for i in 0..rows {
            for j in 0..cols {
                v[start + i * rs + j * cs] = f(i, j);
            }
        }
        v
    }

    /// The rows × cols matrix that [`store`] wrote into `v`.
    fn view(v: &[f64], layout: Layout, rows: usize, cols: usize, skip: usize) -> Mat<'_> {
        let v = &v[skip..];
        match layout {
            Layout::Col => Mat::col_major(v, rows, cols),
            Layout::Row => Mat::row_major(v, rows, cols),
            Layout::ColLd => Mat::col_major_ld(&v[2..], rows, cols, rows + 3),
            Layout::RowLd => Mat::col_major_ld(&v[2..], cols, rows, cols + 3).t(),
        }
    }

    /// Entries of mixed sign and size, different for each matrix (`seed`), with exact zeros among them.
    fn entry(seed: f64, i: usize, j: usize) -> f64 {
        let x = ((i * 31 + j * 17) as f64 * seed).sin();
        if (i + 2 * j) % 11 == 5 {
            0.0
        } else {
            x * (1.0 + (j % 3) as f64)
        }
    }

    /// Checks gemm(α, a, b, β, c) for an m × k by k × n product in the given layouts against the sum
    /// written out, relative to the size of its terms; with β = 0, c starts as NaN.
    #[allow(clippy::too_many_arguments)]
    fn check(m: usize, k: usize, n: usize, la: Layout, lb: Layout, c_rows: bool, alpha: f64, beta: f64) {
        let av = store(la, m, k, 0, |i, j| entry(0.7, i, j));
        let bv = store(lb, k, n, 0, |i, j| entry(1.3, i, j));
        let (a, b) = (view(&av, la, m, k, 0), view(&bv, lb, k, n, 0));
        let c0 = |i: usize, j: usize| if beta == 0.0 { f64::NAN } else { entry(0.3, i, j) };
        let at = |i: usize, j: usize| if c_rows { i * n + j } else { i + j * m };
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[at(i, j)] = c0(i, j);
            }
        }
        let cm = if c_rows {
            MatMut::row_major(&mut c, m, n)
        } else {
            MatMut::col_major(&mut c, m, n)
        };
        gemm(alpha, a, b, beta, cm);
        for i in 0..m {
            for j in 0..n {
                let (mut sum, mut size) = (0.0, 0.0);
                for l in 0..k {
                    sum += a.at(i, l) * b.at(l, j);
                    size += (a.at(i, l) * b.at(l, j)).abs();
                }
                let (mut want, mut scale) = (alpha * sum, (alpha * size).abs());
                if beta != 0.0 {
                    want += beta * c0(i, j);
                    scale += (beta * c0(i, j)).abs();
                }
                let got = c[at(i, j)];
                assert!(
                    (got - want).abs() <= 1e-13 * scale,
                    "{m}×{k}×{n} {la:?}·{lb:?} (c rows {c_rows}) α {alpha} β {beta} at ({i}, {j}): \
                     {got:e} vs {want:e}"
                );
            }
        }
    }

    #[test]
    fn every_small_shape_and_layout_matches_the_sum_written_out() {
        // m, n and k from 1 to 20 cover every remainder of the kernels' tiles (8 × 6 rows × columns, 3 × 4
        // dot products, steps of 4 along k) alone and together, in every layout of a, b and c (the
        // kernels' and matrixmultiply's); α ≠ 1, and β cycles through 0 (c NaN), 0.5 and 1.
        let mut case = 0;
        for m in 1..=20 {
            for k in 1..=20 {
                for n in 1..=20 {
                    for la in LAYOUTS {
                        for lb in LAYOUTS {
                            for c_rows in [false, true] {
                                let beta = [0.0, 0.5, 1.0][case % 3];
                                let alpha = if case % 2 == 0 { -1.5 } else { 0.75 };
                                check(m, k, n, la, lb, c_rows, alpha, beta);
                                case += 1;
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_mlp_shapes_and_larger_ones_match_the_sum_written_out() {
        // The mlp's forward product (512 samples, 20 inputs, 50 units), its weight gradient (reduction
        // over 512 samples), a long thin product, and one just under the kernels' size limit.
        for (m, k, n) in [
            (512, 20, 50),
            (50, 512, 20),
            (37, 300, 3),
            (3, 300, 37),
            (160, 160, 160),
        ] {
            for (la, lb) in [
                (Layout::ColLd, Layout::RowLd),
                (Layout::Col, Layout::Row),
                (Layout::RowLd, Layout::ColLd),
                (Layout::Row, Layout::Col),
            ] {
                for (i, beta) in [0.0, 0.5, 1.0].into_iter().enumerate() {
                    check(m, k, n, la, lb, i % 2 == 1, 0.25, beta);
                    check(m, k, n, la, lb, false, -2.0, beta);
                }
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_where_the_slices_start() {
        // The same numbers one element further into their buffers (another alignment) give the same
        // bits, in the layouts of both kernels and with tails in every dimension.
        for (m, k, n) in [(37, 300, 3), (13, 27, 11), (50, 513, 21), (9, 5, 7)] {
            for (la, lb, c_rows) in [
                (Layout::Col, Layout::Row, false),
                (Layout::ColLd, Layout::Col, false),
                (Layout::RowLd, Layout::ColLd, true),
                (Layout::Row, Layout::Col, false),
            ] {
                let runs: Vec<Vec<f64>> = [0, 1]
                    .into_iter()
                    .map(|skip| {
                        let av = store(la, m, k, skip, |i, j| entry(0.7, i, j));
                        let bv = store(lb, k, n, skip, |i, j| entry(1.3, i, j));
                        let mut cv = vec![f64::NAN; skip];
                        cv.extend((0..m * n).map(|i| i as f64 * 0.01));
                        let c = if c_rows {
                            MatMut::row_major(&mut cv[skip..], m, n)
                        } else {
                            MatMut::col_major(&mut cv[skip..], m, n)
                        };
                        let (a, b) = (view(&av, la, m, k, skip), view(&bv, lb, k, n, skip));
                        gemm(0.3, a, b, 0.5, c);
                        cv[skip..].to_vec()
                    })
                    .collect();
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&runs[0]), bits(&runs[1]), "{m}×{k}×{n} {la:?}·{lb:?}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_mlp_layouts_reach_the_kernels_and_others_matrixmultiply() {
        let (x, w, d) = (vec![0.0; 1000 * 20], vec![0.0; 50 * 20], vec![0.0; 512 * 50]);
        let (mut z, mut g) = (vec![0.0; 512 * 50], vec![0.0; 50 * 20]);
        let xs = Mat::col_major_ld(&x, 512, 20, 1000);
        let wl = Mat::row_major(&w, 50, 20);
        let delta = Mat::col_major(&d, 512, 50);
        // Forward X·Wᵀ, backpropagation Δ·W (here W is 50 × 20 as if it were the next layer's) and the
        // weight gradient Δᵀ·X.
        let zc = MatMut::col_major(&mut z, 512, 50);
        assert_eq!(route(&xs, &wl.t(), &zc), Route::UnitRows);
        let below = MatMut::col_major(&mut z[..512 * 20], 512, 20);
        assert_eq!(route(&delta, &wl, &below), Route::UnitRows);
        let gw = MatMut::row_major(&mut g, 50, 20);
        assert_eq!(route(&delta.t(), &xs, &gw), Route::Dot);
        // Row-major a into row-major c; a reduction longer than a panel; products past the size limits.
        let (a, b) = (Mat::row_major(&d, 50, 512), Mat::row_major(&x, 512, 20));
        assert_eq!(route(&a, &b, &gw), Route::Matrixmultiply);
        let long = Mat::col_major(&d, 50, 300);
        let below = MatMut::col_major(&mut z[..50 * 20], 50, 20);
        assert_eq!(
            route(&long, &Mat::col_major(&x, 300, 20), &below),
            Route::Matrixmultiply
        );
        let big = vec![0.0; 320 * 320];
        let (sq, mut c) = (Mat::col_major(&big, 256, 256), vec![0.0; 320 * 320]);
        let cm = MatMut::col_major(&mut c[..256 * 256], 256, 256);
        assert_eq!(route(&sq, &sq, &cm), Route::Matrixmultiply);
        assert_eq!(route(&sq.t(), &sq, &cm), Route::Matrixmultiply);
        // A chunk of 512 samples through two layers of 128 units is the largest sent to unit_rows.
        let (a, b) = (Mat::col_major(&big, 512, 128), Mat::col_major(&big, 128, 128));
        let cm = MatMut::col_major(&mut c[..512 * 128], 512, 128);
        assert_eq!(route(&a, &b, &cm), Route::UnitRows);
        let b = Mat::col_major(&big, 128, 129);
        let cm = MatMut::col_major(&mut c[..512 * 129], 512, 129);
        assert_eq!(route(&a, &b, &cm), Route::Matrixmultiply);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_kernels_match_the_sum_written_out_beyond_the_shapes_routed_to_them() {
        // Reductions longer than a panel (read in place) and products past the size limits, called
        // directly.
        if !avx2::available() {
            return;
        }
        for (m, k, n) in [(37, 300, 5), (21, 257, 3), (9, 700, 1), (3, 260, 2)] {
            let av = store(Layout::ColLd, m, k, 0, |i, j| entry(0.7, i, j));
            let bv = store(Layout::Row, k, n, 0, |i, j| entry(1.3, i, j));
            let (a, b) = (view(&av, Layout::ColLd, m, k, 0), view(&bv, Layout::Row, k, n, 0));
            let mut c = vec![f64::NAN; m * n];
            // SAFETY: this CPU has AVX2 and FMA; a and c have unit row stride; the shapes chain.
            unsafe { avx2::unit_rows(-0.5, a, b, 0.0, MatMut::col_major(&mut c, m, n)) };
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = -0.5 * (0..k).map(|l| a.at(i, l) * b.at(l, j)).sum::<f64>();
                    let size: f64 = (0..k).map(|l| (a.at(i, l) * b.at(l, j)).abs()).sum();
                    assert!(
                        (c[i + j * m] - want).abs() <= 1e-13 * size,
                        "{m}×{k}×{n} ({i}, {j})"
                    );
                }
            }
        }
    }
}
