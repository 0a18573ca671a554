//! AVX2 + FMA kernels for the two layouts of the mlp's products. [`super::gemm`] checks the CPU and
//! the layout before calling them.
//!
//! Neither packs B, and only the unit-rows kernel copies A (a block of at most 20 rows at a time, when
//! its tiles reuse it): the mlp's factors are small (tens of columns, a few hundred rows), and
//! matrixmultiply's packing of both operands cost about a third of its time on them.
//!
//! Each output is fma(α, s, β·c), as in matrixmultiply's epilogue (with β = 0: fma(α, s, 0), and c is
//! not read), where s is summed from zeroed accumulators in an order fixed by the shape alone: never by
//! the threads or by where the slices start in memory, so equal inputs give equal bits.

use super::{Mat, MatMut};
use core::arch::x86_64::*;

/// f64 lanes of a ymm register.
const LANES: usize = 4;
/// Vectors (of 4 rows) in a unit-rows tile. Tall and narrow: 5 × 2 = 10 accumulators, 5 A vectors and
/// a broadcast fill 16 ymm registers; measured, wider tiles (2 × 6, 1 × 12) lose, as every broadcast
/// of B competes with the FMAs, and 6 × 2 spills.
const UNIT_V: usize = 5;
/// Columns of a unit-rows tile.
const UNIT_NR: usize = 2;
/// Vectors in a matrix-vector tile (n = 1): 8 accumulators keep both FMA units busy through their
/// latency, and 32 rows span several cache lines of each column of A.
const VECTOR_V: usize = 8;
/// The most vectors of any unit-rows tile.
const MAX_V: usize = 8;
/// Rows of the panel: those of a unit-rows tile.
const PANEL_ROWS: usize = UNIT_V * LANES;
/// The longest reduction copied into a panel (20 rows × 256 = 40 KiB of stack); longer ones read A
/// in place.
pub(super) const PANEL_K: usize = 256;
/// Rows of a dot tile (rows of A, each read once per tile and held in a register per step of 4).
const DOT_MR: usize = 3;
/// Columns of a dot tile: 3 × 4 = 12 accumulators, 12 FMAs per 7 loads.
const DOT_NR: usize = 4;

/// Whether this CPU runs the kernels (std caches the detection, so this is a load and a test).
pub(super) fn available() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// Lane masks for the first `n` elements of `V` consecutive vectors (all lanes from n ≥ 4·V on).
#[target_feature(enable = "avx2,fma")]
fn lane_masks<const V: usize>(n: usize) -> [__m256i; V] {
    let lane = _mm256_setr_epi64x(0, 1, 2, 3);
    let mut masks = [_mm256_setzero_si256(); V];
    for (v, mask) in masks.iter_mut().enumerate() {
        // n − 4v lanes of vector v are wanted; lane index < that count, signed so that it may go negative.
        let wanted = n as i64 - (v * LANES) as i64;
        *mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(wanted), lane);
    }
    masks
}

/// The sum of the four lanes, as (v0 + v2) + (v1 + v3).
#[target_feature(enable = "avx2,fma")]
fn lane_sum(v: __m256d) -> f64 {
    let pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
    _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)))
}

/// The operands of a product as raw parts, read by the tiles.
struct Operands {
    alpha: f64,
    beta: f64,
    k: usize,
    a: *const f64,
    a_rs: usize,
    a_cs: usize,
    b: *const f64,
    b_rs: usize,
    b_cs: usize,
    c: *mut f64,
    c_rs: usize,
    c_cs: usize,
}

impl Operands {
    /// Raw parts of a, b and c (which the caller has checked to chain).
    fn new(alpha: f64, a: &Mat, b: &Mat, beta: f64, c: &mut MatMut) -> Self {
        Operands {
            alpha,
            beta,
            k: a.cols,
            a: a.data.as_ptr(),
            a_rs: a.rs,
            a_cs: a.cs,
            b: b.data.as_ptr(),
            b_rs: b.rs,
            b_cs: b.cs,
            c: c.data.as_mut_ptr(),
            c_rs: c.rs,
            c_cs: c.cs,
        }
    }
}

