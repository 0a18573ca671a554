//! The loss landscape around a run, computed before anything is drawn: the plane a portrait shows (a 2-D
//! objective's own, or a principal-axes or named plane through the iterates of any dimension), the
//! methods' paths and the known minima in that plane, and the loss and its gradient sampled on lattices
//! around them. The renderer receives these numbers and never evaluates an objective.

mod grid;
mod projection;

pub use grid::ScalarGrid;
pub use projection::Projection;

use crate::objective::Objective;
use crate::trajectory::Trajectory;
use projection::dot;

/// Cells per side of the filled background at full resolution.
const FILL_CELLS: usize = 200;
/// The fewest lattice points per side a costly landscape is sampled on (see [`Plane::sample`]).
const MIN_CONTOUR_GRID: usize = 60;
/// Lattice points per side of the grid the contour lines are traced on, at full resolution.
const CONTOUR_GRID: usize = 400;
/// Arrows per side of the direction field.
pub const FIELD_ARROWS: usize = 20;
/// Coordinates are clamped to this magnitude before bounds are taken, so that a diverged run cannot
/// overflow the axis arithmetic.
const COORD_LIMIT: f64 = 1e100;
/// Known minima farther than this fraction of the iterates' spread from a projected plane are left out:
/// they would look like points of the plane and are not.
const MINIMUM_OFF_PLANE: f64 = 0.05;

/// How plane coordinates (a, b) map to parameters.
enum Restriction {
    /// A 2-D objective is its own plane: θ = (a, b).
    Native,
    /// θ = c + a·u + b·v, with buffers so that evaluating allocates nothing.
    Projected {
        projection: Projection,
        theta: Vec<f64>,
        grad: Vec<f64>,
    },
}

/// An objective seen in a plane, with the methods' paths and the known minima in plane coordinates.
pub struct Plane<'o> {
    objective: &'o dyn Objective,
    restriction: Restriction,
    /// Each trajectory's path in plane coordinates, one point per recorded state (aligned with its
    /// times; empty for a trajectory of another dimension). Points may be non-finite.
    pub paths: Vec<Vec<(f64, f64)>>,
    /// The known minima that lie in the plane, in plane coordinates.
    pub minima: Vec<(f64, f64)>,
    /// Per path, whether its run diverged: such a path frames the portrait only near the bounded rest.
    pub diverged: Vec<bool>,
    /// The most loss evaluations [`Plane::sample`] may spend; `None` samples at full resolution.
    budget: Option<u64>,
}

/// A plane's landscape sampled around its paths: everything a portrait draws, as numbers.
pub struct Sampled {
    /// Each path with its non-finite points dropped and coordinates clamped to ±1e100; a diverged path
    /// that leaves the region ends where it crosses the region's edge.
    pub paths: Vec<Vec<(f64, f64)>>,
    /// The finite known minima, clamped likewise.
    pub minima: Vec<(f64, f64)>,
    /// Per path, where a diverged path leaves the region (its last point), if it does.
    pub exits: Vec<Option<(f64, f64)>>,
    /// The sampled region along a.
    pub x: (f64, f64),
    /// The sampled region along b.
    pub y: (f64, f64),
    /// True when the scenario fixed the region (`x_range`, `y_range`): a path that did not diverge may
    /// then leave it and come back, and is drawn clipped to it.
    pub fixed: bool,
    /// The loss on the lattice the contour lines are traced on.
    pub grid: ScalarGrid,
    /// The loss per background cell, row-major from the bottom-left, `cells_per_side`² of them.
    pub cells: Vec<f64>,
    /// Background cells per side.
    pub cells_per_side: usize,
    /// The direction field: [`FIELD_ARROWS`]² cell centres, row-major from the bottom-left, each with
    /// the restricted gradient (∂L/∂a, ∂L/∂b) there.
    pub field: Vec<((f64, f64), (f64, f64))>,
}

