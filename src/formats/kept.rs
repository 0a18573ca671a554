//! A sweep's `kept.csv`: the recorded series a sweep's `[sweep] keep` asks for, of every run, in one long
//! table (one row per recorded point of a kept method of a run), written as the runs finish and read back
//! row by row by the overlay figure ([`crate::render`]) and `flowgap merge`.
//!
//! Columns: `index`, one per sweep axis (the run's values), `method`, `step`, `t`, then the kept columns
//! in the order `keep` lists them, then `threshold` when `sharpness` is kept (the method's stability
//! threshold at the run's η, e.g. 2/η for GD; empty for a method without one). A point where a kept
//! column has no value (sharpness is sampled every `[diagnostics.sharpness] every`-th point) has an
//! empty cell; a point where no kept column has a value is not written.

use super::table::{number, Rows, Writer};
use crate::error::Result;
use std::path::{Path, PathBuf};

/// The kept series' file inside a sweep's folder.
pub const KEPT: &str = "kept.csv";

/// The recorded columns a sweep can keep: the loss, the gradient norm (both at every recorded point), the
/// sharpness λ₁ (at the points `[diagnostics.sharpness]` samples), and, when the objective's data has a
/// test part, the held-out columns (at every recorded point; the accuracies for classification losses).
pub const KEEP_COLUMNS: [&str; 7] = [
    "loss",
    "grad_norm",
    "sharpness",
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
];

/// The kept columns that held-out evaluation records (a test split is needed).
pub const HELD_OUT_KEEP: [&str; 4] = ["train_loss", "test_loss", "train_accuracy", "test_accuracy"];

/// The kept columns that only a classification loss records.
pub const ACCURACY_KEEP: [&str; 2] = ["train_accuracy", "test_accuracy"];

/// The name of the threshold column, present when `sharpness` is kept.
pub const THRESHOLD: &str = "threshold";

/// What a reader says when `kept.csv` is missing.
const MISSING: &str = "a sweep with `keep` writes its kept series there";

/// One kept method's series of one run: a row per point, `columns` values per row (`None`: no value).
#[derive(Debug, Clone, PartialEq)]
pub struct KeptSeries {
    /// The method's id.
    pub method: String,
    /// The method's stability threshold at the run's η (`None`: it has none, or sharpness is not kept).
    pub threshold: Option<f64>,
    /// Step index of each point.
    pub steps: Vec<u64>,
    /// Time of each point.
    pub times: Vec<f64>,
    /// The values, row-major: point i is `values[i*c .. (i+1)*c]`, c the number of kept columns.
    pub values: Vec<Option<f64>>,
}

/// The header of a kept table: the axis keys, the kept columns, and whether it has a threshold column.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptHeader {
    /// The sweep's axis keys, slowest first.
    pub axes: Vec<String>,
    /// The kept columns, in `keep`'s order.
    pub columns: Vec<String>,
}

impl KeptHeader {
    /// True when the table carries the `threshold` column (sharpness is kept).
    pub fn has_threshold(&self) -> bool {
        self.columns.iter().any(|c| c == "sharpness")
    }

    /// The header's names, in order.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec!["index".to_string()];
        names.extend(self.axes.iter().cloned());
        names.extend(["method", "step", "t"].map(String::from));
        names.extend(self.columns.iter().cloned());
        if self.has_threshold() {
            names.push(THRESHOLD.to_string());
        }
        names
    }
}

/// `kept.csv` being written, run by run.
pub struct KeptWriter {
    header: KeptHeader,
    inner: Writer,
}

impl KeptWriter {
    /// Creates `path` and writes the header.
    pub fn create(path: &Path, header: KeptHeader) -> Result<KeptWriter> {
        let inner = Writer::create(path, header.names())?;
        Ok(KeptWriter { header, inner })
    }

    /// Writes the series of run `index` at axis values `values`; points without any value are skipped.
    pub fn run(&mut self, index: u64, values: &[f64], series: &[KeptSeries]) -> Result<()> {
        let c = self.header.columns.len();
        let with_threshold = self.header.has_threshold();
        for s in series {
            for (i, (&step, &t)) in s.steps.iter().zip(&s.times).enumerate() {
                let row = &s.values[i * c..(i + 1) * c];
                if row.iter().all(Option::is_none) {
                    continue;
                }
                self.inner.int(index)?;
                for &v in values {
                    self.inner.num(v)?;
                }
                self.inner.text(&s.method)?;
                self.inner.int(step)?;
                self.inner.num(t)?;
                for v in row {
                    self.inner.text(&v.map_or(String::new(), number))?;
                }
                if with_threshold {
                    self.inner.text(&s.threshold.map_or(String::new(), number))?;
                }
                self.inner.end_row()?;
            }
        }
        Ok(())
    }

    /// Puts everything written so far on disk.
    pub fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    /// Flushes and closes the file; returns its path.
    pub fn finish(self) -> Result<PathBuf> {
        self.inner.finish()
    }
}

/// One row of a kept table, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptRow {
    /// The run's index in the grid.
    pub index: u64,
    /// The run's axis values.
    pub axes: Vec<f64>,
    /// The method's id.
    pub method: String,
    /// The step.
    pub step: u64,
    /// The time.
    pub t: f64,
    /// The kept columns' values (`None`: empty cell).
    pub values: Vec<Option<f64>>,
    /// The threshold (`None`: empty cell, or no threshold column).
    pub threshold: Option<f64>,
}

