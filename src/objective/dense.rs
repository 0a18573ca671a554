//! Borrowed matrix views over flat slices, so that parameters (row-major factors), workspace buffers
//! (column-major) and their transposes enter nalgebra's gemm without copies or allocation.

use nalgebra::{DMatrix, Dyn};

/// A read-only matrix view with arbitrary strides.
pub type View<'a> = nalgebra::DMatrixView<'a, f64, Dyn, Dyn>;
/// A mutable matrix view with arbitrary strides.
pub type ViewMut<'a> = nalgebra::DMatrixViewMut<'a, f64, Dyn, Dyn>;

/// `data` read as a rows × cols matrix stored row by row.
pub fn row_major(data: &[f64], rows: usize, cols: usize) -> View<'_> {
    View::from_slice_with_strides(&data[..rows * cols], rows, cols, cols, 1)
}

/// `data` written as a rows × cols matrix stored row by row.
pub fn row_major_mut(data: &mut [f64], rows: usize, cols: usize) -> ViewMut<'_> {
    ViewMut::from_slice_with_strides_mut(&mut data[..rows * cols], rows, cols, cols, 1)
}

/// `data` read as a rows × cols matrix stored column by column.
pub fn col_major(data: &[f64], rows: usize, cols: usize) -> View<'_> {
    View::from_slice_with_strides(&data[..rows * cols], rows, cols, 1, rows.max(1))
}

/// `data` written as a rows × cols matrix stored column by column.
pub fn col_major_mut(data: &mut [f64], rows: usize, cols: usize) -> ViewMut<'_> {
    ViewMut::from_slice_with_strides_mut(&mut data[..rows * cols], rows, cols, 1, rows.max(1))
}

/// The transpose of `m` as a view (no copy).
pub fn transposed(m: &DMatrix<f64>) -> View<'_> {
    View::from_slice_with_strides(m.as_slice(), m.ncols(), m.nrows(), m.nrows().max(1), 1)
}

/// The transpose of a column-major rows × cols buffer, as a cols × rows view (no copy).
pub fn col_major_t(data: &[f64], rows: usize, cols: usize) -> View<'_> {
    View::from_slice_with_strides(&data[..rows * cols], cols, rows, rows.max(1), 1)
}
