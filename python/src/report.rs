//! `flowgap.Report` (the Rust side): a finished run held in memory, handed out as numpy arrays and dicts,
//! saved and drawn by the library's own writers.

use crate::errors::{to_py, Origin};
use crate::objective::Callables;
use flowgap::compare::{compare, Comparison, DEFAULT_DEPARTURE_TOLERANCE};
use flowgap::experiment::Report;
use flowgap::outspec::{FigureKind, ImageFormat, OutputSpec};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::Arc;

/// A finished run: its report, what the scenario asked to write, and the Python objective it ran on.
#[pyclass(name = "_Report", module = "flowgap", frozen)]
pub struct PyReport {
    pub report: Report,
    pub spec: OutputSpec,
    pub objective: Option<Arc<Callables>>,
}

impl PyReport {
    /// Runs `f` without the GIL (a Python objective's callables take it from flowgap's threads), then
    /// raises a callable's failure if there was one.
    fn detached<T: Send>(&self, py: Python<'_>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
        let out = py.detach(f);
        match self.objective.as_ref().and_then(|o| o.failure.take()) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    fn method_ids(&self) -> Vec<String> {
        self.report.methods.iter().map(|m| m.id.clone()).collect()
    }
}

#[pymethods]
impl PyReport {
    /// The scenario's name.
    #[getter]
    fn name(&self) -> String {
        self.report.experiment.name.clone()
    }

    /// The method ids, in the scenario's order.
    #[getter]
    fn methods(&self) -> Vec<String> {
        self.method_ids()
    }

    /// One method's trajectory as a dict of numpy arrays (t, step, loss, grad_norm, theta (n, d)) and its
    /// termination.
    fn trajectory<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyDict>> {
        let m = self.report.method(id).ok_or_else(|| {
            PyKeyError::new_err(format!(
                "no method `{id}` in this run; its methods: {}",
                self.method_ids().join(", ")
            ))
        })?;
        let t = &m.trajectory;
        let out = PyDict::new(py);
        out.set_item("id", &m.id)?;
        out.set_item("kind", &m.kind)?;
        out.set_item("discrete", m.discrete)?;
        out.set_item("t", PyArray1::from_slice(py, &t.times))?;
        out.set_item("step", PyArray1::from_iter(py, t.steps.iter().map(|&s| s as i64)))?;
        out.set_item("loss", PyArray1::from_slice(py, &t.losses))?;
        out.set_item("grad_norm", PyArray1::from_slice(py, &t.grad_norms))?;
        let theta = PyArray1::from_slice(py, &t.states).reshape([t.len(), t.dim])?;
        out.set_item("theta", theta)?;
        out.set_item(
            "termination_json",
            serde_json::to_string(&t.termination).expect("a termination always serialises"),
        )?;
        Ok(out)
    }

