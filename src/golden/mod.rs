//! Golden files: pinning a scenario's results so that a change in flowgap, in a dependency or in the
//! user's code cannot silently move them.
//!
//! A golden file (`scenarios/golden/<name>.json`) holds, per method, selected trajectory points (about
//! [`POINTS`], always the first and the last), the final loss and the termination; per comparison the
//! maximum and final distance and the departure time; and the tolerances each quantity is checked with,
//! derived from what the method can promise (see docs/golden.md), plus the settings that made it.
//!
//! A deterministic method's points also carry an allowance measured at bless time by rerunning it with
//! its gradient perturbed by a few dozen ulps ([`roundoff`]): negligible where the map forgets roundoff,
//! growing where it amplifies it, and past the point where the perturbed runs leave the path (the
//! predictability horizon) the points are recorded but not compared.
//!
//! An ensemble method (`sgd`, `sme`) pins ensemble statistics instead of a path: at the same selected
//! times, the mean and variance of the loss and of every parameter statistic and the fraction of live
//! paths, each with its Monte Carlo standard error computed from the ensemble. A statistic passes when
//! |found − expected| ≤ [`ENSEMBLE_Z`]·√(se_expected² + se_found²) plus the discrete floor, so a re-seeded
//! ensemble (a new seed, a new random stream) passes and a change of the dynamics does not.

pub mod roundoff;

use crate::error::{Error, Result};
use crate::experiment::Report;
use crate::files;
use crate::formats::data_files::{self, DataFile};
use crate::method::{MethodClass, MethodKind};
use crate::stochastic::EnsembleStats;
use crate::trajectory::{Termination, Trajectory};
use roundoff::{exceeds, scalar_spread, twin_comparisons, twins, Spread, HORIZON, SAFETY};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How many trajectory points a golden file keeps per method (evenly spaced, first and last included).
pub const POINTS: usize = 11;

/// Relative and absolute tolerance: |found − expected| ≤ abs + rel·|expected|.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Relative part.
    pub rel: f64,
    /// Absolute part.
    pub abs: f64,
}

impl Tolerance {
    /// True when `found` is within tolerance of `expected` (both non-finite counts as equal when they are
    /// the same kind of non-finite).
    pub fn accepts(&self, expected: f64, found: f64) -> bool {
        if !expected.is_finite() || !found.is_finite() {
            return expected.to_bits() == found.to_bits() || (expected.is_nan() && found.is_nan());
        }
        (found - expected).abs() <= self.abs + self.rel * expected.abs()
    }

    /// The sum of two tolerances (for a quantity built from two methods' states).
    fn plus(self, other: Tolerance) -> Tolerance {
        Tolerance {
            rel: self.rel + other.rel,
            abs: self.abs + other.abs,
        }
    }
}

/// Discrete methods are deterministic arithmetic: the same build gives the same bits, and a new compiler or
/// libm moves a result by a few ulps, amplified by the map's sensitivity over the run. 1e-9 relative leaves
/// room for a million-fold amplification of 1e-15 roundoff.
pub const DISCRETE: Tolerance = Tolerance {
    rel: 1e-9,
    abs: 1e-12,
};

/// An adaptive solver promises each step's local error below rtol·|y| + atol; a change in the solver's step
/// sequence moves the result by up to the global error, which for these non-expansive flows stays within a
/// small multiple of the tolerance. We allow 100×.
pub fn adaptive(rtol: f64, atol: f64) -> Tolerance {
    Tolerance {
        rel: (100.0 * rtol).max(DISCRETE.rel),
        abs: (100.0 * atol).max(DISCRETE.abs),
    }
}

/// An ensemble statistic may move by this many combined standard errors: with N statistics compared, a
/// re-seeded ensemble fails with probability at most N·2Φ(−5) = N·5.7e-7 (Bonferroni; docs/golden.md).
pub const ENSEMBLE_Z: f64 = 5.0;

/// The allowed difference between an ensemble statistic pinned as `expected` with standard error
/// `se_expected` and a value found with standard error `se_found`:
/// z·√(se_expected² + se_found²) + floor.abs + floor.rel·|expected|.
pub fn ensemble_allowance(z: f64, se_expected: f64, se_found: f64, floor: Tolerance, expected: f64) -> f64 {
    z * se_expected.hypot(se_found) + floor.abs + floor.rel * expected.abs()
}

/// One ensemble statistic at a pinned time, with its Monte Carlo standard error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// `loss_mean`, `loss_var`, `<param>_mean`, `<param>_var` (param `theta_i` or `theta_norm`) or
    /// `alive_fraction`.
    pub name: String,
    /// The ensemble's value.
    pub value: f64,
    /// Its Monte Carlo standard error, from the ensemble itself (see [`EnsembleGolden::quantities`]).
    pub se: f64,
}

/// The ensemble statistics at one pinned time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsemblePoint {
    /// Step index k.
    pub step: u64,
    /// Time.
    pub t: f64,
    /// Paths still alive (for information; `alive_fraction` is the checked statistic).
    pub alive: usize,
    /// The statistics (means and variances only where at least two paths are alive).
    pub stats: Vec<Stat>,
}

/// How the standard error of one kind of statistic is computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantityBasis {
    /// The statistic's name (as in [`Stat::name`]).
    pub name: String,
    /// Its standard error's formula.
    pub se: String,
}

/// An ensemble method's pinned statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleGolden {
    /// The number of paths M.
    pub paths: usize,
    /// The number of combined standard errors a statistic may move ([`ENSEMBLE_Z`] when blessed).
    pub z: f64,
    /// How each statistic's standard error is computed.
    pub quantities: Vec<QuantityBasis>,
    /// The statistics at the selected times.
    pub points: Vec<EnsemblePoint>,
}

/// One pinned trajectory point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Step index k (t = k·η).
    pub step: u64,
    /// Time.
    pub t: f64,
    /// Loss.
    pub loss: f64,
    /// Parameters.
    pub theta: Vec<f64>,
    /// The allowance measured by the roundoff twins (deterministic methods; absent: none measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roundoff: Option<PointRoundoff>,
}

/// What the roundoff twins allow at one trajectory point, on top of the method's tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointRoundoff {
    /// Extra absolute allowance for the loss: [`SAFETY`] × the twins' spread of the loss.
    pub loss: f64,
    /// Extra absolute allowance for every parameter: [`SAFETY`] × the twins' largest parameter spread.
    pub theta: f64,
    /// Past the predictability horizon: the point is recorded, not compared.
    #[serde(default, skip_serializing_if = "is_false")]
    pub beyond_horizon: bool,
}

