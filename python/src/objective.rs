//! Objectives written in Python: callables on numpy float64 arrays behind flowgap's `Objective` trait.
//!
//! flowgap's methods, solvers and diagnostics call an objective from worker threads and cannot fail; a
//! callable can raise, return the wrong shape or return NaN. So every call takes the GIL, checks what
//! came back, and on the first failure stores the Python exception (traceback and all) and answers NaN
//! from then on without calling Python again: the run then ends within a step (a NaN gradient is a
//! divergence to every driver and solver) and the caller raises the stored exception.

use crate::errors::ObjectiveError;
use flowgap::objective::Objective;
use numpy::{PyArray1, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The first failure of an objective's callables, kept until the caller raises it.
#[derive(Default)]
pub struct Failure {
    failed: AtomicBool,
    error: Mutex<Option<PyErr>>,
}

impl Failure {
    /// Keeps `error` unless an earlier one is kept (the first failure is the cause; later NaNs follow it).
    fn set(&self, error: PyErr) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(error);
        }
        self.failed.store(true, Ordering::SeqCst);
    }

    /// True once a callable has failed in this run.
    fn is_set(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// The kept failure, clearing it so that the objective can be used again.
    pub fn take(&self) -> Option<PyErr> {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        self.failed.store(false, Ordering::SeqCst);
        slot.take()
    }
}

/// How the Hessian-vector product is made.
pub enum Hvp {
    /// None given: a diagnostic or method that needs one ends the run with an `ObjectiveError`.
    Missing,
    /// Central differences of `grad` (flowgap's default for objectives without an exact product).
    FiniteDifferences,
    /// The user's callable `hvp(theta, v)`.
    Callable(Py<PyAny>),
}

/// A Python objective's callables and its failure slot.
pub struct Callables {
    /// The dimension d of θ.
    pub dim: usize,
    loss: Py<PyAny>,
    grad: Py<PyAny>,
    hvp: Hvp,
    /// False: a non-finite value from a callable is an error; true: it is returned to flowgap, which
    /// records a divergence as for a built-in objective.
    nonfinite_allowed: bool,
    /// The first failure of the current run.
    pub failure: Failure,
    /// Calls made to `loss`, `grad` and `hvp` (for the overhead measurements of docs/python.md).
    pub calls: [AtomicU64; 3],
}

impl Callables {
    /// Calls `f(theta, extra?)` and returns the Python result.
    fn call<'py>(
        &self,
        py: Python<'py>,
        f: &Py<PyAny>,
        theta: &[f64],
        extra: Option<&[f64]>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let x = PyArray1::from_slice(py, theta);
        match extra {
            None => f.bind(py).call1((x,)),
            Some(v) => f.bind(py).call1((x, PyArray1::from_slice(py, v))),
        }
    }

    fn loss_py(&self, py: Python<'_>, theta: &[f64]) -> PyResult<f64> {
        self.calls[0].fetch_add(1, Ordering::Relaxed);
        let out = self.call(py, &self.loss, theta, None)?;
        let value: f64 = out.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "flowgap.Objective: loss must return a float (a Python float or a 0-d array); it returned {}",
                type_name(&out)
            ))
        })?;
        if !value.is_finite() && !self.nonfinite_allowed {
            return Err(ObjectiveError::new_err(format!(
                "flowgap.Objective: loss returned {value} at a point with ‖θ‖ = {:.6e}; return finite values, or \
                 pass nonfinite=\"diverge\" to have flowgap record a divergence as it does for its own objectives",
                norm(theta)
            )));
        }
        Ok(value)
    }

    /// Calls `f` and copies its d numbers into `out`, checking type, shape and finiteness.
    fn vector_py(
        &self,
        py: Python<'_>,
        name: &str,
        f: &Py<PyAny>,
        theta: &[f64],
        extra: Option<&[f64]>,
        out: &mut [f64],
    ) -> PyResult<()> {
        let result = self.call(py, f, theta, extra)?;
        let array = match result.extract::<PyReadonlyArray1<f64>>() {
            Ok(a) => a,
            // JAX and PyTorch arrays, lists, other dtypes: through numpy.asarray, as numpy would read them.
            Err(_) => {
                let numpy = py.import("numpy")?;
                let converted = numpy
                    .call_method1("asarray", (&result, "float64"))
                    .map_err(|e| {
                        let err = PyTypeError::new_err(format!(
                            "flowgap.Objective: {name} must return a float64 array of shape ({},); it returned {}, \
                             which numpy cannot read as numbers",
                            self.dim,
                            type_name(&result)
                        ));
                        err.set_cause(py, Some(e));
                        err
                    })?;
                converted.extract::<PyReadonlyArray1<f64>>().map_err(|_| {
                    let shape = converted
                        .getattr("shape")
                        .and_then(|s| s.str())
                        .map(|s| s.to_string())
                        .unwrap_or_else(|_| "?".into());
                    ObjectiveError::new_err(format!(
                        "flowgap.Objective: {name} must return an array of shape ({},); it returned shape {shape}",
                        self.dim
                    ))
                })?
            }
        };
        if array.len() != self.dim {
            return Err(ObjectiveError::new_err(format!(
                "flowgap.Objective: {name} must return an array of shape ({},); it returned shape ({},)",
                self.dim,
                array.len()
            )));
        }
        let view = array.as_array();
        for (o, x) in out.iter_mut().zip(view.iter()) {
            *o = *x;
        }
        if !self.nonfinite_allowed {
            if let Some(i) = out.iter().position(|x| !x.is_finite()) {
                return Err(ObjectiveError::new_err(format!(
                    "flowgap.Objective: {name} returned {} in entry {i} at a point with ‖θ‖ = {:.6e}; return finite \
                     values, or pass nonfinite=\"diverge\" to have flowgap record a divergence as it does for its own \
                     objectives",
                    out[i],
                    norm(theta)
                )));
            }
        }
        Ok(())
    }

    /// Runs `f` with the GIL unless an earlier call failed; a failure is kept and NaN filled in.
    fn guarded(&self, out: &mut [f64], f: impl FnOnce(Python<'_>, &mut [f64]) -> PyResult<()>) {
        if self.failure.is_set() {
            out.fill(f64::NAN);
            return;
        }
        Python::attach(|py| {
            if let Err(e) = py.check_signals().and_then(|()| f(py, out)) {
                self.failure.set(e);
                out.fill(f64::NAN);
            }
        });
    }
}

