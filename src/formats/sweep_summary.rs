//! A sweep folder's `summary.json`: the plan (what a merge needs to rebuild the sweep's summary and
//! figures), the shard and the counts read back from `sweep.csv`. Written by `flowgap sweep` and
//! `flowgap merge`, read by `flowgap merge` and `flowgap plot`; see docs/sweeps.md for the keys.

use super::bad;
use crate::error::Result;
use crate::files::{read_limited, MAX_SAVED_BYTES};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One axis of the grid as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedAxis {
    /// The dotted key the axis sets.
    pub key: String,
    /// True when the values are log-spaced (figures use a log axis).
    pub log: bool,
    /// The values, in grid order.
    pub values: Vec<f64>,
}

/// A sweep figure as saved, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SavedFigure {
    /// A column against a 1-D axis.
    Curve {
        /// The axis key on the horizontal axis.
        x: String,
        /// The column on the vertical axis.
        y: String,
        /// Log–log axes.
        log: bool,
    },
    /// The minimum each method reaches over a 2-D grid of starts.
    BasinMap,
    /// The last iterates against an axis.
    Bifurcation,
    /// Converged against diverged over two axes.
    Trainability,
    /// A kept column against step or time, one line per value of an axis (`overlay.png`).
    Overlay {
        /// The kept column drawn (`sharpness`, `loss`, `grad_norm`).
        column: String,
        /// The horizontal axis: `step` or `t`.
        x: String,
        /// The axis with one line per value.
        by: String,
        /// The axis whose runs are summarised as mean ± sd (a seed axis), if any.
        over: Option<String>,
        /// The method whose series are drawn.
        method: String,
        /// A log vertical axis.
        log: bool,
    },
}

/// A method of the sweep's scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedMethod {
    /// Its id (the prefix of its columns).
    pub id: String,
    /// True for a discrete method (its rows carry the tail columns).
    pub discrete: bool,
}

/// Everything of a sweep that does not depend on which rows were run: equal in every part of a sharded
/// sweep, which is how a merge tells parts of one sweep from another's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPlan {
    /// The scenario's name.
    pub scenario: String,
    /// The runs of the whole grid.
    pub runs: u64,
    /// The axes, slowest first.
    pub axes: Vec<SavedAxis>,
    /// The last recorded states kept per row.
    pub tail: usize,
    /// The figures drawn from the table.
    pub figures: Vec<SavedFigure>,
    /// The objective's known minima (their index is a row's `<id>.minimum`).
    pub minima: Vec<Vec<f64>>,
    /// The methods, in column order.
    pub methods: Vec<SavedMethod>,
    /// The comparison prefixes `<a>_vs_<b>`.
    pub comparisons: Vec<String>,
    /// The recorded columns kept per run in `kept.csv` (absent: none, and no `kept.csv`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<String>,
    /// The methods whose columns are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_methods: Vec<String>,
    /// The scenario's `[output]` figure settings, which the sweep's figures are drawn with (absent in
    /// summaries written before they were saved: the default settings, PNG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<SavedOutput>,
}

/// A scenario's `[output]` figure settings as a sweep saves them, so that a merge or `flowgap plot`
/// draws the figures as the sweep did. Names are saved as the scenario spells them (outspec reads them
/// back; this layer does not know its types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOutput {
    /// `formats`: the image formats, in order.
    pub formats: Vec<String>,
    /// `style`: `screen`, `paper` or `paper_wide`.
    pub style: String,
    /// `width`, in pixels (screen style).
    pub width: u32,
    /// `height`, in pixels (screen style).
    pub height: u32,
    /// `dpi`, when set (or implied by a paper style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpi: Option<u32>,
    /// `title`: whether figures carry their default titles.
    pub title: bool,
    /// `legend`: where legends go.
    pub legend: String,
    /// The methods' display names (`[[method]] label`) by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `[output.figure.<kind>]` settings by kind name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub figure: BTreeMap<String, SavedOverrides>,
}

/// One `[output.figure.<kind>]` table as saved.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOverrides {
    /// `title` when a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `title = false`: no title.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_title: bool,
    /// `x_label`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_label: Option<String>,
    /// `y_label`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_label: Option<String>,
    /// `x_range`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_range: Option<(f64, f64)>,
    /// `y_range`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_range: Option<(f64, f64)>,
    /// `x_log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_log: Option<bool>,
    /// `y_log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_log: Option<bool>,
}

/// Which part of the grid a sharded sweep ran: the indices i with i mod `count` = `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedShard {
    /// 0 ≤ index < count.
    pub index: u64,
    /// The number of parts.
    pub count: u64,
}

