//! Golden files: pinning a scenario's results so that a change in flowgap, in a dependency or in the
//! user's code cannot silently move them.
//!
//! A golden file (`scenarios/golden/<name>.json`) holds, per method, selected trajectory points (about
//! [`POINTS`], always the first and the last), the final loss and the termination; per comparison the
//! maximum and final distance and the departure time; and the tolerances each quantity is checked with,
//! derived from what the method can promise (see docs/golden.md), plus the settings that made it.

use crate::error::{Error, Result};
use crate::run::Report;
use crate::scenario::MethodKind;
use crate::trajectory::Termination;
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
    /// The final loss.
    pub final_loss: f64,
    /// Selected points.
    pub points: Vec<Point>,
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
}

/// A golden file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Golden {
    /// The scenario's name.
    pub scenario: String,
    /// The flowgap version that blessed it.
    pub blessed_with: String,
    /// The run settings that made it (a check refuses to compare against other settings).
    pub settings: serde_json::Value,
    /// Per method.
    pub methods: Vec<MethodGolden>,
    /// Per comparison.
    pub comparisons: Vec<ComparisonGolden>,
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
}

/// Checks the run `report` of the scenario in `scenario_file` against its golden file, or with `bless`
/// (re)writes the golden file.
pub fn check(scenario_file: &Path, report: &Report, bless: bool) -> Result<Outcome> {
    let path = path_for(scenario_file);
    if bless {
        let previous = match load(&path) {
            Ok(g) => Some(compare(&g, report)),
            Err(Error::MissingGolden { .. }) => None,
            Err(e) => return Err(e),
        };
        save(&path, &record(report))?;
        return Ok(Outcome::Blessed(previous));
    }
    let golden = load(&path)?;
    let mismatches = compare(&golden, report);
    Ok(if mismatches.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(mismatches)
    })
}

fn tolerance_of(kind: &MethodKind) -> (Tolerance, String) {
    let solved = |s: &crate::continuous::SolverSettings| match s.solver {
        crate::continuous::SolverKind::Rk4 => (
            DISCRETE,
            "rk4 with a fixed step: deterministic arithmetic, like a discrete method".to_string(),
        ),
        _ => (
            adaptive(s.rtol, s.atol),
            format!("adaptive solver: 100 × (rtol {}, atol {})", s.rtol, s.atol),
        ),
    };
    match kind {
        MethodKind::Gd | MethodKind::BlockGd(_) | MethodKind::HeavyBall { .. } | MethodKind::Nesterov(_) => (
            DISCRETE,
            "discrete: roundoff amplified by the map (1e-9 rel)".to_string(),
        ),
        MethodKind::Sgd(_) | MethodKind::Sme(_) => (
            DISCRETE,
            "seeded ensemble mean: deterministic arithmetic, like a discrete method (1e-9 rel)".to_string(),
        ),
        MethodKind::GradientFlow(s) | MethodKind::NesterovOde(s) => solved(s),
        MethodKind::ModifiedFlow { solver, .. } | MethodKind::HeavyBallFlow { solver, .. } => solved(solver),
    }
}

