//! `flowgap.sweep`: `flowgap sweep`'s grid runs, returning the table as arrays.

use crate::errors::{to_py, Origin};
use flowgap::scenario;
use flowgap::sweep::{Options, Plan, Shard};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Runs the sweep of a named scenario or file over `grid` (the CLI's `--grid` strings) into `out` (a
/// scratch folder removed afterwards when None), and returns (columns, files): every column of
/// sweep.csv, numeric ones as float64 arrays, text ones (terminations) as lists of str.
#[pyfunction]
#[pyo3(signature = (scenario, grid, out = None, jobs = None, force = false, scenarios_dir = None))]
pub fn sweep_table<'py>(
    py: Python<'py>,
    scenario: &str,
    grid: Vec<String>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    force: bool,
    scenarios_dir: Option<PathBuf>,
) -> PyResult<(Bound<'py, PyDict>, Vec<PathBuf>)> {
    let dir = crate::scenarios_dir(scenarios_dir);
    let err = |e| to_py(py, e, Origin::File);
    let path = scenario::resolve(&dir, scenario).map_err(err)?;
    let plan = Plan::new(&path, &grid).map_err(err)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = Options {
        jobs: jobs.unwrap_or(cores).clamp(1, cores),
        shard: Shard::WHOLE,
        progress: false,
    };
    let scratch = out.is_none();
    let target = match out {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "flowgap-sweep-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        )),
    };
    let stop = AtomicBool::new(false);
    let result = py.detach(|| -> flowgap::Result<_> {
        let claim = flowgap::outdir::Claim::new(&target, flowgap::outdir::Kind::Sweep, &plan.name, force)?;
        let outcome = flowgap::sweep::run_sweep_claimed(&plan, claim, options, &stop)?;
        let mut header = Vec::new();
        let mut cells: Vec<Vec<String>> = Vec::new();
        flowgap::formats::sweep::for_each_row(&target.join(flowgap::sweep::TABLE), |h, row| {
            if header.is_empty() {
                header = h.to_vec();
                cells = vec![Vec::new(); h.len()];
            }
            for (c, v) in cells.iter_mut().zip(row) {
                c.push(v.to_string());
            }
        })?;
        Ok((header, cells, outcome.files))
    });
    if scratch {
        let _ = std::fs::remove_dir_all(&target);
    }
    let (header, cells, files) = result.map_err(err)?;
    let table = PyDict::new(py);
    let header = if header.is_empty() {
        plan.columns.clone()
    } else {
        header
    };
    let cells = if cells.is_empty() {
        vec![Vec::new(); header.len()]
    } else {
        cells
    };
    for (name, column) in header.iter().zip(cells) {
        let numbers: Option<Vec<f64>> = column
            .iter()
            .map(|c| {
                if c.is_empty() {
                    Some(f64::NAN)
                } else {
                    c.parse().ok()
                }
            })
            .collect();
        match numbers {
            Some(n) => table.set_item(name, PyArray1::from_vec(py, n))?,
            None => table.set_item(name, column)?,
        }
    }
    Ok((table, if scratch { Vec::new() } else { files }))
}