/// c ← α·a·b + β·c for an a and a c with unit row stride (b any strides): C is computed in tiles of
/// 20 rows × 2 columns, each by k rank-1 updates of five contiguous vectors of A's column l times
/// broadcasts of B's row l; a single column (a matrix-vector product) in tiles of 32 rows.
///
/// When the tiles of a block of rows reuse its rows of A (n > 2) and k ≤ [`PANEL_K`], the block is first
/// copied into a contiguous panel on the stack: read in place, a block whose columns lie a multiple of
/// 4 KiB apart (a 512-sample chunk of a hidden layer's activations) maps all its columns onto the same
/// few L1 sets, and every tile fetched them again from L2 (two to three times slower). The copy changes no
/// arithmetic.
///
/// # Safety
/// The CPU has AVX2 and FMA; a.rs == c.rs == 1; the shapes chain with m, k, n ≥ 1; each matrix keeps its
/// invariant (element (i, j) at i·rs + j·cs inside its slice for all i < rows, j < cols).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn unit_rows(alpha: f64, a: Mat, b: Mat, beta: f64, mut c: MatMut) {
    debug_assert!(a.rs == 1 && c.rs == 1 && a.cols == b.rows && a.rows == c.rows && b.cols == c.cols);
    let (m, n) = (c.rows, c.cols);
    let ops = Operands::new(alpha, &a, &b, beta, &mut c);
    // SAFETY: passed on from the caller.
    unsafe {
        if n == 1 {
            unit_sweep::<VECTOR_V, 1>(&ops, m, n, false);
        } else {
            unit_sweep::<UNIT_V, UNIT_NR>(&ops, m, n, n > UNIT_NR);
        }
    }
}

/// Computes C in tiles of up to 4·V rows × NR columns, row block by row block, with the block's rows
/// of A copied into a panel first if `pack` and the block fits the panel.
///
/// # Safety
/// [`unit_rows`]'s conditions, m × n the shape of C, and V ≤ [`MAX_V`].
#[target_feature(enable = "avx2,fma")]
unsafe fn unit_sweep<const V: usize, const NR: usize>(ops: &Operands, m: usize, n: usize, pack: bool) {
    debug_assert!(V <= MAX_V);
    // The panel holds PANEL_ROWS × PANEL_K elements: a block that does not fit is read in place.
    let pack = pack && V * LANES <= PANEL_ROWS && ops.k <= PANEL_K;
    // Uninitialised: a block writes every element of the panel that its tiles read (see `pack_rows`),
    // and zeroing 40 KiB per product would cost more than the copies.
    let mut panel = [core::mem::MaybeUninit::<f64>::uninit(); PANEL_ROWS * PANEL_K];
    for i in (0..m).step_by(V * LANES) {
        let rows = (m - i).min(V * LANES);
        let block = if pack {
            // SAFETY: rows i..i + rows ≤ 4V of A exist (i + rows ≤ m), and 4V ≤ PANEL_ROWS and k ≤ PANEL_K
            // make the panel long enough for 4V·k elements.
            unsafe { pack_rows::<V>(ops, i, rows, panel.as_mut_ptr().cast()) };
            Block {
                a: panel.as_ptr().cast(),
                a_cs: V * LANES,
            }
        } else {
            Block {
                // SAFETY: row i < m of column 0 is an element of A.
                a: unsafe { ops.a.add(i) },
                a_cs: ops.a_cs,
            }
        };
        let (vectors, masked) = (rows.div_ceil(LANES), rows % LANES != 0);
        for j in (0..n).step_by(NR) {
            // SAFETY: the block holds rows i..i + rows of A (in place or copied), columns j..j + cols of
            // C exist, and vectors ≤ V ≤ MAX_V covers the rows with `masked` as the tile wants.
            unsafe {
                if n - j >= NR {
                    unit_rows_tile::<NR>(ops, &block, i, j, rows, vectors, masked);
                } else {
                    // Only NR = 2 has a narrower tail (NR = 1 divides every n).
                    unit_rows_tile::<1>(ops, &block, i, j, rows, vectors, masked);
                }
            }
        }
    }
}