/// Streams the rows of the kept table at `path`: `f(row)` per row, after checking the header is that of a
/// sweep over `axes` keeping `columns`. A table that is not what flowgap wrote (another header, a cell
/// that is not a number where one belongs) is bad input naming the file and row.
pub fn for_each_row(path: &Path, expected: &KeptHeader, mut f: impl FnMut(&KeptRow)) -> Result<()> {
    let mut rows = Rows::open(path, MISSING)?;
    if rows.header() != expected.names().as_slice() {
        return Err(super::bad(
            path,
            format!(
                "its header is not `{}`, the one this sweep writes; it is not this sweep's kept table",
                expected.names().join(",")
            ),
        ));
    }
    let (a, c) = (expected.axes.len(), expected.columns.len());
    let with_threshold = expected.has_threshold();
    let mut row = KeptRow {
        index: 0,
        axes: vec![0.0; a],
        method: String::new(),
        step: 0,
        t: 0.0,
        values: vec![None; c],
        threshold: None,
    };
    let path = rows.path().to_path_buf();
    while let Some(record) = rows.next_row()? {
        let at = record.position().map_or(0, |p| p.line());
        let bad = |column: &str, cell: &str| {
            super::bad(
                &path,
                format!("row {at}, column `{column}`: `{cell}` is not what flowgap writes there"),
            )
        };
        let cell = |i: usize| record.get(i).unwrap_or("");
        let num = |i: usize, name: &str| cell(i).parse::<f64>().map_err(|_| bad(name, cell(i)));
        let opt = |i: usize, name: &str| match cell(i) {
            "" => Ok(None),
            s => s.parse::<f64>().map(Some).map_err(|_| bad(name, s)),
        };
        row.index = cell(0).parse().map_err(|_| bad("index", cell(0)))?;
        for (k, key) in expected.axes.iter().enumerate() {
            row.axes[k] = num(1 + k, key)?;
        }
        row.method.clear();
        row.method.push_str(cell(1 + a));
        row.step = cell(2 + a).parse().map_err(|_| bad("step", cell(2 + a)))?;
        row.t = num(3 + a, "t")?;
        for (k, name) in expected.columns.iter().enumerate() {
            row.values[k] = opt(4 + a + k, name)?;
        }
        row.threshold = if with_threshold {
            opt(4 + a + c, THRESHOLD)?
        } else {
            None
        };
        f(&row);
    }
    Ok(())
}

/// Opens the kept table at `path` for copying rows unchanged (a merge): its header and raw rows.
pub fn open_rows(path: &Path) -> Result<Rows> {
    Rows::open(path, MISSING)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> KeptHeader {
        KeptHeader {
            axes: vec!["run.step_size".into(), "init.seed".into()],
            columns: vec!["loss".into(), "sharpness".into()],
        }
    }

    #[test]
    fn kept_series_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEPT);
        // The second point has no value at all and is not written.
        let gd = KeptSeries {
            method: "gd".into(),
            threshold: Some(2.0 / 0.3),
            steps: vec![0, 5, 10],
            times: vec![0.0, 1.5, 3.0000000000000004],
            values: vec![Some(1.0), Some(2.5), None, None, Some(1e-19), Some(f64::INFINITY)],
        };
        let flow = KeptSeries {
            method: "flow".into(),
            threshold: None,
            steps: vec![0],
            times: vec![0.0],
            values: vec![Some(0.75), Some(3.0)],
        };
        let mut w = KeptWriter::create(&path, header()).unwrap();
        w.run(7, &[0.3, 2.0], &[gd.clone(), flow.clone()]).unwrap();
        w.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "index,run.step_size,init.seed,method,step,t,loss,sharpness,threshold\n\
             7,0.3,2,gd,0,0,1,2.5,6.666666666666667\n\
             7,0.3,2,gd,10,3.0000000000000004,1e-19,inf,6.666666666666667\n\
             7,0.3,2,flow,0,0,0.75,3,\n"
        );
        let mut back = Vec::new();
        for_each_row(&path, &header(), |r| back.push(r.clone())).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[0].axes, [0.3, 2.0]);
        assert_eq!(back[0].threshold.unwrap().to_bits(), (2.0f64 / 0.3).to_bits());
        assert_eq!(back[1].step, 10);
        assert_eq!(back[1].t.to_bits(), 3.0000000000000004f64.to_bits());
        assert_eq!(back[1].values, [Some(1e-19), Some(f64::INFINITY)]);
        assert_eq!(back[2].method, "flow");
        assert_eq!(back[2].threshold, None);
        assert_eq!(back[2].values, [Some(0.75), Some(3.0)]);

        let other = KeptHeader {
            columns: vec!["loss".into()],
            ..header()
        };
        let e = for_each_row(&path, &other, |_| {}).unwrap_err();
        assert!(e.is_bad_input() && e.to_string().contains("header"), "{e}");
        std::fs::write(&path, text.replace("1e-19", "x")).unwrap();
        let e = for_each_row(&path, &header(), |_| {}).unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("row 3, column `loss`: `x`"),
            "{e}"
        );
    }
}
