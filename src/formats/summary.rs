//! summary.json and timing.json of a run, as typed structs: [`RunSummary`] is what a run writes,
//! [`SavedRun`] the part of it that `flowgap plot` reads back, and [`Timing`] the whole of timing.json.
//! The schema is documented in docs/output.md.

use super::data_files::DataFilesSummary;
use crate::compare::Comparison;
use crate::diagnostics::{ComparisonDiagnostics, DiagnosticsConfig, MethodDiagnostics};
use crate::objective::HeldOutSummary;
use crate::stochastic::{EnsembleComparison, EnsembleStats, Stationary, STATIONARY_FRACTION};
use crate::trajectory::Termination;
use serde::{Deserialize, Serialize};

/// A run's summary.json, as written. Objects whose keys depend on a kind (the objective's and a
/// method's settings) stay JSON values: each kind writes its own, and a user's method may write any.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary<'a> {
    /// The flowgap version that wrote the file.
    pub flowgap_version: &'static str,
    /// What was run.
    pub scenario: ScenarioSummary,
    /// Every method, in scenario order.
    pub methods: Vec<MethodSummary<'a>>,
    /// Every `[[compare]]`, in scenario order.
    pub comparisons: Vec<ComparisonSummary<'a>>,
    /// The ensemble comparisons (a `[[compare]]` of two ensemble methods).
    pub ensemble_comparisons: &'a [EnsembleComparison],
    /// The data files the run read.
    pub data_files: DataFilesSummary,
    /// The resolved `[diagnostics]` table (only when the scenario has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics_settings: Option<DiagnosticsConfig>,
}

/// The `scenario` object of [`RunSummary`].
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioSummary {
    /// The scenario's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The canonical path of the scenario file (none for an experiment built in code).
    pub source: Option<std::path::PathBuf>,
    /// The objective's resolved settings.
    pub objective: serde_json::Value,
    /// The initial point.
    pub init: Vec<f64>,
    /// The time grid.
    pub run: RunGridSummary,
    /// Always null: sgd and sme carry their own seed in their settings.
    pub seed: Option<u64>,
}

/// The `run` object of [`ScenarioSummary`].
#[derive(Debug, Clone, Serialize)]
pub struct RunGridSummary {
    /// η.
    pub step_size: f64,
    /// K.
    pub steps: u64,
    /// Every how many steps a point is recorded.
    pub record_every: u64,
    /// K·η.
    pub t_end: f64,
    /// |L| above which a run counts as diverged.
    pub divergence_bound: f64,
    /// The learning-rate schedule (absent for a constant η): its kind and keys, the smallest and largest
    /// η_k, and the time axis `sum_{j<k} eta_j`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<serde_json::Value>,
}

/// One method of [`RunSummary`].
#[derive(Debug, Clone, Serialize)]
pub struct MethodSummary<'a> {
    /// The method's id.
    pub id: String,
    /// Its kind (`gd`, `gradient_flow`, …).
    pub kind: String,
    /// True for discrete iterations.
    pub discrete: bool,
    /// The kind's settings.
    pub settings: serde_json::Value,
    /// The method's own learning-rate schedule, recorded as `run.schedule` is (absent when it runs on
    /// the run's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<serde_json::Value>,
    /// `k*eta` or `k*sqrt(eta)`.
    pub time_map: &'static str,
    /// The time of one step.
    pub time_unit: f64,
    /// The sharpness above which the method diverges on a quadratic (null for flows).
    pub stability_threshold: Option<f64>,
    /// How the run ended.
    pub termination: Termination,
    /// The number of recorded points.
    pub recorded_points: usize,
    /// The time of the last recorded point.
    pub t_end: f64,
    /// The step of the last recorded point.
    pub final_step: Option<u64>,
    /// The loss at the last recorded point.
    pub final_loss: f64,
    /// ‖∇L‖ at the last recorded point.
    pub final_grad_norm: Option<f64>,
    /// θ at the last recorded point.
    pub final_point: Option<&'a [f64]>,
    /// Gradient evaluations.
    pub grad_evals: u64,
    /// Accepted solver steps (GD steps for a discrete method).
    pub accepted_steps: u64,
    /// Rejected solver steps.
    pub rejected_steps: u64,
    /// Hessian-vector products of the method's dynamics (central_flow; absent when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub hvps: u64,
    /// A central_flow with Lanczos eigenpairs: the evaluations of its field where Lanczos stopped at its
    /// iteration cap before meeting its tolerance (absent for every other method and with exact ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lanczos_unconverged: Option<u64>,
    /// The ensemble's statistics (sgd, sme), else null.
    pub ensemble: Option<EnsembleSummary>,
    /// The method's diagnostics (only with `[diagnostics]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<&'a MethodDiagnostics>,
    /// The held-out evaluation (only with a test part in `[objective.data]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_out: Option<HeldOutBlock>,
    /// The central flow's recorded quantities summarised (central_flow only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub central: Option<crate::continuous::CentralSummary>,
}

