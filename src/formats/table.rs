//! CSV as flowgap writes and reads it, through the `csv` crate: a header row, then rows as wide as the
//! header, every row ended by `\n`, numbers in [`number`]'s form.
//!
//! A reader refuses a file that is not that (no final line end, a row of another width, not UTF-8) as
//! bad input naming the file and, where known, the row (1-based as a spreadsheet shows it: the header is
//! row 1) and the column.

use super::bad;
use crate::error::{Error, Result};
use crate::files::{self, MAX_SAVED_BYTES};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// An f64 as its shortest decimal that reads back bit for bit: plain (`0.001`, `12.5`) when x = 0 or
/// 1e-7 ≤ |x| < 1e21, in exponent form (`1e-19`, `2.5e300`) otherwise, as JavaScript prints numbers;
/// `NaN`, `inf`, `-inf` as they are.
pub fn number(x: f64) -> String {
    let a = x.abs();
    if a.is_finite() && a != 0.0 && !(1e-7..1e21).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A `csv` crate error on `path` as the library's error: I/O stays I/O, anything else is a file that is
/// not what flowgap wrote.
fn csv_error(path: &Path, e: csv::Error) -> Error {
    let position = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => bad(
            path,
            format!(
                "row {}: not a flowgap CSV row ({len} fields, the header has {expected_len})",
                position.unwrap_or(0)
            ),
        ),
        csv::ErrorKind::Utf8 { .. } => bad(
            path,
            format!(
                "row {}: not UTF-8 text: not what flowgap wrote",
                position.unwrap_or(0)
            ),
        ),
        other => bad(path, format!("not a flowgap CSV: {other:?}")),
    }
}

/// A CSV file being written: the header, then row by row, cell by cell.
pub struct Writer {
    path: PathBuf,
    inner: csv::Writer<std::fs::File>,
}

impl Writer {
    /// Creates (or truncates) `path` and writes the header `columns`.
    pub fn create<I, T>(path: &Path, columns: I) -> Result<Writer>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = Writer {
            path: path.to_path_buf(),
            inner: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(file),
        };
        w.record(columns)?;
        Ok(w)
    }

    /// Writes one whole row.
    pub fn record<I, T>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.inner
            .write_record(cells)
            .map_err(|e| csv_error(&self.path, e))
    }

    /// Writes one cell of the current row.
    pub fn text(&mut self, cell: &str) -> Result<()> {
        self.inner.write_field(cell).map_err(|e| csv_error(&self.path, e))
    }

    /// Writes one number cell ([`number`]).
    pub fn num(&mut self, x: f64) -> Result<()> {
        self.text(&number(x))
    }

    /// Writes one integer cell.
    pub fn int(&mut self, n: u64) -> Result<()> {
        self.text(&n.to_string())
    }

    /// Ends the current row.
    pub fn end_row(&mut self) -> Result<()> {
        self.inner
            .write_record(None::<&[u8]>)
            .map_err(|e| csv_error(&self.path, e))
    }

    /// Puts everything written so far on disk (a sweep does so after each chunk of rows).
    pub fn flush(&mut self) -> Result<()> {
        self.inner.flush().map_err(|e| Error::io(&self.path, e))
    }

    /// Flushes and closes the file; returns its path.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.flush()?;
        Ok(self.path)
    }
}

/// Reads the saved file `path` (a regular file of at most `max` bytes); a missing one is bad input
/// whose message says `missing: <missing>`.
pub fn read_saved(path: &Path, max: u64, missing: &str) -> Result<Vec<u8>> {
    files::read_limited(path, max).map_err(|e| match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            bad(path, format!("missing: {missing}"))
        }
        other => other,
    })
}

/// [`read_saved`] as UTF-8 text.
pub fn read_saved_text(path: &Path, max: u64, missing: &str) -> Result<String> {
    let bytes = read_saved(path, max, missing)?;
    String::from_utf8(bytes).map_err(|e| {
        bad(
            path,
            format!(
                "is not UTF-8 text (byte {} is not valid UTF-8): not what flowgap wrote",
                e.utf8_error().valid_up_to() + 1
            ),
        )
    })
}

