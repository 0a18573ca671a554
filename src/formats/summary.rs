//! summary.json and timing.json of a run, as typed structs: what `flowgap plot` reads back from a
//! run's summary, and the whole of timing.json.

use crate::trajectory::Termination;
use serde::{Deserialize, Serialize};

/// timing.json: the wall-clock times of a run, kept out of summary.json so that it is byte-identical
/// across runs of the same scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// One entry per method, in scenario order.
    pub methods: Vec<MethodTiming>,
}

/// One method's entry in [`Timing`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodTiming {
    /// The method's id.
    pub id: String,
    /// Seconds of wall-clock time the method took.
    pub wall_seconds: f64,
}

/// The part of a run's summary.json that `flowgap plot` reads back (other keys are left unread).
#[derive(Debug, Clone, Deserialize)]
pub struct SavedRun {
    /// Every method, in scenario order.
    pub methods: Vec<SavedMethod>,
    /// The data files the run read, when the run recorded them (see [`super::data_files`]).
    #[serde(default)]
    pub data_files: Option<super::data_files::DataFilesSummary>,
}

/// One method of a run's summary.json, as `flowgap plot` reads it back.
#[derive(Debug, Clone, Deserialize)]
pub struct SavedMethod {
    /// The method's id.
    pub id: String,
    /// Its kind (`gd`, `gradient_flow`, …).
    pub kind: String,
    /// True for discrete iterations.
    pub discrete: bool,
    /// How the run ended.
    pub termination: Termination,
    /// The number of recorded points (the rows of its trajectory CSV).
    pub recorded_points: Option<u64>,
    /// Gradient evaluations.
    #[serde(default)]
    pub grad_evals: u64,
    /// Accepted solver steps.
    #[serde(default)]
    pub accepted_steps: u64,
    /// Rejected solver steps.
    #[serde(default)]
    pub rejected_steps: u64,
    /// The `ensemble` object (sgd, sme), read further only for the ensemble figure.
    #[serde(default)]
    pub ensemble: serde_json::Value,
    /// The `diagnostics` object, read further only for the sharpness figure.
    #[serde(default)]
    pub diagnostics: serde_json::Value,
}
