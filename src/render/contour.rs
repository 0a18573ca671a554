//! Level sets of a sampled scalar field by marching squares (plotters has no contour plot).
//!
//! A [`ScalarGrid`] (sampled by the landscape module) holds f on a regular nx × ny lattice; [`contour_lines`] returns the level set
//! {f = level} as polylines. Every segment endpoint lies on a lattice edge, linearly interpolated between
//! the edge's two samples, so segments that meet share the exact same edge and are joined into polylines
//! by edge identity (no floating-point matching). Cells with a non-finite corner are skipped.

use crate::landscape::ScalarGrid;
use std::collections::HashMap;

/// One crossing of the level set with a lattice edge: the edge's id and the interpolated point.
#[derive(Debug, Clone, Copy)]
struct Crossing {
    edge: usize,
    point: (f64, f64),
}

/// The level set {f = level} of `grid` as polylines in data coordinates. A closed curve comes back as a
/// polyline whose last point equals its first. Returns no lines for a non-finite level.
pub fn contour_lines(grid: &ScalarGrid, level: f64) -> Vec<Vec<(f64, f64)>> {
    if !level.is_finite() || grid.values.len() != grid.nx * grid.ny {
        return Vec::new();
    }
    let segments = segments(grid, level);
    join(&segments)
}

