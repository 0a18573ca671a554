//! The quantities Cohen et al. (2025) use to check the central flow against GD: along the central flow,
//! the sharpness S, the number of critical eigenvalues, σ² = tr Σ and the predicted time-averaged loss
//! L(w) + tr Σ/η ([`CentralSeries`]); against a GD run recorded at every step, GD's loss and its squared
//! displacement from the central flow in the critical subspace, each averaged over a centred window of
//! steps ([`CentralComparison`]).

use super::{CentralFault, CentralFlow, CentralOptimizer, CentralSettings};
use crate::compare::same_time;
use crate::objective::Objective;
use crate::trajectory::Trajectory;
use serde::Serialize;

/// The central flow's quantities at each recorded point of its trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct CentralSeries {
    /// The recorded steps k (t = k·η).
    pub steps: Vec<u64>,
    /// The recorded times.
    pub times: Vec<f64>,
    /// S(w): the top eigenvalue of ∇²L(w).
    pub sharpness: Vec<f64>,
    /// How many top eigenvalues entered the complementarity problem (within `candidate_fraction` of 2/η).
    pub critical: Vec<usize>,
    /// σ² = tr Σ(t) = tr X.
    pub sigma2: Vec<f64>,
    /// L(w(t)).
    pub loss: Vec<f64>,
    /// L(w(t)) + tr Σ(t)/η, the predicted time average of GD's loss (scalar RMSProp: L + ½⟨H, Σ⟩).
    pub predicted_loss: Vec<f64>,
    /// What the step divides by at each point, q = √ν + ε for scalar RMSProp (1 for GD): the edge is 2q/η.
    pub scale: Vec<f64>,
    /// How many eigenvectors each point keeps (k_max).
    pub vectors_per_point: usize,
    /// The top k_max unit eigenvectors at each point, point after point, each row-major (d values per
    /// vector).
    pub vectors: Vec<f64>,
    /// The first fault, which ends the series early (the central flow itself ended there too).
    pub fault: Option<CentralFault>,
    /// Hessian-vector products spent on the series.
    pub hvps: u64,
}

/// The summary.json `central` object of a central_flow method (docs/output.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CentralSummary {
    /// The first recorded time with σ² > 0 (the flow is at the edge); null if it never gets there.
    pub t_edge: Option<f64>,
    /// Recorded points with σ² > 0 (the edge phase).
    pub edge_points: usize,
    /// The most eigenvalues critical at once.
    pub max_critical: usize,
    /// The mean of σ² over the edge phase (null without one).
    pub mean_sigma2: Option<f64>,
    /// max |S − edge| over the edge phase (edge 2/η, or 2(√ν + ε)/η for scalar RMSProp): how well the
    /// flow holds the sharpness at the edge.
    pub max_sharpness_gap: Option<f64>,
    /// Hessian-vector products spent on the recorded quantities (beside the flow's own `hvps`).
    pub hvps: u64,
}

/// The central flow's quantities at every recorded point of `traj` (a central_flow trajectory for GD, or
/// scalar RMSProp, with step `eta` and these `settings`; scalar RMSProp's ν is read back from the recorded
/// preconditioner √ν + ε). `None` for an objective without parameters.
pub fn central_series(
    objective: &dyn Objective,
    traj: &Trajectory,
    eta: f64,
    settings: CentralSettings,
) -> Option<CentralSeries> {
    let flow = CentralFlow::new(objective, eta, settings)?;
    let n = traj.len();
    let mut s = CentralSeries {
        steps: Vec::with_capacity(n),
        times: Vec::with_capacity(n),
        sharpness: Vec::with_capacity(n),
        critical: Vec::with_capacity(n),
        sigma2: Vec::with_capacity(n),
        loss: Vec::with_capacity(n),
        predicted_loss: Vec::with_capacity(n),
        scale: Vec::with_capacity(n),
        vectors_per_point: 0,
        vectors: Vec::new(),
        fault: None,
        hvps: 0,
    };
    let d = traj.dim;
    let mut state = vec![0.0; d + settings.optimizer.extra_state()];
    for i in 0..n {
        state[..d].copy_from_slice(traj.state(i));
        if let CentralOptimizer::ScalarRmsProp { eps, .. } = settings.optimizer {
            // ν = (P − ε)², P = √ν + ε as recorded (exact to rounding).
            let Some(&p) = traj.preconditioners.get(i * d) else {
                break;
            };
            state[d] = (p - eps).max(0.0).powi(2);
        }
        match flow.point(&state) {
            Ok(p) => {
                s.vectors_per_point = p.eigenvalues.len();
                s.steps.push(traj.steps[i]);
                s.times.push(traj.times[i]);
                s.sharpness.push(p.eigenvalues[0]);
                s.critical.push(p.critical);
                s.sigma2.push(p.sigma_trace);
                s.loss.push(p.loss);
                s.predicted_loss.push(p.predicted_loss);
                s.scale.push(p.scale);
                s.vectors.extend_from_slice(&p.eigenvectors);
            }
            Err(fault) => {
                s.fault = Some(fault);
                break;
            }
        }
    }
    s.hvps = flow.hvps();
    Some(s)
}

