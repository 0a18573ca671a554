//! flowgap's errors as Python exceptions: a scenario's located refusal becomes `ScenarioError` with its
//! key, file, line and column as attributes.

use flowgap::Error;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    flowgap,
    ScenarioError,
    PyValueError,
    "A scenario (file, name or dict) is malformed or impossible; nothing was run. `.key` is the dotted key, \
     `.file`, `.line` and `.column` where it is (None where unknown: a dict has no lines)."
);
pyo3::create_exception!(
    flowgap,
    OutputError,
    PyOSError,
    "The output folder holds something flowgap must not replace (another run without force=True, foreign files)."
);
pyo3::create_exception!(
    flowgap,
    ObjectiveError,
    PyValueError,
    "A Python objective returned the wrong shape or a non-finite value, or a run needed a product it lacks."
);
pyo3::create_exception!(
    flowgap,
    FigureError,
    PyRuntimeError,
    "A figure could not be drawn (a figure kind that needs what the run lacks, or a drawing failure)."
);

/// Where a scenario came from, for the message: a dict has no lines of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A file (a named scenario or a path): the message is the CLI's.
    File,
    /// A dict: the generated TOML's lines mean nothing to the user, so only the key is given.
    Dict,
}

/// The Python exception for `e`.
pub fn to_py(py: Python<'_>, e: Error, origin: Origin) -> PyErr {
    match &e {
        Error::Scenario {
            location,
            key,
            message,
        } => {
            let (text, file, line, column) = match origin {
                Origin::File => (
                    e.to_string(),
                    Some(location.file.display().to_string()),
                    location.line,
                    location.column,
                ),
                Origin::Dict => (format!("<dict>: {key}: {message}"), None, None, None),
            };
            scenario_error(py, text, Some(key.clone()), file, line, column)
        }
        Error::UnknownScenario { .. } | Error::Data { .. } | Error::Input { .. } => {
            scenario_error(py, e.to_string(), None, None, None, None)
        }
        Error::OutputOccupied { .. } => OutputError::new_err(e.to_string()),
        Error::Io { .. } => PyOSError::new_err(e.to_string()),
        Error::Render { .. } => FigureError::new_err(e.to_string()),
        Error::MissingGolden { .. } => PyRuntimeError::new_err(e.to_string()),
    }
}

/// A `ScenarioError` with its attributes set.
pub fn scenario_error(
    py: Python<'_>,
    text: String,
    key: Option<String>,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
) -> PyErr {
    let err = ScenarioError::new_err(text);
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail.
    let _ = value.setattr("key", key);
    let _ = value.setattr("file", file);
    let _ = value.setattr("line", line);
    let _ = value.setattr("column", column);
    err
}