/// The message for a file whose last row has no line end.
const CUT_SHORT: &str =
    "cut short: its last row has no line end (flowgap ends every row with one); run the scenario again";

/// A saved CSV read whole, whose errors name the file and, where known, the row and the column.
pub struct Table {
    /// The file.
    pub path: PathBuf,
    /// The header's names.
    pub header: Vec<String>,
    /// The rows after the header, each as wide as it.
    pub rows: Vec<csv::StringRecord>,
}

impl Table {
    /// Reads `path`, which `needed_for` needs (the message when it is missing says so).
    pub fn read(path: PathBuf, needed_for: &str) -> Result<Table> {
        let bytes = read_saved(&path, MAX_SAVED_BYTES, needed_for)?;
        Table::parse(path, &bytes)
    }

    /// The table in `bytes`, read from `path`. A file without a final line end was cut short (the last
    /// number may be cut mid-way and still parse), a row of another width is refused naming it.
    pub fn parse(path: PathBuf, bytes: &[u8]) -> Result<Table> {
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            return Err(bad(&path, CUT_SHORT));
        }
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| csv_error(&path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| csv_error(&path, e))?;
        Ok(Table { path, header, rows })
    }

    /// An error at 0-based data row `r` (`None`: the header) and column `c`.
    pub fn error(&self, r: Option<usize>, c: Option<usize>, message: impl Into<String>) -> Error {
        let mut place = format!("row {}", r.map_or(1, |r| r + 2));
        if let Some(c) = c {
            let name = self
                .header
                .get(c)
                .cloned()
                .unwrap_or_else(|| format!("#{}", c + 1));
            place.push_str(&format!(", column `{name}`"));
        }
        bad(&self.path, format!("{place}: {}", message.into()))
    }

    /// The text at row `r`, column `c` (empty past the row's end).
    pub fn cell(&self, r: usize, c: usize) -> &str {
        self.rows[r].get(c).unwrap_or("")
    }

    /// The f64 at row `r`, column `c`.
    pub fn num(&self, r: usize, c: usize) -> Result<f64> {
        let cell = self.cell(r, c);
        cell.parse()
            .map_err(|_| self.error(Some(r), Some(c), format!("`{cell}` is not a number")))
    }

    /// The non-negative integer at row `r`, column `c`.
    pub fn int(&self, r: usize, c: usize) -> Result<u64> {
        let cell = self.cell(r, c);
        cell.parse().map_err(|_| {
            self.error(
                Some(r),
                Some(c),
                format!("`{cell}` is not a non-negative integer"),
            )
        })
    }
}

/// A saved CSV read row by row (a sweep's table can be larger than memory should hold at once).
pub struct Rows {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    header: Vec<String>,
    record: csv::StringRecord,
}