/// Rows i.. of A as the tiles read them: element (i + r, l) at `a + r + l·a_cs`.
struct Block {
    a: *const f64,
    a_cs: usize,
}

/// Copies rows i..i + rows of A, all k columns, into `panel` (column l at l·4V), in whole vectors:
/// the lanes of the last vector past `rows` are written as 0.
///
/// # Safety
/// [`unit_rows`]'s conditions, 1 ≤ rows ≤ 4V rows from i inside A, k ≤ [`PANEL_K`], and `panel` valid
/// for 4V·k writes.
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_rows<const V: usize>(ops: &Operands, i: usize, rows: usize, panel: *mut f64) {
    let masks = lane_masks::<V>(rows);
    let vectors = rows.div_ceil(LANES);
    // SAFETY: vector v < vectors starts at row i + 4v < i + rows, an element of A's column l (unit row
    // stride); maskload reads only its lanes at rows < i + rows. The writes stay below 4V·k.
    unsafe {
        for l in 0..ops.k {
            let src = ops.a.add(i + l * ops.a_cs);
            let dst = panel.add(l * V * LANES);
            for (v, &mask) in masks.iter().enumerate().take(vectors) {
                _mm256_storeu_pd(dst.add(v * LANES), _mm256_maskload_pd(src.add(v * LANES), mask));
            }
        }
    }
}

/// The tile at (i, j) of `rows` rows in `vectors` vectors (masked: the last one partly) and NR columns,
/// with the vector count made a constant.
///
/// # Safety
/// As [`unit_tile`], with 1 ≤ vectors ≤ [`MAX_V`], rows in 4·(vectors − 1) + 1 ..= 4·vectors, and
/// `masked` exactly when 4 does not divide rows.
#[target_feature(enable = "avx2,fma")]
unsafe fn unit_rows_tile<const NR: usize>(
    ops: &Operands,
    block: &Block,
    i: usize,
    j: usize,
    rows: usize,
    vectors: usize,
    masked: bool,
) {
    // SAFETY: passed on from the caller.
    unsafe {
        match (vectors, masked) {
            (1, false) => unit_tile::<1, NR, false>(ops, block, i, j, rows),
            (1, true) => unit_tile::<1, NR, true>(ops, block, i, j, rows),
            (2, false) => unit_tile::<2, NR, false>(ops, block, i, j, rows),
            (2, true) => unit_tile::<2, NR, true>(ops, block, i, j, rows),
            (3, false) => unit_tile::<3, NR, false>(ops, block, i, j, rows),
            (3, true) => unit_tile::<3, NR, true>(ops, block, i, j, rows),
            (4, false) => unit_tile::<4, NR, false>(ops, block, i, j, rows),
            (4, true) => unit_tile::<4, NR, true>(ops, block, i, j, rows),
            (5, false) => unit_tile::<5, NR, false>(ops, block, i, j, rows),
            (5, true) => unit_tile::<5, NR, true>(ops, block, i, j, rows),
            (6, false) => unit_tile::<6, NR, false>(ops, block, i, j, rows),
            (6, true) => unit_tile::<6, NR, true>(ops, block, i, j, rows),
            (7, false) => unit_tile::<7, NR, false>(ops, block, i, j, rows),
            (7, true) => unit_tile::<7, NR, true>(ops, block, i, j, rows),
            (8, false) => unit_tile::<8, NR, false>(ops, block, i, j, rows),
            _ => unit_tile::<8, NR, true>(ops, block, i, j, rows),
        }
    }
}

