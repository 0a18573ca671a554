//! Loading a dataset from a CSV file with a header row.
//!
//! Rules: the first row names the columns; every other non-empty line is one sample with exactly as
//! many fields as the header; fields are trimmed; feature cells (and the label for regression) must be
//! finite numbers. The whole file is checked before a row subset is taken, and scaling uses only the
//! rows kept. Every refusal is an [`Error::Data`] naming the file, the row as a spreadsheet shows it
//! (the header is row 1; this is the line on which the record starts) and the column.

use super::scale::{self, ScaleParams, Scaling};
use super::{Dataset, Task};
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use std::collections::HashSet;
use std::path::PathBuf;

/// What the label column means.
#[derive(Debug, Clone, PartialEq)]
pub enum CsvTask {
    /// A numeric target.
    Regression,
    /// Rows whose label equals `positive` are 1, every other row is 0 (one versus the rest). Labels
    /// compare as text, or as numbers when both parse as numbers (`1` matches `1.0`).
    Binary {
        /// The label value of the positive class.
        positive: String,
    },
    /// One-hot over the distinct label values, sorted (numerically when every value is a number,
    /// else as text).
    Multiclass,
}

/// Which data rows to keep (data rows are numbered from 0, the first line below the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSubset {
    /// Every row.
    All,
    /// Rows `start..end` (end excluded).
    Range {
        /// The first row kept.
        start: usize,
        /// One past the last row kept.
        end: usize,
    },
    /// At most this many rows, from the top.
    First(usize),
}

/// How to read one CSV file into a [`Dataset`].
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// The file.
    pub path: PathBuf,
    /// The feature columns by name, in this order; `None` takes every column but the label, in file
    /// order.
    pub features: Option<Vec<String>>,
    /// The label column's name.
    pub label: String,
    /// What the label means.
    pub task: CsvTask,
    /// How to rescale the features (after the row subset is taken).
    pub scaling: Scaling,
    /// Which rows to keep.
    pub rows: RowSubset,
}

/// A loaded CSV dataset with what is needed to describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvData {
    /// The samples.
    pub dataset: Dataset,
    /// The feature columns, in the order of the dataset's columns.
    pub features: Vec<String>,
    /// The label column.
    pub label: String,
    /// The class values: one-hot column order for multiclass; for binary the distinct values found,
    /// sorted; empty for regression.
    pub classes: Vec<String>,
    /// The data rows kept, `start..end` (0-based, end excluded).
    pub rows: (usize, usize),
    /// The feature scaling applied.
    pub scale: ScaleParams,
}

/// One data row as read: its features, its label cell, and the label as a number (regression only).
struct RawRow {
    features: Vec<f64>,
    label: String,
    target: f64,
}

