//! A Python dict with a scenario file's keys → the TOML text the scenario loader reads, so that a dict gets
//! every check and message a file gets.

use crate::errors::scenario_error;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The TOML text of `d` (a dict of str keys; values numbers, strings, booleans, lists, tuples, dicts,
/// numpy arrays and scalars).
pub fn to_toml_text(py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<String> {
    let value = to_value(py, d.as_any(), "")?;
    toml::to_string(&value).map_err(|e| {
        scenario_error(
            py,
            format!("<dict>: cannot be written as a scenario: {e}"),
            None,
            None,
            None,
            None,
        )
    })
}

fn to_value(py: Python<'_>, x: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    if x.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(x.extract()?));
    }
    if x.is_instance_of::<PyInt>() {
        return x
            .extract::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| bad(py, key, "an integer beyond the 64-bit range".to_string()));
    }
    if x.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(x.extract()?));
    }
    if x.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(x.extract()?));
    }
    if let Ok(d) = x.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (k, v) in d.iter() {
            let name: String = k
                .extract()
                .map_err(|_| bad(py, key, format!("a dict key that is not a string ({})", repr(&k))))?;
            let path = if key.is_empty() {
                name.clone()
            } else {
                format!("{key}.{name}")
            };
            if v.is_none() {
                // None leaves a key out, as an absent key in a file.
                continue;
            }
            table.insert(name, to_value(py, &v, &path)?);
        }
        return Ok(toml::Value::Table(table));
    }
    if x.is_instance_of::<PyList>() || x.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, v) in x.try_iter()?.enumerate() {
            items.push(to_value(py, &v?, &format!("{key}[{i}]"))?);
        }
        return Ok(toml::Value::Array(items));
    }
    // numpy arrays and scalars (and anything else with numpy's `tolist`): as the Python values they hold.
    if x.hasattr("tolist")? {
        let plain = x.call_method0("tolist")?;
        if !plain.is(x) {
            return to_value(py, &plain, key);
        }
    }
    Err(bad(py, key, format!("{}, which a scenario cannot hold", repr(x))))
}

fn bad(py: Python<'_>, key: &str, what: String) -> PyErr {
    scenario_error(
        py,
        format!(
            "<dict>: {key}: {what}; values are numbers, strings, booleans, lists and dicts (as in a TOML file)"
        ),
        Some(key.to_string()),
        None,
        None,
        None,
    )
}

fn repr(x: &Bound<'_, PyAny>) -> String {
    let text = x.repr().map(|r| r.to_string()).unwrap_or_default();
    flowgap::error::excerpt(&text)
}