impl<'o> Plane<'o> {
    /// The plane of a 2-D objective: its own coordinates, sampled at full resolution.
    pub fn native(objective: &'o dyn Objective, trajectories: &[&Trajectory]) -> Result<Self, String> {
        if objective.dim() != 2 {
            return Err(format!(
                "a phase portrait needs a 2-D objective, this one has d = {}; remove \"phase_portrait\" from [output] figures (\"projected_portrait\" draws any dimension)",
                objective.dim()
            ));
        }
        let minima = objective
            .known_minima()
            .into_iter()
            .filter(|m| m.len() == 2)
            .map(|m| (m[0], m[1]))
            .collect();
        let paths = trajectories
            .iter()
            .map(|t| {
                if t.dim != 2 {
                    return Vec::new();
                }
                t.states.chunks_exact(2).map(|p| (p[0], p[1])).collect()
            })
            .collect();
        Ok(Plane {
            objective,
            restriction: Restriction::Native,
            paths,
            minima,
            diverged: diverged_flags(trajectories),
            budget: None,
        })
    }

    /// The plane through the iterates of any dimension ≥ 2: spanned by their top two principal
    /// directions, or by `named` ones (see [`Projection::fit`]). Sampling it spends at most as many loss
    /// evaluations as the runs took gradient evaluations, so the picture never costs more than the
    /// simulation it shows (a loss costs at most about a gradient).
    pub fn projected(
        objective: &'o dyn Objective,
        trajectories: &[&Trajectory],
        named: Option<&[Vec<f64>; 2]>,
    ) -> Result<Self, String> {
        let dim = objective.dim();
        let rows: Vec<&[f64]> = trajectories
            .iter()
            .filter(|t| t.dim == dim && dim > 0)
            .flat_map(|t| t.states.chunks_exact(dim))
            .collect();
        let projection = Projection::fit(&rows, dim, named)?;
        let paths = trajectories
            .iter()
            .map(|t| {
                if t.dim != dim {
                    return Vec::new();
                }
                t.states
                    .chunks_exact(dim)
                    .map(|theta| projection.coordinates(theta))
                    .collect()
            })
            .collect();
        let spread: f64 = rows
            .iter()
            .filter(|r| r.iter().all(|x| x.is_finite()))
            .map(|r| {
                let (a, b) = projection.coordinates(r);
                a.hypot(b)
            })
            .fold(0.0, f64::max);
        let minima = objective
            .known_minima()
            .into_iter()
            .filter(|m| m.len() == dim && projection.off_plane(m) <= MINIMUM_OFF_PLANE * spread)
            .map(|m| projection.coordinates(&m))
            .collect();
        let budget = trajectories.iter().map(|t| t.stats.grad_evals).sum();
        Ok(Plane {
            objective,
            restriction: Restriction::Projected {
                projection,
                theta: vec![0.0; dim],
                grad: vec![0.0; dim],
            },
            paths,
            minima,
            diverged: diverged_flags(trajectories),
            budget: Some(budget),
        })
    }

    /// The projection of a projected plane (`None` for a 2-D objective's own plane).
    pub fn projection(&self) -> Option<&Projection> {
        match &self.restriction {
            Restriction::Native => None,
            Restriction::Projected { projection, .. } => Some(projection),
        }
    }

    /// The loss at plane point (a, b).
    pub fn loss(&mut self, a: f64, b: f64) -> f64 {
        match &mut self.restriction {
            Restriction::Native => self.objective.loss(&[a, b]),
            Restriction::Projected {
                projection, theta, ..
            } => {
                place(projection, theta, a, b);
                self.objective.loss(theta)
            }
        }
    }

    /// The gradient of the restricted loss, (∂L/∂a, ∂L/∂b), at (a, b).
    pub fn gradient(&mut self, a: f64, b: f64) -> (f64, f64) {
        match &mut self.restriction {
            Restriction::Native => {
                let mut g = [0.0; 2];
                self.objective.gradient(&[a, b], &mut g);
                (g[0], g[1])
            }
            Restriction::Projected {
                projection,
                theta,
                grad,
            } => {
                place(projection, theta, a, b);
                self.objective.gradient(theta, grad);
                (dot(grad, &projection.u), dot(grad, &projection.v))
            }
        }
    }

    /// Samples the landscape around the paths and minima: the region is their bounding box padded by
    /// 15% ([`bounds`]); the contour lattice, background cells and direction field are sampled in it. A
    /// plane with a budget shrinks its lattice to fit (down to 60 × 60) and takes each background cell
    /// as the mean of its lattice corners, with no further loss evaluations.
    pub fn sample(&mut self) -> Sampled {
        self.sample_in(None, None)
    }

