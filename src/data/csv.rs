//! Loading a dataset from a CSV file with a header row.
//!
//! Rules: the first row names the columns; every other non-empty line is one sample with exactly as
//! many fields as the header; fields are trimmed; feature cells (and the label for regression) must be
//! finite numbers. The whole file is checked before a row subset is taken, and scaling uses only the
//! rows kept. Every refusal is an [`Error::Data`] naming the file, the row as a spreadsheet shows it
//! (the header is row 1; this is the line on which the record starts) and the column. Messages quote the
//! file only in short escaped excerpts, and not at all when [`CsvOptions::show_contents`] is false.

use super::scale::{self, ScaleParams, Scaling};
use super::{Dataset, Task};
use crate::error::{Error, Result};
use crate::files;
use nalgebra::DMatrix;
use std::collections::{HashMap, HashSet};
use std::io::Read;
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
    /// Whether messages may quote the file (short escaped excerpts of names and cells); false for a
    /// file outside the scenario's folder, whose errors show only column numbers and counts.
    pub show_contents: bool,
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

/// The most columns a CSV file may have (a linear model keeps a columns × columns matrix).
pub const MAX_COLUMNS: usize = 10_000;

/// The most distinct label values a classification task may have (one-hot targets are a column each).
pub const MAX_CLASSES: usize = 1_000;

/// The most numbers (rows kept × (features + 1)) read from one file: 400 MB of f64.
pub const MAX_CELLS: u64 = 50_000_000;

/// How many names or values a message lists before it says how many more there are.
const MAX_LISTED: usize = 20;

/// The rows kept as read: features row after row, and per row its target (regression) or its label's
/// index into the distinct labels (classification).
#[derive(Default)]
struct Kept {
    features: Vec<f64>,
    targets: Vec<f64>,
    labels: Vec<usize>,
    distinct: Vec<String>,
}

/// How a message may show what is in the file: names and cells as short escaped excerpts, or (for a
/// file outside the scenario's folder) nothing but column numbers and counts.
struct Shown<'a> {
    header: &'a [String],
    contents: bool,
}

impl Shown<'_> {
    /// Column `j` for an error's `column`: its name, or `#<number>` when contents are not shown.
    fn column(&self, j: usize) -> String {
        if self.contents {
            crate::error::excerpt(&self.header[j])
        } else {
            format!("#{}", j + 1)
        }
    }

    /// A cell's text in backticks followed by a space, or nothing when contents are not shown.
    fn cell(&self, text: &str) -> String {
        if self.contents {
            format!("`{}` ", crate::error::excerpt(text))
        } else {
            String::new()
        }
    }

    /// At most [`MAX_LISTED`] values, then how many more; only a count when contents are not shown.
    fn list(&self, values: &[String]) -> String {
        if !self.contents {
            return format!(
                "{} (not shown: the file is outside the scenario's folder)",
                values.len()
            );
        }
        let mut shown: Vec<String> = values
            .iter()
            .take(MAX_LISTED)
            .map(|v| crate::error::excerpt(v))
            .collect();
        if values.len() > MAX_LISTED {
            shown.push(format!("… ({} in all)", values.len()));
        }
        shown.join(", ")
    }
}