/// What the roundoff twins allow for one scalar, on top of the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalarRoundoff {
    /// Extra absolute allowance: [`SAFETY`] × the twins' spread.
    pub allowance: f64,
    /// The twins disagree beyond [`HORIZON`] of the value (or one lacks it): recorded, not compared.
    #[serde(default, skip_serializing_if = "is_false")]
    pub beyond_horizon: bool,
}

/// The first recorded point past which a method's path is not reproducible under roundoff.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Horizon {
    /// Its step.
    pub step: u64,
    /// Its time.
    pub t: f64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One method's pinned results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodGolden {
    /// The method's id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// How it ended (exact match required, steps and status included).
    pub termination: String,
    /// The tolerance its values are checked with, and why.
    pub tolerance: Tolerance,
    /// Where the tolerance comes from.
    pub tolerance_basis: String,
    /// The final loss (absent for an ensemble method: its final mean loss is an ensemble statistic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_loss: Option<f64>,
    /// Selected points (absent for an ensemble method).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<Point>,
    /// An ensemble method's statistics at the selected times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<EnsembleGolden>,
    /// Where the roundoff twins left the path (absent: they never did, or none were run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<Horizon>,
    /// The twins ended otherwise than the path did: its termination is recorded, not compared.
    #[serde(default, skip_serializing_if = "is_false")]
    pub termination_beyond_horizon: bool,
    /// Past the horizon, where single points are not reproducible: the mean loss between consecutive
    /// pinned points, which is (a statistic of the chaotic path, with the twins' spread as its allowance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
}

/// The mean loss over the recorded points with step in (`after`, `to`], past the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// The window starts after this step (a pinned point's).
    pub after: u64,
    /// And ends at this one (the next pinned point's), included.
    pub to: u64,
    /// The mean of the recorded losses in the window.
    pub loss_mean: f64,
    /// The allowed difference: [`SAFETY`] × the twins' spread of the mean, plus the tolerance's floor.
    pub allowance: f64,
}

/// One comparison's pinned metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonGolden {
    /// First method.
    pub a: String,
    /// Second method.
    pub b: String,
    /// The sum of both methods' tolerances.
    pub tolerance: Tolerance,
    /// max ‖θ_a − θ_b‖.
    pub max_distance: f64,
    /// Final distance.
    pub final_distance: f64,
    /// Departure time (`None`: never departed).
    pub departure_time: Option<f64>,
    /// What the roundoff twins allow (absent: neither method has twins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roundoff: Option<ComparisonRoundoff>,
}

/// What the roundoff twins allow for a comparison's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRoundoff {
    /// For `max_distance`.
    pub max_distance: ScalarRoundoff,
    /// For `final_distance`.
    pub final_distance: ScalarRoundoff,
    /// For `departure_time`.
    pub departure_time: ScalarRoundoff,
}

/// A golden file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Golden {
    /// The scenario's name.
    pub scenario: String,
    /// The flowgap version that blessed it.
    pub blessed_with: String,
    /// The run settings that made it (a check refuses to compare against other settings, except for the
    /// seed of an ensemble method, whose statistics are checked against their standard errors).
    pub settings: serde_json::Value,
    /// Per method.
    pub methods: Vec<MethodGolden>,
    /// Per comparison.
    pub comparisons: Vec<ComparisonGolden>,
    /// The data files the scenario reads, with the hash of their bytes when blessed (absent in golden
    /// files blessed before flowgap pinned them: then the data is not checked by itself).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<DataFile>,
}

impl Golden {
    /// One line per method whose path has a predictability horizon: from where its points are recorded
    /// but not compared, and what is compared instead.
    pub fn horizon_notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self
            .methods
            .iter()
            .filter_map(|m| {
                let h = m.horizon?;
                let past = m
                    .points
                    .iter()
                    .filter(|p| p.roundoff.is_some_and(|r| r.beyond_horizon))
                    .count();
                Some(format!(
                    "{}: past its predictability horizon (step {}, t = {}) roundoff decides the path; {past} of \
                     {} points recorded, not compared; {} window means of the loss compared instead",
                    m.id,
                    h.step,
                    h.t,
                    m.points.len(),
                    m.windows.len()
                ))
            })
            .collect();
        for c in &self.comparisons {
            let Some(r) = c.roundoff else { continue };
            let beyond: Vec<&str> = [
                ("max_distance", r.max_distance),
                ("final_distance", r.final_distance),
                ("departure_time", r.departure_time),
            ]
            .into_iter()
            .filter(|(_, x)| x.beyond_horizon)
            .map(|(name, _)| name)
            .collect();
            if !beyond.is_empty() {
                notes.push(format!(
                    "{} vs {}: {} recorded, not compared (decided by roundoff)",
                    c.a,
                    c.b,
                    beyond.join(", ")
                ));
            }
        }
        notes
    }
}

/// One difference between a run and its golden file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The method or comparison (`gd`, `gd vs flow`) or `settings`.
    pub subject: String,
    /// The quantity (`theta_1`, `loss`, `termination`, `max_distance`, …).
    pub quantity: String,
    /// The time of the point, where it is a trajectory point.
    pub t: Option<f64>,
    /// Expected value, as text.
    pub expected: String,
    /// Found value, as text.
    pub found: String,
    /// By how much it missed, relative to the allowed difference (> 1 is a miss), where numeric.
    pub miss: Option<f64>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.subject, self.quantity)?;
        if let Some(t) = self.t {
            write!(f, " at t={t}")?;
        }
        write!(f, ": expected {}, found {}", self.expected, self.found)?;
        if let Some(m) = self.miss {
            write!(f, " ({m:.3}× the allowed difference)")?;
        }
        Ok(())
    }
}

/// The golden file of the scenario in file `scenario_file`: `golden/<file stem>.json` beside it.
pub fn path_for(scenario_file: &Path) -> PathBuf {
    let dir = scenario_file.parent().unwrap_or(Path::new("."));
    let stem = scenario_file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    dir.join("golden").join(format!("{stem}.json"))
}