/// C[i..i + rows, j..j + NR] ← α·A[i..i + rows, ..]·B[.., j..j + NR] + β·C[..], with A's rows read
/// from `block` and held in V vectors: all 4·V rows (MASKED false), or 4·(V − 1) < rows < 4·V (MASKED
/// true: masked loads and stores, so the lanes past the last row are neither read nor written).
///
/// # Safety
/// [`unit_rows`]'s conditions; `block` holds rows i..i + rows of A for all k columns; rows i..i + rows
/// and columns j..j + NR lie inside C.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn unit_tile<const V: usize, const NR: usize, const MASKED: bool>(
    ops: &Operands,
    block: &Block,
    i: usize,
    j: usize,
    rows: usize,
) {
    let mask = lane_masks::<V>(rows);
    let mut acc = [[_mm256_setzero_pd(); V]; NR];
    // SAFETY: the block's rows and C's rows i..i + rows are contiguous (unit row stride, or the panel).
    // Vector v starts at row 4v < rows (since 4·(V − 1) < rows), so every pointer formed points at an
    // element; with MASKED the lanes at rows ≥ rows are masked off, so maskload and maskstore touch
    // only the tile's rows; without it, rows = 4·V and all lanes are the tile's. B's reads are elements
    // (l, j + s) with l < k and s < NR, inside B.
    unsafe {
        let b = ops.b.add(j * ops.b_cs);
        for l in 0..ops.k {
            let col = block.a.add(l * block.a_cs);
            let mut av = [_mm256_setzero_pd(); V];
            for (v, x) in av.iter_mut().enumerate() {
                *x = if MASKED {
                    _mm256_maskload_pd(col.add(v * LANES), mask[v])
                } else {
                    _mm256_loadu_pd(col.add(v * LANES))
                };
            }
            let row = b.add(l * ops.b_rs);
            for (s, acc) in acc.iter_mut().enumerate() {
                let bv = _mm256_set1_pd(*row.add(s * ops.b_cs));
                for (acc, &x) in acc.iter_mut().zip(&av) {
                    *acc = _mm256_fmadd_pd(x, bv, *acc);
                }
            }
        }
        let alpha = _mm256_set1_pd(ops.alpha);
        let beta = _mm256_set1_pd(ops.beta);
        for (s, acc) in acc.iter().enumerate() {
            let col = ops.c.add(i + (j + s) * ops.c_cs);
            for (v, &acc) in acc.iter().enumerate() {
                let p = col.add(v * LANES);
                // β = 0 must not read C (it may hold NaN).
                let old = if ops.beta == 0.0 {
                    _mm256_setzero_pd()
                } else if MASKED {
                    _mm256_mul_pd(beta, _mm256_maskload_pd(p, mask[v]))
                } else {
                    _mm256_mul_pd(beta, _mm256_loadu_pd(p))
                };
                let out = _mm256_fmadd_pd(alpha, acc, old);
                if MASKED {
                    _mm256_maskstore_pd(p, mask[v], out);
                } else {
                    _mm256_storeu_pd(p, out);
                }
            }
        }
    }
}

