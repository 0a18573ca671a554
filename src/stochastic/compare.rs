//! Comparing two ensembles (SGD against its SME, say) through their mean and variance over time, each
//! difference measured against its Monte Carlo standard error. Kept apart from the deterministic path
//! comparison in [`crate::compare`].

use super::EnsembleStats;
use serde::Serialize;

/// How far apart two ensembles' means and variances of one quantity get over their common times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MomentGap {
    /// The quantity: `loss`, `theta_i` or `theta_norm`.
    pub quantity: String,
    /// max_t |mean_a − mean_b|.
    pub max_abs_mean_diff: f64,
    /// max_t |z| of the mean difference, z = Δmean / √(se_a² + se_b²).
    pub max_z_mean: f64,
    /// max_t |var_a − var_b|.
    pub max_abs_var_diff: f64,
    /// max_t |z| of the variance difference (Gaussian standard errors var·√(2/(n − 1))).
    pub max_z_var: f64,
}

/// The moment comparison of two ensembles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnsembleComparison {
    /// The first method's id.
    pub a: String,
    /// The second method's id.
    pub b: String,
    /// The number of paired times (at least two live paths on both sides).
    pub paired_points: usize,
    /// The loss first, then every parameter statistic.
    pub gaps: Vec<MomentGap>,
}

/// Pairs `a` and `b` by time (both are recorded on the run's grid) and measures their moment gaps.
pub fn compare_ensembles(a_id: &str, a: &EnsembleStats, b_id: &str, b: &EnsembleStats) -> EnsembleComparison {
    let q = a.q().min(b.q());
    let mut gaps: Vec<MomentGap> = std::iter::once("loss".to_string())
        .chain(a.param_names.iter().take(q).cloned())
        .map(|quantity| MomentGap {
            quantity,
            max_abs_mean_diff: 0.0,
            max_z_mean: 0.0,
            max_abs_var_diff: 0.0,
            max_z_var: 0.0,
        })
        .collect();
    let mut paired = 0;
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a.steps[i] < b.steps[j] {
            i += 1;
            continue;
        }
        if a.steps[i] > b.steps[j] {
            j += 1;
            continue;
        }
        if a.alive[i] >= 2 && b.alive[j] >= 2 {
            paired += 1;
            for (c, gap) in gaps.iter_mut().enumerate() {
                let pick = |s: &EnsembleStats, k: usize| {
                    if c == 0 {
                        (s.loss_mean[k], s.loss_var[k])
                    } else {
                        let idx = k * s.q() + c - 1;
                        (s.param_mean[idx], s.param_var[idx])
                    }
                };
                let ((ma, va), (mb, vb)) = (pick(a, i), pick(b, j));
                let dm = (ma - mb).abs();
                let dv = (va - vb).abs();
                let sm = a.se_mean(va, i).hypot(b.se_mean(vb, j));
                let sv = a.se_var(va, i).hypot(b.se_var(vb, j));
                gap.max_abs_mean_diff = gap.max_abs_mean_diff.max(dm);
                gap.max_abs_var_diff = gap.max_abs_var_diff.max(dv);
                // A zero difference with zero error (t = 0) is agreement, not 0/0.
                if dm > 0.0 {
                    gap.max_z_mean = gap.max_z_mean.max(dm / sm);
                }
                if dv > 0.0 {
                    gap.max_z_var = gap.max_z_var.max(dv / sv);
                }
            }
        }
        i += 1;
        j += 1;
    }
    EnsembleComparison {
        a: a_id.to_string(),
        b: b_id.to_string(),
        paired_points: paired,
        gaps,
    }
}