/// The outcome of checking one scenario.
pub enum Outcome {
    /// Every pinned quantity is within tolerance.
    Passed,
    /// These quantities moved.
    Failed(Vec<Mismatch>),
    /// `--bless` wrote the golden file; these are the differences from the previous one (`None`: there was
    /// none).
    Blessed(Option<Vec<Mismatch>>),
    /// `--bless` replaced a golden file that could not be used (unreadable, another scenario's, or
    /// checking nothing); why it could not.
    Replaced(String),
}

/// Checks the run `report` of the scenario in `scenario_file` against its golden file, or with `bless`
/// (re)writes the golden file.
///
/// A golden file that cannot be read, is another scenario's, checks nothing or holds a negative
/// tolerance is bad input ([`Error::Input`], exit 2), distinct from a result that moved.
pub fn check(scenario_file: &Path, report: &Report, bless: bool) -> Result<Outcome> {
    let path = path_for(scenario_file);
    // The data files resolve against the scenario file itself, as the loader resolved them.
    let source = std::fs::canonicalize(scenario_file).unwrap_or_else(|_| scenario_file.to_path_buf());
    if bless {
        return bless_golden(&path, &source, report);
    }
    let golden = load(&path)?;
    validate(&path, &golden, report)?;
    let mut mismatches = Vec::new();
    if !golden.data_files.is_empty() {
        mismatches = data_changes(
            &golden.data_files,
            &data_files::pin(&report.experiment.objective_settings, Some(&source))?,
        );
    }
    mismatches.extend(compare(&golden, report));
    Ok(if mismatches.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(mismatches)
    })
}

/// `check --bless`: writes the golden file of `report` at `path`, saying what changed from the previous
/// one, or that an unusable previous one was replaced.
fn bless_golden(path: &Path, source: &Path, report: &Report) -> Result<Outcome> {
    let previous = match load(path).and_then(|g| validate(path, &g, report).map(|()| g)) {
        Ok(g) => Some(g),
        Err(Error::MissingGolden { .. }) => None,
        Err(e) if e.is_bad_input() => {
            let mut blessed = record_blessed(report);
            blessed.data_files = data_files::pin(&report.experiment.objective_settings, Some(source))?;
            save(path, &blessed)?;
            // What was wrong, without the advice to bless that the refusal ends with.
            let why = match e {
                Error::Input { message, .. } => message.split("; ").next().unwrap_or_default().to_string(),
                other => other.to_string(),
            };
            return Ok(Outcome::Replaced(why));
        }
        Err(e) => return Err(e),
    };
    let mut blessed = record_blessed(report);
    blessed.data_files = data_files::pin(&report.experiment.objective_settings, Some(source))?;
    let changes = previous.map(|g| {
        let mut changes = Vec::new();
        if !g.data_files.is_empty() {
            changes = data_changes(&g.data_files, &blessed.data_files);
        }
        changes.extend(compare(&g, report));
        changes.extend(horizon_changes(&g, &blessed));
        changes
    });
    save(path, &blessed)?;
    Ok(Outcome::Blessed(changes))
}

/// The subject of a [`Mismatch`] about a data file (its quantity is the path).
pub const DATA_FILE: &str = "data file";

/// The subject of a [`Mismatch`] about a scenario setting (its quantity is the dotted key).
pub const SETTINGS: &str = "settings";

/// The data files whose bytes differ between `pinned` and `now`, or that only one of them reads.
fn data_changes(pinned: &[DataFile], now: &[DataFile]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for p in pinned {
        let found = now
            .iter()
            .find(|n| n.path == p.path)
            .map_or("not read".to_string(), |n| n.hash.clone());
        if found != p.hash {
            out.push(plain(DATA_FILE, &p.path, None, p.hash.clone(), found));
        }
    }
    for n in now.iter().filter(|n| !pinned.iter().any(|p| p.path == n.path)) {
        out.push(plain(DATA_FILE, &n.path, None, "not read".into(), n.hash.clone()));
    }
    out
}

/// A refusal of the golden file at `path`: bad input, naming the file.
fn bad_golden(path: &Path, why: impl Into<String>) -> Error {
    files::input_error(path, why)
}

/// Refuses a golden file that cannot check `report`: another scenario's, one that pins no method or no
/// point of a method (it would pass while checking nothing), one whose methods are not the scenario's
/// although its settings are, and one with a negative or infinite tolerance or allowance (which would
/// report identical values as moved, or accept anything).
fn validate(path: &Path, g: &Golden, report: &Report) -> Result<()> {
    let name = &report.experiment.name;
    if g.scenario != *name {
        return Err(bad_golden(
            path,
            format!(
                "golden file does not match this scenario: it pins scenario `{}`, not `{name}`",
                g.scenario
            ),
        ));
    }
    let nothing = |what: String| {
        bad_golden(
            path,
            format!("golden file checks nothing: {what}; run `flowgap check --bless` to write it again"),
        )
    };
    if g.methods.is_empty() {
        return Err(nothing("it pins no methods (`methods` is empty)".into()));
    }
    let mut limits: Vec<(String, f64)> = Vec::new();
    for m in &g.methods {
        let points = m.ensemble.as_ref().map_or(m.points.len(), |e| e.points.len());
        if points == 0 {
            return Err(nothing(format!("it pins no points of method `{}`", m.id)));
        }
        limits.push((format!("method `{}` tolerance.rel", m.id), m.tolerance.rel));
        limits.push((format!("method `{}` tolerance.abs", m.id), m.tolerance.abs));
        for p in &m.points {
            if let Some(r) = p.roundoff {
                limits.push((
                    format!("method `{}` roundoff at step {}", m.id, p.step),
                    r.loss.min(r.theta),
                ));
            }
        }
        for w in &m.windows {
            limits.push((format!("method `{}` window allowance", m.id), w.allowance));
        }
        if let Some(e) = &m.ensemble {
            limits.push((format!("method `{}` ensemble z", m.id), e.z));
            let se = e
                .points
                .iter()
                .flat_map(|p| &p.stats)
                .map(|s| s.se)
                .fold(0.0, f64::min);
            limits.push((format!("method `{}` standard error", m.id), se));
        }
    }
    for c in &g.comparisons {
        let subject = format!("comparison `{} vs {}`", c.a, c.b);
        limits.push((format!("{subject} tolerance.rel"), c.tolerance.rel));
        limits.push((format!("{subject} tolerance.abs"), c.tolerance.abs));
        if let Some(r) = c.roundoff {
            let least = [r.max_distance, r.final_distance, r.departure_time]
                .iter()
                .map(|x| x.allowance)
                .fold(f64::INFINITY, f64::min);
            limits.push((format!("{subject} roundoff allowance"), least));
        }
    }
    if let Some((what, x)) = limits.iter().find(|(_, x)| !(x.is_finite() && *x >= 0.0)) {
        return Err(bad_golden(
            path,
            format!("golden file is unusable: {what} is {x}; tolerances must be finite and ≥ 0"),
        ));
    }
    let pinned: Vec<&str> = g.methods.iter().map(|m| m.id.as_str()).collect();
    let run: Vec<&str> = report.methods.iter().map(|m| m.id.as_str()).collect();
    let mut sorted = (pinned.clone(), run.clone());
    sorted.0.sort_unstable();
    sorted.1.sort_unstable();
    if sorted.0 != sorted.1 && settings_match(g, report) {
        return Err(bad_golden(
            path,
            format!(
                "golden file does not match this scenario: it pins methods {pinned:?}, the scenario runs \
                 {run:?} with the same settings"
            ),
        ));
    }
    Ok(())
}

