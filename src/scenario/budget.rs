//! The memory budget: an up-front estimate of what a scenario's run holds in memory, refused with the
//! key that asks for it when it exceeds the budget, so that an impossible request ends with exit code 2
//! before anything runs instead of aborting the process when an allocation fails mid-run.
//!
//! The budget is [`DEFAULT_MEMORY_BUDGET`] unless the environment variable [`MEMORY_BUDGET_VAR`] sets
//! another (`FLOWGAP_MEMORY_BUDGET=16GiB`). The estimate counts every method together (methods may run
//! at the same time): its recorded trajectory (twice with `[diagnostics.lyapunov]`, which reruns it),
//! an ensemble's moment accumulators, a minibatch's index buffer, and the sharpness eigensolver's
//! Lanczos basis, warm starts and dense Hessian. It is a lower bound on the run's peak, close enough to
//! refuse requests that are off by orders of magnitude (80 GB asked of a laptop), not to tune a run.

use super::locate::keys_by_line;
use crate::error::{Error, Location, Result};
use crate::experiment::Experiment;
use crate::files::bytes_text;
use crate::method::MethodKind;
use std::path::{Path, PathBuf};

/// The memory budget when [`MEMORY_BUDGET_VAR`] is not set: 4 GiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 4 << 30;

/// The environment variable that sets the memory budget, in bytes or with a unit (`512MiB`, `16GiB`).
pub const MEMORY_BUDGET_VAR: &str = "FLOWGAP_MEMORY_BUDGET";

/// The work budget when [`WORK_BUDGET_VAR`] is not set: 10¹⁵ gradient-coordinate evaluations, a day or
/// more on one core. A run beyond it (steps = 10⁹ on a network, 10⁶ paths at d = 10⁵) would not finish.
pub const DEFAULT_WORK_BUDGET: f64 = 1e15;

/// The environment variable that sets the work budget (a number such as `1e17`).
pub const WORK_BUDGET_VAR: &str = "FLOWGAP_WORK_BUDGET";

/// One part of the estimate: the keys that set it (the first present in the file is named), what it
/// is in words, and its size.
struct Part {
    keys: Vec<String>,
    what: String,
    bytes: u64,
}

/// The memory budget in bytes: [`MEMORY_BUDGET_VAR`] when set, else [`DEFAULT_MEMORY_BUDGET`]. A value
/// that is not a size is bad input (exit 2).
pub fn memory_budget() -> Result<u64> {
    match std::env::var(MEMORY_BUDGET_VAR) {
        Err(_) => Ok(DEFAULT_MEMORY_BUDGET),
        Ok(text) => parse_size(&text).ok_or_else(|| Error::Input {
            path: PathBuf::from(MEMORY_BUDGET_VAR),
            message: format!(
                "must be a size in bytes, optionally with a unit (KiB, MiB, GiB, TiB; e.g. 16GiB), found `{}`",
                text.escape_debug()
            ),
        }),
    }
}

/// The work budget: [`WORK_BUDGET_VAR`] when set, else [`DEFAULT_WORK_BUDGET`]. A value that is not a
/// number ≥ 1 is bad input (exit 2).
pub fn work_budget() -> Result<f64> {
    match std::env::var(WORK_BUDGET_VAR) {
        Err(_) => Ok(DEFAULT_WORK_BUDGET),
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 1.0 => Ok(x),
            _ => Err(Error::Input {
                path: PathBuf::from(WORK_BUDGET_VAR),
                message: format!(
                    "must be a number ≥ 1 of gradient-coordinate evaluations (e.g. 1e16), found `{}`",
                    text.escape_debug()
                ),
            }),
        },
    }
}

/// `123`, `512MiB`, `16GiB`, `1T` (binary units; `K`, `KB` and `KiB` all mean 1024) → bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

/// Refuses `scenario` when its estimated memory exceeds the budget ([`memory_budget`]), naming the key
/// of the largest part with its line in the scenario file. Call it again whenever a scenario is changed
/// after loading (a sweep point, another step size): the load checks only the file as written.
pub fn check_budget(scenario: &Experiment, file: &Path, text: &str) -> Result<()> {
    check_budget_within(scenario, file, text, memory_budget()?)?;
    check_work_within(scenario, file, text, work_budget()?)
}