fn termination_text(t: &Termination) -> String {
    match t {
        Termination::Completed => "completed".to_string(),
        Termination::Diverged { step, .. } => format!("diverged at step {step}"),
        Termination::SolverFailed { failure, .. } => format!("solver_failed ({failure:?})"),
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
    let s = crate::output::summary(report);
    serde_json::json!({
        "objective": s["scenario"]["objective"],
        "init": s["scenario"]["init"],
        "run": s["scenario"]["run"],
        "methods": s["methods"].as_array().map(|m| m.iter().map(|m| serde_json::json!({
            "id": m["id"], "kind": m["kind"], "settings": m["settings"]
        })).collect::<Vec<_>>()),
    })
}

/// The golden record of a finished run.
pub fn record(report: &Report) -> Golden {
    let methods = report
        .methods
        .iter()
        .zip(&report.scenario.methods)
        .map(|(m, config)| {
            let (tolerance, tolerance_basis) = tolerance_of(&config.kind);
            let t = &m.trajectory;
            MethodGolden {
                id: m.id.clone(),
                kind: m.kind.clone(),
                termination: termination_text(&t.termination),
                tolerance,
                tolerance_basis,
                final_loss: t.final_loss(),
                points: selected(t.len())
                    .into_iter()
                    .map(|i| Point {
                        step: t.steps[i],
                        t: t.times[i],
                        loss: t.losses[i],
                        theta: t.state(i).to_vec(),
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let comparisons = report
        .comparisons
        .iter()
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
            }
        })
        .collect();
    Golden {
        scenario: report.scenario.name.clone(),
        blessed_with: env!("CARGO_PKG_VERSION").to_string(),
        settings: settings_of(report),
        methods,
        comparisons,
    }
}

fn number(
    subject: &str,
    quantity: &str,
    t: Option<f64>,
    tol: Tolerance,
    expected: f64,
    found: f64,
) -> Option<Mismatch> {
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

/// Compares a run with its golden file; an empty list means the check passed.
pub fn compare(golden: &Golden, report: &Report) -> Vec<Mismatch> {
    let now = record(report);
    let mut out = Vec::new();
    if golden.settings != now.settings {
        out.push(Mismatch {
            subject: "settings".into(),
            quantity: "scenario settings".into(),
            t: None,
            expected: golden.settings.to_string(),
            found: now.settings.to_string(),
            miss: None,
        });
        return out;
    }
    for g in &golden.methods {
        let Some(m) = now.methods.iter().find(|m| m.id == g.id) else {
            out.push(Mismatch {
                subject: g.id.clone(),
                quantity: "method".into(),
                t: None,
                expected: "present".into(),
                found: "missing".into(),
                miss: None,
            });
            continue;
        };
        if g.termination != m.termination {
            out.push(Mismatch {
                subject: g.id.clone(),
                quantity: "termination".into(),
                t: None,
                expected: g.termination.clone(),
                found: m.termination.clone(),
                miss: None,
            });
        }
        let tol = g.tolerance;
        out.extend(number(&g.id, "final_loss", None, tol, g.final_loss, m.final_loss));
        if g.points.len() != m.points.len() {
            out.push(Mismatch {
                subject: g.id.clone(),
                quantity: "recorded points".into(),
                t: None,
                expected: g.points.len().to_string(),
                found: m.points.len().to_string(),
                miss: None,
            });
            continue;
        }
        for (p, q) in g.points.iter().zip(&m.points) {
            if p.step != q.step {
                out.push(Mismatch {
                    subject: g.id.clone(),
                    quantity: "step".into(),
                    t: Some(p.t),
                    expected: p.step.to_string(),
                    found: q.step.to_string(),
                    miss: None,
                });
                continue;
            }
            out.extend(number(&g.id, "loss", Some(p.t), tol, p.loss, q.loss));
            for (i, (x, y)) in p.theta.iter().zip(&q.theta).enumerate() {
                out.extend(number(&g.id, &format!("theta_{i}"), Some(p.t), tol, *x, *y));
            }
        }
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
        out.extend(number(
            &subject,
            "max_distance",
            None,
            tol,
            g.max_distance,
            c.max_distance,
        ));
        out.extend(number(
            &subject,
            "final_distance",
            None,
            tol,
            g.final_distance,
            c.final_distance,
        ));
        match (g.departure_time, c.departure_time) {
            (None, None) => {}
            (Some(x), Some(y)) => out.extend(number(&subject, "departure_time", None, tol, x, y)),
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

/// Reads a golden file; a missing one is an error that says how to create it.
pub fn load(path: &Path) -> Result<Golden> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::MissingGolden {
                path: path.to_path_buf(),
            }
        } else {
            Error::io(path, e)
        }
    })?;
    serde_json::from_str(&text)
        .map_err(|e| Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// Writes a golden file (atomically: a temporary file, then rename).
pub fn save(path: &Path, golden: &Golden) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let text = serde_json::to_string_pretty(golden).expect("plain data serialises") + "\n";
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