/// True when the golden file's settings are the run's (ensemble seeds aside).
fn settings_match(g: &Golden, report: &Report) -> bool {
    let now = settings_of(report);
    let ensembles = ensemble_ids(g, report);
    without_ensemble_seeds(&g.settings, &ensembles) == without_ensemble_seeds(&now, &ensembles)
}

/// The ids of the methods that are ensembles in the golden file or in the run.
fn ensemble_ids<'a>(g: &'a Golden, report: &'a Report) -> Vec<&'a str> {
    let pinned = g
        .methods
        .iter()
        .filter(|m| m.ensemble.is_some())
        .map(|m| m.id.as_str());
    let run = report
        .methods
        .iter()
        .filter(|m| m.ensemble.is_some())
        .map(|m| m.id.as_str());
    pinned.chain(run).collect()
}

fn tolerance_of(kind: &MethodKind) -> (Tolerance, String) {
    let solved = |s: &crate::continuous::SolverSettings| match s.solver {
        crate::continuous::SolverKind::Rk4 => (
            DISCRETE,
            "rk4 with a fixed step: deterministic arithmetic, like a discrete method (1e-9 rel floor, \
             plus per point the roundoff twins' allowance)"
                .to_string(),
        ),
        _ => (
            adaptive(s.rtol, s.atol),
            format!("adaptive solver: 100 × (rtol {}, atol {})", s.rtol, s.atol),
        ),
    };
    match kind.class() {
        MethodClass::Discrete => (
            DISCRETE,
            "discrete: 1e-9 rel floor, plus per point the roundoff twins' allowance; points past the \
             predictability horizon are recorded, not compared"
                .to_string(),
        ),
        MethodClass::DiscreteEnsemble | MethodClass::ContinuousEnsemble => (
            DISCRETE,
            format!(
                "ensemble statistics: |found − expected| ≤ z·√(se_expected² + se_found²) + this floor, \
                 z = {ENSEMBLE_Z}, Monte Carlo standard errors per quantity below"
            ),
        ),
        MethodClass::Continuous => solved(kind.solver().expect("a continuous model has a solver")),
    }
}

fn termination_text(t: &Termination) -> String {
    match t {
        Termination::Completed => "completed".to_string(),
        Termination::Diverged { step, .. } => format!("diverged at step {step}"),
        Termination::SolverFailed { failure, .. } => format!("solver_failed ({failure:?})"),
        Termination::TimeLimit { t, .. } => format!("time_limit at t = {t}"),
    }
}

/// Evenly spaced indices into 0..n, first and last included.
fn selected(n: usize) -> Vec<usize> {
    if n <= POINTS {
        return (0..n).collect();
    }
    let mut idx: Vec<usize> = (0..POINTS).map(|j| j * (n - 1) / (POINTS - 1)).collect();
    idx.dedup();
    idx
}

fn settings_of(report: &Report) -> serde_json::Value {
    let s = crate::output::summary(report, &crate::outspec::OutputSpec::figures(Vec::new()));
    // Through a JSON value, whose keys are sorted: the golden files were written that way.
    let s = serde_json::to_value(&s).expect("a summary serialises");
    serde_json::json!({
        "objective": s["scenario"]["objective"],
        "init": s["scenario"]["init"],
        "run": s["scenario"]["run"],
        "methods": s["methods"].as_array().map(|m| m.iter().map(|m| serde_json::json!({
            "id": m["id"], "kind": m["kind"], "settings": m["settings"]
        })).collect::<Vec<_>>()),
    })
}

/// The standard-error formulas of an ensemble's statistics, for the golden file.
fn quantity_bases(e: &EnsembleStats) -> Vec<QuantityBasis> {
    let basis = |name: String, se: &str| QuantityBasis {
        name,
        se: se.to_string(),
    };
    let mean = "s/√n: s² the sample variance (divisor n − 1), n the live paths";
    let var = "√(max(m4 − s⁴, 0)/n): m4 the central fourth moment (divisor n), n the live paths";
    let mut out = vec![basis("loss_mean".into(), mean), basis("loss_var".into(), var)];
    for p in &e.param_names {
        out.push(basis(format!("{p}_mean"), mean));
        out.push(basis(format!("{p}_var"), var));
    }
    out.push(basis(
        "alive_fraction".into(),
        "√(p(1 − p)/M): p the fraction of the M paths alive",
    ));
    out
}

/// The statistics of ensemble `e` at its point i, each with its Monte Carlo standard error.
pub fn ensemble_point(e: &EnsembleStats, i: usize) -> EnsemblePoint {
    let mut stats = Vec::new();
    let mut stat = |name: String, value: f64, se: f64| stats.push(Stat { name, value, se });
    if e.alive[i] >= 2 {
        stat("loss_mean".into(), e.loss_mean[i], e.se_mean(e.loss_var[i], i));
        stat(
            "loss_var".into(),
            e.loss_var[i],
            e.se_var_m4(e.loss_var[i], e.loss_m4[i], i),
        );
        let q = e.q();
        for (c, p) in e.param_names.iter().enumerate() {
            let (mean, var, m4) = (
                e.param_mean[i * q + c],
                e.param_var[i * q + c],
                e.param_m4[i * q + c],
            );
            stat(format!("{p}_mean"), mean, e.se_mean(var, i));
            stat(format!("{p}_var"), var, e.se_var_m4(var, m4, i));
        }
    }
    let p = e.alive[i] as f64 / e.paths.max(1) as f64;
    stat(
        "alive_fraction".into(),
        p,
        (p * (1.0 - p) / e.paths.max(1) as f64).sqrt(),
    );
    EnsemblePoint {
        step: e.steps[i],
        t: e.times[i],
        alive: e.alive[i],
        stats,
    }
}