impl CentralSeries {
    /// The number of recorded points.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when no point was recorded.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The summary of the series for the method's step `eta` (the edge 2q/η at each point, 2/η for GD).
    pub fn summary(&self, eta: f64) -> CentralSummary {
        let edge: Vec<usize> = (0..self.len()).filter(|&i| self.sigma2[i] > 0.0).collect();
        let mean = |v: &[f64]| {
            (!edge.is_empty()).then(|| edge.iter().map(|&i| v[i]).sum::<f64>() / edge.len() as f64)
        };
        CentralSummary {
            t_edge: edge.first().map(|&i| self.times[i]),
            edge_points: edge.len(),
            max_critical: self.critical.iter().copied().max().unwrap_or(0),
            mean_sigma2: mean(&self.sigma2),
            max_sharpness_gap: (!edge.is_empty()).then(|| {
                edge.iter()
                    .map(|&i| (self.sharpness[i] - 2.0 * self.scale[i] / eta).abs())
                    .fold(0.0, f64::max)
            }),
            hvps: self.hvps,
        }
    }

    /// The squared length of the projection of `delta` on the eigenvectors of point `i` that are critical
    /// there (on the top one when none is: GD's displacement along the sharpest direction before the edge).
    fn projected_sq(&self, i: usize, delta: &[f64]) -> f64 {
        let d = delta.len();
        let m = self.critical[i].max(1).min(self.vectors_per_point);
        let base = i * self.vectors_per_point * d;
        (0..m)
            .map(|j| {
                let u = &self.vectors[base + j * d..base + (j + 1) * d];
                let c: f64 = u.iter().zip(delta).map(|(x, y)| x * y).sum();
                c * c
            })
            .sum()
    }
}

/// GD against the central flow over a centred window of steps: the rows of
/// `comparisons/<a>_vs_<b>_central.csv` and the summary.json `central` block of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct CentralComparison {
    /// The discrete method's id.
    pub a: String,
    /// The central flow's id.
    pub b: String,
    /// The window's length in steps (odd).
    pub window: u64,
    /// The times of the rows: paired times whose whole window is recorded.
    pub times: Vec<f64>,
    /// The central flow's L(w) + tr Σ/η.
    pub predicted_loss: Vec<f64>,
    /// GD's loss averaged over the window.
    pub smoothed_loss: Vec<f64>,
    /// The central flow's σ² = tr Σ.
    pub sigma2: Vec<f64>,
    /// ‖Uᵀ(w_GD − w_CF)‖² averaged over the window (U the critical eigenvectors at each step).
    pub smoothed_sq_displacement: Vec<f64>,
    /// The numbers summary.json gives.
    pub summary: CentralComparisonSummary,
}

/// The summary.json `central` block of a `[[compare]]` with `window` (docs/output.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CentralComparisonSummary {
    /// The window in steps.
    pub window: u64,
    /// Rows written (paired times with a whole window).
    pub rows: usize,
    /// Rows in the edge phase (σ² > 0).
    pub edge_rows: usize,
    /// Σ|predicted − smoothed loss| / Σ|smoothed loss| over the edge rows (null without them).
    pub loss_relative_error: Option<f64>,
    /// The mean predicted loss over the edge rows.
    pub mean_predicted_loss: Option<f64>,
    /// The mean of GD's smoothed loss over the edge rows.
    pub mean_smoothed_loss: Option<f64>,
    /// The mean σ² over the edge rows.
    pub mean_sigma2: Option<f64>,
    /// The mean of GD's smoothed squared displacement over the edge rows.
    pub mean_sq_displacement: Option<f64>,
}