/// c ← α·a·b + β·c for an a with unit column stride and a b with unit row stride (c any strides), so
/// that both factors run contiguously along the reduction: each output is a dot product, computed in
/// tiles of 3 × 4 outputs with 4 partial sums each (l mod 4), which are added at the end.
///
/// # Safety
/// The CPU has AVX2 and FMA; a.cs == b.rs == 1; the shapes chain with m, k, n ≥ 1; each matrix keeps its
/// invariant (element (i, j) at i·rs + j·cs inside its slice for all i < rows, j < cols).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn dot(alpha: f64, a: Mat, b: Mat, beta: f64, mut c: MatMut) {
    debug_assert!(a.cs == 1 && b.rs == 1 && a.cols == b.rows && a.rows == c.rows && b.cols == c.cols);
    let (m, n) = (c.rows, c.cols);
    let ops = Operands::new(alpha, &a, &b, beta, &mut c);
    for i in (0..m).step_by(DOT_MR) {
        let rows = (m - i).min(DOT_MR);
        for j in (0..n).step_by(DOT_NR) {
            let cols = (n - j).min(DOT_NR);
            // SAFETY: rows ≥ 1 rows from i and cols ≥ 1 columns from j lie inside C, as the tile wants.
            unsafe {
                match (rows, cols) {
                    (3, 4) => dot_tile::<3, 4>(&ops, i, j),
                    (3, 3) => dot_tile::<3, 3>(&ops, i, j),
                    (3, 2) => dot_tile::<3, 2>(&ops, i, j),
                    (3, _) => dot_tile::<3, 1>(&ops, i, j),
                    (2, 4) => dot_tile::<2, 4>(&ops, i, j),
                    (2, 3) => dot_tile::<2, 3>(&ops, i, j),
                    (2, 2) => dot_tile::<2, 2>(&ops, i, j),
                    (2, _) => dot_tile::<2, 1>(&ops, i, j),
                    (_, 4) => dot_tile::<1, 4>(&ops, i, j),
                    (_, 3) => dot_tile::<1, 3>(&ops, i, j),
                    (_, 2) => dot_tile::<1, 2>(&ops, i, j),
                    _ => dot_tile::<1, 1>(&ops, i, j),
                }
            }
        }
    }
}

/// C[i + r, j + s] ← α Σ_l A[i + r, l]·B[l, j + s] + β·C[i + r, j + s] for r < MR, s < NR.
///
/// # Safety
/// [`dot`]'s conditions, and rows i..i + MR and columns j..j + NR lie inside C.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn dot_tile<const MR: usize, const NR: usize>(ops: &Operands, i: usize, j: usize) {
    let k = ops.k;
    let mut acc = [[_mm256_setzero_pd(); NR]; MR];
    // SAFETY: row i + r of A (r < MR) and column j + s of B (s < NR) are inside their matrices and
    // contiguous along l (a.cs = b.rs = 1), elements 0..k. The full steps read l..l + 4 with l + 4 ≤ k;
    // the last step starts at l < k and masks off the lanes at l + lane ≥ k, which maskload does not read.
    // C's elements (i + r, j + s) are inside C.
    unsafe {
        let mut a = [ops.a; MR];
        for (r, row) in a.iter_mut().enumerate() {
            *row = ops.a.add((i + r) * ops.a_rs);
        }
        let mut b = [ops.b; NR];
        for (s, col) in b.iter_mut().enumerate() {
            *col = ops.b.add((j + s) * ops.b_cs);
        }
        let mut av = [_mm256_setzero_pd(); MR];
        let mut l = 0;
        while l + LANES <= k {
            for (x, &row) in av.iter_mut().zip(&a) {
                *x = _mm256_loadu_pd(row.add(l));
            }
            for (s, &col) in b.iter().enumerate() {
                let bv = _mm256_loadu_pd(col.add(l));
                for (acc, &x) in acc.iter_mut().zip(&av) {
                    acc[s] = _mm256_fmadd_pd(x, bv, acc[s]);
                }
            }
            l += LANES;
        }
        if l < k {
            let [mask] = lane_masks::<1>(k - l);
            for (x, &row) in av.iter_mut().zip(&a) {
                *x = _mm256_maskload_pd(row.add(l), mask);
            }
            for (s, &col) in b.iter().enumerate() {
                let bv = _mm256_maskload_pd(col.add(l), mask);
                for (acc, &x) in acc.iter_mut().zip(&av) {
                    acc[s] = _mm256_fmadd_pd(x, bv, acc[s]);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            for (s, &acc) in acc.iter().enumerate() {
                let p = ops.c.add((i + r) * ops.c_rs + (j + s) * ops.c_cs);
                // β = 0 must not read C (it may hold NaN).
                let old = if ops.beta == 0.0 { 0.0 } else { ops.beta * *p };
                *p = ops.alpha.mul_add(lane_sum(acc), old);
            }
        }
    }
}