/// How one method's runs ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodCounts {
    /// Runs that completed.
    pub completed: u64,
    /// Runs that diverged.
    pub diverged: u64,
    /// Runs that ended otherwise (a solver failure, the time limit).
    pub solver_failed: u64,
    /// With known minima: the runs ending at each minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached_minimum: Option<Vec<u64>>,
    /// With known minima: the runs ending at none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached_none: Option<u64>,
}

/// How often the two methods of a comparison end in different minima.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disagreement {
    /// Runs whose two methods end at different minima (or one at none).
    pub different_minimum: u64,
    /// That count over the rows (`null` with no rows).
    pub fraction: Option<f64>,
}

/// The counts read from `sweep.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Rows in the table.
    pub rows: u64,
    /// Per method id.
    pub methods: BTreeMap<String, MethodCounts>,
    /// Per comparison, when the objective has known minima.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<BTreeMap<String, Disagreement>>,
}

/// A sweep folder's `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// The plan.
    #[serde(flatten)]
    pub plan: SweepPlan,
    /// The part of the grid run (`null`: the whole grid).
    pub shard: Option<SavedShard>,
    /// The rows this process was asked for.
    pub planned_rows: u64,
    /// The rows written.
    pub rows: u64,
    /// False when the sweep was interrupted before every run finished.
    pub complete: bool,
    /// The counts.
    pub counts: Counts,
}

impl SweepSummary {
    /// The summary as a JSON value (keys in sorted order, as every flowgap summary writes them).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a sweep summary always serialises")
    }

    /// Writes the summary to `path` (pretty JSON, keys sorted, a final line end).
    pub fn write(&self, path: &Path) -> Result<()> {
        super::write_json(path, &self.to_value())
    }

    /// Reads the sweep summary at `path`. A missing, unreadable or foreign file (a run's summary, a
    /// hand-edited one missing a key) is bad input (exit 2) naming the file.
    pub fn read(path: &Path) -> Result<SweepSummary> {
        if std::fs::metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Err(bad(path, "is missing; this is not a flowgap sweep's folder"));
        }
        let bytes = read_limited(path, MAX_SAVED_BYTES)?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| bad(path, format!("is not a flowgap sweep summary ({e})")))?;
        Self::from_value(value, path)
    }

    /// The sweep summary in `value`, read from `path` (named in the error).
    pub fn from_value(value: serde_json::Value, path: &Path) -> Result<SweepSummary> {
        if !(value["axes"].is_array() && value["scenario"].is_string()) {
            return Err(bad(path, "is not a flowgap sweep summary (it has no `axes`)"));
        }
        serde_json::from_value(value).map_err(|e| bad(path, format!("is not a flowgap sweep summary ({e})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn summary() -> SweepSummary {
        SweepSummary {
            plan: SweepPlan {
                scenario: "s".into(),
                runs: 2,
                axes: vec![SavedAxis {
                    key: "run.step_size".into(),
                    log: false,
                    values: vec![0.1, 0.2],
                }],
                tail: 0,
                figures: vec![SavedFigure::BasinMap],
                minima: vec![vec![3.0, 2.0]],
                methods: vec![SavedMethod {
                    id: "gd".into(),
                    discrete: true,
                }],
                comparisons: vec![],
                keep: vec![],
                kept_methods: vec![],
                output: None,
            },
            shard: None,
            planned_rows: 2,
            rows: 0,
            complete: true,
            counts: Counts {
                rows: 0,
                methods: BTreeMap::new(),
                disagreement: Some(BTreeMap::from([(
                    "gd_vs_flow".to_string(),
                    Disagreement {
                        different_minimum: 0,
                        fraction: None,
                    },
                )])),
            },
        }
    }

    #[test]
    fn a_summary_reads_back_as_written_and_a_foreign_one_is_bad_input() {
        let path = Path::new("summary.json");
        let s = summary();
        let v = s.to_value();
        // Keys as every flowgap summary writes them: sorted, the figure tagged by its kind, no rows: null.
        assert_eq!(v["figures"][0]["kind"], "basin_map");
        assert!(v["counts"]["disagreement"]["gd_vs_flow"]["fraction"].is_null());
        assert_eq!(v["shard"], serde_json::Value::Null);
        assert_eq!(SweepSummary::from_value(v.clone(), path).unwrap(), s);
        let mut no_counts = v.clone();
        no_counts.as_object_mut().unwrap().remove("counts");
        let mut run_summary = v;
        run_summary.as_object_mut().unwrap().remove("axes");
        for foreign in [no_counts, run_summary, serde_json::json!([1, 2])] {
            match SweepSummary::from_value(foreign, path) {
                Err(Error::Input { path: p, message }) => {
                    assert_eq!(p, path);
                    assert!(message.contains("not a flowgap sweep summary"), "{message}");
                }
                other => panic!("expected bad input, got {other:?}"),
            }
        }
    }
}