    /// As [`Plane::sample`], over the region `x` × `y` where the scenario gives it (each side on its own:
    /// `[output.figure.<kind>] x_range`, `y_range`), the other side framed on the data. A diverged path
    /// is cut where it leaves that region.
    pub fn sample_in(&mut self, x: Option<(f64, f64)>, y: Option<(f64, f64)>) -> Sampled {
        let fixed = x.is_some() || y.is_some();
        let (fixed_x, fixed_y) = (x, y);
        let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let minima: Vec<(f64, f64)> = self
            .minima
            .iter()
            .filter(|p| finite(p))
            .map(|&p| clamp_point(p))
            .collect();
        let mut paths: Vec<Vec<(f64, f64)>> = self
            .paths
            .iter()
            .map(|path| {
                path.iter()
                    .filter(|p| finite(p))
                    .map(|&p| clamp_point(p))
                    .collect()
            })
            .collect();
        let diverged = |k: usize| self.diverged.get(k).copied().unwrap_or(false);
        let framing = framing_points(&paths, &minima, diverged);
        let (x, y) = bounds(framing.into_iter());
        let (x, y) = (fixed_x.unwrap_or(x), fixed_y.unwrap_or(y));
        let exits = paths
            .iter_mut()
            .enumerate()
            .map(|(k, path)| {
                if diverged(k) {
                    cut_at_edge(path, x, y)
                } else {
                    None
                }
            })
            .collect();
        let (xspan, yspan) = (x.1 - x.0, y.1 - y.0);

        let budget = self.budget;
        let (n, cells_per_side) = resolution(budget);
        let grid = ScalarGrid::sample(x, y, n, n, |a, b| self.loss(a, b));
        let cells = if budget.is_some() {
            let m = n - 1;
            let mut v = Vec::with_capacity(m * m);
            for j in 0..m {
                for i in 0..m {
                    v.push(
                        0.25 * (grid.at(i, j)
                            + grid.at(i + 1, j)
                            + grid.at(i, j + 1)
                            + grid.at(i + 1, j + 1)),
                    );
                }
            }
            v
        } else {
            let (cw, ch) = (xspan / cells_per_side as f64, yspan / cells_per_side as f64);
            let centres = |r: (f64, f64), c: f64| (r.0 + 0.5 * c, r.1 - 0.5 * c);
            ScalarGrid::sample(
                centres(x, cw),
                centres(y, ch),
                cells_per_side,
                cells_per_side,
                |a, b| self.loss(a, b),
            )
            .values
        };

        let (aw, ah) = (xspan / FIELD_ARROWS as f64, yspan / FIELD_ARROWS as f64);
        let mut field = Vec::with_capacity(FIELD_ARROWS * FIELD_ARROWS);
        for j in 0..FIELD_ARROWS {
            for i in 0..FIELD_ARROWS {
                let p = (x.0 + (i as f64 + 0.5) * aw, y.0 + (j as f64 + 0.5) * ah);
                field.push((p, self.gradient(p.0, p.1)));
            }
        }
        Sampled {
            paths,
            exits,
            minima,
            x,
            y,
            fixed,
            grid,
            cells,
            cells_per_side,
            field,
        }
    }
}

/// Sets `theta` to c + a·u + b·v.
fn place(p: &Projection, theta: &mut [f64], a: f64, b: f64) {
    for (k, t) in theta.iter_mut().enumerate() {
        *t = p.centre[k] + a * p.u[k] + b * p.v[k];
    }
}

/// A plane point with each coordinate clamped to ±1e100, as [`Sampled`] holds its points: what is drawn
/// beside them (matched-time markers) is clamped alike.
pub fn clamp_point(p: (f64, f64)) -> (f64, f64) {
    (
        p.0.clamp(-COORD_LIMIT, COORD_LIMIT),
        p.1.clamp(-COORD_LIMIT, COORD_LIMIT),
    )
}