/// Reads and checks the CSV file described by `opts`.
pub fn load(opts: &CsvOptions) -> Result<CsvData> {
    let fail = |row: Option<usize>, column: Option<&str>, message: String| Error::Data {
        file: opts.path.clone(),
        row,
        column: column.map(str::to_string),
        message,
    };
    let file = std::fs::File::open(&opts.path)
        .map_err(|e| fail(None, None, format!("cannot open the data file: {e}")))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(file);
    let csv_error = |e: ::csv::Error| {
        let row = e.position().map(|p| p.line() as usize);
        fail(row, None, format!("cannot be read as CSV: {e}"))
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(fail(
            None,
            None,
            "the file is empty; it needs a header row naming the columns, then one row per sample".into(),
        ));
    }
    let mut seen = HashSet::new();
    for (j, name) in header.iter().enumerate() {
        if name.is_empty() {
            return Err(fail(
                Some(1),
                None,
                format!(
                    "column {} has no name in the header; every column needs one",
                    j + 1
                ),
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(fail(
                Some(1),
                Some(name),
                "appears twice in the header; column names must be unique".into(),
            ));
        }
    }
    let listing = || header.join(", ");
    let find = |name: &str, what: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            fail(
                Some(1),
                Some(name),
                format!(
                    "no such {what} column in the header; the columns are: {}",
                    listing()
                ),
            )
        })
    };
    let label_col = find(&opts.label, "label")?;
    let feature_cols: Vec<usize> = match &opts.features {
        Some(names) => {
            let mut cols = Vec::with_capacity(names.len());
            for name in names {
                let j = find(name, "feature")?;
                if j == label_col {
                    return Err(fail(
                        Some(1),
                        Some(name),
                        "is the label column; it cannot also be a feature".into(),
                    ));
                }
                if cols.contains(&j) {
                    return Err(fail(Some(1), Some(name), "is listed twice as a feature".into()));
                }
                cols.push(j);
            }
            cols
        }
        None => (0..header.len()).filter(|&j| j != label_col).collect(),
    };
    if feature_cols.is_empty() {
        return Err(fail(
            Some(1),
            None,
            "no feature columns: give at least one column besides the label".into(),
        ));
    }

    let parse = |cell: &str, row: usize, col: usize| -> Result<f64> {
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ if cell.is_empty() => Err(fail(
                Some(row),
                Some(&header[col]),
                "the cell is empty; fill it in or remove the row".into(),
            )),
            _ => Err(fail(
                Some(row),
                Some(&header[col]),
                format!("`{cell}` is not a finite number"),
            )),
        }
    };
    let mut raw = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let row = record.position().map_or(0, |p| p.line() as usize);
        if record.len() < header.len() {
            return Err(fail(
                Some(row),
                Some(&header[record.len()]),
                format!(
                    "the row has {} fields but the header has {}; this column is missing",
                    record.len(),
                    header.len()
                ),
            ));
        }
        if record.len() > header.len() {
            return Err(fail(
                Some(row),
                None,
                format!(
                    "the row has {} fields but the header has {}; remove the extra fields or name them in the header",
                    record.len(),
                    header.len()
                ),
            ));
        }
        let mut features = Vec::with_capacity(feature_cols.len());
        for &j in &feature_cols {
            features.push(parse(&record[j], row, j)?);
        }
        let label = record[label_col].to_string();
        let mut target = f64::NAN;
        if opts.task == CsvTask::Regression {
            target = parse(&label, row, label_col)?;
        } else if label.is_empty() {
            return Err(fail(
                Some(row),
                Some(&opts.label),
                "the label cell is empty; fill it in or remove the row".into(),
            ));
        }
        raw.push(RawRow {
            features,
            label,
            target,
        });
    }
    if raw.is_empty() {
        return Err(fail(
            None,
            None,
            "the file has a header but no data rows; add one row per sample".into(),
        ));
    }

    let total = raw.len();
    let (start, end) = match opts.rows {
        RowSubset::All => (0, total),
        RowSubset::First(0) => {
            return Err(fail(None, None, "max_rows must be at least 1".into()));
        }
        RowSubset::First(m) => (0, m.min(total)),
        RowSubset::Range { start, end } if start >= end || end > total => {
            return Err(fail(
                None,
                None,
                format!(
                    "rows = [{start}, {end}] is not a non-empty range within the file's {total} data rows \
                     (numbered 0 to {}; the end is excluded)",
                    total - 1
                ),
            ));
        }
        RowSubset::Range { start, end } => (start, end),
    };
    let kept = &raw[start..end];
    let n = kept.len();
    let p = feature_cols.len();
    let mut x = DMatrix::from_fn(n, p, |i, j| kept[i].features[j]);
    let scale = scale::apply(&mut x, opts.scaling);
    // Cells near ±f64::MAX are finite, but their sum, spread or range may overflow (found by
    // tests/fuzz_csv.rs): refuse rather than hand NaN or ±inf to the objective.
    let overflowed = |j: usize| {
        !scale.shift[j].is_finite()
            || !scale.factor[j].is_finite()
            || x.column(j).iter().any(|v| !v.is_finite())
    };
    if let Some(j) = (0..p).find(|&j| overflowed(j)) {
        return Err(fail(
            None,
            Some(&header[feature_cols[j]]),
            format!(
                "the values are too large to {} (their sum or range overflows f64); rescale the column in \
                 the file or use scale = \"none\"",
                opts.scaling.name()
            ),
        ));
    }

    let (y, task, classes) = match &opts.task {
        CsvTask::Regression => {
            let y = DMatrix::from_fn(n, 1, |i, _| kept[i].target);
            (y, Task::Regression, Vec::new())
        }
        CsvTask::Binary { positive } => {
            let y = DMatrix::from_fn(n, 1, |i, _| f64::from(same_label(&kept[i].label, positive)));
            if y.iter().all(|&v| v == 0.0) {
                return Err(fail(
                    None,
                    Some(&opts.label),
                    format!(
                        "no row kept has the positive class `{positive}`; the values found are: {}",
                        sorted_classes(kept).join(", ")
                    ),
                ));
            }
            (y, Task::Binary, sorted_classes(kept))
        }
        CsvTask::Multiclass => {
            let classes = sorted_classes(kept);
            if classes.len() < 2 {
                return Err(fail(
                    None,
                    Some(&opts.label),
                    format!(
                        "a multiclass task needs at least 2 classes; the rows kept all have `{}`",
                        classes.first().map_or("", String::as_str)
                    ),
                ));
            }
            let k = classes.len();
            let mut y = DMatrix::zeros(n, k);
            for (i, r) in kept.iter().enumerate() {
                // Every label is one of the classes, which were collected from these rows.
                if let Some(c) = classes.iter().position(|c| *c == r.label) {
                    y[(i, c)] = 1.0;
                }
            }
            (y, Task::Multiclass { classes: k }, classes)
        }
    };
    Ok(CsvData {
        dataset: Dataset { x, y, task },
        features: feature_cols.iter().map(|&j| header[j].clone()).collect(),
        label: opts.label.clone(),
        classes,
        rows: (start, end),
        scale,
    })
}

/// Equal as text, or as numbers when both are numbers.
fn same_label(cell: &str, positive: &str) -> bool {
    cell == positive || matches!((cell.parse::<f64>(), positive.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// The distinct labels of `rows`, sorted numerically when all are numbers, else as text.
fn sorted_classes(rows: &[RawRow]) -> Vec<String> {
    let mut classes: Vec<String> = rows
        .iter()
        .map(|r| r.label.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let numbers: Option<Vec<f64>> = classes.iter().map(|c| c.parse::<f64>().ok()).collect();
    match numbers {
        Some(_) => classes.sort_by(|a, b| {
            let (a, b) = (a.parse::<f64>().unwrap_or(0.0), b.parse::<f64>().unwrap_or(0.0));
            a.total_cmp(&b)
        }),
        None => classes.sort(),
    }
    classes
}