    /// The comparison of methods a and b: the scenario's `[[compare]]` of that pair when it has one,
    /// otherwise computed now (by time, with `tolerance`, default 1e-3).
    #[pyo3(signature = (a, b, tolerance = None))]
    fn comparison<'py>(
        &self,
        py: Python<'py>,
        a: &str,
        b: &str,
        tolerance: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let configured = self
            .report
            .comparisons
            .iter()
            .find(|c| c.a == a && c.b == b && tolerance.is_none_or(|t| t == c.tolerance));
        let computed;
        let c: &Comparison = match configured {
            Some(c) => c,
            None => {
                let find = |id: &str| {
                    self.report.method(id).ok_or_else(|| {
                        PyKeyError::new_err(format!(
                            "no method `{id}` in this run; its methods: {}",
                            self.method_ids().join(", ")
                        ))
                    })
                };
                let tolerance = tolerance.unwrap_or(DEFAULT_DEPARTURE_TOLERANCE);
                if !(tolerance > 0.0 && tolerance.is_finite()) {
                    return Err(PyValueError::new_err(format!(
                        "tolerance must be a positive number; got {tolerance}"
                    )));
                }
                let (ma, mb) = (find(a)?, find(b)?);
                if ma.trajectory.dim != mb.trajectory.dim {
                    return Err(PyValueError::new_err("the two methods' dimensions differ"));
                }
                computed = compare(a, &ma.trajectory, b, &mb.trajectory, tolerance);
                &computed
            }
        };
        let out = PyDict::new(py);
        out.set_item("a", &c.a)?;
        out.set_item("b", &c.b)?;
        out.set_item("tolerance", c.tolerance)?;
        out.set_item("paired_points", c.paired_points)?;
        out.set_item("max_distance", c.max_distance)?;
        out.set_item("t_max_distance", c.t_max_distance)?;
        out.set_item("final_distance", c.final_distance)?;
        out.set_item("t_final", c.t_final)?;
        out.set_item("final_loss_gap", c.final_loss_gap)?;
        out.set_item("max_abs_loss_gap", c.max_abs_loss_gap)?;
        out.set_item("departure_time", c.departure_time)?;
        out.set_item("t", PyArray1::from_slice(py, &c.times))?;
        out.set_item("distance", PyArray1::from_slice(py, &c.distances))?;
        out.set_item("loss_gap", PyArray1::from_slice(py, &c.loss_gaps))?;
        Ok(out)
    }

    /// summary.json's text, as `Report.save` writes it.
    fn summary_json(&self) -> String {
        let summary = flowgap::output::summary(&self.report, &self.spec);
        serde_json::to_string_pretty(&summary).expect("flowgap's documents always serialise")
    }

    /// timing.json's text (the methods' wall-clock times).
    fn timing_json(&self) -> String {
        serde_json::to_string_pretty(&flowgap::output::timing(&self.report))
            .expect("flowgap's documents always serialise")
    }

    /// Writes the run's output folder into `dir`, as `flowgap run --out dir` does; returns the files.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, py: Python<'_>, dir: PathBuf, force: bool) -> PyResult<Vec<PathBuf>> {
        self.detached(py, || {
            flowgap::output::write_report(&self.report, &self.spec, &dir, force)
        })?
        .map_err(|e| to_py(py, e, Origin::File))
    }

    /// Draws one figure kind into `path`, whose extension (.png or .svg) gives the format.
    fn figure(&self, py: Python<'_>, kind: &str, path: PathBuf) -> PyResult<PathBuf> {
        let figure = FigureKind::from_name(kind).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown figure `{kind}`; allowed: {}",
                FigureKind::NAMES.join(", ")
            ))
        })?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let format = ImageFormat::from_name(ext).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{}: the file name must end in .png or .svg (it gives the format)",
                path.display()
            ))
        })?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Drawn into a scratch folder beside the target (the renderer names its files by kind), then
        // renamed into place: the target appears whole or not at all.
        let scratch = tempdir_in(&parent).map_err(|e| to_py(py, e, Origin::File))?;
        let drawn = self.detached(py, || {
            flowgap::output::draw_figures(&self.report, &self.spec, &[figure], &[format], &scratch)
        });
        let result = (|| {
            let files = drawn?.map_err(|e| to_py(py, e, Origin::File))?;
            let file = files
                .into_iter()
                .next()
                .ok_or_else(|| PyValueError::new_err("the figure drew no file"))?;
            std::fs::rename(&file, &path)
                .map_err(|e| to_py(py, flowgap::Error::io(&path, e), Origin::File))?;
            Ok(path.clone())
        })();
        let _ = std::fs::remove_dir_all(&scratch);
        result
    }

    fn __repr__(&self) -> String {
        format!(
            "flowgap.Report(name={:?}, methods=[{}])",
            self.report.experiment.name,
            self.method_ids().join(", ")
        )
    }
}

/// A new empty folder inside `parent`.
fn tempdir_in(parent: &std::path::Path) -> flowgap::Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let dir = parent.join(format!(
            ".flowgap-figure-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(flowgap::Error::io(&dir, e)),
        }
    }
}