/// Every segment of the level set, cell by cell (unjoined).
fn segments(grid: &ScalarGrid, level: f64) -> Vec<[Crossing; 2]> {
    let (nx, ny) = (grid.nx, grid.ny);
    // Edge ids: horizontal edge (i,j)–(i+1,j) is j·(nx−1)+i; vertical edge (i,j)–(i,j+1) is
    // horizontal_count + j·nx + i.
    let horizontal_count = ny * (nx - 1);
    let h_edge = |i: usize, j: usize| j * (nx - 1) + i;
    let v_edge = |i: usize, j: usize| horizontal_count + j * nx + i;
    let mut out = Vec::new();
    for j in 0..ny - 1 {
        let (y0, y1) = (grid.y(j), grid.y(j + 1));
        for i in 0..nx - 1 {
            let v00 = grid.at(i, j);
            let v10 = grid.at(i + 1, j);
            let v11 = grid.at(i + 1, j + 1);
            let v01 = grid.at(i, j + 1);
            if !(v00.is_finite() && v10.is_finite() && v11.is_finite() && v01.is_finite()) {
                continue;
            }
            let case = (v00 >= level) as u8
                | ((v10 >= level) as u8) << 1
                | ((v11 >= level) as u8) << 2
                | ((v01 >= level) as u8) << 3;
            if case == 0 || case == 15 {
                continue;
            }
            let (x0, x1) = (grid.x(i), grid.x(i + 1));
            let cross = |a: f64, b: f64| -> f64 {
                let t = (level - a) / (b - a);
                if t.is_finite() {
                    t.clamp(0.0, 1.0)
                } else {
                    0.5
                }
            };
            let bottom = || Crossing {
                edge: h_edge(i, j),
                point: (x0 + (x1 - x0) * cross(v00, v10), y0),
            };
            let top = || Crossing {
                edge: h_edge(i, j + 1),
                point: (x0 + (x1 - x0) * cross(v01, v11), y1),
            };
            let left = || Crossing {
                edge: v_edge(i, j),
                point: (x0, y0 + (y1 - y0) * cross(v00, v01)),
            };
            let right = || Crossing {
                edge: v_edge(i + 1, j),
                point: (x1, y0 + (y1 - y0) * cross(v10, v11)),
            };
            let centre_above = (v00 + v10 + v11 + v01) / 4.0 >= level;
            match case {
                // One corner differs from the other three.
                1 | 14 => out.push([left(), bottom()]),
                2 | 13 => out.push([bottom(), right()]),
                4 | 11 => out.push([right(), top()]),
                8 | 7 => out.push([top(), left()]),
                // Two adjacent corners differ from the other two.
                3 | 12 => out.push([left(), right()]),
                6 | 9 => out.push([bottom(), top()]),
                // Saddles: the centre value decides which diagonal pair is connected.
                5 => {
                    if centre_above {
                        out.push([bottom(), right()]);
                        out.push([top(), left()]);
                    } else {
                        out.push([left(), bottom()]);
                        out.push([right(), top()]);
                    }
                }
                10 => {
                    if centre_above {
                        out.push([left(), bottom()]);
                        out.push([right(), top()]);
                    } else {
                        out.push([bottom(), right()]);
                        out.push([top(), left()]);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Joins segments that share an edge into polylines.
fn join(segments: &[[Crossing; 2]]) -> Vec<Vec<(f64, f64)>> {
    // Each edge is shared by at most two cells, so it touches at most two segments.
    let mut by_edge: HashMap<usize, [usize; 2]> = HashMap::with_capacity(segments.len() * 2);
    for (s, seg) in segments.iter().enumerate() {
        for c in seg {
            let slot = by_edge.entry(c.edge).or_insert([usize::MAX; 2]);
            if slot[0] == usize::MAX {
                slot[0] = s;
            } else {
                slot[1] = s;
            }
        }
    }
    let other = |edge: usize, from: usize| -> Option<usize> {
        let [a, b] = by_edge.get(&edge)?;
        let next = if *a == from { *b } else { *a };
        (next != usize::MAX && next != from).then_some(next)
    };
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let [first, second] = segments[start];
        // Walk forward from `second`, then backward from `first`.
        let mut forward = vec![first.point, second.point];
        let mut closed = false;
        let (mut seg, mut edge) = (start, second.edge);
        while let Some(next) = other(edge, seg) {
            if used[next] {
                closed = next == start;
                break;
            }
            used[next] = true;
            let [a, b] = segments[next];
            let exit = if a.edge == edge { b } else { a };
            forward.push(exit.point);
            seg = next;
            edge = exit.edge;
        }
        if closed {
            lines.push(forward);
            continue;
        }
        let mut backward = Vec::new();
        let (mut seg, mut edge) = (start, first.edge);
        while let Some(next) = other(edge, seg) {
            if used[next] {
                break;
            }
            used[next] = true;
            let [a, b] = segments[next];
            let exit = if a.edge == edge { b } else { a };
            backward.push(exit.point);
            seg = next;
            edge = exit.edge;
        }
        backward.reverse();
        backward.extend(forward);
        lines.push(backward);
    }
    lines
}

/// `n` contour levels strictly inside (lo, hi): evenly spaced in value, or in log10 of
/// `value − shift` when `log` is set (then `lo`, `hi` are values and must exceed `shift`).
/// Returns no levels when the interval is empty or not finite.
pub fn levels(lo: f64, hi: f64, n: usize, log: Option<f64>) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || n == 0 {
        return Vec::new();
    }
    let frac = |k: usize| (k as f64 + 0.5) / n as f64;
    match log {
        Some(shift) if lo > shift => {
            let (a, b) = ((lo - shift).log10(), (hi - shift).log10());
            (0..n)
                .map(|k| shift + 10f64.powf(a + (b - a) * frac(k)))
                .collect()
        }
        _ => (0..n).map(|k| lo + (hi - lo) * frac(k)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ellipse_grid(a: f64, b: f64, n: usize) -> ScalarGrid {
        ScalarGrid::sample((-2.0, 2.0), (-1.5, 1.5), n, n, |x, y| {
            x * x / (a * a) + y * y / (b * b)
        })
    }

    #[test]
    fn ellipse_level_set_lies_on_the_ellipse() {
        let (a, b) = (1.5, 0.8);
        let n = 81;
        let grid = ellipse_grid(a, b, n);
        let h = 4.0 / (n - 1) as f64;
        for level in [0.25, 0.5, 1.0] {
            let lines = contour_lines(&grid, level);
            assert_eq!(
                lines.len(),
                1,
                "one closed curve for level {level}: {}",
                lines.len()
            );
            let line = &lines[0];
            assert!(line.len() > 20);
            assert_eq!(line.first(), line.last(), "the curve closes");
            // The level set of x²/a²+y²/b² = c is the ellipse with semi-axes a√c, b√c.
            let (ra, rb) = (a * level.sqrt(), b * level.sqrt());
            for &(x, y) in line {
                // Distance to the ellipse, to first order: |g − 1| / |∇g| with g = x²/ra² + y²/rb².
                let g = x * x / (ra * ra) + y * y / (rb * rb);
                let grad = (2.0 * x / (ra * ra)).hypot(2.0 * y / (rb * rb));
                let dist = (g - 1.0).abs() / grad;
                assert!(dist < 0.5 * h, "({x}, {y}) is {dist} off the ellipse (h = {h})");
            }
        }
    }

    #[test]
    fn open_curves_end_on_the_boundary() {
        // The level x = 0.3 of f(x, y) = x is a vertical line across the grid.
        let grid = ScalarGrid::sample((-1.0, 1.0), (-1.0, 1.0), 11, 7, |x, _| x);
        let lines = contour_lines(&grid, 0.3);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.len(), 7);
        for &(x, _) in line {
            assert!((x - 0.3).abs() < 1e-12);
        }
        let ys: Vec<f64> = line.iter().map(|p| p.1).collect();
        assert!(ys.first().unwrap().abs() == 1.0 && ys.last().unwrap().abs() == 1.0);
    }

    #[test]
    fn saddles_and_two_components() {
        // f = x² − y²: level 0.25 is a hyperbola with two branches, level 0 passes the saddle.
        let grid = ScalarGrid::sample((-1.0, 1.0), (-1.0, 1.0), 41, 41, |x, y| x * x - y * y);
        assert_eq!(contour_lines(&grid, 0.25).len(), 2);
        let through_saddle = contour_lines(&grid, 0.0);
        assert!(!through_saddle.is_empty());
        for line in &through_saddle {
            for &(x, y) in line {
                assert!((x.abs() - y.abs()).abs() < 0.06);
            }
        }
    }

    #[test]
    fn odd_data_never_panics() {
        let flat = ScalarGrid::sample((0.0, 1.0), (0.0, 1.0), 5, 5, |_, _| 2.0);
        assert!(contour_lines(&flat, 1.0).is_empty());
        assert!(contour_lines(&flat, 2.0).is_empty());
        assert!(contour_lines(&flat, f64::NAN).is_empty());
        let holes = ScalarGrid::sample((0.0, 1.0), (0.0, 1.0), 9, 9, |x, y| {
            if (x - 0.5).abs() < 0.2 {
                f64::NAN
            } else {
                x + y
            }
        });
        for line in contour_lines(&holes, 1.0) {
            assert!(line.iter().all(|p| p.0.is_finite() && p.1.is_finite()));
        }
        let tiny = ScalarGrid::sample((0.0, 0.0), (0.0, 0.0), 0, 0, |x, y| x + y);
        assert_eq!((tiny.nx, tiny.ny), (2, 2));
        assert!(contour_lines(&tiny, 0.0).is_empty());
    }

    #[test]
    fn levels_are_inside_and_monotone() {
        let lin = levels(0.0, 10.0, 5, None);
        assert_eq!(lin, vec![1.0, 3.0, 5.0, 7.0, 9.0]);
        let log = levels(1.001, 1001.0, 3, Some(1.0));
        assert_eq!(log.len(), 3);
        assert!(log.windows(2).all(|w| w[0] < w[1]));
        assert!((log[1] - 1.0 - 1.0).abs() < 1e-9);
        assert!(levels(1.0, 1.0, 4, None).is_empty());
        assert!(levels(f64::NAN, 1.0, 4, None).is_empty());
    }
}