/// The contour lattice side and the background cells per side: full resolution without a budget, else
/// an n × n lattice with n² ≤ `budget` whose cells are the background.
fn resolution(budget: Option<u64>) -> (usize, usize) {
    match budget {
        None => (CONTOUR_GRID, FILL_CELLS),
        Some(b) => {
            let n = ((b as f64).sqrt() as usize).clamp(MIN_CONTOUR_GRID, CONTOUR_GRID);
            (n, n - 1)
        }
    }
}

/// How far a diverged path may frame the portrait: within this many half-widths of the box around the
/// bounded content (the other paths, the diverged paths' starts and the known minima) from its centre.
const DIVERGED_REACH: f64 = 3.0;

/// Per trajectory, whether it diverged.
fn diverged_flags(trajectories: &[&Trajectory]) -> Vec<bool> {
    trajectories
        .iter()
        .map(|t| matches!(t.termination, crate::trajectory::Termination::Diverged { .. }))
        .collect()
}

/// The points the portrait is framed on: every point of a path that did not diverge, and the known
/// minima; of a diverged path, its points until the first that lies beyond [`DIVERGED_REACH`] times the
/// box of that bounded content (so a run that diverges to ±1e5 does not shrink everything else to a
/// dot). When every path diverged and no minimum is known, every point frames it.
fn framing_points(
    paths: &[Vec<(f64, f64)>],
    minima: &[(f64, f64)],
    diverged: impl Fn(usize) -> bool,
) -> Vec<(f64, f64)> {
    let mut bounded: Vec<(f64, f64)> = minima.to_vec();
    for (k, path) in paths.iter().enumerate() {
        if diverged(k) {
            bounded.extend(path.first());
        } else {
            bounded.extend(path);
        }
    }
    let any_diverged = (0..paths.len()).any(&diverged);
    let any_bounded = !minima.is_empty()
        || paths
            .iter()
            .enumerate()
            .any(|(k, p)| !diverged(k) && !p.is_empty());
    if !any_diverged || !any_bounded {
        // Nothing to frame on but the paths' starts: frame on everything.
        return paths.iter().flatten().chain(minima).copied().collect();
    }
    let ((x0, x1), (y0, y1)) = bounds(bounded.iter().copied());
    let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    let (hx, hy) = (DIVERGED_REACH * 0.5 * (x1 - x0), DIVERGED_REACH * 0.5 * (y1 - y0));
    let mut out = bounded;
    for (k, path) in paths.iter().enumerate() {
        if diverged(k) {
            // The start is in already, as bounded content.
            out.extend(
                path.iter()
                    .skip(1)
                    .take_while(|p| (p.0 - cx).abs() <= hx && (p.1 - cy).abs() <= hy),
            );
        }
    }
    out
}

/// Cuts `path` where it first leaves the region `x` × `y`: its last point becomes the crossing of the
/// region's edge, which is returned. `None` (and the path unchanged) when it stays inside.
fn cut_at_edge(path: &mut Vec<(f64, f64)>, x: (f64, f64), y: (f64, f64)) -> Option<(f64, f64)> {
    let inside = |p: &(f64, f64)| (x.0..=x.1).contains(&p.0) && (y.0..=y.1).contains(&p.1);
    let i = path.iter().position(|p| !inside(p))?;
    if i == 0 {
        return None;
    }
    let (a, b) = (path[i - 1], path[i]);
    // The largest s in [0, 1] with a + s(b − a) inside, one coordinate at a time.
    let reach = |from: f64, to: f64, lo: f64, hi: f64| {
        let d = to - from;
        if d > 0.0 {
            ((hi - from) / d).min(1.0)
        } else if d < 0.0 {
            ((lo - from) / d).min(1.0)
        } else {
            1.0
        }
    };
    let s = reach(a.0, b.0, x.0, x.1).min(reach(a.1, b.1, y.0, y.1)).max(0.0);
    let exit = (a.0 + s * (b.0 - a.0), a.1 + s * (b.1 - a.1));
    path.truncate(i);
    path.push(exit);
    Some(exit)
}