/// The golden record of a finished run.
pub fn record(report: &Report) -> Golden {
    let methods = report
        .methods
        .iter()
        .zip(&report.experiment.methods)
        .map(|(m, config)| {
            let (tolerance, tolerance_basis) = tolerance_of(&config.kind);
            let t = &m.trajectory;
            if let Some(e) = &m.ensemble {
                return MethodGolden {
                    id: m.id.clone(),
                    kind: m.kind.clone(),
                    termination: termination_text(&t.termination),
                    tolerance,
                    tolerance_basis,
                    final_loss: None,
                    points: Vec::new(),
                    horizon: None,
                    termination_beyond_horizon: false,
                    windows: Vec::new(),
                    ensemble: Some(EnsembleGolden {
                        paths: e.paths,
                        z: ENSEMBLE_Z,
                        quantities: quantity_bases(e),
                        points: selected(e.len())
                            .into_iter()
                            .map(|i| ensemble_point(e, i))
                            .collect(),
                    }),
                };
            }
            MethodGolden {
                id: m.id.clone(),
                kind: m.kind.clone(),
                termination: termination_text(&t.termination),
                tolerance,
                tolerance_basis,
                final_loss: Some(t.final_loss()),
                ensemble: None,
                horizon: None,
                termination_beyond_horizon: false,
                windows: Vec::new(),
                points: selected(t.len())
                    .into_iter()
                    .map(|i| Point {
                        step: t.steps[i],
                        t: t.times[i],
                        loss: t.losses[i],
                        theta: t.state(i).to_vec(),
                        roundoff: None,
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    // A comparison involving an ensemble is not pinned: its distances are functions of the ensemble means,
    // which are pinned above with their standard errors; the maximum and the departure time over all
    // times have no standard error of their own.
    let is_ensemble = |id: &str| report.method(id).is_some_and(|m| m.ensemble.is_some());
    let comparisons = report
        .comparisons
        .iter()
        .filter(|c| !is_ensemble(&c.a) && !is_ensemble(&c.b))
        .map(|c| {
            let tol_of = |id: &str| {
                methods
                    .iter()
                    .find(|m| m.id == id)
                    .map_or(DISCRETE, |m| m.tolerance)
            };
            ComparisonGolden {
                a: c.a.clone(),
                b: c.b.clone(),
                tolerance: tol_of(&c.a).plus(tol_of(&c.b)),
                max_distance: c.max_distance,
                final_distance: c.final_distance,
                departure_time: c.departure_time,
                roundoff: None,
            }
        })
        .collect();
    Golden {
        scenario: report.experiment.name.clone(),
        blessed_with: env!("CARGO_PKG_VERSION").to_string(),
        settings: settings_of(report),
        methods,
        comparisons,
        data_files: Vec::new(),
    }
}

/// True for the methods that are deterministic arithmetic on the full gradient (discrete methods and
/// fixed-step rk4): the ones whose reproducibility the roundoff twins measure.
fn has_twins(kind: &MethodKind) -> bool {
    match kind.class() {
        MethodClass::Discrete => true,
        MethodClass::Continuous => kind
            .solver()
            .is_some_and(|s| s.solver == crate::continuous::SolverKind::Rk4),
        MethodClass::DiscreteEnsemble | MethodClass::ContinuousEnsemble => false,
    }
}

/// The golden record `--bless` writes: [`record`], plus the roundoff twins' allowance at every pinned
/// point of every deterministic method and for every comparison involving one, and where its path
/// leaves the twins (the predictability horizon).
pub fn record_blessed(report: &Report) -> Golden {
    let mut golden = record(report);
    let s = &report.experiment;
    let runs: Vec<Vec<Trajectory>> = report
        .methods
        .iter()
        .zip(&s.methods)
        .map(|(m, config)| {
            if m.ensemble.is_some() || !has_twins(&config.kind) {
                return Vec::new();
            }
            twins(
                &config.kind,
                s.objective.as_ref(),
                &s.init,
                config.grid(&s.grid),
                s.divergence_bound,
            )
        })
        .collect();
    for ((g, m), twins) in golden.methods.iter_mut().zip(&report.methods).zip(&runs) {
        if !twins.is_empty() {
            set_point_roundoff(g, &m.trajectory, twins);
        }
    }
    for g in &mut golden.comparisons {
        let index = |id: &str| report.methods.iter().position(|m| m.id == id);
        let (Some(a), Some(b)) = (index(&g.a), index(&g.b)) else {
            continue;
        };
        if runs[a].is_empty() && runs[b].is_empty() {
            continue;
        }
        let c = report
            .comparisons
            .iter()
            .find(|c| c.a == g.a && c.b == g.b)
            .expect("golden comparisons come from the report's");
        let config = s
            .comparisons
            .iter()
            .find(|x| x.a == g.a && x.b == g.b)
            .cloned()
            .unwrap_or_else(|| crate::experiment::CompareConfig::new(&g.a, &g.b, 0.0));
        let pairs = twin_comparisons(
            &config,
            s.objective.as_ref(),
            (&report.methods[a].trajectory, &runs[a]),
            (&report.methods[b].trajectory, &runs[b]),
        );
        let floor = g.tolerance.abs;
        let scalar = |value: f64, spread: f64| ScalarRoundoff {
            allowance: if spread.is_finite() { SAFETY * spread } else { 0.0 },
            beyond_horizon: exceeds(SAFETY * spread, HORIZON * value.abs() + floor),
        };
        g.roundoff = Some(ComparisonRoundoff {
            max_distance: scalar(
                c.max_distance,
                scalar_spread(Some(c.max_distance), pairs.iter().map(|p| Some(p.max_distance))),
            ),
            final_distance: scalar(
                c.final_distance,
                scalar_spread(
                    Some(c.final_distance),
                    pairs.iter().map(|p| Some(p.final_distance)),
                ),
            ),
            departure_time: scalar(
                c.departure_time.unwrap_or(0.0),
                scalar_spread(c.departure_time, pairs.iter().map(|p| p.departure_time)),
            ),
        });
    }
    golden
}

/// Sets the roundoff allowance of every pinned point of `g` from the twins of its path `t`, and its
/// horizon.
fn set_point_roundoff(g: &mut MethodGolden, t: &Trajectory, twins: &[Trajectory]) {
    let spread = Spread::of(t, twins);
    let floor = g.tolerance.abs;
    let horizon = spread.horizon(t, floor);
    g.horizon = horizon.map(|i| Horizon {
        step: t.steps[i],
        t: t.times[i],
    });
    g.termination_beyond_horizon = !spread.same_termination;
    let allowance = |x: f64| if x.is_finite() { SAFETY * x } else { 0.0 };
    let pinned = selected(t.len());
    for (p, &i) in g.points.iter_mut().zip(&pinned) {
        p.roundoff = Some(PointRoundoff {
            loss: allowance(spread.loss[i]),
            theta: allowance(spread.theta[i]),
            beyond_horizon: horizon.is_some_and(|h| i >= h),
        });
    }
    let Some(h) = horizon else {
        g.windows.clear();
        return;
    };
    g.windows = pinned
        .windows(2)
        .filter(|w| w[1] >= h)
        .map(|w| {
            let (after, to) = (t.steps[w[0]], t.steps[w[1]]);
            let mean = window_mean(t, after, to);
            let spread = scalar_spread(Some(mean), twins.iter().map(|x| Some(window_mean(x, after, to))));
            Window {
                after,
                to,
                loss_mean: mean,
                allowance: if spread.is_finite() {
                    SAFETY * spread
                } else {
                    f64::MAX
                },
            }
        })
        .collect();
}

/// The mean of `t`'s recorded losses with step in (`after`, `to`]; NaN when the path has none there or
/// stopped before `to`.
fn window_mean(t: &Trajectory, after: u64, to: u64) -> f64 {
    if t.steps.last().is_none_or(|&s| s < to) {
        return f64::NAN;
    }
    let (sum, n) = t
        .steps
        .iter()
        .zip(&t.losses)
        .filter(|(s, _)| **s > after && **s <= to)
        .fold((0.0, 0usize), |(sum, n), (_, l)| (sum + l, n + 1));
    sum / n as f64
}

/// A mismatch when `found` differs from `expected` by more than `tol` plus the absolute `extra` (the
/// roundoff twins' allowance; 0 without one).
fn number(
    subject: &str,
    quantity: &str,
    t: Option<f64>,
    (tol, extra): (Tolerance, f64),
    expected: f64,
    found: f64,
) -> Option<Mismatch> {
    let tol = Tolerance {
        abs: tol.abs + extra,
        ..tol
    };
    if tol.accepts(expected, found) {
        return None;
    }
    let allowed = tol.abs + tol.rel * expected.abs();
    Some(Mismatch {
        subject: subject.to_string(),
        quantity: quantity.to_string(),
        t,
        expected: format!("{expected:e}"),
        found: format!("{found:e}"),
        miss: (expected.is_finite() && found.is_finite()).then(|| (found - expected).abs() / allowed),
    })
}

/// The settings with the seed of every ensemble method in `ensembles` removed: a re-seeded ensemble is
/// checked statistically, so its seed is recorded but not required to match.
fn without_ensemble_seeds(settings: &serde_json::Value, ensembles: &[&str]) -> serde_json::Value {
    let mut s = settings.clone();
    if let Some(methods) = s.get_mut("methods").and_then(|m| m.as_array_mut()) {
        for m in methods {
            let id = m
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            if ensembles.contains(&id.as_str()) {
                if let Some(o) = m.get_mut("settings").and_then(|v| v.as_object_mut()) {
                    o.remove("seed");
                }
            }
        }
    }
    s
}

/// A mismatch without a numeric miss.
fn plain(subject: &str, quantity: &str, t: Option<f64>, expected: String, found: String) -> Mismatch {
    Mismatch {
        subject: subject.to_string(),
        quantity: quantity.to_string(),
        t,
        expected,
        found,
        miss: None,
    }
}

/// Compares one ensemble method's statistics with their golden values.
fn compare_ensemble(
    id: &str,
    floor: Tolerance,
    g: &EnsembleGolden,
    m: &EnsembleGolden,
    out: &mut Vec<Mismatch>,
) {
    if g.points.len() != m.points.len() {
        out.push(plain(
            id,
            "recorded points",
            None,
            g.points.len().to_string(),
            m.points.len().to_string(),
        ));
        return;
    }
    for (p, q) in g.points.iter().zip(&m.points) {
        if p.step != q.step {
            out.push(plain(
                id,
                "step",
                Some(p.t),
                p.step.to_string(),
                q.step.to_string(),
            ));
            continue;
        }
        for a in &p.stats {
            let Some(b) = q.stats.iter().find(|b| b.name == a.name) else {
                out.push(plain(
                    id,
                    &a.name,
                    Some(p.t),
                    format!("{:e}", a.value),
                    "no value (fewer than two live paths)".into(),
                ));
                continue;
            };
            let allowed = ensemble_allowance(g.z, a.se, b.se, floor, a.value);
            let diff = (b.value - a.value).abs();
            // NaN compares false: a non-finite value on either side is a miss.
            if diff <= allowed {
                continue;
            }
            out.push(Mismatch {
                subject: id.to_string(),
                quantity: a.name.clone(),
                t: Some(p.t),
                expected: format!("{:e} (se {:.2e})", a.value, a.se),
                found: format!("{:e} (se {:.2e})", b.value, b.se),
                miss: diff.is_finite().then(|| diff / allowed),
            });
        }
        for b in q
            .stats
            .iter()
            .filter(|b| !p.stats.iter().any(|a| a.name == b.name))
        {
            out.push(plain(
                id,
                &b.name,
                Some(p.t),
                "no value (fewer than two live paths)".into(),
                format!("{:e}", b.value),
            ));
        }
    }
}

/// Compares a run with its golden file; an empty list means the check passed.
pub fn compare(golden: &Golden, report: &Report) -> Vec<Mismatch> {
    let now = record(report);
    let mut out = Vec::new();
    let ensembles = ensemble_ids(golden, report);
    let (old, new) = (
        without_ensemble_seeds(&golden.settings, &ensembles),
        without_ensemble_seeds(&now.settings, &ensembles),
    );
    if old != new {
        settings_diff("", Some(&old), Some(&new), &mut out);
        return out;
    }
    for g in &golden.methods {
        let Some(m) = now.methods.iter().find(|m| m.id == g.id) else {
            out.push(plain(&g.id, "method", None, "present".into(), "missing".into()));
            continue;
        };
        if g.termination != m.termination && !g.termination_beyond_horizon {
            out.push(plain(
                &g.id,
                "termination",
                None,
                g.termination.clone(),
                m.termination.clone(),
            ));
        }
        let tol = g.tolerance;
        match (&g.ensemble, &m.ensemble) {
            (Some(ge), Some(me)) => {
                compare_ensemble(&g.id, tol, ge, me, &mut out);
                continue;
            }
            (None, None) => {}
            (ge, me) => {
                let what = |e: &Option<EnsembleGolden>| if e.is_some() { "an ensemble" } else { "a path" };
                out.push(plain(
                    &g.id,
                    "method output",
                    None,
                    what(ge).into(),
                    what(me).into(),
                ));
                continue;
            }
        }
        let path = &report
            .method(&g.id)
            .expect("`now` was recorded from this report")
            .trajectory;
        compare_path(g, m, path, &mut out);
    }
    for g in &golden.comparisons {
        let subject = format!("{} vs {}", g.a, g.b);
        let Some(c) = now.comparisons.iter().find(|c| c.a == g.a && c.b == g.b) else {
            out.push(Mismatch {
                subject,
                quantity: "comparison".into(),
                t: None,
                expected: "present".into(),
                found: "missing".into(),
                miss: None,
            });
            continue;
        };
        let tol = g.tolerance;
        // The twins' allowance of each metric, or None when the metric is past the horizon.
        let extra = |r: fn(&ComparisonRoundoff) -> ScalarRoundoff| match g.roundoff.as_ref().map(r) {
            None => Some((tol, 0.0)),
            Some(r) if r.beyond_horizon => None,
            Some(r) => Some((tol, r.allowance)),
        };
        if let Some(allow) = extra(|r| r.max_distance) {
            out.extend(number(
                &subject,
                "max_distance",
                None,
                allow,
                g.max_distance,
                c.max_distance,
            ));
        }
        if let Some(allow) = extra(|r| r.final_distance) {
            out.extend(number(
                &subject,
                "final_distance",
                None,
                allow,
                g.final_distance,
                c.final_distance,
            ));
        }
        let Some(allow) = extra(|r| r.departure_time) else {
            continue;
        };
        match (g.departure_time, c.departure_time) {
            (None, None) => {}
            (Some(x), Some(y)) => out.extend(number(&subject, "departure_time", None, allow, x, y)),
            (x, y) => out.push(Mismatch {
                subject,
                quantity: "departure_time".into(),
                t: None,
                expected: format!("{x:?}"),
                found: format!("{y:?}"),
                miss: None,
            }),
        }
    }
    out
}

/// The methods whose predictability horizon moved between golden files `old` and `new` (a change of
/// what is compared, not of a value).
fn horizon_changes(old: &Golden, new: &Golden) -> Vec<Mismatch> {
    let text =
        |h: Option<Horizon>| h.map_or("none".to_string(), |h| format!("step {} (t = {})", h.step, h.t));
    new.methods
        .iter()
        .filter_map(|m| {
            let before = old.methods.iter().find(|o| o.id == m.id)?.horizon;
            (before != m.horizon).then(|| {
                plain(
                    &m.id,
                    "predictability horizon",
                    None,
                    text(before),
                    text(m.horizon),
                )
            })
        })
        .collect()
}

/// Compares one method's pinned path `g` with the run's path (`m` its record, `path` the trajectory),
/// point by point at the pinned steps, with each point's roundoff allowance; points past the
/// predictability horizon are skipped.
fn compare_path(g: &MethodGolden, m: &MethodGolden, path: &Trajectory, out: &mut Vec<Mismatch>) {
    let tol = g.tolerance;
    let last = g.points.last().and_then(|p| p.roundoff);
    if let (Some(x), Some(y)) = (g.final_loss, m.final_loss) {
        if !last.is_some_and(|r| r.beyond_horizon) {
            let extra = last.map_or(0.0, |r| r.loss);
            out.extend(number(&g.id, "final_loss", None, (tol, extra), x, y));
        }
    }
    for w in &g.windows {
        let tol = Tolerance {
            rel: tol.rel,
            abs: tol.abs + w.allowance,
        };
        let found = window_mean(path, w.after, w.to);
        let quantity = format!("mean loss over steps {}..={}", w.after + 1, w.to);
        let t = path.steps.binary_search(&w.to).ok().map(|i| path.times[i]);
        out.extend(number(&g.id, &quantity, t, (tol, 0.0), w.loss_mean, found));
    }
    for p in &g.points {
        let r = p.roundoff.unwrap_or(PointRoundoff {
            loss: 0.0,
            theta: 0.0,
            beyond_horizon: false,
        });
        if r.beyond_horizon {
            continue;
        }
        let Ok(i) = path.steps.binary_search(&p.step) else {
            let found = path
                .steps
                .last()
                .map_or("no points".into(), |s| format!("last step {s}"));
            out.push(plain(&g.id, "step", Some(p.t), p.step.to_string(), found));
            continue;
        };
        out.extend(number(
            &g.id,
            "loss",
            Some(p.t),
            (tol, r.loss),
            p.loss,
            path.losses[i],
        ));
        for (j, (x, y)) in p.theta.iter().zip(path.state(i)).enumerate() {
            out.extend(number(
                &g.id,
                &format!("theta_{j}"),
                Some(p.t),
                (tol, r.theta),
                *x,
                *y,
            ));
        }
    }
}

/// Reads a golden file; a missing one is an error that says how to create it, and one that is not a
/// regular file, too large, or not a golden file flowgap wrote is bad input naming the file.
pub fn load(path: &Path) -> Result<Golden> {
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Err(Error::MissingGolden {
            path: path.to_path_buf(),
        });
    }
    let text = files::read_text_limited(path, files::MAX_SAVED_BYTES).map_err(|e| match e {
        Error::Input { path, message } => {
            bad_golden(&path, format!("golden file is unreadable: it {message}"))
        }
        other => other,
    })?;
    serde_json::from_str(&text).map_err(|e| {
        bad_golden(
            path,
            format!(
                "golden file is unreadable: not a flowgap golden file ({e}); restore it from version \
                 control, or write it again with `flowgap check --bless`"
            ),
        )
    })
}

/// Writes a golden file whole or not at all ([`files::write_atomic`]: a full disk leaves the previous
/// file and no temporary one).
pub fn save(path: &Path, golden: &Golden) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let text = serde_json::to_string_pretty(golden).expect("plain data serialises") + "\n";
    files::write_atomic(path, text.as_bytes())
}

/// Appends one [`SETTINGS`] mismatch per setting that differs between `old` and `new` (`None`: absent),
/// named by its dotted key (`run.step_size`, `init[3]`, `methods[flow].settings.rtol`).
fn settings_diff(
    key: &str,
    old: Option<&serde_json::Value>,
    new: Option<&serde_json::Value>,
    out: &mut Vec<Mismatch>,
) {
    use serde_json::Value;
    let child = |k: &str| {
        if key.is_empty() {
            k.to_string()
        } else {
            format!("{key}.{k}")
        }
    };
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                settings_diff(&child(k), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => match (ids_of(a), ids_of(b)) {
            // Methods are named by id, so that an added or removed one does not shift the others.
            (Some(ia), Some(ib)) => {
                let mut ids = ia.clone();
                ids.extend(ib.iter().filter(|i| !ia.contains(i)));
                for id in ids {
                    let x = ia.iter().position(|i| *i == id).map(|p| &a[p]);
                    let y = ib.iter().position(|i| *i == id).map(|p| &b[p]);
                    settings_diff(&format!("{key}[{id}]"), x, y, out);
                }
            }
            _ if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    settings_diff(&format!("{key}[{i}]"), Some(x), Some(y), out);
                }
            }
            _ => out.push(plain(SETTINGS, key, None, setting_text(old), setting_text(new))),
        },
        _ if old != new => out.push(plain(SETTINGS, key, None, setting_text(old), setting_text(new))),
        _ => {}
    }
}

/// The `id`s of an array of objects that all have one, in order.
fn ids_of(items: &[serde_json::Value]) -> Option<Vec<&str>> {
    items
        .iter()
        .map(|v| v.get("id").and_then(|i| i.as_str()))
        .collect()
}

/// A setting's value for a message: compact JSON, cut after 60 characters; `absent` when missing.
fn setting_text(v: Option<&serde_json::Value>) -> String {
    let Some(v) = v else {
        return "absent".to_string();
    };
    let text = v.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// How many single misses [`explain`] lists after its summary per method.
pub const LISTED: usize = 5;

/// One line for a `FAILED` report: how many data files, settings and quantities moved.
pub fn headline(misses: &[Mismatch]) -> String {
    let count = |subject: &str| misses.iter().filter(|m| m.subject == subject).count();
    let (data, settings) = (count(DATA_FILE), count(SETTINGS));
    let moved = misses.len() - data - settings;
    let mut parts = Vec::new();
    if data > 0 {
        parts.push(format!(
            "{data} data file{} changed",
            if data == 1 { "" } else { "s" }
        ));
    }
    if settings > 0 {
        parts.push(format!(
            "{settings} setting{} changed",
            if settings == 1 { "" } else { "s" }
        ));
    }
    if moved > 0 || parts.is_empty() {
        parts.push(format!("{moved} quantities moved"));
    }
    parts.join(", ")
}

/// The lines that explain `misses`, short whatever their number: every changed data file, the changed
/// settings (at most [`LISTED`] × 2), per method or comparison how many quantities moved, the worst
/// miss and the first time one moved, then the [`LISTED`] worst single misses and how many more there are.
pub fn explain(misses: &[Mismatch]) -> Vec<String> {
    let mut lines = Vec::new();
    for m in misses.iter().filter(|m| m.subject == DATA_FILE) {
        lines.push(format!(
            "data file {} changed since the golden file was blessed: {} → {}",
            m.quantity, m.expected, m.found
        ));
    }
    let settings: Vec<&Mismatch> = misses.iter().filter(|m| m.subject == SETTINGS).collect();
    for m in settings.iter().take(2 * LISTED) {
        lines.push(format!("setting {}: {} → {}", m.quantity, m.expected, m.found));
    }
    if settings.len() > 2 * LISTED {
        lines.push(format!("… and {} more settings", settings.len() - 2 * LISTED));
    }
    let moved: Vec<&Mismatch> = misses
        .iter()
        .filter(|m| m.subject != DATA_FILE && m.subject != SETTINGS)
        .collect();
    let mut subjects: Vec<&str> = Vec::new();
    for m in &moved {
        if !subjects.contains(&m.subject.as_str()) {
            subjects.push(&m.subject);
        }
    }
    for subject in subjects {
        let of: Vec<&&Mismatch> = moved.iter().filter(|m| m.subject == subject).collect();
        let mut line = format!("{subject}: {} moved", of.len());
        if let Some(w) = of
            .iter()
            .filter(|m| m.miss.is_some())
            .max_by(|a, b| a.miss.unwrap().total_cmp(&b.miss.unwrap()))
        {
            line.push_str(&format!(
                ", worst {}{} by {:.3}× the allowed difference",
                w.quantity,
                at(w.t),
                w.miss.unwrap()
            ));
        }
        if let Some(first) = of.iter().filter_map(|m| m.t).min_by(f64::total_cmp) {
            line.push_str(&format!(", first at t={first}"));
        }
        lines.push(line);
    }
    // The worst first; a miss without a size (a termination, a missing point) counts as the worst.
    let mut worst = moved.clone();
    worst.sort_by(|a, b| {
        b.miss
            .unwrap_or(f64::INFINITY)
            .total_cmp(&a.miss.unwrap_or(f64::INFINITY))
    });
    lines.extend(worst.iter().take(LISTED).map(|m| m.to_string()));
    if worst.len() > LISTED {
        lines.push(format!("… and {} more", worst.len() - LISTED));
    }
    lines
}

/// ` at t=…` when the time is known.
fn at(t: Option<f64>) -> String {
    t.map_or(String::new(), |t| format!(" at t={t}"))
}