/// Reads and checks the CSV file described by `opts`: a regular file (a FIFO or a device is refused
/// without blocking) of at most [`files::MAX_DATA_BYTES`], at most [`MAX_COLUMNS`] columns,
/// [`MAX_CLASSES`] labels and [`MAX_CELLS`] numbers kept.
pub fn load(opts: &CsvOptions) -> Result<CsvData> {
    let fail = |row: Option<usize>, column: Option<String>, message: String| Error::Data {
        file: opts.path.clone(),
        row,
        column,
        message,
    };
    // A path that leads nowhere is named as the data file's fault, with the system's reason.
    if let Err(e) = std::fs::metadata(&opts.path) {
        return Err(fail(None, None, format!("cannot open the data file: {e}")));
    }
    let file = files::open_regular(&opts.path, files::MAX_DATA_BYTES).map_err(|e| match e {
        Error::Io { source, .. } => fail(None, None, format!("cannot open the data file: {source}")),
        other => other,
    })?;
    // A file whose size is not its content (under /proc) stops here: one byte past the limit is proof.
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(file.take(files::MAX_DATA_BYTES + 1));
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
    let shown = Shown {
        header: &header,
        contents: opts.show_contents,
    };
    if header.iter().all(String::is_empty) {
        return Err(fail(
            None,
            None,
            "the file is empty; it needs a header row naming the columns, then one row per sample".into(),
        ));
    }
    if header.len() > MAX_COLUMNS {
        return Err(fail(
            Some(1),
            None,
            format!(
                "the header has {} columns; flowgap reads at most {MAX_COLUMNS}",
                header.len()
            ),
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
                Some(shown.column(j)),
                "appears twice in the header; column names must be unique".into(),
            ));
        }
    }
    let find = |name: &str, what: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            fail(
                Some(1),
                Some(crate::error::excerpt(name)),
                format!(
                    "no such {what} column in the header; the columns are: {}",
                    shown.list(&header)
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
                        Some(crate::error::excerpt(name)),
                        "is the label column; it cannot also be a feature".into(),
                    ));
                }
                if cols.contains(&j) {
                    return Err(fail(
                        Some(1),
                        Some(crate::error::excerpt(name)),
                        "is listed twice as a feature".into(),
                    ));
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
                Some(shown.column(col)),
                "the cell is empty; fill it in or remove the row".into(),
            )),
            _ => Err(fail(
                Some(row),
                Some(shown.column(col)),
                format!("{}is not a finite number", shown.cell(cell)),
            )),
        }
    };
    // Rows outside the subset asked for are checked but not kept.
    let (keep_from, keep_to) = match opts.rows {
        RowSubset::All => (0, usize::MAX),
        RowSubset::First(m) => (0, m),
        RowSubset::Range { start, end } => (start, end),
    };
    let classify = opts.task != CsvTask::Regression;
    let mut kept = Kept::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut total = 0usize;
    let per_row = feature_cols.len() as u64 + 1;
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let row = record.position().map_or(0, |p| p.line() as usize);
        if record.len() < header.len() {
            return Err(fail(
                Some(row),
                Some(shown.column(record.len())),
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
        let keep = (keep_from..keep_to).contains(&total);
        total += 1;
        if keep && (kept.targets.len().max(kept.labels.len()) as u64 + 1) * per_row > MAX_CELLS {
            return Err(fail(
                Some(row),
                None,
                format!(
                    "the rows kept hold more than {MAX_CELLS} numbers ({per_row} per row); keep fewer rows \
                     (max_rows, or rows = [start, end]) or fewer features"
                ),
            ));
        }
        for &j in &feature_cols {
            let v = parse(&record[j], row, j)?;
            if keep {
                kept.features.push(v);
            }
        }
        let label = &record[label_col];
        if !classify {
            let target = parse(label, row, label_col)?;
            if keep {
                kept.targets.push(target);
            }
            continue;
        }
        if label.is_empty() {
            return Err(fail(
                Some(row),
                Some(shown.column(label_col)),
                "the label cell is empty; fill it in or remove the row".into(),
            ));
        }
        if !keep {
            continue;
        }
        let id = match index.get(label) {
            Some(&id) => id,
            None if kept.distinct.len() == MAX_CLASSES => {
                return Err(fail(
                    Some(row),
                    Some(shown.column(label_col)),
                    format!(
                        "the label column has more than {MAX_CLASSES} distinct values; a classification task \
                         takes at most {MAX_CLASSES} classes (for a numeric target use task = \"regression\")"
                    ),
                ));
            }
            None => {
                kept.distinct.push(label.to_string());
                index.insert(label.to_string(), kept.distinct.len() - 1);
                kept.distinct.len() - 1
            }
        };
        kept.labels.push(id);
    }
    if reader.get_ref().limit() == 0 {
        return Err(crate::files::input_error(
            &opts.path,
            format!(
                "is larger than the {} flowgap reads from a data file",
                files::bytes_text(files::MAX_DATA_BYTES)
            ),
        ));
    }
    if total == 0 {
        return Err(fail(
            None,
            None,
            "the file has a header but no data rows; add one row per sample".into(),
        ));
    }

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
    let n = end - start;
    let p = feature_cols.len();
    let mut x = DMatrix::from_fn(n, p, |i, j| kept.features[i * p + j]);
    drop(std::mem::take(&mut kept.features));
    let scale = scale::apply(&mut x, opts.scaling);
    // Cells near ±f64::MAX are finite, but their sum, spread or range may overflow (found by
    // tests/it/fuzz_csv.rs): refuse rather than hand NaN or ±inf to the objective.
    let overflowed = |j: usize| {
        !scale.shift[j].is_finite()
            || !scale.factor[j].is_finite()
            || x.column(j).iter().any(|v| !v.is_finite())
    };
    if let Some(j) = (0..p).find(|&j| overflowed(j)) {
        return Err(fail(
            None,
            Some(shown.column(feature_cols[j])),
            format!(
                "the values are too large to {} (their sum or range overflows f64); rescale the column in \
                 the file or use scale = \"none\"",
                opts.scaling.name()
            ),
        ));
    }

    let label_column = Some(shown.column(label_col));
    let (y, task, classes) = match &opts.task {
        CsvTask::Regression => {
            let y = DMatrix::from_fn(n, 1, |i, _| kept.targets[i]);
            (y, Task::Regression, Vec::new())
        }
        CsvTask::Binary { positive } => {
            let (classes, _) = sorted_classes(&kept.distinct);
            let y = DMatrix::from_fn(n, 1, |i, _| {
                f64::from(same_label(&kept.distinct[kept.labels[i]], positive))
            });
            if y.iter().all(|&v| v == 0.0) {
                return Err(fail(
                    None,
                    label_column,
                    format!(
                        "no row kept has the positive class `{}`; the values found are: {}",
                        crate::error::excerpt(positive),
                        shown.list(&classes)
                    ),
                ));
            }
            (y, Task::Binary, classes)
        }
        CsvTask::Multiclass => {
            let (classes, rank) = sorted_classes(&kept.distinct);
            if classes.len() < 2 {
                let only = classes.first().map_or(String::new(), |c| shown.cell(c));
                return Err(fail(
                    None,
                    label_column,
                    format!("a multiclass task needs at least 2 classes; the rows kept all have the same label {only}")
                        .trim_end()
                        .to_string(),
                ));
            }
            let k = classes.len();
            if (n as u64).saturating_mul(k as u64) > MAX_CELLS {
                return Err(fail(
                    None,
                    label_column,
                    format!(
                        "{n} rows × {k} classes of one-hot targets are more than {MAX_CELLS} numbers; keep fewer \
                         rows or merge classes"
                    ),
                ));
            }
            let mut y = DMatrix::zeros(n, k);
            for (i, &label) in kept.labels.iter().enumerate() {
                y[(i, rank[label])] = 1.0;
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

/// The distinct labels sorted (numerically when all are numbers, else as text), and for each label
/// (by its index in `distinct`) its place in that order.
fn sorted_classes(distinct: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    let numbers: Option<Vec<f64>> = distinct.iter().map(|c| c.parse::<f64>().ok()).collect();
    match numbers {
        Some(v) => order.sort_by(|&a, &b| v[a].total_cmp(&v[b]).then_with(|| distinct[a].cmp(&distinct[b]))),
        None => order.sort_by(|&a, &b| distinct[a].cmp(&distinct[b])),
    }
    let mut rank = vec![0; distinct.len()];
    for (place, &label) in order.iter().enumerate() {
        rank[label] = place;
    }
    (order.iter().map(|&i| distinct[i].clone()).collect(), rank)
}
