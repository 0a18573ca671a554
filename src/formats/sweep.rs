//! A sweep's table `sweep.csv`, read back row by row: by [`crate::sweep`]'s counts and merge and by the
//! sweep figures.

use super::bad;
use super::table::Rows;
use crate::error::{Error, Result};
use std::path::Path;

/// What a sweep table's reader says when the file is missing.
const MISSING: &str = "a sweep writes its table there";

/// Streams the rows of the sweep table at `path`: `f(header, cells)` per row. A table that is not what
/// flowgap wrote (cut short, a row of another width, not UTF-8) is bad input naming the file and row.
pub fn for_each_row(path: &Path, mut f: impl FnMut(&[String], &[&str])) -> Result<()> {
    let mut rows = Rows::open(path, MISSING)?;
    let header = rows.header().to_vec();
    while let Some(record) = rows.next_row()? {
        let cells: Vec<&str> = record.iter().collect();
        f(&header, &cells);
    }
    Ok(())
}

/// The named columns of the sweep table at `path` as numbers (an empty or non-numeric cell reads as
/// NaN), or `Ok(Err(name))` with the first name the table has no column for.
pub fn read_columns(path: &Path, names: &[&str]) -> Result<std::result::Result<Vec<Vec<f64>>, String>> {
    let mut rows = Rows::open(path, MISSING)?;
    let mut at = Vec::with_capacity(names.len());
    for n in names {
        match rows.header().iter().position(|h| h == n) {
            Some(i) => at.push(i),
            None => return Ok(Err(n.to_string())),
        }
    }
    let mut out = vec![Vec::new(); names.len()];
    while let Some(record) = rows.next_row()? {
        for (col, &i) in out.iter_mut().zip(&at) {
            col.push(record[i].parse().unwrap_or(f64::NAN));
        }
    }
    Ok(Ok(out))
}

/// A sweep table at `path` without the column `name` a figure asks for: bad input naming both.
pub fn no_column(path: &Path, name: &str) -> Error {
    bad(path, format!("no column `{name}`"))
}