/// Refuses `scenario` when one method's estimated work exceeds `budget` gradient-coordinate
/// evaluations: steps × paths × SME substeps × (d × the samples one gradient reads). A lower bound (an
/// adaptive solver evaluates several gradients per step), so only runs that could not finish are refused.
pub(super) fn check_work_within(scenario: &Experiment, file: &Path, text: &str, budget: f64) -> Result<()> {
    let d = scenario.objective.dim() as f64;
    let samples = scenario
        .objective
        .as_finite_sum()
        .map_or(1.0, |f| f.num_samples() as f64);
    let steps = scenario.grid.steps as f64;
    for (i, m) in scenario.methods.iter().enumerate() {
        let (paths, substeps, per_gradient) = match &m.kind {
            MethodKind::Sgd(st) => (st.paths, 1, st.minibatch.batch_size as f64),
            MethodKind::Sme(st) => (st.paths, st.substeps, st.minibatch.batch_size as f64),
            _ => (1, 1, samples),
        };
        let work = steps * paths as f64 * f64::from(substeps) * d * per_gradient;
        if work <= budget {
            continue;
        }
        let keys = if paths > 1 {
            vec![format!("method[{i}].paths"), "run.steps".to_string()]
        } else {
            vec!["run.steps".to_string()]
        };
        let (key, line) = locate(text, &keys);
        return Err(Error::Scenario {
            location: Location {
                file: file.to_path_buf(),
                line,
                column: Some(1),
            },
            key,
            message: format!(
                "method `{}` would take about {work:.1e} gradient-coordinate evaluations ({}), more than the \
                 budget of {budget:.0e} (the default, 1e15, is a day or more on one core); ask for less, or \
                 raise the budget with {WORK_BUDGET_VAR} (e.g. {WORK_BUDGET_VAR}=1e17)",
                m.id,
                [
                    format!("{steps} steps"),
                    format!("{paths} paths"),
                    format!("{substeps} substeps"),
                    format!("dimension {d}"),
                    format!("{per_gradient} samples per gradient"),
                ]
                .into_iter()
                .filter(|f| !f.starts_with("1 "))
                .collect::<Vec<_>>()
                .join(" × ")
            ),
        });
    }
    Ok(())
}

/// [`check_budget`] against `budget` bytes, naming `file` in the error.
pub(super) fn check_budget_within(scenario: &Experiment, file: &Path, text: &str, budget: u64) -> Result<()> {
    let parts = parts(scenario);
    let total = parts.iter().fold(0u64, |sum, p| sum.saturating_add(p.bytes));
    if total <= budget {
        return Ok(());
    }
    let largest = parts
        .iter()
        .max_by_key(|p| p.bytes)
        .expect("a total above the budget has parts");
    let (key, line) = locate(text, &largest.keys);
    Err(Error::Scenario {
        location: Location {
            file: file.to_path_buf(),
            line,
            column: Some(1),
        },
        key,
        message: format!(
            "the run would hold about {} in memory, more than the budget of {} (the largest part: {}, {}); \
             ask for less, or raise the budget with {MEMORY_BUDGET_VAR} (e.g. {MEMORY_BUDGET_VAR}=16GiB) \
             if the machine has the memory",
            human(total),
            human(budget),
            largest.what,
            human(largest.bytes)
        ),
    })
}