/// A method's `held_out` object: where θ was evaluated, then the final and best values.
#[derive(Debug, Clone, Serialize)]
pub struct HeldOutBlock {
    /// `theta` (the method's θ), or `ensemble_mean_theta` for sgd and sme: the losses of the ensemble's
    /// mean parameters, L(E θ), not the mean of the paths' losses (the paths' θ are not kept).
    pub evaluated_at: &'static str,
    /// The final and best values.
    #[serde(flatten)]
    pub summary: HeldOutSummary,
}

/// One comparison of [`RunSummary`]: the distances, and the diagnostics when the run has them.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonSummary<'a> {
    /// The distances between the two trajectories.
    #[serde(flatten)]
    pub comparison: &'a Comparison,
    /// The comparison's diagnostics (only with `[diagnostics]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<&'a ComparisonDiagnostics>,
    /// GD against the central flow over a window (only with `[[compare]] window`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub central: Option<&'a crate::continuous::CentralComparisonSummary>,
}

/// The `ensemble` object of a method (sgd, sme): written by a run, read back by `flowgap plot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSummary {
    /// Paths run.
    pub paths: usize,
    /// Paths that blew up.
    pub blown_up: usize,
    /// The time of the first blow-up (null if none).
    #[serde(rename = "first_blow_up_t")]
    pub first_blow_up: Option<f64>,
    /// What the method's trajectory CSV holds.
    pub trajectory: String,
    /// The per-parameter statistics' names (`theta_i` or `theta_norm`).
    pub param_names: Vec<String>,
    /// The statistics at the last recorded point (null if nothing was recorded).
    #[serde(rename = "final")]
    pub last: Option<EnsembleFinal>,
    /// The stationary estimate (null if too few points).
    pub stationary: Option<StationarySummary>,
}

/// The `final` object of [`EnsembleSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleFinal {
    /// The time.
    pub t: f64,
    /// Paths alive there.
    pub alive: usize,
    /// Ensemble mean of L.
    pub loss_mean: f64,
    /// Ensemble variance of L.
    pub loss_var: f64,
    /// Ensemble mean of each parameter statistic.
    pub param_mean: Vec<f64>,
    /// Ensemble variance of each parameter statistic.
    pub param_var: Vec<f64>,
}

/// The `stationary` object of [`EnsembleSummary`]: the estimate and the words that say what it averages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationarySummary {
    /// The time-averaged statistics.
    #[serde(flatten)]
    pub estimate: Stationary,
    /// What the window is, in words.
    pub window: String,
}

impl EnsembleSummary {
    /// The summary of an ensemble's statistics.
    pub fn of(e: &EnsembleStats) -> Self {
        let q = e.q();
        EnsembleSummary {
            paths: e.paths,
            blown_up: e.blown_up,
            first_blow_up: e.first_blow_up,
            trajectory: "ensemble mean of θ; loss column = ensemble mean of L(θ)".to_string(),
            param_names: e.param_names.clone(),
            last: e.len().checked_sub(1).map(|i| EnsembleFinal {
                t: e.times[i],
                alive: e.alive[i],
                loss_mean: e.loss_mean[i],
                loss_var: e.loss_var[i],
                param_mean: e.param_mean[i * q..(i + 1) * q].to_vec(),
                param_var: e.param_var[i * q..(i + 1) * q].to_vec(),
            }),
            stationary: e.stationary().map(|estimate| StationarySummary {
                estimate,
                window: format!(
                    "time average over the last {}% of the recorded points",
                    STATIONARY_FRACTION * 100.0
                ),
            }),
        }
    }
}

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
    /// Hessian-vector products of the method's dynamics.
    #[serde(default)]
    pub hvps: u64,
    /// The `ensemble` object (sgd, sme).
    #[serde(default)]
    pub ensemble: Option<EnsembleSummary>,
    /// The part of the `diagnostics` object that the sharpness figure reads back.
    #[serde(default)]
    pub diagnostics: Option<SavedDiagnostics>,
}

/// The part of a method's `diagnostics` object that `flowgap plot` reads back.
#[derive(Debug, Clone, Deserialize)]
pub struct SavedDiagnostics {
    /// How the sampled spectra were computed (null without `[diagnostics.sharpness]`).
    #[serde(default)]
    pub sharpness: Option<SavedSharpness>,
}

/// How a method's sharpness was sampled: what the CSV of spectra does not hold.
#[derive(Debug, Clone, Deserialize)]
pub struct SavedSharpness {
    /// `exact` or `lanczos`.
    pub method: String,
    /// Hessian-vector products spent.
    pub hvps: u64,
    /// Points where Lanczos stopped at its cap.
    pub unconverged_points: usize,
}

/// serde's test for leaving a zero count out of summary.json.
fn is_zero(n: &u64) -> bool {
    *n == 0
}
