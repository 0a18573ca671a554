//! flowgap's Python extension (`flowgap._flowgap`): conversion between the flowgap library and Python —
//! scenarios in (names, paths, dicts), reports out as numpy arrays and dicts, objectives written in
//! Python — and no numerics of its own. The Python package around it is `python/flowgap/`; the API is
//! documented in docs/python.md.

mod dict;
mod errors;
mod objective;
mod report;
mod sweep;

use errors::{to_py, Origin};
use flowgap::experiment::RunOptions;
use flowgap::scenario::{self, Scenario};
use objective::{PyObjective, Shared};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use report::PyReport;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder of named scenarios: `scenarios_dir` when given, else `./scenarios` when it exists, else
/// the repository's scenarios/ this package was built from (the CLI's rule).
fn scenarios_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let local = PathBuf::from("scenarios");
        if local.is_dir() {
            local
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios")
        }
    })
}

/// Runs a checked scenario without the GIL; a Python objective's failure is raised instead of the report.
fn run_scenario(
    py: Python<'_>,
    scenario: Scenario,
    objective: Option<Arc<objective::Callables>>,
    max_time: Option<f64>,
) -> PyResult<PyReport> {
    let (experiment, spec) = scenario.into_parts();
    let options = RunOptions {
        max_time: max_time.map(std::time::Duration::from_secs_f64),
        progress: None,
    };
    let report = py.detach(|| experiment.run_with_options(options));
    if let Some(e) = objective.as_ref().and_then(|o| o.failure.take()) {
        return Err(e);
    }
    Ok(PyReport {
        report,
        spec,
        objective,
    })
}

/// Runs a named scenario or a scenario file.
#[pyfunction]
#[pyo3(signature = (scenario, scenarios_dir = None, max_time = None))]
fn run_file(
    py: Python<'_>,
    scenario: &str,
    scenarios_dir: Option<PathBuf>,
    max_time: Option<f64>,
) -> PyResult<PyReport> {
    let dir = self::scenarios_dir(scenarios_dir);
    let loaded = (|| {
        let path = scenario::resolve(&dir, scenario)?;
        let loaded = scenario::load(&path)?;
        // As `flowgap run`: a mistake in the [sweep] table is the file's mistake too.
        scenario::sweep::read(loaded.text(), &path)?;
        Ok(loaded)
    })()
    .map_err(|e| to_py(py, e, Origin::File))?;
    run_scenario(py, loaded, None, max_time)
}

/// Runs a scenario given as a dict (a file's keys); `objective`, when given, replaces `[objective]`.
#[pyfunction]
#[pyo3(signature = (scenario, objective = None, max_time = None))]
fn run_dict(
    py: Python<'_>,
    scenario: &Bound<'_, PyDict>,
    objective: Option<PyRef<'_, PyObjective>>,
    max_time: Option<f64>,
) -> PyResult<PyReport> {
    let text = dict::to_toml_text(py, scenario)?;
    let path = Path::new("<dict>");
    let callables = objective.map(|o| o.inner.clone());
    let loaded = match &callables {
        None => scenario::parse(&text, path),
        Some(c) => {
            let settings = serde_json::json!({ "kind": "python", "dim": c.dim });
            let parsed = scenario::parse_with_objective(&text, path, Box::new(Shared(c.clone())), settings);
            // The loader evaluates the objective at θ₀: a callable's exception is the cause of any refusal.
            if let Some(e) = c.failure.take() {
                return Err(e);
            }
            parsed
        }
    }
    .map_err(|e| to_py(py, e, Origin::Dict))?;
    run_scenario(py, loaded, callables, max_time)
}

/// The extension module.
#[pymodule]
fn _flowgap(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(run_file, m)?)?;
    m.add_function(wrap_pyfunction!(run_dict, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_table, m)?)?;
    m.add_class::<PyObjective>()?;
    m.add_class::<PyReport>()?;
    m.add("ScenarioError", py.get_type::<errors::ScenarioError>())?;
    m.add("OutputError", py.get_type::<errors::OutputError>())?;
    m.add("ObjectiveError", py.get_type::<errors::ObjectiveError>())?;
    m.add("FigureError", py.get_type::<errors::FigureError>())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