/// `n` bytes in words: "80.0 GB"-style with binary units, exact for small sizes.
fn human(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (unit, size) in UNITS {
        if n >= size {
            if n % size == 0 {
                return bytes_text(n);
            }
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} bytes")
}

/// The first of `keys` written in `src`, with its 1-based line; else the first key at line 1 (every
/// scenario error has a line; a key may be missing from the file when a default or a sweep set it).
fn locate(src: &str, keys: &[String]) -> (String, Option<usize>) {
    let lines = keys_by_line(src);
    for key in keys {
        let found = lines
            .iter()
            .position(|k| k.dotted().as_deref() == Some(key.as_str()));
        if let Some(i) = found {
            return (key.clone(), Some(i + 1));
        }
    }
    (keys[0].clone(), Some(1))
}

/// `a × b × c` in u64, saturating (the estimate of an absurd request must not wrap to a small one).
fn product(factors: &[u64]) -> u64 {
    factors.iter().fold(1u64, |p, &f| p.saturating_mul(f))
}

/// The estimate's parts, largest requests first in no particular order.
fn parts(s: &Experiment) -> Vec<Part> {
    let d = s.objective.dim() as u64;
    let points = s.grid.intervals().saturating_add(1);
    let per_point = d + 3 + s.objective.conserved_names().len() as u64;
    let record_keys = || vec!["run.record_every".to_string(), "run.steps".to_string()];
    let copies = if s.diagnostics.as_ref().is_some_and(|c| c.lyapunov.is_some()) {
        2
    } else {
        1
    };
    let mut parts = Vec::new();
    for (i, m) in s.methods.iter().enumerate() {
        let key = |k: &str| vec![format!("method[{i}].{k}"), format!("method[{i}]")];
        parts.push(Part {
            keys: record_keys(),
            what: format!(
                "method `{}` records {points} points of {per_point} numbers{}",
                m.id,
                if copies == 2 {
                    ", twice for the Lyapunov exponent"
                } else {
                    ""
                }
            ),
            bytes: product(&[copies, points, per_point, 8]),
        });
        let minibatch = match &m.kind {
            MethodKind::Sgd(st) => Some(st.minibatch.batch_size as u64),
            MethodKind::Sme(st) => Some(st.minibatch.batch_size as u64),
            _ => None,
        };
        if let Some(batch) = minibatch {
            // Moments of the loss and of up to d parameters, and the mean state, per recorded point.
            let q = if d <= crate::stochastic::MAX_PARAM_STATS as u64 {
                d
            } else {
                1
            };
            parts.push(Part {
                keys: record_keys(),
                what: format!("method `{}` keeps ensemble moments at {points} points", m.id),
                bytes: product(&[points, 5 + 4 * q + d, 8]),
            });
            parts.push(Part {
                keys: key("batch_size"),
                what: format!("method `{}` draws minibatches of {batch} samples", m.id),
                bytes: product(&[batch, 8]),
            });
        }
        if let Some(sh) = s.diagnostics.as_ref().and_then(|c| c.sharpness.as_ref()) {
            let exact = d <= sh.exact_max_dim as u64;
            let (what, keys, bytes) = if exact {
                (
                    format!("a dense {d}×{d} Hessian for method `{}`", m.id),
                    "diagnostics.sharpness.exact_max_dim",
                    product(&[d, d, 8]),
                )
            } else {
                let m_vecs = (sh.lanczos_iterations as u64).min(d).max(1);
                (
                    format!(
                        "{m_vecs} Lanczos vectors and {} warm starts of dimension {d} for method `{}`",
                        sh.top_k, m.id
                    ),
                    if sh.top_k as u64 >= m_vecs / 2 {
                        "diagnostics.sharpness.top_k"
                    } else {
                        "diagnostics.sharpness.lanczos_iterations"
                    },
                    product(&[m_vecs + sh.top_k as u64 + 2, d, 8]),
                )
            };
            parts.push(Part {
                keys: vec![keys.to_string(), "diagnostics.sharpness".to_string()],
                what,
                bytes,
            });
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("16GiB"), Some(16 << 30));
        assert_eq!(parse_size(" 512 mib "), Some(512 << 20));
        assert_eq!(parse_size("1T"), Some(1 << 40));
        assert_eq!(parse_size("2kb"), Some(2048));
        for bad in ["", "GiB", "-1", "1.5GiB", "12 apples", "99999999999999999999"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(parse_size("99999999999T"), None, "overflow is not a size");
    }

    #[test]
    fn sizes_print_readably() {
        assert_eq!(human(4 << 30), "4 GiB");
        assert_eq!(human(80_000_000_000), "74.5 GiB");
        assert_eq!(human(300), "300 bytes");
    }

    #[test]
    fn keys_are_found_on_their_lines() {
        let src = "name = \"x\"\n[run]\nsteps = 3\n[[method]]\nid = \"a\"\n[[method]]\npaths = 4\n";
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            locate(src, &keys(&["run.record_every", "run.steps"])),
            ("run.steps".to_string(), Some(3))
        );
        assert_eq!(
            locate(src, &keys(&["method[1].paths"])),
            ("method[1].paths".to_string(), Some(7))
        );
        assert_eq!(
            locate(src, &keys(&["method[1].batch_size", "method[1]"])),
            ("method[1]".to_string(), Some(6))
        );
        assert_eq!(locate(src, &keys(&["nowhere"])), ("nowhere".to_string(), Some(1)));
    }
}