impl Objective for Callables {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        let mut value = [f64::NAN];
        self.guarded(&mut value, |py, v| {
            v[0] = self.loss_py(py, theta)?;
            Ok(())
        });
        value[0]
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.guarded(grad, |py, g| {
            self.calls[1].fetch_add(1, Ordering::Relaxed);
            self.vector_py(py, "grad", &self.grad, theta, None, g)
        });
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        match &self.hvp {
            Hvp::Callable(h) => {
                self.guarded(out, |py, o| {
                    self.calls[2].fetch_add(1, Ordering::Relaxed);
                    self.vector_py(py, "hvp", h, theta, Some(v), o)
                });
            }
            Hvp::FiniteDifferences => GradientOnly(self).hvp(theta, v, out),
            Hvp::Missing => self.guarded(out, |_, _| {
                Err(ObjectiveError::new_err(
                    "flowgap.Objective has no hvp, and this run needs Hessian-vector products (a modified flow, \
                     sharpness or edge-of-stability diagnostics, Lyapunov exponents); pass hvp=f with \
                     f(theta, v) = H(theta) v, or hvp=\"finite_differences\" for central differences of grad",
                ))
            }),
        }
    }
}

/// The objective with flowgap's default Hessian-vector product (central differences of the gradient).
struct GradientOnly<'a>(&'a Callables);

impl Objective for GradientOnly<'_> {
    fn dim(&self) -> usize {
        self.0.dim
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.0.loss(theta)
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.0.gradient(theta, grad)
    }
}

/// A shared handle, so that the Python object and every run it is part of hold the same callables.
pub struct Shared(pub Arc<Callables>);

impl Objective for Shared {
    fn dim(&self) -> usize {
        self.0.dim
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        self.0.loss(theta)
    }

    fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        self.0.gradient(theta, grad)
    }

    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.hvp(theta, v, out)
    }
}

/// `flowgap.Objective(dim, loss, grad, hvp=None, nonfinite="error")`: an objective written in Python.
#[pyclass(name = "Objective", module = "flowgap", frozen)]
pub struct PyObjective {
    /// The callables, shared with the runs that use this objective.
    pub inner: Arc<Callables>,
}

#[pymethods]
impl PyObjective {
    #[new]
    #[pyo3(signature = (dim, loss, grad, hvp = None, nonfinite = "error"))]
    fn new(
        dim: usize,
        loss: Bound<'_, PyAny>,
        grad: Bound<'_, PyAny>,
        hvp: Option<Bound<'_, PyAny>>,
        nonfinite: &str,
    ) -> PyResult<Self> {
        if dim == 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "flowgap.Objective: dim must be at least 1",
            ));
        }
        for (name, f) in [("loss", &loss), ("grad", &grad)] {
            if !f.is_callable() {
                return Err(PyTypeError::new_err(format!(
                    "flowgap.Objective: {name} must be callable (a function of a float64 array θ of shape (dim,)); \
                     got {}",
                    type_name(f)
                )));
            }
        }
        let hvp = match hvp {
            None => Hvp::Missing,
            Some(h) if h.is_callable() => Hvp::Callable(h.unbind()),
            Some(h) if h.extract::<String>().is_ok_and(|s| s == "finite_differences") => {
                Hvp::FiniteDifferences
            }
            Some(h) => {
                return Err(PyTypeError::new_err(format!(
                    "flowgap.Objective: hvp must be a callable f(theta, v) = H(theta) v, \"finite_differences\" or \
                     None; got {}",
                    h.repr().map(|r| r.to_string()).unwrap_or_default()
                )))
            }
        };
        let nonfinite_allowed = match nonfinite {
            "error" => false,
            "diverge" => true,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "flowgap.Objective: nonfinite must be \"error\" or \"diverge\"; got {other:?}"
                )))
            }
        };
        Ok(PyObjective {
            inner: Arc::new(Callables {
                dim,
                loss: loss.unbind(),
                grad: grad.unbind(),
                hvp,
                nonfinite_allowed,
                failure: Failure::default(),
                calls: Default::default(),
            }),
        })
    }

    /// The dimension d of θ.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim
    }

    /// The number of calls made so far to loss, grad and hvp, as a dict.
    #[getter]
    fn calls(&self) -> std::collections::HashMap<&'static str, u64> {
        ["loss", "grad", "hvp"]
            .into_iter()
            .zip(self.inner.calls.iter().map(|c| c.load(Ordering::Relaxed)))
            .collect()
    }

    fn __repr__(&self) -> String {
        let hvp = match self.inner.hvp {
            Hvp::Missing => "none",
            Hvp::FiniteDifferences => "finite_differences",
            Hvp::Callable(_) => "callable",
        };
        format!("flowgap.Objective(dim={}, hvp={hvp})", self.inner.dim)
    }
}

fn type_name(x: &Bound<'_, PyAny>) -> String {
    x.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}