/// Compares the discrete trajectory `a` (recorded at every step) with the central flow `b` and its
/// `series` over a centred `window` of steps (odd, at least 1). Steps are paired by time; a row is written
/// at each paired time whose `window` neighbours on both sides are paired at consecutive steps.
pub fn central_comparison(
    a_id: &str,
    a: &Trajectory,
    b_id: &str,
    b: &Trajectory,
    series: &CentralSeries,
    window: u64,
) -> CentralComparison {
    // Paired points: (index in a, index in b/series), with GD's loss and squared displacement.
    let d = a.dim;
    let mut delta = vec![0.0; d];
    let (mut steps, mut loss, mut disp, mut at) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    let nb = b.len().min(series.len());
    while i < a.len() && j < nb {
        let (ta, tb) = (a.times[i], b.times[j]);
        if same_time(ta, tb) {
            for ((x, p), q) in delta.iter_mut().zip(a.state(i)).zip(b.state(j)) {
                *x = p - q;
            }
            steps.push(a.steps[i]);
            loss.push(a.losses[i]);
            disp.push(series.projected_sq(j, &delta));
            at.push(j);
            i += 1;
            j += 1;
        } else if ta < tb {
            i += 1;
        } else {
            j += 1;
        }
    }
    let h = (window / 2) as usize;
    let mut out = CentralComparison {
        a: a_id.to_string(),
        b: b_id.to_string(),
        window,
        times: Vec::new(),
        predicted_loss: Vec::new(),
        smoothed_loss: Vec::new(),
        sigma2: Vec::new(),
        smoothed_sq_displacement: Vec::new(),
        summary: CentralComparisonSummary::default(),
    };
    let n = steps.len();
    if n < 2 * h + 1 {
        return out.summarised();
    }
    // Windowed means from exact-order running sums: each window is summed afresh from prefix sums
    // of compensated (Neumaier) partial sums, so a long run does not accumulate rounding.
    let prefix = |v: &[f64]| {
        let mut p = Vec::with_capacity(v.len() + 1);
        let (mut s, mut c) = (0.0f64, 0.0f64);
        p.push(0.0);
        for &x in v {
            let t = s + x;
            c += if s.abs() >= x.abs() {
                (s - t) + x
            } else {
                (x - t) + s
            };
            s = t;
            p.push(s + c);
        }
        p
    };
    let (pl, pd) = (prefix(&loss), prefix(&disp));
    let w = (2 * h + 1) as f64;
    for c in h..n - h {
        // The window must be consecutive steps (record_every = 1 and no gap).
        if steps[c + h] - steps[c - h] != 2 * h as u64 {
            continue;
        }
        let j = at[c];
        out.times.push(series.times[j]);
        out.predicted_loss.push(series.predicted_loss[j]);
        out.sigma2.push(series.sigma2[j]);
        out.smoothed_loss.push((pl[c + h + 1] - pl[c - h]) / w);
        out.smoothed_sq_displacement.push((pd[c + h + 1] - pd[c - h]) / w);
    }
    out.summarised()
}

impl CentralComparison {
    /// The comparison with its `summary` computed from its rows (the rows with σ² > 0 are the edge phase).
    pub fn summarised(mut self) -> Self {
        let edge: Vec<usize> = (0..self.times.len()).filter(|&r| self.sigma2[r] > 0.0).collect();
        let mean = |v: &[f64]| {
            (!edge.is_empty()).then(|| edge.iter().map(|&r| v[r]).sum::<f64>() / edge.len() as f64)
        };
        let mut s = CentralComparisonSummary {
            window: self.window,
            rows: self.times.len(),
            edge_rows: edge.len(),
            ..CentralComparisonSummary::default()
        };
        if !edge.is_empty() {
            let num: f64 = edge
                .iter()
                .map(|&r| (self.predicted_loss[r] - self.smoothed_loss[r]).abs())
                .sum();
            let den: f64 = edge.iter().map(|&r| self.smoothed_loss[r].abs()).sum();
            s.loss_relative_error = Some(num / den);
        }
        s.mean_predicted_loss = mean(&self.predicted_loss);
        s.mean_smoothed_loss = mean(&self.smoothed_loss);
        s.mean_sigma2 = mean(&self.sigma2);
        s.mean_sq_displacement = mean(&self.smoothed_sq_displacement);
        self.summary = s;
        self
    }
}
