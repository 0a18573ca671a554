//! A scalar field sampled on a regular 2-D lattice: what a contour plot traces and a filled map shows.

/// A scalar field sampled on a regular lattice: `values[j * nx + i] = f(x_i, y_j)` with
/// `x_i = x_range.0 + i·(x_range.1 − x_range.0)/(nx − 1)` and likewise for y.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarGrid {
    /// Lattice points along x (at least 2).
    pub nx: usize,
    /// Lattice points along y (at least 2).
    pub ny: usize,
    /// The first and last x.
    pub x_range: (f64, f64),
    /// The first and last y.
    pub y_range: (f64, f64),
    /// Row-major samples, `nx * ny` of them, rows along x.
    pub values: Vec<f64>,
}

impl ScalarGrid {
    /// Samples `f` on an `nx` × `ny` lattice spanning the two ranges (sizes below 2 are raised to 2).
    pub fn sample(
        x_range: (f64, f64),
        y_range: (f64, f64),
        nx: usize,
        ny: usize,
        mut f: impl FnMut(f64, f64) -> f64,
    ) -> Self {
        let (nx, ny) = (nx.max(2), ny.max(2));
        let mut values = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            let y = lerp(y_range, j, ny);
            for i in 0..nx {
                values.push(f(lerp(x_range, i, nx), y));
            }
        }
        ScalarGrid {
            nx,
            ny,
            x_range,
            y_range,
            values,
        }
    }

    /// The x of lattice column `i`.
    pub fn x(&self, i: usize) -> f64 {
        lerp(self.x_range, i, self.nx)
    }

    /// The y of lattice row `j`.
    pub fn y(&self, j: usize) -> f64 {
        lerp(self.y_range, j, self.ny)
    }

    /// The sample at column `i`, row `j`.
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.nx + i]
    }
}

/// The k-th of n evenly spaced points from `r.0` to `r.1` (exact at both ends).
fn lerp(r: (f64, f64), k: usize, n: usize) -> f64 {
    if k + 1 == n {
        r.1
    } else {
        r.0 + (r.1 - r.0) * (k as f64 / (n - 1) as f64)
    }
}