/// The sampled region: the box around `points` padded by 15%, neither side shorter than a quarter of
/// the other, never degenerate; `[-1, 1]²` when there are no points.
fn bounds(points: impl Iterator<Item = (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !(x0 <= x1 && y0 <= y1) {
        return ((-1.0, 1.0), (-1.0, 1.0));
    }
    let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    let floor = 1e-6 * cx.abs().max(cy.abs()).max(1.0);
    let (wx, wy) = (x1 - x0, y1 - y0);
    let mut sx = wx.max(0.25 * wy).max(floor);
    let mut sy = wy.max(0.25 * wx).max(floor);
    if wx == 0.0 && wy == 0.0 {
        // A single point: show a unit-scale neighbourhood.
        let s = 0.5 * cx.abs().max(cy.abs()).max(1.0);
        sx = s;
        sy = s;
    }
    let pad = 0.5 + 0.15;
    ((cx - pad * sx, cx + pad * sx), (cy - pad * sy, cy + pad * sy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Quadratic, Rosenbrock};

    #[test]
    fn a_diverged_path_frames_only_near_the_bounded_rest_and_is_cut_at_the_edge() {
        // A flow from (1, 1) to 0, and GD from (1, 1) oscillating out along a with growing amplitude.
        let flow = vec![(1.0, 1.0), (0.5, 0.5), (0.0, 0.0)];
        let gd = vec![(1.0, 1.0), (-2.0, 0.5), (4.0, 0.25), (-1e5, 0.1)];
        let paths = vec![flow, gd];
        let framing = framing_points(&paths, &[(0.0, 0.0)], |k| k == 1);
        // The bounded box is [0, 1]² (padded by 15%: 1.3 wide): three half-widths about (0.5, 0.5) reach
        // [−1.45, 2.45]², which holds GD's start only; its second point (−2, 0.5) already lies beyond.
        assert_eq!(framing.len(), 3 + 1 + 1);
        let (x, y) = bounds(framing.into_iter());
        assert!(x.1 - x.0 < 2.0 && y.1 - y.0 < 2.0, "{x:?} {y:?}");
        let mut cut = paths[1].clone();
        let exit = cut_at_edge(&mut cut, x, y).unwrap();
        // It leaves through the left edge on the segment from (1, 1) to (−2, 0.5).
        assert!((exit.0 - x.0).abs() < 1e-12, "{exit:?} {x:?}");
        let s = (1.0 - x.0) / 3.0;
        assert!((exit.1 - (1.0 - 0.5 * s)).abs() < 1e-12);
        assert_eq!(cut, vec![(1.0, 1.0), exit]);
        // Without a diverged path nothing changes.
        let all = framing_points(&paths, &[], |_| false);
        assert_eq!(all.len(), 7);
    }

    #[test]
    fn bounds_are_padded_and_never_degenerate() {
        let ((x0, x1), (y0, y1)) = bounds([(0.0, 0.0), (1.0, 2.0)].into_iter());
        assert!(x0 < 0.0 && x1 > 1.0 && y0 < 0.0 && y1 > 2.0);
        assert!(((y1 - y0) / 2.0 - 1.3).abs() < 1e-12);
        let ((x0, x1), (y0, y1)) = bounds([(3.0, 3.0)].into_iter());
        assert!(x1 > x0 && y1 > y0);
        let ((x0, x1), _) = bounds([(0.0, 0.0), (0.0, 10.0)].into_iter());
        assert!(x1 - x0 >= 2.5);
        assert_eq!(bounds(std::iter::empty()), ((-1.0, 1.0), (-1.0, 1.0)));
    }

    /// A trajectory through `points`, one gradient evaluation per point.
    fn through(dim: usize, points: &[&[f64]]) -> Trajectory {
        let mut t = Trajectory::with_capacity(dim, points.len());
        for (k, p) in points.iter().enumerate() {
            t.push(k as u64, k as f64, p, 0.0, 0.0, &[]);
        }
        t.stats.grad_evals = points.len() as u64;
        t
    }

    #[test]
    fn a_two_dimensional_objective_is_sampled_in_its_own_coordinates() {
        let f = Rosenbrock {
            a: 1.0,
            b: 100.0,
            dim: 2,
        };
        let t = through(2, &[&[-1.0, 1.0], &[f64::NAN, 0.0], &[1.0, 1.0]]);
        let mut plane = Plane::native(&f, &[&t]).unwrap();
        assert_eq!(plane.minima, [(1.0, 1.0)]);
        assert_eq!(plane.paths[0].len(), 3);
        let s = plane.sample();
        assert_eq!(s.paths[0], [(-1.0, 1.0), (1.0, 1.0)], "the NaN point is dropped");
        assert!(s.x.0 < -1.0 && s.x.1 > 1.0 && s.y.0 < 1.0 && s.y.1 > 1.0);
        assert_eq!((s.grid.nx, s.grid.ny), (CONTOUR_GRID, CONTOUR_GRID));
        for (j, i) in [(0, 0), (17, 230), (CONTOUR_GRID - 1, CONTOUR_GRID - 1)] {
            assert_eq!(s.grid.at(i, j), f.loss(&[s.grid.x(i), s.grid.y(j)]));
        }
        assert_eq!(s.cells.len(), FILL_CELLS * FILL_CELLS);
        assert_eq!(s.field.len(), FIELD_ARROWS * FIELD_ARROWS);
        for &((a, b), g) in &s.field {
            let mut want = [0.0; 2];
            f.gradient(&[a, b], &mut want);
            assert_eq!(g, (want[0], want[1]));
        }
        let cubic = Rosenbrock {
            a: 1.0,
            b: 100.0,
            dim: 3,
        };
        let err = Plane::native(&cubic, &[]).err().unwrap();
        assert!(err.contains("2-D") && err.contains("d = 3"), "{err}");
    }

    #[test]
    fn a_projected_plane_restricts_loss_and_gradient_to_the_plane() {
        // L = ½ Σ λ_k θ_k² with λ = (4, 1, 9); iterates move in the (θ0, θ1) plane only.
        let f = Quadratic::from_eigenvalues(&[4.0, 1.0, 9.0], vec![0.0, 0.0, 0.0]);
        let t = through(
            3,
            &[
                &[2.0, 0.0, 0.0],
                &[-2.0, 0.0, 0.0],
                &[0.0, 0.5, 0.0],
                &[0.0, -0.5, 0.0],
            ],
        );
        let mut plane = Plane::projected(&f, &[&t], None).unwrap();
        let p = plane.projection().unwrap().clone();
        assert!(p.principal);
        assert!(
            (p.u[0].abs() - 1.0).abs() < 1e-12 && (p.v[1].abs() - 1.0).abs() < 1e-12,
            "{p:?}"
        );
        assert_eq!(
            plane.minima.len(),
            1,
            "the minimum 0 is the centroid, in the plane"
        );
        // On the plane θ = a·u + b·v, so L = ½(4a² + b²) and ∇ = (4a, b) up to the axes' signs.
        let (a, b) = (0.3, -0.7);
        assert!((plane.loss(a, b) - 0.5 * (4.0 * a * a + b * b)).abs() < 1e-12);
        let g = plane.gradient(a, b);
        assert!((g.0 - 4.0 * a).abs() < 1e-12 && (g.1 - b).abs() < 1e-12, "{g:?}");
        // Four gradient evaluations allow far fewer than 60², so the lattice is the smallest one and
        // its cells are the background.
        let s = plane.sample();
        assert_eq!(
            (s.grid.nx, s.cells_per_side),
            (MIN_CONTOUR_GRID, MIN_CONTOUR_GRID - 1)
        );
        let corners = 0.25 * (s.grid.at(0, 0) + s.grid.at(1, 0) + s.grid.at(0, 1) + s.grid.at(1, 1));
        assert_eq!(s.cells[0], corners);
        assert!(Plane::projected(&Quadratic::from_eigenvalues(&[1.0], vec![0.0]), &[], None).is_err());
    }

    #[test]
    fn budgets_set_the_lattice() {
        assert_eq!(resolution(None), (CONTOUR_GRID, FILL_CELLS));
        assert_eq!(resolution(Some(0)), (MIN_CONTOUR_GRID, MIN_CONTOUR_GRID - 1));
        assert_eq!(resolution(Some(100 * 100 + 5)), (100, 99));
        assert_eq!(resolution(Some(u64::MAX)), (CONTOUR_GRID, CONTOUR_GRID - 1));
    }
}
