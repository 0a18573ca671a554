//! Per-feature rescaling of inputs: standardisation (zero mean, unit variance) or min–max to [0, 1].

use nalgebra::DMatrix;
use serde::Serialize;

/// How to rescale each feature column.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Scaling {
    /// Leave the features as they are.
    None,
    /// x ↦ (x − mean) / std, with the population standard deviation (1/n, as scikit-learn's
    /// StandardScaler); a constant column becomes all zeros.
    Standardize,
    /// x ↦ (x − min) / (max − min), into [0, 1]; a constant column becomes all zeros.
    MinMax,
}

impl Scaling {
    /// The names accepted in a scenario's `scale` key.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// The scaling called `name` in a scenario.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The scenario name of this scaling.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What was subtracted from and divided into each column, for the record (summary.json) and to
/// apply the same map to new inputs: x_scaled = (x − shift) / factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleParams {
    /// The scaling used.
    pub scaling: Scaling,
    /// Per column: the mean (standardize), the minimum (min_max) or 0 (none).
    pub shift: Vec<f64>,
    /// Per column: the standard deviation (standardize), max − min (min_max) or 1 (none); 1 for a
    /// constant column, whose scaled values are then all 0.
    pub factor: Vec<f64>,
}

/// Rescales every column of `x` (n × p, one sample per row) in place and returns the map used.
pub fn apply(x: &mut DMatrix<f64>, scaling: Scaling) -> ScaleParams {
    let (n, p) = x.shape();
    let mut shift = vec![0.0; p];
    let mut factor = vec![1.0; p];
    if n > 0 {
        for j in 0..p {
            let col = x.column(j);
            let (s, f) = match scaling {
                Scaling::None => (0.0, 1.0),
                Scaling::Standardize => {
                    let mean = col.sum() / n as f64;
                    // Two-pass variance: stable when the mean is large compared with the spread.
                    let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
                    (mean, var.sqrt())
                }
                Scaling::MinMax => {
                    let lo = col.min();
                    (lo, col.max() - lo)
                }
            };
            shift[j] = s;
            // A constant column has nothing to scale; dividing by 1 keeps it finite (all zeros).
            factor[j] = if f > 0.0 { f } else { 1.0 };
            for v in x.column_mut(j).iter_mut() {
                *v = (*v - shift[j]) / factor[j];
            }
        }
    }
    ScaleParams {
        scaling,
        shift,
        factor,
    }
}

/// Applies a map fitted elsewhere (on the training part of a held-out split) to `x`: x ↦ (x − shift) / factor
/// column by column, the same arithmetic as [`apply`], so the training part scaled by [`apply`] and by
/// this with [`apply`]'s result are the same bits.
pub fn apply_params(x: &mut DMatrix<f64>, params: &ScaleParams) {
    for j in 0..x.ncols() {
        let (s, f) = (params.shift[j], params.factor[j]);
        for v in x.column_mut(j).iter_mut() {
            *v = (*v - s) / f;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_the_saved_names_and_parse_back() {
        use crate::data::Sampling;
        for &name in Scaling::NAMES {
            let scaling = Scaling::from_name(name).unwrap();
            assert_eq!(
                (scaling.name(), serde_json::to_value(scaling).unwrap()),
                (name, name.into())
            );
        }
        for &name in Sampling::NAMES {
            let sampling = Sampling::from_name(name).unwrap();
            assert_eq!(serde_json::to_value(sampling).unwrap(), name);
        }
        assert_eq!(Sampling::NAMES, ["with_replacement", "without_replacement"]);
        assert_eq!(Scaling::NAMES, ["none", "standardize", "min_max"]);
        assert_eq!(Scaling::from_name("MinMax"), None);
    }

    #[test]
    fn standardize_and_min_max_by_hand() {
        // Column 0 = [1, 2, 3, 6]: mean 3, deviations (−2, −1, 0, 3), variance (4+1+0+9)/4 = 3.5.
        // Column 1 is constant: it becomes zeros with factor 1.
        let x0 = DMatrix::from_row_slice(4, 2, &[1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 6.0, 5.0]);
        let mut x = x0.clone();
        let p = apply(&mut x, Scaling::Standardize);
        assert_eq!(p.shift, vec![3.0, 5.0]);
        assert!((p.factor[0] - 3.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(p.factor[1], 1.0);
        assert!((x[(3, 0)] - 3.0 / 3.5f64.sqrt()).abs() < 1e-15);
        assert!(x.column(1).iter().all(|&v| v == 0.0));

        // Min–max on column 0: (x − 1)/5 → [0, 0.2, 0.4, 1].
        let mut x = x0.clone();
        apply(&mut x, Scaling::MinMax);
        let expect = [0.0, 0.2, 0.4, 1.0];
        for (i, e) in expect.iter().enumerate() {
            assert!((x[(i, 0)] - e).abs() < 1e-15);
        }

        let mut x = x0.clone();
        apply(&mut x, Scaling::None);
        assert_eq!(x, x0);
    }

    #[test]
    fn fitted_params_reapply_bit_for_bit() {
        let x0 = DMatrix::from_row_slice(4, 2, &[1.0, 5.0, 2.0, 7.0, 3.0, 5.5, 6.0, 0.1]);
        for scaling in [Scaling::Standardize, Scaling::MinMax, Scaling::None] {
            let mut fitted = x0.clone();
            let p = apply(&mut fitted, scaling);
            let mut again = x0.clone();
            apply_params(&mut again, &p);
            assert_eq!(again, fitted);
        }
        // A test row outside the training range keeps the training map: (10 − 3)/√3.5 under standardize.
        let mut train = DMatrix::from_row_slice(4, 1, &[1.0, 2.0, 3.0, 6.0]);
        let p = apply(&mut train, Scaling::Standardize);
        let mut test = DMatrix::from_row_slice(1, 1, &[10.0]);
        apply_params(&mut test, &p);
        assert!((test[(0, 0)] - 7.0 / 3.5f64.sqrt()).abs() < 1e-15);
    }
}