impl Rows {
    /// Opens `path` (a regular file of at most [`MAX_SAVED_BYTES`]; missing: bad input saying
    /// `missing`), checks that its last row is ended, and reads its header.
    pub fn open(path: &Path, missing: &str) -> Result<Rows> {
        let mut file = files::open_regular(path, MAX_SAVED_BYTES).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                bad(path, format!("missing: {missing}"))
            }
            other => other,
        })?;
        let io = |e| Error::io(path, e);
        let len = file.seek(SeekFrom::End(0)).map_err(io)?;
        if len == 0 {
            return Err(bad(path, "is empty; a flowgap table starts with its header"));
        }
        file.seek(SeekFrom::End(-1)).map_err(io)?;
        let mut last = [0u8];
        file.read_exact(&mut last).map_err(io)?;
        if last[0] != b'\n' {
            return Err(bad(path, CUT_SHORT));
        }
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut reader = csv::Reader::from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        Ok(Rows {
            path: path.to_path_buf(),
            reader,
            header,
            record: csv::StringRecord::new(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header's names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The next row (as wide as the header); `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<&csv::StringRecord>> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| csv_error(&self.path, e))?;
        Ok(more.then_some(&self.record))
    }

    /// The 1-based row of the file the last row read came from (the header is row 1).
    pub fn row_number(&self) -> u64 {
        self.record.position().map_or(1, |p| p.line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value a run can write, written and read back, is the same f64 bit for bit.
    #[test]
    fn numbers_read_back_bit_for_bit() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1.0 / 3.0,
            1e-7,
            f64::from_bits(1e-7f64.to_bits() - 1),
            1e21,
            f64::from_bits(1e21f64.to_bits() - 1),
            1e-19,
            1e300,
            -2.5e-300,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            f64::INFINITY,
            f64::NEG_INFINITY,
            std::f64::consts::PI * 1e-12,
        ];
        // A spread of magnitudes and mantissas: every power of two's neighbourhood.
        for e in -1074..1024 {
            let x = 2f64.powi(e);
            values.extend([x, x * 1.1, -x * 0.7, f64::from_bits(x.to_bits() + 1)]);
        }
        for x in values {
            let text = number(x);
            let back: f64 = text.parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{x:e} was written as `{text}`");
            // At most 17 significant digits, after at most `-0.000000` or before `e-308`.
            assert!(text.len() <= 26, "{x:e} was written as `{text}`: too long");
        }
        assert!(number(f64::NAN).parse::<f64>().unwrap().is_nan());
    }

    #[test]
    fn small_and_large_numbers_use_exponents_everyday_ones_do_not() {
        assert_eq!(number(1e-19), "1e-19");
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(-2.5e-8), "-2.5e-8");
        assert_eq!(number(0.005), "0.005");
        assert_eq!(number(1e-7), "0.0000001");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-0.0), "-0");
        assert_eq!(number(1e20), "100000000000000000000");
        assert_eq!(number(1e21), "1e21");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn a_written_table_reads_back_and_a_damaged_one_is_refused_naming_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut w = Writer::create(&path, ["a", "b"]).unwrap();
        w.num(1e-19).unwrap();
        w.int(3).unwrap();
        w.end_row().unwrap();
        w.record(["", "x"]).unwrap();
        w.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n1e-19,3\n,x\n");
        let t = Table::read(path.clone(), "a test").unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.num(0, 0).unwrap().to_bits(), 1e-19f64.to_bits());
        assert_eq!(t.int(0, 1).unwrap(), 3);
        let e = t.num(1, 1).unwrap_err();
        assert!(e.is_bad_input());
        assert!(
            e.to_string().contains("row 3, column `b`: `x` is not a number"),
            "{e}"
        );

        for (text, says) in [
            (&b"a,b\n1,2\n3"[..], "cut short"),
            (
                b"a,b\n1,2\n3\n",
                "row 3: not a flowgap CSV row (1 fields, the header has 2)",
            ),
            (b"a,b\n1,\xff2\n", "row 2: not UTF-8"),
        ] {
            std::fs::write(&path, text).unwrap();
            let whole = Table::read(path.clone(), "a test");
            let streamed = Rows::open(&path, "a test").and_then(|mut r| {
                while r.next_row()?.is_some() {}
                Ok(())
            });
            for e in [whole.err().unwrap(), streamed.unwrap_err()] {
                assert!(e.is_bad_input(), "{e}");
                assert!(
                    e.to_string().contains("t.csv") && e.to_string().contains(says),
                    "{e}"
                );
            }
        }
        std::fs::write(&path, "").unwrap();
        assert!(Rows::open(&path, "a test").err().unwrap().is_bad_input());
        std::fs::remove_file(&path).unwrap();
        let e = Table::read(path.clone(), "the test needs it").err().unwrap();
        assert!(
            e.is_bad_input() && e.to_string().contains("missing: the test needs it"),
            "{e}"
        );
    }
}
